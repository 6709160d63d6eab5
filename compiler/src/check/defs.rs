//! Definitions: `let`, `rule` and `amount`, with their dated versions, checked once each
//! and on demand, so that references know their types and cycles are found.

use bylaw_grammar::FileId;
use bylaw_grammar::ast::{self, Item};
use bylaw_runtime::arith::RoundingMode;
use bylaw_runtime::schema::EntityId;

use super::*;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::*;
use crate::types::{Per, Ty};

impl<'a> Checker<'a> {
    pub(super) fn collect_defs(&mut self, items: &[(FileId, &'a Item)]) {
        for (file, item) in items {
            match item {
                Item::Def(d) => {
                    let name = &d.name.name;
                    let clash = self
                        .param_index
                        .get(name)
                        .and_then(|p| self.params.get(p.index()))
                        .map(|p| ("parameter", p.origin.clone()))
                        .or_else(|| {
                            self.scale_index
                                .get(name)
                                .and_then(|s| self.scales.get(s.index()))
                                .map(|s| ("scale", s.origin.clone()))
                        });
                    if let Some((what, first)) = clash {
                        let mut diag = Diagnostic::error(
                            codes::DUPLICATE,
                            format!("`{name}` is already declared as a {what}"),
                        )
                        .at(*file, d.name.span, "second declaration")
                        .help("definitions, parameters and scales share one namespace: rename one");
                        if let Some(f) = first.file {
                            diag = diag.also(f, first.span, format!("the {what}"));
                        }
                        self.diags.push(diag);
                        continue;
                    }
                    if name == "error" {
                        self.error_help(
                            codes::DUPLICATE,
                            "`error` is reserved for the output column that names a household's error",
                            (*file, d.name.span, "reserved name"),
                            "choose another name",
                        );
                        continue;
                    }
                    match self.def_index.get(name) {
                        Some(id) => {
                            if let Some(slot) = self.slots.get_mut(id.index()) {
                                slot.decls.push((*file, d));
                            }
                        }
                        None => {
                            self.def_index
                                .insert(name.clone(), DefId(self.slots.len() as u32));
                            self.slots.push(DefSlot {
                                decls: vec![(*file, d)],
                                exceptions: Vec::new(),
                                state: DefState::Unchecked,
                            });
                            self.defs.push(None);
                        }
                    }
                }
                Item::Exception(_) => {}
                _ => {}
            }
        }
        for (file, item) in items {
            if let Item::Exception(x) = item {
                match self.def_index.get(&x.target.name) {
                    Some(id) => {
                        if let Some(slot) = self.slots.get_mut(id.index()) {
                            slot.exceptions.push((*file, x));
                        }
                    }
                    None => {
                        let s = crate::diagnostics::suggest(
                            &x.target.name,
                            self.def_index.keys().map(String::as_str),
                        );
                        let mut d = Diagnostic::error(
                            codes::BAD_EXCEPTION,
                            format!("exception to unknown definition `{}`", x.target.name),
                        )
                        .at(*file, x.target.span, "no such definition");
                        if let Some(s) = s {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                    }
                }
            }
        }
    }

    /// The entity a definition belongs to.
    pub(super) fn def_entity(&mut self, file: FileId, d: &ast::DefDecl) -> Option<EntityId> {
        match &d.entity {
            None => {
                if self.root.is_none() {
                    self.error(
                        codes::BAD_ENTITY,
                        format!("`{}` needs an entity, and none is declared", d.name.name),
                        file,
                        d.name.span,
                        "definition",
                    );
                }
                self.root
            }
            Some(e) => match self.entity_index.get(&e.name) {
                Some(id) => Some(*id),
                None => {
                    let s = crate::diagnostics::suggest(
                        &e.name,
                        self.entity_index.keys().map(String::as_str),
                    );
                    let mut diag = Diagnostic::error(
                        codes::BAD_ENTITY,
                        format!("unknown entity `{}`", e.name),
                    )
                    .at(file, e.span, "not an entity");
                    if let Some(s) = s {
                        diag = diag.help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(diag);
                    None
                }
            },
        }
    }

    /// Checks a definition (once), so that references to it know its type.
    /// The order definitions are checked in: each after the definitions its text names,
    /// found without recursion. A definition used before it is declared is otherwise
    /// checked on demand, in place, and a long chain of them would nest that deep. A
    /// definition on a cycle of names, or using one, is left out: checked afterwards in
    /// declaration order, a cycle is reported from its first declared definition. (A name
    /// is taken for a definition whenever one has it: at worst one is checked early.)
    pub(super) fn check_order(&self) -> Vec<DefId> {
        const NEW: u8 = 0;
        const OPEN: u8 = 1;
        const DONE: u8 = 2;
        let n = self.slots.len();
        let mut state = vec![NEW; n];
        let mut cyclic = vec![false; n];
        let mut order = Vec::with_capacity(n);
        // Depth-first, post-order: (definition, the definitions it names, next to visit).
        let mut stack: Vec<(usize, Vec<usize>, usize)> = Vec::new();
        for start in 0..n {
            if state[start] != NEW {
                continue;
            }
            state[start] = OPEN;
            stack.push((start, self.named_defs(start), 0));
            while let Some((id, deps, next)) = stack.last_mut() {
                let id = *id;
                if let Some(&dep) = deps.get(*next) {
                    *next += 1;
                    match state[dep] {
                        NEW => {
                            state[dep] = OPEN;
                            let deps = self.named_defs(dep);
                            stack.push((dep, deps, 0));
                        }
                        OPEN => cyclic[id] = true,
                        _ => cyclic[id] |= cyclic[dep],
                    }
                } else {
                    state[id] = DONE;
                    stack.pop();
                    if cyclic[id] {
                        if let Some((parent, _, _)) = stack.last() {
                            cyclic[*parent] = true;
                        }
                    } else {
                        order.push(DefId(id as u32));
                    }
                }
            }
        }
        order.extend((0..n).filter(|i| cyclic[*i]).map(|i| DefId(i as u32)));
        order
    }

    /// The definitions whose names the text of definition `id` uses (versions, limits and
    /// exceptions), read without recursion.
    fn named_defs(&self, id: usize) -> Vec<usize> {
        let Some(slot) = self.slots.get(id) else {
            return Vec::new();
        };
        let mut exprs: Vec<&ast::Expr> = Vec::new();
        for (_, d) in &slot.decls {
            exprs.push(&d.body);
            exprs.extend(d.limits.iter().map(|l| &l.value));
        }
        for (_, x) in &slot.exceptions {
            exprs.push(&x.condition);
            exprs.push(&x.value);
        }
        let mut out = Vec::new();
        while let Some(e) = exprs.pop() {
            match &e.kind {
                ast::ExprKind::Literal(_) => {}
                ast::ExprKind::Path(parts) => {
                    if let Some(d) = parts.first().and_then(|p| self.def_index.get(&p.name)) {
                        out.push(d.index());
                    }
                }
                ast::ExprKind::Index { base, index } => exprs.extend([&**base, &**index]),
                ast::ExprKind::Unary { operand, .. } => exprs.push(operand),
                ast::ExprKind::Binary { lhs, rhs, .. } => exprs.extend([&**lhs, &**rhs]),
                ast::ExprKind::If {
                    condition,
                    then,
                    otherwise,
                } => exprs.extend([&**condition, &**then, &**otherwise]),
                ast::ExprKind::Call { args, .. } => exprs.extend(args),
                ast::ExprKind::Aggregate {
                    body,
                    filter,
                    default,
                    ..
                } => exprs.extend([body, filter, default].into_iter().flatten().map(|b| &**b)),
                ast::ExprKind::History(call) => {
                    exprs.extend(&call.filter);
                    exprs.extend(&call.dates);
                }
                ast::ExprKind::Paren(inner) | ast::ExprKind::LastYear(inner) => exprs.push(inner),
            }
        }
        // Visited in the order they are written.
        out.reverse();
        out
    }

    pub(super) fn check_def(&mut self, id: DefId) -> Option<Ty> {
        let state = self.slots.get(id.index())?.state;
        match state {
            DefState::Done => return self.defs.get(id.index())?.as_ref().map(|d| d.ty),
            DefState::Failed => return None,
            DefState::InProgress => return None,
            DefState::Unchecked => {}
        }
        if let Some(slot) = self.slots.get_mut(id.index()) {
            slot.state = DefState::InProgress;
        }
        self.in_progress.push(id);
        let result = self.check_def_inner(id);
        self.in_progress.pop();
        if let Some(slot) = self.slots.get_mut(id.index()) {
            slot.state = if result.is_some() {
                DefState::Done
            } else {
                DefState::Failed
            };
        }
        if let Some(def) = result {
            let ty = def.ty;
            if let Some(slot) = self.defs.get_mut(id.index()) {
                *slot = Some(def);
            }
            Some(ty)
        } else {
            None
        }
    }

    pub(super) fn check_def_inner(&mut self, id: DefId) -> Option<Def> {
        let (decls, exceptions) = {
            let slot = self.slots.get(id.index())?;
            (slot.decls.clone(), slot.exceptions.clone())
        };
        let (first_file, first) = *decls.first()?;
        let entity = self.def_entity(first_file, first)?;
        let kind = match first.kind {
            ast::DefKind::Let => DefKind::Let,
            ast::DefKind::Rule => DefKind::Rule,
            ast::DefKind::Amount => DefKind::Amount,
            ast::DefKind::Fund => DefKind::Fund,
        };
        let declared = match &first.ty {
            Some(t) => Some(self.resolve_type(t, first_file)?),
            None => None,
        };
        if kind == DefKind::Rule && declared.is_some_and(|t| t != Ty::Bool) {
            self.error(
                codes::DECLARED_TYPE,
                format!(
                    "rule `{}` is a condition; its type is `bool`",
                    first.name.name
                ),
                first_file,
                first.name.span,
                "rule",
            );
        }
        if matches!(kind, DefKind::Amount | DefKind::Fund) && !declared.is_some_and(Ty::is_money) {
            let what = if kind == DefKind::Fund {
                "fund"
            } else {
                "amount"
            };
            self.error_help(
                codes::DECLARED_TYPE,
                format!("{what} `{}` must be declared as money", first.name.name),
                (first_file, first.name.span, "amount"),
                "an amount is money rounded to the fen, e.g. `amount x: money per month = …`; use `let` or `rule` for other values",
            )
        }
        let rounding = match (&first.rounding, kind) {
            (Some(r), _) => match r.name.parse::<RoundingMode>() {
                Ok(m) => Some(m),
                Err(_) => {
                    self.diags.push(
                        Diagnostic::error(codes::UNKNOWN_ROUNDING, format!("unknown rounding mode `{}`", r.name))
                            .at(first_file, r.span, "rounding mode")
                            .help("use one of `up`, `down`, `ceiling`, `floor`, `half_up`, `half_down`, `half_even`"),
                    );
                    None
                }
            },
            (None, DefKind::Amount | DefKind::Fund) => Some(RoundingMode::HalfUp),
            (None, _) => None,
        };
        if decls.len() > 1
            && decls
                .iter()
                .any(|(_, d)| d.from.is_none() && d.until.is_none())
        {
            if let Some((file, second)) = decls.get(1) {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("`{}` is defined twice", second.name.name),
                    )
                    .at(*file, second.name.span, "second definition")
                    .also(first_file, first.name.span, "first definition")
                    .help("dated versions of one definition say `from DATE` (and `until DATE`)"),
                );
            }
            return None;
        }
        let mut ty = if kind == DefKind::Rule {
            Some(Ty::Bool)
        } else {
            declared
        };
        let mut versions = Vec::new();
        for (file, d) in &decls {
            if d.kind != first.kind
                || d.entity.as_ref().map(|e| &e.name) != first.entity.as_ref().map(|e| &e.name)
            {
                self.error(
                    codes::DUPLICATE,
                    format!(
                        "versions of `{}` must be the same kind of definition for the same entity",
                        d.name.name
                    ),
                    *file,
                    d.name.span,
                    "this version",
                );
                return None;
            }
            let scope = expr::Scope {
                file: *file,
                entities: vec![entity],
            };
            let body = self.expr(&d.body, &scope)?;
            let body_ty = self.types.get(body.index()).copied()?;
            let expected = match kind {
                DefKind::Rule => Some(Ty::Bool),
                _ => ty,
            };
            match expected {
                Some(t) if !body_ty.fits(t) => {
                    let names = self.enum_names();
                    self.diags.push(
                        Diagnostic::error(
                            codes::DECLARED_TYPE,
                            format!(
                                "`{}` is declared `{}` but its body is `{}`",
                                d.name.name,
                                t.name(&names),
                                body_ty.name(&names)
                            ),
                        )
                        .at(
                            *file,
                            d.body.span,
                            format!("this is `{}`", body_ty.name(&names)),
                        ),
                    );
                    return None;
                }
                Some(_) => {}
                None => {
                    ty = Some(if body_ty == Ty::Money(Per::Any) {
                        Ty::Money(Per::Once)
                    } else {
                        body_ty
                    })
                }
            }
            let limits = self.check_limits(*file, d, ty.unwrap_or(body_ty), &scope)?;
            let from = d.from.as_ref().and_then(|x| self.date(x, *file));
            let until = d.until.as_ref().and_then(|x| self.date(x, *file));
            versions.push(DefVersion {
                from,
                until,
                body,
                origin: origin(*file, d.name.span, &d.meta),
                limits,
            });
        }
        versions.sort_by_key(|v| v.from);
        for pair in versions.windows(2) {
            if let [a, b] = pair {
                let a_end = a.until.unwrap_or(i32::MAX);
                if b.from.unwrap_or(i32::MIN) <= a_end
                    && let Some(f) = b.origin.file
                {
                    self.error_help(
                        codes::OVERLAPPING_VERSIONS,
                        format!("versions of `{}` overlap", first.name.name),
                        (
                            f,
                            b.origin.span,
                            "this version starts before the previous one ends",
                        ),
                        "end the earlier version with `until DATE` before the next one's `from`",
                    );
                }
            }
        }
        if matches!(kind, DefKind::Rule | DefKind::Amount | DefKind::Fund)
            && self.is_policy_file(first_file)
            && decls.iter().all(|(_, d)| !cited(&d.meta))
        {
            self.diags.push(
                Diagnostic::warning(
                    codes::UNCITED,
                    format!(
                        "`{}` has no source and is not marked as assumed",
                        first.name.name
                    ),
                )
                .at(first_file, first.name.span, "uncited")
                .help("add `source DOC \"quoted phrase\"`, or `assumed \"reason\"`"),
            );
        }
        let ty = ty?;
        let exceptions = self.check_exceptions(id, &first.name.name, entity, ty, &exceptions)?;
        Some(Def {
            name: first.name.name.clone(),
            kind,
            entity,
            ty,
            versions,
            exceptions,
            rounding,
            origin: origin(first_file, first.name.span, &first.meta),
            per_person: per_person(first.ty.as_ref()),
        })
    }
}
