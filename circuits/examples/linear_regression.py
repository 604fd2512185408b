"""A linear model ``a*x + b`` fitted with mean squared error.

Two lessons. First, building the loss from ordinary arithmetic grows the
graph with every data point: two points give loss 8.5 and gradients -9.5 and
-5.0 (from a = b = 0). Second, recording the loss of one mini-batch once in a
``Circuit`` and replaying it keeps the graph a fixed size while SGD walks
through 200 noisy points of ``y = 10x + 5``.

>>> model = LinearModel()
>>> loss = mse([model.error(1.5, 1.0), model.error(2.0, 4.0)])
>>> loss.backward()
>>> loss.value, model.a.grad, model.b.grad
(8.5, -9.5, -5.0)
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from circuits.circuit import Circuit
from circuits.examples._labels import labelled
from circuits.progress import progress_bar
from gates import Unit

__all__ = [
    "Fit",
    "LinearModel",
    "demo",
    "make_line_data",
    "mse",
    "normalise",
    "train_sgd",
]


class LinearModel:
    """``a*x + b`` with the two parameters as units (both 0 to start)."""

    def __init__(self, a: float = 0.0, b: float = 0.0) -> None:
        self.a = Unit(a, label="a")
        self.b = Unit(b, label="b")

    def predict(self, x: float | Unit) -> Unit:
        """``a*x + b``; a plain number ``x`` becomes a constant input."""
        return self.a * x + self.b

    def error(self, x: float | Unit, y: float | Unit) -> Unit:
        """``a*x + b - y``: how far the prediction is from the target."""
        return self.predict(x) - y

    def parameters(self) -> list[Unit]:
        """``[a, b]``."""
        return [self.a, self.b]


def mse(errors: Sequence[Unit]) -> Unit:
    """The mean of the squared errors: ``(e1**2 + e2**2 + ...) / n``.

    >>> mse([Unit(-1.0), Unit(-4.0)]).value
    8.5
    """
    if not errors:
        raise ValueError("mse() needs at least one error unit, got none")
    total = errors[0] ** 2
    for e in errors[1:]:
        total = total + e**2
    return total / len(errors)


def normalise(values: Sequence[float]) -> list[float]:
    """Shift and scale ``values`` to mean 0 and standard deviation 1.

    >>> normalise([1.0, 2.0, 3.0])
    [-1.224744871391589, 0.0, 1.224744871391589]
    """
    n = len(values)
    mean = sum(values) / n
    std = math.sqrt(sum((v - mean) ** 2 for v in values) / n)
    if std == 0.0:
        raise ValueError("normalise() needs values that are not all equal (their spread is 0)")
    return [(v - mean) / std for v in values]


def make_line_data(
    n: int = 200,
    *,
    slope: float = 10.0,
    intercept: float = 5.0,
    noise: float = 1.0,
    seed: int = 0,
) -> list[tuple[float, float]]:
    """``n`` points ``(x, slope*x + intercept + noise)`` with ``x`` normalised.

    The ``x`` are drawn from a standard normal and then normalised exactly;
    the noise is Gaussian with standard deviation ``noise``.

    >>> data = make_line_data(200)
    >>> len(data), round(sum(x for x, _ in data), 9)
    (200, 0.0)
    """
    rng = random.Random(seed)
    xs = normalise([rng.gauss(0.0, 1.0) for _ in range(n)])
    return [(x, slope * x + intercept + rng.gauss(0.0, noise)) for x in xs]


@dataclass
class Fit:
    """The result of :func:`train_sgd`: the model and the loss of each step's batch."""

    model: LinearModel
    losses: list[float] = field(default_factory=list)
    gates: int = 0  # the size of the recorded batch circuit: it never grows


def train_sgd(
    data: Sequence[tuple[float, float]],
    *,
    batch_size: int = 20,
    lr: float = 0.1,
    steps: int = 20,
    seed: int = 0,
    progress: bool | None = None,
) -> Fit:
    """Mini-batch SGD on the MSE of ``a*x + b``, starting from a = b = 0.

    The loss of one batch is recorded once in a ``Circuit`` whose inputs are
    constant units; each step copies the next batch into those units, replays
    forward, zeroes the grads, runs backward and updates ``p.value`` in place.
    The batches walk through a shuffled copy of ``data``, reshuffled each epoch.

    Args:
        progress: ``None`` shows a live progress bar only on a terminal
            (doctests and logs stay quiet); ``True`` shows progress in a
            pipe or a log too, as a plain line every few seconds and one at
            the end; ``False`` shows none (``circuits.progress.progress_bar``).
    """
    if batch_size < 1 or batch_size > len(data):
        raise ValueError(
            f"batch_size must be between 1 and len(data)={len(data)}, got {batch_size}"
        )
    rng = random.Random(seed)
    # --8<-- [start:train]
    model = LinearModel()
    xs = [Unit(0.0, label=f"x{i}", requires_grad=False) for i in range(batch_size)]
    ys = [Unit(0.0, label=f"y{i}", requires_grad=False) for i in range(batch_size)]
    with Circuit() as circuit:
        loss = mse([model.error(x, y) for x, y in zip(xs, ys)])
    fit = Fit(model, gates=len(circuit))

    order: list[int] = []
    with progress_bar("SGD", steps, show=progress) as bar:
        for _ in range(steps):
            if len(order) < batch_size:  # start a new epoch
                order = list(range(len(data)))
                rng.shuffle(order)
            batch, order = order[:batch_size], order[batch_size:]
            for i, x, y in zip(batch, xs, ys):
                x.value, y.value = data[i]
            circuit.forward()
            circuit.zero_grad()
            circuit.backward()
            for p in model.parameters():
                p.value -= lr * p.grad  # in place: the circuit stays the same size
            fit.losses.append(loss.value)
            bar.advance()
    # --8<-- [end:train]
    return fit


def demo() -> None:
    """The notebook's two points: loss 8.5, then the grads of one and two backward calls."""
    model = LinearModel()
    model.a.label, model.b.label = "a", "b"
    errors = []
    for i, (x, y) in enumerate(((1.5, 1.0), (2.0, 4.0)), start=1):
        xu = Unit(x, label=f"x{i}", requires_grad=False)
        yu = Unit(y, label=f"y{i}", requires_grad=False)
        ax = labelled(model.a * xu, f"ax{i}")
        errors.append(labelled(labelled(ax + model.b, f"pred{i}") - yu, f"err{i}"))
    squares = [labelled(e**2, f"sq{i}") for i, e in enumerate(errors, start=1)]
    loss = labelled(labelled(squares[0] + squares[1], "total") / 2, "loss")
    print(f"loss = {loss.value}")
    loss.backward()
    print(f"after one backward:  a.grad = {model.a.grad}, b.grad = {model.b.grad}")
    loss.backward()
    print(f"after two backwards: a.grad = {model.a.grad}, b.grad = {model.b.grad}")
    print(
        "Twice the gradient: each backward added its own into the grads. "
        "Zero them (p.grad = 0.0, or circuit.zero_grad()) before each training step's backward."
    )
