//! What would change the outcome: for one household, the smallest change to a single
//! input that flips a decision, found by evaluating the rules (never guessed): numbers by
//! an outward then bisecting search to the exact unit (a fen, a month), yes/no inputs by
//! flipping, enumerations by trying other values. Inputs marked `fixed` (age, hukou)
//! and keys are left out. Every change reported has been evaluated and does flip.
//!
//! Each try evaluates the whole household, so the search is bounded to keep `why`
//! linear in the household's size: the first [`RECORDS_TRIED`] records of each child
//! entity, and [`VALUES_TRIED`] values of an enumeration (those the policy names first).
//! What was left untried is reported with the changes, never silently dropped.

use bylaw_runtime::batch::{Batch, Column, EntityRows, Offsets};
use bylaw_runtime::schema::{ColumnType, EntityId};

use super::trace::Shown;
use super::words::{Label, Lang, def_label, field_label};
use crate::interp::Evaluator;
use crate::ir::*;
use crate::types::Ty;

/// Records of each child entity (members) whose inputs are tried.
pub const RECORDS_TRIED: usize = 20;
/// Values of one enumeration input tried (a region table may have 500,000).
pub const VALUES_TRIED: usize = 256;

/// The changes found, and what the bounded search did not try.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct WhatIf {
    pub changes: Vec<Change>,
    pub untried: Vec<Untried>,
}

/// A part of the household the search left untried.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Untried {
    /// Only the first `tried` of the `of` records of a child entity had their inputs tried.
    Records {
        entity: Label,
        tried: usize,
        of: usize,
    },
    /// An enumeration input tried with `tried` of its `of` other values.
    Values {
        input: String,
        label: Label,
        tried: usize,
        of: usize,
    },
}

impl Untried {
    pub fn sentence(&self, lang: Lang) -> String {
        match (self, lang) {
            (Untried::Records { entity, tried, of }, Lang::Zh) => format!(
                "只试了前 {tried} 名{}（共 {of} 名）的输入；其余的未试。",
                entity.zh
            ),
            (Untried::Records { entity, tried, of }, Lang::En) => format!(
                "Only the inputs of the first {tried} of {of} {} records were tried.",
                entity.en
            ),
            (
                Untried::Values {
                    label, tried, of, ..
                },
                Lang::Zh,
            ) => format!(
                "{}只试了 {tried} 个取值（共 {of} 个，政策中写到的优先）。",
                label.zh
            ),
            (
                Untried::Values {
                    label, tried, of, ..
                },
                Lang::En,
            ) => format!(
                "The {} was tried with {tried} of its {of} other values (those the policy names first).",
                label.en
            ),
        }
    }
}

/// One change to one input that flips the decision.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Change {
    /// Where the input is: `residence`, `members[2].income`.
    pub input: String,
    pub label: Label,
    /// Which member (1-based), for inputs of a child entity.
    pub member: Option<usize>,
    /// The dated records' entity, when the input is one of a history's records (they
    /// are counted as records, not members).
    #[serde(skip)]
    pub record: Option<Label>,
    pub from: Shown,
    pub to: Shown,
    pub decision: Label,
    pub outcome: Shown,
    /// The row and column changed, to re-apply the change (tests check that it flips).
    #[serde(skip)]
    pub at: (EntityId, usize, usize),
    #[serde(skip)]
    pub value: Value,
}

impl Change {
    pub fn sentence(&self, lang: Lang) -> String {
        let who = match (self.member, &self.record, lang) {
            (Some(m), Some(r), Lang::Zh) => format!("第{m}条{}的", r.zh),
            (Some(m), Some(r), Lang::En) => format!(" of {} {m}", r.en),
            (Some(m), None, Lang::Zh) => format!("第{m}名家庭成员的"),
            (Some(m), None, Lang::En) => format!(" of member {m}"),
            (None, _, _) => String::new(),
        };
        match lang {
            Lang::Zh => format!(
                "若{who}{}为 {}（现为 {}），“{}”将为{}",
                self.label.zh, self.to.zh, self.from.zh, self.decision.zh, self.outcome.zh
            ),
            Lang::En => format!(
                "“{}” would be {} if the {}{who} were {} (it is {})",
                self.decision.en, self.outcome.en, self.label.en, self.to.en, self.from.en
            ),
        }
    }
}

/// The decision a household is explained by: `--decision`, else the root rule named
/// `eligible`, else the last root rule.
pub fn default_decision(program: &Program) -> Option<DefId> {
    let rules: Vec<DefId> = program
        .outputs
        .iter()
        .copied()
        .filter(|d| program.def(*d).ty == Ty::Bool)
        .collect();
    rules
        .iter()
        .copied()
        .find(|d| program.def(*d).name == "eligible")
        .or_else(|| rules.last().copied())
}

/// A batch holding only root record `row` and its descendants.
pub fn extract(batch: &Batch, schema: &bylaw_runtime::schema::Schema, row: usize) -> Batch {
    let mut out = Batch {
        entities: batch
            .entities
            .iter()
            .map(|e| EntityRows {
                len: 0,
                columns: e.columns.iter().map(empty_like).collect(),
                keys: Vec::new(),
                source_rows: Vec::new(),
                children: e.children.iter().map(|_| Offsets(vec![0])).collect(),
            })
            .collect(),
        root: batch.root,
    };
    copy_row(batch, schema, batch.root, row, &mut out);
    out
}

fn empty_like(c: &Column) -> Column {
    match c {
        Column::Int(_) => Column::Int(Vec::new()),
        Column::Bool(_) => Column::Bool(Vec::new()),
        Column::Date(_) => Column::Date(Vec::new()),
        Column::Enum(_) => Column::Enum(Vec::new()),
        Column::Text(_) => Column::Text(Vec::new()),
    }
}

fn copy_row(
    from: &Batch,
    schema: &bylaw_runtime::schema::Schema,
    entity: EntityId,
    row: usize,
    to: &mut Batch,
) {
    let e = entity.0 as usize;
    let (Some(src), Some(dst)) = (from.entities.get(e), to.entities.get_mut(e)) else {
        return;
    };
    for (s, d) in src.columns.iter().zip(dst.columns.iter_mut()) {
        match (s, d) {
            (Column::Int(s), Column::Int(d)) => d.extend(s.get(row)),
            (Column::Bool(s), Column::Bool(d)) => d.extend(s.get(row)),
            (Column::Date(s), Column::Date(d)) => d.extend(s.get(row)),
            (Column::Enum(s), Column::Enum(d)) => d.extend(s.get(row)),
            (Column::Text(s), Column::Text(d)) => d.extend(s.get(row).cloned()),
            _ => {}
        }
    }
    dst.len += 1;
    dst.keys.extend(src.keys.get(row).cloned());
    dst.source_rows.extend(src.source_rows.get(row));
    let relations = schema
        .entity(entity)
        .map(|x| x.relations.clone())
        .unwrap_or_default();
    for (ri, rel) in relations.iter().enumerate() {
        let range = src.children.get(ri).map_or(0..0, |o| o.range(row));
        for child in range {
            copy_row(from, schema, rel.child, child, to);
        }
        let n = to.entities.get(rel.child.0 as usize).map_or(0, |x| x.len) as u32;
        if let Some(off) = to.entities.get_mut(e).and_then(|x| x.children.get_mut(ri)) {
            off.0.push(n);
        }
    }
}

fn set(batch: &mut Batch, e: EntityId, row: usize, field: usize, value: &Value) {
    let Some(col) = batch
        .entities
        .get_mut(e.0 as usize)
        .and_then(|x| x.columns.get_mut(field))
    else {
        return;
    };
    match (col, value) {
        (Column::Int(v), Value::Int(x)) => {
            if let Some(slot) = v.get_mut(row) {
                *slot = *x;
            }
        }
        (Column::Bool(v), Value::Bool(x)) => {
            if let Some(slot) = v.get_mut(row) {
                *slot = u8::from(*x);
            }
        }
        (Column::Enum(v), Value::Enum(x)) => {
            if let Some(slot) = v.get_mut(row) {
                *slot = *x;
            }
        }
        (Column::Date(v), Value::Date(x)) => {
            if let Some(slot) = v.get_mut(row) {
                *slot = *x;
            }
        }
        _ => {}
    }
}

fn get(batch: &Batch, e: EntityId, row: usize, field: usize) -> Option<Value> {
    Some(
        match batch.entities.get(e.0 as usize)?.columns.get(field)? {
            Column::Int(v) => Value::Int(*v.get(row)?),
            Column::Bool(v) => Value::Bool(*v.get(row)? != 0),
            Column::Enum(v) => Value::Enum(*v.get(row)?),
            Column::Date(v) => Value::Date(*v.get(row)?),
            Column::Text(_) => return None,
        },
    )
}

/// The smallest single-input changes that flip `decision` for the one household in
/// `household` (a batch from [`extract`]), within the search's bounds.
pub fn what_would_change(ev: &Evaluator, household: &Batch, decision: DefId) -> WhatIf {
    let program = ev.program();
    let mut found = WhatIf::default();
    let Ok(current) = ev.eval_one(household, 0, decision) else {
        return found;
    };
    let mut batch = household.clone();
    let flips = |b: &Batch| matches!(ev.eval_one(b, 0, decision), Ok(v) if v != current);
    let decision_label = def_label(program, decision);
    let outcome = Shown::new(
        program,
        Ty::Bool,
        &match current {
            Value::Bool(b) => Value::Bool(!b),
            ref other => other.clone(),
        },
    );
    for (ei, es) in program.schema.entities.iter().enumerate() {
        let eid = EntityId(ei as u32);
        let root = eid == program.schema.root;
        let rows = household.entities.get(ei).map_or(0, |x| x.len);
        let tried_rows = if root { rows } else { rows.min(RECORDS_TRIED) };
        if tried_rows < rows {
            let meta = program.docs.get(ei).map(|d| &d.origin.meta);
            found.untried.push(Untried::Records {
                entity: meta.map_or_else(|| Label::plain(&es.name), |m| Label::new(&es.name, m)),
                tried: tried_rows,
                of: rows,
            });
        }
        for row in 0..tried_rows {
            for (fi, f) in es.fields.iter().enumerate() {
                let fixed = program
                    .docs
                    .get(ei)
                    .and_then(|d| d.fields.get(fi))
                    .is_some_and(|d| d.fixed);
                if fixed || es.key.map(|k| k.0 as usize) == Some(fi) {
                    continue;
                }
                let Some(original) = get(&batch, eid, row, fi) else {
                    continue;
                };
                let ty = field_ty(program, eid, fi, &f.ty);
                let member = (!root).then_some(row + 1);
                let input = match member {
                    Some(m) => format!("{}[{m}].{}", es.name, f.name),
                    None => f.name.clone(),
                };
                let flip = match (&f.ty, &original) {
                    (ColumnType::Bool, Value::Bool(b)) => {
                        let v = Value::Bool(!b);
                        set(&mut batch, eid, row, fi, &v);
                        let ok = flips(&batch);
                        set(&mut batch, eid, row, fi, &original);
                        ok.then_some(v)
                    }
                    (ColumnType::Enum(e), Value::Enum(cur)) => {
                        let candidates = enum_candidates(program, ty, e.variants.len(), *cur);
                        let others = e.variants.len().saturating_sub(1);
                        if candidates.len() < others {
                            found.untried.push(Untried::Values {
                                input: input.clone(),
                                label: field_label(program, eid, fi),
                                tried: candidates.len(),
                                of: others,
                            });
                        }
                        let hit = candidates.into_iter().find(|k| {
                            set(&mut batch, eid, row, fi, &Value::Enum(*k));
                            flips(&batch)
                        });
                        set(&mut batch, eid, row, fi, &original);
                        hit.map(Value::Enum)
                    }
                    (col, Value::Int(v)) if col.is_int() => {
                        nearest_flip(&mut batch, eid, row, fi, *v, unit(col), &flips)
                    }
                    _ => None,
                };
                if let Some(to) = flip {
                    let per_person = program
                        .docs
                        .get(ei)
                        .and_then(|d| d.fields.get(fi))
                        .is_some_and(|d| d.per_person);
                    found.changes.push(Change {
                        input,
                        label: field_label(program, eid, fi),
                        member,
                        record: es.dated.and(member).map(|_| {
                            let meta = program.docs.get(ei).map(|d| &d.origin.meta);
                            meta.map_or_else(|| Label::plain(&es.name), |m| Label::new(&es.name, m))
                        }),
                        from: Shown::per(program, ty, &original, per_person),
                        to: Shown::per(program, ty, &to, per_person),
                        decision: decision_label.clone(),
                        outcome: outcome.clone(),
                        at: (eid, row, fi),
                        value: to,
                    });
                }
            }
        }
    }
    found
}

/// The values an enumeration input is tried with, in order, at most [`VALUES_TRIED`]:
/// first those the policy names (in comparisons and as parameter keys), whose
/// behaviour differs, then the rest in declaration order.
fn enum_candidates(program: &Program, ty: Ty, variants: usize, current: u32) -> Vec<u32> {
    let mut named: Vec<u32> = Vec::new();
    if let Ty::Enum(id) = ty {
        for (node, t) in program.nodes.iter().zip(&program.types) {
            if let (Node::Const(Value::Enum(k)), Ty::Enum(of)) = (node, t)
                && *of == id
            {
                named.push(*k);
            }
        }
        for p in program.params.iter().filter(|p| p.by == Some(id)) {
            named.extend(p.entries.iter().filter_map(|e| e.key));
        }
    }
    named.sort_unstable();
    named.dedup();
    let rest = (0..variants as u32).filter(|k| named.binary_search(k).is_err());
    named
        .iter()
        .copied()
        .chain(rest)
        .filter(|k| *k != current && (*k as usize) < variants)
        .take(VALUES_TRIED)
        .collect()
}

/// Re-applies a change to a copy of the household (to check that it flips).
pub fn apply(household: &Batch, change: &Change) -> Batch {
    let mut b = household.clone();
    let (e, row, field) = change.at;
    set(&mut b, e, row, field, &change.value);
    b
}

/// The smallest step of a column: a fen for money, one of anything whole.
fn unit(ty: &ColumnType) -> i64 {
    match ty {
        ColumnType::Money => 100,
        ColumnType::Rate | ColumnType::Decimal => 100,
        ColumnType::Years => 12,
        _ => 1,
    }
}

fn field_ty(program: &Program, e: EntityId, field: usize, col: &ColumnType) -> Ty {
    program
        .nodes
        .iter()
        .zip(&program.types)
        .find_map(|(n, t)| match n {
            Node::Field { entity, field: f } if *entity == e && f.0 as usize == field => Some(*t),
            _ => None,
        })
        .unwrap_or(match col {
            ColumnType::Money => Ty::Money(crate::types::Per::Once),
            ColumnType::Rate => Ty::Rate,
            ColumnType::Decimal => Ty::Decimal,
            ColumnType::Days => Ty::Days,
            ColumnType::Months | ColumnType::Years => Ty::Months,
            _ => Ty::Count,
        })
}

/// The value nearest to `v` (on a grid of `unit`) that flips the decision, searching
/// up and down; numbers that start non-negative stay non-negative.
fn nearest_flip(
    batch: &mut Batch,
    e: EntityId,
    row: usize,
    field: usize,
    v: i64,
    unit: i64,
    flips: &dyn Fn(&Batch) -> bool,
) -> Option<Value> {
    let mut best: Option<i64> = None;
    for dir in [-1i64, 1] {
        let at = |batch: &mut Batch, steps: i64| -> Option<bool> {
            let x = v.checked_add(dir.checked_mul(steps)?.checked_mul(unit)?)?;
            if v >= 0 && x < 0 {
                return None;
            }
            set(batch, e, row, field, &Value::Int(x));
            Some(flips(batch))
        };
        // Outward: 1, 2, 4, … steps until the decision flips.
        let mut lo = 0i64;
        let mut hi = None;
        let mut step = 1i64;
        for _ in 0..48 {
            match at(batch, step) {
                Some(true) => {
                    hi = Some(step);
                    break;
                }
                Some(false) => {
                    lo = step;
                    step = step.saturating_mul(2);
                }
                None => break,
            }
        }
        if let Some(mut hi) = hi {
            // Bisect to the first step that flips.
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if at(batch, mid) == Some(true) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            if at(batch, hi) == Some(true) {
                let x = v + dir * hi * unit;
                if best.is_none_or(|b| (x - v).abs() < (b - v).abs()) {
                    best = Some(x);
                }
            }
        }
        set(batch, e, row, field, &Value::Int(v));
    }
    best.map(Value::Int)
}
