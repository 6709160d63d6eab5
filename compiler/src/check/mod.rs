//! Name resolution and type checking: the parsed files of one policy become a
//! [`Program`]. Every problem is collected; checking goes on past errors so that one run
//! of `bylaw check` shows them all.

mod exceptions;
mod expr;
pub mod literal;
mod testcase;

use std::collections::HashMap;

use bylaw_grammar::ast::{self, Item};
use bylaw_grammar::{FileId, Span};
use bylaw_runtime::arith::RoundingMode;
use bylaw_runtime::schema::{
    ColumnType, EntityId, EntitySchema, EnumSchema, FieldId, FieldSchema, RelationSchema, Scalar,
    Schema, VariantSchema,
};

use crate::diagnostics::{Diagnostic, codes};
use crate::ir::*;
use crate::load::Loaded;
use crate::types::{Per, Ty};
use literal::LiteralError;

/// A field of an entity as the checker sees it.
#[derive(Debug, Clone)]
struct FieldInfo {
    name: String,
    ty: Ty,
}

#[derive(Debug, Clone)]
struct RelationInfo {
    name: String,
    child: EntityId,
    span: Span,
    file: FileId,
}

#[derive(Debug, Clone)]
struct EntityInfo {
    name: String,
    file: FileId,
    span: Span,
    fields: Vec<FieldInfo>,
    relations: Vec<RelationInfo>,
    parent: Option<EntityId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DefState {
    Unchecked,
    InProgress,
    Done,
    Failed,
}

/// A definition being checked: its declarations (dated versions) and exceptions.
struct DefSlot<'a> {
    decls: Vec<(FileId, &'a ast::DefDecl)>,
    exceptions: Vec<(FileId, &'a ast::ExceptionDecl)>,
    state: DefState,
}

pub(crate) struct Checker<'a> {
    loaded: &'a Loaded,
    diags: Vec<Diagnostic>,
    enums: Vec<EnumDef>,
    enum_index: HashMap<String, EnumId>,
    entities: Vec<EntityInfo>,
    entity_index: HashMap<String, EntityId>,
    root: Option<EntityId>,
    params: Vec<Param>,
    param_index: HashMap<String, ParamId>,
    scales: Vec<ScaleDef>,
    scale_index: HashMap<String, ScaleId>,
    slots: Vec<DefSlot<'a>>,
    /// Definitions being checked, outermost first: the chain a cycle is reported with.
    in_progress: Vec<DefId>,
    defs: Vec<Option<Def>>,
    def_index: HashMap<String, DefId>,
    nodes: Vec<Node>,
    types: Vec<Ty>,
    spans: Vec<(FileId, Span)>,
}

/// Checks the loaded files of one policy. Returns the program when there is no error;
/// warnings are returned either way.
pub fn check(loaded: &Loaded) -> (Option<Program>, Vec<Diagnostic>) {
    let mut c = Checker {
        loaded,
        diags: Vec::new(),
        enums: Vec::new(),
        enum_index: HashMap::new(),
        entities: Vec::new(),
        entity_index: HashMap::new(),
        root: None,
        params: Vec::new(),
        param_index: HashMap::new(),
        scales: Vec::new(),
        scale_index: HashMap::new(),
        slots: Vec::new(),
        in_progress: Vec::new(),
        defs: Vec::new(),
        def_index: HashMap::new(),
        nodes: Vec::new(),
        types: Vec::new(),
        spans: Vec::new(),
    };
    let items: Vec<(FileId, &Item)> = loaded
        .modules
        .iter()
        .flat_map(|(f, m)| m.items.iter().map(move |i| (*f, i)))
        .collect();
    let policy = c.policy(&items);
    c.collect_enums(&items);
    c.collect_entities(&items);
    c.collect_params(&items);
    c.collect_scales(&items);
    c.collect_defs(&items);
    for i in 0..c.slots.len() {
        c.check_def(DefId(i as u32));
    }
    let schema = c.schema();
    let mut tests = Vec::new();
    if let Some(schema) = &schema {
        for (file, item) in &items {
            if let Item::Test(t) = item
                && (Some(*file) == loaded.root || is_test_file(loaded, *file))
                && let Some(tc) = c.test_case(*file, t, schema)
            {
                tests.push(tc);
            }
        }
    }
    for (file, item) in &items {
        if let Item::Set(s) = item {
            c.error(
                codes::PARAMETER_KEY,
                "`set` belongs in a scenario file",
                *file,
                s.span,
                "here",
            );
        }
    }
    let has_error = c.diags.iter().any(Diagnostic::is_error);
    let diags = std::mem::take(&mut c.diags);
    if has_error {
        return (None, diags);
    }
    // A library (regions, shared enumerations) declares no entity: its program has an
    // empty schema and nothing to evaluate.
    let schema = schema.unwrap_or(Schema {
        entities: Vec::new(),
        root: EntityId(0),
    });
    let defs: Vec<Def> = c.defs.into_iter().flatten().collect();
    let outputs = defs
        .iter()
        .enumerate()
        .filter(|(_, d)| d.entity == schema.root)
        .map(|(i, _)| DefId(i as u32))
        .collect();
    let program = Program {
        policy,
        schema,
        enums: c.enums,
        defs,
        params: c.params,
        scales: c.scales,
        tests,
        nodes: c.nodes,
        types: c.types,
        spans: c.spans,
        outputs,
    };
    (Some(program), diags)
}

fn is_test_file(loaded: &Loaded, file: FileId) -> bool {
    loaded
        .sources
        .get(file)
        .is_some_and(|f| f.name.ends_with(".test.bylaw"))
}

fn origin(file: FileId, span: Span, meta: &ast::Meta) -> Origin {
    Origin {
        file: Some(file),
        span,
        meta: meta.clone(),
    }
}

fn cited(meta: &ast::Meta) -> bool {
    !meta.sources.is_empty() || meta.assumed.is_some()
}

impl<'a> Checker<'a> {
    fn error(
        &mut self,
        code: crate::diagnostics::Code,
        message: impl Into<String>,
        file: FileId,
        span: Span,
        label: &str,
    ) {
        self.diags
            .push(Diagnostic::error(code, message).at(file, span, label));
    }

    fn error_help(
        &mut self,
        code: crate::diagnostics::Code,
        message: impl Into<String>,
        (file, span, label): (FileId, Span, &str),
        help: impl Into<String>,
    ) {
        self.diags.push(
            Diagnostic::error(code, message)
                .at(file, span, label)
                .help(help),
        );
    }

    fn literal_error(&mut self, e: LiteralError, file: FileId, span: Span) {
        let mut d = Diagnostic::error(e.code, e.message).at(file, span, "this value");
        if let Some(h) = e.help {
            d = d.help(h);
        }
        self.diags.push(d);
    }

    fn date(&mut self, d: &ast::DateLit, file: FileId) -> Option<i32> {
        match literal::parse_date(&d.text) {
            Ok(v) => Some(v),
            Err(e) => {
                self.literal_error(e, file, d.span);
                None
            }
        }
    }

    fn duplicate(&mut self, what: &str, name: &ast::Ident, file: FileId) {
        self.error(
            codes::DUPLICATE,
            format!("{what} `{}` is declared twice", name.name),
            file,
            name.span,
            "second declaration",
        );
    }

    fn policy(&mut self, items: &[(FileId, &Item)]) -> Option<PolicyInfo> {
        let mut found: Option<PolicyInfo> = None;
        for (file, item) in items {
            if let Item::Policy(p) = item {
                if Some(*file) != self.loaded.root {
                    continue;
                }
                if found.is_some() {
                    self.duplicate("policy", &p.name, *file);
                    continue;
                }
                let effective = p.effective.as_ref().and_then(|d| self.date(d, *file));
                found = Some(PolicyInfo {
                    name: p.name.name.clone(),
                    origin: origin(*file, p.span, &p.meta),
                    effective,
                });
            }
        }
        found
    }

    fn collect_enums(&mut self, items: &[(FileId, &Item)]) {
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
            for start in 0..variants.len() {
                let mut seen = 0;
                let mut at = Some(start as u32);
                while let Some(v) = at {
                    seen += 1;
                    if seen > variants.len() {
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
                        if let Some(var) = variants.get_mut(start) {
                            var.parent = None;
                        }
                        break;
                    }
                    at = variants.get(v as usize).and_then(|x| x.parent);
                }
            }
            self.enum_index
                .insert(e.name.name.clone(), EnumId(self.enums.len() as u32));
            self.enums.push(EnumDef {
                name: e.name.name.clone(),
                origin: origin(*file, e.span, &e.meta),
                variants,
            });
        }
    }

    /// A type as written, or `None` (reported).
    fn resolve_type(&mut self, t: &ast::TypeExpr, file: FileId) -> Option<Ty> {
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

    fn collect_entities(&mut self, items: &[(FileId, &Item)]) {
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
                            fields.push(FieldInfo {
                                name: f.name.name.clone(),
                                ty,
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
            if let Some(info) = self.entities.get_mut(id.0 as usize) {
                info.fields = fields;
                info.relations = relations;
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
    fn schema(&mut self) -> Option<Schema> {
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
            let mut fields = Vec::new();
            let mut key = None;
            let mut relations = Vec::new();
            for f in &info.fields {
                let fdecl = decl.and_then(|(_, d)| d.fields.iter().find(|x| x.name.name == f.name));
                let file = decl.map(|(fi, _)| *fi).unwrap_or(info.file);
                let default = match fdecl.and_then(|d| d.default.as_ref()) {
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
                fields.push(FieldSchema {
                    name: f.name.clone(),
                    label: fdecl
                        .and_then(|d| d.meta.label.as_ref())
                        .map_or_else(|| f.name.clone(), |l| l.text.clone()),
                    ty: column,
                    default,
                });
            }
            for r in &info.relations {
                let at_least = decl
                    .and_then(|(_, d)| d.fields.iter().find(|x| x.name.name == r.name))
                    .and_then(|d| d.at_least)
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
            });
        }
        Some(Schema { entities, root })
    }

    fn column_type(&self, ty: Ty) -> ColumnType {
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
                ColumnType::Enum(std::sync::Arc::new(EnumSchema {
                    name: def.map(|d| d.name.clone()).unwrap_or_default(),
                    variants: def
                        .map(|d| {
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
                }))
            }
        }
    }

    fn collect_params(&mut self, items: &[(FileId, &Item)]) {
        for (file, item) in items {
            let Item::Parameter(p) = item else { continue };
            let file = *file;
            if self.param_index.contains_key(&p.name.name) {
                self.duplicate("parameter", &p.name, file);
                continue;
            }
            let Some(ty) = self.resolve_type(&p.ty, file) else {
                continue;
            };
            let by = match &p.by {
                None => None,
                Some(b) => match self.enum_index.get(&b.name) {
                    Some(e) => Some(*e),
                    None => {
                        let s = crate::diagnostics::suggest(
                            &b.name,
                            self.enum_index.keys().map(String::as_str),
                        );
                        let mut d = Diagnostic::error(
                            codes::UNKNOWN_NAME,
                            format!("unknown enumeration `{}`", b.name),
                        )
                        .at(
                            file,
                            b.span,
                            "a parameter is keyed by an enumeration",
                        );
                        if let Some(s) = s {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                        continue;
                    }
                },
            };
            let mut entries: Vec<ParamEntry> = Vec::new();
            for v in &p.values {
                let key = match (&v.key, by) {
                    (None, None) => None,
                    (Some(k), Some(e)) => match self
                        .enums
                        .get(e.index())
                        .map(|d| literal::variant_index(d, &k.name))
                    {
                        Some(Ok(i)) => Some(i),
                        Some(Err(err)) => {
                            self.literal_error(err, file, k.span);
                            continue;
                        }
                        None => continue,
                    },
                    (Some(k), None) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::PARAMETER_KEY,
                                format!(
                                    "parameter `{}` has no key, but this value names `{}`",
                                    p.name.name, k.name
                                ),
                            )
                            .at(file, k.span, "key given")
                            .help("declare the parameter `by` an enumeration to key its values"),
                        );
                        continue;
                    }
                    (None, Some(_)) => {
                        self.diags.push(
                            Diagnostic::error(
                                codes::PARAMETER_KEY,
                                format!(
                                    "parameter `{}` is keyed, but this value names no key",
                                    p.name.name
                                ),
                            )
                            .at(file, v.value.span, "value without a key")
                            .help("write `key: value from DATE`"),
                        );
                        continue;
                    }
                };
                let Some(from) = self.date(&v.from, file) else {
                    continue;
                };
                let value = if v.value.kind == ast::LitKind::None {
                    None
                } else {
                    match literal::value_of(&v.value.kind, ty, &self.enums) {
                        Ok(val) => Some(val),
                        Err(e) => {
                            self.literal_error(e, file, v.value.span);
                            continue;
                        }
                    }
                };
                if entries.iter().any(|x| x.key == key && x.from == from) {
                    self.error_help(
                        codes::OVERLAPPING_VERSIONS,
                        format!(
                            "parameter `{}` has two values from {} for the same key",
                            p.name.name, v.from.text
                        ),
                        (file, v.from.span, "second value on this date"),
                        "each key has one value per date; a later value replaces an earlier one from its own date",
                    );
                    continue;
                }
                if value.is_some() && !cited(&v.meta) && !cited(&p.meta) {
                    self.diags.push(
                        Diagnostic::warning(
                            codes::UNCITED,
                            format!(
                                "value of `{}` has no source and is not marked as assumed",
                                p.name.name
                            ),
                        )
                        .at(file, v.value.span, "uncited value")
                        .help("add `source DOC \"quoted phrase\"`, or `assumed \"reason\"`"),
                    );
                }
                entries.push(ParamEntry {
                    key,
                    value,
                    from,
                    origin: origin(file, v.value.span, &v.meta),
                });
            }
            entries.sort_by_key(|e| (e.key, e.from));
            self.param_index
                .insert(p.name.name.clone(), ParamId(self.params.len() as u32));
            self.params.push(Param {
                name: p.name.name.clone(),
                ty,
                by,
                entries,
                origin: origin(file, p.name.span, &p.meta),
            });
        }
    }

    fn collect_scales(&mut self, items: &[(FileId, &Item)]) {
        for (file, item) in items {
            let Item::Scale(s) = item else { continue };
            let file = *file;
            if self.scale_index.contains_key(&s.name.name)
                || self.param_index.contains_key(&s.name.name)
            {
                self.duplicate("scale", &s.name, file);
                continue;
            }
            let (Some(input), Some(output)) = (
                self.resolve_type(&s.input, file),
                self.resolve_type(&s.output, file),
            ) else {
                continue;
            };
            let marginal = s.kind == ast::ScaleKind::Marginal;
            if !input.is_numeric() {
                self.error(
                    codes::SCALE,
                    format!(
                        "a scale's input must be a number, not `{}`",
                        input.name(&self.enum_names())
                    ),
                    file,
                    s.input.span(),
                    "input type",
                );
                continue;
            }
            if marginal && output != Ty::Rate {
                self.error(
                    codes::SCALE,
                    "the values of a marginal scale must be rates",
                    file,
                    s.output.span(),
                    "output type",
                );
                continue;
            }
            let mut versions = Vec::new();
            for v in &s.versions {
                let Some(from) = self.date(&v.from, file) else {
                    continue;
                };
                let mut brackets: Vec<(Value, Value)> = Vec::new();
                for b in &v.brackets {
                    let t = literal::value_of(&b.threshold.kind, input, &self.enums);
                    let o = literal::value_of(&b.value.kind, output, &self.enums);
                    match (t, o) {
                        (Ok(t), Ok(o)) => {
                            if let (Some((Value::Int(prev), _)), Value::Int(now)) =
                                (brackets.last(), &t)
                                && now <= prev
                            {
                                let shown = |v: i64| {
                                    bylaw_runtime::decimal::format_scaled(v, input.scale(), 0)
                                };
                                self.error_help(
                                    codes::SCALE,
                                    format!(
                                        "thresholds must rise strictly: `{}` follows `{}`",
                                        shown(*now),
                                        shown(*prev)
                                    ),
                                    (file, b.threshold.span, "not above the previous threshold"),
                                    "list the brackets from the lowest threshold up",
                                );
                            }
                            brackets.push((t, o));
                        }
                        (Err(e), _) => self.literal_error(e, file, b.threshold.span),
                        (_, Err(e)) => self.literal_error(e, file, b.value.span),
                    }
                }
                versions.push(ScaleVersion { from, brackets });
            }
            versions.sort_by_key(|v| v.from);
            self.scale_index
                .insert(s.name.name.clone(), ScaleId(self.scales.len() as u32));
            self.scales.push(ScaleDef {
                name: s.name.name.clone(),
                marginal,
                input,
                output,
                versions,
                origin: origin(file, s.name.span, &s.meta),
            });
        }
    }

    fn enum_names(&self) -> Vec<String> {
        self.enums.iter().map(|e| e.name.clone()).collect()
    }

    fn collect_defs(&mut self, items: &[(FileId, &'a Item)]) {
        for (file, item) in items {
            match item {
                Item::Def(d) => {
                    let name = &d.name.name;
                    let clash = self
                        .param_index
                        .get(name)
                        .and_then(|p| self.params.get(p.index()))
                        .map(|p| ("parameter", p.origin.clone()))
                        .or_else(|| {
                            self.scale_index
                                .get(name)
                                .and_then(|s| self.scales.get(s.index()))
                                .map(|s| ("scale", s.origin.clone()))
                        });
                    if let Some((what, first)) = clash {
                        let mut diag = Diagnostic::error(
                            codes::DUPLICATE,
                            format!("`{name}` is already declared as a {what}"),
                        )
                        .at(*file, d.name.span, "second declaration")
                        .help("definitions, parameters and scales share one namespace: rename one");
                        if let Some(f) = first.file {
                            diag = diag.also(f, first.span, format!("the {what}"));
                        }
                        self.diags.push(diag);
                        continue;
                    }
                    if name == "error" {
                        self.error_help(
                            codes::DUPLICATE,
                            "`error` is reserved for the output column that names a household's error",
                            (*file, d.name.span, "reserved name"),
                            "choose another name",
                        );
                        continue;
                    }
                    match self.def_index.get(name) {
                        Some(id) => {
                            if let Some(slot) = self.slots.get_mut(id.index()) {
                                slot.decls.push((*file, d));
                            }
                        }
                        None => {
                            self.def_index
                                .insert(name.clone(), DefId(self.slots.len() as u32));
                            self.slots.push(DefSlot {
                                decls: vec![(*file, d)],
                                exceptions: Vec::new(),
                                state: DefState::Unchecked,
                            });
                            self.defs.push(None);
                        }
                    }
                }
                Item::Exception(_) => {}
                _ => {}
            }
        }
        for (file, item) in items {
            if let Item::Exception(x) = item {
                match self.def_index.get(&x.target.name) {
                    Some(id) => {
                        if let Some(slot) = self.slots.get_mut(id.index()) {
                            slot.exceptions.push((*file, x));
                        }
                    }
                    None => {
                        let s = crate::diagnostics::suggest(
                            &x.target.name,
                            self.def_index.keys().map(String::as_str),
                        );
                        let mut d = Diagnostic::error(
                            codes::BAD_EXCEPTION,
                            format!("exception to unknown definition `{}`", x.target.name),
                        )
                        .at(*file, x.target.span, "no such definition");
                        if let Some(s) = s {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        self.diags.push(d);
                    }
                }
            }
        }
    }

    /// The entity a definition belongs to.
    fn def_entity(&mut self, file: FileId, d: &ast::DefDecl) -> Option<EntityId> {
        match &d.entity {
            None => {
                if self.root.is_none() {
                    self.error(
                        codes::BAD_ENTITY,
                        format!("`{}` needs an entity, and none is declared", d.name.name),
                        file,
                        d.name.span,
                        "definition",
                    );
                }
                self.root
            }
            Some(e) => match self.entity_index.get(&e.name) {
                Some(id) => Some(*id),
                None => {
                    let s = crate::diagnostics::suggest(
                        &e.name,
                        self.entity_index.keys().map(String::as_str),
                    );
                    let mut diag = Diagnostic::error(
                        codes::BAD_ENTITY,
                        format!("unknown entity `{}`", e.name),
                    )
                    .at(file, e.span, "not an entity");
                    if let Some(s) = s {
                        diag = diag.help(format!("did you mean `{s}`?"));
                    }
                    self.diags.push(diag);
                    None
                }
            },
        }
    }

    /// Checks a definition (once), so that references to it know its type.
    fn check_def(&mut self, id: DefId) -> Option<Ty> {
        let state = self.slots.get(id.index())?.state;
        match state {
            DefState::Done => return self.defs.get(id.index())?.as_ref().map(|d| d.ty),
            DefState::Failed => return None,
            DefState::InProgress => return None,
            DefState::Unchecked => {}
        }
        if let Some(slot) = self.slots.get_mut(id.index()) {
            slot.state = DefState::InProgress;
        }
        self.in_progress.push(id);
        let result = self.check_def_inner(id);
        self.in_progress.pop();
        if let Some(slot) = self.slots.get_mut(id.index()) {
            slot.state = if result.is_some() {
                DefState::Done
            } else {
                DefState::Failed
            };
        }
        if let Some(def) = result {
            let ty = def.ty;
            if let Some(slot) = self.defs.get_mut(id.index()) {
                *slot = Some(def);
            }
            Some(ty)
        } else {
            None
        }
    }

    fn check_def_inner(&mut self, id: DefId) -> Option<Def> {
        let (decls, exceptions) = {
            let slot = self.slots.get(id.index())?;
            (slot.decls.clone(), slot.exceptions.clone())
        };
        let (first_file, first) = *decls.first()?;
        let entity = self.def_entity(first_file, first)?;
        let kind = match first.kind {
            ast::DefKind::Let => DefKind::Let,
            ast::DefKind::Rule => DefKind::Rule,
            ast::DefKind::Amount => DefKind::Amount,
        };
        let declared = match &first.ty {
            Some(t) => Some(self.resolve_type(t, first_file)?),
            None => None,
        };
        if kind == DefKind::Rule && declared.is_some_and(|t| t != Ty::Bool) {
            self.error(
                codes::DECLARED_TYPE,
                format!(
                    "rule `{}` is a condition; its type is `bool`",
                    first.name.name
                ),
                first_file,
                first.name.span,
                "rule",
            );
        }
        if kind == DefKind::Amount && !declared.is_some_and(Ty::is_money) {
            self.error_help(
                codes::DECLARED_TYPE,
                format!("amount `{}` must be declared as money", first.name.name),
                (first_file, first.name.span, "amount"),
                "an amount is money rounded to the fen, e.g. `amount x: money per month = …`; use `let` or `rule` for other values",
            )
        }
        let rounding = match (&first.rounding, kind) {
            (Some(r), _) => match r.name.parse::<RoundingMode>() {
                Ok(m) => Some(m),
                Err(_) => {
                    self.diags.push(
                        Diagnostic::error(codes::UNKNOWN_ROUNDING, format!("unknown rounding mode `{}`", r.name))
                            .at(first_file, r.span, "rounding mode")
                            .help("use one of `up`, `down`, `ceiling`, `floor`, `half_up`, `half_down`, `half_even`"),
                    );
                    None
                }
            },
            (None, DefKind::Amount) => Some(RoundingMode::HalfUp),
            (None, _) => None,
        };
        if decls.len() > 1
            && decls
                .iter()
                .any(|(_, d)| d.from.is_none() && d.until.is_none())
        {
            if let Some((file, second)) = decls.get(1) {
                self.diags.push(
                    Diagnostic::error(
                        codes::DUPLICATE,
                        format!("`{}` is defined twice", second.name.name),
                    )
                    .at(*file, second.name.span, "second definition")
                    .also(first_file, first.name.span, "first definition")
                    .help("dated versions of one definition say `from DATE` (and `until DATE`)"),
                );
            }
            return None;
        }
        let mut ty = if kind == DefKind::Rule {
            Some(Ty::Bool)
        } else {
            declared
        };
        let mut versions = Vec::new();
        for (file, d) in &decls {
            if d.kind != first.kind
                || d.entity.as_ref().map(|e| &e.name) != first.entity.as_ref().map(|e| &e.name)
            {
                self.error(
                    codes::DUPLICATE,
                    format!(
                        "versions of `{}` must be the same kind of definition for the same entity",
                        d.name.name
                    ),
                    *file,
                    d.name.span,
                    "this version",
                );
                return None;
            }
            let scope = expr::Scope {
                file: *file,
                entities: vec![entity],
            };
            let body = self.expr(&d.body, &scope)?;
            let body_ty = self.types.get(body.index()).copied()?;
            let expected = match kind {
                DefKind::Rule => Some(Ty::Bool),
                _ => ty,
            };
            match expected {
                Some(t) if !body_ty.fits(t) => {
                    let names = self.enum_names();
                    self.diags.push(
                        Diagnostic::error(
                            codes::DECLARED_TYPE,
                            format!(
                                "`{}` is declared `{}` but its body is `{}`",
                                d.name.name,
                                t.name(&names),
                                body_ty.name(&names)
                            ),
                        )
                        .at(
                            *file,
                            d.body.span,
                            format!("this is `{}`", body_ty.name(&names)),
                        ),
                    );
                    return None;
                }
                Some(_) => {}
                None => {
                    ty = Some(if body_ty == Ty::Money(Per::Any) {
                        Ty::Money(Per::Once)
                    } else {
                        body_ty
                    })
                }
            }
            let from = d.from.as_ref().and_then(|x| self.date(x, *file));
            let until = d.until.as_ref().and_then(|x| self.date(x, *file));
            versions.push(DefVersion {
                from,
                until,
                body,
                origin: origin(*file, d.name.span, &d.meta),
            });
        }
        versions.sort_by_key(|v| v.from);
        for pair in versions.windows(2) {
            if let [a, b] = pair {
                let a_end = a.until.unwrap_or(i32::MAX);
                if b.from.unwrap_or(i32::MIN) <= a_end
                    && let Some(f) = b.origin.file
                {
                    self.error_help(
                        codes::OVERLAPPING_VERSIONS,
                        format!("versions of `{}` overlap", first.name.name),
                        (
                            f,
                            b.origin.span,
                            "this version starts before the previous one ends",
                        ),
                        "end the earlier version with `until DATE` before the next one's `from`",
                    );
                }
            }
        }
        if matches!(kind, DefKind::Rule | DefKind::Amount)
            && self.is_policy_file(first_file)
            && decls.iter().all(|(_, d)| !cited(&d.meta))
        {
            self.diags.push(
                Diagnostic::warning(
                    codes::UNCITED,
                    format!(
                        "`{}` has no source and is not marked as assumed",
                        first.name.name
                    ),
                )
                .at(first_file, first.name.span, "uncited")
                .help("add `source DOC \"quoted phrase\"`, or `assumed \"reason\"`"),
            );
        }
        let ty = ty?;
        let exceptions = self.check_exceptions(id, &first.name.name, entity, ty, &exceptions)?;
        Some(Def {
            name: first.name.name.clone(),
            kind,
            entity,
            ty,
            versions,
            exceptions,
            rounding,
            origin: origin(first_file, first.name.span, &first.meta),
        })
    }

    /// Does `file` carry a `policy` header (a policy, rather than a test or a sketch)?
    fn is_policy_file(&self, file: FileId) -> bool {
        self.loaded
            .modules
            .iter()
            .any(|(f, m)| *f == file && m.items.iter().any(|i| matches!(i, Item::Policy(_))))
    }

    fn push(&mut self, node: Node, ty: Ty, file: FileId, span: Span) -> ExprId {
        let id = ExprId(self.nodes.len() as u32);
        self.nodes.push(node);
        self.types.push(ty);
        self.spans.push((file, span));
        id
    }
}

pub(crate) fn to_scalar(v: &Value) -> Scalar {
    match v {
        Value::Int(i) => Scalar::Int(*i),
        Value::Bool(b) => Scalar::Bool(*b),
        Value::Date(d) => Scalar::Date(*d),
        Value::Enum(e) => Scalar::Enum(*e),
        Value::Text(t) => Scalar::Text(t.to_string()),
    }
}
