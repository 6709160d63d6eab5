"""The analyst's example script runs on the bundled data and reports what the engine
computes."""

from __future__ import annotations

import decimal
import re
import subprocess
import sys
from pathlib import Path

import bylaw
from support import read_text_csv


def test_analyst_script_prints_exact_totals_and_writes_its_chart(repo: Path, dibao, scenario_path, tmp_path):
    png = tmp_path / "chart" / "dibao.png"
    done = subprocess.run([sys.executable, repo / "examples" / "python" / "analyst.py", png],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    households = read_text_csv(repo / "examples" / "python" / "data" / "households.csv")
    members = read_text_csv(repo / "examples" / "python" / "data" / "members.csv")
    overall = bylaw.diff(dibao, scenario_path, households, members=members, date="2023-08-01").data["all"]
    costs = re.search(r"monthly cost\s+([\d,.]+) 元 before\s+([\d,.]+) 元 after", done.stdout)
    assert costs, done.stdout
    printed = [decimal.Decimal(c.replace(",", "")) for c in costs.groups()]
    assert printed == [decimal.Decimal(overall["cost_before"]), decimal.Decimal(overall["cost_after"])]
    assert f"{int(overall['eligible_before'])} before" in re.sub(r"\s+", " ", done.stdout)
