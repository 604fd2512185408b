"""The backward walk: how ``s.backward()`` reaches every gate, in the right order.

The guide runs the backward pass by hand: it seeds ``s.grad = 1``, then calls each gate's
``backward`` in the reverse of the order the forwards ran (``sg0``, ``addg1``, ``addg0``,
``mulg1``, ``mulg0``). ``s.backward()`` does the same for you, in two steps:

1. :func:`walk_back` follows each unit's ``gate`` back through that gate's
   inputs and lists every gate after the gates that feed it (with its own
   stack, not recursion, so a chain of a million gates works).
2. :func:`run_backward` seeds the output and calls each gate's ``backward``
   in the reverse of that list: a gate runs once every gate that reads its
   output has added into its ``utop.grad``.

One rule for grads. A unit's ``grad`` is the sum, over all backward calls
since it was last zeroed, of d(output)/d(unit). But a gate's backward
multiplies by its output's *whole* grad, and after a first call that grad
already holds the first call's share, which a second call would send down
again (micrograd does: its ``p.grad`` below reads 36). So before the gates run,
:func:`run_backward` takes out the grads that earlier calls left in the units
the gates made, runs the gates from zero so that each passes on this call's
share only, and then adds the earlier grads back:

>>> from gates import Unit
>>> p = Unit(3.0)
>>> r = p * p + p * p
>>> r.backward(); p.grad, r.grad
(12.0, 1.0)
>>> r.backward(); p.grad, r.grad
(24.0, 2.0)

Input units (no gate of the pass made them) are only ever added into, so they accumulate with
no help. A gate's ``backward`` called by hand, as in the guide, sends its whole ``utop.grad``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from gates.errors import explained, reused, still_constant
from gates.observe import _observers, run_and_tell_backward, watchers

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["BACKWARD_LOCK", "gates_behind", "run_backward", "walk_back"]


def gates_behind(output: Unit) -> list[Gate]:
    """Every gate ``output`` depends on, each after the gates that feed it."""
    return walk_back(output)[0]


def walk_back(output: Unit) -> tuple[list[Gate], dict[Unit, float]]:
    """Every gate ``output`` depends on, each after the gates that feed it, and
    the input units those gates read (the ones no gate made), with their grads.

    Raises ``GateReuseError`` if a gate on the way has been forwarded again since
    it made the unit we reached it from: its backward would use the wrong numbers.
    """
    top = output.gate
    if top is None:
        return [], {}
    if top.utop is not output:
        raise reused(output, top)
    gates: list[Gate] = []
    inputs: dict[Unit, float] = {}
    seen = {top}
    # Each gate on the stack with the inputs it has yet to look at; it is
    # listed once every gate that feeds it is (its first input's gates first).
    stack = [(top, iter(top.inputs))]
    while stack:
        gate, unread = stack[-1]
        for unit in unread:
            feeder = unit.gate
            if feeder is None:
                inputs[unit] = unit.grad
            elif feeder.utop is not unit:
                raise reused(unit, feeder)
            elif feeder not in seen:
                seen.add(feeder)
                # feeder.inputs, without the property call for two (3% of a small backward)
                its_inputs = (feeder.u0, feeder.u1) if feeder._inputs == 2 else feeder.inputs
                stack.append((feeder, iter(its_inputs)))
                break
        else:
            stack.pop()
            gates.append(gate)
    return gates, inputs


# While a pass runs, its units hold only its own share of their grads: a pass in another
# thread would add onto those, so passes take turns, from the walk on (Unit.backward()).
BACKWARD_LOCK = threading.RLock()


def run_backward(
    output: Unit,
    gates: Sequence[Gate],
    inputs: Mapping[Unit, float],
    *,
    after_gate: Callable[[Gate], None] | None = None,
) -> None:
    """Seed ``output`` with a grad of 1 and run ``gates`` backward, last to first.

    ``gates`` and ``inputs`` (each input unit with its grad now) are as :func:`walk_back`
    gives them; hold ``BACKWARD_LOCK`` from that walk to the end of this call. Grads follow
    the rule above; a gate whose output takes no gradient is skipped, and a constant keeps
    a grad of 0.0. ``after_gate(gate)`` runs after each gate (``check_finite=True`` uses
    it). If a gate raises, every grad is put back as it was before.
    """
    # Take out what earlier calls left in the units the gates made, so
    # that each gate passes on this call's share only; added back below.
    earlier = {gate.utop: gate.utop.grad for gate in gates if gate.utop.grad}
    if output.grad:
        earlier[output] = output.grad
    for unit in earlier:
        unit.grad = 0.0
    output.grad = 1.0
    watched = bool(_observers) and bool(watchers())
    try:
        for gate in reversed(gates):
            if not gate.utop._requires_grad:
                still_constant(gate)
                gate.utop.grad = 0.0  # a constant takes no gradient
            elif watched:
                run_and_tell_backward(gate, earlier)
            else:
                gate._own_backward()
            if after_gate is not None:
                after_gate(gate)
    except BaseException as exc:
        for gate in gates:
            gate.utop.grad = 0.0
        output.grad = 0.0
        for unit, grad in inputs.items():
            unit.grad = grad
        raise explained(exc, [*inputs, *earlier]) from None
    finally:
        for unit, grad in earlier.items():
            unit.grad += grad
    for unit in inputs:
        if not unit._requires_grad:
            unit.grad = 0.0  # a constant takes no gradient
    if not output._requires_grad:
        output.grad = 0.0
