//! Working-day calendars (`calendar`): the covered days checked, each holiday and
//! adjusted working day (调休) placed once, and the table every backend counts over
//! built; and the calendar a working-day count uses, found for a call or a deadline.

use bylaw_grammar::ast::{self, ExprKind, Item};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::date::format_date;
use bylaw_runtime::workdays;

use super::{Checker, cited, origin};
use crate::diagnostics::{Diagnostic, codes, suggest};
use crate::ir::{CalendarDay, CalendarDef, CalendarId};

/// The most days a calendar covers: 100 years, so its table stays small.
const MAX_DAYS: i64 = 36_525;

impl Checker<'_> {
    pub(super) fn collect_calendars(&mut self, items: &[(FileId, &Item)]) {
        for (file, item) in items {
            let Item::Calendar(c) = item else { continue };
            if self.calendar_index.contains_key(&c.name.name) {
                self.duplicate("calendar", &c.name, *file);
                continue;
            }
            if let Some(def) = self.calendar(*file, c) {
                let id = CalendarId(self.calendars.len() as u32);
                self.calendar_index.insert(def.name.clone(), id);
                self.calendars.push(def);
            }
        }
    }

    fn calendar(&mut self, file: FileId, c: &ast::CalendarDecl) -> Option<CalendarDef> {
        let first = self.date(&c.from, file);
        let last = self.date(&c.until, file);
        let (first, last) = (first?, last?);
        let days = i64::from(last) - i64::from(first) + 1;
        if !(1..=MAX_DAYS).contains(&days) {
            let message = if days < 1 {
                format!(
                    "calendar `{}` ends on {} before it starts on {}",
                    c.name.name, c.until.text, c.from.text
                )
            } else {
                format!(
                    "calendar `{}` covers {days} days, more than 100 years",
                    c.name.name
                )
            };
            self.error_help(
                codes::CALENDAR,
                message,
                (file, c.from.span.to(c.until.span), "covered days"),
                "write the days the calendar covers as `from 2025-01-01 until 2025-12-31`, both included",
            );
            return None;
        }
        // Per covered day: the line that declared it, if any.
        let mut declared: Vec<Option<usize>> = vec![None; days as usize];
        let mut entries = Vec::new();
        let mut ok = true;
        for (i, e) in c.entries.iter().enumerate() {
            let Some(entry) = self.calendar_entry(file, c, e, first, last) else {
                ok = false;
                continue;
            };
            for d in entry.first..=entry.last {
                let Some(slot) = declared.get_mut((d - first) as usize) else {
                    continue;
                };
                if let Some(before) = (*slot).and_then(|j| c.entries.get(j)) {
                    let (kind, other) = (kind_of(e), kind_of(before));
                    let message = if kind == other {
                        format!("{} is declared a {kind} twice", format_date(d))
                    } else {
                        format!("{} is declared both a {other} and a {kind}", format_date(d))
                    };
                    self.diags.push(
                        Diagnostic::error(codes::CALENDAR, message)
                            .at(file, e.span, "declared again here")
                            .also(file, before.span, "first declared here")
                            .help("each day is a holiday, a working day (调休), or neither: declare it once"),
                    );
                    ok = false;
                    break;
                }
                *slot = Some(i);
            }
            entries.push(entry);
        }
        if !cited(&c.meta) && self.is_policy_file(file) {
            for e in c.entries.iter().filter(|e| !cited(&e.meta)) {
                self.diags.push(
                    Diagnostic::warning(
                        codes::UNCITED,
                        format!(
                            "a day of calendar `{}` has no source and is not marked as assumed",
                            c.name.name
                        ),
                    )
                    .at(file, e.span, "uncited day")
                    .help("add `source DOC \"quoted phrase\"` or `assumed \"reason\"`, here or on the calendar"),
                );
            }
        }
        if !ok {
            return None;
        }
        let working: Vec<bool> = (first..=last)
            .zip(&declared)
            .map(|(d, line)| match line.and_then(|j| c.entries.get(j)) {
                Some(e) => e.working,
                None => !workdays::is_weekend(d),
            })
            .collect();
        Some(CalendarDef {
            name: c.name.name.clone(),
            origin: origin(file, c.name.span, &c.meta),
            first,
            last,
            entries,
            table: workdays::encode(first, &working),
        })
    }

    /// One `holiday` or `working` line: its days in order, inside the covered days,
    /// and a `working` day a Saturday or Sunday.
    fn calendar_entry(
        &mut self,
        file: FileId,
        c: &ast::CalendarDecl,
        e: &ast::CalendarEntry,
        first: i32,
        last: i32,
    ) -> Option<CalendarDay> {
        let start = self.date(&e.first, file)?;
        let end = match &e.last {
            Some(l) => self.date(l, file)?,
            None => start,
        };
        if end < start {
            self.error_help(
                codes::CALENDAR,
                format!(
                    "the range {} .. {} ends before it starts",
                    format_date(start),
                    format_date(end)
                ),
                (file, e.span, "this range"),
                "write the first day, then the last: `holiday 2025-01-28 .. 2025-02-04`",
            );
            return None;
        }
        if start < first || end > last {
            let outside = if start < first { start } else { end };
            self.diags.push(
                Diagnostic::error(
                    codes::CALENDAR,
                    format!(
                        "{} is outside the days calendar `{}` covers ({} to {})",
                        format_date(outside),
                        c.name.name,
                        c.from.text,
                        c.until.text
                    ),
                )
                .at(file, e.span, "outside the calendar")
                .also(file, c.from.span.to(c.until.span), "the days it covers")
                .help("widen the calendar's `from … until …`, or declare this day in a calendar that covers it"),
            );
            return None;
        }
        if e.working
            && let Some(weekday) = (start..=end).find(|d| !workdays::is_weekend(*d))
        {
            self.error_help(
                codes::CALENDAR,
                format!(
                    "{} is a weekday, a working day already",
                    format_date(weekday)
                ),
                (file, e.span, "declared working"),
                "`working` declares a Saturday or Sunday a working day (调休); check the date",
            );
            return None;
        }
        Some(CalendarDay {
            working: e.working,
            first: start,
            last: end,
            origin: origin(file, e.span, &e.meta),
        })
    }

    /// The calendar a working-day count uses: the one `named`, else the only one in
    /// scope. `what` is the construct counting, and `example` how it names a calendar,
    /// for the words.
    pub(super) fn calendar_for(
        &mut self,
        named: Option<&ast::Ident>,
        (what, example): (&str, &dyn Fn(&str) -> String),
        file: FileId,
        span: Span,
    ) -> Option<CalendarId> {
        if let Some(n) = named {
            if let Some(id) = self.calendar_index.get(&n.name) {
                return Some(*id);
            }
            let names: Vec<&str> = self.calendars.iter().map(|c| c.name.as_str()).collect();
            let help = match suggest(&n.name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => "no calendar is declared: declare one, or `use` a file that does (policies/national/workdays_2025.bylaw)".into(),
                None => format!("calendars in scope: {}", names.join(", ")),
            };
            self.error_help(
                codes::NO_CALENDAR,
                format!("`{}` is not a calendar", n.name),
                (file, n.span, "not a calendar"),
                help,
            );
            return None;
        }
        match self.calendars.as_slice() {
            [_] => Some(CalendarId(0)),
            [] => {
                self.error_help(
                    codes::NO_CALENDAR,
                    format!("{what} needs a calendar of working days, and none is declared"),
                    (file, span, "counts working days"),
                    "declare a `calendar` (weekends, holidays and 调休 days), or `use` a file that does, such as policies/national/workdays_2025.bylaw",
                );
                None
            }
            several => {
                let names: Vec<&str> = several.iter().map(|c| c.name.as_str()).collect();
                self.error_help(
                    codes::NO_CALENDAR,
                    format!(
                        "{what} could count over any of {} calendars: {}",
                        names.len(),
                        names.join(", ")
                    ),
                    (file, span, "which calendar?"),
                    format!(
                        "name one: {}",
                        example(names.first().copied().unwrap_or_default())
                    ),
                );
                None
            }
        }
    }

    /// A call's calendar argument: a bare calendar name.
    pub(super) fn calendar_arg(&mut self, arg: &ast::Expr, file: FileId) -> Option<ast::Ident> {
        match &arg.kind {
            ExprKind::Path(p) if p.len() == 1 => p.first().cloned(),
            _ => {
                let written = bylaw_grammar::print_expr(arg);
                self.error_help(
                    codes::NO_CALENDAR,
                    format!("`{written}` is not a calendar"),
                    (file, arg.span, "not a calendar's name"),
                    "the last argument names a declared calendar: `add_working_days(d, 15, cn_workdays)`",
                );
                None
            }
        }
    }
}

fn kind_of(e: &ast::CalendarEntry) -> &'static str {
    if e.working { "working day" } else { "holiday" }
}
