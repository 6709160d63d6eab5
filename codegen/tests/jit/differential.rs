//! One case corpus through every engine: every `test` block of every bundled policy and
//! every program of the cross-crate suite, run by the interpreter, the JIT and the AOT
//! object (linked into a shared library and loaded), compared output for output and
//! error for error (code, definition and message).

use std::path::{Path, PathBuf};

use bylaw_codegen::{CodegenError, JitPolicy, LoadedPolicy};
use bylaw_compiler::Program;
use bylaw_compiler::interp::Evaluator;
use bylaw_runtime::batch::Batch;

/// Evaluates every root row of `batch` with both engines and asserts they agree.
pub fn assert_same(program: &Program, date: i32, batch: &Batch, what: &str) {
    let jit = JitPolicy::new(program, date).unwrap_or_else(|e| panic!("{what}: {e}"));
    let bound = jit.bind(batch).unwrap_or_else(|e| panic!("{what}: {e}"));
    let n = batch.root_len();
    let native = bound.eval_rows(0..n);
    let reference = Evaluator::new(program, date).eval_rows(batch, 0..n);
    assert_eq!(native.len(), reference.len(), "{what}");
    for (row, (a, b)) in native.iter().zip(&reference).enumerate() {
        assert_eq!(a, b, "{what}: row {row}");
    }
    // Sub-ranges too: the kernel starts anywhere.
    if n > 1 {
        assert_eq!(bound.eval_rows(1..n), reference[1..].to_vec(), "{what}");
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
        let Some(program) = compiled.program else {
            continue;
        };
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

/// The raw-string programs of the cross-crate suite (`r#"…"#`), as written there.
fn suite_programs() -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut files = Vec::new();
    bylaw_files(Path::new("../tests"), &mut files);
    let dir = Path::new("../tests/suite");
    let mut rs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    rs.sort();
    for file in rs {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut rest = text.as_str();
        let mut i = 0;
        while let Some(start) = rest.find("r#\"") {
            let after = &rest[start + 3..];
            let Some(end) = after.find("\"#") else { break };
            out.push((format!("{}#{i}", file.display()), after[..end].to_string()));
            rest = &after[end + 2..];
            i += 1;
        }
    }
    for file in files {
        out.push((
            file.display().to_string(),
            std::fs::read_to_string(&file).unwrap(),
        ));
    }
    out
}

#[test]
fn every_suite_program_with_tests_agrees() {
    let mut cases = 0;
    for (name, text) in suite_programs() {
        let compiled = bylaw_compiler::compile_text(&name, &text);
        if compiled.has_errors() {
            continue;
        }
        let Some(program) = compiled.program else {
            continue;
        };
        cases += run_tests(&program, &name).0;
    }
    assert!(
        cases >= 4,
        "expected the suite's small programs, found {cases}"
    );
}

/// A program of one household with the given fields and definitions, tested on rows.
fn rows_agree(text: &str, csv: &str, date: &str) {
    let compiled = bylaw_compiler::compile_text("case.bylaw", text);
    assert!(!compiled.has_errors(), "{text}: {:?}", compiled.diagnostics);
    let program = compiled.program.unwrap();
    let dir = std::env::temp_dir().join(format!(
        "bylaw-jit-{}-{}",
        std::process::id(),
        text.len() + csv.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("h.csv");
    std::fs::write(&path, csv).unwrap();
    let batch = bylaw_runtime::input::read_csv(&program.schema, &path, &[]).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let date = bylaw_runtime::date::parse_date(date).unwrap();
    assert_same(&program, date, &batch, text);
    assert_same_aot(&program, date, &batch, text);
}

#[test]
fn expressions_of_the_suite_agree() {
    let exprs = [
        "8 万元",
        "2.8 亿元",
        "2% * 12345678.91 元",
        "round_fen(1.005 元)",
        "round_fen(1.005 元, half_even)",
        "round_fen(1.015 元, half_even)",
        "round_fen(1.0099 元, down)",
        "round_fen(1.0001 元, up)",
        "round_fen(-1.005 元)",
        "round_fen(-1.0001 元, floor)",
        "round_fen(-1.0099 元, ceiling)",
        "round_fen(income / 3, half_down)",
        "2 years >= 24 months",
        "1.5 years",
        "months_between(2023-01-31, 2023-02-28)",
        "months_between(2023-01-15, 2025-01-15)",
        "days_between(2023-01-15, 2025-01-15)",
        "2023-01-31 + 1 months",
        "2023-03-31 - 1 months",
        "2023-03-01 - 1 days",
        "2023-03-01 + 400 days",
        "per_year(1338 元 per month)",
        "per_month(100 元 per year)",
        "false and 1 / 0 > 1.0",
        "if true then 1 元 else 1 元 / 0",
        "1 / 0 > 1.0",
        "income * 9223372036854775807",
        "-income",
        "income / 0",
        "income / income",
        "floor(income / 3 元)",
        "ceil(income / 3 元)",
        "floor(-2.5)",
        "ceil(-2.5)",
        "min(income, 5 元, 1 元 * count_of)",
        "max(income, 5 元)",
        "income * 2.5%",
        "count_of * 3.5%",
        "income / 2.5",
        "count_of / 0.3",
        "tax(income)",
        "tier(income)",
        "standard[region.ns]",
        "standard[region.sz]",
        "standard[where_]",
        "standard[region.hk]",
        "code == \"B\"",
        "code != \"B\" and code != \"C\"",
        "code",
        "if code == \"A\" then \"x\" else code",
        "when_ + 3 days",
        "where_",
        "not flag",
        // The inline fast paths at their edges: i64::MIN and MAX, divisors −1 and 0,
        // products that only just fit or overflow, rounding at exact halves.
        "income / -1",
        "income / count_of",
        "income * count_of",
        "count_of / count_of",
        "income / 0.0001",
        "income * 0.0001",
        "income * 1.5",
        "income / 3",
        "income / -3",
        "round_fen(income)",
        "round_fen(income, half_even)",
        "round_fen(income, floor)",
        "round_fen(income, ceiling)",
        "floor(income / 1 元)",
        "ceil(income / 1 元)",
        "income - 1 元",
        "income + 1 元",
        "income / 2 * 2",
        // Both sides built without a branch: a failure counts only on the side taken.
        "if flag then income * count_of else income - 1 元",
        "if flag then 0 元 else -income * count_of",
        "if income > 0 元 then (income + income) * count_of else 0 元",
        "round_fen(if flag then income + 1 元 else income * 2)",
    ];
    let decls = r#"
enum region { gd "广东" gz "广州" in gd  ns "南沙" in gz  sz "深圳" in gd  hk "香港" }
entity household {
  id: text key
  income: money
  count_of: count
  code: text
  where_: region
  when_: date
  flag: bool
}
parameter standard: money per month by region {
  gd: 1000 元 from 2023-01-01 assumed "test"
  gz: 1338 元 from 2023-01-01 assumed "test"
  gz: 1400 元 from 2023-07-01 assumed "test"
}
scale tax "累进": marginal over money -> rate {
  from 2023-01-01 { 0 元: 10%  1000 元: 20%  3000 元: 30% }
}
scale tier "档次": single over money -> money {
  from 2023-01-01 { 0 元: 100 元  1000 元: 50 元 }
  from 2024-01-01 { 0 元: 120 元  1000 元: 60 元 }
}
"#;
    let csv = "id,income,count_of,code,where_,when_,flag\n\
        a,3500,3,A,ns,2024-01-31,true\n\
        b,0,0,B,hk,2023-02-28,false\n\
        c,-1.5,-7,C,sz,1970-01-01,true\n\
        d,999.99,1,AB,gd,2000-02-29,false\n\
        e,922337203685477.5807,2,D,gz,2023-12-31,true\n\
        f,-922337203685477.5808,-1,E,gz,2023-12-31,false\n\
        g,-922337203685477.5807,-1,F,ns,2023-12-31,true\n\
        h,0.0050,-3,G,gz,2023-12-31,false\n\
        i,-0.0150,9223372036854775807,H,gz,2023-12-31,false\n";
    for expr in exprs {
        let text = format!("{decls}\nlet result = {expr}\nrule ok = true\n");
        let compiled = bylaw_compiler::compile_text("case.bylaw", &text);
        if compiled.has_errors() {
            panic!(
                "{expr}: {}",
                compiled
                    .diagnostics
                    .iter()
                    .map(|d| format!("{d:?}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            );
        }
        for date in ["2023-06-01", "2024-01-01", "2022-01-01"] {
            rows_agree(&text, csv, date);
        }
    }
}

#[test]
fn batches_that_fail_the_check_are_refused_and_the_interpreter_answers() {
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
    let n = bad_code.root_len();
    assert_eq!(
        jit.eval_rows(&bad_code, 0..n),
        Evaluator::new(&program, test.date).eval_rows(&bad_code, 0..n)
    );
    // Rows past the end get what the interpreter gives them.
    let bound = jit.bind(&test.batch).unwrap();
    assert_eq!(
        bound.eval_rows(0..n + 2),
        Evaluator::new(&program, test.date).eval_rows(&test.batch, 0..n + 2)
    );
}

/// A sum over members that overflows and comes back into range is still an overflow,
/// whether checked per element or once after the loop; `and`/`or` evaluated without
/// branches keep the interpreter's answers.
#[test]
fn member_sums_and_eager_conditions_agree() {
    let text = r#"
entity household {
  id: text key
  flag: bool
  other: bool
  members: many person
}
entity person {
  income: money
  adult: bool
}
let total = sum(members: income)
let adults_total = sum(members: income where adult)
let n = count(members)
rule both = flag and other
rule either = flag or other or n > 2
rule guarded = n > 0 and total / n > 1 元
let per_head = total / count(members)
let adults_per_head = adults_total / count(members)
"#;
    let compiled = bylaw_compiler::compile_text("sums.bylaw", text);
    assert!(!compiled.has_errors(), "{:?}", compiled.diagnostics);
    let program = compiled.program.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path().join("h.csv");
    let m = dir.path().join("m.csv");
    std::fs::write(
        &h,
        "id,flag,other\na,true,false\nb,false,false\nc,true,true\nd,false,true\ne,true,true\n\
         f,true,false\ng,true,false\nh,true,false\ni,true,false\nj,true,false\n",
    )
    .unwrap();
    std::fs::write(
        &m,
        "household_id,income,adult\n\
         a,922337203685477.5807,true\na,1,false\na,-5,true\n\
         b,-922337203685477.5808,true\nb,-1,true\n\
         c,10,true\nc,20,false\nc,30,true\n\
         d,0,false\n\
         f,1,true\nf,1,true\nf,0,false\n\
         g,-1,true\ng,-1,false\ng,0,true\n\
         h,0.0001,true\nh,0,true\n\
         i,-0.0001,true\ni,0,false\n\
         j,-922337203685477.5808,false\n",
    )
    .unwrap();
    let batch =
        bylaw_runtime::input::read_csv(&program.schema, &h, &[("members".into(), m)]).unwrap();
    let date = bylaw_runtime::date::parse_date("2023-01-01").unwrap();
    assert_same(&program, date, &batch, text);
    assert!(assert_same_aot(&program, date, &batch, text));
    // Without the households whose sums could overflow part-way, the rows run on the
    // prefix sums (no loop): the same answers.
    let jit = JitPolicy::new(&program, date).unwrap();
    let bound = jit.bind(&batch).unwrap();
    assert_eq!(
        bound.eval_rows(2..9),
        Evaluator::new(&program, date).eval_rows(&batch, 2..9)
    );
    let results = Evaluator::new(&program, 0).eval_rows(&batch, 0..10);
    assert!(results[0].is_err() && results[1].is_err(), "{results:?}");
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
