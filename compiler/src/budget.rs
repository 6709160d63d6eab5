//! Budgets: a policy over a yearly table (one row per region and year), evaluated year by
//! year — each year at its 1 January, with `x[last year]` reading the region's previous
//! row — into a report per region and year: every output, each fund's channels, which
//! cap or floor binds, and coverage against each target with the shortfall.

use std::collections::BTreeSet;

use bylaw_runtime::batch::Batch;
use bylaw_runtime::date;

use crate::interp::Evaluator;
use crate::ir::{DefId, DefKind, ExprId, Node, Program, Value};
use crate::types::ArithOp;
use crate::years::{self, DuplicateYear, YearlyColumns};

/// Why a budget cannot be computed at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BudgetError {
    /// The policy's root entity has no `region` and `year` fields.
    NotYearly { entity: String },
    /// One region is given twice for one year (rows are file lines, the header is row 1).
    Duplicate {
        region: String,
        year: i64,
        first_row: u32,
        second_row: u32,
    },
    /// `first..last` is empty or outside the calendar.
    BadYears { first: i64, last: i64 },
}

impl std::fmt::Display for BudgetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BudgetError::NotYearly { entity } => write!(
                f,
                "`{entity}` is not a yearly table: a budget needs one row per region and year (fields `region` and `year`)"
            ),
            BudgetError::Duplicate {
                region,
                year,
                first_row,
                second_row,
            } => write!(
                f,
                "`{region}` is given twice for {year} (rows {first_row} and {second_row})"
            ),
            BudgetError::BadYears { first, last } => {
                write!(f, "the years {first}..{last} are empty or out of range")
            }
        }
    }
}

impl std::error::Error for BudgetError {}

/// The whole report: one line per region and year in the range.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Budget {
    pub policy: String,
    pub years: (i64, i64),
    /// Output names, in declaration order, with their types' names.
    pub columns: Vec<Column>,
    pub lines: Vec<BudgetLine>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Column {
    pub name: String,
    pub label_zh: String,
    pub label_en: String,
    /// `money`, `rate`, `count`, … as the value is written.
    pub kind: String,
    pub fund: bool,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct BudgetLine {
    /// The region's key (`changsha`) and its Chinese name.
    pub region: String,
    pub region_name: String,
    pub year: i64,
    /// Each output's value, as `Program::outputs`; empty when `error` is set.
    #[serde(skip)]
    pub values: Vec<Value>,
    pub error: Option<String>,
    pub funds: Vec<FundReport>,
    pub limits: Vec<LimitReport>,
    pub targets: Vec<TargetReport>,
}

/// A fund and its channels (the top-level `+` terms of its rule).
#[derive(Debug, Clone, serde::Serialize)]
pub struct FundReport {
    pub fund: String,
    /// In 0.0001 元.
    pub total: i64,
    pub channels: Vec<(String, i64)>,
}

/// How the caps and floors of one definition acted.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LimitReport {
    pub def: String,
    /// The value before limits (`None`: an exception decided it).
    pub before: Option<i64>,
    pub after: i64,
    /// The label of the limit that decided the value, if one did.
    pub binding: Option<String>,
    /// What the value exceeds its `in principle` caps by (0 if it keeps to them).
    pub excess: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct TargetReport {
    pub target: String,
    pub covered: i64,
    pub total: i64,
    /// Coverage in millionths (covered / total).
    pub coverage: Option<i64>,
    /// The share required by the end of this year (the latest milestone due), if any.
    pub required: Option<i64>,
    pub due: Option<String>,
    pub met: Option<bool>,
    /// Units still to cover to meet the required share.
    pub shortfall: i64,
    /// The shortfall in money (`cost` per unit), if the target has a cost.
    pub shortfall_cost: Option<i64>,
}

/// Evaluates `program` for every region with a row in `first..=last`.
///
/// # Errors
/// When the root entity is not a yearly table, or a region is given twice for a year.
pub fn run(program: &Program, batch: &Batch, first: i64, last: i64) -> Result<Budget, BudgetError> {
    let cols = years::yearly_columns(program).ok_or_else(|| BudgetError::NotYearly {
        entity: program
            .schema
            .root_entity()
            .map_or_else(String::new, |e| e.name.clone()),
    })?;
    if first > last || date::first_of_year(first).is_none() || date::last_of_year(last).is_none() {
        return Err(BudgetError::BadYears { first, last });
    }
    let (previous, duplicates) = years::previous_rows(batch, cols);
    if let Some(d) = duplicates.first() {
        return Err(duplicate_error(program, batch, cols, *d));
    }
    let keys = years::region_years(batch, cols);
    let region_name = |code: u32| region_names(program, cols, code);
    let regions: BTreeSet<u32> = keys.iter().map(|(r, _)| *r).collect();
    let mut lines = Vec::new();
    for year in first..=last {
        let Some(day) = date::first_of_year(year) else {
            continue;
        };
        let ev = Evaluator::new(program, day).with_previous_rows(previous.clone());
        for region in &regions {
            let (key, name) = region_name(*region);
            let row = keys.iter().position(|k| *k == (*region, year));
            let Some(row) = row else {
                lines.push(BudgetLine {
                    region: key,
                    region_name: name,
                    year,
                    values: Vec::new(),
                    error: Some(format!("the data have no row for this region in {year}")),
                    funds: Vec::new(),
                    limits: Vec::new(),
                    targets: Vec::new(),
                });
                continue;
            };
            lines.push(line(program, &ev, batch, row, year, key, name));
        }
    }
    let columns = program
        .outputs
        .iter()
        .map(|d| {
            let def = program.def(*d);
            let label = crate::explain::words::def_label(program, *d);
            Column {
                name: def.name.clone(),
                label_zh: label.zh,
                label_en: label.en,
                kind: program.type_name(def.ty),
                fund: def.kind == DefKind::Fund,
            }
        })
        .collect();
    Ok(Budget {
        policy: program
            .policy
            .as_ref()
            .map_or_else(String::new, |p| p.name.clone()),
        years: (first, last),
        columns,
        lines,
    })
}

fn line(
    program: &Program,
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    year: i64,
    region: String,
    region_name: String,
) -> BudgetLine {
    let mut out = BudgetLine {
        region,
        region_name,
        year,
        values: Vec::new(),
        error: None,
        funds: Vec::new(),
        limits: Vec::new(),
        targets: Vec::new(),
    };
    let values = match ev.eval_root(batch, row) {
        Ok(v) => v,
        Err(e) => {
            let within = e
                .def
                .map(|d| format!(" in `{}`", program.def(d).name))
                .unwrap_or_default();
            out.error = Some(format!("{}{within}: {}", e.code(), e.detail));
            return out;
        }
    };
    for (i, d) in program.outputs.iter().enumerate() {
        let def = program.def(*d);
        let after = match values.get(i) {
            Some(Value::Int(v)) => *v,
            _ => continue,
        };
        if def.kind == DefKind::Fund
            && let Some(body) = ev.body_in_force(*d)
        {
            let mut terms = Vec::new();
            channel_terms(program, body, &mut terms);
            let channels = terms
                .iter()
                .filter_map(|t| {
                    let v = match ev.eval_expr(batch, row, *t) {
                        Ok(Value::Int(v)) => v,
                        _ => return None,
                    };
                    Some((channel_label(program, *t), v))
                })
                .collect();
            out.funds.push(FundReport {
                fund: def.name.clone(),
                total: after,
                channels,
            });
        }
        if let Ok(Some(outcome)) = ev.limits_of(batch, row, *d) {
            out.limits
                .push(limit_report(program, ev, *d, after, &outcome));
        }
    }
    out.values = values;
    for t in &program.targets {
        let covered = ev.eval_expr(batch, row, t.covered);
        let total = ev.eval_expr(batch, row, t.total);
        let (Ok(Value::Int(covered)), Ok(Value::Int(total))) = (covered, total) else {
            continue;
        };
        let end = date::last_of_year(year).unwrap_or(i32::MAX);
        let due = t.milestones.iter().rev().find(|m| m.by <= end);
        let coverage = (total > 0).then(|| {
            i64::try_from(i128::from(covered) * 1_000_000 / i128::from(total)).unwrap_or(i64::MAX)
        });
        let (required, met, shortfall) = match due {
            None => (None, None, 0),
            Some(m) => {
                // Units needed: the smallest n with n / total ≥ share.
                let need = (i128::from(m.share) * i128::from(total) + 999_999) / 1_000_000;
                let short = (need - i128::from(covered)).max(0);
                (
                    Some(m.share),
                    Some(short == 0),
                    i64::try_from(short).unwrap_or(i64::MAX),
                )
            }
        };
        let shortfall_cost = t.cost.and_then(|c| match ev.eval_expr(batch, row, c) {
            Ok(Value::Int(unit)) => unit.checked_mul(shortfall),
            _ => None,
        });
        out.targets.push(TargetReport {
            target: t.name.clone(),
            covered,
            total,
            coverage,
            required,
            due: due.map(|m| date::format_date(m.by)),
            met,
            shortfall,
            shortfall_cost,
        });
    }
    out
}

fn limit_report(
    program: &Program,
    ev: &Evaluator,
    def: DefId,
    after: i64,
    outcome: &crate::interp::LimitOutcome,
) -> LimitReport {
    let version = ev
        .body_in_force(def)
        .and_then(|b| program.def(def).versions.iter().find(|v| v.body == b));
    let label_of = |i: usize| {
        version
            .and_then(|v| v.limits.get(i))
            .map(|l| {
                l.origin
                    .meta
                    .label
                    .as_ref()
                    .map_or_else(|| format!("limit {}", i + 1), |s| s.text.clone())
            })
            .unwrap_or_default()
    };
    let mut binding = None;
    let mut excess = 0;
    for (i, step) in outcome.steps.iter().enumerate() {
        let principle = version
            .and_then(|v| v.limits.get(i))
            .is_some_and(|l| l.principle);
        if !step.binds {
            continue;
        }
        if principle {
            let over = outcome.before.unwrap_or(after).saturating_sub(step.limit);
            excess = excess.max(over.abs());
        } else {
            binding = Some(label_of(i));
        }
    }
    LimitReport {
        def: program.def(def).name.clone(),
        before: outcome.before,
        after,
        binding,
        excess,
    }
}

/// The top-level `+` terms of a fund's rule: its channels.
fn channel_terms(program: &Program, id: ExprId, out: &mut Vec<ExprId>) {
    match program.node(id) {
        Node::Arith {
            op: ArithOp::Add,
            lhs,
            rhs,
        } => {
            channel_terms(program, *lhs, out);
            channel_terms(program, *rhs, out);
        }
        _ => out.push(id),
    }
}

/// A channel's name: the definition or field it reads, else its words.
fn channel_label(program: &Program, id: ExprId) -> String {
    match program.node(id) {
        Node::Def(d) => program.def(*d).name.clone(),
        Node::Param { param, .. } => program
            .params
            .get(param.index())
            .map_or_else(String::new, |p| p.name.clone()),
        Node::Field { entity, field } => program
            .schema
            .entity(*entity)
            .and_then(|e| e.fields.get(field.0 as usize))
            .map_or_else(String::new, |f| f.name.clone()),
        _ => crate::explain::render::phrase(
            &crate::explain::words::words(program, id),
            crate::explain::Lang::En,
        ),
    }
}

/// A region code's key and Chinese name.
fn region_names(program: &Program, cols: YearlyColumns, code: u32) -> (String, String) {
    let schema = crate::years::region_enum(program, cols);
    let variant = schema.as_ref().and_then(|e| {
        let v = e.variants.get(code as usize)?;
        let label = program
            .enums
            .iter()
            .find(|d| d.name == e.name)
            .and_then(|d| d.variants.get(code as usize))
            .map_or_else(|| v.name.clone(), |d| d.label.clone());
        Some((v.name.clone(), label))
    });
    variant.unwrap_or_else(|| (code.to_string(), code.to_string()))
}

fn duplicate_error(
    program: &Program,
    batch: &Batch,
    cols: YearlyColumns,
    d: DuplicateYear,
) -> BudgetError {
    let source_row = |r: usize| {
        batch
            .entity(batch.root)
            .and_then(|e| e.source_rows.get(r).copied())
            .unwrap_or(r as u32 + 1)
    };
    BudgetError::Duplicate {
        region: region_names(program, cols, d.region).0,
        year: d.year,
        first_row: source_row(d.first),
        second_row: source_row(d.second),
    }
}
