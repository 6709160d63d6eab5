//! The checked form of catalogues, obligations and compliance tests: names resolved to
//! services, rules and entities; conditions and event dates as IR expressions.

use bylaw_grammar::ast::{Bound, Colour, Window};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::batch::Batch;
use bylaw_runtime::period::{Period, WindowKind};
use bylaw_runtime::schema::EntityId;
use bylaw_runtime::servicelog::ServiceLog;

use crate::ir::{DefId, ExprId, Origin};

/// Everything `bylaw comply` evaluates, in declaration order.
#[derive(Debug, Clone, Default)]
pub struct ComplySpec {
    pub catalogues: Vec<Catalogue>,
    pub categories: Vec<Category>,
    pub services: Vec<Service>,
    pub obligations: Vec<Obligation>,
    pub tests: Vec<ComplyTest>,
}

#[derive(Debug, Clone)]
pub struct Catalogue {
    pub name: String,
    pub origin: Origin,
    pub categories: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Category {
    pub name: String,
    pub code: String,
    pub origin: Origin,
    pub catalogue: usize,
    pub services: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// The stable code a service log names it by.
    pub code: String,
    pub origin: Origin,
    pub category: usize,
    /// Rules (of `group_entity`) naming whom the service is for; empty: anyone.
    pub groups: Vec<DefId>,
    pub group_entity: Option<EntityId>,
}

#[derive(Debug, Clone)]
pub struct Obligation {
    pub name: String,
    pub origin: Origin,
    /// Each row of this entity is judged.
    pub entity: EntityId,
    /// Rows where this holds are in scope; `None`: every row.
    pub filter: Option<ExprId>,
    pub parts: Vec<Part>,
    /// In order; the last has no condition.
    pub lights: Vec<Light>,
    pub coverage: Option<Coverage>,
}

#[derive(Debug, Clone)]
pub struct Part {
    pub name: String,
    pub origin: Origin,
    pub kind: PartKind,
}

#[derive(Debug, Clone)]
pub enum PartKind {
    /// A condition on the row (staffing, facilities).
    Require(ExprId),
    /// `at least / at most N of services per window`.
    Frequency {
        bound: Bound,
        count: u32,
        services: Vec<usize>,
        window: Window,
    },
    /// `services within N days of event`, or `within N working days` (工作日) counted
    /// over `calendar`.
    Deadline {
        services: Vec<usize>,
        days: u32,
        calendar: Option<crate::ir::CalendarId>,
        event: ExprId,
        event_name: String,
    },
}

#[derive(Debug, Clone)]
pub struct Light {
    pub colour: Colour,
    pub condition: Option<Cond>,
    pub origin: Origin,
}

/// A light's condition over the parts of its obligation (a part is true when met).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    Part(usize),
    Const(bool),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
}

impl Cond {
    /// Evaluates with `met(part)`.
    pub fn eval(&self, met: &dyn Fn(usize) -> bool) -> bool {
        match self {
            Cond::Part(p) => met(*p),
            Cond::Const(b) => *b,
            Cond::Not(c) => !c.eval(met),
            Cond::And(a, b) => a.eval(met) && b.eval(met),
            Cond::Or(a, b) => a.eval(met) || b.eval(met),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Coverage {
    /// Millionths of 1 (100% = 1 000 000).
    pub rate: i64,
    pub origin: Origin,
}

/// A `test … period P { … }` block: a register, a log and expected outcomes.
#[derive(Debug, Clone)]
pub struct ComplyTest {
    pub name: String,
    pub file: FileId,
    pub span: Span,
    pub period: Period,
    pub batch: Batch,
    pub log: ServiceLog,
    pub expects: Vec<ComplyExpectation>,
}

#[derive(Debug, Clone)]
pub struct ComplyExpectation {
    pub obligation: usize,
    pub part: Option<usize>,
    pub key: String,
    pub outcome: Expected,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expected {
    Met,
    Missed,
    NotApplicable,
    OutOfScope,
    Light(Colour),
}

impl Expected {
    pub fn from_name(name: &str) -> Option<Expected> {
        Some(match name {
            "met" => Expected::Met,
            "missed" => Expected::Missed,
            "not_applicable" => Expected::NotApplicable,
            "out_of_scope" => Expected::OutOfScope,
            "red" => Expected::Light(Colour::Red),
            "yellow" => Expected::Light(Colour::Yellow),
            "green" => Expected::Light(Colour::Green),
            _ => return None,
        })
    }

    pub const NAMES: &'static [&'static str] = &[
        "met",
        "missed",
        "not_applicable",
        "out_of_scope",
        "red",
        "yellow",
        "green",
    ];
}

/// The runtime's window for a grammar window.
pub(crate) fn window_kind(w: Window) -> WindowKind {
    match w {
        Window::Day => WindowKind::Day,
        Window::Week => WindowKind::Week,
        Window::Month => WindowKind::Month,
        Window::Quarter => WindowKind::Quarter,
        Window::Year => WindowKind::Year,
        Window::Period => WindowKind::Period,
    }
}
