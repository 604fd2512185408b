"""gates: units and gates with explicit forward and backward, as in the
"Hacker's guide to Neural Networks".

The guide's single neuron, gate by gate:

>>> from gates import AddGate, MultGate, SigmoidGate, Unit
>>> a, b, c, x, y = Unit(1.0), Unit(2.0), Unit(-3.0), Unit(-1.0), Unit(3.0)
>>> mulg0, mulg1, addg0, addg1, sg0 = MultGate(), MultGate(), AddGate(), AddGate(), SigmoidGate()
>>> ax = mulg0.forward(a, x)
>>> by = mulg1.forward(b, y)
>>> axpby = addg0.forward(ax, by)
>>> axpbypc = addg1.forward(axpby, c)
>>> s = sg0.forward(axpbypc)
>>> s.value
0.8807970779778823

This package needs only the standard library; ``circuits`` builds on it.
"""

__version__ = "0.1.0"  # the one place the version is written; setup.cfg reads it

# Unit first: the gate modules import it, and it imports them back for its
# operator sugar once the class exists.
from gates.unit import Unit  # isort: skip

from gates.activations import LeakyReLUGate, ReLUGate, SigmoidGate, TanhGate
from gates.arithmetic import AddGate, DivGate, MultGate, NegGate, PowGate, SubGate
from gates.errors import CircuitError, GateReuseError, NonFiniteError
from gates.exponential import ExpGate, LogGate
from gates.gate import Gate
from gates.labels import name_of
from gates.observe import BackwardStep, GateObserver, GradChange, unwatch, watch, watching
from gates.rerun import local_grads, recompute

__all__ = [
    "BUILTIN_GATES",
    "AddGate",
    "BackwardStep",
    "CircuitError",
    "DivGate",
    "ExpGate",
    "Gate",
    "GateObserver",
    "GateReuseError",
    "GradChange",
    "LeakyReLUGate",
    "LogGate",
    "MultGate",
    "NegGate",
    "NonFiniteError",
    "PowGate",
    "ReLUGate",
    "SigmoidGate",
    "SubGate",
    "TanhGate",
    "Unit",
    "local_grads",
    "name_of",
    "recompute",
    "unwatch",
    "watch",
    "watching",
]

BUILTIN_GATES = (
    AddGate,
    SubGate,
    MultGate,
    DivGate,
    NegGate,
    PowGate,
    SigmoidGate,
    TanhGate,
    ReLUGate,
    LeakyReLUGate,
    ExpGate,
    LogGate,
)
"""Every gate class this package defines, for tools that iterate over them."""
