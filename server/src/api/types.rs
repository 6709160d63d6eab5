//! The request and response bodies of the `/v1` endpoints, with their OpenAPI schemas.
//! Records stay raw JSON text until the engine's reader takes them, so that a number is
//! read exactly from what the client wrote, never through `f64`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

/// `POST /v1/policies/{name}/evaluate`: one household (`record`) or a batch
/// (`records`), in the policy's JSON input format — root objects with their members
/// nested as arrays.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluateRequest {
    /// The evaluation date: `YYYY-MM-DD`, or a month `YYYY-MM` or year `YYYY` (its first day).
    #[schema(example = "2024-01-01")]
    pub date: String,
    /// A batch of root objects (households), evaluated in order.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<Vec<Box<RawValue>>>,
    /// One root object (a household).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub record: Option<Box<RawValue>>,
    /// The language of error messages: `zh` (the default) or `en`.
    #[serde(default)]
    #[schema(example = "zh")]
    pub lang: Option<String>,
    /// Parameter values to evaluate with instead of the policy's: `"name"` or
    /// `"name[key]"` to a Bylaw literal as text (`"1400 元"`, `"5%"`, optionally
    /// `"… from 2025-07-01"`) or a JSON number in the parameter's unit (元, %). A value
    /// without `from` holds at every date.
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub scenario: Option<BTreeMap<String, Box<RawValue>>>,
}

/// `POST /v1/policies/{name}/why`: one household's decision traced.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WhyRequest {
    /// The evaluation date, as for `evaluate`.
    #[schema(example = "2024-01-01")]
    pub date: String,
    /// The records the household is among.
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub records: Option<Vec<Box<RawValue>>>,
    /// The household alone.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub record: Option<Box<RawValue>>,
    /// The key of the household to explain.
    pub id: String,
    /// The yes/no output to explain: default the rule `eligible`, else the last rule.
    #[serde(default)]
    pub decision: Option<String>,
    /// `zh` (the default) or `en`.
    #[serde(default)]
    pub lang: Option<String>,
}

/// The policy and date an answer is for.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyRef {
    pub name: String,
    /// SHA-256 of the policy's source files, hex.
    pub hash: String,
    /// The evaluation date, ISO.
    pub date: String,
}

/// `evaluate`'s answer: one result per record, in input order.
#[derive(Debug, Serialize, ToSchema)]
pub struct EvaluateResponse {
    pub policy: PolicyRef,
    pub results: Vec<HouseholdResult>,
}

/// One household's outputs, or why it has none.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdResult {
    /// The household's key, under its key field's name (`"id": "h1"`); absent when the
    /// root entity declares no key.
    #[serde(flatten)]
    #[schema(value_type = Object)]
    pub key: BTreeMap<String, String>,
    /// Every output by name: yes/no as JSON booleans, numbers as exact decimal text in
    /// the output's unit (money in 元: `"1234.50"`), dates ISO, variants by name; as
    /// `bylaw eval -o out.json` writes them.
    #[schema(value_type = Option<Object>)]
    pub outputs: Option<serde_json::Map<String, serde_json::Value>>,
    pub error: Option<HouseholdError>,
}

/// Why a household could not be evaluated (an overflow, a parameter with no value at
/// the date, …): the other households are not affected.
#[derive(Debug, Serialize, ToSchema)]
pub struct HouseholdError {
    /// The stable code (`overflow`, `no_param_value`, …).
    pub code: String,
    /// The definition being evaluated when it happened.
    pub definition: Option<String>,
    /// The error in words, in the requested language.
    pub message: String,
}

/// `why`'s answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhyResponse {
    pub policy: PolicyRef,
    /// The decision trace as data: outputs, conditions that held and failed with their
    /// values, parameters and citations, and what would change the decision.
    #[schema(value_type = Object)]
    pub trace: serde_json::Value,
    /// The same, in words.
    pub text: String,
}

/// `GET /v1/policies`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyList {
    pub policies: Vec<PolicyInfo>,
    /// Policy files under the served directory that did not check.
    pub skipped: Vec<SkippedFile>,
}

/// A served policy described.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyInfo {
    pub name: String,
    /// The title in Chinese, if the policy declares one.
    pub title_zh: Option<String>,
    /// The title in English, if the policy declares one.
    pub title_en: Option<String>,
    /// The date it takes effect, ISO, if it declares one.
    pub effective: Option<String>,
    /// The date its native code was compiled for at start (the effective date, else the
    /// server's start day).
    pub compiled_for: String,
    /// Whether native code evaluates it (else the interpreter does, with the same results).
    pub native: bool,
    /// SHA-256 of its source files, hex.
    pub hash: String,
    /// The file, relative to the served directory.
    pub file: String,
    /// A JSON Schema (2020-12) of one record: the root entity's fields and relations.
    #[schema(value_type = Object)]
    pub input_schema: serde_json::Value,
    pub outputs: Vec<OutputInfo>,
}

/// One output of a policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutputInfo {
    pub name: String,
    /// Its Bylaw type in words, with its unit: `bool`, `money per month`, `months`.
    #[serde(rename = "type")]
    pub ty: String,
    pub label_zh: Option<String>,
    pub label_en: Option<String>,
}

/// A policy file not served, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkippedFile {
    pub file: String,
    /// Each diagnostic as `bylaw check --error-format json` gives it.
    #[schema(value_type = Vec<Object>)]
    pub diagnostics: Vec<serde_json::Value>,
}
