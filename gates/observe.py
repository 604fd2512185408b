"""The observer hook: how a recording ``Circuit`` or a ``Tracer`` sees gates work.

``gates`` never imports ``circuits``. Instead, anything that wants to watch
gate calls implements :class:`GateObserver` and is added with :func:`watch`
(usually by entering a ``with`` block). Every ``Gate.forward`` and
``Gate.backward`` call then tells each active observer what it read and wrote.

With no observer, the cost is one truth test of an empty list per call.

>>> from gates import MultGate, Unit
>>> class Counter:
...     calls = 0
...     def gate_forward(self, gate, inputs, output, previous):
...         self.calls += 1
...     def gate_backward(self, gate, grads_before):
...         self.calls += 1
>>> counter = Counter()
>>> with watching(counter):
...     out = MultGate().forward(Unit(2.0), Unit(3.0))
>>> counter.calls
1
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["GateObserver", "active_observers", "unwatch", "watch", "watching"]


class GateObserver(Protocol):
    """What an observer implements. Both methods are called after the gate ran."""

    def gate_forward(
        self,
        gate: Gate,
        inputs: tuple[Unit, ...],
        output: Unit,
        previous: float | None,
    ) -> None:
        """``gate`` computed ``output`` from ``inputs``.

        ``previous`` is the output's value before a ``Circuit.forward()``
        replay wrote the new one in place, and ``None`` for a fresh output.
        """

    def gate_backward(self, gate: Gate, grads_before: tuple[float, ...]) -> None:
        """``gate`` added into its inputs' grads; ``grads_before[i]`` is input i's
        grad just before, so ``gate.inputs[i].grad`` minus it is what flowed.

        During ``Unit.backward()`` or ``Circuit.backward()``, an intermediate
        unit's grad holds only the current pass's share; add
        ``gates.backprop.held_grad(unit)`` to both numbers for its running total.
        """


# The one list every gate call checks. It is mutated in place, never rebound,
# so modules that imported it keep seeing the live list.
_observers: list[GateObserver] = []


def watch(observer: GateObserver) -> None:
    """Start telling ``observer`` about every gate call."""
    _observers.append(observer)


def unwatch(observer: GateObserver) -> None:
    """Stop telling ``observer``; the most recent registration is removed."""
    for i in range(len(_observers) - 1, -1, -1):
        if _observers[i] is observer:
            del _observers[i]
            return
    raise ValueError(f"{observer!r} is not watching gates")


@contextmanager
def watching(observer: GateObserver) -> Iterator[GateObserver]:
    """``with watching(obs):`` tells ``obs`` about the gate calls in the block."""
    watch(observer)
    try:
        yield observer
    finally:
        unwatch(observer)


def active_observers() -> tuple[GateObserver, ...]:
    """The observers now watching, oldest first."""
    return tuple(_observers)


def tell_forward(
    gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None = None
) -> None:
    for observer in tuple(_observers):
        observer.gate_forward(gate, inputs, output, previous)


def tell_backward(gate: Gate, grads_before: tuple[float, ...]) -> None:
    for observer in tuple(_observers):
        observer.gate_backward(gate, grads_before)
