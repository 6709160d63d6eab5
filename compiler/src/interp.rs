//! The interpreter: the reference semantics of a checked [`Program`], and the oracle every
//! other backend is compared with. Evaluation is per root record (household), lazy (`and`,
//! `or`, `if` and aggregate filters short-circuit) and stops at the first error, which is
//! reported with the definition where it happened; other records are not affected.

use bylaw_grammar::ast::AggFn;
use bylaw_runtime::arith::{self, ArithError, Exact, FEN, RoundingMode};
use bylaw_runtime::batch::{Batch, Column};
use bylaw_runtime::date;
use bylaw_runtime::date::NO_DATE;
use bylaw_runtime::history::HistoryFold;
use bylaw_runtime::schema::{EntityId, FieldId};
use bylaw_runtime::workdays;

use crate::exact::Pending;
use crate::ir::*;
use crate::types::ArithOp;

pub use crate::failure::{ErrorKind, EvalError};

impl EvalError {
    fn arith(e: ArithError) -> EvalError {
        EvalError {
            kind: ErrorKind::Arith(e),
            def: None,
            detail: e.to_string(),
        }
    }
}

type Result<T> = std::result::Result<T, EvalError>;

/// A parameter's values in force at the evaluation date, with fallback to parent regions
/// already applied.
#[derive(Debug, Clone)]
pub enum ParamAtDate {
    Single(Option<Value>),
    /// Indexed by variant of the parameter's enumeration.
    Keyed(Vec<Option<Value>>),
}

/// What is in force at one date — parameter values, the version of each definition, the
/// brackets of each scale — chosen once, for every backend.
#[derive(Debug, Clone)]
pub struct InForce<'p> {
    pub params: Vec<ParamAtDate>,
    pub bodies: Vec<Option<ExprId>>,
    pub scales: Vec<Option<&'p ScaleVersion>>,
}

impl<'p> InForce<'p> {
    pub fn new(program: &'p Program, date: i32) -> InForce<'p> {
        let params = program
            .params
            .iter()
            .map(|p| match p.by {
                None => ParamAtDate::Single(param_value_at(program, p, None, date).map(|(v, _)| v)),
                Some(e) => {
                    let n = program.enums.get(e.index()).map_or(0, |e| e.variants.len());
                    ParamAtDate::Keyed(
                        (0..n as u32)
                            .map(|k| param_value_at(program, p, Some(k), date).map(|(v, _)| v))
                            .collect(),
                    )
                }
            })
            .collect();
        let bodies = program
            .defs
            .iter()
            .map(|d| {
                d.versions
                    .iter()
                    .find(|v| v.from.is_none_or(|f| f <= date) && v.until.is_none_or(|u| date <= u))
                    .map(|v| v.body)
            })
            .collect();
        let scales = program
            .scales
            .iter()
            .map(|s| {
                s.versions
                    .iter()
                    .filter(|v| v.from <= date)
                    .max_by_key(|v| v.from)
            })
            .collect();
        InForce {
            params,
            bodies,
            scales,
        }
    }
}

/// A program prepared for one evaluation date: parameters, scales and rule versions in
/// force are chosen once, before any record is evaluated.
#[derive(Debug)]
pub struct Evaluator<'p> {
    program: &'p Program,
    date: i32,
    params: Vec<ParamAtDate>,
    bodies: Vec<Option<ExprId>>,
    scales: Vec<Option<&'p ScaleVersion>>,
    /// Parameters on 1 January of the previous year, for `p[last year]`.
    last_year_params: Vec<ParamAtDate>,
    /// For each root row of a yearly table, the row of the same region one year earlier
    /// (`x[last year]`); `None` until a caller links the rows.
    previous_rows: Option<Vec<Option<u32>>>,
    /// Which expressions may hold a pending quotient (evaluated as [`Exact`]).
    pending: Pending,
    /// Whether any does: a policy without division skips every look-up.
    any_pending: bool,
}

/// How a definition's limits (`at most`, `at least`, `in principle at most`) acted on
/// its value for one record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitOutcome {
    /// The value before any limit (`None`: an exception gave the value, so no limit applied).
    pub before: Option<i64>,
    /// Each limit's value, in declaration order, and whether it changed the value
    /// (for `in principle` limits: whether the value exceeds it).
    pub steps: Vec<LimitStep>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitStep {
    pub limit: i64,
    pub binds: bool,
}

/// A parameter's value for `key` at `date`: the latest entry for the key, else its parent's.
/// Also says which variant the value came from.
pub fn param_value_at(
    program: &Program,
    param: &Param,
    key: Option<u32>,
    date: i32,
) -> Option<(Value, Option<u32>)> {
    // Entries are sorted by key, then date: the key's run, then its last date in force.
    let latest = |k: Option<u32>| {
        let entries = &param.entries;
        let start = entries.partition_point(|e| e.key < k);
        let run = entries.get(start..).unwrap_or_default();
        let end = run.partition_point(|e| e.key == k && e.from <= date);
        end.checked_sub(1).and_then(|i| run.get(i))
    };
    let Some(enum_id) = param.by else {
        return latest(None)
            .and_then(|e| e.value.clone())
            .map(|v| (v, None));
    };
    let variants = &program.enums.get(enum_id.index())?.variants;
    let mut at = key;
    let mut steps = 0;
    while let Some(k) = at {
        if let Some(e) = latest(Some(k)) {
            return e.value.clone().map(|v| (v, Some(k)));
        }
        at = variants.get(k as usize).and_then(|v| v.parent);
        steps += 1;
        if steps > variants.len() {
            break;
        }
    }
    None
}

impl<'p> Evaluator<'p> {
    pub fn new(program: &'p Program, date: i32) -> Evaluator<'p> {
        let InForce {
            params,
            bodies,
            scales,
        } = InForce::new(program, date);
        let pending = Pending::of(program);
        let last_year_params = date::first_of_year(date::year_of(date) - 1)
            .map(|d| InForce::new(program, d).params)
            .unwrap_or_default();
        Evaluator {
            program,
            date,
            params,
            bodies,
            scales,
            last_year_params,
            previous_rows: None,
            any_pending: pending.any(),
            pending,
        }
    }

    /// Links each root row of a yearly table to the row of the same region one year
    /// earlier, for `x[last year]` (see [`crate::years::previous_rows`]).
    #[must_use]
    pub fn with_previous_rows(mut self, rows: Vec<Option<u32>>) -> Self {
        self.previous_rows = Some(rows);
        self
    }

    /// How the limits of `def` acted for root record `row` (`None`: it has none).
    pub(crate) fn limits_of(
        &self,
        batch: &Batch,
        row: usize,
        def: DefId,
    ) -> Result<Option<LimitOutcome>> {
        let d = self.program.def(def);
        let Some(version) = self.version_in_force(def) else {
            return Ok(None);
        };
        if version.limits.is_empty() {
            return Ok(None);
        }
        let mut st = self.fresh(batch, vec![(self.program.schema.root, row)]);
        for x in &d.exceptions {
            if self.eval(&mut st, x.condition)? == Value::Bool(true) {
                return Ok(Some(LimitOutcome {
                    before: None,
                    steps: Vec::new(),
                }));
            }
        }
        let before = self.exact(&mut st, version.body)?;
        let mut steps = Vec::new();
        self.apply_limits(&mut st, &version.limits, before, Some(&mut steps))?;
        Ok(Some(LimitOutcome {
            before: Some(before.to_storage().map_err(EvalError::arith)?),
            steps,
        }))
    }

    fn version_in_force(&self, def: DefId) -> Option<&'p DefVersion> {
        let body = self.body_in_force(def)?;
        self.program
            .def(def)
            .versions
            .iter()
            .find(|v| v.body == body)
    }

    /// Applies caps and floors in order; `in principle` limits only report.
    /// Limits compare exactly; a recorded limit is shown at the unit of storage.
    fn apply_limits(
        &self,
        st: &mut State,
        limits: &[Limit],
        mut value: Exact,
        mut record: Option<&mut Vec<LimitStep>>,
    ) -> Result<Exact> {
        for l in limits {
            let limit = self.exact(st, l.value)?;
            let ord = value.cmp_exact(limit);
            let beyond = if l.at_most {
                ord == std::cmp::Ordering::Greater
            } else {
                ord == std::cmp::Ordering::Less
            };
            if beyond && !l.principle {
                value = limit;
            }
            if let Some(r) = record.as_deref_mut() {
                r.push(LimitStep {
                    limit: limit.to_storage().map_err(EvalError::arith)?,
                    binds: beyond,
                });
            }
        }
        Ok(value)
    }

    pub fn program(&self) -> &'p Program {
        self.program
    }

    pub fn date(&self) -> i32 {
        self.date
    }

    /// Evaluates every output of root record `row`.
    pub fn eval_root(&self, batch: &Batch, row: usize) -> Result<Vec<Value>> {
        self.eval_rows(batch, row..row + 1)
            .pop()
            .unwrap_or_else(|| Ok(Vec::new()))
    }

    /// Evaluates every output of each root record in `rows`, reusing one scratch state.
    pub fn eval_rows(
        &self,
        batch: &Batch,
        rows: std::ops::Range<usize>,
    ) -> Vec<Result<Vec<Value>>> {
        let root = self.program.schema.root;
        let mut st = self.fresh(batch, Vec::with_capacity(4));
        let mut results = Vec::with_capacity(rows.len());
        for row in rows {
            st.frame.clear();
            st.frame.push((root, row));
            st.memo.iter_mut().for_each(|m| *m = None);
            st.memo_exact.iter_mut().for_each(|m| *m = None);
            let mut out = Vec::with_capacity(self.program.outputs.len());
            let mut result = Ok(());
            for def in &self.program.outputs {
                match self.eval_def(&mut st, *def) {
                    Ok(v) => out.push(v),
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                }
            }
            results.push(result.map(|()| out));
        }
        results
    }

    /// Evaluates any expression of the program for root record `row`, with a fresh memo
    /// (explanations trace sub-expressions this way; normal runs never do).
    pub(crate) fn eval_expr(&self, batch: &Batch, row: usize, expr: ExprId) -> Result<Value> {
        let mut st = self.fresh(batch, vec![(self.program.schema.root, row)]);
        self.eval(&mut st, expr)
    }

    /// The body in force at the evaluation date of each definition (`None`: no version).
    pub(crate) fn body_in_force(&self, def: DefId) -> Option<ExprId> {
        self.bodies.get(def.index()).copied().flatten()
    }

    /// Evaluates one definition for root record `row` (tracing and tests).
    pub fn eval_one(&self, batch: &Batch, row: usize, def: DefId) -> Result<Value> {
        let mut st = self.fresh(batch, vec![(self.program.schema.root, row)]);
        self.eval_def(&mut st, def)
    }

    /// Evaluates `expr` with the rows of `frame` in reach (outermost first, e.g. a station
    /// and one of its persons): obligations scoped to a child entity use it.
    pub(crate) fn eval_in(
        &self,
        batch: &Batch,
        frame: &[(EntityId, usize)],
        expr: ExprId,
    ) -> Result<Value> {
        let mut st = self.fresh(batch, frame.to_vec());
        self.eval(&mut st, expr)
    }

    /// Evaluates definition `def` with the rows of `frame` in reach (a person's group).
    pub fn eval_def_in(
        &self,
        batch: &Batch,
        frame: &[(EntityId, usize)],
        def: DefId,
    ) -> Result<Value> {
        let mut st = self.fresh(batch, frame.to_vec());
        self.eval_def(&mut st, def)
    }

    /// A scratch state with `frame` in reach and nothing memoized.
    fn fresh<'b>(&self, batch: &'b Batch, frame: Vec<(EntityId, usize)>) -> State<'b> {
        State {
            batch,
            frame,
            memo: vec![None; self.program.defs.len()],
            memo_exact: vec![None; self.program.defs.len()],
        }
    }

    fn eval_def(&self, st: &mut State, id: DefId) -> Result<Value> {
        let def = self.program.def(id);
        let memoize = def.entity == self.program.schema.root;
        if memoize && let Some(Some(v)) = st.memo.get(id.index()) {
            return Ok(v.clone());
        }
        let value = self.eval_def_body(st, id, def).map_err(|mut e| {
            if e.def.is_none() {
                e.def = Some(id);
            }
            e
        })?;
        if memoize && let Some(slot) = st.memo.get_mut(id.index()) {
            *slot = Some(value.clone());
        }
        Ok(value)
    }

    /// The exact value of a definition that may hold a pending quotient, memoized like
    /// [`Self::eval_def`].
    fn eval_def_exact(&self, st: &mut State, id: DefId) -> Result<Exact> {
        let def = self.program.def(id);
        let memoize = def.entity == self.program.schema.root;
        if memoize && let Some(Some(v)) = st.memo_exact.get(id.index()) {
            return Ok(*v);
        }
        let value = self.def_exact_body(st, id, def).map_err(|mut e| {
            if e.def.is_none() {
                e.def = Some(id);
            }
            e
        })?;
        if memoize && let Some(slot) = st.memo_exact.get_mut(id.index()) {
            *slot = Some(value);
        }
        Ok(value)
    }

    /// The body (or exception value) in force for `def`, and whether an exception
    /// chose it.
    fn chosen_body(&self, st: &mut State, id: DefId, def: &Def) -> Result<(ExprId, bool)> {
        for x in &def.exceptions {
            if self.eval(st, x.condition)? == Value::Bool(true) {
                return Ok((x.value, true));
            }
        }
        match self.bodies.get(id.index()).copied().flatten() {
            Some(b) => Ok((b, false)),
            None => Err(EvalError::new(
                self.program,
                self.date,
                ErrorKind::NoVersion,
                Some(id),
            )),
        }
    }

    /// A definition's value before its own rounding, computed exactly.
    fn def_exact_body(&self, st: &mut State, id: DefId, def: &Def) -> Result<Exact> {
        let (body, by_exception) = self.chosen_body(st, id, def)?;
        let mut v = self.exact(st, body)?;
        if !by_exception
            && let Some(version) = self.version_in_force(id)
            && !version.limits.is_empty()
        {
            v = self.apply_limits(st, &version.limits, v, None)?;
        }
        Ok(v)
    }

    fn eval_def_body(&self, st: &mut State, id: DefId, def: &Def) -> Result<Value> {
        if self.any_pending && self.pending.def_uses(self.program, id) {
            // An amount rounds the exact value to the fen; a `let` holding a pending
            // quotient is shown at the unit of storage.
            let x = if self.pending.def(id) {
                self.eval_def_exact(st, id)?
            } else {
                self.def_exact_body(st, id, def)?
            };
            let mode = def.rounding;
            let rounded = match mode {
                Some(mode) if def.ty.is_numeric() => x.round_to_unit(FEN, mode),
                _ => x.to_storage(),
            };
            return Ok(Value::Int(rounded.map_err(EvalError::arith)?));
        }
        let mut chosen = None;
        for x in &def.exceptions {
            if self.eval(st, x.condition)? == Value::Bool(true) {
                chosen = Some(x.value);
                break;
            }
        }
        let body = match chosen {
            Some(b) => b,
            None => match self.bodies.get(id.index()).copied().flatten() {
                Some(b) => b,
                None => {
                    return Err(EvalError::new(
                        self.program,
                        self.date,
                        ErrorKind::NoVersion,
                        Some(id),
                    ));
                }
            },
        };
        let mut v = self.eval(st, body)?;
        if chosen.is_none()
            && let Some(version) = self.version_in_force(id)
            && !version.limits.is_empty()
            && let Value::Int(i) = v
        {
            let limited = self.apply_limits(st, &version.limits, Exact::int(i), None)?;
            v = Value::Int(limited.num());
        }
        match (def.rounding, v) {
            (Some(mode), Value::Int(i)) => Ok(Value::Int(
                arith::round_to_unit(i, FEN, mode).map_err(EvalError::arith)?,
            )),
            (_, v) => Ok(v),
        }
    }

    fn int(&self, st: &mut State, id: ExprId) -> Result<i64> {
        match self.eval(st, id)? {
            Value::Int(i) => Ok(i),
            Value::Date(d) => Ok(i64::from(d)),
            other => Err(EvalError::missing(format!(
                "internal: expected a number, found {other:?}"
            ))),
        }
    }

    fn boolean(&self, st: &mut State, id: ExprId) -> Result<bool> {
        Ok(self.eval(st, id)? == Value::Bool(true))
    }

    fn eval(&self, st: &mut State, id: ExprId) -> Result<Value> {
        let ar = EvalError::arith;
        if self.any_pending && self.pending.node(id) {
            // Only a caller outside the evaluation (explanations) asks for the plain value
            // of a pending quotient: it is shown at the unit of storage.
            return Ok(Value::Int(self.exact(st, id)?.to_storage().map_err(ar)?));
        }
        Ok(match self.program.node(id) {
            Node::Const(v) => v.clone(),
            Node::Field { entity, field } => st.field(*entity, field.0 as usize),
            Node::Def(d) => self.eval_def(st, *d)?,
            Node::LastYear(inner) => self.last_year(st, *inner)?,
            Node::Param { param, key } => {
                let key = match key {
                    Some(k) => match self.eval(st, *k)? {
                        Value::Enum(e) => Some(e),
                        _ => None,
                    },
                    None => None,
                };
                self.param(*param, key)?
            }
            Node::Scale { scale, arg } if self.pending.node(*arg) => {
                let x = self.exact(st, *arg)?;
                self.step_scale_exact(*scale, x)?
            }
            Node::Scale { scale, arg } => {
                let x = self.int(st, *arg)?;
                self.scale(*scale, x)?
            }
            Node::Neg(a) => Value::Int(arith::neg(self.int(st, *a)?).map_err(ar)?),
            Node::Not(a) => Value::Bool(!self.boolean(st, *a)?),
            Node::Arith { op, lhs, rhs } => {
                let a = self.int(st, *lhs)?;
                let b = self.int(st, *rhs)?;
                match op {
                    ArithOp::Add => Value::Int(arith::add(a, b).map_err(ar)?),
                    ArithOp::Sub => Value::Int(arith::sub(a, b).map_err(ar)?),
                    ArithOp::Mul => Value::Int(arith::mul(a, b).map_err(ar)?),
                    ArithOp::MulScaled(d) => Value::Int(arith::mul_scaled(a, b, *d).map_err(ar)?),
                    ArithOp::DivScaled(s) => Value::Int(arith::div_scaled(a, *s, b).map_err(ar)?),
                    ArithOp::DateAddDays => Value::Date(date::add_days(a as i32, b).map_err(ar)?),
                    ArithOp::DateSubDays => Value::Date(
                        date::add_days(a as i32, arith::neg(b).map_err(ar)?).map_err(ar)?,
                    ),
                    ArithOp::DateAddMonths => {
                        Value::Date(date::add_months(a as i32, b).map_err(ar)?)
                    }
                    ArithOp::DateSubMonths => Value::Date(
                        date::add_months(a as i32, arith::neg(b).map_err(ar)?).map_err(ar)?,
                    ),
                }
            }
            Node::Cmp { op, lhs, rhs } => {
                let ord =
                    if self.any_pending && (self.pending.node(*lhs) || self.pending.node(*rhs)) {
                        let a = self.exact(st, *lhs)?;
                        let b = self.exact(st, *rhs)?;
                        a.cmp_exact(b)
                    } else {
                        let a = self.eval(st, *lhs)?;
                        let b = self.eval(st, *rhs)?;
                        compare(&a, &b)
                    };
                Value::Bool(match op {
                    CmpOp::Eq => ord == std::cmp::Ordering::Equal,
                    CmpOp::Ne => ord != std::cmp::Ordering::Equal,
                    CmpOp::Lt => ord == std::cmp::Ordering::Less,
                    CmpOp::Le => ord != std::cmp::Ordering::Greater,
                    CmpOp::Gt => ord == std::cmp::Ordering::Greater,
                    CmpOp::Ge => ord != std::cmp::Ordering::Less,
                })
            }
            Node::And(a, b) => Value::Bool(self.boolean(st, *a)? && self.boolean(st, *b)?),
            Node::Or(a, b) => Value::Bool(self.boolean(st, *a)? || self.boolean(st, *b)?),
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                if self.boolean(st, *condition)? {
                    self.eval(st, *then)?
                } else {
                    self.eval(st, *otherwise)?
                }
            }
            Node::MinMax { max, args } => {
                let mut best: Option<Value> = None;
                for a in args {
                    let v = self.eval(st, *a)?;
                    best = Some(match best {
                        None => v,
                        Some(b) => {
                            let ord = compare(&v, &b);
                            if (*max && ord == std::cmp::Ordering::Greater)
                                || (!*max && ord == std::cmp::Ordering::Less)
                            {
                                v
                            } else {
                                b
                            }
                        }
                    });
                }
                best.unwrap_or(Value::Int(0))
            }
            Node::Call { builtin, args } => self.call(st, *builtin, args)?,
            Node::Aggregate {
                function,
                owner,
                relation,
                child,
                body,
                filter,
                default,
            } => self.aggregate(
                st, *function, *owner, *relation, *child, *body, *filter, *default,
            )?,
            Node::History {
                function,
                owner,
                relation,
                child,
                filter,
                dated,
                dates,
            } => {
                let mut days = Vec::with_capacity(dates.len());
                for d in dates {
                    days.push(self.date_of(st, *d)?);
                }
                let mut fold = HistoryFold::new(*function, &days);
                let range = st.children(*owner, *relation);
                for r in range {
                    st.frame.push((*child, r));
                    let kept = filter.map_or(Ok(true), |f| self.boolean(st, f));
                    st.frame.pop();
                    if kept? {
                        let day = |field: FieldId| match st.field_at(*child, field.0 as usize, r) {
                            Value::Date(d) => d,
                            _ => NO_DATE,
                        };
                        fold.step(day(dated.from), day(dated.until));
                    }
                }
                Value::Int(fold.finish())
            }
        })
    }

    /// The day of a date expression.
    fn date_of(&self, st: &mut State, id: ExprId) -> Result<i32> {
        match self.eval(st, id)? {
            Value::Date(d) => Ok(d),
            other => Err(EvalError::missing(format!(
                "internal: expected a date, found {other:?}"
            ))),
        }
    }

    /// The exact value of `id`: a fraction for an expression that may hold a pending
    /// quotient ([`Pending`]), a whole value for every other number.
    fn exact(&self, st: &mut State, id: ExprId) -> Result<Exact> {
        if !self.pending.node(id) {
            return Ok(Exact::int(self.int(st, id)?));
        }
        let ar = EvalError::arith;
        let internal = || EvalError::missing("internal: no exact form of this expression".into());
        match self.program.node(id) {
            Node::Def(d) => self.eval_def_exact(st, *d),
            Node::Neg(a) => self.exact(st, *a)?.checked_neg().map_err(ar),
            Node::Arith { op, lhs, rhs } => {
                let a = self.exact(st, *lhs)?;
                let b = self.exact(st, *rhs)?;
                match op {
                    ArithOp::Add => a.checked_add(b),
                    ArithOp::Sub => a.checked_sub(b),
                    ArithOp::Mul => a.mul_scaled(b, 1),
                    ArithOp::MulScaled(d) => a.mul_scaled(b, *d),
                    ArithOp::DivScaled(s) => a.div_scaled(*s, b),
                    _ => return Err(internal()),
                }
                .map_err(ar)
            }
            Node::If {
                condition,
                then,
                otherwise,
            } => {
                if self.boolean(st, *condition)? {
                    self.exact(st, *then)
                } else {
                    self.exact(st, *otherwise)
                }
            }
            Node::MinMax { max, args } => {
                let mut best: Option<Exact> = None;
                for a in args {
                    let v = self.exact(st, *a)?;
                    best = Some(match best {
                        Some(b) if !better(*max, v, b) => b,
                        _ => v,
                    });
                }
                Ok(best.unwrap_or(Exact::int(0)))
            }
            Node::Call { builtin, args } => {
                let a = self.exact(st, args.first().copied().ok_or_else(internal)?)?;
                match builtin {
                    Builtin::PerYear => a.mul_scaled(Exact::int(12), 1),
                    Builtin::PerMonth => a.div_scaled(1, Exact::int(12)),
                    _ => return Err(internal()),
                }
                .map_err(ar)
            }
            Node::Scale { scale, arg } => {
                let x = self.exact(st, *arg)?;
                self.marginal_scale_exact(*scale, x)
            }
            Node::Aggregate {
                function,
                owner,
                relation,
                child,
                body,
                default,
                filter,
            } => {
                let body = body.ok_or_else(internal)?;
                let range = st.children(*owner, *relation);
                let mut acc: Option<Exact> = None;
                for r in range {
                    st.frame.push((*child, r));
                    let result = (|| -> Result<()> {
                        if let Some(f) = filter
                            && !self.boolean(st, *f)?
                        {
                            return Ok(());
                        }
                        let v = self.exact(st, body)?;
                        acc = Some(match (acc, function) {
                            (None, _) => v,
                            (Some(a), AggFn::Sum) => a.checked_add(v).map_err(ar)?,
                            (Some(a), _) if better(*function == AggFn::Max, v, a) => v,
                            (Some(a), _) => a,
                        });
                        Ok(())
                    })();
                    st.frame.pop();
                    result?;
                }
                match (acc, function, default) {
                    (Some(a), _, _) => Ok(a),
                    (None, AggFn::Sum, _) | (None, _, None) => Ok(Exact::int(0)),
                    (None, _, Some(d)) => self.exact(st, *d),
                }
            }
            _ => Err(internal()),
        }
    }

    /// A step scale looked up at an exact argument: the last bracket at or below it.
    fn step_scale_exact(&self, id: ScaleId, x: Exact) -> Result<Value> {
        if x.is_int() {
            return self.scale(id, x.num());
        }
        let version = self.scale_in_force(id)?;
        let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
        version
            .brackets
            .iter()
            .rev()
            .find(|(t, _)| Exact::int(int(t)).cmp_exact(x) != std::cmp::Ordering::Greater)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                let input = x.to_storage().unwrap_or(x.num());
                EvalError::new(
                    self.program,
                    self.date,
                    ErrorKind::BelowScale { scale: id, input },
                    None,
                )
            })
    }

    /// A marginal scale at an exact argument: each bracket's part times its rate, exact.
    fn marginal_scale_exact(&self, id: ScaleId, x: Exact) -> Result<Exact> {
        let ar = EvalError::arith;
        let version = self.scale_in_force(id)?;
        let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
        let mut total = Exact::int(0);
        for (i, (t, rate)) in version.brackets.iter().enumerate() {
            let lower = Exact::int(int(t));
            if x.cmp_exact(lower) != std::cmp::Ordering::Greater {
                break;
            }
            let upper = match version.brackets.get(i + 1) {
                Some((n, _)) if Exact::int(int(n)).cmp_exact(x) == std::cmp::Ordering::Less => {
                    Exact::int(int(n))
                }
                _ => x,
            };
            let part = upper.checked_sub(lower).map_err(ar)?;
            let tax = part
                .mul_scaled(Exact::int(int(rate)), arith::MICRO)
                .map_err(ar)?;
            total = total.checked_add(tax).map_err(ar)?;
        }
        Ok(total)
    }

    fn call(&self, st: &mut State, builtin: Builtin, args: &[ExprId]) -> Result<Value> {
        let ar = EvalError::arith;
        let arg = |i: usize| {
            args.get(i)
                .copied()
                .ok_or_else(|| EvalError::missing("internal: missing argument".into()))
        };
        Ok(match builtin {
            Builtin::PerYear => Value::Int(arith::mul(self.int(st, arg(0)?)?, 12).map_err(ar)?),
            Builtin::PerMonth => {
                Value::Int(arith::div_scaled(self.int(st, arg(0)?)?, 1, 12).map_err(ar)?)
            }
            Builtin::MonthsBetween => {
                let a = self.int(st, arg(0)?)?;
                let b = self.int(st, arg(1)?)?;
                Value::Int(date::months_between(a as i32, b as i32))
            }
            Builtin::DaysBetween => {
                let a = self.int(st, arg(0)?)?;
                let b = self.int(st, arg(1)?)?;
                Value::Int(date::days_between(a as i32, b as i32))
            }
            Builtin::YearsBetween => {
                let a = self.int(st, arg(0)?)?;
                let b = self.int(st, arg(1)?)?;
                Value::Int(12 * date::years_between(a as i32, b as i32))
            }
            Builtin::Calendar(day) => {
                let d = self.int(st, arg(0)?)?;
                Value::Date(day.of(d as i32).map_err(ar)?)
            }
            Builtin::EvaluationDate => Value::Date(self.date),
            Builtin::AddWorkingDays(calendar) => {
                let d = self.int(st, arg(0)?)?;
                let n = self.int(st, arg(1)?)?;
                let table = self.calendar_table(calendar);
                let r = workdays::add_working_days(table, d as i32, n);
                Value::Date(r.map_err(|day| self.outside_calendar(calendar, day))?)
            }
            Builtin::WorkingDaysBetween(calendar) => {
                let a = self.int(st, arg(0)?)?;
                let b = self.int(st, arg(1)?)?;
                let table = self.calendar_table(calendar);
                let r = workdays::working_days_between(table, a as i32, b as i32);
                Value::Int(r.map_err(|day| self.outside_calendar(calendar, day))?)
            }
            Builtin::Floor(_) | Builtin::Ceil(_) | Builtin::RoundFen(_)
                if self.pending.node(arg(0)?) =>
            {
                let x = self.exact(st, arg(0)?)?;
                Value::Int(
                    match builtin {
                        Builtin::Floor(scale) => x.quotient(scale, RoundingMode::Floor),
                        Builtin::Ceil(scale) => x.quotient(scale, RoundingMode::Ceiling),
                        Builtin::RoundFen(mode) => x.round_to_unit(FEN, mode),
                        _ => x.to_storage(),
                    }
                    .map_err(ar)?,
                )
            }
            Builtin::Floor(scale) => Value::Int(arith::floor_div(self.int(st, arg(0)?)?, scale)),
            Builtin::Ceil(scale) => Value::Int(arith::ceil_div(self.int(st, arg(0)?)?, scale)),
            Builtin::RoundFen(mode) => {
                Value::Int(arith::round_to_unit(self.int(st, arg(0)?)?, FEN, mode).map_err(ar)?)
            }
        })
    }

    fn calendar_table(&self, calendar: CalendarId) -> &'p [i64] {
        self.program
            .calendars
            .get(calendar.index())
            .map_or(&[], |c| c.table.as_slice())
    }

    /// A working-day count that needs `day`, which `calendar` does not cover.
    pub fn outside_calendar(&self, calendar: CalendarId, day: i64) -> EvalError {
        EvalError::new(
            self.program,
            self.date,
            ErrorKind::OutsideCalendar { calendar, day },
            None,
        )
    }

    #[allow(clippy::too_many_arguments, reason = "the parts of one aggregate node")]
    fn aggregate(
        &self,
        st: &mut State,
        function: AggFn,
        owner: EntityId,
        relation: usize,
        child: EntityId,
        body: Option<ExprId>,
        filter: Option<ExprId>,
        default: Option<ExprId>,
    ) -> Result<Value> {
        let range = st.children(owner, relation);
        let mut count: i64 = 0;
        let mut sum: i64 = 0;
        let mut best: Option<Value> = None;
        for r in range {
            st.frame.push((child, r));
            let result = (|| -> Result<Option<bool>> {
                if let Some(f) = filter
                    && !self.boolean(st, f)?
                {
                    return Ok(None);
                }
                match function {
                    AggFn::Count => count += 1,
                    AggFn::Sum => {
                        let v = self.int(st, body.unwrap_or(ExprId(0)))?;
                        sum = arith::add(sum, v).map_err(EvalError::arith)?;
                    }
                    AggFn::Any => {
                        if self.boolean(st, body.unwrap_or(ExprId(0)))? {
                            return Ok(Some(true));
                        }
                    }
                    AggFn::All => {
                        if !self.boolean(st, body.unwrap_or(ExprId(0)))? {
                            return Ok(Some(false));
                        }
                    }
                    AggFn::Min | AggFn::Max => {
                        let v = self.eval(st, body.unwrap_or(ExprId(0)))?;
                        best = Some(match best.take() {
                            None => v,
                            Some(b) => {
                                let ord = compare(&v, &b);
                                let better = if function == AggFn::Max {
                                    ord == std::cmp::Ordering::Greater
                                } else {
                                    ord == std::cmp::Ordering::Less
                                };
                                if better { v } else { b }
                            }
                        });
                    }
                }
                Ok(None)
            })();
            st.frame.pop();
            if let Some(decided) = result? {
                return Ok(Value::Bool(decided));
            }
        }
        Ok(match function {
            AggFn::Count => Value::Int(count),
            AggFn::Sum => Value::Int(sum),
            AggFn::Any => Value::Bool(false),
            AggFn::All => Value::Bool(true),
            AggFn::Min | AggFn::Max => match best {
                Some(v) => v,
                None => match default {
                    Some(d) => self.eval(st, d)?,
                    None => Value::Int(0),
                },
            },
        })
    }

    /// `x[last year]`: the field from the previous year's row, or the parameter on
    /// 1 January of the previous year.
    fn last_year(&self, st: &mut State, inner: ExprId) -> Result<Value> {
        let year = date::year_of(self.date) - 1;
        match self.program.node(inner) {
            Node::Field { entity, field } => {
                let row = st.parent_row(*entity).unwrap_or(0);
                let previous = self
                    .previous_rows
                    .as_ref()
                    .and_then(|p| p.get(row).copied().flatten());
                let name = self
                    .program
                    .schema
                    .entities
                    .get(entity.0 as usize)
                    .and_then(|e| e.fields.get(field.0 as usize))
                    .map_or("?", |f| f.name.as_str());
                match previous {
                    Some(p) => Ok(st.field_at(*entity, field.0 as usize, p as usize)),
                    None => Err(EvalError::missing(format!(
                        "`{name}` for {year} is needed (`{name}[last year]`), but the data have no row for this region in {year}"
                    ))),
                }
            }
            Node::Param { param, key } => {
                let key = match key {
                    Some(k) => match self.eval(st, *k)? {
                        Value::Enum(e) => Some(e),
                        _ => None,
                    },
                    None => None,
                };
                let found = match (self.last_year_params.get(param.index()), key) {
                    (Some(ParamAtDate::Single(v)), _) => v.clone(),
                    (Some(ParamAtDate::Keyed(vs)), Some(k)) => {
                        vs.get(k as usize).cloned().flatten()
                    }
                    _ => None,
                };
                found.ok_or_else(|| {
                    let name = self
                        .program
                        .params
                        .get(param.index())
                        .map_or("?", |p| p.name.as_str());
                    EvalError::missing(format!(
                        "`{name}` has no value on 1 January {year} (`{name}[last year]`)"
                    ))
                })
            }
            _ => Err(EvalError::missing(
                "internal: `[last year]` of something that is not a field or parameter".into(),
            )),
        }
    }

    fn param(&self, id: ParamId, key: Option<u32>) -> Result<Value> {
        let found = match (self.params.get(id.index()), key) {
            (Some(ParamAtDate::Single(v)), _) => v.clone(),
            (Some(ParamAtDate::Keyed(vs)), Some(k)) => vs.get(k as usize).cloned().flatten(),
            _ => None,
        };
        found.ok_or_else(|| {
            EvalError::new(
                self.program,
                self.date,
                ErrorKind::MissingParam { param: id, key },
                None,
            )
        })
    }

    /// The version of scale `id` in force at the date, or the error that it has none.
    fn scale_in_force(&self, id: ScaleId) -> Result<&'p ScaleVersion> {
        self.scales
            .get(id.index())
            .copied()
            .flatten()
            .ok_or_else(|| {
                EvalError::new(
                    self.program,
                    self.date,
                    ErrorKind::ScaleWithoutBrackets { scale: id },
                    None,
                )
            })
    }

    fn scale(&self, id: ScaleId, x: i64) -> Result<Value> {
        let def = self.program.scales.get(id.index());
        let version = self.scale_in_force(id)?;
        let int = |v: &Value| if let Value::Int(i) = v { *i } else { 0 };
        if def.is_some_and(|d| d.marginal) {
            let mut total: i64 = 0;
            for (i, (t, rate)) in version.brackets.iter().enumerate() {
                let lower = int(t);
                if x <= lower {
                    break;
                }
                let upper = version
                    .brackets
                    .get(i + 1)
                    .map_or(x, |(n, _)| int(n).min(x));
                let part = arith::sub(upper, lower).map_err(EvalError::arith)?;
                let tax =
                    arith::mul_scaled(part, int(rate), arith::MICRO).map_err(EvalError::arith)?;
                total = arith::add(total, tax).map_err(EvalError::arith)?;
            }
            return Ok(Value::Int(total));
        }
        version
            .brackets
            .iter()
            .rev()
            .find(|(t, _)| int(t) <= x)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| {
                EvalError::new(
                    self.program,
                    self.date,
                    ErrorKind::BelowScale {
                        scale: id,
                        input: x,
                    },
                    None,
                )
            })
    }
}

/// Whether `v` replaces `best` in a `max` (or `min`): strictly beyond it.
fn better(max: bool, v: Exact, best: Exact) -> bool {
    let ord = v.cmp_exact(best);
    if max {
        ord == std::cmp::Ordering::Greater
    } else {
        ord == std::cmp::Ordering::Less
    }
}

/// Orders two values of one type.
fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => x.cmp(y),
        (Value::Date(x), Value::Date(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        (Value::Enum(x), Value::Enum(y)) => x.cmp(y),
        (Value::Text(x), Value::Text(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    }
}

/// The rows in reach while evaluating one record, and the root's memoized definitions.
struct State<'b> {
    batch: &'b Batch,
    frame: Vec<(EntityId, usize)>,
    memo: Vec<Option<Value>>,
    /// The root's memoized definitions that hold a pending quotient.
    memo_exact: Vec<Option<Exact>>,
}

impl State<'_> {
    fn row_of(&self, entity: EntityId) -> usize {
        self.frame
            .iter()
            .rev()
            .find(|(e, _)| *e == entity)
            .map_or(0, |(_, r)| *r)
    }

    /// The rows of `relation`'s children of `owner`'s row in the current frame.
    fn children(&self, owner: EntityId, relation: usize) -> std::ops::Range<usize> {
        let owner_row = self.row_of(owner);
        self.batch
            .entities
            .get(owner.0 as usize)
            .and_then(|e| e.children.get(relation))
            .map_or(0..0, |o| o.range(owner_row))
    }

    fn parent_row(&self, entity: EntityId) -> Option<usize> {
        self.frame
            .iter()
            .rev()
            .find(|(e, _)| *e == entity)
            .map(|(_, r)| *r)
    }

    fn field(&self, entity: EntityId, field: usize) -> Value {
        let row = self.parent_row(entity).unwrap_or(0);
        self.field_at(entity, field, row)
    }

    fn field_at(&self, entity: EntityId, field: usize, row: usize) -> Value {
        let column = self
            .batch
            .entities
            .get(entity.0 as usize)
            .and_then(|e| e.columns.get(field));
        match column {
            Some(Column::Int(v)) => Value::Int(v.get(row).copied().unwrap_or(0)),
            Some(Column::Bool(v)) => Value::Bool(v.get(row).copied().unwrap_or(0) != 0),
            Some(Column::Date(v)) => Value::Date(v.get(row).copied().unwrap_or(0)),
            Some(Column::Enum(v)) => Value::Enum(v.get(row).copied().unwrap_or(0)),
            Some(Column::Text(v)) => Value::Text(v.get(row).map_or("", String::as_str).into()),
            None => Value::Int(0),
        }
    }
}
