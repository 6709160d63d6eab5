#!/usr/bin/env bash
# Fills fuzz/corpus/<target>/ with seeds from the bundled policies and examples (the
# corpora themselves are not kept: they grow with every run). Usage: bash fuzz/seed.sh
set -euo pipefail
cd "$(dirname "$0")/.."
corpus=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in policy_text data_csv data_json data_parquet service_log abi_batch; do
  mkdir -p "$corpus/$t"
done

cargo build --release --quiet -p bylaw-cli
bylaw="${CARGO_TARGET_DIR:-target}/release/bylaw"

# Policies: every bundled policy, scenario and diagnostics fixture.
for f in policies/*.bylaw policies/*/*.bylaw examples/scenarios/*.bylaw \
  examples/comply/*.bylaw tests/diagnostics/*.bylaw; do
  cp "$f" "$corpus/policy_text/$(echo "$f" | tr / _)"
done

# Data for the dibao policy: a small synthetic population in each format, and every
# malformed-data fixture.
"$bylaw" synth --households 6 --seed 1 -o "$tmp/csv" > /dev/null
"$bylaw" synth --households 6 --seed 2 --format parquet -o "$tmp/parquet" > /dev/null
{ cat "$tmp/csv/households.csv"; printf '\0'; cat "$tmp/csv/members.csv"; } > "$corpus/data_csv/synth"
for d in tests/data-errors/*/; do
  name=$(basename "$d")
  if [ -f "$d/households.json" ]; then
    cp "$d/households.json" "$corpus/data_json/$name"
  else
    { cat "$d/households.csv"; if [ -f "$d/members.csv" ]; then printf '\0'; cat "$d/members.csv"; fi; } \
      > "$corpus/data_csv/$name"
  fi
done
python3 - "$tmp" "$corpus" <<'PY'
import csv, json, struct, sys
tmp, corpus = sys.argv[1], sys.argv[2]
# JSON: the CSV population with members nested.
def typed(row):
    out = {}
    for k, v in row.items():
        if v in ("true", "false"):
            out[k] = v == "true"
        elif k != "id" and v.replace(".", "", 1).isdigit():
            out[k] = json.loads(v)
        else:
            out[k] = v
    return out
members = {}
with open(f"{tmp}/csv/members.csv") as f:
    for row in csv.DictReader(f):
        members.setdefault(row.pop("household_id"), []).append(typed(row))
households = []
with open(f"{tmp}/csv/households.csv") as f:
    for row in csv.DictReader(f):
        row = typed(row)
        row["members"] = members.get(row["id"], [])
        households.append(row)
with open(f"{corpus}/data_json/synth", "w") as f:
    json.dump(households, f, ensure_ascii=False, indent=1)
# Parquet: the households file's length, then both files.
h = open(f"{tmp}/parquet/households.parquet", "rb").read()
m = open(f"{tmp}/parquet/members.parquet", "rb").read()
with open(f"{corpus}/data_parquet/synth", "wb") as f:
    f.write(struct.pack("<I", len(h)) + h + m)
PY

cp examples/comply/log.csv "$corpus/service_log/example"
for i in 1 2 3 4; do head -c 512 /dev/urandom > "$corpus/abi_batch/random$i"; done
echo "seeded: $(find "$corpus" -type f | wc -l) files in $corpus"
