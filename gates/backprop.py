"""The backward walk: how ``s.backward()`` reaches every gate, in the right order.

The guide runs the backward pass by hand: seed ``s.grad = 1``, then call each
gate's ``backward`` in the reverse of the order the forwards ran::

    s.grad = 1.0
    sg0.backward(); addg1.backward(); addg0.backward()
    mulg1.backward(); mulg0.backward()

``s.backward()`` does the same for you, in two steps:

1. :func:`gates_behind` finds the gates ``s`` depends on by following each
   unit's ``gate`` (the gate that made it) back through that gate's inputs,
   and lists every gate after the gates that feed it. It keeps its own stack
   instead of recursing, so a chain of a million gates works.
2. :func:`run_backward` seeds the output and calls each gate's own
   ``backward`` in the reverse of that list, so a gate runs only once every
   gate that reads its output has added into its ``utop.grad``.

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

Input units (no gate of the pass made them) are only ever added into, so
they accumulate with no help. Calling gates' ``backward`` by hand, as the
guide does, is the raw mechanism: it sends the whole ``utop.grad`` each time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from gates.errors import not_a_number, reused, still_constant
from gates.observe import run_and_tell_backward, watchers

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["BACKWARD_LOCK", "gates_behind", "run_backward", "walk_back"]


def gates_behind(output: Unit) -> list[Gate]:
    """Every gate ``output`` depends on, each after the gates that feed it.

    >>> from gates import Unit
    >>> a, b = Unit(2.0), Unit(3.0)
    >>> y = (a * b).relu()
    >>> [type(gate).__name__ for gate in gates_behind(y)]
    ['MultGate', 'ReLUGate']

    Raises ``GateReuseError`` if a gate on the way has been forwarded again
    since it made the unit we reached it from: it no longer holds that
    unit's inputs, so its backward would use the wrong numbers.
    """
    return walk_back(output)[0]


def walk_back(output: Unit) -> tuple[list[Gate], list[Unit]]:
    """:func:`gates_behind`, and the input units those gates read (the ones
    no gate made), each once."""
    gates: list[Gate] = []
    inputs: dict[Unit, None] = {}
    if output.gate is None:
        return gates, []
    if output.gate.utop is not output:
        raise reused(output, output.gate)
    # gate -> False while the gates feeding it are being listed, True once
    # it is listed itself. A gate can be on the stack twice (two of its
    # readers pushed it before it was reached); the second copy is skipped.
    listed: dict[Gate, bool] = {}
    stack = [output.gate]
    while stack:
        gate = stack[-1]
        state = listed.get(gate)
        if state is None:
            waiting = False  # for a feeder to be listed first
            # Pushed last input first, so the first input's gates are listed
            # first, as a recursive walk would list them.
            for unit in reversed(gate.inputs):
                feeder = unit.gate
                if feeder is None:
                    inputs[unit] = None
                elif feeder.utop is not unit:
                    raise reused(unit, feeder)
                elif feeder not in listed:
                    stack.append(feeder)
                    waiting = True
            if waiting:
                listed[gate] = False
                continue
        stack.pop()
        if not state:
            listed[gate] = True
            gates.append(gate)
    return gates, list(inputs)


# While a pass runs, the units it touches hold only its own share of their
# grads. A second pass over the same units, in another thread, would take
# those shares for earlier grads and add its own onto them: the totals would
# come out wrong. So backward passes take turns (the GIL lets only one run
# Python code at a time anyway).
BACKWARD_LOCK = threading.RLock()


def run_backward(
    output: Unit,
    gates: Sequence[Gate],
    inputs: Iterable[Unit],
    *,
    after_gate: Callable[[Gate], None] | None = None,
) -> None:
    """Seed ``output`` with a grad of 1 and run ``gates`` backward, last to first.

    ``gates`` lists the gates ``output`` depends on, each after the gates
    that feed it, and ``inputs`` the units they read that none of them made
    (as :func:`walk_back` gives both). Grads follow the rule in this module's
    docstring. A gate whose output takes no gradient is skipped, and a unit
    that takes none keeps a grad of 0.0. ``after_gate(gate)`` is called after
    each gate's backward (``Circuit(check_finite=True)`` uses it). If a gate
    raises, every grad is put back as it was before the call.
    """
    with BACKWARD_LOCK:
        # Take out what earlier calls left in the units the gates made, so
        # that each gate passes on this call's share only; added back below.
        earlier: dict[Unit, float] = {}
        for gate in gates:
            if gate.utop.grad:
                earlier[gate.utop] = gate.utop.grad
                gate.utop.grad = 0.0
        if output.grad:
            earlier[output] = output.grad
            output.grad = 0.0
        inputs_before = {unit: unit.grad for unit in inputs}  # to undo a failed call
        output.grad = 1.0
        try:
            watched = bool(watchers())
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
            for unit, grad in inputs_before.items():
                unit.grad = grad
            output.grad = 0.0
            advice = None
            if isinstance(exc, TypeError):  # a grad or value set by hand to a non-number
                advice = not_a_number([*inputs_before, *earlier])
            if advice is None:
                raise
            raise advice from None
        finally:
            for unit, grad in earlier.items():
                unit.grad += grad
        for unit in (*inputs_before, output):
            if not unit._requires_grad:
                unit.grad = 0.0
