//! `bylaw eval --period`: every month of a period evaluated on its first day, combined
//! per household by the engine's [`evaluate_period`], and a table of the months a
//! person can read — for how many records each rule held, and each monthly amount's
//! total, month by month.

use bylaw_engine::period::{Combine, PeriodTable, evaluate_period};
use bylaw_engine::{OutputFormat, Policy, RunError};
use bylaw_runtime::date::format_date;
use bylaw_runtime::period::Period;

use crate::eval::{EvalArgs, fail, options};
use crate::report::print_error;
use crate::{ErrorFormat, Exit};

pub fn run(args: &EvalArgs, period_text: &str, format: ErrorFormat) -> Exit {
    let period = match Period::parse(period_text) {
        Ok(p) => p,
        Err(e) => return fail(&RunError::Period(format!("--period: {e}")), format),
    };
    if args.explain {
        print_error(
            "bylaw::argument::period",
            "--explain gives the reason for one date's decision, not a period's",
            Some("explain a month with --date, e.g. --date 2025-07"),
            format,
        );
        return Exit::BadInput;
    }
    let first_day = format_date(period.start);
    let (policy, _) =
        match crate::data::load(&args.policy, &first_day, args.scenario.as_deref(), format) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
    let input = match crate::data::data_files(&policy, &args.input, args.quiet, format) {
        Ok(d) => d,
        Err(exit) => return exit,
    };
    let started = std::time::Instant::now();
    let table = match evaluate_period(&policy, &period, &input, &options(args)) {
        Ok(t) => t,
        Err(e) => return fail(&e, format),
    };
    let program = policy.program();
    let written = match &args.output {
        Some(path) => table.write_file(program, &input, path),
        None => table
            .write(program, OutputFormat::Csv, &mut std::io::stdout().lock())
            .map_err(|error| RunError::Output {
                target: "the output".into(),
                error,
            }),
    };
    if let Err(e) = written {
        return fail(&e, format);
    }
    if !args.quiet {
        print_months(&policy, &table);
        eprintln!(
            "{} {} × {} months in {:.2} s{}",
            table.rows.len(),
            crate::eval::root_rows(program),
            table.months.len(),
            started.elapsed().as_secs_f64(),
            args.output
                .as_ref()
                .map_or(String::new(), |p| format!("; wrote {}", p.display()))
        );
    }
    Exit::Ok
}

/// One line per month: the records that failed, each rule's count and each monthly
/// amount's total; then the period's totals.
fn print_months(policy: &Policy, table: &PeriodTable) {
    let program = policy.program();
    let shown: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.combine != Combine::LastMonth)
        .map(|(i, _)| i)
        .collect();
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    let mut header = vec!["month 月份".to_string(), "failed 失败".to_string()];
    header.extend(shown.iter().map(|&i| {
        let c = &table.columns[i];
        let label = program
            .def(c.def)
            .origin
            .meta
            .label
            .as_ref()
            .map_or(String::new(), |l| format!("\n{}", l.text));
        format!("{}{label}", program.def(c.def).name)
    }));
    t.set_header(header);
    let cell = |i: usize, v: Option<i128>| match (table.columns[i].combine, v) {
        (Combine::Sum, Some(total)) => money(total),
        (_, Some(n)) => n.to_string(),
        (_, None) => String::new(),
    };
    let mut sums = vec![0i128; table.columns.len()];
    for m in &table.months {
        let mut row = vec![
            format_date(m.month.days())[..7].to_string(),
            m.failed.to_string(),
        ];
        for &i in &shown {
            let v = m.totals.get(i).copied().flatten();
            sums[i] += v.unwrap_or(0);
            row.push(cell(i, v));
        }
        t.add_row(row);
    }
    let mut total_row = vec![table.period.text.clone(), table.failed().to_string()];
    for &i in &shown {
        total_row.push(match table.columns[i].combine {
            Combine::Sum => money(sums[i]),
            _ => format!("{} household-months", sums[i]),
        });
    }
    t.add_row(total_row);
    eprintln!(
        "{} over {} ({}): {} {}, {} failed in some month",
        policy.name(),
        table.period.text,
        table.period.describe(),
        table.rows.len(),
        crate::eval::root_rows(program),
        table.failed()
    );
    eprintln!("{t}");
}

/// A sum of money in yuan (it may exceed one household's `i64`).
fn money(total: i128) -> String {
    match i64::try_from(total) {
        Ok(v) => format!("{} 元", bylaw_runtime::decimal::format_money_yuan(v)),
        Err(_) => format!("{total} (0.0001 元)"),
    }
}
