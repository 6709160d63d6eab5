"""Exceptions raised by Bylaw.

Every exception derives from :class:`BylawError`. A policy that does not check raises
:class:`PolicyError` with each diagnostic; data that does not fit the policy raises
:class:`DataError` with each problem located by table, row and column. A fault inside
the engine is reported as :class:`InternalError`, never as a crash of the interpreter.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

__all__ = [
    "BylawError",
    "PolicyError",
    "DataError",
    "ArgumentError",
    "EvaluationError",
    "InternalError",
    "Diagnostic",
    "DataProblem",
]


@dataclass(frozen=True)
class Diagnostic:
    """One finding of the checker, as ``bylaw check`` reports it.

    Attributes:
        code: The diagnostic's code, e.g. ``"E0003"``.
        severity: ``"error"`` or ``"warning"``.
        message: What is wrong.
        file: The file it points into, if any.
        line: The 1-based line, if any.
        column: The 1-based column, if any.
        help: What to do about it, if the checker knows.
    """

    code: str
    severity: str
    message: str
    file: Optional[str] = None
    line: Optional[int] = None
    column: Optional[int] = None
    help: Optional[str] = None


@dataclass(frozen=True)
class DataProblem:
    """One problem found reading a table.

    Attributes:
        code: The error's code, e.g. ``"bylaw::data::bad_value"``.
        table: The table's name (``"data"``, ``"members"``) or file.
        row: The 1-based number of the record, if the problem is in one.
        column: The column, if the problem is in one.
        value: The offending value as written, if any.
        message: What is wrong.
        help: What to do about it, if known.
    """

    code: str
    table: str
    message: str
    row: Optional[int] = None
    column: Optional[str] = None
    value: Optional[str] = None
    help: Optional[str] = None

    @property
    def index(self) -> Optional[int]:
        """The 0-based position of the record, as pandas and pyarrow count rows."""
        return None if self.row is None else self.row - 1


class BylawError(Exception):
    """The base of every exception Bylaw raises."""


class PolicyError(BylawError):
    """A policy or scenario that does not check.

    ``str(error)`` renders every diagnostic as the command line does;
    :attr:`diagnostics` holds them one by one.
    """

    def __init__(self, message: str, diagnostics: Sequence[dict] = ()) -> None:
        super().__init__(message)
        self.diagnostics: List[Diagnostic] = [
            d if isinstance(d, Diagnostic) else Diagnostic(**d) for d in diagnostics
        ]


class DataError(BylawError, ValueError):
    """Data that does not fit the policy: a missing column, a value of the wrong type.

    :attr:`problems` holds every problem found (up to a cap; :attr:`omitted` counts
    the rest), each naming its table, row, column and expected type.
    """

    def __init__(
        self, message: str, problems: Sequence[dict] = (), omitted: int = 0
    ) -> None:
        super().__init__(message)
        self.problems: List[DataProblem] = [
            p if isinstance(p, DataProblem) else DataProblem(**p) for p in problems
        ]
        self.omitted = omitted


class ArgumentError(BylawError, ValueError):
    """An argument Bylaw cannot use: an unknown engine, a malformed date or period."""

    def __init__(self, message: str, code: str = "bylaw::argument") -> None:
        super().__init__(message)
        self.code = code


class EvaluationError(BylawError):
    """An evaluation that could not run at all (not a household's own error, which is
    reported in the result's ``error`` columns)."""

    def __init__(self, message: str, code: str = "bylaw::evaluation") -> None:
        super().__init__(message)
        self.code = code


class InternalError(BylawError):
    """A fault inside the engine: a bug in Bylaw, caught before it reached Python."""
