"""Evaluate a Bylaw policy over a Spark DataFrame.

:func:`evaluate` runs the policy's native code inside Spark's Python workers through
``DataFrame.mapInArrow``: each partition reaches the worker as Arrow record batches,
is evaluated without going through pandas, and comes back as Arrow. The result has one
row per household: the root key, ``error``, ``error_in`` and ``error_detail`` (null
unless that household failed), then every output of the policy, typed exactly
(money as ``DecimalType(19, 4)``, never as a double).

Households with children (household members) come in one of two shapes:

* **nested** — ``df`` already holds a column named after the relation (``members``)
  of type ``array<struct<...>>``, each struct one child's fields::

      households: id, city, hukou, residence, members: array<struct<income, age, disabled>>

* **two tables** — ``df`` holds the households and ``members=`` a second DataFrame
  with one row per child and a ``<parent>_id`` column (``household_id``) equal to the
  household's key::

      households: id, city, hukou, residence
      members:    household_id, income, age, disabled

  The children are grouped by that column into an ``array<struct>`` column named after
  the relation and left-joined to the households, so a household without children gets
  an empty list (which the policy refuses if the relation says ``at least 1``). As in
  :meth:`bylaw.Policy.evaluate`, ``members=`` is the root's relation called ``members``,
  or its only relation. The order of children within a household is not kept; Bylaw's
  aggregates do not depend on it, and dated records are put in order of their first
  day by the evaluator.

A flat policy (no relation) needs neither.

Money, rates and other exact numbers must reach Bylaw as decimals or integers: a
``DoubleType`` money column is refused as bad data. Read CSV files with an explicit
schema (or cast to ``DecimalType``) rather than with ``inferSchema``.

Errors of one household (overflow, a missing parameter value, ...) are columns of the
result, never exceptions. A policy that does not compile raises :class:`bylaw.PolicyError`
on the driver, and so does data whose columns do not fit the policy's entity
(:class:`bylaw.DataError`): the policy is loaded, and an empty batch of ``df``'s schema
evaluated, on the driver before the job is built. Bad values in a row can only be seen
where the row is evaluated: they fail the Spark job with the ``DataError`` message.

Each Python worker loads and compiles the policy once and keeps it for every later
partition (keyed by the file's path and modification time, so an edited policy file is
reloaded). The file must therefore be readable at the same path on every executor.
"""

from __future__ import annotations

import datetime
import functools
import os
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Union

import pyarrow as pa

import bylaw

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import DataType, StructType

__all__ = ["evaluate", "nest_children", "spark_schema"]

PolicyLike = Union[str, "os.PathLike[str]", "bylaw.Policy"]
DateLike = Union[str, datetime.date, None]

# Compiled policies of this Python process, by (absolute path, modification time).
_policies: dict[tuple[str, int], bylaw.Policy] = {}
_policies_lock = threading.Lock()


def evaluate(
    df: DataFrame,
    policy: PolicyLike,
    date: DateLike = None,
    *,
    members: DataFrame | None = None,
    key: str | None = None,
    engine: str = "jit",
    outputs: Sequence[str] | None = None,
) -> DataFrame:
    """Evaluate ``policy`` for every household of ``df``.

    Parameters
    ----------
    df
        One row per household (the policy's root entity), with a column per field of
        the entity and no others (Bylaw refuses a column it does not know: select the
        fields first).
    policy
        The path of a ``.bylaw`` file, or a :class:`bylaw.Policy` (its ``path`` is used:
        only the path is shipped to the executors).
    date
        The evaluation date, ``"YYYY-MM-DD"`` or a :class:`datetime.date`.
    members
        The children as a second DataFrame with a ``<parent>_id`` column; see the module
        documentation. ``None`` when ``df`` is flat or already nests them.
    key
        The column of ``members`` that holds each child's household key; by default the
        one the policy names for the relation (``household_id``).
    engine
        As in :meth:`bylaw.Policy.evaluate`: ``"jit"`` (native code), ``"interp"`` or
        ``"aot"``; all give the same values and errors.
    outputs
        Only these outputs in the result, after the key and error columns (every output
        when ``None``): fewer columns to move back to the JVM.

    Returns
    -------
    pyspark.sql.DataFrame
        One row per household with the columns of ``policy.output_schema`` in Spark types.

    Raises
    ------
    bylaw.PolicyError
        The policy does not compile (raised on the driver).
    bylaw.DataError
        The columns of the input do not fit the policy's entities (raised on the driver);
        a bad value in a row fails the Spark job with this error's message.
    bylaw.ArgumentError
        No date, a policy with no file (``bylaw.from_text``), or ``members=`` for a
        policy without a relation to put them in (raised on the driver).
    """
    if isinstance(policy, bylaw.Policy):
        if policy.path is None:
            raise bylaw.ArgumentError(
                "a policy made from text has no file the executors can load\n"
                "  help: write it to a file readable by every executor and pass its path"
            )
        policy = policy.path
    path = os.path.abspath(os.fspath(policy))
    compiled = _load(path)
    if members is not None:
        root_key, relation, parent_column = _relation(compiled)
        df = nest_children(df, members, root_key=root_key, key=key or parent_column, relation=relation)
    schema = _check_columns(compiled, df, date, engine, outputs)
    run = functools.partial(_evaluate_partition, path, date, engine, outputs)
    return df.mapInArrow(run, spark_schema(schema))


def nest_children(
    df: DataFrame, members: DataFrame, *, root_key: str, key: str, relation: str
) -> DataFrame:
    """Join the children of ``members`` to ``df`` as an ``array<struct>`` column.

    Parameters
    ----------
    df
        One row per household.
    members
        One row per child, with a column holding the household's key.
    root_key
        The key column of ``df``.
    key
        The column of ``members`` holding the household's key.
    relation
        The name of the new column: the relation's.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df`` with the ``relation`` column; an empty list for a household without
        children.
    """
    from pyspark.sql import functions as F

    fields = [c for c in members.columns if c != key]
    grouped = members.groupBy(F.col(key).alias("__parent")).agg(
        F.collect_list(F.struct(*fields)).alias(relation)
    )
    joined = df.join(grouped, df[root_key] == grouped["__parent"], "left").drop("__parent")
    # A household with no children has no group: the outer join leaves a null, which
    # would read as a missing field rather than as no children.
    empty = F.array().cast(grouped.schema[relation].dataType)
    return joined.withColumn(relation, F.coalesce(F.col(relation), empty))


def spark_schema(schema: pa.Schema) -> StructType:
    """The Spark schema of a Bylaw result schema.

    Parameters
    ----------
    schema
        A ``pyarrow.Schema`` as :attr:`bylaw.Policy.output_schema` gives it.

    Returns
    -------
    pyspark.sql.types.StructType
        Decimals keep their precision and scale, dates are ``DateType``, integers
        ``LongType``, booleans ``BooleanType`` and text ``StringType``.

    Raises
    ------
    TypeError
        A column has an Arrow type Bylaw does not write.
    """
    from pyspark.sql.types import StructField, StructType

    return StructType(
        [StructField(f.name, _spark_type(f.type), nullable=f.nullable) for f in schema]
    )


def _spark_type(t: pa.DataType) -> DataType:
    from pyspark.sql import types as T

    if pa.types.is_decimal128(t):
        return T.DecimalType(t.precision, t.scale)
    if pa.types.is_date32(t):
        return T.DateType()
    if pa.types.is_int64(t):
        return T.LongType()
    if pa.types.is_boolean(t):
        return T.BooleanType()
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return T.StringType()
    raise TypeError(f"a Bylaw output column of Arrow type `{t}` has no Spark type here")


def _relation(policy: bylaw.Policy) -> tuple[str, str, str]:
    """The root's key column, and the name and parent column of the relation that
    ``members=`` fills, chosen as :meth:`bylaw.Policy.evaluate` chooses it."""
    schema = policy.schema
    root = schema["entities"][schema["root"]]
    relations = {r["name"]: r for r in root["relations"]}
    if "members" in relations:
        chosen = relations["members"]
    elif len(relations) == 1:
        chosen = next(iter(relations.values()))
    else:
        raise bylaw.ArgumentError(
            f"the `{schema['root']}` entity has no relation `members`"
            + (f" (it has {', '.join(relations)})" if relations else "")
            + "\n  help: nest the children in `df` as an array<struct> column named after the relation"
        )
    if root["key"] is None:
        raise bylaw.ArgumentError(
            f"the `{schema['root']}` entity has no key to link `{chosen['name']}` to"
        )
    return root["key"], chosen["name"], chosen["parent_column"]


def _load(path: str) -> bylaw.Policy:
    """The compiled policy at ``path``, compiled at most once per file version."""
    version = (path, os.stat(path).st_mtime_ns)
    with _policies_lock:
        policy = _policies.get(version)
        if policy is None:
            policy = bylaw.load(path)
            # Drop older versions of the same file: an edited policy is compiled anew.
            for old in [v for v in _policies if v[0] == path]:
                del _policies[old]
            _policies[version] = policy
        return policy


def _check_columns(
    policy: bylaw.Policy,
    df: DataFrame,
    date: DateLike,
    engine: str,
    outputs: Sequence[str] | None,
) -> pa.Schema:
    """Evaluate no rows of ``df``'s schema on the driver, so that missing columns, wrong
    types or unknown outputs raise here rather than in every task; the result's schema."""
    from pyspark.sql.pandas.types import to_arrow_schema

    empty = to_arrow_schema(df.schema).empty_table()
    return policy.evaluate(empty, date=date, engine=engine, threads=1, outputs=outputs).schema


def _evaluate_partition(
    path: str,
    date: DateLike,
    engine: str,
    outputs: Sequence[str] | None,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """Evaluate one partition's batches in a Python worker."""
    policy = _load(path)
    for batch in batches:
        # Spark already runs one task per core: one thread per task avoids
        # oversubscribing the executor's cores.
        result = policy.evaluate(batch, date=date, engine=engine, threads=1, outputs=outputs)
        yield from result.to_batches()
