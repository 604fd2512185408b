"""Tracing for the player: a Tracer that prints nothing, and :func:`play`.

The player needs a trace's events, not its printed rows; rendering ten
thousand rich tables that nobody reads would take most of a minute, so
:func:`quiet_tracer` gives the Tracer a console that renders nothing.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from rich.console import Console

from circuits.circuit import Circuit
from circuits.player.page import LayoutEngine, Player
from circuits.tracer import Tracer
from gates import Unit
from gates.backprop import gates_behind
from gates.observe import tell_forward
from gates.rerun import recompute

__all__ = ["play", "quiet_tracer"]


class _Unprinted(Console):
    """A console that shows nothing: the trace is kept as data only."""

    def print(self, *objects: Any, **options: Any) -> None:
        return None


def quiet_tracer(names: Mapping[str, Any] | None = None, *, limit: int | None = None) -> Tracer:
    """A Tracer that keeps its events and prints nothing, naming each unit by
    the name it has when the ``with`` block ends (as ``circuits trace`` does)."""
    console = _Unprinted(file=io.StringIO())
    return Tracer(console=console, names=names, limit=limit, summary=False, live=False)


def play(
    target: Unit | Circuit,
    *,
    names: Mapping[str, Any] | None = None,
    title: str | None = None,
    zero_grad: bool = True,
    layout: LayoutEngine = "auto",
) -> Player:
    """A :class:`~circuits.player.page.Player` of one forward and one backward
    pass through ``target``.

    The gates ``target`` depends on (a Unit) or records (a Circuit) are run
    forward again in place, from their inputs' current values, then backward
    from the output, with a Tracer watching. With ``zero_grad`` (the default)
    the pass starts from grads of 0, so the page shows each grad filling in;
    otherwise it adds onto the grads the units hold, as another ``backward()``
    would. Either way every value and grad is put back as it was afterwards:
    playing a circuit does not change it.

    Args:
        target: an output Unit (its gates are found by walking back) or a Circuit.
        names: a mapping such as ``vars()`` that names units and gates.
        title: what the page calls the trace.
        zero_grad: start the backward pass from grads of 0.
        layout: as for :class:`~circuits.player.page.Player`.

    Example:
        >>> from gates import MultGate, Unit
        >>> w, x = Unit(2.0, label="w"), Unit(3.0, label="x")
        >>> mulg = MultGate()
        >>> y = mulg.forward(w, x)
        >>> player = play(y, names=vars())
        >>> [(e["phase"], e["gate_name"]) for e in player.data["events"]]
        [('forward', 'mulg'), ('backward', 'mulg')]
        >>> player.data["events"][1]["writes"][0]["after"], w.grad   # w is left as it was
        ([3.0, '3.0'], 0.0)
    """
    if isinstance(target, Circuit):
        gates = list(target.gates)
        if not gates:
            raise ValueError("play() needs a Circuit that recorded gates; this one recorded none")
        output = target.output
    elif isinstance(target, Unit):
        gates = gates_behind(target)
        if not gates:
            raise ValueError(
                f"play() needs a unit made by gates; {target!r} was made by none, so there is "
                "nothing to play. Pass the output of your circuit."
            )
        output = target
    else:
        raise TypeError(
            f"play() takes a Unit or a Circuit, got {target!r} ({type(target).__name__})"
        )
    units = list(dict.fromkeys(unit for gate in gates for unit in (*gate.inputs, gate.utop)))
    saved = [(unit, unit.value, unit.grad) for unit in units]
    tracer = quiet_tracer(names)
    try:
        if zero_grad:
            for unit in units:
                unit.grad = 0.0
        with tracer:
            for gate in gates:
                previous = recompute(gate)
                tell_forward(gate, gate.inputs, gate.utop, previous)
            output.backward()
    finally:
        for unit, value, grad in saved:
            unit.value, unit.grad = value, grad
    return tracer.player(title=title or "play", layout=layout)
