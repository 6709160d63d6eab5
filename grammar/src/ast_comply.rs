//! The syntax of services: catalogues of categories and services, obligations over persons
//! or stations (requirements, delivery standards, lights, coverage) and compliance tests
//! that run obligations over a small register and service log.

use crate::ast::{Expr, Ident, Meta, Record, Str, TestInput};
use crate::span::Span;

/// `catalogue C "label" { category … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueDecl {
    pub name: Ident,
    pub meta: Meta,
    pub categories: Vec<CategoryDecl>,
    pub span: Span,
}

/// `category K "label" code "A" { service … }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDecl {
    pub name: Ident,
    pub meta: Meta,
    pub code: Option<Str>,
    pub services: Vec<ServiceDecl>,
    pub span: Span,
}

/// `service S "label" code "A01" for group, group`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDecl {
    pub name: Ident,
    pub meta: Meta,
    pub code: Option<Str>,
    /// The rules naming who the service is for (any of them).
    pub serves: Vec<Ident>,
    pub span: Span,
}

/// `obligation O "label" for every ENTITY [where c] { parts }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObligationDecl {
    pub name: Ident,
    pub meta: Meta,
    pub entity: Ident,
    pub filter: Option<Expr>,
    pub parts: Vec<ObligationPart>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObligationPart {
    /// `require NAME "label" = condition`: a condition on the row itself (staffing, haves).
    Require {
        name: Ident,
        meta: Meta,
        condition: Expr,
    },
    /// `deliver NAME "label" = standard`: services delivered, counted from the log.
    Deliver {
        name: Ident,
        meta: Meta,
        standard: Delivery,
    },
    /// `light red when c`: the first light whose condition holds; the last has none.
    Light {
        colour: Colour,
        condition: Option<Expr>,
        meta: Meta,
        span: Span,
    },
    /// `coverage at least 100%`: the share of rows in scope that must meet the obligation.
    Coverage {
        digits: String,
        meta: Meta,
        span: Span,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colour {
    Red,
    Yellow,
    Green,
}

impl Colour {
    pub fn as_str(self) -> &'static str {
        match self {
            Colour::Red => "red",
            Colour::Yellow => "yellow",
            Colour::Green => "green",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bound {
    AtLeast,
    AtMost,
}

/// The windows a frequency is counted in; windows lie wholly inside the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Window {
    Day,
    Week,
    Month,
    Quarter,
    Year,
    Period,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Day => "day",
            Window::Week => "week",
            Window::Month => "month",
            Window::Quarter => "quarter",
            Window::Year => "year",
            Window::Period => "period",
        }
    }

    pub fn from_name(name: &str) -> Option<Window> {
        Some(match name {
            "day" => Window::Day,
            "week" => Window::Week,
            "month" => Window::Month,
            "quarter" => Window::Quarter,
            "year" => Window::Year,
            "period" => Window::Period,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// `at least 2 visit per month`.
    Frequency {
        bound: Bound,
        count: Str,
        services: Vec<Ident>,
        window: Window,
        span: Span,
    },
    /// `help within 7 days of requested_on`, or `within 15 working days of …` (工作日),
    /// counted over a calendar (`in C` names it).
    Deadline {
        services: Vec<Ident>,
        days: Str,
        working: bool,
        calendar: Option<Ident>,
        event: Ident,
        span: Span,
    },
}

/// `test "name" period 2023-07 { station {…} log {…} expect o for "key" = met }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplyTestDecl {
    pub name: Str,
    pub period: Str,
    pub inputs: Vec<TestInput>,
    pub log: Vec<Record>,
    pub expects: Vec<ComplyExpect>,
    pub span: Span,
}

/// `expect obligation[.part] for "key" = met|missed|not_applicable|red|yellow|green`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplyExpect {
    pub obligation: Ident,
    pub part: Option<Ident>,
    pub key: Str,
    pub outcome: Ident,
}
