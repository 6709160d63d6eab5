//! `bylaw diff OLD NEW DATA`: a reform's impact on a population. Both versions (two
//! policies, or a policy and a scenario) are evaluated over the same households with the
//! compiled checkers; the report counts who gains and loses eligibility, the distribution
//! of benefit changes, total cost before and after, overall and by region.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::{DefId, DefKind, Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::{Batch, Column};
use bylaw_runtime::schema::FieldId;

use crate::data::DataArgs;
use crate::{ErrorFormat, Exit, charts, html, report};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The policy as it is.
    pub old: PathBuf,
    /// The reform: another version of the policy, or a scenario file for OLD.
    pub new: PathBuf,
    #[command(flatten)]
    pub input: DataArgs,
    /// The evaluation date (`2023-07-01`, `2023-07` or `2023`).
    #[arg(long)]
    pub date: String,
    /// A numeric field of the household entity that weights each household (e.g. a
    /// survey weight); counts and costs are weighted sums.
    #[arg(long)]
    pub weights: Option<String>,
    /// The yes/no rule compared (default: `eligible`, else the last rule).
    #[arg(long)]
    pub decision: Option<String>,
    /// The money output compared (default: the last amount).
    #[arg(long)]
    pub amount: Option<String>,
    /// A region or enumeration field to break the results down by (default: `city`).
    #[arg(long)]
    pub by: Option<String>,
    /// `.html` or `.json` for a report, `.csv` for one line per household.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
}

/// One household under both versions.
#[derive(Debug, Clone, Copy)]
struct Pair {
    old: Option<(bool, i64)>,
    new: Option<(bool, i64)>,
}

pub fn run(args: &DiffArgs, format: ErrorFormat) -> Exit {
    match run_inner(args, format) {
        Ok(()) => Exit::Ok,
        Err(e) => e,
    }
}

fn run_inner(args: &DiffArgs, format: ErrorFormat) -> Result<(), Exit> {
    let started = Instant::now();
    let (old, date) = crate::data::policy_at(&args.old, &args.date, None, format)?;
    let new = if is_scenario(&args.new) {
        let mut p = old.clone();
        let (overrides, diags, sources) = bylaw_compiler::scenario::load(&p, &args.new);
        if diags.iter().any(|d| d.is_error()) {
            report::print(&diags, &sources, format);
            return Err(Exit::BadInput);
        }
        bylaw_compiler::scenario::apply(&mut p, &overrides);
        p
    } else {
        crate::data::policy_at(&args.new, &args.date, None, format)?.0
    };
    let old_batch = crate::data::read_data(&old, &args.input, true, format)?;
    let new_batch = if new.schema == old.schema {
        None
    } else {
        Some(crate::data::read_data(&new, &args.input, true, format)?)
    };
    let new_data = new_batch.as_ref().unwrap_or(&old_batch);
    let read = started.elapsed();
    let (old_decision, old_amount) = outputs(&old, args, "OLD")?;
    let (new_decision, new_amount) = outputs(&new, args, "NEW")?;
    let weights = match &args.weights {
        None => None,
        Some(w) => Some(weight_column(&old, &old_batch, w)?),
    };
    let by = group_column(&old, &old_batch, args.by.as_deref())?;
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let t = Instant::now();
    let olds = evaluate(&old, date, &old_batch, old_decision, old_amount, threads);
    let news = evaluate(&new, date, new_data, new_decision, new_amount, threads);
    let evaluated = t.elapsed();
    let pairs: Vec<Pair> = olds
        .into_iter()
        .zip(news)
        .map(|(old, new)| Pair { old, new })
        .collect();
    let summary = summarize(
        &pairs,
        weights.as_deref(),
        by.as_ref().map(|(_, g)| g.as_slice()),
    );
    let group_names = by
        .as_ref()
        .map(|(names, _)| names.clone())
        .unwrap_or_default();
    let titles = (
        args.old.display().to_string(),
        args.new.display().to_string(),
    );
    eprintln!(
        "compared {} households in {:.2} s (read {:.2} s, evaluated both versions in {:.2} s)",
        pairs.len(),
        started.elapsed().as_secs_f64(),
        read.as_secs_f64(),
        evaluated.as_secs_f64()
    );
    let ext = args
        .output
        .as_ref()
        .and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .unwrap_or("");
    let text = match ext {
        "html" | "htm" => html_report(&summary, &group_names, &titles, weights.is_some())?,
        "json" => json(&summary, &group_names, &titles),
        "csv" => per_household_csv(&old_batch, &pairs),
        _ => terminal(&summary, &group_names, &titles, weights.is_some()),
    };
    match &args.output {
        None => {
            print!("{text}");
            Ok(())
        }
        Some(path) => {
            bylaw_runtime::output::write_atomic(path, |w| w.write_all(text.as_bytes())).map_err(
                |e| {
                    eprintln!("error: cannot write `{}`: {e}", path.display());
                    Exit::Io
                },
            )?;
            print!(
                "{}",
                terminal(&summary, &group_names, &titles, weights.is_some())
            );
            eprintln!("wrote {}", path.display());
            Ok(())
        }
    }
}

/// A file holding only `scenario` and `set` lines.
fn is_scenario(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(module) = bylaw_grammar::parse(&text) else {
        return false;
    };
    use bylaw_grammar::ast::Item;
    module.items.iter().any(|i| matches!(i, Item::Set(_)))
        && module
            .items
            .iter()
            .all(|i| matches!(i, Item::Set(_) | Item::Scenario(_) | Item::Use(_)))
}

/// The decision and amount compared, by name or by default.
fn outputs(program: &Program, args: &DiffArgs, which: &str) -> Result<(DefId, DefId), Exit> {
    let find = |name: &str, want: &str| -> Result<DefId, Exit> {
        program
            .outputs
            .iter()
            .copied()
            .find(|d| program.def(*d).name == name)
            .ok_or_else(|| {
                eprintln!("error: {which} has no output `{name}`\n  help: --{want} names a household output of both versions");
                Exit::BadInput
            })
    };
    let decision = match &args.decision {
        Some(n) => find(n, "decision")?,
        None => bylaw_compiler::explain::whatif::default_decision(program).ok_or_else(|| {
            eprintln!(
                "error: {which} has no yes/no rule to compare\n  help: name one with --decision"
            );
            Exit::BadInput
        })?,
    };
    let amount = match &args.amount {
        Some(n) => find(n, "amount")?,
        None => program
            .outputs
            .iter()
            .rev()
            .copied()
            .find(|d| matches!(program.def(*d).kind, DefKind::Amount | DefKind::Fund))
            .ok_or_else(|| {
                eprintln!("error: {which} has no amount to compare\n  help: name a money output with --amount");
                Exit::BadInput
            })?,
    };
    if program.def(decision).ty != Ty::Bool {
        eprintln!(
            "error: --decision `{}` is not a yes/no rule",
            program.def(decision).name
        );
        return Err(Exit::BadInput);
    }
    if !program.def(amount).ty.is_money() {
        eprintln!(
            "error: --amount `{}` is not money",
            program.def(amount).name
        );
        return Err(Exit::BadInput);
    }
    Ok((decision, amount))
}

/// Each household's weight, in millionths (counts are whole, decimals exact).
fn weight_column(program: &Program, batch: &Batch, name: &str) -> Result<Vec<i64>, Exit> {
    let root = program.schema.root_entity();
    let found = root.and_then(|e| e.fields.iter().position(|f| f.name == name));
    let Some(i) = found else {
        eprintln!(
            "error: --weights `{name}` is not a field of the household entity\n  help: declare it in the policy, e.g. `{name}: decimal \"抽样权重\" default 1`"
        );
        return Err(Exit::BadInput);
    };
    let ty = root.and_then(|e| e.fields.get(i)).map(|f| f.ty.clone());
    let values = batch
        .entity(batch.root)
        .and_then(|e| e.int(FieldId(i as u32)));
    match (ty, values) {
        (Some(bylaw_runtime::schema::ColumnType::Count), Some(v)) => {
            Ok(v.iter().map(|w| w.saturating_mul(1_000_000)).collect())
        }
        (Some(bylaw_runtime::schema::ColumnType::Decimal), Some(v)) => Ok(v.to_vec()),
        _ => {
            eprintln!("error: --weights `{name}` must be a count or decimal field");
            Err(Exit::BadInput)
        }
    }
}

/// Group names (by enumeration code), and each household's group code.
type Groups = (Vec<String>, Vec<u32>);

/// The enumeration field results are broken down by, with each household's group.
fn group_column(
    program: &Program,
    batch: &Batch,
    by: Option<&str>,
) -> Result<Option<Groups>, Exit> {
    let Some(root) = program.schema.root_entity() else {
        return Ok(None);
    };
    let name = by.unwrap_or("city");
    let Some(i) = root.fields.iter().position(|f| f.name == name) else {
        if by.is_some() {
            eprintln!("error: --by `{name}` is not a field of the household entity");
            return Err(Exit::BadInput);
        }
        return Ok(None);
    };
    let bylaw_runtime::schema::ColumnType::Enum(e) = &root.fields[i].ty else {
        eprintln!("error: --by `{name}` is not an enumeration (such as a region)");
        return Err(Exit::BadInput);
    };
    let labels = program.enums.iter().find(|d| d.name == e.name);
    let names = e
        .variants
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let label = labels
                .and_then(|d| d.variants.get(k))
                .map_or_else(String::new, |d| d.label.clone());
            format!("{label} {}", v.name).trim().to_string()
        })
        .collect();
    let codes = match batch
        .entity(batch.root)
        .and_then(|r| r.column(FieldId(i as u32)))
    {
        Some(Column::Enum(c)) => c.clone(),
        _ => Vec::new(),
    };
    Ok(Some((names, codes)))
}

/// Decision and amount per household (`None`: the household's evaluation failed).
fn evaluate(
    program: &Program,
    date: i32,
    batch: &Batch,
    decision: DefId,
    amount: DefId,
    threads: usize,
) -> Vec<Option<(bool, i64)>> {
    let position = |d: DefId| program.outputs.iter().position(|o| *o == d);
    let (Some(di), Some(ai)) = (position(decision), position(amount)) else {
        return vec![None; batch.root_len()];
    };
    let pick = |r: &Result<Vec<Value>, bylaw_compiler::interp::EvalError>| match r {
        Ok(v) => match (v.get(di), v.get(ai)) {
            (Some(Value::Bool(d)), Some(Value::Int(a))) => Some((*d, *a)),
            _ => None,
        },
        Err(_) => None,
    };
    let evaluator = Evaluator::new(program, date);
    let jit = bylaw_codegen::JitPolicy::new(program, date).ok();
    let bound = jit.as_ref().and_then(|j| j.bind(batch).ok());
    let total = batch.root_len();
    let per = total.div_ceil(threads).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (a, b) = ((t * per).min(total), ((t + 1) * per).min(total));
                let (evaluator, bound) = (&evaluator, &bound);
                s.spawn(move || {
                    let mut out = Vec::with_capacity(b - a);
                    let chunk = 16_384;
                    let mut at = a;
                    while at < b {
                        let end = (at + chunk).min(b);
                        let results = match bound.as_ref().and_then(|b| b.row_results(at..end)) {
                            Some(rows) => rows,
                            None => evaluator.eval_rows(batch, at..end),
                        };
                        out.extend(results.iter().map(pick));
                        at = end;
                    }
                    out
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

// ------------------------------------------------------------------------------ summary

/// Weighted tallies (weights in millionths; unweighted households weigh 1).
#[derive(Debug, Clone, Default, serde::Serialize)]
struct Tally {
    households: i128,
    eligible_before: i128,
    eligible_after: i128,
    gain: i128,
    lose: i128,
    amount_up: i128,
    amount_down: i128,
    errors: i128,
    /// 0.0001 元 × weight (millionths).
    cost_before: i128,
    cost_after: i128,
}

#[derive(Debug, Clone, serde::Serialize)]
struct Summary {
    all: Tally,
    groups: BTreeMap<u32, Tally>,
    /// Changes of the amount among households whose amount changed (0.0001 元).
    quantiles: Vec<(String, i64)>,
    histogram: Vec<(i64, i64, i128)>,
    weighted: bool,
}

const ONE: i64 = 1_000_000;

fn summarize(pairs: &[Pair], weights: Option<&[i64]>, groups: Option<&[u32]>) -> Summary {
    let mut all = Tally::default();
    let mut by: BTreeMap<u32, Tally> = BTreeMap::new();
    let mut changes: Vec<(i64, i64)> = Vec::new();
    for (i, p) in pairs.iter().enumerate() {
        let w = weights.and_then(|w| w.get(i).copied()).unwrap_or(ONE);
        let mut tallies = vec![&mut all];
        let group = groups.and_then(|g| g.get(i).copied());
        let mut group_tally = group.map(|g| by.remove(&g).unwrap_or_default());
        if let Some(t) = group_tally.as_mut() {
            tallies.push(t);
        }
        for t in tallies {
            add(t, p, w);
        }
        if let (Some(g), Some(t)) = (group, group_tally) {
            by.insert(g, t);
        }
        if let (Some((_, a0)), Some((_, a1))) = (p.old, p.new)
            && a0 != a1
        {
            changes.push((a1.saturating_sub(a0), w));
        }
    }
    changes.sort_unstable();
    let quantiles = weighted_quantiles(&changes);
    let histogram = histogram(&changes);
    Summary {
        all,
        groups: by,
        quantiles,
        histogram,
        weighted: weights.is_some(),
    }
}

fn add(t: &mut Tally, p: &Pair, w: i64) {
    let w = i128::from(w);
    t.households += w;
    match (p.old, p.new) {
        (Some((d0, a0)), Some((d1, a1))) => {
            t.eligible_before += w * i128::from(d0);
            t.eligible_after += w * i128::from(d1);
            t.gain += w * i128::from(!d0 && d1);
            t.lose += w * i128::from(d0 && !d1);
            t.amount_up += w * i128::from(a1 > a0);
            t.amount_down += w * i128::from(a1 < a0);
            t.cost_before += w * i128::from(a0);
            t.cost_after += w * i128::from(a1);
        }
        _ => t.errors += w,
    }
}

fn weighted_quantiles(sorted: &[(i64, i64)]) -> Vec<(String, i64)> {
    let total: i128 = sorted.iter().map(|(_, w)| i128::from(*w)).sum();
    if total == 0 {
        return Vec::new();
    }
    let at = |q: i128| {
        let target = total * q / 100;
        let mut run = 0i128;
        for (v, w) in sorted {
            run += i128::from(*w);
            if run >= target.max(1) {
                return *v;
            }
        }
        sorted.last().map_or(0, |x| x.0)
    };
    [
        ("min", 0),
        ("p10", 10),
        ("p25", 25),
        ("median", 50),
        ("p75", 75),
        ("p90", 90),
        ("max", 100),
    ]
    .iter()
    .map(|(n, q)| {
        let v = match *q {
            0 => sorted.first().map_or(0, |x| x.0),
            100 => sorted.last().map_or(0, |x| x.0),
            q => at(q),
        };
        ((*n).to_string(), v)
    })
    .collect()
}

/// Ten equal bins from the smallest to the largest change: (low, high, weight).
fn histogram(sorted: &[(i64, i64)]) -> Vec<(i64, i64, i128)> {
    let (Some(lo), Some(hi)) = (sorted.first().map(|x| x.0), sorted.last().map(|x| x.0)) else {
        return Vec::new();
    };
    let span = i128::from(hi) - i128::from(lo);
    let width = (span / 10).max(1);
    let mut bins: Vec<(i64, i64, i128)> = (0..10)
        .map(|k| {
            let a = i128::from(lo) + width * k;
            let b = if k == 9 { i128::from(hi) } else { a + width };
            (
                i64::try_from(a).unwrap_or(i64::MAX),
                i64::try_from(b).unwrap_or(i64::MAX),
                0,
            )
        })
        .collect();
    for (v, w) in sorted {
        let k = ((i128::from(*v) - i128::from(lo)) / width).clamp(0, 9) as usize;
        if let Some(bin) = bins.get_mut(k) {
            bin.2 += i128::from(*w);
        }
    }
    bins
}

// ------------------------------------------------------------------------------ output

/// A weighted count (millionths) as people read it.
fn count(v: i128) -> String {
    if v % i128::from(ONE) == 0 {
        (v / i128::from(ONE)).to_string()
    } else {
        let tenths = v / 100_000;
        format!("{}.{}", tenths / 10, (tenths % 10).abs())
    }
}

/// A weighted money sum (0.0001 元 × millionths) in 元, to the fen.
fn money_sum(v: i128) -> String {
    let fen = v / (100 * i128::from(ONE));
    let (sign, fen) = if fen < 0 { ("-", -fen) } else { ("", fen) };
    let yuan = fen / 100;
    let mut digits = yuan.to_string();
    let mut grouped = String::new();
    while digits.len() > 3 {
        let tail = digits.split_off(digits.len() - 3);
        grouped = format!(",{tail}{grouped}");
    }
    format!("{sign}{digits}{grouped}.{:02}", fen % 100)
}

fn change(v: i64) -> String {
    let sign = if v > 0 { "+" } else { "" };
    format!("{sign}{}", bylaw_runtime::decimal::format_money_yuan(v))
}

fn tally_row(name: &str, t: &Tally) -> Vec<String> {
    vec![
        name.to_string(),
        count(t.households),
        count(t.eligible_before),
        count(t.eligible_after),
        count(t.gain),
        count(t.lose),
        money_sum(t.cost_before),
        money_sum(t.cost_after),
        money_sum(t.cost_after - t.cost_before),
        count(t.errors),
    ]
}

fn header() -> Vec<String> {
    [
        "",
        "households",
        "eligible before",
        "eligible after",
        "gain",
        "lose",
        "cost before (元)",
        "cost after (元)",
        "change (元)",
        "errors",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect()
}

fn group_rows(s: &Summary, names: &[String]) -> Vec<Vec<String>> {
    s.groups
        .iter()
        .map(|(g, t)| tally_row(names.get(*g as usize).map_or("?", String::as_str), t))
        .collect()
}

fn terminal(s: &Summary, names: &[String], titles: &(String, String), weighted: bool) -> String {
    let mut out = format!(
        "{} → {}{}\n",
        titles.0,
        titles.1,
        if weighted { " (weighted)" } else { "" }
    );
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    t.set_header(header());
    t.add_row(tally_row("all 全部", &s.all));
    for r in group_rows(s, names) {
        t.add_row(r);
    }
    let _ = writeln!(out, "{t}");
    if !s.quantiles.is_empty() {
        let parts: Vec<String> = s
            .quantiles
            .iter()
            .map(|(n, v)| format!("{n} {}", change(*v)))
            .collect();
        let _ = writeln!(
            out,
            "change of the amount where it changed ({} households, {} up, {} down): {}",
            count(s.all.amount_up + s.all.amount_down),
            count(s.all.amount_up),
            count(s.all.amount_down),
            parts.join(", ")
        );
    } else {
        let _ = writeln!(out, "no household's amount changed");
    }
    out
}

fn json(s: &Summary, names: &[String], titles: &(String, String)) -> String {
    let tally = |t: &Tally| {
        serde_json::json!({
            "households": count(t.households),
            "eligible_before": count(t.eligible_before),
            "eligible_after": count(t.eligible_after),
            "gain": count(t.gain),
            "lose": count(t.lose),
            "amount_up": count(t.amount_up),
            "amount_down": count(t.amount_down),
            "cost_before": money_sum(t.cost_before).replace(',', ""),
            "cost_after": money_sum(t.cost_after).replace(',', ""),
            "errors": count(t.errors),
        })
    };
    let groups: serde_json::Map<String, serde_json::Value> = s
        .groups
        .iter()
        .map(|(g, t)| {
            (
                names.get(*g as usize).cloned().unwrap_or_default(),
                tally(t),
            )
        })
        .collect();
    let doc = serde_json::json!({
        "old": titles.0,
        "new": titles.1,
        "weighted": s.weighted,
        "all": tally(&s.all),
        "by_group": groups,
        "amount_change_quantiles": s.quantiles.iter().map(|(n, v)| (n.clone(), serde_json::Value::String(bylaw_runtime::decimal::format_scaled(*v, bylaw_runtime::arith::MONEY_SCALE, 2)))).collect::<serde_json::Map<_, _>>(),
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

fn per_household_csv(batch: &Batch, pairs: &[Pair]) -> String {
    let mut out =
        String::from("id,eligible_before,eligible_after,amount_before,amount_after,change,error\n");
    let keys = batch
        .entity(batch.root)
        .map(|e| e.keys.as_slice())
        .unwrap_or(&[]);
    let money =
        |v: i64| bylaw_runtime::decimal::format_scaled(v, bylaw_runtime::arith::MONEY_SCALE, 2);
    for (i, p) in pairs.iter().enumerate() {
        let id = keys
            .get(i)
            .map_or_else(|| (i + 1).to_string(), Clone::clone);
        let _ = write!(out, "{},", html::csv_field(&id));
        match (p.old, p.new) {
            (Some((d0, a0)), Some((d1, a1))) => {
                let _ = writeln!(
                    out,
                    "{d0},{d1},{},{},{},",
                    money(a0),
                    money(a1),
                    money(a1.saturating_sub(a0))
                );
            }
            (old, new) => {
                let which = match (old, new) {
                    (None, None) => "both",
                    (None, _) => "old",
                    _ => "new",
                };
                let _ = writeln!(out, ",,,,,evaluation failed under {which} version");
            }
        }
    }
    out
}

fn html_report(
    s: &Summary,
    names: &[String],
    titles: &(String, String),
    weighted: bool,
) -> Result<String, Exit> {
    let mut body = format!(
        "<p class=\"note\">Old: <code>{}</code>; new: <code>{}</code>{}. Money in 元, exact to the fen.</p>\n",
        html::esc(&titles.0),
        html::esc(&titles.1),
        if weighted {
            "; counts and costs are weighted"
        } else {
            ""
        }
    );
    let mut rows = vec![tally_row("all 全部", &s.all)];
    rows.extend(group_rows(s, names));
    let _ = writeln!(
        body,
        "<h2>Summary</h2>\n{}",
        html::table(&header(), &rows, 1)
    );
    if !s.histogram.is_empty() {
        let cats: Vec<String> = s
            .histogram
            .iter()
            .map(|(a, b, _)| format!("{}…{}", change(*a), change(*b)))
            .collect();
        let heights: Vec<i64> = s
            .histogram
            .iter()
            .map(|(_, _, w)| i64::try_from(*w / i128::from(ONE)).unwrap_or(i64::MAX))
            .collect();
        let svg = charts::stacked_bars(
            "Households by change of the amount (元)",
            "households",
            &cats,
            &[("households".to_string(), heights)],
        )
        .map_err(|e| {
            eprintln!("error: cannot draw a chart: {e}");
            Exit::Io
        })?;
        let _ = writeln!(
            body,
            "<h2>Distribution of changes</h2>\n<figure>{svg}</figure>"
        );
        let q: Vec<Vec<String>> = s
            .quantiles
            .iter()
            .map(|(n, v)| vec![n.clone(), change(*v)])
            .collect();
        let _ = writeln!(
            body,
            "{}",
            html::table(&["".into(), "change (元)".into()], &q, 1)
        );
    }
    Ok(html::page(
        &format!("Reform impact: {} → {}", titles.0, titles.1),
        &body,
    ))
}
