"""One engine of the Spark benchmark, run in a process of its own by ``spark_bench.py``.

    python bench/python/spark_run.py bylaw|pandas HOUSEHOLDS.parquet --policy P --params J

Starts Spark ``local[2]``, evaluates dibao-v1 over the Parquet file with the chosen
engine, and prints one JSON line: the engine, the eligible count, the benefit total in
yuan (exact, as text) and the seconds the Spark job took, from reading the file to the
two totals (Spark's start-up is not counted).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from decimal import Decimal
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

import pandas_rule

# Arrow batches of 65,536 rows for both engines: the default (10,000) makes per-batch
# overhead a visible part of either engine's time.
BATCH_ROWS = 65_536


def session() -> SparkSession:
    """A local Spark with two cores, Arrow transfer and no web UI."""
    return (
        SparkSession.builder.master("local[2]")
        .appName("bylaw-spark-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", str(BATCH_ROWS))
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def with_bylaw(households: DataFrame, policy: Path) -> DataFrame:
    """Eligible flag and benefit (yuan) per household, by Bylaw."""
    import bylaw.spark

    # The two outputs the pandas rule computes (with the key and error columns).
    out = bylaw.spark.evaluate(
        households, str(policy), "2023-01-01", outputs=["eligible", "benefit"]
    )
    return out.select(F.col("eligible"), F.col("benefit"), F.col("error"))


def with_pandas(households: DataFrame, params: Path) -> DataFrame:
    """Eligible flag and benefit (yuan) per household, by the hand-written pandas rule."""
    p = json.loads(params.read_text())
    std_fen = {city: int(Decimal(str(v)) * 100) for city, v in p["standard_monthly"].items()}
    months = int(p["asset_limit_months"])
    # Exact: decimal(p, 2) yuan times 100 is a whole number of fen.
    fen = households.select(
        "city",
        "members",
        (F.col("income_monthly") * 100).cast("long").alias("income_fen"),
        (F.col("financial_assets") * 100).cast("long").alias("assets_fen"),
        "has_car",
        "extra_house",
        "hukou_local",
        "residence_months",
        "months_away",
        "disabled_members",
    )
    # The workers import the rule's module from the file shipped to them.
    households.sparkSession.sparkContext.addPyFile(pandas_rule.__file__)
    out = fen.mapInPandas(
        lambda batches: pandas_rule.dibao_v1_fen(batches, std_fen, months),
        "eligible boolean, benefit_fen long",
    )
    return out.select(
        "eligible",
        (F.col("benefit_fen").cast("decimal(19,0)") / 100).cast("decimal(19,2)").alias("benefit"),
        F.lit(None).cast("string").alias("error"),
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("engine", choices=["bylaw", "pandas"])
    ap.add_argument("parquet", type=Path)
    ap.add_argument("--policy", type=Path, required=True)
    ap.add_argument("--params", type=Path, required=True)
    a = ap.parse_args(argv)

    spark = session()
    households = spark.read.parquet(str(a.parquet))
    if a.engine == "bylaw":
        out = with_bylaw(households, a.policy)
    else:
        out = with_pandas(households, a.params)
    start = time.perf_counter()
    row = out.agg(
        F.count(F.lit(1)).alias("n"),
        F.sum(F.col("eligible").cast("long")).alias("eligible"),
        F.sum("benefit").alias("benefit_total"),
        F.count("error").alias("failed"),
    ).collect()[0]
    seconds = time.perf_counter() - start
    spark.stop()
    print(
        json.dumps(
            {
                "engine": a.engine,
                "n": row["n"],
                "eligible": row["eligible"],
                "benefit_total": str(row["benefit_total"].quantize(Decimal("0.01"))),
                "failed": row["failed"],
                "seconds": seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
