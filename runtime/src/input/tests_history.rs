//! Dated records: every reader puts a parent's records in order of their first day
//! (records that start on the same day keep their order), and a record that ends before
//! it starts is a located error — in CSV, JSON and the streaming reader alike.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use super::tests_stream::field;
use super::*;
use crate::batch::Batch;
use crate::date::NO_DATE;
use crate::schema::{
    ColumnType, Dated, EntityId, EntitySchema, FieldId, RelationSchema, Scalar, Schema,
};
use std::path::PathBuf;

/// household (key `id`) → stays: stay (`from`, `until` default none, `note`), dated.
fn schema() -> Schema {
    Schema {
        root: EntityId(0),
        entities: vec![
            EntitySchema {
                name: "household".into(),
                label: String::new(),
                key: Some(FieldId(0)),
                fields: vec![field("id", ColumnType::Text, None)],
                relations: vec![RelationSchema {
                    name: "stays".into(),
                    child: EntityId(1),
                    at_least: 0,
                }],
                parent: None,
                dated: None,
            },
            EntitySchema {
                name: "stay".into(),
                label: String::new(),
                key: None,
                fields: vec![
                    field("from", ColumnType::Date, None),
                    field("until", ColumnType::Date, Some(Scalar::Date(NO_DATE))),
                    field("note", ColumnType::Text, Some(Scalar::Text(String::new()))),
                ],
                relations: vec![],
                parent: Some(EntityId(0)),
                dated: Some(Dated {
                    from: FieldId(0),
                    until: FieldId(1),
                }),
            },
        ],
    }
}

fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// Each household's stays as (first day, note), in batch order.
fn stays(batch: &Batch) -> Vec<Vec<(String, String)>> {
    let households = batch.entity(EntityId(0)).unwrap();
    let stays = batch.entity(EntityId(1)).unwrap();
    let from = stays.date(FieldId(0)).unwrap();
    let note = stays.text(FieldId(2)).unwrap();
    (0..households.len)
        .map(|h| {
            households
                .child_range(0, h)
                .map(|r| (crate::date::format_date(from[r]), note[r].clone()))
                .collect()
        })
        .collect()
}

const HOUSEHOLDS: &str = "id\nh1\nh2\n";
const UNORDERED: &str = "household_id,from,until,note\n\
    h1,2023-01-01,,third\n\
    h2,2020-05-01,2020-06-01,only\n\
    h1,2021-08-01,2022-12-31,first\n\
    h1,2023-01-01,2023-02-01,fourth\n\
    h1,2022-01-01,,second\n";

fn expected() -> Vec<Vec<(String, String)>> {
    let s = |d: &str, n: &str| (d.to_string(), n.to_string());
    vec![
        vec![
            s("2021-08-01", "first"),
            s("2022-01-01", "second"),
            s("2023-01-01", "third"),
            s("2023-01-01", "fourth"),
        ],
        vec![s("2020-05-01", "only")],
    ]
}

#[test]
fn csv_records_come_in_order_of_their_first_day() {
    let dir = tempfile::tempdir().unwrap();
    let h = write(&dir, "households.csv", HOUSEHOLDS);
    let s = write(&dir, "stays.csv", UNORDERED);
    let batch = read_csv(&schema(), &h, &[("stays".into(), s)]).unwrap();
    batch.check(&schema()).unwrap();
    assert_eq!(stays(&batch), expected());
    // Source rows move with their records: the first record came from line 4.
    assert_eq!(
        batch.entity(EntityId(1)).unwrap().source_rows.first(),
        Some(&4)
    );
}

#[test]
fn the_streaming_reader_orders_records_too() {
    let dir = tempfile::tempdir().unwrap();
    let h = write(&dir, "households.csv", HOUSEHOLDS);
    let s = write(&dir, "stays.csv", UNORDERED);
    let children = [("stays".to_string(), s)];
    // Children not grouped by parent: the stream gives way to the whole-file reader
    // (tested above); if it takes them, its batch is ordered as well.
    let first = BatchStream::open(&schema(), DataFormat::Csv, &h, &children, 8)
        .and_then(|mut st| st.next_batch());
    if let Ok(Some(raw)) = first {
        let batch = raw.decode(&schema()).unwrap();
        assert_eq!(stays(&batch), expected());
    }
    let grouped = "household_id,from,until,note\n\
        h1,2023-01-01,,third\n\
        h1,2021-08-01,2022-12-31,first\n\
        h1,2023-01-01,2023-02-01,fourth\n\
        h1,2022-01-01,,second\n\
        h2,2020-05-01,2020-06-01,only\n";
    let s = write(&dir, "grouped.csv", grouped);
    let children = [("stays".to_string(), s)];
    let mut stream = BatchStream::open(&schema(), DataFormat::Csv, &h, &children, 8).unwrap();
    let raw = stream.next_batch().unwrap().unwrap();
    let batch = raw.decode(&schema()).unwrap();
    batch.check(&schema()).unwrap();
    assert_eq!(stays(&batch), expected());
}

#[test]
fn json_records_come_in_order_of_their_first_day() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        "households.json",
        r#"[{"id": "h1", "stays": [
              {"from": "2023-01-01", "until": null, "note": "third"},
              {"from": "2021-08-01", "until": "2022-12-31", "note": "first"},
              {"from": "2023-01-01", "until": "2023-02-01", "note": "fourth"},
              {"from": "2022-01-01", "note": "second"}]},
            {"id": "h2", "stays": [{"from": "2020-05-01", "until": "2020-06-01", "note": "only"}]}]"#,
    );
    let batch = read_json(&schema(), &p).unwrap();
    batch.check(&schema()).unwrap();
    assert_eq!(stays(&batch), expected());
}

#[test]
fn a_record_that_ends_before_it_starts_is_a_located_error() {
    let dir = tempfile::tempdir().unwrap();
    let h = write(&dir, "households.csv", HOUSEHOLDS);
    let text = "household_id,from,until\nh1,2021-01-01,2021-12-31\nh2,2022-03-01,2022-02-28\n";
    let s = write(&dir, "stays.csv", text);
    let errors = read_csv(&schema(), &h, &[("stays".into(), s.clone())]).unwrap_err();
    let e = errors.errors.first().unwrap();
    assert_eq!(e.code(), "bylaw::data::ends_before_start");
    assert_eq!((e.row, e.column.as_deref()), (Some(3), Some("until")));
    assert_eq!(e.value.as_deref(), Some("2022-02-28"));
    assert_eq!(errors.errors.len(), 1);
    // The streaming reader gives way to the whole-file reader, which reports it.
    let children = [("stays".to_string(), s)];
    let refused = BatchStream::open(&schema(), DataFormat::Csv, &h, &children, 8)
        .and_then(|mut st| st.next_batch()?.unwrap().decode(&schema()).map(|_| ()));
    assert!(refused.is_err());
    // A record of one day ends on the day it starts.
    let one_day = write(
        &dir,
        "one_day.csv",
        "household_id,from,until\nh1,2021-01-01,2021-01-01\n",
    );
    assert!(read_csv(&schema(), &h, &[("stays".into(), one_day)]).is_ok());
}

#[test]
fn batch_check_refuses_records_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let h = write(&dir, "households.csv", HOUSEHOLDS);
    let s = write(&dir, "stays.csv", UNORDERED);
    let mut batch = read_csv(&schema(), &h, &[("stays".into(), s)]).unwrap();
    let stays = batch.entities.get_mut(1).unwrap();
    if let Some(crate::batch::Column::Date(from)) = stays.columns.get_mut(0) {
        from.swap(0, 1);
    }
    let err = batch.check(&schema()).unwrap_err();
    assert!(err.contains("starts before the record above it"), "{err}");
}
