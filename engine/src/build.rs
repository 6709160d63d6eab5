//! A policy compiled ahead of time for one date: a native object with its C header, and
//! on request a static library (the object archived, the runtime archive beside it) or
//! a shared library linked with the system `cc` against the runtime's static library
//! (`libbylaw_runtime_c.a`). Every file is written atomically.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use bylaw_codegen::aot::{link_shared, run_tool};

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
    std::fs::create_dir_all(out).map_err(|e| {
        EngineError::io(
            "bylaw::io::write",
            format!("cannot create `{}`: {e}", out.display()),
        )
    })?;
    let prefix = &native.prefix;
    let object = out.join(format!("{prefix}.o"));
    let header = out.join(format!("{prefix}.h"));
    for (path, bytes) in [
        (&object, native.object.as_slice()),
        (&header, native.header.as_bytes()),
    ] {
        bylaw_runtime::output::write_atomic(path, |w| w.write_all(bytes)).map_err(|e| {
            EngineError::io(
                "bylaw::io::write",
                format!("cannot write `{}`: {e}", path.display()),
            )
        })?;
    }
    let mut files = vec![object.clone(), header];
    if emit != Emit::Object {
        let runtime = runtime.ok_or_else(|| {
            EngineError::input("bylaw::build::runtime", "no runtime library to link")
                .with_hint("name a `libbylaw_runtime_c.a` (`cargo build -p bylaw-runtime-c`)")
        })?;
        let made = if emit == Emit::Staticlib {
            staticlib(&object, runtime, &out.join(format!("lib{prefix}.a")))
        } else {
            let ext = if cfg!(target_os = "macos") {
                "dylib"
            } else {
                "so"
            };
            cdylib(&object, runtime, &out.join(format!("lib{prefix}.{ext}")))
        };
        files.push(made.map_err(|e| {
            let (message, hint) = match e.split_once("\n  help: ") {
                Some((m, h)) => (m.to_string(), Some(h.to_string())),
                None => (e, None),
            };
            let err = EngineError::io("bylaw::build::link", message);
            match hint {
                Some(h) => err.with_hint(h),
                None => err,
            }
        })?);
    }
    Ok(Built {
        name,
        files,
        elapsed: started.elapsed(),
    })
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
