"""Bad policies, bad data and bad arguments raise the documented exceptions, located as
precisely as the command line locates them: a policy's diagnostics by file, line and
column; a data problem by table, record and column, with the type expected."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Dict, List, Optional

import pyarrow as pa
import pytest

import bylaw
from support import read_text_csv

BROKEN_POLICY = """\
policy broken "坏的"
entity applicant "申请人" {
  id: text key
  income: money per month "月收入"
}
rule poor "低收入" = income < 24
rule rich "高收入" = incme > 1 元
"""

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
rule poor "低收入" = income < 1000 元
"""


def _cli_diagnostics(cli, path: Path) -> List[Dict]:
    done = cli("--error-format", "json", "check", path.name, expect=1, cwd=path.parent)
    lines = (done.stdout + done.stderr).splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


def test_broken_policy_file_raises_every_diagnostic_the_cli_reports(cli, tmp_path):
    path = tmp_path / "broken.bylaw"
    path.write_text(BROKEN_POLICY, encoding="utf-8")
    with pytest.raises(bylaw.PolicyError) as caught:
        bylaw.load(path)
    got = caught.value.diagnostics
    expected = _cli_diagnostics(cli, path)
    assert len(expected) == 2
    assert [(d.code, d.severity, d.message, d.help, d.line, d.column) for d in got] == [
        (e["code"], e["severity"], e["message"], e.get("help"), e["primary"]["line"], e["primary"]["column"])
        for e in expected
    ]
    assert {Path(d.file) for d in got} == {path}
    assert got[0].code == "E0004" and (got[0].line, got[0].column) == (6, 28)
    assert "24 元" in got[0].help
    assert "E0004" in str(caught.value) and "E0002" in str(caught.value)


def test_bad_text_is_located_in_the_name_given(tmp_path):
    with pytest.raises(bylaw.PolicyError) as caught:
        bylaw.from_text(BROKEN_POLICY, name="inline.bylaw")
    first = caught.value.diagnostics[0]
    assert (first.code, first.file, first.line, first.column) == ("E0004", "inline.bylaw", 6, 28)
    assert caught.value.diagnostics[1].message == "unknown name `incme`"


def test_use_of_a_missing_file_is_a_policy_error():
    with pytest.raises(bylaw.PolicyError) as caught:
        bylaw.from_text('policy x "x"\nuse "nowhere.bylaw"\n', name="inline.bylaw")
    (only,) = caught.value.diagnostics
    assert (only.code, only.line, only.column) == ("E0021", 2, 5)
    assert "nowhere.bylaw" in only.message


def test_empty_text_checks_as_the_cli_checks_an_empty_file_but_cannot_evaluate(cli, tmp_path):
    empty = tmp_path / "empty.bylaw"
    empty.write_text("", encoding="utf-8")
    cli("check", empty)
    policy = bylaw.from_text("")
    assert policy.schema["root"] is None
    with pytest.raises(bylaw.ArgumentError, match="declares no entity"):
        policy.evaluate(pa.table({"id": ["a"]}), date="2024-01-01")


def test_load_of_a_missing_path_is_an_argument_error(tmp_path):
    missing = tmp_path / "nowhere.bylaw"
    with pytest.raises(bylaw.ArgumentError, match="nowhere.bylaw"):
        bylaw.load(missing)


def test_every_exception_is_a_bylaw_error():
    for error in (bylaw.PolicyError, bylaw.DataError, bylaw.ArgumentError, bylaw.EvaluationError, bylaw.InternalError):
        assert issubclass(error, bylaw.BylawError)
    assert issubclass(bylaw.DataError, ValueError) and issubclass(bylaw.ArgumentError, ValueError)


# ------------------------------------------------------------------ data


@pytest.fixture(scope="module")
def kinds() -> bylaw.Policy:
    return bylaw.from_text(KINDS_POLICY, name="kinds.bylaw")


def _applicants(**columns) -> pa.Table:
    base = {"id": ["a1", "a2", "a3"], "tier": ["low", "high", "low"],
            "applied_on": ["2024-02-01", "2024-03-31", "2024-04-01"], "income": ["200.50", "1500", "0"]}
    base.update(columns)
    return pa.table(base)


def _only_problem(policy: bylaw.Policy, data: pa.Table, **kwargs) -> bylaw.DataProblem:
    with pytest.raises(bylaw.DataError) as caught:
        policy.evaluate(data, date="2024-06-01", **kwargs)
    (problem,) = caught.value.problems
    for part in (problem.column, problem.value):
        if part is not None:
            assert part in str(caught.value)
    return problem


def test_float_money_is_refused_naming_the_column_and_the_type_expected(kinds):
    problem = _only_problem(kinds, _applicants(income=pa.array([200.5, 1500.0, 0.0])))
    assert (problem.code, problem.table, problem.column) == ("bylaw::data::bad_number", "data", "income")
    assert "money" in problem.message and "Float64" in problem.message
    assert "Decimal128" in problem.help


@pytest.mark.parametrize("bad", ["2024-02-30", "soon", "01/04/2024"])
def test_text_that_is_not_a_date_is_located(kinds, bad):
    problem = _only_problem(kinds, _applicants(applied_on=["2024-02-01", "2024-03-31", bad]))
    assert (problem.code, problem.column, problem.row, problem.index, problem.value) == (
        "bylaw::data::bad_date", "applied_on", 3, 2, bad)
    assert "YYYY-MM-DD" in problem.help


def test_unknown_enumeration_value_names_the_variants(kinds):
    problem = _only_problem(kinds, _applicants(tier=["low", "middle", "high"]))
    assert (problem.code, problem.column, problem.row, problem.value) == (
        "bylaw::data::unknown_variant", "tier", 2, "middle")
    assert "`low`" in problem.help and "`high`" in problem.help


def test_missing_column_names_the_column_and_its_type(kinds):
    problem = _only_problem(kinds, _applicants().drop_columns(["tier"]))
    assert (problem.code, problem.column, problem.row) == ("bylaw::data::missing_column", "tier", None)
    assert "enumeration `tier`" in problem.help


def test_problem_index_locates_the_row_in_pandas(kinds):
    frame = _applicants(income=["1", "2", "lots"]).to_pandas()
    problem = _only_problem(kinds, frame)
    assert frame.loc[problem.index, "income"] == "lots" == problem.value


def test_member_of_no_household_is_located_in_the_members_table(dibao):
    households = pa.table({"id": ["g1", "g2"], "city": ["guangzhou", "shenzhen"], "hukou": ["local", "local"],
                           "residence": ["0", "3"]})
    members = pa.table({"household_id": ["g1", "g2", "g3"], "income": ["1", "2", "3"], "age": ["30", "40", "50"]})
    problem = _only_problem(dibao, households, members=members)
    assert (problem.code, problem.table, problem.column, problem.row, problem.value) == (
        "bylaw::data::unknown_parent", "members", "household_id", 3, "g3")


def _readable(case: Path) -> bool:
    """Whether pyarrow reads the case's households file (one case has a row with an
    extra field, which pyarrow refuses before Bylaw sees it)."""
    try:
        read_text_csv(case / "households.csv")
    except pa.ArrowInvalid:
        return False
    return True


def _data_error_cases() -> List[Path]:
    root = Path(__file__).resolve().parents[2] / "tests" / "data-errors"
    cases = sorted(d for d in root.iterdir() if (d / "households.csv").is_file() and (d / "expect.txt").is_file())
    return [case for case in cases if _readable(case)]


def _expected(case: Path) -> Dict[str, Optional[str]]:
    words = (case / "expect.txt").read_text().split()
    fields = dict(w.split("=", 1) for w in words[1:])
    return {"code": words[0], "row": fields.get("row"), "column": fields.get("column")}


@pytest.mark.parametrize("case", _data_error_cases(), ids=lambda p: p.name)
def test_malformed_data_cases_of_the_cli_are_located_alike(repo, case: Path):
    """Each CSV case of `tests/data-errors/` that pyarrow can read, evaluated with the
    Nansha policy, raises the first problem the command line reports: the same code and
    column, at the same record (the command line counts the header line as row 1)."""
    households = read_text_csv(case / "households.csv")
    members = read_text_csv(case / "members.csv") if (case / "members.csv").is_file() else None
    policy = bylaw.load(repo / "policies" / "guangdong" / "nansha_nonlocal_dibao.bylaw")
    expected = _expected(case)
    with pytest.raises(bylaw.DataError) as caught:
        policy.evaluate(households, members=members, date="2023-08-01")
    first = caught.value.problems[0]
    assert first.code == expected["code"]
    if expected["column"] is not None:
        assert first.column == expected["column"]
    if expected["row"] is not None and first.row is not None:
        assert first.row == int(expected["row"]) - 1


# ------------------------------------------------------------------ arguments


@pytest.fixture(scope="module")
def one_household():
    households = pa.table({"id": ["g1"], "city": ["guangzhou"], "hukou": ["local"], "residence": ["0"]})
    members = pa.table({"household_id": ["g1"], "income": ["100"], "age": ["40"]})
    return households, members


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"date": "2024-01-01", "engine": "gpu"}, "`gpu` is not an engine"),
        ({"date": "2024-13-01"}, "2024-13-01"),
        ({"date": "next week"}, "next week"),
        ({"date": 20240101}, "is a int"),
        ({"date": "2024-01-01", "period": "2024"}, "a date or a period"),
        ({}, "a date or a period"),
        ({"period": "2024-Q5"}, "2024-Q5"),
        ({"date": "2024-01-01", "reason": "fr"}, "`fr` is not a language"),
        ({"period": "2024", "reason": "zh"}, "reason"),
        ({"date": "2024-01-01", "threads": 0}, "thread"),
    ],
    ids=["engine", "bad-date", "text-date", "int-date", "date-and-period", "neither", "bad-period",
         "reason-lang", "reason-with-period", "zero-threads"],
)
def test_bad_arguments_raise_argument_error(dibao, one_household, kwargs, match):
    households, members = one_household
    with pytest.raises(bylaw.ArgumentError, match=match):
        dibao.evaluate(households, members=members, **kwargs)


def test_unknown_relation_is_named_with_the_known_ones(dibao, one_household):
    households, members = one_household
    with pytest.raises(bylaw.ArgumentError, match=r"no relation `spouses` \(it has members\)"):
        dibao.evaluate(households, relations={"spouses": members}, date="2024-01-01")


@pytest.mark.parametrize("data", [[{"id": "g1"}], {"id": ["g1"]}, "households.csv"], ids=["list", "dict", "str"])
def test_data_that_is_not_a_table_is_an_argument_error(dibao, one_household, data):
    with pytest.raises(bylaw.ArgumentError, match="not a table"):
        dibao.evaluate(data, members=one_household[1], date="2024-01-01")


def test_members_that_are_not_a_list_column_are_refused(dibao, one_household):
    households, _ = one_household
    with pytest.raises(bylaw.ArgumentError, match="not a list of person records"):
        dibao.evaluate(households.append_column("members", pa.array(["x"])), date="2024-01-01")


@pytest.mark.parametrize("kwargs", [{"lang": "fr"}, {"format": "pdf"}, {"date": "2024-02-30"}])
def test_explain_refuses_unknown_language_format_and_date(dibao, kwargs):
    with pytest.raises(bylaw.ArgumentError):
        dibao.explain(**kwargs)


def test_scenario_of_an_unknown_parameter_is_a_policy_error(dibao):
    with pytest.raises(bylaw.PolicyError) as caught:
        dibao.with_scenario({"dibao_ceiling[guangzhou]": "1400 元 from 2023-07-01"})
    assert caught.value.diagnostics and "dibao_ceiling" in str(caught.value)


def test_scenario_of_another_type_is_refused(dibao):
    with pytest.raises(bylaw.ArgumentError, match="yes/no"):
        dibao.with_scenario({"dibao_standard[guangzhou]": True})
    with pytest.raises(bylaw.ArgumentError, match="a scenario is a file or a dict"):
        dibao.with_scenario(1400)


def test_date_may_be_a_datetime_date(dibao, one_household):
    households, members = one_household
    by_text = dibao.evaluate(households, members=members, date="2024-01-01")
    by_date = dibao.evaluate(households, members=members, date=datetime.date(2024, 1, 1))
    assert by_date.equals(by_text)

