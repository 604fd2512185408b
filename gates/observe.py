"""The observer hook: how a recording ``Circuit`` or a ``Tracer`` sees gates work.

``gates`` never imports ``circuits``. Instead, anything that wants to watch
gate calls subclasses :class:`GateObserver` and is added with :func:`watch`
(usually by entering a ``with`` block). Every gate's ``forward`` and
``backward`` then tells each observer of the calling thread what it read and
wrote, in the numbers a user would read: no observer needs to know how the
engine works inside.

Observers belong to the thread that started them: a ``Circuit`` recording
in one thread does not record the gates another thread runs. To watch work
done in a thread, start the observer in that thread. With no observer
anywhere, the cost is one truth test of an empty dict per call.

>>> from gates import MultGate, Unit
>>> class Counter(GateObserver):
...     calls = 0
...     def gate_forward(self, gate, inputs, output, previous):
...         self.calls += 1
>>> counter = Counter()
>>> with watching(counter):
...     out = MultGate().forward(Unit(2.0), Unit(3.0))
>>> counter.calls
1
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = [
    "BackwardStep",
    "GateObserver",
    "GradChange",
    "unwatch",
    "watch",
    "watchers",
    "watching",
]


@dataclass(frozen=True)
class GradChange:
    """What one backward call did to one input's grad.

    ``before`` and ``after`` are the grad as a user reading ``unit.grad``
    would see it, just before and just after the call; ``after - before`` is
    what this gate added.
    """

    unit: Unit
    position: int  # the input's position in gate.inputs (its first, if it is fed twice)
    before: float
    after: float

    @property
    def added(self) -> float:
        """What this gate added into the grad."""
        return self.after - self.before


@dataclass(frozen=True)
class BackwardStep:
    """What one call of a gate's ``backward`` read and wrote.

    Attributes:
        gate: the gate that ran.
        output_grad: ``gate.utop.grad`` as a user reads it: everything every
            backward call so far has sent into the gate's output.
        upstream: what this gate multiplied its local derivatives by: the
            part of ``output_grad`` that the backward call under way sent.
            It is less than ``output_grad`` when an earlier call left a grad
            there (``u.backward()`` twice, or ``h1`` then ``h2``), because
            each call passes on only its own contribution.
        changes: one per input that takes a gradient, in input order (an
            input fed twice, as in ``p * p``, appears once).
    """

    gate: Gate
    output_grad: float
    upstream: float
    changes: tuple[GradChange, ...]


class GateObserver:
    """Base class of observers; override the methods you need.

    Each method is called in the thread that started the observer, after
    the gate ran, except :meth:`before_forward`.
    """

    def before_forward(self, gate: Gate, inputs: tuple[Unit, ...]) -> None:
        """``gate`` is about to run ``forward(*inputs)``; raise to refuse the
        call while the gate is still unchanged."""

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        """``gate`` computed ``output`` from ``inputs``.

        ``previous`` is the output's value before a ``Circuit.forward()``
        replay wrote the new one in place, and ``None`` for a fresh output.
        """

    def gate_backward(self, step: BackwardStep) -> None:
        """``gate`` added into its inputs' grads (see :class:`BackwardStep`)."""


# Thread id -> that thread's observers, oldest first. A thread's entry is
# removed when its last observer stops, so "is anyone watching anywhere?" is
# the truth of the dict, the one test every gate call makes.
_observers: dict[int, list[GateObserver]] = {}
_NONE: list[GateObserver] = []

Observer = TypeVar("Observer", bound=GateObserver)


def watchers() -> list[GateObserver]:
    """The calling thread's observers, oldest first."""
    if not _observers:
        return _NONE
    return _observers.get(threading.get_ident(), _NONE)


def watch(observer: GateObserver) -> None:
    """Start telling ``observer`` about every gate call in this thread."""
    if not isinstance(observer, GateObserver):
        raise TypeError(
            f"watch() takes a GateObserver, got {observer!r} ({type(observer).__name__}); "
            "subclass gates.GateObserver and override the methods you need"
        )
    ident = threading.get_ident()
    _observers[ident] = [*_observers.get(ident, ()), observer]


def unwatch(observer: GateObserver) -> None:
    """Stop telling ``observer``; its most recent registration in this thread is removed."""
    ident = threading.get_ident()
    mine = list(_observers.get(ident, ()))
    for i in range(len(mine) - 1, -1, -1):
        if mine[i] is observer:
            del mine[i]
            if mine:
                _observers[ident] = mine
            else:
                del _observers[ident]
            return
    raise ValueError(f"{observer!r} is not watching gates in this thread")


@contextmanager
def watching(observer: Observer) -> Iterator[Observer]:
    """``with watching(obs):`` tells ``obs`` about the gate calls in the block."""
    watch(observer)
    try:
        yield observer
    finally:
        unwatch(observer)


def tell_before_forward(gate: Gate, inputs: tuple[Unit, ...]) -> None:
    for observer in watchers():
        observer.before_forward(gate, inputs)


def tell_forward(
    gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None = None
) -> None:
    for observer in watchers():
        observer.gate_forward(gate, inputs, output, previous)


def run_and_tell_backward(gate: Gate, earlier: Mapping[Unit, float]) -> None:
    """Run ``gate``'s own backward, then tell this thread's observers what it did.

    ``earlier`` holds the grads that a backward pass under way took out of
    the units it made before it started (see ``gates/backprop.py``): during
    the pass such a unit's grad holds only this pass's share, and a user
    would read that share plus the earlier grad. Outside a pass it is empty.
    """
    inputs = gate.inputs
    before = [unit.grad for unit in inputs]
    upstream = gate.utop.grad
    gate._own_backward()
    changes = []
    seen: set[int] = set()
    for position, unit in enumerate(inputs):
        if unit._requires_grad and id(unit) not in seen:
            seen.add(id(unit))
            held = earlier.get(unit, 0.0)
            changes.append(GradChange(unit, position, before[position] + held, unit.grad + held))
    step = BackwardStep(gate, upstream + earlier.get(gate.utop, 0.0), upstream, tuple(changes))
    for observer in watchers():
        observer.gate_backward(step)
