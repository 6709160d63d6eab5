//! Fund rules over a yearly table: `x[last year]`, caps and floors on definitions
//! (`at most`, `at least`, `in principle at most`) and coverage targets with milestones.

use bylaw_grammar::ast::{self, BinOp, ExprKind, Item};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::schema::EntityId;

use super::expr::Scope;
use super::{Checker, literal, origin};
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::*;
use crate::types::Ty;

/// The field names that make an entity a yearly table: one row per region and year.
pub const REGION_FIELD: &str = "region";
pub const YEAR_FIELD: &str = "year";

impl Checker<'_> {
    /// Is `entity` a yearly table (a `region` enumeration field and a `year: count` field)?
    pub(super) fn is_yearly(&self, entity: EntityId) -> bool {
        self.entities.get(entity.0 as usize).is_some_and(|e| {
            e.fields
                .iter()
                .any(|f| f.name == YEAR_FIELD && f.ty == Ty::Count)
                && e.fields
                    .iter()
                    .any(|f| f.name == REGION_FIELD && matches!(f.ty, Ty::Enum(_)))
        })
    }

    /// `base[last year]`: an input field of a yearly table, or a parameter.
    pub(super) fn expr_last_year(
        &mut self,
        base: &ast::Expr,
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let inner = self.expr(base, scope)?;
        let ty = self.types.get(inner.index()).copied()?;
        match self.nodes.get(inner.index())? {
            Node::Field { entity, .. } => {
                let entity = *entity;
                if !self.is_yearly(entity) {
                    let name = self
                        .entities
                        .get(entity.0 as usize)
                        .map_or(String::new(), |e| e.name.clone());
                    self.error_help(
                        codes::LAST_YEAR,
                        format!("`{name}` is not a yearly table, so it has no last year"),
                        (scope.file, span, "no previous year here"),
                        format!(
                            "give `{name}` a `{REGION_FIELD}` field (an enumeration such as `region`) and a `{YEAR_FIELD}: count` field: one row per region and year"
                        ),
                    );
                    return None;
                }
            }
            Node::Param { .. } => {}
            _ => {
                self.error_help(
                    codes::LAST_YEAR,
                    "only input fields and parameters have a last year's value",
                    (scope.file, base.span, "not a field or parameter"),
                    "give last year's figure as an input field of the yearly table (e.g. `allocation_last_year`), or read a field or parameter",
                );
                return None;
            }
        }
        Some(self.push(Node::LastYear(inner), ty, scope.file, span))
    }

    /// The `at most` / `at least` clauses of one version of a definition of type `ty`.
    pub(super) fn check_limits(
        &mut self,
        file: FileId,
        d: &ast::DefDecl,
        ty: Ty,
        scope: &Scope,
    ) -> Option<Vec<Limit>> {
        if d.limits.is_empty() {
            return Some(Vec::new());
        }
        if ty == Ty::Bool {
            let first = d.limits.first()?;
            self.error_help(
                codes::BAD_LIMIT,
                format!("`{}` is a condition and cannot be capped", d.name.name),
                (file, first.span, "a limit on a condition"),
                "limits apply to numbers: write the cap into the condition instead",
            );
            return None;
        }
        let mut limits = Vec::new();
        let mut ok = true;
        for l in &d.limits {
            let Some(value) = self.expr(&l.value, scope) else {
                ok = false;
                continue;
            };
            let Some(vt) = self.types.get(value.index()).copied() else {
                ok = false;
                continue;
            };
            if !vt.fits(ty) {
                let (want, got) = (self.ty_name(ty), self.ty_name(vt));
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_LIMIT,
                        format!("`{}` is `{want}` but this limit is `{got}`", d.name.name),
                    )
                    .at(file, l.value.span, format!("this is `{got}`"))
                    .help("a cap or floor has the type of what it limits (money per year with money per year)"),
                );
                ok = false;
                continue;
            }
            limits.push(Limit {
                principle: l.principle,
                at_most: l.at_most,
                value,
                origin: origin(file, l.span, &l.meta),
            });
        }
        ok.then_some(limits)
    }

    /// Every `target` of the root file and the files it uses.
    pub(super) fn collect_targets(&mut self, items: &[(FileId, &Item)]) -> Vec<TargetDef> {
        let mut out: Vec<TargetDef> = Vec::new();
        for (file, item) in items {
            let Item::Target(t) = item else { continue };
            if out.iter().any(|o| o.name == t.name.name)
                || self.def_index.contains_key(&t.name.name)
            {
                self.duplicate("target", &t.name, *file);
                continue;
            }
            if let Some(def) = self.check_target(*file, t) {
                out.push(def);
            }
        }
        out
    }

    fn check_target(&mut self, file: FileId, t: &ast::TargetDecl) -> Option<TargetDef> {
        let entity = match &t.entity {
            None => self.root?,
            Some(e) => match self.entity_index.get(&e.name) {
                Some(id) => *id,
                None => {
                    self.error(
                        codes::BAD_ENTITY,
                        format!("unknown entity `{}`", e.name),
                        file,
                        e.span,
                        "not an entity",
                    );
                    return None;
                }
            },
        };
        let scope = Scope {
            file,
            entities: vec![entity],
        };
        let mut body = &t.body;
        while let ExprKind::Paren(inner) = &body.kind {
            body = inner;
        }
        let ExprKind::Binary {
            op: BinOp::Div,
            lhs,
            rhs,
        } = &body.kind
        else {
            self.error_help(
                codes::BAD_TARGET,
                format!("target `{}` is not a share", t.name.name),
                (file, t.body.span, "expected `covered / total`"),
                "write the covered count over the total, e.g. `townships_with_station / townships`",
            );
            return None;
        };
        let covered = self.expr(lhs, &scope);
        let total = self.expr(rhs, &scope);
        let (covered, total) = (covered?, total?);
        for (id, e) in [(covered, lhs), (total, rhs)] {
            let ty = self.types.get(id.index()).copied()?;
            if ty != Ty::Count {
                let got = self.ty_name(ty);
                self.diags.push(
                    Diagnostic::error(
                        codes::BAD_TARGET,
                        format!("target `{}` divides counts, not `{got}`", t.name.name),
                    )
                    .at(file, e.span, format!("this is `{got}`"))
                    .help("coverage is a count of covered units (stations, villages) over the count of all units"),
                );
                return None;
            }
        }
        let cost = match &t.cost {
            None => None,
            Some(c) => {
                let id = self.expr(c, &scope)?;
                let ty = self.types.get(id.index()).copied()?;
                if !ty.is_money() {
                    let got = self.ty_name(ty);
                    self.diags.push(
                        Diagnostic::error(
                            codes::BAD_TARGET,
                            format!("the cost of target `{}` must be money", t.name.name),
                        )
                        .at(file, c.span, format!("this is `{got}`"))
                        .help(
                            "`cost` is what one more covered unit costs, e.g. `cost station_cost`",
                        ),
                    );
                    return None;
                }
                Some(id)
            }
        };
        let mut milestones: Vec<Milestone> = Vec::new();
        for m in &t.milestones {
            let share = match literal::value_of(&m.value.kind, Ty::Rate, &self.enums) {
                Ok(Value::Int(v)) if (0..=1_000_000).contains(&v) => v,
                Ok(_) => {
                    self.error_help(
                        codes::BAD_TARGET,
                        "a milestone is a share between 0% and 100%",
                        (file, m.value.span, "out of range"),
                        "write e.g. `70% by 2023-12-31`",
                    );
                    return None;
                }
                Err(e) => {
                    self.literal_error(e, file, m.value.span);
                    return None;
                }
            };
            let by = self.date(&m.by, file)?;
            if let Some(prev) = milestones.last()
                && prev.by >= by
            {
                self.error_help(
                    codes::BAD_TARGET,
                    "milestones must be in date order",
                    (file, m.by.span, "not after the previous milestone"),
                    "list milestones from the earliest deadline to the latest",
                );
                return None;
            }
            milestones.push(Milestone {
                share,
                by,
                origin: origin(file, m.span, &m.meta),
            });
        }
        if milestones.is_empty() {
            self.error_help(
                codes::BAD_TARGET,
                format!("target `{}` has no milestone", t.name.name),
                (file, t.name.span, "no `… by DATE`"),
                "add at least one milestone: `{ 100% by 2021-12-31 }`",
            );
            return None;
        }
        Some(TargetDef {
            name: t.name.name.clone(),
            entity,
            covered,
            total,
            cost,
            milestones,
            origin: origin(file, t.name.span, &t.meta),
        })
    }
}
