"""``Tracer``: watch every gate call as it happens, one printed row per call.

Each row says which gate ran (its name and type), in which phase, what it read
and what it wrote. A written unit is shown with every name it goes by at that
moment, so the guide's question "does ``sg0.u0.grad`` reach
``addg1.utop.grad``?" is answered on screen: the row reads
``sg0.u0 is addg1.utop``, one object held by both gates.

>>> import io
>>> from rich.console import Console
>>> from gates import MultGate, Unit
>>> a, b = Unit(2.0), Unit(-3.0)
>>> mulg = MultGate()
>>> console = Console(file=io.StringIO(), width=80)
>>> with Tracer(console=console, names=vars()) as tracer:
...     out = mulg.forward(a, b)
...     out.grad = 1.0
...     mulg.backward()
>>> [(e.gate_name, e.phase) for e in tracer.events]
[('mulg', 'forward'), ('mulg', 'backward')]
>>> [(w.name, w.before, w.after) for w in tracer.events[1].writes]
[('mulg.u0', 0.0, -3.0), ('mulg.u1', 0.0, 2.0)]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from circuits.formatting import format_number
from circuits.names import NameIndex, Names
from circuits.stepper import Stepper, TraceStopped
from gates import BackwardStep, Gate, GateObserver, Unit
from gates.observe import unwatch, watch

__all__ = ["Read", "TraceEvent", "Tracer", "Write"]

Phase = Literal["forward", "backward"]

# Styles; all text is built as rich Text, never parsed as markup, so a label
# such as "w[0]" shows as written.
_NAME = "bold cyan"
_GATE = "bold"
_PHASE_STYLE = {"forward": "green", "backward": "magenta", "replay": "cyan"}
_NONFINITE = "bold reverse red"


@dataclass(frozen=True)
class Read:
    """A unit a gate read: its ``value`` then, and its ``grad`` if the gate read that.

    In a backward event the first read is the gate's output, whose ``grad`` is
    the upstream gradient the gate passes on.
    """

    unit: Unit
    name: str
    value: float
    grad: float | None = None
    upstream: float | None = None  # in a backward event: what this pass sent into the output


@dataclass(frozen=True)
class Write:
    """A unit a gate wrote: which field, the number before and after.

    ``name`` is what the gate calls the unit (``sg0.u0``); ``also`` lists every
    other name the same object goes by at that moment (``addg1.utop``).
    ``before`` is None for a fresh forward output.
    """

    unit: Unit
    name: str
    also: tuple[str, ...]
    field: Literal["value", "grad"]
    before: float | None
    after: float

    @property
    def change(self) -> float | None:
        """``after - before``: for a grad, what this gate added."""
        return None if self.before is None else self.after - self.before


@dataclass(frozen=True)
class TraceEvent:
    """One gate call, as data: the same facts as the printed row."""

    step: int
    gate: Gate
    gate_name: str
    phase: Phase
    replay: bool  # a forward recomputed in place by Circuit.forward()
    reads: tuple[Read, ...]
    writes: tuple[Write, ...]

    @property
    def gate_type(self) -> str:
        return type(self.gate).__name__


class Tracer(GateObserver):
    """Print one row per gate call while the ``with`` block runs.

    Args:
        console: the rich console to print on (a new one on stdout by default).
        names: a mapping such as ``vars()`` giving the caller's variable names
            for units and gates; units held by named gates are then called
            ``addg1.utop``. Without it, labels and automatic names are used.
            It is read at every event, so at module level (or in a notebook)
            names assigned later show up; inside a function ``vars()`` is a
            snapshot of the locals at the time it is called.
        step: pause after each event (Enter: next, ``c``: run to the end,
            ``q``: stop); runs through when input is not a terminal.
        limit: print and keep at most this many events (a training loop makes
            thousands); later ones are only counted.
        summary: print a table of every unit when the block ends.

    Attributes:
        events: the rows as :class:`TraceEvent` data, in order.
        count: every event seen, including those past ``limit``.

    Example:
        >>> import io
        >>> from rich.console import Console
        >>> from gates import Unit
        >>> x = Unit(3.0, label="x")
        >>> with Tracer(console=Console(file=io.StringIO())) as tracer:
        ...     y = x * x
        ...     y.backward()
        >>> [(e.phase, e.writes[0].after) for e in tracer.events]
        [('forward', 9.0), ('backward', 6.0)]
    """

    def __init__(
        self,
        console: Console | None = None,
        names: Mapping[str, Any] | None = None,
        *,
        step: bool = False,
        limit: int | None = None,
        summary: bool = True,
    ) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise TypeError(f"Tracer limit must be an int or None, got {limit!r}")
        if limit is not None and limit < 0:
            raise ValueError(f"Tracer limit must be 0 or more, got {limit}")
        self.console = console if console is not None else Console()
        self.names = Names(names)
        self.limit = limit
        self.summary_at_end = summary
        self.stepper: Stepper | None = Stepper(self.console) if step else None
        self.events: list[TraceEvent] = []
        self.count = 0
        self._units: dict[Unit, None] = {}
        self._printed_header = False
        self._active = False

    # -- the with block ----------------------------------------------------

    def __enter__(self) -> Tracer:
        if self._active:
            raise RuntimeError("this Tracer is already active; do not nest it in itself")
        self._active = True
        watch(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        self._active = False
        unwatch(self)
        stopped = isinstance(exc, TraceStopped)
        if stopped:
            self.console.print(Text(f"Stopped at step {self.count}.", style="bold"))
        hidden = self.count - len(self.events)
        if hidden:
            self.console.print(
                Text(
                    f"... and {hidden} more gate calls, not shown (limit={self.limit}).",
                    style="dim",
                )
            )
        if self.summary_at_end and self.events:
            self.console.print(self.summary())
        return stopped

    # -- observer hooks ----------------------------------------------------

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        """Observer hook: ``gate`` computed ``output`` (``previous`` set on a replay)."""
        if not self._take():
            return
        self.names.remember(gate)
        index = self.names.snapshot()
        reads = tuple(Read(unit, _name_outside(index, gate, unit), unit.value) for unit in inputs)
        write = _write(index, gate, output, "value", previous, output.value)
        self._record(gate, index, "forward", previous is not None, reads, (write,))

    def gate_backward(self, step: BackwardStep) -> None:
        """Observer hook: a gate added into its inputs' grads."""
        if not self._take():
            return
        gate = step.gate
        self.names.remember(gate)
        index = self.names.snapshot()
        out = gate.utop
        out_name = _name_outside(index, gate, out)
        reads = [Read(out, out_name, out.value, step.output_grad, step.upstream)]
        reads.extend(Read(u, _name_outside(index, gate, u), u.value) for u in gate.inputs)
        writes = tuple(
            _write(index, gate, change.unit, "grad", change.before, change.after)
            for change in step.changes
        )
        self._record(gate, index, "backward", False, tuple(reads), writes)

    def _take(self) -> bool:
        """Count the event; whether to record and print it."""
        self.count += 1
        return self.limit is None or self.count <= self.limit

    def _record(
        self,
        gate: Gate,
        index: NameIndex,
        phase: Phase,
        replay: bool,
        reads: tuple[Read, ...],
        writes: tuple[Write, ...],
    ) -> None:
        event = TraceEvent(self.count, gate, index.gate_name(gate), phase, replay, reads, writes)
        self.events.append(event)
        for read in reads:
            self._units[read.unit] = None
        for write in writes:
            self._units[write.unit] = None
        self.console.print(self._row(event))
        if self.stepper is not None:
            self.stepper.pause(event.step)

    # -- rendering ---------------------------------------------------------

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every unit the recorded events read or wrote, in order of first use."""
        return tuple(self._units)

    def _row(self, event: TraceEvent) -> Table:
        table = _event_table(self.console.width, header=not self._printed_header)
        self._printed_header = True
        table.add_row(*render_event(event))
        return table

    def summary(self) -> Table:
        """A table of every unit seen: value, grad, and every name it goes by."""
        index = self.names.snapshot()
        table = Table(
            title="Units after the run",
            title_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        table.add_column("unit", style=_NAME, overflow="fold")
        table.add_column("value", justify="right", no_wrap=True)
        table.add_column("grad", justify="right", no_wrap=True)
        table.add_column("also known as", overflow="fold")
        for unit in self._units:
            names = index.names_of(unit)
            grad = _number(unit.grad) if unit.requires_grad else Text("no grad", style="dim")
            others = Text(", ".join(names[1:]))
            if not index.is_named(unit):
                # e.g. the first pass's units after a second forward replaced them
                others = Text("(no variable or gate holds it now)", style="dim")
            table.add_row(Text(names[0]), _number(unit.value), grad, others)
        return table

    def __rich__(self) -> RenderableType:
        """A tracer renders as its rows followed by the summary (for notebooks)."""
        rows: list[RenderableType] = []
        table = _event_table(self.console.width, header=True)
        for event in self.events:
            table.add_row(*render_event(event))
        rows.append(table)
        if self.events:
            rows.append(self.summary())
        return Group(*rows)


def _name_outside(index: NameIndex, gate: Gate, unit: Unit) -> str:
    """The unit's best name that is not an attribute of ``gate`` itself.

    Inside ``sg0``'s row, ``sg0.u0`` says nothing new; ``addg1.utop`` says
    where the number came from.
    """
    prefix = index.gate_name(gate) + "."
    names = index.names_of(unit)
    for name in names:
        if not name.startswith(prefix):
            return name
    return names[0]


def _write(
    index: NameIndex,
    gate: Gate,
    unit: Unit,
    field: Literal["value", "grad"],
    before: float | None,
    after: float,
) -> Write:
    name = index.held_as(gate, unit)
    also = tuple(n for n in index.names_of(unit) if n != name)
    return Write(unit, name, also, field, before, after)


def _number(x: float, style: str = "") -> Text:
    """A formatted number; nan and inf stand out."""
    return Text(format_number(x), style=style if math.isfinite(x) else _NONFINITE)


def _event_table(width: int, *, header: bool) -> Table:
    """An empty one-row table whose columns line up with every other event's.

    Each event is printed as it happens, so each is its own table; fixed
    column widths, worked out from the console width, keep them aligned.
    """
    width = min(width, 120)  # wider only spreads the same text thinner
    gate_width = 11 if width < 100 else 16
    # Four gaps between five columns, each a separator and two spaces of padding.
    rest = max(width - 4 - gate_width - 8 - 12, 24)
    reads_width = rest // 2
    table = Table(
        box=box.SIMPLE_HEAD,
        show_header=header,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        header_style="bold",
    )
    table.add_column("#", justify="right", width=4, no_wrap=True)
    table.add_column("gate", width=gate_width, overflow="fold")
    table.add_column("phase", width=8, no_wrap=True)
    table.add_column("reads", width=reads_width, overflow="fold")
    table.add_column("writes", width=rest - reads_width, overflow="fold")
    return table


def render_event(event: TraceEvent) -> tuple[Text, Text, Text, Text, Text]:
    """The five cells of an event's row: step, gate, phase, reads, writes."""
    gate = Text(event.gate_name, style=_GATE)
    gate.append("\n" + event.gate_type, style="dim")
    phase_name = "replay" if event.replay else event.phase
    phase = Text(phase_name, style=_PHASE_STYLE[phase_name])

    reads = Text()
    for read in event.reads:
        if reads:
            reads.append("\n")
        if read.grad is not None:
            reads.append(read.name, style=_NAME)
            reads.append(".grad = ")
            reads.append_text(_number(read.grad))
        else:
            reads.append(read.name, style=_NAME)
            reads.append(" = ")
            reads.append_text(_number(read.value))

    writes = Text()
    for write in event.writes:
        if writes:
            writes.append("\n")
        writes.append(write.name, style=_NAME)
        for other in write.also:
            writes.append(" is ", style="dim")
            writes.append(other, style=_NAME)
        writes.append("\n  " + write.field + " ")
        if write.before is None:
            writes.append("= ")
        else:
            writes.append_text(_number(write.before))
            writes.append(" -> ")
        writes.append_text(_number(write.after, style="bold"))
    return Text(str(event.step)), gate, phase, reads, writes
