"""Activation gates: sigmoid, tanh, ReLU and leaky ReLU."""

from __future__ import annotations

import math

from gates.gate import Gate
from gates.numerics import sigmoid, to_float
from gates.unit import Unit

__all__ = ["LeakyReLUGate", "ReLUGate", "SigmoidGate", "TanhGate"]


class SigmoidGate(Gate):
    """``utop = 1 / (1 + e**-u0)``. Local derivative: ``s * (1 - s)``, at most 1/4.

    NOTE: computed in the stable form, so ``sigmoid(-1000)`` is 0.0 and
    ``sigmoid(1000)`` is 1.0 with no overflow; there the derivative is 0.0.

    >>> x = Unit(0.0)
    >>> g = SigmoidGate()
    >>> g.forward(x).value
    0.5
    >>> g.utop.grad = 1.0
    >>> g.backward()
    >>> x.grad
    0.25
    """

    __slots__ = ()
    symbol = "sigmoid"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(sigmoid(u0.value))
        return self.utop

    def backward(self) -> None:
        s = self.utop.value
        self.u0.grad += (s * (1.0 - s)) * self.utop.grad


class TanhGate(Gate):
    """``utop = tanh(u0)``. Local derivative: ``1 - tanh(u0)**2``.

    >>> g = TanhGate()
    >>> g.forward(Unit(0.0)).value
    0.0
    """

    __slots__ = ()
    symbol = "tanh"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(math.tanh(u0.value))
        return self.utop

    def backward(self) -> None:
        t = self.utop.value
        self.u0.grad += (1.0 - t * t) * self.utop.grad


class ReLUGate(Gate):
    """``utop = max(u0, 0)``. Local derivative: 1 where ``u0 > 0``, else 0.

    NOTE: at exactly 0 the derivative is taken as 0, as in PyTorch. A nan
    input stays nan, with derivative 1, as in PyTorch: both tests are written
    so that ``nan``, for which every comparison is False, takes the ``else``.

    >>> x = Unit(0.0)
    >>> g = ReLUGate()
    >>> g.forward(x).value
    0.0
    >>> g.utop.grad = 1.0
    >>> g.backward()
    >>> x.grad
    0.0
    """

    __slots__ = ()
    symbol = "relu"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(0.0 if u0.value < 0.0 else u0.value)
        return self.utop

    def backward(self) -> None:
        local = 0.0 if self.u0.value <= 0.0 else 1.0
        self.u0.grad += local * self.utop.grad


class LeakyReLUGate(Gate):
    """``utop = u0`` where ``u0 > 0``, else ``slope * u0``.
    Local derivative: 1 where ``u0 > 0``, else ``slope``.

    NOTE: at exactly 0 the derivative is ``slope``, as in PyTorch. The input
    unit is never modified.

    >>> g = LeakyReLUGate(slope=0.1)
    >>> g.forward(Unit(-2.0)).value
    -0.2
    """

    __slots__ = ("slope",)
    symbol = "leaky_relu"

    def __init__(self, slope: float = 0.01) -> None:
        self.slope = to_float(slope, "LeakyReLUGate slope", finite=True)

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        x = u0.value
        self.utop = Unit(x if x > 0.0 else self.slope * x)
        return self.utop

    def backward(self) -> None:
        local = 1.0 if self.u0.value > 0.0 else self.slope
        self.u0.grad += local * self.utop.grad
