//! `bylaw build`: a policy compiled ahead of time for one date into a native object,
//! static library or shared library, with its C header (`bylaw_engine::build`), linked
//! against the runtime's static library (`libbylaw_runtime_c.a`). That archive is built with
//! the binary (the `embed_runtime.rs` build script) and embedded in it, so an installed
//! `bylaw` needs nothing beside it; `--runtime` or `BYLAW_RUNTIME_LIB` name another.

use std::path::{Path, PathBuf};

use bylaw_engine::build;
use clap::{Args, ValueEnum};

use crate::{ErrorFormat, Exit};

/// What `bylaw build` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Emit {
    /// `bylaw_<policy>.o`: link it with `libbylaw_runtime_c.a` (or the runtime crate).
    Object,
    /// `libbylaw_<policy>.a` (the object archived) with `libbylaw_runtime_c.a` beside it:
    /// link both.
    Staticlib,
    /// `libbylaw_<policy>.so` (`.dylib` on macOS), linked with the system `cc`.
    Cdylib,
}

/// Arguments of `bylaw build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The policy file.
    pub policy: PathBuf,
    /// The evaluation date the library is compiled for (YYYY-MM-DD, YYYY-MM or YYYY).
    #[arg(long)]
    pub date: String,
    /// What to write.
    #[arg(long, value_enum, default_value_t = Emit::Object)]
    pub emit: Emit,
    /// The output directory (created if missing).
    #[arg(short, long, default_value = ".")]
    pub output: PathBuf,
    /// The runtime's static library (default: `BYLAW_RUNTIME_LIB`, else the one built
    /// into `bylaw`).
    #[arg(long)]
    pub runtime: Option<PathBuf>,
}

pub fn run(args: &BuildArgs, format: ErrorFormat) -> Exit {
    let (policy, date) = match crate::data::load(&args.policy, &args.date, None, format) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let emit = match args.emit {
        Emit::Object => build::Emit::Object,
        Emit::Staticlib => build::Emit::Staticlib,
        Emit::Cdylib => build::Emit::Cdylib,
    };
    let runtime = match args.emit {
        Emit::Object => None,
        _ => match runtime_library(args.runtime.as_deref()) {
            Ok(r) => Some(r),
            Err(msg) => {
                crate::report::error(format, "build::runtime", &msg);
                return Exit::BadInput;
            }
        },
    };
    let runtime_path = runtime.as_ref().map(Runtime::path);
    match build::build(&policy, date, emit, &args.output, runtime_path) {
        Ok(built) => {
            let files: Vec<String> = built
                .files
                .iter()
                .map(|f| f.display().to_string())
                .collect();
            eprintln!(
                "built `{}` for {date} in {:.0} ms: {}",
                built.name,
                built.elapsed.as_secs_f64() * 1e3,
                files.join(", ")
            );
            Exit::Ok
        }
        Err(e) if e.code() == "bylaw::build::unsupported" => {
            crate::fail::print(&e, format);
            Exit::PolicyErrors
        }
        Err(e) => crate::fail::print(&e, format),
    }
}

/// The runtime archive this binary was built with (see `embed_runtime.rs`).
static EMBEDDED_RUNTIME: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/libbylaw_runtime_c.a"));

/// Where the runtime archive to link comes from.
enum Runtime {
    /// A file the user named.
    Given(PathBuf),
    /// The embedded archive, written to a temporary directory (removed on drop) for
    /// the link.
    Embedded {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
}

impl Runtime {
    fn path(&self) -> &Path {
        match self {
            Runtime::Given(p) | Runtime::Embedded { path: p, .. } => p,
        }
    }
}

fn runtime_library(given: Option<&Path>) -> Result<Runtime, String> {
    let hint = "pass --runtime PATH naming a `libbylaw_runtime_c.a` (`cargo build -p bylaw-runtime-c`), or leave it out to use the one built into `bylaw`";
    if let Some(p) = given {
        return if p.is_file() {
            Ok(Runtime::Given(p.to_path_buf()))
        } else {
            Err(format!(
                "the runtime library `{}` does not exist\n  help: {hint}",
                p.display()
            ))
        };
    }
    if let Some(p) = std::env::var_os("BYLAW_RUNTIME_LIB").map(PathBuf::from) {
        return if p.is_file() {
            Ok(Runtime::Given(p))
        } else {
            Err(format!(
                "BYLAW_RUNTIME_LIB names `{}`, which does not exist\n  help: {hint}",
                p.display()
            ))
        };
    }
    let dir = tempfile::tempdir()
        .map_err(|e| format!("cannot create a temporary directory for the runtime: {e}"))?;
    let path = dir.path().join("libbylaw_runtime_c.a");
    std::fs::write(&path, EMBEDDED_RUNTIME)
        .map_err(|e| format!("cannot write `{}`: {e}", path.display()))?;
    Ok(Runtime::Embedded { _dir: dir, path })
}
