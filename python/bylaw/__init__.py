"""Bylaw in Python: social-assistance policies evaluated over tables, explained and
compared.

A policy is loaded and checked once, then evaluated over any number of populations —
pyarrow tables, pandas or polars frames — at native speed, with the GIL released::

    import bylaw

    policy = bylaw.load("policies/guangdong/dibao.bylaw")
    result = policy.evaluate(households, members=members, date="2024-01-01")
    result.to_pandas()

The result has one row per household: its key, ``error``, ``error_in`` and
``error_detail`` (null unless the household could not be decided), then every output
of the policy. Money is ``decimal128(19, 4)`` — exact, never a float — rates are
``decimal128(19, 4)`` in percent, counts ``int64``, dates ``date32``, yes/no
``bool``, enumerations their variant names.
"""

from __future__ import annotations

import json
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _bylaw
from ._data import (
    DateLike,
    ScenarioLike,
    is_path,
    iso_date,
    relation_tables,
    scenario_text,
    select_outputs,
    split_members,
    to_arrow,
)
from .errors import (
    ArgumentError,
    BylawError,
    DataError,
    DataProblem,
    Diagnostic,
    EvaluationError,
    InternalError,
    PolicyError,
)

__all__ = [
    "load",
    "from_text",
    "diff",
    "comply",
    "Policy",
    "Why",
    "Report",
    "Compliance",
    "BylawError",
    "PolicyError",
    "DataError",
    "ArgumentError",
    "EvaluationError",
    "InternalError",
    "Diagnostic",
    "DataProblem",
]

__version__ = "0.1.0"

Table = Any
"""A pyarrow Table or RecordBatch, a pandas DataFrame or a polars DataFrame."""


def load(path: Union[str, "os.PathLike[str]"], *, scenario: Optional[ScenarioLike] = None) -> "Policy":
    """Loads and checks the policy in ``path`` and the files it ``use``\\ s.

    Args:
        path: A ``.bylaw`` file.
        scenario: Optionally, a what-if applied at once: a scenario file, or a dict of
            parameter values (see :meth:`Policy.with_scenario`).

    Raises:
        PolicyError: The policy does not check; every diagnostic is attached.
        ArgumentError: ``path`` is not a file.
    """
    policy = Policy._wrap(_bylaw.load(os.fspath(path)))
    return policy.with_scenario(scenario) if scenario is not None else policy


def from_text(text: str, name: str = "policy.bylaw") -> "Policy":
    """Checks policy text that is not in a file; ``name`` names it in diagnostics.

    Raises:
        PolicyError: The text does not check.
    """
    return Policy._wrap(_bylaw.from_text(text, name))


class Policy:
    """A checked policy, ready to evaluate, explain and compare.

    A policy is immutable and can be shared between threads; its native code is
    compiled on first use at each date and kept.
    """

    __slots__ = ("_native", "_schema", "_parameters")

    def __init__(self) -> None:
        raise TypeError("use bylaw.load(path) or bylaw.from_text(text)")

    @classmethod
    def _wrap(cls, native: Any) -> "Policy":
        policy = object.__new__(cls)
        policy._native = native
        policy._schema = native.schema()
        policy._parameters = native.parameters()
        return policy

    @property
    def name(self) -> str:
        """The policy's name (``policy NAME …``)."""
        return self._native.name

    @property
    def path(self) -> Optional[str]:
        """The file it was loaded from, if any."""
        p = self._native.path
        return None if p is None else os.fspath(p)

    @property
    def effective(self) -> Optional[str]:
        """The date it takes effect (ISO), if it declares one."""
        return self._native.effective

    @property
    def source_hash(self) -> str:
        """SHA-256 of its source files (hex), as compiled libraries report it."""
        return self._native.source_hash

    @property
    def warnings(self) -> List[str]:
        """Warnings found while checking, rendered as the command line shows them."""
        return list(self._native.warnings)

    @property
    def schema(self) -> Dict[str, Any]:
        """The input schema: ``root`` (the root entity's name) and ``entities``, each
        with its ``key``, ``fields`` (name, type, label, optional) and ``relations``
        (name, child entity, ``parent_column``, ``at_least``)."""
        return self._schema

    @property
    def parameters(self) -> Dict[str, Tuple[str, Optional[str]]]:
        """The parameters a scenario can set: name → (type, enumeration keyed by)."""
        return dict(self._parameters)

    @property
    def output_schema(self) -> pa.Schema:
        """The schema of :meth:`evaluate`'s result (without a ``reason`` column)."""
        return self._native.output_schema(False)

    def with_scenario(self, scenario: ScenarioLike) -> "Policy":
        """A copy with a what-if applied.

        Args:
            scenario: A scenario file (``set p[key] = value from DATE`` lines), or a
                dict of parameter values: ``{"dibao_standard[guangzhou]": "1400 元"}``
                or ``{"dibao_standard": {"guangzhou": decimal.Decimal("1400")}}``.
                Values are Bylaw literals as text (``"5%"``, ``"1400 元 from
                2025-07-01"``) or ints and Decimals, which take the parameter's unit.

        Raises:
            PolicyError: The scenario names an unknown parameter or key, or a value
                of the wrong type.
            ArgumentError: A float value (money is exact) or another type.
        """
        if is_path(scenario):
            native = self._native.with_scenario(path=os.fspath(scenario))
        elif isinstance(scenario, Mapping):
            text = scenario_text(scenario, self._parameters)
            native = self._native.with_scenario(text=text, name="scenario")
        else:
            raise ArgumentError(
                f"a scenario is a file or a dict of parameter values, not {type(scenario).__name__}"
            )
        return Policy._wrap(native)

    def _tables(self, data: Table, members: Optional[Table], relations: Optional[Mapping[str, Table]]):
        if self._schema["root"] is None:
            raise ArgumentError(
                f"`{self.path or self.name}` declares no entity, so there are no households to evaluate\n"
                "  help: use a policy that declares an entity (`entity household { … }`, "
                "or a yearly table for funds)"
            )
        table = to_arrow(data, "data")
        table, inline = split_members(table, self._schema)
        given = relation_tables(self._schema, members, relations)
        named = [n for n, _ in given]
        for name in set(named):
            if named.count(name) > 1:
                raise ArgumentError(
                    f"`{name}` is given twice: as members= and in relations=\n"
                    "  help: give one of them"
                )
        for name, _ in inline:
            if name in named:
                raise ArgumentError(
                    f"`{name}` is given twice: as a column of the data and as a table\n"
                    "  help: give one of them"
                )
        return table, inline + given

    def evaluate(
        self,
        data: Table,
        *,
        members: Optional[Table] = None,
        relations: Optional[Mapping[str, Table]] = None,
        date: Optional[DateLike] = None,
        period: Optional[str] = None,
        scenario: Optional[ScenarioLike] = None,
        engine: str = "jit",
        threads: Optional[int] = None,
        reason: Optional[str] = None,
        outputs: Optional[Sequence[str]] = None,
    ) -> pa.Table:
        """Evaluates every household of ``data``.

        Args:
            data: The households (the root entity's records): a pyarrow Table or
                RecordBatch, a pandas or polars DataFrame. Columns are found by field
                name; a relation (``members``) may be a list-of-struct column.
            members: The root entity's children as a table of their own, each row
                carrying ``<parent>_id`` (e.g. ``household_id``) equal to its
                household's key.
            relations: Tables of relations by name, for policies with several.
            date: The evaluation date (``"2024-01-01"`` or a ``datetime.date``).
            period: Instead of a date, a year ``"2025"``, quarter ``"2025-Q3"`` or month
                ``"2025-07"``: evaluated on the first day of each month and combined
                (monthly amounts summed, rules counted in ``<rule>_months``).
            scenario: A what-if applied for this evaluation only.
            engine: ``"jit"`` (native code, the default), ``"interp"`` or ``"aot"``.
            threads: Worker threads (default: one per core).
            reason: ``"zh"`` or ``"en"`` to add a ``reason`` column explaining the main
                decision of each household.
            outputs: Only these outputs in the result (after the key and error
                columns), in this order; every output when ``None``.

        Returns:
            One row per household in input order: the key, ``error``, ``error_in``,
            ``error_detail``, then every output. The schema's metadata names the
            engine that evaluated (``bylaw.engine``) and, if native code declined and
            the interpreter stood in, why (``bylaw.fallback``).

        Raises:
            DataError: A column is missing or a value does not fit its field; every
                problem is listed with its table, row and column.
            ArgumentError: No date or period, both, or a malformed one.
        """
        policy = self.with_scenario(scenario) if scenario is not None else self
        table, children = self._tables(data, members, relations)
        if (date is None) == (period is None):
            raise ArgumentError(
                "give a date or a period (not both)\n"
                "  help: e.g. date=\"2024-01-01\" or period=\"2025\""
            )
        if period is not None:
            if reason is not None:
                raise ArgumentError("a reason column is given for a date, not a period")
            result = policy._native.evaluate_period(table, children, str(period), engine=engine, threads=threads)
        else:
            result = policy._native.evaluate(
                table, children, iso_date(date), engine=engine, threads=threads, reason=reason
            )
        return result if outputs is None else select_outputs(result, outputs)

    def why(
        self,
        data: Table,
        id: str,
        date: Optional[DateLike] = None,
        *,
        members: Optional[Table] = None,
        relations: Optional[Mapping[str, Table]] = None,
        decision: Optional[str] = None,
        lang: str = "zh",
        scenario: Optional[ScenarioLike] = None,
    ) -> "Why":
        """Why household ``id`` was decided as it was at ``date``: the decision trace.

        For a region-year table, ``id`` is ``"region:year"`` and ``date`` defaults to
        that year's first day.

        Args:
            decision: The yes/no rule traced (default: ``eligible``, else the last
                yes/no output).
            lang: ``"zh"`` or ``"en"``.

        Raises:
            ArgumentError: No household ``id``, or an unknown decision.
        """
        policy = self.with_scenario(scenario) if scenario is not None else self
        if date is None:
            region_year = str(id).rpartition(":")[2]
            if ":" in str(id) and region_year.isdigit():
                date = f"{region_year}-01-01"
            else:
                raise ArgumentError("give the date to explain the decision at")
        table, children = self._tables(data, members, relations)
        out = policy._native.why(table, children, str(id), iso_date(date), decision=decision, lang=lang)
        return Why(json.loads(out["trace"]), out["text"], out["md"], out["html"])

    def explain(self, lang: str = "zh", format: str = "text", date: Optional[DateLike] = None) -> str:
        """The policy in plain words: every rule, amount and parameter at ``date``
        (default: its effective date), with citations.

        Args:
            lang: ``"zh"`` or ``"en"``.
            format: ``"text"``, ``"md"`` or ``"html"`` (a self-contained page).
        """
        return self._native.explain(lang=lang, format=format, date=iso_date(date))

    def budget(
        self,
        regions: Union[Table, str, "os.PathLike[str]"],
        years: Union[str, int, range],
        *,
        scenario: Optional[ScenarioLike] = None,
        sweep: Optional[str] = None,
        step: Optional[str] = None,
    ) -> "Report":
        """Funds per region and year for a yearly policy, with the limits that bind.

        Args:
            regions: The region-year table (a table, or a CSV/Parquet file).
            years: ``"2021..2025"``, a year, or a ``range`` of years.
            scenario: A what-if applied for this budget only.
            sweep: ``"parameter=from..to"`` to budget a range of a parameter's values.
            step: The sweep's step.
        """
        policy = self.with_scenario(scenario) if scenario is not None else self
        if isinstance(years, range):
            years = f"{years.start}..{years.stop - 1}"
        name = "regions"
        if is_path(regions):
            name = os.fspath(regions)
            regions = _read_file(regions)
        out = policy._native.budget(to_arrow(regions, "regions"), str(years), sweep=sweep, step=step, name=name)
        return Report(out)

    def __repr__(self) -> str:
        return repr(self._native)


class Why:
    """A decision traced: what was decided, from which facts, by which rules.

    Attributes:
        trace: The trace as a dict (as ``bylaw why --format json`` prints it).
        text: The trace rendered as plain text.
        markdown: The trace rendered as Markdown.
        html: The trace as a self-contained HTML page.
    """

    __slots__ = ("trace", "text", "markdown", "html")

    def __init__(self, trace: Dict[str, Any], text: str, markdown: str, html: str) -> None:
        self.trace = trace
        self.text = text
        self.markdown = markdown
        self.html = html

    def __str__(self) -> str:
        return self.text

    def _repr_markdown_(self) -> str:
        return self.markdown


class Report:
    """A report (a comparison, a budget) in every form the command line writes.

    Attributes:
        data: The report as a dict (its JSON form).
        csv: Its table as CSV text.
        text: Its summary as a terminal table.
        html: A self-contained HTML page with its charts.
    """

    __slots__ = ("data", "csv", "text", "html")

    def __init__(self, native: Dict[str, str]) -> None:
        self.data: Dict[str, Any] = json.loads(native["json"])
        self.csv: str = native["csv"]
        self.text: str = native["text"]
        self.html: str = native["html"]

    def to_arrow(self) -> pa.Table:
        """The report's table (its CSV) as a pyarrow Table, amounts as exact decimals
        where the column is money.

        Every column pyarrow would read as floating point (money, percentages) is read
        as text and cast to a decimal with the scale of its most precise value, so no
        amount passes through a float."""
        import io

        import pyarrow.compute as pc
        import pyarrow.csv as pacsv

        data = self.csv.encode()
        inferred = pacsv.read_csv(io.BytesIO(data))
        decimals = [f.name for f in inferred.schema if pa.types.is_floating(f.type)]
        if not decimals:
            return inferred
        options = pacsv.ConvertOptions(
            column_types={name: pa.string() for name in decimals}, strings_can_be_null=True
        )
        table = pacsv.read_csv(io.BytesIO(data), convert_options=options)
        for name in decimals:
            column = table.column(name)
            scale = max((len(v.partition(".")[2]) for v in column.to_pylist() if v), default=0)
            index = table.column_names.index(name)
            table = table.set_column(index, name, pc.cast(column, pa.decimal128(38, scale)))
        return table

    def __str__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return self.html


class Compliance:
    """Service obligations judged against a log.

    Attributes:
        text: The summary per obligation, as the command line prints it.
        log_rows: Rows of the log read.
        counted_rows: Rows counted towards an obligation.
        issues: Rows with an issue (unknown person, outside the period, …).
        output: The folder the detail files were written to, if any.
    """

    __slots__ = ("text", "log_rows", "counted_rows", "issues", "output")

    def __init__(self, native: Dict[str, Any]) -> None:
        self.text: str = native["text"]
        self.log_rows: int = native["log_rows"]
        self.counted_rows: int = native["counted_rows"]
        self.issues: int = native["issues"]
        out = native["output"]
        self.output: Optional[str] = None if out is None else os.fspath(out)

    def __str__(self) -> str:
        return self.text


def diff(
    old: Policy,
    new: Union[Policy, ScenarioLike],
    data: Table,
    *,
    members: Optional[Table] = None,
    relations: Optional[Mapping[str, Table]] = None,
    date: Optional[DateLike] = None,
    period: Optional[str] = None,
    decision: Optional[str] = None,
    amount: Optional[str] = None,
    by: Optional[str] = None,
    weights: Optional[str] = None,
    engine: str = "jit",
    threads: Optional[int] = None,
) -> Report:
    """Compares two versions of a policy over the same households: who gains or
    loses eligibility, how amounts change, by group.

    Args:
        old: The policy as it is.
        new: Another policy, or a scenario (file or dict) applied to ``old``.
        data: The households, as for :meth:`Policy.evaluate`.
        date: The date both are evaluated at; or ``period`` to compare over months.
        decision: The yes/no rule compared (default ``eligible``).
        amount: The money output compared (default: the last amount).
        by: An enumeration field to break results down by (default ``city``).
        weights: A count or decimal field weighting each household.

    Returns:
        A :class:`Report`: ``data`` (summary and groups), ``csv`` (one row per
        household), ``text`` and ``html``.
    """
    if not isinstance(new, Policy):
        new = old.with_scenario(new)
    table, children = old._tables(data, members, relations)
    titles = (old.path or old.name, new.path or new.name)
    if new.path == old.path:
        titles = (old.name, f"{new.name} (scenario)")
    out = _bylaw.diff(
        old._native,
        new._native,
        table,
        children,
        date=iso_date(date),
        period=None if period is None else str(period),
        decision=decision,
        amount=amount,
        by=by,
        weights=weights,
        threads=threads,
        engine=engine,
        titles=titles,
    )
    return Report(out)


def comply(
    policy: Policy,
    period: str,
    log: Union[str, "os.PathLike[str]"],
    *,
    stations: Union[Table, str, "os.PathLike[str]"],
    persons: Optional[Table] = None,
    lang: str = "zh",
    output: Optional[Union[str, "os.PathLike[str]"]] = None,
) -> Compliance:
    """Judges a service log against the obligations of ``policy`` over ``period``.

    Args:
        period: ``"2025"``, ``"2025-Q3"`` or ``"2025-07"``.
        log: The service log (CSV).
        stations: The register of stations: a table, or a CSV file (persons and other
            relations are then read from files beside it, as ``bylaw comply`` does).
        persons: The register's persons as a table, when ``stations`` is a table.
        lang: ``"zh"`` or ``"en"``.
        output: A folder to write the detail (CSV and HTML) into.
    """
    kwargs: Dict[str, Any] = {"lang": lang}
    if is_path(stations):
        kwargs["stations_path"] = os.fspath(stations)
    else:
        kwargs["stations"] = to_arrow(stations, "stations")
        if persons is not None:
            kwargs["persons"] = to_arrow(persons, "persons")
    if output is not None:
        kwargs["output"] = os.fspath(output)
    return Compliance(_bylaw.comply(policy._native, str(period), os.fspath(log), **kwargs))


def _read_file(path: Union[str, "os.PathLike[str]"]) -> pa.Table:
    """A CSV or Parquet file as a table of text columns (CSV) or its own types."""
    path = os.fspath(path)
    if path.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_table(path)
    import pyarrow.csv as pacsv

    with open(path, "rb") as f:
        header = f.readline().decode("utf-8-sig").strip().split(",")
    types = {name: pa.string() for name in header}
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
