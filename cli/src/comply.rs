//! `bylaw comply`: every obligation of a policy over one period, against a register
//! (stations and their persons) and a service log. Prints a summary; writes CSV, JSON and
//! a self-contained HTML report on request.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_compiler::comply::run::{Report, Status};
use bylaw_compiler::explain::Lang;
use bylaw_compiler::ir::Program;
use bylaw_runtime::period::Period;

use crate::comply_out;
use crate::{ErrorFormat, Exit, report};

#[derive(Debug, clap::Args)]
pub struct ComplyArgs {
    /// The policy with the catalogues and obligations.
    pub policy: PathBuf,
    /// The period judged: a month `2023-07`, a quarter `2023-Q3` or a year `2023`.
    #[arg(long)]
    pub period: String,
    /// Stations: the register's root file (CSV, one row per station).
    #[arg(long)]
    pub stations: PathBuf,
    /// Persons: the file of the stations' `many person` relation (CSV with a
    /// `station_id` column).
    #[arg(long)]
    pub persons: Option<PathBuf>,
    /// Another relation's file, as NAME=PATH.
    #[arg(long = "relation", value_name = "NAME=PATH")]
    pub relations: Vec<String>,
    /// The service log (CSV: person, station, service, date, worker).
    #[arg(long)]
    pub log: PathBuf,
    /// Write the detail here: a directory (created) receiving the files of --format.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// What to write into --output: csv, json, html or all.
    #[arg(long, default_value = "all")]
    pub format: String,
    /// Language of reasons and the report: zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Print only the summary line.
    #[arg(long)]
    pub quiet: bool,
}

pub fn run(args: &ComplyArgs, format: ErrorFormat) -> Exit {
    let Some(lang) = Lang::parse(&args.lang) else {
        eprintln!(
            "error: --lang `{}` is not a language\n  help: use `zh` or `en`",
            args.lang
        );
        return Exit::BadInput;
    };
    if !["csv", "json", "html", "all"].contains(&args.format.as_str()) {
        eprintln!(
            "error: --format `{}` is not an output format\n  help: use csv, json, html or all",
            args.format
        );
        return Exit::BadInput;
    }
    let period = match Period::parse(&args.period) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: --period: {e}");
            return Exit::BadInput;
        }
    };
    let started = Instant::now();
    let compiled = bylaw_compiler::compile_file(&args.policy);
    if compiled.has_errors() {
        report::print(&compiled.diagnostics, &compiled.sources, format);
        return Exit::PolicyErrors;
    }
    let Some(program) = compiled.program else {
        return Exit::PolicyErrors;
    };
    if program.comply.obligations.is_empty() {
        eprintln!(
            "error: `{}` declares no obligation, so there is nothing to check\n  help: use a policy with `obligation … for every person …` (e.g. policies/sichuan/chengdu_services.bylaw)",
            args.policy.display()
        );
        return Exit::BadInput;
    }
    let batch = match read_register(&program, args, format) {
        Ok(b) => b,
        Err(e) => return e,
    };
    let read_register_at = started.elapsed();
    let log = match bylaw_runtime::servicelog::read_log(&args.log) {
        Ok(l) => l,
        Err(errors) => {
            report::print_data_errors(&errors, format);
            return Exit::BadInput;
        }
    };
    let read_log_at = started.elapsed();
    let result = match bylaw_compiler::comply::run::run(&program, &batch, &log, &period) {
        Ok(r) => r,
        Err(e) => {
            eprintln!(
                "error: {}\n  --> {}\n  help: {}",
                e.message,
                args.log.display(),
                e.help
            );
            return Exit::BadInput;
        }
    };
    let judged_at = started.elapsed();
    if !args.quiet {
        summary(&program, &result, lang);
    }
    eprintln!(
        "{} log rows ({} counted, {} with issues); register read in {:.2?}, log in {:.2?}, judged in {:.2?}",
        result.log_rows,
        result.counted_rows,
        result.issues.len(),
        read_register_at,
        read_log_at - read_register_at,
        judged_at - read_log_at
    );
    if let Some(dir) = &args.output {
        if let Err(e) = comply_out::write_all(&program, &result, dir, &args.format, lang) {
            eprintln!("error: cannot write to `{}`: {e}", dir.display());
            return Exit::Io;
        }
        eprintln!("wrote the detail to {}", dir.display());
    }
    Exit::Ok
}

fn read_register(
    program: &Program,
    args: &ComplyArgs,
    format: ErrorFormat,
) -> Result<bylaw_runtime::batch::Batch, Exit> {
    let schema = &program.schema;
    let mut children: Vec<(String, PathBuf)> = Vec::new();
    for r in &args.relations {
        let Some((name, path)) = r.split_once('=') else {
            eprintln!("error: --relation `{r}` is not NAME=PATH");
            return Err(Exit::BadInput);
        };
        children.push((name.to_string(), PathBuf::from(path)));
    }
    if let Some(p) = &args.persons {
        let relation = schema.root_entity().and_then(|root| {
            root.relations
                .iter()
                .find(|r| schema.entity(r.child).is_some_and(|c| c.name == "person"))
                .or_else(|| root.relations.first())
                .map(|r| r.name.clone())
        });
        let Some(relation) = relation else {
            eprintln!(
                "error: --persons was given, but the root entity `{}` has no relation to put them in\n  help: declare `persons: many person` in the station entity",
                schema.root_entity().map_or("", |e| e.name.as_str())
            );
            return Err(Exit::BadInput);
        };
        children.push((relation, p.clone()));
    }
    let dir = args.stations.parent().unwrap_or(Path::new(""));
    for e in &schema.entities {
        for rel in &e.relations {
            if children.iter().any(|(n, _)| *n == rel.name) {
                continue;
            }
            let guess = dir.join(format!("{}.csv", rel.name));
            if guess.exists() {
                children.push((rel.name.clone(), guess));
            }
        }
    }
    bylaw_runtime::input::read_csv(schema, &args.stations, &children).map_err(|errors| {
        report::print_data_errors(&errors, format);
        eprintln!(
            "{} data error(s) in the register; nothing was judged",
            errors.total()
        );
        Exit::BadInput
    })
}

fn percent(rate: Option<i64>) -> String {
    // Shares are for display only: millionths to one decimal, rounded half up.
    rate.map_or_else(
        || "–".to_string(),
        |r| {
            let tenths = (r + 500) / 1000;
            format!("{}.{}%", tenths / 10, tenths % 10)
        },
    )
}

fn summary(program: &Program, report: &Report, lang: Lang) {
    use bylaw_compiler::comply::run::Level;
    use bylaw_compiler::comply::words::label;
    let mut table = comfy_table::Table::new();
    table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
    table.set_header(vec![
        "obligation 义务",
        "in scope 范围内",
        "met 达标",
        "missed 未达标",
        "n/a 不评判",
        "errors 出错",
        "rate 达标率",
        "target 目标",
        "red 红",
        "yellow 黄",
        "green 绿",
    ]);
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        let Some(all) = r.coverage.iter().find(|c| c.level == Level::All) else {
            table.add_row(vec![label(&o.name, &o.origin, lang), "0".into()]);
            continue;
        };
        let target = match (&o.coverage, all.target_met) {
            (Some(t), Some(ok)) => {
                format!("{} {}", percent(Some(t.rate)), if ok { "✓" } else { "✗" })
            }
            (Some(t), None) => percent(Some(t.rate)),
            _ => String::new(),
        };
        let lit = !o.lights.is_empty();
        let light = |i: usize| {
            if lit {
                all.lights.get(i).map_or(String::new(), u32::to_string)
            } else {
                String::new()
            }
        };
        table.add_row(vec![
            label(&o.name, &o.origin, lang),
            all.in_scope.to_string(),
            all.met.to_string(),
            all.missed.to_string(),
            all.not_applicable.to_string(),
            all.errors.to_string(),
            percent(all.rate),
            target,
            light(0),
            light(1),
            light(2),
        ]);
    }
    println!(
        "{} {} ({})",
        program
            .policy
            .as_ref()
            .map_or("policy", |p| p.name.as_str()),
        report.period.text,
        report.period.describe()
    );
    println!("{table}");
    // Coverage per region, for obligations with a coverage target.
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        if o.coverage.is_none() {
            continue;
        }
        let mut t = comfy_table::Table::new();
        t.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "level 层级",
            "name 名称",
            "in scope 范围内",
            "met 达标",
            "rate 达标率",
            "target 目标",
        ]);
        let mut shown = 0;
        for c in r.coverage.iter().filter(|c| c.level != Level::All) {
            shown += 1;
            if shown > 20 {
                break;
            }
            t.add_row(vec![
                c.level.as_str().to_string(),
                c.name.clone(),
                c.in_scope.to_string(),
                c.met.to_string(),
                percent(c.rate),
                c.target_met
                    .map_or(String::new(), |ok| if ok { "✓".into() } else { "✗".into() }),
            ]);
        }
        let stations = r
            .coverage
            .iter()
            .filter(|c| c.level == Level::Station)
            .count();
        let below = r
            .coverage
            .iter()
            .filter(|c| c.level == Level::Station && c.target_met == Some(false))
            .count();
        println!(
            "{}: {below} of {stations} stations below target",
            label(&o.name, &o.origin, lang)
        );
        println!("{t}");
    }
    // The first misses, with reasons.
    let mut shown = 0;
    for r in &report.obligations {
        let Some(o) = program.comply.obligations.get(r.obligation) else {
            continue;
        };
        for row in r
            .rows
            .iter()
            .filter(|x| matches!(x.status, Status::Missed | Status::Error))
        {
            if shown == 0 {
                println!(
                    "{}",
                    if lang == Lang::Zh {
                        "未达标示例："
                    } else {
                        "first misses:"
                    }
                );
            }
            shown += 1;
            if shown > 5 {
                break;
            }
            for reason in
                bylaw_compiler::comply::words::row_reasons(program, o, row, &report.period, lang)
            {
                println!(
                    "  {} {}: {reason}",
                    row.key,
                    label(&o.name, &o.origin, lang)
                );
            }
        }
    }
    if !report.issues.is_empty() {
        let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
        for i in &report.issues {
            *kinds.entry(i.kind.code()).or_default() += 1;
        }
        let list: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
        println!("log issues: {}", list.join(", "));
        for i in report.issues.iter().take(10) {
            println!("  line {} [{}]: {}", i.line, i.kind.code(), i.message);
        }
        if report.issues.len() > 10 {
            println!(
                "  … {} more (see issues.csv with --output)",
                report.issues.len() - 10
            );
        }
    }
}
