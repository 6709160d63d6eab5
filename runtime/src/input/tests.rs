//! Data tests: every diagnostic kind, from small inline CSV and JSON files.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use super::*;
use crate::batch::{Batch, Column};
use crate::schema::{
    ColumnType, EntityId, EntitySchema, EnumSchema, FieldId, FieldSchema, RelationSchema, Scalar,
    Schema, VariantSchema,
};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn field(name: &str, ty: ColumnType, default: Option<Scalar>) -> FieldSchema {
    FieldSchema {
        name: name.into(),
        label: format!("{name} label"),
        ty,
        default,
        minimum: None,
    }
}

fn schema() -> Schema {
    let region = Arc::new(EnumSchema::new(
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
            VariantSchema {
                name: "nansha".into(),
                label: "南沙区".into(),
                code: Some("440115".into()),
            },
        ],
    ));
    Schema {
        root: EntityId(0),
        entities: vec![
            EntitySchema {
                name: "household".into(),
                label: "家庭".into(),
                key: Some(FieldId(0)),
                fields: vec![
                    field("id", ColumnType::Text, None),
                    field("city", ColumnType::Enum(region), None),
                    field("residence", ColumnType::Months, None),
                    field("owns_car", ColumnType::Bool, Some(Scalar::Bool(false))),
                    field("applied", ColumnType::Date, Some(Scalar::Date(0))),
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
                label: "家庭成员".into(),
                key: None,
                fields: vec![
                    field("income", ColumnType::Money, None),
                    field("share", ColumnType::Rate, Some(Scalar::Int(0))),
                    field("weight", ColumnType::Decimal, Some(Scalar::Int(1_000_000))),
                ],
                relations: vec![],
                parent: Some(EntityId(0)),
                dated: None,
            },
        ],
    }
}

struct Files {
    dir: tempfile::TempDir,
}

impl Files {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn write(&self, name: &str, content: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, content).unwrap();
        p
    }

    fn csv(&self, households: &str, members: &str) -> Result<Batch, DataErrors> {
        let h = self.write("households.csv", households.as_bytes());
        let m = self.write("members.csv", members.as_bytes());
        read_csv(&schema(), &h, &[("members".into(), m)])
    }

    fn json(&self, text: &str) -> Result<Batch, DataErrors> {
        let p = self.write("households.json", text.as_bytes());
        read_json(&schema(), &p)
    }
}

const MEMBERS_OK: &str = "household_id,income\nh1,500.00\nh2,300\nh1,0.0001\n";

/// (code, row, column, value) of each error, for compact assertions.
type Summary<'a> = (&'static str, Option<u32>, Option<&'a str>, Option<&'a str>);

fn summary(errors: &DataErrors) -> Vec<Summary<'_>> {
    errors
        .errors
        .iter()
        .map(|e| (e.code(), e.row, e.column.as_deref(), e.value.as_deref()))
        .collect()
}

fn file_name(p: &Path) -> &str {
    p.file_name().and_then(|f| f.to_str()).unwrap()
}

#[test]
fn reads_csv_and_groups_children_by_parent() {
    let f = Files::new();
    let batch = f
        .csv(
            "city,id,residence,owns_car\nguangzhou,h1,24,yes\n440115,h2,3,\n",
            "household_id,income,share\nh2,300,2.5%\nh1,500.50,\nh1,0.0001,1\n",
        )
        .unwrap();
    batch.check(&schema()).unwrap();
    assert_eq!(batch.root_len(), 2);
    let h = &batch.entities[0];
    assert_eq!(h.keys, vec!["h1", "h2"]);
    assert_eq!(h.source_rows, vec![2, 3]);
    assert_eq!(h.enum_codes(FieldId(1)).unwrap(), &[1, 2]);
    assert_eq!(h.int(FieldId(2)).unwrap(), &[24, 3]);
    assert_eq!(h.bool(FieldId(3)).unwrap(), &[1, 0]);
    assert_eq!(h.date(FieldId(4)).unwrap(), &[0, 0]);
    assert_eq!(h.children[0].0, vec![0, 2, 3]);
    let p = &batch.entities[1];
    // h1's members first (in file order), then h2's.
    assert_eq!(p.int(FieldId(0)).unwrap(), &[5_005_000, 1, 3_000_000]);
    assert_eq!(p.int(FieldId(1)).unwrap(), &[0, 10_000, 25_000]);
    assert_eq!(p.int(FieldId(2)).unwrap(), &[1_000_000; 3]);
    assert_eq!(p.source_rows, vec![3, 4, 2]);
    assert_eq!(p.keys, vec!["2", "3", "1"]);
    assert_eq!(h.child_range(0, 1), 2..3);
}

#[test]
fn csv_bom_quotes_and_crlf() {
    let f = Files::new();
    let batch = f
        .csv(
            "\u{feff}id,city,residence\r\n\"h,1\",nansha,1\r\n",
            "household_id,income\r\n\"h,1\",\" 12.5 \"\r\n",
        )
        .unwrap();
    assert_eq!(batch.entities[0].keys, vec!["h,1"]);
    assert_eq!(batch.entities[1].int(FieldId(0)).unwrap(), &[125_000]);
}

#[test]
fn missing_and_extra_columns() {
    let f = Files::new();
    let errs = f
        .csv("id,city,residense\nh1,nansha,2\n", MEMBERS_OK)
        .unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![
            (
                "bylaw::data::extra_column",
                Some(1),
                Some("residense"),
                Some("residense")
            ),
            (
                "bylaw::data::missing_column",
                Some(1),
                Some("residence"),
                None
            ),
            // h2 in members.csv has no household now.
            (
                "bylaw::data::unknown_parent",
                Some(3),
                Some("household_id"),
                Some("h2")
            ),
        ]
    );
    let extra = &errs.errors[0];
    assert_eq!(extra.message, "`household` has no field `residense`");
    assert_eq!(
        extra.help.as_deref(),
        Some(
            "did you mean `residence`? expected columns: `id`, `city`, `residence`, `owns_car`, `applied`"
        )
    );
    assert_eq!(errs.errors[1].message, "missing column `residence`");
    assert_eq!(file_name(&errs.errors[2].file), "members.csv");
    assert_eq!(
        errs.to_string(),
        format!(
            "3 data errors in {}, {}",
            errs.errors[0].file.display(),
            errs.errors[2].file.display()
        )
    );

    let errs = f
        .csv("id,city,residence\nh1,nansha,2\n", "income\n5\n")
        .unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![(
            "bylaw::data::missing_column",
            Some(1),
            Some("household_id"),
            None
        )]
    );
}

#[test]
fn bad_numbers_dates_bools_and_variants() {
    let f = Files::new();
    let errs = f
        .csv(
            "id,city,residence,owns_car,applied\n\
             h1,guangzou,2 years,maybe,2023-02-30\n\
             h2,广州市,2.5,true,2023/01/01\n",
            "household_id,income,share,weight\nh1,\"1,338.50\",2.5,0.5\nh2,0.00001,0.00001%,0.0000001\n",
        )
        .unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![
            (
                "bylaw::data::unknown_variant",
                Some(2),
                Some("city"),
                Some("guangzou")
            ),
            (
                "bylaw::data::bad_number",
                Some(2),
                Some("residence"),
                Some("2 years")
            ),
            (
                "bylaw::data::bad_bool",
                Some(2),
                Some("owns_car"),
                Some("maybe")
            ),
            (
                "bylaw::data::bad_date",
                Some(2),
                Some("applied"),
                Some("2023-02-30")
            ),
            (
                "bylaw::data::unknown_variant",
                Some(3),
                Some("city"),
                Some("广州市")
            ),
            (
                "bylaw::data::bad_number",
                Some(3),
                Some("residence"),
                Some("2.5")
            ),
            (
                "bylaw::data::bad_date",
                Some(3),
                Some("applied"),
                Some("2023/01/01")
            ),
            (
                "bylaw::data::bad_number",
                Some(2),
                Some("income"),
                Some("1,338.50")
            ),
            (
                "bylaw::data::bad_number",
                Some(3),
                Some("income"),
                Some("0.00001")
            ),
            (
                "bylaw::data::bad_number",
                Some(3),
                Some("share"),
                Some("0.00001%")
            ),
            (
                "bylaw::data::bad_number",
                Some(3),
                Some("weight"),
                Some("0.0000001")
            ),
        ]
    );
    let e = &errs.errors[0];
    assert_eq!(e.help.as_deref(), Some("did you mean `guangzhou`?"));
    assert_eq!(
        e.to_string(),
        format!(
            "{}:2: column `city`: `guangzou` is not a variant of `region`",
            e.file.display()
        )
    );
    assert_eq!(errs.errors[8].message, "`0.00001` has more than 4 decimals");
    assert_eq!(
        errs.errors[3].message,
        "`2023-02-30` is not a day in the calendar"
    );
}

#[test]
fn missing_values_use_defaults_or_fail() {
    let f = Files::new();
    let errs = f
        .csv(
            "id,city,residence,owns_car\nh1,,4,\n,nansha,5,\n",
            "household_id,income\nh1,\n,3\n",
        )
        .unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![
            (
                "bylaw::data::missing_value",
                Some(2),
                Some("city"),
                Some("")
            ),
            ("bylaw::data::missing_value", Some(3), Some("id"), Some("")),
            (
                "bylaw::data::missing_value",
                Some(2),
                Some("income"),
                Some("")
            ),
            (
                "bylaw::data::missing_value",
                Some(3),
                Some("household_id"),
                Some("")
            ),
        ]
    );
    assert_eq!(errs.errors[0].message, "missing value");
    assert!(
        errs.errors[0]
            .help
            .as_deref()
            .unwrap()
            .contains("enumeration `region`")
    );
}

#[test]
fn unknown_parent_duplicate_key_and_too_few_children() {
    let f = Files::new();
    let errs = f
        .csv(
            "id,city,residence\nh1,nansha,1\nh2,nansha,1\nh1,nansha,2\nh3,nansha,0\n",
            "household_id,income\nh1,1\nhx,2\nh2,3\n",
        )
        .unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![
            (
                "bylaw::data::duplicate_key",
                Some(4),
                Some("id"),
                Some("h1")
            ),
            (
                "bylaw::data::unknown_parent",
                Some(3),
                Some("household_id"),
                Some("hx")
            ),
            (
                "bylaw::data::too_few_children",
                Some(4),
                Some("members"),
                Some("0")
            ),
            (
                "bylaw::data::too_few_children",
                Some(5),
                Some("members"),
                Some("0")
            ),
        ]
    );
    assert_eq!(
        errs.errors[0].help.as_deref(),
        Some("line 2 has the same key; each `household` needs its own `id`")
    );
    assert_eq!(errs.errors[1].message, "no `household` has the key `hx`");
    assert_eq!(
        errs.errors[3].message,
        "`household` `h3` has 0 `members`, at least 1 required"
    );
    assert_eq!(file_name(&errs.errors[3].file), "households.csv");
}

#[test]
fn malformed_csv_files() {
    let f = Files::new();
    let errs = f.csv("", MEMBERS_OK).unwrap_err();
    assert_eq!(errs.errors[0].code(), "bylaw::data::malformed_file");
    assert_eq!(errs.errors[0].message, "the file is empty");

    let errs = f
        .csv(
            "id,city,residence\nh1,nansha\nh2,nansha,1,extra\n",
            MEMBERS_OK,
        )
        .unwrap_err();
    assert_eq!(
        summary(&errs)[..2],
        [
            ("bylaw::data::malformed_file", Some(2), None, None),
            ("bylaw::data::malformed_file", Some(3), None, None),
        ]
    );
    assert_eq!(errs.errors[0].message, "row has 2 cells, the header has 3");

    let errs = f
        .csv("id,id,city,residence\nh1,h1,nansha,1\n", MEMBERS_OK)
        .unwrap_err();
    assert_eq!(
        summary(&errs)[0],
        ("bylaw::data::malformed_file", Some(1), Some("id"), None)
    );

    let h = f.write("bad.csv", b"id,city,residence\nh\xff1,nansha,1\n");
    let m = f.write("m.csv", b"household_id,income\nh1,1\n");
    let errs = read_csv(&schema(), &h, &[("members".into(), m.clone())]).unwrap_err();
    assert_eq!(
        summary(&errs)[0],
        (
            "bylaw::data::malformed_file",
            Some(2),
            Some("id"),
            Some("h\u{fffd}1")
        )
    );
}

#[test]
fn missing_and_unknown_relation_files() {
    let f = Files::new();
    let h = f.write("h.csv", b"id,city,residence\nh1,nansha,1\n");
    let errs = read_csv(&schema(), &h, &[]).unwrap_err();
    assert_eq!(errs.errors[0].code(), "bylaw::data::missing_file");
    assert_eq!(
        errs.errors[0].message,
        "no file given for `members` (each `household` needs at least 1)"
    );
    let m = f.write("m.csv", b"household_id,income\nh1,1\n");
    let errs = read_csv(
        &schema(),
        &h,
        &[("members".into(), m), ("staff".into(), h.clone())],
    )
    .unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![("bylaw::data::missing_file", None, None, Some("staff"))]
    );
    let errs = read_csv(&schema(), &f.dir.path().join("nope.csv"), &[]).unwrap_err();
    assert_eq!(errs.errors[0].code(), "bylaw::data::io");
}

/// A cause is reported once, not once per row it touches: a missing relation file, a
/// data file without its key column, an unreadable data file.
#[test]
fn a_cause_is_reported_once_without_its_follow_on_errors() {
    let f = Files::new();
    let mut h = String::from("id,city,residence\n");
    let mut keyless = String::from("ident,city,residence\n");
    let mut m = String::from("household_id,income\n");
    for i in 0..300 {
        h.push_str(&format!("h{i},nansha,1\n"));
        keyless.push_str(&format!("h{i},nansha,1\n"));
        m.push_str(&format!("h{i},1\n"));
    }
    let h = f.write("h.csv", h.as_bytes());
    let keyless = f.write("keyless.csv", keyless.as_bytes());
    let m = f.write("m.csv", m.as_bytes());
    // No members file: one error, not one `too_few_children` per household.
    let errs = read_csv(&schema(), &h, &[]).unwrap_err();
    assert_eq!(errs.total(), 1, "{:?}", summary(&errs));
    assert_eq!(errs.errors[0].code(), "bylaw::data::missing_file");
    // The key column misnamed: the header's errors, not one `unknown_parent` per member.
    let errs = read_csv(&schema(), &keyless, &[("members".into(), m.clone())]).unwrap_err();
    let codes: Vec<&str> = errs.errors.iter().map(DataError::code).collect();
    assert!(codes.contains(&"bylaw::data::missing_column"), "{codes:?}");
    assert!(!codes.contains(&"bylaw::data::unknown_parent"), "{codes:?}");
    assert!(errs.total() <= 2, "{codes:?}");
    // An unreadable data file: one error, not also its relation files'.
    let errs = read_csv(&schema(), &f.dir.path().join("nope.csv"), &[]).unwrap_err();
    assert_eq!(errs.total(), 1, "{:?}", summary(&errs));
    assert_eq!(errs.errors[0].code(), "bylaw::data::io");
    // The same data with its members reads.
    assert!(read_csv(&schema(), &h, &[("members".into(), m)]).is_ok());
}

#[test]
fn errors_are_capped_at_fifty() {
    let f = Files::new();
    let mut h = String::from("id,city,residence\n");
    for i in 0..80 {
        h.push_str(&format!("h{i},nowhere,1\n"));
    }
    let mut m = String::from("household_id,income\n");
    for i in 0..80 {
        m.push_str(&format!("h{i},1\n"));
    }
    let errs = f.csv(&h, &m).unwrap_err();
    assert_eq!(errs.errors.len(), MAX_ERRORS);
    assert_eq!(errs.omitted, 30);
    assert_eq!(errs.total(), 80);
    let d: &dyn miette::Diagnostic = &errs;
    assert_eq!(d.related().unwrap().count(), 50);
    assert_eq!(
        d.help().unwrap().to_string(),
        "30 more errors not shown; fix these first"
    );
    assert_eq!(
        miette::Diagnostic::code(&errs.errors[0])
            .unwrap()
            .to_string(),
        "bylaw::data::unknown_variant"
    );
}

#[test]
fn reads_json_exactly() {
    let f = Files::new();
    let batch = f
        .json(
            r#"[
  {"id": "h1", "city": "guangzhou", "residence": 24, "owns_car": true,
   "members": [{"income": "500.00"}, {"income": 0.0001, "share": 2.5}]},
  {"id": 17, "city": 440115, "residence": "3", "applied": "2023-07-01",
   "members": [{"income": 92233720368547.7580, "weight": "0.25"}]}
]"#,
        )
        .unwrap();
    batch.check(&schema()).unwrap();
    let h = &batch.entities[0];
    assert_eq!(h.keys, vec!["h1", "17"]);
    assert_eq!(h.source_rows, vec![2, 4]);
    assert_eq!(h.enum_codes(FieldId(1)).unwrap(), &[1, 2]);
    assert_eq!(h.bool(FieldId(3)).unwrap(), &[1, 0]);
    assert_eq!(h.date(FieldId(4)).unwrap(), &[0, 19_539]);
    assert_eq!(h.children[0].0, vec![0, 2, 3]);
    let p = &batch.entities[1];
    // 92233720368547.7580 would lose digits through f64.
    assert_eq!(
        p.int(FieldId(0)).unwrap(),
        &[5_000_000, 1, 922_337_203_685_477_580]
    );
    assert_eq!(p.int(FieldId(1)).unwrap(), &[0, 25_000, 0]);
    assert_eq!(p.int(FieldId(2)).unwrap(), &[1_000_000, 1_000_000, 250_000]);
    assert_eq!(p.keys, vec!["1", "2", "3"]);
    assert_eq!(p.source_rows, vec![3, 3, 5]);
    assert_eq!(
        batch.entities[1].column(FieldId(0)).map(Column::len),
        Some(3)
    );
}

#[test]
fn json_errors_name_paths_and_lines() {
    let f = Files::new();
    let errs = f
        .json(
            r#"[
  {"id": "h1", "city": "guangzhou", "residence": 24, "member": [],
   "members": [{"income": "500.00"}, {"income": 1e3, "share": "x"}]},
  {"id": "h1", "city": "nowhere", "residence": 2.5, "applied": "2023-13-01", "owns_car": "maybe",
   "members": [{}]},
  {"id": "h3", "city": "nansha", "residence": 1, "members": {}},
  {"id": "h4", "city": null, "residence": 1},
  7
]"#,
        )
        .unwrap_err();
    let got: Vec<_> = errs
        .errors
        .iter()
        .map(|e| (e.code(), e.row, e.json_path.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        got,
        vec![
            ("bylaw::data::extra_column", Some(2), "$[0].member"),
            ("bylaw::data::bad_number", Some(3), "$[0].members[1].income"),
            ("bylaw::data::bad_number", Some(3), "$[0].members[1].share"),
            ("bylaw::data::unknown_variant", Some(4), "$[1].city"),
            ("bylaw::data::bad_number", Some(4), "$[1].residence"),
            ("bylaw::data::bad_bool", Some(4), "$[1].owns_car"),
            ("bylaw::data::bad_date", Some(4), "$[1].applied"),
            (
                "bylaw::data::missing_value",
                Some(5),
                "$[1].members[0].income"
            ),
            ("bylaw::data::malformed_file", Some(6), "$[2].members"),
            ("bylaw::data::missing_value", Some(7), "$[3].city"),
            ("bylaw::data::malformed_file", Some(8), "$[4]"),
            ("bylaw::data::duplicate_key", Some(4), "$[1].id"),
            ("bylaw::data::too_few_children", Some(6), "$[2].members"),
            ("bylaw::data::too_few_children", Some(7), "$[3].members"),
        ]
    );
    assert_eq!(
        errs.errors[0]
            .help
            .as_deref()
            .map(|h| h.starts_with("did you mean `members`?")),
        Some(true)
    );
    assert_eq!(errs.errors[1].message, "`1e3` is not a number");
    assert_eq!(
        errs.errors[7].message,
        "missing value: no property `income`"
    );
    assert_eq!(
        errs.errors[3].to_string(),
        format!(
            "{}:4: at $[1].city: `nowhere` is not a variant of `region`",
            errs.errors[3].file.display()
        )
    );
}

#[test]
fn malformed_json() {
    let f = Files::new();
    let errs = f.json("[\n {\"id\": \"h1\",\n}\n]").unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![("bylaw::data::malformed_file", Some(3), None, None)]
    );
    assert!(errs.errors[0].message.starts_with("invalid JSON: "));
    let errs = f.json("{\"id\": \"h1\"}").unwrap_err();
    assert_eq!(
        errs.errors[0].message,
        "expected an array of `household` objects, found an object"
    );
    let errs = f
        .json(r#"[{"id": "h1", "id": "h2", "city": "nansha", "residence": 1, "members": [{"income": [1]}]}]"#)
        .unwrap_err();
    assert_eq!(
        errs.errors
            .iter()
            .map(|e| (e.code(), e.json_path.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("bylaw::data::malformed_file", Some("$[0].id")),
            (
                "bylaw::data::malformed_file",
                Some("$[0].members[0].income")
            ),
        ]
    );
    let p = f.write("bad.json", b"[\n\"\xff\"]");
    let errs = read_json(&schema(), &p).unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![("bylaw::data::malformed_file", Some(2), None, None)]
    );
    let errs = read_json(&schema(), &f.dir.path().join("nope.json")).unwrap_err();
    assert_eq!(errs.errors[0].code(), "bylaw::data::io");
    assert_eq!(f.json("[]").unwrap().root_len(), 0);
}

#[test]
fn json_nested_past_the_limit_is_one_located_error() {
    let f = Files::new();
    // 100,000 levels used to overflow the stack after seconds of re-parsing.
    let n = 100_000;
    let deep = format!("[\n{}{}]", "[".repeat(n), "]".repeat(n));
    let errs = f.json(&deep).unwrap_err();
    assert_eq!(
        summary(&errs),
        vec![("bylaw::data::malformed_file", Some(2), None, None)]
    );
    assert_eq!(
        errs.errors[0].message,
        format!("arrays and objects are nested more than {MAX_JSON_DEPTH} deep")
    );
    // One level past the limit is refused; at the limit the nesting is not the
    // complaint; brackets inside strings (escaped quotes too) do not count.
    let nested = |d: usize| format!("{}{}", "[".repeat(d), "]".repeat(d));
    let past = f.json(&nested(MAX_JSON_DEPTH + 1)).unwrap_err();
    assert!(past.errors[0].message.contains("nested more than"));
    let at = f.json(&nested(MAX_JSON_DEPTH)).unwrap_err();
    assert!(!at.errors[0].message.contains("nested more than"), "{at:?}");
    let quoted = format!(
        r#"[{{"id": "h1\"{}", "city": "nansha", "residence": 1, "members": [{{"income": 1}}]}}]"#,
        "[".repeat(MAX_JSON_DEPTH * 2)
    );
    assert_eq!(f.json(&quoted).unwrap().root_len(), 1);
}

#[test]
fn long_bad_values_are_echoed_cut() {
    let f = Files::new();
    let long = "9".repeat(1_000_000);
    let city = "x".repeat(1_000_000);
    for (households, column) in [
        (
            format!("id,city,residence\nh1,nansha,{long}\n"),
            "residence",
        ),
        (format!("id,city,residence\nh1,{city},1\n"), "city"),
        (
            format!("id,city,residence,{city}\nh1,nansha,1,2\n"),
            city.as_str(),
        ),
    ] {
        let errs = f.csv(&households, MEMBERS_OK).unwrap_err();
        let first = &errs.errors[0];
        assert_eq!(first.column.as_deref(), Some(column));
        let value = first.value.as_deref().unwrap();
        assert!(value.ends_with("…(1000000 bytes)"), "{value}");
        assert_eq!(
            value.chars().count(),
            SHOWN_CHARS + "…(1000000 bytes)".chars().count()
        );
        assert!(first.message.len() < 200, "{}", first.message);
        assert!(first.help.as_ref().unwrap().len() < 300);
    }
    // Short values are kept whole.
    assert_eq!(shown("12,5"), "12,5");
    assert_eq!(
        shown(&"é".repeat(61)),
        format!("{}…(122 bytes)", "é".repeat(60))
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn never_panics_on_random_bytes(h in proptest::collection::vec(any::<u8>(), 0..200),
                                    m in proptest::collection::vec(any::<u8>(), 0..200)) {
        let f = Files::new();
        let hp = f.write("h.csv", &h);
        let mp = f.write("m.csv", &m);
        let _ = read_csv(&schema(), &hp, &[("members".into(), mp.clone())]);
        let _ = read_json(&schema(), &hp);
    }

    #[test]
    fn never_panics_on_near_valid_text(
        h in "(id|city|residence|owns_car|x)(,(id|city|residence|owns_car|applied|x)){0,4}\n([a-z0-9,.\"%\\-]{0,12}\n){0,4}",
        m in "(household_id|income|share)(,(household_id|income|weight)){0,3}\n([a-z0-9,.\"%\\-]{0,12}\n){0,4}",
        j in "[\\[\\]{}\":,a-z0-9 .\\-]{0,60}",
    ) {
        let f = Files::new();
        let hp = f.write("h.csv", h.as_bytes());
        let mp = f.write("m.csv", m.as_bytes());
        if let Ok(batch) = read_csv(&schema(), &hp, &[("members".into(), mp)]) {
            prop_assert!(batch.check(&schema()).is_ok());
        }
        let jp = f.write("j.json", j.as_bytes());
        if let Ok(batch) = read_json(&schema(), &jp) {
            prop_assert!(batch.check(&schema()).is_ok());
        }
    }
}

#[test]
fn json_text_in_memory_reads_as_a_file_does() {
    let text = r#"[{"id": "h1", "city": "nansha", "residence": 24, "members": [{"income": "500.00"}]},
                  {"id": "h2", "city": "nansha", "residence": "x", "members": [{"income": 1}]}]"#;
    let from_file = Files::new().json(text).unwrap_err();
    let in_memory = read_json_text(&schema(), Path::new("request body"), text).unwrap_err();
    let located = |e: &DataErrors| -> Vec<(&'static str, Option<u32>, Option<String>)> {
        e.errors
            .iter()
            .map(|e| (e.code(), e.row, e.json_path.clone()))
            .collect()
    };
    assert_eq!(located(&in_memory), located(&from_file));
    assert_eq!(
        located(&in_memory),
        [(
            "bylaw::data::bad_number",
            Some(2),
            Some("$[1].residence".into())
        )]
    );
    assert_eq!(in_memory.errors[0].file, Path::new("request body"));
}
