"""Evaluate the Guangdong dibao policy with Spark: totals by city, results as Parquet.

    python examples/python/spark_example.py [DATA_DIR] [--out OUT_DIR]

DATA_DIR holds ``households.csv`` and ``members.csv`` in the layout ``bylaw synth``
writes (``bylaw synth --households 100000 --seed 1 -o DATA_DIR``). Without it, 2,000
households are made up here with a fixed seed, so the example runs anywhere Spark does.
The results are written to OUT_DIR (default ``dibao-results`` in the working
directory) as Parquet.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql import functions as F

import bylaw.spark

POLICY = Path(__file__).resolve().parents[2] / "policies" / "guangdong" / "dibao.bylaw"
DATE = "2024-01-01"

# Read the CSV files with their types spelled out: money as an exact decimal (Bylaw
# refuses floating-point money, which is what Spark's schema inference would give).
HOUSEHOLDS = (
    "id string, city string, hukou string, residence long, months_away long, "
    "dibao_elsewhere boolean, large_financial_assets boolean, car_transaction boolean, "
    "house_transaction boolean"
)
HOUSEHOLDS_HEADER = [column.split()[0] for column in HOUSEHOLDS.split(", ")]
MEMBERS = "household_id string, income decimal(18,2), age long, disabled boolean"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path, help="directory of households.csv and members.csv")
    ap.add_argument("--out", type=Path, default=Path("dibao-results"))
    a = ap.parse_args(argv)

    spark = (
        SparkSession.builder.master("local[2]")
        .appName("bylaw-dibao")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    with tempfile.TemporaryDirectory() as scratch:
        data = a.data or make_up_households(Path(scratch), 2_000)
        # enforceSchema=False: check the header's names against the schema.
        read = spark.read.options(header=True, enforceSchema=False)
        households = read.csv(str(data / "households.csv"), schema=HOUSEHOLDS)
        members = read.csv(str(data / "members.csv"), schema=MEMBERS)

        results = bylaw.spark.evaluate(households, POLICY, DATE, members=members)
        results.write.mode("overwrite").parquet(str(a.out))

        # One row per household: join the city back from the input to total by city.
        by_city = (
            spark.read.parquet(str(a.out))
            .join(households.select("id", "city"), "id")
            .groupBy("city")
            .agg(
                F.count("*").alias("households"),
                F.sum(F.col("eligible").cast("long")).alias("eligible"),
                F.sum("benefit").alias("benefit_yuan"),
                F.count("error").alias("failed"),
            )
            .orderBy(F.desc("benefit_yuan"))
        )
        by_city.show(30, truncate=False)
    print(f"results: {a.out}")
    spark.stop()
    return 0


def make_up_households(directory: Path, n: int) -> Path:
    """Write ``n`` households and their members as CSV, the same for every run."""
    rng = random.Random(20240101)
    cities = ["guangzhou", "shenzhen", "foshan", "dongguan", "zhuhai", "shantou", "yunfu", "nansha"]
    with (directory / "households.csv").open("w", newline="") as hf, (
        directory / "members.csv"
    ).open("w", newline="") as mf:
        households, members = csv.writer(hf), csv.writer(mf)
        households.writerow(HOUSEHOLDS_HEADER)
        members.writerow(["household_id", "income", "age", "disabled"])
        for i in range(1, n + 1):
            hid = f"H{i:06d}"
            households.writerow(
                [
                    hid,
                    rng.choice(cities),
                    rng.choices(["local", "other_city", "hk_macau"], [74, 25, 1])[0],
                    rng.randrange(0, 121),
                    rng.choice([0, 0, 0, 1, 3, 7]),
                    str(rng.random() < 0.01).lower(),
                    str(rng.random() < 0.05).lower(),
                    str(rng.random() < 0.03).lower(),
                    str(rng.random() < 0.02).lower(),
                ]
            )
            for _ in range(rng.randint(1, 6)):
                # Incomes in whole fen, drawn as integers: no float reaches the file.
                fen = 0 if rng.random() < 0.3 else rng.randrange(0, 400_000)
                members.writerow(
                    [hid, f"{fen // 100}.{fen % 100:02d}", rng.randrange(0, 95), str(rng.random() < 0.07).lower()]
                )
    return directory


if __name__ == "__main__":
    sys.exit(main())
