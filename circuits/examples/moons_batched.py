"""The moons classifier trained on a thousand points with batched replay.

:mod:`circuits.examples.moons` records the hinge loss over every point, one
gate per scalar operation per point, and replays that. Here the circuit is
recorded for *one* point, with the point's coordinates and label as input
units, and :meth:`Circuit.batched` runs it over all the points at once with
NumPy: the same gates, the same gradient rule, a thousand points a step in a
few milliseconds.

Needs NumPy (``pip install numpy``, or the ``batch`` extra).

>>> data = make_moons(1000, noise=0.1, seed=0)
>>> run = train_moons_batched(data, max_steps=150)
>>> run.accuracies[-1] >= 0.95
True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from circuits.batched import BatchedCircuit
from circuits.circuit import Circuit
from circuits.examples.mlp import MLP
from circuits.examples.moons import MoonsRun, Point, make_moons
from gates import Unit

__all__ = ["OnePoint", "make_moons", "record_one_point", "train_moons_batched"]


class OnePoint:
    """The hinge margin of one point, recorded once, ready to run on a batch.

    Attributes:
        x1, x2, label: the input units the batch feeds.
        score, margin: the network's score and ``max(0, 1 - label * score)``.
        loss: the margin's program over a batch (``loss.run(feeds)``).
        scores: the score's program, for predictions and accuracy.
    """

    def __init__(self, net: MLP) -> None:
        self.x1 = Unit(0.0, label="x1", requires_grad=False)
        self.x2 = Unit(0.0, label="x2", requires_grad=False)
        self.label = Unit(1.0, label="label", requires_grad=False)
        with Circuit() as self.circuit:
            self.score = net([self.x1, self.x2])[0]
            self.margin = (1.0 - self.label * self.score).relu()
        self.loss: BatchedCircuit = self.circuit.batched(self.margin)
        self.scores: BatchedCircuit = self.circuit.batched(self.score)

    def feeds(self, data: Sequence[Point]) -> dict[Unit, Any]:
        """The batch's columns, keyed by the units they feed."""
        import numpy as np

        xs = np.array([xy for xy, _ in data], dtype=float)
        labels = np.array([label for _, label in data], dtype=float)
        return {self.x1: xs[:, 0], self.x2: xs[:, 1], self.label: labels}


def record_one_point(net: MLP) -> OnePoint:
    """Record ``net``'s hinge margin for one point (see :class:`OnePoint`)."""
    return OnePoint(net)


def train_moons_batched(
    data: Sequence[Point],
    *,
    hidden: Sequence[int] = (8, 8),
    lr: float = 1.0,
    max_steps: int = 400,
    seed: int = 0,
) -> MoonsRun:
    """Full-batch gradient descent on the mean hinge loss, every point per step.

    Stops once every point is classified right (or after ``max_steps``).
    Each step runs the one-point circuit over the whole batch and moves each
    parameter by ``lr`` times its gradient averaged over the points.
    """
    net = MLP((2, *hidden, 1), activation="tanh", seed=seed)
    point = record_one_point(net)
    feeds = point.feeds(data)
    labels = feeds[point.label]
    params = net.parameters()
    run = MoonsRun(net)
    n = len(data)
    for _ in range(max_steps):
        scores = point.scores.run(feeds).outputs
        run.accuracies.append(float(((scores > 0.0) == (labels > 0.0)).mean()))
        result = point.loss.run(feeds)
        run.losses.append(result.total / n)
        if run.accuracies[-1] == 1.0:
            break
        for p in params:
            p.value -= lr * result.grads[p] / n
    return run
