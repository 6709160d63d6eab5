//! The columnar batch: one array per field, CSR offsets per relation.
//!
//! A [`Batch`] holds every entity's rows; children are stored grouped by parent, in
//! parent order, so the children of parent row `i` are rows `offsets[i]..offsets[i+1]`
//! of the child [`EntityRows`]. A batch never splits a parent from its children.
//! [`Batch::check`] validates lengths, offsets and codes before kernels run.

use crate::schema::{ColumnType, EntityId, FieldId, Scalar, Schema};
use std::ops::Range;

/// All rows of one input, indexed by [`EntityId`].
#[derive(Debug, Clone, PartialEq)]
pub struct Batch {
    /// One entry per schema entity.
    pub entities: Vec<EntityRows>,
    /// The root entity (one output row per root row).
    pub root: EntityId,
}

/// The rows of one entity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct EntityRows {
    /// Number of rows.
    pub len: usize,
    /// One column per field, indexed by [`FieldId`].
    pub columns: Vec<Column>,
    /// Each row's key: the key field's text, or the 1-based record number in the input
    /// if the entity has no key.
    pub keys: Vec<String>,
    /// Each row's 1-based line (CSV) or line of its object (JSON) in the input.
    pub source_rows: Vec<u32>,
    /// CSR offsets per relation (indexed like the entity's relations).
    pub children: Vec<Offsets>,
}

/// The values of one field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// Money, rate, count, decimal, days, months (scaled per column type).
    Int(Vec<i64>),
    /// Booleans as 0 / 1.
    Bool(Vec<u8>),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
    /// Variant indexes.
    Enum(Vec<u32>),
    /// Text.
    Text(Vec<String>),
}

/// CSR offsets: the children of parent row `i` are `self.0[i]..self.0[i + 1]`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Offsets(pub Vec<u32>);

impl Offsets {
    /// The child rows of parent row `parent` (empty if out of range).
    #[must_use]
    pub fn range(&self, parent: usize) -> Range<usize> {
        match (self.0.get(parent), self.0.get(parent + 1)) {
            (Some(&a), Some(&b)) if a <= b => a as usize..b as usize,
            _ => 0..0,
        }
    }

    /// The number of children of parent row `parent`.
    #[must_use]
    pub fn count(&self, parent: usize) -> usize {
        self.range(parent).len()
    }
}

impl Column {
    /// An empty column of the storage kind for `ty`.
    #[must_use]
    pub fn new_for(ty: &ColumnType) -> Self {
        match ty {
            ColumnType::Date => Self::Date(Vec::new()),
            ColumnType::Bool => Self::Bool(Vec::new()),
            ColumnType::Text => Self::Text(Vec::new()),
            ColumnType::Enum(_) => Self::Enum(Vec::new()),
            _ => Self::Int(Vec::new()),
        }
    }

    /// Reorders the values: value `i` becomes the one at `order[i]`.
    pub fn permute(&mut self, order: &[usize]) {
        fn pick<T: Clone>(v: &[T], order: &[usize]) -> Vec<T> {
            order.iter().filter_map(|i| v.get(*i).cloned()).collect()
        }
        match self {
            Column::Int(v) => *v = pick(v, order),
            Column::Bool(v) => *v = pick(v, order),
            Column::Date(v) => *v = pick(v, order),
            Column::Enum(v) => *v = pick(v, order),
            Column::Text(v) => *v = pick(v, order),
        }
    }

    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Int(v) => v.len(),
            Self::Bool(v) => v.len(),
            Self::Date(v) => v.len(),
            Self::Enum(v) => v.len(),
            Self::Text(v) => v.len(),
        }
    }

    /// Whether the column is empty.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a value; returns `false` (and appends nothing) if its kind does not
    /// match the column's.
    pub fn push(&mut self, value: Scalar) -> bool {
        match (self, value) {
            (Self::Int(v), Scalar::Int(x)) => v.push(x),
            (Self::Bool(v), Scalar::Bool(x)) => v.push(u8::from(x)),
            (Self::Date(v), Scalar::Date(x)) => v.push(x),
            (Self::Enum(v), Scalar::Enum(x)) => v.push(x),
            (Self::Text(v), Scalar::Text(x)) => v.push(x),
            _ => return false,
        }
        true
    }

    /// The value at `row`.
    #[must_use]
    pub fn get(&self, row: usize) -> Option<Scalar> {
        Some(match self {
            Self::Int(v) => Scalar::Int(*v.get(row)?),
            Self::Bool(v) => Scalar::Bool(*v.get(row)? != 0),
            Self::Date(v) => Scalar::Date(*v.get(row)?),
            Self::Enum(v) => Scalar::Enum(*v.get(row)?),
            Self::Text(v) => Scalar::Text(v.get(row)?.clone()),
        })
    }
}

impl Batch {
    /// Number of root rows.
    #[must_use]
    pub fn root_len(&self) -> usize {
        self.entity(self.root).map_or(0, |e| e.len)
    }

    /// The rows of an entity.
    #[must_use]
    pub fn entity(&self, id: EntityId) -> Option<&EntityRows> {
        self.entities.get(id.0 as usize)
    }

    /// Checks the batch against `schema`: one [`EntityRows`] per entity, column kinds
    /// and lengths, offsets (start at 0, non-decreasing, end at the child's length),
    /// enumeration codes in range and booleans 0 or 1. Native kernels rely on this.
    ///
    /// # Errors
    /// A description of the first inconsistency found.
    pub fn check(&self, schema: &Schema) -> Result<(), String> {
        if self.entities.len() != schema.entities.len() {
            return Err(format!(
                "batch has {} entities, schema has {}",
                self.entities.len(),
                schema.entities.len()
            ));
        }
        if self.root != schema.root {
            return Err("batch root differs from the schema root".to_owned());
        }
        for (rows, entity) in self.entities.iter().zip(&schema.entities) {
            let name = &entity.name;
            if rows.columns.len() != entity.fields.len() {
                return Err(format!("`{name}` has {} columns", rows.columns.len()));
            }
            if rows.keys.len() != rows.len || rows.source_rows.len() != rows.len {
                return Err(format!(
                    "`{name}` keys or source rows have the wrong length"
                ));
            }
            for (col, field) in rows.columns.iter().zip(&entity.fields) {
                let fname = &field.name;
                if col.len() != rows.len {
                    return Err(format!(
                        "`{name}.{fname}` has {} values, not {}",
                        col.len(),
                        rows.len
                    ));
                }
                match (col, &field.ty) {
                    (Column::Enum(codes), ColumnType::Enum(e)) => {
                        if let Some(bad) = codes.iter().find(|c| **c as usize >= e.variants.len()) {
                            return Err(format!(
                                "`{name}.{fname}` has enumeration code {bad} out of range"
                            ));
                        }
                    }
                    (Column::Bool(v), ColumnType::Bool) => {
                        if v.iter().any(|b| *b > 1) {
                            return Err(format!(
                                "`{name}.{fname}` has a boolean other than 0 or 1"
                            ));
                        }
                    }
                    (Column::Int(_), t) if t.is_int() => {}
                    (Column::Date(_), ColumnType::Date) | (Column::Text(_), ColumnType::Text) => {}
                    _ => return Err(format!("`{name}.{fname}` has the wrong column kind")),
                }
            }
            if rows.children.len() != entity.relations.len() {
                return Err(format!(
                    "`{name}` has {} offset arrays",
                    rows.children.len()
                ));
            }
            for (offsets, rel) in rows.children.iter().zip(&entity.relations) {
                let child_len = self.entity(rel.child).map_or(0, |c| c.len);
                let o = &offsets.0;
                let ok = o.len() == rows.len + 1
                    && o.first() == Some(&0)
                    && o.windows(2).all(|w| w[0] <= w[1])
                    && o.last().map(|l| *l as usize) == Some(child_len);
                if !ok {
                    return Err(format!("`{name}.{}` has invalid offsets", rel.name));
                }
            }
        }
        if let Some((name, row, how)) = crate::history::find_disorder(schema, self) {
            return Err(match how {
                crate::history::Disorder::BeforePrevious => format!(
                    "`{name}` row {row} starts before the record above it: a parent's dated records must be in order of their first day"
                ),
                crate::history::Disorder::EndsBeforeStart => {
                    format!("`{name}` row {row} ends before it starts")
                }
            });
        }
        Ok(())
    }
}

impl EntityRows {
    /// The column of `field`.
    #[must_use]
    pub fn column(&self, field: FieldId) -> Option<&Column> {
        self.columns.get(field.0 as usize)
    }

    /// The `i64` values of a money, rate, count, decimal, days or months field.
    #[must_use]
    pub fn int(&self, field: FieldId) -> Option<&[i64]> {
        match self.column(field)? {
            Column::Int(v) => Some(v),
            _ => None,
        }
    }

    /// The 0/1 values of a bool field.
    #[must_use]
    pub fn bool(&self, field: FieldId) -> Option<&[u8]> {
        match self.column(field)? {
            Column::Bool(v) => Some(v),
            _ => None,
        }
    }

    /// The day numbers of a date field.
    #[must_use]
    pub fn date(&self, field: FieldId) -> Option<&[i32]> {
        match self.column(field)? {
            Column::Date(v) => Some(v),
            _ => None,
        }
    }

    /// The variant indexes of an enumeration field.
    #[must_use]
    pub fn enum_codes(&self, field: FieldId) -> Option<&[u32]> {
        match self.column(field)? {
            Column::Enum(v) => Some(v),
            _ => None,
        }
    }

    /// The values of a text field.
    #[must_use]
    pub fn text(&self, field: FieldId) -> Option<&[String]> {
        match self.column(field)? {
            Column::Text(v) => Some(v),
            _ => None,
        }
    }

    /// The child rows of `row` through relation number `relation`.
    #[must_use]
    pub fn child_range(&self, relation: usize, row: usize) -> Range<usize> {
        self.children.get(relation).map_or(0..0, |o| o.range(row))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_columns() {
        let o = Offsets(vec![0, 2, 2, 5]);
        assert_eq!(o.range(0), 0..2);
        assert_eq!(o.range(1), 2..2);
        assert_eq!(o.range(2), 2..5);
        assert_eq!(o.range(3), 0..0);
        assert_eq!(o.count(2), 3);
        let mut c = Column::new_for(&ColumnType::Bool);
        assert!(c.push(Scalar::Bool(true)));
        assert!(!c.push(Scalar::Int(1)));
        assert_eq!(c.len(), 1);
        assert_eq!(c.get(0), Some(Scalar::Bool(true)));
        assert_eq!(c.get(1), None);
    }
}
