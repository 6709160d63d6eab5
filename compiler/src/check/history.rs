//! History functions: `continuous_months`, `longest_months` and `days_within` over a
//! relation of dated records, checked into [`Node::History`].

use bylaw_grammar::Span;
use bylaw_grammar::ast;
use bylaw_runtime::history::HistoryFn;

use super::Checker;
use super::expr::Scope;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::*;
use crate::types::Ty;

impl<'a> Checker<'a> {
    /// `f(relation [where filter], dates…)`.
    pub(super) fn expr_history(
        &mut self,
        call: &ast::HistoryCall,
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let ast::HistoryCall {
            function,
            relation,
            filter,
            dates,
        } = call;
        let filter = filter.as_ref();
        let file = scope.file;
        let name = function.name.as_str();
        let fold = HistoryFn::named(name)?;
        let (owner, index, child) = self.relation_in_reach(name, relation, span, scope)?;
        let dated = self.entities.get(child.0 as usize).and_then(|e| e.dated);
        let Some(dated) = dated else {
            let child_name = self
                .entities
                .get(child.0 as usize)
                .map_or_else(String::new, |e| e.name.clone());
            self.diags.push(
                Diagnostic::error(
                    codes::HISTORY,
                    format!("`{name}` counts time over dated records, and `{child_name}` has no dates"),
                )
                .at(file, relation.span, "not a relation of dated records")
                .help(format!(
                    "declare which fields hold each record's first and last day: `entity {child_name} from started_on until ended_on {{ … }}`"
                )),
            );
            return None;
        };
        let wanted = fold.date_args();
        if dates.len() != wanted {
            let shape = match fold {
                HistoryFn::DaysWithin => format!(
                    "`{name}({} where condition, first_day, last_day)`",
                    relation.name
                ),
                _ => format!("`{name}({} where condition, date)`", relation.name),
            };
            let at = dates.get(wanted).map_or(span, |d| d.span);
            self.diags.push(
                Diagnostic::error(
                    codes::HISTORY,
                    format!(
                        "`{name}` takes {wanted} date{} after the relation, not {}",
                        if wanted == 1 { "" } else { "s" },
                        dates.len()
                    ),
                )
                .at(file, at, "here")
                .help(format!("write {shape}")),
            );
            return None;
        }
        let mut date_ids = Vec::with_capacity(dates.len());
        for d in dates {
            let id = self.expr(d, scope)?;
            let ty = self.types.get(id.index()).copied()?;
            if ty != Ty::Date {
                let n = self.ty_name(ty);
                self.diags.push(
                    Diagnostic::error(
                        codes::HISTORY,
                        format!("`{name}` counts to a date, not `{n}`"),
                    )
                    .at(file, d.span, format!("this is `{n}`"))
                    .help(
                        "give a date: `evaluation_date`, a date field, or a literal `2025-01-01`",
                    ),
                );
                return None;
            }
            date_ids.push(id);
        }
        let mut inner = Scope {
            file,
            entities: scope.entities.clone(),
        };
        inner.entities.push(child);
        let filter_id = self.where_filter(filter, &inner)?;
        let ty = match fold {
            HistoryFn::ContinuousMonths | HistoryFn::LongestMonths => Ty::Months,
            HistoryFn::DaysWithin => Ty::Days,
        };
        Some(self.push(
            Node::History {
                function: fold,
                owner,
                relation: index,
                child,
                filter: filter_id,
                dated,
                dates: date_ids,
            },
            ty,
            file,
            span,
        ))
    }
}
