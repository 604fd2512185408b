"""Sigmoid saturation: ``l = sigmoid(w*x + b)`` with a constant input ``x``.

With w=5, b=1 and x=0.1 the neuron is in its sensitive range and passes
gradient back; with x=20.1 the linear part is 101.5, the sigmoid is flat
there, and no gradient gets through.

>>> n = build_saturation(x=0.1)
>>> n.l.backward()
>>> round(n.l.value, 4), round(n.b.grad, 4), round(n.w.grad, 4)
(0.8176, 0.1491, 0.0149)
>>> n = build_saturation(x=20.1)
>>> n.l.backward()
>>> n.z.value, n.l.value, n.b.grad, n.w.grad
(101.5, 1.0, 0.0, 0.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.examples._labels import labelled
from gates import AddGate, MultGate, SigmoidGate, Unit

__all__ = ["DeadNeuron", "Saturation", "build_dead_neuron", "build_saturation", "demo"]


@dataclass
class Saturation:
    """The units of one sigmoid neuron: parameters, constant input, linear part, output."""

    w: Unit
    b: Unit
    x: Unit
    z: Unit
    l: Unit  # noqa: E741 - the notebook's name for the output


def build_saturation(
    w: float = 5.0, b: float = 1.0, x: float = 0.1, *, tag: str = ""
) -> Saturation:
    """Build ``l = sigmoid(w*x + b)``, ``x`` a constant (it takes no gradient).

    Runs forward only: call ``n.l.backward()`` to get the gradients. ``tag``
    ends every label (``w2``, ``mulg2``), to tell two such neurons apart.
    """
    wu, bu = Unit(w, label=f"w{tag}"), Unit(b, label=f"b{tag}")
    xu = Unit(x, label=f"x{tag}", requires_grad=False)
    # Explicit, labelled gates, so traces and drawings name every step.
    wx = MultGate().named(f"mulg{tag}").forward(wu, xu)
    z = AddGate().named(f"addg{tag}").forward(wx, bu)
    out = SigmoidGate().named(f"sg{tag}").forward(z)
    for unit, label in ((wx, "wx"), (z, "z"), (out, "l")):
        unit.label = label + tag
    return Saturation(wu, bu, xu, z, out)


@dataclass
class DeadNeuron:
    """One neuron ``sigmoid(w*x + b)`` applied to several data points, outputs summed."""

    w: Unit
    b: Unit
    xs: list[Unit]
    outputs: list[Unit]
    total: Unit


def build_dead_neuron(
    w: float = 50.0, b: float = 20.0, xs: Sequence[float] = (1.3, 1.4)
) -> DeadNeuron:
    """The same ``w`` and ``b`` applied to every point in ``xs``; the outputs are summed.

    With the defaults every point drives the neuron deep into saturation, so
    ``total.backward()`` leaves ``w.grad`` and ``b.grad`` at exactly 0: no data
    point can move this neuron.

    >>> n = build_dead_neuron()
    >>> n.total.backward()
    >>> n.total.value, n.w.grad, n.b.grad
    (2.0, 0.0, 0.0)
    """
    wu, bu = Unit(w, label="w"), Unit(b, label="b")
    inputs = [Unit(x, label=f"x{i}", requires_grad=False) for i, x in enumerate(xs, start=1)]
    outputs = []
    for i, x in enumerate(inputs, start=1):
        z = labelled(labelled(wu * x, f"wx{i}") + bu, f"z{i}")
        outputs.append(labelled(z.sigmoid(), f"l{i}"))
    total = outputs[0]
    for i, out in enumerate(outputs[1:], start=2):
        total = labelled(total + out, "total" if i == len(outputs) else f"total{i}")
    return DeadNeuron(wu, bu, inputs, outputs, total)


def demo() -> None:
    """The neuron at x=0.1 (gradient flows) and at x=20.1 (saturated, none does)."""
    for tag, x in (("", 0.1), ("2", 20.1)):
        n = build_saturation(x=x, tag=tag)
        n.l.backward()
        print(  # by the units' labels (z2, b2, ...), as the trace and the table name them
            f"{n.x.label}={x}: {n.z.label}={n.z.value:.2f} {n.l.label}={n.l.value:.4f} "
            f"{n.b.label}.grad={n.b.grad:.4f} {n.w.label}.grad={n.w.grad:.4f}"
        )
