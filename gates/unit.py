"""``Unit``: a value and its gradient, the wire between gates.

A unit is one object: when ``sg0`` reads the unit ``addg1`` wrote, ``sg0.u0`` and
``addg1.utop`` are the same Unit, so what ``sg0.backward()`` adds into ``self.u0.grad``
is what ``addg1.backward()`` reads as ``self.utop.grad``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gates.backprop import BACKWARD_LOCK, run_backward, walk_back
from gates.errors import checked_flag, checked_unit
from gates.numerics import is_number

if TYPE_CHECKING:
    from gates.gate import Gate

__all__ = ["Unit"]


class Unit:
    """A wire in a circuit: ``value`` from the forward pass, ``grad`` from backward.

    Args:
        value: the number carried forward; an int is converted to float.
        grad: the gradient accumulated so far (0.0 to start).
        label: a name for traces and drawings; without one, ``u1``, ``u2``, ...
        requires_grad: False marks a constant input: it takes no gradient (its
            ``grad`` stays 0.0) and drawings show it with no grad.

    Attributes:
        gate: the gate whose forward made this unit, or None for an input.

    Example:
        >>> x = Unit(3.0, label="x")
        >>> y = x * x + 2 * x
        >>> y.backward()
        >>> y.value, x.grad
        (15.0, 8.0)
    """

    __slots__ = ("value", "grad", "label", "gate", "_requires_grad", "_name")

    def __init__(
        self,
        value: float,
        grad: float = 0.0,
        *,
        label: str | None = None,
        requires_grad: bool = True,
    ) -> None:
        plain = value.__class__ is grad.__class__ is float and label is None
        if not plain or requires_grad is not True:
            value, grad = checked_unit(value, grad, label, requires_grad)  # names what is wrong
        self.value = value
        self.grad = grad
        self.label = label
        self.gate: Gate | None = None
        self._requires_grad = requires_grad  # (_name, the automatic name, is set when first shown)

    @property
    def requires_grad(self) -> bool:
        """Whether backward passes give this unit a gradient. Set it on input units:
        a gate's output requires one when any of its inputs does."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        checked_flag(self, flag)
        if not flag:
            self.grad = 0.0
        self._requires_grad = flag

    def __repr__(self) -> str:
        label = "" if self.label is None else f", label={self.label!r}"
        constant = "" if self._requires_grad else ", requires_grad=False"
        return f"Unit(value={self.value!r}, grad={self.grad!r}{label}{constant})"

    def backward(self) -> None:
        """Add d(self)/d(unit) into the ``grad`` of every unit ``self`` depends on:
        seed this unit with 1 and run every gate it depends on backward, last to
        first. Calling it again adds again (``gates/backprop.py`` says how)."""
        with BACKWARD_LOCK:  # passes take turns (gates/backprop.py)
            gates, inputs = walk_back(self)
            run_backward(self, gates, inputs)

    # -- operator sugar: each builds the same gate the explicit style builds

    def __add__(self, other: Unit | float) -> Unit:
        unit = other if other.__class__ is Unit else _as_unit(other)
        return NotImplemented if unit is None else AddGate().forward(self, unit)

    def __radd__(self, other: float) -> Unit:
        unit = _as_unit(other)
        return NotImplemented if unit is None else AddGate().forward(unit, self)

    def __sub__(self, other: Unit | float) -> Unit:
        unit = other if other.__class__ is Unit else _as_unit(other)
        return NotImplemented if unit is None else SubGate().forward(self, unit)

    def __rsub__(self, other: float) -> Unit:
        unit = _as_unit(other)
        return NotImplemented if unit is None else SubGate().forward(unit, self)

    def __mul__(self, other: Unit | float) -> Unit:
        unit = other if other.__class__ is Unit else _as_unit(other)
        return NotImplemented if unit is None else MultGate().forward(self, unit)

    def __rmul__(self, other: float) -> Unit:
        unit = _as_unit(other)
        return NotImplemented if unit is None else MultGate().forward(unit, self)

    def __truediv__(self, other: Unit | float) -> Unit:
        unit = other if other.__class__ is Unit else _as_unit(other)
        return NotImplemented if unit is None else DivGate().forward(self, unit)

    def __rtruediv__(self, other: float) -> Unit:
        unit = _as_unit(other)
        return NotImplemented if unit is None else DivGate().forward(unit, self)

    def __neg__(self) -> Unit:
        return NegGate().forward(self)

    def __pow__(self, exponent: object) -> Unit:
        if isinstance(exponent, Unit):
            raise TypeError("u ** v needs a constant exponent; for a Unit v: (v * u.log()).exp()")
        return PowGate(exponent).forward(self) if is_number(exponent) else NotImplemented

    # The training idiom `p -= lr * p.grad`, on an input unit with a number on the right,
    # updates the value in place (the graph does not grow); else it is `p = p - q`.
    def __iadd__(self, other: Unit | float) -> Unit:
        if self.gate is None and is_number(other):
            self.value += float(other)
            return self
        return self.__add__(other)

    def __isub__(self, other: Unit | float) -> Unit:
        if self.gate is None and is_number(other):
            self.value -= float(other)
            return self
        return self.__sub__(other)

    def sigmoid(self) -> Unit:
        """``1 / (1 + e**-self)`` through a ``SigmoidGate``."""
        return SigmoidGate().forward(self)

    def tanh(self) -> Unit:
        """``tanh(self)`` through a ``TanhGate``."""
        return TanhGate().forward(self)

    def relu(self) -> Unit:
        """``max(self, 0)`` through a ``ReLUGate``."""
        return ReLUGate().forward(self)

    def leaky_relu(self, slope: float = 0.01) -> Unit:
        """``self`` if positive, else ``slope * self``, through a ``LeakyReLUGate``."""
        return LeakyReLUGate(slope).forward(self)

    def exp(self) -> Unit:
        """``e ** self`` through an ``ExpGate``."""
        return ExpGate().forward(self)

    def log(self) -> Unit:
        """The natural logarithm through a ``LogGate``."""
        return LogGate().forward(self)


def _as_unit(x: Any) -> Unit | None:
    """``x`` itself if a Unit, a constant Unit if a plain number, else None."""
    if isinstance(x, Unit):
        return x
    return Unit(float(x), requires_grad=False) if is_number(x) else None


# The gate modules import Unit, so they are imported after it is defined.
from gates.activations import LeakyReLUGate, ReLUGate, SigmoidGate, TanhGate  # noqa: E402
from gates.arithmetic import AddGate, DivGate, MultGate, NegGate, PowGate, SubGate  # noqa: E402
from gates.exponential import ExpGate, LogGate  # noqa: E402
