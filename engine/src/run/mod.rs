//! Evaluating a data file into an output file: the pipeline behind `bylaw eval`.
//!
//! Writing to a file, well-ordered CSV and Parquet input is streamed: a reading thread
//! splits it into batches of households with their members, a thread pool decodes,
//! evaluates and formats batches in parallel, and the calling thread writes them in
//! order — so memory does not grow with the number of households. Any other input
//! (JSON, a writer that cannot take back what it was given, data the stream cannot
//! take) is read whole first and evaluated in the same units.
//!
//! Each batch is evaluated by the backend asked for; when native code does not compile
//! the policy, or refuses a batch, the interpreter evaluates it and the
//! [`RunReport`] says so and why. No household is ever dropped.

mod error;
mod ordered;
mod report;
mod summary;

use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use bylaw_compiler::explain::Lang;
use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::DefId;
use bylaw_runtime::batch::Batch;
use bylaw_runtime::input::{ArrowTable, BatchStream, DataFormat, Fallback, RawBatch};
use bylaw_runtime::output::AtomicFile;
use bylaw_runtime::parquet_out::{OutChunk, ParquetOut};

pub use error::RunError;
pub use report::{BackendUse, InputMode, Progress, RunReport};
pub use summary::Summary;

use crate::backend::{
    Aot, Backend, BackendError, BackendKind, Evaluation, Interpreter, Jit, Prepared,
};
use crate::output::{Chunk, OutputFormat, RowWriter};
use crate::{DataFiles, Date, Policy};

/// The most worker threads a run starts.
pub const MAX_THREADS: usize = 1024;

/// Households per batch, by default: per streamed batch, and per unit of work.
pub const BATCH_ROWS: usize = 65_536;

/// How a run evaluates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOptions {
    /// The backend asked for. Native code that declines is replaced by the
    /// interpreter, and the report says so.
    pub backend: BackendKind,
    /// Worker threads (default: one per core), at most [`MAX_THREADS`].
    pub threads: Option<usize>,
    /// Add a `reason` column in this language: why the main decision (the rule
    /// `eligible`, else the last yes/no output) came out as it did.
    pub reason: Option<Lang>,
    /// Households per batch.
    pub batch_rows: usize,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            backend: BackendKind::Jit,
            threads: None,
            reason: None,
            batch_rows: BATCH_ROWS,
        }
    }
}

/// A policy at a date, ready to evaluate data files: its backend compiled, its worker
/// threads started.
///
/// ```
/// use bylaw_engine::{DataFiles, Date, OutputFormat, Policy, Run, RunOptions};
///
/// let policy = Policy::from_text(
///     "poor.bylaw",
///     "entity household { id: text key\n income: money per month }\n\
///      rule poor \"收入低\" = income < 1000 元\n",
/// )?;
/// let dir = tempfile::tempdir()?;
/// let data = dir.path().join("households.csv");
/// std::fs::write(&data, "id,income\na,999.99\nb,1000\n")?;
/// let run = Run::new(&policy, Date::parse("2024-01")?, RunOptions::default())?;
/// let mut out = Vec::new();
/// let report = run.write_to(&DataFiles::new(&data), &mut out, OutputFormat::Csv, &())?;
/// assert_eq!(String::from_utf8(out)?, "id,error,error_in,poor\na,,,true\nb,,,false\n");
/// assert_eq!(report.summary.trues(0), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Run<'p> {
    policy: &'p Policy,
    /// Native code, when it was asked for and compiles the policy.
    native: Option<Arc<dyn Backend>>,
    /// Evaluates when there is no native code, and stands in on batches it refuses.
    interpreter: Interpreter,
    /// Why the backend asked for does not evaluate this policy at all.
    declined: Option<BackendError>,
    requested: BackendKind,
    compile_time: Option<Duration>,
    reason: Option<(DefId, Lang, Evaluator<'p>)>,
    pool: rayon::ThreadPool,
    threads: usize,
    batch_rows: usize,
}

/// Native code for a policy at a date, compiled once and shared by any number of runs.
#[derive(Clone)]
pub struct Compiled {
    backend: Arc<dyn Backend>,
    compile_time: Duration,
}

impl Compiled {
    /// The backend.
    pub fn backend(&self) -> &Arc<dyn Backend> {
        &self.backend
    }
}

/// Compiles `policy` at `date` to native code of kind `kind` (the JIT, or an AOT
/// library built and loaded).
///
/// # Errors
/// [`BackendError`] when the backend does not compile the policy; asked for the
/// interpreter, an [`BackendErrorKind::Unsupported`] error.
///
/// [`BackendErrorKind::Unsupported`]: crate::BackendErrorKind::Unsupported
pub fn compile(policy: &Policy, kind: BackendKind, date: Date) -> Result<Compiled, BackendError> {
    let program = policy.program();
    match kind {
        BackendKind::Jit => Jit::new(program, date.days()).map(|j| Compiled {
            compile_time: j.compile_time(),
            backend: Arc::new(j),
        }),
        BackendKind::Aot => Aot::new(program, date.days()).map(|a| Compiled {
            compile_time: a.build_time(),
            backend: Arc::new(a),
        }),
        BackendKind::Interpreter => Err(BackendError::new(
            kind,
            crate::BackendErrorKind::Unsupported,
            "the interpreter is not compiled",
        )),
    }
}

/// What one unit of work produced.
struct UnitOut {
    rows: usize,
    chunk: Chunk,
    summary: Summary,
    backend: BackendKind,
    fallback: Option<BackendError>,
}

/// Why writing stopped.
enum Stop {
    /// The streaming reader gave up: read the input whole instead.
    Fallback(Fallback),
    Io(io::Error),
}

impl From<io::Error> for Stop {
    fn from(e: io::Error) -> Self {
        Stop::Io(e)
    }
}

/// Where formatted units go, in order.
enum Sink<'w> {
    Text(io::BufWriter<&'w mut dyn Write>),
    Parquet(Box<ParquetOut<AtomicFile>>),
    /// Record batches kept for the caller.
    Tables(Vec<RecordBatch>),
}

/// The result of evaluating tables in memory ([`Run::evaluate_tables`]): one row per
/// household, in input order, as Arrow record batches, and the run's report.
#[derive(Debug, Clone)]
pub struct Tables {
    /// The columns: the root key, `error`, `error_in`, `error_detail`, every output
    /// (money and rates `Decimal128(19, 4)`, rates in
    /// percent; each output's Bylaw type in its field's [`crate::TYPE_KEY`] metadata), and `reason` when asked for.
    pub schema: SchemaRef,
    /// The rows, a batch per unit of work, in order.
    pub batches: Vec<RecordBatch>,
    pub report: RunReport,
}

impl<'p> Run<'p> {
    /// Compiles `policy` at `date` for the backend in `options` and starts the workers.
    ///
    /// # Errors
    /// [`RunError::Threads`] for a thread count out of range, [`RunError::NoDecision`]
    /// for a reason column with no yes/no output to explain. A backend that declines
    /// is not an error: the interpreter stands in and the report says why.
    pub fn new(policy: &'p Policy, date: Date, options: RunOptions) -> Result<Run<'p>, RunError> {
        let native = match options.backend {
            BackendKind::Interpreter => None,
            kind => Some(compile(policy, kind, date)),
        };
        Run::with_native(policy, date, options, native)
    }

    /// Like [`Run::new`], with the native code for `options.backend` compiled before
    /// ([`compile`]) — so that a caller evaluating many tables at one date compiles once.
    /// `native` is ignored when the interpreter is asked for.
    ///
    /// # Errors
    /// As [`Run::new`].
    pub fn with_native(
        policy: &'p Policy,
        date: Date,
        options: RunOptions,
        native: Option<Result<Compiled, BackendError>>,
    ) -> Result<Run<'p>, RunError> {
        let program = policy.program();
        let days = date.days();
        let threads = match options.threads {
            Some(n) if n == 0 || n > MAX_THREADS => {
                return Err(RunError::Threads {
                    asked: n,
                    detail: format!("the number must be between 1 and {MAX_THREADS}"),
                });
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(crate::WORKER_STACK)
            .build()
            .map_err(|e| RunError::Threads {
                asked: threads,
                detail: e.to_string(),
            })?;
        let reason = match options.reason {
            None => None,
            Some(lang) => match bylaw_compiler::explain::whatif::default_decision(program) {
                Some(d) => Some((d, lang, Evaluator::new(program, days))),
                None => return Err(RunError::NoDecision),
            },
        };
        let interpreter = Interpreter::new(program, days);
        let (native, compile_time, declined) = match (options.backend, native) {
            (BackendKind::Interpreter, _) | (_, None) => (None, None, None),
            (_, Some(Ok(c))) => (Some(c.backend), Some(c.compile_time), None),
            (_, Some(Err(e))) => (None, None, Some(e)),
        };
        Ok(Run {
            policy,
            native,
            interpreter,
            declined,
            requested: options.backend,
            compile_time,
            reason,
            pool,
            threads,
            batch_rows: options.batch_rows.max(1),
        })
    }

    /// Worker threads.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Evaluates every household of `batch` (read against this policy's schema).
    /// Returns the evaluation, which names the backend that computed it, and why the
    /// backend asked for did not, if it did not.
    ///
    /// # Errors
    /// [`BackendError`] if even the interpreter refuses the batch (it does not match the
    /// policy's schema).
    pub fn evaluate(
        &self,
        batch: &Batch,
    ) -> Result<(Evaluation, Option<BackendError>), BackendError> {
        let (prepared, fallback) = self.prepare(batch)?;
        Ok((prepared.evaluate(0..batch.root_len())?, fallback))
    }

    /// The backend's preparation of `batch`, or the interpreter's when it refuses it.
    fn prepare<'b>(
        &'b self,
        batch: &'b Batch,
    ) -> Result<(Box<dyn Prepared + 'b>, Option<BackendError>), BackendError> {
        match self.native.as_ref().map(|n| n.prepare(batch)) {
            Some(Ok(p)) => Ok((p, None)),
            Some(Err(e)) => Ok((self.interpreter.prepare(batch)?, Some(e))),
            None => Ok((self.interpreter.prepare(batch)?, self.declined.clone())),
        }
    }

    /// Evaluates `input` into the file `output` (CSV, JSON or Parquet by extension),
    /// atomically: the file is replaced only by a complete output.
    ///
    /// # Errors
    /// [`RunError`]: bad data, an output that cannot be written or names an input, an
    /// unknown extension.
    pub fn write_file(
        &self,
        input: &DataFiles,
        output: &Path,
        progress: &dyn Progress,
    ) -> Result<RunReport, RunError> {
        let started = Instant::now();
        let format = OutputFormat::of_path(output).map_err(RunError::OutputFormat)?;
        if input.paths().any(|p| crate::same_file(p, output)) {
            return Err(RunError::OutputIsInput {
                output: output.to_path_buf(),
            });
        }
        let writer = RowWriter::new(self.policy.program(), format, self.reason.is_some());
        let target = || format!("`{}`", output.display());
        let streamable = matches!(input.format(), DataFormat::Csv | DataFormat::Parquet);
        let mut why = None;
        if streamable {
            match BatchStream::open(
                &self.policy.program().schema,
                input.format(),
                input.data(),
                input.relations(),
                self.batch_rows,
            ) {
                Ok(stream) => {
                    let result = self.write_atomic(output, &writer, |sink| {
                        self.stream(stream, &writer, sink, progress)
                    });
                    match result {
                        Err(Stop::Fallback(f)) => why = Some(f.to_string()),
                        done => {
                            let streamed = InputMode::Streamed {
                                batch_rows: self.batch_rows,
                            };
                            return self.report(done, streamed, target(), started);
                        }
                    }
                }
                Err(f) => why = Some(f.to_string()),
            }
            progress.restart();
        }
        let batch = input.read(self.policy.program()).map_err(RunError::Data)?;
        let result = self.write_atomic(output, &writer, |sink| {
            self.whole(&batch, &writer, sink, progress)
        });
        self.report(result, InputMode::Whole { why }, target(), started)
    }

    /// Evaluates `input`, read whole, into `out` as CSV or JSON (a writer cannot take
    /// back what it was given, so nothing is written until the data has been read).
    ///
    /// # Errors
    /// [`RunError`]: bad data, a writer that fails, Parquet asked for (it needs a file).
    pub fn write_to(
        &self,
        input: &DataFiles,
        out: &mut dyn Write,
        format: OutputFormat,
        progress: &dyn Progress,
    ) -> Result<RunReport, RunError> {
        let started = Instant::now();
        let target = || "the output".to_string();
        if format == OutputFormat::Parquet {
            return Err(RunError::Output {
                target: target(),
                error: io::Error::other("Parquet is written to a file only"),
            });
        }
        let batch = input.read(self.policy.program()).map_err(RunError::Data)?;
        let writer = RowWriter::new(self.policy.program(), format, self.reason.is_some());
        let mut sink = Sink::Text(io::BufWriter::with_capacity(1 << 20, out));
        let result = (|| {
            self.header(&mut sink, &writer)?;
            let r = self.whole(&batch, &writer, &mut sink, progress)?;
            finish_text(sink, &writer)?;
            Ok(r)
        })();
        self.report(result, InputMode::Whole { why: None }, target(), started)
    }

    /// Evaluates a root table and the tables of its relations (`("members", table)`),
    /// given in memory as Arrow record batches and read as [`read_arrow`] reads them,
    /// into record batches of the results, in parallel on the run's workers.
    ///
    /// [`read_arrow`]: bylaw_runtime::input::read_arrow
    ///
    /// # Errors
    /// [`RunError::Data`] naming the table, record and column of every problem found.
    pub fn evaluate_tables(
        &self,
        root: &ArrowTable,
        relations: &[(String, ArrowTable)],
        progress: &dyn Progress,
    ) -> Result<Tables, RunError> {
        let started = Instant::now();
        let program = self.policy.program();
        let batch = bylaw_runtime::input::read_arrow(&program.schema, root, relations)
            .map_err(RunError::Data)?;
        let writer = RowWriter::in_memory(program, self.reason.is_some());
        let mut sink = Sink::Tables(Vec::new());
        let result = self.whole(&batch, &writer, &mut sink, progress);
        let report = self.report(
            result,
            InputMode::Whole { why: None },
            "the result table".to_string(),
            started,
        )?;
        let batches = match sink {
            Sink::Tables(b) => b,
            _ => Vec::new(),
        };
        Ok(Tables {
            schema: writer.arrow_schema(),
            batches,
            report,
        })
    }

    /// A finished run's report, or why it stopped writing `target`.
    fn report(
        &self,
        result: Result<(Summary, BackendUse), Stop>,
        input: InputMode,
        target: String,
        started: Instant,
    ) -> Result<RunReport, RunError> {
        match result {
            Ok((summary, used)) => {
                let mut backends = self.backend_use();
                backends.merge(used);
                Ok(RunReport {
                    summary,
                    input,
                    backends,
                    threads: self.threads,
                    elapsed: started.elapsed(),
                })
            }
            Err(Stop::Io(error)) => Err(RunError::Output { target, error }),
            Err(Stop::Fallback(f)) => Err(RunError::Output {
                target,
                error: io::Error::other(f.to_string()),
            }),
        }
    }

    fn backend_use(&self) -> BackendUse {
        BackendUse::new(self.requested, self.compile_time)
    }

    /// Writes `path` atomically in the writer's format: the header, whatever `run`
    /// writes, the end. Nothing replaces `path` unless every step succeeds.
    fn write_atomic<R>(
        &self,
        path: &Path,
        writer: &RowWriter,
        run: impl FnOnce(&mut Sink) -> Result<R, Stop>,
    ) -> Result<R, Stop> {
        let file = AtomicFile::create(path)?;
        if writer.format() == OutputFormat::Parquet {
            let out = ParquetOut::with_schema(file, writer.arrow_schema())?;
            let mut sink = Sink::Parquet(Box::new(out));
            let r = run(&mut sink)?;
            if let Sink::Parquet(out) = sink {
                out.finish().and_then(AtomicFile::commit)?;
            }
            return Ok(r);
        }
        let mut file = file;
        let r = {
            let mut sink = Sink::Text(io::BufWriter::with_capacity(
                1 << 20,
                &mut file as &mut dyn Write,
            ));
            self.header(&mut sink, writer)?;
            let r = run(&mut sink)?;
            finish_text(sink, writer)?;
            r
        };
        file.commit()?;
        Ok(r)
    }

    fn header(&self, sink: &mut Sink, writer: &RowWriter) -> io::Result<()> {
        match sink {
            Sink::Text(w) => writer.header(w),
            Sink::Parquet(_) | Sink::Tables(_) => Ok(()),
        }
    }

    /// Streams `stream`: one thread reads and links batches, the pool decodes,
    /// evaluates and formats them, and this thread writes them in order.
    fn stream(
        &self,
        mut stream: BatchStream,
        writer: &RowWriter,
        sink: &mut Sink,
        progress: &dyn Progress,
    ) -> Result<(Summary, BackendUse), Stop> {
        std::thread::scope(|threads| {
            let (to_main, batches) = std::sync::mpsc::sync_channel::<Result<RawBatch, Stop>>(2);
            threads.spawn(move || {
                loop {
                    let next = match stream.next_batch() {
                        Ok(Some(b)) => Ok(b),
                        Ok(None) => break,
                        Err(f) => Err(Stop::Fallback(f)),
                    };
                    let stop = next.is_err();
                    if to_main.send(next).is_err() || stop {
                        break;
                    }
                }
            });
            let work = |raw: RawBatch, first: bool| -> Result<UnitOut, Stop> {
                let batch = raw
                    .decode(&self.policy.program().schema)
                    .map_err(Stop::Fallback)?;
                let (prepared, fallback) = self.prepare(&batch).map_err(internal)?;
                self.unit(
                    &batch,
                    &*prepared,
                    fallback,
                    0..batch.root_len(),
                    writer,
                    first,
                )
            };
            // Dropping `batches` (when this returns) stops the reading thread.
            self.ordered(batches.into_iter(), &work, sink, progress)
        })
    }

    /// Evaluates a batch read whole, in units of the batch size.
    fn whole(
        &self,
        batch: &Batch,
        writer: &RowWriter,
        sink: &mut Sink,
        progress: &dyn Progress,
    ) -> Result<(Summary, BackendUse), Stop> {
        let total = batch.root_len();
        progress.total(total as u64);
        let (prepared, fallback) = self.prepare(batch).map_err(internal)?;
        let size = self.batch_rows;
        let ranges = (0..total.div_ceil(size)).map(|i| Ok(i * size..((i + 1) * size).min(total)));
        let work = |rows: Range<usize>, first: bool| {
            self.unit(batch, &*prepared, fallback.clone(), rows, writer, first)
        };
        self.ordered(ranges, &work, sink, progress)
    }

    /// Runs units on the pool and writes them in order, adding up their totals.
    fn ordered<T: Send>(
        &self,
        items: impl Iterator<Item = Result<T, Stop>>,
        work: &(dyn Fn(T, bool) -> Result<UnitOut, Stop> + Sync),
        sink: &mut Sink,
        progress: &dyn Progress,
    ) -> Result<(Summary, BackendUse), Stop> {
        let mut summary = Summary::new(self.policy.program().outputs.len());
        let mut used = self.backend_use();
        ordered::run_ordered(items, work, &self.pool, &mut |unit: UnitOut| {
            match (&mut *sink, unit.chunk) {
                (Sink::Text(w), Chunk::Text(bytes)) => w.write_all(&bytes)?,
                (Sink::Parquet(p), Chunk::Arrow(b)) => p.write(&OutChunk::from_record_batch(b))?,
                (Sink::Tables(t), Chunk::Arrow(b)) => t.push(b),
                _ => return Err(Stop::Io(io::Error::other("internal: output kinds differ"))),
            }
            progress.advance(unit.rows as u64);
            summary.merge(unit.summary);
            used.add(unit.backend, unit.rows as u64, unit.fallback);
            Ok(())
        })?;
        Ok((summary, used))
    }

    /// Evaluates root rows `rows` of `batch` and formats them.
    fn unit(
        &self,
        batch: &Batch,
        prepared: &dyn Prepared,
        fallback: Option<BackendError>,
        rows: Range<usize>,
        writer: &RowWriter,
        first: bool,
    ) -> Result<UnitOut, Stop> {
        let program = self.policy.program();
        let evaluation = prepared.evaluate(rows.clone()).map_err(internal)?;
        let mut summary = Summary::new(program.outputs.len());
        summary.add(program, &evaluation);
        // Traced on demand, only when asked for: plain runs never pay for it.
        let reasons: Option<Vec<String>> = self.reason.as_ref().map(|(d, lang, evaluator)| {
            rows.clone()
                .enumerate()
                .map(|(i, row)| {
                    if evaluation.is_failed(i) {
                        return String::new();
                    }
                    bylaw_compiler::explain::reason::reason(evaluator, batch, row, *d, *lang)
                        .unwrap_or_default()
                })
                .collect()
        });
        let chunk = writer.rows(batch, &evaluation, reasons.as_deref(), first)?;
        Ok(UnitOut {
            rows: rows.len(),
            chunk,
            summary,
            backend: evaluation.backend(),
            fallback,
        })
    }
}

fn finish_text(sink: Sink, writer: &RowWriter) -> io::Result<()> {
    if let Sink::Text(mut w) = sink {
        writer.footer(&mut w)?;
        w.flush()?;
    }
    Ok(())
}

/// A backend that refuses what the readers built is a bug, not the user's problem.
fn internal(e: BackendError) -> Stop {
    Stop::Io(io::Error::other(format!("internal error: {e}")))
}
