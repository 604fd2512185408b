"""The guide's single neuron: ``s = sigmoid(a*x + b*y + c)``.

>>> n = build_neuron()
>>> round(n.s.value, 4)
0.8808
>>> backward_by_hand(n)
>>> [round(u.grad, 3) for u in (n.a, n.b, n.c, n.x, n.y)]
[-0.105, 0.315, 0.105, 0.105, 0.21]
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from gates import AddGate, MultGate, SigmoidGate, Unit

__all__ = [
    "INPUT_NAMES",
    "Neuron",
    "backward_by_hand",
    "build_neuron",
    "demo",
    "forward_neuron",
    "inputs_of",
    "numerical_gradient",
    "random_local_search",
    "step",
]

INPUT_NAMES = ("a", "b", "c", "x", "y")
"""The neuron's five inputs, in the guide's order."""


@dataclass
class Neuron:
    """The units and gates of the neuron, named as in the guide."""

    a: Unit
    b: Unit
    c: Unit
    x: Unit
    y: Unit
    mulg0: MultGate
    mulg1: MultGate
    addg0: AddGate
    addg1: AddGate
    sg0: SigmoidGate
    s: Unit


# The docs include the code between the "--8<--" markers.
# --8<-- [start:forward]
def forward_neuron(n: Neuron) -> Unit:
    """The guide's forward pass through the five gates; stores and returns ``s``."""
    ax = n.mulg0.forward(n.a, n.x)
    by = n.mulg1.forward(n.b, n.y)
    axpby = n.addg0.forward(ax, by)
    axpbypc = n.addg1.forward(axpby, n.c)
    n.s = n.sg0.forward(axpbypc)
    n.s.label = "s"
    return n.s


# --8<-- [end:forward]


def build_neuron(
    a: float = 1.0, b: float = 2.0, c: float = -3.0, x: float = -1.0, y: float = 3.0
) -> Neuron:
    """Make the units and gates (labelled with the guide's names) and run forward."""
    units = {name: Unit(v, label=name) for name, v in zip("abcxy", (a, b, c, x, y))}
    n = Neuron(
        **units,
        mulg0=MultGate().named("mulg0"),
        mulg1=MultGate().named("mulg1"),
        addg0=AddGate().named("addg0"),
        addg1=AddGate().named("addg1"),
        sg0=SigmoidGate().named("sg0"),
        s=Unit(0.0),
    )
    forward_neuron(n)
    return n


# --8<-- [start:backward]
def backward_by_hand(n: Neuron) -> None:
    """Seed ``s.grad = 1`` and call each gate's backward in reverse, as the guide does."""
    n.s.grad = 1.0
    n.sg0.backward()
    n.addg1.backward()
    n.addg0.backward()
    n.mulg1.backward()
    n.mulg0.backward()


# --8<-- [end:backward]


def inputs_of(n: Neuron) -> list[Unit]:
    """The five input units, in the order of ``INPUT_NAMES``."""
    return [n.a, n.b, n.c, n.x, n.y]


def step(n: Neuron, step_size: float = 0.01) -> float:
    """Nudge every input along its gradient, run forward again, return ``s``.

    The update changes ``unit.value`` in place: the gates stay the same five
    objects and the next forward pass reads the new values.

    >>> n = build_neuron()
    >>> backward_by_hand(n)
    >>> round(step(n, 0.01), 4)
    0.8826
    """
    for unit in inputs_of(n):
        unit.value += step_size * unit.grad
    return forward_neuron(n).value


def random_local_search(
    n: Neuron, *, tries: int = 100, tweak: float = 0.01, seed: int = 0
) -> float:
    """Strategy 1: try random small changes of all five inputs, keep the best.

    Every try starts from the current inputs, moves each by up to ``tweak``
    in a random direction and runs the gates forward. The inputs are left at
    the best try (or unchanged if none was better); returns the best output.
    It costs a forward pass per try and learns nothing about which way to go.

    >>> n = build_neuron()
    >>> random_local_search(n, tries=100, seed=0) > 0.8808
    True
    """
    rng = random.Random(seed)
    units = inputs_of(n)
    start = [u.value for u in units]
    best_values = start
    best = forward_neuron(n).value
    for _ in range(tries):
        trial = [v + tweak * rng.uniform(-1.0, 1.0) for v in start]
        for unit, value in zip(units, trial):
            unit.value = value
        out = forward_neuron(n).value
        if out > best:
            best, best_values = out, trial
    for unit, value in zip(units, best_values):
        unit.value = value
    forward_neuron(n)
    return best


def numerical_gradient(n: Neuron, *, h: float = 1e-4, central: bool = True) -> dict[str, float]:
    """Strategy 2: ds/d(input) for each input, by nudging it and re-running forward.

    One-sided: ``(s(v + h) - s(v)) / h``, off by about ``h``. Central:
    ``(s(v + h) - s(v - h)) / (2h)``, off by about ``h**2``. Every input is
    put back afterwards.

    >>> n = build_neuron()
    >>> {k: round(v, 3) for k, v in numerical_gradient(n).items()}
    {'a': -0.105, 'b': 0.315, 'c': 0.105, 'x': 0.105, 'y': 0.21}
    """
    grads: dict[str, float] = {}
    for name, unit in zip(INPUT_NAMES, inputs_of(n)):
        original = unit.value
        unit.value = original + h
        above = forward_neuron(n).value
        unit.value = original - h if central else original
        below = forward_neuron(n).value
        unit.value = original
        grads[name] = (above - below) / (2 * h if central else h)
    forward_neuron(n)
    return grads


def demo() -> None:
    """Forward, backward by hand, one step of size 0.01, forward again."""
    n = build_neuron()
    print(f"s = {n.s.value:.4f}")
    backward_by_hand(n)
    print("grads: " + ", ".join(f"{u.label}={u.grad:.3f}" for u in (n.a, n.b, n.c, n.x, n.y)))
    print(f"after one step: s = {step(n, 0.01):.4f}")
