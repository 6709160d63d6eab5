//! Tables given in memory as Arrow record batches (what Python and other embedders
//! pass): read like Parquet files, rows linked by key across batches, and every problem
//! located by the table's name, record and column. The schema is the streaming tests'
//! (household → members: person).

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use super::tests_stream::schema;
use super::*;
use crate::batch::Column;
use crate::schema::{EntityId, FieldId};
use arrow_array::{ArrayRef, BooleanArray, Int64Array, RecordBatch, StringArray};
use std::sync::Arc;

fn table(name: &str, batches: Vec<Vec<(&str, ArrayRef)>>) -> ArrowTable {
    let batches: Vec<RecordBatch> = batches
        .into_iter()
        .map(|columns| RecordBatch::try_from_iter(columns).unwrap())
        .collect();
    ArrowTable {
        name: name.into(),
        schema: batches.first().unwrap().schema(),
        batches,
    }
}

fn text(values: &[&str]) -> ArrayRef {
    Arc::new(StringArray::from(values.to_vec()))
}

fn ints(values: &[i64]) -> ArrayRef {
    Arc::new(Int64Array::from(values.to_vec()))
}

#[test]
fn tables_in_memory_read_like_files_across_batches() {
    let households = table(
        "households",
        vec![
            vec![("id", text(&["h1"])), ("size", ints(&[2]))],
            vec![("id", text(&["h2"])), ("size", ints(&[1]))],
        ],
    );
    let members = table(
        "members",
        vec![
            vec![
                ("household_id", text(&["h2", "h1"])),
                ("income", ints(&[300, 500])),
            ],
            vec![
                ("household_id", text(&["h1"])),
                ("income", text(&["0.0001"])),
            ],
        ],
    );
    let batch = read_arrow(&schema(), &households, &[("members".into(), members)]).unwrap();
    batch.check(&schema()).unwrap();
    let h = batch.entity(EntityId(0)).unwrap();
    assert_eq!(h.keys, ["h1", "h2"]);
    assert_eq!(h.column(FieldId(2)), Some(&Column::Bool(vec![0, 0])));
    let p = batch.entity(EntityId(1)).unwrap();
    // Members grouped by household: h1's 500 元 and 0.0001 元, then h2's 300 元.
    assert_eq!(
        p.column(FieldId(0)),
        Some(&Column::Int(vec![5_000_000, 1, 3_000_000]))
    );
}

#[test]
fn problems_name_the_table_record_and_column() {
    let households = table(
        "households",
        vec![vec![
            ("id", text(&["h1", "h2"])),
            ("size", text(&["2", "two"])),
            (
                "flag",
                Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
            ),
        ]],
    );
    let members = table(
        "members",
        vec![vec![
            ("household_id", text(&["h1", "h9"])),
            ("income", ints(&[1, 2])),
        ]],
    );
    let errors = read_arrow(&schema(), &households, &[("members".into(), members)]).unwrap_err();
    let found: Vec<(&str, String, Option<u32>, Option<&str>)> = errors
        .errors
        .iter()
        .map(|e| {
            (
                e.code(),
                e.file.display().to_string(),
                e.row,
                e.column.as_deref(),
            )
        })
        .collect();
    assert!(
        found.contains(&(
            "bylaw::data::bad_number",
            "households".into(),
            Some(2),
            Some("size")
        )),
        "{found:?}"
    );
    assert!(
        found.contains(&(
            "bylaw::data::unknown_parent",
            "members".into(),
            Some(2),
            Some("household_id")
        )),
        "{found:?}"
    );
}

#[test]
fn integer_keys_are_their_digits_and_link_members() {
    let households = table(
        "households",
        vec![vec![("id", ints(&[17, 4])), ("size", ints(&[1, 2]))]],
    );
    let members = table(
        "members",
        vec![vec![
            (
                "household_id",
                Arc::new(arrow_array::Int32Array::from(vec![4, 17, 4])) as ArrayRef,
            ),
            ("income", ints(&[1, 2, 3])),
        ]],
    );
    let batch = read_arrow(&schema(), &households, &[("members".into(), members)]).unwrap();
    batch.check(&schema()).unwrap();
    assert_eq!(batch.entity(EntityId(0)).unwrap().keys, ["17", "4"]);
    // 17's member (2 元) first, then 4's two (1 元, 3 元).
    assert_eq!(
        batch.entity(EntityId(1)).unwrap().column(FieldId(0)),
        Some(&Column::Int(vec![20_000, 10_000, 30_000]))
    );
}
