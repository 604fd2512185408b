"""Questions about a circuit's graph that the tools built on gates ask.

``gates_behind(output)`` lists every gate an output depends on (the walk
``Unit.backward()`` makes); the other two work on a recorded list of gates,
as a ``Circuit`` keeps one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from gates.backprop import gates_behind

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = ["gates_behind", "inputs_of", "needed_by"]


def needed_by(output: Unit, gates: Sequence[Gate]) -> list[Gate]:
    """The gates of ``gates`` (a recorded list, in forward order) that
    ``output`` depends on, in the same order; ``output`` must be made by one.

    >>> from gates import Unit
    >>> a = Unit(1.0)
    >>> made = [(a * 2.0).gate, (a * 3.0).gate]
    >>> needed_by(made[0].utop, made) == made[:1]
    True
    """
    needed = {output}
    found: list[Gate] = []
    for gate in reversed(gates):
        if gate.utop in needed:
            found.append(gate)
            needed.update(gate.inputs)
    found.reverse()
    return found


def inputs_of(gates: Iterable[Gate]) -> list[Unit]:
    """The units ``gates`` read that none of them made, in order of first use.

    >>> from gates import Unit
    >>> a, b = Unit(1.0, label="a"), Unit(2.0, label="b")
    >>> y = a * b + a
    >>> [u.label for u in inputs_of(gates_behind(y))]
    ['a', 'b']
    """
    gates = list(gates)
    made = {gate.utop for gate in gates}
    found: dict[Unit, None] = {}
    for gate in gates:
        for unit in gate.inputs:
            if unit not in made:
                found[unit] = None
    return list(found)
