//! Test blocks: their input records become a one-household [`Batch`], their expectations
//! are checked against the outputs' types.

use bylaw_grammar::FileId;
use bylaw_grammar::ast::{self, Expectation, RecordValue};
use bylaw_runtime::batch::{Batch, Column, EntityRows, Offsets};
use bylaw_runtime::schema::{EntityId, Schema};

use super::{Checker, literal, to_scalar};
use crate::diagnostics::{Diagnostic, codes, suggest};
use crate::ir::{Expect, TestCase, Value};
use crate::types::Ty;

/// Error codes a test may expect.
pub const RUNTIME_ERRORS: &[&str] = &[
    "overflow",
    "division_by_zero",
    "missing_value",
    "below_scale",
    "outside_calendar",
];

impl Checker<'_> {
    pub(super) fn test_case(
        &mut self,
        file: FileId,
        t: &ast::TestDecl,
        schema: &Schema,
    ) -> Option<TestCase> {
        let date = self.date(&t.at, file)?;
        let root_name = schema
            .root_entity()
            .map(|e| e.name.clone())
            .unwrap_or_default();
        let mut batch = Batch {
            entities: schema
                .entities
                .iter()
                .map(|e| EntityRows {
                    len: 0,
                    columns: e.fields.iter().map(|f| Column::new_for(&f.ty)).collect(),
                    keys: Vec::new(),
                    source_rows: Vec::new(),
                    children: e.relations.iter().map(|_| Offsets(vec![0])).collect(),
                })
                .collect(),
            root: schema.root,
        };
        let mut ok = true;
        let yearly = self.is_yearly(schema.root);
        let mut row = 0;
        match t.inputs.as_slice() {
            [] => {
                self.diags.push(
                    Diagnostic::error(
                        codes::TEST_INPUT,
                        format!("a test gives exactly one `{root_name}` record"),
                    )
                    .at(file, t.name.span, "this test")
                    .help(format!(
                        "write `{root_name} {{ field: value, … }}` inside the test"
                    )),
                );
                return None;
            }
            [_, second, ..] if !yearly => {
                self.diags.push(
                    Diagnostic::error(
                        codes::TEST_INPUT,
                        format!("a test gives exactly one `{root_name}` record"),
                    )
                    .at(file, second.entity.span, "a second record")
                    .help(format!(
                        "only a yearly table (fields `region` and `year`) takes several rows, one per year; write one `{root_name} {{ … }}`"
                    )),
                );
                return None;
            }
            inputs => {
                for (i, input) in inputs.iter().enumerate() {
                    if input.entity.name != root_name {
                        self.diags.push(
                            Diagnostic::error(
                                codes::TEST_INPUT,
                                format!(
                                    "a test gives `{root_name}` records, not a `{}`",
                                    input.entity.name
                                ),
                            )
                            .at(
                                file,
                                input.entity.span,
                                "input entity",
                            ),
                        );
                        return None;
                    }
                    ok &= self.add_record(
                        file,
                        &input.record,
                        schema,
                        schema.root,
                        &mut batch,
                        i + 1,
                    );
                }
                if yearly && ok {
                    row = self.test_row_for_year(file, t, schema, &batch, date)?;
                }
            }
        }
        let mut expects = Vec::new();
        for e in &t.expects {
            match e {
                Expectation::Value { name, value } => {
                    let Some(def) = self.def_index.get(&name.name).copied() else {
                        let s = suggest(&name.name, self.def_index.keys().map(String::as_str));
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_OUTPUT,
                            format!("`{}` is not an output of this policy", name.name),
                        )
                        .at(file, name.span, "unknown output");
                        if let Some(s) = s {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                        ok = false;
                        continue;
                    };
                    let Some(def_ty) = self
                        .defs
                        .get(def.index())
                        .and_then(|d| d.as_ref())
                        .map(|d| (d.ty, d.entity))
                    else {
                        ok = false;
                        continue;
                    };
                    if def_ty.1 != schema.root {
                        self.error(codes::UNKNOWN_OUTPUT, format!("`{}` is computed per member; expect an output of the `{root_name}`", name.name), file, name.span, "not a household output");
                        ok = false;
                        continue;
                    }
                    match literal::value_of(&value.kind, def_ty.0, &self.enums) {
                        Ok(v) => expects.push(Expect::Value {
                            def,
                            value: v,
                            span: value.span,
                        }),
                        Err(err) => {
                            self.literal_error(err, file, value.span);
                            ok = false;
                        }
                    }
                }
                Expectation::Error { code, within } => {
                    if !RUNTIME_ERRORS.contains(&code.name.as_str()) {
                        self.diags.push(
                            Diagnostic::error(codes::UNKNOWN_OUTPUT, format!("`{}` is not a run-time error", code.name))
                                .at(file, code.span, "unknown error")
                                .help("run-time errors are `overflow`, `division_by_zero` and `missing_value`"),
                        );
                        ok = false;
                        continue;
                    }
                    let within_def = match within {
                        None => None,
                        Some(w) => match self.def_index.get(&w.name) {
                            Some(d) => Some(*d),
                            None => {
                                self.error(
                                    codes::UNKNOWN_OUTPUT,
                                    format!("`{}` is not a definition", w.name),
                                    file,
                                    w.span,
                                    "unknown definition",
                                );
                                ok = false;
                                continue;
                            }
                        },
                    };
                    expects.push(Expect::Error {
                        code: code.name.clone(),
                        within: within_def,
                        span: code.span,
                    });
                }
            }
        }
        if !ok {
            return None;
        }
        bylaw_runtime::history::order_records(schema, &mut batch);
        Some(TestCase {
            name: t.name.text.clone(),
            date,
            file,
            span: t.name.span,
            batch,
            row,
            expects,
        })
    }

    /// In a test over a yearly table, the row whose year is the test date's year: the
    /// one the expectations are about (the others are earlier years it may read).
    fn test_row_for_year(
        &mut self,
        file: FileId,
        t: &ast::TestDecl,
        schema: &Schema,
        batch: &Batch,
        date: i32,
    ) -> Option<usize> {
        let year = bylaw_runtime::date::year_of(date);
        let root = schema.root_entity()?;
        let field = root
            .fields
            .iter()
            .position(|f| f.name == super::funds::YEAR_FIELD)?;
        let years = batch
            .entity(schema.root)
            .and_then(|e| e.int(bylaw_runtime::schema::FieldId(field as u32)))?;
        let rows: Vec<usize> = years
            .iter()
            .enumerate()
            .filter(|(_, y)| **y == year)
            .map(|(i, _)| i)
            .collect();
        match rows.as_slice() {
            [one] => Some(*one),
            [] => {
                self.error_help(
                    codes::TEST_INPUT,
                    format!("no `{}` row for {year}, the year of the test's date", root.name),
                    (file, t.at.span, "the test's date"),
                    format!("give a row with `year: {year}`; rows of other years are the history `[last year]` reads"),
                );
                None
            }
            _ => {
                self.error_help(
                    codes::TEST_INPUT,
                    format!("several `{}` rows for {year}", root.name),
                    (file, t.at.span, "the test's date"),
                    "a test is about one region: give one row per year",
                );
                None
            }
        }
    }

    /// Appends one record of `entity` (and its children) to `batch`.
    fn add_record(
        &mut self,
        file: FileId,
        r: &ast::Record,
        schema: &Schema,
        entity: EntityId,
        batch: &mut Batch,
        number: usize,
    ) -> bool {
        let Some(es) = schema.entity(entity) else {
            return false;
        };
        let mut ok = true;
        for f in &r.fields {
            let known = es.fields.iter().any(|x| x.name == f.name.name)
                || es.relations.iter().any(|x| x.name == f.name.name);
            if !known {
                let names: Vec<&str> = es
                    .fields
                    .iter()
                    .map(|x| x.name.as_str())
                    .chain(es.relations.iter().map(|x| x.name.as_str()))
                    .collect();
                let s = suggest(&f.name.name, names.iter().copied());
                let mut d = Diagnostic::error(
                    codes::TEST_INPUT,
                    format!("`{}` has no field `{}`", es.name, f.name.name),
                )
                .at(file, f.name.span, "unknown field");
                if let Some(s) = s {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.diags.push(d);
                ok = false;
            }
        }
        let Some(rows) = batch.entities.get_mut(entity.0 as usize) else {
            return false;
        };
        let row_index = rows.len;
        let mut key = number.to_string();
        for (i, fs) in es.fields.iter().enumerate() {
            let given = r.fields.iter().find(|x| x.name.name == fs.name);
            let maybe_missing = self
                .entities
                .get(entity.0 as usize)
                .and_then(|e| e.fields.get(i))
                .is_some_and(|f| f.optional);
            let scalar = match given.map(|g| &g.value) {
                Some(RecordValue::Literal(lit))
                    if maybe_missing && lit.kind == bylaw_grammar::ast::LitKind::None =>
                {
                    Some(bylaw_runtime::schema::Scalar::Date(
                        bylaw_runtime::date::NO_DATE,
                    ))
                }
                Some(RecordValue::Literal(lit)) => {
                    let ty = self.field_ty(entity, i);
                    match ty.map(|t| literal::value_of(&lit.kind, t, &self.enums)) {
                        Some(Ok(v)) => {
                            if let Value::Text(t) = &v
                                && es.key.map(|k| k.0 as usize) == Some(i)
                            {
                                key = t.to_string();
                            }
                            Some(to_scalar(&v))
                        }
                        Some(Err(e)) => {
                            self.literal_error(e, file, lit.span);
                            ok = false;
                            None
                        }
                        None => None,
                    }
                }
                Some(RecordValue::List(_, span)) => {
                    self.error(
                        codes::TEST_INPUT,
                        format!("`{}` is a value, not a list", fs.name),
                        file,
                        *span,
                        "a list",
                    );
                    ok = false;
                    None
                }
                // A misspelt field already explains why another looks missing.
                None if !ok => None,
                None => match &fs.default {
                    Some(d) => Some(d.clone()),
                    None if es.key.map(|k| k.0 as usize) == Some(i) => {
                        Some(bylaw_runtime::schema::Scalar::Text(key.clone()))
                    }
                    None => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::TEST_INPUT,
                                format!("the test gives no `{}` for this `{}`", fs.name, es.name),
                            )
                            .at(file, r.span, "this record")
                            .help(format!(
                                "add `{}: …`, or give the field a `default`",
                                fs.name
                            )),
                        );
                        ok = false;
                        None
                    }
                },
            };
            if let (Some(s), Some(col)) = (
                scalar,
                batch
                    .entities
                    .get_mut(entity.0 as usize)
                    .and_then(|x| x.columns.get_mut(i)),
            ) {
                col.push(s);
            }
        }
        if let Some(rows) = batch.entities.get_mut(entity.0 as usize) {
            rows.len += 1;
            rows.keys.push(key);
            rows.source_rows.push(0);
        }
        if ok {
            ok &= self.record_in_range(file, r, es, batch, entity, row_index);
        }
        for (ri, rel) in es.relations.iter().enumerate() {
            let given = r.fields.iter().find(|x| x.name.name == rel.name);
            let records: &[ast::Record] = match given.map(|g| &g.value) {
                Some(RecordValue::List(items, _)) => items,
                Some(RecordValue::Literal(lit)) => {
                    self.error(
                        codes::TEST_INPUT,
                        format!("`{}` is a list of records: `[ {{ … }}, … ]`", rel.name),
                        file,
                        lit.span,
                        "not a list",
                    );
                    ok = false;
                    &[]
                }
                None => &[],
            };
            for (n, child) in records.iter().enumerate() {
                ok &= self.add_record(file, child, schema, rel.child, batch, n + 1);
            }
            let child_len = batch
                .entities
                .get(rel.child.0 as usize)
                .map_or(0, |x| x.len) as u32;
            if let Some(off) = batch
                .entities
                .get_mut(entity.0 as usize)
                .and_then(|x| x.children.get_mut(ri))
            {
                off.0.push(child_len);
            }
        }
        ok
    }

    /// The checks the data readers make on a row: numbers not below their field's
    /// `at least`, and a dated record's last day not before its first.
    fn record_in_range(
        &mut self,
        file: FileId,
        r: &ast::Record,
        es: &bylaw_runtime::schema::EntitySchema,
        batch: &Batch,
        entity: EntityId,
        row: usize,
    ) -> bool {
        let Some(rows) = batch.entities.get(entity.0 as usize) else {
            return true;
        };
        let span_of = |name: &str| {
            r.fields
                .iter()
                .find(|f| f.name.name == name)
                .map_or(r.span, |f| f.name.span)
        };
        let mut ok = true;
        for (field, column) in es.fields.iter().zip(&rows.columns) {
            if let (Some(min), Column::Int(values)) = (field.minimum, column)
                && let Some(&v) = values.get(row)
                && v < min
            {
                let (value, bound) = (
                    bylaw_runtime::input::shown_number(&field.ty, v),
                    bylaw_runtime::input::shown_number(&field.ty, min),
                );
                self.error_help(
                    codes::TEST_INPUT,
                    format!("`{}` is {value}, below its least value {bound}", field.name),
                    (file, span_of(&field.name), "below the least value"),
                    format!(
                        "data files refuse it too; give `{}` at least {bound}",
                        field.name
                    ),
                );
                ok = false;
            }
        }
        if let Some(dated) = es.dated {
            let day =
                |f: bylaw_runtime::schema::FieldId| rows.date(f).and_then(|d| d.get(row)).copied();
            if let (Some(first), Some(last)) = (day(dated.from), day(dated.until))
                && last != bylaw_runtime::date::NO_DATE
                && last < first
            {
                let until = es.field(dated.until).map_or("", |f| f.name.as_str());
                self.error_help(
                    codes::TEST_INPUT,
                    format!(
                        "this `{}` ends on {}, before it starts on {}",
                        es.name,
                        bylaw_runtime::date::format_date(last),
                        bylaw_runtime::date::format_date(first)
                    ),
                    (file, span_of(until), "ends before it starts"),
                    format!("a record's last day is on or after its first day; write `{until}: none` for a record still open"),
                );
                ok = false;
            }
        }
        ok
    }

    fn field_ty(&self, entity: EntityId, field: usize) -> Option<Ty> {
        self.entities
            .get(entity.0 as usize)?
            .fields
            .get(field)
            .map(|f| f.ty)
    }
}
