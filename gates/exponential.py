"""The exponential and the natural logarithm as gates."""

from __future__ import annotations

from gates.gate import Gate
from gates.numerics import divide, exp, log
from gates.unit import Unit

__all__ = ["ExpGate", "LogGate"]


class ExpGate(Gate):
    """``utop = e ** u0``. Local derivative: ``e ** u0``, the output itself.

    NOTE: past ``u0 = 709.78`` (``log`` of the largest float) the value is
    ``inf``, with no ``OverflowError``.

    >>> ExpGate().forward(Unit(0.0)).value
    1.0
    >>> ExpGate().forward(Unit(1000.0)).value
    inf
    """

    __slots__ = ()
    symbol = "exp"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(exp(u0.value))
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.utop.value * self.utop.grad


class LogGate(Gate):
    """``utop = ln(u0)``. Local derivative: ``1 / u0``.

    NOTE: ``log(0)`` is ``-inf`` and the log of a negative number is ``nan``,
    as in NumPy, rather than a ``ValueError``.

    >>> LogGate().forward(Unit(1.0)).value
    0.0
    >>> LogGate().forward(Unit(0.0)).value
    -inf
    """

    __slots__ = ()
    symbol = "log"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(log(u0.value))
        return self.utop

    def backward(self) -> None:
        self.u0.grad += divide(1.0, self.u0.value) * self.utop.grad
