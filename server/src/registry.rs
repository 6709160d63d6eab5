//! The policies a server answers for: every `.bylaw` file under a directory that
//! declares an entity (so there are records to evaluate), checked and compiled to
//! native code at start, at the policy's effective date or else today. Files that do
//! not check are skipped and listed with their diagnostics; test-only files
//! (`*.test.bylaw`) and files without entities (shared enumerations such as
//! `regions.bylaw`) are not served. Native code for other dates is compiled on first
//! use and kept, a bounded number of modules per policy.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use bylaw_engine::{BackendError, BackendKind, Compiled, Date, Policy};

/// The most modules of native code a policy keeps besides its start date's (one per
/// evaluation date): a client asking for every day of a year compiles again, rather
/// than growing the server without bound.
const MAX_DATES: usize = 32;

/// One policy served.
pub struct Served {
    policy: Arc<Policy>,
    /// The file it was loaded from, relative to the served directory.
    file: PathBuf,
    /// The date it is compiled at when it starts: its effective date, else today.
    start_date: Date,
    /// Native code at the start date: why the interpreter evaluates it when native
    /// code declined.
    start_native: Result<Compiled, BackendError>,
    /// Native code for other dates, compiled on first use.
    by_date: Mutex<HashMap<i32, Result<Compiled, BackendError>>>,
}

impl Served {
    pub fn policy(&self) -> &Arc<Policy> {
        &self.policy
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    pub fn start_date(&self) -> Date {
        self.start_date
    }

    /// Why native code does not evaluate this policy at its start date, if it does not.
    pub fn native_declined(&self) -> Option<&BackendError> {
        self.start_native.as_ref().err()
    }

    /// Native code for `date`, compiled now if it was not before. Compiling happens
    /// outside the lock, so requests at dates already compiled never wait for it.
    pub fn native(&self, date: Date) -> Result<Compiled, BackendError> {
        if date == self.start_date {
            return self.start_native.clone();
        }
        if let Some(found) = lock(&self.by_date).get(&date.days()) {
            return found.clone();
        }
        let compiled = bylaw_engine::compile(&self.policy, BackendKind::Jit, date);
        let mut cache = lock(&self.by_date);
        if cache.len() >= MAX_DATES {
            cache.clear();
        }
        cache.insert(date.days(), compiled.clone());
        compiled
    }
}

/// The lock's data even when a thread panicked holding it: the cache holds finished
/// compilations only, so it is never left half-updated.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A policy file that is not served, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// Relative to the served directory.
    pub file: PathBuf,
    /// Each problem as the CLI's `--error-format json` gives it.
    pub diagnostics: Vec<serde_json::Value>,
    /// The problems rendered for a terminal.
    pub rendered: Vec<String>,
}

/// The served policies by name, and the files skipped.
pub struct Registry {
    dir: PathBuf,
    policies: BTreeMap<String, Served>,
    skipped: Vec<Skipped>,
}

impl Registry {
    /// Loads, checks and compiles every policy under `dir`.
    ///
    /// # Errors
    /// [`StartError`] when the directory cannot be read or no policy in it checks.
    pub fn load(dir: &Path) -> Result<Registry, StartError> {
        let mut files = Vec::new();
        collect(dir, &mut files).map_err(|e| StartError::Unreadable {
            dir: dir.to_path_buf(),
            detail: e.to_string(),
        })?;
        files.sort();
        let mut policies = BTreeMap::new();
        let mut skipped = Vec::new();
        for path in files {
            let file = path.strip_prefix(dir).unwrap_or(&path).to_path_buf();
            let policy = match Policy::load(&path) {
                Ok(p) => p,
                Err(errors) => {
                    let sources = errors.sources();
                    skipped.push(Skipped {
                        file,
                        diagnostics: errors
                            .diagnostics()
                            .iter()
                            .map(|d| bylaw_compiler::diagnostics::render_json(d, sources))
                            .collect(),
                        rendered: errors
                            .diagnostics()
                            .iter()
                            .map(|d| {
                                bylaw_compiler::diagnostics::render_human(d, sources, false, 100)
                            })
                            .collect(),
                    });
                    continue;
                }
            };
            if !policy.has_entities() {
                continue;
            }
            let name = policy.name().to_string();
            if let Some(first) = policies.get(&name) {
                let first: &Served = first;
                let message = format!(
                    "policy `{name}` is also declared by `{}`, which is served",
                    first.file.display()
                );
                skipped.push(Skipped {
                    file,
                    diagnostics: vec![serde_json::json!({
                        "code": "bylaw::serve::duplicate_policy",
                        "severity": "error",
                        "message": message,
                    })],
                    rendered: vec![format!("error[bylaw::serve::duplicate_policy]: {message}")],
                });
                continue;
            }
            let start_date = bylaw_engine::explain::default_date(policy.program());
            let start_native = bylaw_engine::compile(&policy, BackendKind::Jit, start_date);
            policies.insert(
                name,
                Served {
                    policy: Arc::new(policy),
                    file,
                    start_date,
                    start_native,
                    by_date: Mutex::new(HashMap::new()),
                },
            );
        }
        if policies.is_empty() {
            return Err(StartError::NothingToServe {
                dir: dir.to_path_buf(),
                skipped,
            });
        }
        Ok(Registry {
            dir: dir.to_path_buf(),
            policies,
            skipped,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The policy named `name`.
    pub fn get(&self, name: &str) -> Option<&Served> {
        self.policies.get(name)
    }

    /// The served policies, by name.
    pub fn policies(&self) -> impl Iterator<Item = (&str, &Served)> {
        self.policies.iter().map(|(n, s)| (n.as_str(), s))
    }

    /// The names served, for "did you mean".
    pub fn names(&self) -> Vec<&str> {
        self.policies.keys().map(String::as_str).collect()
    }

    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }
}

/// Every `.bylaw` file under `dir` but test-only ones, recursively.
fn collect(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, out)?;
        } else {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if name.ends_with(".bylaw") && !name.ends_with(".test.bylaw") {
                out.push(path);
            }
        }
    }
    Ok(())
}

/// Why a server does not start.
#[derive(Debug)]
pub enum StartError {
    /// The policy directory cannot be read.
    Unreadable { dir: PathBuf, detail: String },
    /// No policy under the directory checks (the ones skipped say why).
    NothingToServe { dir: PathBuf, skipped: Vec<Skipped> },
}

impl StartError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            StartError::Unreadable { .. } => "bylaw::serve::unreadable_dir",
            StartError::NothingToServe { .. } => "bylaw::serve::nothing_to_serve",
        }
    }
}

impl fmt::Display for StartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartError::Unreadable { dir, detail } => {
                write!(f, "cannot read `{}`: {detail}", dir.display())
            }
            StartError::NothingToServe { dir, skipped } => write!(
                f,
                "no policy under `{}` declares an entity and checks ({} skipped)",
                dir.display(),
                skipped.len()
            ),
        }
    }
}

impl std::error::Error for StartError {}
