"""The benchmark workloads, written once for every scalar engine.

Each workload is plain arithmetic on "leaves" (``+``, ``*``, ``.relu()``,
``.tanh()``), so the same function builds a graph of our ``Unit``s, of
micrograd ``Value``s or of PyTorch 0-d tensors. An engine is described by an
:class:`Engine` (how to make a leaf, run backward, read a grad); the scalar op
count of a workload is the number of gates our engine makes for it, and every
engine's time is divided by that same count.

Only operations all peers support are used: micrograd 0.1.0 has no ``tanh``,
``sigmoid`` or ``exp``, and writes ``a - b`` as ``a + b * -1`` (two ops), so the
workloads add a negated constant instead of subtracting.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Leaf = Any  # a Unit, a micrograd Value or a torch tensor


@dataclass(frozen=True)
class Engine:
    """How a workload talks to one scalar engine."""

    name: str
    leaf: Callable[[float, bool], Leaf]  # (value, requires_grad) -> leaf
    backward: Callable[[Leaf], None]
    grad: Callable[[Leaf], float]
    value: Callable[[Leaf], float]
    zero: Callable[[Sequence[Leaf]], None]  # zero these leaves' grads
    has_tanh: bool = True
    recursive_backward: bool = False  # its backward recurses once per graph level


# -- data shared by all engines --------------------------------------------


def mlp_data(points: int = 64, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """``points`` 2-d inputs in [-2, 2] with labels +-1 (a fixed random draw)."""
    rng = random.Random(seed)
    xs = [[rng.uniform(-2.0, 2.0), rng.uniform(-2.0, 2.0)] for _ in range(points)]
    ys = [1.0 if x0 * x1 > 0.0 else -1.0 for x0, x1 in xs]
    return xs, ys


def mlp_weights(
    sizes: Sequence[int] = (2, 16, 16, 1), seed: int = 1
) -> list[list[tuple[list[float], float]]]:
    """Initial weights: per layer, per neuron, (weights, bias)."""
    rng = random.Random(seed)
    return [
        [([rng.uniform(-1.0, 1.0) for _ in range(nin)], 0.0) for _ in range(nout)]
        for nin, nout in itertools.pairwise(sizes)
    ]


# -- workloads on any engine ------------------------------------------------


def neuron(engine: Engine, a: float, b: float, c: float, x: float, y: float) -> list[Leaf]:
    """The guide's neuron with ReLU (micrograd has no sigmoid): relu(a*x + b*y + c).

    Returns ``[out, a, b, c, x, y]``.
    """
    la, lb, lc = engine.leaf(a, True), engine.leaf(b, True), engine.leaf(c, True)
    lx, ly = engine.leaf(x, True), engine.leaf(y, True)
    out = (la * lx + lb * ly + lc).relu()
    return [out, la, lb, lc, lx, ly]


NEURON_OPS = 5


@dataclass
class MLPLeaves:
    """One engine's parameters and data for the MLP workload."""

    layers: list[list[tuple[list[Leaf], Leaf]]]
    xs: list[list[Leaf]]
    neg_ys: list[Leaf]

    def parameters(self) -> list[Leaf]:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b)]


def mlp_leaves(engine: Engine, points: int = 64) -> MLPLeaves:
    xs, ys = mlp_data(points)
    layers = [
        [([engine.leaf(w, True) for w in ws], engine.leaf(b, True)) for ws, b in layer]
        for layer in mlp_weights()
    ]
    return MLPLeaves(
        layers=layers,
        xs=[[engine.leaf(v, False) for v in x] for x in xs],
        neg_ys=[engine.leaf(-y, False) for y in ys],
    )


def mlp_loss(leaves: MLPLeaves, activation: str = "relu") -> Leaf:
    """Sum over the points of (mlp(x) - y)**2, written as d = out + (-y); d*d."""
    total = None
    last = len(leaves.layers) - 1
    for x, neg_y in zip(leaves.xs, leaves.neg_ys):
        h: list[Leaf] = x
        for index, layer in enumerate(leaves.layers):
            out = []
            for ws, b in layer:
                s = b
                for w, xi in zip(ws, h):
                    s = s + w * xi
                out.append(s if index == last else getattr(s, activation)())
            h = out
        d = h[0] + neg_y
        sq = d * d
        total = sq if total is None else total + sq
    return total


def chain(engine: Engine, length: int) -> tuple[Leaf, Leaf]:
    """``length`` gates alternating ``x * w`` and ``x + b``; returns (out, x0)."""
    x0 = engine.leaf(0.5, True)
    w = engine.leaf(1.0000001, False)
    b = engine.leaf(1e-7, False)
    x = x0
    for i in range(length):
        x = x * w if i % 2 == 0 else x + b
    return x, x0


# -- random circuits (a hypothesis-style burst) -----------------------------

Recipe = list[tuple[str, int, int]]  # (op, operand index, operand index)
RANDOM_OPS = ("add", "mul", "relu", "sq")


def random_recipes(count: int, seed: int = 2) -> list[tuple[list[float], Recipe]]:
    """``count`` small random circuits: 2-4 inputs and 3-20 ops.

    Each op reads the value the op before it made (the inputs, for the first
    op) and, if it takes two, any earlier value: so every op leads to the
    last value, the output, and backward reaches every gate that was built.
    """
    rng = random.Random(seed)
    recipes = []
    for _ in range(count):
        inputs = [rng.uniform(-2.0, 2.0) for _ in range(rng.randint(2, 4))]
        ops: Recipe = []
        for step in range(rng.randint(3, 20)):
            available = len(inputs) + step
            latest = available - 1 if step else rng.randrange(available)
            ops.append((rng.choice(RANDOM_OPS), latest, rng.randrange(available)))
        recipes.append((inputs, ops))
    return recipes


def run_recipe(engine: Engine, inputs: list[float], ops: Recipe) -> tuple[Leaf, list[Leaf]]:
    """Build one random circuit; returns (last value, input leaves)."""
    leaves = [engine.leaf(v, True) for v in inputs]
    values = list(leaves)
    for op, i, j in ops:
        a, b = values[i], values[j]
        if op == "add":
            values.append(a + b)
        elif op == "mul":
            values.append(a * b)
        elif op == "relu":
            values.append(a.relu())
        else:
            values.append(a * a)
    return values[-1], leaves


def recipe_ops(recipes: list[tuple[list[float], Recipe]]) -> int:
    return sum(len(ops) for _, ops in recipes)
