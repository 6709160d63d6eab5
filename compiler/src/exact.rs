//! Which expressions may hold a pending quotient: a value that a `/` (or `per_month`)
//! has left unrounded and that no `amount`, `round_fen`, `floor` or `ceil` has rounded
//! yet. Backends represent only those as exact fractions (`runtime::arith::Exact`);
//! everything else stays a plain scaled `i64`, so a policy without division gets the
//! same code as before exact quotients existed.

use bylaw_grammar::ast::AggFn;

use crate::ir::{Builtin, DefId, ExprId, Node, Program};
use crate::types::ArithOp;

/// Per expression and per definition: may the value carry a denominator other than 1?
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pending {
    nodes: Vec<bool>,
    defs: Vec<bool>,
}

impl Pending {
    /// The analysis of `program`: a fixed point, since definitions refer to each other
    /// in any order (never in a cycle, so it ends after at most one round per
    /// definition).
    pub fn of(program: &Program) -> Pending {
        let mut p = Pending {
            nodes: vec![false; program.nodes.len()],
            defs: vec![false; program.defs.len()],
        };
        for _ in 0..=program.defs.len() + 1 {
            let mut changed = false;
            for (i, node) in program.nodes.iter().enumerate() {
                let v = p.node_is_pending(program, node);
                if let Some(slot) = p.nodes.get_mut(i)
                    && *slot != v
                {
                    *slot = v;
                    changed = true;
                }
            }
            for i in 0..program.defs.len() {
                let d = DefId(i as u32);
                let v = p.def_is_pending(program, d);
                if let Some(slot) = p.defs.get_mut(i)
                    && *slot != v
                {
                    *slot = v;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        p
    }

    /// Whether expression `id` may hold a pending quotient.
    pub fn node(&self, id: ExprId) -> bool {
        self.nodes.get(id.index()).copied().unwrap_or(false)
    }

    /// Whether definition `id`'s value may hold a pending quotient (a `let` of one;
    /// an `amount` rounds its own).
    pub fn def(&self, id: DefId) -> bool {
        self.defs.get(id.index()).copied().unwrap_or(false)
    }

    /// Whether computing definition `id` meets a pending quotient anywhere in its
    /// versions, exceptions or limits (an `amount` of one rounds it exactly).
    pub fn def_uses(&self, program: &Program, id: DefId) -> bool {
        let Some(def) = program.defs.get(id.index()) else {
            return false;
        };
        def.versions
            .iter()
            .any(|v| self.node(v.body) || v.limits.iter().any(|l| self.node(l.value)))
            || def.exceptions.iter().any(|x| self.node(x.value))
    }

    /// Whether any expression of the program holds a pending quotient.
    pub fn any(&self) -> bool {
        self.nodes.iter().any(|n| *n)
    }

    fn def_is_pending(&self, program: &Program, id: DefId) -> bool {
        let Some(def) = program.defs.get(id.index()) else {
            return false;
        };
        def.ty.is_numeric() && def.rounding.is_none() && self.def_uses(program, id)
    }

    fn node_is_pending(&self, program: &Program, node: &Node) -> bool {
        match node {
            Node::Const(_)
            | Node::Field { .. }
            | Node::Param { .. }
            | Node::LastYear(_)
            | Node::History { .. }
            | Node::Not(_)
            | Node::Cmp { .. }
            | Node::And(..)
            | Node::Or(..) => false,
            Node::Def(d) => self.def(*d),
            Node::Scale { scale, arg } => {
                program
                    .scales
                    .get(scale.index())
                    .is_some_and(|s| s.marginal)
                    && self.node(*arg)
            }
            Node::Neg(a) => self.node(*a),
            Node::Arith { op, lhs, rhs } => match op {
                ArithOp::DivScaled(_) => true,
                ArithOp::Add | ArithOp::Sub | ArithOp::Mul | ArithOp::MulScaled(_) => {
                    self.node(*lhs) || self.node(*rhs)
                }
                ArithOp::DateAddDays
                | ArithOp::DateSubDays
                | ArithOp::DateAddMonths
                | ArithOp::DateSubMonths => false,
            },
            Node::If {
                then, otherwise, ..
            } => self.node(*then) || self.node(*otherwise),
            Node::MinMax { args, .. } => args.iter().any(|a| self.node(*a)),
            Node::Call { builtin, args } => match builtin {
                Builtin::PerMonth => true,
                Builtin::PerYear => args.iter().any(|a| self.node(*a)),
                Builtin::MonthsBetween
                | Builtin::DaysBetween
                | Builtin::YearsBetween
                | Builtin::Calendar(_)
                | Builtin::EvaluationDate
                | Builtin::Floor(_)
                | Builtin::Ceil(_)
                | Builtin::RoundFen(_)
                | Builtin::AddWorkingDays(_)
                | Builtin::WorkingDaysBetween(_) => false,
            },
            Node::Aggregate {
                function,
                body,
                default,
                ..
            } => match function {
                AggFn::Sum => body.is_some_and(|b| self.node(b)),
                AggFn::Min | AggFn::Max => {
                    body.is_some_and(|b| self.node(b)) || default.is_some_and(|d| self.node(d))
                }
                AggFn::Count | AggFn::Any | AggFn::All => false,
            },
        }
    }
}
