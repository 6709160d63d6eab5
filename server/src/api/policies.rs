//! `GET /v1/policies`: each served policy described — titles, dates, content hash, the
//! input schema of one record as JSON Schema, and the outputs with their types.

use axum::Json;
use axum::extract::State;
use bylaw_compiler::ir::{Origin, Program};
use bylaw_compiler::types::Ty;
use bylaw_engine::Date;
use bylaw_runtime::schema::{ColumnType, EntityId, Schema};
use serde_json::{Value, json};

use super::AppState;
use super::types::{OutputInfo, PolicyInfo, PolicyList, SkippedFile};
use crate::registry::Served;

/// Every policy served, and the files skipped.
#[utoipa::path(
    get,
    path = "/v1/policies",
    tag = "policies",
    responses((status = 200, description = "The policies served", body = PolicyList))
)]
pub(crate) async fn list(State(state): State<AppState>) -> Json<PolicyList> {
    let registry = &state.registry;
    Json(PolicyList {
        policies: registry.policies().map(|(n, s)| describe(n, s)).collect(),
        skipped: registry
            .skipped()
            .iter()
            .map(|s| SkippedFile {
                file: s.file.display().to_string(),
                diagnostics: s.diagnostics.clone(),
            })
            .collect(),
    })
}

fn describe(name: &str, served: &Served) -> PolicyInfo {
    let policy = served.policy();
    let program = policy.program();
    let origin = program.policy.as_ref().map(|p| &p.origin);
    PolicyInfo {
        name: name.to_string(),
        title_zh: origin.and_then(label_zh),
        title_en: origin.and_then(label_en),
        effective: program
            .policy
            .as_ref()
            .and_then(|p| p.effective)
            .map(|d| Date::from_days(d).to_string()),
        compiled_for: served.start_date().to_string(),
        native: served.native_declined().is_none(),
        hash: hex(&policy.source_hash()),
        file: served.file().display().to_string(),
        input_schema: input_schema(&program.schema),
        outputs: outputs(program),
    }
}

fn label_zh(origin: &Origin) -> Option<String> {
    origin.meta.label.as_ref().map(|s| s.text.clone())
}

fn label_en(origin: &Origin) -> Option<String> {
    origin.meta.en.as_ref().map(|s| s.text.clone())
}

/// Bytes as lowercase hexadecimal.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn outputs(program: &Program) -> Vec<OutputInfo> {
    program
        .outputs
        .iter()
        .map(|d| {
            let def = program.def(*d);
            // As the `bylaw.type` metadata of Arrow output names it.
            let ty = match def.ty {
                Ty::Months => def.unit.type_name().to_string(),
                ty => program.type_name(ty),
            };
            OutputInfo {
                name: def.name.clone(),
                ty,
                label_zh: label_zh(&def.origin),
                label_en: label_en(&def.origin),
            }
        })
        .collect()
}

/// A JSON Schema (2020-12) of one root record, as the JSON reader takes it.
pub(crate) fn input_schema(schema: &Schema) -> Value {
    let mut root = entity_schema(schema, schema.root);
    if let Some(obj) = root.as_object_mut() {
        obj.insert(
            "$schema".into(),
            "https://json-schema.org/draft/2020-12/schema".into(),
        );
    }
    root
}

fn entity_schema(schema: &Schema, id: EntityId) -> Value {
    let Some(entity) = schema.entity(id) else {
        return json!({});
    };
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for field in &entity.fields {
        let mut property = column_schema(&field.ty);
        if let Some(obj) = property.as_object_mut() {
            obj.insert("title".into(), field.label.clone().into());
        }
        properties.insert(field.name.clone(), property);
        if field.default.is_none() {
            required.push(Value::from(field.name.clone()));
        }
    }
    for relation in &entity.relations {
        let mut items = json!({
            "type": "array",
            "items": entity_schema(schema, relation.child),
        });
        if relation.at_least > 0 {
            if let Some(obj) = items.as_object_mut() {
                obj.insert("minItems".into(), relation.at_least.into());
            }
            required.push(Value::from(relation.name.clone()));
        }
        properties.insert(relation.name.clone(), items);
    }
    json!({
        "type": "object",
        "title": entity.label,
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// A column's values in JSON. Numbers may be JSON numbers or text (the reader takes
/// both, exactly); text is the one way to write money without a client's float
/// rounding it.
fn column_schema(ty: &ColumnType) -> Value {
    let decimal = |description: &str, pattern: &str| {
        json!({
            "type": ["string", "number"],
            "pattern": pattern,
            "description": description,
        })
    };
    match ty {
        ColumnType::Money => decimal(
            "money in 元, an exact decimal with at most 4 places (\"1234.50\")",
            r"^-?[0-9]+(\.[0-9]{1,4})?$",
        ),
        ColumnType::Rate => decimal(
            "a rate in percent (\"2.5\" or \"2.5%\")",
            r"^-?[0-9]+(\.[0-9]+)?%?$",
        ),
        ColumnType::Decimal => decimal("a decimal number", r"^-?[0-9]+(\.[0-9]+)?$"),
        ColumnType::Count => json!({"type": ["integer", "string"], "pattern": r"^-?[0-9]+$"}),
        ColumnType::Days => json!({"type": ["integer", "string"], "description": "days"}),
        ColumnType::Months => json!({"type": ["integer", "string"], "description": "months"}),
        ColumnType::Years => json!({"type": ["integer", "string"], "description": "whole years"}),
        ColumnType::Date => json!({"type": "string", "format": "date"}),
        ColumnType::Bool => json!({"type": "boolean"}),
        ColumnType::Text => json!({"type": "string"}),
        ColumnType::Enum(e) => json!({
            "type": "string",
            "enum": e.variants.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            "description": format!("a variant of `{}` by name (its data code is also accepted)", e.name),
        }),
    }
}
