//! Evaluating obligations over one period: the service log is checked row by row (unknown
//! services, dates outside the period, keys not in the register, duplicates, services
//! given to someone outside their groups — each reported with its line, none dropped
//! silently), grouped per entity row and sorted by date; then every row in each
//! obligation's scope is judged part by part, lit, and counted into coverage per station,
//! region and overall. Pure: no I/O; the CLI reads the files and writes the outputs.

use std::collections::{BTreeMap, HashMap, HashSet};

use bylaw_grammar::ast::{Bound, Colour};
use bylaw_runtime::batch::{Batch, Column};
use bylaw_runtime::date::{add_days, format_date};
use bylaw_runtime::period::Period;
use bylaw_runtime::schema::EntityId;
use bylaw_runtime::servicelog::ServiceLog;

use super::spec::{ComplySpec, Obligation, PartKind, window_kind};
use crate::interp::Evaluator;
use crate::ir::{Node, Program, Value};

/// What happened to a log row that does not count as delivered as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IssueKind {
    /// The row could not be read (a malformed date, the wrong number of cells).
    Unreadable,
    /// No service in the policy's catalogues has this code.
    UnknownService,
    /// The date is before or after the period.
    OutsidePeriod,
    /// The person (or station) is not in the register.
    NotInRegister,
    /// The same person, station, service, date and worker as an earlier row.
    Duplicate,
    /// The service was given to someone outside the groups it is for (still counted).
    NotForGroup,
}

impl IssueKind {
    pub fn code(self) -> &'static str {
        match self {
            IssueKind::Unreadable => "unreadable",
            IssueKind::UnknownService => "unknown_service",
            IssueKind::OutsidePeriod => "outside_period",
            IssueKind::NotInRegister => "not_in_register",
            IssueKind::Duplicate => "duplicate",
            IssueKind::NotForGroup => "not_for_group",
        }
    }

    /// Is the row still counted?
    pub fn counted(self) -> bool {
        self == IssueKind::NotForGroup
    }
}

/// One problem with one log row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub line: u32,
    pub kind: IssueKind,
    pub column: Option<String>,
    pub value: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Met,
    Missed,
    /// Not judged: no window fits the period, or a deadline falls outside it.
    NotApplicable,
    /// The row could not be judged (a run-time error in a condition).
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::Missed => "missed",
            Status::NotApplicable => "not_applicable",
            Status::Error => "error",
        }
    }
}

/// A window and how many deliveries it had.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowCount {
    pub start: i32,
    pub end: i32,
    pub count: u32,
}

/// The outcome of one part for one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartResult {
    pub status: Status,
    /// Deliveries of the part's services in the period (delivery parts).
    pub delivered: u32,
    /// Windows judged, and how many of them missed the standard.
    pub windows: u32,
    pub windows_missed: u32,
    /// The first window that missed (or the fullest, for `at most`).
    pub first_missed: Option<WindowCount>,
    /// The last delivery in the period.
    pub last: Option<i32>,
    /// For deadlines: the event's date and the last day allowed.
    pub event: Option<i32>,
    pub deadline: Option<i32>,
    /// For missed requirements: the expressions the condition compared and their values
    /// (`None`: the value could not be computed).
    pub values: Vec<(crate::ir::ExprId, Option<Value>)>,
    /// Why not applicable, or the run-time error.
    pub note: Option<String>,
}

impl PartResult {
    fn new(status: Status) -> PartResult {
        PartResult {
            status,
            delivered: 0,
            windows: 0,
            windows_missed: 0,
            first_missed: None,
            last: None,
            event: None,
            deadline: None,
            values: Vec::new(),
            note: None,
        }
    }
}

/// The outcome of one obligation for one row in its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowResult {
    pub row: usize,
    pub key: String,
    /// The root row's key (the station) and its `region` field, if any.
    pub station: String,
    pub region: String,
    pub status: Status,
    pub parts: Vec<PartResult>,
    pub light: Option<Colour>,
    pub error: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    All,
    Region,
    Station,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::All => "all",
            Level::Region => "region",
            Level::Station => "station",
        }
    }
}

/// How many rows in scope met an obligation, at one level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageRow {
    pub level: Level,
    pub name: String,
    pub in_scope: u32,
    pub met: u32,
    pub missed: u32,
    pub not_applicable: u32,
    pub errors: u32,
    /// Red, yellow, green.
    pub lights: [u32; 3],
    /// met / (met + missed), in millionths; `None` when nothing was judged.
    pub rate: Option<i64>,
    /// Against the obligation's `coverage at least` target.
    pub target_met: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct ObligationResult {
    pub obligation: usize,
    pub rows: Vec<RowResult>,
    pub coverage: Vec<CoverageRow>,
}

/// The outcome of a compliance run.
#[derive(Debug, Clone)]
pub struct Report {
    pub period: Period,
    pub log_rows: usize,
    pub counted_rows: usize,
    pub issues: Vec<Issue>,
    pub obligations: Vec<ObligationResult>,
}

/// A log that cannot be used at all (a key column an obligation needs is absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    pub help: String,
}

/// Deliveries of one entity's rows: `rows[offsets[r]..offsets[r + 1]]` are row r's
/// (date, service) pairs, sorted by date.
struct Deliveries {
    offsets: Vec<u32>,
    items: Vec<(i32, u32)>,
}

impl Deliveries {
    fn of(&self, row: usize) -> &[(i32, u32)] {
        let (Some(&a), Some(&b)) = (self.offsets.get(row), self.offsets.get(row + 1)) else {
            return &[];
        };
        self.items.get(a as usize..b as usize).unwrap_or(&[])
    }
}

/// Each entity's parent row for every row (`None` for the root).
fn parents(program: &Program, batch: &Batch) -> Vec<Vec<u32>> {
    let mut out: Vec<Vec<u32>> = batch.entities.iter().map(|e| vec![0; e.len]).collect();
    for (pid, e) in program.schema.entities.iter().enumerate() {
        for (r, rel) in e.relations.iter().enumerate() {
            let Some(rows) = batch.entities.get(pid) else {
                continue;
            };
            let Some(offsets) = rows.children.get(r) else {
                continue;
            };
            let Some(target) = out.get_mut(rel.child.0 as usize) else {
                continue;
            };
            for parent in 0..rows.len {
                for child in offsets.range(parent) {
                    if let Some(slot) = target.get_mut(child) {
                        *slot = parent as u32;
                    }
                }
            }
        }
    }
    out
}

/// The frame (outermost first) of row `row` of `entity`.
fn frame_of(
    program: &Program,
    parents: &[Vec<u32>],
    entity: EntityId,
    row: usize,
) -> Vec<(EntityId, usize)> {
    let mut chain = vec![(entity, row)];
    let mut at = (entity, row);
    let mut guard = 0;
    while let Some(p) = program.schema.entity(at.0).and_then(|e| e.parent) {
        let prow = parents
            .get(at.0.0 as usize)
            .and_then(|v| v.get(at.1))
            .copied()
            .unwrap_or(0) as usize;
        at = (p, prow);
        chain.push(at);
        guard += 1;
        if guard > program.schema.entities.len() {
            break;
        }
    }
    chain.reverse();
    chain
}

/// The text of a root field (the region) for display.
fn root_text(program: &Program, batch: &Batch, field: Option<usize>, row: usize) -> String {
    let Some(f) = field else { return String::new() };
    let root = program.schema.root;
    let Some(rows) = batch.entities.get(root.0 as usize) else {
        return String::new();
    };
    match rows.columns.get(f) {
        Some(Column::Text(v)) => v.get(row).cloned().unwrap_or_default(),
        Some(Column::Enum(v)) => {
            let code = v.get(row).copied().unwrap_or(0) as usize;
            program
                .schema
                .root_entity()
                .and_then(|e| e.fields.get(f))
                .and_then(|fs| match &fs.ty {
                    bylaw_runtime::schema::ColumnType::Enum(e) => {
                        e.variants.get(code).map(|v| v.name.clone())
                    }
                    _ => None,
                })
                .unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// Runs every obligation of `program` over `batch` (the register) and `log` for `period`.
/// Parameters are read at the period's first day.
///
/// # Errors
/// The log lacks a key column an obligation counts deliveries by.
pub fn run(
    program: &Program,
    batch: &Batch,
    log: &ServiceLog,
    period: &Period,
) -> Result<Report, RunError> {
    let spec: &ComplySpec = &program.comply;
    let ev = Evaluator::new(program, period.start);
    let mut issues: Vec<Issue> = log
        .unreadable
        .iter()
        .map(|u| Issue {
            line: u.line,
            kind: IssueKind::Unreadable,
            column: u.column.clone(),
            value: u.value.clone(),
            message: u.message.clone(),
        })
        .collect();

    // Entities whose rows deliveries are counted for.
    let mut counted_entities: Vec<EntityId> = Vec::new();
    for o in &spec.obligations {
        let delivers = o
            .parts
            .iter()
            .any(|p| !matches!(p.kind, PartKind::Require(_)));
        if delivers && !counted_entities.contains(&o.entity) {
            counted_entities.push(o.entity);
        }
    }
    // Key columns of the log that name entities of the register.
    let mut key_maps: Vec<(usize, EntityId, HashMap<&str, u32>)> = Vec::new();
    for (ci, name) in log.key_columns.iter().enumerate() {
        let Some(eid) = program.schema.entity_id(name) else {
            continue;
        };
        let Some(rows) = batch.entities.get(eid.0 as usize) else {
            continue;
        };
        let map: HashMap<&str, u32> = rows
            .keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i as u32))
            .collect();
        key_maps.push((ci, eid, map));
    }
    for e in &counted_entities {
        // An empty log without columns (a test with no rows) counts nothing for anyone.
        let empty = log.is_empty() && log.key_columns.is_empty();
        if !empty && !key_maps.iter().any(|(_, id, _)| id == e) {
            let name = program
                .schema
                .entity(*e)
                .map(|x| x.name.clone())
                .unwrap_or_default();
            return Err(RunError {
                message: format!("the service log has no `{name}` column"),
                help: format!(
                    "obligations count deliveries per `{name}`: add a `{name}` column holding its key"
                ),
            });
        }
    }
    let service_index: HashMap<&str, u32> = spec
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.code.as_str(), i as u32))
        .collect();
    let parents = parents(program, batch);

    // Rows that count: (row per key map, service, date).
    let mut valid: Vec<(Vec<u32>, u32, i32)> = Vec::with_capacity(log.len());
    let mut valid_lines: Vec<u32> = Vec::with_capacity(log.len());
    let mut seen: HashSet<(Vec<u32>, u32, i32, &str)> = HashSet::with_capacity(log.len());
    let mut group_cache: HashMap<(u32, u32, usize), bool> = HashMap::new();
    for i in 0..log.len() {
        let line = log.lines.get(i).copied().unwrap_or(0);
        let code = log.service.get(i).map_or("", String::as_str);
        let date = log.date.get(i).copied().unwrap_or(0);
        let Some(&svc) = service_index.get(code) else {
            issues.push(Issue {
                line,
                kind: IssueKind::UnknownService,
                column: Some("service".into()),
                value: code.to_string(),
                message: format!("no service in the policy's catalogues has code `{code}`"),
            });
            continue;
        };
        if !period.contains(date) {
            issues.push(Issue {
                line,
                kind: IssueKind::OutsidePeriod,
                column: Some("date".into()),
                value: format_date(date),
                message: format!(
                    "{} is outside the period {} ({})",
                    format_date(date),
                    period.text,
                    period.describe()
                ),
            });
            continue;
        }
        let mut rows = Vec::with_capacity(key_maps.len());
        let mut known = true;
        for (ci, eid, map) in &key_maps {
            let key = log
                .keys
                .get(*ci)
                .and_then(|c| c.get(i))
                .map_or("", String::as_str);
            match map.get(key) {
                Some(r) => rows.push(*r),
                None => {
                    let name = program
                        .schema
                        .entity(*eid)
                        .map(|x| x.name.clone())
                        .unwrap_or_default();
                    issues.push(Issue {
                        line,
                        kind: IssueKind::NotInRegister,
                        column: log.key_columns.get(*ci).cloned(),
                        value: key.to_string(),
                        message: if key.is_empty() {
                            format!("the row names no `{name}`")
                        } else {
                            format!("`{key}` is not a `{name}` in the register")
                        },
                    });
                    known = false;
                    break;
                }
            }
        }
        if !known {
            continue;
        }
        let worker = log.worker.get(i).map_or("", String::as_str);
        if !seen.insert((rows.clone(), svc, date, worker)) {
            issues.push(Issue {
                line,
                kind: IssueKind::Duplicate,
                column: None,
                value: String::new(),
                message: format!(
                    "the same row as an earlier one ({code} on {}); counted once",
                    format_date(date)
                ),
            });
            continue;
        }
        // Is the recipient in one of the service's groups?
        if let Some(service) = spec.services.get(svc as usize)
            && let Some(ge) = service.group_entity
            && !service.groups.is_empty()
            && let Some(k) = key_maps.iter().position(|(_, e, _)| *e == ge)
            && let Some(&grow) = rows.get(k)
        {
            let mut member = false;
            for (gi, def) in service.groups.iter().enumerate() {
                let hit = *group_cache.entry((grow, svc, gi)).or_insert_with(|| {
                    let frame = frame_of(program, &parents, ge, grow as usize);
                    matches!(ev.eval_def_in(batch, &frame, *def), Ok(Value::Bool(true)))
                });
                if hit {
                    member = true;
                    break;
                }
            }
            if !member {
                let names: Vec<String> = service
                    .groups
                    .iter()
                    .map(|d| format!("`{}`", program.def(*d).name))
                    .collect();
                issues.push(Issue {
                    line,
                    kind: IssueKind::NotForGroup,
                    column: Some("service".into()),
                    value: code.to_string(),
                    message: format!(
                        "`{}` is for {}, and this recipient is in none of them (counted)",
                        service.name,
                        names.join(" or ")
                    ),
                });
            }
        }
        valid.push((rows, svc, date));
        valid_lines.push(line);
    }
    issues.sort_by_key(|x| (x.line, x.kind));
    let counted_rows = valid.len();

    // Deliveries per counted entity, grouped by row and sorted by date.
    let mut deliveries: HashMap<EntityId, Deliveries> = HashMap::new();
    for e in &counted_entities {
        let Some(k) = key_maps.iter().position(|(_, id, _)| id == e) else {
            continue;
        };
        let n = batch.entities.get(e.0 as usize).map_or(0, |r| r.len);
        let mut counts = vec![0u32; n + 1];
        for (rows, _, _) in &valid {
            if let Some(r) = rows.get(k)
                && let Some(c) = counts.get_mut(*r as usize + 1)
            {
                *c += 1;
            }
        }
        for i in 1..counts.len() {
            let prev = counts.get(i - 1).copied().unwrap_or(0);
            if let Some(c) = counts.get_mut(i) {
                *c += prev;
            }
        }
        let mut fill = counts.clone();
        let mut items = vec![(0i32, 0u32); counted_rows];
        for (rows, svc, date) in &valid {
            if let Some(r) = rows.get(k)
                && let Some(at) = fill.get_mut(*r as usize)
            {
                if let Some(slot) = items.get_mut(*at as usize) {
                    *slot = (*date, *svc);
                }
                *at += 1;
            }
        }
        for r in 0..n {
            let (a, b) = (
                counts.get(r).copied().unwrap_or(0),
                counts.get(r + 1).copied().unwrap_or(0),
            );
            if let Some(s) = items.get_mut(a as usize..b as usize) {
                s.sort_unstable();
            }
        }
        deliveries.insert(
            *e,
            Deliveries {
                offsets: counts,
                items,
            },
        );
    }

    let region_field = program
        .schema
        .root_entity()
        .and_then(|e| e.fields.iter().position(|f| f.name == "region"));
    let mut results = Vec::new();
    for (oi, o) in spec.obligations.iter().enumerate() {
        results.push(judge(
            program,
            &ev,
            batch,
            &parents,
            o,
            oi,
            period,
            deliveries.get(&o.entity),
            region_field,
        ));
    }
    Ok(Report {
        period: period.clone(),
        log_rows: log.len() + log.unreadable.len(),
        counted_rows,
        issues,
        obligations: results,
    })
}

#[allow(
    clippy::too_many_arguments,
    reason = "one call site; the pieces of one run"
)]
fn judge(
    program: &Program,
    ev: &Evaluator,
    batch: &Batch,
    parents: &[Vec<u32>],
    o: &Obligation,
    oi: usize,
    period: &Period,
    deliveries: Option<&Deliveries>,
    region_field: Option<usize>,
) -> ObligationResult {
    let n = batch.entities.get(o.entity.0 as usize).map_or(0, |r| r.len);
    let windows: Vec<Vec<(i32, i32)>> = o
        .parts
        .iter()
        .map(|p| match &p.kind {
            PartKind::Frequency { window, .. } => period.windows(window_kind(*window)),
            _ => Vec::new(),
        })
        .collect();
    let service_sets: Vec<Vec<bool>> = o
        .parts
        .iter()
        .map(|p| {
            let mut set = vec![false; program.comply.services.len()];
            if let PartKind::Frequency { services, .. } | PartKind::Deadline { services, .. } =
                &p.kind
            {
                for s in services {
                    if let Some(x) = set.get_mut(*s) {
                        *x = true;
                    }
                }
            }
            set
        })
        .collect();
    let keys = batch.entities.get(o.entity.0 as usize).map(|r| &r.keys);
    let root_keys = batch
        .entities
        .get(program.schema.root.0 as usize)
        .map(|r| &r.keys);
    let mut rows = Vec::new();
    for row in 0..n {
        let frame = frame_of(program, parents, o.entity, row);
        let root_row = frame.first().map_or(0, |f| f.1);
        let key = keys.and_then(|k| k.get(row)).cloned().unwrap_or_default();
        let station = root_keys
            .and_then(|k| k.get(root_row))
            .cloned()
            .unwrap_or_default();
        let region = root_text(program, batch, region_field, root_row);
        let mut result = RowResult {
            row,
            key,
            station,
            region,
            status: Status::Met,
            parts: Vec::new(),
            light: None,
            error: None,
        };
        if let Some(f) = o.filter {
            match ev.eval_in(batch, &frame, f) {
                Ok(Value::Bool(true)) => {}
                Ok(_) => continue,
                Err(e) => {
                    result.status = Status::Error;
                    result.error = Some(format!("{}: {}", e.code(), e.detail));
                    rows.push(result);
                    continue;
                }
            }
        }
        let mine = deliveries.map_or(&[][..], |d| d.of(row));
        for (pi, p) in o.parts.iter().enumerate() {
            let set = service_sets.get(pi).map_or(&[][..], Vec::as_slice);
            let in_set = |s: u32| set.get(s as usize).copied().unwrap_or(false);
            let part = match &p.kind {
                PartKind::Require(cond) => requirement(program, ev, batch, &frame, *cond),
                PartKind::Frequency { bound, count, .. } => {
                    let ws = windows.get(pi).map_or(&[][..], Vec::as_slice);
                    frequency(mine, &in_set, ws, *bound, *count)
                }
                PartKind::Deadline {
                    days,
                    event,
                    calendar,
                    ..
                } => {
                    let within = Within {
                        days: *days,
                        calendar: calendar.and_then(|c| program.calendars.get(c.index())),
                        id: *calendar,
                    };
                    deadline(ev, batch, &frame, *event, &within, mine, &in_set, period)
                }
            };
            result.parts.push(part);
        }
        if let Some(e) = result.parts.iter().find(|p| p.status == Status::Error) {
            result.status = Status::Error;
            result.error = e.note.clone();
        } else if result.parts.iter().any(|p| p.status == Status::Missed) {
            result.status = Status::Missed;
        } else if result
            .parts
            .iter()
            .all(|p| p.status == Status::NotApplicable)
        {
            result.status = Status::NotApplicable;
        }
        if result.status != Status::Error {
            let parts = &result.parts;
            let met = |i: usize| parts.get(i).is_none_or(|p| p.status != Status::Missed);
            result.light = o
                .lights
                .iter()
                .find(|l| l.condition.as_ref().is_none_or(|c| c.eval(&met)))
                .map(|l| l.colour);
        }
        rows.push(result);
    }
    let coverage = coverage(o, &rows);
    ObligationResult {
        obligation: oi,
        rows,
        coverage,
    }
}

fn requirement(
    program: &Program,
    ev: &Evaluator,
    batch: &Batch,
    frame: &[(EntityId, usize)],
    cond: crate::ir::ExprId,
) -> PartResult {
    match ev.eval_in(batch, frame, cond) {
        Ok(Value::Bool(b)) => {
            let mut r = PartResult::new(if b { Status::Met } else { Status::Missed });
            if !b {
                r.values = operands(program, ev, batch, frame, cond);
            }
            r
        }
        Ok(_) => PartResult::new(Status::Error),
        Err(e) => {
            let mut r = PartResult::new(Status::Error);
            r.note = Some(format!("{}: {}", e.code(), e.detail));
            r
        }
    }
}

/// The values a missed requirement compared: each side of a comparison, each operand of
/// `and` that failed.
fn operands(
    program: &Program,
    ev: &Evaluator,
    batch: &Batch,
    frame: &[(EntityId, usize)],
    cond: crate::ir::ExprId,
) -> Vec<(crate::ir::ExprId, Option<Value>)> {
    let mut out = Vec::new();
    let show = |id: crate::ir::ExprId| (id, ev.eval_in(batch, frame, id).ok());
    match program.node(cond) {
        Node::Cmp { lhs, rhs, .. } => {
            out.push(show(*lhs));
            out.push(show(*rhs));
        }
        Node::And(a, b) => {
            for x in [*a, *b] {
                if !matches!(ev.eval_in(batch, frame, x), Ok(Value::Bool(true))) {
                    out.extend(operands(program, ev, batch, frame, x));
                }
            }
        }
        _ => out.push(show(cond)),
    }
    out
}

fn frequency(
    mine: &[(i32, u32)],
    in_set: &dyn Fn(u32) -> bool,
    windows: &[(i32, i32)],
    bound: Bound,
    count: u32,
) -> PartResult {
    let mut r = PartResult::new(Status::Met);
    let mut per_window = vec![0u32; windows.len()];
    for (date, svc) in mine {
        if !in_set(*svc) {
            continue;
        }
        r.delivered += 1;
        r.last = Some(*date);
        // Windows are sorted and disjoint: the last one starting on or before the date.
        let at = windows.partition_point(|w| w.0 <= *date);
        if at > 0
            && let Some(w) = windows.get(at - 1)
            && *date <= w.1
            && let Some(c) = per_window.get_mut(at - 1)
        {
            *c += 1;
        }
    }
    if windows.is_empty() {
        r.status = Status::NotApplicable;
        r.note = Some("no whole window fits in the period".into());
        return r;
    }
    r.windows = windows.len() as u32;
    for (w, c) in windows.iter().zip(&per_window) {
        let missed = match bound {
            Bound::AtLeast => *c < count,
            Bound::AtMost => *c > count,
        };
        if missed {
            r.windows_missed += 1;
            if r.first_missed.is_none() {
                r.first_missed = Some(WindowCount {
                    start: w.0,
                    end: w.1,
                    count: *c,
                });
            }
        }
    }
    if r.windows_missed > 0 {
        r.status = Status::Missed;
    }
    r
}

/// How long a deadline gives: days, or working days over a calendar.
struct Within<'a> {
    days: u32,
    calendar: Option<&'a crate::ir::CalendarDef>,
    id: Option<crate::ir::CalendarId>,
}

impl Within<'_> {
    /// The last day allowed after an event on `day`; `Err` in words when the deadline
    /// cannot be placed (past the supported dates, or past the calendar's days).
    fn last_day(&self, ev: &Evaluator, day: i32) -> Result<i32, (Status, String)> {
        match (self.calendar, self.id) {
            (Some(c), Some(id)) => {
                bylaw_runtime::workdays::add_working_days(&c.table, day, i64::from(self.days))
                    .map_err(|needed| {
                        let e = ev.outside_calendar(id, needed);
                        (Status::Error, format!("{}: {}", e.code(), e.detail))
                    })
            }
            _ => add_days(day, i64::from(self.days))
                .map_err(|_| (Status::NotApplicable, "the deadline is out of range".into())),
        }
    }
}

#[allow(clippy::too_many_arguments, reason = "the pieces of one judgement")]
fn deadline(
    ev: &Evaluator,
    batch: &Batch,
    frame: &[(EntityId, usize)],
    event: crate::ir::ExprId,
    within: &Within,
    mine: &[(i32, u32)],
    in_set: &dyn Fn(u32) -> bool,
    period: &Period,
) -> PartResult {
    let mut r = PartResult::new(Status::NotApplicable);
    for (date, svc) in mine {
        if in_set(*svc) {
            r.delivered += 1;
            r.last = Some(*date);
        }
    }
    let day = match ev.eval_in(batch, frame, event) {
        Ok(Value::Date(bylaw_runtime::date::NO_DATE)) => {
            r.note = Some("no event: nothing to be done by a deadline".into());
            return r;
        }
        Ok(Value::Date(d)) => d,
        Ok(_) => return r,
        Err(e) => {
            r.status = Status::Error;
            r.note = Some(format!("{}: {}", e.code(), e.detail));
            return r;
        }
    };
    r.event = Some(day);
    // An event outside the period is not judged, whether or not a calendar covers it.
    let last_day = match within.last_day(ev, day) {
        Ok(d) => d,
        Err((status, note)) => {
            if period.contains(day) {
                r.status = status;
            }
            r.note = Some(note);
            return r;
        }
    };
    r.deadline = Some(last_day);
    if !period.contains(day) {
        r.note = Some("the event is not in the period".into());
        return r;
    }
    if last_day > period.end {
        r.note = Some("the deadline is after the period".into());
        return r;
    }
    let on_time = mine
        .iter()
        .any(|(d, s)| in_set(*s) && day <= *d && *d <= last_day);
    r.status = if on_time { Status::Met } else { Status::Missed };
    r
}

fn coverage(o: &Obligation, rows: &[RowResult]) -> Vec<CoverageRow> {
    let mut groups: BTreeMap<(Level, String), CoverageRow> = BTreeMap::new();
    for r in rows {
        let mut keys = vec![
            (Level::All, String::new()),
            (Level::Station, r.station.clone()),
        ];
        if !r.region.is_empty() {
            keys.push((Level::Region, r.region.clone()));
        }
        for (level, name) in keys {
            let c = groups
                .entry((level, name.clone()))
                .or_insert_with(|| CoverageRow {
                    level,
                    name,
                    in_scope: 0,
                    met: 0,
                    missed: 0,
                    not_applicable: 0,
                    errors: 0,
                    lights: [0; 3],
                    rate: None,
                    target_met: None,
                });
            c.in_scope += 1;
            match r.status {
                Status::Met => c.met += 1,
                Status::Missed => c.missed += 1,
                Status::NotApplicable => c.not_applicable += 1,
                Status::Error => c.errors += 1,
            }
            match r.light {
                Some(Colour::Red) => c.lights[0] += 1,
                Some(Colour::Yellow) => c.lights[1] += 1,
                Some(Colour::Green) => c.lights[2] += 1,
                None => {}
            }
        }
    }
    let mut out: Vec<CoverageRow> = groups.into_values().collect();
    for c in &mut out {
        let judged = i64::from(c.met) + i64::from(c.missed);
        if judged > 0 {
            c.rate = Some(i64::from(c.met) * 1_000_000 / judged);
        }
        if let (Some(t), Some(rate)) = (&o.coverage, c.rate) {
            c.target_met = Some(rate >= t.rate);
        }
    }
    out
}
