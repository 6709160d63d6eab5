"""Explanations, decision traces, reform comparisons, budgets and compliance reports
from Python are the very documents the command line writes for the same inputs."""

from __future__ import annotations

import decimal
import json
import re
from pathlib import Path

import pyarrow as pa
import pytest

import bylaw
from support import csv_rows, read_text_csv

DATE = "2023-08-01"


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["text", "md", "html"])
def test_explain_is_the_cli_document(cli, dibao, dibao_path, tmp_path, lang, fmt):
    out = tmp_path / f"explain.{fmt}"
    cli("explain", dibao_path, "--lang", lang, "--format", fmt, "-o", out)
    document = dibao.explain(lang=lang, format=fmt)
    assert document == out.read_text(encoding="utf-8")
    assert ("低保标准" if lang == "zh" else "dibao standard") in document


def test_explain_at_a_date_shows_the_values_in_force_then(cli, dibao, dibao_path):
    expected = cli("explain", dibao_path, "--lang", "en", "--date", "2024-03-01").stdout
    assert dibao.explain(lang="en", date="2024-03-01") == expected
    assert "2024-03-01" in expected


def test_explain_shows_a_scenario_value(dibao, scenario_path):
    raised = dibao.with_scenario(scenario_path).explain(lang="en", date=DATE)
    assert "1,400" in raised and "1,400" not in dibao.explain(lang="en", date=DATE)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("household", ["h0000003", "h0000001"])
def test_why_trace_and_text_are_the_cli_ones(cli, dibao, dibao_path, data_dir, households, members, lang, household):
    data = data_dir / "households.csv"
    args = ("why", dibao_path, data, "--id", household, "--date", DATE, "--lang", lang)
    trace = json.loads(cli(*args, "--format", "json").stdout)
    why = dibao.why(households, household, DATE, members=members, lang=lang)
    assert why.trace == trace
    assert why.trace["decision"]["id"] == household
    assert why.text == cli(*args).stdout
    assert str(why) == why.text
    assert why.markdown and why.html.lstrip().lower().startswith("<!doctype html")


def test_why_of_an_unknown_household_is_an_argument_error(dibao, households, members):
    with pytest.raises(bylaw.ArgumentError, match="h7777777"):
        dibao.why(households, "h7777777", DATE, members=members)


def test_why_with_a_scenario_traces_the_scenario_value(dibao, households, members, scenario_path):
    guangzhou = next(r["id"] for r in households.to_pylist() if r["city"] == "guangzhou")
    raised = json.dumps(dibao.why(households, guangzhou, DATE, members=members, scenario=scenario_path).trace)
    current = json.dumps(dibao.why(households, guangzhou, DATE, members=members).trace)
    assert '"plain": "1400.00"' in raised and '"plain": "1338.00"' in current
    assert '"plain": "1400.00"' not in current


@pytest.fixture(scope="module")
def diff_report(dibao, scenario_path, households, members) -> bylaw.Report:
    return bylaw.diff(dibao, scenario_path, households, members=members, date=DATE)


@pytest.fixture(scope="module")
def cli_diff(cli, dibao_path, scenario_path, data_dir, tmp_path_factory):
    """`bylaw diff` of the scenario over the bundled households: its CSV and JSON."""
    folder = tmp_path_factory.mktemp("diff")
    outputs = {}
    for suffix in ("csv", "json"):
        out = folder / f"diff.{suffix}"
        cli("diff", dibao_path, scenario_path, data_dir / "households.csv", "--date", DATE, "-o", out)
        outputs[suffix] = out.read_text(encoding="utf-8")
    return outputs


def test_diff_csv_is_the_cli_csv(diff_report, cli_diff):
    assert diff_report.csv == cli_diff["csv"]
    changed = [r for r in csv_rows(diff_report.csv) if decimal.Decimal(r["change"]) != 0]
    assert changed, "the scenario changes some benefits"


def test_diff_data_is_the_cli_json_but_for_the_titles(diff_report, cli_diff):
    expected = json.loads(cli_diff["json"])
    assert set(diff_report.data) == set(expected)
    assert {"all", "by_group", "amount_change_quantiles", "old", "new"} <= set(diff_report.data)
    for key in set(expected) - {"old", "new"}:
        assert diff_report.data[key] == expected[key], key


def test_diff_totals_add_up_to_the_per_household_rows(diff_report):
    rows = csv_rows(diff_report.csv)
    overall = diff_report.data["all"]
    for column, total in (("amount_before", "cost_before"), ("amount_after", "cost_after")):
        assert sum(decimal.Decimal(r[column]) for r in rows if r[column]) == decimal.Decimal(overall[total])
    assert int(overall["households"]) == len(rows)


def test_diff_as_arrow_keeps_money_exact(diff_report):
    table = diff_report.to_arrow()
    assert pa.types.is_decimal(table.schema.field("amount_after").type)
    total = sum(table.column("amount_after").to_pylist(), decimal.Decimal(0))
    assert total == decimal.Decimal(diff_report.data["all"]["cost_after"])


def test_diff_with_a_scenario_dict_and_with_a_policy_equal_the_file(dibao, diff_report, households, members,
                                                                     dibao_path, scenario_path):
    as_dict = bylaw.diff(dibao, {"dibao_standard[guangzhou]": "1400 元 from 2023-07-01"}, households,
                         members=members, date=DATE)
    assert as_dict.csv == diff_report.csv
    as_policy = bylaw.diff(dibao, bylaw.load(dibao_path, scenario=scenario_path), households,
                           members=members, date=DATE)
    assert as_policy.csv == diff_report.csv


def test_diff_over_a_period_is_the_cli_one(cli, dibao, dibao_path, scenario_path, data_dir, households, members,
                                           tmp_path):
    out = tmp_path / "period.csv"
    cli("diff", dibao_path, scenario_path, data_dir / "households.csv", "--period", "2023", "-o", out)
    report = bylaw.diff(dibao, scenario_path, households, members=members, period="2023")
    assert report.csv == out.read_text(encoding="utf-8")


JINGSHAN = ("policies/hubei/jingshan_station_funds.bylaw", "examples/budget/jingshan_synthetic.csv")
HUNAN = ("policies/hunan/station_fund_channels.bylaw", "examples/budget/hunan_synthetic.csv")


@pytest.mark.parametrize("policy_file, data_file", [JINGSHAN, HUNAN], ids=["jingshan", "hunan"])
def test_budget_csv_is_the_cli_csv(cli, repo, policy_file, data_file):
    expected = cli("budget", policy_file, "--regions", data_file, "--years", "2021..2025", "--format", "csv",
                   cwd=repo).stdout
    policy = bylaw.load(repo / policy_file)
    from_file = policy.budget(repo / data_file, "2021..2025")
    assert from_file.csv == expected
    assert policy.budget(read_text_csv(repo / data_file), range(2021, 2026)).csv == expected
    assert from_file.data["years"] == [2021, 2025]


def test_budget_text_and_sweep_are_the_cli_ones(cli, repo):
    policy_file, data_file = HUNAN
    policy = bylaw.load(repo / policy_file)
    text = cli("budget", policy_file, "--regions", data_file, "--years", "2023", cwd=repo).stdout
    assert policy.budget(repo / data_file, 2023).text in text
    swept = cli("budget", policy_file, "--regions", data_file, "--years", "2025", "--sweep",
                "relief_funds_ratio=1%..6% step 1%", "--format", "csv", cwd=repo).stdout
    report = policy.budget(repo / data_file, 2025, sweep="relief_funds_ratio=1%..6%", step="1%")
    assert report.csv == swept


def test_budget_as_arrow_keeps_money_exact(repo):
    policy_file, data_file = JINGSHAN
    report = bylaw.load(repo / policy_file).budget(repo / data_file, "2021..2025")
    table = report.to_arrow()
    assert table.schema.field("station_funds").type == pa.decimal128(38, 2)
    expected = [decimal.Decimal(r["station_funds"]) for r in csv_rows(report.csv)]
    assert table.column("station_funds").to_pylist() == expected


def test_budget_of_a_household_policy_is_refused(dibao, households):
    with pytest.raises(bylaw.ArgumentError):
        dibao.budget(households, 2023)


COMPLY = "examples/comply"


def _cli_comply(cli, repo, *extra):
    return cli("comply", f"{COMPLY}/demo.bylaw", "--period", "2023-07", "--stations", f"{COMPLY}/stations.csv",
               "--persons", f"{COMPLY}/persons.csv", "--log", f"{COMPLY}/log.csv", *extra, cwd=repo)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_comply_summary_and_counts_are_the_cli_ones(cli, repo, lang):
    done = _cli_comply(cli, repo, "--lang", lang)
    counts = re.search(r"(\d+) log rows \((\d+) counted, (\d+) with issues\)", done.stdout + done.stderr)
    assert counts, done.stderr
    policy = bylaw.load(repo / COMPLY / "demo.bylaw")
    report = bylaw.comply(policy, "2023-07", repo / COMPLY / "log.csv", stations=repo / COMPLY / "stations.csv",
                          lang=lang)
    assert report.text == done.stdout
    assert (report.log_rows, report.counted_rows, report.issues) == tuple(map(int, counts.groups()))
    assert report.output is None


def test_comply_register_as_tables_equals_register_as_files(repo):
    policy = bylaw.load(repo / COMPLY / "demo.bylaw")
    log = repo / COMPLY / "log.csv"
    from_files = bylaw.comply(policy, "2023-07", log, stations=repo / COMPLY / "stations.csv")
    from_tables = bylaw.comply(policy, "2023-07", log, stations=read_text_csv(repo / COMPLY / "stations.csv"),
                               persons=read_text_csv(repo / COMPLY / "persons.csv"))
    assert from_tables.text == from_files.text
    assert from_tables.counted_rows == from_files.counted_rows


def test_comply_output_folder_holds_the_cli_reports(cli, repo, tmp_path):
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    _cli_comply(cli, repo, "-o", cli_dir)
    policy = bylaw.load(repo / COMPLY / "demo.bylaw")
    report = bylaw.comply(policy, "2023-07", repo / COMPLY / "log.csv", stations=repo / COMPLY / "stations.csv",
                          output=py_dir)
    assert Path(report.output) == py_dir
    names = sorted(p.name for p in cli_dir.iterdir())
    assert names == sorted(p.name for p in py_dir.iterdir())
    assert {"detail.csv", "coverage.csv", "issues.csv"} <= set(names)
    for name in ("detail.csv", "coverage.csv", "issues.csv"):
        assert (py_dir / name).read_text(encoding="utf-8") == (cli_dir / name).read_text(encoding="utf-8"), name


def test_comply_of_a_policy_without_obligations_is_refused(dibao, repo):
    with pytest.raises(bylaw.ArgumentError):
        bylaw.comply(dibao, "2023-07", repo / COMPLY / "log.csv", stations=repo / COMPLY / "stations.csv")


def test_why_of_another_rule_is_the_cli_trace(cli, dibao, dibao_path, data_dir, households, members):
    trace = json.loads(cli("why", dibao_path, data_dir / "households.csv", "--id", "h0000003", "--date", DATE,
                           "--decision", "income_below_standard", "--format", "json").stdout)
    why = dibao.why(households, "h0000003", DATE, members=members, decision="income_below_standard")
    assert why.trace == trace


def test_why_of_an_amount_is_refused(dibao, households, members):
    with pytest.raises(bylaw.ArgumentError, match="not a yes/no output"):
        dibao.why(households, "h0000003", DATE, members=members, decision="benefit")
