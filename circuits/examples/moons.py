"""A small MLP classifier on two interleaving half-moons.

The data set is generated here (no download): ``make_moons(n, noise, seed)``
gives ``n`` points, half on an upper arc labelled +1 and half on a lower,
shifted arc labelled -1. A 2-8-8-1 tanh network is trained with the hinge
loss ``mean(max(0, 1 - y * score))`` by full-batch gradient descent, the
whole batch recorded once in a ``Circuit`` and replayed each step.

>>> data = make_moons(6, noise=0.0, seed=0)
>>> [label for _, label in data]
[1, -1, 1, -1, 1, -1]
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from circuits.circuit import Circuit
from circuits.examples._labels import labelled
from circuits.examples.mlp import MLP
from gates import Unit

__all__ = [
    "MoonsRun",
    "Point",
    "accuracy",
    "build_hinge_loss",
    "demo",
    "make_moons",
    "train_moons",
]

Point = tuple[tuple[float, float], int]
"""``((x1, x2), label)`` with label +1 or -1."""


def make_moons(n: int = 60, noise: float = 0.1, seed: int = 0) -> list[Point]:
    """``n`` points on two interleaving half circles, alternating +1 and -1.

    +1: ``(cos t, sin t)``; -1: ``(1 - cos t, 0.5 - sin t)``, with ``t`` uniform
    in [0, pi] and Gaussian noise of standard deviation ``noise`` added to
    both coordinates. ``random.Random(seed)`` makes it reproducible.
    """
    if n < 2:
        raise ValueError(f"make_moons needs n >= 2 points (one per class), got {n}")
    rng = random.Random(seed)
    points: list[Point] = []
    for i in range(n):
        t = rng.uniform(0.0, math.pi)
        if i % 2 == 0:
            x1, x2, label = math.cos(t), math.sin(t), 1
        else:
            x1, x2, label = 1.0 - math.cos(t), 0.5 - math.sin(t), -1
        points.append(((x1 + rng.gauss(0.0, noise), x2 + rng.gauss(0.0, noise)), label))
    return points


def build_hinge_loss(net: MLP, data: Sequence[Point]) -> tuple[Circuit, list[Unit], Unit]:
    """Record the mean hinge loss of ``net`` over ``data``.

    Returns the circuit, one score unit per point, and the loss.
    """
    scores = []
    with Circuit() as circuit:
        total: Unit | None = None
        for i, ((x1, x2), label) in enumerate(data, start=1):
            x = [
                Unit(x1, label=f"x1@{i}", requires_grad=False),
                Unit(x2, label=f"x2@{i}", requires_grad=False),
            ]
            score = labelled(net(x, tag=f"@{i}")[0], f"score@{i}")
            scores.append(score)
            pull = labelled(label * score, f"yscore@{i}")
            # The hinge: max(0, 1 - y * score), 0 once the point is on its side by 1 or more.
            hinge = labelled(labelled(1.0 - pull, f"gap@{i}").relu(), f"hinge@{i}")
            total = hinge if total is None else labelled(total + hinge, f"total@1..{i}")
        assert total is not None  # data is not empty
        loss = labelled(total / len(data), "loss")
    return circuit, scores, loss


def accuracy(scores: Sequence[Unit], data: Sequence[Point]) -> float:
    """The fraction of points whose score has the sign of their label."""
    right = sum((s.value > 0.0) == (label > 0) for s, (_, label) in zip(scores, data))
    return right / len(data)


@dataclass
class MoonsRun:
    """The trained network, the loss and accuracy before each step."""

    net: MLP
    losses: list[float] = field(default_factory=list)
    accuracies: list[float] = field(default_factory=list)

    def predict(self, x1: float, x2: float) -> float:
        """The network's score at a point (positive means class +1)."""
        return self.net([Unit(x1, requires_grad=False), Unit(x2, requires_grad=False)])[0].value


def train_moons(
    data: Sequence[Point],
    *,
    hidden: Sequence[int] = (8, 8),
    lr: float = 1.0,
    max_steps: int = 400,
    seed: int = 0,
) -> MoonsRun:
    """Gradient descent until every training point is classified right.

    Stops at the first step where the accuracy is 1.0 (or after
    ``max_steps``). Each step: zero_grad, backward, ``p.value -= lr * p.grad``
    for every weight and bias, forward.
    """
    net = MLP((2, *hidden, 1), activation="tanh", seed=seed)
    circuit, scores, loss = build_hinge_loss(net, data)
    params = net.parameters()
    run = MoonsRun(net)
    for _ in range(max_steps):
        run.losses.append(loss.value)
        run.accuracies.append(accuracy(scores, data))
        if run.accuracies[-1] == 1.0:
            break
        circuit.zero_grad()
        circuit.backward()
        for p in params:
            p.value -= lr * p.grad
        circuit.forward()
    return run


def demo() -> None:
    """A 2-2-1 network on two points: the hinge loss and its gradients."""
    data = make_moons(2, noise=0.0, seed=0)
    net = MLP((2, 2, 1), activation="tanh", seed=0, label="")
    _, scores, loss = build_hinge_loss(net, data)
    loss.backward()
    print(f"scores: {', '.join(f'{s.value:+.4f}' for s in scores)}  loss = {loss.value:.4f}")
    print("grads: " + ", ".join(f"{p.label}={p.grad:+.4f}" for p in net.parameters()))
