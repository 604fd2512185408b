"""Timing in interleaved rounds, and the memory a built graph keeps.

On a noisy machine an engine's absolute time moves by tens of percent from
one minute to the next, so the figures that mean something are *ratios of
runs made side by side*. :func:`interleave` times every contestant once per
round, rotating their order each round (so no engine always runs first, or
always right after the one that leaves the most garbage), and keeps every
run's time; :class:`Rounds` turns them into per-round ratios and their
spread.

Before each timed run the collector is run untimed (``gc.collect()``), so no
engine is charged for the garbage the previous one left; the time that
collection takes is kept as the *leftover* of the run before it. Within a
timed run the collector is as the caller left it (on, unless a section
turns it off): an engine pays for the collections its own allocations set off.
"""

from __future__ import annotations

import contextlib
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

LIVE = "live"  # the imports' objects in the collector's sight, as users run it
FROZEN = "frozen"  # everything alive before the section hidden with gc.freeze()


@dataclass(frozen=True)
class Contestant:
    """One engine's way of running a workload.

    ``run()`` does the timed work (a few steps of it, as a training loop
    would) and returns something small for ``check`` to look at, never the
    graph itself: the graph is freed inside the timed run, as it would be in
    a loop. A run that times only part of its work returns
    :class:`SelfTimed`. ``ops`` is the op count its time is divided by.
    """

    name: str
    run: Callable[[], object]
    ops: int
    check: Callable[[object], None] | None = None
    note: str = ""


@dataclass(frozen=True)
class SelfTimed:
    """What a run returns when it times itself: the seconds to count, and
    the answer for ``check``."""

    seconds: float
    answer: object


@dataclass(frozen=True)
class Spread:
    """The min, median and max of a few per-round figures."""

    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(min(values), statistics.median(values), max(values))

    def straddles(self, limit: float) -> bool:
        """Whether ``limit`` lies between the lowest and the highest round."""
        return self.low <= limit <= self.high

    def as_json(self, digits: int = 4) -> dict[str, float]:
        return {
            "min": round(self.low, digits),
            "median": round(self.median, digits),
            "max": round(self.high, digits),
        }


@dataclass
class Rounds:
    """Every timed run of one workload: per mode, per contestant, per round."""

    workload: str
    base: str  # the contestant ratios are taken of: base / other
    contestants: list[Contestant]
    modes: tuple[str, ...]
    seconds: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    leftover: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)  # contestant -> why

    def names(self) -> list[str]:
        return [c.name for c in self.contestants]

    def ops(self, name: str) -> int:
        return next(c.ops for c in self.contestants if c.name == name)

    def ns_per_op(self, mode: str, name: str) -> list[float]:
        """Each round's time of ``name`` in nanoseconds per op."""
        ops = self.ops(name)
        return [s / ops * 1e9 for s in self.seconds[mode, name]]

    def ratios(self, mode: str, other: str) -> list[float]:
        """Each round's ns/op of the base contestant over ``other``'s."""
        return [b / o for b, o in zip(self.ns_per_op(mode, self.base), self.ns_per_op(mode, other))]

    def ratio(self, mode: str, other: str) -> Spread:
        return Spread.of(self.ratios(mode, other))

    def as_json(self) -> dict[str, Any]:
        per_mode: dict[str, Any] = {}
        for mode in self.modes:
            rows: dict[str, Any] = {}
            for c in self.contestants:
                if (mode, c.name) not in self.seconds:
                    continue
                row: dict[str, Any] = {
                    "ops": c.ops,
                    "ns_per_op": Spread.of(self.ns_per_op(mode, c.name)).as_json(2),
                    "leftover_collect_ms": round(
                        statistics.median(self.leftover[mode, c.name]) * 1e3, 2
                    ),
                }
                if c.name != self.base:
                    row["base_over_this"] = self.ratio(mode, c.name).as_json()
                if c.note:
                    row["note"] = c.note
                rows[c.name] = row
            per_mode[mode] = rows
        out: dict[str, Any] = {"base": self.base, "rounds": self.round_count(), **per_mode}
        if self.skipped:
            out["skipped"] = self.skipped
        return out

    def round_count(self) -> int:
        return min((len(v) for v in self.seconds.values()), default=0)


def rotated(items: Sequence[Any], by: int) -> list[Any]:
    """``items`` rotated left by ``by`` places."""
    if not items:
        return []
    k = by % len(items)
    return [*items[k:], *items[:k]]


# What a run may raise that makes its engine "n/a" for the workload rather
# than ending the bench (a wrong gradient, say, still ends it).
CANNOT_RUN = (RecursionError, MemoryError)


def interleave(
    workload: str,
    base: str,
    contestants: Sequence[Contestant],
    *,
    rounds: int,
    modes: Sequence[str] = (LIVE,),
    warmup: bool = True,
) -> Rounds:
    """Time every contestant once per round, in every mode, in rotated order.

    Round ``r`` runs the modes rotated by ``r`` and, within each mode, the
    contestants rotated by ``r``. ``FROZEN`` mode runs with everything alive
    at that moment hidden from the collector (``gc.freeze()``; mostly the
    objects the imports made), ``LIVE`` with them in its sight. ``warmup``
    runs one untimed round first (the first runs of a workload are slower,
    caches being cold; skip it for runs of seconds). A contestant whose run raises one of
    ``CANNOT_RUN`` is dropped from the workload, the reason kept in
    ``Rounds.skipped``.
    """
    result = Rounds(workload, base, list(contestants), tuple(modes))
    if warmup:
        for c in contestants:
            c.run()
    previous: tuple[str, str] | None = None
    for r in range(rounds):
        for mode in rotated(modes, r):
            for c in rotated(contestants, r):
                if c.name in result.skipped:
                    continue
                leftover = _collect()
                if previous is not None:
                    result.leftover.setdefault(previous, []).append(leftover)
                    previous = None
                try:
                    with _frozen(mode == FROZEN):
                        start = time.perf_counter()
                        answer = c.run()
                        elapsed = time.perf_counter() - start
                except CANNOT_RUN as exc:
                    result.skipped[c.name] = f"{type(exc).__name__}: {exc}"
                    continue
                if isinstance(answer, SelfTimed):
                    elapsed, answer = answer.seconds, answer.answer
                if c.check is not None:
                    c.check(answer)
                del answer
                result.seconds.setdefault((mode, c.name), []).append(elapsed)
                previous = (mode, c.name)
    if previous is not None:
        result.leftover.setdefault(previous, []).append(_collect())
    for name in result.skipped:
        result.contestants = [c for c in result.contestants if c.name != name]
        for mode in modes:
            result.seconds.pop((mode, name), None)
            result.leftover.pop((mode, name), None)
    return result


def _collect() -> float:
    """Run a full collection; return how long it took."""
    start = time.perf_counter()
    gc.collect()
    return time.perf_counter() - start


@contextlib.contextmanager
def _frozen(freeze: bool) -> Iterator[None]:
    """Hide every object alive now from the collector, for the block.

    Called right after a full collection, so no garbage is frozen with them.
    """
    if not freeze:
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextlib.contextmanager
def collector_off() -> Iterator[None]:
    """The garbage collector disabled for the block (and restored after)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def kept_bytes(build: Callable[[], object]) -> tuple[int, int]:
    """(bytes kept, peak bytes) traced while ``build()`` makes and holds its result.

    "Kept" is what is still allocated once ``build`` has returned, with the
    result alive: the size of the built graph.
    """
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        result = build()
        now, peak = tracemalloc.get_traced_memory()
        del result
    finally:
        tracemalloc.stop()
    return now - before, peak - before
