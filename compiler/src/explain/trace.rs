//! How one household's outputs were reached, as data: for each output its value, the
//! exception or base that produced it, the rounding done, the citation, and for each rule
//! the conditions that held or failed with the actual values and the thresholds they were
//! compared with (parameters with their key, the level the value came from and its
//! effective date). Traced on demand: normal runs never pay for it.

use bylaw_runtime::batch::Batch;
use bylaw_runtime::date::format_date;

use super::words::{Label, Lang, Words, def_label, per_person_of, value_text_per, words};
use crate::interp::{EvalError, Evaluator, param_value_at};
use crate::ir::*;
use crate::types::Ty;

/// A value with its type, written for people in both languages.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Shown {
    /// Exact, machine-readable (as in output files).
    pub plain: String,
    pub zh: String,
    pub en: String,
}

impl Shown {
    pub fn new(program: &Program, ty: Ty, v: &Value) -> Shown {
        Shown {
            plain: crate::format::plain(program, ty, v),
            zh: value_text_per(program, ty, v, Lang::Zh, false),
            en: value_text_per(program, ty, v, Lang::En, false),
        }
    }

    /// With `元/人/月` when the amount is declared per person.
    pub fn per(program: &Program, ty: Ty, v: &Value, per_person: bool) -> Shown {
        Shown {
            plain: crate::format::plain(program, ty, v),
            zh: value_text_per(program, ty, v, Lang::Zh, per_person),
            en: value_text_per(program, ty, v, Lang::En, per_person),
        }
    }

    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::Zh => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// Where a parameter value came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ParamSource {
    pub parameter: String,
    /// The key asked for, and the key whose value was used (a parent region's).
    pub key: Option<String>,
    pub used_key: Option<String>,
    pub from: String,
    pub citation: Vec<String>,
    pub assumed: Option<String>,
}

/// One side of a comparison: its words, its value, and the parameter behind it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Term {
    pub words: Words,
    pub value: Option<Shown>,
    pub param: Option<ParamSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Condition {
    All {
        holds: bool,
        items: Vec<Condition>,
    },
    Any {
        holds: bool,
        items: Vec<Condition>,
    },
    Not {
        holds: bool,
        item: Box<Condition>,
    },
    Compare {
        holds: bool,
        op: super::words::Compare,
        lhs: Box<Term>,
        rhs: Box<Term>,
    },
    /// A rule or yes/no input, with its value; for a rule, the conditions that made it so.
    Fact {
        holds: bool,
        words: Words,
        #[serde(skip_serializing_if = "Option::is_none")]
        because: Option<Box<Condition>>,
    },
    /// Not evaluated: `and`/`or` stopped before it.
    Skipped {
        words: Words,
    },
}

impl Condition {
    pub fn holds(&self) -> Option<bool> {
        match self {
            Condition::All { holds, .. }
            | Condition::Any { holds, .. }
            | Condition::Not { holds, .. }
            | Condition::Compare { holds, .. }
            | Condition::Fact { holds, .. } => Some(*holds),
            Condition::Skipped { .. } => None,
        }
    }
}

/// One output, traced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct OutputTrace {
    pub label: Label,
    pub value: Shown,
    /// `base`, or the name of the exception that applied.
    pub via: String,
    /// The formula in words (for values), or the conditions (for rules).
    pub formula: Words,
    pub condition: Option<Condition>,
    /// Operands of the formula with their values (one level deep).
    pub operands: Vec<Term>,
    /// Caps and floors (`at most`, `at least`), in the order they applied.
    pub limits: Vec<LimitTrace>,
    /// The value before rounding to the fen, when rounding changed it.
    pub unrounded: Option<Shown>,
    pub rounding: Option<String>,
    pub citation: Vec<String>,
    pub assumed: Option<String>,
}

/// One `at most` / `at least` clause of a definition, for one record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LimitTrace {
    pub label: String,
    pub at_most: bool,
    /// 原则上: reported, not applied.
    pub principle: bool,
    pub limit: Shown,
    /// The value it acted on.
    pub before: Shown,
    /// Whether the value was beyond the limit (and so, unless `principle`, set to it).
    pub binds: bool,
    pub limit_words: Words,
    pub citation: Vec<String>,
}

/// A household's decision, traced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DecisionTrace {
    pub id: String,
    pub date: String,
    pub outputs: Vec<OutputTrace>,
    pub error: Option<TracedError>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TracedError {
    pub code: String,
    pub within: Option<String>,
    pub detail: String,
}

/// Traces every output of root record `row`.
pub fn trace(evaluator: &Evaluator, batch: &Batch, row: usize) -> DecisionTrace {
    let program = evaluator.program();
    let id = batch
        .entities
        .get(batch.root.0 as usize)
        .and_then(|e| e.keys.get(row))
        .cloned()
        .unwrap_or_default();
    let mut outputs = Vec::new();
    let mut error = None;
    for def in &program.outputs {
        match trace_def(evaluator, batch, row, *def) {
            Ok(t) => outputs.push(t),
            Err(e) => {
                error = Some(traced_error(program, &e));
                break;
            }
        }
    }
    DecisionTrace {
        id,
        date: format_date(evaluator.date()),
        outputs,
        error,
    }
}

fn traced_error(program: &Program, e: &EvalError) -> TracedError {
    TracedError {
        code: e.code().to_string(),
        within: e.def.map(|d| program.def(d).name.clone()),
        detail: e.detail.clone(),
    }
}

fn citation(meta: &bylaw_grammar::ast::Meta) -> Vec<String> {
    meta.sources
        .iter()
        .map(|s| format!("{} “{}”", s.document.name, s.quote.text))
        .collect()
}

fn trace_def(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    id: DefId,
) -> Result<OutputTrace, EvalError> {
    let program = ev.program();
    let d = program.def(id);
    let value = ev.eval_one(batch, row, id)?;
    let mut via = "base".to_string();
    let mut body = ev.body_in_force(id);
    let mut meta = &d.origin.meta;
    for x in &d.exceptions {
        if ev.eval_expr(batch, row, x.condition)? == Value::Bool(true) {
            via = x.name.clone().unwrap_or_else(|| "exception".into());
            body = Some(x.value);
            meta = &x.origin.meta;
            break;
        }
    }
    let Some(body) = body else {
        return Err(ev
            .eval_one(batch, row, id)
            .err()
            .unwrap_or_else(|| EvalError {
                kind: crate::interp::ErrorKind::MissingValue,
                def: Some(id),
                detail: format!("no version of `{}` is in force", d.name),
            }));
    };
    let condition = if d.ty == Ty::Bool {
        Some(condition(ev, batch, row, body)?)
    } else {
        None
    };
    let operands = if d.ty == Ty::Bool {
        Vec::new()
    } else {
        operands(ev, batch, row, body)?
    };
    let mut limits = Vec::new();
    let mut limited = None;
    if via == "base"
        && let Some(outcome) = ev.limits_of(batch, row, id)?
        && let Some(before) = outcome.before
        && let Some(version) = d
            .versions
            .iter()
            .find(|v| Some(v.body) == ev.body_in_force(id))
    {
        let mut at = before;
        for (step, l) in outcome.steps.iter().zip(&version.limits) {
            let shown = |v: i64| Shown::per(program, d.ty, &Value::Int(v), d.per_person);
            limits.push(LimitTrace {
                label: l
                    .origin
                    .meta
                    .label
                    .as_ref()
                    .map_or_else(String::new, |s| s.text.clone()),
                at_most: l.at_most,
                principle: l.principle,
                limit: shown(step.limit),
                before: shown(at),
                binds: step.binds,
                limit_words: words(program, l.value),
                citation: citation(&l.origin.meta),
            });
            if step.binds && !l.principle {
                at = step.limit;
            }
        }
        limited = Some(Value::Int(at));
    }
    let (unrounded, rounding) = match d.rounding {
        Some(mode) => {
            let raw = match &limited {
                Some(v) => v.clone(),
                None => ev.eval_expr(batch, row, body)?,
            };
            let changed = raw != value;
            (
                changed.then(|| Shown::per(program, d.ty, &raw, d.per_person)),
                Some(mode.as_str().to_string()),
            )
        }
        None => (None, None),
    };
    Ok(OutputTrace {
        label: def_label(program, id),
        value: Shown::per(program, d.ty, &value, d.per_person),
        via,
        formula: words(program, body),
        condition,
        operands,
        limits,
        unrounded,
        rounding,
        citation: citation(meta),
        assumed: meta.assumed.as_ref().map(|a| a.text.clone()),
    })
}

fn term(ev: &Evaluator, batch: &Batch, row: usize, id: ExprId) -> Result<Term, EvalError> {
    let program = ev.program();
    let value = ev.eval_expr(batch, row, id)?;
    let param = match program.node(id) {
        Node::Param { param, key } => {
            let p = &program.params[param.index()];
            let key_value = match key {
                Some(k) => match ev.eval_expr(batch, row, *k)? {
                    Value::Enum(e) => Some(e),
                    _ => None,
                },
                None => None,
            };
            let variant = |k: u32| {
                p.by.and_then(|e| program.enums.get(e.index()))
                    .and_then(|e| e.variants.get(k as usize))
                    .map(|v| v.name.clone())
            };
            param_value_at(program, p, key_value, ev.date()).map(|(_, used)| {
                let entry = p
                    .entries
                    .iter()
                    .filter(|e| e.key == used && e.from <= ev.date())
                    .max_by_key(|e| e.from);
                ParamSource {
                    parameter: p.name.clone(),
                    key: key_value.and_then(variant),
                    used_key: used.and_then(variant),
                    from: entry.map_or_else(String::new, |e| format_date(e.from)),
                    citation: entry.map(|e| citation(&e.origin.meta)).unwrap_or_default(),
                    assumed: entry
                        .and_then(|e| e.origin.meta.assumed.as_ref().map(|a| a.text.clone())),
                }
            })
        }
        _ => None,
    };
    Ok(Term {
        words: words(program, id),
        value: Some(Shown::per(
            program,
            program.ty(id),
            &value,
            per_person_of(program, id),
        )),
        param,
    })
}

/// The named parts of a formula (definitions, fields, parameters, aggregates) with values.
fn operands(ev: &Evaluator, batch: &Batch, row: usize, id: ExprId) -> Result<Vec<Term>, EvalError> {
    let program = ev.program();
    let mut out = Vec::new();
    let mut stack = vec![id];
    while let Some(x) = stack.pop() {
        match program.node(x) {
            Node::Def(_)
            | Node::Field { .. }
            | Node::Param { .. }
            | Node::Aggregate { .. }
            | Node::History { .. }
            | Node::Scale { .. } => {
                // A history's dates are shown after it: the day it counts to.
                if let Node::History { dates, .. } = program.node(x) {
                    stack.extend(dates.iter().rev());
                }
                // Only what this household actually reached is shown.
                if let Ok(t) = term(ev, batch, row, x)
                    && !out.contains(&t)
                {
                    out.push(t);
                }
            }
            Node::Arith { lhs, rhs, .. } => {
                stack.push(*rhs);
                stack.push(*lhs);
            }
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                let taken = if ev.eval_expr(batch, row, *condition)? == Value::Bool(true) {
                    then
                } else {
                    otherwise
                };
                stack.push(*taken);
                stack.push(*condition);
            }
            Node::MinMax { args, .. } | Node::Call { args, .. } => stack.extend(args.iter().rev()),
            Node::Neg(a) | Node::Not(a) => stack.push(*a),
            _ => {}
        }
    }
    Ok(out)
}

/// The condition tree of a boolean expression, evaluated as the interpreter does (left to
/// right, stopping when the outcome is known).
pub fn condition(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    id: ExprId,
) -> Result<Condition, EvalError> {
    condition_at(ev, batch, row, id, 0)
}

fn condition_at(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    id: ExprId,
    depth: usize,
) -> Result<Condition, EvalError> {
    let program = ev.program();
    Ok(match program.node(id) {
        Node::And(..) | Node::Or(..) => {
            let and = matches!(program.node(id), Node::And(..));
            let mut parts = Vec::new();
            super::words::flatten(program, id, and, &mut parts);
            let mut items = Vec::new();
            let mut decided: Option<bool> = None;
            for p in parts {
                if decided.is_some() {
                    items.push(Condition::Skipped {
                        words: words(program, p),
                    });
                    continue;
                }
                let c = condition_at(ev, batch, row, p, depth)?;
                if c.holds() == Some(!and) {
                    decided = Some(!and);
                }
                items.push(c);
            }
            let holds = decided.unwrap_or(and);
            if and {
                Condition::All { holds, items }
            } else {
                Condition::Any { holds, items }
            }
        }
        Node::Not(a) => {
            let inner = condition_at(ev, batch, row, *a, depth)?;
            Condition::Not {
                holds: inner.holds() == Some(false),
                item: Box::new(inner),
            }
        }
        Node::Cmp { lhs, rhs, .. } => {
            let holds = ev.eval_expr(batch, row, id)? == Value::Bool(true);
            let Words::Compare { op: wop, .. } = words(program, id) else {
                return Ok(Condition::Fact {
                    holds,
                    words: words(program, id),
                    because: None,
                });
            };
            Condition::Compare {
                holds,
                op: wop,
                lhs: Box::new(term(ev, batch, row, *lhs)?),
                rhs: Box::new(term(ev, batch, row, *rhs)?),
            }
        }
        Node::Def(d) if depth < MAX_DEPTH && program.def(*d).ty == Ty::Bool => {
            let holds = ev.eval_expr(batch, row, id)? == Value::Bool(true);
            // Follow a rule into the conditions that decided it (its exception's, or its base's).
            let mut body = ev.body_in_force(*d);
            for x in &program.def(*d).exceptions {
                if ev.eval_expr(batch, row, x.condition)? == Value::Bool(true) {
                    body = Some(x.value);
                    break;
                }
            }
            let because = match body {
                Some(b) => Some(Box::new(condition_at(ev, batch, row, b, depth + 1)?)),
                None => None,
            };
            Condition::Fact {
                holds,
                words: words(program, id),
                because,
            }
        }
        _ => {
            let holds = ev.eval_expr(batch, row, id)? == Value::Bool(true);
            Condition::Fact {
                holds,
                words: words(program, id),
                because: None,
            }
        }
    })
}

/// How deep explanations follow rules into the rules they name.
const MAX_DEPTH: usize = 3;
