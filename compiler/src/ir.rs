//! The checked program: names resolved to ids, every expression typed, stored in one arena
//! (`ExprId` → [`Node`]) with side tables for types and source positions. The interpreter
//! walks it; later backends compile it.

use std::sync::Arc;

use bylaw_grammar::ast::{self, AggFn};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::arith::RoundingMode;
use bylaw_runtime::schema::{EntityId, FieldId, Schema};

use crate::duration::DurationUnit;
use crate::types::{ArithOp, Ty};

macro_rules! id {
    ($($name:ident),*) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);
        impl $name {
            pub fn index(self) -> usize { self.0 as usize }
        }
    )*};
}
id!(ExprId, DefId, ParamId, ScaleId, EnumId, CalendarId);

/// A run-time value. Numbers are i64 scaled per their type (see [`Ty::scale`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Int(i64),
    Bool(bool),
    Date(i32),
    Enum(u32),
    Text(Arc<str>),
}

/// Where a declaration was written, and what it says about itself.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub file: Option<FileId>,
    pub span: Span,
    pub meta: ast::Meta,
}

#[derive(Debug, Clone)]
pub struct EnumDef {
    pub name: String,
    pub origin: Origin,
    pub variants: Vec<VariantDef>,
    /// Each variant's name and code to its index (the first variant that has it), so that
    /// a lookup takes the same time in an enumeration of every village of the country.
    pub index: std::collections::HashMap<String, u32>,
}

impl EnumDef {
    /// The index of the variant named or coded `key`.
    pub fn find(&self, key: &str) -> Option<u32> {
        self.index.get(key).copied()
    }
}

#[derive(Debug, Clone)]
pub struct VariantDef {
    pub name: String,
    pub label: String,
    pub parent: Option<u32>,
    pub level: Option<String>,
    pub code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    PerYear,
    PerMonth,
    MonthsBetween,
    DaysBetween,
    /// Whole years completed (周岁), as months: twelve times
    /// [`years_between`](bylaw_runtime::date::years_between).
    YearsBetween,
    /// A day of the calendar found from a date (`month_end(d)`).
    Calendar(bylaw_runtime::date::CalendarDay),
    /// The date the policy is evaluated at (`evaluation_date`; no arguments).
    EvaluationDate,
    Floor(i64),
    Ceil(i64),
    RoundFen(RoundingMode),
    /// `add_working_days(d, n)`: the `n`th working day after `d` in the calendar.
    AddWorkingDays(CalendarId),
    /// `working_days_between(a, b)`: working days after `a` up to and including `b`.
    WorkingDaysBetween(CalendarId),
}

/// One expression node; children are [`ExprId`]s into the same arena.
#[derive(Debug, Clone)]
pub enum Node {
    Const(Value),
    /// A field of the row of `entity` in the current frame.
    Field {
        entity: EntityId,
        field: FieldId,
    },
    Def(DefId),
    Param {
        param: ParamId,
        key: Option<ExprId>,
    },
    Scale {
        scale: ScaleId,
        arg: ExprId,
    },
    Neg(ExprId),
    Not(ExprId),
    Arith {
        op: ArithOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    Cmp {
        op: CmpOp,
        lhs: ExprId,
        rhs: ExprId,
    },
    And(ExprId, ExprId),
    Or(ExprId, ExprId),
    If {
        condition: ExprId,
        then: ExprId,
        otherwise: ExprId,
    },
    MinMax {
        max: bool,
        args: Vec<ExprId>,
    },
    Call {
        builtin: Builtin,
        args: Vec<ExprId>,
    },
    Aggregate {
        function: AggFn,
        /// The entity that owns the relation, its relation index, and the child entity.
        owner: EntityId,
        relation: usize,
        child: EntityId,
        body: Option<ExprId>,
        filter: Option<ExprId>,
        default: Option<ExprId>,
    },
    /// A fold over a relation of dated records, in order of their first day
    /// (`continuous_months(stays where …, applied_on)`; see [`bylaw_runtime::history`]).
    History {
        function: bylaw_runtime::history::HistoryFn,
        /// The entity that owns the relation, its relation index, and the child entity.
        owner: EntityId,
        relation: usize,
        child: EntityId,
        /// Which records count, read in the child's frame.
        filter: Option<ExprId>,
        /// The child's first-day and last-day fields.
        dated: bylaw_runtime::schema::Dated,
        /// The dates the fold counts to, read in the owner's frame: `d`, or the window's
        /// first and last day.
        dates: Vec<ExprId>,
    },
    /// `x[last year]`: a field of the yearly entity read from the row of the same region
    /// one year earlier, or a parameter read on 1 January of the previous year.
    LastYear(ExprId),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
    Let,
    Rule,
    Amount,
    /// An amount whose top-level `+` terms are its channels.
    Fund,
}

#[derive(Debug, Clone)]
pub struct Exception {
    pub name: Option<String>,
    pub origin: Origin,
    pub condition: ExprId,
    pub value: ExprId,
}

/// One dated version of a definition's base.
#[derive(Debug, Clone)]
pub struct DefVersion {
    pub from: Option<i32>,
    pub until: Option<i32>,
    pub body: ExprId,
    pub origin: Origin,
    /// Caps and floors on the body's value, applied in order (exceptions bypass them).
    pub limits: Vec<Limit>,
}

/// `[in principle] at most|least EXPR`.
#[derive(Debug, Clone)]
pub struct Limit {
    /// 原则上: the value is kept; the excess is only reported.
    pub principle: bool,
    pub at_most: bool,
    pub value: ExprId,
    pub origin: Origin,
}

/// A coverage target: `covered / total` against dated milestones.
#[derive(Debug, Clone)]
pub struct TargetDef {
    pub name: String,
    pub entity: EntityId,
    pub covered: ExprId,
    pub total: ExprId,
    /// Money per unit of shortfall, if the policy gives a cost model.
    pub cost: Option<ExprId>,
    /// (share in millionths, deadline), deadlines rising.
    pub milestones: Vec<Milestone>,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Milestone {
    pub share: i64,
    pub by: i32,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Def {
    pub name: String,
    pub kind: DefKind,
    pub entity: EntityId,
    pub ty: Ty,
    pub versions: Vec<DefVersion>,
    /// In priority order: the first whose condition holds wins.
    pub exceptions: Vec<Exception>,
    /// Amounts are rounded to the fen with this mode.
    pub rounding: Option<RoundingMode>,
    pub origin: Origin,
    /// The unit a duration definition is shown in (its declared type, its bodies).
    pub unit: DurationUnit,
    /// Declared `money per person …`: shown as 元/人/月.
    pub per_person: bool,
}

#[derive(Debug, Clone)]
pub struct ParamEntry {
    pub key: Option<u32>,
    /// `None` ends validity (`none from D`).
    pub value: Option<Value>,
    pub from: i32,
    pub origin: Origin,
}

#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub ty: Ty,
    pub by: Option<EnumId>,
    /// Sorted by key, then by date (the checker and scenarios keep it so): a key's value
    /// at a date is found by binary search.
    pub entries: Vec<ParamEntry>,
    pub origin: Origin,
    /// Declared `money per person …`: shown as 元/人/月.
    pub per_person: bool,
    /// The unit a duration parameter is shown in (its declared type, its values).
    pub unit: DurationUnit,
}

#[derive(Debug, Clone)]
pub struct ScaleVersion {
    pub from: i32,
    /// (threshold, value), thresholds strictly rising.
    pub brackets: Vec<(Value, Value)>,
}

#[derive(Debug, Clone)]
pub struct ScaleDef {
    pub name: String,
    pub marginal: bool,
    pub input: Ty,
    pub output: Ty,
    pub versions: Vec<ScaleVersion>,
    pub origin: Origin,
    /// The units durations in and out are shown in (declared types, brackets).
    pub input_unit: DurationUnit,
    pub output_unit: DurationUnit,
}

/// A working-day calendar (`calendar`): the days it covers and which are working.
#[derive(Debug, Clone)]
pub struct CalendarDef {
    pub name: String,
    pub origin: Origin,
    /// The first and last day covered (both included).
    pub first: i32,
    pub last: i32,
    /// The declared holidays and adjusted working days (调休), as written.
    pub entries: Vec<CalendarDay>,
    /// The table every backend counts over ([`bylaw_runtime::workdays::encode`]).
    pub table: Vec<i64>,
}

/// One `holiday` or `working` line of a calendar: a day or a range of days.
#[derive(Debug, Clone)]
pub struct CalendarDay {
    pub working: bool,
    pub first: i32,
    pub last: i32,
    pub origin: Origin,
}

/// A test block, checked against the schema.
#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub date: i32,
    pub file: FileId,
    pub span: Span,
    pub batch: bylaw_runtime::batch::Batch,
    /// The root row the expectations are about (a yearly table's test has a row per year).
    pub row: usize,
    pub expects: Vec<Expect>,
}

#[derive(Debug, Clone)]
pub enum Expect {
    Value {
        def: DefId,
        value: Value,
        span: Span,
    },
    Error {
        code: String,
        within: Option<DefId>,
        span: Span,
    },
}

/// A reported figure that must add up (`check`).
#[derive(Debug, Clone)]
pub struct CheckCase {
    pub name: String,
    pub origin: Origin,
    pub lhs: ExprId,
    pub rhs: ExprId,
    /// For `about`: how far apart the sides may be, in the value's units.
    pub tolerance: i64,
}

/// A scenario's replacement of a parameter value.
#[derive(Debug, Clone)]
pub struct Override {
    pub param: ParamId,
    pub key: Option<u32>,
    pub value: Value,
    pub from: i32,
}

#[derive(Debug, Clone, Default)]
pub struct PolicyInfo {
    pub name: String,
    pub origin: Origin,
    pub effective: Option<i32>,
}

/// What the source says about an input entity, for explanations.
#[derive(Debug, Clone, Default)]
pub struct EntityDoc {
    pub origin: Origin,
    pub fields: Vec<FieldDoc>,
    pub relations: Vec<Origin>,
}

#[derive(Debug, Clone, Default)]
pub struct FieldDoc {
    pub origin: Origin,
    /// Not changeable by the applicant (age, hukou).
    pub fixed: bool,
    /// Declared `money per person …`: shown as 元/人/月.
    pub per_person: bool,
    /// The unit a duration field is declared in (`months`, `years`, `周岁`).
    pub unit: DurationUnit,
}

/// Was this type written `money per person …`?
pub fn per_person(t: Option<&bylaw_grammar::ast::TypeExpr>) -> bool {
    matches!(
        t,
        Some(bylaw_grammar::ast::TypeExpr::Money {
            per_person: true,
            ..
        })
    )
}

/// A checked program.
#[derive(Debug, Clone)]
pub struct Program {
    pub policy: Option<PolicyInfo>,
    pub schema: Schema,
    pub enums: Vec<EnumDef>,
    pub defs: Vec<Def>,
    pub params: Vec<Param>,
    pub scales: Vec<ScaleDef>,
    /// Working-day calendars, in declaration order.
    pub calendars: Vec<CalendarDef>,
    pub tests: Vec<TestCase>,
    /// Reconciliation checks, all of which held when the program was built.
    pub checks: Vec<CheckCase>,
    /// Coverage targets over the yearly entity.
    pub targets: Vec<TargetDef>,
    /// Labels, citations and `fixed` flags of the input schema, by entity, field and
    /// relation (indexed like the schema).
    pub docs: Vec<EntityDoc>,
    pub nodes: Vec<Node>,
    pub types: Vec<Ty>,
    /// By expression, the unit a duration is shown in; for a comparison, the unit both
    /// sides are shown in. Meaningless for other expressions (months).
    pub units: Vec<DurationUnit>,
    pub spans: Vec<(FileId, Span)>,
    /// The root entity's definitions in declaration order: the output columns.
    pub outputs: Vec<DefId>,
    /// Catalogues, obligations and compliance tests (`bylaw comply`).
    pub comply: crate::comply::ComplySpec,
}

impl Program {
    pub fn node(&self, id: ExprId) -> &Node {
        // INVARIANT: ids are only made by the checker, for nodes it pushed.
        &self.nodes[id.index()]
    }

    pub fn ty(&self, id: ExprId) -> Ty {
        self.types[id.index()]
    }

    /// The unit duration `id` is shown in (for a comparison, the unit of both sides).
    pub fn unit(&self, id: ExprId) -> DurationUnit {
        self.units.get(id.index()).copied().unwrap_or_default()
    }

    pub fn def(&self, id: DefId) -> &Def {
        &self.defs[id.index()]
    }

    pub fn def_by_name(&self, name: &str) -> Option<DefId> {
        self.defs
            .iter()
            .position(|d| d.name == name)
            .map(|i| DefId(i as u32))
    }

    pub(crate) fn enum_names(&self) -> Vec<String> {
        self.enums.iter().map(|e| e.name.clone()).collect()
    }

    /// The name of `ty` as policies write it (`money per month`, an enumeration's name).
    pub fn type_name(&self, ty: Ty) -> String {
        ty.name(&self.enum_names())
    }
}
