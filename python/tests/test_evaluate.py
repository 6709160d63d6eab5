"""`Policy.evaluate` gives exactly what `bylaw eval` writes for the same households —
whatever the table library, however members are given, at a date or over a period,
under a scenario, with either engine — and its result is typed as documented."""

from __future__ import annotations

import datetime
import decimal
from pathlib import Path
from typing import Callable, Dict, Tuple

import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import bylaw
from support import assert_same_as_cli, csv_rows, read_text_csv, write_text_csv

DATE = "2023-08-01"
OVERFLOW_ID = "h9999999"


@pytest.fixture(scope="module")
def sample(households: pa.Table, members: pa.Table, tmp_path_factory) -> Tuple[pa.Table, pa.Table, Path]:
    """150 bundled households and one whose members' incomes overflow (an error row),
    as text tables and as CSV files beside each other for the command line."""
    head = households.slice(0, 150)
    ids = head.column("id")
    kept = members.filter(pc.is_in(members.column("household_id"), value_set=ids))
    extra_household = pa.table(
        {name: [value] for name, value in zip(
            households.column_names,
            [OVERFLOW_ID, "guangzhou", "local", "12", "0", "false", "false", "false", "false"],
        )},
        schema=households.schema,
    )
    huge = "900000000000000.00"
    extra_members = pa.table(
        {"household_id": [OVERFLOW_ID] * 2, "income": [huge, huge], "age": ["40", "41"], "disabled": ["false"] * 2},
        schema=members.schema,
    )
    h = pa.concat_tables([head, extra_household])
    m = pa.concat_tables([kept, extra_members])
    folder = tmp_path_factory.mktemp("sample")
    write_text_csv(h, folder / "households.csv")
    write_text_csv(m, folder / "members.csv")
    return h, m, folder


@pytest.fixture(scope="module")
def cli_eval(cli, dibao_path: Path, sample, tmp_path_factory) -> Callable[..., Path]:
    """Runs `bylaw eval` on the sample with extra arguments; the output CSV's path."""
    folder = sample[2]
    out_dir = tmp_path_factory.mktemp("cli_eval")
    runs: Dict[Tuple[str, ...], Path] = {}

    def run(*args: str) -> Path:
        if args not in runs:
            out = out_dir / f"out{len(runs)}.csv"
            cli("eval", dibao_path, folder / "households.csv", "--members", folder / "members.csv",
                *args, "-o", out)
            runs[args] = out
        return runs[args]

    return run


def test_text_tables_give_what_the_cli_writes_including_errors(dibao, sample, cli_eval):
    h, m, _ = sample
    result = dibao.evaluate(h, members=m, date=DATE)
    reference = cli_eval("--date", DATE)
    assert_same_as_cli(result, reference)
    failed = result.filter(pc.equal(result.column("id"), OVERFLOW_ID)).to_pylist()[0]
    assert (failed["error"], failed["error_in"], failed["benefit"]) == ("overflow", "total_income", None)
    assert pc.sum(result.column("eligible")).as_py() > 0


def _pandas_text(h: pa.Table, m: pa.Table):
    return h.to_pandas(), m.to_pandas()


def _pandas_decimal(h: pa.Table, m: pa.Table):
    """pandas frames with money as Decimal objects and counts, ages and flags typed."""
    households = h.to_pandas()
    for name in ("residence", "months_away"):
        households[name] = households[name].astype("int64")
    for name in ("dibao_elsewhere", "large_financial_assets", "car_transaction", "house_transaction"):
        households[name] = households[name] == "true"
    people = m.to_pandas()
    people["income"] = people["income"].map(decimal.Decimal)
    people["age"] = people["age"].astype("int64")
    people["disabled"] = people["disabled"] == "true"
    return households, people


def _polars(h: pa.Table, m: pa.Table):
    """polars frames with money as Decimal(19, 2) and typed counts and ages."""
    households = pl.from_arrow(h).with_columns(pl.col("residence", "months_away").cast(pl.Int64))
    people = pl.from_arrow(m).with_columns(
        pl.col("income").cast(pl.Decimal(19, 2)), pl.col("age").cast(pl.Int64)
    )
    return households, people


def _record_batches(h: pa.Table, m: pa.Table):
    return h.combine_chunks().to_batches()[0], m.combine_chunks().to_batches()[0]


@pytest.mark.parametrize(
    "convert",
    [_pandas_text, _pandas_decimal, _polars, _record_batches],
    ids=["pandas-str", "pandas-decimal", "polars", "record-batch"],
)
def test_every_table_library_gives_what_the_cli_writes(dibao, sample, cli_eval, convert):
    h, m = convert(*sample[:2])
    result = dibao.evaluate(h, members=m, date=DATE)
    assert_same_as_cli(result, cli_eval("--date", DATE))


def _nested(h: pa.Table, m: pa.Table) -> pa.Table:
    """The households with their members as a list-of-struct column."""
    by_household: Dict[str, list] = {}
    for row in m.to_pylist():
        by_household.setdefault(row.pop("household_id"), []).append(row)
    lists = [by_household.get(i, []) for i in h.column("id").to_pylist()]
    return h.append_column("members", pa.array(lists))


def test_members_as_a_list_column_equal_members_as_a_table(dibao, sample):
    h, m, _ = sample
    separate = dibao.evaluate(h, members=m, date=DATE)
    nested = dibao.evaluate(_nested(h, m), date=DATE)
    assert nested.equals(separate)


def test_members_given_twice_are_refused(dibao, sample):
    h, m, _ = sample
    with pytest.raises(bylaw.ArgumentError, match="given twice: as a column of the data and as a table"):
        dibao.evaluate(_nested(h, m), members=m, date=DATE)
    with pytest.raises(bylaw.ArgumentError, match="given twice: as members= and in relations="):
        dibao.evaluate(h, members=m, relations={"members": m}, date=DATE)


def test_members_given_by_relation_name_equal_members(dibao, sample):
    h, m, _ = sample
    assert dibao.evaluate(h, relations={"members": m}, date=DATE).equals(dibao.evaluate(h, members=m, date=DATE))


def test_result_types_and_field_metadata(dibao, sample):
    h, m, _ = sample
    schema = dibao.evaluate(h, members=m, date=DATE).schema
    money = pa.decimal128(19, 4)
    expected = {
        "id": (pa.string(), None),
        "error": (pa.string(), None),
        "error_in": (pa.string(), None),
        "error_detail": (pa.string(), None),
        "standard": (money, "money per month"),
        "member_count": (pa.int64(), "count"),
        "income_below_standard": (pa.bool_(), "bool"),
        "eligible": (pa.bool_(), "bool"),
        "benefit": (money, "money per month"),
    }
    for name, (ty, kind) in expected.items():
        field = schema.field(name)
        assert field.type == ty, name
        got = (field.metadata or {}).get(b"bylaw.type")
        assert got == (None if kind is None else kind.encode()), name
    assert schema.names[:4] == ["id", "error", "error_in", "error_detail"]
    assert dibao.output_schema.names == schema.names


def test_schema_metadata_names_engine_date_and_policy(dibao, sample):
    h, m, _ = sample
    metadata = dibao.evaluate(h, members=m, date=DATE).schema.metadata
    assert metadata[b"bylaw.engine"] == b"jit"
    assert metadata[b"bylaw.date"] == DATE.encode()
    assert metadata[b"bylaw.policy"] == b"guangdong_dibao"


KINDS_POLICY = """\
policy kinds "类型" effective 2024-01-01

enum tier "档次" {
  low "低"
  high "高"
}

entity applicant "申请人" {
  id: text key
  tier: tier "档次"
  applied_on: date "申请日期"
  income: money per month "月收入"
}

let level "档次" = tier
let decided_by "决定日期" = applied_on + 30 days
rule poor "低收入" = income < 1000 元
amount grant "补助": money per month = if poor then 1000 元 - income else 0 元
"""


def test_dates_are_date32_and_enumerations_their_names_as_the_cli_writes(cli, tmp_path):
    policy_file = tmp_path / "kinds.bylaw"
    policy_file.write_text(KINDS_POLICY, encoding="utf-8")
    data = pa.table({
        "id": ["a1", "a2"],
        "tier": ["low", "high"],
        "applied_on": ["2024-02-01", "2024-03-31"],
        "income": ["200.50", "1500"],
    })
    result = bylaw.load(policy_file).evaluate(data, date="2024-06-01")
    schema = result.schema
    assert schema.field("decided_by").type == pa.date32()
    assert schema.field("decided_by").metadata[b"bylaw.type"] == b"date"
    assert schema.field("level").type == pa.string()
    assert schema.field("level").metadata[b"bylaw.type"] == b"tier"
    assert result.column("level").to_pylist() == ["low", "high"]
    out = tmp_path / "out.csv"
    cli("eval", policy_file, write_text_csv(data, tmp_path / "data.csv"), "--date", "2024-06-01", "-o", out)
    assert_same_as_cli(result, out)


def test_to_pandas_keeps_money_exact(dibao, sample, cli_eval):
    h, m, _ = sample
    frame = dibao.evaluate(h, members=m, date=DATE).to_pandas()
    benefits = frame["benefit"].dropna()
    assert all(isinstance(v, decimal.Decimal) for v in benefits)
    assert frame["eligible"].dropna().map(type).eq(bool).all()
    expected = sum(decimal.Decimal(r["benefit"]) for r in csv_rows(cli_eval("--date", DATE).read_text()) if r["benefit"])
    assert sum(benefits, decimal.Decimal(0)) == expected
    assert expected > 0


def _cli_period_errors(result: pa.Table) -> pa.Table:
    """The result with its ``error`` as `bylaw eval --period` writes it: the failing
    month and the detail (``2023-01-01: arithmetic overflow``) where the package gives
    the code, ``error_month`` and ``error_detail`` apart."""
    written = [
        None if code is None else f"{month}: {detail}"
        for code, month, detail in zip(*(result.column(c).to_pylist() for c in ("error", "error_month", "error_detail")))
    ]
    return result.set_column(result.column_names.index("error"), "error", pa.array(written, pa.string()))


@pytest.mark.parametrize("period", ["2023", "2023-Q3", "2023-07"])
def test_period_gives_what_the_cli_writes(dibao, sample, cli_eval, period):
    h, m, _ = sample
    result = dibao.evaluate(h, members=m, period=period)
    assert "eligible_months" in result.column_names
    failed = result.filter(pc.equal(result.column("id"), OVERFLOW_ID)).to_pylist()[0]
    assert (failed["error"], failed["error_in"], failed["error_month"]) == (
        "overflow", "total_income", datetime.date(int(period[:4]), 7 if period != "2023" else 1, 1))
    assert_same_as_cli(_cli_period_errors(result), cli_eval("--period", period))


def test_period_over_months_before_the_standards_reports_the_first_failing_month(dibao, sample, cli_eval):
    h, m, _ = sample
    result = dibao.evaluate(h, members=m, period="2022-Q4")
    assert set(result.column("error").to_pylist()) == {"missing_value"}
    assert set(result.column("error_month").to_pylist()) == {datetime.date(2022, 10, 1)}
    assert_same_as_cli(_cli_period_errors(result), cli_eval("--period", "2022-Q4"))


def test_period_result_names_its_engine(dibao, sample):
    h, m, _ = sample
    metadata = dibao.evaluate(h, members=m, period="2023-07").schema.metadata or {}
    assert metadata.get(b"bylaw.engine") == b"jit"


def _guangzhou_standards(result: pa.Table, h: pa.Table) -> set:
    in_guangzhou = pc.equal(h.column("city"), "guangzhou")
    return set(result.filter(in_guangzhou).column("standard").to_pylist())


def test_scenario_file_gives_what_the_cli_writes(dibao, sample, cli_eval, scenario_path):
    h, m, _ = sample
    result = dibao.evaluate(h, members=m, date=DATE, scenario=scenario_path)
    assert_same_as_cli(result, cli_eval("--date", DATE, "--scenario", str(scenario_path)))
    assert _guangzhou_standards(result, h) - {None} == {decimal.Decimal("1400")}
    assert bylaw.load(dibao.path, scenario=scenario_path).evaluate(h, members=m, date=DATE).equals(result)


@pytest.mark.parametrize(
    "values",
    [
        {"dibao_standard[guangzhou]": "1400 元 from 2023-07-01"},
        {"dibao_standard": {"guangzhou": "1400 元 from 2023-07-01"}},
        {"dibao_standard[guangzhou]": decimal.Decimal("1400.00")},
        {"dibao_standard": {"guangzhou": 1400}},
    ],
    ids=["text", "nested-text", "decimal", "int"],
)
def test_scenario_dict_equals_the_scenario_file(dibao, sample, scenario_path, values):
    h, m, _ = sample
    from_file = dibao.evaluate(h, members=m, date=DATE, scenario=scenario_path)
    from_dict = dibao.evaluate(h, members=m, date=DATE, scenario=values)
    assert from_dict.equals(from_file)


def test_scenario_value_without_a_date_applies_before_the_policy_changes(dibao):
    """A dict value without `from` replaces the parameter at every date (as a sweep
    does): in force even before the policy's own standards."""
    household = pa.table({"id": ["g"], "city": ["guangzhou"], "hukou": ["local"], "residence": ["0"],
                          "members": [[{"income": "1350", "age": "40"}]]})
    raised = dibao.with_scenario({"dibao_standard[guangzhou]": decimal.Decimal("1400")})
    result = raised.evaluate(household, date="2022-06-01").to_pylist()[0]
    assert (result["error"], result["standard"], result["benefit"]) == (None, decimal.Decimal("1400"), decimal.Decimal("50"))


def test_scenario_float_is_refused(dibao, sample):
    h, m, _ = sample
    with pytest.raises(bylaw.ArgumentError, match="float"):
        dibao.evaluate(h, members=m, date=DATE, scenario={"dibao_standard[guangzhou]": 1400.0})


def test_scenario_leaves_the_policy_unchanged(dibao, sample, scenario_path):
    h, m, _ = sample
    before = dibao.evaluate(h, members=m, date=DATE)
    dibao.evaluate(h, members=m, date=DATE, scenario=scenario_path)
    assert _guangzhou_standards(dibao.evaluate(h, members=m, date=DATE), h) - {None} == {decimal.Decimal("1338")}
    assert dibao.evaluate(h, members=m, date=DATE).equals(before)


def test_interpreter_equals_native_code(dibao, sample):
    h, m, _ = sample
    native = dibao.evaluate(h, members=m, date=DATE, engine="jit")
    interpreted = dibao.evaluate(h, members=m, date=DATE, engine="interp")
    assert interpreted.schema.metadata[b"bylaw.engine"] == b"interp"
    assert interpreted.equals(native)


def test_one_thread_equals_every_core(dibao, sample):
    h, m, _ = sample
    assert dibao.evaluate(h, members=m, date=DATE, threads=1).equals(dibao.evaluate(h, members=m, date=DATE))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reason_column_equals_the_cli_explain_column(dibao, sample, cli_eval, lang):
    h, m, _ = sample
    result = dibao.evaluate(h, members=m, date=DATE, reason=lang)
    assert result.column_names[-1] == "reason"
    reference = cli_eval("--date", DATE, "--explain", "--lang", lang)
    assert_same_as_cli(result, reference)
    first = result.column("reason")[0].as_py()
    assert "5,580.99" in first and ("低保标准" if lang == "zh" else "dibao standard") in first


def test_bundled_data_read_as_text_is_the_whole_population(dibao, data_dir, cli, tmp_path):
    out = tmp_path / "all.csv"
    cli("eval", dibao.path, data_dir / "households.csv", "--date", DATE, "-o", out)
    result = dibao.evaluate(read_text_csv(data_dir / "households.csv"),
                            members=read_text_csv(data_dir / "members.csv"), date=DATE)
    assert result.num_rows == 1000
    assert_same_as_cli(result, out)


def _by_id(result: pa.Table) -> Dict[str, dict]:
    return {row["id"]: row for row in result.to_pylist()}


def test_integer_keys_are_kept_as_their_digits_or_refused(dibao, sample):
    h, m, _ = sample
    numbered = h.set_column(0, "id", pa.array(range(1, h.num_rows + 1), pa.int64()))
    number_of = dict(zip(h.column("id").to_pylist(), range(1, h.num_rows + 1)))
    member_keys = pa.array([number_of[k] for k in m.column("household_id").to_pylist()], pa.int64())
    expected = dibao.evaluate(h, members=m, date=DATE)
    try:
        result = dibao.evaluate(numbered, members=m.set_column(0, "household_id", member_keys), date=DATE)
    except bylaw.DataError as e:
        assert e.problems[0].column in ("id", "household_id") and "Int64" in e.problems[0].message
        return
    assert result.column("id").to_pylist() == [str(n) for n in range(1, h.num_rows + 1)]
    assert result.drop_columns(["id"]).equals(expected.drop_columns(["id"]))


def test_integer_key_of_a_single_table_is_not_blanked(repo):
    policy = bylaw.load(repo / "policies" / "zhejiang" / "haining_station_subsidy.bylaw")
    data = pa.table({"id": [101, 102], "town": ["a", "b"], "actual_investment": ["1000", "2000"],
                     "runs_well": ["true", "false"]})
    try:
        result = policy.evaluate(data, date="2023-06-01")
    except bylaw.DataError as e:
        assert e.problems[0].column == "id"
        return
    assert result.column("id").to_pylist() == ["101", "102"]


def _categorical_pandas(h: pa.Table, m: pa.Table):
    households = h.to_pandas().astype({"city": "category", "hukou": "category"})
    return households, m.to_pandas()


def _enum_polars(h: pa.Table, m: pa.Table):
    cities = sorted(set(h.column("city").to_pylist()))
    households = pl.from_arrow(h).with_columns(pl.col("city").cast(pl.Enum(cities)))
    return households, pl.from_arrow(m)


@pytest.mark.parametrize("convert", [_categorical_pandas, _enum_polars], ids=["pandas-category", "polars-enum"])
def test_categorical_enumerations_read_as_their_text(dibao, sample, convert):
    h, m, _ = sample
    expected = dibao.evaluate(h, members=m, date=DATE)
    households, members = convert(h, m)
    assert dibao.evaluate(households, members=members, date=DATE).equals(expected)


def test_pandas_datetime_dates_read_as_dates(repo):
    policy = bylaw.load(repo / "policies" / "illustrative" / "gaoling_allowance.bylaw")
    births = ["1940-03-01", "1944-05-10", "1990-01-01"]
    as_text = policy.evaluate(pa.table({"id": ["p1", "p2", "p3"], "birth_date": births}), date="2024-06-01")
    frame = pd.DataFrame({"id": ["p1", "p2", "p3"], "birth_date": pd.to_datetime(births)})
    assert policy.evaluate(frame, date="2024-06-01").equals(as_text)
