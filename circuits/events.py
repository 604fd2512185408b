"""A trace as data: one :class:`TraceEvent` per gate call, with the names a
learner reads and the numbers they would see.

The Tracer prints these events as rows (``circuits/trace_table.py``) and the
trace player serialises the very same objects, so the console, the player and
a test reading ``tracer.events`` cannot disagree.

>>> import textwrap
>>> from gates import MultGate, Unit
>>> a, b = Unit(2.0, label="a"), Unit(3.0, label="b")
>>> g = MultGate().named("mulg")
>>> out = g.forward(a, b)
>>> event = TraceEvent(1, g, "mulg", "forward", False,
...     (Read(a, "a", 2.0), Read(b, "b", 3.0)),
...     (Write(out, "mulg.utop", (), "value", None, 6.0),))
>>> print(textwrap.fill(event.sentence(), 70))
mulg (MultGate) ran forward: it read a = 2.0 and b = 3.0 and wrote its
output mulg.utop: value = 6.0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from circuits.formatting import format_number
from gates import Gate, Unit

__all__ = ["Phase", "Read", "TraceEvent", "Write", "more_names"]

Phase = Literal["forward", "backward"]


@dataclass(frozen=True)
class Read:
    """A unit a gate read: its ``value``, and in a backward event its grad.

    In a backward event the first read is the gate's output. ``grad`` is that
    output's grad as a user would read it, and ``upstream`` what the backward
    pass under way sent into it, which the gate passes on. They differ when an
    earlier backward pass left a grad there: each pass sends only its own
    share (see "One gradient rule" in the docs).
    """

    unit: Unit
    name: str  # the unit's name in this trace, the same in every event
    value: float
    grad: float | None = None
    upstream: float | None = None

    @property
    def upstream_differs(self) -> bool:
        """Whether this pass sends less (or more) than the grad a user reads."""
        return self.upstream is not None and self.grad != self.upstream


@dataclass(frozen=True)
class Write:
    """A unit a gate wrote: which field, the number before and after.

    ``name`` is what the gate calls the unit (``sg0.u0``); ``also`` lists the
    other names the same object goes by at that moment, its name in this
    trace first (``addg1.utop``). ``before`` is None for a fresh forward
    output; a forward replayed in place by ``Circuit.forward()`` has one.
    For a grad, ``before`` and ``after`` are what a user would read.
    ``more`` counts the names through other gates that ``also`` leaves out:
    it lists only the first few through gates with automatic names (``g7.u0``),
    as a weight that a training loop reads is held by a gate of every step.
    """

    unit: Unit
    name: str
    also: tuple[str, ...]
    field: Literal["value", "grad"]
    before: float | None
    after: float
    more: int = 0

    @property
    def change(self) -> float | None:
        """``after - before``: for a grad, what this gate added."""
        return None if self.before is None else self.after - self.before


@dataclass(frozen=True)
class TraceEvent:
    """One gate call, as data: the same facts as the printed row.

    ``phase`` is ``"forward"`` or ``"backward"``; ``replay`` marks a forward
    that ``Circuit.forward()`` recomputed in place (its write has a ``before``).
    """

    step: int
    gate: Gate
    gate_name: str
    phase: Phase
    replay: bool
    reads: tuple[Read, ...]
    writes: tuple[Write, ...]

    @property
    def gate_type(self) -> str:
        return type(self.gate).__name__

    def sentence(self) -> str:
        """The event in words, as the trace player says it."""
        who = f"{self.gate_name} ({self.gate_type})"
        if self.phase == "forward":
            read = _and([f"{r.name} = {format_number(r.value)}" for r in self.reads])
            (write,) = self.writes
            how = (
                f"value = {format_number(write.after)}"
                if write.before is None
                else f"value {format_number(write.before)} -> {format_number(write.after)}, "
                "in place"
            )
            where = "replayed forward" if self.replay else "ran forward"
            return f"{who} {where}: it read {read} and wrote its output {_aliases(write)}: {how}."
        upstream, *inputs = self.reads
        sent = f"{upstream.name}.grad = {format_number(upstream.grad)}"
        if upstream.upstream_differs:
            sent += f" (this backward pass sends {format_number(upstream.upstream)})"
        values = _and([f"{r.name} = {format_number(r.value)}" for r in inputs])
        parts = [
            f"{_aliases(w)}: grad {format_number(w.before)} -> {format_number(w.after)}"
            for w in self.writes
        ]
        wrote = _and(parts) if parts else "nothing (no input takes a gradient)"
        return f"{who} ran backward: it read {sent} and {values}, and wrote {wrote}."


def _aliases(write: Write) -> str:
    names = " is ".join((write.name, *write.also))
    return f"{names} ({more_names(write.more)})" if write.more else names


def more_names(count: int) -> str:
    """How a trace says that ``count`` names were left out of a list.

    >>> more_names(196)
    'and 196 more names through other gates'
    """
    return f"and {count} more name{'' if count == 1 else 's'} through other gates"


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]
