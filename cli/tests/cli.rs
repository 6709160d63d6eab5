//! The `bylaw` binary run as a user runs it: exit codes, messages and files.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn bylaw(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

const NANSHA: &str = "policies/guangdong/nansha_nonlocal_dibao.bylaw";
const DIBAO: &str = "policies/guangdong/dibao.bylaw";

#[test]
fn check_accepts_every_bundled_policy() {
    let o = bylaw(&["check", NANSHA, DIBAO, "policies/regions.bylaw"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("ok: policies/guangdong/nansha_nonlocal_dibao.bylaw"));
}

#[test]
fn check_reports_a_unit_error_with_location_and_code() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.bylaw");
    std::fs::write(&file, "entity household { id: text key  income: money per month }\nrule poor \"贫困\" = income < 24\n").unwrap();
    let o = bylaw(&["check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("E0004"), "{err}");
    assert!(
        err.contains("cannot compare `money per month` with `count`"),
        "{err}"
    );
    assert!(err.contains("bad.bylaw:2:"), "{err}");
    assert!(err.contains("24 元"), "the hint shows the fix: {err}");
}

#[test]
fn check_json_format_is_one_object_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.bylaw");
    std::fs::write(
        &file,
        "entity household { id: text key }\nrule r = unknwn\n",
    )
    .unwrap();
    let o = bylaw(&["--error-format", "json", "check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let line = stderr(&o).lines().next().unwrap().to_string();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["code"], "E0002");
    assert_eq!(v["primary"]["line"], 2);
    assert_eq!(v["primary"]["column"], 10);
}

#[test]
fn check_with_a_date_warns_about_missing_parameter_values() {
    let o = bylaw(&["check", NANSHA, "--date", "2020-01-01"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stderr(&o).contains("E0016"), "{}", stderr(&o));
}

#[test]
fn fmt_check_passes_on_bundled_policies_and_fmt_is_idempotent() {
    let o = bylaw(&["fmt", "--check", NANSHA, DIBAO]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("messy.bylaw");
    std::fs::write(
        &file,
        "# keep me\nentity household{id:text key   x:count}\nrule   big \"大\"=x>3 and x<10\n",
    )
    .unwrap();
    let o = bylaw(&["fmt", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let once = std::fs::read_to_string(&file).unwrap();
    assert!(once.contains("# keep me"));
    assert!(
        once.contains("rule big \"大\"\n  = x > 3 and x < 10\n"),
        "{once}"
    );
    let o = bylaw(&["fmt", "--check", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn test_runs_every_policy_test() {
    let o = bylaw(&["test"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.trim_end().ends_with(" passed, 0 failed"), "{out}");
}

#[test]
fn test_shows_expected_and_actual_on_failure() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.bylaw");
    std::fs::write(
        &file,
        "entity household { id: text key  x: money }\namount y: money = x * 2\ntest \"double\" at 2023-01-01 {\n  household { x: 1.005 元 }\n  expect y = 2.00 元\n}\n",
    )
    .unwrap();
    let o = bylaw(&["test", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(err.contains("expected 2.00 元, got 2.01 元"), "{err}");
    assert!(stdout(&o).contains("0 passed, 1 failed"));
}

fn synth(dir: &Path, n: &str, seed: &str) {
    let o = bylaw(&[
        "synth",
        "--households",
        n,
        "--seed",
        seed,
        "-o",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn synth_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    synth(a.path(), "500", "7");
    synth(b.path(), "500", "7");
    for f in ["households.csv", "members.csv"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap()
        );
    }
}

#[test]
fn eval_writes_one_row_per_household_and_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "2000", "3");
    let out = dir.path().join("out.csv");
    let data = dir.path().join("households.csv");
    let o = bylaw(&[
        "eval",
        DIBAO,
        data.to_str().unwrap(),
        "--date",
        "2023-08",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("id,error,error_in,"), "{header}");
    assert!(header.contains("eligible") && header.contains("benefit"));
    assert_eq!(lines.count(), 2000);
    let err = stderr(&o);
    assert!(err.contains("2000 households"), "{err}");
    assert!(err.contains("benefit"), "{err}");
}

#[test]
fn eval_with_a_scenario_changes_the_outcome() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "3000", "5");
    let data = dir.path().join("households.csv");
    let base = dir.path().join("base.csv");
    let what_if = dir.path().join("what_if.csv");
    let o = bylaw(&[
        "eval",
        DIBAO,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        base.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = bylaw(&[
        "eval",
        DIBAO,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        what_if.to_str().unwrap(),
        "-q",
        "--scenario",
        "examples/scenarios/higher_guangzhou_standard.bylaw",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_ne!(
        std::fs::read(&base).unwrap(),
        std::fs::read(&what_if).unwrap()
    );
}

#[test]
fn eval_refuses_bad_data_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("households.csv");
    std::fs::write(&data, "id,city,hukou,residence\nh1,guangzou,local,12\n").unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        "household_id,income,age\nh1,12.5,40\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let o = bylaw(&[
        "eval",
        NANSHA,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("households.csv:2"), "{err}");
    assert!(err.contains("guangzhou"), "did-you-mean hint: {err}");
    assert!(!out.exists(), "no partial output");
}

#[test]
fn eval_reports_per_household_errors_and_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("households.csv");
    std::fs::write(
        &data,
        "id,city,hukou,residence\nh1,guangzhou,local,12\nh2,shenzhen,local,12\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        "household_id,income,age\nh1,500,40\nh2,500,40\n",
    )
    .unwrap();
    let out = dir.path().join("out.csv");
    let o = bylaw(&[
        "eval",
        NANSHA,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.lines().any(|l| l.starts_with("h2,missing_value,")),
        "{text}"
    );
    assert!(text.lines().any(|l| l.starts_with("h1,,,")), "{text}");
    assert!(stderr(&o).contains("1 failed"), "{}", stderr(&o));
}

#[test]
fn bad_arguments_are_explained() {
    let o = bylaw(&["eval", NANSHA, "x.csv", "--date", "2023-13-01"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("YYYY-MM-DD"), "{}", stderr(&o));
    // No rounds or no threads would measure nothing: refused before any work.
    for flag in ["--reps", "--threads"] {
        let o = bylaw(&["bench", NANSHA, "x.csv", flag, "0"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(stderr(&o).contains("not in 1.."), "{}", stderr(&o));
    }
    let o = bylaw(&["explain-code", "E0004"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("comparison"));
    let o = bylaw(&["explain-code", "E9999"]);
    assert_eq!(o.status.code(), Some(2));
    let o = bylaw(&[
        "eval",
        "policies/regions.bylaw",
        "x.csv",
        "--date",
        "2023-08-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("declares no entity"), "{}", stderr(&o));
}

#[test]
fn eval_reads_json_and_writes_json_with_exact_money() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("households.json");
    std::fs::write(
        &data,
        r#"[
  {"id": "j1", "city": "guangzhou", "hukou": "local", "residence": 30,
   "members": [{"income": "500.00", "age": 40}, {"income": 100.005, "age": 12}]},
  {"id": "j2", "city": "440300", "hukou": "other_city", "residence": 3,
   "members": [{"income": "0", "age": 70, "disabled": true}]}
]"#,
    )
    .unwrap();
    let out = dir.path().join("out.json");
    let o = bylaw(&[
        "eval",
        DIBAO,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["id"], "j1");
    assert_eq!(rows[0]["per_capita_income"], "300.0025");
    assert_eq!(rows[0]["eligible"], true);
    // (1338 − 300.0025) × 2 = 2075.995, rounded half up to the fen.
    assert_eq!(rows[0]["benefit"], "2076.00");
    assert_eq!(rows[1]["id"], "j2");
    assert!(rows[1]["error"].is_null(), "{}", rows[1]);
}

#[test]
fn explain_writes_the_policy_in_both_languages() {
    let o = bylaw(&["explain", NANSHA, "--date", "2023-08-01"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let zh = stdout(&o);
    assert!(
        zh.contains("同时满足以下全部条件时，认定为“符合南沙区低保条件”"),
        "{zh}"
    );
    assert!(zh.contains("1,338.00元/人/月"), "{zh}");
    let o = bylaw(&[
        "explain",
        NANSHA,
        "--lang",
        "en",
        "--format",
        "md",
        "--date",
        "2023-08-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("holds when all of the following hold"),
        "{}",
        stdout(&o)
    );
    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("policy.html");
    let o = bylaw(&[
        "explain",
        NANSHA,
        "--format",
        "html",
        "-o",
        html.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        std::fs::read_to_string(&html)
            .unwrap()
            .starts_with("<!doctype html>")
    );
    let o = bylaw(&["explain", NANSHA, "--lang", "fr"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn why_explains_one_household_and_what_would_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("households.csv");
    std::fs::write(&data, "id,city,hukou,residence\nh1,nansha,other_city,23\n").unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        "household_id,income,age\nh1,500,40\n",
    )
    .unwrap();
    let o = bylaw(&[
        "why",
        NANSHA,
        data.to_str().unwrap(),
        "--id",
        "h1",
        "--date",
        "2023-08-01",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    // Both sides of the comparison in its unit (years, as the rule is written); the
    // input to change in its own (months, as the data gives it).
    assert!(
        text.contains("✗ 在南沙区连续居住时长（1年11个月）不低于2年"),
        "{text}"
    );
    assert!(
        text.contains("若在南沙区连续居住时长为 24个月（现为 23个月），“符合南沙区低保条件”将为是"),
        "{text}"
    );
    assert!(
        !text.contains("申请人户籍为"),
        "hukou is fixed and never suggested: {text}"
    );
    let o = bylaw(&[
        "why",
        NANSHA,
        data.to_str().unwrap(),
        "--id",
        "h1",
        "--date",
        "2023-08-01",
        "--format",
        "json",
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["what_would_change"][0]["input"], "residence");
    let o = bylaw(&[
        "why",
        NANSHA,
        data.to_str().unwrap(),
        "--id",
        "h2",
        "--date",
        "2023-08-01",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean `h1`"), "{}", stderr(&o));
}

#[test]
fn eval_explain_adds_a_reason_column() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("households.csv");
    std::fs::write(
        &data,
        "id,city,hukou,residence\nh1,guangzhou,local,0\nh2,guangzhou,local,0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        "household_id,income,age\nh1,1400,40\nh2,100,40\n",
    )
    .unwrap();
    let o = bylaw(&[
        "eval",
        DIBAO,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "--explain",
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.lines().next().unwrap().ends_with(",reason"), "{out}");
    assert!(
        out.contains(
            "家庭人均月收入（1,400.00元/人/月）低于适用低保标准（1,338.00元/人/月）不成立"
        ),
        "{out}"
    );
}

const DEMO: &str = "examples/comply/demo.bylaw";

fn comply(extra: &[&str]) -> Output {
    let mut args = vec![
        "comply",
        DEMO,
        "--period",
        "2023-07",
        "--stations",
        "examples/comply/stations.csv",
        "--persons",
        "examples/comply/persons.csv",
        "--log",
        "examples/comply/log.csv",
    ];
    args.extend_from_slice(extra);
    bylaw(&args)
}

#[test]
fn comply_runs_on_the_bundled_data_and_writes_every_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let o = comply(&["--lang", "en", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("station operating team"), "{text}");
    assert!(text.contains("charity-help lights"), "{text}");
    assert!(text.contains("log issues:"), "{text}");
    assert!(stderr(&o).contains("5000 log rows"), "{}", stderr(&o));
    for f in [
        "detail.csv",
        "coverage.csv",
        "issues.csv",
        "report.json",
        "report.html",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["log_rows"], 5000);
    assert_eq!(json["obligations"].as_array().unwrap().len(), 4);
    // Every issue names its line; issues.csv has one line per issue.
    let issues = json["issues"].as_array().unwrap();
    assert!(issues.iter().all(|i| i["line"].as_u64().unwrap() >= 2));
    let csv = std::fs::read_to_string(out.join("issues.csv")).unwrap();
    assert_eq!(csv.lines().count(), issues.len() + 1);
    // The HTML report is self-contained: no script and nothing fetched.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(!html.contains("<script") && !html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("<svg"));
}

#[test]
fn comply_refuses_bad_periods_and_logs_without_required_columns() {
    let o = comply(&["--period", "2023-13"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.csv");
    std::fs::write(&log, "person,station,service\np1,S1,A\n").unwrap();
    let o = bylaw(&[
        "comply",
        DEMO,
        "--period",
        "2023-07",
        "--stations",
        "examples/comply/stations.csv",
        "--persons",
        "examples/comply/persons.csv",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no `date` column"), "{}", stderr(&o));
}

#[test]
fn synth_comply_is_deterministic() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [&a, &b] {
        let o = bylaw(&[
            "synth",
            "--comply",
            DEMO,
            "--persons",
            "300",
            "--log-rows",
            "900",
            "--seed",
            "5",
            "-o",
            d.path().to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    }
    for f in ["stations.csv", "persons.csv", "log.csv"] {
        assert_eq!(
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(b.path().join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(a.path().join("log.csv"))
            .unwrap()
            .lines()
            .count(),
        901
    );
}

const JINGSHAN: &str = "policies/hubei/jingshan_station_funds.bylaw";
const JINGSHAN_DATA: &str = "examples/budget/jingshan_synthetic.csv";

#[test]
fn budget_reports_binding_caps_and_coverage_by_year() {
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        JINGSHAN_DATA,
        "--years",
        "2021..2025",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let row = |year: &str| -> Vec<&str> {
        lines
            .iter()
            .find(|l| l.split(',').nth(2) == Some(year))
            .unwrap()
            .split(',')
            .collect()
    };
    // 2022: planned 1,200,000 but 5% of 2021's 19,000,000 is 950,000: the cap binds.
    let y2022 = row("2022");
    assert_eq!(y2022[col("station_funds")], "950000.00");
    assert_eq!(y2022[col("station_funds.before_limits")], "1200000.00");
    assert_eq!(
        y2022[col("station_funds.binding_limit")],
        "不高于上年度社会救助资金总支出5%"
    );
    // 2021: planned 600,000 is under 5% of 18,000,000 (900,000): nothing binds.
    let y2021 = row("2021");
    assert_eq!(y2021[col("station_funds")], "600000.00");
    assert_eq!(y2021[col("station_funds.binding_limit")], "");
    // 2025: 14 of 15 townships against the 100% milestone: one station short, 300,000 元.
    let y2025 = row("2025");
    assert_eq!(y2025[col("station_coverage.met")], "false");
    assert_eq!(y2025[col("station_coverage.shortfall")], "1");
    assert_eq!(y2025[col("station_coverage.shortfall_cost")], "300000.00");
    assert_eq!(y2025[col("station_coverage.due")], "2025-12-31");
    // Before any milestone is due there is no requirement.
    assert_eq!(y2021[col("station_coverage.required")], "");
}

#[test]
fn budget_names_a_missing_previous_year_and_a_missing_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("gap.csv");
    std::fs::write(
        &data,
        "region,year,planned_station_funds,relief_special_funds,relief_expenditure,townships,townships_with_station,station_cost\n\
         jingshan,2021,600000,16000000,19000000,15,3,300000\n\
         jingshan,2023,1500000,17000000,21000000,15,10,300000\n",
    )
    .unwrap();
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        data.to_str().unwrap(),
        "--years",
        "2021..2023",
        "--format",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let lines = doc["lines"].as_array().unwrap();
    let error_of = |year: i64| {
        lines.iter().find(|l| l["year"] == year).unwrap()["error"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    // 2021 reads 2020, which the data do not have: an error, never 0.
    assert!(
        error_of(2021).contains("missing_value"),
        "{}",
        error_of(2021)
    );
    assert!(error_of(2021).contains("2020"), "{}", error_of(2021));
    assert!(error_of(2022).contains("no row for this region in 2022"));
    assert!(error_of(2023).contains("2022"));
}

#[test]
fn budget_refuses_a_region_given_twice_for_a_year() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("dup.csv");
    std::fs::write(
        &data,
        "region,year,planned_station_funds,relief_special_funds,relief_expenditure,townships,townships_with_station,station_cost\n\
         jingshan,2021,600000,16000000,19000000,15,3,300000\n\
         jingshan,2021,600000,16000000,19000000,15,3,300000\n",
    )
    .unwrap();
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        data.to_str().unwrap(),
        "--years",
        "2021",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("`jingshan` is given twice for 2021 (rows 2 and 3)"),
        "{err}"
    );
}

#[test]
fn budget_rejects_bad_years_and_household_policies() {
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        JINGSHAN_DATA,
        "--years",
        "2025..2021",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("runs backwards"), "{}", stderr(&o));
    let o = bylaw(&[
        "budget",
        NANSHA,
        "--regions",
        JINGSHAN_DATA,
        "--years",
        "2021",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a yearly table"), "{}", stderr(&o));
}

#[test]
fn budget_sweep_moves_the_allocation_with_the_ratio() {
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        JINGSHAN_DATA,
        "--years",
        "2022",
        "--sweep",
        "expenditure_cap_ratio=1%..6% step 1%",
        "--format",
        "csv",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let totals: Vec<&str> = out
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap())
        .collect();
    // 1%..5% of 19,000,000 cap the planned 1,200,000; at 6% (1,140,000) still capped.
    assert_eq!(
        totals,
        [
            "190000.00",
            "380000.00",
            "570000.00",
            "760000.00",
            "950000.00",
            "1140000.00"
        ]
    );
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        JINGSHAN_DATA,
        "--years",
        "2022",
        "--sweep",
        "no_such=1%..2% step 1%",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("no parameter `no_such`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn budget_html_is_self_contained_with_charts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("budget.html");
    let o = bylaw(&[
        "budget",
        JINGSHAN,
        "--regions",
        JINGSHAN_DATA,
        "--years",
        "2021..2025",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let html = std::fs::read_to_string(&out).unwrap();
    assert!(html.contains("<svg"), "charts are inline SVG");
    assert!(!html.contains("<script"), "no script");
    assert!(
        !html.contains("http://") && !html.contains("https://") || html.contains("xmlns"),
        "no network references"
    );
    assert!(html.contains("乡镇(街道)社工站覆盖率"));
}

#[test]
fn diff_of_a_higher_standard_counts_gains_and_costs() {
    let dir = tempfile::tempdir().unwrap();
    let pop = dir.path().join("pop");
    let o = bylaw(&[
        "synth",
        "--households",
        "3000",
        "--seed",
        "5",
        "-o",
        pop.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let data = pop.join("households.csv");
    let scenario = "examples/scenarios/higher_guangzhou_standard.bylaw";
    let json_out = dir.path().join("diff.json");
    let o = bylaw(&[
        "diff",
        DIBAO,
        scenario,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        json_out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json_out).unwrap()).unwrap();
    let all = &doc["all"];
    let n = |k: &str| all[k].as_str().unwrap().parse::<f64>().unwrap();
    assert_eq!(n("households"), 3000.0);
    assert_eq!(n("lose"), 0.0, "a higher standard takes no one out");
    assert_eq!(n("eligible_after") - n("eligible_before"), n("gain"));
    assert!(n("cost_after") >= n("cost_before"));
    // Only Guangzhou (and its districts) changed.
    let groups = doc["by_group"].as_object().unwrap();
    for (name, t) in groups {
        if !(name.contains("guangzhou") || name.contains("nansha")) {
            assert_eq!(t["cost_before"], t["cost_after"], "{name}");
        }
    }
    // One line per household in the CSV form, and the same totals as the interpreter.
    let csv_out = dir.path().join("diff.csv");
    let o = bylaw(&[
        "diff",
        DIBAO,
        scenario,
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        csv_out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let csv = std::fs::read_to_string(&csv_out).unwrap();
    assert_eq!(csv.lines().count(), 3001);
    let gained = csv
        .lines()
        .skip(1)
        .filter(|l| l.contains(",false,true,"))
        .count();
    assert_eq!(gained as f64, n("gain"));
}

#[test]
fn diff_weights_households_and_rejects_unknown_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("p.bylaw");
    let reform = dir.path().join("r.bylaw");
    let body = |limit: &str| {
        format!(
            "entity household \"家庭\" {{\n  id: text key\n  income: money per month \"收入\"\n  weight: count \"权重\" default 1\n}}\n\
             rule eligible \"符合\" assumed \"test\" = income < {limit} 元\n\
             amount benefit \"补助\": money per month assumed \"test\" = if eligible then {limit} 元 - income else 0 元\n"
        )
    };
    std::fs::write(&policy, body("500")).unwrap();
    std::fs::write(&reform, body("600")).unwrap();
    let data = dir.path().join("h.csv");
    std::fs::write(&data, "id,income,weight\na,450,10\nb,550,3\nc,700,1\n").unwrap();
    let out = dir.path().join("d.json");
    let args = |extra: &[&str]| {
        let mut v = vec![
            "diff",
            policy.to_str().unwrap(),
            reform.to_str().unwrap(),
            data.to_str().unwrap(),
            "--date",
            "2023-01-01",
        ];
        v.extend_from_slice(extra);
        v.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        bylaw(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let o = run(&["--weights", "weight", "-o", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["all"]["households"], "14");
    assert_eq!(doc["all"]["gain"], "3", "b gains, weighted 3");
    // a: 50 → 150 元 ×10; b: 0 → 50 元 ×3.
    assert_eq!(doc["all"]["cost_before"], "500.00");
    assert_eq!(doc["all"]["cost_after"], "1650.00");
    let o = run(&["--amount", "nothing"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no output `nothing`"), "{}", stderr(&o));
    let o = run(&["--weights", "income"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("must be a count or decimal"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn diff_budget_and_comply_errors_honour_the_json_error_format() {
    let cases: [&[&str]; 3] = [
        &[
            "--error-format",
            "json",
            "budget",
            JINGSHAN,
            "--regions",
            JINGSHAN_DATA,
            "--years",
            "2025..2021",
        ],
        &[
            "--error-format",
            "json",
            "comply",
            DEMO,
            "--period",
            "2023-07",
            "--stations",
            "examples/comply/stations.csv",
            "--log",
            "examples/comply/log.csv",
            "--lang",
            "fr",
        ],
        &[
            "--error-format",
            "json",
            "diff",
            DIBAO,
            DIBAO,
            "households.csv",
            "--date",
            "2023-13-01",
        ],
    ];
    for args in cases {
        let o = bylaw(args);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        let err = stderr(&o);
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 1, "{err}");
        let doc: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(doc["severity"], "error");
        assert!(
            doc["code"].as_str().unwrap().starts_with("bylaw::"),
            "{doc}"
        );
        assert!(doc["help"].is_string(), "{doc}");
    }
}

#[test]
fn diff_says_which_backend_evaluated() {
    let dir = tempfile::tempdir().unwrap();
    synth(dir.path(), "200", "1");
    let data = dir.path().join("households.csv");
    let out = dir.path().join("d.json");
    let o = bylaw(&[
        "diff",
        DIBAO,
        "examples/scenarios/higher_guangzhou_standard.bylaw",
        data.to_str().unwrap(),
        "--date",
        "2023-08-01",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("with native code (JIT)"),
        "{}",
        stderr(&o)
    );
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(doc["backends"]["old"], "jit");
    assert_eq!(doc["backends"]["new"], "jit");
}

/// One exit-code table for every command: the same fault gives the same code.
#[test]
fn every_command_exits_with_the_code_of_its_fault() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("no/such/dir");
    let unwritable = |name: &str| missing_dir.join(name).display().to_string();
    let funds = "policies/hubei/jingshan_station_funds.bylaw";
    let regions = "examples/budget/jingshan_synthetic.csv";
    let households = dir.path().join("households.csv");
    let members = dir.path().join("members.csv");
    std::fs::write(
        &households,
        "id,city,hukou,residence\nh1,guangzhou,local,24\n",
    )
    .unwrap();
    std::fs::write(&members, "household_id,income,age\nh1,100,30\n").unwrap();
    let data = households.display().to_string();
    let cases: Vec<(Vec<String>, i32)> = vec![
        // 1: a policy that cannot be read.
        (vec!["check".into(), "nope.bylaw".into()], 1),
        (vec!["fmt".into(), "nope.bylaw".into()], 1),
        (vec!["test".into(), "nope.bylaw".into()], 1),
        (vec!["explain".into(), "nope.bylaw".into()], 1),
        (
            vec!["eval", "nope.bylaw", &data, "--date", "2024-01-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            1,
        ),
        (
            vec!["build", "nope.bylaw", "--date", "2024-01-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            1,
        ),
        // 2: a data file that does not exist, or a bad date.
        (
            vec!["eval", DIBAO, "nope.csv", "--date", "2024-01-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            2,
        ),
        (
            vec![
                "why",
                DIBAO,
                "nope.csv",
                "--id",
                "h1",
                "--date",
                "2024-01-01",
            ]
            .into_iter()
            .map(Into::into)
            .collect(),
            2,
        ),
        (
            vec!["diff", DIBAO, DIBAO, "nope.csv", "--date", "2024-01-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            2,
        ),
        (
            vec!["bench", DIBAO, "nope.csv", "--date", "2024-01-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            2,
        ),
        (
            vec![
                "budget",
                funds,
                "--regions",
                "nope.csv",
                "--years",
                "2021..2022",
            ]
            .into_iter()
            .map(Into::into)
            .collect(),
            2,
        ),
        (
            vec!["eval", DIBAO, &data, "--date", "2024-13-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            2,
        ),
        (
            vec!["build", DIBAO, "--date", "2024-13-01"]
                .into_iter()
                .map(Into::into)
                .collect(),
            2,
        ),
        // 3: an output that cannot be written.
        (
            vec![
                "eval".into(),
                DIBAO.into(),
                data.clone(),
                "--date".into(),
                "2024-01-01".into(),
                "-o".into(),
                unwritable("out.csv"),
            ],
            3,
        ),
        (
            vec![
                "budget".into(),
                funds.into(),
                "--regions".into(),
                regions.into(),
                "--years".into(),
                "2021..2022".into(),
                "-o".into(),
                unwritable("out.csv"),
            ],
            3,
        ),
        (
            vec![
                "diff".into(),
                DIBAO.into(),
                DIBAO.into(),
                data.clone(),
                "--date".into(),
                "2024-01-01".into(),
                "-o".into(),
                unwritable("out.csv"),
            ],
            3,
        ),
    ];
    for (args, code) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = bylaw(&args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
    }
    let help = bylaw(&["--help"]);
    assert!(stdout(&help).contains("Exit codes (every command)"));
}

#[test]
fn an_output_that_is_an_input_or_names_no_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let regions = dir.path().join("regions.csv");
    std::fs::copy(
        root().join("examples/budget/jingshan_synthetic.csv"),
        &regions,
    )
    .unwrap();
    let before = std::fs::read(&regions).unwrap();
    let regions = regions.display().to_string();
    let funds = "policies/hubei/jingshan_station_funds.bylaw";
    let o = bylaw(&[
        "budget",
        funds,
        "--regions",
        &regions,
        "--years",
        "2021..2022",
        "-o",
        &regions,
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("is one of the run's input files"));
    assert_eq!(
        std::fs::read(&regions).unwrap(),
        before,
        "the input is intact"
    );
    let households = dir.path().join("households.csv");
    std::fs::write(
        &households,
        "id,city,hukou,residence\nh1,guangzhou,local,24\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        "household_id,income,age\nh1,100,30\n",
    )
    .unwrap();
    let data = households.display().to_string();
    for (out, what) in [
        (data.clone(), "is one of the run's input files"),
        (
            dir.path().join("r.xlsx").display().to_string(),
            "names no report format",
        ),
    ] {
        let o = bylaw(&[
            "diff",
            DIBAO,
            DIBAO,
            &data,
            "--date",
            "2024-01-01",
            "-o",
            &out,
        ]);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
    }
}

#[test]
fn comply_replaces_its_report_directory_whole_and_refuses_one_it_does_not_own() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report");
    let out_arg = out.to_str().unwrap();
    // Two runs: the second set replaces the first; a CSV-only run leaves no stale HTML.
    let o = comply(&["-o", out_arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = comply(&["--format", "csv", "-o", out_arg]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["coverage.csv", "detail.csv", "issues.csv"]);
    // Nothing but the report directory is left beside it: no temporary directory.
    let beside: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(beside.len(), 1);

    // A directory holding someone else's file is refused, untouched.
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let o = comply(&["-o", out_arg]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("notes.txt"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(out.join("detail.csv").exists());

    // A directory holding one of the run's inputs is refused before anything is read.
    let inputs = dir.path().join("inputs");
    std::fs::create_dir(&inputs).unwrap();
    let log = inputs.join("log.csv");
    std::fs::copy(root().join("examples/comply/log.csv"), &log).unwrap();
    let o = bylaw(&[
        "comply",
        DEMO,
        "--period",
        "2023-07",
        "--stations",
        "examples/comply/stations.csv",
        "--persons",
        "examples/comply/persons.csv",
        "--log",
        log.to_str().unwrap(),
        "-o",
        inputs.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("an input of this run"),
        "{}",
        stderr(&o)
    );
    assert!(log.exists());
}

#[test]
fn a_run_removes_temporaries_left_beside_its_output_by_a_dead_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.csv");
    // Left by a process that no longer exists (Linux allows at most 2²² process ids),
    // and one of a live process (this test), which must stay.
    let dead = dir.path().join(".out.csv.bylaw-4194999-x1.tmp");
    let live = dir
        .path()
        .join(format!(".out.csv.bylaw-{}-x2.tmp", std::process::id()));
    std::fs::write(&dead, "half a file").unwrap();
    std::fs::write(&live, "being written").unwrap();
    let data = dir.path().join("households.csv");
    std::fs::write(&data, "id,city,hukou,residence\nh1,guangzhou,local,24\n").unwrap();
    std::fs::write(
        dir.path().join("members.csv"),
        "household_id,income,age\nh1,100,30\n",
    )
    .unwrap();
    let o = bylaw(&[
        "eval",
        DIBAO,
        data.to_str().unwrap(),
        "--date",
        "2024-01-01",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.exists());
    assert!(!dead.exists(), "the dead run's temporary is removed");
    assert!(live.exists(), "a live run's temporary is kept");
}

/// Ages are written as the policy speaks of them: `80` (周岁), not 960 months, in CSV,
/// JSON and Parquet; a month past a birthday is years to six decimals, which the data
/// readers take back as the same number of months.
#[test]
fn eval_writes_ages_in_years_that_read_back_as_the_same_months() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("people.csv");
    std::fs::write(
        &data,
        "id,birth_date
a,1944-05-10
b,1990-01-01
",
    )
    .unwrap();
    let policy = "policies/illustrative/gaoling_allowance.bylaw";
    let eval = |out: &Path| {
        let o = bylaw(&[
            "eval",
            policy,
            data.to_str().unwrap(),
            "--date",
            "2024-08-01",
            "-o",
            out.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        std::fs::read_to_string(out).unwrap_or_default()
    };
    let csv = eval(&dir.path().join("out.csv"));
    assert!(csv.contains("a,,,2024-05-10,true,true,80,100.00"), "{csv}");
    assert!(csv.contains("b,,,2070-01-01,false,false,34,0.00"), "{csv}");
    let json = eval(&dir.path().join("out.json"));
    assert!(json.contains(r#""age_at_last_month_end":"80""#), "{json}");

    // 80 周岁 and a month: 80.083333 years, read back (CSV and Parquet) as 961 months.
    let writer = dir.path().join("w.bylaw");
    std::fs::write(
        &writer,
        "policy w \"w\" assumed \"test\" effective 2024-01-01\n\
         entity person { id: text key\n age: 周岁 }\n\
         let a_month_later \"一个月后\" assumed \"test\" = age + 1 months\n",
    )
    .unwrap();
    let reader = dir.path().join("r.bylaw");
    std::fs::write(
        &reader,
        "policy r \"r\" assumed \"test\" effective 2024-01-01\n\
         entity person { id: text key\n error: text default \"\"\n error_in: text default \"\"\n a_month_later: 周岁 }\n\
         rule read_back \"读回\" assumed \"test\" = a_month_later == 961 months\n",
    )
    .unwrap();
    let ages = dir.path().join("ages.csv");
    std::fs::write(&ages, "id,age\np,80\n").unwrap();
    for ext in ["csv", "parquet"] {
        let written = dir.path().join(format!("later.{ext}"));
        let back = dir.path().join(format!("back_from_{ext}.csv"));
        for (policy, input, out) in [(&writer, &ages, &written), (&reader, &written, &back)] {
            let o = bylaw(&[
                "eval",
                policy.to_str().unwrap(),
                input.to_str().unwrap(),
                "--date",
                "2024-01-01",
                "-o",
                out.to_str().unwrap(),
            ]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        }
        if ext == "csv" {
            let text = std::fs::read_to_string(&written).unwrap();
            assert!(text.contains("p,,,80.083333"), "{text}");
        }
        let text = std::fs::read_to_string(&back).unwrap();
        assert!(text.contains("p,,,true"), "read back from {ext}: {text}");
    }
}

#[test]
fn eval_over_a_period_sums_months_and_refuses_a_bad_period() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("people.csv");
    std::fs::write(&data, "id,birth_date\na,1944-05-10\nb,1990-01-01\n").unwrap();
    let policy = "policies/illustrative/gaoling_allowance.bylaw";
    let out = dir.path().join("year.csv");
    let o = bylaw(&[
        "eval",
        policy,
        data.to_str().unwrap(),
        "--period",
        "2024",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    // Paid June to December (the month after the 80th birthday): 7 × 100 元.
    // The age completed (周岁) in years, not 960 months; `_months` columns count months.
    assert!(text.contains("a,,,2024-05-10,7,7,80,700.00"), "{text}");
    assert!(stderr(&o).contains("2024-06"), "{}", stderr(&o));
    for (args, what) in [
        (vec!["--period", "2024-13"], "is not a period"),
        (
            vec!["--period", "2024", "--date", "2024-01-01"],
            "cannot be used with",
        ),
        (vec!["--period", "2024", "--explain"], "not a period's"),
        (
            vec!["--period", "2024", "-o", "year.parquet"],
            "not Parquet",
        ),
    ] {
        let mut all = vec!["eval", policy, data.to_str().unwrap()];
        all.extend(args);
        let o = bylaw(&all);
        assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
        assert!(stderr(&o).contains(what), "{}", stderr(&o));
    }
}

/// SIGTERM (and Ctrl-C, SIGHUP) in the middle of writing: the run exits 128 + 15 and
/// leaves no temporary file, and the output's earlier content is untouched.
#[test]
fn a_stopped_run_removes_its_temporaries_and_keeps_the_old_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = bylaw(&[
        "synth",
        "--households",
        "600000",
        "--seed",
        "7",
        "-o",
        data.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = dir.path().join("out.csv");
    std::fs::write(&out, "the previous run\n").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args([
            "eval",
            DIBAO,
            data.join("households.csv").to_str().unwrap(),
            "--date",
            "2024-01-01",
            "--threads",
            "1",
            "-o",
            out.to_str().unwrap(),
        ])
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let temporaries = || -> Vec<String> {
        std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".out.csv.bylaw-"))
            .collect()
    };
    // Stop it once it has started writing.
    let started = std::time::Instant::now();
    while temporaries().is_empty() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it wrote: make the data larger"
        );
        assert!(started.elapsed().as_secs() < 60, "no temporary appeared");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(128 + 15));
    assert!(temporaries().is_empty(), "{:?}", temporaries());
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "the previous run\n");
}
