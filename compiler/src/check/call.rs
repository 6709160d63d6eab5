//! Calls: built-in functions (min, max, round_fen, floor, ceil, per_year, per_month,
//! months_between, days_between, years_between and age, the calendar days such as
//! month_end, working days over a declared calendar), scales, and aggregates over a
//! relation.

use bylaw_grammar::Span;
use bylaw_grammar::ast::{self, AggFn, ExprKind};
use bylaw_runtime::arith::RoundingMode;
use bylaw_runtime::date::{CalendarDay, NO_DATE};

use super::Checker;
use super::expr::Scope;
use crate::diagnostics::{Diagnostic, codes, suggest};
use crate::ir::*;
use crate::types::{Per, Ty};
use bylaw_runtime::schema::EntityId;

const BUILTINS: &[&str] = &[
    "min",
    "max",
    "round_fen",
    "floor",
    "ceil",
    "per_year",
    "per_month",
    "months_between",
    "days_between",
    "years_between",
    "age",
    "month_start",
    "month_end",
    "next_month_start",
    "year_start",
    "year_end",
    "known",
    "first_known",
    "add_working_days",
    "working_days_between",
    "count",
    "sum",
    "any",
    "all",
    "continuous_months",
    "longest_months",
    "days_within",
];

impl Checker<'_> {
    pub(super) fn bad_call(
        &mut self,
        name: &str,
        takes: &str,
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let example = match name {
            "min" | "max" => "`min(standard - income, 8 万元)`",
            "round_fen" => "`round_fen(total / count(members))`, `round_fen(x, half_even)`",
            "floor" | "ceil" => "`floor(townships * 30%)` gives a whole number of townships",
            "per_year" => "`per_year(monthly_income)`",
            "per_month" => "`per_month(yearly_budget)`",
            "months_between" | "days_between" | "years_between" => {
                "`months_between(arrival_date, 2023-07-01)`"
            }
            "age" => "`age(birth_date) >= 80 周岁`: whole years completed at the evaluation date",
            "known" | "first_known" => {
                "`known(end_date)`, `first_known(end_date, evaluation_date)`"
            }
            "add_working_days" => {
                "`add_working_days(applied_on, 15)`: the 15th working day after `applied_on`"
            }
            "working_days_between" => {
                "`working_days_between(applied_on, decided_on)`: working days after the first date, up to the second"
            }
            "month_start" | "month_end" | "next_month_start" | "year_start" | "year_end" => {
                "`month_end(application_date)`, `evaluation_date >= next_month_start(birth_date + 80 周岁)`"
            }
            "continuous_months" | "longest_months" => {
                "`continuous_months(stays where place == region.nansha, applied_on) >= 2 years`"
            }
            "days_within" => {
                "`days_within(stays where place == region.nansha, 2025-01-01, 2025-12-31)`"
            }
            _ => "`sum(members: income)`",
        };
        self.diags.push(
            Diagnostic::error(codes::BAD_CALL, format!("`{name}` takes {takes}"))
                .at(scope.file, span, "this call")
                .help(format!("for example {example}")),
        );
        None
    }

    pub(super) fn expr_call(
        &mut self,
        function: &ast::Ident,
        args: &[ast::Expr],
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let file = scope.file;
        let name = function.name.as_str();
        if let Some(s) = self.scale_index.get(name).copied() {
            let [arg] = args else {
                return self.bad_call(name, "one value", span, scope);
            };
            let a = self.expr(arg, scope)?;
            let (input, output, marginal) = {
                let def = self.scales.get(s.index())?;
                (def.input, def.output, def.marginal)
            };
            let at = self.types.get(a.index()).copied()?;
            let Some(unified) = at.unify(input) else {
                let (want, got) = (self.ty_name(input), self.ty_name(at));
                return self.bad_call(name, &format!("a `{want}`, not `{got}`"), arg.span, scope);
            };
            let ty = if marginal { unified } else { output };
            return Some(self.push(Node::Scale { scale: s, arg: a }, ty, file, span));
        }
        // `round_fen(x, half_even)`: the mode is a word, not a value in scope; so is
        // the calendar of `add_working_days(d, n, cn_workdays)`.
        let value_args = match name {
            "round_fen" => args.get(..1).unwrap_or(args),
            "add_working_days" | "working_days_between" => args.get(..2).unwrap_or(args),
            _ => args,
        };
        let mut ids = Vec::new();
        let reads_missing = matches!(name, "known" | "first_known");
        for a in value_args {
            ids.push(if reads_missing {
                self.expr_maybe_missing(a, scope)
            } else {
                self.expr(a, scope)
            });
        }
        let ids: Vec<ExprId> = ids.into_iter().collect::<Option<_>>()?;
        let tys: Vec<Ty> = ids
            .iter()
            .filter_map(|i| self.types.get(i.index()).copied())
            .collect();
        let call = |builtin, ids| Node::Call { builtin, args: ids };
        match (name, tys.as_slice()) {
            ("min" | "max", [first, rest @ ..]) if !rest.is_empty() => {
                let mut ty = *first;
                for (t, a) in rest.iter().zip(args.iter().skip(1)) {
                    match ty.unify(*t) {
                        Some(u) if u.is_numeric() || u == Ty::Date => ty = u,
                        _ => {
                            let (x, y) = (self.ty_name(ty), self.ty_name(*t));
                            self.diags.push(
                                Diagnostic::error(codes::BRANCH_MISMATCH, format!("`{name}` of `{x}` and `{y}`"))
                                    .at(file, a.span, format!("this is `{y}`"))
                                    .help("the arguments of min and max must have one numeric type"),
                            );
                            return None;
                        }
                    }
                }
                Some(self.push(Node::MinMax { max: name == "max", args: ids }, ty, file, span))
            }
            ("min" | "max", _) => self.bad_call(name, "two or more values of one type (or an aggregate: `min(members: age else 0 years)`)", span, scope),
            ("round_fen", [Ty::Money(_)]) if args.len() <= 2 => {
                let mode = match args.get(1) {
                    None => RoundingMode::HalfUp,
                    Some(a) => {
                        let text = match &a.kind {
                            ExprKind::Path(p) if p.len() == 1 => p.first().map(|i| i.name.clone()).unwrap_or_default(),
                            _ => String::new(),
                        };
                        match text.parse::<RoundingMode>() {
                            Ok(m) => m,
                            Err(_) => {
                                let written = bylaw_grammar::print_expr(a);
                                self.diags.push(
                                    Diagnostic::error(codes::UNKNOWN_ROUNDING, format!("`{written}` is not a rounding mode"))
                                        .at(file, a.span, "rounding mode")
                                        .help("`round_fen` always rounds to the fen; its second argument says how: `up`, `down`, `ceiling`, `floor`, `half_up` (the default), `half_down` or `half_even`"),
                                );
                                return None;
                            }
                        }
                    }
                };
                let first = ids.first().copied()?;
                let ty = tys.first().copied()?;
                Some(self.push(call(Builtin::RoundFen(mode), vec![first]), ty, file, span))
            }
            ("round_fen", _) => self.bad_call(name, "money, and optionally a rounding mode: `round_fen(x, half_even)`", span, scope),
            ("floor" | "ceil", [t @ (Ty::Decimal | Ty::Rate)]) => {
                let scale = t.scale();
                let b = if name == "floor" { Builtin::Floor(scale) } else { Builtin::Ceil(scale) };
                Some(self.push(call(b, ids), Ty::Count, file, span))
            }
            ("floor" | "ceil", _) => self.bad_call(name, "a decimal or a rate, and gives a count", span, scope),
            ("per_year", [Ty::Money(Per::Month)]) => Some(self.push(call(Builtin::PerYear, ids), Ty::Money(Per::Year), file, span)),
            ("per_year", _) => self.bad_call(name, "money per month", span, scope),
            ("per_month", [Ty::Money(Per::Year)]) => Some(self.push(call(Builtin::PerMonth, ids), Ty::Money(Per::Month), file, span)),
            ("per_month", _) => self.bad_call(name, "money per year", span, scope),
            ("months_between", [Ty::Date, Ty::Date]) => Some(self.push(call(Builtin::MonthsBetween, ids), Ty::Months, file, span)),
            ("days_between", [Ty::Date, Ty::Date]) => Some(self.push(call(Builtin::DaysBetween, ids), Ty::Days, file, span)),
            ("years_between", [Ty::Date, Ty::Date]) => Some(self.push(call(Builtin::YearsBetween, ids), Ty::Months, file, span)),
            ("months_between" | "days_between" | "years_between", _) => self.bad_call(name, "two dates", span, scope),
            ("age", [Ty::Date]) => {
                let today = self.push(call(Builtin::EvaluationDate, Vec::new()), Ty::Date, file, span);
                let args = vec![ids.first().copied()?, today];
                Some(self.push(call(Builtin::YearsBetween, args), Ty::Months, file, span))
            }
            ("age", _) => self.bad_call(name, "a date of birth", span, scope),
            ("known", [_]) if ids.first().is_some_and(|a| self.maybe_missing(*a)) => {
                let value = ids.first().copied()?;
                let none = self.push(Node::Const(Value::Date(NO_DATE)), Ty::Date, file, span);
                Some(self.push(Node::Cmp { op: CmpOp::Ne, lhs: value, rhs: none }, Ty::Bool, file, span))
            }
            ("known", _) => self.bad_call(name, "one date field declared `default none`", span, scope),
            ("first_known", [_, _, ..]) if tys.iter().all(|t| *t == Ty::Date) => {
                self.first_known(&ids, args, file, span)
            }
            ("first_known", _) => self.bad_call(name, "two or more dates, the last always known", span, scope),
            ("add_working_days", [Ty::Date, Ty::Count]) | ("working_days_between", [Ty::Date, Ty::Date]) if args.len() <= 3 => {
                let named = match args.get(2) {
                    Some(a) => Some(self.calendar_arg(a, file)?),
                    None => None,
                };
                let what = format!("`{name}`");
                let written: Vec<String> = args.iter().take(2).map(bylaw_grammar::print_expr).collect();
                let example = |c: &str| format!("`{name}({}, {c})`", written.join(", "));
                let calendar = self.calendar_for(named.as_ref(), (&what, &example), file, span)?;
                let (builtin, ty) = if name == "add_working_days" {
                    (Builtin::AddWorkingDays(calendar), Ty::Date)
                } else {
                    (Builtin::WorkingDaysBetween(calendar), Ty::Count)
                };
                Some(self.push(call(builtin, ids), ty, file, span))
            }
            ("add_working_days", _) => self.bad_call(name, "a date and a count of working days, and optionally a calendar: `add_working_days(d, 15, cn_workdays)`", span, scope),
            ("working_days_between", _) => self.bad_call(name, "two dates, and optionally a calendar: `working_days_between(a, b, cn_workdays)`", span, scope),
            (_, [Ty::Date]) if CalendarDay::named(name).is_some() => {
                let day = CalendarDay::named(name)?;
                Some(self.push(call(Builtin::Calendar(day), ids), Ty::Date, file, span))
            }
            (_, _) if CalendarDay::named(name).is_some() => self.bad_call(name, "a date", span, scope),
            ("count" | "sum" | "any" | "all", _) => self.bad_call(name, "a relation: `sum(members: income)`", span, scope),
            ("continuous_months" | "longest_months" | "days_within", _) => self.bad_call(name, "a relation of dated records, then dates", span, scope),
            _ => {
                let mut candidates: Vec<&str> = BUILTINS.to_vec();
                candidates.extend(self.scale_index.keys().map(String::as_str));
                let s = suggest(name, candidates.iter().copied());
                self.diags.push(
                    Diagnostic::error(codes::UNKNOWN_FUNCTION, format!("unknown function `{name}`"))
                        .at(file, function.span, "not a function or scale")
                        .help(match s {
                            Some(s) => format!("did you mean `{s}`?"),
                            None => "functions are min, max, round_fen, floor, ceil, per_year, per_month, months_between, days_between, years_between, age, month_start, month_end, next_month_start, year_start, year_end, known, first_known, add_working_days, working_days_between, the aggregates, continuous_months, longest_months, days_within, and declared scales".into(),
                        }),
                );
                None
            }
        }
    }

    #[allow(
        clippy::too_many_arguments,
        reason = "one aggregate's parts, passed as written"
    )]
    pub(super) fn expr_aggregate(
        &mut self,
        function: AggFn,
        function_span: Span,
        relation: &ast::Ident,
        body: Option<&ast::Expr>,
        filter: Option<&ast::Expr>,
        default: Option<&ast::Expr>,
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let file = scope.file;
        let (owner, index, child) =
            self.relation_in_reach(function.as_str(), relation, span, scope)?;
        let mut inner = Scope {
            file,
            entities: scope.entities.clone(),
        };
        inner.entities.push(child);
        let body_id = match body {
            Some(b) => Some(self.expr(b, &inner)?),
            None => None,
        };
        let filter_id = self.where_filter(filter, &inner)?;
        let body_ty = body_id.and_then(|b| self.types.get(b.index()).copied());
        let fname = function.as_str();
        let ty = match (function, body_ty) {
            (AggFn::Count, None) => Ty::Count,
            (AggFn::Count, Some(_)) => {
                self.diags.push(
                    Diagnostic::error(codes::AGGREGATE_FORM, "`count` takes no value")
                        .at(file, body.map_or(span, |b| b.span), "value")
                        .help(format!(
                            "to count some of them, filter: `count({} where condition)`",
                            relation.name
                        )),
                );
                return None;
            }
            (_, None) => {
                self.diags.push(
                    Diagnostic::error(codes::AGGREGATE_FORM, format!("`{fname}` needs a value"))
                        .at(file, span, "no value")
                        .help(format!("write `{fname}({}: field)`", relation.name)),
                );
                return None;
            }
            (AggFn::Any | AggFn::All, Some(t)) => {
                if t != Ty::Bool
                    && let Some(b) = body
                {
                    self.expect_bool(body_id?, b.span, &inner, &format!("the value of `{fname}`"))?;
                }
                Ty::Bool
            }
            (AggFn::Sum, Some(t)) => {
                if !t.is_numeric() {
                    let n = self.ty_name(t);
                    self.error(
                        codes::AGGREGATE_FORM,
                        format!("cannot sum `{n}` values"),
                        file,
                        body.map_or(span, |b| b.span),
                        "not a number",
                    );
                    return None;
                }
                if t == Ty::Money(Per::Any) {
                    Ty::Money(Per::Once)
                } else {
                    t
                }
            }
            (AggFn::Min | AggFn::Max, Some(t)) => {
                if !(t.is_numeric() || t == Ty::Date) {
                    let n = self.ty_name(t);
                    self.error(
                        codes::AGGREGATE_FORM,
                        format!("`{fname}` of `{n}` values has no meaning"),
                        file,
                        body.map_or(span, |b| b.span),
                        "not ordered",
                    );
                    return None;
                }
                t
            }
        };
        let default_id = match (function, default) {
            (AggFn::Min | AggFn::Max, None) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::AGGREGATE_FORM,
                        format!(
                            "`{fname}` needs `else` for when there is no `{}`",
                            relation.name
                        ),
                    )
                    .at(file, function_span, "no default")
                    .help(format!(
                        "write `{fname}({}: value else default)`",
                        relation.name
                    )),
                );
                return None;
            }
            (AggFn::Min | AggFn::Max, Some(d)) => {
                let id = self.expr(d, scope)?;
                let dt = self.types.get(id.index()).copied()?;
                if dt.unify(ty).is_none() {
                    let (a, b) = (self.ty_name(ty), self.ty_name(dt));
                    self.error(
                        codes::BRANCH_MISMATCH,
                        format!("the default of `{fname}` is `{b}`, its values `{a}`"),
                        file,
                        d.span,
                        format!("this is `{b}`").as_str(),
                    );
                    return None;
                }
                Some(id)
            }
            (_, Some(d)) => {
                self.error(
                    codes::AGGREGATE_FORM,
                    format!("`{fname}` takes no `else`"),
                    file,
                    d.span,
                    "not needed",
                );
                return None;
            }
            (_, None) => None,
        };
        Some(self.push(
            Node::Aggregate {
                function,
                owner,
                relation: index,
                child,
                body: body_id,
                filter: filter_id,
                default: default_id,
            },
            ty,
            file,
            span,
        ))
    }

    /// A `where` filter, checked in the child's scope: `Some(None)` when there is none,
    /// `None` when it is wrong (reported).
    pub(super) fn where_filter(
        &mut self,
        filter: Option<&ast::Expr>,
        inner: &Scope,
    ) -> Option<Option<ExprId>> {
        let Some(f) = filter else { return Some(None) };
        let id = self.expr(f, inner)?;
        self.expect_bool(id, f.span, inner, "a `where` filter")?;
        Some(Some(id))
    }

    /// The relation named `relation` in reach of `scope`: its owner, its index among
    /// the owner's relations and its child entity, or `None` (reported).
    pub(super) fn relation_in_reach(
        &mut self,
        function: &str,
        relation: &ast::Ident,
        span: Span,
        scope: &Scope,
    ) -> Option<(EntityId, usize, EntityId)> {
        let file = scope.file;
        let Some(owner) = scope.innermost() else {
            self.diags.push(
                Diagnostic::error(codes::RELATION_MISUSE, format!("`{}` needs a record to aggregate over", function))
                    .at(file, span, "no entity here")
                    .help("a `check` compares fixed figures; aggregates belong in definitions of an entity"),
            );
            return None;
        };
        let found = self.in_reach(scope).into_iter().find_map(|e| {
            self.entities.get(e.0 as usize).and_then(|info| {
                info.relations
                    .iter()
                    .position(|r| r.name == relation.name)
                    .map(|i| (e, i, info.relations.get(i).map(|r| r.child)))
            })
        });
        let Some((owner, index, Some(child))) = found.or(None) else {
            let _ = owner;
            let rels: Vec<String> = self
                .entities
                .iter()
                .flat_map(|e| e.relations.iter().map(|r| r.name.clone()))
                .collect();
            let s = suggest(&relation.name, rels.iter().map(String::as_str));
            self.diags.push(
                Diagnostic::error(
                    codes::RELATION_MISUSE,
                    format!("`{}` is not a relation in reach", relation.name),
                )
                .at(file, relation.span, "aggregates run over a relation")
                .help(match s {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "declare it in the entity: `members: many person`".into(),
                }),
            );
            return None;
        };
        Some((owner, index, child))
    }

    /// `first_known(a, b, …, z)`: `if known(a) then a else if known(b) then b … else z`,
    /// each test and value a node of its own. `z` must always have a value.
    fn first_known(
        &mut self,
        ids: &[ExprId],
        args: &[ast::Expr],
        file: bylaw_grammar::FileId,
        span: Span,
    ) -> Option<ExprId> {
        let (&last, rest) = ids.split_last()?;
        if self.maybe_missing(last) {
            let at = args.last().map_or(span, |a| a.span);
            self.diags.push(
                Diagnostic::error(codes::MAYBE_MISSING, "the last argument of `first_known` may be missing too")
                    .at(file, at, "may have no value")
                    .help("end with a date that always has one, e.g. `first_known(end_date, evaluation_date)`"),
            );
            return None;
        }
        if let Some((_, arg)) = rest
            .iter()
            .zip(args)
            .find(|(a, _)| !self.maybe_missing(**a))
        {
            self.diags.push(
                Diagnostic::error(codes::BAD_CALL, "`first_known` takes dates that may be missing, then one that is always known")
                    .at(file, arg.span, "always has a value: the arguments after it are never used")
                    .help("put the date that always has a value last, e.g. `first_known(end_date, evaluation_date)`"),
            );
            return None;
        }
        let mut acc = last;
        for &a in rest.iter().rev() {
            let node = self.nodes.get(a.index())?.clone();
            let again = self.push(node, Ty::Date, file, span);
            let none = self.push(Node::Const(Value::Date(NO_DATE)), Ty::Date, file, span);
            let known = self.push(
                Node::Cmp {
                    op: CmpOp::Ne,
                    lhs: a,
                    rhs: none,
                },
                Ty::Bool,
                file,
                span,
            );
            acc = self.push(
                Node::If {
                    condition: known,
                    then: again,
                    otherwise: acc,
                },
                Ty::Date,
                file,
                span,
            );
        }
        Some(acc)
    }

    /// Is `id` a date field declared `default none`?
    fn maybe_missing(&self, id: ExprId) -> bool {
        match self.nodes.get(id.index()) {
            Some(Node::Field { entity, field }) => self
                .entities
                .get(entity.0 as usize)
                .and_then(|e| e.fields.get(field.0 as usize))
                .is_some_and(|f| f.optional),
            _ => false,
        }
    }
}
