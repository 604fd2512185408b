"""Timing and memory helpers: repeat, take the median, report the spread."""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Figure:
    """One measured row: nanoseconds per op over several repeats."""

    workload: str
    engine: str
    ops: int
    seconds: list[float] = field(default_factory=list)
    note: str = ""
    bytes_per_op: float | None = None

    @property
    def ns_per_op(self) -> float:
        return statistics.median(self.seconds) / self.ops * 1e9

    @property
    def spread(self) -> float:
        """(max - min) / median over the repeats: how noisy the row is."""
        med = statistics.median(self.seconds)
        return (max(self.seconds) - min(self.seconds)) / med if med else 0.0

    def as_json(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "workload": self.workload,
            "engine": self.engine,
            "ops": self.ops,
            "ns_per_op": round(self.ns_per_op, 2),
            "min_ns_per_op": round(min(self.seconds) / self.ops * 1e9, 2),
            "max_ns_per_op": round(max(self.seconds) / self.ops * 1e9, 2),
            "spread": round(self.spread, 3),
            "repeats": len(self.seconds),
        }
        if self.bytes_per_op is not None:
            row["bytes_per_op"] = round(self.bytes_per_op, 1)
        if self.note:
            row["note"] = self.note
        return row


def timed(
    workload: str,
    engine: str,
    ops: int,
    run: Callable[[], object],
    *,
    repeats: int,
    warmup: int = 1,
    setup: Callable[[], object] | None = None,
    note: str = "",
) -> Figure:
    """Time ``run()`` ``repeats`` times (after ``warmup`` untimed runs).

    The garbage collector stays as the user has it (on, by default): its cost
    is part of what users feel. ``setup()``, if given, runs untimed before
    each call.
    """
    figure = Figure(workload, engine, ops, note=note)
    for index in range(warmup + repeats):
        if setup is not None:
            setup()
        start = time.perf_counter()
        run()
        elapsed = time.perf_counter() - start
        if index >= warmup:
            figure.seconds.append(elapsed)
    return figure


def peak_bytes(run: Callable[[], object]) -> int:
    """Peak memory traced while ``run()`` builds and keeps its result alive."""
    tracemalloc.start()
    try:
        result = run()
        _, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return peak
