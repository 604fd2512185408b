"""The errors of circuits and backward passes.

They live in ``gates`` because ``Unit.backward()`` raises them too; ``circuits``
re-exports them. Every message names the gate, the step and what to do.
"""

from __future__ import annotations

__all__ = ["CircuitError", "GateReuseError", "NonFiniteError"]


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
