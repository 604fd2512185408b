"""What the sections found: settings, floors, the report, and its table and JSON."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any

import workloads as wl
from measure import FROZEN, LIVE, Rounds, Spread


class Mismatch(AssertionError):
    """Two engines (or an engine and the hand-written code) disagree."""


def close(a: float, b: float, what: str, tol: float = 1e-8) -> None:
    if not math.isclose(a, b, rel_tol=tol, abs_tol=tol):
        raise Mismatch(f"{what}: {a!r} != {b!r}")


@dataclass(frozen=True)
class Settings:
    """Sizes and round counts: the full run, or ``--quick``."""

    rounds: int
    modes: tuple[str, ...]
    neurons: int = 2_000
    random_circuits: int = 2_000
    mlp_points: int = 64
    mlp_steps: int = 3  # steps per timed run, as in a training loop
    chain_short: int = 1_000
    chain_short_repeats: int = 200  # chains per timed run at the short length
    chain_long: int = 1_000_000
    long_rounds: int = 2  # rounds of the gc-on side by side at the long length (~30 s each)
    # The neuron and the random circuits take ~0.1 s a run, and their per-round
    # ratios spread the most (0.7 to 1.3 within one run): three times the
    # rounds, so that their medians are steadier.
    small_rounds: int = 21
    batch: int = 1_024
    batch_steps: int = 20  # batched runs per timed run (one takes ~1 ms)

    @classmethod
    def full(cls, rounds: int, modes: tuple[str, ...]) -> Settings:
        return cls(
            rounds=rounds, modes=modes, long_rounds=max(1, rounds // 3), small_rounds=3 * rounds
        )

    @classmethod
    def quick(cls, rounds: int, modes: tuple[str, ...]) -> Settings:
        return cls(
            rounds=rounds,
            modes=modes,
            small_rounds=rounds,
            neurons=500,
            random_circuits=500,
            mlp_steps=1,
            chain_short_repeats=50,
            chain_long=100_000,
            long_rounds=1,
            batch_steps=5,
        )


@dataclass(frozen=True)
class Floor:
    """A ratio the engine must stay at or under, judged on the live median."""

    label: str
    limit: float
    measured: dict[str, Spread]  # per mode

    @property
    def passed(self) -> bool:
        return self.measured[LIVE].median <= self.limit

    def as_json(self) -> dict[str, Any]:
        return {
            "floor": self.label,
            "limit": self.limit,
            "passed": self.passed,
            **{mode: spread.as_json() for mode, spread in self.measured.items()},
        }


@dataclass
class Report:
    """What the sections found, for the table and the JSON line."""

    settings: Settings
    engines: list[wl.Engine]
    rounds: list[Rounds] = field(default_factory=list)
    floors: list[Floor] = field(default_factory=list)
    memory: dict[str, Any] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)  # engines that did not import

    def floor(self, label: str, rounds: Rounds, other: str, limit: float) -> None:
        """A floor on ``rounds``' ratio of its base over ``other``, if ``other`` ran."""
        if (LIVE, other) not in rounds.seconds:
            self.notes[label] = f"not measured: {other} did not run"
            return
        measured = {
            mode: rounds.ratio(mode, other)
            for mode in rounds.modes
            if (mode, other) in rounds.seconds
        }
        self.floors.append(Floor(label, limit, measured))

    def as_json(self) -> dict[str, Any]:
        return {
            "settings": {
                k: list(v) if isinstance(v, tuple) else v for k, v in vars(self.settings).items()
            },
            "engines": [e.name for e in self.engines],
            "unavailable": self.unavailable,
            "workloads": {r.workload: r.as_json() for r in self.rounds},
            "floors": [f.as_json() for f in self.floors],
            "all_floors_passed": all(f.passed for f in self.floors),
            "memory": self.memory,
            "notes": self.notes,
        }


# -- the table ----------------------------------------------------------------


def _spread_text(spread: Spread) -> str:
    return f"{spread.median:.3f} [{spread.low:.3f}-{spread.high:.3f}]"


def _ns_text(ns: float) -> str:
    return f"{ns:,.1f}" if ns >= 10 else f"{ns:,.3f}"


def print_report(report: Report) -> None:
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    modes = report.settings.modes
    console = Console(width=170)
    table = Table(
        title=escape(
            "ns per op: median of the interleaved rounds. base/this: the per-round ratio of "
            "the workload's base over this contestant, median [min-max]; below 1: the base "
            "is faster"
        ),
        title_justify="left",
    )
    table.add_column("workload")
    table.add_column("contestant")
    table.add_column("ops", justify="right")
    for mode in modes:
        table.add_column(f"ns/op {mode}", justify="right")
        table.add_column(f"base/this {mode}", justify="right")
    table.add_column("left for gc, ms", justify="right")
    table.add_column("note")
    for rounds in report.rounds:
        table.add_section()
        for index, c in enumerate(rounds.contestants):
            cells = [rounds.workload if index == 0 else "", c.name, f"{c.ops:,}"]
            for mode in modes:
                if (mode, c.name) not in rounds.seconds:
                    cells += ["", ""]
                    continue
                cells.append(_ns_text(statistics.median(rounds.ns_per_op(mode, c.name))))
                cells.append(
                    "base" if c.name == rounds.base else _spread_text(rounds.ratio(mode, c.name))
                )
            left = rounds.leftover.get((LIVE, c.name))
            cells.append(f"{statistics.median(left) * 1e3:,.1f}" if left else "")
            cells.append(c.note)
            table.add_row(*cells)
        if rounds.round_count():
            count = rounds.round_count()
            table.add_row("", f"({count} round{'s' * (count != 1)})", *[""] * (2 * len(modes) + 3))
    console.print(table)

    floors = Table(
        title="floors: judged on the live median of the per-round ratios", title_justify="left"
    )
    columns = ["floor", "limit", f"measured {LIVE}", "verdict"]
    if FROZEN in modes:
        columns.append(f"measured {FROZEN}")
    for col in columns:
        floors.add_column(col, justify="left" if col == "floor" else "right")
    for f in report.floors:
        live = f.measured[LIVE]
        verdict = "[green]PASS[/green]" if f.passed else "[red]FAIL[/red]"
        if len({live.low, live.high}) > 1 and live.straddles(f.limit):
            verdict += " (rounds straddle the limit)"
        cells = [f.label, f"<= {f.limit:g}", _spread_text(live), verdict]
        if FROZEN in modes:
            frozen = f.measured.get(FROZEN)
            cells.append(_spread_text(frozen) if frozen is not None else "(not run frozen)")
        floors.add_row(*cells)
    console.print(floors)
    if report.memory:
        console.print(f"memory, {report.memory['workload']} (tracemalloc, bytes per gate):")
        for name, figures in report.memory.items():
            if isinstance(figures, dict):
                console.print(
                    f"  {name:10} kept {figures['kept_bytes_per_gate']:8,.1f}"
                    f"   peak {figures['peak_bytes_per_gate']:8,.1f}"
                )
    for what, note in {**report.unavailable, **report.notes}.items():
        console.print(f"note: {what}: {note}")
