"""Short, stable names for units and gates that have no label.

A unit without a label is shown as ``u1``, ``u2``, ... and a gate as ``g1``,
``g2``, ... The number is given the first time the object is shown and kept
for its lifetime, so a trace and a drawing of the same circuit agree.

>>> from gates import Unit
>>> a = Unit(1.0, label="a")
>>> name_of(a)
'a'
>>> b = Unit(2.0)
>>> name_of(b) == name_of(b) and name_of(b).startswith("u")
True
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["describe_gate", "name_of"]

_unit_numbers = itertools.count(1)
_gate_numbers = itertools.count(1)


def name_of(obj: Unit | Gate) -> str:
    """The object's label if it has one, otherwise its automatic name."""
    label = getattr(obj, "label", None)
    if label is not None:
        return str(label)
    name: str | None = getattr(obj, "_name", None)
    if name is None:
        from gates.unit import Unit  # local: naming is imported by unit.py

        is_unit = isinstance(obj, Unit)
        name = f"u{next(_unit_numbers)}" if is_unit else f"g{next(_gate_numbers)}"
        obj._name = name
    return name


def describe_gate(gate: Gate) -> str:
    """``'MultGate g3'``: type and name, as error messages show a gate."""
    return f"{type(gate).__name__} {name_of(gate)}"
