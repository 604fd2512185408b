"""``Unit``: a value and its gradient, the wire between gates.

>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> out = (a * b + 1).sigmoid()
>>> out.backward()
>>> round(out.value, 4), round(a.grad, 4), round(b.grad, 4)
(0.0067, -0.0199, 0.0133)
"""

from __future__ import annotations

import numbers
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard, cast

from gates.backprop import backpropagate, backpropagate_units, gates_behind, units_behind
from gates.numerics import to_float
from gates.observe import _observers

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

    Arithmetic builds gates: ``a * b`` is ``MultGate().forward(a, b)``, and
    ``u.backward()`` runs backward over every gate ``u`` depends on. (Unless
    a Tracer or Circuit is watching, the result remembers the gate's class
    and inputs, and the gate object is made only if you ask for ``u.gate``:
    "Folded units" in ``gates/gate.py`` says why.)

    Example:
        >>> x = Unit(3.0, label="x")
        >>> y = x * x + 2 * x
        >>> y.backward()
        >>> y.value, x.grad
        (15.0, 8.0)
    """

    # _in0, _in1: the inputs of a folded unit's gate (see gates/gate.py), else None
    __slots__ = ("value", "grad", "label", "_gate", "_name", "_in0", "_in1")

    # A class attribute rather than a slot: units that need no gradient are
    # instances of the subclass _ConstantUnit, whose grad ignores writes.
    _requires_grad: ClassVar[bool] = True

    value: float
    grad: float
    label: str | None
    _gate: Gate | type[Gate] | None  # a class: folded
    _name: str | None
    _in0: Unit | None
    _in1: Unit | None

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
        self.value = value
        self.grad = grad
        self.label = label
        self._gate = None
        self._name = None
        self._in0 = None
        self._in1 = None
        if not requires_grad:
            if grad:
                raise ValueError(
                    f"Unit({value!r}) with requires_grad=False takes no gradient; "
                    f"leave grad at 0.0 (got {grad!r})"
                )
            self.__class__ = _ConstantUnit

    @property
    def requires_grad(self) -> bool:
        """Whether backward passes give this unit a gradient."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        if flag:
            self.__class__ = Unit
        elif self._requires_grad:
            self.grad = 0.0  # the slot keeps this while the constant's property hides it
            self.__class__ = _ConstantUnit

    @property
    def gate(self) -> Gate | None:
        """The gate whose forward made this unit, or None for an input."""
        if self._gate is None:
            return None
        if self._in0 is not None:  # folded (see gates/gate.py): make the gate now
            return unfold(self)
        gate = cast("Gate", self._gate)
        made: Unit | None = gate.utop
        if made is None:  # a loose gate (see gates/gate.py): give it its output back
            gate.utop = self
        return gate

    def __repr__(self) -> str:
        text = f"Unit(value={self.value!r}, grad={self.grad!r}"
        if self.label is not None:
            text += f", label={self.label!r}"
        if not self._requires_grad:
            text += ", requires_grad=False"
        return text + ")"

    def __float__(self) -> float:
        return self.value

    # -- backward ----------------------------------------------------------

    def backward(self) -> None:
        """Add d(self)/d(unit) into the ``grad`` of every unit ``self`` depends on.

        Seeds this unit with a gradient of 1. Calling it again adds again: each
        call propagates only its own contribution, so grads accumulate across
        calls and no path is counted twice.

        >>> p = Unit(3.0)
        >>> r = p * p + p * p
        >>> r.backward(); p.grad
        12.0
        >>> r.backward(); p.grad
        24.0
        """
        if _observers:  # a Tracer sees every gate's backward: make them whole
            backpropagate(self, gates_behind(self))
        else:
            backpropagate_units(self, units_behind(self))

    # -- operator sugar: each runs the same gate classes as the explicit style

    def __add__(self, other: Unit | float) -> Unit:
        other_unit = other if other.__class__ is Unit else _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(AddGate, self, other_unit)

    def __radd__(self, other: float) -> Unit:
        other_unit = _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(AddGate, other_unit, self)

    def __sub__(self, other: Unit | float) -> Unit:
        other_unit = other if other.__class__ is Unit else _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(SubGate, self, other_unit)

    def __rsub__(self, other: float) -> Unit:
        other_unit = _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(SubGate, other_unit, self)

    def __mul__(self, other: Unit | float) -> Unit:
        other_unit = other if other.__class__ is Unit else _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(MultGate, self, other_unit)

    def __rmul__(self, other: float) -> Unit:
        other_unit = _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(MultGate, other_unit, self)

    def __truediv__(self, other: Unit | float) -> Unit:
        other_unit = other if other.__class__ is Unit else _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(DivGate, self, other_unit)

    def __rtruediv__(self, other: float) -> Unit:
        other_unit = _as_unit(other)
        if other_unit is None:
            return NotImplemented
        return _made_by(DivGate, other_unit, self)

    def __neg__(self) -> Unit:
        return _made_by_1(NegGate, self)

    def __pow__(self, exponent: object) -> Unit:
        if isinstance(exponent, Unit):
            raise TypeError(
                "u ** v needs a constant exponent; for a Unit exponent write "
                "(v * u.log()).exp()"
            )
        if not _is_plain_number(exponent):
            return NotImplemented
        return PowGate(float(exponent))._loose_forward(self)

    # The training idiom `p -= lr * p.grad`: on an input unit with a plain
    # number on the right, update the value in place so the graph does not
    # grow. Anywhere else it builds a gate, exactly like `p = p - q`.
    def __iadd__(self, other: Unit | float) -> Unit:
        if self._gate is None and _is_plain_number(other):
            self.value += float(other)
            return self
        return self.__add__(other)

    def __isub__(self, other: Unit | float) -> Unit:
        if self._gate is None and _is_plain_number(other):
            self.value -= float(other)
            return self
        return self.__sub__(other)

    # -- activations and elementary functions ------------------------------

    def sigmoid(self) -> Unit:
        """``1 / (1 + e**-self)`` through a ``SigmoidGate``."""
        return _made_by_1(SigmoidGate, self)

    def tanh(self) -> Unit:
        """``tanh(self)`` through a ``TanhGate``."""
        return _made_by_1(TanhGate, self)

    def relu(self) -> Unit:
        """``max(self, 0)`` through a ``ReLUGate``."""
        return _made_by_1(ReLUGate, self)

    def leaky_relu(self, slope: float = 0.01) -> Unit:
        """``self`` if positive, else ``slope * self``, through a ``LeakyReLUGate``."""
        return LeakyReLUGate(slope)._loose_forward(self)

    def exp(self) -> Unit:
        """``e ** self`` through an ``ExpGate``."""
        return _made_by_1(ExpGate, self)

    def log(self) -> Unit:
        """The natural logarithm through a ``LogGate``."""
        return _made_by_1(LogGate, self)


class _ConstantUnit(Unit):
    """A unit that takes no gradient: its ``grad`` reads 0.0 and ignores writes.

    Gates add into their inputs' grads with ``+=``; for a constant input that
    addition lands here and is dropped, at no cost to ordinary units.
    """

    __slots__ = ()
    _requires_grad: ClassVar[bool] = False

    @property
    def grad(self) -> float:
        return 0.0

    @grad.setter
    def grad(self, value: float) -> None:
        pass


def _made_by(kind: type[Gate], u0: Unit, u1: Unit) -> Unit:
    """``kind().forward(u0, u1)`` for operator sugar, folded into its output.

    The gate's own forward computes the output; the output then remembers
    the gate's class and inputs instead of the gate object (see "Folded
    units" in ``gates/gate.py``). While a Tracer or a recording Circuit
    watches, the gate is kept whole and reported, as if called by hand.
    """
    gate = kind()
    if _observers:
        return gate.forward(u0, u1)
    out: Unit = kind._raw_forward(gate, u0, u1)
    out._gate, out._in0, out._in1 = kind, u0, u1
    if not (u0._requires_grad or u1._requires_grad):
        out.requires_grad = False
    return out


def _made_by_1(kind: type[Gate], u0: Unit) -> Unit:
    """``kind().forward(u0)`` for operator sugar: :func:`_made_by`, one input."""
    gate = kind()
    if _observers:
        return gate.forward(u0)
    out: Unit = kind._raw_forward(gate, u0)
    out._gate, out._in0 = kind, u0
    if not u0._requires_grad:
        out.requires_grad = False
    return out


def _is_plain_number(x: object) -> TypeGuard[float]:
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _as_unit(x: Any) -> Unit | None:
    """``x`` itself if a Unit, a constant Unit if a plain number, else None."""
    if isinstance(x, Unit):
        return x
    if _is_plain_number(x):
        return Unit(float(x), requires_grad=False)
    return None


# The gate modules import Unit, so they are imported after it is defined.
from gates.activations import (  # noqa: E402
    LeakyReLUGate,
    ReLUGate,
    SigmoidGate,
    TanhGate,
)
from gates.arithmetic import AddGate, DivGate, MultGate, NegGate, PowGate, SubGate  # noqa: E402
from gates.exponential import ExpGate, LogGate  # noqa: E402
from gates.gate import unfold  # noqa: E402
