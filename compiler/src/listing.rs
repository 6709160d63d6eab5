//! A compact, readable text listing of the checked IR: one line per definition with its
//! expression, its dated versions, exceptions and limits on indented lines below it. The
//! conformance harness prints it when backends disagree; it is stable enough for goldens.
//!
//! Scaled arithmetic is written out (`a × b ÷ 10000`, `a × 1000000 ÷ b`; `a ÷ b` when the
//! quotient keeps the dividend's scale), so a listing
//! shows where each product or quotient is rounded; constants are shown as people read
//! them (`1,338.00 元`).

use std::fmt::Write as _;

use bylaw_runtime::schema::{EntityId, FieldId};

use crate::format::human_in;
use crate::ir::{Builtin, CmpOp, Def, DefKind, ExprId, Node, Program};
use crate::types::ArithOp;

impl Program {
    /// The program's definitions as text, one line each (see the module documentation).
    pub fn listing(&self) -> String {
        let mut out = String::new();
        for def in &self.defs {
            list_def(self, def, &mut out);
        }
        out
    }

    /// One expression as it appears in [`Program::listing`].
    pub fn expr_text(&self, id: ExprId) -> String {
        let mut out = String::new();
        expr(self, id, &mut out);
        out
    }
}

fn list_def(program: &Program, def: &Def, out: &mut String) {
    let kind = match def.kind {
        DefKind::Let => "let",
        DefKind::Rule => "rule",
        DefKind::Amount => "amount",
        DefKind::Fund => "fund",
    };
    let _ = write!(out, "{kind} {}: {}", def.name, program.type_name(def.ty));
    if def.entity != program.schema.root {
        let _ = write!(out, " for {}", entity_name(program, def.entity));
    }
    if let Some(mode) = def.rounding {
        let _ = write!(out, " rounding {}", mode.as_str());
    }
    match def.versions.as_slice() {
        [only] if only.from.is_none() && only.until.is_none() => {
            out.push_str(" = ");
            expr(program, only.body, out);
            out.push('\n');
            list_limits(program, &only.limits, out);
        }
        versions => {
            out.push('\n');
            for v in versions {
                out.push_str("  version");
                if let Some(from) = v.from {
                    let _ = write!(out, " from {}", bylaw_runtime::date::format_date(from));
                }
                if let Some(until) = v.until {
                    let _ = write!(out, " until {}", bylaw_runtime::date::format_date(until));
                }
                out.push_str(" = ");
                expr(program, v.body, out);
                out.push('\n');
                list_limits(program, &v.limits, out);
            }
        }
    }
    for x in &def.exceptions {
        let _ = write!(
            out,
            "  exception {} when ",
            x.name.as_deref().unwrap_or("(unnamed)")
        );
        expr(program, x.condition, out);
        out.push_str(" = ");
        expr(program, x.value, out);
        out.push('\n');
    }
}

fn list_limits(program: &Program, limits: &[crate::ir::Limit], out: &mut String) {
    for limit in limits {
        out.push_str("  ");
        if limit.principle {
            out.push_str("in principle ");
        }
        out.push_str(if limit.at_most {
            "at most "
        } else {
            "at least "
        });
        expr(program, limit.value, out);
        out.push('\n');
    }
}

fn entity_name(program: &Program, entity: EntityId) -> String {
    program
        .schema
        .entity(entity)
        .map_or_else(|| format!("entity#{}", entity.0), |e| e.name.clone())
}

fn field_name(program: &Program, entity: EntityId, field: FieldId) -> String {
    let name = program
        .schema
        .entity(entity)
        .and_then(|e| e.fields.get(field.0 as usize))
        .map_or_else(|| format!("field#{}", field.0), |f| f.name.clone());
    if entity == program.schema.root {
        name
    } else {
        format!("{}.{name}", entity_name(program, entity))
    }
}

fn args(program: &Program, ids: &[ExprId], out: &mut String) {
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        expr(program, *id, out);
    }
}

fn relation_name(program: &Program, owner: EntityId, relation: usize) -> &str {
    program
        .schema
        .entity(owner)
        .and_then(|e| e.relations.get(relation))
        .map_or("<unknown relation>", |r| r.name.as_str())
}

fn binary(program: &Program, lhs: ExprId, op: &str, rhs: ExprId, out: &mut String) {
    out.push('(');
    expr(program, lhs, out);
    let _ = write!(out, " {op} ");
    expr(program, rhs, out);
    out.push(')');
}

fn expr(program: &Program, id: ExprId, out: &mut String) {
    let Some(node) = program.nodes.get(id.index()) else {
        let _ = write!(out, "<no node {}>", id.0);
        return;
    };
    match node {
        Node::Const(v) => out.push_str(&human_in(program, program.ty(id), program.unit(id), v)),
        Node::Field { entity, field } => out.push_str(&field_name(program, *entity, *field)),
        Node::Def(d) => out.push_str(
            program
                .defs
                .get(d.index())
                .map_or("<unknown definition>", |d| d.name.as_str()),
        ),
        Node::Param { param, key } => {
            out.push_str(
                program
                    .params
                    .get(param.index())
                    .map_or("<unknown parameter>", |p| p.name.as_str()),
            );
            if let Some(key) = key {
                out.push('[');
                expr(program, *key, out);
                out.push(']');
            }
        }
        Node::Scale { scale, arg } => {
            out.push_str(
                program
                    .scales
                    .get(scale.index())
                    .map_or("<unknown scale>", |s| s.name.as_str()),
            );
            out.push('(');
            expr(program, *arg, out);
            out.push(')');
        }
        Node::Neg(x) => {
            out.push('-');
            expr(program, *x, out);
        }
        Node::Not(x) => {
            out.push_str("not ");
            expr(program, *x, out);
        }
        Node::Arith { op, lhs, rhs } => match op {
            ArithOp::Add => binary(program, *lhs, "+", *rhs, out),
            ArithOp::Sub => binary(program, *lhs, "-", *rhs, out),
            ArithOp::Mul => binary(program, *lhs, "×", *rhs, out),
            ArithOp::MulScaled(divisor) => {
                out.push('(');
                expr(program, *lhs, out);
                out.push_str(" × ");
                expr(program, *rhs, out);
                let _ = write!(out, " ÷ {divisor})");
            }
            ArithOp::DivScaled(1) => binary(program, *lhs, "÷", *rhs, out),
            ArithOp::DivScaled(scale) => {
                out.push('(');
                expr(program, *lhs, out);
                let _ = write!(out, " × {scale} ÷ ");
                expr(program, *rhs, out);
                out.push(')');
            }
            ArithOp::DateAddDays => binary(program, *lhs, "+days", *rhs, out),
            ArithOp::DateSubDays => binary(program, *lhs, "-days", *rhs, out),
            ArithOp::DateAddMonths => binary(program, *lhs, "+months", *rhs, out),
            ArithOp::DateSubMonths => binary(program, *lhs, "-months", *rhs, out),
        },
        Node::Cmp { op, lhs, rhs } => {
            let op = match op {
                CmpOp::Eq => "==",
                CmpOp::Ne => "!=",
                CmpOp::Lt => "<",
                CmpOp::Le => "<=",
                CmpOp::Gt => ">",
                CmpOp::Ge => ">=",
            };
            binary(program, *lhs, op, *rhs, out);
        }
        Node::And(a, b) => binary(program, *a, "and", *b, out),
        Node::Or(a, b) => binary(program, *a, "or", *b, out),
        Node::If {
            condition,
            then,
            otherwise,
        } => {
            out.push_str("(if ");
            expr(program, *condition, out);
            out.push_str(" then ");
            expr(program, *then, out);
            out.push_str(" else ");
            expr(program, *otherwise, out);
            out.push(')');
        }
        Node::MinMax { max, args: xs } => {
            out.push_str(if *max { "max(" } else { "min(" });
            args(program, xs, out);
            out.push(')');
        }
        Node::Call { builtin, args: xs } => {
            let name = match builtin {
                Builtin::PerYear => "per_year".to_string(),
                Builtin::PerMonth => "per_month".to_string(),
                Builtin::MonthsBetween => "months_between".to_string(),
                Builtin::DaysBetween => "days_between".to_string(),
                Builtin::YearsBetween => "years_between".to_string(),
                Builtin::Calendar(day) => day.name().to_string(),
                Builtin::EvaluationDate => {
                    out.push_str("evaluation_date");
                    return;
                }
                Builtin::Floor(scale) => format!("floor/{scale}"),
                Builtin::Ceil(scale) => format!("ceil/{scale}"),
                Builtin::RoundFen(_) => "round_fen".to_string(),
                Builtin::AddWorkingDays(c) | Builtin::WorkingDaysBetween(c) => {
                    let f = if matches!(builtin, Builtin::AddWorkingDays(_)) {
                        "add_working_days"
                    } else {
                        "working_days_between"
                    };
                    let cal = program.calendars.get(c.index());
                    format!("{f}/{}", cal.map_or("?", |c| c.name.as_str()))
                }
            };
            let _ = write!(out, "{name}(");
            args(program, xs, out);
            if let Builtin::RoundFen(mode) = builtin {
                let _ = write!(out, ", {}", mode.as_str());
            }
            out.push(')');
        }
        Node::Aggregate {
            function,
            owner,
            relation,
            body,
            filter,
            default,
            ..
        } => {
            let relation = relation_name(program, *owner, *relation);
            let _ = write!(out, "{}({relation}", function.as_str());
            if let Some(body) = body {
                out.push_str(": ");
                expr(program, *body, out);
            }
            if let Some(filter) = filter {
                out.push_str(" where ");
                expr(program, *filter, out);
            }
            if let Some(default) = default {
                out.push_str(" else ");
                expr(program, *default, out);
            }
            out.push(')');
        }
        Node::History {
            function,
            owner,
            relation,
            filter,
            dates,
            ..
        } => {
            let relation = relation_name(program, *owner, *relation);
            let _ = write!(out, "{}({relation}", function.name());
            if let Some(filter) = filter {
                out.push_str(" where ");
                expr(program, *filter, out);
            }
            for d in dates {
                out.push_str(", ");
                expr(program, *d, out);
            }
            out.push(')');
        }
        Node::LastYear(x) => {
            expr(program, *x, out);
            out.push_str("[last year]");
        }
    }
}

#[cfg(test)]
#[allow(clippy::panic, reason = "tests")]
mod tests {
    #[test]
    fn a_listing_has_a_line_per_definition_with_its_rounding_points() {
        let text = "entity household {\n  income: money\n  n: count\n}\n\
            let per_head = income / n\n\
            amount grant: money rounding half_even = round_fen(per_head, down) + 1 元\n\
            rule poor = per_head < 1000 元 and n > 0\n";
        let compiled = crate::compile_text("listing.bylaw", text);
        let Some(program) = compiled.program else {
            panic!("{:?}", compiled.diagnostics);
        };
        assert_eq!(
            program.listing(),
            "let per_head: money = (income ÷ n)\n\
             amount grant: money rounding half_even = (round_fen(per_head, down) + 1.00 元)\n\
             rule poor: bool = ((per_head < 1,000.00 元) and (n > 0))\n"
        );
    }
}
