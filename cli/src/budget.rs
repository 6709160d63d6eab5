//! `bylaw budget`: a fund policy over a region-year table, year by year — each fund and
//! its channels, which cap binds, stations fundable, coverage against each target and the
//! shortfall — as a terminal table, CSV, JSON or a self-contained HTML report; with
//! `--sweep`, the same over a range of one parameter's values.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use bylaw_compiler::budget::{self, Budget, BudgetLine};
use bylaw_compiler::ir::{Program, Value};
use bylaw_compiler::scenario::{self, Sweep};
use bylaw_compiler::types::Ty;

use crate::data::DataArgs;
use crate::{ErrorFormat, Exit, charts, html};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BudgetFormat {
    Table,
    Csv,
    Json,
    Html,
}

#[derive(Debug, clap::Args)]
pub struct BudgetArgs {
    /// The fund policy (its entity is a yearly table: `region` and `year` fields).
    pub policy: PathBuf,
    /// The region-year table: one row per region and year (CSV or JSON).
    #[arg(long)]
    pub regions: PathBuf,
    /// The years to report, `2021..2025` (inclusive) or one year.
    #[arg(long)]
    pub years: String,
    /// A scenario file whose `set` lines replace parameter values.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Run over a range of one parameter: `NAME=FROM..TO step STEP` (e.g. `ratio=1%..6% step 0.5%`).
    #[arg(long)]
    pub sweep: Option<String>,
    /// The step of `--sweep`, if not written inside it.
    #[arg(long)]
    pub step: Option<String>,
    /// Write the report here (the format follows the extension unless `--format` says).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    #[arg(long, value_enum)]
    pub format: Option<BudgetFormat>,
}

pub fn run(args: &BudgetArgs, format: ErrorFormat) -> Exit {
    match run_inner(args, format) {
        Ok(()) => Exit::Ok,
        Err(e) => e,
    }
}

fn run_inner(args: &BudgetArgs, format: ErrorFormat) -> Result<(), Exit> {
    let (first, last) = parse_years(&args.years).map_err(|e| {
        eprintln!("error: --years: {e}\n  help: write `--years 2021..2025` or `--years 2023`");
        Exit::BadInput
    })?;
    let program = crate::data::policy_with_scenario(
        &args.policy,
        args.scenario.as_deref(),
        "there is nothing to budget",
        format,
    )?;
    if bylaw_compiler::years::yearly_columns(&program).is_none() {
        let name = program
            .schema
            .root_entity()
            .map_or_else(String::new, |e| e.name.clone());
        eprintln!(
            "error: `{}`: its entity `{name}` is not a yearly table, so it has no budget\n  help: a fund policy's entity has a `region` field and a `year: count` field, one row per region and year; use `bylaw eval` for households",
            args.policy.display()
        );
        return Err(Exit::BadInput);
    }
    let data = DataArgs {
        data: args.regions.clone(),
        relations: Vec::new(),
        members: None,
    };
    let batch = crate::data::read_data(&program, &data, true, format)?;
    let chosen = args
        .format
        .unwrap_or_else(|| format_of(args.output.as_deref()));
    let text = match &args.sweep {
        None => {
            let b = compute(&program, &batch, first, last, &args.regions)?;
            match chosen {
                BudgetFormat::Table => table(&program, &b),
                BudgetFormat::Csv => csv(&program, &b),
                BudgetFormat::Json => json(&program, &b),
                BudgetFormat::Html => html_report(&program, &b)?,
            }
        }
        Some(spec) => {
            let sweep =
                scenario::parse_sweep(&program, spec, args.step.as_deref()).map_err(|e| {
                    eprintln!("error: --sweep: {e}");
                    Exit::BadInput
                })?;
            let mut points = Vec::new();
            for (value, shown) in &sweep.values {
                let p = scenario::with_value(&program, &sweep, value);
                points.push((
                    shown.clone(),
                    compute(&p, &batch, first, last, &args.regions)?,
                ));
            }
            let rows = sweep_rows(&program, &sweep, &points);
            match chosen {
                BudgetFormat::Table => sweep_table(&rows),
                BudgetFormat::Csv => sweep_csv(&rows),
                BudgetFormat::Json => sweep_json(&rows),
                BudgetFormat::Html => sweep_html(&program, &sweep, &rows)?,
            }
        }
    };
    match &args.output {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => bylaw_runtime::output::write_atomic(path, |w| w.write_all(text.as_bytes()))
            .map_err(|e| {
                eprintln!("error: cannot write `{}`: {e}", path.display());
                Exit::Io
            })
            .map(|()| eprintln!("wrote {}", path.display())),
    }
}

fn compute(
    program: &Program,
    batch: &bylaw_runtime::batch::Batch,
    first: i64,
    last: i64,
    data: &Path,
) -> Result<Budget, Exit> {
    budget::run(program, batch, first, last).map_err(|e| {
        eprintln!("error: {}: {e}", data.display());
        Exit::BadInput
    })
}

/// `2021..2025` or `2023`.
pub fn parse_years(text: &str) -> Result<(i64, i64), String> {
    let year = |t: &str| {
        t.trim()
            .parse::<i64>()
            .ok()
            .filter(|y| (1900..=2200).contains(y))
            .ok_or_else(|| format!("`{}` is not a year between 1900 and 2200", t.trim()))
    };
    match text.split_once("..") {
        Some((a, b)) => {
            let (a, b) = (year(a)?, year(b.trim_start_matches('='))?);
            if a > b {
                return Err(format!("`{text}` runs backwards"));
            }
            Ok((a, b))
        }
        None => {
            let y = year(text)?;
            Ok((y, y))
        }
    }
}

fn format_of(path: Option<&Path>) -> BudgetFormat {
    match path.and_then(|p| p.extension()).and_then(|e| e.to_str()) {
        Some("csv") => BudgetFormat::Csv,
        Some("json") => BudgetFormat::Json,
        Some("html" | "htm") => BudgetFormat::Html,
        _ => BudgetFormat::Table,
    }
}

// ------------------------------------------------------------------------------ values

fn money(program: &Program, v: i64) -> String {
    bylaw_compiler::format::human(
        program,
        Ty::Money(bylaw_compiler::types::Per::Once),
        &Value::Int(v),
    )
}

fn plain_money(program: &Program, v: i64) -> String {
    bylaw_compiler::format::plain(
        program,
        Ty::Money(bylaw_compiler::types::Per::Once),
        &Value::Int(v),
    )
}

/// A share in millionths as a percentage with one decimal, e.g. `46.7%`.
fn percent(share: i64) -> String {
    let tenths = (i128::from(share) + 500) / 1000;
    format!("{}.{}%", tenths / 10, tenths % 10)
}

fn output_text(program: &Program, line: &BudgetLine, i: usize, human: bool) -> String {
    let (Some(def), Some(v)) = (program.outputs.get(i), line.values.get(i)) else {
        return String::new();
    };
    let ty = program.def(*def).ty;
    if human {
        bylaw_compiler::format::human(program, ty, v)
    } else {
        bylaw_compiler::format::plain(program, ty, v)
    }
}

/// The Chinese label of a definition, input field or parameter, else the name itself.
fn def_label(program: &Program, name: &str) -> String {
    if let Some(d) = program.def_by_name(name) {
        return bylaw_compiler::explain::words::def_label(program, d).zh;
    }
    let field = program
        .schema
        .root_entity()
        .and_then(|e| e.fields.iter().find(|f| f.name == name))
        .map(|f| f.label.clone())
        .filter(|l| !l.is_empty());
    let param = || {
        program
            .params
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.origin.meta.label.as_ref().map(|l| l.text.clone()))
    };
    field.or_else(param).unwrap_or_else(|| name.to_string())
}

// ------------------------------------------------------------------------------ table

fn table(program: &Program, b: &Budget) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["地区 region".to_string(), "年度 year".to_string()];
    header.extend(
        b.columns
            .iter()
            .map(|c| format!("{}\n{}", c.label_zh, c.name)),
    );
    let limited: Vec<String> = distinct(
        b.lines
            .iter()
            .flat_map(|l| l.limits.iter().map(|x| x.def.clone())),
    );
    for d in &limited {
        header.push(format!("{} 限额\n{d}: limits", def_label(program, d)));
    }
    for t in &program.targets {
        header.push(format!("{}\n{}", label_of_target(t), t.name));
    }
    t.set_header(header);
    for line in &b.lines {
        let mut row = vec![
            format!("{} {}", line.region_name, line.region),
            line.year.to_string(),
        ];
        if let Some(e) = &line.error {
            row.push(format!("error: {e}"));
            t.add_row(row);
            continue;
        }
        for i in 0..b.columns.len() {
            row.push(output_text(program, line, i, true));
        }
        for d in &limited {
            row.push(match line.limits.iter().find(|l| l.def == *d) {
                Some(l) => limit_text(program, l),
                None => String::new(),
            });
        }
        for t in &program.targets {
            row.push(match line.targets.iter().find(|r| r.target == t.name) {
                Some(r) => target_text(program, r),
                None => String::new(),
            });
        }
        t.add_row(row);
    }
    let mut out = format!("{}  {}..{}\n", b.policy, b.years.0, b.years.1);
    let _ = writeln!(out, "{t}");
    out
}

fn limit_text(program: &Program, l: &budget::LimitReport) -> String {
    match (&l.binding, l.before) {
        (_, None) => "exception".to_string(),
        (Some(label), Some(before)) => {
            format!("✓ {label} (before limits {})", money(program, before))
        }
        (None, Some(_)) if l.excess > 0 => {
            format!("exceeds in-principle cap by {}", money(program, l.excess))
        }
        (None, Some(_)) => "–".to_string(),
    }
}

fn target_text(program: &Program, r: &budget::TargetReport) -> String {
    let coverage = r.coverage.map_or_else(|| "–".to_string(), percent);
    match (r.required, r.met) {
        (Some(req), Some(true)) => format!("{coverage} ≥ {} ✓", percent(req)),
        (Some(req), _) => {
            let cost = r
                .shortfall_cost
                .map(|c| format!(", {}", money(program, c)))
                .unwrap_or_default();
            format!(
                "{coverage} < {} ✗ short {}{cost}",
                percent(req),
                r.shortfall
            )
        }
        (None, _) => format!("{coverage} (no milestone due)"),
    }
}

fn label_of_target(t: &bylaw_compiler::ir::TargetDef) -> String {
    t.origin
        .meta
        .label
        .as_ref()
        .map_or_else(|| t.name.clone(), |l| l.text.clone())
}

fn distinct(items: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for i in items {
        if !out.contains(&i) {
            out.push(i);
        }
    }
    out
}

// ------------------------------------------------------------------------------ CSV, JSON

fn csv(program: &Program, b: &Budget) -> String {
    let limited = distinct(
        b.lines
            .iter()
            .flat_map(|l| l.limits.iter().map(|x| x.def.clone())),
    );
    let channels: Vec<(String, String)> = distinct(b.lines.iter().flat_map(|l| {
        l.funds.iter().flat_map(|f| {
            f.channels
                .iter()
                .map(move |(c, _)| format!("{}\u{1}{c}", f.fund))
        })
    }))
    .into_iter()
    .filter_map(|s| {
        s.split_once('\u{1}')
            .map(|(a, b)| (a.to_string(), b.to_string()))
    })
    .collect();
    let mut cols = vec![
        "region".to_string(),
        "region_name".into(),
        "year".into(),
        "error".into(),
    ];
    cols.extend(b.columns.iter().map(|c| c.name.clone()));
    for (f, c) in &channels {
        cols.push(format!("{f}.channel.{c}"));
    }
    for d in &limited {
        cols.extend([
            format!("{d}.before_limits"),
            format!("{d}.binding_limit"),
            format!("{d}.excess"),
        ]);
    }
    for t in &program.targets {
        for s in [
            "covered",
            "total",
            "coverage",
            "required",
            "due",
            "met",
            "shortfall",
            "shortfall_cost",
        ] {
            cols.push(format!("{}.{s}", t.name));
        }
    }
    let header: Vec<String> = cols
        .iter()
        .map(|c| html::csv_field(c).into_owned())
        .collect();
    let mut out = header.join(",");
    out.push('\n');
    for line in &b.lines {
        let mut row = vec![
            line.region.clone(),
            line.region_name.clone(),
            line.year.to_string(),
            line.error.clone().unwrap_or_default(),
        ];
        for i in 0..b.columns.len() {
            row.push(output_text(program, line, i, false));
        }
        for (f, c) in &channels {
            let v = line
                .funds
                .iter()
                .find(|x| x.fund == *f)
                .and_then(|x| x.channels.iter().find(|(n, _)| n == c));
            row.push(v.map(|(_, v)| plain_money(program, *v)).unwrap_or_default());
        }
        for d in &limited {
            match line.limits.iter().find(|l| l.def == *d) {
                Some(l) => {
                    row.push(
                        l.before
                            .map(|v| plain_money(program, v))
                            .unwrap_or_default(),
                    );
                    row.push(l.binding.clone().unwrap_or_default());
                    row.push(plain_money(program, l.excess));
                }
                None => row.extend([String::new(), String::new(), String::new()]),
            }
        }
        for t in &program.targets {
            match line.targets.iter().find(|r| r.target == t.name) {
                Some(r) => row.extend([
                    r.covered.to_string(),
                    r.total.to_string(),
                    r.coverage.map(percent).unwrap_or_default(),
                    r.required.map(percent).unwrap_or_default(),
                    r.due.clone().unwrap_or_default(),
                    r.met.map(|m| m.to_string()).unwrap_or_default(),
                    r.shortfall.to_string(),
                    r.shortfall_cost
                        .map(|c| plain_money(program, c))
                        .unwrap_or_default(),
                ]),
                None => row.extend((0..8).map(|_| String::new())),
            }
        }
        let fields: Vec<String> = row
            .iter()
            .map(|f| html::csv_field(f).into_owned())
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn json(program: &Program, b: &Budget) -> String {
    let lines: Vec<serde_json::Value> = b
        .lines
        .iter()
        .map(|line| {
            let mut v = serde_json::to_value(line).unwrap_or(serde_json::Value::Null);
            let outputs: serde_json::Map<String, serde_json::Value> = b
                .columns
                .iter()
                .enumerate()
                .filter(|_| line.error.is_none())
                .map(|(i, c)| {
                    (
                        c.name.clone(),
                        serde_json::Value::String(output_text(program, line, i, false)),
                    )
                })
                .collect();
            if let Some(o) = v.as_object_mut() {
                o.insert("outputs".into(), serde_json::Value::Object(outputs));
            }
            v
        })
        .collect();
    let doc = serde_json::json!({
        "policy": b.policy,
        "years": [b.years.0, b.years.1],
        "money_unit": "0.0001 yuan in integer fields (total, channels, before, after, excess, shortfall_cost); outputs are in yuan",
        "columns": b.columns,
        "lines": lines,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

// ------------------------------------------------------------------------------ HTML

/// Whole 万元, for chart coordinates only.
fn wan(v: i64) -> i64 {
    v / (bylaw_runtime::arith::MONEY_SCALE * 10_000)
}

fn html_report(program: &Program, b: &Budget) -> Result<String, Exit> {
    let chart_err = |e: String| {
        eprintln!("error: cannot draw a chart: {e}");
        Exit::Io
    };
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<p class=\"note\">Policy <code>{}</code>, years {}–{}. Money in 元; every figure comes from the policy's rules (see <code>bylaw explain</code> for the rules and their sources).</p>",
        html::esc(&b.policy),
        b.years.0,
        b.years.1
    );
    let years: Vec<i64> = (b.years.0..=b.years.1).collect();
    let year_names: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    // Allocation by channel, summed over regions, per year.
    let funds = distinct(
        b.lines
            .iter()
            .flat_map(|l| l.funds.iter().map(|f| f.fund.clone())),
    );
    for f in &funds {
        let channels = distinct(b.lines.iter().flat_map(|l| {
            l.funds
                .iter()
                .filter(|x| x.fund == *f)
                .flat_map(|x| x.channels.iter().map(|(c, _)| c.clone()))
        }));
        let series: Vec<(String, Vec<i64>)> = channels
            .iter()
            .map(|c| {
                let per_year = years
                    .iter()
                    .map(|y| {
                        b.lines
                            .iter()
                            .filter(|l| l.year == *y)
                            .flat_map(|l| l.funds.iter().filter(|x| x.fund == *f))
                            .flat_map(|x| x.channels.iter().filter(|(n, _)| n == c))
                            .map(|(_, v)| wan(*v))
                            .sum()
                    })
                    .collect();
                (def_label(program, c), per_year)
            })
            .collect();
        let title = format!("{} — by channel (万元)", def_label(program, f));
        let svg = charts::stacked_bars(&title, "万元", &year_names, &series).map_err(chart_err)?;
        let _ = writeln!(
            body,
            "<h2>{}</h2>\n<figure>{svg}</figure>",
            html::esc(&def_label(program, f))
        );
    }
    // Coverage against each target, per region, over the years.
    for t in &program.targets {
        let regions = distinct(b.lines.iter().map(|l| l.region.clone()));
        let xs: Vec<(i64, String)> = years.iter().map(|y| (*y, y.to_string())).collect();
        let mut series: Vec<(String, Vec<Option<i64>>, bool)> = regions
            .iter()
            .take(7)
            .map(|r| {
                let name = b
                    .lines
                    .iter()
                    .find(|l| l.region == *r)
                    .map_or_else(|| r.clone(), |l| l.region_name.clone());
                let values = years
                    .iter()
                    .map(|y| {
                        b.lines
                            .iter()
                            .find(|l| l.region == *r && l.year == *y)
                            .and_then(|l| l.targets.iter().find(|x| x.target == t.name))
                            .and_then(|x| x.coverage)
                            .map(|c| c / 10_000)
                    })
                    .collect();
                (name, values, false)
            })
            .collect();
        let required: Vec<Option<i64>> = years
            .iter()
            .map(|y| {
                let end = bylaw_runtime::date::last_of_year(*y).unwrap_or(i32::MAX);
                t.milestones
                    .iter()
                    .rev()
                    .find(|m| m.by <= end)
                    .map(|m| m.share / 10_000)
            })
            .collect();
        series.push(("target 目标".to_string(), required, true));
        let title = format!("{} (% of units)", label_of_target(t));
        let svg = charts::lines(&title, "year", "%", &xs, &series, 100).map_err(chart_err)?;
        let _ = writeln!(
            body,
            "<h2>{}</h2>\n<figure>{svg}</figure>",
            html::esc(&label_of_target(t))
        );
        if regions.len() > 7 {
            let _ = writeln!(
                body,
                "<p class=\"note\">The chart shows the first 7 of {} regions; the table below has all.</p>",
                regions.len()
            );
        }
    }
    // The detail table.
    let mut header = vec!["地区 region".to_string(), "年度 year".to_string()];
    header.extend(b.columns.iter().map(|c| c.label_zh.clone()));
    let limited = distinct(
        b.lines
            .iter()
            .flat_map(|l| l.limits.iter().map(|x| x.def.clone())),
    );
    for d in &limited {
        header.push(format!("{} — binding limit", def_label(program, d)));
    }
    for t in &program.targets {
        header.push(label_of_target(t));
    }
    let rows: Vec<Vec<String>> = b
        .lines
        .iter()
        .map(|line| {
            let mut row = vec![
                format!("{} {}", line.region_name, line.region),
                line.year.to_string(),
            ];
            if let Some(e) = &line.error {
                row.push(format!("error: {e}"));
                return row;
            }
            for i in 0..b.columns.len() {
                row.push(output_text(program, line, i, true));
            }
            for d in &limited {
                row.push(
                    line.limits
                        .iter()
                        .find(|l| l.def == *d)
                        .map(|l| limit_text(program, l))
                        .unwrap_or_default(),
                );
            }
            for t in &program.targets {
                row.push(
                    line.targets
                        .iter()
                        .find(|r| r.target == t.name)
                        .map(|r| target_text(program, r))
                        .unwrap_or_default(),
                );
            }
            row
        })
        .collect();
    let _ = writeln!(
        body,
        "<h2>By region and year</h2>\n{}",
        html::table(&header, &rows, 1)
    );
    Ok(html::page(&format!("Budget — {}", b.policy), &body))
}

// ------------------------------------------------------------------------------ sweeps

/// One swept value and year, summed over regions.
struct SweepRow {
    value: String,
    year: i64,
    /// Each fund's total (0.0001 元), by fund name.
    funds: Vec<(String, i64)>,
    /// Per target: regions meeting it, regions with a milestone due, units short, cost short.
    targets: Vec<(String, usize, usize, i64, Option<i64>)>,
    errors: usize,
}

fn sweep_rows(program: &Program, _sweep: &Sweep, points: &[(String, Budget)]) -> Vec<SweepRow> {
    let mut rows = Vec::new();
    for (value, b) in points {
        for year in b.years.0..=b.years.1 {
            let lines: Vec<&BudgetLine> = b.lines.iter().filter(|l| l.year == year).collect();
            let funds = distinct(
                lines
                    .iter()
                    .flat_map(|l| l.funds.iter().map(|f| f.fund.clone())),
            )
            .into_iter()
            .map(|f| {
                let total = lines
                    .iter()
                    .flat_map(|l| l.funds.iter().filter(|x| x.fund == f))
                    .fold(0i64, |a, x| a.saturating_add(x.total));
                (f, total)
            })
            .collect();
            let targets = program
                .targets
                .iter()
                .map(|t| {
                    let reports: Vec<&budget::TargetReport> = lines
                        .iter()
                        .flat_map(|l| l.targets.iter().filter(|x| x.target == t.name))
                        .collect();
                    let due = reports.iter().filter(|r| r.required.is_some()).count();
                    let met = reports.iter().filter(|r| r.met == Some(true)).count();
                    let short: i64 = reports.iter().map(|r| r.shortfall).sum();
                    let cost = reports
                        .iter()
                        .map(|r| r.shortfall_cost)
                        .try_fold(0i64, |a, c| c.map(|c| a.saturating_add(c)));
                    (t.name.clone(), met, due, short, cost)
                })
                .collect();
            rows.push(SweepRow {
                value: value.clone(),
                year,
                funds,
                targets,
                errors: lines.iter().filter(|l| l.error.is_some()).count(),
            });
        }
    }
    let _ = program;
    rows
}

fn sweep_table(rows: &[SweepRow]) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["value".to_string(), "year".to_string()];
    if let Some(r) = rows.first() {
        header.extend(r.funds.iter().map(|(f, _)| format!("{f} (total)")));
        header.extend(
            r.targets
                .iter()
                .map(|(t, ..)| format!("{t}: met / due, short")),
        );
    }
    header.push("errors".into());
    t.set_header(header);
    for r in rows {
        let mut row = vec![r.value.clone(), r.year.to_string()];
        row.extend(r.funds.iter().map(|(_, v)| format!("{} 元", yuan_text(*v))));
        row.extend(r.targets.iter().map(|(_, met, due, short, cost)| {
            let cost = cost
                .map(|c| format!(", {} 元", yuan_text(c)))
                .unwrap_or_default();
            format!("{met} / {due}, {short} units{cost}")
        }));
        row.push(r.errors.to_string());
        t.add_row(row);
    }
    format!("{t}\n")
}

/// Money for people: `1,338.00`.
fn yuan_text(v: i64) -> String {
    bylaw_runtime::decimal::format_money_yuan(v)
}

/// Money in files: `1338.00`.
fn yuan_plain(v: i64) -> String {
    bylaw_runtime::decimal::format_scaled(v, bylaw_runtime::arith::MONEY_SCALE, 2)
}

fn sweep_csv(rows: &[SweepRow]) -> String {
    let mut cols = vec!["value".to_string(), "year".to_string()];
    if let Some(r) = rows.first() {
        cols.extend(r.funds.iter().map(|(f, _)| format!("{f}.total")));
        for (t, ..) in &r.targets {
            cols.extend([
                format!("{t}.met"),
                format!("{t}.due"),
                format!("{t}.shortfall"),
                format!("{t}.shortfall_cost"),
            ]);
        }
    }
    cols.push("errors".into());
    let header: Vec<String> = cols
        .iter()
        .map(|c| html::csv_field(c).into_owned())
        .collect();
    let mut out = header.join(",") + "\n";
    for r in rows {
        let mut row = vec![r.value.clone(), r.year.to_string()];
        row.extend(r.funds.iter().map(|(_, v)| yuan_plain(*v)));
        for (_, met, due, short, cost) in &r.targets {
            row.extend([
                met.to_string(),
                due.to_string(),
                short.to_string(),
                cost.map(yuan_plain).unwrap_or_default(),
            ]);
        }
        row.push(r.errors.to_string());
        let fields: Vec<String> = row
            .iter()
            .map(|f| html::csv_field(f).into_owned())
            .collect();
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

fn sweep_json(rows: &[SweepRow]) -> String {
    let items: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            serde_json::json!({
                "value": r.value,
                "year": r.year,
                "funds": r.funds.iter().map(|(f, v)| serde_json::json!({"fund": f, "total": yuan_plain(*v)})).collect::<Vec<_>>(),
                "targets": r.targets.iter().map(|(t, met, due, short, cost)| serde_json::json!({
                    "target": t, "met": met, "due": due, "shortfall": short,
                    "shortfall_cost": cost.map(yuan_plain),
                })).collect::<Vec<_>>(),
                "errors": r.errors,
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
    s.push('\n');
    s
}

fn sweep_html(program: &Program, sweep: &Sweep, rows: &[SweepRow]) -> Result<String, Exit> {
    let chart_err = |e: String| {
        eprintln!("error: cannot draw a chart: {e}");
        Exit::Io
    };
    let param = program
        .params
        .get(sweep.param.index())
        .map_or_else(String::new, |p| p.name.clone());
    let values = distinct(rows.iter().map(|r| r.value.clone()));
    let xs: Vec<(i64, String)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (i as i64, v.clone()))
        .collect();
    let last_year = rows.iter().map(|r| r.year).max().unwrap_or(0);
    let at_last: Vec<&SweepRow> = rows.iter().filter(|r| r.year == last_year).collect();
    let mut body = format!(
        "<p class=\"note\">Parameter <code>{}</code> swept over {} values; figures for {last_year}, summed over regions.</p>\n",
        html::esc(&param),
        values.len()
    );
    if let Some(first) = at_last.first() {
        let series: Vec<(String, Vec<Option<i64>>, bool)> = first
            .funds
            .iter()
            .map(|(f, _)| {
                let v = at_last
                    .iter()
                    .map(|r| r.funds.iter().find(|(n, _)| n == f).map(|(_, v)| wan(*v)))
                    .collect();
                (def_label(program, f), v, false)
            })
            .collect();
        let svg = charts::lines(
            &format!("Funds in {last_year} (万元)"),
            &param,
            "万元",
            &xs,
            &series,
            0,
        )
        .map_err(chart_err)?;
        let _ = writeln!(body, "<h2>Funds</h2>\n<figure>{svg}</figure>");
        let series: Vec<(String, Vec<Option<i64>>, bool)> = first
            .targets
            .iter()
            .map(|(t, ..)| {
                let v = at_last
                    .iter()
                    .map(|r| {
                        r.targets
                            .iter()
                            .find(|x| x.0 == *t)
                            .and_then(|(_, met, due, ..)| {
                                (*due > 0).then(|| (*met as i64 * 100) / *due as i64)
                            })
                    })
                    .collect();
                (t.clone(), v, false)
            })
            .collect();
        if !series.is_empty() {
            let svg = charts::lines(
                &format!("Regions meeting each target in {last_year} (%)"),
                &param,
                "%",
                &xs,
                &series,
                100,
            )
            .map_err(chart_err)?;
            let _ = writeln!(body, "<h2>Coverage targets</h2>\n<figure>{svg}</figure>");
        }
    }
    let mut header = vec!["value".to_string(), "year".to_string()];
    if let Some(r) = rows.first() {
        header.extend(r.funds.iter().map(|(f, _)| def_label(program, f)));
        header.extend(
            r.targets
                .iter()
                .map(|(t, ..)| format!("{t}: met / due, short")),
        );
    }
    let table_rows: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let mut row = vec![r.value.clone(), r.year.to_string()];
            row.extend(r.funds.iter().map(|(_, v)| format!("{} 元", yuan_text(*v))));
            row.extend(
                r.targets
                    .iter()
                    .map(|(_, met, due, short, _)| format!("{met} / {due}, {short}")),
            );
            row
        })
        .collect();
    let _ = writeln!(
        body,
        "<h2>Table</h2>\n{}",
        html::table(&header, &table_rows, 2)
    );
    Ok(html::page(&format!("Sweep of {param}"), &body))
}
