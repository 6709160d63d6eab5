//! The nesting bound across definitions. The parser bounds each expression by
//! [`MAX_DEPTH`]; a reference evaluates the referenced definition in place, so the
//! interpreter, the explainer and native code generation recurse through chains of
//! definitions. A definition whose expression, with every definition it uses written in
//! place, nests deeper than the same bound is refused here, so every later walk is bounded.

use bylaw_grammar::MAX_DEPTH;

use super::Checker;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{Def, DefId, Node};

/// The ids of a node's operands.
pub(crate) fn operands(node: &Node) -> Vec<crate::ir::ExprId> {
    match node {
        Node::Const(_) | Node::Field { .. } | Node::Def(_) => Vec::new(),
        Node::Param { key, .. } => key.iter().copied().collect(),
        Node::Scale { arg, .. } => vec![*arg],
        Node::Neg(a) | Node::Not(a) | Node::LastYear(a) => vec![*a],
        Node::Arith { lhs, rhs, .. } | Node::Cmp { lhs, rhs, .. } => vec![*lhs, *rhs],
        Node::And(a, b) | Node::Or(a, b) => vec![*a, *b],
        Node::If {
            condition,
            then,
            otherwise,
        } => vec![*condition, *then, *otherwise],
        Node::MinMax { args, .. } | Node::Call { args, .. } => args.clone(),
        Node::Aggregate {
            body,
            filter,
            default,
            ..
        } => [body, filter, default]
            .into_iter()
            .flatten()
            .copied()
            .collect(),
        Node::History { filter, dates, .. } => filter.iter().chain(dates).copied().collect(),
    }
}

/// The roots of a definition's expressions: each version's body and limits, each
/// exception's condition and value.
fn roots(def: &Def) -> impl Iterator<Item = crate::ir::ExprId> + '_ {
    def.versions
        .iter()
        .flat_map(|v| std::iter::once(v.body).chain(v.limits.iter().map(|l| l.value)))
        .chain(def.exceptions.iter().flat_map(|x| [x.condition, x.value]))
}

impl Checker<'_> {
    /// Refuses each definition that nests deeper than [`MAX_DEPTH`] with the definitions
    /// it uses in place, and uses none that does (the first of a chain is reported, not
    /// every definition built on it). One pass over the arena, in which an operand and a
    /// referenced definition's nodes always come before the node that uses them.
    pub(super) fn check_depth(&mut self) {
        let n = self.nodes.len();
        // Depth of each node, and whether it uses a definition that is already too deep.
        let mut depth = vec![0usize; n];
        let mut tainted = vec![false; n];
        let mut total: Vec<Option<(usize, bool)>> = vec![None; self.defs.len()];
        for i in 0..n {
            let (d, t) = match &self.nodes[i] {
                Node::Def(r) => {
                    let (d, t) = self.def_total(*r, &depth, &tainted, &mut total, i);
                    (d + 1, t || d > MAX_DEPTH)
                }
                node => operands(node)
                    .into_iter()
                    .filter(|o| o.index() < i)
                    .fold((1, false), |(d, t), o| {
                        (d.max(depth[o.index()] + 1), t || tainted[o.index()])
                    }),
            };
            depth[i] = d;
            tainted[i] = t;
        }
        for id in 0..self.defs.len() {
            let (d, t) = self.def_total(DefId(id as u32), &depth, &tainted, &mut total, n);
            if d <= MAX_DEPTH || t {
                continue;
            }
            let Some(def) = self.defs.get(id).and_then(Option::as_ref) else {
                continue;
            };
            let origin = def.origin.clone();
            let mut diag = Diagnostic::error(
                codes::SYNTAX,
                format!(
                    "`{}` nests {d} levels deep with the definitions it uses written in place; \
                     at most {MAX_DEPTH} are allowed",
                    def.name
                ),
            )
            .help(
                "a definition is evaluated in place of each reference: shorten the chain of \
                 definitions that build on each other, or write a long sum or `if` chain as \
                 separate definitions added side by side (`a + b` over `let a = …`, `let b = …`)",
            );
            if let Some(file) = origin.file {
                diag = diag.at(file, origin.span, "this definition");
            }
            self.diags.push(diag);
        }
    }

    fn def_total(
        &self,
        id: DefId,
        depth: &[usize],
        tainted: &[bool],
        total: &mut [Option<(usize, bool)>],
        before: usize,
    ) -> (usize, bool) {
        if let Some(t) = total.get(id.index()).copied().flatten() {
            return t;
        }
        let Some(def) = self.defs.get(id.index()).and_then(Option::as_ref) else {
            return (0, false);
        };
        let t = roots(def)
            .filter(|r| r.index() < before)
            .fold((0, false), |(d, t), r| {
                (d.max(depth[r.index()]), t || tainted[r.index()])
            });
        if let Some(slot) = total.get_mut(id.index()) {
            *slot = Some(t);
        }
        t
    }
}
