"""The bench anchors' households as Parquet, generated once and reused.

The CSV comes from the anchors' own ``gen_households.py`` (so the first 1,000,000 rows
of any larger file are the 1,000,000 of RULE.md, byte for byte) and is converted to
Parquet with money as exact decimals: Bylaw refuses floating-point money, and Spark
would otherwise infer doubles.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

# The generator's columns (RULE.md, "Inputs"). Money has exactly two decimals; the
# precision covers the generator's maxima (30,000.00 and 5,000,000.00 yuan).
SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("city", pa.string()),
        ("members", pa.int64()),
        ("income_monthly", pa.decimal128(9, 2)),
        ("financial_assets", pa.decimal128(11, 2)),
        ("has_car", pa.bool_()),
        ("extra_house", pa.bool_()),
        ("hukou_local", pa.bool_()),
        ("residence_months", pa.int64()),
        ("months_away", pa.int64()),
        ("disabled_members", pa.int64()),
        ("elderly_members", pa.int64()),
    ]
)

# Row groups small enough that Spark splits a file into several tasks.
ROW_GROUP = 500_000


def households_parquet(n: int, workdir: Path, anchors: Path) -> Path:
    """The Parquet file of the first ``n`` anchor households, made if missing.

    Parameters
    ----------
    n
        Number of households.
    workdir
        Directory holding ``households_<n>.csv`` and ``households_<n>.parquet``.
    anchors
        The bench anchors' directory (its ``gen_households.py`` is run when the CSV
        is missing).

    Returns
    -------
    pathlib.Path
        The Parquet file.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    parquet = workdir / f"households_{n}.parquet"
    if parquet.exists():
        return parquet
    csv = workdir / f"households_{n}.csv"
    if not csv.exists():
        print(f"generating {n:,} households ...", file=sys.stderr, flush=True)
        subprocess.run(
            [
                sys.executable,
                str(anchors / "gen_households.py"),
                str(n),
                "--outdir",
                str(workdir),
                # The generator rewrites its params file: keep the anchors' copy untouched.
                "--params",
                str(workdir / "params.json"),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    print(f"converting {csv.name} to Parquet ...", file=sys.stderr, flush=True)
    tmp = parquet.with_suffix(".parquet.tmp")
    options = pacsv.ConvertOptions(column_types=SCHEMA, true_values=["true"], false_values=["false"])
    reader = pacsv.open_csv(csv, convert_options=options)
    with pq.ParquetWriter(tmp, SCHEMA) as writer:
        # The CSV reader's batches are small: gather whole row groups before writing.
        pending: list[pa.RecordBatch] = []
        for batch in reader:
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= ROW_GROUP:
                table = pa.Table.from_batches(pending)
                writer.write_table(table.slice(0, ROW_GROUP), row_group_size=ROW_GROUP)
                pending = table.slice(ROW_GROUP).to_batches()
        if pending:
            writer.write_table(pa.Table.from_batches(pending), row_group_size=ROW_GROUP)
    tmp.replace(parquet)
    return parquet
