"""Type stubs for ``bylaw._bylaw``, the native half of the package.

Users call the documented wrappers in :mod:`bylaw`; these signatures are what those
wrappers call. Tables are Arrow C stream objects (pyarrow Tables); relations are
``(relation name, table)`` pairs.
"""

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple

import pyarrow as pa

_Relations = Sequence[Tuple[str, Any]]

class Policy:
    @property
    def name(self) -> str: ...
    @property
    def path(self) -> Optional[os.PathLike[str]]: ...
    @property
    def effective(self) -> Optional[str]: ...
    @property
    def source_hash(self) -> str: ...
    @property
    def warnings(self) -> List[str]: ...
    def schema(self) -> Dict[str, Any]: ...
    def parameters(self) -> Dict[str, Tuple[str, Optional[str]]]: ...
    def output_schema(self, reason: bool) -> pa.Schema: ...
    def with_scenario(
        self, *, path: Optional[str] = None, text: Optional[str] = None, name: str = "scenario"
    ) -> Policy: ...
    def evaluate(
        self,
        root: Any,
        relations: _Relations,
        date: str,
        *,
        engine: str = "jit",
        threads: Optional[int] = None,
        reason: Optional[str] = None,
        root_name: str = "data",
    ) -> pa.Table: ...
    def evaluate_period(
        self,
        root: Any,
        relations: _Relations,
        period: str,
        *,
        engine: str = "jit",
        threads: Optional[int] = None,
        root_name: str = "data",
    ) -> pa.Table: ...
    def why(
        self,
        root: Any,
        relations: _Relations,
        id: str,
        date: str,
        *,
        decision: Optional[str] = None,
        lang: str = "zh",
        root_name: str = "data",
    ) -> Dict[str, str]: ...
    def explain(self, *, lang: str = "zh", format: str = "text", date: Optional[str] = None) -> str: ...
    def budget(
        self,
        regions: Any,
        years: str,
        *,
        sweep: Optional[str] = None,
        step: Optional[str] = None,
        name: str = "regions",
    ) -> Dict[str, str]: ...

def load(path: str) -> Policy: ...
def from_text(text: str, name: str = "policy.bylaw") -> Policy: ...
def diff(
    old: Policy,
    new: Policy,
    root: Any,
    relations: _Relations,
    *,
    date: Optional[str] = None,
    period: Optional[str] = None,
    decision: Optional[str] = None,
    amount: Optional[str] = None,
    by: Optional[str] = None,
    weights: Optional[str] = None,
    threads: Optional[int] = None,
    engine: str = "jit",
    titles: Tuple[str, str] = ("OLD", "NEW"),
    root_name: str = "data",
) -> Dict[str, str]: ...
def comply(
    policy: Policy,
    period: str,
    log: str,
    *,
    stations: Optional[Any] = None,
    stations_path: Optional[str] = None,
    persons: Optional[Any] = None,
    relations: _Relations = ...,
    lang: str = "zh",
    output: Optional[str] = None,
    files: str = "all",
) -> Dict[str, Any]: ...
def _engine_seconds(
    policy: Policy,
    root: Any,
    relations: _Relations,
    date: str,
    *,
    engine: str = "jit",
    threads: Optional[int] = None,
    repeat: int = 3,
) -> List[float]: ...
def _panic_for_tests(on_worker: bool = False) -> None: ...
