//! Stable keys for enumeration variants and names for input columns, as compiled
//! libraries take them — so that a caller's data does not depend on the order in which
//! a policy happens to declare its fields and variants.
//!
//! A variant's key is its declared `code` when every variant of the enumeration has a
//! distinct integer code (the GB/T 2260 code of a region: 440100 for Guangzhou), and
//! otherwise the 32-bit FNV-1a hash of its name. Either way adding, removing or
//! reordering other variants leaves it unchanged. A column's name is
//! `entity.field`.

use crate::schema::{ColumnType, EntitySchema, EnumSchema};

/// The 32-bit FNV-1a hash of `bytes`.
#[must_use]
pub fn fnv1a32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// Why an enumeration's variants have no stable keys.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "variants `{first}` and `{second}` of enumeration `{enumeration}` hash to the same key; rename one"
)]
pub struct KeyCollision {
    pub enumeration: String,
    pub first: String,
    pub second: String,
}

/// Whether `en`'s variants are keyed by their declared codes.
#[must_use]
pub fn keyed_by_code(en: &EnumSchema) -> bool {
    let codes: Option<Vec<u32>> = en
        .variants
        .iter()
        .map(|v| v.code.as_deref().and_then(|c| c.parse::<u32>().ok()))
        .collect();
    codes.is_some_and(|mut c| {
        let n = c.len();
        c.sort_unstable();
        c.dedup();
        c.len() == n && n > 0
    })
}

/// The key of each variant of `en`, by variant index.
///
/// # Errors
/// [`KeyCollision`] if two variant names hash to the same key (never for codes).
pub fn variant_keys(en: &EnumSchema) -> Result<Vec<u32>, KeyCollision> {
    let by_code = keyed_by_code(en);
    let keys: Vec<u32> = en
        .variants
        .iter()
        .map(|v| match (&v.code, by_code) {
            (Some(c), true) => c.parse::<u32>().unwrap_or(0),
            _ => fnv1a32(v.name.as_bytes()),
        })
        .collect();
    for (i, k) in keys.iter().enumerate() {
        if let Some(j) = keys[..i].iter().position(|x| x == k) {
            return Err(KeyCollision {
                enumeration: en.name.clone(),
                first: en.variants[j].name.clone(),
                second: en.variants[i].name.clone(),
            });
        }
    }
    Ok(keys)
}

/// The name a compiled library knows a column by: `entity.field`.
#[must_use]
pub fn column_name(entity: &EntitySchema, field: &str) -> String {
    format!("{}.{field}", entity.name)
}

/// How many of the runtime's units one unit of a column's declared unit is: 12 for a
/// duration declared in years (kept in months), 1 for everything else.
#[must_use]
pub fn unit_factor(ty: &ColumnType) -> u32 {
    match ty {
        ColumnType::Years => 12,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::schema::VariantSchema;

    fn variant(name: &str, code: Option<&str>) -> VariantSchema {
        VariantSchema {
            name: name.into(),
            label: String::new(),
            code: code.map(Into::into),
        }
    }

    #[test]
    fn codes_key_regions_and_names_key_the_rest_whatever_the_order() {
        let regions = EnumSchema::new(
            "region".into(),
            vec![
                variant("guangzhou", Some("440100")),
                variant("shenzhen", Some("440300")),
            ],
        );
        assert_eq!(variant_keys(&regions).unwrap(), vec![440_100, 440_300]);
        let hukou = EnumSchema::new(
            "hukou".into(),
            vec![variant("local", None), variant("other", None)],
        );
        let reordered = EnumSchema::new(
            "hukou".into(),
            vec![
                variant("new", None),
                variant("other", None),
                variant("local", None),
            ],
        );
        let a = variant_keys(&hukou).unwrap();
        let b = variant_keys(&reordered).unwrap();
        assert_eq!((a[0], a[1]), (b[2], b[1]));
        assert_eq!(fnv1a32(b"local"), a[0]);
        // One variant without a code: every variant is keyed by name.
        let mixed = EnumSchema::new(
            "r".into(),
            vec![variant("a", Some("1")), variant("b", None)],
        );
        assert_eq!(variant_keys(&mixed).unwrap()[0], fnv1a32(b"a"));
    }
}
