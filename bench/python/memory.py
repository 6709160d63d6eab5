"""Peak resident memory of a process tree, sampled from ``/proc`` (Linux).

A Spark ``local[2]`` run is three kinds of process: the Python driver, the JVM it
starts (driver and executor in one), and the Python workers the JVM forks for UDFs
(``pyspark.daemon`` and its children). :class:`TreeSampler` reads the resident set
size (``VmRSS``) of every process below a root every 50 ms and keeps, for each kind,
the peak of their sum. Sampling can miss a spike shorter than the interval; the
kernel's own high-water mark (``VmHWM``) is per process and is lost when a worker
exits, so it cannot give the peak of a sum.
"""

from __future__ import annotations

import threading
from pathlib import Path

INTERVAL_S = 0.05


class TreeSampler:
    """Samples the memory of ``root`` and its descendants until the ``with`` block ends.

    Parameters
    ----------
    root
        Process id of the Python driver.
    """

    def __init__(self, root: int) -> None:
        self._root = root
        self._peaks = {"driver": 0, "jvm": 0, "workers": 0, "total": 0}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peaks(self) -> dict[str, int]:
        """Peak bytes by kind: ``driver``, ``jvm``, ``workers``, and ``total``."""
        return dict(self._peaks)

    def _run(self) -> None:
        while not self._stop.wait(INTERVAL_S):
            now = {"driver": 0, "jvm": 0, "workers": 0}
            for pid in _descendants(self._root) | {self._root}:
                rss, name = _rss_and_name(pid)
                if pid == self._root:
                    now["driver"] += rss
                elif name == "java":
                    now["jvm"] += rss
                else:
                    now["workers"] += rss
            now["total"] = sum(now.values())
            for kind, value in now.items():
                self._peaks[kind] = max(self._peaks[kind], value)


def _descendants(root: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The command name is in parentheses and may hold spaces: split after it.
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _rss_and_name(pid: int) -> tuple[int, str]:
    rss, name = 0, ""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Name:"):
                name = line.split()[1]
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1]) * 1024
    except OSError:
        pass
    return rss, name
