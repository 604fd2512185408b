"""``Gate``: the base class of every gate.

A gate is the guide's two methods, ``forward`` and ``backward`` (see ``MultGate`` in
``gates/arithmetic.py``). When a subclass is defined, the base wraps them once, so that
every call also links the output to the gate that made it (``utop.gate``, which is how
``s.backward()`` finds its way back), remembers what the gate read (``gate.inputs``), marks
an output that needs no gradient, and tells the calling thread's observers (a recording
``Circuit``, a ``Tracer``). The subclass's own methods stay available, unwrapped, as
``_own_forward`` and ``_own_backward``; the backward walk calls those.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from gates.errors import bad_inputs, bad_output
from gates.labels import describe_gate
from gates.observe import _observers, run_and_tell_backward, tell_before_forward, tell_forward

if TYPE_CHECKING:
    from gates.unit import Unit

__all__ = ["Gate"]

G = TypeVar("G", bound="Gate")


class Gate:
    """Base class of all gates: subclass it and write ``forward`` and ``backward``.

    ``forward(self, *units)`` stores its inputs as ``self.u0`` (``self.u1``, ...) and its
    output as ``self.utop``, and returns ``self.utop``. ``backward(self)`` adds
    ``local derivative * self.utop.grad`` into each input's ``grad`` with ``+=``.

    Attributes:
        inputs: the units the last ``forward`` call read, in order.
        utop: the unit the last ``forward`` call wrote.
        label: a name for traces, drawings and errors (None until given).
        symbol: a short text for drawings (``"*"`` for ``MultGate``).

    Example:
        >>> from gates import Unit
        >>> class SquareGate(Gate):
        ...     def forward(self, u0):
        ...         self.u0 = u0
        ...         self.utop = Unit(u0.value * u0.value)
        ...         return self.utop
        ...     def backward(self):
        ...         self.u0.grad += 2 * self.u0.value * self.utop.grad
        >>> x = Unit(3.0)
        >>> y = SquareGate().forward(x)
        >>> y.backward()
        >>> y.value, x.grad
        (9.0, 6.0)
    """

    # _inputs: how many inputs forward took when they are u0 (and u1), else the inputs.
    __slots__ = ("u0", "u1", "utop", "_label", "_inputs", "_name")

    symbol: ClassVar[str] = ""
    _own_forward: ClassVar[Callable[..., Unit]]
    _own_backward: ClassVar[Callable[..., None]]

    if TYPE_CHECKING:  # set by forward; declared for type checkers
        u0: Unit
        u1: Unit
        utop: Unit
        _inputs: int | tuple[Unit, ...]
        forward: Callable[..., Unit]
        backward: Callable[[], None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            cls._own_forward = cls.__dict__["forward"]
            cls.forward = _recorded_forward(cls._own_forward)
        if "backward" in cls.__dict__:
            cls._own_backward = cls.__dict__["backward"]
            cls.backward = _reported_backward(cls._own_backward)
        if not cls.__dict__.get("symbol"):
            cls.symbol = cls.__name__.removesuffix("Gate").lower() or cls.__name__

    @property
    def label(self) -> str | None:
        """A name for traces, drawings and errors; None until given."""
        return getattr(self, "_label", None)  # (no __getattr__: it would slow every read)

    @label.setter
    def label(self, label: str | None) -> None:
        self._label = label

    @property
    def inputs(self) -> tuple[Unit, ...]:
        """The units the last ``forward`` call read, in order."""
        stored = self._inputs
        if stored == 2:
            return (self.u0, self.u1)
        if stored == 1:
            return (self.u0,)
        return stored if isinstance(stored, tuple) else ()

    def named(self: G, label: str) -> G:
        """Give the gate a label for traces, drawings and errors; returns the gate."""
        if not isinstance(label, str):
            raise TypeError(f"a gate label must be a str, got {label!r}")
        self._label = label
        return self

    def __repr__(self) -> str:
        return f"<{describe_gate(self)}>"


def _recorded_forward(own: Callable[..., Unit]) -> Callable[..., Unit]:
    """``own`` (a subclass's forward) with the bookkeeping every gate shares."""

    @functools.wraps(own)
    def forward(self: Gate, *units: Unit) -> Unit:
        if type(self)._own_forward is not own:  # called through super(): the outer
            return own(self, *units)  # call does the bookkeeping, once
        if _observers:
            tell_before_forward(self, units)  # a Circuit may refuse a reused gate
        # Inputs are u0, u1, as the guide stores them (also for a forward that doesn't);
        # spelled out for 1 and 2, as own(self, *units) is slower (explanation/performance.md)
        n = len(units)
        try:
            if n == 2:
                u0, u1 = units
                self.u0, self.u1 = u0, u1
                out = own(self, u0, u1)
                constant = not (u0._requires_grad or u1._requires_grad)
            elif n == 1:
                u0 = units[0]
                self.u0 = u0
                out = own(self, u0)
                constant = not u0._requires_grad
            else:
                out = own(self, *units)
                constant = not any(unit._requires_grad for unit in units)
        except BaseException as exc:
            self.utop = None  # type: ignore[assignment]  # its old output may not use it now
            raise bad_inputs(self, units, exc) from None  # (a number in place of a Unit?)
        try:
            out.gate = self
        except AttributeError:
            raise bad_output(self, out) from None
        self._inputs = n if n <= 2 else units
        if constant:
            out._requires_grad = False  # nothing upstream takes a gradient
        if _observers:
            tell_forward(self, units, out)
        return out

    return forward


def _reported_backward(own: Callable[..., None]) -> Callable[..., None]:
    """``own`` (a subclass's backward) for a call by hand, as the guide makes them."""

    @functools.wraps(own)
    def backward(self: Gate) -> None:
        if getattr(self, "_inputs", None) is None:
            raise AttributeError(f"{describe_gate(self)}: call forward(...) before backward()")
        if _observers and type(self)._own_backward is own:  # (not through super())
            run_and_tell_backward(self, {})
        else:
            own(self)
        for unit in self.inputs:
            if not unit._requires_grad:
                unit.grad = 0.0  # a constant takes no gradient

    return backward
