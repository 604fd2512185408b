"""Labels for the examples' units and gates, so that demos, traces and
drawings read like the lessons (``h1``, ``wx2``, ``mul_h1``).

>>> from gates import Unit
>>> w, x = Unit(0.3, label="w"), Unit(1.0, label="x")
>>> h = labelled(w * x, "h1")
>>> h.label, h.gate.label
('h1', 'mul_h1')
"""

from __future__ import annotations

from gates import Unit

__all__ = ["labelled"]

_SHORT = {
    "AddGate": "add",
    "SubGate": "sub",
    "MultGate": "mul",
    "DivGate": "div",
    "NegGate": "neg",
    "PowGate": "pow",
    "SigmoidGate": "sig",
    "TanhGate": "tanh",
    "ReLUGate": "relu",
    "LeakyReLUGate": "leaky",
    "ExpGate": "exp",
    "LogGate": "log",
}


def labelled(unit: Unit, label: str) -> Unit:
    """Label ``unit`` and the gate that made it (``mul_`` + label); returns the unit."""
    unit.label = label
    gate = unit.gate
    if gate is not None and getattr(gate, "label", None) is None:
        kind = type(gate).__name__
        gate.label = f"{_SHORT.get(kind, kind.removesuffix('Gate').lower())}_{label}"
    return unit
