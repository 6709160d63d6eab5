//! Name resolution and type checking: the parsed files of one policy become a
//! [`Program`]. Every problem is collected; checking goes on past errors so that one run
//! of `bylaw check` shows them all.

mod calendar;
mod call;
mod catalogue;
mod defs;
mod depth;
mod exceptions;
mod expr;
pub mod funds;
mod history;
pub mod literal;
mod params;
mod schema;
mod testcase;

use std::collections::HashMap;

use bylaw_grammar::ast::{self, Item};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::schema::{EntityId, Scalar, Schema};

use crate::diagnostics::{Diagnostic, codes};
use crate::duration::DurationUnit;
use crate::ir::*;
use crate::load::Loaded;
use crate::types::Ty;
use literal::LiteralError;

/// A field of an entity as the checker sees it.
#[derive(Debug, Clone)]
struct FieldInfo {
    name: String,
    ty: Ty,
    /// A date field declared `default none`: read only through `known` and `first_known`.
    optional: bool,
    /// The unit a duration field is shown in, as declared.
    unit: DurationUnit,
}

#[derive(Debug, Clone)]
struct RelationInfo {
    name: String,
    child: EntityId,
    span: Span,
    file: FileId,
}

#[derive(Debug, Clone)]
struct EntityInfo {
    name: String,
    file: FileId,
    span: Span,
    fields: Vec<FieldInfo>,
    relations: Vec<RelationInfo>,
    parent: Option<EntityId>,
    /// The first-day and last-day fields of an entity of dated records.
    dated: Option<bylaw_runtime::schema::Dated>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefState {
    Unchecked,
    InProgress,
    Done,
    Failed,
}

/// A definition being checked: its declarations (dated versions) and exceptions.
struct DefSlot<'a> {
    decls: Vec<(FileId, &'a ast::DefDecl)>,
    exceptions: Vec<(FileId, &'a ast::ExceptionDecl)>,
    state: DefState,
}

pub(crate) struct Checker<'a> {
    loaded: &'a Loaded,
    diags: Vec<Diagnostic>,
    enums: Vec<EnumDef>,
    enum_index: HashMap<String, EnumId>,
    entities: Vec<EntityInfo>,
    entity_index: HashMap<String, EntityId>,
    root: Option<EntityId>,
    params: Vec<Param>,
    param_index: HashMap<String, ParamId>,
    scales: Vec<ScaleDef>,
    scale_index: HashMap<String, ScaleId>,
    calendars: Vec<CalendarDef>,
    calendar_index: HashMap<String, CalendarId>,
    slots: Vec<DefSlot<'a>>,
    /// Definitions being checked, outermost first: the chain a cycle is reported with.
    in_progress: Vec<DefId>,
    defs: Vec<Option<Def>>,
    def_index: HashMap<String, DefId>,
    docs: Vec<EntityDoc>,
    nodes: Vec<Node>,
    types: Vec<Ty>,
    units: Vec<DurationUnit>,
    spans: Vec<(FileId, Span)>,
    /// Expressions being checked, across the definitions checked on demand: bounded by
    /// [`bylaw_grammar::MAX_DEPTH`].
    depth: usize,
    /// The bound is reported once: the definitions above a chain that went too deep fail
    /// without more words.
    depth_reported: bool,
    /// The files with a `policy` header, found once (asked for every definition).
    policy_files: Vec<FileId>,
    /// Set while the next name read is a bare argument of `known` or `first_known`,
    /// where a date field that may be missing may be read.
    maybe_missing_ok: bool,
}

/// Checks the loaded files of one policy. Returns the program when there is no error;
/// warnings are returned either way.
pub fn check(loaded: &Loaded) -> (Option<Program>, Vec<Diagnostic>) {
    let mut c = Checker {
        loaded,
        diags: Vec::new(),
        enums: Vec::new(),
        enum_index: HashMap::new(),
        entities: Vec::new(),
        entity_index: HashMap::new(),
        root: None,
        params: Vec::new(),
        param_index: HashMap::new(),
        scales: Vec::new(),
        scale_index: HashMap::new(),
        calendars: Vec::new(),
        calendar_index: HashMap::new(),
        slots: Vec::new(),
        in_progress: Vec::new(),
        defs: Vec::new(),
        def_index: HashMap::new(),
        docs: Vec::new(),
        nodes: Vec::new(),
        types: Vec::new(),
        units: Vec::new(),
        spans: Vec::new(),
        depth: 0,
        depth_reported: false,
        policy_files: loaded
            .modules
            .iter()
            .filter(|(_, m)| m.items.iter().any(|i| matches!(i, Item::Policy(_))))
            .map(|(f, _)| *f)
            .collect(),
        maybe_missing_ok: false,
    };
    let items: Vec<(FileId, &Item)> = loaded
        .modules
        .iter()
        .flat_map(|(f, m)| m.items.iter().map(move |i| (*f, i)))
        .collect();
    let policy = c.policy(&items);
    c.collect_enums(&items);
    c.collect_entities(&items);
    c.collect_params(&items);
    c.collect_scales(&items);
    c.collect_calendars(&items);
    c.collect_defs(&items);
    for id in c.check_order() {
        c.check_def(id);
    }
    c.check_depth();
    let targets = c.collect_targets(&items);
    let schema = c.schema();
    let mut tests = Vec::new();
    if let Some(schema) = &schema {
        for (file, item) in &items {
            if let Item::Test(t) = item
                && (Some(*file) == loaded.root || is_test_file(loaded, *file))
                && let Some(tc) = c.test_case(*file, t, schema)
            {
                tests.push(tc);
            }
        }
    }
    let checks: Vec<CheckCase> = items
        .iter()
        .filter_map(|(file, item)| match item {
            Item::Check(k) if Some(*file) == loaded.root || is_test_file(loaded, *file) => {
                c.check_case(*file, k)
            }
            _ => None,
        })
        .collect();
    let comply = c.comply(&items, schema.as_ref());
    for (file, item) in &items {
        if let Item::Set(s) = item {
            c.error(
                codes::PARAMETER_KEY,
                "`set` belongs in a scenario file",
                *file,
                s.span,
                "here",
            );
        }
    }
    let has_error = c.diags.iter().any(Diagnostic::is_error);
    let diags = std::mem::take(&mut c.diags);
    if has_error {
        return (None, diags);
    }
    // A library (regions, shared enumerations) declares no entity: its program has an
    // empty schema and nothing to evaluate.
    let schema = schema.unwrap_or(Schema {
        entities: Vec::new(),
        root: EntityId(0),
    });
    let defs: Vec<Def> = c.defs.into_iter().flatten().collect();
    let outputs = defs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.entity == schema.root)
        .map(|(i, _)| DefId(i as u32))
        .collect();
    let program = Program {
        policy,
        schema,
        enums: c.enums,
        defs,
        params: c.params,
        scales: c.scales,
        calendars: c.calendars,
        tests,
        checks,
        targets,
        docs: c.docs,
        nodes: c.nodes,
        types: c.types,
        units: c.units,
        spans: c.spans,
        outputs,
        comply,
    };
    let mut diags = diags;
    let failed = reconcile(&program, &mut diags);
    if failed {
        return (None, diags);
    }
    (Some(program), diags)
}

/// Evaluates every `check`; a figure that does not add up is an error (E0030) with both
/// sides and the difference. Checks are read at the policy's effective date.
fn reconcile(program: &Program, diags: &mut Vec<Diagnostic>) -> bool {
    let date = program
        .policy
        .as_ref()
        .and_then(|p| p.effective)
        .unwrap_or(0);
    let ev = crate::interp::Evaluator::new(program, date);
    let empty = bylaw_runtime::batch::Batch {
        entities: Vec::new(),
        root: EntityId(0),
    };
    let mut failed = false;
    for k in &program.checks {
        let (Some(file), span) = (k.origin.file, k.origin.span) else {
            continue;
        };
        let ty = program.ty(k.lhs);
        let unit = program.unit(k.lhs).join(program.unit(k.rhs));
        let show = |v: &Value| crate::format::human_in(program, ty, unit, v);
        match (
            ev.eval_expr(&empty, 0, k.lhs),
            ev.eval_expr(&empty, 0, k.rhs),
        ) {
            (Ok(Value::Int(a)), Ok(Value::Int(b))) => {
                let diff = i128::from(a) - i128::from(b);
                if diff.abs() > i128::from(k.tolerance) {
                    failed = true;
                    let off = i64::try_from(diff)
                        .map_or_else(|_| diff.to_string(), |d| show(&Value::Int(d)));
                    diags.push(
                        Diagnostic::error(
                            codes::RECONCILIATION,
                            format!("`{}` does not add up: the parts make {}, the reported figure is {} (a difference of {off})", k.name, show(&Value::Int(a)), show(&Value::Int(b))),
                        )
                        .at(file, span, "these do not agree")
                        .help("correct the figure, or keep the reported one and record the discrepancy in a `note`"),
                    );
                }
            }
            (Ok(a), Ok(b)) if a == b => {}
            (Ok(a), Ok(b)) => {
                failed = true;
                diags.push(
                    Diagnostic::error(
                        codes::RECONCILIATION,
                        format!(
                            "`{}` does not hold: {} is not {}",
                            k.name,
                            show(&a),
                            show(&b)
                        ),
                    )
                    .at(file, span, "this check"),
                );
            }
            (Err(e), _) | (_, Err(e)) => {
                failed = true;
                diags.push(
                    Diagnostic::error(codes::RECONCILIATION, format!("`{}` cannot be evaluated: {}", k.name, e.detail))
                        .at(file, span, "this check")
                        .help("a check compares fixed figures and parameters in force at the policy's effective date"),
                );
            }
        }
    }
    failed
}

/// Half a unit of a figure's last written digit, in the value's units: `2.7 亿元` → 0.05 亿元.
fn half_last_digit(digits: &str, unit: Option<ast::Unit>, ty: Ty) -> i64 {
    let decimals = digits.split_once('.').map_or(0, |(_, f)| f.len() as u32);
    let unit_value: i128 = match unit {
        Some(ast::Unit::Yi) => 100_000_000 * 10_000,
        Some(ast::Unit::Wan) => 10_000 * 10_000,
        Some(ast::Unit::Yuan) => 10_000,
        Some(ast::Unit::Percent) => 10_000,
        _ => i128::from(ty.scale()),
    };
    let last = unit_value / 10i128.pow(decimals.min(30));
    i64::try_from(last / 2).unwrap_or(0)
}

fn is_test_file(loaded: &Loaded, file: FileId) -> bool {
    loaded
        .sources
        .get(file)
        .is_some_and(|f| f.name.ends_with(".test.bylaw"))
}

fn origin(file: FileId, span: Span, meta: &ast::Meta) -> Origin {
    Origin {
        file: Some(file),
        span,
        meta: meta.clone(),
    }
}

fn cited(meta: &ast::Meta) -> bool {
    !meta.sources.is_empty() || meta.assumed.is_some()
}

impl<'a> Checker<'a> {
    fn error(
        &mut self,
        code: crate::diagnostics::Code,
        message: impl Into<String>,
        file: FileId,
        span: Span,
        label: &str,
    ) {
        self.diags
            .push(Diagnostic::error(code, message).at(file, span, label));
    }

    fn error_help(
        &mut self,
        code: crate::diagnostics::Code,
        message: impl Into<String>,
        (file, span, label): (FileId, Span, &str),
        help: impl Into<String>,
    ) {
        self.diags.push(
            Diagnostic::error(code, message)
                .at(file, span, label)
                .help(help),
        );
    }

    fn literal_error(&mut self, e: LiteralError, file: FileId, span: Span) {
        let mut d = Diagnostic::error(e.code, e.message).at(file, span, "this value");
        if let Some(h) = e.help {
            d = d.help(h);
        }
        self.diags.push(d);
    }

    fn date(&mut self, d: &ast::DateLit, file: FileId) -> Option<i32> {
        match literal::parse_date(&d.text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.literal_error(e, file, d.span);
                None
            }
        }
    }

    fn duplicate(&mut self, what: &str, name: &ast::Ident, file: FileId) {
        self.error(
            codes::DUPLICATE,
            format!("{what} `{}` is declared twice", name.name),
            file,
            name.span,
            "second declaration",
        );
    }

    fn policy(&mut self, items: &[(FileId, &Item)]) -> Option<PolicyInfo> {
        let mut found: Option<PolicyInfo> = None;
        for (file, item) in items {
            if let Item::Policy(p) = item {
                if Some(*file) != self.loaded.root {
                    continue;
                }
                if found.is_some() {
                    self.duplicate("policy", &p.name, *file);
                    continue;
                }
                let effective = p.effective.as_ref().and_then(|d| self.date(d, *file));
                found = Some(PolicyInfo {
                    name: p.name.name.clone(),
                    origin: origin(*file, p.span, &p.meta),
                    effective,
                });
            }
        }
        found
    }

    fn enum_names(&self) -> Vec<String> {
        self.enums.iter().map(|e| e.name.clone()).collect()
    }

    /// A `check` declaration: both sides typed alike; `about` needs a literal figure.
    fn check_case(&mut self, file: FileId, k: &ast::CheckDecl) -> Option<CheckCase> {
        let scope = expr::Scope {
            file,
            entities: Vec::new(),
        };
        let lhs = self.expr(&k.lhs, &scope);
        let rhs = self.expr(&k.rhs, &scope);
        let (lhs, rhs) = (lhs?, rhs?);
        let (lt, rt) = (
            self.types.get(lhs.index()).copied()?,
            self.types.get(rhs.index()).copied()?,
        );
        if lt.unify(rt).is_none() {
            let names = self.enum_names();
            self.diags.push(
                Diagnostic::error(
                    codes::COMPARE_MISMATCH,
                    format!(
                        "cannot compare `{}` with `{}`",
                        lt.name(&names),
                        rt.name(&names)
                    ),
                )
                .at(file, k.rhs.span, format!("this is `{}`", rt.name(&names)))
                .also(file, k.lhs.span, format!("this is `{}`", lt.name(&names))),
            );
            return None;
        }
        let tolerance = if k.about {
            match &k.rhs.kind {
                ast::ExprKind::Literal(ast::LitKind::Number { digits, unit, .. }) => {
                    half_last_digit(digits, *unit, rt)
                }
                _ => {
                    self.error_help(
                        codes::BAD_LITERAL,
                        "`about` applies to a reported figure",
                        (file, k.rhs.span, "not a number"),
                        "write `= about 2.7 亿元`: the figure as the source reports it",
                    );
                    return None;
                }
            }
        } else {
            0
        };
        // Diagnostics point at the equation, not the whole declaration.
        let equation = k.lhs.span.to(k.rhs.span);
        Some(CheckCase {
            name: k.name.name.clone(),
            origin: origin(file, equation, &k.meta),
            lhs,
            rhs,
            tolerance,
        })
    }

    /// Does `file` carry a `policy` header (a policy, rather than a test or a sketch)?
    fn is_policy_file(&self, file: FileId) -> bool {
        self.policy_files.contains(&file)
    }

    fn push(&mut self, node: Node, ty: Ty, file: FileId, span: Span) -> ExprId {
        let id = ExprId(self.nodes.len() as u32);
        let unit = self.unit_of(&node);
        self.nodes.push(node);
        self.types.push(ty);
        self.units.push(unit);
        self.spans.push((file, span));
        id
    }

    /// A duration literal's unit, as written (its node is pushed in months).
    fn set_unit(&mut self, id: ExprId, unit: DurationUnit) {
        if let Some(u) = self.units.get_mut(id.index()) {
            *u = unit;
        }
    }

    /// The unit a new node is shown in, from what it reads: a name's declared unit, a
    /// builtin's, else the coarsest of its duration operands (for a comparison, the unit
    /// both sides are shown in). Literals are set after they are pushed.
    fn unit_of(&self, node: &Node) -> DurationUnit {
        let operand = |id: &ExprId| match self.types.get(id.index()) {
            Some(Ty::Months) => self.units.get(id.index()).copied(),
            _ => None,
        };
        let join = |ids: &[ExprId]| {
            ids.iter()
                .filter_map(operand)
                .reduce(DurationUnit::join)
                .unwrap_or_default()
        };
        match node {
            Node::Const(_) => DurationUnit::Months,
            Node::Field { entity, field } => self
                .entities
                .get(entity.0 as usize)
                .and_then(|e| e.fields.get(field.0 as usize))
                .map(|f| f.unit)
                .unwrap_or_default(),
            Node::Def(d) => self
                .defs
                .get(d.index())
                .and_then(Option::as_ref)
                .map(|d| d.unit)
                .unwrap_or_default(),
            Node::Param { param, .. } => self
                .params
                .get(param.index())
                .map(|p| p.unit)
                .unwrap_or_default(),
            Node::Scale { scale, arg } => match self.scales.get(scale.index()) {
                // A marginal scale sums its input: shown like it.
                Some(s) if s.marginal => join(&[*arg]).join(s.input_unit),
                Some(s) => s.output_unit,
                None => DurationUnit::Months,
            },
            Node::Call {
                builtin: Builtin::YearsBetween,
                ..
            } => DurationUnit::Age,
            Node::Call {
                builtin: Builtin::MonthsBetween,
                ..
            } => DurationUnit::Months,
            Node::Call { args, .. } | Node::MinMax { args, .. } => join(args),
            Node::Neg(a) | Node::Not(a) | Node::LastYear(a) => join(&[*a]),
            Node::Arith { lhs, rhs, .. } | Node::Cmp { lhs, rhs, .. } => join(&[*lhs, *rhs]),
            // Histories count whole calendar months (or days), like `months_between`.
            Node::And(..) | Node::Or(..) | Node::History { .. } => DurationUnit::Months,
            Node::If {
                then, otherwise, ..
            } => join(&[*then, *otherwise]),
            Node::Aggregate { body, default, .. } => join(
                &body
                    .iter()
                    .chain(default.iter())
                    .copied()
                    .collect::<Vec<_>>(),
            ),
        }
    }
}

pub(crate) fn to_scalar(v: &Value) -> Scalar {
    match v {
        Value::Int(i) => Scalar::Int(*i),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Date(d) => Scalar::Date(*d),
        Value::Enum(e) => Scalar::Enum(*e),
        Value::Text(t) => Scalar::Text(t.to_string()),
    }
}
