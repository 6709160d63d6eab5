"""Helpers shared by the tests: reading CSV files as text, and comparing a result
table with the CSV the command line writes, value by value and never through floats."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
from pathlib import Path
from typing import Any, Dict, List, Sequence, Union

import pyarrow as pa
import pyarrow.csv as pacsv


def read_text_csv(path: Union[str, Path]) -> pa.Table:
    """A CSV file with every column read as text, as an analyst who must not lose a fen
    reads money."""
    with open(path, encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    types = {name: pa.string() for name in header}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))


def write_text_csv(table: pa.Table, path: Path) -> Path:
    """``table`` written as CSV (text columns are written as they are)."""
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="needed"))
    return path


def csv_rows(text: str) -> List[Dict[str, str]]:
    """CSV text as a list of rows (dicts of text)."""
    return list(csv.DictReader(io.StringIO(text)))


def cell(value: Any) -> str:
    """A result value as the command line writes it in CSV: empty for null, ``true`` and
    ``false``, ISO dates, decimals and integers as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def same_value(expected: str, actual: Any) -> bool:
    """Whether a CSV cell and a result value are the same value: decimals compared
    exactly as numbers (``1000.00`` is ``Decimal('1000.0000')``), the rest as text."""
    if isinstance(actual, decimal.Decimal):
        try:
            return expected != "" and decimal.Decimal(expected) == actual
        except decimal.InvalidOperation:
            return False
    return cell(actual) == expected


def assert_same_as_cli(result: pa.Table, cli_csv: Union[str, Path], key: str = "id") -> None:
    """Every cell of the command line's output CSV equals the result's value in the
    same column for the same key; the two have the same keys in the same order."""
    text = Path(cli_csv).read_text(encoding="utf-8") if isinstance(cli_csv, Path) else cli_csv
    expected = csv_rows(text)
    actual = result.to_pylist()
    assert [r[key] for r in expected] == [r[key] for r in actual]
    columns: Sequence[str] = list(expected[0].keys()) if expected else []
    missing = [c for c in columns if c not in result.column_names]
    assert not missing, f"columns the command line writes but the result lacks: {missing}"
    differences = [
        (row[key], column, row[column], got[column])
        for row, got in zip(expected, actual)
        for column in columns
        if not same_value(row[column], got[column])
    ]
    assert not differences, f"{len(differences)} values differ, first: {differences[:5]}"
