//! A policy compiled ahead of time for one date: a native object with its C header, and
//! on request a static library (the object archived, the runtime archive beside it) or
//! a shared library linked with the system `cc` against the runtime's static library
//! (`libbylaw_runtime_c.a`). The files are made in a stage beside the output directory
//! and renamed into place once all are complete (see [`Staged`]).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bylaw_codegen::aot::{link_shared, run_tool};
use bylaw_runtime::output::Staged;

use crate::{Date, EngineError, Policy};

/// What a build writes besides the object and its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Emit {
    /// `bylaw_<policy>.o` and its header only.
    Object,
    /// Also `libbylaw_<policy>.a`, with `libbylaw_runtime_c.a` copied beside it.
    Staticlib,
    /// Also `libbylaw_<policy>.so` (`.dylib` on macOS).
    Cdylib,
}

/// What a build wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Built {
    /// The policy's C name (`guangdong_dibao`).
    pub name: String,
    /// Every file written, the object first.
    pub files: Vec<PathBuf>,
    /// How long compiling and linking took.
    pub elapsed: Duration,
}

/// Compiles `policy` at `date` into `out` (created if missing). `runtime` is the
/// runtime's static library, needed for [`Emit::Staticlib`] and [`Emit::Cdylib`].
///
/// # Errors
/// `bylaw::build::unsupported` if native code does not compile the policy (it can
/// still be evaluated); `bylaw::build::runtime` without a runtime library to link;
/// `bylaw::io::write` / `bylaw::build::link` when writing, archiving or linking fails.
pub fn build(
    policy: &Policy,
    date: Date,
    emit: Emit,
    out: &Path,
    runtime: Option<&Path>,
) -> Result<Built, EngineError> {
    let started = Instant::now();
    let program = policy.program();
    let name = program
        .policy
        .as_ref()
        .map(|p| p.name.clone())
        .or_else(|| {
            let stem = policy.path()?.file_stem()?;
            Some(stem.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| "policy".to_string());
    let source_hash = policy.source_hash();
    let native = bylaw_codegen::aot::compile_object(program, date.days(), &name, &source_hash)
        .map_err(|e| {
            EngineError::input(
                "bylaw::build::unsupported",
                format!("the policy cannot be compiled to native code: {e}"),
            )
            .with_hint("evaluate it with `bylaw eval` instead")
        })?;
    let write_error = |e: std::io::Error| {
        EngineError::io(
            "bylaw::io::write",
            format!("cannot write into `{}`: {e}", out.display()),
        )
    };
    // Every file is made in a stage beside `out` and renamed into place only when all
    // are complete: a failed link leaves the previous build whole.
    let mut staged = Staged::new(out).map_err(write_error)?;
    let prefix = native.prefix.clone();
    staged
        .write(&format!("{prefix}.o"), |w| w.write_all(&native.object))
        .map_err(write_error)?;
    staged
        .write(&format!("{prefix}.h"), |w| {
            w.write_all(native.header.as_bytes())
        })
        .map_err(write_error)?;
    if emit != Emit::Object {
        let runtime = runtime.ok_or_else(|| {
            EngineError::input("bylaw::build::runtime", "no runtime library to link")
                .with_hint("name a `libbylaw_runtime_c.a` (`cargo build -p bylaw-runtime-c`)")
        })?;
        let object = staged.path(&format!("{prefix}.o"));
        let made = if emit == Emit::Staticlib {
            let archive = staged.path(&format!("lib{prefix}.a"));
            staticlib(&object, &archive).and_then(|()| {
                // The runtime archive beside the policy's, unless it is already there.
                let beside = out.join(RUNTIME_ARCHIVE);
                let same =
                    std::fs::canonicalize(&beside).ok() == std::fs::canonicalize(runtime).ok();
                match same {
                    true => Ok(()),
                    false => std::fs::copy(runtime, staged.path(RUNTIME_ARCHIVE))
                        .map(|_| ())
                        .map_err(|e| format!("cannot copy `{}`: {e}", runtime.display())),
                }
            })
        } else {
            let ext = if cfg!(target_os = "macos") {
                "dylib"
            } else {
                "so"
            };
            cdylib(
                &object,
                runtime,
                &staged.path(&format!("lib{prefix}.{ext}")),
            )
        };
        made.map_err(|e| {
            let (message, hint) = match e.split_once("\n  help: ") {
                Some((m, h)) => (m.to_string(), Some(h.to_string())),
                None => (e, None),
            };
            let err = EngineError::io("bylaw::build::link", message);
            match hint {
                Some(h) => err.with_hint(h),
                None => err,
            }
        })?;
    }
    let files = staged.commit().map_err(write_error)?;
    Ok(Built {
        name,
        files,
        elapsed: started.elapsed(),
    })
}

/// The runtime's static library, copied beside a policy's archive.
const RUNTIME_ARCHIVE: &str = "libbylaw_runtime_c.a";

/// The policy's object alone in an archive, linked beside the runtime's
/// ([`RUNTIME_ARCHIVE`]): GNU `ar` cannot re-index a Rust static library (its members
/// carry LLVM bitcode), so the two are linked side by side.
fn staticlib(object: &Path, out: &Path) -> Result<(), String> {
    run_tool(
        Command::new("ar").arg("rcs").arg(out).arg(object),
        "`ar` (archiving the policy object)",
        "install binutils, or use --emit object and link it yourself",
    )
}

fn cdylib(object: &Path, runtime: &Path, out: &Path) -> Result<(), String> {
    link_shared(&[object, runtime], out)
        .map_err(|e| format!("{e}\n  help: or use --emit object|staticlib"))
}
