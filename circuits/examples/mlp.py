"""A small multi-layer perceptron made of units and gates.

Each hidden unit is ``act(sum(w_i * x_i) + b)``; the last layer is linear
(no activation), so its output is a score. Weights start uniform in
``[-1, 1] * init_scale / sqrt(fan_in)`` from ``random.Random(seed)``, so a
seed fixes the network.

>>> from gates import Unit
>>> net = MLP((2, 3, 1), seed=0)
>>> len(net.parameters())         # (2*3 + 3) + (3*1 + 1)
13
>>> score = net([Unit(0.5), Unit(-1.0)])[0]
>>> score.backward()
>>> all(p.grad != 0.0 for p in net.layers[-1][0].weights)
True
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from circuits.examples._labels import labelled
from gates import Unit

__all__ = ["ACTIVATIONS", "MLP", "Perceptron", "activate"]

ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu")
"""The activations :func:`activate` knows, by name."""


def activate(z: Unit, activation: str) -> Unit:
    """``z`` through the activation gate named ``activation``.

    >>> activate(Unit(-2.0), "leaky_relu").value
    -0.02
    """
    if activation == "tanh":
        return z.tanh()
    if activation == "relu":
        return z.relu()
    if activation == "sigmoid":
        return z.sigmoid()
    if activation == "leaky_relu":
        return z.leaky_relu()
    raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")


@dataclass
class Perceptron:
    """One unit of a layer: its weights and its bias."""

    weights: list[Unit]
    bias: Unit
    name: str | None = None  # labels its units (L1.n0.w0x, L1.n0.z) when given

    def __call__(self, inputs: Sequence[Unit], tag: str = "") -> Unit:
        """The weighted sum ``b + w_0*x_0 + w_1*x_1 + ...`` (no activation);
        ``tag`` ends the labels of its units, to tell one input's from another's."""
        total = self.bias
        last = len(self.weights) - 1
        for i, (w, x) in enumerate(zip(self.weights, inputs)):
            product = w * x
            total = total + product
            if self.name is not None:
                labelled(product, f"{self.name}.w{i}x{tag}")
                labelled(total, f"{self.name}.{'z' if i == last else f's{i}'}{tag}")
        return total


class MLP:
    """Layers of perceptrons: ``sizes = (inputs, hidden..., outputs)``.

    Args:
        sizes: the width of each layer, the inputs first.
        activation: the hidden layers' activation (see ``ACTIVATIONS``).
        seed: fixes the initial weights.
        label: a prefix for the parameters' labels (``"L1.n0.w1"``), so traces
            and drawings name them; ``None`` leaves them unlabelled.
        init_scale: multiplies the initial weights' range. ``sqrt(6)`` gives
            He initialisation, which keeps a ReLU network's signal from
            shrinking layer by layer.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str = "tanh",
        seed: int = 0,
        label: str | None = None,
        init_scale: float = 1.0,
    ) -> None:
        if len(sizes) < 2 or any(n < 1 for n in sizes):
            raise ValueError(f"MLP sizes must be two or more positive widths, got {sizes!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; choose one of {ACTIVATIONS}")
        rng = random.Random(seed)
        self.activation = activation
        self.layers: list[list[Perceptron]] = []
        for depth, (fan_in, fan_out) in enumerate(itertools.pairwise(sizes), start=1):
            scale = init_scale / math.sqrt(fan_in)
            layer = []
            for j in range(fan_out):
                name = None if label is None else f"{label}L{depth}.n{j}"
                weights = [
                    Unit(rng.uniform(-scale, scale), label=None if name is None else f"{name}.w{i}")
                    for i in range(fan_in)
                ]
                bias = Unit(0.0, label=None if name is None else f"{name}.b")
                layer.append(Perceptron(weights, bias, name))
            self.layers.append(layer)

    def __call__(self, inputs: Sequence[Unit], tag: str = "") -> list[Unit]:
        """The output layer's scores for one input vector (``tag``: see Perceptron)."""
        values = list(inputs)
        last = len(self.layers) - 1
        for depth, layer in enumerate(self.layers):
            sums = [perceptron(values, tag) for perceptron in layer]
            if depth == last:
                return sums
            values = [activate(z, self.activation) for z in sums]
            for perceptron, a in zip(layer, values):
                if perceptron.name is not None:
                    labelled(a, f"{perceptron.name}.h{tag}")
        return values

    def parameters(self) -> list[Unit]:
        """Every weight and bias, layer by layer."""
        return [p for layer in self.layers for n in layer for p in (*n.weights, n.bias)]
