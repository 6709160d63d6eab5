//! `bylaw._bylaw.Policy`: a checked policy shared by any number of Python threads. Its
//! native code is compiled once per date and engine and kept; every evaluation runs
//! with the GIL released, on the engine's worker threads.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bylaw_compiler::explain::{Format, Lang};
use bylaw_engine::budget::{BudgetReport, SweepReport, Years};
use bylaw_engine::why::Why;
use bylaw_engine::{BackendError, BackendKind, Compiled, Date, Policy, Run, RunOptions};
use bylaw_runtime::batch::Batch;
use bylaw_runtime::input::ArrowTable;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};

use crate::errors::{argument, data_error, engine_error, guard, policy_error, run_error};
use crate::tables::{export, import, import_relations};

type NativeKey = (i32, BackendKind);

/// The most modules of native code a policy keeps (one per date and engine).
const MAX_COMPILED: usize = 64;

/// A checked policy: see the package's `bylaw.Policy` for the documented interface.
#[pyclass(module = "bylaw._bylaw", name = "Policy", frozen)]
pub struct PyPolicy {
    policy: Arc<Policy>,
    /// Native code by date and engine, compiled on first use.
    native: Mutex<HashMap<NativeKey, Result<Compiled, BackendError>>>,
}

impl PyPolicy {
    pub(crate) fn new(policy: Policy) -> PyPolicy {
        PyPolicy {
            policy: Arc::new(policy),
            native: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The native code for `kind` at `date`, compiled now if it was not before.
    fn native(&self, kind: BackendKind, date: Date) -> Option<Result<Compiled, BackendError>> {
        if kind == BackendKind::Interpreter {
            return None;
        }
        let mut cache = match self.native.lock() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        let key = (date.days(), kind);
        if cache.len() >= MAX_COMPILED && !cache.contains_key(&key) {
            // Evaluations at many dates (a loop over a year's days) keep at most this
            // many modules of native code; the rest are compiled again when needed.
            cache.clear();
        }
        Some(
            cache
                .entry(key)
                .or_insert_with(|| bylaw_engine::compile(&self.policy, kind, date))
                .clone(),
        )
    }

    fn read(
        &self,
        py: Python<'_>,
        root: &ArrowTable,
        relations: &[(String, ArrowTable)],
    ) -> PyResult<Batch> {
        bylaw_runtime::input::read_arrow(&self.policy.program().schema, root, relations)
            .map_err(|e| data_error(py, &e))
    }
}

/// `text` as an evaluation date.
pub(crate) fn parse_date(text: &str) -> PyResult<Date> {
    Date::parse(text).map_err(|e| argument(format!("date `{text}`: {e}"), e.hint()))
}

/// `text` as an engine name.
pub(crate) fn parse_engine(text: &str) -> PyResult<BackendKind> {
    match text {
        "jit" => Ok(BackendKind::Jit),
        "interp" | "interpreter" => Ok(BackendKind::Interpreter),
        "aot" => Ok(BackendKind::Aot),
        _ => Err(argument(
            format!("`{text}` is not an engine"),
            "use \"jit\" (native code, the default), \"interp\" or \"aot\"",
        )),
    }
}

/// `text` as a period: a year, a quarter or a month.
pub(crate) fn parse_period(text: &str) -> PyResult<bylaw_runtime::period::Period> {
    bylaw_runtime::period::Period::parse(text).map_err(|e| {
        argument(
            format!("period `{text}`: {e}"),
            "a period is a year \"2025\", a quarter \"2025-Q3\" or a month \"2025-07\"",
        )
    })
}

/// `text` as a language.
pub(crate) fn parse_lang(text: &str) -> PyResult<Lang> {
    Lang::parse(text).ok_or_else(|| {
        argument(
            format!("`{text}` is not a language Bylaw explains in"),
            "use \"zh\" or \"en\"",
        )
    })
}

fn parse_format(text: &str) -> PyResult<Format> {
    Format::parse(text).ok_or_else(|| {
        argument(
            format!("`{text}` is not a format"),
            "use \"text\", \"md\" or \"html\"",
        )
    })
}

#[pymethods]
impl PyPolicy {
    /// The policy's name.
    #[getter]
    fn name(&self) -> &str {
        self.policy.name()
    }

    /// The file it was loaded from, if any.
    #[getter]
    fn path(&self) -> Option<PathBuf> {
        self.policy.path().map(Path::to_path_buf)
    }

    /// The date it takes effect, ISO, if it declares one.
    #[getter]
    fn effective(&self) -> Option<String> {
        let p = self.policy.program().policy.as_ref()?;
        p.effective.map(|d| Date::from_days(d).to_string())
    }

    /// SHA-256 of its source files, hex.
    #[getter]
    fn source_hash(&self) -> String {
        self.policy
            .source_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Warnings found while checking, rendered.
    #[getter]
    fn warnings(&self) -> Vec<String> {
        let sources = self.policy.sources();
        self.policy
            .warnings()
            .iter()
            .map(|d| bylaw_compiler::diagnostics::render_human(d, sources, false, 100))
            .collect()
    }

    /// The input schema as a dict: the root entity, and per entity its key, fields
    /// (name, type, label) and relations (name, child entity, minimum count).
    fn schema<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let schema = &self.policy.program().schema;
        let out = PyDict::new(py);
        out.set_item("root", schema.root_entity().map(|e| e.name.as_str()))?;
        let entities = PyDict::new(py);
        for e in &schema.entities {
            let entity = PyDict::new(py);
            entity.set_item("label", &e.label)?;
            entity.set_item(
                "key",
                e.key.and_then(|k| e.field(k)).map(|f| f.name.as_str()),
            )?;
            entity.set_item(
                "parent",
                e.parent
                    .and_then(|p| schema.entity(p))
                    .map(|p| p.name.as_str()),
            )?;
            let fields = PyList::empty(py);
            for f in &e.fields {
                let field = PyDict::new(py);
                field.set_item("name", &f.name)?;
                field.set_item("type", f.ty.describe())?;
                field.set_item("label", &f.label)?;
                field.set_item("optional", f.default.is_some())?;
                fields.append(field)?;
            }
            entity.set_item("fields", fields)?;
            let relations = PyList::empty(py);
            for r in &e.relations {
                let relation = PyDict::new(py);
                relation.set_item("name", &r.name)?;
                relation.set_item("entity", schema.entity(r.child).map(|c| c.name.as_str()))?;
                relation.set_item("parent_column", format!("{}_id", e.name))?;
                relation.set_item("at_least", r.at_least)?;
                relations.append(relation)?;
            }
            entity.set_item("relations", relations)?;
            entities.set_item(&e.name, entity)?;
        }
        out.set_item("entities", entities)?;
        Ok(out)
    }

    /// The parameters a scenario can set: name to its type (`money per month`, `rate`)
    /// and the enumeration its values are keyed by, if any.
    fn parameters<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let program = self.policy.program();
        let out = PyDict::new(py);
        for p in &program.params {
            let ty = match p.ty {
                bylaw_compiler::types::Ty::Months => p.unit.type_name().to_string(),
                ty => program.type_name(ty),
            };
            let by =
                p.by.and_then(|e| program.enums.get(e.index()))
                    .map(|e| e.name.as_str());
            out.set_item(&p.name, (ty, by))?;
        }
        Ok(out)
    }

    /// The schema of `evaluate`'s result, as a `pyarrow.Schema`.
    fn output_schema<'py>(&self, py: Python<'py>, reason: bool) -> PyResult<Bound<'py, PyAny>> {
        use arrow_pyarrow::ToPyArrow;
        bylaw_engine::result_schema(self.policy.program(), reason).to_pyarrow(py)
    }

    /// A copy with the `set` lines of a scenario applied: from the file `path`, or
    /// from `text` (named `name` in diagnostics).
    #[pyo3(signature = (*, path=None, text=None, name="scenario"))]
    fn with_scenario(
        &self,
        py: Python<'_>,
        path: Option<PathBuf>,
        text: Option<&str>,
        name: &str,
    ) -> PyResult<PyPolicy> {
        guard(|| {
            let mut policy = (*self.policy).clone();
            let applied = match (path, text) {
                (Some(p), None) => policy.apply_scenario(&p),
                (None, Some(t)) => policy.apply_scenario_text(name, t),
                _ => {
                    return Err(argument(
                        "give a scenario file or scenario text",
                        "with_scenario(path=…) or with_scenario(text=…)",
                    ));
                }
            };
            applied.map_err(|e| policy_error(py, &e))?;
            Ok(PyPolicy::new(policy))
        })
    }

    /// Evaluates a root table and its relations' tables at `date`.
    #[pyo3(signature = (root, relations, date, *, engine="jit", threads=None, reason=None, root_name="data"))]
    #[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        root: &Bound<'py, PyAny>,
        relations: Vec<(String, Bound<'py, PyAny>)>,
        date: &str,
        engine: &str,
        threads: Option<usize>,
        reason: Option<&str>,
        root_name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let date = parse_date(date)?;
            let options = RunOptions {
                backend: parse_engine(engine)?,
                threads,
                reason: reason.map(parse_lang).transpose()?,
                ..RunOptions::default()
            };
            let root = import(root_name, root)?;
            let relations = import_relations(&relations)?;
            let result = py.detach(|| {
                guard(|| {
                    let native = self.native(options.backend, date);
                    let run = Run::with_native(&self.policy, date, options, native);
                    Ok(run.and_then(|r| r.evaluate_tables(&root, &relations, &())))
                })
            })?;
            let tables = result.map_err(|e| run_error(py, &e))?;
            let mut metadata = HashMap::new();
            let used: Vec<String> = tables
                .report
                .backends
                .households()
                .filter(|(_, n)| *n > 0)
                .map(|(k, _)| k.name().to_string())
                .collect();
            metadata.insert("bylaw.engine".to_string(), used.join(","));
            metadata.insert("bylaw.date".to_string(), date.to_string());
            metadata.insert("bylaw.policy".to_string(), self.policy.name().to_string());
            if let Some(why) = tables.report.backends.fallbacks().first() {
                metadata.insert("bylaw.fallback".to_string(), why.to_string());
            }
            let schema = Arc::new((*tables.schema).clone().with_metadata(metadata));
            let batches = tables
                .batches
                .into_iter()
                .map(|b| b.with_schema(schema.clone()))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| crate::errors::InternalError::new_err(e.to_string()))?;
            export(py, schema, batches)
        })
    }

    /// Evaluates on the first day of each month of `period` and combines the months.
    #[pyo3(signature = (root, relations, period, *, engine="jit", threads=None, root_name="data"))]
    #[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
    fn evaluate_period<'py>(
        &self,
        py: Python<'py>,
        root: &Bound<'py, PyAny>,
        relations: Vec<(String, Bound<'py, PyAny>)>,
        period: &str,
        engine: &str,
        threads: Option<usize>,
        root_name: &str,
    ) -> PyResult<Bound<'py, PyAny>> {
        guard(|| {
            let period_text = period;
            let period = parse_period(period)?;
            let options = RunOptions {
                backend: parse_engine(engine)?,
                threads,
                ..RunOptions::default()
            };
            let root = import(root_name, root)?;
            let relations = import_relations(&relations)?;
            let batch = self.read(py, &root, &relations)?;
            let table = py
                .detach(|| {
                    guard(|| {
                        Ok(bylaw_engine::period::evaluate_period_batch(
                            &self.policy,
                            &period,
                            &batch,
                            &options,
                        ))
                    })
                })?
                .map_err(|e| run_error(py, &e))?;
            let batch = table
                .record_batch(self.policy.program())
                .map_err(|e| crate::errors::InternalError::new_err(e.to_string()))?;
            let metadata = HashMap::from([
                (
                    "bylaw.engine".to_string(),
                    options.backend.name().to_string(),
                ),
                ("bylaw.period".to_string(), period_text.to_string()),
                ("bylaw.policy".to_string(), self.policy.name().to_string()),
            ]);
            let schema = Arc::new((*batch.schema()).clone().with_metadata(metadata));
            let batch = batch
                .with_schema(schema.clone())
                .map_err(|e| crate::errors::InternalError::new_err(e.to_string()))?;
            export(py, schema, vec![batch])
        })
    }

    /// The decision for household `id` at `date`, traced: a dict with the trace as JSON
    /// text (`trace`) and its renderings (`text`, `md`, `html`).
    #[pyo3(signature = (root, relations, id, date, *, decision=None, lang="zh", root_name="data"))]
    #[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
    fn why<'py>(
        &self,
        py: Python<'py>,
        root: &Bound<'py, PyAny>,
        relations: Vec<(String, Bound<'py, PyAny>)>,
        id: &str,
        date: &str,
        decision: Option<&str>,
        lang: &str,
        root_name: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(|| {
            let date = parse_date(date)?;
            let lang = parse_lang(lang)?;
            let root = import(root_name, root)?;
            let relations = import_relations(&relations)?;
            let batch = self.read(py, &root, &relations)?;
            let why = py
                .detach(|| {
                    guard(|| Ok(Why::explain(&self.policy, date, &batch, id, decision, lang)))
                })?
                .map_err(|e| engine_error(&e))?;
            let out = PyDict::new(py);
            out.set_item("trace", why.json().to_string())?;
            out.set_item("text", why.render(Format::Text, lang))?;
            out.set_item("md", why.render(Format::Markdown, lang))?;
            out.set_item("html", why.render(Format::Html, lang))?;
            Ok(out)
        })
    }

    /// The policy explained at `date` (default: its effective date, else today).
    #[pyo3(signature = (*, lang="zh", format="text", date=None))]
    fn explain(
        &self,
        py: Python<'_>,
        lang: &str,
        format: &str,
        date: Option<&str>,
    ) -> PyResult<String> {
        guard(|| {
            let lang = parse_lang(lang)?;
            let format = parse_format(format)?;
            let program = self.policy.program();
            let date = match date {
                Some(d) => parse_date(d)?,
                None => bylaw_engine::explain::default_date(program),
            };
            Ok(py.detach(|| bylaw_engine::explain::document(program, date, lang, format)))
        })
    }

    /// A budget over a region-year table for `years`, or a sweep of a parameter: a dict
    /// of its renderings (`json`, `csv`, `text`, `html`).
    #[pyo3(signature = (regions, years, *, sweep=None, step=None, name="regions"))]
    fn budget<'py>(
        &self,
        py: Python<'py>,
        regions: &Bound<'py, PyAny>,
        years: &str,
        sweep: Option<&str>,
        step: Option<&str>,
        name: &str,
    ) -> PyResult<Bound<'py, PyDict>> {
        guard(|| {
            let years = Years::parse(years).map_err(|e| engine_error(&e))?;
            bylaw_engine::budget::check_yearly(&self.policy).map_err(|e| engine_error(&e))?;
            let root = import(name, regions)?;
            let batch = self.read(py, &root, &[])?;
            let data = Path::new(name);
            let out = PyDict::new(py);
            let (json, csv, text, html) = match sweep {
                None => {
                    let r = py
                        .detach(|| {
                            guard(|| Ok(BudgetReport::compute(&self.policy, &batch, years, data)))
                        })?
                        .map_err(|e| engine_error(&e))?;
                    (r.json(), r.csv(), r.text().render(), r.html())
                }
                Some(spec) => {
                    let r = py
                        .detach(|| {
                            guard(|| {
                                Ok(SweepReport::compute(
                                    &self.policy,
                                    &batch,
                                    years,
                                    spec,
                                    step,
                                    data,
                                ))
                            })
                        })?
                        .map_err(|e| engine_error(&e))?;
                    (r.json(), r.csv(), r.text().render(), r.html())
                }
            };
            out.set_item("json", json)?;
            out.set_item("csv", csv)?;
            out.set_item("text", text)?;
            out.set_item("html", html.map_err(|e| engine_error(&e))?)?;
            Ok(out)
        })
    }

    fn __repr__(&self) -> String {
        match self.policy.path() {
            Some(p) => format!("<bylaw.Policy {} from {}>", self.policy.name(), p.display()),
            None => format!("<bylaw.Policy {}>", self.policy.name()),
        }
    }
}
