"""Vanishing gradients in a deep one-unit chain, the dead-ReLU trap, and remedies.

A chain of ``depth`` layers, one unit wide: ``a_i = act(w_i * a_(i-1) + b_i)``
with ``a_0 = x``, and the cost ``C = (a_depth - target)**2``. Backward
multiplies one local derivative per layer; a sigmoid's is at most 1/4, so
dC/dw shrinks by a factor of four or more per layer on its way to the input.

>>> chain = build_chain(depth=10, activation="sigmoid", seed=0)
>>> grads = layer_grads(chain)
>>> abs(grads[0]) < 1e-5 < abs(grads[-1])
True
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from circuits.circuit import Circuit
from circuits.examples._labels import labelled
from circuits.examples.mlp import MLP, activate
from gates import Unit

__all__ = [
    "Chain",
    "WideNet",
    "build_chain",
    "build_wide",
    "chain_grads",
    "demo",
    "first_layer_reach",
    "layer_grads",
    "train_chain",
]


@dataclass
class Chain:
    """The units of a one-unit-wide chain: per-layer weights, biases and outputs."""

    x: Unit
    weights: list[Unit]
    biases: list[Unit]
    activations: list[Unit]
    cost: Unit
    circuit: Circuit

    @property
    def output(self) -> Unit:
        """The last layer's output."""
        return self.activations[-1]


def build_chain(
    depth: int = 10,
    *,
    activation: str = "sigmoid",
    x: float = 1.0,
    target: float = 3.0,
    seed: int = 0,
) -> Chain:
    """Build the chain and its cost ``(a_depth - target)**2`` (forward only).

    The weights start uniform in [-1, 1] from ``random.Random(seed)``, the
    biases at 0, so chains with the same seed and different activations share
    their weights.
    """
    if depth < 1:
        raise ValueError(f"a chain needs at least one layer, got depth={depth}")
    rng = random.Random(seed)
    xu = Unit(x, label="x", requires_grad=False)
    weights = [Unit(rng.uniform(-1.0, 1.0), label=f"w{i}") for i in range(1, depth + 1)]
    biases = [Unit(0.0, label=f"b{i}") for i in range(1, depth + 1)]
    outputs = []
    a = xu
    with Circuit() as circuit:  # recorded, so train_chain can replay it
        for i, (w, b) in enumerate(zip(weights, biases), start=1):
            z = labelled(labelled(w * a, f"wa{i}") + b, f"z{i}")
            a = labelled(activate(z, activation), f"a{i}")
            outputs.append(a)
        cost = labelled(labelled(a - target, "diff") ** 2, "C")
    return Chain(xu, weights, biases, outputs, cost, circuit)


def layer_grads(chain: Chain) -> list[float]:
    """dC/dw_i for every layer, first layer first (runs ``cost.backward()`` once)."""
    chain.cost.backward()
    return [w.grad for w in chain.weights]


def chain_grads(depth: int = 10, *, seed: int = 0) -> dict[str, list[float]]:
    """dC/dw_i of every layer, for the same chain (same weights) with each activation.

    >>> grads = chain_grads(depth=3)
    >>> sorted(grads), len(grads["relu"])
    (['leaky_relu', 'relu', 'sigmoid', 'tanh'], 3)
    """
    return {
        activation: layer_grads(build_chain(depth, activation=activation, seed=seed))
        for activation in ("sigmoid", "tanh", "relu", "leaky_relu")
    }


@dataclass
class WideNet:
    """A deeper-than-wide MLP on one input, and its cost."""

    net: MLP
    x: Unit
    cost: Unit

    def first_layer_grads(self) -> list[float]:
        """dC/dw for the first layer's weights (after ``cost.backward()``)."""
        return [n.weights[0].grad for n in self.net.layers[0]]


def build_wide(
    depth: int = 10,
    width: int = 4,
    *,
    activation: str = "relu",
    x: float = 1.0,
    target: float = 3.0,
    seed: int = 0,
) -> WideNet:
    """``depth`` hidden layers of ``width`` units and a linear output unit.

    A unit is dead for this input when its weighted sum is negative; with
    several units per layer, the gradient needs only one live path down. The
    weights use He initialisation (``init_scale=sqrt(6)``).
    """
    # He initialisation (range sqrt(6 / fan_in)): without it the signal of a
    # deep ReLU network shrinks layer by layer, whatever its width.
    net = MLP(
        (1,) + (width,) * depth + (1,),
        activation=activation,
        seed=seed,
        init_scale=math.sqrt(6.0),
    )
    xu = Unit(x, label="x", requires_grad=False)
    out = net([xu])[0]
    cost = (out - target) ** 2
    cost.label = "C"
    return WideNet(net, xu, cost)


def first_layer_reach(
    width: int, activation: str, *, depth: int = 10, seed: int = 0
) -> tuple[int, float, float]:
    """How much gradient reaches the first layer of a :func:`build_wide` network.

    Returns how many first-layer weights get a nonzero dC/dw, the largest
    |dC/dw| among them, and the largest |dC/dw| in the last layer, to
    compare with.

    >>> live, bottom, top = first_layer_reach(8, "leaky_relu")
    >>> live, bottom > 0.1 * top
    (8, True)
    """
    net = build_wide(depth=depth, width=width, activation=activation, seed=seed)
    net.cost.backward()
    first = net.first_layer_grads()
    top = [w.grad for neuron in net.net.layers[-1] for w in neuron.weights]
    return (
        sum(g != 0.0 for g in first),
        max(abs(g) for g in first),
        max(abs(g) for g in top),
    )


def train_chain(chain: Chain, *, steps: int = 100, lr: float = 0.1) -> list[float]:
    """Gradient descent on every weight and bias of the chain; the cost before each step.

    Replays the chain's recorded circuit: forward, zero_grad, backward, and
    ``p.value -= lr * p.grad`` for each parameter.
    """
    params = chain.weights + chain.biases
    costs = []
    for _ in range(steps):
        chain.circuit.forward()
        costs.append(chain.cost.value)
        chain.circuit.zero_grad()
        chain.circuit.backward()
        for p in params:
            p.value -= lr * p.grad
    return costs


def demo(depth: int = 10, activation: str = "sigmoid") -> None:
    """The tutorial's chain: the cost, then dC/dw for each layer, first layer first."""
    chain = build_chain(depth=depth, activation=activation, seed=0)
    grads = layer_grads(chain)
    print(f"{depth} {activation} layers, one unit wide: C = {chain.cost.value:.4f}")
    # dC/dw_i is dC/dz_i times a_(i-1): show the signal it multiplies beside it, or a
    # tiny grad from a collapsed signal reads as a gradient that vanished on the way.
    below = [chain.x, *chain.activations[:-1]]
    for i, (g, a) in enumerate(zip(grads, below), start=1):
        print(f"dC/dw{i} = {g:+.1e}   ({a.label} = {a.value:+.1e})")
    print(
        "dC/dw_i = dC/dz_i * a_(i-1): small when the gradient reaching layer i is small, "
        "or when the signal a_(i-1) is."
    )
    zs = [a.gate.u0 for a in chain.activations if a.gate is not None]
    dead = next((k for k, z in enumerate(zs, start=1) if z.value <= 0.0), None)
    if activation == "relu" and dead is not None and not any(grads):
        z = zs[dead - 1]
        above = all(a.value == 0.0 for a in chain.activations[dead - 1 : -1])
        print(
            f"Every dC/dw is exactly 0. {z.label} = {z.value:+.4f} is not above 0, so that "
            f"ReLU outputs 0 with slope 0: no gradient passes it back to w1..w{dead}"
            + (", and every layer above it multiplies a signal of 0. " if above else ". ")
            + "That is a dead ReLU, not a vanishing gradient (tutorial 7)."
        )
