//! The syntax tree of one Bylaw file, as written: names are unresolved and nothing is typed.
//! Every node that a diagnostic may point at carries a [`Span`].

use crate::span::Span;

pub use crate::ast_comply::*;

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A string literal's content (escapes resolved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Str {
    pub text: String,
    pub span: Span,
}

/// A calendar date as written (`2023-07-01`), validated when checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DateLit {
    pub text: String,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    Use(UseDecl),
    Policy(PolicyDecl),
    Enum(EnumDecl),
    Entity(EntityDecl),
    Parameter(ParameterDecl),
    Scale(ScaleDecl),
    Def(DefDecl),
    Exception(ExceptionDecl),
    Test(TestDecl),
    Scenario(ScenarioDecl),
    Set(SetDecl),
    Check(CheckDecl),
    Catalogue(CatalogueDecl),
    Obligation(ObligationDecl),
    ComplyTest(ComplyTestDecl),
    Target(TargetDecl),
    Calendar(CalendarDecl),
}

/// A working-day calendar: `calendar C "label" from D until D { holiday … working … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDecl {
    pub name: Ident,
    pub meta: Meta,
    /// The first and last day covered (both included).
    pub from: DateLit,
    pub until: DateLit,
    pub entries: Vec<CalendarEntry>,
    pub span: Span,
}

/// `holiday 2025-01-28 .. 2025-02-04 "春节"` or `working 2025-01-26 "调休上班"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarEntry {
    /// A working day (调休) rather than a holiday.
    pub working: bool,
    pub first: DateLit,
    /// The last day of a range (`..`, included).
    pub last: Option<DateLit>,
    pub meta: Meta,
    pub span: Span,
}

/// A reported figure that must add up: `check name "label" lhs = [about] rhs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckDecl {
    pub name: Ident,
    pub meta: Meta,
    pub lhs: Expr,
    pub about: bool,
    pub rhs: Expr,
    pub span: Span,
}

/// Labels, citations and notes: the clauses every declaration may carry.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Meta {
    pub label: Option<Str>,
    pub en: Option<Str>,
    pub sources: Vec<Citation>,
    pub assumed: Option<Str>,
    pub notes: Vec<Str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    pub document: Ident,
    pub quote: Str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UseDecl {
    pub path: Str,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyDecl {
    pub name: Ident,
    pub meta: Meta,
    pub effective: Option<DateLit>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDecl {
    pub name: Ident,
    pub meta: Meta,
    pub variants: Vec<Variant>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    pub name: Ident,
    pub meta: Meta,
    pub parent: Option<Ident>,
    pub level: Option<Ident>,
    pub code: Option<Str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityDecl {
    pub name: Ident,
    pub meta: Meta,
    /// `from started_on until ended_on`: an entity of dated records.
    pub dated: Option<(Ident, Ident)>,
    pub fields: Vec<FieldDecl>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDecl {
    pub name: Ident,
    pub ty: FieldType,
    pub meta: Meta,
    pub default: Option<Literal>,
    pub key: bool,
    /// The applicant cannot change it (age, hukou): "what would change the outcome"
    /// leaves it out.
    pub fixed: bool,
    /// `at least N`: for a relation the fewest children, for a number field its
    /// smallest value (`at least 0 元`).
    pub at_least: Option<Literal>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldType {
    Value(TypeExpr),
    Many(Ident),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Period {
    Month,
    Year,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    Money {
        period: Option<Period>,
        /// `per person`: shown as 元/人/月, no effect on arithmetic.
        per_person: bool,
        span: Span,
    },
    Named(Ident),
}

impl TypeExpr {
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Money { span, .. } => *span,
            TypeExpr::Named(ident) => ident.span,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub by: Option<Ident>,
    pub meta: Meta,
    pub values: Vec<ParamValue>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamValue {
    pub key: Option<Ident>,
    pub value: Literal,
    pub from: DateLit,
    pub meta: Meta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScaleKind {
    Single,
    Marginal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleDecl {
    pub name: Ident,
    pub kind: ScaleKind,
    pub input: TypeExpr,
    pub output: TypeExpr,
    pub meta: Meta,
    pub versions: Vec<ScaleVersion>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleVersion {
    pub from: DateLit,
    pub meta: Meta,
    pub brackets: Vec<Bracket>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bracket {
    pub threshold: Literal,
    pub value: Literal,
    pub meta: Meta,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefKind {
    Let,
    Rule,
    Amount,
    /// An amount whose top-level `+` terms are its channels.
    Fund,
}

/// `let`, `rule` and `amount` declarations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefDecl {
    pub kind: DefKind,
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub meta: Meta,
    pub entity: Option<Ident>,
    pub rounding: Option<Ident>,
    pub from: Option<DateLit>,
    pub until: Option<DateLit>,
    pub body: Expr,
    /// `at most` / `at least` / `in principle at most` clauses, applied in order.
    pub limits: Vec<Limit>,
    pub span: Span,
}

/// `[in principle] at most|least EXPR "label"`: a cap or floor on a definition's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// 原则上: the value is kept and the excess reported.
    pub principle: bool,
    /// `at most` (a cap) rather than `at least` (a floor).
    pub at_most: bool,
    pub value: Expr,
    pub meta: Meta,
    pub span: Span,
}

/// `target NAME "label" = covered / total [cost EXPR] { 30% by 2021-12-31 … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetDecl {
    pub name: Ident,
    pub meta: Meta,
    pub entity: Option<Ident>,
    pub body: Expr,
    /// What one more covered unit costs, for the shortfall in money.
    pub cost: Option<Expr>,
    pub milestones: Vec<Milestone>,
    pub span: Span,
}

/// `70% by 2023-12-31`: the share to reach by a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub value: Literal,
    pub by: DateLit,
    pub meta: Meta,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionDecl {
    pub name: Option<Ident>,
    pub target: Ident,
    pub meta: Meta,
    pub before: Vec<Ident>,
    pub condition: Expr,
    pub value: Expr,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestDecl {
    pub name: Str,
    pub at: DateLit,
    pub inputs: Vec<TestInput>,
    pub expects: Vec<Expectation>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestInput {
    pub entity: Ident,
    pub record: Record,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub fields: Vec<RecordField>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordField {
    pub name: Ident,
    pub value: RecordValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordValue {
    Literal(Literal),
    List(Vec<Record>, Span),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    Value { name: Ident, value: Literal },
    Error { code: Ident, within: Option<Ident> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioDecl {
    pub name: Ident,
    pub meta: Meta,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDecl {
    pub parameter: Ident,
    pub key: Option<Ident>,
    pub value: Literal,
    pub from: DateLit,
    pub meta: Meta,
    pub span: Span,
}

// ---------------------------------------------------------------------------------------
// Literals and expressions
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    Yuan,
    Wan,
    Yi,
    Percent,
    Days,
    Months,
    Years,
    /// Years of age as people count them (周岁, also written 岁): years, kept as written.
    Age,
}

impl Unit {
    /// The canonical spelling, as `bylaw fmt` writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Yuan => "元",
            Unit::Wan => "万元",
            Unit::Yi => "亿元",
            Unit::Percent => "%",
            Unit::Days => "days",
            Unit::Months => "months",
            Unit::Years => "years",
            Unit::Age => "周岁",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Literal {
    pub kind: LitKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LitKind {
    /// A decimal number as written (`1338.50`), with its unit and period.
    Number {
        negative: bool,
        digits: String,
        unit: Option<Unit>,
        per: Option<Period>,
    },
    Date(String),
    Bool(bool),
    Text(String),
    None,
    /// A bare name (`guangzhou`) or a dotted one (`region.guangzhou`): an enumeration variant.
    Path(Vec<Ident>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }

    /// Binding strength: higher binds tighter.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 4,
            BinOp::Add | BinOp::Sub => 5,
            BinOp::Mul | BinOp::Div => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 4
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFn {
    Count,
    Sum,
    Min,
    Max,
    Any,
    All,
}

impl AggFn {
    pub fn from_name(name: &str) -> Option<AggFn> {
        Some(match name {
            "count" => AggFn::Count,
            "sum" => AggFn::Sum,
            "min" => AggFn::Min,
            "max" => AggFn::Max,
            "any" => AggFn::Any,
            "all" => AggFn::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AggFn::Count => "count",
            AggFn::Sum => "sum",
            AggFn::Min => "min",
            AggFn::Max => "max",
            AggFn::Any => "any",
            AggFn::All => "all",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExprKind {
    Literal(LitKind),
    /// `name`, `household.city`, `hukou_type.local`.
    Path(Vec<Ident>),
    Index {
        base: Box<Expr>,
        index: Box<Expr>,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    If {
        condition: Box<Expr>,
        then: Box<Expr>,
        otherwise: Box<Expr>,
    },
    Call {
        function: Ident,
        args: Vec<Expr>,
    },
    Aggregate {
        function: AggFn,
        function_span: Span,
        relation: Ident,
        body: Option<Box<Expr>>,
        filter: Option<Box<Expr>>,
        default: Option<Box<Expr>>,
    },
    /// A history function over a relation of dated records:
    /// `continuous_months(stays where place == region.nansha, applied_on)`.
    History(Box<HistoryCall>),
    Paren(Box<Expr>),
    /// `x[last year]`: x for the year before the row's year.
    LastYear(Box<Expr>),
}

/// A history function's call (boxed in [`ExprKind::History`] to keep nodes small).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryCall {
    pub function: Ident,
    pub relation: Ident,
    pub filter: Option<Expr>,
    pub dates: Vec<Expr>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_nodes_stay_small() {
        // A regression guard: the tree is walked for every policy, keep nodes lean.
        assert!(
            std::mem::size_of::<Expr>() <= 96,
            "{}",
            std::mem::size_of::<Expr>()
        );
    }
}
