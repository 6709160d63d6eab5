"""How fast `policy.evaluate` is from Python, against the engine's own speed on the
same data, and how much memory it takes.

The population is the bundled Guangdong dibao's synthetic one (`bylaw synth`, 1–6
members per household), read from Parquet into pyarrow tables. In one run, engines
taking turns, each measured `--repeat` times (best and median reported):

* engine: the Bylaw engine in Rust evaluating the same in-memory Arrow tables —
  reading them into its batch layout, evaluating on its worker threads, building the
  result columns — with no Python in between (`bylaw._bylaw._engine_seconds`);
* python: `policy.evaluate(households, members=members, date=…)`, from the pyarrow
  tables to the pyarrow result table;
* pandas: the same from pandas DataFrames (money as Decimal objects), converted by
  pyarrow first — what a pandas user pays.

Peak memory is measured in a fresh process per path: the process's resident size
after loading the tables, then its peak while evaluating once (sampled every 2 ms
from `/proc/self/status` by a thread running beside the evaluation), beside the size
of the input columns, for three paths: the engine's own run (`engine`), the Python
call from pyarrow tables (`python`) and from pandas frames (`pandas`). Input columns
are shared with the engine, not copied: the Python call grows exactly as much as the
engine's own run — its batch layout (an `i64` per money value, a key per household)
and its result columns.

Usage: python bench/python/evaluate_bench.py [--households 1000000] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import gc
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq

import bylaw

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "guangdong" / "dibao.bylaw"
DATE = "2024-01-01"


def bylaw_bin() -> str:
    return os.environ.get("BYLAW_BIN", str(ROOT / "target" / "release" / "bylaw"))


def population(households: int, workdir: Path) -> Path:
    """The synthetic population as Parquet, made once per size."""
    out = workdir / f"dibao_{households}"
    if not (out / "households.parquet").exists():
        subprocess.run(
            [bylaw_bin(), "synth", "--households", str(households), "--seed", "7",
             "-o", str(out), "--format", "parquet"],
            check=True,
        )
    return out


def rss_mb() -> float:
    """The process's resident size now."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_during(f) -> tuple[float, object]:
    """The highest resident size sampled every 2 ms while ``f`` runs (evaluation
    releases the GIL, so the sampling thread runs beside it), and ``f``'s result."""
    peak = [rss_mb()]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb())
            time.sleep(0.002)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = f()
    finally:
        done.set()
        sampler.join()
    return max(peak[0], rss_mb()), result


def memory_child(data: Path, path: str) -> None:
    """In a fresh process: load, note the resident size, evaluate once, note the peak."""
    policy = bylaw.load(POLICY)
    households = pq.read_table(data / "households.parquet")
    members = pq.read_table(data / "members.parquet")
    if path == "pandas":
        households, members = households.to_pandas(), members.to_pandas()
    gc.collect()
    before = rss_mb()
    if path == "engine":
        relations = [("members", members)]
        after, _ = peak_during(lambda: bylaw._bylaw._engine_seconds(
            policy._native, households, relations, DATE, repeat=1))
        result_mb = 0.0
    else:
        after, result = peak_during(lambda: policy.evaluate(households, members=members, date=DATE))
        result_mb = result.nbytes / 2**20
    print(json.dumps({"before_mb": before, "peak_mb": after, "result_mb": result_mb}))


def timed(f, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        f()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--households", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--workdir", type=Path, default=ROOT / "out" / "bench")
    parser.add_argument("--memory-child", nargs=2, metavar=("DATA", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_child:
        memory_child(Path(args.memory_child[0]), args.memory_child[1])
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    data = population(args.households, args.workdir)
    policy = bylaw.load(POLICY)
    households = pq.read_table(data / "households.parquet")
    members = pq.read_table(data / "members.parquet")
    frames = (households.to_pandas(), members.to_pandas())
    input_mb = (households.nbytes + members.nbytes) / 2**20
    relations = [("members", members)]
    # Compile and warm every path once before timing.
    policy.evaluate(households, members=members, date=DATE, threads=args.threads)
    times = {"engine": [], "python": [], "pandas": []}
    for _ in range(args.repeat):  # engines take turns
        times["engine"] += bylaw._bylaw._engine_seconds(
            policy._native, households, relations, DATE, threads=args.threads, repeat=1)
        times["python"] += timed(lambda: policy.evaluate(
            households, members=members, date=DATE, threads=args.threads), 1)
        times["pandas"] += timed(lambda: policy.evaluate(
            frames[0], members=frames[1], date=DATE, threads=args.threads), 1)
    n = households.num_rows
    print(f"{n:,} households, {members.num_rows:,} members; input columns {input_mb:.0f} MB; "
          f"threads {args.threads or os.cpu_count()}; best of {args.repeat}")
    print(f"{'path':<8} {'best s':>8} {'median s':>9} {'households/s':>14} {'vs engine':>10}")
    best_engine = min(times["engine"])
    for path, t in times.items():
        best = min(t)
        print(f"{path:<8} {best:>8.3f} {statistics.median(t):>9.3f} {n / best:>14,.0f} "
              f"{best_engine / best:>9.2f}×")
    print("\npeak memory, a fresh process per path (MB):")
    print(f"{'path':<8} {'loaded':>8} {'peak':>8} {'growth':>8} {'result':>8}  input columns {input_mb:.0f}")
    for path in ("engine", "python", "pandas"):
        out = subprocess.run([sys.executable, __file__, "--memory-child", str(data), path],
                             check=True, capture_output=True, text=True).stdout
        m = json.loads(out)
        print(f"{path:<8} {m['before_mb']:>8.0f} {m['peak_mb']:>8.0f} "
              f"{m['peak_mb'] - m['before_mb']:>8.0f} {m['result_mb']:>8.0f}")


if __name__ == "__main__":
    main()
