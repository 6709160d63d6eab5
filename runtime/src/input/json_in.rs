//! Reading JSON: an array of root objects with nested arrays for relations.
//!
//! `[{"id": "h1", "city": "guangzhou", "members": [{"income": "500.00"}]}]`.
//! Numbers may be JSON strings or JSON numbers; a JSON number is read from its exact
//! source text (via `serde_json::value::RawValue`), never through `f64`. Errors name
//! the JSON path (`$[17].members[2].income`) and the line.

use super::assemble::{NO_PARENT, Table, assemble};
use super::cell::{parse_cell, placeholder};
use super::error::{DataError, DataErrorKind, DataErrors, shown};
use crate::batch::Batch;
use crate::schema::{ColumnType, EntityId, Scalar, Schema};
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;

/// A parsed JSON value that keeps numbers as source text and objects in order.
#[derive(Debug)]
enum Json<'a> {
    Null,
    Bool(bool),
    Number(&'a str),
    String(String),
    Array(Vec<Node<'a>>),
    Object(Vec<(String, Node<'a>)>),
}

/// A value with its byte offset in the document.
#[derive(Debug)]
struct Node<'a> {
    offset: usize,
    value: Json<'a>,
}

impl Json<'_> {
    fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }
}

/// An object's members, in order, duplicates kept.
struct Pairs<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Pairs<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Pairs<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = map.next_entry::<String, &'de RawValue>()? {
                    out.push((k, v));
                }
                Ok(Pairs(out))
            }
        }
        d.deserialize_map(V)
    }
}

fn build<'a>(raw: &'a RawValue, base: &'a str) -> Result<Node<'a>, serde_json::Error> {
    let text = raw.get();
    let offset = text.as_ptr().addr().saturating_sub(base.as_ptr().addr());
    let value = match text.as_bytes().first() {
        Some(b'{') => {
            let pairs: Pairs<'a> = serde_json::from_str(text)?;
            let mut members = Vec::with_capacity(pairs.0.len());
            for (k, v) in pairs.0 {
                members.push((k, build(v, base)?));
            }
            Json::Object(members)
        }
        Some(b'[') => {
            let items: Vec<&'a RawValue> = serde_json::from_str(text)?;
            let mut nodes = Vec::with_capacity(items.len());
            for v in items {
                nodes.push(build(v, base)?);
            }
            Json::Array(nodes)
        }
        Some(b'"') => Json::String(serde_json::from_str(text)?),
        Some(b't') => Json::Bool(true),
        Some(b'f') => Json::Bool(false),
        Some(b'n') => Json::Null,
        _ => Json::Number(text),
    };
    Ok(Node { offset, value })
}

/// The deepest nesting of arrays and objects read. A schema nests a few levels (root,
/// members, …); the limit keeps the recursive walk below (and the re-parse of each
/// level) far from the stack's end and linear in the file's size.
pub const MAX_JSON_DEPTH: usize = 64;

/// The byte offset of the first bracket nested deeper than [`MAX_JSON_DEPTH`], found
/// in one pass before any parsing (brackets inside strings do not count).
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Maps byte offsets to 1-based lines.
struct Lines(Vec<usize>);

impl Lines {
    fn new(text: &str) -> Self {
        Self(text.match_indices('\n').map(|(i, _)| i).collect())
    }

    fn line(&self, offset: usize) -> u32 {
        let n = self.0.partition_point(|&nl| nl < offset);
        u32::try_from(n + 1).unwrap_or(u32::MAX)
    }
}

fn property_path(base: &str, name: &str) -> String {
    let ident = !name.is_empty()
        && name.chars().all(|c| c.is_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit());
    if ident {
        format!("{base}.{name}")
    } else {
        format!("{base}[{}]", serde_json::Value::String(name.to_owned()))
    }
}

/// Reads a JSON file: an array of root objects with nested arrays for relations.
///
/// # Errors
/// Every data error found (the first [`super::MAX_ERRORS`] of them).
pub fn read_json(schema: &Schema, path: &Path) -> Result<Batch, DataErrors> {
    let mut errors = DataErrors::default();
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            errors.push(
                DataError::new(
                    DataErrorKind::Io,
                    path,
                    format!("cannot read the file: {e}"),
                )
                .with_help("check the path and the file's permissions"),
            );
            return Err(errors);
        }
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = Lines::new(&String::from_utf8_lossy(&bytes[..e.valid_up_to()]))
                .line(e.valid_up_to());
            errors.push(
                DataError::new(
                    DataErrorKind::MalformedFile,
                    path,
                    "the file is not valid UTF-8",
                )
                .at_row(line)
                .with_help("save the file as UTF-8"),
            );
            return Err(errors);
        }
    };
    read_json_text(schema, path, text)
}

/// Reads JSON text that is not in a file (a request's body): an array of root objects
/// with nested arrays for relations. `name` stands for the file in diagnostics; each
/// problem carries the JSON path of its value (`$[3].members[0].income`).
///
/// # Errors
/// Every data error found (the first [`super::MAX_ERRORS`] of them).
pub fn read_json_text(schema: &Schema, name: &Path, text: &str) -> Result<Batch, DataErrors> {
    let path = name;
    let mut errors = DataErrors::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines = Lines::new(text);
    let syntax = |e: &serde_json::Error| {
        DataError::new(
            DataErrorKind::MalformedFile,
            path,
            format!("invalid JSON: {e}"),
        )
        .at_row(u32::try_from(e.line()).unwrap_or(u32::MAX))
        .with_help("check brackets, commas and quotes near this line")
    };
    if let Some(offset) = too_deep(text) {
        errors.push(
            DataError::new(
                DataErrorKind::MalformedFile,
                path,
                format!("arrays and objects are nested more than {MAX_JSON_DEPTH} deep"),
            )
            .at_row(lines.line(offset))
            .with_help("a data file nests an array of records and their relations' arrays, a few levels; check the brackets"),
        );
        return Err(errors);
    }
    let root = match serde_json::from_str::<&RawValue>(text).and_then(|raw| build(raw, text)) {
        Ok(node) => node,
        Err(e) => {
            errors.push(syntax(&e));
            return Err(errors);
        }
    };
    let root_name = schema.root_entity().map_or("row", |e| e.name.as_str());
    let Json::Array(items) = root.value else {
        errors.push(
            DataError::new(
                DataErrorKind::MalformedFile,
                path,
                format!(
                    "expected an array of `{root_name}` objects, found {}",
                    root.value.kind()
                ),
            )
            .at_row(lines.line(root.offset))
            .at_path("$")
            .with_help(format!(
                "write `[{{…}}, {{…}}]`, one object per `{root_name}`"
            )),
        );
        return Err(errors);
    };
    let mut reader = Reader {
        schema,
        path,
        lines: &lines,
        errors: &mut errors,
        tables: schema
            .entities
            .iter()
            .map(|e| Table::new(path.to_path_buf(), e))
            .collect(),
    };
    for (i, item) in items.iter().enumerate() {
        reader.row(schema.root, item, format!("$[{i}]"), 0);
    }
    let Reader { tables, .. } = reader;
    // Duplicate root keys.
    if let (Some(root), Some(table)) = (schema.root_entity(), tables.get(schema.root.0 as usize))
        && let Some(key_field) = root.key.and_then(|k| root.field(k))
    {
        let mut seen: HashMap<&str, u32> = HashMap::new();
        for ((key, &line), row_path) in table.keys.iter().zip(&table.lines).zip(&table.paths) {
            if key.is_empty() {
                continue;
            }
            if let Some(first) = seen.get(key.as_str()) {
                let err = DataError::new(
                    DataErrorKind::DuplicateKey,
                    path,
                    format!("duplicate key `{}`", shown(key)),
                )
                .at_row(line)
                .in_column(key_field.name.clone())
                .with_value(key.clone())
                .with_help(format!(
                    "line {first} has the same key; each `{}` needs its own `{}`",
                    root.name, key_field.name
                ))
                .at_path(property_path(row_path, &key_field.name));
                errors.push(err);
            } else {
                seen.insert(key, line);
            }
        }
    }
    let batch = assemble(schema, tables.into_iter().map(Some).collect(), &mut errors);
    if errors.is_empty() {
        Ok(batch)
    } else {
        Err(errors)
    }
}

struct Reader<'s> {
    schema: &'s Schema,
    path: &'s Path,
    lines: &'s Lines,
    errors: &'s mut DataErrors,
    tables: Vec<Table>,
}

impl Reader<'_> {
    fn error(
        &mut self,
        kind: DataErrorKind,
        node: &Node<'_>,
        path: &str,
        message: String,
    ) -> DataError {
        DataError::new(kind, self.path, message)
            .at_row(self.lines.line(node.offset))
            .at_path(path)
    }

    /// Reads one object of entity `id` whose parent row is `parent`.
    fn row(&mut self, id: EntityId, node: &Node<'_>, path: String, parent: u32) {
        let Some(entity) = self.schema.entity(id) else {
            return;
        };
        let Json::Object(members) = &node.value else {
            let e = self
                .error(
                    DataErrorKind::MalformedFile,
                    node,
                    &path,
                    format!(
                        "expected a `{}` object, found {}",
                        entity.name,
                        node.value.kind()
                    ),
                )
                .with_help(format!("write one `{{…}}` object per `{}`", entity.name));
            self.errors.push(e);
            return;
        };
        let mut by_name: HashMap<&str, &Node<'_>> = HashMap::new();
        for (name, value) in members {
            let member_path = property_path(&path, name);
            if by_name.insert(name.as_str(), value).is_some() {
                let e = self
                    .error(
                        DataErrorKind::MalformedFile,
                        value,
                        &member_path,
                        format!("property `{}` appears more than once", shown(name)),
                    )
                    .in_column(name.clone())
                    .with_help("keep one value per field");
                self.errors.push(e);
                continue;
            }
            let known = entity.field_id(name).is_some() || entity.relation(name).is_some();
            if !known {
                let expected: Vec<String> = entity
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(entity.relations.iter().map(|r| r.name.as_str()))
                    .map(|n| format!("`{n}`"))
                    .collect();
                let best = entity
                    .fields
                    .iter()
                    .map(|f| f.name.as_str())
                    .chain(entity.relations.iter().map(|r| r.name.as_str()))
                    // Jaro-Winkler is quadratic in the length; a far longer name is no
                    // near-miss.
                    .filter(|n| name.len() <= 2 * n.len() + 8)
                    .map(|n| (strsim::jaro_winkler(n, name), n))
                    .filter(|(s, _)| *s >= 0.8)
                    .max_by(|a, b| a.0.total_cmp(&b.0));
                let help = match best {
                    Some((_, n)) => format!(
                        "did you mean `{n}`? expected properties: {}",
                        expected.join(", ")
                    ),
                    None => format!("expected properties: {}", expected.join(", ")),
                };
                let e = self
                    .error(
                        DataErrorKind::ExtraColumn,
                        value,
                        &member_path,
                        format!("`{}` has no field `{}`", entity.name, shown(name)),
                    )
                    .in_column(name.clone())
                    .with_value(name.clone())
                    .with_help(help);
                self.errors.push(e);
            }
        }

        let mut values = Vec::with_capacity(entity.fields.len());
        let mut key = String::new();
        for (fi, f) in entity.fields.iter().enumerate() {
            let member = by_name.get(f.name.as_str()).copied();
            let member_path = property_path(&path, &f.name);
            let text: Option<String> = match member.map(|m| &m.value) {
                None | Some(Json::Null) => None,
                Some(Json::String(s)) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
                Some(Json::Number(n)) => Some((*n).to_owned()),
                Some(Json::Bool(b)) => Some(b.to_string()),
                Some(other @ (Json::Array(_) | Json::Object(_))) => {
                    let kind = other.kind();
                    if let Some(m) = member {
                        let e = self
                            .error(
                                DataErrorKind::MalformedFile,
                                m,
                                &member_path,
                                format!(
                                    "expected a {} for `{}`, found {kind}",
                                    f.ty.describe(),
                                    f.name
                                ),
                            )
                            .in_column(f.name.clone())
                            .with_help(format!("write a single {} value", f.ty.describe()));
                        self.errors.push(e);
                    }
                    values.push(placeholder(&f.ty));
                    continue;
                }
            };
            if entity.key.is_some_and(|k| k.0 as usize == fi) {
                key = text.clone().unwrap_or_default();
            }
            let value = match (&text, &f.default, member) {
                (None, Some(d), _) => d.clone(),
                (None, None, _) => {
                    let at = member.unwrap_or(node);
                    let message = if member.is_some() {
                        "missing value".to_owned()
                    } else {
                        format!("missing value: no property `{}`", f.name)
                    };
                    let e = self
                        .error(DataErrorKind::MissingValue, at, &member_path, message)
                        .in_column(f.name.clone())
                        .with_value("")
                        .with_help(format!(
                            "give `{1}` ({2}), a value of type {0}",
                            f.ty.describe(),
                            f.name,
                            f.label
                        ));
                    self.errors.push(e);
                    placeholder(&f.ty)
                }
                (Some(t), _, m) => {
                    let parsed = match (&f.ty, m.map(|m| &m.value)) {
                        (ColumnType::Bool, Some(Json::Bool(b))) => Ok(Scalar::Bool(*b)),
                        _ => parse_cell(&f.ty, t),
                    };
                    match parsed {
                        Ok(v) => v,
                        Err(ce) => {
                            let at = m.unwrap_or(node);
                            let e = self
                                .error(ce.kind, at, &member_path, ce.message)
                                .in_column(f.name.clone())
                                .with_value(t.clone())
                                .with_help(ce.help);
                            self.errors.push(e);
                            placeholder(&f.ty)
                        }
                    }
                }
            };
            values.push(value);
        }
        let e = id.0 as usize;
        let Some(table) = self.tables.get_mut(e) else {
            return;
        };
        if entity.key.is_none() {
            key = (table.len() + 1).to_string();
        }
        let index = u32::try_from(table.len()).unwrap_or(NO_PARENT);
        table.push_row(
            values,
            key,
            self.lines.line(node.offset),
            parent,
            path.clone(),
        );
        for rel in &entity.relations {
            let Some(member) = by_name.get(rel.name.as_str()).copied() else {
                continue;
            };
            let rel_path = property_path(&path, &rel.name);
            match &member.value {
                Json::Null => {}
                Json::Array(children) => {
                    for (j, child) in children.iter().enumerate() {
                        self.row(rel.child, child, format!("{rel_path}[{j}]"), index);
                    }
                }
                other => {
                    let child_name = self
                        .schema
                        .entity(rel.child)
                        .map_or("", |c| c.name.as_str());
                    let err = self
                        .error(
                            DataErrorKind::MalformedFile,
                            member,
                            &rel_path,
                            format!(
                                "expected an array of `{child_name}` objects, found {}",
                                other.kind()
                            ),
                        )
                        .in_column(rel.name.clone())
                        .with_help(format!("write `\"{}\": [{{…}}, …]`", rel.name));
                    self.errors.push(err);
                }
            }
        }
    }
}
