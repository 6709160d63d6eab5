//! Types with units, and the arithmetic each operator means on them.

use bylaw_runtime::arith::{MICRO, MONEY_SCALE};

use crate::ir::EnumId;

/// How often a money amount recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Per {
    /// A stock or one-off amount (`money`).
    Once,
    Month,
    Year,
    /// A literal without a period: takes the period of what it meets.
    Any,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ty {
    Money(Per),
    Rate,
    Count,
    Decimal,
    Days,
    Months,
    Date,
    Bool,
    Text,
    Enum(EnumId),
}

impl Ty {
    /// The fixed-point scale of the i64 that holds a value of this type.
    pub fn scale(self) -> i64 {
        match self {
            Ty::Money(_) => MONEY_SCALE,
            Ty::Rate | Ty::Decimal => MICRO,
            _ => 1,
        }
    }

    pub fn is_money(self) -> bool {
        matches!(self, Ty::Money(_))
    }

    /// Numbers held as i64 (everything but dates, booleans, text and enumerations).
    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            Ty::Money(_) | Ty::Rate | Ty::Count | Ty::Decimal | Ty::Days | Ty::Months
        )
    }

    /// The common type of two values that must agree (comparison, `if` branches), or
    /// `None`. A period-less money literal adopts the other side's period.
    pub(crate) fn unify(self, other: Ty) -> Option<Ty> {
        match (self, other) {
            (Ty::Money(a), Ty::Money(b)) => match (a, b) {
                (Per::Any, p) | (p, Per::Any) => Some(Ty::Money(p)),
                (a, b) if a == b => Some(Ty::Money(a)),
                _ => None,
            },
            (a, b) if a == b => Some(a),
            _ => None,
        }
    }

    /// Does a value of type `self` fit where `declared` is expected?
    pub fn fits(self, declared: Ty) -> bool {
        self.unify(declared) == Some(declared)
    }

    pub fn name(self, enums: &[String]) -> String {
        match self {
            Ty::Money(Per::Once) | Ty::Money(Per::Any) => "money".into(),
            Ty::Money(Per::Month) => "money per month".into(),
            Ty::Money(Per::Year) => "money per year".into(),
            Ty::Rate => "rate".into(),
            Ty::Count => "count".into(),
            Ty::Decimal => "decimal".into(),
            Ty::Days => "days".into(),
            Ty::Months => "months".into(),
            Ty::Date => "date".into(),
            Ty::Bool => "bool".into(),
            Ty::Text => "text".into(),
            Ty::Enum(e) => enums
                .get(e.0 as usize)
                .cloned()
                .unwrap_or_else(|| "enumeration".into()),
        }
    }
}

/// What an arithmetic operator does on the i64 representations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    Add,
    Sub,
    /// `a × b`, exact.
    Mul,
    /// `a × b ÷ divisor`, rounded half away from zero.
    MulScaled(i64),
    /// `a × scale ÷ b`, rounded half away from zero.
    DivScaled(i64),
    DateAddDays,
    DateSubDays,
    DateAddMonths,
    DateSubMonths,
}

/// The result type and operation of `lhs op rhs`, or `None` when the units do not mix.
pub fn arith(op: bylaw_grammar::ast::BinOp, lhs: Ty, rhs: Ty) -> Option<(Ty, ArithOp)> {
    use Ty::*;
    use bylaw_grammar::ast::BinOp::*;
    let additive = |o: ArithOp| -> Option<(Ty, ArithOp)> {
        match (lhs, rhs) {
            (Date, Days) => Some((
                Date,
                if o == ArithOp::Add {
                    ArithOp::DateAddDays
                } else {
                    ArithOp::DateSubDays
                },
            )),
            (Date, Months) => Some((
                Date,
                if o == ArithOp::Add {
                    ArithOp::DateAddMonths
                } else {
                    ArithOp::DateSubMonths
                },
            )),
            (Money(_), Money(_)) => lhs.unify(rhs).map(|t| (t, o)),
            (a, b) if a == b && matches!(a, Rate | Count | Decimal | Days | Months) => Some((a, o)),
            _ => None,
        }
    };
    match op {
        Add => additive(ArithOp::Add),
        Sub => additive(ArithOp::Sub),
        Mul => match (lhs, rhs) {
            (Money(p), Count) | (Count, Money(p)) => Some((Money(p), ArithOp::Mul)),
            (Money(p), Rate | Decimal) | (Rate | Decimal, Money(p)) => {
                Some((Money(p), ArithOp::MulScaled(MICRO)))
            }
            (Count, Count) => Some((Count, ArithOp::Mul)),
            (Count, Rate) | (Rate, Count) => Some((Decimal, ArithOp::Mul)),
            (Count, Decimal) | (Decimal, Count) => Some((Decimal, ArithOp::Mul)),
            (Rate, Rate) => Some((Rate, ArithOp::MulScaled(MICRO))),
            (Rate, Decimal) | (Decimal, Rate) => Some((Rate, ArithOp::MulScaled(MICRO))),
            (Decimal, Decimal) => Some((Decimal, ArithOp::MulScaled(MICRO))),
            (Days, Count) | (Count, Days) => Some((Days, ArithOp::Mul)),
            (Months, Count) | (Count, Months) => Some((Months, ArithOp::Mul)),
            // A monthly flow over a number of months is a sum of money ("24 months of
            // the standard").
            (Money(Per::Month | Per::Any), Months) | (Months, Money(Per::Month | Per::Any)) => {
                Some((Money(Per::Once), ArithOp::Mul))
            }
            _ => None,
        },
        Div => match (lhs, rhs) {
            (Money(p), Count) => Some((Money(p), ArithOp::DivScaled(1))),
            // A sum spread over months is a monthly flow (exact, like any quotient).
            (Money(Per::Once | Per::Any), Months) => {
                Some((Money(Per::Month), ArithOp::DivScaled(1)))
            }
            (Money(p), Rate | Decimal) => Some((Money(p), ArithOp::DivScaled(MICRO))),
            (Money(_), Money(_)) if lhs.unify(rhs).is_some() => {
                // Both hold 0.0001 元 units; the ratio is a decimal in millionths.
                Some((Decimal, ArithOp::DivScaled(MICRO)))
            }
            (Count, Count) | (Decimal, Decimal) | (Rate, Rate) => {
                Some((Decimal, ArithOp::DivScaled(MICRO)))
            }
            (Decimal, Count) => Some((Decimal, ArithOp::DivScaled(1))),
            (Rate, Count) => Some((Rate, ArithOp::DivScaled(1))),
            (Count, Decimal) => Some((Decimal, ArithOp::DivScaled(MICRO * MICRO))),
            _ => None,
        },
        _ => None,
    }
}

/// Is this a mix of monthly and yearly money (reported with its own code)?
pub(crate) fn is_period_mix(lhs: Ty, rhs: Ty) -> bool {
    matches!(
        (lhs, rhs),
        (Ty::Money(Per::Month), Ty::Money(Per::Year))
            | (Ty::Money(Per::Year), Ty::Money(Per::Month))
    )
}
