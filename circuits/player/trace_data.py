"""A trace as the player's data: the Tracer's own events, serialised once.

The page is a thin view over this data, so the console trace, the drawing
and the player cannot disagree: every number the page shows is here with the
text the console shows for it (``format_number``), and every sentence is the
event's own :meth:`~circuits.events.TraceEvent.sentence`.

Units and gates are numbered in order of first appearance. A *gate* here is
one gate call's place in the circuit: a gate object and the output unit it
made. A gate forwarded again on new inputs makes a new output unit, so it is
drawn again, as it is a new part of the circuit; a forward replayed in place
(``Circuit.forward()``) keeps its output, and its node.

>>> from circuits import Tracer
>>> from gates import Unit
>>> import io
>>> from rich.console import Console
>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> with Tracer(console=Console(file=io.StringIO()), summary=False, live=False) as tracer:
...     out = a * b
...     out.label = "out"
...     out.backward()
>>> data = trace_data(tracer.events)
>>> [unit["name"] for unit in data["units"]], data["gates"][0]["symbol"]
(['a', 'b', 'out'], '*')
>>> write = data["events"][1]["writes"][0]
>>> write["also"], write["before"], write["after"]
(['a'], [0.0, '0.0'], [-3.0, '-3.0'])
>>> write["flow"]
{'upstream': [1.0, '1.0'], 'local': [-3.0, '-3.0'], 'added': [-3.0, '-3.0']}
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from circuits.events import Read, TraceEvent, Write, more_names
from circuits.formatting import format_number
from gates import Gate, Unit

__all__ = ["FORMAT", "Number", "number", "trace_data"]

FORMAT = 1
"""The version of the data's layout, written into every page."""

# A number as [raw, text]: raw is the float (or "nan", "inf", "-inf", which
# JSON cannot hold as numbers), text is what the console shows for it.
Number = list[Any]


def number(x: float | None) -> Number | None:
    """``x`` as the page holds it: the float and its console text (None stays None).

    >>> number(0.8807970779778823), number(float("-inf")), number(None)
    ([0.8807970779778823, '0.8808'], ['-inf', '-inf'], None)
    """
    if x is None:
        return None
    raw: float | str = x
    if math.isnan(x):
        raw = "nan"
    elif math.isinf(x):
        raw = "inf" if x > 0 else "-inf"
    return [raw, format_number(x)]


def _local(added: float, upstream: float) -> float | None:
    """The local derivative a gate multiplied ``upstream`` by to add ``added``.

    Recovered from the event's own numbers (the gate's state may have moved on
    since); rounded to 12 significant digits so that 0.315 / 0.105 reads 3.0,
    not 3.0000000000000004. None where the upstream grad was 0 or not finite:
    nothing can be learnt from it.
    """
    if upstream == 0 or not math.isfinite(upstream) or not math.isfinite(added):
        return None
    return float(f"{added / upstream:.12g}")


class _Numbering:
    """Units and gate calls, numbered in order of first appearance."""

    def __init__(self, names: Mapping[int, str]) -> None:
        self.names = names
        self.units: dict[int, int] = {}
        self.unit_objects: list[Unit] = []
        self.unit_names: list[str | None] = []
        self.gates: dict[tuple[int, int], int] = {}
        self.gate_rows: list[dict[str, Any]] = []

    def unit(self, unit: Unit, name: str | None = None) -> int:
        index = self.units.get(id(unit))
        if index is None:
            index = self.units[id(unit)] = len(self.unit_objects)
            self.unit_objects.append(unit)
            self.unit_names.append(self.names.get(id(unit)))
        if name is not None and self.unit_names[index] is None:
            self.unit_names[index] = name
        return index

    def gate(self, gate: Gate, name: str, output: int, inputs: Sequence[int]) -> int:
        key = (id(gate), output)
        index = self.gates.get(key)
        if index is None:
            index = self.gates[key] = len(self.gate_rows)
            self.gate_rows.append(
                {
                    "name": name,
                    "type": type(gate).__name__,
                    "symbol": str(gate.symbol),
                    "inputs": list(dict.fromkeys(inputs)),  # p * p: one edge
                    "output": output,
                }
            )
        return index


def _read(read: Read, numbering: _Numbering) -> dict[str, Any]:
    return {
        "unit": numbering.unit(read.unit, read.name),
        "name": read.name,
        "value": number(read.value),
        "grad": number(read.grad),
        "upstream": number(read.upstream),
    }


def _write(write: Write, numbering: _Numbering, upstream: float | None) -> dict[str, Any]:
    row: dict[str, Any] = {
        "unit": numbering.unit(write.unit),
        "name": write.name,
        "also": list(write.also),
        "field": write.field,
        "before": number(write.before),
        "after": number(write.after),
    }
    if write.more:  # the names left out of "also", as the console says it
        row["more"] = more_names(write.more)
    change = write.change
    if write.field == "grad" and upstream is not None and change is not None:
        # What flowed along the edge into this input: upstream x local, added.
        row["flow"] = {
            "upstream": number(upstream),
            "local": number(_local(change, upstream)),
            "added": number(change),
        }
    return row


def _event(event: TraceEvent, numbering: _Numbering) -> dict[str, Any]:
    reads = [_read(read, numbering) for read in event.reads]
    if event.phase == "forward":
        inputs = [row["unit"] for row in reads]
        output = numbering.unit(event.writes[0].unit)
        upstream = None
    else:
        output, inputs = reads[0]["unit"], [row["unit"] for row in reads[1:]]
        first = event.reads[0]
        upstream = first.upstream if first.upstream is not None else first.grad
    gate = numbering.gate(event.gate, event.gate_name, output, inputs)
    return {
        "step": event.step,
        "gate": gate,
        "gate_name": event.gate_name,
        "gate_type": event.gate_type,
        "phase": event.phase,
        "replay": event.replay,
        "sentence": event.sentence(),
        "reads": reads,
        "writes": [_write(write, numbering, upstream) for write in event.writes],
    }


def _own_name(unit: int, events: list[dict[str, Any]]) -> str:
    """A name for a unit no read named and the tracer did not: what its writes
    call it (the first of its other names when it has some, as the trace shows
    a unit's own name first)."""
    for row in events:
        for write in row["writes"]:
            if write["unit"] == unit:
                return str(write["also"][0] if write["also"] else write["name"])
    return f"unit {unit}"


def trace_data(
    events: Sequence[TraceEvent],
    *,
    names: Mapping[Unit, str] | None = None,
    title: str = "trace",
    hidden: int = 0,
    limit: int | None = None,
    notes: Iterable[tuple[int, str]] = (),
) -> dict[str, Any]:
    """The player's data for ``events``, ready for ``json.dumps``.

    Args:
        events: the trace, as ``tracer.events`` holds it.
        names: each unit's name in this trace (the Tracer knows them); units
            it leaves out are named by the events' reads.
        title: what the page calls the trace (the script's file name).
        hidden: gate calls seen but not kept (past the tracer's ``limit``).
        limit: the tracer's limit, to say why some calls are not shown.
        notes: ``(events before it, line)`` for each line the script printed.
    """
    by_id = {id(unit): name for unit, name in (names or {}).items()}
    numbering = _Numbering(by_id)
    rows = [_event(event, numbering) for event in events]
    made_by = {gate["output"]: index for index, gate in enumerate(numbering.gate_rows)}
    units = []
    for index, unit in enumerate(numbering.unit_objects):
        name = numbering.unit_names[index] or _own_name(index, rows)
        maker = made_by.get(index)
        if maker is not None or unit.gate is not None:
            kind = "computed"  # made by a gate, in this trace or before it
        else:
            kind = "parameter" if unit.requires_grad else "constant"
        units.append(
            {"name": name, "kind": kind, "takes_grad": unit.requires_grad, "made_by": maker}
        )
    return {
        "format": FORMAT,
        "title": title,
        "count": len(rows) + hidden,
        "hidden": hidden,
        "limit": limit,
        "units": units,
        "gates": numbering.gate_rows,
        "events": rows,
        "notes": [[position, text] for position, text in notes],
    }
