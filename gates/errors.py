"""The errors of circuits and backward passes.

They live in ``gates`` because ``Unit.backward()`` raises them too; ``circuits``
re-exports them. Every message names the gate, the step and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from gates.labels import describe_gate, name_of

if TYPE_CHECKING:
    from gates.gate import Gate
    from gates.unit import Unit

__all__ = [
    "CircuitError",
    "GateReuseError",
    "NonFiniteError",
    "bad_inputs",
    "bad_output",
    "checked_flag",
    "checked_unit",
    "explained",
    "not_a_number",
    "reused",
    "still_constant",
]


class CircuitError(Exception):
    """Something about a circuit makes the requested pass impossible or wrong."""


class GateReuseError(CircuitError):
    """One gate object was forwarded twice where both results are still needed.

    A gate stores its inputs (``u0``, ``u1``) and output (``utop``); a second
    ``forward`` overwrites them, so ``backward`` for the first call would use
    the second call's numbers.
    """


class NonFiniteError(CircuitError, ArithmeticError):
    """A value or gradient became ``nan`` or ``inf`` (with ``check_finite=True``)."""


def bad_output(gate: Gate, out: object) -> TypeError:
    """The error for a forward that did not return its output Unit."""
    return TypeError(
        f"{describe_gate(gate)}: forward() returned {out!r} ({type(out).__name__}); "
        "it must store its output Unit as self.utop and return it"
    )


def bad_inputs(gate: Gate, units: tuple[Any, ...], exc: BaseException) -> BaseException:
    """For ``exc``, raised by a forward on its inputs (``'float' object has no
    attribute 'value'``), the error that names the bad input; else ``exc``."""
    if not isinstance(exc, (AttributeError, TypeError)):
        return exc
    from gates.numerics import is_number
    from gates.unit import Unit

    for position, unit in enumerate(units):
        if not isinstance(unit, Unit):
            return TypeError(
                f"{describe_gate(gate)}: forward() takes Units, but input {position} is "
                f"{unit!r} ({type(unit).__name__}); wrap a number as "
                f"Unit({unit!r}, requires_grad=False)"
            )
        if not is_number(unit.value):
            return TypeError(
                f"{describe_gate(gate)}: input {position} ({name_of(unit)}) has value "
                f"{unit.value!r} ({type(unit.value).__name__}), not a number; set "
                f"{name_of(unit)}.value to a float"
            )
    return exc


def reused(unit: Unit, gate: Gate) -> GateReuseError:
    """The error for a gate forwarded again since it made ``unit``."""
    now = "that forward failed" if gate.utop is None else f"its output is now {name_of(gate.utop)}"
    return GateReuseError(
        f"{describe_gate(gate)} made {name_of(unit)}, but has since been forwarded "
        f"again ({now}), so it no longer holds the inputs of {name_of(unit)}. Use a "
        "new gate object for each operation, or record the circuit once and replay "
        "it with Circuit.forward()."
    )


def still_constant(gate: Gate) -> None:
    """Raise if an input of ``gate``, whose output takes no gradient, has been
    switched to ``requires_grad=True`` since: backward would give it none."""
    for unit in gate.inputs:
        if unit.requires_grad:
            raise CircuitError(
                f"{name_of(unit)} takes a gradient now, but {describe_gate(gate)} made "
                f"{name_of(gate.utop)} when none of its inputs did, so backward would "
                f"give {name_of(unit)} none. Run the gates forward again after switching "
                "requires_grad on (Circuit.forward(), or rebuild the expression)."
            )


def not_a_number(units: Iterable[Unit]) -> TypeError | None:
    """The error naming the first of ``units`` whose value or grad is not a
    number (set by hand: the engine stores only floats), if there is one."""
    from gates.numerics import is_number

    for unit in units:
        for field in ("value", "grad"):
            held = getattr(unit, field)
            if not is_number(held):
                return TypeError(
                    f"{name_of(unit)}.{field} holds {held!r} ({type(held).__name__}), not a "
                    f"number, so the gates cannot compute with it; set {name_of(unit)}.{field} "
                    + ("to a float" if field == "value" else "to a float (0.0 to start from)")
                )
    return None


def explained(exc: BaseException, units: Iterable[Unit]) -> BaseException:
    """For a TypeError a non-number in one of ``units`` caused, the error that
    names it; any other exception as it is."""
    advice = not_a_number(units) if isinstance(exc, TypeError) else None
    return exc if advice is None else advice


def checked_unit(value: Any, grad: Any, label: Any, requires_grad: Any) -> tuple[float, float]:
    """``Unit(...)``'s arguments as floats, or the error that names the bad one."""
    from gates.numerics import to_float

    value, grad = to_float(value, "Unit value"), to_float(grad, "Unit grad")
    if label is not None and not isinstance(label, str):
        raise TypeError(f"Unit label must be a str or None, got {label!r}")
    if requires_grad is not True and requires_grad is not False:
        raise TypeError(f"requires_grad must be True or False, got {requires_grad!r}")
    if not requires_grad and grad:
        raise ValueError(
            f"Unit({value!r}) with requires_grad=False takes no gradient; "
            f"leave grad at 0.0 (got {grad!r})"
        )
    return value, grad


def checked_flag(unit: Unit, flag: Any) -> None:
    """Raise if ``flag`` cannot be ``unit.requires_grad``: not a bool, or the
    unit is made by a gate (its flag follows its gate's inputs)."""
    if flag is not True and flag is not False:
        raise TypeError(f"requires_grad must be True or False, got {flag!r}")
    if unit.gate is not None:
        raise ValueError(
            f"{unit!r} was made by {unit.gate!r}, so it requires a gradient exactly "
            "when one of that gate's inputs does; set requires_grad on the inputs"
        )
