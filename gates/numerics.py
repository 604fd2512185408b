"""IEEE-754 versions of the few float operations where Python raises instead.

Python's ``math`` module raises ``OverflowError``, ``ValueError`` or
``ZeroDivisionError`` where NumPy and PyTorch return ``inf`` or ``nan``.
A learner watching a network diverge should see the ``inf`` appear in the
trace, not a traceback from deep inside a gate, so every gate uses these.

>>> exp(1000.0), log(0.0), divide(1.0, 0.0), sigmoid(-1000.0)
(inf, -inf, inf, 0.0)
"""

from __future__ import annotations

import math
import numbers
from typing import TypeGuard

__all__ = ["divide", "exp", "is_number", "log", "power", "sigmoid", "to_float"]

_INF = math.inf
_NAN = math.nan


def is_number(x: object) -> TypeGuard[float]:
    """Whether ``x`` is a real number a unit can hold (an int or float; not a bool).

    >>> is_number(2.5), is_number(3), is_number("3"), is_number(None), is_number(True)
    (True, True, False, False, False)
    """
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def to_float(x: object, what: str, *, finite: bool = False) -> float:
    """``x`` as a float if it is a real number (bool excluded), else a ``TypeError``
    that names ``what`` and the value; with ``finite``, nan and inf are a
    ``ValueError`` (a gate's constant parameter must be a number to compute with).

    >>> to_float(3, "Unit value")
    3.0
    >>> to_float("3", "Unit value")
    Traceback (most recent call last):
    ...
    TypeError: Unit value must be a real number (int or float), got '3' (str)
    """
    if not is_number(x):
        raise TypeError(
            f"{what} must be a real number (int or float), got {x!r} ({type(x).__name__})"
        )
    if finite and not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {x!r}")
    return float(x)


def exp(x: float) -> float:
    """``e ** x``; ``inf`` where the result is too large for a float.

    >>> exp(0.0), exp(710.0)
    (1.0, inf)
    """
    try:
        return math.exp(x)
    except OverflowError:
        return _INF


def log(x: float) -> float:
    """Natural logarithm: ``-inf`` at 0 and ``nan`` below it, as in NumPy.

    >>> log(1.0), log(0.0), log(-1.0)
    (0.0, -inf, nan)
    """
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -_INF
    return _NAN  # negative or nan


def divide(a: float, b: float) -> float:
    """``a / b`` with IEEE division by zero: ``±inf``, or ``nan`` for ``0/0``.

    >>> divide(1.0, -0.0), divide(0.0, 0.0)
    (-inf, nan)
    """
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return _NAN
        return math.copysign(_INF, a) * math.copysign(1.0, b)


def _is_odd_integer(p: float) -> bool:
    return p.is_integer() and p % 2.0 == 1.0


def power(x: float, p: float) -> float:
    """``x ** p`` as C's ``pow``: ``inf`` on overflow, ``nan`` for a negative base
    with a fractional exponent (never a complex number), ``inf`` for ``0 ** -1``.

    >>> power(2.0, 3.0), power(-8.0, 1 / 3), power(0.0, -1.0), power(10.0, 400.0)
    (8.0, nan, inf, inf)
    >>> power(-0.0, 0.5), power(-math.inf, 0.5)
    (-0.0, nan)
    """
    if p == 0.5:
        # NOTE: x ** 0.5 is sqrt(x), as NumPy and PyTorch compute it: sqrt(-0.0)
        # is -0.0 and sqrt(-inf) is nan, where C's pow gives 0.0 and inf.
        return math.sqrt(x) if not x < 0.0 else _NAN
    try:
        return math.pow(x, p)
    except OverflowError:
        return -_INF if x < 0.0 and _is_odd_integer(p) else _INF
    except ValueError:
        if x == 0.0:  # zero to a negative power
            return math.copysign(_INF, x) if _is_odd_integer(p) else _INF
        return _NAN  # negative base, fractional exponent


def sigmoid(x: float) -> float:
    """The logistic function ``1 / (1 + e**-x)``, computed without overflow.

    NOTE: for negative ``x`` the textbook form needs ``e**-x``, which overflows
    past ``x = -709``; the equal form ``e**x / (1 + e**x)`` does not, so each
    half of the line uses the form whose exponential stays at most 1.

    >>> sigmoid(0.0), sigmoid(-1000.0), sigmoid(1000.0)
    (0.5, 0.0, 1.0)
    """
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    z = exp(x)  # nan stays nan here: comparisons with nan are False
    return z / (1.0 + z)
