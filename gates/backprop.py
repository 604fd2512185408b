"""Backward passes that follow DESIGN.md's one gradient rule, without recursion.

The rule: a unit's ``grad`` is the sum, over all backward calls since it was
last zeroed, of d(output)/d(unit). Gate ``backward`` methods read the
*accumulated* ``utop.grad``, so to add only this call's contribution the pass
first sets aside every nonzero grad that a gate will read (the outputs of the
gates in the pass), runs from a clean slate, and then adds what it set aside
back. Nothing is counted twice, however often backward runs, and every
intermediate unit accumulates too. The other units (inputs no gate of the pass
made) are only ever added into, so they accumulate with no help.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from gates.errors import GateReuseError
from gates.gate import _IN_U0_U1
from gates.naming import describe_gate, name_of
from gates.observe import _observers

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = [
    "backpropagate",
    "backpropagate_units",
    "gates_behind",
    "held_grad",
    "units_behind",
]


class _PassesUnderWay(threading.local):
    """The grads that this thread's backward passes now under way have set
    aside, innermost last. Observers use held_grad() to show a unit's true
    running total while its grad temporarily holds only this pass's share.
    Per thread: passes in two threads start and end in any order."""

    def __init__(self) -> None:
        self.set_aside: list[dict[Unit, float]] = []


_held = _PassesUnderWay()


def held_grad(unit: Unit) -> float:
    """How much of ``unit``'s grad a backward pass under way has set aside.

    During a pass, an intermediate unit's ``grad`` holds only this pass's
    contribution; its running total is ``unit.grad + held_grad(unit)``, which
    is what it will hold when the pass ends. Outside a pass this is 0.0.

    >>> from gates import Unit
    >>> held_grad(Unit(1.0))
    0.0
    """
    total = 0.0
    for held in _held.set_aside:
        total += held.get(unit, 0.0)
    return total


def units_behind(output: Unit) -> list[Unit]:
    """Every unit ``output`` depends on that a gate made, ``output`` included,
    each after the units its gate read.

    An iterative depth-first walk (a chain of a million gates is fine) that
    reads each gate's inputs once: from a folded unit itself, else from its
    gate (see "Folded units" in ``gates/gate.py``). Raises ``GateReuseError``
    if a gate on the way has been forwarded again since it made the unit we
    reached it from: its stored inputs are no longer that unit's inputs.
    """
    if output._gate is None:
        return []
    order: list[Unit] = []
    # unit -> False while the units feeding it are being ordered, True once
    # it is in ``order``. A unit can sit on the stack twice (two of its
    # consumers pushed it before it was reached); the second copy is skipped.
    done: dict[Unit, bool] = {}
    stack = [output]
    push, state_of = stack.append, done.get
    while stack:
        unit = stack[-1]
        state = state_of(unit)
        if state is None:
            done[unit] = False
            # Inputs are pushed last first, so the first input's units are
            # ordered first, as a recursive walk would order them.
            in0 = unit._in0
            if in0 is not None:  # folded: the unit holds its gate's inputs
                in1 = unit._in1
                inputs = (in0,) if in1 is None else (in1, in0)
            else:
                gate: Any = unit._gate
                made = gate.utop
                if made is not unit and made is not None:  # None: a loose gate
                    _raise_reused(unit, gate)
                # (Two-input gates, most of any graph, skip ``inputs``.)
                inputs = (gate.u1, gate.u0) if gate._inputs is _IN_U0_U1 else reversed(gate.inputs)
            for feeder in inputs:
                if feeder._gate is not None and feeder not in done:
                    push(feeder)
        else:
            stack.pop()
            if not state:
                done[unit] = True
                order.append(unit)
    return order


def gates_behind(output: Unit) -> list[Gate]:
    """Every gate ``output`` depends on, each after the gates that feed it.

    The gates of :func:`units_behind`, each whole, for good: a folded unit's
    gate object is made now, and a loose gate gets its output back (see
    "Folded units" in ``gates/gate.py``). Tools that look at gates use this;
    ``Unit.backward()`` walks units and makes no gate objects.
    """
    gates: list[Gate] = []
    for unit in units_behind(output):
        gate = unit.gate
        assert gate is not None  # units_behind returns made units only
        gates.append(gate)
    return gates


def _raise_reused(unit: Unit, gate: Gate) -> None:
    raise GateReuseError(
        f"{describe_gate(gate)} made {name_of(unit)}, but has since been forwarded "
        f"again (its output is now {name_of(gate.utop)}), so it no longer holds the "
        f"inputs of {name_of(unit)}. Use a new gate object for each operation, or "
        "record the circuit once and replay it with Circuit.forward()."
    )


def backpropagate(
    output: Unit,
    order: Sequence[Gate],
    *,
    after_gate: Callable[[Gate, int], None] | None = None,
) -> None:
    """Seed ``output`` and run ``order``'s gates backward, last to first.

    ``order`` must list the gates ``output`` depends on, each after the gates
    that feed it, each whole (as :func:`gates_behind` returns them).
    ``after_gate(gate, index)`` is called after each gate's backward
    (``Circuit(check_finite=True)`` uses it). Gates whose output needs no
    gradient are skipped.
    """
    set_aside = set_grads_aside(output, [gate.utop for gate in order])
    try:
        output.grad = 1.0
        if _observers or after_gate is not None:
            _run_watched(order, after_gate)
        else:
            for gate in reversed(order):
                if gate.utop._requires_grad:
                    gate._raw_backward(gate)
    finally:
        put_grads_back(set_aside)


def backpropagate_units(output: Unit, order: Sequence[Unit]) -> None:
    """Seed ``output`` and run backward over the gates that made ``order``'s units.

    ``order`` is what :func:`units_behind` returns. This is the engine's hot
    loop, for when nothing is watching, and it makes no gate objects: a
    folded unit's backward runs on a gate of its kind lent for the call (one
    per kind per pass), and a loose gate holds its output only for its own
    call (see "Folded units" in ``gates/gate.py``).
    """
    set_aside = set_grads_aside(output, order)
    try:
        output.grad = 1.0
        lent: dict[type[Gate], Gate] = {}
        for unit in reversed(order):
            if not unit._requires_grad:
                continue
            maker: Any = unit._gate  # a gate, or a folded unit's gate class
            in0 = unit._in0
            if in0 is not None:  # folded
                gate = lent.get(maker)
                if gate is None:
                    gate = lent[maker] = maker()
                gate.u0, gate.u1, gate.utop = in0, unit._in1, unit
                gate._raw_backward(gate)
            elif maker.utop is None:  # a loose gate
                maker.utop = unit
                maker._raw_backward(maker)
                maker.utop = None
            else:
                maker._raw_backward(maker)
    finally:
        put_grads_back(set_aside)


def set_grads_aside(output: Unit, made: Iterable[Unit]) -> dict[Unit, float]:
    """Zero, and return, every nonzero grad a backward pass reads: those of
    ``made`` (the outputs of the pass's gates) and of ``output``."""
    set_aside: dict[Unit, float] = {}
    for unit in made:
        if unit.grad:
            set_aside[unit] = unit.grad
    if output.grad:
        set_aside[output] = output.grad
    for unit in set_aside:
        unit.grad = 0.0
    _held.set_aside.append(set_aside)
    return set_aside


def put_grads_back(set_aside: dict[Unit, float]) -> None:
    """Add the grads :func:`set_grads_aside` took to what the pass gave."""
    under_way = _held.set_aside
    for i in range(len(under_way) - 1, -1, -1):
        if under_way[i] is set_aside:
            del under_way[i]
            break
    for unit, grad in set_aside.items():
        unit.grad = grad + unit.grad


def _run_watched(order: Sequence[Gate], after_gate: Callable[[Gate, int], None] | None) -> None:
    """The backward loop when a Tracer is watching or ``after_gate`` is given."""
    observed = bool(_observers)  # a Tracer wants to see each backward call
    for index in range(len(order) - 1, -1, -1):
        gate = order[index]
        if not gate.utop._requires_grad:
            continue
        if observed:
            gate.backward()
        else:
            gate._raw_backward(gate)
        if after_gate is not None:
            after_gate(gate, index)
