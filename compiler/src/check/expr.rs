//! Expressions: names resolved in scope, types and units checked, IR nodes built.

use bylaw_grammar::ast::{self, BinOp, ExprKind, LitKind, UnOp};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::schema::{EntityId, FieldId};

use super::{Checker, literal};
use crate::diagnostics::{Diagnostic, codes, suggest};
use crate::ir::*;
use crate::types::{self, Ty};

/// The name of the date a policy is evaluated at (`--date`, a test's `at`). A field,
/// definition or parameter of the same name hides it.
pub(crate) const EVALUATION_DATE: &str = "evaluation_date";

/// Where an expression is written: its file, and the entities whose rows are in reach,
/// outermost first (the definition's entity, then each aggregate's child).
pub(super) struct Scope {
    pub file: FileId,
    pub entities: Vec<EntityId>,
}

impl Scope {
    pub(super) fn innermost(&self) -> Option<EntityId> {
        self.entities.last().copied()
    }
}

fn bool_example(ty: Ty) -> &'static str {
    match ty {
        Ty::Money(_) => "`x > 0 元`",
        Ty::Count => "`x > 0`",
        Ty::Months => "`x >= 24 months`",
        Ty::Days => "`x >= 30 days`",
        Ty::Rate => "`x > 0%`",
        Ty::Decimal => "`x > 0.5`",
        Ty::Date => "`x <= 2023-07-01`",
        Ty::Enum(_) => "`x == enumeration.variant`",
        _ => "`x == \"code\"`",
    }
}

/// When one side is a bare number and the other has a unit: "write `1338 元`".
fn unit_hint(lhs: &ast::Expr, lt: Ty, rhs: &ast::Expr, rt: Ty) -> Option<String> {
    let bare = |e: &ast::Expr| match &e.kind {
        ExprKind::Literal(LitKind::Number {
            negative,
            digits,
            unit: None,
            ..
        }) => Some(format!("{}{digits}", if *negative { "-" } else { "" })),
        _ => None,
    };
    let unit = |t: Ty| match t {
        Ty::Money(_) => Some(" 元"),
        Ty::Months => Some(" months"),
        Ty::Days => Some(" days"),
        Ty::Rate => Some("%"),
        _ => None,
    };
    let (number, unit) = match (bare(lhs), bare(rhs)) {
        (_, Some(n)) => (n, unit(lt)?),
        (Some(n), _) => (n, unit(rt)?),
        _ => return None,
    };
    if unit == " months" {
        return Some(format!(
            "write the unit on the number: `{number} months` or `{number} years`"
        ));
    }
    Some(format!("write the unit on the number: `{number}{unit}`"))
}

impl Checker<'_> {
    pub(super) fn ty_name(&self, ty: Ty) -> String {
        ty.name(&self.enum_names())
    }

    /// All names visible in `scope`, for "did you mean".
    fn visible_names(&self, scope: &Scope) -> Vec<String> {
        let mut names = Vec::new();
        for e in self.in_reach(scope) {
            if let Some(info) = self.entities.get(e.0 as usize) {
                names.extend(info.fields.iter().map(|f| f.name.clone()));
                names.extend(info.relations.iter().map(|r| r.name.clone()));
            }
        }
        names.extend(self.def_index.keys().cloned());
        names.extend(self.param_index.keys().cloned());
        names.extend(self.enum_index.keys().cloned());
        names.push(EVALUATION_DATE.to_string());
        names
    }

    /// The entities whose rows are in the frame: the scope's, and their ancestors.
    pub(super) fn in_reach(&self, scope: &Scope) -> Vec<EntityId> {
        let mut out: Vec<EntityId> = Vec::new();
        for e in scope.entities.iter().rev() {
            let mut at = Some(*e);
            while let Some(id) = at {
                if !out.contains(&id) {
                    out.push(id);
                }
                at = self.entities.get(id.0 as usize).and_then(|x| x.parent);
            }
        }
        out
    }

    fn unknown(&mut self, name: &str, span: Span, scope: &Scope) -> Option<ExprId> {
        let names = self.visible_names(scope);
        let s = suggest(name, names.iter().map(String::as_str));
        let mut d = Diagnostic::error(codes::UNKNOWN_NAME, format!("unknown name `{name}`")).at(
            scope.file,
            span,
            "not found in this scope",
        );
        d = d.help(match s {
            Some(s) => format!("did you mean `{s}`?"),
            None => "declare it as a field of the entity, a `let`, `rule`, `amount` or `parameter`"
                .to_string(),
        });
        self.diags.push(d);
        None
    }

    /// A field or definition of `entity` named `name`, if any. A date field that may be
    /// missing is refused unless `maybe_missing_ok` (a bare argument of `known` or
    /// `first_known`).
    fn member(
        &mut self,
        entity: EntityId,
        name: &str,
        span: Span,
        scope: &Scope,
        maybe_missing_ok: bool,
    ) -> Option<Option<ExprId>> {
        let info = self.entities.get(entity.0 as usize)?;
        if let Some(i) = info.fields.iter().position(|f| f.name == name) {
            let field = info.fields.get(i)?;
            let ty = field.ty;
            if field.optional && !maybe_missing_ok {
                self.diags.push(
                    Diagnostic::error(
                        codes::MAYBE_MISSING,
                        format!("`{name}` may be missing (`default none`) and is read directly"),
                    )
                    .at(scope.file, span, "may have no value")
                    .help(format!(
                        "read it as `known({name})`, or with a date for when it is missing: `first_known({name}, evaluation_date)`"
                    )),
                );
                return Some(None);
            }
            return Some(Some(self.push(
                Node::Field {
                    entity,
                    field: FieldId(i as u32),
                },
                ty,
                scope.file,
                span,
            )));
        }
        if info.relations.iter().any(|r| r.name == name) {
            self.diags.push(
                Diagnostic::error(
                    codes::RELATION_MISUSE,
                    format!("`{name}` is a relation, not a value"),
                )
                .at(scope.file, span, "relation")
                .help(format!(
                    "aggregate it: `count({name})`, `sum({name}: field)`"
                )),
            );
            return Some(None);
        }
        let def = self.def_index.get(name).copied()?;
        let def_entity = {
            let slot = self.slots.get(def.index())?;
            let (_, d) = *slot.decls.first()?;
            match &d.entity {
                None => self.root,
                Some(e) => self.entity_index.get(&e.name).copied(),
            }
        };
        if def_entity != Some(entity) {
            return None;
        }
        Some(self.def_ref(def, span, scope))
    }

    fn def_ref(&mut self, def: DefId, span: Span, scope: &Scope) -> Option<ExprId> {
        let state = self.slots.get(def.index()).map(|s| s.state);
        if state == Some(super::DefState::InProgress) {
            let name = self
                .slots
                .get(def.index())
                .and_then(|s| s.decls.first())
                .map(|(_, d)| d.name.name.clone())
                .unwrap_or_default();
            let chain: Vec<String> = self
                .in_progress
                .iter()
                .skip_while(|d| **d != def)
                .chain(std::iter::once(&def))
                .filter_map(|d| {
                    self.slots
                        .get(d.index())
                        .and_then(|s| s.decls.first())
                        .map(|(_, x)| format!("`{}`", x.name.name))
                })
                .collect();
            self.diags.push(
                Diagnostic::error(
                    codes::CYCLE,
                    format!("`{name}` depends on itself: {}", chain.join(" → ")),
                )
                .at(scope.file, span, "this reference closes the cycle")
                .help(
                    "Bylaw has no recursion; compute the value from inputs and other definitions",
                ),
            );
            return None;
        }
        let ty = self.check_def(def)?;
        Some(self.push(Node::Def(def), ty, scope.file, span))
    }

    /// [`Checker::expr`] where a bare name may be a date field that may be missing
    /// (`default none`): an argument of `known` or `first_known`, a deadline's event.
    pub(super) fn expr_maybe_missing(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ExprId> {
        self.maybe_missing_ok = matches!(e.kind, ExprKind::Path(_));
        let id = self.expr(e, scope);
        self.maybe_missing_ok = false;
        id
    }

    fn resolve_name(&mut self, name: &str, span: Span, scope: &Scope) -> Option<ExprId> {
        // Taken first: a definition checked on demand below must not inherit it.
        let maybe_missing_ok = std::mem::take(&mut self.maybe_missing_ok);
        // Inner entities first, then their ancestors.
        for e in self.in_reach(scope) {
            if let Some(found) = self.member(e, name, span, scope, maybe_missing_ok) {
                return found;
            }
        }
        if let Some(def) = self.def_index.get(name).copied() {
            let entity_name = self
                .slots
                .get(def.index())
                .and_then(|s| s.decls.first())
                .and_then(|(_, d)| d.entity.as_ref().map(|e| e.name.clone()))
                .unwrap_or_default();
            self.diags.push(
                Diagnostic::error(codes::RELATION_MISUSE, format!("`{name}` is defined for each `{entity_name}`, not here"))
                    .at(scope.file, span, "out of reach")
                    .help(format!("read it inside an aggregate over the `{entity_name}` relation, e.g. `sum(members: {name})`")),
            );
            return None;
        }
        if let Some(p) = self.param_index.get(name).copied() {
            let param = self.params.get(p.index())?;
            let ty = param.ty;
            if param.by.is_some() {
                let enum_name = param
                    .by
                    .and_then(|e| self.enums.get(e.index()))
                    .map(|e| e.name.clone())
                    .unwrap_or_default();
                self.diags.push(
                    Diagnostic::error(
                        codes::PARAMETER_KEY,
                        format!("parameter `{name}` is keyed by `{enum_name}`"),
                    )
                    .at(scope.file, span, "needs a key")
                    .help(format!(
                        "write `{name}[key]`, with a `{enum_name}` value as the key"
                    )),
                );
                return None;
            }
            return Some(self.push(
                Node::Param {
                    param: p,
                    key: None,
                },
                ty,
                scope.file,
                span,
            ));
        }
        if name == EVALUATION_DATE {
            let node = Node::Call {
                builtin: Builtin::EvaluationDate,
                args: Vec::new(),
            };
            return Some(self.push(node, Ty::Date, scope.file, span));
        }
        if self.scale_index.contains_key(name) {
            self.diags.push(
                Diagnostic::error(
                    codes::BAD_CALL,
                    format!("scale `{name}` is applied to a value"),
                )
                .at(scope.file, span, "scale")
                .help(format!("write `{name}(x)`")),
            );
            return None;
        }
        self.unknown(name, span, scope)
    }

    fn resolve_path(&mut self, parts: &[ast::Ident], span: Span, scope: &Scope) -> Option<ExprId> {
        match parts {
            [one] => self.resolve_name(&one.name, one.span, scope),
            [head, tail] => {
                if let Some(e) = self.enum_index.get(&head.name).copied() {
                    let def = self.enums.get(e.index())?;
                    return match literal::variant_index(def, &tail.name) {
                        Ok(i) => Some(self.push(
                            Node::Const(Value::Enum(i)),
                            Ty::Enum(e),
                            scope.file,
                            span,
                        )),
                        Err(err) => {
                            self.literal_error(err, scope.file, tail.span);
                            None
                        }
                    };
                }
                if let Some(entity) = self.entity_index.get(&head.name).copied() {
                    if !self.in_reach(scope).contains(&entity) {
                        self.diags.push(
                            Diagnostic::error(codes::RELATION_MISUSE, format!("no `{}` is in reach here", head.name))
                                .at(scope.file, head.span, "not an enclosing entity")
                                .help("`entity.name` reads a field of an enclosing entity (a person's household)"),
                        );
                        return None;
                    }
                    return match self.member(entity, &tail.name, tail.span, scope, false) {
                        Some(found) => found,
                        None => self.unknown(&tail.name, tail.span, scope),
                    };
                }
                self.unknown(&head.name, head.span, scope)
            }
            _ => {
                let shown: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
                self.unknown(&shown.join("."), span, scope)
            }
        }
    }

    pub(super) fn expect_bool(
        &mut self,
        id: ExprId,
        span: Span,
        scope: &Scope,
        what: &str,
    ) -> Option<()> {
        let ty = self.types.get(id.index()).copied()?;
        if ty == Ty::Bool {
            return Some(());
        }
        let name = self.ty_name(ty);
        self.diags.push(
            Diagnostic::error(
                codes::NOT_BOOL,
                format!("{what} must be a boolean, not `{name}`"),
            )
            .at(scope.file, span, format!("this is `{name}`"))
            .help(format!(
                "compare it with something, e.g. {}",
                bool_example(ty)
            )),
        );
        None
    }

    /// Checks one expression. A definition used here is checked first, in place, so this
    /// recursion runs through chains of definitions: it stops at
    /// [`bylaw_grammar::MAX_DEPTH`] expressions, the bound every later walk relies on.
    pub(super) fn expr(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ExprId> {
        if self.depth >= bylaw_grammar::MAX_DEPTH {
            if self.depth_reported {
                return None;
            }
            self.depth_reported = true;
            let chain = self
                .in_progress
                .iter()
                .filter_map(|d| self.slots.get(d.index())?.decls.first())
                .map(|(_, x)| format!("`{}`", x.name.name))
                .collect::<Vec<_>>();
            let shown = match chain.as_slice() {
                [first, .., last] => format!("{first} → … → {last}"),
                _ => chain.join(" → "),
            };
            let mut at = e.span;
            at.end = at.end.min(at.start.saturating_add(1));
            self.diags.push(
                Diagnostic::error(
                    codes::SYNTAX,
                    format!(
                        "the definitions {shown} nest more than {} levels deep with each one \
                         written in place of its reference",
                        bylaw_grammar::MAX_DEPTH
                    ),
                )
                .at(scope.file, at, "too deep here")
                .help(
                    "a definition is evaluated in place of each reference: shorten the chain of \
                     definitions that build on each other",
                ),
            );
            return None;
        }
        self.depth += 1;
        let result = self.expr_at(e, scope);
        self.depth -= 1;
        result
    }

    fn expr_at(&mut self, e: &ast::Expr, scope: &Scope) -> Option<ExprId> {
        let file = scope.file;
        match &e.kind {
            ExprKind::Paren(inner) => self.expr(inner, scope),
            ExprKind::LastYear(base) => self.expr_last_year(base, e.span, scope),
            ExprKind::Literal(lit) => self.expr_literal(lit, e.span, scope),
            ExprKind::Path(parts) => self.resolve_path(parts, e.span, scope),
            ExprKind::Index { base, index } => self.expr_index(base, index, e.span, scope),
            ExprKind::Unary { op, operand } => {
                let inner = self.expr(operand, scope)?;
                let ty = self.types.get(inner.index()).copied()?;
                match op {
                    UnOp::Not => {
                        self.expect_bool(inner, operand.span, scope, "the operand of `not`")?;
                        Some(self.push(Node::Not(inner), Ty::Bool, file, e.span))
                    }
                    UnOp::Neg => {
                        if !ty.is_numeric() {
                            let name = self.ty_name(ty);
                            self.error(
                                codes::TYPE_MISMATCH,
                                format!("cannot negate a `{name}`"),
                                file,
                                operand.span,
                                "not a number",
                            );
                            return None;
                        }
                        Some(self.push(Node::Neg(inner), ty, file, e.span))
                    }
                }
            }
            ExprKind::Binary { op, lhs, rhs } => self.expr_binary(*op, lhs, rhs, e.span, scope),
            ExprKind::If {
                condition,
                then,
                otherwise,
            } => {
                let c = self.expr(condition, scope);
                let t = self.expr(then, scope);
                let o = self.expr(otherwise, scope);
                let (c, t, o) = (c?, t?, o?);
                self.expect_bool(c, condition.span, scope, "the condition of `if`")?;
                let (tt, ot) = (
                    self.types.get(t.index()).copied()?,
                    self.types.get(o.index()).copied()?,
                );
                let Some(ty) = tt.unify(ot) else {
                    let (a, b) = (self.ty_name(tt), self.ty_name(ot));
                    self.diags.push(
                        Diagnostic::error(
                            codes::BRANCH_MISMATCH,
                            format!("`if` branches differ: `{a}` and `{b}`"),
                        )
                        .at(file, otherwise.span, format!("this is `{b}`"))
                        .also(file, then.span, format!("this is `{a}`")),
                    );
                    return None;
                };
                Some(self.push(
                    Node::If {
                        condition: c,
                        then: t,
                        otherwise: o,
                    },
                    ty,
                    file,
                    e.span,
                ))
            }
            ExprKind::Call { function, args } => self.expr_call(function, args, e.span, scope),
            ExprKind::History(call) => self.expr_history(call, e.span, scope),
            ExprKind::Aggregate {
                function,
                function_span,
                relation,
                body,
                filter,
                default,
            } => self.expr_aggregate(
                *function,
                *function_span,
                relation,
                body.as_deref(),
                filter.as_deref(),
                default.as_deref(),
                e.span,
                scope,
            ),
        }
    }

    fn expr_literal(&mut self, lit: &LitKind, span: Span, scope: &Scope) -> Option<ExprId> {
        let (ty, value) = match lit {
            LitKind::Number {
                negative,
                digits,
                unit,
                per,
            } => match literal::number_literal(*negative, digits, *unit, *per) {
                Ok(x) => x,
                Err(e) => {
                    self.literal_error(e, scope.file, span);
                    return None;
                }
            },
            LitKind::Date(d) => match literal::parse_date(d) {
                Ok(v) => (Ty::Date, Value::Date(v)),
                Err(e) => {
                    self.literal_error(e, scope.file, span);
                    return None;
                }
            },
            LitKind::Bool(b) => (Ty::Bool, Value::Bool(*b)),
            LitKind::Text(t) => (Ty::Text, Value::Text(t.as_str().into())),
            LitKind::None => {
                self.error(
                    codes::LITERAL_TYPE,
                    "`none` is not a value in an expression",
                    scope.file,
                    span,
                    "here",
                );
                return None;
            }
            LitKind::Path(parts) => return self.resolve_path(parts, span, scope),
        };
        Some(self.push(Node::Const(value), ty, scope.file, span))
    }

    fn expr_index(
        &mut self,
        base: &ast::Expr,
        index: &ast::Expr,
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let ExprKind::Path(parts) = &base.kind else {
            self.error(
                codes::PARAMETER_KEY,
                "only parameters can be indexed",
                scope.file,
                base.span,
                "not a parameter",
            );
            return None;
        };
        let name = match parts.as_slice() {
            [one] => one,
            _ => {
                self.error(
                    codes::PARAMETER_KEY,
                    "only parameters can be indexed",
                    scope.file,
                    base.span,
                    "not a parameter",
                );
                return None;
            }
        };
        let Some(p) = self.param_index.get(&name.name).copied() else {
            if self.def_index.contains_key(&name.name)
                || self.visible_names(scope).contains(&name.name)
            {
                self.error(
                    codes::PARAMETER_KEY,
                    format!("`{}` is not a parameter and cannot be indexed", name.name),
                    scope.file,
                    name.span,
                    "not a parameter",
                );
                return None;
            }
            return self.unknown(&name.name, name.span, scope);
        };
        let key = self.expr(index, scope)?;
        let (param_ty, by) = {
            let param = self.params.get(p.index())?;
            (param.ty, param.by)
        };
        let Some(by) = by else {
            self.diags.push(
                Diagnostic::error(
                    codes::PARAMETER_KEY,
                    format!("parameter `{}` has no key", name.name),
                )
                .at(scope.file, index.span, "key given")
                .help(format!("write `{}` without `[…]`", name.name)),
            );
            return None;
        };
        let key_ty = self.types.get(key.index()).copied()?;
        if key_ty != Ty::Enum(by) {
            let (want, got) = (self.ty_name(Ty::Enum(by)), self.ty_name(key_ty));
            self.diags.push(
                Diagnostic::error(
                    codes::PARAMETER_KEY,
                    format!("`{}` is keyed by `{want}`, not `{got}`", name.name),
                )
                .at(scope.file, index.span, format!("this is `{got}`")),
            );
            return None;
        }
        Some(self.push(
            Node::Param {
                param: p,
                key: Some(key),
            },
            param_ty,
            scope.file,
            span,
        ))
    }

    fn expr_binary(
        &mut self,
        op: BinOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
        scope: &Scope,
    ) -> Option<ExprId> {
        let file = scope.file;
        let l = self.expr(lhs, scope);
        let r = self.expr(rhs, scope);
        let (l, r) = (l?, r?);
        let (lt, rt) = (
            self.types.get(l.index()).copied()?,
            self.types.get(r.index()).copied()?,
        );
        match op {
            BinOp::And | BinOp::Or => {
                let a = self.expect_bool(
                    l,
                    lhs.span,
                    scope,
                    &format!("the left side of `{}`", op.as_str()),
                );
                let b = self.expect_bool(
                    r,
                    rhs.span,
                    scope,
                    &format!("the right side of `{}`", op.as_str()),
                );
                a?;
                b?;
                let node = if op == BinOp::And {
                    Node::And(l, r)
                } else {
                    Node::Or(l, r)
                };
                Some(self.push(node, Ty::Bool, file, span))
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered = !matches!(op, BinOp::Eq | BinOp::Ne);
                let unified = lt.unify(rt);
                let ok = match unified {
                    Some(t) => !ordered || t.is_numeric() || t == Ty::Date,
                    None => false,
                };
                if !ok {
                    let (a, b) = (self.ty_name(lt), self.ty_name(rt));
                    let code = if types::is_period_mix(lt, rt) {
                        codes::PERIOD_MIX
                    } else {
                        codes::COMPARE_MISMATCH
                    };
                    let help = if types::is_period_mix(lt, rt) {
                        "convert one side with `per_year(x)` or `per_month(x)`".to_string()
                    } else if unified.is_some() {
                        format!("`{a}` values have no order; compare them with `==` or `!=`")
                    } else if let Some(h) = unit_hint(lhs, lt, rhs, rt) {
                        h
                    } else {
                        "both sides of a comparison must have the same type and unit".to_string()
                    };
                    self.diags.push(
                        Diagnostic::error(code, format!("cannot compare `{a}` with `{b}`"))
                            .at(file, rhs.span, format!("this is `{b}`"))
                            .also(file, lhs.span, format!("this is `{a}`"))
                            .help(help),
                    );
                    return None;
                }
                let op = match op {
                    BinOp::Eq => CmpOp::Eq,
                    BinOp::Ne => CmpOp::Ne,
                    BinOp::Lt => CmpOp::Lt,
                    BinOp::Le => CmpOp::Le,
                    BinOp::Gt => CmpOp::Gt,
                    _ => CmpOp::Ge,
                };
                Some(self.push(Node::Cmp { op, lhs: l, rhs: r }, Ty::Bool, file, span))
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => match types::arith(op, lt, rt) {
                Some((ty, aop)) => Some(self.push(
                    Node::Arith {
                        op: aop,
                        lhs: l,
                        rhs: r,
                    },
                    ty,
                    file,
                    span,
                )),
                None => {
                    let (a, b) = (self.ty_name(lt), self.ty_name(rt));
                    let code = if types::is_period_mix(lt, rt) {
                        codes::PERIOD_MIX
                    } else {
                        codes::TYPE_MISMATCH
                    };
                    let help = if types::is_period_mix(lt, rt) {
                        "convert one side with `per_year(x)` or `per_month(x)`".to_string()
                    } else if lt.is_money()
                        && rt == Ty::Count
                        && matches!(op, BinOp::Add | BinOp::Sub)
                    {
                        "write the unit on the number: `24 元`".to_string()
                    } else {
                        match op {
                            BinOp::Add | BinOp::Sub => {
                                "only values of the same type and unit add up".to_string()
                            }
                            BinOp::Mul => {
                                "money multiplies by a count, a rate or a decimal".to_string()
                            }
                            _ => "money divides by a count, a decimal, a rate or money".to_string(),
                        }
                    };
                    self.diags.push(
                        Diagnostic::error(
                            code,
                            format!("cannot apply `{}` to `{a}` and `{b}`", op.as_str()),
                        )
                        .at(file, span, format!("`{a}` {} `{b}`", op.as_str()))
                        .help(help),
                    );
                    None
                }
            },
        }
    }
}
