//! What the fuzz targets in `fuzz/` check, one function per target, so that `cargo test`
//! replays every input a fuzzer once crashed on (`fuzz/regressions/<target>/`) through
//! the same code. Each function takes arbitrary bytes and panics only on a real fault:
//! a crash inside Bylaw, an output that differs between backends or readers, a partial
//! output left behind, a formatter that is not idempotent.

#![allow(
    clippy::panic,
    reason = "a fuzz check fails by panicking, as the fuzzer expects"
)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use bylaw_engine::{BackendKind, DataFiles, Date, Policy, Run, RunOptions};

/// Lets a panic inside a data decoder of another crate unwind to the reader that catches
/// it and reports the file as damaged (`bylaw_runtime::input::decoding_foreign_data`):
/// the fuzzer's hook aborts on every panic, so it is wrapped, once, to let those pass.
/// Any other panic still reaches the fuzzer's hook.
pub fn let_decoder_panics_be_caught() {
    static WRAPPED: std::sync::Once = std::sync::Once::new();
    WRAPPED.call_once(|| {
        let fuzzer = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !bylaw_runtime::input::decoding_foreign_data() {
                fuzzer(info);
            }
        }));
    });
}

/// The policy the data targets read against: the bundled Guangdong dibao policy (a
/// household with members, a region enumeration, money, durations, counts and yes/no
/// inputs), whose schema `bylaw synth` writes.
pub fn data_policy() -> &'static Policy {
    static POLICY: OnceLock<Policy> = OnceLock::new();
    POLICY.get_or_init(|| {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/guangdong/dibao.bylaw");
        match Policy::load(&path) {
            Ok(p) => p,
            Err(e) => panic!("the bundled policy checks: {e}"),
        }
    })
}

/// The evaluation date of every data target.
pub fn data_date() -> Date {
    match Date::parse("2023-08-01") {
        Ok(d) => d,
        Err(e) => panic!("a valid date: {e}"),
    }
}

/// `fuzz/policy_text`: a policy file through parse → check → diagnostics printed → fmt.
/// The formatted text parses, formats to itself, and checks with the same verdict; a
/// policy that checks runs its own tests.
pub fn policy_text(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let compiled = bylaw_compiler::compile_text("fuzz.bylaw", text);
    for d in &compiled.diagnostics {
        let shown = bylaw_compiler::diagnostics::render_human(d, &compiled.sources, false, 100);
        assert!(!shown.is_empty());
    }
    let Ok(module) = bylaw_grammar::parse(text) else {
        assert!(compiled.has_errors(), "a parse error that `check` missed");
        return;
    };
    let formatted = bylaw_grammar::format(&module, text);
    let reparsed = match bylaw_grammar::parse(&formatted) {
        Ok(m) => m,
        Err(e) => panic!("fmt wrote text that does not parse: {e:?}\n{formatted}"),
    };
    assert_eq!(
        bylaw_grammar::format(&reparsed, &formatted),
        formatted,
        "fmt is not idempotent"
    );
    let again = bylaw_compiler::compile_text("fuzz.bylaw", &formatted);
    assert_eq!(
        compiled.has_errors(),
        again.has_errors(),
        "fmt changed whether the policy checks:\n{formatted}"
    );
    if let Some(program) = &compiled.program
        && !compiled.has_errors()
    {
        for outcome in bylaw_compiler::testing::run(program) {
            let _ = outcome.passed();
        }
    }
}

/// The data formats of the data targets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataKind {
    /// `households.csv`, a NUL byte, `members.csv`.
    Csv,
    /// `households.json` with nested members.
    Json,
    /// A little-endian `u32` length, `households.parquet` of that length, `members.parquet`.
    Parquet,
}

/// `fuzz/data_csv`, `data_json`, `data_parquet`: households read against the dibao
/// policy. Whole-file and streaming reads agree on whether the data is good; bad data
/// leaves no output file; good data gives the same output file from native code
/// (streamed in batches of 2) and from the interpreter (in one batch). Returns whether
/// the data was good (and evaluated).
pub fn data(kind: DataKind, data: &[u8]) -> bool {
    let Ok(dir) = tempfile::tempdir() else {
        return false;
    };
    let Some(files) = write_inputs(kind, data, dir.path()) else {
        return false;
    };
    let policy = data_policy();
    let whole = files.read(policy.program());
    let native = dir.path().join("native.csv");
    let interpreted = dir.path().join("interpreted.csv");
    let by_native = run(BackendKind::Jit, 2).write_file(&files, &native, &());
    match whole {
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal without a data error");
            assert!(
                by_native.is_err(),
                "the streaming run accepted data the reader refuses"
            );
            assert!(!native.exists(), "a refused run left an output file");
            false
        }
        Ok(_) => {
            if let Err(e) = &by_native {
                panic!("the whole-file reader accepts data the run refuses: {e}");
            }
            let by_interpreter =
                run(BackendKind::Interpreter, 1 << 16).write_file(&files, &interpreted, &());
            if let Err(e) = &by_interpreter {
                panic!("the interpreter's run refuses good data: {e}");
            }
            let a = std::fs::read(&native).unwrap_or_default();
            let b = std::fs::read(&interpreted).unwrap_or_default();
            assert!(
                a == b,
                "native (streamed) and interpreter outputs differ:\n{}\n---\n{}",
                String::from_utf8_lossy(&a),
                String::from_utf8_lossy(&b)
            );
            true
        }
    }
}

/// A run of the dibao policy on one thread, compiled once per backend and batch size.
fn run(backend: BackendKind, batch_rows: usize) -> &'static Run<'static> {
    static NATIVE: OnceLock<Option<Run<'static>>> = OnceLock::new();
    static INTERPRETER: OnceLock<Option<Run<'static>>> = OnceLock::new();
    let cell = match backend {
        BackendKind::Interpreter => &INTERPRETER,
        _ => &NATIVE,
    };
    let made = cell.get_or_init(|| {
        let options = RunOptions {
            backend,
            threads: Some(1),
            batch_rows,
            ..RunOptions::default()
        };
        Run::new(data_policy(), data_date(), options).ok()
    });
    match made {
        Some(r) => r,
        None => panic!("a run of the bundled policy starts"),
    }
}

/// Writes the fuzzer's bytes as the input files of `kind`.
fn write_inputs(kind: DataKind, data: &[u8], dir: &Path) -> Option<DataFiles> {
    let write = |name: &str, bytes: &[u8]| -> Option<PathBuf> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).ok()?;
        Some(path)
    };
    Some(match kind {
        DataKind::Csv => {
            let (households, members) = match data.iter().position(|b| *b == 0) {
                Some(i) => (&data[..i], Some(&data[i + 1..])),
                None => (data, None),
            };
            let files = DataFiles::new(write("households.csv", households)?);
            match members {
                Some(m) => files.with_relation("members", write("members.csv", m)?),
                None => files,
            }
        }
        DataKind::Json => DataFiles::new(write("households.json", data)?),
        DataKind::Parquet => {
            let len = u32::from_le_bytes(data.get(..4)?.try_into().ok()?) as usize;
            let rest = data.get(4..)?;
            let (households, members) = rest.split_at(len.min(rest.len()));
            DataFiles::new(write("households.parquet", households)?)
                .with_relation("members", write("members.parquet", members)?)
        }
    })
}

/// `fuzz/service_log`: a comply service log read: its columns line up, or it is
/// refused with located errors.
pub fn service_log(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else {
        return;
    };
    let path = dir.path().join("log.csv");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    match bylaw_runtime::servicelog::read_log(&path) {
        Ok(log) => {
            assert_eq!(log.service.len(), log.date.len());
            assert_eq!(log.service.len(), log.lines.len());
            assert!(log.keys.iter().all(|k| k.len() == log.service.len()));
        }
        Err(errors) => assert!(!errors.is_empty(), "a refusal without a data error"),
    }
}

pub mod abi;
