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

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from gates.errors import GateReuseError
from gates.gate import _IN_U0_U1
from gates.naming import describe_gate, name_of
from gates.observe import _observers

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["backpropagate", "gates_behind", "held_grad", "let_go"]

# The grads that the backward passes now under way have set aside, innermost
# last. Observers use held_grad() to show a unit's true running total while
# its grad temporarily holds only this pass's share.
_held: list[dict[Unit, float]] = []


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
    for held in _held:
        total += held.get(unit, 0.0)
    return total


def gates_behind(output: Unit, relinked: list[Gate] | None = None) -> list[Gate]:
    """Every gate ``output`` depends on, each after the gates that feed it.

    An iterative depth-first walk (a chain of a million gates is fine) that
    reads each gate's inputs once. Raises ``GateReuseError`` if a gate on the
    way has been forwarded again since it made the unit we reached it from:
    its stored inputs are no longer that unit's inputs.

    A gate made by operator sugar does not hold its output between passes
    (see "Loose gates" in ``gates/gate.py``): the walk hands each such gate
    its output back as ``utop``, so every gate it returns is whole. If
    ``relinked`` is given, those gates are also appended to it, so that the
    caller can let them go again with :func:`let_go` when it is done.
    """
    root = output._gate
    if root is None:
        return []
    _check_maker(root, output, relinked)
    order: list[Gate] = []
    # gate -> False while the gates feeding it are being ordered, True once
    # it is in ``order``. A gate can sit on the stack twice (two of its
    # consumers pushed it before it was reached); the second copy is skipped.
    done: dict[Gate, bool] = {}
    stack = [root]
    push, state_of = stack.append, done.get
    while stack:
        gate = stack[-1]
        state = state_of(gate)
        if state is None:
            done[gate] = False
            # Pushed last-input-first so the first input's gates are ordered
            # first, as a recursive walk would order them. (Two-input gates,
            # most of any graph, skip the ``inputs`` property.)
            units = (gate.u1, gate.u0) if gate._inputs is _IN_U0_U1 else reversed(gate.inputs)
            for unit in units:
                maker = unit._gate
                if maker is not None:
                    made = maker.utop  # _check_maker, inlined in this hot loop
                    if made is not unit:
                        if made is not None:
                            _raise_reused(unit, maker)
                        maker.utop = unit  # a loose gate: give it its output back
                        if relinked is not None:
                            relinked.append(maker)
                    if maker not in done:
                        push(maker)
        else:
            stack.pop()
            if not state:
                done[gate] = True
                order.append(gate)
    return order


def _check_maker(gate: Gate, unit: Unit, relinked: list[Gate] | None) -> None:
    """``gate`` made ``unit``: give a loose gate its output back, else check it."""
    held: Unit | None = gate.utop  # None: a loose gate
    if held is None:
        gate.utop = unit
        if relinked is not None:
            relinked.append(gate)
    elif held is not unit:
        _raise_reused(unit, gate)


def let_go(gates: list[Gate]) -> None:
    """Make ``gates`` loose again (what :func:`gates_behind` relinked), unless observed.

    While a Tracer or a recording Circuit watches, gates keep their outputs:
    an observer may look at them after the pass.
    """
    if _observers:
        return
    for gate in gates:
        gate.utop = None  # type: ignore[assignment]  # a loose gate's marker


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
    that feed it. ``after_gate(gate, index)`` is called after each gate's
    backward (``Circuit(check_finite=True)`` uses it). Gates whose output needs
    no gradient are skipped.
    """
    set_aside = set_grads_aside(output, order)
    try:
        output.grad = 1.0
        if _observers or after_gate is not None:
            _run_watched(order, after_gate)
        else:  # the hot loop: nobody is watching
            for gate in reversed(order):
                if gate.utop._requires_grad:
                    gate._raw_backward(gate)
    finally:
        put_grads_back(set_aside)


def set_grads_aside(output: Unit, order: Sequence[Gate]) -> dict[Unit, float]:
    """Zero, and return, every nonzero grad a backward pass over ``order`` reads."""
    set_aside: dict[Unit, float] = {}
    for gate in order:  # the units whose grad some gate's backward reads
        unit = gate.utop
        if unit.grad:
            set_aside[unit] = unit.grad
    if output.grad:
        set_aside[output] = output.grad
    for unit in set_aside:
        unit.grad = 0.0
    _held.append(set_aside)
    return set_aside


def put_grads_back(set_aside: dict[Unit, float]) -> None:
    """Add the grads :func:`set_grads_aside` took to what the pass gave."""
    for i in range(len(_held) - 1, -1, -1):
        if _held[i] is set_aside:
            del _held[i]
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
