//! A reform's impact (what `bylaw diff` computes): two versions of a policy evaluated
//! over the same households through the [`Backend`] trait, then who gains and loses
//! eligibility, the distribution of changes of the amount, and the cost before and
//! after, overall and per group — weighted or not. Nothing is dropped: a household that
//! fails under either version is counted as an error, and when native code declines a
//! program the interpreter runs instead and [`Impact::backends`] says so and why.

mod choose;
mod render;
mod summary;

use std::ops::Range;
use std::path::Path;
use std::time::{Duration, Instant};

use bylaw_codegen::layout::OutputColumn;
use bylaw_compiler::types::Per;
use bylaw_runtime::batch::Batch;
use rayon::prelude::*;

use crate::{
    Backend, BackendError, BackendErrorKind, BackendKind, Date, EngineError, Evaluation, Policy,
};

pub use summary::{Summary, Tally};

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct ImpactOptions {
    /// The yes/no rule compared (default: `eligible`, else the last rule).
    pub decision: Option<String>,
    /// The money output compared (default: the last amount or fund).
    pub amount: Option<String>,
    /// A count or decimal field of the household weighting each household.
    pub weights: Option<String>,
    /// An enumeration field to break results down by (default: `city`, if there is one).
    pub by: Option<String>,
    /// Worker threads (default: all cores).
    pub threads: Option<usize>,
    /// The backend tried first; the interpreter runs if it declines (and says why).
    pub backend: BackendKind,
    /// Compare over every month of a period (each evaluated on its first day) instead
    /// of at one date: a household is eligible if it is in some month, and a monthly
    /// amount is summed over the months (any other amount is its last month's).
    pub period: Option<bylaw_runtime::period::Period>,
}

impl Default for ImpactOptions {
    fn default() -> Self {
        ImpactOptions {
            decision: None,
            amount: None,
            weights: None,
            by: None,
            threads: None,
            backend: BackendKind::Jit,
            period: None,
        }
    }
}

/// Which backend evaluated one version, and why it is not the one asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    /// The backend that evaluated every household of this version.
    pub backend: BackendKind,
    /// The asked-for backend's refusal, when another one ran.
    pub declined: Option<BackendError>,
}

impl std::fmt::Display for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.declined {
            None => write!(f, "{}", self.backend),
            Some(e) => write!(f, "{} ({e})", self.backend),
        }
    }
}

/// One household under both versions: decision and amount, or `None` where its
/// evaluation failed.
pub type Pair = (Outcome, Outcome);

/// A household's decision and amount under one version, or `None` if it failed.
pub type Outcome = Option<(bool, i64)>;

/// A reform's impact on a population.
///
/// ```
/// use bylaw_engine::impact::{Impact, ImpactOptions};
/// use bylaw_engine::{Date, Policy};
///
/// let text = |limit: u32| format!(
///     "entity household {{ id: text key\n income: money per month }}\n\
///      rule eligible \"低收入\" = income < {limit} 元\n\
///      amount grant: money per month = if eligible then {limit} 元 - income else 0 元\n");
/// let old = Policy::from_text("old.bylaw", &text(500))?;
/// let new = Policy::from_text("new.bylaw", &text(600))?;
/// let dir = tempfile::tempdir()?;
/// let data = dir.path().join("h.json");
/// std::fs::write(&data, r#"[{"id": "a", "income": "450"}, {"id": "b", "income": "550"}]"#)?;
/// let batch = bylaw_runtime::input::read_json(&old.program().schema, &data)?;
/// let impact = Impact::compute(&old, &new, &batch, None, Date::parse("2024")?, &ImpactOptions::default())?;
/// assert_eq!(impact.summary().all.gain, 1_000_000); // one household, weight 1
/// assert!(impact.csv().contains("b,false,true,0.00,50.00,50.00,"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Impact {
    pairs: Vec<Pair>,
    keys: Vec<String>,
    summary: Summary,
    group_names: Vec<String>,
    backends: (Ran, Ran),
    evaluated: Duration,
    /// The period compared over, when not one date.
    period: Option<bylaw_runtime::period::Period>,
}

impl Impact {
    /// Evaluates `old` over `batch` and `new` over `new_batch` (the same households read
    /// against its schema, when it differs; else `batch`) at `date`, and sums up.
    ///
    /// # Errors
    /// [`EngineError`] when an output, weight or group field named in `options` does not
    /// fit, or when no backend evaluates the data.
    pub fn compute(
        old: &Policy,
        new: &Policy,
        batch: &Batch,
        new_batch: Option<&Batch>,
        date: Date,
        options: &ImpactOptions,
    ) -> Result<Impact, EngineError> {
        let old_outputs = choose::outputs(old.program(), options, "OLD")?;
        let new_outputs = choose::outputs(new.program(), options, "NEW")?;
        let weights = match &options.weights {
            None => None,
            Some(w) => Some(choose::weights(old.program(), batch, w)?),
        };
        let groups = choose::groups(old.program(), batch, options.by.as_deref())?;
        let threads = match options.threads {
            Some(n) if n == 0 || n > crate::MAX_THREADS => {
                return Err(EngineError::input(
                    "bylaw::argument::threads",
                    format!("cannot run {n} worker threads"),
                )
                .with_hint(format!(
                    "ask for between 1 and {} threads, or leave --threads out to use every core",
                    crate::MAX_THREADS
                )));
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .stack_size(crate::WORKER_STACK)
            .build()
            .map_err(|e| EngineError::io("bylaw::impact::threads", e.to_string()))?;
        let started = Instant::now();
        let dates = match &options.period {
            Some(period) => crate::period::months_of(period),
            None => vec![date],
        };
        let pick = |p: &Policy, b: &Batch, o| evaluate_months(p, &dates, b, o, options.backend);
        let (olds, old_ran) = pool.install(|| pick(old, batch, old_outputs))?;
        let (news, new_ran) =
            pool.install(|| pick(new, new_batch.unwrap_or(batch), new_outputs))?;
        let evaluated = started.elapsed();
        if olds.len() != news.len() {
            return Err(EngineError::input(
                "bylaw::impact::rows",
                format!("OLD read {} households and NEW {}", olds.len(), news.len()),
            ));
        }
        let pairs: Vec<Pair> = olds.into_iter().zip(news).collect();
        let summary = summary::summarize(
            &pairs,
            weights.as_deref(),
            groups.as_ref().map(|(_, g)| g.as_slice()),
        );
        let keys = batch
            .entity(batch.root)
            .map(|e| e.keys.clone())
            .unwrap_or_default();
        Ok(Impact {
            pairs,
            keys,
            summary,
            group_names: groups.map(|(names, _)| names).unwrap_or_default(),
            backends: (old_ran, new_ran),
            evaluated,
            period: options.period.clone(),
        })
    }

    /// The period compared over, when the comparison is not at one date.
    pub fn period(&self) -> Option<&bylaw_runtime::period::Period> {
        self.period.as_ref()
    }

    /// Each household under both versions, in the data's order.
    pub fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    /// The tallies, quantiles and histogram.
    pub fn summary(&self) -> &Summary {
        &self.summary
    }

    /// The tally of each group present, by the group's name (`广州市 guangzhou`).
    pub fn groups(&self) -> impl Iterator<Item = (&str, &Tally)> {
        self.summary.groups.iter().map(|(g, t)| {
            let name = self
                .group_names
                .get(*g as usize)
                .map_or("?", String::as_str);
            (name, t)
        })
    }

    /// The backends that evaluated the old and the new version.
    pub fn backends(&self) -> (&Ran, &Ran) {
        (&self.backends.0, &self.backends.1)
    }

    /// How long evaluating both versions took.
    pub fn evaluated_in(&self) -> Duration {
        self.evaluated
    }
}

/// Whether `path` is a scenario (only `scenario`, `set` and `use` lines, at least one
/// `set`) rather than a policy.
pub fn is_scenario(path: &Path) -> bool {
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

/// Households per unit of work.
const CHUNK: usize = 16_384;

/// Decision and amount of every household over `dates` (one date, or the first days of
/// a period's months): eligible if it is on some date; a monthly amount summed, any
/// other amount as on the last date. A household that fails on one date fails, and so
/// does one whose sum does not fit.
fn evaluate_months(
    policy: &Policy,
    dates: &[Date],
    batch: &Batch,
    outputs: (usize, usize),
    kind: BackendKind,
) -> Result<(Vec<Outcome>, Ran), EngineError> {
    let program = policy.program();
    let monthly = program
        .outputs
        .get(outputs.1)
        .is_some_and(|d| program.def(*d).ty == bylaw_compiler::types::Ty::Money(Per::Month));
    let mut combined: Option<(Vec<Outcome>, Ran)> = None;
    for &date in dates {
        let (month, ran) = evaluate(policy, date, batch, outputs, kind)?;
        combined = Some(match combined {
            None => (month, ran),
            Some((mut all, first)) => {
                for (a, m) in all.iter_mut().zip(month) {
                    *a = match (*a, m) {
                        (Some((d0, a0)), Some((d1, a1))) => {
                            let amount = if monthly {
                                a0.checked_add(a1)
                            } else {
                                Some(a1)
                            };
                            amount.map(|amount| (d0 || d1, amount))
                        }
                        _ => None,
                    };
                }
                // A month where the backend asked for declined is the one to report.
                let ran = if first.declined.is_some() { first } else { ran };
                (all, ran)
            }
        });
    }
    combined.ok_or_else(|| EngineError::input("bylaw::argument::period", "the period has no month"))
}

/// Decision and amount of every household with `kind`, or with the interpreter if
/// `kind` declines.
fn evaluate(
    policy: &Policy,
    date: Date,
    batch: &Batch,
    outputs: (usize, usize),
    kind: BackendKind,
) -> Result<(Vec<Outcome>, Ran), EngineError> {
    let mut declined = None;
    if kind != BackendKind::Interpreter {
        match policy
            .backend(kind, date)
            .and_then(|b| run(b.as_ref(), batch, outputs))
        {
            Ok(v) => {
                return Ok((
                    v,
                    Ran {
                        backend: kind,
                        declined: None,
                    },
                ));
            }
            Err(e) => declined = Some(e),
        }
    }
    let refused = |e: BackendError| {
        EngineError::input("bylaw::impact::backend", e.to_string())
            .with_hint("the data must be read against the policy's own schema")
    };
    let interp = policy
        .backend(BackendKind::Interpreter, date)
        .map_err(refused)?;
    let values = run(interp.as_ref(), batch, outputs).map_err(refused)?;
    Ok((
        values,
        Ran {
            backend: BackendKind::Interpreter,
            declined,
        },
    ))
}

/// Every household through one backend, in parallel chunks, in order.
fn run(
    backend: &dyn Backend,
    batch: &Batch,
    (decision, amount): (usize, usize),
) -> Result<Vec<Outcome>, BackendError> {
    let prepared = backend.prepare(batch)?;
    let total = batch.root_len();
    let chunks: Vec<Range<usize>> = (0..total)
        .step_by(CHUNK)
        .map(|a| a..(a + CHUNK).min(total))
        .collect();
    let parts: Vec<Evaluation> = chunks
        .into_par_iter()
        .map(|rows| prepared.evaluate(rows))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::with_capacity(total);
    for e in &parts {
        let (Some(OutputColumn::Bool(d)), Some(OutputColumn::Int(a))) =
            (e.columns().get(decision), e.columns().get(amount))
        else {
            return Err(BackendError::new(
                backend.kind(),
                BackendErrorKind::RejectedBatch,
                "the decision or the amount is not a yes/no or a number column",
            ));
        };
        out.extend(
            d.iter()
                .zip(a)
                .enumerate()
                .map(|(i, (d, a))| (!e.is_failed(i)).then_some((*d != 0, *a))),
        );
        if out.len() != e.rows().end {
            return Err(BackendError::new(
                backend.kind(),
                BackendErrorKind::RowsOutOfRange,
                format!("{} results for rows {:?}", e.len(), e.rows()),
            ));
        }
    }
    Ok(out)
}
