//! `bylaw._bylaw`, the native half of the `bylaw` Python package: policies loaded and
//! checked, evaluated over Arrow tables, traced, compared, budgeted and judged, each a
//! thin call into the Bylaw engine. The package's Python half (`bylaw/`) accepts
//! pandas and polars frames and members as list columns, and documents the interface.

mod errors;
mod policy;
mod tables;

use std::path::{Path, PathBuf};
use std::time::Instant;

use bylaw_engine::impact::{Impact, ImpactOptions};
use bylaw_engine::{Date, Policy, Run, RunOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::errors::{argument, data_error, engine_error, guard, policy_error, run_error};
use crate::policy::{PyPolicy, parse_date, parse_engine, parse_lang, parse_period};
use crate::tables::{import, import_relations};

/// Loads and checks the policy in `path` with the files it `use`s.
#[pyfunction]
fn load(py: Python<'_>, path: PathBuf) -> PyResult<PyPolicy> {
    guard(|| {
        if !path.is_file() {
            return Err(argument(
                format!("`{}` is not a policy file", path.display()),
                "give the path of a .bylaw file",
            ));
        }
        let policy = py.detach(|| Policy::load(&path));
        Ok(PyPolicy::new(policy.map_err(|e| policy_error(py, &e))?))
    })
}

/// Checks policy text that is not in a file (`name` names it in diagnostics).
#[pyfunction]
#[pyo3(signature = (text, name="policy.bylaw"))]
fn from_text(py: Python<'_>, text: &str, name: &str) -> PyResult<PyPolicy> {
    guard(|| {
        let policy = Policy::from_text(name, text).map_err(|e| policy_error(py, &e))?;
        Ok(PyPolicy::new(policy))
    })
}

/// Compares two versions of a policy over the same households: a dict of the
/// comparison's renderings (`json`, `csv`, `text`, `html`).
#[pyfunction]
#[pyo3(signature = (old, new, root, relations, *, date=None, period=None, decision=None,
    amount=None, by=None, weights=None, threads=None, engine="jit", titles=("OLD".to_string(), "NEW".to_string()), root_name="data"))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
fn diff<'py>(
    py: Python<'py>,
    old: &PyPolicy,
    new: &PyPolicy,
    root: &Bound<'py, PyAny>,
    relations: Vec<(String, Bound<'py, PyAny>)>,
    date: Option<&str>,
    period: Option<&str>,
    decision: Option<String>,
    amount: Option<String>,
    by: Option<String>,
    weights: Option<String>,
    threads: Option<usize>,
    engine: &str,
    titles: (String, String),
    root_name: &str,
) -> PyResult<Bound<'py, PyDict>> {
    guard(|| {
        let period = period.map(parse_period).transpose()?;
        let date = match (date, &period) {
            (Some(d), _) => parse_date(d)?,
            (None, Some(p)) => Date::from_days(p.start),
            (None, None) => {
                return Err(argument(
                    "give a date or a period",
                    "e.g. date=\"2025-07-01\", or period=\"2025\"",
                ));
            }
        };
        let options = ImpactOptions {
            decision,
            amount,
            weights,
            by,
            threads,
            backend: parse_engine(engine)?,
            period,
        };
        let root = import(root_name, root)?;
        let relations = import_relations(&relations)?;
        let (old, new) = (old.policy(), new.policy());
        let read = |p: &Policy| {
            bylaw_runtime::input::read_arrow(&p.program().schema, &root, &relations)
                .map_err(|e| data_error(py, &e))
        };
        let old_batch = read(old)?;
        let new_batch = if new.program().schema == old.program().schema {
            None
        } else {
            Some(read(new)?)
        };
        let impact = py
            .detach(|| {
                guard(|| {
                    Ok(Impact::compute(
                        old,
                        new,
                        &old_batch,
                        new_batch.as_ref(),
                        date,
                        &options,
                    ))
                })
            })?
            .map_err(|e| engine_error(&e))?;
        let (a, b) = (&titles.0, &titles.1);
        let out = PyDict::new(py);
        out.set_item("json", impact.json(a, b))?;
        out.set_item("csv", impact.csv())?;
        out.set_item("text", impact.text(a, b).render())?;
        out.set_item("html", impact.html(a, b).map_err(|e| engine_error(&e))?)?;
        Ok(out)
    })
}

/// Judges a service log against a policy's obligations over `period`: a dict with the
/// summary (`text`) and counts; with `output`, the detail files are written there.
#[pyfunction]
#[pyo3(signature = (policy, period, log, *, stations=None, stations_path=None, persons=None,
    relations=Vec::new(), lang="zh", output=None, files="all"))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
fn comply<'py>(
    py: Python<'py>,
    policy: &PyPolicy,
    period: &str,
    log: PathBuf,
    stations: Option<Bound<'py, PyAny>>,
    stations_path: Option<PathBuf>,
    persons: Option<Bound<'py, PyAny>>,
    relations: Vec<(String, Bound<'py, PyAny>)>,
    lang: &str,
    output: Option<PathBuf>,
    files: &str,
) -> PyResult<Bound<'py, PyDict>> {
    use bylaw_engine::comply::{self, ComplyFormat, RegisterError};
    guard(|| {
        let lang = parse_lang(lang)?;
        let files = ComplyFormat::parse(files).map_err(|e| engine_error(&e))?;
        let period = comply::parse_period(period).map_err(|e| engine_error(&e))?;
        let policy = policy.policy();
        comply::check_obligations(policy).map_err(|e| engine_error(&e))?;
        let program = policy.program();
        let batch = match (stations, stations_path) {
            (Some(table), None) => {
                let root = import("stations", &table)?;
                let mut children = import_relations(&relations)?;
                if let Some(p) = persons {
                    let relation = program
                        .schema
                        .root_entity()
                        .and_then(|r| r.relations.first())
                        .map(|r| r.name.clone())
                        .unwrap_or_else(|| "persons".to_string());
                    children.push((relation, import("persons", &p)?));
                }
                bylaw_runtime::input::read_arrow(&program.schema, &root, &children)
                    .map_err(|e| data_error(py, &e))?
            }
            (None, Some(path)) => {
                comply::read_register(program, &path, None, &[]).map_err(|e| match e {
                    RegisterError::Data(errors) => data_error(py, &errors),
                    RegisterError::Arguments(e) => engine_error(&e),
                })?
            }
            _ => {
                return Err(argument(
                    "give the register of stations as a table or as a file",
                    "comply(policy, period, log, stations=table) or stations=\"stations.csv\"",
                ));
            }
        };
        let service_log =
            bylaw_runtime::servicelog::read_log(&log).map_err(|e| data_error(py, &e))?;
        let report = py
            .detach(|| guard(|| Ok(comply::judge(program, &batch, &service_log, &log, &period))))?
            .map_err(|e| engine_error(&e))?;
        if let Some(dir) = &output {
            let inputs = [log.as_path()];
            comply::write_reports(program, &report, dir, files, lang, &inputs)
                .map_err(|e| engine_error(&e))?;
        }
        let out = PyDict::new(py);
        out.set_item("text", comply::summary(program, &report, lang).render())?;
        out.set_item("log_rows", report.log_rows)?;
        out.set_item("counted_rows", report.counted_rows)?;
        out.set_item("issues", report.issues.len())?;
        out.set_item("output", output.as_deref().map(Path::to_path_buf))?;
        Ok(out)
    })
}

/// For the benchmark: the engine's own time to evaluate a table in Rust — read it into
/// a batch, evaluate on the worker threads, build the result columns — `repeat`
/// times, in seconds each, with native code compiled before the first.
#[pyfunction]
#[pyo3(signature = (policy, root, relations, date, *, engine="jit", threads=None, repeat=3))]
#[allow(clippy::too_many_arguments, reason = "the Python signature's keywords")]
fn _engine_seconds<'py>(
    py: Python<'py>,
    policy: &PyPolicy,
    root: &Bound<'py, PyAny>,
    relations: Vec<(String, Bound<'py, PyAny>)>,
    date: &str,
    engine: &str,
    threads: Option<usize>,
    repeat: usize,
) -> PyResult<Vec<f64>> {
    guard(|| {
        let date = parse_date(date)?;
        let options = RunOptions {
            backend: parse_engine(engine)?,
            threads,
            ..RunOptions::default()
        };
        let root = import("data", root)?;
        let relations = import_relations(&relations)?;
        let policy = policy.policy();
        let run = Run::new(policy, date, options).map_err(|e| run_error(py, &e))?;
        let mut seconds = Vec::with_capacity(repeat);
        for _ in 0..repeat {
            let started = Instant::now();
            let tables = py
                .detach(|| guard(|| Ok(run.evaluate_tables(&root, &relations, &()))))?
                .map_err(|e| run_error(py, &e))?;
            seconds.push(started.elapsed().as_secs_f64());
            drop(tables);
        }
        Ok(seconds)
    })
}

/// For the package's tests: a panic inside the boundary, on the calling thread or on a
/// worker thread whose panic is resumed on the caller (as the engine's thread pools
/// do), must reach Python as `bylaw.InternalError`.
#[pyfunction]
#[pyo3(signature = (on_worker=false))]
#[allow(clippy::panic, reason = "the panic is what this checks")]
fn _panic_for_tests(py: Python<'_>, on_worker: bool) -> PyResult<()> {
    guard(|| {
        if !on_worker {
            panic!("a deliberate panic");
        }
        py.detach(|| {
            let worker = std::thread::spawn(|| -> () {
                std::panic::panic_any("a deliberate panic on a worker thread")
            });
            match worker.join() {
                Ok(()) => Ok(()),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        })
    })
}

#[pymodule]
fn _bylaw(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyPolicy>()?;
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(from_text, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(comply, m)?)?;
    m.add_function(wrap_pyfunction!(_engine_seconds, m)?)?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    Ok(())
}
