//! Exceptions: each overrides its definition when its condition holds. Two exceptions that
//! could both apply need an order (`before`), unless their conditions are syntactically
//! disjoint; the checker orders them so that the first that applies wins.

use bylaw_grammar::FileId;
use bylaw_grammar::ast::{self, BinOp, ExprKind, UnOp};
use bylaw_runtime::schema::EntityId;

use super::{Checker, expr::Scope, origin};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{DefId, Exception};
use crate::types::Ty;

/// Are `a` and `b` never true together, judged from their text alone?
fn disjoint(a: &ast::Expr, b: &ast::Expr) -> bool {
    let a = strip(a);
    let b = strip(b);
    if let ExprKind::Unary {
        op: UnOp::Not,
        operand,
    } = &a.kind
        && strip(operand) == b
    {
        return true;
    }
    if let ExprKind::Unary {
        op: UnOp::Not,
        operand,
    } = &b.kind
        && strip(operand) == a
    {
        return true;
    }
    // `x == e.a` and `x == e.b`, or either side of an `and` being disjoint.
    if let (Some((x1, v1)), Some((x2, v2))) = (equality(a), equality(b)) {
        return x1 == x2 && v1 != v2;
    }
    if let ExprKind::Binary {
        op: BinOp::And,
        lhs,
        rhs,
    } = &a.kind
    {
        return disjoint(lhs, b) || disjoint(rhs, b);
    }
    if let ExprKind::Binary {
        op: BinOp::And,
        lhs,
        rhs,
    } = &b.kind
    {
        return disjoint(a, lhs) || disjoint(a, rhs);
    }
    false
}

fn strip(e: &ast::Expr) -> &ast::Expr {
    match &e.kind {
        ExprKind::Paren(inner) => strip(inner),
        _ => e,
    }
}

/// `path == Enum.variant` (either way round): the path and the variant's dotted name.
fn equality(e: &ast::Expr) -> Option<(&ast::Expr, String)> {
    let ExprKind::Binary {
        op: BinOp::Eq,
        lhs,
        rhs,
    } = &e.kind
    else {
        return None;
    };
    let variant = |x: &ast::Expr| match &strip(x).kind {
        ExprKind::Path(parts) if parts.len() == 2 => Some(
            parts
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join("."),
        ),
        _ => None,
    };
    match (variant(rhs), variant(lhs)) {
        (Some(v), _) => Some((strip(lhs), v)),
        (None, Some(v)) => Some((strip(rhs), v)),
        _ => None,
    }
}

impl Checker<'_> {
    pub(super) fn check_exceptions(
        &mut self,
        _def: DefId,
        def_name: &str,
        entity: EntityId,
        ty: Ty,
        decls: &[(FileId, &ast::ExceptionDecl)],
    ) -> Option<Vec<Exception>> {
        let mut out: Vec<(usize, Exception)> = Vec::new();
        let mut failed = false;
        for (i, (file, x)) in decls.iter().enumerate() {
            let scope = Scope {
                file: *file,
                entities: vec![entity],
            };
            let condition = self.expr(&x.condition, &scope);
            let value = self.expr(&x.value, &scope);
            let (Some(condition), Some(value)) = (condition, value) else {
                failed = true;
                continue;
            };
            if let Some(ct) = self
                .types
                .get(condition.index())
                .copied()
                .filter(|t| *t != Ty::Bool)
            {
                let name = ct.name(&self.enum_names());
                self.error_help(
                    codes::NOT_BOOL,
                    format!("the condition after `when` must be a boolean, not `{name}`"),
                    (*file, x.condition.span, &format!("this is `{name}`")),
                    "the exception applies when its condition holds: compare the value with something",
                );
                failed = true;
                continue;
            }
            let vt = self.types.get(value.index()).copied()?;
            if !vt.fits(ty) {
                let names = self.enum_names();
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_EXCEPTION,
                        format!(
                            "the exception gives `{}`, but `{def_name}` is `{}`",
                            vt.name(&names),
                            ty.name(&names)
                        ),
                    )
                    .at(
                        *file,
                        x.value.span,
                        format!("this is `{}`", vt.name(&names)),
                    )
                    .help(format!(
                        "the exception's value replaces `{def_name}`'s, so it must be `{}`",
                        ty.name(&names)
                    )),
                );
                failed = true;
                continue;
            }
            out.push((
                i,
                Exception {
                    name: x.name.as_ref().map(|n| n.name.clone()),
                    origin: origin(*file, x.span, &x.meta),
                    condition,
                    value,
                },
            ));
        }
        if failed {
            return None;
        }
        // `before` edges, by index into `decls`.
        let names: Vec<Option<&str>> = decls
            .iter()
            .map(|(_, x)| x.name.as_ref().map(|n| n.name.as_str()))
            .collect();
        let mut before: Vec<(usize, usize)> = Vec::new();
        for (i, (file, x)) in decls.iter().enumerate() {
            for b in &x.before {
                match names.iter().position(|n| *n == Some(b.name.as_str())) {
                    Some(j) => before.push((i, j)),
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::BAD_EXCEPTION,
                                format!("`{def_name}` has no exception named `{}`", b.name),
                            )
                            .at(*file, b.span, "unknown exception")
                            .help("`before` names another exception to the same definition"),
                        );
                        return None;
                    }
                }
            }
        }
        let n = decls.len();
        // Transitive closure of the order (exceptions per definition are few).
        let mut reach = vec![vec![false; n]; n];
        for (a, b) in &before {
            if let Some(row) = reach.get_mut(*a)
                && let Some(cell) = row.get_mut(*b)
            {
                *cell = true;
            }
        }
        for k in 0..n {
            for i in 0..n {
                for j in 0..n {
                    let via = reach
                        .get(i)
                        .and_then(|r| r.get(k))
                        .copied()
                        .unwrap_or(false)
                        && reach
                            .get(k)
                            .and_then(|r| r.get(j))
                            .copied()
                            .unwrap_or(false);
                    if via && let Some(cell) = reach.get_mut(i).and_then(|r| r.get_mut(j)) {
                        *cell = true;
                    }
                }
            }
        }
        for i in 0..n {
            if reach
                .get(i)
                .and_then(|r| r.get(i))
                .copied()
                .unwrap_or(false)
            {
                if let Some((file, x)) = decls.get(i) {
                    self.error(
                        codes::AMBIGUOUS_EXCEPTIONS,
                        format!("the `before` order of `{def_name}`'s exceptions is circular"),
                        *file,
                        x.span,
                        "in this cycle",
                    );
                }
                return None;
            }
        }
        for i in 0..n {
            for j in (i + 1)..n {
                let ordered = reach
                    .get(i)
                    .and_then(|r| r.get(j))
                    .copied()
                    .unwrap_or(false)
                    || reach
                        .get(j)
                        .and_then(|r| r.get(i))
                        .copied()
                        .unwrap_or(false);
                let (Some((fa, a)), Some((fb, b))) = (decls.get(i), decls.get(j)) else {
                    continue;
                };
                if !ordered && !disjoint(&a.condition, &b.condition) {
                    self.diags.push(
                        Diagnostic::error(codes::AMBIGUOUS_EXCEPTIONS, format!("two exceptions to `{def_name}` can apply together and neither comes first"))
                            .at(*fb, b.condition.span, "this condition")
                            .also(*fa, a.condition.span, "can hold together with this one")
                            .help(match (&a.name, &b.name) {
                                (Some(x), Some(_)) => format!("write `before {}` on the one that should win, or make the conditions disjoint", x.name),
                                _ => "name the exceptions and write `before NAME` on the one that should win".to_string(),
                            }),
                    );
                    return None;
                }
            }
        }
        // A topological order: an exception comes before every exception it is `before`;
        // otherwise declaration order.
        let reaches = |a: usize, b: usize| {
            reach
                .get(a)
                .and_then(|r| r.get(b))
                .copied()
                .unwrap_or(false)
        };
        let mut ordered = Vec::with_capacity(out.len());
        while !out.is_empty() {
            let pick = out
                .iter()
                .position(|(i, _)| !out.iter().any(|(j, _)| j != i && reaches(*j, *i)))
                .unwrap_or(0);
            ordered.push(out.remove(pick));
        }
        let out = ordered;
        Some(out.into_iter().map(|(_, x)| x).collect())
    }
}
