"""The guide's second chapter in gates: a binary SVM, then a 2-layer ReLU network.

Six 2-D points with labels +1/-1. The SVM scores a point with
``a*x + b*y + c``; a point on the wrong side of its margin *pulls* the score
(+1 for a positive point scoring below 1, -1 for a negative point scoring
above -1), and a regularisation pull drags ``a`` and ``b`` toward zero in
proportion to their size.

>>> svm = SVM()
>>> svm.score(1.2, 0.7)                   # a=1, b=-2, c=-1 at the first point
-1.2
>>> pull = svm.learn_from(1.2, 0.7, 1)    # label +1 but score < 1: pull up
>>> pull, round(svm.a.value, 4), round(svm.b.value, 4), svm.c.value
(1.0, 1.002, -1.973, -0.99)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from circuits.circuit import Circuit
from gates import AddGate, MultGate, Unit

__all__ = [
    "DATA",
    "LABELS",
    "SVM",
    "LinearCircuit",
    "TrainingLog",
    "TwoLayerNet",
    "demo",
    "pull_for",
    "train_network",
    "train_svm",
    "training_accuracy",
]

DATA: tuple[tuple[float, float], ...] = (
    (1.2, 0.7),
    (-0.3, -0.5),
    (3.0, 0.1),
    (-0.1, -1.0),
    (-1.0, 1.1),
    (2.1, -3.0),
)
"""The guide's six training points."""

LABELS: tuple[int, ...] = (1, -1, 1, -1, -1, 1)
"""Their labels."""


def pull_for(score: float, label: int) -> float:
    """How the hinge wants the score to move: +1, -1, or 0 when the margin is met.

    >>> pull_for(0.5, 1), pull_for(-0.5, -1), pull_for(2.0, 1)
    (1.0, -1.0, 0.0)
    """
    if label == 1 and score < 1.0:
        return 1.0
    if label == -1 and score > -1.0:
        return -1.0
    return 0.0


# The docs include the code between the "--8<--" markers.
# --8<-- [start:circuit]
class LinearCircuit:
    """``a*x + b*y + c`` as four explicit gates, with a backward that takes a seed."""

    def __init__(self) -> None:
        self.mulg0 = MultGate().named("mulg0")
        self.mulg1 = MultGate().named("mulg1")
        self.addg0 = AddGate().named("addg0")
        self.addg1 = AddGate().named("addg1")

    def forward(self, x: Unit, y: Unit, a: Unit, b: Unit, c: Unit) -> Unit:
        """Run the four gates; returns (and keeps) the score unit."""
        ax = self.mulg0.forward(a, x)
        by = self.mulg1.forward(b, y)
        axpby = self.addg0.forward(ax, by)
        self.utop = self.addg1.forward(axpby, c)
        ax.label, by.label, axpby.label = "ax", "by", "axpby"  # the guide's names
        return self.utop

    def backward(self, gradient_top: float) -> None:
        """Seed the score's grad with ``gradient_top`` and run the gates in reverse."""
        self.utop.grad = gradient_top
        self.addg1.backward()
        self.addg0.backward()
        self.mulg1.backward()
        self.mulg0.backward()


# --8<-- [end:circuit]


class SVM:
    """The guide's SVM: parameters ``a``, ``b``, ``c`` and a :class:`LinearCircuit`."""

    def __init__(self, a: float = 1.0, b: float = -2.0, c: float = -1.0) -> None:
        self.a = Unit(a, label="a")
        self.b = Unit(b, label="b")
        self.c = Unit(c, label="c")
        self.circuit = LinearCircuit()

    def forward(self, x: float, y: float) -> Unit:
        """The score of the point ``(x, y)`` (its coordinates are constants)."""
        xu = Unit(x, label="x", requires_grad=False)
        yu = Unit(y, label="y", requires_grad=False)
        return self.circuit.forward(xu, yu, self.a, self.b, self.c)

    def score(self, x: float, y: float) -> float:
        """The score as a number."""
        return self.forward(x, y).value

    # --8<-- [start:svm-backward]
    def backward(self, label: int) -> float:
        """Zero the parameters' grads, pull on the score, add the regularisation pull.

        Call after :meth:`forward`. Returns the pull (+1, -1 or 0).
        """
        for p in (self.a, self.b, self.c):
            p.grad = 0.0
        pull = pull_for(self.circuit.utop.value, label)
        self.circuit.backward(pull)
        # The regularisation pull: toward zero, in proportion to the value.
        # c is an offset, not a weight, so it is left alone.
        self.a.grad += -self.a.value
        self.b.grad += -self.b.value
        return pull

    def update(self, step_size: float = 0.01) -> None:
        """Move every parameter along its pull, in place."""
        for p in (self.a, self.b, self.c):
            p.value += step_size * p.grad

    # --8<-- [end:svm-backward]

    def learn_from(self, x: float, y: float, label: int, step_size: float = 0.01) -> float:
        """Forward, backward with the pull, update; returns the pull."""
        self.forward(x, y)
        pull = self.backward(label)
        self.update(step_size)
        return pull


def training_accuracy(score: Callable[[float, float], float]) -> float:
    """The fraction of the six points whose score has the sign of their label."""
    right = sum((score(x, y) > 0.0) == (label == 1) for (x, y), label in zip(DATA, LABELS))
    return right / len(DATA)


@dataclass
class TrainingLog:
    """Training accuracy every ``every`` iterations and after the last one."""

    checks: list[tuple[int, float]] = field(default_factory=list)

    @property
    def final(self) -> float:
        """The accuracy after the last iteration."""
        return self.checks[-1][1]


def train_svm(
    svm: SVM | None = None,
    *,
    iterations: int = 400,
    step_size: float = 0.01,
    seed: int = 9,
    every: int = 25,
) -> tuple[SVM, TrainingLog]:
    """Stochastic training: each iteration learns from one random point.

    ``random.Random(seed)`` picks the points. The accuracy is checked after
    iterations 0, ``every``, ``2*every``, ... and after the last one.
    """
    svm = SVM() if svm is None else svm
    rng = random.Random(seed)
    log = TrainingLog()
    for it in range(iterations):
        i = rng.randrange(len(DATA))
        svm.learn_from(*DATA[i], LABELS[i], step_size)
        if it % every == 0 or it == iterations - 1:
            log.checks.append((it, training_accuracy(svm.score)))
    return svm, log


class TwoLayerNet:
    """``score = d + sum_j v_j * relu(a_j*x + b_j*y + c_j)`` with ``hidden`` ReLU units.

    The circuit is recorded once with the point's coordinates as constant
    input units; to score another point, set ``x.value``/``y.value`` and
    replay. The parameters start uniform in [-0.5, 0.5].
    """

    def __init__(self, hidden: int = 3, seed: int = 1) -> None:
        rng = random.Random(seed)

        def param(label: str) -> Unit:
            return Unit(rng.random() - 0.5, label=label)

        self.x = Unit(0.0, label="x", requires_grad=False)
        self.y = Unit(0.0, label="y", requires_grad=False)
        self.hidden = [
            (param(f"a{j}"), param(f"b{j}"), param(f"c{j}")) for j in range(1, hidden + 1)
        ]
        self.out_weights = [param(f"v{j}") for j in range(1, hidden + 1)]
        self.d = param("d")
        with Circuit() as self.circuit:
            total = self.d
            for (a, b, c), v in zip(self.hidden, self.out_weights):
                total = total + v * (a * self.x + b * self.y + c).relu()
        self.score_unit = total
        self.score_unit.label = "score"

    def weights(self) -> list[Unit]:
        """The multiplicative parameters: the ones regularisation pulls on."""
        return [u for a, b, _ in self.hidden for u in (a, b)] + self.out_weights

    def parameters(self) -> list[Unit]:
        """Every parameter, offsets included."""
        return self.circuit.parameters()

    def score(self, x: float, y: float) -> float:
        """Replay the circuit at ``(x, y)`` and return the score."""
        self.x.value, self.y.value = x, y
        return self.circuit.forward().value

    def learn_from(
        self, x: float, y: float, label: int, step_size: float = 0.01, regularisation: float = 0.1
    ) -> float:
        """Replay forward, pull on the score gate by gate, regularise, update."""
        # --8<-- [start:net-learn]
        pull = pull_for(self.score(x, y), label)
        self.circuit.zero_grad()
        self.score_unit.grad = pull
        for gate in reversed(self.circuit.gates):  # the guide's backward, by hand
            gate.backward()
        for w in self.weights():
            w.grad += -regularisation * w.value
        for p in self.parameters():
            p.value += step_size * p.grad
        # --8<-- [end:net-learn]
        return pull


def train_network(
    net: TwoLayerNet | None = None,
    *,
    iterations: int = 400,
    step_size: float = 0.01,
    regularisation: float = 0.1,
    seed: int = 1,
    every: int = 25,
) -> tuple[TwoLayerNet, TrainingLog]:
    """The SVM's training loop with the network in its place."""
    net = TwoLayerNet(seed=seed) if net is None else net
    rng = random.Random(seed)
    log = TrainingLog()
    for it in range(iterations):
        i = rng.randrange(len(DATA))
        net.learn_from(*DATA[i], LABELS[i], step_size, regularisation)
        if it % every == 0 or it == iterations - 1:
            log.checks.append((it, training_accuracy(net.score)))
    return net, log


def demo() -> None:
    """One learning step of the SVM on the first point: score, pull, new parameters."""
    svm = SVM()
    score = svm.forward(*DATA[0])
    score.label = "score"
    print(f"score of {DATA[0]} (label {LABELS[0]:+d}) = {score.value:.2f}")
    pull = svm.backward(LABELS[0])
    a, b, c = svm.a, svm.b, svm.c
    print(f"pull = {pull:+.0f}: the gates' backward sent it into a, b and c")
    # SVM.backward adds the regularisation pull by hand, after the gates: no gate call
    # shows it, so say it, or the trace's last grads and these would disagree.
    print(
        f"regularisation pull, added by hand (no gate call): a.grad += -a; b.grad += -b\n"
        f"grads: a = {a.grad + a.value:.2f} {-a.value:+.2f} = {a.grad:+.2f}, "
        f"b = {b.grad + b.value:.2f} {-b.value:+.2f} = {b.grad:+.2f}, c = {c.grad:+.2f}"
    )
    svm.update(0.01)
    print(f"after the step: a={svm.a.value:.4f} b={svm.b.value:.4f} c={svm.c.value:.4f}")
