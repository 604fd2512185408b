"""The example circuits of the docs, the ``circuits demo`` command and the tests.

One source of truth: each example lives in its own module as importable
functions, and is registered here with a ``demo`` that runs a small, labelled
version of it (units and gates carry labels, so a ``Tracer`` shows readable
names without a ``names`` mapping).

>>> sorted(EXAMPLES)[:1]
['neuron']
>>> EXAMPLES["neuron"].title
"The guide's single neuron, gate by gate"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from circuits.examples import neuron

__all__ = ["EXAMPLES", "Example"]


@dataclass(frozen=True)
class Example:
    """A named example: ``demo()`` builds it, runs forward and backward, and
    prints what a learner should look at."""

    name: str
    title: str
    demo: Callable[[], None]


EXAMPLES: dict[str, Example] = {
    example.name: example
    for example in (
        Example("neuron", "The guide's single neuron, gate by gate", neuron.demo),
    )
}
