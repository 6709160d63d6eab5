//! CSV reading beyond the small cases: children out of parent order and across the
//! reader's chunks, parents with duplicate or unsorted keys, and three levels.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use super::*;
use crate::batch::Batch;
use crate::schema::{
    ColumnType, EntityId, EntitySchema, FieldId, FieldSchema, RelationSchema, Schema,
};
use std::fmt::Write as _;
use std::path::PathBuf;

fn field(name: &str, ty: ColumnType) -> FieldSchema {
    FieldSchema {
        name: name.into(),
        label: name.into(),
        ty,
        default: None,
        minimum: None,
    }
}

/// household (key `id`) → members: person (key `pid`) → items: item (no key).
fn schema() -> Schema {
    Schema {
        root: EntityId(0),
        entities: vec![
            EntitySchema {
                name: "household".into(),
                label: String::new(),
                key: Some(FieldId(0)),
                fields: vec![
                    field("id", ColumnType::Text),
                    field("size", ColumnType::Count),
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
                key: Some(FieldId(0)),
                fields: vec![
                    field("pid", ColumnType::Text),
                    field("income", ColumnType::Money),
                ],
                relations: vec![RelationSchema {
                    name: "items".into(),
                    child: EntityId(2),
                    at_least: 0,
                }],
                parent: Some(EntityId(0)),
                dated: None,
            },
            EntitySchema {
                name: "item".into(),
                label: String::new(),
                key: None,
                fields: vec![field("amount", ColumnType::Count)],
                relations: vec![],
                parent: Some(EntityId(1)),
                dated: None,
            },
        ],
    }
}

fn read(h: &str, m: &str, i: &str) -> Result<Batch, DataErrors> {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str, text: &str| -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let (h, m, i) = (path("h.csv", h), path("m.csv", m), path("i.csv", i));
    read_csv(&schema(), &h, &[("members".into(), m), ("items".into(), i)])
}

fn codes(errors: &DataErrors) -> Vec<(&'static str, Option<u32>)> {
    errors.errors.iter().map(|e| (e.code(), e.row)).collect()
}

/// 3000 households listed in reverse key order; their members interleaved (member `j`
/// belongs to household `j * 7 % 3000`), so every chunk of the reader holds children of
/// many parents and the columns must be permuted.
#[test]
fn children_in_any_order_across_chunks() {
    let n: usize = 3000;
    let mut h = String::from("id,size\n");
    for k in (0..n).rev() {
        writeln!(h, "h{k:05},{}", k % 5).unwrap();
    }
    let mut m = String::from("household_id,pid,income\n");
    let mut i = String::from("person_id,amount\n");
    // (household, line, income) of each member, in file order.
    let mut members = Vec::new();
    for j in 0..2 * n {
        let hh = j * 7 % n;
        writeln!(m, "h{hh:05},p{j},{j}.5").unwrap();
        members.push((hh, j + 2, j));
        if j.is_multiple_of(3) {
            writeln!(i, "p{j},{j}").unwrap();
        }
    }
    let batch = read(&h, &m, &i).unwrap();
    batch.check(&schema()).unwrap();
    let hh = &batch.entities[0];
    assert_eq!(hh.len, n);
    assert_eq!(hh.keys[0], format!("h{:05}", n - 1));
    // Members grouped by household in household (file) order, file order within.
    let mut expected: Vec<(usize, usize, usize)> = members.clone();
    expected.sort_by_key(|(hh, _, _)| n - 1 - hh);
    let p = &batch.entities[1];
    assert_eq!(
        p.source_rows,
        expected.iter().map(|e| e.1 as u32).collect::<Vec<_>>()
    );
    assert_eq!(
        p.int(FieldId(1)).unwrap(),
        expected
            .iter()
            .map(|e| e.2 as i64 * 10_000 + 5_000)
            .collect::<Vec<_>>()
    );
    assert_eq!(p.keys[0], format!("p{}", expected[0].2));
    for row in 0..n {
        let k: usize = hh.keys[row][1..].parse().unwrap();
        for c in hh.child_range(0, row) {
            assert_eq!(expected[c].0, k);
        }
        assert_eq!(hh.children[0].count(row), 2);
    }
    // Items follow their person's final position; keys are record numbers.
    let items = &batch.entities[2];
    assert_eq!(items.len, 2 * n / 3);
    for (prow, pkey) in p.keys.iter().enumerate() {
        let j: usize = pkey[1..].parse().unwrap();
        let range = p.child_range(0, prow);
        if j.is_multiple_of(3) {
            assert_eq!(range.len(), 1);
            assert_eq!(items.int(FieldId(0)).unwrap()[range.start], j as i64);
            assert_eq!(items.keys[range.start], (j / 3 + 1).to_string());
        } else {
            assert!(range.is_empty());
        }
    }
}

/// Errors around the reader's chunk boundaries keep file order, and unknown parents
/// come after the file's other errors.
#[test]
fn errors_across_chunks_keep_file_order() {
    let mut h = String::from("id,size\n");
    for k in 0..2000 {
        writeln!(h, "h{k:05},1").unwrap();
    }
    let mut m = String::from("household_id,pid,income\n");
    for j in 0..2100 {
        match j {
            1023 => m.push_str("h00001,short\n"),
            1024 => writeln!(m, "nowhere,p{j},1").unwrap(),
            1025 => writeln!(m, "h00002,p{j},x").unwrap(),
            2099 => writeln!(m, ",p{j},1").unwrap(),
            _ => writeln!(m, "h{:05},p{j},1", j % 2000).unwrap(),
        }
    }
    let errs = read(&h, &m, "person_id,amount\n").unwrap_err();
    // Line = record + 2 (header, 1-based).
    assert_eq!(
        codes(&errs),
        vec![
            ("bylaw::data::malformed_file", Some(1025)),
            ("bylaw::data::bad_number", Some(1027)),
            ("bylaw::data::missing_value", Some(2101)),
            ("bylaw::data::unknown_parent", Some(1026)),
            // h01023, h01024 and h01025 lost their only member.
            ("bylaw::data::too_few_children", Some(1025)),
            ("bylaw::data::too_few_children", Some(1026)),
            ("bylaw::data::too_few_children", Some(1027)),
        ]
    );
}

/// Duplicate and unsorted parent keys: children link to the first row with their key.
#[test]
fn duplicate_and_unsorted_parent_keys() {
    let errs = read(
        "id,size\nh2,1\nh1,1\nh2,1\nh3,1\n",
        "household_id,pid,income\nh2,a,1\nh1,b,1\nh2,c,1\nh3,d,1\nh3,e,1\n",
        "person_id,amount\n",
    )
    .unwrap_err();
    assert_eq!(
        codes(&errs),
        vec![
            ("bylaw::data::duplicate_key", Some(4)),
            ("bylaw::data::too_few_children", Some(4)),
        ]
    );
    assert_eq!(
        errs.errors[0].help.as_deref(),
        Some("line 2 has the same key; each `household` needs its own `id`")
    );
    // Sorted but repeated: not mistaken for unique.
    let errs = read(
        "id,size\nh1,1\nh1,1\nh2,1\n",
        "household_id,pid,income\nh1,a,1\nh1,b,1\nh2,c,1\n",
        "person_id,amount\n",
    )
    .unwrap_err();
    assert_eq!(
        codes(&errs),
        vec![
            ("bylaw::data::duplicate_key", Some(3)),
            ("bylaw::data::too_few_children", Some(3)),
        ]
    );
}

/// A person without a household is left out, with its items: they are reported as
/// having no parent, and its key does not count as a duplicate.
#[test]
fn grandchildren_of_dropped_rows() {
    let errs = read(
        "id,size\nh1,1\n",
        "household_id,pid,income\nh1,a,1\nhx,b,1\nh1,b,2\n",
        "person_id,amount\na,1\nb,2\n",
    )
    .unwrap_err();
    assert_eq!(codes(&errs), vec![("bylaw::data::unknown_parent", Some(3))]);
    let batch = read(
        "id,size\nh1,1\n",
        "household_id,pid,income\nh1,a,1\nh1,b,2\n",
        "person_id,amount\nb,2\na,1\nb,3\n",
    )
    .unwrap();
    batch.check(&schema()).unwrap();
    let items = &batch.entities[2];
    assert_eq!(items.int(FieldId(0)).unwrap(), &[1, 2, 3]);
    assert_eq!(items.keys, vec!["2", "1", "3"]);
    assert_eq!(batch.entities[1].children[0].0, vec![0, 1, 3]);
}
