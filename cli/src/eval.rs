//! `bylaw eval`: evaluate every household of a CSV or JSON file, write one row per
//! household with every output (atomically), and print a summary a person can read.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_compiler::interp::{EvalError, Evaluator};
use bylaw_compiler::ir::{DefKind, Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;

use crate::{ErrorFormat, Exit};

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The policy file.
    pub policy: PathBuf,
    #[command(flatten)]
    pub input: crate::data::DataArgs,
    /// Evaluation date (YYYY-MM-DD), or a period (YYYY-MM, YYYY) meaning its first day.
    #[arg(long)]
    pub date: String,
    /// A scenario file whose `set` lines replace parameter values.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Output file (.csv or .json); standard output when absent.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// No summary, no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Add a `reason` column: why the main decision (the rule `eligible`, else the last
    /// rule) came out as it did, with the values that decided it.
    #[arg(long)]
    pub explain: bool,
    /// Language of the `reason` column: zh or en.
    #[arg(long, default_value = "zh")]
    pub lang: String,
    /// Evaluation engine: native code compiled for this run (jit), or the interpreter
    /// (interp). Both give the same values and the same errors.
    #[arg(long, value_enum, default_value_t = Engine::Jit)]
    pub engine: Engine,
}

/// Which backend evaluates the households.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// Native code (Cranelift), compiled once per run.
    Jit,
    /// The reference interpreter.
    Interp,
}

/// The engine chosen for a run: the interpreter, or a kernel bound to the batch.
struct Rows<'a> {
    evaluator: &'a Evaluator<'a>,
    bound: Option<bylaw_codegen::Bound<'a>>,
}

impl Rows<'_> {
    fn eval_rows(&self, batch: &Batch, rows: std::ops::Range<usize>) -> Vec<RowResult> {
        match &self.bound {
            Some(b) => b.eval_rows(rows),
            None => self.evaluator.eval_rows(batch, rows),
        }
    }
}

pub fn run(args: &EvalArgs, format: ErrorFormat) -> Exit {
    let started = Instant::now();
    let (program, date) =
        match crate::data::policy_at(&args.policy, &args.date, args.scenario.as_deref(), format) {
            Ok(p) => p,
            Err(exit) => return exit,
        };
    let batch = match crate::data::read_data(&program, &args.input, args.quiet, format) {
        Ok(b) => b,
        Err(exit) => return exit,
    };
    let loaded = started.elapsed();
    let evaluator = Evaluator::new(&program, date);
    let jit = match args.engine {
        Engine::Jit => match bylaw_codegen::JitPolicy::new(&program, date) {
            Ok(j) => Some(j),
            Err(e) => {
                eprintln!("note: {e}; evaluating with the interpreter");
                None
            }
        },
        Engine::Interp => None,
    };
    let bound = match jit.as_ref().map(|j| j.bind(&batch)) {
        Some(Ok(b)) => Some(b),
        Some(Err(e)) => {
            eprintln!("note: {e}; evaluating with the interpreter");
            None
        }
        None => None,
    };
    let engine_name = match (&bound, &jit) {
        (Some(_), Some(j)) => format!(
            "native code, compiled in {:.1} ms",
            j.compile_time().as_secs_f64() * 1000.0
        ),
        _ => "interpreter".to_string(),
    };
    let rows = Rows {
        evaluator: &evaluator,
        bound,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let show_progress =
        !args.quiet && std::io::stderr().is_terminal() && batch.root_len() >= 50_000;
    let progress = if show_progress {
        indicatif::ProgressBar::new(batch.root_len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut summary = Summary::new(&program);
    let explain = match (
        args.explain,
        bylaw_compiler::explain::Lang::parse(&args.lang),
    ) {
        (false, _) => None,
        (true, None) => {
            eprintln!(
                "error: --lang `{}` is not a language Bylaw explains in\n  help: use `zh` or `en`",
                args.lang
            );
            return Exit::BadInput;
        }
        (true, Some(lang)) => match bylaw_compiler::explain::whatif::default_decision(&program) {
            Some(d) => Some((d, lang)),
            None => {
                eprintln!(
                    "error: --explain needs a yes/no rule among the policy's outputs, and it has none"
                );
                return Exit::BadInput;
            }
        },
    };
    let json = args
        .output
        .as_ref()
        .is_some_and(|p| p.extension().is_some_and(|e| e == "json"));
    let mut eval_time = std::time::Duration::ZERO;
    let run_started = Instant::now();
    let mut write = |w: &mut dyn Write| -> std::io::Result<()> {
        let mut w = std::io::BufWriter::with_capacity(1 << 20, w);
        if json {
            w.write_all(b"[\n")?;
        } else {
            write_header(&mut w, &program, explain.is_some())?;
        }
        let total = batch.root_len();
        let chunk = 16_384;
        let mut start = 0;
        let mut first = true;
        while start < total {
            let end = (start + chunk).min(total);
            let t = Instant::now();
            let results = evaluate_range(&rows, &batch, start, end, threads)?;
            eval_time += t.elapsed();
            for (i, r) in results.iter().enumerate() {
                let row = start + i;
                summary.add(&program, r);
                // Traced on demand, only when asked for: plain runs never pay for it.
                let reason = match (explain, r) {
                    (Some((d, lang)), Ok(_)) => {
                        bylaw_compiler::explain::reason::reason(&evaluator, &batch, row, d, lang)
                            .ok()
                    }
                    (Some(_), Err(_)) => Some(String::new()),
                    (None, _) => None,
                };
                if json {
                    write_json_row(&mut w, &program, &batch, row, r, first, reason.as_deref())?;
                    first = false;
                } else {
                    write_csv_row(&mut w, &program, &batch, row, r, reason.as_deref())?;
                }
            }
            progress.inc((end - start) as u64);
            start = end;
        }
        if json {
            w.write_all(b"\n]\n")?;
        }
        w.flush()
    };
    let written = match &args.output {
        Some(path) => bylaw_runtime::output::write_atomic(path, write),
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            write(&mut lock)
        }
    };
    progress.finish_and_clear();
    if let Err(e) = written {
        let target = args
            .output
            .as_ref()
            .map_or("standard output".to_string(), |p| {
                format!("`{}`", p.display())
            });
        eprintln!("error: cannot write {target}: {e}; nothing was written");
        return Exit::Io;
    }
    if !args.quiet {
        let timing = Timing {
            read: loaded,
            evaluate: eval_time,
            total: loaded + run_started.elapsed(),
            engine: engine_name,
        };
        summary.print(
            &program,
            &args.date,
            &timing,
            threads,
            args.output.as_deref(),
        );
    }
    Exit::Ok
}

type RowResult = Result<Vec<Value>, EvalError>;

fn evaluate_range(
    evaluator: &Rows,
    batch: &Batch,
    start: usize,
    end: usize,
    threads: usize,
) -> std::io::Result<Vec<RowResult>> {
    let n = end - start;
    if threads <= 1 || n < 1024 {
        return Ok(evaluator.eval_rows(batch, start..end));
    }
    let per = n.div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let a = (start + t * per).min(end);
                let b = (a + per).min(end);
                s.spawn(move || evaluator.eval_rows(batch, a..b))
            })
            .collect();
        let mut out = Vec::with_capacity(n);
        for h in handles {
            // A worker that panicked would leave rows out: stop rather than misalign.
            let rows = h.join().map_err(|_| {
                std::io::Error::other("internal error: an evaluation thread stopped")
            })?;
            out.extend(rows);
        }
        Ok(out)
    })
}

fn key_column(program: &Program) -> String {
    program
        .schema
        .root_entity()
        .and_then(|e| e.key.and_then(|k| e.field(k)).map(|f| f.name.clone()))
        .unwrap_or_else(|| "row".to_string())
}

fn write_header(w: &mut impl Write, program: &Program, reason: bool) -> std::io::Result<()> {
    let mut cols = vec![
        key_column(program),
        "error".to_string(),
        "error_in".to_string(),
    ];
    cols.extend(program.outputs.iter().map(|d| program.def(*d).name.clone()));
    if reason {
        cols.push("reason".to_string());
    }
    writeln!(w, "{}", cols.join(","))
}

fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        std::borrow::Cow::Owned(format!("\"{}\"", s.replace('"', "\"\"")))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn root_key(batch: &Batch, row: usize) -> &str {
    batch
        .entities
        .get(batch.root.0 as usize)
        .and_then(|e| e.keys.get(row))
        .map_or("", String::as_str)
}

fn write_csv_row(
    w: &mut impl Write,
    program: &Program,
    batch: &Batch,
    row: usize,
    r: &RowResult,
    reason: Option<&str>,
) -> std::io::Result<()> {
    write!(w, "{}", csv_field(root_key(batch, row)))?;
    match r {
        Ok(values) => {
            w.write_all(b",,")?;
            let mut cell = String::with_capacity(32);
            for (d, v) in program.outputs.iter().zip(values) {
                cell.clear();
                bylaw_compiler::format::push_plain(&mut cell, program, program.def(*d).ty, v);
                w.write_all(b",")?;
                w.write_all(csv_field(&cell).as_bytes())?;
            }
        }
        Err(e) => {
            let within = e
                .def
                .map(|d| program.def(d).name.clone())
                .unwrap_or_default();
            write!(w, ",{},{}", e.code(), csv_field(&within))?;
            for _ in &program.outputs {
                w.write_all(b",")?;
            }
        }
    }
    if let Some(reason) = reason {
        w.write_all(b",")?;
        w.write_all(csv_field(reason).as_bytes())?;
    }
    w.write_all(b"\n")
}

fn write_json_row(
    w: &mut impl Write,
    program: &Program,
    batch: &Batch,
    row: usize,
    r: &RowResult,
    first: bool,
    reason: Option<&str>,
) -> std::io::Result<()> {
    let mut obj = serde_json::Map::new();
    obj.insert(key_column(program), root_key(batch, row).into());
    if let Some(reason) = reason {
        obj.insert("reason".into(), reason.into());
    }
    match r {
        Ok(values) => {
            obj.insert("error".into(), serde_json::Value::Null);
            for (d, v) in program.outputs.iter().zip(values) {
                let def = program.def(*d);
                let json = match v {
                    Value::Bool(b) => serde_json::Value::Bool(*b),
                    // Numbers stay exact text: money is never turned into a float.
                    _ => {
                        serde_json::Value::String(bylaw_compiler::format::plain(program, def.ty, v))
                    }
                };
                obj.insert(def.name.clone(), json);
            }
        }
        Err(e) => {
            obj.insert(
                "error".into(),
                serde_json::json!({
                    "code": e.code(),
                    "in": e.def.map(|d| program.def(d).name.clone()),
                    "detail": e.detail,
                }),
            );
        }
    }
    if !first {
        w.write_all(b",\n")?;
    }
    serde_json::to_writer(&mut *w, &obj).map_err(std::io::Error::other)
}

/// Where the time went: reading data, evaluating, and the whole run.
struct Timing {
    read: std::time::Duration,
    evaluate: std::time::Duration,
    total: std::time::Duration,
    /// Which engine evaluated.
    engine: String,
}

/// Totals for the closing summary.
struct Summary {
    households: u64,
    failed: BTreeMap<(String, String), u64>,
    trues: Vec<u64>,
    sums: Vec<i128>,
}

impl Summary {
    fn new(program: &Program) -> Summary {
        let n = program.outputs.len();
        Summary {
            households: 0,
            failed: BTreeMap::new(),
            trues: vec![0; n],
            sums: vec![0; n],
        }
    }

    fn add(&mut self, program: &Program, r: &RowResult) {
        self.households += 1;
        match r {
            Ok(values) => {
                for (i, v) in values.iter().enumerate() {
                    match v {
                        Value::Bool(true) => {
                            if let Some(t) = self.trues.get_mut(i) {
                                *t += 1;
                            }
                        }
                        Value::Int(x) => {
                            if let Some(s) = self.sums.get_mut(i) {
                                *s += i128::from(*x);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => {
                let within = e
                    .def
                    .map(|d| program.def(d).name.clone())
                    .unwrap_or_default();
                *self
                    .failed
                    .entry((e.code().to_string(), within))
                    .or_insert(0) += 1;
            }
        }
    }

    fn print(
        &self,
        program: &Program,
        date: &str,
        timing: &Timing,
        threads: usize,
        output: Option<&Path>,
    ) {
        let failed: u64 = self.failed.values().sum();
        let ok = self.households - failed;
        let name = program
            .policy
            .as_ref()
            .map_or("policy".to_string(), |p| p.name.clone());
        let mut table = comfy_table::Table::new();
        table.load_preset(comfy_table::presets::UTF8_FULL_CONDENSED);
        table.set_header(vec!["output 输出", "label 标签", "result 结果"]);
        for (i, d) in program.outputs.iter().enumerate() {
            let def = program.def(*d);
            let label = def
                .origin
                .meta
                .label
                .as_ref()
                .map_or(String::new(), |l| l.text.clone());
            let cell = match def.ty {
                Ty::Bool => {
                    let t = self.trues.get(i).copied().unwrap_or(0);
                    let share = if ok > 0 {
                        t as f64 * 100.0 / ok as f64
                    } else {
                        0.0
                    };
                    // Shares are for display only; every amount below is exact.
                    format!("{t} true ({share:.1}%)")
                }
                Ty::Money(_) if def.kind == DefKind::Amount => {
                    let total = self.sums.get(i).copied().unwrap_or(0);
                    let shown = i64::try_from(total).map_or_else(
                        |_| format!("{total} (0.0001 元)"),
                        bylaw_runtime::decimal::format_money_yuan,
                    );
                    format!("total {shown} 元")
                }
                _ => continue,
            };
            table.add_row(vec![def.name.clone(), label, cell]);
        }
        eprintln!(
            "{name} on {date}: {} households, {ok} evaluated, {failed} failed",
            self.households
        );
        eprintln!("{table}");
        for ((code, within), n) in &self.failed {
            eprintln!("  {n} household(s) failed with `{code}` in `{within}`");
        }
        let secs = timing.evaluate.as_secs_f64();
        let rate = if secs > 0.0 {
            self.households as f64 / secs
        } else {
            0.0
        };
        eprintln!(
            "read in {:.2} s; evaluated by {} in {:.2} s ({:.0} households/s on {threads} thread(s)); {:.2} s in all{}",
            timing.read.as_secs_f64(),
            timing.engine,
            secs,
            rate,
            timing.total.as_secs_f64(),
            output.map_or(String::new(), |p| format!("; wrote {}", p.display()))
        );
    }
}
