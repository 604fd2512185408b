"""Running a gate's own methods again, on the inputs it stored.

``recompute`` reruns a gate's forward into the same output unit (how
``Circuit.forward()`` replays a circuit); ``local_grads`` reruns its backward
to read off its local derivatives (how drawings label edges and gradcheck
finds the gate to blame).
"""

from __future__ import annotations

from gates.errors import bad_inputs
from gates.gate import Gate
from gates.unit import Unit

__all__ = ["forward_unrecorded", "local_grads", "recompute"]


def forward_unrecorded(gate: Gate, *units: Unit) -> Unit:
    """Run ``gate``'s own forward on ``units`` without the base's bookkeeping:
    no observer hears of it and the output is not linked to the gate (a trial,
    as the hypothesis strategies make to test a gate's domain).

    >>> from gates import MultGate, Unit
    >>> out = forward_unrecorded(MultGate(), Unit(2.0), Unit(3.0))
    >>> out.value, out.gate
    (6.0, None)
    """
    return gate._own_forward(*units)


def recompute(gate: Gate) -> float:
    """Run ``gate``'s own forward again on its stored inputs, in place.

    The new value is written into the *same* output Unit (``gate.utop``), so
    references that other gates and the caller hold stay valid, and the
    output's ``requires_grad`` follows its inputs' again. This is how
    ``Circuit.forward()`` replays a circuit. Returns the output's old value.

    >>> from gates import MultGate, Unit
    >>> a, b = Unit(2.0), Unit(3.0)
    >>> g = MultGate()
    >>> out = g.forward(a, b)
    >>> a.value = 5.0
    >>> recompute(g), out.value, g.utop is out
    (6.0, 15.0, True)
    """
    out = gate.utop
    inputs = gate.inputs
    previous = out.value
    try:
        out.value = gate._own_forward(*inputs).value
    except (AttributeError, TypeError) as exc:
        raise bad_inputs(gate, inputs, exc) from None
    finally:
        gate.utop = out
    out._requires_grad = any(unit._requires_grad for unit in inputs)
    return previous


def local_grads(gate: Gate, *, upstream: float = 1.0, before: float = 0.0) -> tuple[float, ...]:
    """``d utop / d input`` for each input, from the gate's own ``backward``.

    The gate's backward is run once with its output's grad set to
    ``upstream`` and every input's grad set to ``before``; what it added to
    each input is returned, and all grads are then put back as they were. With
    the defaults that is the local derivative. An input that occurs twice
    (``p * p``) gets its total derivative at each position; an input that
    requires no grad reads 0.

    Other ``upstream`` and ``before`` values probe how a backward is written:
    one that forgets the upstream factor, or assigns with ``=`` instead of
    adding with ``+=``, gives the right local derivative only at the defaults.

    >>> from gates import MultGate, Unit
    >>> g = MultGate()
    >>> _ = g.forward(Unit(2.0), Unit(3.0))
    >>> local_grads(g)
    (3.0, 2.0)
    >>> local_grads(g, upstream=2.0, before=1.0)
    (6.0, 4.0)
    """
    inputs = gate.inputs
    out = gate.utop
    saved_inputs = [unit.grad for unit in inputs]
    saved_out = out.grad
    try:
        for unit in inputs:
            unit.grad = before
        out.grad = upstream
        gate._own_backward()
        return tuple(unit.grad - before if unit._requires_grad else 0.0 for unit in inputs)
    finally:
        out.grad = saved_out
        for unit, grad in zip(inputs, saved_inputs):
            unit.grad = grad
