"""How traces, drawings and reports show a number: short, and never hiding a
sign, an ``inf`` or a ``nan``."""

from __future__ import annotations

import math

__all__ = ["format_number"]


def format_number(x: object) -> str:
    """A number as traces show it: short, and never hiding a sign or a nan.

    Whole numbers keep one decimal, others four, and very large or very small
    ones use an exponent, so a column of grads stays readable.

    >>> [format_number(v) for v in (0.0, -3.0, 0.8807970779778823, 1.5e-07, 2e9)]
    ['0.0', '-3.0', '0.8808', '1.500e-07', '2.000e+09']
    >>> format_number(float("nan")), format_number(float("-inf"))
    ('nan', '-inf')
    """
    if not isinstance(x, (int, float)):
        return repr(x)  # not a number at all: show it as it is
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0.0"  # also -0.0: the sign of a zero gradient means nothing here
    size = abs(x)
    if x == int(x) and size < 1e6:
        return f"{x:.1f}"
    if 1e-4 <= size < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"
