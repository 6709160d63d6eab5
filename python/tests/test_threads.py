"""One policy serves many Python threads at once, and an evaluation lets other Python
threads run while the engine works (it releases the GIL)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import List, Tuple

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

import bylaw

THREADS = 8
Slice = Tuple[pa.Table, pa.Table]


@pytest.fixture(scope="module")
def slices(households: pa.Table, members: pa.Table) -> List[Slice]:
    """The bundled households cut into 8 slices, each with its own members."""
    size = -(-households.num_rows // THREADS)
    out = []
    for i in range(THREADS):
        part = households.slice(i * size, size)
        kept = pc.is_in(members.column("household_id"), value_set=part.column("id"))
        out.append((part, members.filter(kept)))
    return out


def _in_threads(policy: bylaw.Policy, slices: List[Slice], settings: List[dict]) -> List[pa.Table]:
    """Evaluates slice i with settings i, all threads released together."""
    start = threading.Barrier(len(slices))

    def work(i: int) -> pa.Table:
        h, m = slices[i]
        start.wait()
        return policy.evaluate(h, members=m, **settings[i])

    with ThreadPoolExecutor(max_workers=len(slices)) as pool:
        return list(pool.map(work, range(len(slices))))


@pytest.mark.parametrize(
    "settings",
    [
        [{"date": "2023-08-01"}] * THREADS,
        [{"date": ("2023-08-01", "2024-01-01", "2022-06-01")[i % 3], "engine": ("jit", "interp")[i % 2]}
         for i in range(THREADS)],
        [{"date": "2023-08-01", "reason": "en"} if i % 2 else {"period": "2023-Q3"} for i in range(THREADS)],
    ],
    ids=["same-date", "dates-and-engines", "reasons-and-periods"],
)
def test_threads_sharing_a_policy_get_the_sequential_results(dibao_path: Path, slices, settings):
    shared = bylaw.load(dibao_path)
    concurrent = _in_threads(shared, slices, settings)
    sequential = [bylaw.load(dibao_path).evaluate(h, members=m, **s) for (h, m), s in zip(slices, settings)]
    for i, (got, expected) in enumerate(zip(concurrent, sequential)):
        assert got.equals(expected), f"slice {i} with {settings[i]}"
    assert sum(t.num_rows for t in concurrent) == 1000


HOUSEHOLDS = 300_000


@pytest.fixture(scope="module")
def large() -> Slice:
    """300,000 generated one-person households (money in whole yuan, as integers)."""
    rng = np.random.default_rng(7)
    ids = pa.array([f"g{i:07d}" for i in range(HOUSEHOLDS)])
    cities = np.array(["guangzhou", "shenzhen", "yunfu", "foshan", "nansha"])
    households = pa.table({
        "id": ids,
        "city": pa.array(cities[rng.integers(0, len(cities), HOUSEHOLDS)]),
        "hukou": pa.array(np.full(HOUSEHOLDS, "local")),
        "residence": pa.array(rng.integers(0, 60, HOUSEHOLDS)),
    })
    members = pa.table({
        "household_id": ids,
        "income": pa.array(rng.integers(0, 3000, HOUSEHOLDS)),
        "age": pa.array(rng.integers(0, 90, HOUSEHOLDS)),
    })
    return households, members


def test_evaluation_releases_the_gil(dibao, large):
    """A pure-Python thread keeps counting while a large evaluation runs: it is never
    held up for as long as half the evaluation. (Were the GIL held while the engine
    works, the counter would stop for nearly all of it.)"""
    households, members = large
    stamps: List[float] = []
    running, stop = threading.Event(), threading.Event()

    def count() -> None:
        n = 0
        running.set()
        while not stop.is_set():
            n += 1
            if n % 64 == 0:
                stamps.append(time.perf_counter())

    counter = threading.Thread(target=count)
    counter.start()
    running.wait()
    begin = time.perf_counter()
    result = dibao.evaluate(households, members=members, date="2023-08-01", threads=1)
    end = time.perf_counter()
    stop.set()
    counter.join()
    assert result.num_rows == HOUSEHOLDS and pc.sum(result.column("eligible")).as_py() > 0
    during = [s for s in stamps if begin < s < end]
    longest_pause = float(np.max(np.diff([begin, *during, end])))
    assert len(during) > 100, "the counter barely ran during the evaluation"
    assert longest_pause < (end - begin) / 2, (
        f"the counter stopped for {longest_pause:.3f} s of a {end - begin:.3f} s evaluation"
    )
