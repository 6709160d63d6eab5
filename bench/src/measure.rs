//! Timing one policy over one batch with every engine, in one run: the interpreter,
//! native code (JIT) on one thread and on all threads, the AOT object linked into a
//! shared library and loaded, and (for the dibao policy) the hand-written loop. The
//! engines take turns, round after round, and each keeps its best round, so that a
//! slow spell of a shared machine falls on all of them alike. Each engine's checksum
//! (the sum of the last output that is not text — a number, a rule as 0 or 1, a date as
//! its day number — over the households that did not fail, and the number that failed)
//! must agree, so a fast engine cannot be fast by computing something
//! else.

use crate::hand_dibao::{HandDibao, HandOut, OK};
use bylaw_codegen::{Bound, JitPolicy, LoadedBound, LoadedPolicy, ResultColumns};
use bylaw_compiler::interp::Evaluator;
use bylaw_compiler::ir::{Program, Value};
use bylaw_runtime::batch::Batch;
use bylaw_runtime::native::layout::OutputColumn;
use rayon::prelude::*;
use std::time::{Duration, Instant};

/// Households per call into an engine (buffers are reused between calls).
pub const CHUNK: usize = 4096;

/// What one engine computed: the sum of the last output's integer values (wrapping)
/// over households without an error, and how many had an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Checksum {
    pub last_output_sum: i64,
    pub failed: u64,
}

impl Checksum {
    fn add(self, other: Checksum) -> Checksum {
        Checksum {
            last_output_sum: self.last_output_sum.wrapping_add(other.last_output_sum),
            failed: self.failed + other.failed,
        }
    }
}

/// One engine's best time over the whole batch.
#[derive(Debug, Clone)]
pub struct Measurement {
    pub engine: String,
    pub threads: usize,
    pub households: usize,
    pub time: Duration,
    pub checksum: Checksum,
}

impl Measurement {
    /// Households per second.
    #[must_use]
    pub fn per_second(&self) -> f64 {
        let s = self.time.as_secs_f64();
        if s > 0.0 {
            self.households as f64 / s
        } else {
            0.0
        }
    }
}

/// The interpreter over every household, on this thread.
#[must_use]
pub fn interpreter(evaluator: &Evaluator, batch: &Batch) -> Checksum {
    let n = batch.root_len();
    let checked = checked_outputs(evaluator.program()).checked_sub(1);
    let mut sum = Checksum::default();
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        for r in evaluator.eval_rows(batch, start..end) {
            match r {
                Ok(values) => {
                    // As native code stores it: booleans 0 or 1, dates as day numbers,
                    // variants as their index.
                    let v = match checked.and_then(|i| values.get(i)) {
                        Some(Value::Int(v)) => *v,
                        Some(Value::Bool(b)) => i64::from(*b),
                        Some(Value::Date(d)) => i64::from(*d),
                        Some(Value::Enum(e)) => i64::from(*e),
                        Some(Value::Text(_)) | None => 0,
                    };
                    sum.last_output_sum = sum.last_output_sum.wrapping_add(v);
                }
                Err(_) => sum.failed += 1,
            }
        }
        start = end;
    }
    sum
}

/// How many outputs the checksum looks at: up to the last that is not text (a text
/// output is a code into each call's own dictionary natively, so it cannot be compared
/// by number). The checksum sums the last of them.
#[must_use]
pub fn checked_outputs(program: &Program) -> usize {
    program
        .outputs
        .iter()
        .rposition(|d| program.def(*d).ty != bylaw_compiler::types::Ty::Text)
        .map_or(0, |i| i + 1)
}

/// Compiled code bound to a batch: JIT or AOT.
pub trait Kernel: Sync {
    /// Evaluates `rows` into `out`; `false` if the rows are refused.
    fn eval_into(&self, rows: std::ops::Range<usize>, out: &mut ResultColumns) -> bool;
}

impl Kernel for Bound<'_> {
    fn eval_into(&self, rows: std::ops::Range<usize>, out: &mut ResultColumns) -> bool {
        self.eval_columns_into(rows, out)
    }
}

impl Kernel for LoadedBound<'_> {
    fn eval_into(&self, rows: std::ops::Range<usize>, out: &mut ResultColumns) -> bool {
        self.eval_columns_into(rows, out)
    }
}

/// Native code over `rows`, into reused result columns, on this thread.
#[must_use]
pub fn native_rows(bound: &impl Kernel, outputs: usize, rows: std::ops::Range<usize>) -> Checksum {
    let mut columns = ResultColumns::default();
    let mut sum = Checksum::default();
    let mut start = rows.start;
    while start < rows.end {
        let end = (start + CHUNK).min(rows.end);
        if !bound.eval_into(start..end, &mut columns) {
            sum.failed += (end - start) as u64;
        } else {
            let last = outputs.checked_sub(1).and_then(|i| columns.outputs.get(i));
            sum = sum.add(match last {
                Some(OutputColumn::Int(v)) => chunk_checksum(v, &columns.errors),
                Some(OutputColumn::Bool(v)) => chunk_checksum(v, &columns.errors),
                Some(OutputColumn::Date(v)) => chunk_checksum(v, &columns.errors),
                Some(OutputColumn::Code(v)) => chunk_checksum(v, &columns.errors),
                None => chunk_checksum::<i64>(&[], &columns.errors),
            });
        }
        start = end;
    }
    sum
}

/// The checksum of one call's results: the column's type is matched once per call,
/// not once per row, so the harness costs the engines as little as the hand loop's.
fn chunk_checksum<T: Copy + Into<i64>>(last: &[T], errors: &[u8]) -> Checksum {
    let mut sum = Checksum::default();
    for (i, e) in errors.iter().enumerate() {
        if *e == 0 {
            let v = last.get(i).map_or(0, |v| (*v).into());
            sum.last_output_sum = sum.last_output_sum.wrapping_add(v);
        } else {
            sum.failed += 1;
        }
    }
    sum
}

/// Native code over every household, split across the pool's threads.
#[must_use]
pub fn native_parallel(
    bound: &impl Kernel,
    outputs: usize,
    n: usize,
    pool: &rayon::ThreadPool,
) -> Checksum {
    let per = CHUNK * 16;
    pool.install(|| {
        (0..n.div_ceil(per))
            .into_par_iter()
            .map(|i| native_rows(bound, outputs, i * per..((i + 1) * per).min(n)))
            .reduce(Checksum::default, Checksum::add)
    })
}

/// The hand-written loop over every household, on this thread.
#[must_use]
pub fn hand_loop(hand: &HandDibao, batch: &Batch) -> Checksum {
    let n = batch.root_len();
    let mut out = HandOut::with_capacity(CHUNK);
    let mut sum = Checksum::default();
    let mut start = 0;
    while start < n {
        let end = (start + CHUNK).min(n);
        hand.eval(batch, start..end, &mut out);
        for (b, e) in out.benefit.iter().zip(&out.error) {
            if *e == OK {
                sum.last_output_sum = sum.last_output_sum.wrapping_add(*b);
            } else {
                sum.failed += 1;
            }
        }
        start = end;
    }
    sum
}

/// Every measurement of one run.
#[derive(Debug, Clone)]
pub struct Report {
    pub households: usize,
    /// Compiling the policy to native code in memory (JIT).
    pub compile_time: Duration,
    /// Compiling the AOT object, linking it with the C compiler and loading it.
    pub aot_build_time: Option<Duration>,
    pub measurements: Vec<Measurement>,
    /// Why an engine has no row (AOT without a C compiler, the hand-written loop for a
    /// policy other than dibao).
    pub notes: Vec<String>,
}

impl Report {
    /// The measurement of `engine` on `threads` threads.
    #[must_use]
    pub fn get(&self, engine: &str, threads: usize) -> Option<&Measurement> {
        self.measurements
            .iter()
            .find(|m| m.engine == engine && m.threads == threads)
    }
}

/// One engine to time: its name, threads, and one pass over every household.
type Run<'a> = (&'static str, usize, Box<dyn Fn() -> Checksum + 'a>);

/// Measures every engine on `batch` in `rounds` interleaved rounds (each engine once a
/// round, its best round kept), native code on 1 and `threads` threads.
///
/// # Errors
/// If the policy cannot be compiled to native code, the batch does not fit it, or two
/// engines' checksums differ.
pub fn run_all(
    program: &Program,
    date: i32,
    batch: &Batch,
    threads: usize,
    rounds: usize,
) -> Result<Report, String> {
    let n = batch.root_len();
    let outputs = checked_outputs(program);
    let mut notes = Vec::new();
    // A policy native code refuses (one reading `[last year]`, say) is timed in the
    // interpreter alone, as `bylaw eval` would run it.
    let jit = JitPolicy::new(program, date)
        .map_err(|e| notes.push(format!("no native rows: {e}")))
        .ok();
    let bound = match &jit {
        Some(j) => Some(j.bind(batch).map_err(|e| e.to_string())?),
        None => None,
    };
    let aot = match &bound {
        Some(_) => LoadedPolicy::build(program, date)
            .map_err(|e| notes.push(format!("no AOT row: {e}")))
            .ok(),
        None => None,
    };
    let aot_bound = match &aot {
        Some(a) => Some(a.bind(batch).map_err(|e| e.to_string())?),
        None => None,
    };
    let hand = HandDibao::new(program, date)
        .map_err(|why| notes.push(format!("no hand-written loop: {why}")))
        .ok();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .build()
        .map_err(|e| e.to_string())?;
    let evaluator = Evaluator::new(program, date);

    let mut runs: Vec<Run> = vec![(
        "interpreter",
        1,
        Box::new(|| interpreter(&evaluator, batch)),
    )];
    if let Some(bound) = &bound {
        runs.push((
            "native (JIT)",
            1,
            Box::new(move || native_rows(bound, outputs, 0..n)),
        ));
        if threads > 1 {
            let pool = &pool;
            runs.push((
                "native (JIT)",
                threads,
                Box::new(move || native_parallel(bound, outputs, n, pool)),
            ));
        }
    }
    if let Some(a) = &aot_bound {
        runs.push((
            "native (AOT)",
            1,
            Box::new(move || native_rows(a, outputs, 0..n)),
        ));
    }
    if let Some(h) = &hand {
        runs.push((
            "hand-written Rust",
            1,
            Box::new(move || hand_loop(h, batch)),
        ));
    }
    let mut best = vec![(Duration::MAX, Checksum::default()); runs.len()];
    for _ in 0..rounds.max(1) {
        for ((_, _, run), best) in runs.iter().zip(&mut best) {
            let t = Instant::now();
            let checksum = std::hint::black_box(run());
            let time = t.elapsed();
            if time < best.0 {
                *best = (time, checksum);
            }
        }
    }
    let measurements: Vec<Measurement> = runs
        .iter()
        .zip(best)
        .map(|((engine, threads, _), (time, checksum))| Measurement {
            engine: (*engine).to_owned(),
            threads: *threads,
            households: n,
            time,
            checksum,
        })
        .collect();
    if let Some(first) = measurements.first()
        && let Some(other) = measurements.iter().find(|m| m.checksum != first.checksum)
    {
        return Err(format!(
            "engines disagree: {} gives {:?}, {} gives {:?}",
            first.engine, first.checksum, other.engine, other.checksum
        ));
    }
    Ok(Report {
        households: n,
        compile_time: jit.as_ref().map_or(Duration::ZERO, JitPolicy::compile_time),
        aot_build_time: aot.as_ref().map(LoadedPolicy::build_time),
        measurements,
        notes,
    })
}
