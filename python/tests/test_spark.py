"""``bylaw.spark.evaluate`` gives exactly what ``bylaw eval`` gives on the same rows.

Each case evaluates a dozen households in Spark ``local[2]`` and with the command line
(``BYLAW_BIN``, default ``target/debug/bylaw`` under the repository root) over the same
rows written to CSV, and compares every column value for value: decimals as
``Decimal``, errors included. The Guangdong dibao policy covers households with
members, in both input shapes; the benchmark rule dibao-v1 covers a flat record.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("pyspark", reason="pyspark is not installed")
if shutil.which("java") is None and "JAVA_HOME" not in os.environ:
    pytest.skip("Spark needs Java, and neither java nor JAVA_HOME is found", allow_module_level=True)

import bylaw  # noqa: E402
import bylaw.spark  # noqa: E402
from pyspark.sql import SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BYLAW_BIN = Path(os.environ.get("BYLAW_BIN", REPO / "target" / "debug" / "bylaw"))
DIBAO = REPO / "policies" / "guangdong" / "dibao.bylaw"
DIBAO_V1 = REPO / "bench" / "dibao_v1.bylaw"
DATE = "2024-01-01"

# Guangdong dibao: households and their members (household_id, income, age, disabled).
HOUSEHOLD_FIELDS = [
    ("id", T.StringType()),
    ("city", T.StringType()),
    ("hukou", T.StringType()),
    ("residence", T.LongType()),
    ("months_away", T.LongType()),
    ("dibao_elsewhere", T.BooleanType()),
    ("large_financial_assets", T.BooleanType()),
    ("car_transaction", T.BooleanType()),
    ("house_transaction", T.BooleanType()),
]
MEMBER_FIELDS = [
    ("income", T.DecimalType(18, 2)),
    ("age", T.LongType()),
    ("disabled", T.BooleanType()),
]
D = Decimal
HOUSEHOLDS = [
    # id, city, hukou, residence, away, elsewhere, assets, car, house, members
    ("H01", "guangzhou", "local", 0, 0, False, False, False, False,
     [(D("500.00"), 40, False), (D("300.00"), 12, False)]),
    ("H02", "guangzhou", "local", 0, 0, False, False, False, False, [(D("1338.00"), 40, False)]),
    ("H03", "guangzhou", "local", 0, 0, False, False, False, False, [(D("1337.99"), 40, False)]),
    # half a fen below the standard per head
    ("H04", "guangzhou", "local", 0, 0, False, False, False, False,
     [(D("1337.99"), 40, False), (D("1338.00"), 38, False)]),
    ("H05", "shenzhen", "local", 0, 0, False, False, False, False,
     [(D("500.00"), 45, False), (D("300.00"), 43, False), (D("0.00"), 10, False)]),
    ("H06", "yunfu", "local", 0, 0, False, False, False, False, [(D("400.00"), 50, True)]),
    ("H07", "nansha", "other_city", 3, 1, False, False, False, False, [(D("500.00"), 40, False)]),
    # no standard in force outside Guangdong: missing_value for this household only
    ("H08", "changsha", "local", 0, 0, False, False, False, False, [(D("100.00"), 40, False)]),
    # a sum past the 64-bit range of 0.0001 元: overflow for this household only
    ("H09", "guangzhou", "local", 0, 0, False, False, False, False,
     [(D("500000000000000.00"), 40, False), (D("500000000000000.00"), 41, False)]),
    ("H10", "dongguan", "other_city", 12, 0, True, False, False, False, [(D("0.00"), 40, False)]),
    ("H11", "guangzhou", "local", 0, 0, False, False, True, False, [(D("0.00"), 40, False)]),
    ("H12", "dongguan", "local", 0, 0, False, False, False, False,
     [(D("1200.00"), 45, False), (D("900.00"), 43, False), (D("0.00"), 70, True),
      (D("0.00"), 68, False), (D("0.00"), 12, False), (D("0.00"), 8, False)]),
    ("H13", "futian", "local", 0, 0, False, True, False, False, [(D("1449.99"), 80, True)]),
]

# dibao-v1: the anchors' flat record (RULE.md, "Inputs").
V1_FIELDS = [
    ("id", T.LongType()),
    ("city", T.StringType()),
    ("members", T.LongType()),
    ("income_monthly", T.DecimalType(9, 2)),
    ("financial_assets", T.DecimalType(11, 2)),
    ("has_car", T.BooleanType()),
    ("extra_house", T.BooleanType()),
    ("hukou_local", T.BooleanType()),
    ("residence_months", T.LongType()),
    ("months_away", T.LongType()),
    ("disabled_members", T.LongType()),
    ("elderly_members", T.LongType()),
]
V1_HOUSEHOLDS = [
    (1, "guangzhou", 3, D("1500.00"), D("0.00"), False, False, True, 0, 0, 2, 1),
    (2, "guangzhou", 2, D("2399.99"), D("100.00"), False, False, True, 0, 0, 0, 0),
    (3, "shenzhen", 2, D("2600.00"), D("0.00"), False, False, True, 0, 0, 0, 0),
    (4, "guangzhou", 1, D("0.00"), D("28800.00"), False, False, True, 0, 0, 0, 1),
    (5, "guangzhou", 1, D("0.00"), D("28800.01"), False, False, True, 0, 0, 0, 0),
    (6, "yunfu", 1, D("0.00"), D("0.00"), False, False, False, 24, 5, 1, 0),
    (7, "yunfu", 1, D("0.00"), D("0.00"), False, False, False, 23, 0, 0, 0),
    (8, "meizhou", 4, D("3679.99"), D("50000.00"), False, False, True, 0, 6, 0, 2),
    (9, "foshan", 6, D("6899.99"), D("165600.00"), False, False, True, 0, 0, 6, 3),
    (10, "dongguan", 2, D("100.00"), D("0.00"), True, False, True, 0, 0, 0, 0),
    (11, "zhuhai", 2, D("100.00"), D("0.00"), False, True, True, 0, 0, 0, 0),
    # no standard for a city outside Guangdong: missing_value for this household only
    (12, "changsha", 1, D("100.00"), D("0.00"), False, False, True, 0, 0, 0, 0),
]

BROKEN_POLICY = """policy broken "有误的政策"
  assumed "a test of errors"
  effective 2023-01-01
entity household "家庭" {
  id: text key
  income: money per month "月收入"
}
rule poor "低收入" assumed "a test of errors" = income < 3
"""


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2]")
        .appName("bylaw-test-spark")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture(scope="module")
def bylaw_bin() -> Path:
    if not BYLAW_BIN.exists():
        pytest.skip(f"the bylaw binary is not built (set BYLAW_BIN): {BYLAW_BIN}")
    return BYLAW_BIN


def cli_rows(bylaw_bin: Path, policy: Path, households: Path, tmp: Path) -> list[dict]:
    """The rows `bylaw eval` writes for ``households`` (members found beside it)."""
    out = tmp / "cli.parquet"
    subprocess.run(
        [str(bylaw_bin), "eval", str(policy), str(households), "--date", DATE, "-o", str(out), "-q"],
        check=True,
    )
    return pq.read_table(out).to_pylist()


def spark_rows(df) -> list[dict]:
    """The rows of a Spark result as dictionaries."""
    return [r.asDict() for r in df.collect()]


def assert_same(spark_result: list[dict], cli_result: list[dict], key: str) -> None:
    """Same households, and for each the same value in every column the CLI writes."""
    by_key = {r[key]: r for r in spark_result}
    assert sorted(by_key) == sorted(r[key] for r in cli_result)
    for expected in cli_result:
        actual = by_key[expected[key]]
        for column, value in expected.items():
            assert actual[column] == value, (expected[key], column)
            assert type(actual[column]) is type(value), (expected[key], column)


def write_csv(path: Path, header: list[str], rows: list[tuple]) -> None:
    def cell(v: object) -> str:
        return str(v).lower() if isinstance(v, bool) else str(v)

    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows([[cell(v) for v in row] for row in rows])


@pytest.fixture(scope="module")
def dibao_cli(bylaw_bin: Path, tmp_path_factory) -> list[dict]:
    tmp = tmp_path_factory.mktemp("dibao")
    households = tmp / "households.csv"
    write_csv(households, [n for n, _ in HOUSEHOLD_FIELDS], [h[:-1] for h in HOUSEHOLDS])
    write_csv(
        tmp / "members.csv",
        ["household_id"] + [n for n, _ in MEMBER_FIELDS],
        [(h[0], *m) for h in HOUSEHOLDS for m in h[-1]],
    )
    return cli_rows(bylaw_bin, DIBAO, households, tmp)


def test_cli_reports_the_per_household_errors(dibao_cli: list[dict]) -> None:
    errors = {r["id"]: (r["error"], r["error_in"]) for r in dibao_cli if r["error"]}
    assert errors == {"H08": ("missing_value", "standard"), "H09": ("overflow", "total_income")}


def test_members_as_a_second_dataframe(spark, dibao_cli: list[dict]) -> None:
    households = spark.createDataFrame(
        [h[:-1] for h in HOUSEHOLDS], T.StructType([T.StructField(n, t) for n, t in HOUSEHOLD_FIELDS])
    )
    members = spark.createDataFrame(
        [(h[0], *m) for h in HOUSEHOLDS for m in h[-1]],
        T.StructType(
            [T.StructField("household_id", T.StringType())]
            + [T.StructField(n, t) for n, t in MEMBER_FIELDS]
        ),
    ).repartition(3)
    out = bylaw.spark.evaluate(households, str(DIBAO), DATE, members=members)
    assert_same(spark_rows(out), dibao_cli, "id")


def test_members_nested_in_the_households(spark, dibao_cli: list[dict]) -> None:
    member = T.StructType([T.StructField(n, t) for n, t in MEMBER_FIELDS])
    schema = T.StructType(
        [T.StructField(n, t) for n, t in HOUSEHOLD_FIELDS]
        + [T.StructField("members", T.ArrayType(member))]
    )
    households = spark.createDataFrame([(*h[:-1], list(h[-1])) for h in HOUSEHOLDS], schema)
    policy = bylaw.load(str(DIBAO))
    out = bylaw.spark.evaluate(households.repartition(2), policy, DATE)
    assert out.schema == bylaw.spark.spark_schema(policy.output_schema)
    assert_same(spark_rows(out), dibao_cli, "id")


def test_flat_record(spark, bylaw_bin: Path, tmp_path: Path) -> None:
    households = tmp_path / "households.csv"
    write_csv(households, [n for n, _ in V1_FIELDS], V1_HOUSEHOLDS)
    expected = cli_rows(bylaw_bin, DIBAO_V1, households, tmp_path)
    # The key as text: see test_an_integer_key_is_kept for integer keys.
    schema = T.StructType([T.StructField(n, T.StringType() if n == "id" else t) for n, t in V1_FIELDS])
    df = spark.createDataFrame([(str(h[0]), *h[1:]) for h in V1_HOUSEHOLDS], schema)
    out = bylaw.spark.evaluate(df.repartition(3), DIBAO_V1, DATE)
    assert_same(spark_rows(out), expected, "id")
    assert {r["id"]: r["error"] for r in expected if r["error"]} == {"12": "missing_value"}
    assert sum(r["eligible"] for r in expected if r["eligible"]) > 0


def test_an_integer_key_is_kept(spark) -> None:
    df = spark.createDataFrame(V1_HOUSEHOLDS, T.StructType([T.StructField(n, t) for n, t in V1_FIELDS]))
    out = bylaw.spark.evaluate(df, DIBAO_V1, DATE)
    assert sorted(r["id"] for r in out.collect()) == sorted(str(h[0]) for h in V1_HOUSEHOLDS)


def test_a_household_without_members_gets_an_empty_list(spark) -> None:
    households = spark.createDataFrame([("A",), ("B",)], "id string")
    members = spark.createDataFrame([("A", D("1.00"))], "household_id string, income decimal(18,2)")
    nested = bylaw.spark.nest_children(
        households, members, root_key="id", key="household_id", relation="members"
    )
    got = {r["id"]: [m.asDict() for m in r["members"]] for r in nested.collect()}
    assert got == {"A": [{"income": D("1.00")}], "B": []}


def test_a_policy_that_does_not_compile_raises_on_the_driver(spark, tmp_path: Path) -> None:
    broken = tmp_path / "broken.bylaw"
    # Money compared with a bare count: a type error (E0004).
    broken.write_text(BROKEN_POLICY)
    df = spark.createDataFrame([("H01",)], "id string")
    with pytest.raises(bylaw.PolicyError):
        bylaw.spark.evaluate(df, broken, DATE)


def test_floating_point_money_raises_on_the_driver(spark) -> None:
    schema = T.StructType(
        [
            T.StructField(n, T.DoubleType() if n == "income_monthly" else t)
            for n, t in V1_FIELDS
        ]
    )
    df = spark.createDataFrame([], schema)
    with pytest.raises(bylaw.DataError):
        bylaw.spark.evaluate(df, DIBAO_V1, DATE)


def test_a_worker_compiles_the_policy_once_and_again_when_the_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    policy = tmp_path / "poor.bylaw"
    policy.write_text(
        "entity household { id: text key\n income: money per month }\n"
        'rule poor "收入低" = income < 1000 元\n'
    )
    loads: list[str] = []
    real_load = bylaw.load

    def counting_load(path, **kwargs):
        loads.append(os.fspath(path))
        return real_load(path, **kwargs)

    monkeypatch.setattr(bylaw, "load", counting_load)
    batch = pa.record_batch({"id": ["a", "b"], "income": ["999.99", "1000"]})

    def partition() -> list[bool]:
        out = bylaw.spark._evaluate_partition(str(policy), DATE, "jit", None, iter([batch]))
        return [v for b in out for v in b.column(b.schema.get_field_index("poor")).to_pylist()]

    assert partition() == [True, False]
    assert partition() == [True, False]
    assert len(loads) == 1, "a second partition in the same worker reuses the compiled policy"
    policy.write_text(policy.read_text().replace("1000 元", "2000 元"))
    os.utime(policy, ns=(os.stat(policy).st_atime_ns, os.stat(policy).st_mtime_ns + 1_000_000_000))
    assert partition() == [True, True], "an edited policy file is compiled anew"
    assert len(loads) == 2
