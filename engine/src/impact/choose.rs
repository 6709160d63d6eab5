//! What an impact compares: the decision and amount outputs, the weight of each
//! household and the groups results are broken down by — each checked against the
//! program, with a hint when it does not fit.

use bylaw_compiler::ir::{DefKind, Program};
use bylaw_compiler::types::Ty;
use bylaw_runtime::batch::{Batch, Column};
use bylaw_runtime::schema::{ColumnType, FieldId};

use super::ImpactOptions;
use crate::EngineError;

/// Group names (by enumeration code), and each household's group code.
pub(crate) type Groups = (Vec<String>, Vec<u32>);

/// Positions in `program.outputs` of the decision and the amount compared.
pub(crate) fn outputs(
    program: &Program,
    options: &ImpactOptions,
    which: &str,
) -> Result<(usize, usize), EngineError> {
    let position = |name: &str, want: &str| {
        program
            .outputs
            .iter()
            .position(|d| program.def(*d).name == name)
            .ok_or_else(|| {
                EngineError::input(
                    "bylaw::impact::no_output",
                    format!("{which} has no output `{name}`"),
                )
                .with_hint(format!(
                    "--{want} names a household output of both versions"
                ))
            })
    };
    let decision = match &options.decision {
        Some(n) => position(n, "decision")?,
        None => bylaw_compiler::explain::whatif::default_decision(program)
            .and_then(|d| program.outputs.iter().position(|o| *o == d))
            .ok_or_else(|| {
                EngineError::input(
                    "bylaw::impact::no_decision",
                    format!("{which} has no yes/no rule to compare"),
                )
                .with_hint("name one with --decision")
            })?,
    };
    let amount = match &options.amount {
        Some(n) => position(n, "amount")?,
        None => program
            .outputs
            .iter()
            .rposition(|d| matches!(program.def(*d).kind, DefKind::Amount | DefKind::Fund))
            .ok_or_else(|| {
                EngineError::input(
                    "bylaw::impact::no_amount",
                    format!("{which} has no amount to compare"),
                )
                .with_hint("name a money output with --amount")
            })?,
    };
    let def = |i: usize| program.outputs.get(i).map(|d| program.def(*d));
    if let Some(d) = def(decision).filter(|d| d.ty != Ty::Bool) {
        return Err(EngineError::input(
            "bylaw::impact::not_a_rule",
            format!("--decision `{}` is not a yes/no rule", d.name),
        ));
    }
    if let Some(d) = def(amount).filter(|d| !d.ty.is_money()) {
        return Err(EngineError::input(
            "bylaw::impact::not_money",
            format!("--amount `{}` is not money", d.name),
        ));
    }
    Ok((decision, amount))
}

/// Each household's weight, in millionths (counts are whole, decimals exact).
pub(crate) fn weights(
    program: &Program,
    batch: &Batch,
    name: &str,
) -> Result<Vec<i64>, EngineError> {
    let root = program.schema.root_entity();
    let found = root.and_then(|e| e.fields.iter().position(|f| f.name == name));
    let Some(i) = found else {
        return Err(EngineError::input(
            "bylaw::impact::no_field",
            format!("--weights `{name}` is not a field of the household entity"),
        )
        .with_hint(format!(
            "declare it in the policy, e.g. `{name}: decimal \"抽样权重\" default 1`"
        )));
    };
    let ty = root.and_then(|e| e.fields.get(i)).map(|f| f.ty.clone());
    let values = batch
        .entity(batch.root)
        .and_then(|e| e.int(FieldId(u32::try_from(i).unwrap_or(u32::MAX))));
    match (ty, values) {
        (Some(ColumnType::Count), Some(v)) => {
            Ok(v.iter().map(|w| w.saturating_mul(1_000_000)).collect())
        }
        (Some(ColumnType::Decimal), Some(v)) => Ok(v.to_vec()),
        _ => Err(EngineError::input(
            "bylaw::impact::bad_weights",
            format!("--weights `{name}` must be a count or decimal field"),
        )),
    }
}

/// The enumeration field results are broken down by, with each household's group:
/// `by`, else `city` if the household has it, else none.
pub(crate) fn groups(
    program: &Program,
    batch: &Batch,
    by: Option<&str>,
) -> Result<Option<Groups>, EngineError> {
    let Some(root) = program.schema.root_entity() else {
        return Ok(None);
    };
    let name = by.unwrap_or("city");
    let Some(i) = root.fields.iter().position(|f| f.name == name) else {
        if by.is_some() {
            return Err(EngineError::input(
                "bylaw::impact::no_field",
                format!("--by `{name}` is not a field of the household entity"),
            ));
        }
        return Ok(None);
    };
    let ColumnType::Enum(e) = &root.fields[i].ty else {
        return Err(EngineError::input(
            "bylaw::impact::not_an_enumeration",
            format!("--by `{name}` is not an enumeration (such as a region)"),
        ));
    };
    let labels = program.enums.iter().find(|d| d.name == e.name);
    let names = e
        .variants
        .iter()
        .enumerate()
        .map(|(k, v)| {
            let label = labels
                .and_then(|d| d.variants.get(k))
                .map_or_else(String::new, |d| d.label.clone());
            format!("{label} {}", v.name).trim().to_string()
        })
        .collect();
    let codes = match batch
        .entity(batch.root)
        .and_then(|r| r.column(FieldId(u32::try_from(i).unwrap_or(u32::MAX))))
    {
        Some(Column::Enum(c)) => c.clone(),
        _ => Vec::new(),
    };
    Ok(Some((names, codes)))
}
