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

import itertools
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gates import Gate, Unit
from gates.rerun import recompute

__all__ = [
    "ROUNDING",
    "Slopes",
    "central_difference",
    "gate_difference",
    "replay",
    "slopes",
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
    try:
        return central_difference(unit, out, [gate], eps)
    finally:
        recompute(gate)  # the gate's private state (a cache) back at x as well
        out.value = saved


@dataclass(frozen=True)
class Slopes:
    """A gate's numerical slopes over four steps of ``eps`` around an input
    ``x``: on ``[x-2e, x-e]``, ``[x-e, x]``, ``[x, x+e]`` and ``[x+e, x+2e]``."""

    far_left: float
    left: float
    right: float
    far_right: float
    noise: float  # how far apart rounding alone can push two slopes

    @property
    def centre(self) -> float:
        """The central difference over ``[x-e, x+e]``."""
        return (self.left + self.right) / 2.0

    @property
    def kinked(self) -> bool:
        """True when the slope jumps near ``x``, as at ReLU's 0.

        The slopes either side of ``x`` must differ, and not as smooth
        curvature makes them differ: along a smooth curve each step changes
        the slope by about the same ``eps * f''``, however curved the
        function, while a kink puts its jump into one or two steps only.
        """
        slopes = (self.far_left, self.left, self.right, self.far_right)
        if not all(math.isfinite(s) for s in slopes):
            return False  # a singularity, not a kink: the check reports it itself
        left, right = self.left, self.right
        if abs(left - right) <= 1e-3 * max(abs(left), abs(right)) + self.noise:
            return False
        changes = [b - a for a, b in itertools.pairwise(slopes)]
        spread = max(changes) - min(changes)
        return spread > 0.5 * max(abs(c) for c in changes) + 2.0 * self.noise


def slopes(gate: Gate, unit: Unit, eps: float) -> Slopes:
    """``gate``'s slopes on both sides of its input ``unit``, each over a step
    of ``eps``; the gate's output value and state are restored.

    >>> from gates import ReLUGate, Unit
    >>> x = Unit(0.0)
    >>> g = ReLUGate()
    >>> _ = g.forward(x)
    >>> around = slopes(g, x, 1e-6)
    >>> around.left, around.right, around.kinked
    (0.0, 1.0, True)
    >>> y = Unit(0.0)
    >>> square = y * y  # curved, slope 0 at 0: not a kink
    >>> slopes(square.gate, y, 1e-6).kinked
    False
    """
    out = gate.utop
    here = out.value
    x = unit.value
    points = (x - 2.0 * eps, x - eps, x, x + eps, x + 2.0 * eps)
    values: list[float] = []
    try:
        for point in points:
            unit.value = point
            recompute(gate)
            values.append(out.value)
    finally:
        unit.value = x
        recompute(gate)
        out.value = here
    steps = [(values[i + 1] - values[i]) / (points[i + 1] - points[i]) for i in range(4)]
    finite = [abs(v) for v in values if math.isfinite(v)]
    noise = 4.0 * ROUNDING * max(finite, default=0.0) / eps
    return Slopes(steps[0], steps[1], steps[2], steps[3], noise=noise)
