//! The short reason for a decision, for a column of `bylaw eval --explain`: the first
//! condition that decided it, followed into the rules it names, with the actual values
//! (`家庭人均月收入（1,350.00元/月）低于适用低保标准（1,338.00元/月）不成立`).

use bylaw_runtime::batch::Batch;

use super::render::phrase;
use super::words::{Lang, Words, words};
use crate::duration::DurationUnit;
use crate::interp::{EvalError, Evaluator};
use crate::ir::*;

/// Why `decision` came out as it did for root record `row`.
pub fn reason(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    decision: DefId,
    lang: Lang,
) -> Result<String, EvalError> {
    let value = ev.eval_one(batch, row, decision)?;
    let Some(body) = applied_body(ev, batch, row, decision)? else {
        return Ok(String::new());
    };
    explain(ev, batch, row, body, value == Value::Bool(true), lang, 0)
}

/// The expression that produced a definition's value: an exception's, or the base.
fn applied_body(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    def: DefId,
) -> Result<Option<ExprId>, EvalError> {
    for x in &ev.program().def(def).exceptions {
        if ev.eval_expr(batch, row, x.condition)? == Value::Bool(true) {
            return Ok(Some(x.value));
        }
    }
    Ok(ev.body_in_force(def))
}

/// A side of a comparison with its value, a duration in `unit` (the comparison's).
fn valued(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    id: ExprId,
    unit: DurationUnit,
) -> Result<Words, EvalError> {
    let program = ev.program();
    let v = ev.eval_expr(batch, row, id)?;
    let w = words(program, id);
    let pp = super::words::per_person_of(program, id);
    let shown = |lang| super::words::value_text_per(program, program.ty(id), unit, &v, lang, pp);
    Ok(match w {
        Words::Value { .. } => Words::Value {
            zh: shown(Lang::Zh),
            en: shown(Lang::En),
        },
        _ => Words::Value {
            zh: format!("{}（{}）", phrase(&w, Lang::Zh), shown(Lang::Zh)),
            en: format!("{} ({})", phrase(&w, Lang::En), shown(Lang::En)),
        },
    })
}

/// Why boolean expression `id` is `holds`.
fn explain(
    ev: &Evaluator,
    batch: &Batch,
    row: usize,
    id: ExprId,
    holds: bool,
    lang: Lang,
    depth: usize,
) -> Result<String, EvalError> {
    let program = ev.program();
    if depth > 16 {
        return Ok(phrase(&words(program, id), lang));
    }
    let is = |x: ExprId| -> Result<bool, EvalError> {
        Ok(ev.eval_expr(batch, row, x)? == Value::Bool(true))
    };
    match program.node(id) {
        // A chain is decided by its first item with the deciding value.
        Node::And(..) | Node::Or(..) => {
            let and = matches!(program.node(id), Node::And(..));
            let mut parts = Vec::new();
            super::words::flatten(program, id, and, &mut parts);
            let deciding = !and;
            if holds == deciding {
                for &p in &parts {
                    if is(p)? == deciding {
                        return explain(ev, batch, row, p, deciding, lang, depth + 1);
                    }
                }
            }
            // Every item agreed: name the first (all hold, or none does).
            match parts.first() {
                Some(p) => explain(ev, batch, row, *p, holds, lang, depth + 1),
                None => Ok(String::new()),
            }
        }
        Node::Not(a) => explain(ev, batch, row, *a, !holds, lang, depth + 1),
        Node::Def(d) if program.def(*d).ty == crate::types::Ty::Bool => {
            match applied_body(ev, batch, row, *d)? {
                Some(body) => explain(ev, batch, row, body, holds, lang, depth + 1),
                None => Ok(phrase(&words(program, id), lang)),
            }
        }
        Node::Cmp { lhs, rhs, .. } => {
            let Words::Compare { op, .. } = words(program, id) else {
                return Ok(phrase(&words(program, id), lang));
            };
            let w = Words::Compare {
                op,
                lhs: Box::new(valued(ev, batch, row, *lhs, program.unit(id))?),
                rhs: Box::new(valued(ev, batch, row, *rhs, program.unit(id))?),
            };
            let text = phrase(&w, lang);
            Ok(match (holds, lang) {
                (true, _) => text,
                (false, Lang::Zh) => format!("{text}不成立"),
                (false, Lang::En) => format!("not: {text}"),
            })
        }
        _ => {
            let w = words(program, id);
            Ok(if holds {
                phrase(&w, lang)
            } else {
                phrase(
                    &Words::Not {
                        operand: Box::new(w),
                    },
                    lang,
                )
            })
        }
    }
}
