"""The guide's single neuron: ``s = sigmoid(a*x + b*y + c)``.

>>> n = build_neuron()
>>> round(n.s.value, 4)
0.8808
>>> backward_by_hand(n)
>>> [round(u.grad, 3) for u in (n.a, n.b, n.c, n.x, n.y)]
[-0.105, 0.315, 0.105, 0.105, 0.21]
"""

from __future__ import annotations

from dataclasses import dataclass

from gates import AddGate, MultGate, SigmoidGate, Unit

__all__ = ["Neuron", "backward_by_hand", "build_neuron", "demo", "forward_neuron"]


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


def forward_neuron(n: Neuron) -> Unit:
    """The guide's forward pass through the five gates; stores and returns ``s``."""
    ax = n.mulg0.forward(n.a, n.x)
    by = n.mulg1.forward(n.b, n.y)
    axpby = n.addg0.forward(ax, by)
    axpbypc = n.addg1.forward(axpby, n.c)
    n.s = n.sg0.forward(axpbypc)
    return n.s


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
    n.s.label = "s"
    return n


def backward_by_hand(n: Neuron) -> None:
    """Seed ``s.grad = 1`` and call each gate's backward in reverse, as the guide does."""
    n.s.grad = 1.0
    n.sg0.backward()
    n.addg1.backward()
    n.addg0.backward()
    n.mulg1.backward()
    n.mulg0.backward()


def demo() -> None:
    """Forward, backward by hand, one step of size 0.01, forward again."""
    n = build_neuron()
    print(f"s = {n.s.value:.4f}")
    backward_by_hand(n)
    print("grads: " + ", ".join(f"{u.label}={u.grad:.3f}" for u in (n.a, n.b, n.c, n.x, n.y)))
    for unit in (n.a, n.b, n.c, n.x, n.y):
        unit.value += 0.01 * unit.grad
    forward_neuron(n)
    print(f"after one step: s = {n.s.value:.4f}")
