//! What a run reports: how it read its input, which backends evaluated how many
//! households and why any stood in for another, and the totals; and the progress
//! callbacks it makes as it goes.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use super::Summary;
use crate::backend::{BackendError, BackendKind};

/// Follows a run's progress (a progress bar, a log). Every method has a no-op default;
/// `()` follows nothing.
pub trait Progress: Sync {
    /// The number of households, once known (input read whole).
    fn total(&self, _households: u64) {}
    /// Households written since the last call.
    fn advance(&self, _households: u64) {}
    /// The run starts over (the input is read whole after streaming gave up).
    fn restart(&self) {}
}

impl Progress for () {}

/// How the input was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputMode {
    /// In batches of this many households, in bounded memory.
    Streamed {
        /// Households per batch.
        batch_rows: usize,
    },
    /// Whole into memory; `why` when streaming was tried and gave up.
    Whole {
        /// Why streaming gave up, if it was tried.
        why: Option<String>,
    },
}

impl fmt::Display for InputMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputMode::Streamed { batch_rows } => write!(f, "streamed in batches of {batch_rows}"),
            InputMode::Whole { .. } => write!(f, "read whole"),
        }
    }
}

/// Which backends evaluated a run's households, and why any batch was not evaluated
/// by the backend asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendUse {
    requested: BackendKind,
    compile_time: Option<Duration>,
    households: BTreeMap<BackendKind, u64>,
    fallbacks: Vec<BackendError>,
}

impl BackendUse {
    pub(super) fn new(requested: BackendKind, compile_time: Option<Duration>) -> BackendUse {
        BackendUse {
            requested,
            compile_time,
            households: BTreeMap::new(),
            fallbacks: Vec::new(),
        }
    }

    /// The backend asked for.
    pub fn requested(&self) -> BackendKind {
        self.requested
    }

    /// How long compiling the native code took, when it was compiled.
    pub fn compile_time(&self) -> Option<Duration> {
        self.compile_time
    }

    /// Households evaluated by each backend.
    pub fn households(&self) -> impl Iterator<Item = (BackendKind, u64)> + '_ {
        self.households.iter().map(|(k, n)| (*k, *n))
    }

    /// Each distinct reason the interpreter stood in for the backend asked for.
    pub fn fallbacks(&self) -> &[BackendError] {
        &self.fallbacks
    }

    pub(super) fn add(
        &mut self,
        kind: BackendKind,
        households: u64,
        fallback: Option<BackendError>,
    ) {
        *self.households.entry(kind).or_insert(0) += households;
        if let Some(f) = fallback
            && !self.fallbacks.contains(&f)
        {
            self.fallbacks.push(f);
        }
    }
}

impl fmt::Display for BackendUse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (kind, n) in &self.households {
            if !first {
                write!(f, ", ")?;
            }
            first = false;
            write!(f, "{kind}")?;
            if let (BackendKind::Jit | BackendKind::Aot, Some(t)) = (kind, self.compile_time) {
                write!(f, ", compiled in {:.1} ms", t.as_secs_f64() * 1000.0)?;
            }
            if self.households.len() > 1 {
                write!(f, " ({n} households)")?;
            }
        }
        if first {
            write!(f, "{}", self.requested)?;
        }
        Ok(())
    }
}

/// What a run did: its totals, how it read, which backend evaluated, how long it took.
#[derive(Debug, Clone)]
pub struct RunReport {
    /// Totals over every household.
    pub summary: Summary,
    /// How the input was read.
    pub input: InputMode,
    /// Which backends evaluated, and why any fell back.
    pub backends: BackendUse,
    /// Worker threads.
    pub threads: usize,
    /// The whole run, reading and writing included.
    pub elapsed: Duration,
}

impl BackendUse {
    pub(super) fn merge(&mut self, other: BackendUse) {
        for (kind, n) in other.households {
            *self.households.entry(kind).or_insert(0) += n;
        }
        for f in other.fallbacks {
            if !self.fallbacks.contains(&f) {
                self.fallbacks.push(f);
            }
        }
    }
}
