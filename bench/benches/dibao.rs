//! `cargo bench -p bylaw-bench`: the dibao policy over 1,000,000 synthetic households
//! (seed 1) with every engine — interpreter, native code (JIT) on one thread and on all
//! threads, the AOT object (linked with the C compiler and loaded), and the
//! hand-written Rust loop. Not run in CI.

use std::path::Path;

use bylaw_bench::hand_dibao::HandDibao;
use bylaw_bench::measure;
use bylaw_bench::synth::{SynthConfig, write_population};
use bylaw_codegen::{JitPolicy, LoadedPolicy};
use bylaw_compiler::interp::Evaluator;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const HOUSEHOLDS: usize = 1_000_000;
/// 2023-08-01 as days since 1970-01-01.
const DATE: i32 = 19_570;

fn dibao(c: &mut Criterion) {
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies/guangdong/dibao.bylaw");
    let Some(program) = bylaw_compiler::compile_file(&policy).program else {
        eprintln!("the dibao policy does not compile");
        return;
    };
    let Ok(dir) = tempfile::tempdir() else {
        eprintln!("no temporary directory");
        return;
    };
    let config = SynthConfig {
        households: HOUSEHOLDS,
        seed: 1,
    };
    if let Err(e) = write_population(&config, dir.path()) {
        eprintln!("cannot write the population: {e}");
        return;
    }
    let batch = match bylaw_runtime::input::read_csv(
        &program.schema,
        &dir.path().join("households.csv"),
        &[("members".into(), dir.path().join("members.csv"))],
    ) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("cannot read the population: {e}");
            return;
        }
    };
    let (Ok(jit), Ok(hand)) = (
        JitPolicy::new(&program, DATE),
        HandDibao::new(&program, DATE),
    ) else {
        eprintln!("the dibao policy does not compile to native code");
        return;
    };
    let Ok(bound) = jit.bind(&batch) else {
        eprintln!("the batch does not fit the policy");
        return;
    };
    let aot = match LoadedPolicy::build(&program, DATE) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("no AOT library: {e}");
            return;
        }
    };
    let Ok(aot_bound) = aot.bind(&batch) else {
        eprintln!("the batch does not fit the AOT library");
        return;
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let Ok(pool) = rayon::ThreadPoolBuilder::new().num_threads(threads).build() else {
        eprintln!("no thread pool");
        return;
    };
    let evaluator = Evaluator::new(&program, DATE);
    let outputs = program.outputs.len();
    let n = batch.root_len();

    let mut group = c.benchmark_group("dibao_1m");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(10);
    group.bench_function("interpreter", |b| {
        b.iter(|| measure::interpreter(&evaluator, &batch));
    });
    group.bench_function("native_1_thread", |b| {
        b.iter(|| measure::native_rows(&bound, outputs, 0..n));
    });
    group.bench_function(format!("native_{threads}_threads"), |b| {
        b.iter(|| measure::native_parallel(&bound, outputs, n, &pool));
    });
    group.bench_function("aot_1_thread", |b| {
        b.iter(|| measure::native_rows(&aot_bound, outputs, 0..n));
    });
    group.bench_function("hand_written_1_thread", |b| {
        b.iter(|| measure::hand_loop(&hand, &batch));
    });
    group.finish();
}

criterion_group!(benches, dibao);
criterion_main!(benches);
