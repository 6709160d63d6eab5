//! The Guangdong dibao policy (`policies/guangdong/dibao.bylaw`) written by hand in
//! Rust over the batch's columns: the baseline native code is measured against.
//!
//! It computes the same nine outputs with the same semantics — checked `i64`
//! arithmetic, the per-capita quotient kept exact (compared as `total < standard ×
//! count`, shown rounded half away from zero to 0.0001 元) and the benefit computed
//! exactly and rounded half up to the fen, and the same
//! per-household error (kind and definition) the interpreter reports, in the
//! interpreter's order of evaluation. The city standards are the parameter's values in
//! force at the date, with region fallback, looked up once (as hand-written code would
//! keep a table).

use bylaw_compiler::interp::{InForce, ParamAtDate};
use bylaw_compiler::ir::{Program, Value};
use bylaw_runtime::arith::{self, ArithError};
use bylaw_runtime::batch::Batch;
use bylaw_runtime::schema::FieldId;
use std::ops::Range;

/// The outputs, in the policy's declaration order (the interpreter's output order).
pub const OUTPUTS: [&str; 9] = [
    "standard",
    "member_count",
    "total_income",
    "per_capita_income",
    "income_below_standard",
    "vetoed",
    "no_double_benefit",
    "eligible",
    "benefit",
];

const STANDARD: u8 = 0;
const TOTAL_INCOME: u8 = 2;
const PER_CAPITA: u8 = 3;
const BENEFIT: u8 = 8;

/// No error.
pub const OK: u8 = 0;
/// Arithmetic overflow.
pub const OVERFLOW: u8 = 1;
/// Division by zero.
pub const DIV_ZERO: u8 = 2;
/// A parameter with no value.
pub const MISSING: u8 = 3;

/// The dibao policy's columns and standards, ready to evaluate batches.
#[derive(Debug, Clone)]
pub struct HandDibao {
    /// Per region variant: the standard in force (0.0001 元), if any.
    standards: Vec<Option<i64>>,
    city: FieldId,
    income: FieldId,
    large_financial_assets: FieldId,
    car_transaction: FieldId,
    house_transaction: FieldId,
    dibao_elsewhere: FieldId,
}

/// Results of a range of households, one column per output (booleans as 0/1), and
/// per household an error kind ([`OK`] …) and the output it happened in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandOut {
    pub standard: Vec<i64>,
    pub member_count: Vec<i64>,
    pub total_income: Vec<i64>,
    pub per_capita_income: Vec<i64>,
    pub income_below_standard: Vec<u8>,
    pub vetoed: Vec<u8>,
    pub no_double_benefit: Vec<u8>,
    pub eligible: Vec<u8>,
    pub benefit: Vec<i64>,
    pub error: Vec<u8>,
    /// Index into [`OUTPUTS`] of the definition that failed.
    pub error_in: Vec<u8>,
}

impl HandOut {
    /// Empty columns with room for `n` households.
    #[must_use]
    pub fn with_capacity(n: usize) -> HandOut {
        HandOut {
            standard: Vec::with_capacity(n),
            member_count: Vec::with_capacity(n),
            total_income: Vec::with_capacity(n),
            per_capita_income: Vec::with_capacity(n),
            income_below_standard: Vec::with_capacity(n),
            vetoed: Vec::with_capacity(n),
            no_double_benefit: Vec::with_capacity(n),
            eligible: Vec::with_capacity(n),
            benefit: Vec::with_capacity(n),
            error: Vec::with_capacity(n),
            error_in: Vec::with_capacity(n),
        }
    }

    /// `n` rows, zero (no error) until written.
    fn resize(&mut self, n: usize) {
        self.standard.resize(n, 0);
        self.member_count.resize(n, 0);
        self.total_income.resize(n, 0);
        self.per_capita_income.resize(n, 0);
        self.income_below_standard.resize(n, 0);
        self.vetoed.resize(n, 0);
        self.no_double_benefit.resize(n, 0);
        self.eligible.resize(n, 0);
        self.benefit.resize(n, 0);
        self.error.resize(n, OK);
        self.error_in.resize(n, 0);
    }

    fn clear(&mut self) {
        self.standard.clear();
        self.member_count.clear();
        self.total_income.clear();
        self.per_capita_income.clear();
        self.income_below_standard.clear();
        self.vetoed.clear();
        self.no_double_benefit.clear();
        self.eligible.clear();
        self.benefit.clear();
        self.error.clear();
        self.error_in.clear();
    }

    /// Household `i` as the interpreter reports it: every output, or the error's code
    /// and the name of the definition it happened in.
    #[must_use]
    pub fn row(&self, i: usize) -> Option<Result<Vec<Value>, (&'static str, &'static str)>> {
        let error = *self.error.get(i)?;
        if error != OK {
            let code = match error {
                OVERFLOW => ArithError::Overflow.code(),
                DIV_ZERO => ArithError::DivisionByZero.code(),
                _ => "missing_value",
            };
            let within = OUTPUTS.get(*self.error_in.get(i)? as usize)?;
            return Some(Err((code, within)));
        }
        let b = |v: &[u8]| v.get(i).map(|x| Value::Bool(*x != 0));
        let n = |v: &[i64]| v.get(i).map(|x| Value::Int(*x));
        Some(Ok(vec![
            n(&self.standard)?,
            n(&self.member_count)?,
            n(&self.total_income)?,
            n(&self.per_capita_income)?,
            b(&self.income_below_standard)?,
            b(&self.vetoed)?,
            b(&self.no_double_benefit)?,
            b(&self.eligible)?,
            n(&self.benefit)?,
        ]))
    }
}

/// One household's outputs before they are stored.
#[derive(Default)]
struct Row {
    standard: i64,
    count: i64,
    total: i64,
    per_capita: i64,
    below: bool,
    vetoed: bool,
    no_double: bool,
    eligible: bool,
    benefit: i64,
}

impl HandDibao {
    /// Prepares the dibao policy at `date`.
    ///
    /// # Errors
    /// A sentence if `program` is not the dibao policy (other outputs or fields).
    pub fn new(program: &Program, date: i32) -> Result<HandDibao, String> {
        let names: Vec<&str> = program
            .outputs
            .iter()
            .map(|d| program.def(*d).name.as_str())
            .collect();
        if names != OUTPUTS {
            return Err(format!(
                "the hand-written loop is the dibao policy's (outputs {}); this policy's outputs are {}",
                OUTPUTS.join(", "),
                names.join(", ")
            ));
        }
        let root = program.schema.root_entity().ok_or("no root entity")?;
        let person = program
            .schema
            .entities
            .iter()
            .find(|e| e.name == "person")
            .ok_or("no `person` entity")?;
        let field = |name: &str| {
            root.field_id(name)
                .ok_or_else(|| format!("no household field `{name}`"))
        };
        let param = program
            .params
            .iter()
            .position(|p| p.name == "dibao_standard")
            .ok_or("no parameter `dibao_standard`")?;
        let standards = match InForce::new(program, date).params.get(param) {
            Some(ParamAtDate::Keyed(values)) => values
                .iter()
                .map(|v| match v {
                    Some(Value::Int(x)) => Some(*x),
                    _ => None,
                })
                .collect(),
            _ => return Err("`dibao_standard` is not keyed by region".to_owned()),
        };
        Ok(HandDibao {
            standards,
            city: field("city")?,
            income: person
                .field_id("income")
                .ok_or("no person field `income`")?,
            large_financial_assets: field("large_financial_assets")?,
            car_transaction: field("car_transaction")?,
            house_transaction: field("house_transaction")?,
            dibao_elsewhere: field("dibao_elsewhere")?,
        })
    }

    /// Evaluates root rows `rows` of `batch` into `out` (cleared first). Rows past the
    /// end, or a batch without the policy's columns, give no rows.
    pub fn eval(&self, batch: &Batch, rows: Range<usize>, out: &mut HandOut) {
        out.clear();
        let Some(root) = batch.entity(batch.root) else {
            return;
        };
        let Some(offsets) = root.children.first() else {
            return;
        };
        let members = batch
            .entities
            .iter()
            .position(|e| !std::ptr::eq(e, root))
            .and_then(|i| batch.entities.get(i));
        let (Some(city), Some(lfa), Some(car), Some(house), Some(elsewhere), Some(income)) = (
            root.enum_codes(self.city),
            root.bool(self.large_financial_assets),
            root.bool(self.car_transaction),
            root.bool(self.house_transaction),
            root.bool(self.dibao_elsewhere),
            members.and_then(|m| m.int(self.income)),
        ) else {
            return;
        };
        let end = rows.end.min(root.len);
        let start = rows.start.min(end);
        out.resize(end - start);
        for (k, i) in (start..end).enumerate() {
            let row = match self.row(i, city, offsets, income, [lfa, car, house, elsewhere]) {
                Ok(row) => row,
                Err((error, within)) => {
                    out.error[k] = error;
                    out.error_in[k] = within;
                    continue;
                }
            };
            out.standard[k] = row.standard;
            out.member_count[k] = row.count;
            out.total_income[k] = row.total;
            out.per_capita_income[k] = row.per_capita;
            out.income_below_standard[k] = u8::from(row.below);
            out.vetoed[k] = u8::from(row.vetoed);
            out.no_double_benefit[k] = u8::from(row.no_double);
            out.eligible[k] = u8::from(row.eligible);
            out.benefit[k] = row.benefit;
        }
    }

    /// Household `i`, or its error and the output it happened in.
    #[inline]
    fn row(
        &self,
        i: usize,
        city: &[u32],
        offsets: &bylaw_runtime::batch::Offsets,
        income: &[i64],
        [lfa, car, house, elsewhere]: [&[u8]; 4],
    ) -> Result<Row, (u8, u8)> {
        let standard = city
            .get(i)
            .and_then(|c| self.standards.get(*c as usize).copied().flatten())
            .ok_or((MISSING, STANDARD))?;
        let children = offsets.range(i);
        let count = children.len() as i64;
        let mut total = 0i64;
        for x in income.get(children).unwrap_or(&[]) {
            total = total.checked_add(*x).ok_or((OVERFLOW, TOTAL_INCOME))?;
        }
        // `arith::div_scaled(total, 1, count)`: the divisor is a count, never −1, so the
        // quotient and its half-up rounding fit an `i64` division.
        if count == 0 {
            return Err((DIV_ZERO, PER_CAPITA));
        }
        let per_capita = half_up(total, count);
        let flag = |v: &[u8]| v.get(i).is_some_and(|x| *x != 0);
        // Exact: `total / count < standard` ⇔ `total < standard × count` (count > 0).
        let below = i128::from(total) < i128::from(standard) * i128::from(count);
        let vetoed = flag(lfa) || flag(car) || flag(house);
        let no_double = !flag(elsewhere);
        let eligible = below && !vetoed && no_double;
        let benefit = if eligible {
            // `(standard − total / count) × count`, exact as in the interpreter, then
            // rounded half up to the fen.
            let c = arith::Exact::int(count);
            arith::Exact::new(total, count)
                .and_then(|p| arith::Exact::int(standard).checked_sub(p))
                .and_then(|g| g.mul_scaled(c, 1))
                .and_then(|g| g.round_to_unit(arith::FEN, arith::RoundingMode::HalfUp))
                .map_err(|_| (OVERFLOW, BENEFIT))?
        } else {
            0
        };
        Ok(Row {
            standard,
            count,
            total,
            per_capita,
            below,
            vetoed,
            no_double,
            eligible,
            benefit,
        })
    }
}

/// `a / b` rounded half away from zero, for `b > 0` (as `arith::div_round` in `i128`).
#[inline]
fn half_up(a: i64, b: i64) -> i64 {
    let (q, r) = (a / b, a % b);
    if r.unsigned_abs() * 2 >= b.unsigned_abs() {
        if a >= 0 { q + 1 } else { q - 1 }
    } else {
        q
    }
}
