"""The few places where engine versions differ, so one bench measures them all.

``bench/run.py`` puts its own project root first on ``sys.path``, so a copy
of ``bench/`` inside an older checkout measures that checkout's engine. Only
these calls differ between the versions the bench supports:

- counting ops: ``gates.backprop.gates_behind`` (every engine that has it),
  else ``gates.backprop.units_behind`` (an engine that folds gates into units);
- batched replay: ``Circuit.batched()``, else
  ``circuits.batched.BatchedCircuit(circuit)``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from typing import Any


def op_counter() -> tuple[str, Callable[[Any], int]]:
    """(how ops are counted, a function: output unit -> number of gates behind it)."""
    from gates import backprop

    behind = getattr(backprop, "gates_behind", None)
    name = "gates_behind"
    if behind is None:
        behind = backprop.units_behind
        name = "units_behind"

    def count(out: Any) -> int:
        return len(behind(out))

    return f"gates.backprop.{name}", count


def count_ops(build: Callable[[], Sequence[Any]]) -> int:
    """The gates our engine makes for ``build()``: the sum, over the outputs it
    returns, of the gates behind each.

    Counted on graphs built for the purpose and then dropped: an engine's
    ``gates_behind`` may make gate objects that backward would not.
    """
    _, count = op_counter()
    outs = build()
    n = sum(count(out) for out in outs)
    del outs
    gc.collect()
    return n


def batched(circuit: Any, *, fuse: bool = True) -> Any:
    """``circuit`` as a batched program, however this engine spells it.

    Raises ``TypeError`` if this engine has no ``fuse=False``.
    """
    make = getattr(circuit, "batched", None)
    if make is not None:
        return make(fuse=fuse)
    from circuits.batched import BatchedCircuit

    return BatchedCircuit(circuit, fuse=fuse)
