"""XOR with a 2-2-1 sigmoid network: nine parameters, trained by gradient descent.

No single neuron can compute XOR (its two classes are not separable by a
line); two hidden sigmoid units can. The loss is the squared error summed
over the four cases, recorded once in a ``Circuit`` and replayed each epoch.

>>> run = train_xor(seed=0, epochs=2000, lr=1.0)
>>> [round(out, 2) for out in run.outputs()]
[0.02, 0.98, 0.98, 0.02]
>>> run.correct()
True
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from circuits.circuit import Circuit
from circuits.examples._labels import labelled
from gates import Unit

__all__ = ["CASES", "XorNet", "XorRun", "build_xor_loss", "demo", "train_xor"]

CASES: tuple[tuple[tuple[float, float], float], ...] = (
    ((0.0, 0.0), 0.0),
    ((0.0, 1.0), 1.0),
    ((1.0, 0.0), 1.0),
    ((1.0, 1.0), 0.0),
)
"""The four inputs of XOR and their targets."""


class XorNet:
    """Two hidden sigmoid units and a sigmoid output: 9 parameters.

    ``h1 = sigmoid(w11*x1 + w12*x2 + b1)``, ``h2 = sigmoid(w21*x1 + w22*x2 + b2)``,
    ``out = sigmoid(v1*h1 + v2*h2 + c)``. The parameters start uniform in
    [-1, 1] from ``random.Random(seed)``.
    """

    NAMES = ("w11", "w12", "b1", "w21", "w22", "b2", "v1", "v2", "c")

    def __init__(self, seed: int = 0) -> None:
        rng = random.Random(seed)
        self.params = {name: Unit(rng.uniform(-1.0, 1.0), label=name) for name in self.NAMES}

    def __call__(self, x1: Unit, x2: Unit, *, tag: str = "") -> Unit:
        """The network's output for one case; ``tag`` ends its units' labels."""
        p = self.params

        def neuron(w1: str, w2: str, b: str, in1: Unit, in2: Unit, out: str) -> Unit:
            first = labelled(p[w1] * in1, f"{w1}{in1.label or ''}{tag}")
            second = labelled(p[w2] * in2, f"{w2}{in2.label or ''}{tag}")
            z = labelled(labelled(first + second, f"s_{out}{tag}") + p[b], f"z_{out}{tag}")
            return labelled(z.sigmoid(), f"{out}{tag}")

        h1 = neuron("w11", "w12", "b1", x1, x2, "h1")
        h2 = neuron("w21", "w22", "b2", x1, x2, "h2")
        return neuron("v1", "v2", "c", h1, h2, "out")

    def parameters(self) -> list[Unit]:
        """The nine parameters, in the order of ``NAMES``."""
        return list(self.params.values())


def build_xor_loss(net: XorNet) -> tuple[Circuit, list[Unit], Unit]:
    """Record ``sum((net(x) - target)**2)`` over the four cases.

    Returns the circuit, the four outputs and the loss.
    """
    outputs = []
    with Circuit() as circuit:
        terms = []
        for i, ((x1, x2), target) in enumerate(CASES):
            out = net(
                Unit(x1, label="x1", requires_grad=False),
                Unit(x2, label="x2", requires_grad=False),
                tag=f"_{i}",
            )
            outputs.append(out)
            terms.append(labelled((out - target) ** 2, f"err_{i}"))
        loss = terms[0]
        for i, term in enumerate(terms[1:], start=1):
            loss = labelled(loss + term, "loss" if i == len(terms) - 1 else f"loss_{i}")
    return circuit, outputs, loss


@dataclass
class XorRun:
    """A trained network, its four output units and the loss after each epoch."""

    net: XorNet
    output_units: list[Unit]
    losses: list[float] = field(default_factory=list)

    def outputs(self) -> list[float]:
        """The network's output for each case of ``CASES``, in order."""
        return [u.value for u in self.output_units]

    def correct(self) -> bool:
        """True if every output is on the right side of 0.5."""
        pairs = zip(self.outputs(), CASES)
        return all((out > 0.5) == (target == 1.0) for out, (_, target) in pairs)


def train_xor(seed: int = 0, *, epochs: int = 10000, lr: float = 0.1) -> XorRun:
    """Full-batch gradient descent on the four cases.

    Each epoch: zero the grads, backward, ``p.value -= lr * p.grad`` for each
    of the nine parameters, replay forward.
    """
    net = XorNet(seed)
    circuit, outputs, loss = build_xor_loss(net)
    run = XorRun(net, outputs)
    params = net.parameters()
    for _ in range(epochs):
        circuit.zero_grad()
        circuit.backward()
        for p in params:
            p.value -= lr * p.grad
        circuit.forward()
        run.losses.append(loss.value)
    return run


def demo() -> None:
    """The untrained network on one case (0, 1): forward, backward of its squared error."""
    net = XorNet(seed=0)
    x1 = Unit(0.0, label="x1", requires_grad=False)
    x2 = Unit(1.0, label="x2", requires_grad=False)
    out = net(x1, x2)
    diff = labelled(out - 1.0, "diff")
    err = labelled(diff**2, "err")
    err.backward()
    print(f"out = {out.value:.4f}, squared error = {err.value:.4f}")
    print("grads: " + ", ".join(f"{p.label}={p.grad:+.4f}" for p in net.parameters()))
