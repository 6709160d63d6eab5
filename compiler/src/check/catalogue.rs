//! Catalogues, obligations and compliance tests: service codes unique, groups that are
//! boolean rules of one entity, scopes, requirements and event dates typed in the scope
//! entity, light conditions over the obligation's own parts, periods and expectations.

use std::collections::HashMap;

use bylaw_grammar::ast::{self, BinOp, ExprKind, Item, LitKind, RecordValue, UnOp};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::period::Period;
use bylaw_runtime::schema::{EntityId, Schema};
use bylaw_runtime::servicelog::ServiceLog;

use super::{Checker, cited, expr::Scope, origin};
use crate::comply::spec::*;
use crate::diagnostics::{Diagnostic, codes, suggest};
use crate::ir::Value;
use crate::types::Ty;

impl Checker<'_> {
    /// Checks every catalogue, obligation and compliance test of the loaded files.
    pub(super) fn comply(
        &mut self,
        items: &[(FileId, &Item)],
        schema: Option<&Schema>,
    ) -> ComplySpec {
        let mut spec = ComplySpec::default();
        let mut codes_seen: HashMap<String, (FileId, Span)> = HashMap::new();
        let mut names: HashMap<String, ()> = HashMap::new();
        for (file, item) in items {
            if let Item::Catalogue(c) = item {
                self.catalogue(*file, c, &mut spec, &mut codes_seen, &mut names);
            }
        }
        let mut obligation_names: HashMap<String, ()> = HashMap::new();
        for (file, item) in items {
            if let Item::Obligation(o) = item {
                if obligation_names.insert(o.name.name.clone(), ()).is_some() {
                    self.duplicate("obligation", &o.name, *file);
                    continue;
                }
                if let Some(ob) = self.obligation(*file, o, &spec) {
                    spec.obligations.push(ob);
                }
            }
        }
        if let Some(schema) = schema {
            for (file, item) in items {
                if let Item::ComplyTest(t) = item
                    && (Some(*file) == self.loaded.root || super::is_test_file(self.loaded, *file))
                    && let Some(tc) = self.comply_test(*file, t, schema, &spec)
                {
                    spec.tests.push(tc);
                }
            }
        }
        spec
    }

    fn uncited(&mut self, what: &str, name: &ast::Ident, file: FileId) {
        if !self.is_policy_file(file) {
            return;
        }
        self.diags.push(
            Diagnostic::warning(
                codes::UNCITED,
                format!("{what} `{}` has no source and is not marked as assumed", name.name),
            )
            .at(file, name.span, "uncited")
            .help("add `source DOC \"quoted phrase\"`, or `assumed \"reason\"` (here or on the enclosing declaration)"),
        );
    }

    fn stable_code(
        &mut self,
        what: &str,
        name: &ast::Ident,
        code: Option<&ast::Str>,
        file: FileId,
        seen: &mut HashMap<String, (FileId, Span)>,
    ) -> String {
        let Some(code) = code else {
            self.error_help(
                codes::MISSING_CODE,
                format!("{what} `{}` has no code", name.name),
                (file, name.span, "no `code`"),
                "service logs name services by a stable code: add `code \"A01\"`",
            );
            return String::new();
        };
        if let Some((f, s)) = seen.get(&code.text).copied() {
            self.diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_CODE,
                    format!("code `{}` is used twice", code.text),
                )
                .at(file, code.span, "second use")
                .also(f, s, "first use")
                .help("every category and service needs its own code, so that a log row names one service"),
            );
        } else {
            seen.insert(code.text.clone(), (file, code.span));
        }
        code.text.clone()
    }

    fn catalogue(
        &mut self,
        file: FileId,
        c: &ast::CatalogueDecl,
        spec: &mut ComplySpec,
        seen: &mut HashMap<String, (FileId, Span)>,
        names: &mut HashMap<String, ()>,
    ) {
        if names.insert(c.name.name.clone(), ()).is_some() {
            self.duplicate("catalogue", &c.name, file);
            return;
        }
        let catalogue = spec.catalogues.len();
        let mut categories = Vec::new();
        for k in &c.categories {
            if names.insert(k.name.name.clone(), ()).is_some() {
                self.duplicate("category", &k.name, file);
                continue;
            }
            let code = self.stable_code("category", &k.name, k.code.as_ref(), file, seen);
            let category = spec.categories.len();
            let mut services = Vec::new();
            for s in &k.services {
                if names.insert(s.name.name.clone(), ()).is_some() {
                    self.duplicate("service", &s.name, file);
                    continue;
                }
                let scode = self.stable_code("service", &s.name, s.code.as_ref(), file, seen);
                if !cited(&s.meta) && !cited(&k.meta) && !cited(&c.meta) {
                    self.uncited("service", &s.name, file);
                }
                let (groups, group_entity) = self.groups(file, &s.serves);
                services.push(spec.services.len());
                spec.services.push(Service {
                    name: s.name.name.clone(),
                    code: scode,
                    origin: origin(file, s.name.span, &s.meta),
                    category,
                    groups,
                    group_entity,
                });
            }
            categories.push(category);
            spec.categories.push(Category {
                name: k.name.name.clone(),
                code,
                origin: origin(file, k.name.span, &k.meta),
                catalogue,
                services,
            });
        }
        spec.catalogues.push(Catalogue {
            name: c.name.name.clone(),
            origin: origin(file, c.name.span, &c.meta),
            categories,
        });
    }

    /// The rules a service is for: boolean rules, all of one entity.
    fn groups(
        &mut self,
        file: FileId,
        serves: &[ast::Ident],
    ) -> (Vec<crate::ir::DefId>, Option<EntityId>) {
        let mut out = Vec::new();
        let mut entity: Option<EntityId> = None;
        for g in serves {
            let Some(def) = self.def_index.get(&g.name).copied() else {
                let s = suggest(&g.name, self.def_index.keys().map(String::as_str));
                let mut d = Diagnostic::error(
                    codes::BAD_GROUP,
                    format!("`{}` is not a rule", g.name),
                )
                .at(file, g.span, "unknown group");
                d = d.help(match s {
                    Some(s) => format!("did you mean `{s}`? a service is for the persons or households a `rule` selects"),
                    None => "a service is for the persons or households a `rule … for person` selects".to_string(),
                });
                self.diags.push(d);
                continue;
            };
            let ty = self.check_def(def);
            let def_entity = self
                .defs
                .get(def.index())
                .and_then(|d| d.as_ref())
                .map(|d| d.entity);
            if ty.is_some() && ty != Some(Ty::Bool) {
                let shown = ty.map(|t| self.ty_name(t)).unwrap_or_default();
                self.error_help(
                    codes::BAD_GROUP,
                    format!(
                        "`{}` is `{shown}`, not a rule that selects whom a service is for",
                        g.name
                    ),
                    (file, g.span, "not a boolean rule"),
                    "name a `rule` (true for the persons the service is for)",
                );
                continue;
            }
            if let (Some(e), Some(d)) = (entity, def_entity)
                && e != d
            {
                self.error_help(
                    codes::BAD_GROUP,
                    format!(
                        "`{}` is a rule of another entity than the service's other groups",
                        g.name
                    ),
                    (file, g.span, "different entity"),
                    "the groups of one service are rules of one entity (all `for person`)",
                );
                continue;
            }
            entity = entity.or(def_entity);
            out.push(def);
        }
        (out, entity)
    }

    fn obligation(
        &mut self,
        file: FileId,
        o: &ast::ObligationDecl,
        spec: &ComplySpec,
    ) -> Option<Obligation> {
        let Some(entity) = self.entity_index.get(&o.entity.name).copied() else {
            let s = suggest(&o.entity.name, self.entity_index.keys().map(String::as_str));
            let mut d = Diagnostic::error(
                codes::BAD_SCOPE,
                format!("`{}` is not an entity", o.entity.name),
            )
            .at(file, o.entity.span, "unknown entity");
            if let Some(s) = s {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.diags.push(d);
            return None;
        };
        let scope = Scope {
            file,
            entities: vec![entity],
        };
        let filter = match &o.filter {
            Some(f) => {
                let id = self.expr(f, &scope)?;
                self.expect_bool(id, f.span, &scope, "the scope's `where`")?;
                Some(id)
            }
            None => None,
        };
        let obligation_cited = cited(&o.meta);
        let mut parts: Vec<Part> = Vec::new();
        let mut lights = Vec::new();
        let mut coverage = None;
        let mut ok = true;
        for p in &o.parts {
            match p {
                ast::ObligationPart::Require {
                    name,
                    meta,
                    condition,
                } => {
                    if parts.iter().any(|x| x.name == name.name) {
                        self.duplicate("part", name, file);
                        ok = false;
                        continue;
                    }
                    if !obligation_cited && !cited(meta) {
                        self.uncited("requirement", name, file);
                    }
                    let Some(id) = self.expr(condition, &scope) else {
                        ok = false;
                        continue;
                    };
                    if self
                        .expect_bool(id, condition.span, &scope, "a requirement")
                        .is_none()
                    {
                        ok = false;
                        continue;
                    }
                    parts.push(Part {
                        name: name.name.clone(),
                        origin: origin(file, name.span, meta),
                        kind: PartKind::Require(id),
                    });
                }
                ast::ObligationPart::Deliver {
                    name,
                    meta,
                    standard,
                } => {
                    if parts.iter().any(|x| x.name == name.name) {
                        self.duplicate("part", name, file);
                        ok = false;
                        continue;
                    }
                    if !obligation_cited && !cited(meta) {
                        self.uncited("standard", name, file);
                    }
                    let has_key = self
                        .loaded
                        .modules
                        .iter()
                        .flat_map(|(_, m)| m.items.iter())
                        .any(|i| matches!(i, Item::Entity(e) if e.name.name == o.entity.name && e.fields.iter().any(|f| f.key)));
                    if !has_key {
                        self.error_help(
                            codes::BAD_SCOPE,
                            format!("`{}` has no key, so log rows cannot name its rows", o.entity.name),
                            (file, name.span, "a delivery standard needs keyed rows"),
                            format!("mark a field of `{}` as `key` (its id); the service log's `{}` column gives it", o.entity.name, o.entity.name),
                        );
                        ok = false;
                        continue;
                    }
                    let Some(kind) = self.delivery(file, standard, spec, &scope) else {
                        ok = false;
                        continue;
                    };
                    parts.push(Part {
                        name: name.name.clone(),
                        origin: origin(file, name.span, meta),
                        kind,
                    });
                }
                ast::ObligationPart::Light {
                    colour,
                    condition,
                    meta,
                    span,
                } => {
                    let cond = match condition {
                        Some(c) => match self.light_cond(file, c, &parts) {
                            Some(x) => Some(x),
                            None => {
                                ok = false;
                                continue;
                            }
                        },
                        None => None,
                    };
                    lights.push(Light {
                        colour: *colour,
                        condition: cond,
                        origin: origin(file, *span, meta),
                    });
                }
                ast::ObligationPart::Coverage { digits, meta, span } => {
                    let rate = super::literal::value_of(
                        &LitKind::Number {
                            negative: false,
                            digits: digits.clone(),
                            unit: Some(ast::Unit::Percent),
                            per: None,
                        },
                        Ty::Rate,
                        &self.enums,
                    );
                    match rate {
                        Ok(Value::Int(r)) if (0..=1_000_000).contains(&r) && coverage.is_none() => {
                            coverage = Some(Coverage {
                                rate: r,
                                origin: origin(file, *span, meta),
                            });
                        }
                        Ok(_) => {
                            self.error_help(
                                codes::BAD_LIGHT,
                                "a coverage target is one share between 0% and 100%",
                                (file, *span, "this target"),
                                "write one `coverage at least 100%` per obligation",
                            );
                            ok = false;
                        }
                        Err(e) => {
                            self.literal_error(e, file, *span);
                            ok = false;
                        }
                    }
                }
            }
        }
        // The last light is the otherwise case; only it has no condition.
        let n = lights.len();
        for (i, l) in lights.iter().enumerate() {
            let last = i + 1 == n;
            if last == l.condition.is_some() {
                let span = l.origin.span;
                self.error_help(
                    codes::BAD_LIGHT,
                    if last {
                        "the last light has a condition, so some rows get no light"
                    } else {
                        "a light without a condition must come last"
                    },
                    (file, span, "this light"),
                    "write the lights in order, each `light red when …`, and end with one without `when` (`light green`)",
                );
                ok = false;
            }
        }
        if parts.is_empty() && ok {
            self.error_help(
                codes::BAD_SCOPE,
                format!("obligation `{}` requires nothing", o.name.name),
                (file, o.name.span, "no `require` or `deliver`"),
                "add `require name = condition` or `deliver name = at least 1 service per month`",
            );
            ok = false;
        }
        ok.then(|| Obligation {
            name: o.name.name.clone(),
            origin: origin(file, o.name.span, &o.meta),
            entity,
            filter,
            parts,
            lights,
            coverage,
        })
    }

    /// Service names, or category / catalogue names standing for all their services.
    fn services(
        &mut self,
        file: FileId,
        names: &[ast::Ident],
        spec: &ComplySpec,
    ) -> Option<Vec<usize>> {
        let mut out = Vec::new();
        let mut ok = true;
        for n in names {
            if let Some(i) = spec.services.iter().position(|s| s.name == n.name) {
                out.push(i);
            } else if let Some(k) = spec.categories.iter().find(|k| k.name == n.name) {
                out.extend(k.services.iter().copied());
            } else if let Some(c) = spec.catalogues.iter().find(|c| c.name == n.name) {
                for k in &c.categories {
                    if let Some(k) = spec.categories.get(*k) {
                        out.extend(k.services.iter().copied());
                    }
                }
            } else {
                let all = spec
                    .services
                    .iter()
                    .map(|s| s.name.as_str())
                    .chain(spec.categories.iter().map(|k| k.name.as_str()));
                let s = suggest(&n.name, all);
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_SERVICE,
                    format!("`{}` is not a service, category or catalogue", n.name),
                )
                .at(file, n.span, "unknown service");
                d = d.help(match s {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "declare it in a `catalogue` (in this file or a `use`d one)".into(),
                });
                self.diags.push(d);
                ok = false;
            }
        }
        out.sort_unstable();
        out.dedup();
        ok.then_some(out)
    }

    fn delivery(
        &mut self,
        file: FileId,
        d: &ast::Delivery,
        spec: &ComplySpec,
        scope: &Scope,
    ) -> Option<PartKind> {
        let count_of = |c: &mut Self, s: &ast::Str| match s.text.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                c.error(
                    codes::BAD_LITERAL,
                    format!("`{}` is too large a count", s.text),
                    file,
                    s.span,
                    "this count",
                );
                None
            }
        };
        match d {
            ast::Delivery::Frequency {
                bound,
                count,
                services,
                window,
                ..
            } => {
                let n = count_of(self, count);
                let s = self.services(file, services, spec);
                Some(PartKind::Frequency {
                    bound: *bound,
                    count: n?,
                    services: s?,
                    window: *window,
                })
            }
            ast::Delivery::Deadline {
                services,
                days,
                working,
                calendar,
                event,
                span,
            } => {
                let n = count_of(self, days);
                let calendar = if *working {
                    let what = "a deadline in working days";
                    let example = |c: &str| {
                        format!(
                            "`within {} working days of {} in {c}`",
                            days.text, event.name
                        )
                    };
                    Some(self.calendar_for(calendar.as_ref(), (what, &example), file, *span)?)
                } else {
                    if let Some(c) = calendar {
                        self.error_help(
                            codes::NO_CALENDAR,
                            format!("a deadline in calendar days has no calendar: `in {}` counts working days", c.name),
                            (file, c.span, "not used"),
                            "write `within 15 working days of x in cn_workdays`, or leave out `in …`",
                        );
                        return None;
                    }
                    None
                };
                let s = self.services(file, services, spec);
                let path = ast::Expr {
                    kind: ExprKind::Path(vec![event.clone()]),
                    span: event.span,
                };
                // An event that has not happened (`default none`) leaves nothing to judge.
                let id = self.expr_maybe_missing(&path, scope)?;
                let ty = self.types.get(id.index()).copied()?;
                if ty != Ty::Date {
                    let shown = self.ty_name(ty);
                    self.error_help(
                        codes::EVENT_NOT_DATE,
                        format!("`{}` is `{shown}`, not the date of an event", event.name),
                        (file, event.span, "not a date"),
                        "`within N days of x` counts from a date field or definition (`requested_on: date`)",
                    );
                    return None;
                }
                Some(PartKind::Deadline {
                    services: s?,
                    days: n?,
                    calendar,
                    event: id,
                    event_name: event.name.clone(),
                })
            }
        }
    }

    /// A light's condition: the obligation's parts (true when met) with `not`, `and`,
    /// `or` and parentheses.
    fn light_cond(&mut self, file: FileId, e: &ast::Expr, parts: &[Part]) -> Option<Cond> {
        let bad = |c: &mut Self, span: Span, msg: String| {
            c.error_help(
                codes::BAD_LIGHT,
                msg,
                (file, span, "here"),
                "a light's condition names parts declared above it (`light red when not monthly_visit`), with `not`, `and`, `or`",
            );
            None
        };
        match &e.kind {
            ExprKind::Paren(inner) => self.light_cond(file, inner, parts),
            ExprKind::Literal(LitKind::Bool(b)) => Some(Cond::Const(*b)),
            ExprKind::Path(p) if p.len() == 1 => {
                let name = p.first().map(|i| i.name.as_str()).unwrap_or_default();
                match parts.iter().position(|x| x.name == name) {
                    Some(i) => Some(Cond::Part(i)),
                    None => {
                        let s = suggest(name, parts.iter().map(|x| x.name.as_str()));
                        let msg = match s {
                            Some(s) => format!(
                                "`{name}` is not a part of this obligation (did you mean `{s}`?)"
                            ),
                            None => format!("`{name}` is not a part of this obligation"),
                        };
                        bad(self, e.span, msg)
                    }
                }
            }
            ExprKind::Unary {
                op: UnOp::Not,
                operand,
            } => Some(Cond::Not(Box::new(self.light_cond(file, operand, parts)?))),
            ExprKind::Binary { op, lhs, rhs } if matches!(op, BinOp::And | BinOp::Or) => {
                let l = self.light_cond(file, lhs, parts);
                let r = self.light_cond(file, rhs, parts);
                let (l, r) = (Box::new(l?), Box::new(r?));
                Some(if *op == BinOp::And {
                    Cond::And(l, r)
                } else {
                    Cond::Or(l, r)
                })
            }
            _ => bad(
                self,
                e.span,
                "a light's condition is written over the obligation's parts".into(),
            ),
        }
    }

    fn comply_test(
        &mut self,
        file: FileId,
        t: &ast::ComplyTestDecl,
        schema: &Schema,
        spec: &ComplySpec,
    ) -> Option<ComplyTest> {
        let period = match Period::parse(&t.period.text) {
            Ok(p) => p,
            Err(msg) => {
                self.error(codes::BAD_PERIOD, msg, file, t.period.span, "this period");
                return None;
            }
        };
        let as_test = ast::TestDecl {
            name: t.name.clone(),
            at: ast::DateLit {
                text: bylaw_runtime::date::format_date(period.start),
                span: t.period.span,
            },
            inputs: t.inputs.clone(),
            expects: Vec::new(),
            span: t.span,
        };
        let case = self.test_case(file, &as_test, schema);
        let mut log = ServiceLog::default();
        let mut ok = true;
        for r in &t.log {
            let mut keys: Vec<(String, String)> = Vec::new();
            let (mut service, mut date, mut worker) = (None, None, String::new());
            for f in &r.fields {
                let RecordValue::Literal(lit) = &f.value else {
                    self.error(
                        codes::TEST_INPUT,
                        "a log row holds single values",
                        file,
                        f.name.span,
                        "a list",
                    );
                    ok = false;
                    continue;
                };
                match (f.name.name.as_str(), &lit.kind) {
                    ("date", LitKind::Date(d)) => match bylaw_runtime::date::parse_date(d) {
                        Ok(v) => date = Some(v),
                        Err(_) => {
                            self.error(
                                codes::BAD_LITERAL,
                                format!("`{d}` is not a calendar day"),
                                file,
                                lit.span,
                                "this date",
                            );
                            ok = false;
                        }
                    },
                    ("service", LitKind::Text(s)) => service = Some(s.clone()),
                    ("worker", LitKind::Text(s)) => worker = s.clone(),
                    (name, LitKind::Text(s)) if name != "date" && name != "service" => {
                        keys.push((name.to_string(), s.clone()));
                    }
                    _ => {
                        self.error_help(
                            codes::TEST_INPUT,
                            format!("log field `{}` has the wrong kind of value", f.name.name),
                            (file, lit.span, "this value"),
                            "a log row is `log { person: \"p1\", station: \"s1\", service: \"A01\", date: 2023-07-31 }`",
                        );
                        ok = false;
                    }
                }
            }
            match (service, date) {
                (Some(s), Some(d)) => {
                    let pairs: Vec<(&str, &str)> =
                        keys.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
                    log.push(&pairs, &s, d, &worker);
                }
                _ => {
                    self.error_help(
                        codes::TEST_INPUT,
                        "a log row needs `service` and `date`",
                        (file, r.span, "this row"),
                        "e.g. `log { person: \"p1\", service: \"A01\", date: 2023-07-31 }`",
                    );
                    ok = false;
                }
            }
        }
        let mut expects = Vec::new();
        for e in &t.expects {
            let Some(ob) = spec
                .obligations
                .iter()
                .position(|o| o.name == e.obligation.name)
            else {
                let s = suggest(
                    &e.obligation.name,
                    spec.obligations.iter().map(|o| o.name.as_str()),
                );
                let mut d = Diagnostic::error(
                    codes::BAD_COMPLY_EXPECT,
                    format!("`{}` is not an obligation", e.obligation.name),
                )
                .at(file, e.obligation.span, "unknown obligation");
                if let Some(s) = s {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                ok = false;
                continue;
            };
            let part = match &e.part {
                None => None,
                Some(p) => {
                    let parts = spec
                        .obligations
                        .get(ob)
                        .map(|o| &o.parts[..])
                        .unwrap_or(&[]);
                    match parts.iter().position(|x| x.name == p.name) {
                        Some(i) => Some(i),
                        None => {
                            self.error(
                                codes::BAD_COMPLY_EXPECT,
                                format!("`{}` is not a part of `{}`", p.name, e.obligation.name),
                                file,
                                p.span,
                                "unknown part",
                            );
                            ok = false;
                            continue;
                        }
                    }
                }
            };
            let Some(outcome) = Expected::from_name(&e.outcome.name) else {
                self.error_help(
                    codes::BAD_COMPLY_EXPECT,
                    format!("`{}` is not an outcome", e.outcome.name),
                    (file, e.outcome.span, "unknown outcome"),
                    format!("outcomes are {}", Expected::NAMES.join(", ")),
                );
                ok = false;
                continue;
            };
            if part.is_some() && matches!(outcome, Expected::Light(_)) {
                self.error_help(
                    codes::BAD_COMPLY_EXPECT,
                    "a light belongs to the whole obligation, not to one part",
                    (file, e.outcome.span, "here"),
                    format!(
                        "write `expect {} for \"…\" = {}`",
                        e.obligation.name, e.outcome.name
                    ),
                );
                ok = false;
                continue;
            }
            expects.push(ComplyExpectation {
                obligation: ob,
                part,
                key: e.key.text.clone(),
                outcome,
                span: e.outcome.span,
            });
        }
        let case = case?;
        ok.then(|| ComplyTest {
            name: t.name.text.clone(),
            file,
            span: t.span,
            period,
            batch: case.batch,
            log,
            expects,
        })
    }
}
