//! The streaming reader against the whole-file readers: the same batches for
//! well-ordered CSV and Parquet, cut anywhere; a fallback (and the whole-file
//! reader's diagnostic, at the right row) for data the stream cannot take; and
//! malformed Parquet files reported with file, row, column and hint.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use super::*;
use crate::batch::{Batch, Column};
use crate::schema::{
    ColumnType, EntityId, EntitySchema, FieldId, FieldSchema, RelationSchema, Scalar, Schema,
};
use arrow_array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(super) fn field(name: &str, ty: ColumnType, default: Option<Scalar>) -> FieldSchema {
    FieldSchema {
        name: name.into(),
        label: name.into(),
        ty,
        default,
        minimum: None,
    }
}

/// household (key `id`, `size`, `flag` default false) → members: person (`income`).
pub(super) fn schema() -> Schema {
    Schema {
        root: EntityId(0),
        entities: vec![
            EntitySchema {
                name: "household".into(),
                label: String::new(),
                key: Some(FieldId(0)),
                fields: vec![
                    field("id", ColumnType::Text, None),
                    field("size", ColumnType::Count, None),
                    field("flag", ColumnType::Bool, Some(Scalar::Bool(false))),
                ],
                relations: vec![RelationSchema {
                    name: "members".into(),
                    child: EntityId(1),
                    at_least: 1,
                }],
                parent: None,
                dated: None,
            },
            EntitySchema {
                name: "person".into(),
                label: String::new(),
                key: None,
                fields: vec![field("income", ColumnType::Money, None)],
                relations: vec![],
                parent: Some(EntityId(0)),
                dated: None,
            },
        ],
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// `n` households `h0001…` with 1–3 members each, as CSV text.
fn population(n: usize) -> (String, String) {
    let mut h = String::from("id,size,flag\n");
    let mut m = String::from("household_id,income\n");
    for i in 0..n {
        let size = 1 + i % 3;
        h.push_str(&format!("h{i:04},{size},{}\n", i % 2 == 0));
        for j in 0..size {
            m.push_str(&format!("h{i:04},{}.{:02}\n", 100 * j + i, i % 100));
        }
    }
    (h, m)
}

/// Every batch of the stream, decoded and concatenated back into one.
fn streamed(
    schema: &Schema,
    format: DataFormat,
    root: &Path,
    children: &[(String, PathBuf)],
    rows: usize,
) -> Result<Batch, Fallback> {
    let mut stream = BatchStream::open(schema, format, root, children, rows)?;
    let mut parts = Vec::new();
    while let Some(raw) = stream.next_batch()? {
        assert!(raw.len() <= rows);
        parts.push(raw.decode(schema)?);
    }
    Ok(concat(schema, parts))
}

fn concat(schema: &Schema, parts: Vec<Batch>) -> Batch {
    let mut out = super::assemble::assemble(schema, Vec::new(), &mut DataErrors::default());
    for part in parts {
        let base: Vec<u32> = out.entities.iter().map(|e| e.len as u32).collect();
        for (e, (dst, src)) in out.entities.iter_mut().zip(part.entities).enumerate() {
            let _ = e;
            for (d, s) in dst.columns.iter_mut().zip(src.columns) {
                match (d, s) {
                    (Column::Int(d), Column::Int(s)) => d.extend(s),
                    (Column::Bool(d), Column::Bool(s)) => d.extend(s),
                    (Column::Text(d), Column::Text(s)) => d.extend(s),
                    (Column::Enum(d), Column::Enum(s)) => d.extend(s),
                    (Column::Date(d), Column::Date(s)) => d.extend(s),
                    _ => panic!("column kinds differ"),
                }
            }
            for (d, s) in dst.children.iter_mut().zip(src.children) {
                let child_base = base[1];
                d.0.extend(s.0.iter().skip(1).map(|o| o + child_base));
            }
            dst.keys.extend(src.keys);
            dst.source_rows.extend(src.source_rows);
            dst.len += src.len;
        }
    }
    out
}

#[test]
fn streamed_csv_equals_the_whole_file_read_however_it_is_cut() {
    let dir = tempfile::tempdir().unwrap();
    let (h, m) = population(100);
    let root = write(dir.path(), "h.csv", &h);
    let children = vec![("members".to_owned(), write(dir.path(), "m.csv", &m))];
    let whole = read_csv(&schema(), &root, &children).unwrap();
    for rows in [1, 2, 7, 64, 100, 1000] {
        let s = streamed(&schema(), DataFormat::Csv, &root, &children, rows).unwrap();
        assert_eq!(s, whole, "batches of {rows}");
    }
}

#[test]
fn keys_numbered_without_leading_zeros_stream() {
    let dir = tempfile::tempdir().unwrap();
    let root = write(dir.path(), "h.csv", "id,size\nh8,1\nh9,1\nh10,1\nh11,1\n");
    let m = "household_id,income\nh8,1\nh9,1\nh10,1\nh11,1\n";
    let children = vec![("members".to_owned(), write(dir.path(), "m.csv", m))];
    let whole = read_csv(&schema(), &root, &children).unwrap();
    let s = streamed(&schema(), DataFormat::Csv, &root, &children, 2).unwrap();
    assert_eq!(s, whole);
    // Mixing the two orders is not increasing in either: read whole.
    let root = write(dir.path(), "h2.csv", "id,size\nh8,1\nh10,1\nh9,1\n");
    let m = "household_id,income\nh8,1\nh10,1\nh9,1\n";
    let children = vec![("members".to_owned(), write(dir.path(), "m2.csv", m))];
    assert!(streamed(&schema(), DataFormat::Csv, &root, &children, 2).is_err());
}

#[test]
fn streamed_parquet_equals_the_whole_file_read() {
    use crate::parquet_out::{OutBuilder, OutColumn, OutKind, ParquetOut};
    let dir = tempfile::tempdir().unwrap();
    let hc = [
        OutColumn::new("id", OutKind::Text),
        OutColumn::new("size", OutKind::Int),
    ];
    let mc = [
        OutColumn::new("household_id", OutKind::Text),
        OutColumn::new("income", OutKind::Decimal(2)),
    ];
    let root = dir.path().join("h.parquet");
    let members = dir.path().join("m.parquet");
    let mut ho = ParquetOut::new(std::fs::File::create(&root).unwrap(), &hc).unwrap();
    let mut mo = ParquetOut::new(std::fs::File::create(&members).unwrap(), &mc).unwrap();
    for group in 0..3 {
        let (mut hb, mut mb) = (OutBuilder::new(&hc, 10), OutBuilder::new(&mc, 30));
        for i in group * 10..group * 10 + 10 {
            hb.text(0, Some(&format!("h{i:04}")));
            hb.int(1, Some(1 + (i % 3) as i64));
            for j in 0..1 + i % 3 {
                mb.text(0, Some(&format!("h{i:04}")));
                mb.int(1, Some((i * 100 + j) as i64));
            }
        }
        ho.write(&hb.finish().unwrap()).unwrap();
        mo.write(&mb.finish().unwrap()).unwrap();
    }
    ho.finish().unwrap();
    mo.finish().unwrap();
    let children = vec![("members".to_owned(), members)];
    let whole = read_parquet(&schema(), &root, &children).unwrap();
    assert_eq!(whole.root_len(), 30);
    let flags = whole.entities[0].bool(FieldId(2)).unwrap();
    assert!(
        flags.iter().all(|f| *f == 0),
        "defaults fill the absent column"
    );
    // 1.23 元 as Decimal128(_, 2) is 12300 in 0.0001 元.
    assert_eq!(whole.entities[1].int(FieldId(0)).unwrap()[1], 10_000);
    for rows in [4, 10, 64] {
        let s = streamed(&schema(), DataFormat::Parquet, &root, &children, rows).unwrap();
        assert_eq!(s, whole, "batches of {rows}");
    }
}

#[test]
fn data_the_stream_cannot_take_falls_back_and_is_reported_whole() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema();
    // (households, members, words in the fallback's reason, first error and its row)
    type Case<'a> = (&'a str, &'a str, &'a str, Option<(&'a str, u32)>);
    let cases: &[Case] = &[
        // A duplicate key in a later batch: reported at its own line.
        (
            "id,size\nh1,1\nh2,1\nh3,1\nh3,1\n",
            "household_id,income\nh1,1\nh2,1\nh3,1\n",
            "order",
            Some(("bylaw::data::duplicate_key", 5)),
        ),
        // Members out of household order: read whole, no error.
        (
            "id,size\nh1,1\nh2,1\nh3,1\n",
            "household_id,income\nh3,1\nh1,1\nh2,1\n",
            "",
            None,
        ),
        // Keys not sorted: read whole, no error.
        (
            "id,size\nh2,1\nh1,1\n",
            "household_id,income\nh2,1\nh1,1\n",
            "order",
            None,
        ),
        // A member of no household, between two batches' keys.
        (
            "id,size\nh1,1\nh3,1\n",
            "household_id,income\nh1,1\nh2,1\nh3,1\n",
            "",
            Some(("bylaw::data::unknown_parent", 3)),
        ),
        // A malformed cell in a late row.
        (
            "id,size\nh1,1\nh2,1\nh3,x\n",
            "household_id,income\nh1,1\nh2,1\nh3,1\n",
            "malformed",
            Some(("bylaw::data::bad_number", 4)),
        ),
        // A household without members.
        (
            "id,size\nh1,1\nh2,1\nh3,1\n",
            "household_id,income\nh1,1\nh3,1\n",
            "",
            Some(("bylaw::data::too_few_children", 3)),
        ),
    ];
    for (i, (h, m, why, error)) in cases.iter().enumerate() {
        let root = write(dir.path(), &format!("h{i}.csv"), h);
        let children = vec![(
            "members".to_owned(),
            write(dir.path(), &format!("m{i}.csv"), m),
        )];
        let fell_back = streamed(&s, DataFormat::Csv, &root, &children, 2).unwrap_err();
        assert!(fell_back.0.contains(why), "case {i}: {fell_back}");
        match (read_csv(&s, &root, &children), error) {
            (Ok(_), None) => {}
            (Err(e), Some((code, row))) => {
                let first = &e.errors[0];
                assert_eq!(
                    (first.code(), first.row),
                    (*code, Some(*row)),
                    "case {i}: {first}"
                );
            }
            (r, _) => panic!("case {i}: {:?}", r.err()),
        }
    }
}

/// Writes one Parquet file of `columns`.
fn parquet_file(dir: &Path, name: &str, columns: Vec<(&str, ArrayRef)>) -> PathBuf {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let path = dir.join(name);
    let mut w = parquet::arrow::ArrowWriter::try_new(
        std::fs::File::create(&path).unwrap(),
        batch.schema(),
        None,
    )
    .unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    path
}

#[test]
fn malformed_parquet_is_located_with_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let s = schema();
    let ids = || Arc::new(StringArray::from(vec!["h1", "h2"])) as ArrayRef;
    let members = parquet_file(
        dir.path(),
        "m.parquet",
        vec![
            ("household_id", ids()),
            ("income", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        ],
    );
    let children = vec![("members".to_owned(), members.clone())];
    let check =
        |root: &Path, children: &[(String, PathBuf)], code: &str, row, column: &str, help: &str| {
            let e = read_parquet(&s, root, children).unwrap_err();
            let first = &e.errors[0];
            assert_eq!(first.code(), code, "{first}");
            assert_eq!(first.row, row, "{first}");
            assert_eq!(first.column.as_deref(), Some(column), "{first}");
            let h = first.help.clone().unwrap_or_default();
            assert!(h.contains(help), "{first}: {h}");
            assert!(
                streamed(&s, DataFormat::Parquet, root, children, 10).is_err(),
                "the stream must not accept it"
            );
        };
    // Wrong column type: a float where a count is due.
    let root = parquet_file(
        dir.path(),
        "float.parquet",
        vec![
            ("id", ids()),
            (
                "size",
                Arc::new(Float64Array::from(vec![1.0, 2.5])) as ArrayRef,
            ),
        ],
    );
    check(
        &root,
        &children,
        "bylaw::data::bad_number",
        None,
        "size",
        "floating point",
    );
    // Wrong column type: a boolean where a count is due.
    let root = parquet_file(
        dir.path(),
        "bool.parquet",
        vec![
            ("id", ids()),
            (
                "size",
                Arc::new(BooleanArray::from(vec![true, false])) as ArrayRef,
            ),
        ],
    );
    check(
        &root,
        &children,
        "bylaw::data::malformed_file",
        None,
        "size",
        "store `size` as",
    );
    // A missing column.
    let root = parquet_file(dir.path(), "missing.parquet", vec![("id", ids())]);
    check(
        &root,
        &children,
        "bylaw::data::missing_column",
        None,
        "size",
        "add a column `size`",
    );
    // A null in a required column: row 2 (the second record).
    let root = parquet_file(
        dir.path(),
        "null.parquet",
        vec![
            ("id", ids()),
            (
                "size",
                Arc::new(Int64Array::from(vec![Some(1), None])) as ArrayRef,
            ),
        ],
    );
    check(
        &root,
        &children,
        "bylaw::data::missing_value",
        Some(2),
        "size",
        "fill in `size`",
    );
    // Text that is not a number, in a text column: located like a CSV cell.
    let root = parquet_file(
        dir.path(),
        "text.parquet",
        vec![
            ("id", ids()),
            (
                "size",
                Arc::new(StringArray::from(vec!["1", "two"])) as ArrayRef,
            ),
        ],
    );
    check(
        &root,
        &children,
        "bylaw::data::bad_number",
        Some(2),
        "size",
        "whole number",
    );
    // A repeated column: refused as in CSV, not read as its last copy.
    let size = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
    let root = parquet_file(
        dir.path(),
        "twice.parquet",
        vec![
            ("id", ids()),
            ("size", size(vec![1, 2])),
            ("size", size(vec![3, 4])),
        ],
    );
    check(
        &root,
        &children,
        "bylaw::data::malformed_file",
        None,
        "size",
        "keep one column per field",
    );
    // Not a Parquet file at all.
    let root = write(dir.path(), "fake.parquet", "id,size\nh1,1\n");
    let e = read_parquet(&s, &root, &children).unwrap_err();
    assert_eq!(e.errors[0].code(), "bylaw::data::malformed_file");
}
