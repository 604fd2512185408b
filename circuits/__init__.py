"""circuits: what is built on ``gates``: record, replay, trace, draw and check.

>>> from circuits import Circuit
>>> from gates import Unit
>>> a, b = Unit(2.0), Unit(3.0)
>>> with Circuit() as c:
...     out = a * b + a
>>> c.backward()
>>> a.grad, b.grad
(4.0, 2.0)
"""

from circuits.circuit import Circuit
from circuits.drawing import Drawing, DrawingUnavailable, draw
from circuits.gradcheck import GradcheckResult, KinkWarning, gradcheck
from circuits.notebook import register_formatters
from circuits.player import Player, play
from circuits.tracer import TraceEvent, Tracer
from gates import __version__  # one version for both packages
from gates.errors import CircuitError, GateReuseError, NonFiniteError

# Inside IPython, Units, Circuits and traces show as tables and drawings. gates
# cannot import circuits, so circuits registers their displays (circuits/notebook.py).
register_formatters()

__all__ = [
    "Circuit",
    "CircuitError",
    "Drawing",
    "DrawingUnavailable",
    "GateReuseError",
    "GradcheckResult",
    "KinkWarning",
    "NonFiniteError",
    "Player",
    "TraceEvent",
    "Tracer",
    "__version__",
    "draw",
    "gradcheck",
    "play",
]
