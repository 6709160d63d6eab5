#!/usr/bin/env bash
# The main job end to end: check and test the bundled policies, make a synthetic
# population, evaluate it under the Guangdong dibao policy (and a what-if scenario),
# and print a summary. Usage: bash examples/demo.sh [HOUSEHOLDS]
set -euo pipefail
cd "$(dirname "$0")/.."
households="${1:-100000}"
out="out/demo"

cargo build --release --quiet -p bylaw-cli
bylaw="${CARGO_TARGET_DIR:-target}/release/bylaw"

echo "== check: every bundled policy"
$bylaw check policies/regions.bylaw policies/*/*.bylaw

echo
echo "== test: the policies' own boundary tests"
$bylaw test policies

echo
echo "== synth: $households synthetic households (21 Guangdong cities)"
$bylaw synth --households "$households" --seed 1 -o "$out"

echo
echo "== eval: Guangdong dibao on 2023-08-01"
$bylaw eval policies/guangdong/dibao.bylaw "$out/households.csv" --date 2023-08-01 -o "$out/dibao.csv"

echo
echo "== eval: the same, with Guangzhou's standard raised to 1,400 元 (a scenario)"
$bylaw eval policies/guangdong/dibao.bylaw "$out/households.csv" --date 2023-08-01 \
  --scenario examples/scenarios/higher_guangzhou_standard.bylaw -o "$out/dibao_what_if.csv"

echo
echo "== diff: who gains and what it costs, by city (the scenario against the policy)"
$bylaw diff policies/guangdong/dibao.bylaw examples/scenarios/higher_guangzhou_standard.bylaw \
  "$out/households.csv" --date 2023-08-01 -o "$out/diff.html" | head -n 8

echo
echo "== why: one household's decision, and what would change it"
$bylaw why policies/guangdong/dibao.bylaw "$out/households.csv" --id h0000001 --date 2023-08-01 | tail -n 25

echo
echo "== budget: Jingshan's station funds, capped at 5% of last year's relief spending (synthetic data)"
$bylaw budget policies/hubei/jingshan_station_funds.bylaw \
  --regions examples/budget/jingshan_synthetic.csv --years 2021..2025 -o "$out/jingshan_budget.html"
$bylaw budget policies/hubei/jingshan_station_funds.bylaw \
  --regions examples/budget/jingshan_synthetic.csv --years 2021..2025

echo
echo "== budget sweep: Hunan's 2% share of relief funds from 1% to 6% (synthetic data)"
$bylaw budget policies/hunan/station_fund_channels.bylaw \
  --regions examples/budget/hunan_synthetic.csv --years 2025 \
  --sweep "relief_funds_ratio=1%..6% step 1%" -o "$out/hunan_sweep.html"

echo
echo "Results: $out/dibao.csv and $out/dibao_what_if.csv (one row per household, every output);"
echo "reports: $out/diff.html, $out/jingshan_budget.html, $out/hunan_sweep.html."
echo "Explain the policy itself: $bylaw explain policies/guangdong/dibao.bylaw --format html -o $out/dibao.html"
