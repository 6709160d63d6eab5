//! Build script of `bylaw`: builds the runtime core as a C static library
//! (`libbylaw_runtime_c.a`, the `bylaw-runtime-c` package) with a nested cargo into
//! `OUT_DIR`, in the same profile, so that the binary can embed it (`include_bytes!` in
//! `src/build.rs`) and `bylaw build --emit staticlib|cdylib` works from an installed
//! binary, with nothing beside it. The nested build has its own target directory
//! inside `OUT_DIR` (the outer one is locked while this runs) and shares the outer
//! build's jobserver, so it takes no more cores than asked; it reruns only when the
//! runtime core or runtime-c sources change.

use std::path::PathBuf;
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let var = |name: &str| std::env::var_os(name).map(PathBuf::from);
    let (Some(manifest), Some(out)) = (var("CARGO_MANIFEST_DIR"), var("OUT_DIR")) else {
        eprintln!("CARGO_MANIFEST_DIR and OUT_DIR are set by cargo");
        return ExitCode::FAILURE;
    };
    let Some(root) = manifest.parent() else {
        return ExitCode::FAILURE;
    };
    for watched in ["runtime-core", "runtime-c", "Cargo.lock"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let release = std::env::var("PROFILE").is_ok_and(|p| p == "release");
    let target = out.join("runtime-c");
    let cargo = var("CARGO").unwrap_or_else(|| "cargo".into());
    let mut nested = Command::new(cargo);
    nested
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(root.join("Cargo.toml"))
        .args(["-p", "bylaw-runtime-c", "--target-dir"])
        .arg(&target)
        // The outer build's flags are for the `bylaw` binary, not for this archive.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET_DIR")
        .env_remove("CARGO_ENCODED_RUSTFLAGS");
    if release {
        nested.arg("--release");
    }
    match nested.status() {
        Ok(status) if status.success() => {}
        Ok(status) => {
            eprintln!("building the runtime archive (bylaw-runtime-c) failed: {status}");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("cannot run cargo to build the runtime archive: {e}");
            return ExitCode::FAILURE;
        }
    }
    let built = target
        .join(if release { "release" } else { "debug" })
        .join("libbylaw_runtime_c.a");
    if let Err(e) = std::fs::copy(&built, out.join("libbylaw_runtime_c.a")) {
        eprintln!("cannot copy `{}`: {e}", built.display());
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
