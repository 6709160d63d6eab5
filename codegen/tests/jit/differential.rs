//! Every `test` block of every bundled policy run by the interpreter, the JIT and the AOT
//! object (linked into a shared library and loaded), compared output for output and
//! error for error (code, definition and message); and the comparison the generated
//! programs of `properties` use. Small fixed programs live in the conformance corpus
//! (`tests/conformance/`, run by `conformance`).

use std::path::{Path, PathBuf};

use bylaw_codegen::{CodegenError, JitPolicy, LoadedPolicy};
use bylaw_compiler::Program;
use bylaw_compiler::interp::Evaluator;
use bylaw_runtime::batch::Batch;

/// Evaluates every root row of `batch` with the JIT and the interpreter and asserts they
/// agree. Straight from the kernel's columns: a refused program or batch fails, never
/// falls back to the interpreter.
pub fn assert_same(program: &Program, date: i32, batch: &Batch, what: &str) {
    let jit = JitPolicy::new(program, date).unwrap_or_else(|e| panic!("{what}: {e}"));
    let bound = jit.bind(batch).unwrap_or_else(|e| panic!("{what}: {e}"));
    let n = batch.root_len();
    let reference = Evaluator::new(program, date).eval_rows(batch, 0..n);
    // Sub-ranges too: the kernel starts anywhere.
    for start in [0, 1.min(n)] {
        let columns = bound
            .eval_columns(start..n)
            .unwrap_or_else(|| panic!("{what}: the JIT refused rows {start}..{n}"));
        assert_eq!(columns.len(), n - start, "{what}");
        for (i, expected) in reference[start..].iter().enumerate() {
            assert_eq!(
                &bound.row_result(&columns, i),
                expected,
                "{what}: row {}",
                start + i
            );
        }
    }
}

/// Evaluates every root row of `batch` with the AOT object and the interpreter and
/// asserts they agree. Returns `false` for a program AOT does not take (one that reads
/// or produces text: not part of the C ABI), which the JIT runs instead.
pub fn assert_same_aot(program: &Program, date: i32, batch: &Batch, what: &str) -> bool {
    let aot = match LoadedPolicy::build(program, date) {
        Ok(aot) => aot,
        Err(CodegenError::Unsupported(why)) if why.contains("text") => return false,
        Err(e) => panic!("{what}: AOT: {e}"),
    };
    let bound = aot
        .bind(batch)
        .unwrap_or_else(|e| panic!("{what}: AOT: {e}"));
    let n = batch.root_len();
    let reference = Evaluator::new(program, date).eval_rows(batch, 0..n);
    // Straight from the library's columns: no fallback to the interpreter.
    let mut columns = bylaw_codegen::ResultColumns::default();
    for start in [0, 1.min(n)] {
        assert!(
            bound.eval_columns_into(start..n, &mut columns),
            "{what}: AOT refused the rows"
        );
        assert_eq!(columns.len(), n - start, "{what}: AOT");
        for (i, expected) in reference[start..].iter().enumerate() {
            assert_eq!(
                &bound.row_result(&columns, i),
                expected,
                "{what}: AOT, row {}",
                start + i
            );
        }
    }
    true
}

fn bylaw_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            bylaw_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "bylaw") {
            out.push(p);
        }
    }
}

/// Runs every test case of `program` through every engine; returns how many cases ran,
/// and how many of them ran AOT too.
fn run_tests(program: &Program, what: &str) -> (usize, usize) {
    // `x[last year]` reads another row of a yearly table: the JIT refuses it (fund rules
    // run in the interpreter, `bylaw budget` has no native path) rather than guessing.
    if program
        .nodes
        .iter()
        .any(|n| matches!(n, bylaw_compiler::ir::Node::LastYear(_)))
    {
        assert!(
            matches!(
                JitPolicy::new(program, 0),
                Err(bylaw_codegen::CodegenError::Unsupported(_))
            ),
            "{what}: the JIT must refuse `[last year]`"
        );
        return (0, 0);
    }
    let mut aot = 0;
    for t in &program.tests {
        let what = format!("{what}: {}", t.name);
        assert_same(program, t.date, &t.batch, &what);
        aot += usize::from(assert_same_aot(program, t.date, &t.batch, &what));
    }
    (program.tests.len(), aot)
}

#[test]
fn every_bundled_policy_test_agrees() {
    let mut files = Vec::new();
    bylaw_files(Path::new("../policies"), &mut files);
    files.sort();
    let (mut cases, mut aot) = (0, 0);
    for file in &files {
        let compiled = bylaw_compiler::compile_file(file);
        let program = compiled
            .program
            .unwrap_or_else(|| panic!("{}: does not compile", file.display()));
        let (c, a) = run_tests(&program, &file.display().to_string());
        cases += c;
        aot += a;
    }
    assert!(
        cases >= 50,
        "expected the policies' test cases, found {cases}"
    );
    assert!(
        aot * 10 >= cases * 9,
        "expected AOT to run nearly every case, ran {aot} of {cases}"
    );
}

#[test]
fn batches_and_rows_the_kernel_cannot_take_are_refused_never_interpreted() {
    let compiled = bylaw_compiler::compile_file(Path::new("../policies/guangdong/dibao.bylaw"));
    let program = compiled.program.unwrap();
    let test = program.tests.first().unwrap();
    let jit = JitPolicy::new(&program, test.date).unwrap();
    let mut bad_offsets = test.batch.clone();
    for rows in &mut bad_offsets.entities {
        for o in &mut rows.children {
            if let Some(last) = o.0.last_mut() {
                *last += 1_000_000;
            }
        }
    }
    assert!(jit.bind(&bad_offsets).is_err());
    let mut bad_code = test.batch.clone();
    for rows in &mut bad_code.entities {
        for c in &mut rows.columns {
            if let bylaw_runtime::batch::Column::Enum(v) = c {
                v.iter_mut().for_each(|x| *x = u32::MAX);
            }
        }
    }
    assert!(jit.bind(&bad_code).is_err());
    // Rows past the end are refused, not answered by the interpreter.
    let n = test.batch.root_len();
    let bound = jit.bind(&test.batch).unwrap();
    assert!(bound.row_results(0..n + 2).is_none());
    assert_eq!(
        bound.row_results(0..n).unwrap(),
        Evaluator::new(&program, test.date).eval_rows(&test.batch, 0..n)
    );
}

#[test]
fn a_loaded_library_says_what_it_is() {
    let compiled = bylaw_compiler::compile_file(Path::new("../policies/guangdong/dibao.bylaw"));
    let program = compiled.program.unwrap();
    let date = bylaw_runtime::date::parse_date("2024-01-01").unwrap();
    let aot = LoadedPolicy::build(&program, date).unwrap();
    let library = aot.library();
    assert_eq!(library.policy_name(), "guangdong_dibao");
    assert_eq!(library.date(), date);
    assert_eq!(
        library.abi_version(),
        bylaw_runtime::native::policy::ABI_VERSION
    );
    assert_eq!(library.source_hash(), [0; 32]);
}

#[test]
fn a_loaded_library_binds_columns_by_name_regions_by_code_and_ages_in_years() {
    use bylaw_runtime::native::library::Refused;
    let compiled = bylaw_compiler::compile_file(Path::new("../policies/guangdong/dibao.bylaw"));
    let program = compiled.program.unwrap();
    let date = bylaw_runtime::date::parse_date("2024-01-01").unwrap();
    let aot = LoadedPolicy::build(&program, date).unwrap();
    let library = aot.library();
    assert!(library.column_names().contains(&"person.age".to_string()));
    // One household of one 70-year-old disabled member in Guangzhou (GB/T 2260 440100).
    let local = bylaw_runtime::native::keys::fnv1a32(b"local");
    let (city, hukou) = ([440_100u32], [local]);
    let (months, flags) = ([24i64], [0u8]);
    let (income, age, disabled) = ([5_000_000i64], [70i64], [1u8]);
    let members = [0u32, 1];
    let benefit = |order: &[&str], age: &[i64], city: &[u32]| -> Result<i64, Refused> {
        let mut input = library.input(&[1, 1]);
        for name in order {
            match *name {
                "household.city" => input.keys(name, city)?,
                "household.hukou" => input.keys(name, &hukou)?,
                "household.residence" | "household.months_away" => input.int(name, &months)?,
                "person.income" => input.int(name, &income)?,
                "person.age" => input.int(name, age)?,
                "person.disabled" => input.bool(name, &disabled)?,
                _ => input.bool(name, &flags)?,
            };
        }
        input.offsets(0, &members)?;
        let checked = library.check(input)?;
        let (mut outputs, mut errors, mut failures) = (Vec::new(), Vec::new(), Vec::new());
        checked.eval(0..1, &mut outputs, &mut errors, &mut failures)?;
        let at = program
            .outputs
            .iter()
            .position(|d| program.def(*d).name == "benefit")
            .unwrap();
        Ok(outputs[at].get(0).unwrap())
    };
    let mut order = vec![
        "household.city",
        "household.hukou",
        "household.residence",
        "household.months_away",
        "household.dibao_elsewhere",
        "household.large_financial_assets",
        "household.car_transaction",
        "household.house_transaction",
        "person.income",
        "person.age",
        "person.disabled",
    ];
    let expected = benefit(&order, &age, &city).unwrap();
    assert!(expected > 0);
    order.reverse();
    assert_eq!(benefit(&order, &age, &city), Ok(expected), "any order");
    // A column missing, given twice, or unknown; a region by a code it does not know.
    let missing: Vec<&str> = order[1..].to_vec();
    assert_eq!(benefit(&missing, &age, &city), Err(Refused::Batch));
    let mut twice = order.clone();
    twice.push("person.age");
    assert_eq!(benefit(&twice, &age, &city), Err(Refused::Batch));
    assert!(matches!(
        benefit(&["person.agee"], &age, &city),
        Err(Refused::Column { .. })
    ));
    assert_eq!(benefit(&order, &age, &[4403]), Err(Refused::Batch));
    // Ages arrive in years: so many years that their months overflow is refused.
    assert_eq!(benefit(&order, &[i64::MAX / 6], &city), Err(Refused::Batch));
}
