//! The totals of a run, kept exactly as it goes: households, failures by cause, how
//! many households each yes/no output holds for, and the sum of each numeric output.

use std::collections::BTreeMap;

use bylaw_codegen::layout::OutputColumn;
use bylaw_compiler::ir::Program;

use crate::backend::Evaluation;

/// Totals over every household of a run (or of part of one; parts merge in order).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    households: u64,
    /// Failed households by error code and the definition the error arose in.
    failed: BTreeMap<(String, String), u64>,
    /// Per output: households that did not fail for which a yes/no output is true.
    trues: Vec<u64>,
    /// Per output: the sum of a numeric output over households that did not fail, in
    /// the output's scaled units (0.0001 元 for money).
    sums: Vec<i128>,
}

impl Summary {
    /// Empty totals for a program with `outputs` outputs.
    pub(crate) fn new(outputs: usize) -> Summary {
        Summary {
            households: 0,
            failed: BTreeMap::new(),
            trues: vec![0; outputs],
            sums: vec![0; outputs],
        }
    }

    /// Adds every household of `evaluation`, column by column.
    pub(crate) fn add(&mut self, program: &Program, evaluation: &Evaluation) {
        let n = evaluation.len();
        self.households += n as u64;
        let ok = |i: &usize| !evaluation.is_failed(*i);
        for (c, column) in evaluation.columns().iter().enumerate() {
            match column {
                OutputColumn::Bool(values) => {
                    let trues = (0..n)
                        .filter(ok)
                        .filter(|i| values.get(*i).is_some_and(|v| *v != 0))
                        .count() as u64;
                    if let Some(t) = self.trues.get_mut(c) {
                        *t += trues;
                    }
                }
                OutputColumn::Int(values) => {
                    let sum: i128 = (0..n)
                        .filter(ok)
                        .map(|i| i128::from(values.get(i).copied().unwrap_or(0)))
                        .sum();
                    if let Some(s) = self.sums.get_mut(c) {
                        *s += sum;
                    }
                }
                OutputColumn::Date(_) | OutputColumn::Code(_) => {}
            }
        }
        for (_, e) in evaluation.errors() {
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

    /// Adds the totals of later households.
    pub(crate) fn merge(&mut self, other: Summary) {
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

    /// Households evaluated, failed or not.
    pub fn households(&self) -> u64 {
        self.households
    }

    /// Households that failed.
    pub fn failed(&self) -> u64 {
        self.failed.values().sum()
    }

    /// Failures by cause: (error code, definition it arose in, households), in order of
    /// code then definition.
    pub fn failures(&self) -> impl Iterator<Item = (&str, &str, u64)> {
        self.failed
            .iter()
            .map(|((code, within), n)| (code.as_str(), within.as_str(), *n))
    }

    /// For yes/no output `output` (in the program's output order): households that did
    /// not fail for which it is true.
    pub fn trues(&self, output: usize) -> u64 {
        self.trues.get(output).copied().unwrap_or(0)
    }

    /// For numeric output `output`: its exact sum over households that did not fail, in
    /// the output's scaled units (0.0001 元 for money, 10⁻⁶ for rates and decimals).
    pub fn sum(&self, output: usize) -> i128 {
        self.sums.get(output).copied().unwrap_or(0)
    }
}
