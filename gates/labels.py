"""What a unit or gate is called when nothing else names it: its label, or an
automatic name.

A unit without a label is shown as ``u1``, ``u2``, ... and a gate as ``g1``,
``g2``, ... The number is given the first time the object is shown and kept
for its lifetime, so a trace and a drawing of the same circuit agree.
``numbered_from_one()`` starts the numbering afresh for a while, so that each
example of a property test, or each run of a demo, says ``u1`` for its first
unit.

>>> from gates import Unit
>>> a = Unit(1.0, label="a")
>>> name_of(a)
'a'
>>> with numbered_from_one():
...     name_of(Unit(2.0)), name_of(Unit(3.0))
('u1', 'u2')
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["describe_gate", "name_of", "numbered_from_one"]


class _Counters(threading.local):
    """The next automatic numbers, per thread (each thread numbers its own)."""

    def __init__(self) -> None:
        self.units = itertools.count(1)
        self.gates = itertools.count(1)


_next = _Counters()


def name_of(obj: Unit | Gate) -> str:
    """The object's label if it has one, otherwise its automatic name."""
    label = getattr(obj, "label", None)
    if label is not None:
        return str(label)
    name: str | None = getattr(obj, "_name", None)
    if name is None:
        from gates.unit import Unit  # local: labels is imported by unit.py

        counter = _next.units if isinstance(obj, Unit) else _next.gates
        name = f"{'u' if isinstance(obj, Unit) else 'g'}{next(counter)}"
        obj._name = name  # type: ignore[union-attr]
    return name


def describe_gate(gate: Gate) -> str:
    """``'MultGate g3'``: type and name, as error messages show a gate."""
    return f"{type(gate).__name__} {name_of(gate)}"


@contextmanager
def numbered_from_one() -> Iterator[None]:
    """Within the block, automatic names start again at ``u1`` and ``g1``.

    Objects named before the block keep their names; the numbering in force
    before the block resumes after it.
    """
    saved = _next.units, _next.gates
    _next.units, _next.gates = itertools.count(1), itertools.count(1)
    try:
        yield
    finally:
        _next.units, _next.gates = saved
