//! Exceptions: each overrides its definition when its condition holds. Two exceptions that
//! could both apply need an order (`before`), unless [`overlap`] shows their conditions
//! disjoint; the checker orders them so that the first that applies wins.

mod overlap;

use bylaw_grammar::FileId;
use bylaw_grammar::ast;
use bylaw_runtime::schema::EntityId;

use super::{Checker, expr::Scope, origin};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::{DefId, Exception};
use crate::types::Ty;
pub(super) use overlap::FieldData;
use overlap::{Analysis, Assignment, Overlap};

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
        // Each condition is expanded once, over one table of the values they read; `out`
        // holds every declaration, in order (a failed one returned above).
        let mut analysis = Analysis::new(&self.nodes, &self.types, &self.enums);
        let conditions: Vec<_> = out
            .iter()
            .map(|(_, x)| analysis.condition(x.condition))
            .collect();
        let mut clash = None;
        'pairs: for i in 0..n {
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
                let (false, Some(a), Some(b)) = (ordered, conditions.get(i), conditions.get(j))
                else {
                    continue;
                };
                match analysis.overlap(a, b, |e, f| self.field_data(e, f)) {
                    Overlap::Disjoint => {}
                    found => {
                        clash = Some((i, j, found));
                        break 'pairs;
                    }
                }
            }
        }
        if let Some((i, j, found)) = clash
            && let (Some((fa, a)), Some((fb, b))) = (decls.get(i), decls.get(j))
        {
            let (message, label) = match found {
                Overlap::Witness(values) => (
                    format!(
                        "two exceptions to `{def_name}` both apply {}, and neither comes first",
                        self.when(entity, &values)
                    ),
                    "holds together with this one",
                ),
                _ => (
                    format!(
                        "the checker cannot prove that two exceptions to `{def_name}` never \
                         apply together, and neither comes first"
                    ),
                    "may hold together with this one",
                ),
            };
            self.diags.push(
                Diagnostic::error(codes::AMBIGUOUS_EXCEPTIONS, message)
                    .at(*fb, b.condition.span, "this condition")
                    .also(*fa, a.condition.span, label)
                    .help(match (&a.name, &b.name) {
                        (Some(x), Some(_)) => format!("write `before {}` on the one that should win, or make the conditions disjoint", x.name),
                        _ => "name the exceptions and write `before NAME` on the one that should win".to_string(),
                    }),
            );
            return None;
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

    /// `when age = 100 years and disabled = true`: a witness in words. Fields of an
    /// enclosing entity are named with it, as a condition would write them.
    fn when(&self, entity: EntityId, values: &[Assignment]) -> String {
        let parts: Vec<String> = values
            .iter()
            .map(|a| {
                let owner = self.entities.get(a.entity.0 as usize);
                let field = owner
                    .and_then(|o| o.fields.get(a.field.0 as usize))
                    .map_or("?", |f| f.name.as_str());
                let name = match owner {
                    Some(o) if a.entity != entity => format!("{}.{field}", o.name),
                    _ => field.to_string(),
                };
                format!("{name} = {}", a.value_text(&self.enums))
            })
            .collect();
        match parts.as_slice() {
            [] => "to every input".to_string(),
            [one] => format!("when {one}"),
            [init @ .., last] => format!("when {} and {last}", init.join(", ")),
        }
    }
}
