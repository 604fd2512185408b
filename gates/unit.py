"""``Unit``: a value and its gradient, the wire between gates.

As in the guide, a unit holds two numbers: ``value``, set by the forward pass,
and ``grad``, the gradient of the circuit's output with respect to this unit,
filled in by the backward pass. A unit is one object: when ``sg0`` reads the
unit ``addg1`` wrote, ``sg0.u0`` and ``addg1.utop`` are the same Unit, so
whatever ``sg0.backward()`` adds into ``self.u0.grad``, ``addg1.backward()``
then reads as ``self.utop.grad``. That is how the gradient gets from one gate
to the next.

>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> out = (a * b + 1).sigmoid()
>>> out.backward()
>>> round(out.value, 4), round(a.grad, 4), round(b.grad, 4)
(0.0067, -0.0199, 0.0133)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gates.backprop import run_backward, walk_back
from gates.numerics import is_number, to_float

if TYPE_CHECKING:
    from gates.gate import Gate

__all__ = ["Unit"]


class Unit:
    """A wire in a circuit: ``value`` from the forward pass, ``grad`` from backward.

    Args:
        value: the number carried forward; an int is converted to float.
        grad: the gradient accumulated so far (0.0 to start).
        label: a name for traces and drawings; without one, ``u1``, ``u2``, ...
        requires_grad: False marks a constant input: it takes no gradient
            (its ``grad`` stays 0.0) and drawings show it with no grad.

    Attributes:
        gate: the gate whose forward made this unit, or None for an input.

    Arithmetic builds gates: ``a * b`` is ``MultGate().forward(a, b)``, and
    ``u.backward()`` runs backward over every gate ``u`` depends on.

    Example:
        >>> x = Unit(3.0, label="x")
        >>> y = x * x + 2 * x
        >>> y.backward()
        >>> y.value, x.grad
        (15.0, 8.0)
    """

    __slots__ = ("value", "grad", "label", "gate", "_requires_grad", "_name")

    value: float
    grad: float
    label: str | None
    gate: Gate | None
    _name: str | None  # the automatic name (u7), given when first shown

    def __init__(
        self,
        value: float,
        grad: float = 0.0,
        *,
        label: str | None = None,
        requires_grad: bool = True,
    ) -> None:
        if value.__class__ is not float:
            value = to_float(value, "Unit value")
        if grad.__class__ is not float:
            grad = to_float(grad, "Unit grad")
        if label is not None and not isinstance(label, str):
            raise TypeError(f"Unit label must be a str or None, got {label!r}")
        if requires_grad is not True:
            _check_flag(requires_grad)
            if grad:
                raise ValueError(
                    f"Unit({value!r}) with requires_grad=False takes no gradient; "
                    f"leave grad at 0.0 (got {grad!r})"
                )
        self.value = value
        self.grad = grad
        self.label = label
        self.gate = None
        self._requires_grad = requires_grad
        self._name = None

    @property
    def requires_grad(self) -> bool:
        """Whether backward passes give this unit a gradient.

        Set it on an input unit; a gate's output requires a gradient when
        any of its inputs does, and follows them at every forward.
        """
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        _check_flag(flag)
        if self.gate is not None:
            raise ValueError(
                f"{self!r} was made by {self.gate!r}, so it requires a gradient exactly "
                "when one of that gate's inputs does; set requires_grad on the inputs"
            )
        if not flag:
            self.grad = 0.0
        self._requires_grad = flag

    def __repr__(self) -> str:
        text = f"Unit(value={self.value!r}, grad={self.grad!r}"
        if self.label is not None:
            text += f", label={self.label!r}"
        if not self._requires_grad:
            text += ", requires_grad=False"
        return text + ")"

    def __float__(self) -> float:
        return float(self.value)

    # -- backward ----------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(unit) into the ``grad`` of every unit ``self`` depends on.

        Seeds this unit with a gradient of 1 and runs every gate it depends
        on backward, last to first. Calling it again adds again: each call
        passes on only its own contribution, so grads accumulate across calls
        and no path is counted twice (``gates/backprop.py`` says how).

        >>> p = Unit(3.0)
        >>> r = p * p + p * p
        >>> r.backward(); p.grad
        12.0
        >>> r.backward(); p.grad
        24.0
        """
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
            raise TypeError(
                "u ** v needs a constant exponent; for a Unit exponent write "
                "(v * u.log()).exp()"
            )
        if not is_number(exponent):
            return NotImplemented
        return PowGate(exponent).forward(self)

    # The training idiom `p -= lr * p.grad`: on an input unit with a plain
    # number on the right, update the value in place so the graph does not
    # grow. Anywhere else it builds a gate, exactly like `p = p - q`.
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

    # -- activations and elementary functions ------------------------------

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


def _check_flag(flag: object) -> None:
    if flag is not True and flag is not False:
        raise TypeError(f"requires_grad must be True or False, got {flag!r}")


def _as_unit(x: Any) -> Unit | None:
    """``x`` itself if a Unit, a constant Unit if a plain number, else None."""
    if isinstance(x, Unit):
        return x
    if is_number(x):
        return Unit(float(x), requires_grad=False)
    return None


# The gate modules import Unit, so they are imported after it is defined.
from gates.activations import LeakyReLUGate, ReLUGate, SigmoidGate, TanhGate  # noqa: E402
from gates.arithmetic import AddGate, DivGate, MultGate, NegGate, PowGate, SubGate  # noqa: E402
from gates.exponential import ExpGate, LogGate  # noqa: E402
