"""Finite differences over gates: the numerical half of ``gradcheck``.

Every function here nudges a unit's ``value``, replays forward *in place* with
``gates.gate.recompute`` (so other gates' references stay valid and no
observer hears about it), reads a value and puts the nudged unit back.
``central_difference`` restores output values but not a gate's private state
(a cached ``tanh``, say), so a caller checking many parameters replays once
at the end rather than once per parameter; the single-gate helpers restore
their gate themselves.

>>> from gates import Unit
>>> x = Unit(3.0)
>>> y = x * x
>>> round(central_difference(x, y, [y.gate], 1e-6), 6), x.value, y.value
(6.0, 3.0, 9.0)
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gates import Gate, Unit
from gates.gate import recompute

__all__ = [
    "ROUNDING",
    "OneSided",
    "central_difference",
    "gate_difference",
    "one_sided",
    "replay",
]

ROUNDING = sys.float_info.epsilon
"""The relative rounding error of one float operation (2**-52)."""


def replay(gates: Iterable[Gate]) -> None:
    """Recompute ``gates`` in order, each into its own output unit."""
    for gate in gates:
        recompute(gate)


def central_difference(unit: Unit, output: Unit, gates: Sequence[Gate], eps: float) -> float:
    """``(f(x + eps) - f(x - eps)) / (2 eps)`` for ``f`` = ``output`` as a
    function of ``unit``, replaying ``gates`` (those between them, in order).

    The step is measured after rounding (``(x + eps) - (x - eps)``), so a large
    ``x`` whose neighbours are not exactly ``eps`` away still gives the right
    slope. ``unit.value`` and the gates' output values are restored; state a
    gate keeps besides its output (a cache) is left at ``x - eps``, so the
    caller replays once at the end.
    """
    x = unit.value
    up, down = x + eps, x - eps
    before = [gate.utop.value for gate in gates]
    try:
        unit.value = up
        replay(gates)
        f_up = output.value
        unit.value = down
        replay(gates)
        f_down = output.value
    finally:
        unit.value = x
        # Values only: the next parameter's replay reads these units.
        for gate, value in zip(gates, before):
            gate.utop.value = value
    return (f_up - f_down) / (up - down)


def gate_difference(gate: Gate, unit: Unit, eps: float) -> float:
    """The numerical local derivative of ``gate``'s output with respect to its
    input ``unit``, by central differences over this gate alone.

    If ``unit`` feeds the gate at two positions (``p * p``) both move, which
    gives the total derivative, as ``local_grads`` reports it. The gate's
    output value and state are restored.
    """
    out = gate.utop
    saved = out.value
    x = unit.value
    up, down = x + eps, x - eps
    try:
        unit.value = up
        recompute(gate)
        f_up = out.value
        unit.value = down
        recompute(gate)
        f_down = out.value
    finally:
        unit.value = x
        recompute(gate)
        out.value = saved
    return (f_up - f_down) / (up - down)


@dataclass(frozen=True)
class OneSided:
    """A gate's numerical slope at one input, from the left and from the right."""

    left: float
    right: float
    noise: float  # how far apart rounding alone can push the two

    @property
    def centre(self) -> float:
        """Their mean: the central difference."""
        return (self.left + self.right) / 2.0

    @property
    def split(self) -> bool:
        """True when the two sides differ by more than rounding and a sliver
        of the slope. Smooth curvature splits them too (by ``eps * f''``),
        symmetrically about the true slope; ``gradcheck`` tells the two apart."""
        left, right = self.left, self.right
        if not (math.isfinite(left) and math.isfinite(right)):
            return False  # a singularity, not a kink: the check reports it itself
        return abs(left - right) > 1e-3 * max(abs(left), abs(right)) + self.noise


def one_sided(gate: Gate, unit: Unit, eps: float) -> OneSided:
    """``gate``'s slopes ``(f(x) - f(x - eps)) / eps`` and ``(f(x + eps) - f(x)) / eps``
    at its input ``unit``; the gate's output value and state are restored.

    >>> from gates import ReLUGate, Unit
    >>> x = Unit(0.0)
    >>> g = ReLUGate()
    >>> _ = g.forward(x)
    >>> sides = one_sided(g, x, 1e-6)
    >>> sides.left, sides.right, sides.split
    (0.0, 1.0, True)
    """
    out = gate.utop
    here = out.value
    x = unit.value
    up, down = x + eps, x - eps
    try:
        unit.value = up
        recompute(gate)
        f_up = out.value
        unit.value = down
        recompute(gate)
        f_down = out.value
    finally:
        unit.value = x
        recompute(gate)
        out.value = here
    finite = [abs(v) for v in (f_up, f_down, here) if math.isfinite(v)]
    noise = 4.0 * ROUNDING * max(finite, default=0.0) / eps
    return OneSided(left=(here - f_down) / (x - down), right=(f_up - here) / (up - x), noise=noise)
