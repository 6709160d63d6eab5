//! Yearly tables: one row per region and calendar year. Fund rules run on them; this
//! module finds each row's region and year and links a row to the same region's row one
//! year earlier, which `x[last year]` reads.

use std::collections::HashMap;

use bylaw_runtime::batch::{Batch, Column};
use bylaw_runtime::schema::FieldId;

use crate::check::funds::{REGION_FIELD, YEAR_FIELD};
use crate::ir::Program;

/// Where the region and the year of a yearly root entity are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearlyColumns {
    pub region: FieldId,
    pub year: FieldId,
}

/// The region and year fields of the program's root entity, if it is a yearly table.
pub fn yearly_columns(program: &Program) -> Option<YearlyColumns> {
    let root = program.schema.root_entity()?;
    let find = |name: &str| {
        root.fields
            .iter()
            .position(|f| f.name == name)
            .map(|i| FieldId(i as u32))
    };
    Some(YearlyColumns {
        region: find(REGION_FIELD)?,
        year: find(YEAR_FIELD)?,
    })
}

/// The enumeration of the region field of a yearly table.
pub fn region_enum(
    program: &Program,
    cols: YearlyColumns,
) -> Option<std::sync::Arc<bylaw_runtime::schema::EnumSchema>> {
    program
        .schema
        .root_entity()
        .and_then(|e| e.fields.get(cols.region.0 as usize))
        .and_then(|f| match &f.ty {
            bylaw_runtime::schema::ColumnType::Enum(e) => Some(e.clone()),
            _ => None,
        })
}

/// Each root row's (region code, year).
pub fn region_years(batch: &Batch, cols: YearlyColumns) -> Vec<(u32, i64)> {
    let Some(root) = batch.entity(batch.root) else {
        return Vec::new();
    };
    match (root.column(cols.region), root.column(cols.year)) {
        (Some(Column::Enum(regions)), Some(Column::Int(years))) => {
            regions.iter().zip(years).map(|(r, y)| (*r, *y)).collect()
        }
        _ => Vec::new(),
    }
}

/// A region that appears twice for one year: rows (0-based) of both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DuplicateYear {
    pub region: u32,
    pub year: i64,
    pub first: usize,
    pub second: usize,
}

/// For each root row, the row of the same region one year earlier, if the data have one;
/// and every (region, year) given twice.
pub fn previous_rows(batch: &Batch, cols: YearlyColumns) -> (Vec<Option<u32>>, Vec<DuplicateYear>) {
    let keys = region_years(batch, cols);
    let mut index: HashMap<(u32, i64), usize> = HashMap::with_capacity(keys.len());
    let mut duplicates = Vec::new();
    for (row, key) in keys.iter().enumerate() {
        if let Some(first) = index.insert(*key, row) {
            duplicates.push(DuplicateYear {
                region: key.0,
                year: key.1,
                first,
                second: row,
            });
            index.insert(*key, first);
        }
    }
    let previous = keys
        .iter()
        .map(|(region, year)| {
            index
                .get(&(*region, year - 1))
                .and_then(|r| u32::try_from(*r).ok())
        })
        .collect();
    (previous, duplicates)
}
