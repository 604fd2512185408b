"""The example circuits of the docs, the ``circuits demo`` command and the tests.

One source of truth: each example lives in its own module as importable
functions, and is registered here with a ``demo`` that runs a small, labelled
version of it (units and gates carry labels, so a ``Tracer`` shows readable
names without a ``names`` mapping).

>>> sorted(EXAMPLES)
['accumulation', 'moons', 'mse', 'neuron', 'saturation', 'svm', 'vanishing', 'xor']
>>> EXAMPLES["neuron"].title
"The guide's single neuron, gate by gate"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from circuits.examples import (
    accumulation,
    linear_regression,
    moons,
    neuron,
    saturation,
    svm,
    vanishing,
    xor,
)

__all__ = ["EXAMPLES", "Example"]


@dataclass(frozen=True)
class Example:
    """A named example: ``demo()`` builds it, runs forward and backward, and
    prints what a learner should look at. ``options`` names the keyword
    arguments its demo takes (the command line offers them as ``--depth``...)."""

    name: str
    title: str
    demo: Callable[..., None]
    options: tuple[str, ...] = ()


EXAMPLES: dict[str, Example] = {
    example.name: example
    for example in (
        Example("neuron", "The guide's single neuron, gate by gate", neuron.demo),
        Example("saturation", "Sigmoid saturation: w=5, b=1 at x=0.1 and x=20.1", saturation.demo),
        Example("accumulation", "Grads accumulate: h1, h2, h3 backward in turn", accumulation.demo),
        Example("mse", "A linear model's mean squared error on two points", linear_regression.demo),
        Example("xor", "XOR's 2-2-1 sigmoid network on one case", xor.demo),
        Example(
            "vanishing",
            "dC/dw layer by layer down a deep chain (--depth, --activation)",
            vanishing.demo,
            options=("depth", "activation"),
        ),
        Example("moons", "A tiny MLP's hinge loss on two moons points", moons.demo),
        Example("svm", "One SVM step with the guide's pull", svm.demo),
    )
}
