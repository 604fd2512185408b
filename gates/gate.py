"""The ``Gate`` base class: the shared mechanism behind every gate.

A gate in the guide's style is two methods::

    class MultGate(Gate):
        def forward(self, u0, u1):
            self.u0, self.u1 = u0, u1
            self.utop = Unit(u0.value * u1.value)
            return self.utop

        def backward(self):
            self.u0.grad += self.u1.value * self.utop.grad
            self.u1.grad += self.u0.value * self.utop.grad

Subclasses write only that. When a subclass is defined, the base wraps its
``forward`` and ``backward`` once, so that every call also

* remembers what the gate read (``gate.inputs``) and links the output to the
  gate that made it (so ``utop.backward()`` can find the graph),
* marks the output as needing no gradient when no input needs one,
* tells any active observer (a recording ``Circuit``, a ``Tracer``).

The unwrapped methods stay available as the static ``_raw_forward(gate, ...)``
and ``_raw_backward(gate)``; the engine's own loops call those directly when
nothing is observing.

Why the wrapper looks the way it does (measured in bench/): a forward taking
one or two units gets a wrapper of that exact arity, because forwarding
``*units`` costs more than the whole gate. And a gate whose forward stored its
inputs as ``u0``/``u1`` keeps no separate ``inputs`` tuple (``inputs`` is then
read from ``u0``/``u1``): every object a gate call allocates is one more for
Python's cyclic garbage collector to walk, again and again, while a graph lives.

Folded units. A gate holds its output (``self.utop``) and the output holds
its gate (so ``y.backward()`` finds the graph): a reference cycle, which only
the cyclic garbage collector can free, at about thirty times the cost of
plain reference counting (measured on the bench's MLP graph: its 82k objects
took ~3 ms to free by reference counting, ~100 ms by the collector, more
than building the graph and running it backward). And every object that
lives as long as the graph is one more for the collector to walk, again and
again, while the graph grows. So operator sugar keeps one object per
operation, not two: ``a * b`` runs ``MultGate``'s own forward on a gate
that is dropped at once, and the output *folds* the gate in, keeping only
its class and inputs (``unit._gate``, ``unit._in0``, ``unit._in1``).
``unit.gate`` makes the gate object when asked, whole (``y.gate.utop is y``),
and keeps it; ``gates_behind`` does the same for every gate it returns.
``Unit.backward()`` makes none: each folded unit's backward runs the gate
class's own ``backward`` on a gate lent for that call.

Sugar for a gate with parameters (``**``, ``leaky_relu``) keeps its gate,
which holds its inputs and parameters but lets go of its output when its
forward returns (sugar calls ``gate._loose_forward``): a *loose* gate, given
its output back whenever it is reached. While a Tracer or a recording
Circuit watches, sugar makes whole gates, as the guide's explicit calls do.
A gate you create and call yourself always keeps its output::

    >>> from gates import Unit
    >>> y = Unit(2.0) * Unit(3.0)     # sugar: the MultGate is folded into y
    >>> y.gate.utop is y              # asking for it makes it, whole
    True
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from gates.naming import describe_gate
from gates.observe import _observers, tell_backward, tell_forward
from gates.twin import Twin

if TYPE_CHECKING:
    from gates.unit import Unit

__all__ = ["Gate", "local_grads", "recompute", "unfold"]

ForwardFn = Callable[..., "Unit"]
BackwardFn = Callable[["Gate"], None]
G = TypeVar("G", bound="Gate")


class Gate:
    """Base class of all gates: subclass it and write ``forward`` and ``backward``.

    ``forward(self, *units)`` stores its inputs as ``self.u0`` (``self.u1``, ...)
    and its output as ``self.utop``, and returns ``self.utop``.
    ``backward(self)`` adds ``local derivative * self.utop.grad`` into each
    input's ``grad`` with ``+=``.

    Attributes:
        inputs: the units the last ``forward`` call read, in order.
        utop: the unit the last ``forward`` call wrote.
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

    __slots__ = ("u0", "u1", "utop", "_inputs", "label", "_name")

    symbol: ClassVar[str] = ""
    # The gate's maths as expressions, for compiled and batched replay
    # (gates/twin.py); None for a gate that has none, such as a user's own.
    twin: ClassVar[Twin | None] = None
    # The subclass's own methods, unwrapped, stored as static functions: call
    # them as gate._raw_forward(gate, *units) and gate._raw_backward(gate).
    _raw_forward: ClassVar[Any]
    _raw_backward: ClassVar[Any]

    if TYPE_CHECKING:  # what subclasses provide; declared for type checkers only
        u0: Unit
        u1: Unit
        utop: Unit
        _inputs: tuple[Unit, ...] | object
        label: str | None
        _name: str | None
        forward: Callable[..., Unit]
        _loose_forward: Callable[..., Unit]
        backward: Callable[[], None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" in cls.__dict__:
            raw_forward = cls.__dict__["forward"]
            cls._raw_forward = staticmethod(raw_forward)
            wrap = _WRAPPERS_BY_ARITY.get(_fixed_arity(raw_forward), _bookkept_forward)
            cls.forward = wrap(raw_forward)
            cls._loose_forward = wrap(raw_forward, loose=True)  # for operator sugar
        if "backward" in cls.__dict__:
            raw_backward = cls.__dict__["backward"]
            cls._raw_backward = staticmethod(raw_backward)
            # (typed as a bound method on instances; the wrapper takes the gate)
            cls.backward = _bookkept_backward(raw_backward)  # type: ignore[assignment]
        if not cls.__dict__.get("symbol"):
            cls.symbol = cls.__name__.removesuffix("Gate").lower() or cls.__name__
        if ("forward" in cls.__dict__ or "backward" in cls.__dict__) and (
            "twin" not in cls.__dict__
        ):
            # A subclass that changes the maths must not inherit its parent's
            # twin: compiled replay would silently run the parent's maths.
            cls.twin = None

    @property
    def inputs(self) -> tuple[Unit, ...]:
        """The units the last ``forward`` call read, in order."""
        stored = self._inputs
        if stored is _IN_U0_U1:
            return (self.u0, self.u1)
        if stored is _IN_U0:
            return (self.u0,)
        return stored  # type: ignore[return-value]

    @inputs.setter
    def inputs(self, units: tuple[Unit, ...]) -> None:
        self._inputs = tuple(units)

    def named(self: G, label: str) -> G:
        """Give the gate a label for traces, drawings and errors; returns the gate.

        >>> from gates import MultGate
        >>> MultGate().named("mulg0")
        <MultGate mulg0>
        """
        if not isinstance(label, str):
            raise TypeError(f"a gate label must be a str, got {label!r}")
        self.label = label
        return self

    def __repr__(self) -> str:
        return f"<{describe_gate(self)}>"


# What ``gate._inputs`` holds when the inputs are exactly ``u0`` (and ``u1``).
_IN_U0 = object()
_IN_U0_U1 = object()


def _fixed_arity(raw: object) -> int | None:
    """How many units ``forward(self, ...)`` takes, if a plain fixed number."""
    if not inspect.isfunction(raw):
        return None
    code = raw.__code__
    if code.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS):
        return None
    if raw.__defaults__ or code.co_kwonlyargcount:
        return None
    return code.co_argcount - 1


def _bad_output(gate: Gate, out: object) -> TypeError:
    return TypeError(
        f"{describe_gate(gate)}: forward() returned {out!r} ({type(out).__name__}); "
        "it must store its output Unit as self.utop and return it"
    )


def _bookkept_forward(raw: ForwardFn, loose: bool = False) -> ForwardFn:
    """The bookkeeping around a forward that takes any number of units."""

    @functools.wraps(raw)
    def forward(self: Gate, *units: Unit) -> Unit:
        if self._raw_forward is not raw:
            # A subclass's forward called this one through super(): the
            # outermost call does the bookkeeping, once.
            return raw(self, *units)
        try:
            out: Unit = raw(self, *units)
        except (AttributeError, TypeError) as exc:
            _explain_bad_inputs(self, units, exc)
            raise
        try:
            out._gate = self
        except AttributeError:
            raise _bad_output(self, out) from None
        self._inputs = units
        for unit in units:
            if unit._requires_grad:
                break
        else:
            out.requires_grad = False
        if _observers:
            tell_forward(self, units, out)
        elif loose:
            self.utop = None  # type: ignore[assignment]  # see "Folded units" above
        return out

    return forward


# The same bookkeeping for the common one- and two-input forwards, spelled out
# at that arity (see the module docstring for why).


def _bookkept_forward_1(raw: ForwardFn, loose: bool = False) -> ForwardFn:
    @functools.wraps(raw)
    def forward(self: Gate, u0: Unit) -> Unit:
        if self._raw_forward is not raw:
            return raw(self, u0)
        try:
            out: Unit = raw(self, u0)
        except (AttributeError, TypeError) as exc:
            _explain_bad_inputs(self, (u0,), exc)
            raise
        try:
            out._gate = self
        except AttributeError:
            raise _bad_output(self, out) from None
        try:
            self._inputs = _IN_U0 if self.u0 is u0 else (u0,)
        except AttributeError:  # this forward stores its input elsewhere
            self._inputs = (u0,)
        if not u0._requires_grad:
            out.requires_grad = False
        if _observers:
            tell_forward(self, (u0,), out)
        elif loose:
            self.utop = None  # type: ignore[assignment]  # see "Folded units" above
        return out

    return forward


def _bookkept_forward_2(raw: ForwardFn, loose: bool = False) -> ForwardFn:
    @functools.wraps(raw)
    def forward(self: Gate, u0: Unit, u1: Unit) -> Unit:
        if self._raw_forward is not raw:
            return raw(self, u0, u1)
        try:
            out: Unit = raw(self, u0, u1)
        except (AttributeError, TypeError) as exc:
            _explain_bad_inputs(self, (u0, u1), exc)
            raise
        try:
            out._gate = self
        except AttributeError:
            raise _bad_output(self, out) from None
        try:
            self._inputs = _IN_U0_U1 if self.u0 is u0 and self.u1 is u1 else (u0, u1)
        except AttributeError:  # this forward stores its inputs elsewhere
            self._inputs = (u0, u1)
        if not (u0._requires_grad or u1._requires_grad):
            out.requires_grad = False
        if _observers:
            tell_forward(self, (u0, u1), out)
        elif loose:
            self.utop = None  # type: ignore[assignment]  # see "Folded units" above
        return out

    return forward


_WRAPPERS_BY_ARITY: dict[int | None, Callable[..., ForwardFn]] = {
    1: _bookkept_forward_1,
    2: _bookkept_forward_2,
}


def _bookkept_backward(raw: BackwardFn) -> BackwardFn:
    @functools.wraps(raw)
    def backward(self: Gate) -> None:
        try:
            if not _observers or self._raw_backward is not raw:
                raw(self)
                return
            grads_before = tuple(unit.grad for unit in self.inputs)
            raw(self)
        except AttributeError:
            if not hasattr(self, "_inputs"):
                raise AttributeError(
                    f"{describe_gate(self)}: backward() was called before forward(); "
                    "call forward(...) first so the gate has inputs and an output"
                ) from None
            raise
        tell_backward(self, grads_before)

    return backward


def _explain_bad_inputs(gate: Gate, units: tuple[Any, ...], exc: Exception) -> None:
    """Turn ``'float' object has no attribute 'value'`` into advice, if that is the cause."""
    from gates.unit import Unit

    for position, unit in enumerate(units):
        if not isinstance(unit, Unit):
            raise TypeError(
                f"{describe_gate(gate)}: forward() takes Units, but input {position} is "
                f"{unit!r} ({type(unit).__name__}); wrap a number as "
                f"Unit({unit!r}, requires_grad=False)"
            ) from exc


def unfold(unit: Unit) -> Gate:
    """Make the gate object of a folded unit, whole, and keep it for good.

    The gate gets what its forward stored (``u0``, ``u1``, ``utop``), and
    the unit holds the gate from then on, as if the gate had been called
    by hand (see "Folded units" above). ``unit.gate`` calls this.

    >>> from gates import Unit
    >>> a, b = Unit(2.0), Unit(3.0)
    >>> y = a * b
    >>> y._gate.__name__              # folded: the unit keeps only the class
    'MultGate'
    >>> gate = unfold(y)
    >>> gate.inputs == (a, b), gate.utop is y, y._gate is gate
    (True, True, True)
    """
    kind: type[Gate] = unit._gate  # type: ignore[assignment]
    gate = kind()
    gate.u0 = unit._in0  # type: ignore[assignment]
    if unit._in1 is None:
        gate._inputs = _IN_U0
    else:
        gate.u1 = unit._in1
        gate._inputs = _IN_U0_U1
    gate.utop = unit
    unit._gate, unit._in0, unit._in1 = gate, None, None
    return gate


def recompute(gate: Gate) -> float:
    """Run ``gate``'s own forward again on its stored inputs, in place.

    The new value is written into the *same* output Unit (``gate.utop``), so
    references that other gates and the caller hold stay valid. This is how
    ``Circuit.forward()`` replays a circuit. Returns the output's old value.

    >>> from gates import MultGate, Unit
    >>> a, b = Unit(2.0), Unit(3.0)
    >>> g = MultGate()
    >>> out = g.forward(a, b)
    >>> a.value = 5.0
    >>> recompute(g), out.value, g.utop is out
    (6.0, 15.0, True)
    """
    out = gate.utop
    previous = out.value
    fresh = gate._raw_forward(gate, *gate.inputs)
    out.value = fresh.value
    gate.utop = out
    return previous


def local_grads(gate: Gate, *, upstream: float = 1.0, before: float = 0.0) -> tuple[float, ...]:
    """``d utop / d input`` for each input, from the gate's own ``backward``.

    The gate's backward is run once with its output's grad set to
    ``upstream`` and every input's grad set to ``before``; what it added to
    each input is returned, and all grads are then put back as they were. With
    the defaults that is the local derivative. An input that occurs twice
    (``p * p``) gets its total derivative at each position; an input that
    requires no grad reads 0.

    Other ``upstream`` and ``before`` values probe how a backward is written:
    one that forgets the upstream factor, or assigns with ``=`` instead of
    adding with ``+=``, gives the right local derivative only at the defaults.

    >>> from gates import MultGate, Unit
    >>> g = MultGate()
    >>> _ = g.forward(Unit(2.0), Unit(3.0))
    >>> local_grads(g)
    (3.0, 2.0)
    >>> local_grads(g, upstream=2.0, before=1.0)
    (6.0, 4.0)
    """
    inputs = gate.inputs
    out = gate.utop
    saved_inputs = [unit.grad for unit in inputs]
    saved_out = out.grad
    try:
        for unit in inputs:
            unit.grad = before
        out.grad = upstream
        gate._raw_backward(gate)
        return tuple(unit.grad - before for unit in inputs)
    finally:
        out.grad = saved_out
        for unit, grad in zip(inputs, saved_inputs):
            unit.grad = grad
