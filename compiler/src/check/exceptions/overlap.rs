//! Can two exceptions' conditions hold together? A small constraint analysis over the
//! checked IR, without a solver.
//!
//! A condition is expanded into a disjunction of conjunctions of atoms (`not` pushed down
//! to the comparisons). An atom constrains one *term*: an input field, or any other
//! expression taken as an unknown value (the same value wherever the same expression is
//! written), or the order of two terms compared with each other. A term's constraints
//! meet in its domain: an interval of numbers or dates less some points, a set of
//! booleans, variants or texts, or a set of orders (`<`, `=`, `>`). Two conditions are
//! disjoint when every pair of their conjunctions leaves some term an empty domain.
//!
//! Terms are judged one at a time: what ties them together beyond a direct comparison is
//! forgotten, which can make an overlap look possible but never hides one, so "disjoint"
//! is always true. An overlap is stated with a witness (values of input fields under which
//! both conditions hold) only when both conditions read nothing but input fields and
//! constants, which can take every value of their type together; otherwise the checker
//! can only say that it cannot prove the conditions disjoint.

use bylaw_runtime::arith::{MICRO, MONEY_SCALE};
use bylaw_runtime::decimal::format_scaled;
use bylaw_runtime::schema::{EntityId, FieldId};

use crate::check::depth::operands;
use crate::ir::{CmpOp, EnumDef, ExprId, Node, Value};
use crate::types::Ty;

/// The most conjunctions a condition may expand to; beyond that the analysis gives up.
const MAX_CONJUNCTIONS: usize = 256;

/// The most nodes the expansion of one condition may visit: an `if` visits its condition
/// twice, so nested ones could otherwise take exponential time.
const MAX_STEPS: usize = 10_000;

/// What the data readers let an input field hold beyond its type. A witness prefers such
/// values; disjointness does not rely on them, since test blocks and embedders can give
/// any value of the type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FieldData {
    /// Declared in `years`: data give whole years (held as months).
    pub whole_years: bool,
    /// The smallest value data may give (`at least`; 0 for counts and durations).
    pub minimum: Option<i64>,
    /// The unit a duration field is declared in, for the witness's words.
    pub unit: crate::duration::DurationUnit,
}

/// One input field's value in a witness.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Assignment {
    pub entity: EntityId,
    pub field: FieldId,
    pub ty: Ty,
    pub value: Value,
    /// The unit a duration is written in (`100 years`, `80 周岁`, `1199 months`).
    pub unit: crate::duration::DurationUnit,
}

impl Assignment {
    /// The value as a literal in the field's unit: `100 years`, `99.9999 元`, `hukou.local`.
    pub(crate) fn value_text(&self, enums: &[EnumDef]) -> String {
        match (self.ty, &self.value) {
            (Ty::Money(_), Value::Int(v)) => format!("{} 元", format_scaled(*v, MONEY_SCALE, 0)),
            (Ty::Rate, Value::Int(v)) => format!("{}%", format_scaled(*v, MICRO / 100, 0)),
            (Ty::Decimal, Value::Int(v)) => format_scaled(*v, MICRO, 1),
            (Ty::Days, Value::Int(v)) => format!("{v} days"),
            (Ty::Months, Value::Int(v))
                if self.unit != crate::duration::DurationUnit::Months && v % 12 == 0 =>
            {
                match self.unit {
                    crate::duration::DurationUnit::Age => format!("{} 周岁", v / 12),
                    _ => format!("{} years", v / 12),
                }
            }
            (Ty::Months, Value::Int(v)) => format!("{v} months"),
            (_, Value::Int(v)) => v.to_string(),
            (_, Value::Date(d)) => bylaw_runtime::date::format_date(*d),
            (_, Value::Bool(b)) => b.to_string(),
            (Ty::Enum(e), Value::Enum(i)) => match enums.get(e.index()) {
                Some(def) => match def.variants.get(*i as usize) {
                    Some(v) => format!("{}.{}", def.name, v.name),
                    None => i.to_string(),
                },
                None => i.to_string(),
            },
            (_, Value::Enum(i)) => i.to_string(),
            (_, Value::Text(t)) => format!("{t:?}"),
        }
    }
}

/// What the analysis can say about two conditions.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Overlap {
    /// No input makes both hold.
    Disjoint,
    /// Both hold for every input whose fields have these values; with no values, for
    /// every input.
    Witness(Vec<Assignment>),
    /// Not ruled out, but the conditions read something the analysis does not model
    /// (definitions, parameters, arithmetic, calls, aggregates), or too many cases.
    Unproven,
}

/// A value the analysis reasons about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Term {
    /// An input field: any value of its type, independently of other fields.
    Field { entity: EntityId, field: FieldId },
    /// Any other expression, by one occurrence of it.
    Opaque(ExprId),
    /// The order of two terms (indexes into the term table, the smaller first).
    Pair(usize, usize),
}

const LT: u8 = 1;
const EQ: u8 = 2;
const GT: u8 = 4;

#[derive(Debug, Clone)]
enum Constraint {
    /// `term op value`.
    Cmp(CmpOp, Value),
    /// A pair's possible orders (`LT | EQ | GT`).
    Order(u8),
}

/// A constraint on the term at this index of the term table.
type Atom = (usize, Constraint);

/// One exception condition, expanded.
#[derive(Debug, Clone)]
pub(crate) struct Condition {
    /// The conjunctions, any of which makes the condition hold; `None` when the
    /// expansion gave up.
    cases: Option<Vec<Vec<Atom>>>,
    /// Reads only input fields and constants.
    modelled: bool,
}

/// The conditions of one definition's exceptions, sharing one table of terms.
pub(crate) struct Analysis<'a> {
    nodes: &'a [Node],
    types: &'a [Ty],
    enums: &'a [EnumDef],
    terms: Vec<(Term, Ty)>,
    steps: usize,
}

fn negate(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Eq => CmpOp::Ne,
        CmpOp::Ne => CmpOp::Eq,
        CmpOp::Lt => CmpOp::Ge,
        CmpOp::Le => CmpOp::Gt,
        CmpOp::Gt => CmpOp::Le,
        CmpOp::Ge => CmpOp::Lt,
    }
}

/// The operator seen from the other side: `a < b` is `b > a`.
fn swap(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        other => other,
    }
}

fn orders(op: CmpOp) -> u8 {
    match op {
        CmpOp::Eq => EQ,
        CmpOp::Ne => LT | GT,
        CmpOp::Lt => LT,
        CmpOp::Le => LT | EQ,
        CmpOp::Gt => GT,
        CmpOp::Ge => GT | EQ,
    }
}

/// A number or a date as a point on one line.
fn point(v: &Value) -> Option<i128> {
    match v {
        Value::Int(i) => Some(i128::from(*i)),
        Value::Date(d) => Some(i128::from(*d)),
        _ => None,
    }
}

/// Does `a op b` hold for two constants? `None` for values of different kinds.
fn holds(op: CmpOp, a: &Value, b: &Value) -> Option<bool> {
    let order = match (point(a), point(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ if std::mem::discriminant(a) == std::mem::discriminant(b) => {
            if a == b {
                std::cmp::Ordering::Equal
            } else if matches!(op, CmpOp::Eq | CmpOp::Ne) {
                std::cmp::Ordering::Less
            } else {
                return None;
            }
        }
        _ => return None,
    };
    let bit = match order {
        std::cmp::Ordering::Less => LT,
        std::cmp::Ordering::Equal => EQ,
        std::cmp::Ordering::Greater => GT,
    };
    Some(orders(op) & bit != 0)
}

fn truth(holds: bool) -> Vec<Vec<Atom>> {
    if holds { vec![Vec::new()] } else { Vec::new() }
}

fn union(mut a: Vec<Vec<Atom>>, b: Vec<Vec<Atom>>) -> Option<Vec<Vec<Atom>>> {
    if a.len() + b.len() > MAX_CONJUNCTIONS {
        return None;
    }
    a.extend(b);
    Some(a)
}

fn product(a: &[Vec<Atom>], b: &[Vec<Atom>]) -> Option<Vec<Vec<Atom>>> {
    if a.len().saturating_mul(b.len()) > MAX_CONJUNCTIONS {
        return None;
    }
    Some(
        a.iter()
            .flat_map(|x| b.iter().map(move |y| x.iter().chain(y).cloned().collect()))
            .collect(),
    )
}

impl<'a> Analysis<'a> {
    pub(crate) fn new(nodes: &'a [Node], types: &'a [Ty], enums: &'a [EnumDef]) -> Self {
        Analysis {
            nodes,
            types,
            enums,
            terms: Vec::new(),
            steps: 0,
        }
    }

    /// Expands a boolean expression into the cases that make it hold.
    pub(crate) fn condition(&mut self, id: ExprId) -> Condition {
        let mut modelled = true;
        self.steps = 0;
        let cases = self.cases(id, true, &mut modelled);
        Condition {
            modelled: modelled && cases.is_some(),
            cases,
        }
    }

    /// Can `a` and `b` hold together? `data` tells what data can hold in a field.
    pub(crate) fn overlap(
        &self,
        a: &Condition,
        b: &Condition,
        data: impl Fn(EntityId, FieldId) -> FieldData,
    ) -> Overlap {
        let (Some(xs), Some(ys)) = (&a.cases, &b.cases) else {
            return Overlap::Unproven;
        };
        for x in xs {
            for y in ys {
                let Some(domains) = self.solve(x.iter().chain(y)) else {
                    continue;
                };
                if !(a.modelled && b.modelled) {
                    return Overlap::Unproven;
                }
                return match self.witness(&domains, &data) {
                    Some(w) => Overlap::Witness(w),
                    None => Overlap::Unproven,
                };
            }
        }
        Overlap::Disjoint
    }

    /// The conjunctions under which `id` is `positive`, or `None` past the limits.
    fn cases(&mut self, id: ExprId, positive: bool, modelled: &mut bool) -> Option<Vec<Vec<Atom>>> {
        self.steps += 1;
        if self.steps > MAX_STEPS {
            return None;
        }
        let node = self.nodes.get(id.index())?;
        match node {
            Node::Const(Value::Bool(b)) => Some(truth(*b == positive)),
            Node::Not(x) => self.cases(*x, !positive, modelled),
            Node::And(l, r) | Node::Or(l, r) => {
                // `not (a and b)` is `not a or not b`; `not (a or b)` is `not a and not b`.
                let conjunction = matches!(node, Node::And(..)) == positive;
                let l = self.cases(*l, positive, modelled)?;
                let r = self.cases(*r, positive, modelled)?;
                if conjunction {
                    product(&l, &r)
                } else {
                    union(l, r)
                }
            }
            Node::If {
                condition,
                then,
                otherwise,
            } if self.types.get(id.index()) == Some(&Ty::Bool) => {
                // `(c and t) or (not c and o)`, with `t` and `o` negated for `not if`.
                let yes = self.cases(*condition, true, modelled)?;
                let no = self.cases(*condition, false, modelled)?;
                let t = self.cases(*then, positive, modelled)?;
                let o = self.cases(*otherwise, positive, modelled)?;
                union(product(&yes, &t)?, product(&no, &o)?)
            }
            Node::Cmp { op, lhs, rhs } => {
                let op = if positive { *op } else { negate(*op) };
                self.comparison(op, *lhs, *rhs, modelled)
            }
            _ => {
                // A boolean the analysis does not look into: a term that is true or false.
                let t = self.term(id, modelled);
                Some(vec![vec![(
                    t,
                    Constraint::Cmp(CmpOp::Eq, Value::Bool(positive)),
                )]])
            }
        }
    }

    fn constant(&self, id: ExprId) -> Option<&'a Value> {
        match self.nodes.get(id.index()) {
            Some(Node::Const(v)) => Some(v),
            _ => None,
        }
    }

    fn comparison(
        &mut self,
        op: CmpOp,
        lhs: ExprId,
        rhs: ExprId,
        modelled: &mut bool,
    ) -> Option<Vec<Vec<Atom>>> {
        match (self.constant(lhs), self.constant(rhs)) {
            (Some(a), Some(b)) => holds(op, a, b).map(truth),
            (None, Some(v)) => {
                let t = self.term(lhs, modelled);
                Some(vec![vec![(t, Constraint::Cmp(op, v.clone()))]])
            }
            (Some(v), None) => {
                let t = self.term(rhs, modelled);
                Some(vec![vec![(t, Constraint::Cmp(swap(op), v.clone()))]])
            }
            (None, None) => {
                *modelled = false;
                let (a, b) = (self.term(lhs, modelled), self.term(rhs, modelled));
                if a == b {
                    return Some(truth(orders(op) & EQ != 0));
                }
                let (first, second, op) = if a < b { (a, b, op) } else { (b, a, swap(op)) };
                let t = self.intern(Term::Pair(first, second), Ty::Bool);
                Some(vec![vec![(t, Constraint::Order(orders(op)))]])
            }
        }
    }

    /// The index of the term `id` is, added to the table if new.
    fn term(&mut self, id: ExprId, modelled: &mut bool) -> usize {
        let ty = self.types.get(id.index()).copied().unwrap_or(Ty::Bool);
        let term = match self.nodes.get(id.index()) {
            Some(Node::Field { entity, field }) => Term::Field {
                entity: *entity,
                field: *field,
            },
            _ => {
                *modelled = false;
                match self.terms.iter().position(|(t, tt)| {
                    matches!(t, Term::Opaque(other) if *tt == ty && self.same(*other, id))
                }) {
                    Some(i) => return i,
                    None => Term::Opaque(id),
                }
            }
        };
        self.intern(term, ty)
    }

    fn intern(&mut self, term: Term, ty: Ty) -> usize {
        match self
            .terms
            .iter()
            .position(|(t, tt)| *t == term && *tt == ty)
        {
            Some(i) => i,
            None => {
                self.terms.push((term, ty));
                self.terms.len() - 1
            }
        }
    }

    /// Are `a` and `b` the same expression, written twice? (Then they have one value.)
    fn same(&self, a: ExprId, b: ExprId) -> bool {
        if a == b {
            return true;
        }
        let (Some(x), Some(y)) = (self.nodes.get(a.index()), self.nodes.get(b.index())) else {
            return false;
        };
        if self.types.get(a.index()) != self.types.get(b.index())
            || std::mem::discriminant(x) != std::mem::discriminant(y)
        {
            return false;
        }
        // What a node holds besides its operands.
        let alike = match (x, y) {
            (Node::Const(v), Node::Const(w)) => v == w,
            (
                Node::Field { entity, field },
                Node::Field {
                    entity: e,
                    field: f,
                },
            ) => (entity, field) == (e, f),
            (Node::Def(d), Node::Def(e)) => d == e,
            (Node::Param { param, .. }, Node::Param { param: p, .. }) => param == p,
            (Node::Scale { scale, .. }, Node::Scale { scale: s, .. }) => scale == s,
            (Node::Arith { op, .. }, Node::Arith { op: o, .. }) => op == o,
            (Node::Cmp { op, .. }, Node::Cmp { op: o, .. }) => op == o,
            (Node::MinMax { max, .. }, Node::MinMax { max: m, .. }) => max == m,
            (Node::Call { builtin, .. }, Node::Call { builtin: b, .. }) => builtin == b,
            (
                Node::Aggregate {
                    function,
                    owner,
                    relation,
                    body,
                    filter,
                    default,
                    ..
                },
                Node::Aggregate {
                    function: f,
                    owner: o,
                    relation: r,
                    body: b,
                    filter: w,
                    default: d,
                    ..
                },
            ) => {
                (function, owner, relation) == (f, o, r)
                    && (body.is_some(), filter.is_some(), default.is_some())
                        == (b.is_some(), w.is_some(), d.is_some())
            }
            // `not`, `-`, `and`, `or`, `if` and `[last year]` hold only their operands.
            _ => true,
        };
        let (p, q) = (operands(x), operands(y));
        alike && p.len() == q.len() && p.iter().zip(&q).all(|(p, q)| self.same(*p, *q))
    }

    /// The domain a term starts with: every value of its type.
    fn domain(&self, term: usize) -> Domain {
        let Some((term, ty)) = self.terms.get(term) else {
            return Domain::Order(0);
        };
        if let Term::Pair(..) = term {
            return Domain::Order(LT | EQ | GT);
        }
        let universe = match ty {
            Ty::Bool => Some(2),
            Ty::Enum(e) => self.enums.get(e.index()).map(|d| d.variants.len()),
            Ty::Text => None,
            Ty::Date => {
                return Domain::Range(Range::whole(i128::from(i32::MIN), i128::from(i32::MAX)));
            }
            _ => {
                // Fields and parameters hold whole units of storage, and so does every
                // count, duration and date; other money, rates and decimals may be exact
                // fractions of a unit (`income / n`), so their bounds stay strict.
                let whole = matches!(term, Term::Field { .. })
                    || matches!(term, Term::Opaque(id)
                        if matches!(self.nodes.get(id.index()), Some(Node::Param { .. })))
                    || matches!(ty, Ty::Count | Ty::Days | Ty::Months);
                return Domain::Range(if whole {
                    Range::whole(i128::from(i64::MIN), i128::from(i64::MAX))
                } else {
                    Range::dense()
                });
            }
        };
        Domain::Set {
            universe,
            members: Members::Except(Vec::new()),
        }
    }

    /// Each term's domain under all of `atoms`, or `None` when one is empty.
    fn solve<'b>(&self, atoms: impl Iterator<Item = &'b Atom>) -> Option<Vec<(usize, Domain)>> {
        let mut domains: Vec<(usize, Domain)> = Vec::new();
        for (term, constraint) in atoms {
            let i = match domains.iter().position(|(t, _)| t == term) {
                Some(i) => i,
                None => {
                    domains.push((*term, self.domain(*term)));
                    domains.len() - 1
                }
            };
            let (_, domain) = domains.get_mut(i)?;
            domain.meet(constraint);
            if domain.is_empty() {
                return None;
            }
        }
        Some(domains)
    }

    /// Values of the fields in `domains`, or `None` if a term is not a field.
    fn witness(
        &self,
        domains: &[(usize, Domain)],
        data: &impl Fn(EntityId, FieldId) -> FieldData,
    ) -> Option<Vec<Assignment>> {
        domains
            .iter()
            .map(|(term, domain)| {
                let (Term::Field { entity, field }, ty) = *self.terms.get(*term)? else {
                    return None;
                };
                let facts = data(entity, field);
                let value = domain.pick(ty, facts)?;
                Some(Assignment {
                    entity,
                    field,
                    ty,
                    value,
                    unit: facts.unit,
                })
            })
            .collect()
    }
}

/// An end of an interval; a strict one excludes its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Bound {
    value: i128,
    strict: bool,
}

/// Numbers or dates: between `lo` and `hi` (unbounded where `None`), less `holes`.
#[derive(Debug, Clone)]
struct Range {
    /// Values are whole units of storage (1 元 is 10,000 units): `x <= 99` and
    /// `x >= 100` leave nothing between them.
    whole: bool,
    lo: Option<Bound>,
    hi: Option<Bound>,
    holes: Vec<i128>,
}

impl Range {
    fn whole(lo: i128, hi: i128) -> Range {
        let at = |value| {
            Some(Bound {
                value,
                strict: false,
            })
        };
        Range {
            whole: true,
            lo: at(lo),
            hi: at(hi),
            holes: Vec::new(),
        }
    }

    fn dense() -> Range {
        Range {
            whole: false,
            lo: None,
            hi: None,
            holes: Vec::new(),
        }
    }

    fn raise(&mut self, b: Bound) {
        let tighter = match self.lo {
            None => true,
            Some(lo) => b.value > lo.value || (b.value == lo.value && b.strict),
        };
        if tighter {
            self.lo = Some(b);
        }
    }

    fn lower(&mut self, b: Bound) {
        let tighter = match self.hi {
            None => true,
            Some(hi) => b.value < hi.value || (b.value == hi.value && b.strict),
        };
        if tighter {
            self.hi = Some(b);
        }
    }

    /// For whole values: the smallest and largest allowed, before holes.
    fn ends(&self) -> Option<(i128, i128)> {
        let lo = self.lo?;
        let hi = self.hi?;
        Some((
            lo.value + i128::from(lo.strict),
            hi.value - i128::from(hi.strict),
        ))
    }

    fn is_empty(&self) -> bool {
        if self.whole {
            let Some((lo, hi)) = self.ends() else {
                return false;
            };
            let mut holes: Vec<i128> = self
                .holes
                .iter()
                .copied()
                .filter(|h| (lo..=hi).contains(h))
                .collect();
            holes.sort_unstable();
            holes.dedup();
            return hi < lo || hi - lo < holes.len() as i128;
        }
        match (self.lo, self.hi) {
            (Some(lo), Some(hi)) => {
                lo.value > hi.value
                    || (lo.value == hi.value
                        && (lo.strict || hi.strict || self.holes.contains(&lo.value)))
            }
            // An open side leaves infinitely many values, and holes are finitely many.
            _ => false,
        }
    }

    /// A whole value in `lo..=hi` on a multiple of `step` and not a hole, the first from
    /// `start` upwards (`up`) or downwards.
    fn find(&self, lo: i128, hi: i128, step: i128, start: i128, up: bool) -> Option<i128> {
        if lo > hi {
            return None;
        }
        let start = start.max(lo).min(hi);
        let mut at = if up {
            start + (step - start.rem_euclid(step)) % step
        } else {
            start - start.rem_euclid(step)
        };
        // Each hole bars at most one candidate.
        for _ in 0..=self.holes.len() {
            if !(lo..=hi).contains(&at) {
                return None;
            }
            if !self.holes.contains(&at) {
                return Some(at);
            }
            at = if up { at + step } else { at - step };
        }
        None
    }
}

/// Members of a set of booleans, variants or texts.
#[derive(Debug, Clone)]
enum Members {
    Only(Vec<Value>),
    Except(Vec<Value>),
}

#[derive(Debug, Clone)]
enum Domain {
    Range(Range),
    /// `universe`: how many values the type has (`None`: texts, without end).
    Set {
        universe: Option<usize>,
        members: Members,
    },
    Order(u8),
}

impl Domain {
    fn meet(&mut self, c: &Constraint) {
        match (self, c) {
            (Domain::Order(mask), Constraint::Order(m)) => *mask &= m,
            (Domain::Range(r), Constraint::Cmp(op, v)) => {
                let Some(value) = point(v) else { return };
                let at = |strict| Bound { value, strict };
                match op {
                    CmpOp::Lt => r.lower(at(true)),
                    CmpOp::Le => r.lower(at(false)),
                    CmpOp::Gt => r.raise(at(true)),
                    CmpOp::Ge => r.raise(at(false)),
                    CmpOp::Eq => {
                        r.raise(at(false));
                        r.lower(at(false));
                    }
                    CmpOp::Ne => r.holes.push(value),
                }
            }
            (Domain::Set { members, .. }, Constraint::Cmp(op, v)) => {
                *members = match (op, std::mem::replace(members, Members::Only(Vec::new()))) {
                    (CmpOp::Eq, Members::Only(s)) => {
                        Members::Only(s.into_iter().filter(|x| x == v).collect())
                    }
                    (CmpOp::Eq, Members::Except(s)) if s.contains(v) => Members::Only(Vec::new()),
                    (CmpOp::Eq, Members::Except(_)) => Members::Only(vec![v.clone()]),
                    (CmpOp::Ne, Members::Only(s)) => {
                        Members::Only(s.into_iter().filter(|x| x != v).collect())
                    }
                    (CmpOp::Ne, Members::Except(mut s)) => {
                        if !s.contains(v) {
                            s.push(v.clone());
                        }
                        Members::Except(s)
                    }
                    // Booleans, variants and texts have no order (the checker refused it).
                    (_, m) => m,
                };
            }
            // A constraint of another kind than the term's says nothing.
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            Domain::Order(mask) => *mask == 0,
            Domain::Range(r) => r.is_empty(),
            Domain::Set { universe, members } => match members {
                Members::Only(s) => s.is_empty(),
                Members::Except(s) => universe.is_some_and(|n| s.len() >= n),
            },
        }
    }

    /// A value of a field of type `ty` in this domain, preferring what data can hold.
    fn pick(&self, ty: Ty, facts: FieldData) -> Option<Value> {
        match self {
            Domain::Range(r) if r.whole => {
                let (lo, hi) = r.ends()?;
                let int = |v: i128| match ty {
                    Ty::Date => i32::try_from(v).ok().map(Value::Date),
                    _ => i64::try_from(v).ok().map(Value::Int),
                };
                let limits = if ty == Ty::Date {
                    (i128::from(i32::MIN), i128::from(i32::MAX))
                } else {
                    (i128::from(i64::MIN), i128::from(i64::MAX))
                };
                // Start at the end the conditions bound (`age >= 60 years` → 60 years), and
                // prefer what data can hold: whole years, not below the field's minimum.
                let (min, max) = limits;
                let up = lo > min || hi == max;
                let start = if lo > min {
                    lo
                } else if hi < max {
                    hi
                } else {
                    0
                };
                let step = if facts.whole_years { 12 } else { 1 };
                let floor = facts.minimum.map_or(lo, |m| lo.max(i128::from(m)));
                r.find(floor, hi, step, start, up)
                    .or_else(|| r.find(lo, hi, 1, start, up))
                    .and_then(int)
            }
            Domain::Range(_) | Domain::Order(_) => None,
            Domain::Set { universe, members } => {
                let excluded = match members {
                    Members::Only(s) => return s.first().cloned(),
                    Members::Except(s) => s,
                };
                let free = |v: &Value| !excluded.contains(v);
                match ty {
                    Ty::Bool => [Value::Bool(true), Value::Bool(false)]
                        .into_iter()
                        .find(free),
                    Ty::Enum(_) => (0..universe.unwrap_or(0))
                        .take(excluded.len() + 1)
                        .filter_map(|i| u32::try_from(i).ok().map(Value::Enum))
                        .find(free),
                    _ => (0..=excluded.len())
                        .map(|i| match i {
                            0 => Value::Text("x".into()),
                            i => Value::Text(format!("x{i}").into()),
                        })
                        .find(free),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

    use bylaw_runtime::schema::ColumnType;

    use super::*;
    use crate::Program;

    const SCHEMA: &str = r#"
enum hukou {
  local
  other_city
  rural
}

entity person {
  age: years
  residence: months
  income: money per month
  savings: money at least 0 元
  n: count
  share: rate
  score: decimal
  born: date
  disabled: bool
  kind: hukou
  code: text
}

let per_capita: money per month = income / n
let doubled: count = n * 2
rule adult = age >= 18 years
amount grant: money per month = 100 元
"#;

    /// `grant` with exceptions under conditions `a` and `b`, ordered so that it checks.
    fn program(a: &str, b: &str) -> Program {
        let text = format!(
            "{SCHEMA}\nexception first to grant before second\n  when {a} = 1 元\n\
             exception second to grant\n  when {b} = 2 元\n"
        );
        let compiled = crate::compile_text("overlap.bylaw", &text);
        assert!(!compiled.has_errors(), "{:#?}", compiled.diagnostics);
        compiled.program.unwrap()
    }

    /// What the analysis says about `a` and `b`: "disjoint", "unproven", or the witness.
    fn judge(a: &str, b: &str) -> String {
        let p = program(a, b);
        let grant = p.def(p.def_by_name("grant").unwrap());
        assert_eq!(grant.exceptions.len(), 2);
        let (first, second) = (&grant.exceptions[0], &grant.exceptions[1]);
        let mut analysis = Analysis::new(&p.nodes, &p.types, &p.enums);
        let (x, y) = (
            analysis.condition(first.condition),
            analysis.condition(second.condition),
        );
        let data = |e: EntityId, f: FieldId| {
            let field = p
                .schema
                .entity(e)
                .unwrap()
                .fields
                .get(f.0 as usize)
                .unwrap();
            FieldData {
                whole_years: field.ty == ColumnType::Years,
                minimum: field.minimum,
                unit: if field.ty == ColumnType::Years {
                    crate::duration::DurationUnit::Years
                } else {
                    crate::duration::DurationUnit::Months
                },
            }
        };
        // The question is symmetric, whichever way the witness is found.
        let back = analysis.overlap(&y, &x, data);
        match analysis.overlap(&x, &y, data) {
            Overlap::Disjoint => {
                assert_eq!(back, Overlap::Disjoint, "{a} | {b}");
                "disjoint".into()
            }
            Overlap::Unproven => {
                assert_eq!(back, Overlap::Unproven, "{a} | {b}");
                "unproven".into()
            }
            Overlap::Witness(values) => {
                assert!(matches!(back, Overlap::Witness(_)), "{a} | {b}");
                values
                    .iter()
                    .map(|v| {
                        let entity = p.schema.entity(v.entity).unwrap();
                        let name = &entity.fields.get(v.field.0 as usize).unwrap().name;
                        format!("{name} = {}", v.value_text(&p.enums))
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        }
    }

    #[test]
    fn whole_units_leave_nothing_between_adjacent_bounds() {
        assert_eq!(judge("n < 100", "n >= 100"), "disjoint");
        assert_eq!(judge("n <= 99", "n >= 100"), "disjoint");
        assert_eq!(judge("n <= 99", "n > 99"), "disjoint");
        assert_eq!(judge("n < 100", "n > 99"), "disjoint");
        assert_eq!(judge("n <= 100", "n >= 100"), "n = 100");
        assert_eq!(judge("n <= 101", "n >= 100"), "n = 100");
        assert_eq!(judge("n < 100", "n > 98"), "n = 99");
        assert_eq!(judge("n < 101", "n > 99"), "n = 100");
        assert_eq!(judge("n == 3", "n == 4"), "disjoint");
        assert_eq!(judge("n == 3", "n <= 3"), "n = 3");
    }

    #[test]
    fn years_are_compared_in_months() {
        assert_eq!(judge("age < 100 years", "age >= 100 years"), "disjoint");
        assert_eq!(judge("age <= 99 years", "age >= 100 years"), "disjoint");
        assert_eq!(judge("age < 1200 months", "age >= 100 years"), "disjoint");
        assert_eq!(
            judge("age <= 100 years", "age >= 100 years"),
            "age = 100 years"
        );
        assert_eq!(
            judge("age < 100 years", "age >= 99 years"),
            "age = 99 years"
        );
        // A field declared in years holds whole years from data, but a test can give it
        // months: between 99 and 100 years both hold, and the witness says so in months.
        assert_eq!(
            judge("age < 100 years", "age > 99 years"),
            "age = 1189 months"
        );
        assert_eq!(
            judge("residence < 2 years", "residence > 23 months"),
            "disjoint"
        );
        assert_eq!(
            judge("residence <= 2 years", "residence >= 24 months"),
            "residence = 24 months"
        );
    }

    #[test]
    fn money_rates_and_decimals_are_exact() {
        // A money field holds whole 0.0001 元: nothing lies between 99.9999 元 and 100 元.
        assert_eq!(judge("income < 100 元", "income > 99.9999 元"), "disjoint");
        assert_eq!(
            judge("income < 100 元", "income > 99.9998 元"),
            "income = 99.9999 元"
        );
        assert_eq!(
            judge("income < 100 元", "income > 99 元"),
            "income = 99.0001 元"
        );
        assert_eq!(
            judge("income <= 0.01 万元", "income >= 100 元"),
            "income = 100 元"
        );
        assert_eq!(judge("share < 2.5%", "share >= 2.5%"), "disjoint");
        assert_eq!(judge("share <= 2.5%", "share >= 2.5%"), "share = 2.5%");
        assert_eq!(judge("score < 0.5", "score > 0.499999"), "disjoint");
        assert_eq!(judge("score <= 0.5", "score > 0.49"), "score = 0.490001");
    }

    #[test]
    fn a_quotient_may_lie_between_two_units() {
        // `income / n` is an exact fraction: 99.99995 元 lies between these.
        assert_eq!(
            judge("per_capita < 100 元", "per_capita > 99.9999 元"),
            "unproven"
        );
        assert_eq!(
            judge("per_capita < 100 元", "per_capita >= 100 元"),
            "disjoint"
        );
        assert_eq!(
            judge("per_capita <= 100 元", "per_capita > 100 元"),
            "disjoint"
        );
        assert_eq!(
            judge("per_capita <= 100 元", "per_capita >= 100 元"),
            "unproven"
        );
        // A count is whole wherever it comes from.
        assert_eq!(judge("doubled <= 99", "doubled >= 100"), "disjoint");
        assert_eq!(judge("doubled <= 100", "doubled >= 100"), "unproven");
    }

    #[test]
    fn operands_may_come_either_way_round() {
        assert_eq!(judge("100 years > age", "age >= 100 years"), "disjoint");
        assert_eq!(judge("100 years <= age", "age < 100 years"), "disjoint");
        assert_eq!(judge("100 years <= age", "99 years >= age"), "disjoint");
        assert_eq!(
            judge("99 years < age", "100 years >= age"),
            "age = 100 years"
        );
        assert_eq!(
            judge("hukou.rural == kind", "kind == hukou.local"),
            "disjoint"
        );
    }

    #[test]
    fn enumeration_values_are_sets() {
        assert_eq!(
            judge(
                "kind == hukou.local or kind == hukou.other_city",
                "kind == hukou.rural"
            ),
            "disjoint"
        );
        assert_eq!(
            judge("kind != hukou.local", "kind == hukou.local"),
            "disjoint"
        );
        assert_eq!(
            judge("kind != hukou.local", "kind != hukou.rural"),
            "kind = hukou.other_city"
        );
        // Three variants: excluding all three leaves none.
        assert_eq!(
            judge(
                "kind != hukou.local and kind != hukou.other_city",
                "kind != hukou.rural"
            ),
            "disjoint"
        );
        assert_eq!(
            judge("kind == hukou.local or n > 3", "kind == hukou.rural"),
            "n = 4, kind = hukou.rural"
        );
        assert_eq!(judge("code == \"A\"", "code == \"B\""), "disjoint");
        assert_eq!(judge("code != \"A\"", "code == \"A\""), "disjoint");
        assert_eq!(judge("code != \"x\"", "code != \"B\""), "code = \"x1\"");
    }

    #[test]
    fn booleans_and_dates() {
        assert_eq!(judge("disabled", "not disabled"), "disjoint");
        assert_eq!(judge("disabled == true", "disabled == false"), "disjoint");
        assert_eq!(judge("disabled != true", "disabled"), "disjoint");
        assert_eq!(
            judge("disabled", "age >= 100 years"),
            "disabled = true, age = 100 years"
        );
        assert_eq!(judge("not disabled", "true"), "disabled = false");
        assert_eq!(judge("born < 1960-01-01", "born >= 1960-01-01"), "disjoint");
        assert_eq!(
            judge("born <= 1960-01-01", "born >= 1960-01-01"),
            "born = 1960-01-01"
        );
    }

    #[test]
    fn conjunctions_and_disjunctions() {
        assert_eq!(
            judge("age < 80 years and disabled", "age >= 80 years"),
            "disjoint"
        );
        assert_eq!(
            judge(
                "(age < 18 years or age >= 60 years) and disabled",
                "age >= 18 years and age < 60 years"
            ),
            "disjoint"
        );
        // `a or b` overlaps `c` when either does.
        assert_eq!(
            judge("age < 18 years or disabled", "age >= 18 years"),
            "disabled = true, age = 18 years"
        );
        assert_eq!(
            judge("not (age < 80 years or disabled)", "disabled"),
            "disjoint"
        );
        assert_eq!(
            judge(
                "not (age >= 80 years and disabled)",
                "disabled and age >= 81 years"
            ),
            "disjoint"
        );
        assert_eq!(
            judge(
                "if disabled then age < 60 years else false",
                "age >= 60 years"
            ),
            "disjoint"
        );
        assert_eq!(judge("n != 0 and n != 1", "n >= 0 and n <= 1"), "disjoint");
        assert_eq!(judge("n != 5", "n >= 5"), "n = 6");
        assert_eq!(judge("1 < 2", "true"), "");
        assert_eq!(judge("false", "disabled"), "disjoint");
    }

    #[test]
    fn witnesses_prefer_what_data_can_hold() {
        // Downwards from the bound the conditions set, in whole years.
        assert_eq!(judge("age < 18 years", "age < 16 years"), "age = 15 years");
        assert_eq!(
            judge("savings < 5 元", "savings < 3 元"),
            "savings = 2.9999 元"
        );
        // Below the field's minimum only a test could give, and that is still an overlap.
        assert_eq!(
            judge("savings < 0 元", "savings < 1 元"),
            "savings = -0.0001 元"
        );
        assert_eq!(judge("n != 0", "n != 1"), "n = 2");
    }

    #[test]
    fn unmodelled_values_are_never_claimed_to_overlap() {
        assert_eq!(judge("adult", "disabled"), "unproven");
        assert_eq!(
            judge("age > 20 years and adult", "age > 30 years"),
            "unproven"
        );
        assert_eq!(judge("income > 10 元 * n", "income < 5 元"), "unproven");
        assert_eq!(judge("floor(score) > 1", "n > 1"), "unproven");
    }

    #[test]
    fn the_same_unmodelled_value_is_one_value() {
        assert_eq!(judge("adult", "not adult"), "disjoint");
        assert_eq!(
            judge("income > 10 元 * n", "income <= 10 元 * n"),
            "disjoint"
        );
        assert_eq!(
            judge("10 元 * n < income", "income <= n * 10 元"),
            "unproven"
        );
        assert_eq!(
            judge("per_capita < 5 元", "not (per_capita < 5 元)"),
            "disjoint"
        );
        assert_eq!(judge("income / n > 3 元", "income / n < 2 元"), "disjoint");
    }

    #[test]
    fn too_many_cases_are_unproven() {
        // Each factor doubles the cases: 2⁹ is past the limit, 2⁷ is not.
        let factors = |k: i32| {
            (1..=k)
                .map(|i| format!("(disabled or n > {i})"))
                .collect::<Vec<_>>()
                .join(" and ")
        };
        assert_eq!(judge(&factors(9), "not disabled and n < 0"), "unproven");
        assert_eq!(judge(&factors(7), "not disabled and n < 0"), "disjoint");
    }

    /// The E0011 message of `grant` with unordered exceptions under `a` and `b`.
    fn message(a: &str, b: &str) -> Option<String> {
        let text = format!(
            "{SCHEMA}\nexception first to grant\n  when {a} = 1 元\n\
             exception second to grant\n  when {b} = 2 元\n"
        );
        let compiled = crate::compile_text("overlap.bylaw", &text);
        let found: Vec<_> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code == crate::diagnostics::codes::AMBIGUOUS_EXCEPTIONS)
            .map(|d| d.message.clone())
            .collect();
        assert!(found.len() <= 1, "{found:?}");
        found.into_iter().next()
    }

    #[test]
    fn the_checker_states_what_it_found() {
        assert_eq!(message("age < 80 years", "age >= 80 years"), None);
        assert_eq!(
            message("age >= 100 years", "disabled").as_deref(),
            Some(
                "two exceptions to `grant` both apply when age = 100 years and disabled = true, \
                 and neither comes first"
            )
        );
        assert_eq!(
            message("adult", "disabled").as_deref(),
            Some(
                "the checker cannot prove that two exceptions to `grant` never apply together, \
                 and neither comes first"
            )
        );
        assert_eq!(
            message("true", "1 < 2").as_deref(),
            Some("two exceptions to `grant` both apply to every input, and neither comes first")
        );
    }
}
