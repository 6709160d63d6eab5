//! `bylaw build`: a policy compiled ahead of time for one date into a native object,
//! static library or shared library, with its C header. The object comes from
//! `bylaw_codegen::aot`; libraries are archived with `ar` or linked with `cc` against
//! the runtime's static library (`libbylaw_runtime_c.a`). That archive is built with
//! the binary (the `embed_runtime.rs` build script) and embedded in it, so an installed
//! `bylaw` needs nothing beside it; `--runtime` or `BYLAW_RUNTIME_LIB` name another.

use std::path::{Path, PathBuf};
use std::process::Command;

use bylaw_codegen::aot::{link_shared, run_tool};
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
    let started = std::time::Instant::now();
    let (program, date) = match crate::data::policy_at(&args.policy, &args.date, None, format) {
        Ok(p) => p,
        Err(exit) => return exit,
    };
    let name = program
        .policy
        .as_ref()
        .map(|p| p.name.clone())
        .unwrap_or_else(|| {
            args.policy
                .file_stem()
                .map_or("policy".into(), |s| s.to_string_lossy().into_owned())
        });
    // The files were just read and compiled; reading them again for the hash costs
    // less than carrying every source through the shared loading path.
    let source_hash = bylaw_compiler::load::source_hash(
        &bylaw_compiler::load::load(&args.policy, &mut Vec::new()).sources,
    );
    let native = match bylaw_codegen::aot::compile_object(&program, date, &name, &source_hash) {
        Ok(n) => n,
        Err(e) => {
            crate::report::error(
                format,
                "argument",
                format!(
                    "`{}` cannot be compiled to native code: {e}\n  help: evaluate it with `bylaw eval` instead",
                    args.policy.display()
                ),
            );
            return Exit::PolicyErrors;
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.output) {
        crate::report::error(
            format,
            "io",
            format!("cannot create `{}`: {e}", args.output.display()),
        );
        return Exit::Io;
    }
    let prefix = &native.prefix;
    let object = args.output.join(format!("{prefix}.o"));
    let header = args.output.join(format!("{prefix}.h"));
    for (path, bytes) in [
        (&object, native.object.as_slice()),
        (&header, native.header.as_bytes()),
    ] {
        if let Err(e) = bylaw_runtime::output::write_atomic(path, |w| w.write_all(bytes)) {
            crate::report::error(
                format,
                "io",
                format!("cannot write `{}`: {e}", path.display()),
            );
            return Exit::Io;
        }
    }
    let library = match args.emit {
        Emit::Object => None,
        Emit::Staticlib | Emit::Cdylib => {
            let runtime = match runtime_library(args.runtime.as_deref()) {
                Ok(r) => r,
                Err(msg) => {
                    crate::report::error(format, "build", &msg);
                    return Exit::BadInput;
                }
            };
            let made = if args.emit == Emit::Staticlib {
                staticlib(
                    &object,
                    runtime.path(),
                    &args.output.join(format!("lib{prefix}.a")),
                )
            } else {
                let ext = if cfg!(target_os = "macos") {
                    "dylib"
                } else {
                    "so"
                };
                cdylib(
                    &object,
                    runtime.path(),
                    &args.output.join(format!("lib{prefix}.{ext}")),
                )
            };
            match made {
                Ok(p) => Some(p),
                Err(msg) => {
                    crate::report::error(format, "build", &msg);
                    return Exit::Io;
                }
            }
        }
    };
    let mut wrote = vec![object.display().to_string(), header.display().to_string()];
    if let Some(l) = library {
        wrote.push(l.display().to_string());
    }
    eprintln!(
        "built `{name}` for {} in {:.0} ms: {}",
        bylaw_runtime::date::format_date(date),
        started.elapsed().as_secs_f64() * 1e3,
        wrote.join(", ")
    );
    Exit::Ok
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

/// `out` holds the policy's object alone, and the runtime archive is copied beside it
/// (`libbylaw_runtime_c.a`): GNU `ar` cannot re-index a Rust static library (its
/// members carry LLVM bitcode), so the two are linked side by side.
fn staticlib(object: &Path, runtime: &Path, out: &Path) -> Result<PathBuf, String> {
    let tmp = out.with_extension("a.tmp");
    let _ = std::fs::remove_file(&tmp);
    let made = run_tool(
        Command::new("ar").arg("rcs").arg(&tmp).arg(object),
        "`ar` (archiving the policy object)",
        "install binutils, or use --emit object and link it yourself",
    );
    if let Err(e) = made {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, out).map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
    if let Some(dir) = out.parent() {
        let beside = dir.join("libbylaw_runtime_c.a");
        let same = std::fs::canonicalize(&beside).ok() == std::fs::canonicalize(runtime).ok();
        if !same {
            std::fs::copy(runtime, &beside)
                .map_err(|e| format!("cannot copy `{}`: {e}", runtime.display()))?;
        }
    }
    Ok(out.to_path_buf())
}

fn cdylib(object: &Path, runtime: &Path, out: &Path) -> Result<PathBuf, String> {
    let tmp = out.with_extension("tmp");
    if let Err(e) = link_shared(&[object, runtime], &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("{e}\n  help: or use --emit object|staticlib"));
    }
    std::fs::rename(&tmp, out).map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
    Ok(out.to_path_buf())
}
