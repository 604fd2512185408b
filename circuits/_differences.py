"""Finite differences over gates: the numerical half of ``gradcheck``.

Every function here nudges a unit's ``value``, replays forward *in place* with
``gates.rerun.recompute`` (so other gates' references stay valid and no
observer hears about it), reads a value and puts the nudged unit back.
``central_difference`` restores output values but not a gate's private state
(a cached ``tanh``, say), so a caller checking many parameters replays once
at the end rather than once per parameter; the single-gate helpers restore
their gate themselves.

A numerical slope is only an estimate, and this module also says how good
one is (``judge``): rounding makes it noisy when the step is small, curvature
bends it when the step is large, and a kink makes it meaningless. A slope
that cannot tell a right gradient from a wrong one is *inconclusive*, never a
pass and never a blame.

>>> from gates import Unit
>>> x = Unit(3.0)
>>> y = x * x
>>> round(central_difference(x, y, [y.gate], step_for(3.0, 1e-6)), 6), x.value, y.value
(6.0, 3.0, 9.0)
"""

from __future__ import annotations

import itertools
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from gates import Gate, Unit
from gates.rerun import recompute

__all__ = [
    "RESOLVED",
    "ROUNDING",
    "WIDEST",
    "Slopes",
    "Verdict",
    "central_difference",
    "first_look",
    "gate_difference",
    "judge",
    "moves",
    "replay",
    "rounding_noise",
    "second_look",
    "slopes",
    "step_for",
]

ROUNDING = sys.float_info.epsilon
"""The relative rounding error of one float operation (2**-52)."""

WIDEST = 100.0
"""How much wider than ``eps`` a step may grow where rounding hides a slope."""

RESOLVED = 0.01
"""A difference the rounding noise explains passes only where that noise is
at most this fraction of the gradient: a slope known to 1% still tells a
right backward from every slip a learner makes (a sign, a factor of two, a
missing factor). Noisier than that, the row is inconclusive."""


def step_for(x: float, eps: float) -> float:
    """The nudge for a value ``x``: ``eps`` relative to it, ``eps`` itself at 0.

    A step scaled to the value keeps the nudge small beside ``x`` (at
    ``x = 1e-5`` an absolute step of ``1e-6`` would be 10% of it, and ``log``
    curves a lot over 10%), and large enough to move a big ``x`` at all (a
    step of ``1e-6`` added to ``1e10`` is lost in rounding).

    >>> step_for(2.0, 1e-6), step_for(-0.5, 1e-6), step_for(0.0, 1e-6)
    (2e-06, 5e-07, 1e-06)
    """
    if x == 0.0 or not math.isfinite(x):
        return eps
    return eps * abs(x)


def rounding_noise(spread: float, step: float) -> float:
    """How far rounding alone can move a central difference over ``step``.

    ``spread`` is ``sum(|value * grad|)`` over the units the nudge recomputes
    (the output among them, with grad 1): replaying rounds each by about
    ``ROUNDING * |value|``, which reaches the output scaled by its grad. The
    difference of two replays divided by ``2 * step``, with a safety factor
    of four for gates that round more than once inside.
    """
    noise = 2.0 * ROUNDING * spread / step
    return noise if not math.isnan(noise) else math.inf


def replay(gates: Iterable[Gate]) -> None:
    """Recompute ``gates`` in order, each into its own output unit."""
    for gate in gates:
        recompute(gate)


def _ends(x: float, step: float) -> tuple[float, float]:
    up, down = x + step, x - step
    if up == down:  # a step below x's last digit: move by one float each way
        up, down = math.nextafter(x, math.inf), math.nextafter(x, -math.inf)
    return up, down


def central_difference(unit: Unit, output: Unit, gates: Sequence[Gate], step: float) -> float:
    """``(f(x + step) - f(x - step)) / (2 step)`` for ``f`` = ``output`` as a
    function of ``unit``, replaying ``gates`` (those between them, in order).

    The step is measured after rounding (``(x + step) - (x - step)``), so a
    large ``x`` whose neighbours are not exactly ``step`` away still gives the
    right slope. ``unit.value`` and the gates' output values are restored;
    state a gate keeps besides its output (a cache) is left at ``x - step``,
    so the caller replays once at the end.
    """
    x = unit.value
    up, down = _ends(x, step)
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


def moves(unit: Unit, gates: Sequence[Gate], step: float) -> dict[Unit, tuple[float, float]]:
    """Where a nudge of ``unit`` by ``-step`` and ``+step`` takes each unit
    that ``gates`` read: ``{unit: (value at -step, value at +step)}`` for the
    units that move. Values are restored as ``central_difference`` restores
    them."""
    x = unit.value
    up, down = _ends(x, step)
    before = [gate.utop.value for gate in gates]
    seen: dict[Unit, list[float]] = {}
    try:
        for point in (down, up):
            unit.value = point
            replay(gates)
            for gate in gates:
                for read in gate.inputs:
                    seen.setdefault(read, []).append(read.value)
    finally:
        unit.value = x
        for gate, value in zip(gates, before):
            gate.utop.value = value
    return {u: (v[0], v[-1]) for u, v in seen.items() if v[0] != v[-1]}


def gate_difference(gate: Gate, unit: Unit, step: float) -> float:
    """The numerical local derivative of ``gate``'s output with respect to its
    input ``unit``, by central differences over this gate alone.

    If ``unit`` feeds the gate at two positions (``p * p``) both move, which
    gives the total derivative, as ``local_grads`` reports it. The gate's
    output value and state are restored.
    """
    out = gate.utop
    saved = out.value
    try:
        return central_difference(unit, out, [gate], step)
    finally:
        recompute(gate)  # the gate's private state (a cache) back at x as well
        out.value = saved


@dataclass(frozen=True)
class Verdict:
    """How a backward gradient compares with a numerical slope.

    ``status`` is ``"passed"``, ``"failed"`` or ``"inconclusive"``; ``reason``
    says why: ``"agrees"``, ``"disagrees"``, ``"rounding"`` (the slope is
    lost in rounding noise), ``"truncation"`` (the step is too large: halving
    it moves the slope by more than the tolerance), ``"kink"`` or
    ``"not finite"``.
    """

    status: str
    reason: str
    numeric: float
    step: float
    rounding: float  # how far rounding alone can move the slope
    truncation: float = 0.0  # how far the step's size moves it (0.0: not measured)
    wider: bool = False  # steps up to WIDEST times wider were tried, in vain


def first_look(
    analytic: float, numeric: float, step: float, rounding: float, *, rtol: float, atol: float
) -> Verdict | None:
    """The verdict that one slope settles, else None (look closer: kinks, a
    second step).

    They agree when equal; within ``rtol`` of each other, where the gradient
    stands out of the rounding noise; within ``max(atol, rtol * size)`` plus
    the rounding noise, where that noise is at most ``RESOLVED`` of the
    gradient; or when backward says 0 and the slope is within ``atol`` of 0.
    A gradient smaller than the noise is never passed on ``atol`` alone: the
    slope did not see it (a vanishing gradient of ``1e-12`` is not checked
    by a slope of ``0 +- 1e-8``).

    >>> first_look(0.5, 0.5000001, 1e-6, 1e-9, rtol=1e-5, atol=1e-8).status
    'passed'
    >>> first_look(20.6, 0.0, 3e-6, 1776.0, rtol=1e-5, atol=1e-8) is None
    True
    >>> first_look(1.1e-12, 0.0, 1e-6, 9e-9, rtol=1e-5, atol=1e-8) is None
    True
    """
    if not math.isfinite(numeric):
        return Verdict("inconclusive", "not finite", numeric, step, rounding)
    if not math.isfinite(analytic):
        return Verdict("failed", "disagrees", numeric, step, rounding)
    difference = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    tolerance = max(atol, rtol * scale)
    agrees = (
        analytic == numeric
        or (difference <= rtol * scale and scale > rounding)
        or (difference <= tolerance + rounding and rounding <= RESOLVED * scale)
        or (analytic == 0.0 and abs(numeric) <= atol)
    )
    return Verdict("passed", "agrees", numeric, step, rounding) if agrees else None


def second_look(
    analytic: float,
    numeric: float,
    half: float,
    step: float,
    rounding: float,
    *,
    rtol: float,
    atol: float,
) -> Verdict:
    """The verdict once the slope over half the step, ``half``, is known too.

    Over a step ``h`` a central difference is off by about ``c h**2``
    (curvature), so halving the step moves it by ``3/4 c h**2``: that
    movement measures the truncation error. A difference that rounding and
    truncation together explain is no proof of a wrong gradient
    (inconclusive); one beyond both is a failure.

    >>> second_look(0.31498, 0.31500, 0.314985, 0.02, 1e-12, rtol=1e-5, atol=1e-8).reason
    'truncation'
    >>> second_look(0.67918, 0.32082, 0.32082, 1e-6, 1e-9, rtol=1e-5, atol=1e-8).status
    'failed'
    """
    truncation = 4.0 / 3.0 * abs(numeric - half) if math.isfinite(half) else math.inf
    difference = abs(analytic - numeric)
    tolerance = max(atol, rtol * max(abs(analytic), abs(numeric)))
    if difference > tolerance + rounding + 2.0 * truncation:
        return Verdict("failed", "disagrees", numeric, step, rounding, truncation)
    # Halving the step doubles the rounding noise: a movement that rounding
    # explains (up to three times the noise) says nothing about curvature.
    reason = "truncation" if truncation > 3.0 * rounding else "rounding"
    return Verdict("inconclusive", reason, numeric, step, rounding, truncation)


def judge(
    analytic: float,
    measure: Callable[[float], float],
    rounding: Callable[[float], float],
    *,
    value: float,
    eps: float,
    rtol: float,
    atol: float,
    kinked: Callable[[float], bool] = lambda step: False,
) -> Verdict:
    """The verdict on ``analytic`` against slopes of ``measure`` around ``value``.

    ``measure(h)`` is the central difference over a step ``h`` and
    ``rounding(h)`` its rounding noise; ``kinked(h)`` says whether a nudge by
    ``h`` crosses a kink, where no step gives a meaningful slope. The step is
    ``step_for(value, eps)``: ``first_look``, then if needed the kink test and
    ``second_look``. Where the slope is lost in rounding at that step, wider
    steps are tried, ``eps * max(|value|, 1)`` times 1, 10 and 100 (the
    value's size and the function's scale need not be the same: ``1 + x``
    at ``x = 1e-117`` does not change with a step of ``1e-123``). A wider
    step that agrees is taken; otherwise the first step's verdict stands,
    marked ``wider``: a wide step trades rounding for curvature, and is
    trusted to confirm a gradient, not to condemn one.
    """

    def at(step: float) -> Verdict:
        numeric = measure(step)
        noise = rounding(step)
        seen = first_look(analytic, numeric, step, noise, rtol=rtol, atol=atol)
        if seen is not None:
            return seen
        if kinked(step):
            return Verdict("inconclusive", "kink", numeric, step, noise)
        half = measure(step / 2.0)
        return second_look(analytic, numeric, half, step, noise, rtol=rtol, atol=atol)

    step = step_for(value, eps)
    first = at(step)
    if first.reason != "rounding":
        return first
    base = eps * max(abs(value), 1.0) if math.isfinite(value) else eps
    for wider in (base, 10.0 * base, WIDEST * base):
        if wider <= step:
            continue
        try:
            verdict = at(wider)
        except (ArithmeticError, ValueError):
            break  # the wider nudge left a gate's domain: the step asked for stands
        if verdict.status == "passed":
            return verdict
        if verdict.reason != "rounding":
            break  # a clear verdict needs a slope known to RESOLVED, which none gave
    return replace(first, wider=True)


@dataclass(frozen=True)
class Slopes:
    """A gate's numerical slopes over four steps of ``e`` around an input
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
        the slope by about the same ``e * f''``, however curved the
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


def slopes(gate: Gate, unit: Unit, step: float) -> Slopes:
    """``gate``'s slopes on both sides of its input ``unit``, each over
    ``step``; the gate's output value and state are restored.

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
    step = max(step, 4.0 * math.ulp(x))  # five distinct points, however small the step
    points = (x - 2.0 * step, x - step, x, x + step, x + 2.0 * step)
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
    noise = 4.0 * ROUNDING * max(finite, default=0.0) / step
    return Slopes(steps[0], steps[1], steps[2], steps[3], noise=noise)
