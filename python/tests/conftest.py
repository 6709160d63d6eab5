"""Fixtures: the repository, its bundled policies and data, and the `bylaw` command line
that produces the reference outputs the package must match.

The command line is ``$BYLAW_BIN`` if set, else ``$CARGO_TARGET_DIR/debug/bylaw``, else
``<repo>/target/debug/bylaw`` (build it with ``cargo build -p bylaw-cli``).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Callable, Sequence, Union

import pyarrow as pa
import pytest

import bylaw
from support import read_text_csv

REPO = Path(__file__).resolve().parents[2]

Cli = Callable[..., subprocess.CompletedProcess]


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository's root."""
    return REPO


@pytest.fixture(scope="session")
def dibao_path() -> Path:
    return REPO / "policies" / "guangdong" / "dibao.bylaw"


@pytest.fixture(scope="session")
def scenario_path() -> Path:
    return REPO / "examples" / "scenarios" / "higher_guangzhou_standard.bylaw"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The bundled synthetic population in the dibao schema (`bylaw synth --households
    1000 --seed 1`): households.csv and members.csv."""
    return REPO / "examples" / "python" / "data"


@pytest.fixture(scope="session")
def dibao(dibao_path: Path) -> bylaw.Policy:
    return bylaw.load(dibao_path)


@pytest.fixture(scope="session")
def households(data_dir: Path) -> pa.Table:
    """The bundled households, every column as text."""
    return read_text_csv(data_dir / "households.csv")


@pytest.fixture(scope="session")
def members(data_dir: Path) -> pa.Table:
    """The bundled members, every column as text."""
    return read_text_csv(data_dir / "members.csv")


def _bylaw_bin() -> Path:
    if "BYLAW_BIN" in os.environ:
        return Path(os.environ["BYLAW_BIN"]).resolve()
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "bylaw"


@pytest.fixture(scope="session")
def cli() -> Cli:
    """Runs the `bylaw` command line: ``cli("eval", policy, data, "--date", d)`` returns
    the completed process; it must exit with ``expect`` (default 0)."""
    binary = _bylaw_bin()
    if not binary.is_file():
        pytest.fail(
            f"the bylaw command line is not at {binary}: build it (cargo build -p bylaw-cli) "
            "or set BYLAW_BIN",
            pytrace=False,
        )

    def run(*args: Union[str, "os.PathLike[str]"], expect: int = 0, cwd: Union[Path, None] = None):
        argv: Sequence[str] = [os.fspath(binary), *map(os.fspath, args)]
        done = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=120)
        assert done.returncode == expect, (
            f"{' '.join(argv[1:])} exited with {done.returncode}, not {expect}:\n{done.stderr}"
        )
        return done

    return run
