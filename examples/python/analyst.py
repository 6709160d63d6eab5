"""An analyst's what-if: the Guangdong dibao on a population, before and after raising
Guangzhou's standard to 1,400 元 (the bundled scenario), with a summary and a chart.

    python examples/python/analyst.py [PNG] [--date 2023-08-01] [--data DIR] [--scenario FILE]

PNG defaults to out/dibao_scenario.png under the current directory. The data defaults to
the bundled synthetic population in examples/python/data (made by `bylaw synth
--households 1000 --seed 1`; not real people).
"""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Dict, List

import matplotlib

matplotlib.use("Agg")  # no display: write the chart to a file

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

import bylaw  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "policies" / "guangdong" / "dibao.bylaw"
SCENARIO = REPO / "examples" / "scenarios" / "higher_guangzhou_standard.bylaw"
DATA = REPO / "examples" / "python" / "data"


def read_population(folder: Path) -> "tuple[pd.DataFrame, pd.DataFrame]":
    """The households and their members, money read as exact decimals.

    Never let pandas read money as float: 1337.99 has no exact binary float, so a
    household one fen below the standard could be judged at or above it, and sums of
    floats drift by fractions of a fen. Bylaw refuses float columns for that reason.
    Every household column is read as text (Bylaw reads numbers, flags and regions from
    text), and income through decimal.Decimal.
    """
    households = pd.read_csv(folder / "households.csv", dtype=str, keep_default_na=False)
    members = pd.read_csv(
        folder / "members.csv",
        dtype={"household_id": str, "age": "int64", "disabled": str},
        converters={"income": Decimal},
    )
    return households, members


def total(amounts: pd.Series) -> Decimal:
    """The exact sum of a column of Decimals (households that failed count as nothing)."""
    return sum((a for a in amounts if a is not None and not pd.isna(a)), Decimal(0))


def by_city(result: pd.DataFrame, households: pd.DataFrame) -> Dict[str, Decimal]:
    """Monthly cost per city (the household's `city`), exact."""
    cities = households.set_index("id")["city"]
    costs: Dict[str, Decimal] = {}
    for household, amount in zip(result["id"], result["benefit"]):
        if amount is not None and not pd.isna(amount):
            city = cities[household]
            costs[city] = costs.get(city, Decimal(0)) + amount
    return costs


def yuan(amount: Decimal) -> str:
    return f"{amount:,.2f} 元"


def plot(before: Dict[str, Decimal], after: Dict[str, Decimal], date: str, households: int, png: Path) -> None:
    """Monthly cost per city before and after, as bars, with the change written above
    the cities whose cost changed. City names are the policy's pinyin variant names:
    no CJK font is assumed to be installed, and matplotlib would draw 广州 as boxes."""
    cities: List[str] = sorted(set(before) | set(after), key=lambda c: -after.get(c, Decimal(0)))
    old = [float(before.get(c, 0)) for c in cities]  # floats only to draw the bars
    new = [float(after.get(c, 0)) for c in cities]
    x = range(len(cities))
    width = 0.4
    fig, ax = plt.subplots(figsize=(12, 5.5), layout="constrained")
    ax.bar([i - width / 2 for i in x], old, width, label="current standards", color="#9aa5b1")
    ax.bar([i + width / 2 for i in x], new, width, label="with the scenario", color="#2e6f95")
    for i, city in enumerate(cities):
        change = after.get(city, Decimal(0)) - before.get(city, Decimal(0))
        if change:
            ax.annotate(f"{change:+,.2f}", (i + width / 2, new[i]), xytext=(0, 3), textcoords="offset points",
                        ha="center", fontsize=9, fontweight="bold", color="#c0392b")
    ax.set_xticks(list(x), cities, rotation=45, ha="right")
    ax.set_ylabel("dibao paid per month (yuan)")
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_title(f"Guangdong dibao on {date}, {households:,} synthetic households: monthly cost by city\n"
                 "before and after raising Guangzhou's standard to 1,400 yuan (change in yuan above the bars; "
                 "nansha is a district of guangzhou)", fontsize=11)
    ax.legend()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("png", nargs="?", type=Path, default=Path("out") / "dibao_scenario.png")
    parser.add_argument("--date", default="2023-08-01")
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--scenario", type=Path, default=SCENARIO)
    args = parser.parse_args()

    households, members = read_population(args.data)
    policy = bylaw.load(POLICY)
    # The scenario could as well be a dict: {"dibao_standard[guangzhou]": "1400 元 from 2023-07-01"}.
    raised = policy.with_scenario(args.scenario)
    before = policy.evaluate(households, members=members, date=args.date).to_pandas()
    after = raised.evaluate(households, members=members, date=args.date).to_pandas()

    eligible = (int(before["eligible"].sum()), int(after["eligible"].sum()))
    cost = (total(before["benefit"]), total(after["benefit"]))
    changed = before.merge(after, on="id", suffixes=("_before", "_after"))
    changed = changed[changed["benefit_before"] != changed["benefit_after"]]
    failed = int(before["error"].notna().sum())

    # bylaw.diff computes the same comparison in the engine; its totals must agree.
    report = bylaw.diff(policy, raised, households, members=members, date=args.date)
    overall = report.data["all"]
    if (Decimal(overall["cost_before"]), Decimal(overall["cost_after"])) != cost:
        raise SystemExit(f"bylaw.diff disagrees with the two evaluations: {overall}")

    print(f"Guangdong dibao on {args.date}: {len(households)} households, {failed} could not be decided")
    print(f"  eligible households   {eligible[0]:>8} before   {eligible[1]:>8} after"
          f"   ({int(overall['gain'])} gain, {int(overall['lose'])} lose eligibility)")
    print(f"  monthly cost          {yuan(cost[0]):>15} before   {yuan(cost[1]):>15} after")
    print(f"  change                {yuan(cost[1] - cost[0]):>15}   for {len(changed)} households")
    cities_before, cities_after = by_city(before, households), by_city(after, households)
    for city, amount in sorted(cities_after.items()):
        old = cities_before.get(city, Decimal(0))
        if amount != old:
            print(f"    {city:<12} {yuan(old):>15} -> {yuan(amount):>15}")

    plot(cities_before, cities_after, args.date, len(households), args.png)
    print(f"chart: {args.png}")


if __name__ == "__main__":
    main()
