"""Probing a gate by itself: the slips in a backward that a circuit can hide.

In most circuits a wrong backward still gives the right numbers: ``=`` for
``+=`` only shows where a unit feeds two gates, and a forgotten
``* self.utop.grad`` only where the upstream grad is not 1. So ``gradcheck``
probes every gate class that is not built in on a copy of one of its gates,
fed fresh units with the same values, in the situations that show each slip:

* its local derivative against the slope of its own forward;
* an upstream grad of 2, which a backward must multiply in;
* an input whose grad already holds something, which a backward must add to;
* one unit fed to every input (a 2-input gate), whose grad must collect
  every input's share;
* and values left alone: forward and backward change no unit's ``value``.

The circuit's own gates and units are never touched.

>>> from gates import Gate, Unit
>>> class AssignSquare(Gate):
...     def forward(self, u0):
...         self.u0 = u0
...         self.utop = Unit(u0.value * u0.value)
...         return self.utop
...     def backward(self):
...         self.u0.grad = 2 * self.u0.value * self.utop.grad  # = where += belongs
>>> square = AssignSquare()
>>> _ = square.forward(Unit(1.5))
>>> [blame.headline for blame in probe(square, eps=1e-6, rtol=1e-5, atol=1e-8)]
['`AssignSquare.backward` replaces `u0.grad` instead of adding to it: write `+=`']
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass

from circuits._differences import (
    ROUNDING,
    gate_difference,
    judge,
    rounding_noise,
    slopes,
)
from circuits.names import held_units
from gates import Gate, Unit
from gates.labels import name_of

__all__ = ["PROBE_UPSTREAM", "Blame", "probe"]

PROBE_UPSTREAM = 2.0
"""The upstream grad of the probe that a backward must multiply in (exact
in binary, so a right backward gives exactly twice its local derivative)."""


@dataclass(frozen=True)
class Blame:
    """A gate whose ``backward`` (or ``forward``) is wrong, and how it shows.

    Attributes:
        gate: the circuit's gate that was probed (on a copy) or checked.
        kind: what is wrong: ``"local"`` (a wrong local derivative),
            ``"upstream"`` (does not multiply by ``self.utop.grad``),
            ``"utop value"`` (multiplies by ``self.utop.value`` instead),
            ``"overwrites"`` (assigns the grad with ``=``), ``"adds"`` (adds
            something else into a grad that held some), ``"shared"`` (loses a
            share when one unit feeds two inputs), ``"forward changes"`` /
            ``"backward changes"`` (changes a unit's value).
        position: the input concerned.
        attribute: what the gate calls that input (``u0``).
        got, expected: the number the gate gave and the one due.
        at: the input values the gate was probed at, by attribute.
        gate_name: the gate's name in the circuit.
        probed: True when found on a copy of the gate by itself; False when
            found at the gate's own place in the circuit.
    """

    gate: Gate
    kind: str
    position: int
    attribute: str
    got: float
    expected: float
    at: tuple[tuple[str, float], ...]
    gate_name: str
    probed: bool = True
    before: float = 0.0  # the grad an input held before backward (kind "overwrites", "adds")
    upstream: float = 1.0  # the upstream grad of the probe
    utop_value: float = 0.0  # the output's value (kind "utop value")

    @property
    def method(self) -> str:
        """``AssignSquare.backward``: the code to fix."""
        name = "forward" if self.kind == "forward changes" else "backward"
        return f"{type(self.gate).__name__}.{name}"

    @property
    def headline(self) -> str:
        """What is wrong and what to do, in one sentence."""
        m, a = f"`{self.method}`", self.attribute
        if self.kind == "overwrites":
            return f"{m} replaces `{a}.grad` instead of adding to it: write `+=`"
        if self.kind == "adds":
            return f"{m} does not add its share into `{a}.grad` on top of what it holds"
        if self.kind == "upstream":
            return f"{m} does not multiply by `self.utop.grad`"
        if self.kind == "utop value":
            return f"{m} multiplies by `self.utop.value` where it needs `self.utop.grad`"
        if self.kind == "shared":
            return (
                f"{m} loses a share when one unit feeds several inputs: add each input's "
                "share with `+=`"
            )
        if self.kind in ("forward changes", "backward changes"):
            return (
                f"{m} changes the value of its input `{a}` ({_n(self.expected)} -> "
                f"{_n(self.got)}): leave input values as they are"
            )
        return (
            f"{m} gives d(utop)/d({a}) = {_n(self.got)}, but nudging {a} moves utop at a "
            f"slope of {_n(self.expected)}: fix the local derivative{_hint(self)}"
        )

    @property
    def detail(self) -> str:
        """The numbers that show it, and where."""
        where = ", ".join(f"{attribute} = {_n(value)}" for attribute, value in self.at)
        if self.probed:
            place = f"Probed by itself at the inputs of {self.gate_name} ({where})"
        else:
            place = f"At {self.gate_name} in the circuit ({where})"
        a = self.attribute
        if self.kind == "overwrites":
            return (
                f"{place}: `{a}.grad` held {_n(self.before)}; after backward it holds "
                f"{_n(self.got)}, where {_n(self.before)} + {_n(self.expected - self.before)} "
                f"= {_n(self.expected)} was due."
            )
        if self.kind == "adds":
            return (
                f"{place}: `{a}.grad` held {_n(self.before)}; after backward it holds "
                f"{_n(self.got)}, not {_n(self.expected)}."
            )
        if self.kind in ("upstream", "utop value"):
            share = self.expected / self.upstream
            text = (
                f"{place}: with `self.utop.grad` = {_n(self.upstream)} it added {_n(self.got)} "
                f"to `{a}.grad`, where {_n(self.upstream)} x {_n(share)} = {_n(self.expected)} "
                "was due"
            )
            if self.kind == "utop value":
                text += f" ({_n(self.got)} is {_n(share)} x self.utop.value, {_n(self.utop_value)})"
            return text + "."
        if self.kind == "shared":
            return (
                f"{place}: with one unit as every input, backward added {_n(self.got)} to its "
                f"grad, not the sum of the inputs' shares, {_n(self.expected)}."
            )
        return f"{place}."

    def __str__(self) -> str:
        return f"{self.headline}. {self.detail}"


def _n(x: float) -> str:
    return f"{x:.6g}"


def _hint(blame: Blame) -> str:
    """A guess at the slip from the ratio of the two numbers, if it is a simple one."""
    got, due = blame.got, blame.expected
    if not (math.isfinite(got) and math.isfinite(due)) or due == 0.0:
        return ""
    if got == 0.0:
        return " (backward adds nothing)"
    ratio = got / due
    for value, words in (
        (-1.0, "the sign is wrong"),
        (2.0, "twice the slope"),
        (0.5, "half the slope"),
    ):
        if abs(ratio - value) <= 1e-3 * abs(value):
            return f" ({words})"
    return ""


def _close(a: float, b: float, *scale: float) -> bool:
    """Equal up to the rounding of a few operations on numbers of this size."""
    if a == b:
        return True
    size = max(abs(a), abs(b), *(abs(s) for s in scale))
    return abs(a - b) <= 1e-9 * size + 16 * ROUNDING * size


class _Twin:
    """A copy of a gate, forwarded on fresh units: the circuit's gate is untouched."""

    def __init__(self, gate: Gate, units: Sequence[Unit]) -> None:
        self.gate = twin = copy.copy(gate)
        self.units = list(units)
        # As the base's forward does: u0, u1 set first, inputs remembered.
        if len(units) == 2:
            twin.u0, twin.u1 = units
        elif len(units) == 1:
            twin.u0 = units[0]
        out = type(twin)._own_forward(twin, *units)
        if not isinstance(out, Unit):
            raise TypeError("forward returned no Unit")
        twin._inputs = len(units) if len(units) <= 2 else tuple(units)
        if getattr(twin, "utop", None) is not out:
            twin.utop = out
        self.out = out

    @classmethod
    def fed(cls, gate: Gate, values: Sequence[float]) -> _Twin:
        """Fed a fresh unit per input."""
        return cls(gate, [Unit(v) for v in values])

    @classmethod
    def tied(cls, gate: Gate, value: float, arity: int) -> _Twin:
        """Fed one fresh unit at every input."""
        return cls(gate, [Unit(value)] * arity)

    def backward(self, upstream: float, before: float) -> list[float]:
        """The inputs' grads after one backward with these grads before."""
        for unit in self.units:
            unit.grad = before
        self.out.grad = upstream
        type(self.gate)._own_backward(self.gate)
        return [unit.grad for unit in self.units]

    def changed(self, values: Sequence[float]) -> int | None:
        """The first input whose value is no longer as given, if any."""
        for position, (unit, value) in enumerate(zip(self.units, values)):
            if unit.value != value:
                return position
        return None

    def attribute(self, position: int) -> str:
        """What the gate calls its input ``position`` (``u0``, or its own name)."""
        unit = self.units[position]
        for attribute, held in held_units(self.gate):
            if held is unit and attribute != "utop":
                return attribute
        return f"inputs[{position}]"


def probe(
    gate: Gate,
    *,
    eps: float,
    rtol: float,
    atol: float,
    gate_name: str | None = None,
    probed: bool = True,
) -> list[Blame]:
    """Everything wrong with ``gate``'s forward and backward at its inputs' values.

    Runs on a copy of the gate fed fresh units; ``gate`` and its units are
    left as they are. A probe that cannot run (the gate raises when fed
    fresh units, or gives no finite output) finds nothing. ``probed=False``
    checks only values and local derivatives, as the gate sits in the
    circuit: for a gate whose class another probe already covered.
    """
    values = [unit.value for unit in gate.inputs]
    if not values or not all(math.isfinite(v) for v in values):
        return []
    name = gate_name if gate_name is not None else name_of(gate)
    try:
        twin = _Twin.fed(gate, values)
    except Exception:  # a probe must never break the check it serves
        return []
    if not math.isfinite(twin.out.value):
        return []
    at = tuple((twin.attribute(i), v) for i, v in enumerate(values))
    found: list[Blame] = []

    def blame(kind: str, position: int, got: float, expected: float, **more: float) -> None:
        attribute = twin.attribute(position)
        found.append(
            Blame(gate, kind, position, attribute, got, expected, at, name, probed, **more)
        )

    changed = twin.changed(values)
    if changed is not None:
        blame("forward changes", changed, twin.units[changed].value, values[changed])
        return found
    try:
        local = twin.backward(1.0, 0.0)
        changed = twin.changed(values)
        if changed is not None:
            blame("backward changes", changed, twin.units[changed].value, values[changed])
            return found
        times = twin.backward(PROBE_UPSTREAM, 0.0)
        before = _before(local)
        added = [grad - before for grad in twin.backward(1.0, before)]
    except Exception:
        return found
    wrong = dict(_wrong_slopes(twin, values, local, eps=eps, rtol=rtol, atol=atol))
    if not probed:
        for position, numeric in list(wrong.items())[:1]:
            blame("local", position, local[position], numeric)
        return found
    # upstream grad 2: twice the local derivative is due
    for position, (one, two) in enumerate(zip(local, times)):
        if _close(two, PROBE_UPSTREAM * one):
            continue
        slope = wrong.get(position)
        if _close(two, one) and slope is not None and _close(one, slope * twin.out.value):
            # the local derivative is "wrong" only by the factor utop.value
            del wrong[position]
            blame("utop value", position, two, PROBE_UPSTREAM * slope,
                  upstream=PROBE_UPSTREAM, utop_value=twin.out.value)  # fmt: skip
        else:
            blame("upstream", position, two, PROBE_UPSTREAM * one, upstream=PROBE_UPSTREAM)
        break
    for position, numeric in wrong.items():
        blame("local", position, local[position], numeric)
    # a grad held before: the share is due on top of it
    for position, (share, gained) in enumerate(zip(local, added)):
        if _close(gained, share, before):
            continue
        kind = "overwrites" if _close(gained + before, share, before) else "adds"
        blame(kind, position, gained + before, before + share, before=before)
        return found  # the same slip shows again with one unit on every input
    if len(values) >= 2:
        found.extend(_shared(gate, values, at, name))
    return found


def _before(local: Sequence[float]) -> float:
    """A grad to hold before backward: 1, or a power of two near the local
    derivatives, so adding to it never rounds the share away."""
    size = max((abs(g) for g in local if math.isfinite(g)), default=0.0)
    if size == 0.0 or 1e-6 <= size <= 1e6:
        return 1.0
    return 2.0 ** round(math.log2(size))


def _wrong_slopes(
    twin: _Twin,
    values: Sequence[float],
    local: Sequence[float],
    *,
    eps: float,
    rtol: float,
    atol: float,
) -> list[tuple[int, float]]:
    """``(position, numerical slope)`` for each input whose local derivative
    is clearly wrong: beyond what rounding, the step's size or a kink explain."""
    wrong: list[tuple[int, float]] = []
    spread = abs(twin.out.value)
    for position, unit in enumerate(twin.units):

        def measure(step: float, unit: Unit = unit) -> float:
            return gate_difference(twin.gate, unit, step)

        def kinked(step: float, unit: Unit = unit) -> bool:
            return slopes(twin.gate, unit, step).kinked

        try:
            verdict = judge(
                local[position],
                measure,
                lambda step: rounding_noise(spread, step),
                value=values[position],
                eps=eps,
                rtol=rtol,
                atol=atol,
                kinked=kinked,
            )
        except (ArithmeticError, ValueError):
            continue  # a nudge left the gate's domain: nothing to say about it
        if verdict.status == "failed":
            wrong.append((position, verdict.numeric))
    return wrong


def _shared(
    gate: Gate, values: Sequence[float], at: tuple[tuple[str, float], ...], name: str
) -> list[Blame]:
    """One unit fed to every input: its grad must gain every input's share."""
    for value in dict.fromkeys(values):
        try:
            apart = _Twin.fed(gate, [value] * len(values))
            shares = apart.backward(1.0, 0.0)
            gained = _Twin.tied(gate, value, len(values)).backward(1.0, 0.0)[0]
        except Exception:
            continue
        if not all(math.isfinite(s) for s in [*shares, apart.out.value]):
            continue
        due = math.fsum(shares)
        if _close(gained, due, *shares):
            return []
        where = tuple((attribute, value) for attribute, _ in at)
        return [Blame(gate, "shared", 0, apart.attribute(0), gained, due, where, name)]
    return []
