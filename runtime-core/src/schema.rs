//! The input schema: entities, their typed fields and one-to-many relations.
//!
//! The compiler builds a [`Schema`] from `entity` declarations; the readers in
//! `bylaw_runtime::input` use it to parse data into a [`crate::batch::Batch`]. Values of
//! numeric columns are already scaled per [`ColumnType::scale`].

use crate::arith::{MICRO, MONEY_SCALE};
use std::sync::Arc;

/// Index of an entity in [`Schema::entities`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntityId(pub u32);

/// Index of a field in [`EntitySchema::fields`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FieldId(pub u32);

/// Every entity of a policy, and which one is the root (one output row per root).
#[derive(Debug, Clone, PartialEq)]
pub struct Schema {
    /// All entities, indexed by [`EntityId`].
    pub entities: Vec<EntitySchema>,
    /// The entity that is no other entity's child.
    pub root: EntityId,
}

/// One entity: its key, fields, relations and parent.
#[derive(Debug, Clone, PartialEq)]
pub struct EntitySchema {
    /// Identifier (`household`).
    pub name: String,
    /// Chinese label (`家庭`).
    pub label: String,
    /// The field holding each row's key, if any.
    pub key: Option<FieldId>,
    /// Typed fields, indexed by [`FieldId`].
    pub fields: Vec<FieldSchema>,
    /// One-to-many relations to child entities, in declaration order.
    pub relations: Vec<RelationSchema>,
    /// The entity this one is a child of (`None` for the root).
    pub parent: Option<EntityId>,
    /// For dated records (`entity stay from started_on until ended_on`): the fields
    /// holding each record's first day and its last day (which may be missing: an open
    /// record). A parent's records must come in order of their first day.
    pub dated: Option<Dated>,
}

/// The two date fields of an entity of dated records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    /// The record's first day (never missing).
    pub from: FieldId,
    /// The record's last day, included; missing for a record still open.
    pub until: FieldId,
}

/// One typed field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldSchema {
    /// Identifier, also the CSV column and JSON property name.
    pub name: String,
    /// Chinese label.
    pub label: String,
    /// Type and unit.
    pub ty: ColumnType,
    /// Used when the column, property or cell is absent or empty.
    pub default: Option<Scalar>,
    /// The smallest value accepted, scaled like the column (`at least 0`; 0 by default
    /// for counts and durations): a smaller one is a data error.
    pub minimum: Option<i64>,
}

/// A one-to-many relation (`members: many person at least 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct RelationSchema {
    /// Identifier (`members`): the JSON property and the name a CSV file is given under.
    pub name: String,
    /// The child entity.
    pub child: EntityId,
    /// Fewer children than this is a data error.
    pub at_least: u32,
}

/// The type and unit of a column.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnType {
    /// Yuan, in units of 0.0001 元.
    Money,
    /// A rate, in millionths of 1 (2% = 20 000); data give percentages (`2.5` or `2.5%`).
    Rate,
    /// A whole number.
    Count,
    /// A plain decimal, in millionths.
    Decimal,
    /// A duration in days.
    Days,
    /// A duration in months (years are 12 months).
    Months,
    /// A duration declared in years: data give whole years, stored as months.
    Years,
    /// Days since 1970-01-01; data give `YYYY-MM-DD`.
    Date,
    /// A boolean.
    Bool,
    /// Free text (codes, identifiers).
    Text,
    /// An enumeration; values are variant indexes.
    Enum(Arc<EnumSchema>),
}

impl ColumnType {
    /// The fixed-point scale of the stored `i64` (1 for non-numeric columns).
    #[must_use]
    pub const fn scale(&self) -> i64 {
        match self {
            Self::Money => MONEY_SCALE,
            Self::Rate | Self::Decimal => MICRO,
            _ => 1,
        }
    }

    /// A short human description for diagnostics: `money (元)`, `rate (%)`, `months`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Money => "money (元)".to_owned(),
            Self::Rate => "rate (%)".to_owned(),
            Self::Count => "count".to_owned(),
            Self::Decimal => "decimal".to_owned(),
            Self::Days => "days".to_owned(),
            Self::Months => "months".to_owned(),
            Self::Years => "years".to_owned(),
            Self::Date => "date (YYYY-MM-DD)".to_owned(),
            Self::Bool => "bool".to_owned(),
            Self::Text => "text".to_owned(),
            Self::Enum(e) => format!("enumeration `{}`", e.name),
        }
    }

    /// Whether values are stored as `i64` ([`crate::batch::Column::Int`]).
    #[must_use]
    pub const fn is_int(&self) -> bool {
        matches!(
            self,
            Self::Money
                | Self::Rate
                | Self::Count
                | Self::Decimal
                | Self::Days
                | Self::Months
                | Self::Years
        )
    }
}

/// An enumeration and its variants (variant index = stored code).
#[derive(Debug, Clone, PartialEq)]
pub struct EnumSchema {
    /// Identifier (`region`).
    pub name: String,
    /// Variants, indexed by their `u32` code in batches.
    pub variants: Vec<VariantSchema>,
    /// Names, then codes, to the variant index: a cell is read in the same time from an
    /// enumeration of every village of the country as from one of three.
    index: std::collections::HashMap<String, u32>,
}

impl EnumSchema {
    /// An enumeration of `variants`, indexed for [`EnumSchema::lookup`].
    #[must_use]
    pub fn new(name: String, variants: Vec<VariantSchema>) -> EnumSchema {
        let mut index = std::collections::HashMap::with_capacity(variants.len() * 2);
        for (i, v) in variants.iter().enumerate() {
            if let Ok(i) = u32::try_from(i) {
                index.entry(v.name.clone()).or_insert(i);
            }
        }
        for (i, v) in variants.iter().enumerate() {
            if let (Some(code), Ok(i)) = (&v.code, u32::try_from(i)) {
                index.entry(code.clone()).or_insert(i);
            }
        }
        EnumSchema {
            name,
            variants,
            index,
        }
    }

    /// The index of the variant whose name or code is `text` (a name first).
    #[must_use]
    pub fn lookup(&self, text: &str) -> Option<u32> {
        self.index.get(text).copied()
    }
}

/// One enumeration variant.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantSchema {
    /// Identifier (`guangzhou`).
    pub name: String,
    /// Chinese label (`广州市`).
    pub label: String,
    /// An alternative data code (GB/T 2260 `440100`).
    pub code: Option<String>,
}

/// One value, scaled per its [`ColumnType`] (defaults, test inputs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scalar {
    /// Money, rate, count, decimal, days or months.
    Int(i64),
    /// A boolean.
    Bool(bool),
    /// Days since 1970-01-01.
    Date(i32),
    /// A variant index.
    Enum(u32),
    /// Text.
    Text(String),
}

impl Schema {
    /// The entity with this id.
    #[must_use]
    pub fn entity(&self, id: EntityId) -> Option<&EntitySchema> {
        self.entities.get(id.0 as usize)
    }

    /// The root entity.
    #[must_use]
    pub fn root_entity(&self) -> Option<&EntitySchema> {
        self.entity(self.root)
    }

    /// The id of the entity named `name`.
    #[must_use]
    pub fn entity_id(&self, name: &str) -> Option<EntityId> {
        let i = self.entities.iter().position(|e| e.name == name)?;
        u32::try_from(i).ok().map(EntityId)
    }

    /// Entities reachable from the root, parents before children (breadth first), each
    /// with the `(parent, relation index)` it hangs from.
    #[must_use]
    pub fn tree_order(&self) -> Vec<(EntityId, Option<(EntityId, usize)>)> {
        let mut out = vec![(self.root, None)];
        let mut i = 0;
        while let Some(&(id, _)) = out.get(i) {
            if let Some(e) = self.entity(id) {
                for (r, rel) in e.relations.iter().enumerate() {
                    // Guard against cycles in a malformed schema.
                    if !out.iter().any(|(seen, _)| *seen == rel.child) {
                        out.push((rel.child, Some((id, r))));
                    }
                }
            }
            i += 1;
        }
        out
    }
}

impl EntitySchema {
    /// The field named `name`.
    #[must_use]
    pub fn field_id(&self, name: &str) -> Option<FieldId> {
        let i = self.fields.iter().position(|f| f.name == name)?;
        u32::try_from(i).ok().map(FieldId)
    }

    /// The field with this id.
    #[must_use]
    pub fn field(&self, id: FieldId) -> Option<&FieldSchema> {
        self.fields.get(id.0 as usize)
    }

    /// The relation named `name`, with its index.
    #[must_use]
    pub fn relation(&self, name: &str) -> Option<(usize, &RelationSchema)> {
        self.relations
            .iter()
            .enumerate()
            .find(|(_, r)| r.name == name)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn scales_and_descriptions() {
        assert_eq!(ColumnType::Money.scale(), 10_000);
        assert_eq!(ColumnType::Rate.scale(), 1_000_000);
        assert_eq!(ColumnType::Decimal.scale(), 1_000_000);
        assert_eq!(ColumnType::Months.scale(), 1);
        assert_eq!(ColumnType::Money.describe(), "money (元)");
        assert_eq!(ColumnType::Rate.describe(), "rate (%)");
        assert_eq!(ColumnType::Months.describe(), "months");
        let e = Arc::new(EnumSchema::new(
            "region".into(),
            vec![
                VariantSchema {
                    name: "guangdong".into(),
                    label: "广东省".into(),
                    code: Some("440000".into()),
                },
                VariantSchema {
                    name: "guangzhou".into(),
                    label: "广州市".into(),
                    code: Some("440100".into()),
                },
            ],
        ));
        assert_eq!(
            ColumnType::Enum(e.clone()).describe(),
            "enumeration `region`"
        );
        assert_eq!(e.lookup("guangzhou"), Some(1));
        assert_eq!(e.lookup("440000"), Some(0));
        assert_eq!(e.lookup("广州市"), None);
    }
}
