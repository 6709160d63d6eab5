//! Enumerations, entities and the runtime schema they describe: parent chains of regions,
//! relations between entities, the one root entity, field types and defaults.

use std::collections::HashMap;

use bylaw_grammar::ast::{self, Item};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::schema::{
    ColumnType, Dated, EntityId, EntitySchema, EnumSchema, FieldId, FieldSchema, RelationSchema,
    Schema, VariantSchema,
};

use super::exceptions::FieldData;
use super::*;
use crate::diagnostics::{Diagnostic, codes};
use crate::ir::*;
use crate::types::{Per, Ty};

impl<'a> Checker<'a> {
    pub(super) fn collect_enums(&mut self, items: &[(FileId, &Item)]) {
        for (file, item) in items {
            let Item::Enum(e) = item else { continue };
            if self.enum_index.contains_key(&e.name.name) {
                self.duplicate("enumeration", &e.name, *file);
                continue;
            }
            let mut variants: Vec<VariantDef> = Vec::new();
            let mut names: HashMap<&str, u32> = HashMap::new();
            for v in &e.variants {
                if names.contains_key(v.name.name.as_str()) {
                    self.duplicate("variant", &v.name, *file);
                    continue;
                }
                names.insert(&v.name.name, variants.len() as u32);
                variants.push(VariantDef {
                    name: v.name.name.clone(),
                    label: v
                        .meta
                        .label
                        .as_ref()
                        .map_or_else(|| v.name.name.clone(), |l| l.text.clone()),
                    parent: None,
                    level: v.level.as_ref().map(|l| l.name.clone()),
                    code: v.code.as_ref().map(|c| c.text.clone()),
                });
            }
            for v in &e.variants {
                let Some(parent) = &v.parent else { continue };
                match names.get(parent.name.as_str()) {
                    Some(p) => {
                        if let Some(i) = names.get(v.name.name.as_str())
                            && let Some(var) = variants.get_mut(*i as usize)
                        {
                            var.parent = Some(*p);
                        }
                    }
                    None => {
                        let s = crate::diagnostics::suggest(&parent.name, names.keys().copied());
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("`{}` is not a variant of `{}`", parent.name, e.name.name),
                        )
                        .at(*file, parent.span, "unknown parent");
                        if let Some(s) = s {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                    }
                }
            }
            // A parent chain must end: refuse cycles so that fallback lookups terminate.
            // Each variant is walked up once: a chain reaching one known to end ends too.
            const ENDS: usize = usize::MAX;
            let mut mark = vec![0usize; variants.len()];
            for start in 0..variants.len() {
                let mut at = Some(start);
                let mut walked: Vec<usize> = Vec::new();
                while let Some(v) = at {
                    match mark.get(v).copied() {
                        Some(ENDS) | None => break,
                        Some(m) if m == start + 1 => {
                            self.error(
                                codes::CYCLE,
                                format!(
                                    "the parents of `{}` form a cycle",
                                    variants.get(start).map_or("", |v| v.name.as_str())
                                ),
                                *file,
                                e.name.span,
                                "in this enumeration",
                            );
                            // Cut the link that closed the cycle.
                            if let Some(var) = walked.last().and_then(|w| variants.get_mut(*w)) {
                                var.parent = None;
                            }
                            break;
                        }
                        Some(_) => {}
                    }
                    mark[v] = start + 1;
                    walked.push(v);
                    at = variants.get(v).and_then(|x| x.parent).map(|p| p as usize);
                }
                for v in walked {
                    mark[v] = ENDS;
                }
            }
            let mut index = HashMap::with_capacity(variants.len() * 2);
            for (i, v) in variants.iter().enumerate() {
                index.entry(v.name.clone()).or_insert(i as u32);
                if let Some(code) = &v.code {
                    index.entry(code.clone()).or_insert(i as u32);
                }
            }
            self.enum_index
                .insert(e.name.name.clone(), EnumId(self.enums.len() as u32));
            self.enums.push(EnumDef {
                name: e.name.name.clone(),
                origin: origin(*file, e.span, &e.meta),
                variants,
                index,
            });
        }
    }

    /// A number field's smallest value, scaled like its column: its `at least`, else 0
    /// for counts and durations (which are never negative), else none.
    fn field_minimum(
        &mut self,
        ty: Ty,
        decl: Option<&ast::FieldDecl>,
        file: FileId,
    ) -> Option<i64> {
        let numeric = matches!(
            ty,
            Ty::Money(_) | Ty::Rate | Ty::Count | Ty::Decimal | Ty::Days | Ty::Months
        );
        let Some(lit) = decl.and_then(|d| d.at_least.as_ref()) else {
            return default_minimum(ty);
        };
        if !numeric {
            self.error_help(
                codes::BAD_ENTITY,
                "`at least` bounds a number field or a relation",
                (file, lit.span, "not a number field"),
                "remove it, or give the field a number type (money, count, months, …)",
            );
            return None;
        }
        match literal::value_of(&lit.kind, ty, &self.enums) {
            Ok(Value::Int(m)) => Some(m),
            Ok(_) => None,
            Err(e) => {
                self.literal_error(e, file, lit.span);
                None
            }
        }
    }

    /// What data can hold in a field beyond its type, for the witnesses of overlapping
    /// exceptions: whole years for a field declared in `years`, and its smallest value.
    /// A malformed `at least` is reported by [`Checker::schema`], not here.
    pub(super) fn field_data(&self, entity: EntityId, field: FieldId) -> FieldData {
        let Some(info) = self.entities.get(entity.0 as usize) else {
            return FieldData::default();
        };
        let Some(f) = info.fields.get(field.0 as usize) else {
            return FieldData::default();
        };
        let decl = self
            .loaded
            .modules
            .iter()
            .flat_map(|(_, m)| m.items.iter())
            .find_map(|i| match i {
                Item::Entity(e) if e.name.name == info.name => Some(e),
                _ => None,
            })
            .and_then(|e| e.fields.iter().find(|d| d.name.name == f.name));
        let whole_years = decl.is_some_and(|d| {
            matches!(&d.ty, ast::FieldType::Value(ast::TypeExpr::Named(t)) if t.name == "years")
        });
        let minimum = match decl.and_then(|d| d.at_least.as_ref()) {
            None => default_minimum(f.ty),
            Some(lit) => match literal::value_of(&lit.kind, f.ty, &self.enums) {
                Ok(Value::Int(m)) => Some(m),
                _ => None,
            },
        };
        FieldData {
            whole_years,
            minimum,
        }
    }

    /// The fields named by `from FIRST until LAST` of an entity of dated records: a date
    /// that always has a value, and a date that may be missing (a record still open).
    fn dated_fields(
        &mut self,
        fields: &[FieldInfo],
        from: &ast::Ident,
        until: &ast::Ident,
        file: FileId,
    ) -> Option<Dated> {
        let mut find = |name: &ast::Ident, first: bool| -> Option<FieldId> {
            let Some(i) = fields.iter().position(|f| f.name == name.name) else {
                let s =
                    crate::diagnostics::suggest(&name.name, fields.iter().map(|f| f.name.as_str()));
                let mut d = Diagnostic::error(
                    codes::BAD_ENTITY,
                    format!("dated records need a field `{}`", name.name),
                )
                .at(file, name.span, "no such field");
                d = d.help(match s {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("declare `{}: date` in this entity", name.name),
                });
                self.diags.push(d);
                return None;
            };
            let f = fields.get(i)?;
            if f.ty != Ty::Date {
                self.error_help(
                    codes::BAD_ENTITY,
                    format!(
                        "`{}` holds a record's {} day, so it must be a date",
                        f.name,
                        if first { "first" } else { "last" }
                    ),
                    (file, name.span, "not a date"),
                    format!("declare `{}: date`", f.name),
                );
                return None;
            }
            if first && f.optional {
                self.error_help(
                    codes::BAD_ENTITY,
                    format!("a record's first day `{}` may not be missing", f.name),
                    (file, name.span, "declared `default none`"),
                    "only the last day may be missing (a record still open): remove `default none`",
                );
                return None;
            }
            u32::try_from(i).ok().map(FieldId)
        };
        let first = find(from, true);
        let last = find(until, false);
        if from.name == until.name {
            self.error_help(
                codes::BAD_ENTITY,
                "a record's first and last day are the same field",
                (file, until.span, "same as `from`"),
                "name the field of the last day, e.g. `from started_on until ended_on`",
            );
            return None;
        }
        Some(Dated {
            from: first?,
            until: last?,
        })
    }

    /// A relation's fewest children: `at least N`, a whole number without a unit.
    fn child_count(&mut self, lit: &ast::Literal, file: FileId) -> Option<u32> {
        if let ast::LitKind::Number {
            negative: false,
            digits,
            unit: None,
            per: None,
        } = &lit.kind
            && let Ok(n) = digits.parse::<u32>()
        {
            return Some(n);
        }
        self.error_help(
            codes::BAD_ENTITY,
            "a relation's `at least` is a number of children",
            (file, lit.span, "not a whole number of children"),
            "write a whole number without a unit, e.g. `members: many person at least 1`",
        );
        None
    }

    /// A type as written, or `None` (reported).
    pub(super) fn resolve_type(&mut self, t: &ast::TypeExpr, file: FileId) -> Option<Ty> {
        match t {
            ast::TypeExpr::Money { period, .. } => Some(Ty::Money(match period {
                None => Per::Once,
                Some(ast::Period::Month) => Per::Month,
                Some(ast::Period::Year) => Per::Year,
            })),
            ast::TypeExpr::Named(i) => {
                let ty = match i.name.as_str() {
                    "rate" => Ty::Rate,
                    "count" => Ty::Count,
                    "decimal" => Ty::Decimal,
                    "days" => Ty::Days,
                    "months" | "years" => Ty::Months,
                    "date" => Ty::Date,
                    "bool" => Ty::Bool,
                    "text" => Ty::Text,
                    name => match self.enum_index.get(name) {
                        Some(e) => Ty::Enum(*e),
                        None => {
                            let mut candidates: Vec<&str> = vec![
                                "money", "rate", "count", "decimal", "days", "months", "years",
                                "date", "bool", "text",
                            ];
                            candidates.extend(self.enum_index.keys().map(String::as_str));
                            let s = crate::diagnostics::suggest(name, candidates.iter().copied());
                            let mut d = Diagnostic::error(
                                codes::UNKNOWN_NAME,
                                format!("unknown type `{name}`"),
                            )
                            .at(file, i.span, "not a type");
                            d = d.help(match s {
                                Some(s) => format!("did you mean `{s}`?"),
                                None => "types are money, money per month, money per year, rate, count, decimal, days, months, date, bool, text, or an enumeration".into(),
                            });
                            self.diags.push(d);
                            return None;
                        }
                    },
                };
                Some(ty)
            }
        }
    }

    pub(super) fn collect_entities(&mut self, items: &[(FileId, &Item)]) {
        let mut unresolved_relation = false;
        let decls: Vec<(FileId, &ast::EntityDecl)> = items
            .iter()
            .filter_map(|(f, i)| {
                if let Item::Entity(e) = i {
                    Some((*f, e))
                } else {
                    None
                }
            })
            .collect();
        for (file, e) in &decls {
            if self.entity_index.contains_key(&e.name.name) {
                self.duplicate("entity", &e.name, *file);
                continue;
            }
            self.entity_index
                .insert(e.name.name.clone(), EntityId(self.entities.len() as u32));
            self.entities.push(EntityInfo {
                name: e.name.name.clone(),
                file: *file,
                span: e.name.span,
                fields: Vec::new(),
                relations: Vec::new(),
                parent: None,
                dated: None,
            });
        }
        for (file, e) in &decls {
            let Some(&id) = self.entity_index.get(&e.name.name) else {
                continue;
            };
            let mut fields = Vec::new();
            let mut relations = Vec::new();
            let mut seen: HashMap<String, ()> = HashMap::new();
            for f in &e.fields {
                if seen.insert(f.name.name.clone(), ()).is_some() {
                    self.duplicate("field", &f.name, *file);
                    continue;
                }
                match &f.ty {
                    ast::FieldType::Value(t) => {
                        if let Some(ty) = self.resolve_type(t, *file) {
                            let none = f
                                .default
                                .as_ref()
                                .is_some_and(|d| d.kind == ast::LitKind::None);
                            if none && ty != Ty::Date {
                                self.error_help(
                                    codes::MAYBE_MISSING,
                                    format!(
                                        "only a date field may be missing; `{}` is not a date",
                                        f.name.name
                                    ),
                                    (*file, f.name.span, "`default none`"),
                                    "give a default value, or declare the field a `date`",
                                );
                            }
                            fields.push(FieldInfo {
                                name: f.name.name.clone(),
                                ty,
                                optional: none && ty == Ty::Date,
                            });
                        }
                    }
                    ast::FieldType::Many(child) => match self.entity_index.get(&child.name) {
                        None => {
                            unresolved_relation = true;
                            let s = crate::diagnostics::suggest(
                                &child.name,
                                self.entity_index.keys().map(String::as_str),
                            );
                            let mut d = Diagnostic::error(
                                codes::BAD_ENTITY,
                                format!("unknown entity `{}`", child.name),
                            )
                            .at(*file, child.span, "not an entity");
                            if let Some(s) = s {
                                d = d.help(format!("did you mean `{s}`?"));
                            }
                            self.diags.push(d);
                        }
                        Some(&c) => relations.push(RelationInfo {
                            name: f.name.name.clone(),
                            child: c,
                            span: f.name.span,
                            file: *file,
                        }),
                    },
                }
            }
            let dated = e
                .dated
                .as_ref()
                .and_then(|(from, until)| self.dated_fields(&fields, from, until, *file));
            if let (Some(_), Some(r)) = (dated, relations.first()) {
                self.error_help(
                    codes::BAD_ENTITY,
                    format!(
                        "dated records (`{}`) have no relations of their own",
                        e.name.name
                    ),
                    (*file, r.span, "a relation of dated records"),
                    "put the relation in the entity that owns the records",
                );
            }
            if let Some(info) = self.entities.get_mut(id.0 as usize) {
                info.fields = fields;
                info.relations = relations;
                info.dated = dated;
            }
        }
        // Parents: each entity is the child of at most one relation.
        let mut parents: Vec<(EntityId, EntityId, FileId, Span)> = Vec::new();
        for (i, e) in self.entities.iter().enumerate() {
            for r in &e.relations {
                parents.push((r.child, EntityId(i as u32), r.file, r.span));
            }
        }
        for (child, parent, file, span) in parents {
            let Some(info) = self.entities.get_mut(child.0 as usize) else {
                continue;
            };
            if info.parent.is_some() || child == parent {
                let name = info.name.clone();
                self.error(
                    codes::BAD_ENTITY,
                    format!("entity `{name}` is the child of more than one relation"),
                    file,
                    span,
                    "second relation",
                );
                continue;
            }
            info.parent = Some(parent);
        }
        let roots: Vec<EntityId> = (0..self.entities.len())
            .map(|i| EntityId(i as u32))
            .filter(|id| {
                self.entities
                    .get(id.0 as usize)
                    .is_some_and(|e| e.parent.is_none())
            })
            .collect();
        // An unknown child entity already explains why some entity looks like a root.
        if unresolved_relation {
            return;
        }
        match roots.as_slice() {
            [one] => self.root = Some(*one),
            [] if self.entities.is_empty() => {}
            [] => {
                if let Some(e) = self.entities.first().cloned() {
                    self.error(
                        codes::BAD_ENTITY,
                        "every entity is some relation's child, so there is no root",
                        e.file,
                        e.span,
                        "here",
                    );
                }
            }
            [first, rest @ ..] => {
                for r in rest {
                    if let (Some(a), Some(b)) = (
                        self.entities.get(first.0 as usize).cloned(),
                        self.entities.get(r.0 as usize).cloned(),
                    ) {
                        self.diags.push(
                            Diagnostic::error(codes::BAD_ENTITY, format!("two root entities: `{}` and `{}`", a.name, b.name))
                                .at(b.file, b.span, "second root")
                                .also(a.file, a.span, "first root")
                                .help("a policy evaluates one kind of record; link the other entity with `many`"),
                        );
                    }
                }
            }
        }
    }

    /// The runtime schema, with defaults and keys, or `None` when the policy declares no
    /// entity (a library or a scenario).
    pub(super) fn schema(&mut self) -> Option<Schema> {
        let root = self.root?;
        let mut entities = Vec::new();
        let items: Vec<(FileId, &ast::EntityDecl)> = self
            .loaded
            .modules
            .iter()
            .flat_map(|(f, m)| {
                m.items.iter().filter_map(move |i| {
                    if let Item::Entity(e) = i {
                        Some((*f, e))
                    } else {
                        None
                    }
                })
            })
            .collect();
        for info in self.entities.clone() {
            let decl = items.iter().find(|(_, e)| e.name.name == info.name);
            let file = decl.map_or(info.file, |(f, _)| *f);
            let meta_of = |name: &str| {
                decl.and_then(|(_, d)| d.fields.iter().find(|x| x.name.name == name))
                    .map(|d| {
                        let pp = matches!(&d.ty, ast::FieldType::Value(t) if per_person(Some(t)));
                        (origin(file, d.name.span, &d.meta), d.fixed, pp)
                    })
                    .unwrap_or_default()
            };
            self.docs.push(EntityDoc {
                origin: decl
                    .map(|(_, d)| origin(file, d.name.span, &d.meta))
                    .unwrap_or_default(),
                fields: info
                    .fields
                    .iter()
                    .map(|f| {
                        let (origin, fixed, per_person) = meta_of(&f.name);
                        FieldDoc {
                            origin,
                            fixed,
                            per_person,
                        }
                    })
                    .collect(),
                relations: info.relations.iter().map(|r| meta_of(&r.name).0).collect(),
            });
            let mut fields = Vec::new();
            let mut key = None;
            let mut relations = Vec::new();
            for f in &info.fields {
                let fdecl = decl.and_then(|(_, d)| d.fields.iter().find(|x| x.name.name == f.name));
                let file = decl.map(|(fi, _)| *fi).unwrap_or(info.file);
                let default = match fdecl.and_then(|d| d.default.as_ref()) {
                    Some(_) if f.optional => Some(bylaw_runtime::schema::Scalar::Date(
                        bylaw_runtime::date::NO_DATE,
                    )),
                    Some(lit) => match literal::value_of(&lit.kind, f.ty, &self.enums) {
                        Ok(v) => Some(to_scalar(&v)),
                        Err(e) => {
                            self.literal_error(e, file, lit.span);
                            None
                        }
                    },
                    None => None,
                };
                if fdecl.is_some_and(|d| d.key) {
                    if key.is_some()
                        && let Some(d) = fdecl
                    {
                        self.error(
                            codes::BAD_ENTITY,
                            format!("entity `{}` has more than one key field", info.name),
                            file,
                            d.name.span,
                            "second key",
                        );
                    }
                    key = Some(FieldId(fields.len() as u32));
                }
                // A field declared in years is read from data in years, held as months.
                let declared_years = fdecl.is_some_and(|d| matches!(&d.ty, ast::FieldType::Value(ast::TypeExpr::Named(t)) if t.name == "years"));
                let column = if declared_years {
                    ColumnType::Years
                } else {
                    self.column_type(f.ty)
                };
                let minimum = self.field_minimum(f.ty, fdecl, file);
                fields.push(FieldSchema {
                    name: f.name.clone(),
                    label: fdecl
                        .and_then(|d| d.meta.label.as_ref())
                        .map_or_else(|| f.name.clone(), |l| l.text.clone()),
                    ty: column,
                    default,
                    minimum,
                });
            }
            for r in &info.relations {
                let file = decl.map(|(fi, _)| *fi).unwrap_or(info.file);
                let at_least = decl
                    .and_then(|(_, d)| d.fields.iter().find(|x| x.name.name == r.name))
                    .and_then(|d| d.at_least.as_ref())
                    .and_then(|lit| self.child_count(lit, file))
                    .unwrap_or(0);
                relations.push(RelationSchema {
                    name: r.name.clone(),
                    child: r.child,
                    at_least,
                });
            }
            entities.push(EntitySchema {
                name: info.name.clone(),
                label: decl
                    .and_then(|(_, d)| d.meta.label.as_ref())
                    .map_or_else(|| info.name.clone(), |l| l.text.clone()),
                key,
                fields,
                relations,
                parent: info.parent,
                dated: info.dated,
            });
        }
        Some(Schema { entities, root })
    }

    pub(super) fn column_type(&self, ty: Ty) -> ColumnType {
        match ty {
            Ty::Money(_) => ColumnType::Money,
            Ty::Rate => ColumnType::Rate,
            Ty::Count => ColumnType::Count,
            Ty::Decimal => ColumnType::Decimal,
            Ty::Days => ColumnType::Days,
            Ty::Months => ColumnType::Months,
            Ty::Date => ColumnType::Date,
            Ty::Bool => ColumnType::Bool,
            Ty::Text => ColumnType::Text,
            Ty::Enum(e) => {
                let def = self.enums.get(e.index());
                ColumnType::Enum(std::sync::Arc::new(EnumSchema::new(
                    def.map(|d| d.name.clone()).unwrap_or_default(),
                    def.map(|d| {
                        d.variants
                            .iter()
                            .map(|v| VariantSchema {
                                name: v.name.clone(),
                                label: v.label.clone(),
                                code: v.code.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                )))
            }
        }
    }
}

/// The smallest value of a number field without `at least`: 0 for counts and durations,
/// which are never negative; none for others.
fn default_minimum(ty: Ty) -> Option<i64> {
    matches!(ty, Ty::Count | Ty::Days | Ty::Months).then_some(0)
}
