//! `bylaw eval`: evaluate every household of a CSV, Parquet or JSON file, write one row
//! per household with every output (CSV, JSON or Parquet, atomically), and print a
//! summary a person can read.
//!
//! Writing to a file, well-ordered CSV and Parquet input is streamed: a reading thread
//! splits it into batches of [`BATCH_ROWS`] households with their members, a rayon
//! pool decodes, evaluates and formats batches in parallel, and this thread writes
//! them in order — so memory does not grow with the number of households. Any other
//! input (JSON, standard output, data the stream cannot take) is read whole first and
//! then evaluated in the same units.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_compiler::interp::{EvalError, Evaluator};
use bylaw_compiler::ir::{DefId, DefKind, Program, Value};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::input::{BatchStream, DataFormat, Fallback, RawBatch};
use bylaw_runtime::output::AtomicFile;
use bylaw_runtime::parquet_out::{OutBuilder, OutChunk, OutColumn, OutKind, ParquetOut};

use crate::{ErrorFormat, Exit};

mod columns;

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
    /// Output file (.csv, .json or .parquet); CSV on standard output when absent.
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

/// Root rows per streamed batch (and per unit of work when the input is read whole).
const BATCH_ROWS: usize = 65_536;

/// The output file's format, by the extension of `-o`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OutFormat {
    Csv,
    Json,
    Parquet,
}

impl OutFormat {
    fn of(path: Option<&Path>) -> OutFormat {
        match path.map(DataFormat::of) {
            Some(DataFormat::Json) => OutFormat::Json,
            Some(DataFormat::Parquet) => OutFormat::Parquet,
            _ => OutFormat::Csv,
        }
    }
}

/// Everything a worker needs to evaluate rows and format them; shared by all threads.
struct Ctx<'a> {
    program: &'a Program,
    evaluator: &'a Evaluator<'a>,
    jit: Option<&'a bylaw_codegen::JitPolicy>,
    explain: Option<(DefId, bylaw_compiler::explain::Lang)>,
    format: OutFormat,
    columns: Vec<OutColumn>,
    /// Every output is a number, boolean, date or enumeration: raw kernel values can
    /// be turned into values without the kernel's text dictionary.
    raw_values: bool,
    /// Set when rows evaluated by native code are written as CSV straight from the
    /// result columns (CSV out, no text output, no `reason`).
    csv_columns: Option<columns::CsvColumns>,
}

/// What one unit of work produced: its rows, formatted, and their totals.
struct UnitOut {
    rows: usize,
    text: Vec<u8>,
    parquet: Option<OutChunk>,
    summary: Summary,
}

/// Why a run stopped before the end.
enum Stop {
    /// The streaming reader gave up: read the input whole instead.
    Fallback(Fallback),
    /// Writing (or an internal step) failed.
    Io(std::io::Error),
}

/// Where formatted units go, in order.
enum Sink<'w> {
    Text(std::io::BufWriter<&'w mut dyn Write>),
    Parquet(Box<ParquetOut<AtomicFile>>),
}

impl Sink<'_> {
    fn write(&mut self, unit: &UnitOut) -> std::io::Result<()> {
        match self {
            Sink::Text(w) => w.write_all(&unit.text),
            Sink::Parquet(p) => match &unit.parquet {
                Some(chunk) => p.write(chunk),
                None => Ok(()),
            },
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
    let out_format = OutFormat::of(args.output.as_deref());
    let children = match crate::data::child_paths(&program, &args.input, args.quiet) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
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
    let engine_name = match &jit {
        Some(j) => format!(
            "native code, compiled in {:.1} ms",
            j.compile_time().as_secs_f64() * 1000.0
        ),
        None => "interpreter".to_string(),
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: cannot start {threads} worker threads: {e}");
            return Exit::Io;
        }
    };
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
    let ctx = Ctx {
        program: &program,
        evaluator: &evaluator,
        jit: jit.as_ref(),
        explain,
        format: out_format,
        columns: out_columns(&program, explain.is_some()),
        raw_values: program
            .outputs
            .iter()
            .all(|d| program.def(*d).ty != Ty::Text),
        csv_columns: if out_format == OutFormat::Csv && explain.is_none() {
            columns::CsvColumns::new(&program)
        } else {
            None
        },
    };
    let progress = if !args.quiet && std::io::stderr().is_terminal() {
        indicatif::ProgressBar::no_length()
    } else {
        indicatif::ProgressBar::hidden()
    };

    // Streamed in batches when writing to a file: a data problem found late then
    // leaves no partial output behind (the file is only renamed into place at the
    // end). Standard output cannot be taken back, so the input is read whole first.
    let streamable = args.output.is_some()
        && matches!(
            DataFormat::of(&args.input.data),
            DataFormat::Csv | DataFormat::Parquet
        );
    let mut how = String::from("read whole");
    let mut outcome: Option<Result<Summary, Stop>> = None;
    if streamable {
        match BatchStream::open(
            &program.schema,
            DataFormat::of(&args.input.data),
            &args.input.data,
            &children,
            BATCH_ROWS,
        ) {
            Ok(stream) => {
                how = format!("streamed in batches of {BATCH_ROWS}");
                outcome = Some(write_output(args.output.as_deref(), &ctx, |sink| {
                    run_stream(stream, &ctx, &pool, sink, &progress)
                }));
            }
            Err(f) => outcome = Some(Err(Stop::Fallback(f))),
        }
    }
    let mut note = None;
    if let Some(Err(Stop::Fallback(f))) = &outcome {
        note = Some(format!(
            "note: read `{}` whole into memory ({f}); streaming needs household keys in increasing order and child rows grouped in household order",
            args.input.data.display()
        ));
        outcome = None;
        how = String::from("read whole");
        progress.reset();
    }
    let outcome = match outcome {
        Some(o) => o,
        None => {
            let batch = match crate::data::read_whole(&program, &args.input.data, &children, format)
            {
                Ok(b) => b,
                Err(exit) => return exit,
            };
            if let (Some(note), false) = (&note, args.quiet) {
                eprintln!("{note}");
            }
            let bound = match ctx.jit.map(|j| j.bind(&batch)) {
                Some(Ok(b)) => Some(b),
                Some(Err(e)) => {
                    eprintln!("note: {e}; evaluating with the interpreter");
                    None
                }
                None => None,
            };
            let run =
                |sink: &mut Sink| run_whole(&batch, bound.as_ref(), &ctx, &pool, sink, &progress);
            match args.output.as_deref() {
                Some(path) => write_output(Some(path), &ctx, run),
                None => {
                    let stdout = std::io::stdout();
                    let mut lock = stdout.lock();
                    let mut sink =
                        Sink::Text(std::io::BufWriter::with_capacity(1 << 20, &mut lock));
                    text_header(&mut sink, &ctx)
                        .map_err(Stop::Io)
                        .and_then(|()| run(&mut sink))
                        .and_then(|s| finish_text(sink, &ctx).map(|()| s).map_err(Stop::Io))
                }
            }
        }
    };
    progress.finish_and_clear();
    let summary = match outcome {
        Ok(s) => s,
        Err(stop) => {
            let target = args
                .output
                .as_ref()
                .map_or("standard output".to_string(), |p| {
                    format!("`{}`", p.display())
                });
            let e = match stop {
                Stop::Io(e) => e.to_string(),
                Stop::Fallback(f) => f.to_string(),
            };
            eprintln!("error: cannot write {target}: {e}; nothing was written");
            return Exit::Io;
        }
    };
    if !args.quiet {
        let timing = Timing {
            how,
            total: started.elapsed(),
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

/// Writes `path` atomically in the output format: the header, whatever `run` writes,
/// the end. Nothing replaces `path` unless every step succeeds.
fn write_output(
    path: Option<&Path>,
    ctx: &Ctx,
    run: impl FnOnce(&mut Sink) -> Result<Summary, Stop>,
) -> Result<Summary, Stop> {
    let Some(path) = path else {
        return Err(Stop::Io(std::io::Error::other("no output file")));
    };
    let file = AtomicFile::create(path).map_err(Stop::Io)?;
    if ctx.format == OutFormat::Parquet {
        let out = ParquetOut::new(file, &ctx.columns).map_err(Stop::Io)?;
        let mut sink = Sink::Parquet(Box::new(out));
        let summary = run(&mut sink)?;
        let Sink::Parquet(out) = sink else {
            return Err(Stop::Io(std::io::Error::other(
                "internal: sink changed kind",
            )));
        };
        out.finish()
            .and_then(AtomicFile::commit)
            .map_err(Stop::Io)?;
        return Ok(summary);
    }
    let mut file = file;
    let summary = {
        let mut sink = Sink::Text(std::io::BufWriter::with_capacity(
            1 << 20,
            &mut file as &mut dyn Write,
        ));
        text_header(&mut sink, ctx).map_err(Stop::Io)?;
        let summary = run(&mut sink)?;
        finish_text(sink, ctx).map_err(Stop::Io)?;
        summary
    };
    file.commit().map_err(Stop::Io)?;
    Ok(summary)
}

fn text_header(sink: &mut Sink, ctx: &Ctx) -> std::io::Result<()> {
    match (sink, ctx.format) {
        (Sink::Text(w), OutFormat::Json) => w.write_all(b"[\n"),
        (Sink::Text(w), _) => write_header(w, ctx.program, ctx.explain.is_some()),
        (Sink::Parquet(_), _) => Ok(()),
    }
}

fn finish_text(sink: Sink, ctx: &Ctx) -> std::io::Result<()> {
    if let Sink::Text(mut w) = sink {
        if ctx.format == OutFormat::Json {
            w.write_all(b"\n]\n")?;
        }
        w.flush()?;
    }
    Ok(())
}

/// Streams `stream`: one thread reads and links batches, the pool decodes, evaluates
/// and formats them, and this thread writes them in order. At most a few batches are
/// in memory at once.
fn run_stream(
    mut stream: BatchStream,
    ctx: &Ctx,
    pool: &rayon::ThreadPool,
    sink: &mut Sink,
    progress: &indicatif::ProgressBar,
) -> Result<Summary, Stop> {
    std::thread::scope(|threads| {
        let (to_main, batches) = std::sync::mpsc::sync_channel::<Result<RawBatch, Fallback>>(2);
        threads.spawn(move || {
            loop {
                let next = match stream.next_batch() {
                    Ok(Some(b)) => Ok(b),
                    Ok(None) => break,
                    Err(f) => Err(f),
                };
                let stop = next.is_err();
                if to_main.send(next).is_err() || stop {
                    break;
                }
            }
        });
        let work = |raw: RawBatch, first: bool| -> Result<UnitOut, Stop> {
            let batch = raw.decode(&ctx.program.schema).map_err(Stop::Fallback)?;
            let bound = ctx.jit.and_then(|j| j.bind(&batch).ok());
            eval_unit(ctx, &batch, bound.as_ref(), 0..batch.root_len(), first)
        };
        // Dropping `batches` (when this returns) stops the reading thread.
        run_ordered(batches.into_iter(), &work, pool, sink, progress)
    })
}

/// Evaluates a batch read whole, in units of [`BATCH_ROWS`] rows.
fn run_whole(
    batch: &Batch,
    bound: Option<&bylaw_codegen::Bound>,
    ctx: &Ctx,
    pool: &rayon::ThreadPool,
    sink: &mut Sink,
    progress: &indicatif::ProgressBar,
) -> Result<Summary, Stop> {
    let total = batch.root_len();
    progress.set_length(total as u64);
    let ranges = (0..total.div_ceil(BATCH_ROWS))
        .map(|i| Ok(i * BATCH_ROWS..((i + 1) * BATCH_ROWS).min(total)));
    let work =
        |range: std::ops::Range<usize>, first: bool| eval_unit(ctx, batch, bound, range, first);
    run_ordered(ranges, &work, pool, sink, progress)
}

/// Runs `work` on each item on the pool, a bounded number at a time, and writes the
/// results in item order. An item that is a [`Fallback`], or a unit that fails, stops
/// the run (units already started are waited for, their results dropped).
fn run_ordered<T: Send>(
    items: impl Iterator<Item = Result<T, Fallback>>,
    work: &(dyn Fn(T, bool) -> Result<UnitOut, Stop> + Sync),
    pool: &rayon::ThreadPool,
    sink: &mut Sink,
    progress: &indicatif::ProgressBar,
) -> Result<Summary, Stop> {
    let limit = pool.current_num_threads() * 2;
    let mut summary: Option<Summary> = None;
    let mut stop: Option<Stop> = None;
    pool.in_place_scope(|scope| {
        let (done, results) = std::sync::mpsc::channel::<(usize, Result<UnitOut, Stop>)>();
        let mut pending: BTreeMap<usize, Result<UnitOut, Stop>> = BTreeMap::new();
        let mut next = 0usize;
        let mut in_flight = 0usize;
        // Writes every finished unit that is next in order.
        let mut flush = |pending: &mut BTreeMap<usize, Result<UnitOut, Stop>>,
                         stop: &mut Option<Stop>,
                         summary: &mut Option<Summary>| {
            while let Some(result) = pending.remove(&next) {
                next += 1;
                if stop.is_some() {
                    continue;
                }
                match result.and_then(|unit| {
                    sink.write(&unit).map_err(Stop::Io)?;
                    Ok(unit)
                }) {
                    Ok(unit) => {
                        progress.inc(unit.rows as u64);
                        match summary {
                            Some(s) => s.merge(unit.summary),
                            None => *summary = Some(unit.summary),
                        }
                    }
                    Err(e) => *stop = Some(e),
                }
            }
        };
        for (index, item) in items.enumerate() {
            if stop.is_some() {
                break;
            }
            let item = match item {
                Ok(item) => item,
                Err(f) => {
                    stop = Some(Stop::Fallback(f));
                    break;
                }
            };
            while in_flight >= limit {
                let Ok((i, r)) = results.recv() else { break };
                in_flight -= 1;
                pending.insert(i, r);
                flush(&mut pending, &mut stop, &mut summary);
            }
            let done = done.clone();
            scope.spawn(move |_| {
                let r = work(item, index == 0);
                let _ = done.send((index, r));
            });
            in_flight += 1;
            while let Ok((i, r)) = results.try_recv() {
                in_flight -= 1;
                pending.insert(i, r);
            }
            flush(&mut pending, &mut stop, &mut summary);
        }
        while in_flight > 0 {
            let Ok((i, r)) = results.recv() else { break };
            in_flight -= 1;
            pending.insert(i, r);
            flush(&mut pending, &mut stop, &mut summary);
        }
    });
    match stop {
        Some(s) => Err(s),
        None => Ok(summary.unwrap_or_default()),
    }
}

/// Evaluates root rows `rows` of `batch` (with the kernel when bound, else the
/// interpreter) and formats them. `first`: the unit holds the output's first row.
fn eval_unit(
    ctx: &Ctx,
    batch: &Batch,
    bound: Option<&bylaw_codegen::Bound>,
    rows: std::ops::Range<usize>,
    first: bool,
) -> Result<UnitOut, Stop> {
    if let (Some(b), Some(csv)) = (bound, &ctx.csv_columns) {
        return columns::csv_unit(ctx, csv, batch, b, rows);
    }
    let program = ctx.program;
    let n = rows.len();
    let outputs = program.outputs.len();
    let types: Vec<Ty> = program.outputs.iter().map(|d| program.def(*d).ty).collect();
    // Results as one flat list of values (`outputs` per row) and the failed rows.
    let mut values: Vec<Value> = Vec::with_capacity(n * outputs);
    let mut failed: BTreeMap<usize, EvalError> = BTreeMap::new();
    match bound {
        Some(b) if ctx.raw_values => {
            let Some(columns) = b.eval_columns(rows.clone()) else {
                return Err(Stop::Io(std::io::Error::other(
                    "internal error: the kernel refused a range of rows",
                )));
            };
            for (i, error) in columns.errors.iter().enumerate() {
                if *error == 0 {
                    values.extend(
                        columns
                            .outputs
                            .iter()
                            .zip(&types)
                            .map(|(c, ty)| raw_value(*ty, c.get(i).unwrap_or(0))),
                    );
                } else {
                    if let (Some(f), Some(jit)) = (columns.failure(rows.start + i), ctx.jit) {
                        failed.insert(i, jit.eval_error(&f.error));
                    }
                    values.extend(std::iter::repeat_n(Value::Bool(false), outputs));
                }
            }
        }
        _ => {
            let results = match bound {
                Some(b) => b.eval_rows(rows.clone()),
                None => ctx.evaluator.eval_rows(batch, rows.clone()),
            };
            for (i, r) in results.into_iter().enumerate() {
                match r {
                    Ok(v) if v.len() == outputs => values.extend(v),
                    Ok(_) => {
                        return Err(Stop::Io(std::io::Error::other(
                            "internal error: a row has the wrong number of outputs",
                        )));
                    }
                    Err(e) => {
                        failed.insert(i, e);
                        values.extend(std::iter::repeat_n(Value::Bool(false), outputs));
                    }
                }
            }
        }
    }

    let mut summary = Summary::new(program);
    let mut text: Vec<u8> = Vec::with_capacity(if ctx.format == OutFormat::Parquet {
        0
    } else {
        n * 64
    });
    let mut parquet = (ctx.format == OutFormat::Parquet).then(|| OutBuilder::new(&ctx.columns, n));
    let mut cell = String::with_capacity(32);
    for i in 0..n {
        let row = rows.start + i;
        let row_values = values.get(i * outputs..(i + 1) * outputs).unwrap_or(&[]);
        let result: Result<&[Value], &EvalError> = match failed.get(&i) {
            Some(e) => Err(e),
            None => Ok(row_values),
        };
        summary.add(program, result);
        // Traced on demand, only when asked for: plain runs never pay for it.
        let reason = match (ctx.explain, result) {
            (Some((d, lang)), Ok(_)) => {
                bylaw_compiler::explain::reason::reason(ctx.evaluator, batch, row, d, lang).ok()
            }
            (Some(_), Err(_)) => Some(String::new()),
            (None, _) => None,
        };
        let key = root_key(batch, row);
        match (&mut parquet, ctx.format) {
            (Some(b), _) => parquet_row(b, program, key, result, reason.as_deref()),
            (None, OutFormat::Json) => {
                write_json_row(
                    &mut text,
                    program,
                    key,
                    result,
                    first && i == 0,
                    reason.as_deref(),
                )
                .map_err(Stop::Io)?;
            }
            (None, _) => {
                write_csv_row(
                    &mut text,
                    program,
                    key,
                    result,
                    reason.as_deref(),
                    &mut cell,
                )
                .map_err(Stop::Io)?;
            }
        }
    }
    let parquet = match parquet {
        Some(b) => Some(b.finish().map_err(Stop::Io)?),
        None => None,
    };
    Ok(UnitOut {
        rows: n,
        text,
        parquet,
        summary,
    })
}

/// A kernel's raw output as a value (any type but text).
fn raw_value(ty: Ty, v: i64) -> Value {
    match ty {
        Ty::Bool => Value::Bool(v != 0),
        Ty::Date => Value::Date(v as i32),
        Ty::Enum(_) => Value::Enum(v as u32),
        _ => Value::Int(v),
    }
}

/// The columns of the output: key, error, error_in, the outputs, the reason.
fn out_columns(program: &Program, reason: bool) -> Vec<OutColumn> {
    let mut cols = vec![
        OutColumn::new(key_column(program), OutKind::Text),
        OutColumn::new("error", OutKind::Text),
        OutColumn::new("error_in", OutKind::Text),
    ];
    for d in &program.outputs {
        let def = program.def(*d);
        let kind = match def.ty {
            Ty::Money(_) | Ty::Rate => OutKind::Decimal(4),
            Ty::Decimal => OutKind::Decimal(6),
            Ty::Count | Ty::Days | Ty::Months => OutKind::Int,
            Ty::Date => OutKind::Date,
            Ty::Bool => OutKind::Bool,
            Ty::Text | Ty::Enum(_) => OutKind::Text,
        };
        cols.push(OutColumn::new(def.name.clone(), kind));
    }
    if reason {
        cols.push(OutColumn::new("reason", OutKind::Text));
    }
    cols
}

/// One row into a Parquet chunk: outputs null when the household failed.
fn parquet_row(
    b: &mut OutBuilder,
    program: &Program,
    key: &str,
    result: Result<&[Value], &EvalError>,
    reason: Option<&str>,
) {
    b.text(0, Some(key));
    let outputs = program.outputs.len();
    match result {
        Ok(values) => {
            b.null(1);
            b.null(2);
            for (i, (d, v)) in program.outputs.iter().zip(values).enumerate() {
                let col = 3 + i;
                let ty = program.def(*d).ty;
                match v {
                    Value::Bool(x) => b.bool(col, Some(*x)),
                    Value::Int(x) => b.int(col, Some(*x)),
                    Value::Date(x) => b.int(col, Some(i64::from(*x))),
                    _ => b.text(col, Some(&bylaw_compiler::format::plain(program, ty, v))),
                }
            }
        }
        Err(e) => {
            b.text(1, Some(e.code()));
            b.text(2, e.def.map(|d| program.def(d).name.as_str()));
            for i in 0..outputs {
                b.null(3 + i);
            }
        }
    }
    if let Some(reason) = reason {
        b.text(3 + outputs, Some(reason));
    }
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
    w: &mut Vec<u8>,
    program: &Program,
    key: &str,
    r: Result<&[Value], &EvalError>,
    reason: Option<&str>,
    cell: &mut String,
) -> std::io::Result<()> {
    w.extend_from_slice(csv_field(key).as_bytes());
    match r {
        Ok(values) => {
            w.extend_from_slice(b",,");
            for (d, v) in program.outputs.iter().zip(values) {
                cell.clear();
                bylaw_compiler::format::push_plain(cell, program, program.def(*d).ty, v);
                w.push(b',');
                w.extend_from_slice(csv_field(cell).as_bytes());
            }
        }
        Err(e) => {
            let within = e
                .def
                .map(|d| program.def(d).name.clone())
                .unwrap_or_default();
            write!(w, ",{},{}", e.code(), csv_field(&within))?;
            for _ in &program.outputs {
                w.push(b',');
            }
        }
    }
    if let Some(reason) = reason {
        w.push(b',');
        w.extend_from_slice(csv_field(reason).as_bytes());
    }
    w.push(b'\n');
    Ok(())
}

fn write_json_row(
    w: &mut Vec<u8>,
    program: &Program,
    key: &str,
    r: Result<&[Value], &EvalError>,
    first: bool,
    reason: Option<&str>,
) -> std::io::Result<()> {
    let mut obj = serde_json::Map::new();
    obj.insert(key_column(program), key.into());
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
        w.extend_from_slice(b",\n");
    }
    serde_json::to_writer(&mut *w, &obj).map_err(std::io::Error::other)
}

/// How the run went: how the input was read, which engine, and the whole run's time.
struct Timing {
    how: String,
    total: std::time::Duration,
    engine: String,
}

/// Totals for the closing summary.
#[derive(Default)]
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

    fn add(&mut self, program: &Program, r: Result<&[Value], &EvalError>) {
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

    /// Adds another unit's totals (`other` counts later rows).
    fn merge(&mut self, other: Summary) {
        self.households += other.households;
        for (k, n) in other.failed {
            *self.failed.entry(k).or_insert(0) += n;
        }
        self.trues
            .resize(self.trues.len().max(other.trues.len()), 0);
        for (a, b) in self.trues.iter_mut().zip(other.trues) {
            *a += b;
        }
        self.sums.resize(self.sums.len().max(other.sums.len()), 0);
        for (a, b) in self.sums.iter_mut().zip(other.sums) {
            *a += b;
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
        let secs = timing.total.as_secs_f64();
        let rate = if secs > 0.0 {
            self.households as f64 / secs
        } else {
            0.0
        };
        eprintln!(
            "{} households in {secs:.2} s ({rate:.0} households/s, read and written included): input {}, evaluated by {} on {threads} thread(s){}",
            self.households,
            timing.how,
            timing.engine,
            output.map_or(String::new(), |p| format!("; wrote {}", p.display()))
        );
    }
}
