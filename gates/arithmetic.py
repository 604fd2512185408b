"""Arithmetic gates: add, subtract, multiply, divide, negate, constant power.

Each gate is the guide's two methods: ``forward`` computes and stores,
``backward`` adds local derivative times ``utop.grad`` into each input.
"""

from __future__ import annotations

from gates.gate import Gate
from gates.numerics import divide, power, to_float
from gates.unit import Unit

__all__ = ["AddGate", "DivGate", "MultGate", "NegGate", "PowGate", "SubGate"]


class AddGate(Gate):
    """``utop = u0 + u1``. Local derivatives: 1 and 1, so it passes the grad through.

    >>> u0, u1 = Unit(1.0), Unit(2.0)
    >>> g = AddGate()
    >>> g.forward(u0, u1).value
    3.0
    >>> g.utop.grad = 5.0
    >>> g.backward()
    >>> u0.grad, u1.grad
    (5.0, 5.0)
    """

    __slots__ = ()
    symbol = "+"

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0 = u0
        self.u1 = u1
        self.utop = Unit(u0.value + u1.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 1.0 * self.utop.grad
        self.u1.grad += 1.0 * self.utop.grad


class SubGate(Gate):
    """``utop = u0 - u1``. Local derivatives: 1 and -1.

    >>> g = SubGate()
    >>> g.forward(Unit(5.0), Unit(2.0)).value
    3.0
    """

    __slots__ = ()
    symbol = "-"

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0 = u0
        self.u1 = u1
        self.utop = Unit(u0.value - u1.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 1.0 * self.utop.grad
        self.u1.grad += -1.0 * self.utop.grad


class MultGate(Gate):
    """``utop = u0 * u1``. Local derivatives: ``u1`` and ``u0`` (it swaps its inputs).

    >>> u0, u1 = Unit(-2.0), Unit(3.0)
    >>> g = MultGate()
    >>> g.forward(u0, u1).value
    -6.0
    >>> g.utop.grad = 1.0
    >>> g.backward()
    >>> u0.grad, u1.grad
    (3.0, -2.0)
    """

    __slots__ = ()
    symbol = "*"

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0 = u0
        self.u1 = u1
        self.utop = Unit(u0.value * u1.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad += self.u0.value * self.utop.grad


class DivGate(Gate):
    """``utop = u0 / u1``. Local derivatives: ``1 / u1`` and ``-u0 / u1**2``.

    NOTE: division by zero gives ``±inf`` or ``nan`` as IEEE floats do, not
    ``ZeroDivisionError``.

    >>> g = DivGate()
    >>> g.forward(Unit(1.0), Unit(4.0)).value
    0.25
    >>> g.forward(Unit(1.0), Unit(0.0)).value
    inf
    """

    __slots__ = ()
    symbol = "/"

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0 = u0
        self.u1 = u1
        self.utop = Unit(divide(u0.value, u1.value))
        return self.utop

    def backward(self) -> None:
        b = self.u1.value
        self.u0.grad += divide(1.0, b) * self.utop.grad
        self.u1.grad += divide(-self.u0.value, b * b) * self.utop.grad


class NegGate(Gate):
    """``utop = -u0``. Local derivative: -1.

    >>> NegGate().forward(Unit(2.0)).value
    -2.0
    """

    __slots__ = ()
    symbol = "neg"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(-u0.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += -1.0 * self.utop.grad


class PowGate(Gate):
    """``utop = u0 ** exponent`` for a constant exponent.
    Local derivative: ``exponent * u0 ** (exponent - 1)``.

    NOTE: a negative base with a fractional exponent gives ``nan`` (never a
    complex number), and overflow gives ``inf``, as in NumPy. ``u0 ** 0.5`` is
    ``sqrt(u0)``, as in NumPy and PyTorch, so ``(-0.0) ** 0.5`` is ``-0.0``. With exponent 0
    the output is the constant 1, so the derivative is 0 everywhere, even at
    ``u0 = 0`` where the formula would give ``0 * 0 ** -1 = nan`` (as in PyTorch).

    >>> g = PowGate(2)
    >>> x = Unit(3.0)
    >>> g.forward(x).value
    9.0
    >>> g.utop.grad = 1.0
    >>> g.backward()
    >>> x.grad
    6.0
    """

    __slots__ = ("exponent",)

    def __init__(self, exponent: float) -> None:
        self.exponent = to_float(exponent, "PowGate exponent (a constant)", finite=True)

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return f"**{self.exponent:g}"

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(power(u0.value, self.exponent))
        return self.utop

    def backward(self) -> None:
        p = self.exponent
        local = p * power(self.u0.value, p - 1.0) if p != 0.0 else 0.0
        self.u0.grad += local * self.utop.grad
