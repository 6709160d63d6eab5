"""Bylaw on Spark against the pandas UDF a Spark user would write, on the anchor rule.

    python bench/python/spark_bench.py [--households N] [--workdir DIR]

Evaluates the benchmark rule ``dibao-v1`` (the bench anchors' RULE.md; written in
Bylaw in ``bench/dibao_v1.bylaw``) over N anchor households in Spark ``local[2]``, two
ways, on the same Parquet file:

* **bylaw** — ``bylaw.spark.evaluate`` (``mapInArrow``, the policy's native code);
* **pandas** — ``mapInPandas`` with the rule written by hand in pandas/numpy, exact in
  integer fen as RULE.md's integer formulation (money cast to fen by Spark first).

Both must give the same eligible count and benefit total, and at 1,000,000 or 100,000
households the totals RULE.md gives. Each engine runs in a fresh Python process with its
own Spark JVM, so that memory and start-up do not carry over; the parent samples the
resident memory of that process tree (see ``memory.py``).

The households come from the anchors' own generator (``gen_households.py``, seed
20230101), run once into the work directory and converted to Parquet with exact decimal
money; later runs reuse the Parquet file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import anchor_data
from memory import TreeSampler

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
ENGINES = ("bylaw", "pandas")

# RULE.md, "Expected values": the totals every implementation of dibao-v1 must print.
REFERENCE = {
    1_000_000: (124326, Decimal("204541084.88")),
    100_000: (12412, Decimal("20374107.47")),
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=10_000_000, help="N (default 10,000,000)")
    ap.add_argument(
        "--workdir",
        type=Path,
        default=REPO / "target" / "spark-bench",
        help="where the generated data is kept (default target/spark-bench)",
    )
    ap.add_argument(
        "--anchors",
        type=Path,
        required=True,
        help="the bench anchors' directory, holding gen_households.py and params.json",
    )
    ap.add_argument("--policy", type=Path, default=REPO / "bench" / "dibao_v1.bylaw")
    a = ap.parse_args(argv)

    parquet = anchor_data.households_parquet(a.households, a.workdir, a.anchors)
    params = a.anchors / "params.json"
    rows = []
    for engine in ENGINES:
        cmd = [
            sys.executable,
            str(HERE / "spark_run.py"),
            engine,
            str(parquet),
            "--policy",
            str(a.policy),
            "--params",
            str(params),
        ]
        print(f"running {engine} ...", file=sys.stderr, flush=True)
        with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True) as child:
            with TreeSampler(child.pid) as sampler:
                out, _ = child.communicate()
        if child.returncode != 0:
            raise SystemExit(f"the {engine} run failed (exit {child.returncode})")
        result = json.loads(out.strip().splitlines()[-1])
        result["memory"] = sampler.peaks()
        rows.append(result)

    print_table(a.households, rows)
    return check(a.households, rows)


def print_table(n: int, rows: list[dict]) -> None:
    """Prints one line per engine and the ratio of their throughputs."""
    mib = 1024 * 1024
    print(f"\ndibao-v1 on Spark local[2], {n:,} households")
    head = (
        f"{'engine':<8} {'eligible':>9} {'benefit total':>17} {'wall s':>8} "
        f"{'households/s':>13} {'JVM MiB':>8} {'workers MiB':>12} {'driver py MiB':>14}"
    )
    print(head)
    print("-" * len(head))
    for r in rows:
        m = r["memory"]
        print(
            f"{r['engine']:<8} {r['eligible']:>9} {r['benefit_total']:>17} "
            f"{r['seconds']:>8.2f} {n / r['seconds']:>13,.0f} {m['jvm'] / mib:>8.0f} "
            f"{m['workers'] / mib:>12.0f} {m['driver'] / mib:>14.0f}"
        )
    by = {r["engine"]: r for r in rows}
    ratio = by["pandas"]["seconds"] / by["bylaw"]["seconds"]
    print(f"bylaw / pandas throughput: {ratio:.2f}x")


def check(n: int, rows: list[dict]) -> int:
    """Exit status: 0 when the engines agree with each other and with RULE.md."""
    totals = {(r["eligible"], Decimal(r["benefit_total"])) for r in rows}
    status = 0
    if len(totals) != 1:
        print(f"MISMATCH between engines: {sorted(totals)}", file=sys.stderr)
        status = 1
    if n in REFERENCE and totals != {REFERENCE[n]}:
        print(f"MISMATCH with RULE.md: expected {REFERENCE[n]}, got {sorted(totals)}", file=sys.stderr)
        status = 1
    if status == 0:
        agreed = "and with RULE.md" if n in REFERENCE else "(RULE.md gives totals for 1M and 100k)"
        print(f"both engines agree {agreed}")
    return status


if __name__ == "__main__":
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    sys.exit(main())
