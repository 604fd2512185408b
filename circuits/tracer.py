"""``Tracer``: watch every gate call, one row per call.

Each row says which gate ran (its name and type), in which phase, what it read
and what it wrote. A written unit is shown with every name it goes by at that
moment, so the guide's question "does ``sg0.u0.grad`` reach
``addg1.utop.grad``?" is answered on screen: the row reads
``sg0.u0 is addg1.utop``, one object held by both gates. A unit keeps one
name in every row of a trace. Of the gates with only automatic names that hold
a written unit, a row names the first three and counts the rest, as a weight
is held by a gate of every training step.

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
>>> [(w.name, w.also, w.before, w.after) for w in tracer.events[1].writes]
[('mulg.u0', ('a',), 0.0, -3.0), ('mulg.u1', ('b',), 0.0, 2.0)]
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console, Group, RenderableType
from rich.text import Text

from circuits.events import Phase, Read, TraceEvent, Write
from circuits.names import NameIndex, Names, is_automatic_rank, is_given_rank
from circuits.stepper import Stepper, TraceStopped
from circuits.trace_table import event_table, legend, print_plain, render_event, unit_table
from gates import BackwardStep, Gate, GateObserver, Unit
from gates.observe import unwatch, watch

if TYPE_CHECKING:
    from circuits.player import Player
    from circuits.player.page import LayoutEngine

__all__ = ["Read", "TraceEvent", "Tracer", "Write"]


# A read: (unit, its value, its grad and this pass's share, in a backward event).
_RawRead = tuple[Unit, float, float | None, float | None]
# A name as parts: (rank, the gate of a path or None, attribute or name).
_Part = tuple[int, Gate | None, str]
# (unit, the attribute the gate holds it by, the names it went by then, how many more paths
# through other gates it had, field, before, after)
_RawWrite = tuple[Unit, str | None, list[_Part], int, Literal["value", "grad"], float | None, float]

# A written unit's names list at most this many paths through gates with automatic
# names (and counts the rest): a weight is held by a gate of every training step.
AUTOMATIC_PATHS = 3


@dataclass
class _Call:
    """One gate call as it happened: the numbers, and the names known then."""

    step: int
    gate: Gate
    phase: Phase
    replay: bool
    reads: list[_RawRead]
    writes: list[_RawWrite]


class Tracer(GateObserver):
    """Show one row per gate call while the ``with`` block runs.

    Args:
        console: the rich console to print on (a new one on stdout by default).
        names: a mapping such as ``vars()`` giving the caller's variable names
            for units and gates; units held by named gates are then called
            ``addg1.utop``. Without it, labels and automatic names are used.
            At module level (or in a notebook) names assigned later show up;
            inside a function ``vars()`` is a snapshot of the locals.
        step: pause after each event (Enter or space: next, ``c``: run to the end,
            ``q``: stop); runs through when input is not a terminal.
        limit: print and keep at most this many events (a training loop makes
            thousands); later ones are only counted.
        summary: print a table of every unit when the block ends.
        live: print each row as its gate call happens, naming each unit by
            the best name known then and keeping it; with ``live=False``
            every row is printed when the block ends, and each unit is named
            by the name it has then, such as the variable a later line gave
            it (what ``circuits trace`` does).

    Attributes:
        events: the rows as :class:`TraceEvent` data, in order, with the
            names the rows show.
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
        live: bool = True,
    ) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int)):
            raise TypeError(f"Tracer limit must be an int or None, got {limit!r}")
        if limit is not None and limit < 0:
            raise ValueError(f"Tracer limit must be 0 or more, got {limit}")
        if names is not None and not isinstance(names, Mapping):
            raise TypeError(
                f"Tracer names must be a mapping such as vars(), got {names!r} "
                f"({type(names).__name__})"
            )
        if console is not None and not isinstance(console, Console):
            raise TypeError(
                f"Tracer console must be a rich Console, got {console!r} "
                f"({type(console).__name__}); leave it out to print on stdout"
            )
        self.console = console if console is not None else Console()
        self.names = Names(names)
        self.limit = limit
        self.summary_at_end = summary
        self.live = live
        self.stepper: Stepper | None = Stepper(self.console) if step else None
        self.events: list[TraceEvent] = []
        self.count = 0
        self._calls: list[_Call] = []
        self._notes: list[tuple[int, str]] = []  # (events before it, text): the script's output
        self._units: dict[Unit, None] = {}  # every unit seen, in order of first use
        # unit id -> (rank, first seen) of the best name seen so far, and that name
        self._best: dict[int, tuple[tuple[int, int], Gate | None, str]] = {}
        self._seen_names: dict[tuple[int, int, str], int] = {}
        self._order = itertools.count()
        self._shown: dict[int, str] = {}  # names fixed once shown (live rows)
        self._shown_gates: dict[int, str] = {}
        self._live_index: NameIndex | None = None
        self._final: NameIndex | None = None
        self._printed_header = False
        self._explained_shares = False
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
        if not self.live:
            self._final = self.names.snapshot(fresh=True)
            self.events = [
                self._event(call, self._final_name, self._final_gate_name) for call in self._calls
            ]
            self._print_rows(range(len(self.events)), with_notes=True)
        stopped = isinstance(exc, TraceStopped)
        if stopped:
            print_plain(self.console, Text(f"Stopped at step {self.count}.", style="bold"))
        hidden = self.count - len(self.events)
        if hidden:
            message = f"... and {hidden} more gate calls, not shown (limit={self.limit})."
            print_plain(self.console, Text(message, style="dim"))
        if self.summary_at_end and self.events:
            print_plain(self.console, self.summary())
        return stopped

    def note(self, text: str) -> None:
        """Show ``text`` (a line the traced script printed) between the rows,
        where it happened."""
        if self.live:
            print_plain(self.console, Text(text))
        else:
            self._notes.append((len(self._calls), text))

    # -- observer hooks ----------------------------------------------------

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        """Observer hook: ``gate`` computed ``output`` (``previous`` set on a replay)."""
        if not self._take():
            return
        index = self._index(gate)
        reads: list[_RawRead] = [(unit, unit.value, None, None) for unit in inputs]
        write = self._write(index, gate, output, "value", previous, output.value)
        self._record(gate, index, "forward", previous is not None, reads, [write])

    def gate_backward(self, step: BackwardStep) -> None:
        """Observer hook: a gate added into its inputs' grads."""
        if not self._take():
            return
        gate = step.gate
        index = self._index(gate)
        out = gate.utop
        reads: list[_RawRead] = [(out, out.value, step.output_grad, step.upstream)]
        reads.extend((unit, unit.value, None, None) for unit in gate.inputs)
        writes = [
            self._write(index, gate, change.unit, "grad", change.before, change.after)
            for change in step.changes
        ]
        self._record(gate, index, "backward", False, reads, writes)

    def _take(self) -> bool:
        """Count the event; whether to record and print it."""
        self.count += 1
        return self.limit is None or self.count <= self.limit

    def _index(self, gate: Gate) -> NameIndex:
        self.names.remember(gate)
        return self.names.snapshot()

    def _write(
        self,
        index: NameIndex,
        gate: Gate,
        unit: Unit,
        field: Literal["value", "grad"],
        before: float | None,
        after: float,
    ) -> _RawWrite:
        from circuits.names import attribute_of

        attribute = attribute_of(gate, unit)
        own = None if attribute is None else (gate, attribute)
        parts, more = index.counted_parts(unit, AUTOMATIC_PATHS, always=own)
        return (unit, attribute, parts, more, field, before, after)

    def _record(
        self,
        gate: Gate,
        index: NameIndex,
        phase: Phase,
        replay: bool,
        reads: list[_RawRead],
        writes: list[_RawWrite],
    ) -> None:
        for unit in [r[0] for r in reads] + [w[0] for w in writes]:
            self._units[unit] = None
            for part in index.parts(unit, 0):  # (a path through g7 is never the best name)
                self._saw(unit, part)
        call = _Call(self.count, gate, phase, replay, reads, writes)
        self._calls.append(call)
        if self.live:
            self._live_index = index
            self.events.append(self._event(call, self._live_name, self._live_gate_name))
            self._print_rows([len(self.events) - 1], with_notes=False)
            if self.stepper is not None:
                self.stepper.pause(call.step)

    # -- names -------------------------------------------------------------

    def _saw(self, unit: Unit, part: _Part) -> None:
        """Note that ``unit`` went by this name; the best (rank, first seen) wins."""
        rank, gate, text = part
        key = (id(unit), 0 if gate is None else id(gate), text)
        seen = self._seen_names.setdefault(key, next(self._order))
        best = self._best.get(id(unit))
        if best is None or (rank, seen) < best[0]:
            self._best[id(unit)] = ((rank, seen), gate, text)

    def _live_gate_name(self, gate: Gate) -> str:
        """The gate's name when first shown, kept from then on."""
        name = self._shown_gates.get(id(gate))
        if name is None:
            assert self._live_index is not None
            name = self._shown_gates[id(gate)] = self._live_index.gate_name(gate)
        return name

    def _live_name(self, unit: Unit) -> str:
        """The best name known when the unit is first shown, kept from then on."""
        name = self._shown.get(id(unit))
        if name is None:
            _, gate, text = self._best[id(unit)]
            name = text if gate is None else f"{self._live_gate_name(gate)}.{text}"
            self._shown[id(unit)] = name
        return name

    def _final_gate_name(self, gate: Gate) -> str:
        assert self._final is not None
        return self._final.gate_name(gate)

    def _final_name(self, unit: Unit) -> str:
        """A name given to the unit now (a variable, a label), else the best it had."""
        assert self._final is not None
        given = [part for part in self._final.parts(unit, 0) if is_given_rank(part[0])]
        if given:

            def order(part: _Part) -> tuple[int, int]:
                rank, gate, text = part
                key = (id(unit), 0 if gate is None else id(gate), text)
                return rank, self._seen_names.get(key, 1 << 60)

            _, gate, text = min(given, key=order)
        else:
            _, gate, text = self._best[id(unit)]
        return text if gate is None else f"{self._final_gate_name(gate)}.{text}"

    def _event(self, call: _Call, name_of: Any, gate_name_of: Any) -> TraceEvent:
        reads = tuple(
            Read(unit, name_of(unit), value, grad, upstream)
            for unit, value, grad, upstream in call.reads
        )
        writes = []
        gate_name = gate_name_of(call.gate)
        for unit, attribute, parts, more, field, before, after in call.writes:
            own = name_of(unit)
            held_as = own if attribute is None else f"{gate_name}.{attribute}"
            # Every name the object went by then; a bare automatic name (u7) only
            # if it is the unit's own name in this trace.
            also = [own]
            for rank, gate, text in parts:
                name = text if gate is None else f"{gate_name_of(gate)}.{text}"
                if name not in (held_as, *also) and not is_automatic_rank(rank):
                    also.append(name)
            if held_as == own:
                also = also[1:]
            writes.append(Write(unit, held_as, tuple(also), field, before, after, more))
        return TraceEvent(
            call.step, call.gate, gate_name, call.phase, call.replay, reads, tuple(writes)
        )

    # -- rendering ---------------------------------------------------------

    def _print_rows(self, positions: Any, *, with_notes: bool) -> None:
        notes = iter(self._notes if with_notes else ())
        note = next(notes, None)
        for position in positions:
            while note is not None and note[0] <= position:
                print_plain(self.console, Text(note[1]))
                note = next(notes, None)
            event = self.events[position]
            if not self._explained_shares and event.reads and event.reads[0].upstream_differs:
                self._explained_shares = True
                print_plain(self.console, legend(event))
                self._printed_header = False
            table = event_table(self.console.width, header=not self._printed_header)
            self._printed_header = True
            table.add_row(*render_event(event, self.console.width))
            print_plain(self.console, table)
        while note is not None:
            print_plain(self.console, Text(note[1]))
            note = next(notes, None)

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every unit the recorded events read or wrote, in order of first use."""
        return tuple(self._units)

    def summary(self) -> RenderableType:
        """A table of every unit something still holds: value, grad, other names."""
        index = self.names.snapshot(fresh=True)
        if self._final is None and not self.live:
            self._final = index
        name_of = self._final_name if not self.live else self._live_name
        rows = []
        left_out = 0
        for unit in self._units:
            replaced = unit.gate is not None and unit.gate.utop is not unit
            if replaced or not index.is_named(unit):
                left_out += 1  # an earlier pass's output: its gate has run forward again
                continue
            name = name_of(unit)
            parts, more = index.counted_parts(unit, AUTOMATIC_PATHS)
            others = [n for _, n in index.ranked_parts(parts) if n != name]
            grad = unit.grad if unit.requires_grad else None
            rows.append((name, unit.value, grad, others, more))
        return unit_table(rows, left_out, hidden=self.count - len(self.events))

    def player(self, *, title: str | None = None, layout: LayoutEngine = "auto") -> Player:
        """The trace as a page that steps through it (see :mod:`circuits.player`).

        Call it after the ``with`` block. The page holds these very events,
        each unit named as the rows name it; in Jupyter the player shows
        itself, and ``.save("trace.html")`` writes it. ``layout`` is
        ``"auto"`` (Graphviz when ``dot`` is on PATH), ``"graphviz"`` or
        ``"layers"`` (the player's own, which needs nothing installed).

        Example:
            >>> import io
            >>> from rich.console import Console
            >>> from gates import Unit
            >>> x = Unit(3.0, label="x")
            >>> with Tracer(console=Console(file=io.StringIO())) as tracer:
            ...     y = x * x
            ...     y.backward()
            >>> tracer.player(title="x * x")
            <Player of 2 gate calls: x * x>
        """
        from circuits.player import Player  # the player imports this module

        if self._active:
            raise RuntimeError(
                "tracer.player() was called inside the Tracer's with block; call it after "
                "the block ends, when the trace is complete"
            )
        name_of = self._live_name if self.live else self._final_name
        names = {unit: name_of(unit) for unit in self._units}
        return Player(
            self.events,
            names=names,
            title=title or "trace",
            hidden=self.count - len(self.events),
            limit=self.limit,
            notes=self._notes,
            layout=layout,
        )

    def __rich__(self) -> RenderableType:
        """A tracer renders as its rows followed by the summary (for notebooks)."""
        table = event_table(self.console.width, header=True)
        for event in self.events:
            table.add_row(*render_event(event, self.console.width))
        return Group(table, self.summary()) if self.events else table
