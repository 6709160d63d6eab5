//! Tables in memory: Arrow record batches in, Arrow record batches out
//! (`Run::evaluate_tables`), as the Python package uses them. Every value equals what
//! `bylaw eval` writes to CSV for the same households, errors included, with exact
//! decimal types; members link by `<parent>_id`; bad data is located by table, record
//! and column; and many units of work come back in input order.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::types::{Date32Type, Decimal128Type, Int64Type};
use arrow_array::{Array, ArrayRef, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use bylaw_engine::{BackendKind, DataFiles, Date, OutputFormat, Policy, Run, RunOptions};
use bylaw_runtime::input::ArrowTable;

/// Money, a rate, a count, a date, an enumeration and a yes/no out of households and
/// their members; a household without members divides by zero.
const POLICY: &str = r#"
enum area { city "城区" rural "农村" }
entity household {
  id: text key
  zone_of: area
  applied: date
  members: many person
}
entity person {
  income: money per month
}
let size = count(members)
let per_head = sum(members: income) / size
rule poor "人均收入低" = per_head < 1000 元
amount grant: money per month = if poor then (1000 元 - per_head) * size else 0 元
let share = if poor then 12.5% else 0%
let decided = applied
let zone = zone_of
"#;

const HOUSEHOLDS: [(&str, &str, &str); 5] = [
    ("a", "city", "2024-01-15"),
    ("b", "rural", "2024-02-01"),
    ("c", "city", "2023-12-31"),
    ("d,1", "rural", "2024-03-03"),
    ("e", "city", "2024-01-01"),
];
/// (household, income): `c` has no members.
const MEMBERS: [(&str, &str); 6] = [
    ("a", "999.99"),
    ("a", "0.01"),
    ("b", "3000"),
    ("d,1", "333.3333"),
    ("d,1", "0"),
    ("e", "1000"),
];

fn strings(values: impl IntoIterator<Item = &'static str>) -> ArrayRef {
    Arc::new(StringArray::from_iter_values(values))
}

fn tables() -> (ArrowTable, Vec<(String, ArrowTable)>) {
    let root_schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("zone_of", DataType::Utf8, false),
        Field::new("applied", DataType::Utf8, false),
    ]));
    let root = RecordBatch::try_new(
        root_schema.clone(),
        vec![
            strings(HOUSEHOLDS.iter().map(|h| h.0)),
            strings(HOUSEHOLDS.iter().map(|h| h.1)),
            strings(HOUSEHOLDS.iter().map(|h| h.2)),
        ],
    )
    .unwrap();
    let member_schema = Arc::new(Schema::new(vec![
        Field::new("household_id", DataType::Utf8, false),
        Field::new("income", DataType::Utf8, false),
    ]));
    let members = RecordBatch::try_new(
        member_schema.clone(),
        vec![
            strings(MEMBERS.iter().map(|m| m.0)),
            strings(MEMBERS.iter().map(|m| m.1)),
        ],
    )
    .unwrap();
    (
        ArrowTable {
            name: "households".into(),
            schema: root_schema,
            batches: vec![root],
        },
        vec![(
            "members".into(),
            ArrowTable {
                name: "members".into(),
                schema: member_schema,
                batches: vec![members],
            },
        )],
    )
}

/// What `bylaw eval` writes for the same households, as CSV records.
fn csv_reference(policy: &Policy, backend: BackendKind) -> Vec<csv::StringRecord> {
    let dir = tempfile::tempdir().unwrap();
    let mut households = String::from("id,zone_of,applied\n");
    for (id, area, applied) in HOUSEHOLDS {
        households.push_str(&format!("\"{id}\",{area},{applied}\n"));
    }
    let mut members = String::from("household_id,income\n");
    for (id, income) in MEMBERS {
        members.push_str(&format!("\"{id}\",{income}\n"));
    }
    std::fs::write(dir.path().join("households.csv"), households).unwrap();
    std::fs::write(dir.path().join("members.csv"), members).unwrap();
    let files = DataFiles::new(dir.path().join("households.csv"))
        .with_relation("members", dir.path().join("members.csv"));
    let options = RunOptions {
        backend,
        ..RunOptions::default()
    };
    let run = Run::new(policy, Date::parse("2024-06-01").unwrap(), options).unwrap();
    let mut out = Vec::new();
    run.write_to(&files, &mut out, OutputFormat::Csv, &())
        .unwrap();
    csv::Reader::from_reader(&out[..])
        .records()
        .map(Result::unwrap)
        .collect()
}

/// A cell of `column` at `row` as the CSV writes it (decimals without trailing zeros
/// beyond two places for money, as plain numbers otherwise).
fn cell(column: &ArrayRef, row: usize) -> String {
    if column.is_null(row) {
        return String::new();
    }
    match column.data_type() {
        DataType::Utf8 => column.as_string::<i32>().value(row).to_string(),
        DataType::Boolean => column.as_boolean().value(row).to_string(),
        DataType::Int64 => column.as_primitive::<Int64Type>().value(row).to_string(),
        DataType::Date32 => {
            let days = column.as_primitive::<Date32Type>().value(row);
            Date::from_days(days).to_string()
        }
        DataType::Decimal128(_, scale) => {
            let v = column.as_primitive::<Decimal128Type>().value(row);
            decimal_text(v, u32::try_from(*scale).unwrap())
        }
        other => panic!("unexpected column type {other}"),
    }
}

/// `v / 10^scale` with at least two decimals for whole-fen values and no trailing
/// zeros past them, as the CSV writes money.
fn decimal_text(v: i128, scale: u32) -> String {
    let unit = 10_i128.pow(scale);
    let sign = if v < 0 { "-" } else { "" };
    let (whole, frac) = (v.abs() / unit, v.abs() % unit);
    let mut digits = format!("{frac:0width$}", width = scale as usize);
    while digits.len() > 2 && digits.ends_with('0') {
        digits.pop();
    }
    format!("{sign}{whole}.{digits}")
}

#[test]
fn every_value_equals_the_csv_output_errors_included() {
    let policy = Policy::from_text("grant.bylaw", POLICY).unwrap();
    let (root, relations) = tables();
    for backend in [BackendKind::Interpreter, BackendKind::Jit] {
        let options = RunOptions {
            backend,
            ..RunOptions::default()
        };
        let run = Run::new(&policy, Date::parse("2024-06-01").unwrap(), options).unwrap();
        let result = run.evaluate_tables(&root, &relations, &()).unwrap();
        let names: Vec<&str> = result
            .schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .collect();
        assert_eq!(
            names,
            [
                "id",
                "error",
                "error_in",
                "error_detail",
                "size",
                "per_head",
                "poor",
                "grant",
                "share",
                "decided",
                "zone"
            ]
        );
        let types: Vec<&DataType> = result
            .schema
            .fields()
            .iter()
            .map(|f| f.data_type())
            .collect();
        assert_eq!(types[4], &DataType::Int64);
        assert_eq!(types[5], &DataType::Decimal128(19, 4), "money is exact");
        assert_eq!(types[8], &DataType::Decimal128(19, 4), "rates in percent");
        assert_eq!(types[9], &DataType::Date32);
        assert_eq!(types[10], &DataType::Utf8);
        assert_eq!(
            result
                .schema
                .field(7)
                .metadata()
                .get(bylaw_engine::TYPE_KEY),
            Some(&"money per month".to_string())
        );
        let reference = csv_reference(&policy, backend);
        let rows: usize = result.batches.iter().map(RecordBatch::num_rows).sum();
        assert_eq!(rows, reference.len());
        let batch = arrow_select_concat(&result.batches);
        for (row, want) in reference.iter().enumerate() {
            // The CSV has id, error, error_in, then the outputs; the table adds
            // error_detail after error_in.
            let got: Vec<String> = (0..batch.num_columns())
                .filter(|c| *c != 3)
                .map(|c| cell(batch.column(c), row))
                .collect();
            let want: Vec<String> = want
                .iter()
                .map(|w| match w.parse::<f64>() {
                    // Compare numbers by their exact text at the CSV's precision.
                    Ok(_) if w.contains('.') => w.to_string(),
                    _ => w.to_string(),
                })
                .collect();
            assert_eq!(
                normalise(&got),
                normalise(&want),
                "{backend}: household {row}"
            );
        }
        let detail = batch.column(3).as_string::<i32>();
        assert!(detail.is_null(0));
        assert!(
            detail.value(2).contains("zero"),
            "c has no members: {}",
            detail.value(2)
        );
    }
}

/// Numbers compared as exact decimals: `12.5` and `12.50` are the same value.
fn normalise(cells: &[String]) -> Vec<String> {
    cells
        .iter()
        .map(|c| match c.split_once('.') {
            Some((whole, frac))
                if whole
                    .trim_start_matches('-')
                    .bytes()
                    .all(|b| b.is_ascii_digit())
                    && frac.bytes().all(|b| b.is_ascii_digit()) =>
            {
                let frac = frac.trim_end_matches('0');
                if frac.is_empty() {
                    whole.to_string()
                } else {
                    format!("{whole}.{frac}")
                }
            }
            _ => c.clone(),
        })
        .collect()
}

/// The batches as one (the test data are small).
fn arrow_select_concat(batches: &[RecordBatch]) -> RecordBatch {
    assert_eq!(batches.len(), 1, "five households make one unit of work");
    batches[0].clone()
}

#[test]
fn units_of_work_come_back_in_input_order() {
    let policy = Policy::from_text("grant.bylaw", POLICY).unwrap();
    let n: usize = 10_000;
    let ids: Vec<String> = (0..n).map(|i| format!("h{i}")).collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("id", DataType::Utf8, false),
        Field::new("zone_of", DataType::Utf8, false),
        Field::new("applied", DataType::Utf8, false),
    ]));
    let root = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(&ids)),
            Arc::new(StringArray::from_iter_values((0..n).map(|_| "city"))),
            Arc::new(StringArray::from_iter_values((0..n).map(|_| "2024-01-01"))),
        ],
    )
    .unwrap();
    let member_schema = Arc::new(Schema::new(vec![
        Field::new("household_id", DataType::Utf8, false),
        Field::new("income", DataType::Utf8, false),
    ]));
    let incomes: Vec<String> = (0..n).map(|i| format!("{}", i % 2000)).collect();
    let members = RecordBatch::try_new(
        member_schema.clone(),
        vec![
            Arc::new(StringArray::from_iter_values(&ids)),
            Arc::new(StringArray::from_iter_values(&incomes)),
        ],
    )
    .unwrap();
    let options = RunOptions {
        threads: Some(3),
        batch_rows: 997,
        ..RunOptions::default()
    };
    let run = Run::new(&policy, Date::parse("2024-06-01").unwrap(), options).unwrap();
    let result = run
        .evaluate_tables(
            &ArrowTable {
                name: "households".into(),
                schema,
                batches: vec![root],
            },
            &[(
                "members".into(),
                ArrowTable {
                    name: "members".into(),
                    schema: member_schema,
                    batches: vec![members],
                },
            )],
            &(),
        )
        .unwrap();
    assert_eq!(result.batches.len(), n.div_ceil(997));
    let mut row = 0;
    for batch in &result.batches {
        let keys = batch.column(0).as_string::<i32>();
        let grants = batch.column(7).as_primitive::<Decimal128Type>();
        for i in 0..batch.num_rows() {
            assert_eq!(keys.value(i), format!("h{row}"));
            let income = i128::from(row as i32 % 2000);
            let want = if income < 1000 {
                (1000 - income) * 10_000
            } else {
                0
            };
            assert_eq!(grants.value(i), want, "household h{row}");
            row += 1;
        }
    }
    assert_eq!(row, n);
    assert_eq!(result.report.summary.households(), n as u64);
}

#[test]
fn bad_data_is_located_by_table_record_and_column() {
    let policy = Policy::from_text("grant.bylaw", POLICY).unwrap();
    let (root, mut relations) = tables();
    let member = &mut relations[0].1;
    member.batches = vec![
        RecordBatch::try_new(
            member.schema.clone(),
            vec![strings(["a", "zz"]), strings(["12.5", "1,000"])],
        )
        .unwrap(),
    ];
    let run = Run::new(
        &policy,
        Date::parse("2024-06-01").unwrap(),
        RunOptions::default(),
    )
    .unwrap();
    let Err(bylaw_engine::RunError::Data(errors)) = run.evaluate_tables(&root, &relations, &())
    else {
        panic!("bad members must be refused");
    };
    let found: Vec<(String, Option<u32>, Option<String>)> = errors
        .errors
        .iter()
        .map(|e| (e.file.display().to_string(), e.row, e.column.clone()))
        .collect();
    assert!(
        found.contains(&("members".into(), Some(2), Some("income".into()))),
        "{found:?}"
    );
}
