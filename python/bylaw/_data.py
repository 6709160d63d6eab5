"""Turning what callers pass into what the engine reads.

Tables become Arrow data the engine imports without copying columns: pyarrow tables
pass through, polars frames are exported through the Arrow C stream interface, pandas
frames are converted by pyarrow (without their index). Members given as a list of
structs in the households' table become a table of their own keyed to the household.
Dates become ISO text, and a dict of parameter values becomes scenario text.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa
import pyarrow.compute as pc

from .errors import ArgumentError

DateLike = Union[str, _dt.date]
ScenarioLike = Union[str, "os.PathLike[str]", Mapping[str, Any]]

EVERY_DATE = "0001-01-01"
"""The start of a scenario value given without ``from DATE``: before every date a
policy can be evaluated at, so the value replaces the parameter throughout."""


def to_arrow(data: Any, name: str) -> pa.Table:
    """``data`` as a pyarrow Table (its buffers shared, not copied, where possible)."""
    return _calendar_dates(_table(data, name))


def _table(data: Any, name: str) -> pa.Table:
    if isinstance(data, pa.Table):
        return data
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    if isinstance(data, pa.RecordBatchReader):
        return data.read_all()
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pa.Table.from_pandas(data, preserve_index=False)
    if module == "polars":
        return data.to_arrow()
    if hasattr(data, "__arrow_c_stream__"):
        return pa.table(data)
    raise ArgumentError(
        f"`{name}` is a {type(data).__name__}, not a table\n"
        "  help: give a pyarrow Table or RecordBatch, a pandas or a polars DataFrame"
    )


def _calendar_dates(table: pa.Table) -> pa.Table:
    """Dictionary-encoded columns (pandas ``category``, polars ``Categorical`` and
    ``Enum``) decoded to their values; timestamps that are whole days (pandas'
    ``datetime64`` dates) and ``date64`` columns as ``date32``, the type the engine
    reads dates from. A timestamp with a time of day is left as it is, for the engine
    to refuse with its location."""
    for i, field in enumerate(table.schema):
        if pa.types.is_dictionary(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(field.type.value_type))
            field = table.schema.field(i)
        if pa.types.is_date64(field.type):
            table = table.set_column(i, field.name, table.column(i).cast(pa.date32()))
        elif pa.types.is_timestamp(field.type) and field.type.tz is None:
            column = table.column(i)
            days = pc.cast(column, pa.date32())
            if pc.all(pc.equal(pc.cast(days, field.type), column)).as_py() is not False:
                table = table.set_column(i, field.name, days)
    return table


def split_members(
    table: pa.Table, schema: Dict[str, Any]
) -> Tuple[pa.Table, List[Tuple[str, pa.Table]]]:
    """Moves list-of-struct columns named after a relation of the root entity into
    tables of their own, each child keyed by a ``<parent>_id`` column."""
    root = schema["entities"][schema["root"]]
    key = root["key"]
    children: List[Tuple[str, pa.Table]] = []
    for relation in root["relations"]:
        name = relation["name"]
        if name not in table.column_names:
            continue
        column = table.column(name)
        if not pa.types.is_list(column.type) and not pa.types.is_large_list(column.type):
            raise ArgumentError(
                f"column `{name}` holds {column.type}, not a list of {relation['entity']} records\n"
                f"  help: give `{name}` as a list of structs, or as a table of its own "
                f"with a `{relation['parent_column']}` column"
            )
        if key is None:
            raise ArgumentError(
                f"the `{schema['root']}` entity has no key to link `{name}` to\n"
                f"  help: give `{name}` as a table of its own"
            )
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        flat = pc.list_flatten(column)
        if not pa.types.is_struct(flat.type):
            raise ArgumentError(
                f"column `{name}` is a list of {flat.type}, not of records\n"
                f"  help: each element of `{name}` is a struct of a {relation['entity']}'s fields"
            )
        parents = pc.list_parent_indices(column)
        keys = table.column(key).take(parents)
        child = pa.Table.from_struct_array(flat).append_column(relation["parent_column"], keys)
        children.append((name, child))
        table = table.drop_columns([name])
    return table, children


def relation_tables(
    schema: Dict[str, Any],
    members: Any,
    relations: Optional[Mapping[str, Any]],
) -> List[Tuple[str, pa.Table]]:
    """The tables of relations given by keyword: ``members`` for the root's relation
    called ``members`` (or its only relation), and ``relations`` by name."""
    out: List[Tuple[str, pa.Table]] = []
    root = schema["entities"][schema["root"]]
    names = [r["name"] for r in root["relations"]]
    if members is not None:
        if "members" in names:
            target = "members"
        elif len(names) == 1:
            target = names[0]
        else:
            raise ArgumentError(
                f"the `{schema['root']}` entity has no relation `members`"
                + (f" (it has {', '.join(names)})" if names else "")
                + "\n  help: give its tables as relations={name: table}"
            )
        out.append((target, to_arrow(members, target)))
    known = {r["name"] for e in schema["entities"].values() for r in e["relations"]}
    for name, table in (relations or {}).items():
        if name not in known:
            raise ArgumentError(
                f"the policy has no relation `{name}`"
                + (f" (it has {', '.join(sorted(known))})" if known else "")
                + "\n  help: name each table after a relation of the policy"
            )
        out.append((name, to_arrow(table, name)))
    return out


def iso_date(value: Optional[DateLike], what: str = "date") -> Optional[str]:
    """``value`` as ISO text (``YYYY-MM-DD``, or a month ``YYYY-MM``)."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return value
    raise ArgumentError(
        f"{what} {value!r} is a {type(value).__name__}\n"
        "  help: give a datetime.date or ISO text such as \"2025-07-01\""
    )


def scenario_text(values: Mapping[str, Any], parameters: Dict[str, Tuple[str, Optional[str]]]) -> str:
    """Scenario text (``set`` lines) for a dict of parameter values.

    Keys are parameter names, with the key of a parameter by enumeration in brackets
    (``"dibao_standard[guangzhou]"``), or a parameter name mapping to a dict of keys.
    Values are Bylaw literals as text (``"1400 元"``, ``"5%"``, ``"1400 元 from
    2025-07-01"``), or ints and ``decimal.Decimal`` numbers, which take the parameter's
    unit (元 for money, % for rates). Floats are refused: money is exact. A value
    without ``from DATE`` replaces the parameter at every date, as a sweep does.
    """
    lines: List[str] = []
    for name, value in values.items():
        if isinstance(value, Mapping):
            for key, v in value.items():
                lines.append(_set_line(f"{name}[{key}]", name, v, parameters))
        else:
            lines.append(_set_line(name, name.split("[", 1)[0], value, parameters))
    return "\n".join(lines) + "\n"


def _set_line(target: str, name: str, value: Any, parameters: Dict[str, Tuple[str, Optional[str]]]) -> str:
    if isinstance(value, bool):
        raise ArgumentError(f"`{target}`: a yes/no value is not a parameter value")
    if isinstance(value, float):
        raise ArgumentError(
            f"`{target}` = {value!r} is a float\n"
            "  help: money is exact: give a decimal.Decimal, an int or text such as \"1400.50 元\""
        )
    if isinstance(value, (int, decimal.Decimal)):
        ty = parameters.get(name, ("", None))[0]
        unit = " 元" if ty.startswith("money") else "%" if ty == "rate" else ""
        value = f"{value}{unit}"
    if not isinstance(value, str):
        raise ArgumentError(f"`{target}` = {value!r}: give text, an int or a decimal.Decimal")
    if " from " not in f" {value} ":
        value = f"{value} from {EVERY_DATE}"
    return f"set {target} = {value}"


def select_outputs(result: pa.Table, outputs: Sequence[str]) -> pa.Table:
    """``result`` with its key, error and reason columns and only the ``outputs`` named."""
    fixed = {"error", "error_in", "error_detail", "error_month", "reason"}
    names = result.column_names
    known = [n for n in names[1:] if n not in fixed]
    unknown = [o for o in outputs if o not in known]
    if unknown:
        raise ArgumentError(
            f"the policy has no output {', '.join(f'`{o}`' for o in unknown)}\n"
            f"  help: its outputs are {', '.join(known)}"
        )
    leading = [n for n in names if n in fixed and n != "reason"]
    trailing = ["reason"] if "reason" in names else []
    return result.select([names[0], *leading, *outputs, *trailing])


def is_path(value: Any) -> bool:
    """Whether ``value`` names a file."""
    return isinstance(value, (str, os.PathLike))
