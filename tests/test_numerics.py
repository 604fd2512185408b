"""gates.numerics and the built-in gates at IEEE's edges, with torch's numbers as the table.

Every built-in gate is run at +0.0, -0.0, +inf, -inf and nan, at its kinks
(ReLU and leaky ReLU at 0), over its awkward domains (PowGate's exponents 0,
1, 2, 3, 0.5, -1 and -2 on negative bases, DivGate at 0/0, x/0 and x/inf,
LogGate at 0 and below) and at its overflow boundaries (ExpGate at +-709.78,
SigmoidGate and TanhGate far out). ``TABLE`` is what torch 2.13.0's float64
autograd gives at each point: the value, and d(output)/d(input) for each
input with an upstream grad of 1. ``bench/ieee_torch.py`` made it and checks
it against torch (``.bench-venv/bin/python bench/ieee_torch.py``).

The gates must give the same floats, zeros with their sign and nan for nan,
except at the few points listed in ``DIFFERENCES``, each with our numbers
and the reason. ``docs/explanation/numerics.md`` shows the same table, made
from these two lists: ``python tests/test_numerics.py`` rewrites it there,
and a test fails when the page and this module disagree.
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

import gates
from circuits import Circuit, NonFiniteError
from gates import Gate, ReLUGate, Unit

INF, NAN = math.inf, math.nan

# (gate class name, its constant or None, input values, value, d value / d input for each)
Row = tuple[str, float | None, tuple[float, ...], float, tuple[float, ...]]

# BEGIN IEEE TABLE (made by `.bench-venv/bin/python bench/ieee_torch.py --write`; do not edit)
TABLE: list[Row] = [
    ("AddGate", None, (0.0, 2.0), 2.0, (1.0, 1.0)),
    ("AddGate", None, (-0.0, 2.0), 2.0, (1.0, 1.0)),
    ("AddGate", None, (INF, 2.0), INF, (1.0, 1.0)),
    ("AddGate", None, (-INF, 2.0), -INF, (1.0, 1.0)),
    ("AddGate", None, (NAN, 2.0), NAN, (1.0, 1.0)),
    ("AddGate", None, (2.0, 0.0), 2.0, (1.0, 1.0)),
    ("AddGate", None, (2.0, -0.0), 2.0, (1.0, 1.0)),
    ("AddGate", None, (2.0, INF), INF, (1.0, 1.0)),
    ("AddGate", None, (2.0, -INF), -INF, (1.0, 1.0)),
    ("AddGate", None, (2.0, NAN), NAN, (1.0, 1.0)),
    ("AddGate", None, (INF, -INF), NAN, (1.0, 1.0)),
    ("AddGate", None, (-0.0, -0.0), -0.0, (1.0, 1.0)),
    ("AddGate", None, (0.0, -0.0), 0.0, (1.0, 1.0)),
    ("AddGate", None, (1e308, 1e308), INF, (1.0, 1.0)),
    ("SubGate", None, (0.0, 2.0), -2.0, (1.0, -1.0)),
    ("SubGate", None, (-0.0, 2.0), -2.0, (1.0, -1.0)),
    ("SubGate", None, (INF, 2.0), INF, (1.0, -1.0)),
    ("SubGate", None, (-INF, 2.0), -INF, (1.0, -1.0)),
    ("SubGate", None, (NAN, 2.0), NAN, (1.0, -1.0)),
    ("SubGate", None, (2.0, 0.0), 2.0, (1.0, -1.0)),
    ("SubGate", None, (2.0, -0.0), 2.0, (1.0, -1.0)),
    ("SubGate", None, (2.0, INF), -INF, (1.0, -1.0)),
    ("SubGate", None, (2.0, -INF), INF, (1.0, -1.0)),
    ("SubGate", None, (2.0, NAN), NAN, (1.0, -1.0)),
    ("SubGate", None, (INF, INF), NAN, (1.0, -1.0)),
    ("SubGate", None, (-0.0, 0.0), -0.0, (1.0, -1.0)),
    ("SubGate", None, (0.0, 0.0), 0.0, (1.0, -1.0)),
    ("SubGate", None, (1e308, -1e308), INF, (1.0, -1.0)),
    ("MultGate", None, (0.0, 2.0), 0.0, (2.0, 0.0)),
    ("MultGate", None, (-0.0, 2.0), -0.0, (2.0, -0.0)),
    ("MultGate", None, (INF, 2.0), INF, (2.0, INF)),
    ("MultGate", None, (-INF, 2.0), -INF, (2.0, -INF)),
    ("MultGate", None, (NAN, 2.0), NAN, (2.0, NAN)),
    ("MultGate", None, (2.0, 0.0), 0.0, (0.0, 2.0)),
    ("MultGate", None, (2.0, -0.0), -0.0, (-0.0, 2.0)),
    ("MultGate", None, (2.0, INF), INF, (INF, 2.0)),
    ("MultGate", None, (2.0, -INF), -INF, (-INF, 2.0)),
    ("MultGate", None, (2.0, NAN), NAN, (NAN, 2.0)),
    ("MultGate", None, (0.0, INF), NAN, (INF, 0.0)),
    ("MultGate", None, (-2.0, 0.0), -0.0, (0.0, -2.0)),
    ("MultGate", None, (-0.0, -0.0), 0.0, (-0.0, -0.0)),
    ("MultGate", None, (INF, -INF), -INF, (-INF, INF)),
    ("MultGate", None, (NAN, 0.0), NAN, (0.0, NAN)),
    ("MultGate", None, (1e200, 1e200), INF, (1e200, 1e200)),
    ("DivGate", None, (0.0, 2.0), 0.0, (0.5, -0.0)),
    ("DivGate", None, (-0.0, 2.0), -0.0, (0.5, 0.0)),
    ("DivGate", None, (INF, 2.0), INF, (0.5, -INF)),
    ("DivGate", None, (-INF, 2.0), -INF, (0.5, INF)),
    ("DivGate", None, (NAN, 2.0), NAN, (0.5, NAN)),
    ("DivGate", None, (2.0, 0.0), INF, (INF, -INF)),
    ("DivGate", None, (2.0, -0.0), -INF, (-INF, -INF)),
    ("DivGate", None, (2.0, INF), 0.0, (0.0, -0.0)),
    ("DivGate", None, (2.0, -INF), -0.0, (-0.0, -0.0)),
    ("DivGate", None, (2.0, NAN), NAN, (NAN, NAN)),
    ("DivGate", None, (0.0, 0.0), NAN, (INF, NAN)),
    ("DivGate", None, (-2.0, 0.0), -INF, (INF, INF)),
    ("DivGate", None, (0.0, -0.0), NAN, (-INF, NAN)),
    ("DivGate", None, (-0.0, 0.0), NAN, (INF, NAN)),
    ("DivGate", None, (-2.0, INF), -0.0, (0.0, 0.0)),
    ("DivGate", None, (INF, INF), NAN, (0.0, NAN)),
    ("DivGate", None, (0.0, INF), 0.0, (0.0, -0.0)),
    ("DivGate", None, (INF, 0.0), INF, (INF, -INF)),
    ("DivGate", None, (1.0, 1e-200), 1e200, (1e200, -INF)),
    ("DivGate", None, (1e-300, 1e200), 0.0, (1e-200, -0.0)),
    ("NegGate", None, (0.0,), -0.0, (-1.0,)),
    ("NegGate", None, (-0.0,), 0.0, (-1.0,)),
    ("NegGate", None, (INF,), -INF, (-1.0,)),
    ("NegGate", None, (-INF,), INF, (-1.0,)),
    ("NegGate", None, (NAN,), NAN, (-1.0,)),
    ("NegGate", None, (2.0,), -2.0, (-1.0,)),
    ("PowGate", 0.0, (0.0,), 1.0, (0.0,)),
    ("PowGate", 0.0, (-0.0,), 1.0, (0.0,)),
    ("PowGate", 0.0, (INF,), 1.0, (0.0,)),
    ("PowGate", 0.0, (-INF,), 1.0, (0.0,)),
    ("PowGate", 0.0, (NAN,), 1.0, (0.0,)),
    ("PowGate", 0.0, (2.0,), 1.0, (0.0,)),
    ("PowGate", 0.0, (-2.0,), 1.0, (0.0,)),
    ("PowGate", 0.0, (0.5,), 1.0, (0.0,)),
    ("PowGate", 0.0, (-0.5,), 1.0, (0.0,)),
    ("PowGate", 0.0, (1e200,), 1.0, (0.0,)),
    ("PowGate", 0.0, (-1e200,), 1.0, (0.0,)),
    ("PowGate", 1.0, (0.0,), 0.0, (1.0,)),
    ("PowGate", 1.0, (-0.0,), -0.0, (1.0,)),
    ("PowGate", 1.0, (INF,), INF, (1.0,)),
    ("PowGate", 1.0, (-INF,), -INF, (1.0,)),
    ("PowGate", 1.0, (NAN,), NAN, (1.0,)),
    ("PowGate", 1.0, (2.0,), 2.0, (1.0,)),
    ("PowGate", 1.0, (-2.0,), -2.0, (1.0,)),
    ("PowGate", 1.0, (0.5,), 0.5, (1.0,)),
    ("PowGate", 1.0, (-0.5,), -0.5, (1.0,)),
    ("PowGate", 1.0, (1e200,), 1e200, (1.0,)),
    ("PowGate", 1.0, (-1e200,), -1e200, (1.0,)),
    ("PowGate", 2.0, (0.0,), 0.0, (0.0,)),
    ("PowGate", 2.0, (-0.0,), 0.0, (-0.0,)),
    ("PowGate", 2.0, (INF,), INF, (INF,)),
    ("PowGate", 2.0, (-INF,), INF, (-INF,)),
    ("PowGate", 2.0, (NAN,), NAN, (NAN,)),
    ("PowGate", 2.0, (2.0,), 4.0, (4.0,)),
    ("PowGate", 2.0, (-2.0,), 4.0, (-4.0,)),
    ("PowGate", 2.0, (0.5,), 0.25, (1.0,)),
    ("PowGate", 2.0, (-0.5,), 0.25, (-1.0,)),
    ("PowGate", 2.0, (1e200,), INF, (2e200,)),
    ("PowGate", 2.0, (-1e200,), INF, (-2e200,)),
    ("PowGate", 3.0, (0.0,), 0.0, (0.0,)),
    ("PowGate", 3.0, (-0.0,), -0.0, (0.0,)),
    ("PowGate", 3.0, (INF,), INF, (INF,)),
    ("PowGate", 3.0, (-INF,), -INF, (INF,)),
    ("PowGate", 3.0, (NAN,), NAN, (NAN,)),
    ("PowGate", 3.0, (2.0,), 8.0, (12.0,)),
    ("PowGate", 3.0, (-2.0,), -8.0, (12.0,)),
    ("PowGate", 3.0, (0.5,), 0.125, (0.75,)),
    ("PowGate", 3.0, (-0.5,), -0.125, (0.75,)),
    ("PowGate", 3.0, (1e200,), INF, (INF,)),
    ("PowGate", 3.0, (-1e200,), -INF, (INF,)),
    ("PowGate", 0.5, (0.0,), 0.0, (INF,)),
    ("PowGate", 0.5, (-0.0,), -0.0, (-INF,)),
    ("PowGate", 0.5, (INF,), INF, (0.0,)),
    ("PowGate", 0.5, (-INF,), NAN, (NAN,)),
    ("PowGate", 0.5, (NAN,), NAN, (NAN,)),
    ("PowGate", 0.5, (2.0,), 1.414213562373095, (0.35355339059327373,)),
    ("PowGate", 0.5, (-2.0,), NAN, (NAN,)),
    ("PowGate", 0.5, (0.5,), 0.7071067811865475, (0.7071067811865475,)),
    ("PowGate", 0.5, (-0.5,), NAN, (NAN,)),
    ("PowGate", 0.5, (1e200,), 1e100, (5e-101,)),
    ("PowGate", 0.5, (-1e200,), NAN, (NAN,)),
    ("PowGate", -1.0, (0.0,), INF, (-INF,)),
    ("PowGate", -1.0, (-0.0,), -INF, (-INF,)),
    ("PowGate", -1.0, (INF,), 0.0, (-0.0,)),
    ("PowGate", -1.0, (-INF,), -0.0, (-0.0,)),
    ("PowGate", -1.0, (NAN,), NAN, (NAN,)),
    ("PowGate", -1.0, (2.0,), 0.5, (-0.25,)),
    ("PowGate", -1.0, (-2.0,), -0.5, (-0.25,)),
    ("PowGate", -1.0, (0.5,), 2.0, (-4.0,)),
    ("PowGate", -1.0, (-0.5,), -2.0, (-4.0,)),
    ("PowGate", -1.0, (1e200,), 1e-200, (-0.0,)),
    ("PowGate", -1.0, (-1e200,), -1e-200, (-0.0,)),
    ("PowGate", -2.0, (0.0,), INF, (-INF,)),
    ("PowGate", -2.0, (-0.0,), INF, (INF,)),
    ("PowGate", -2.0, (INF,), 0.0, (-0.0,)),
    ("PowGate", -2.0, (-INF,), 0.0, (0.0,)),
    ("PowGate", -2.0, (NAN,), NAN, (NAN,)),
    ("PowGate", -2.0, (2.0,), 0.25, (-0.25,)),
    ("PowGate", -2.0, (-2.0,), 0.25, (0.25,)),
    ("PowGate", -2.0, (0.5,), 4.0, (-16.0,)),
    ("PowGate", -2.0, (-0.5,), 4.0, (16.0,)),
    ("PowGate", -2.0, (1e200,), 0.0, (-0.0,)),
    ("PowGate", -2.0, (-1e200,), 0.0, (0.0,)),
    ("SigmoidGate", None, (0.0,), 0.5, (0.25,)),
    ("SigmoidGate", None, (-0.0,), 0.5, (0.25,)),
    ("SigmoidGate", None, (INF,), 1.0, (0.0,)),
    ("SigmoidGate", None, (-INF,), 0.0, (0.0,)),
    ("SigmoidGate", None, (NAN,), NAN, (NAN,)),
    ("SigmoidGate", None, (1.0,), 0.7310585786300049, (0.19661193324148185,)),
    ("SigmoidGate", None, (-1.0,), 0.2689414213699951, (0.19661193324148185,)),
    ("SigmoidGate", None, (20.0,), 0.9999999979388463, (2.0611536879193953e-09,)),
    ("SigmoidGate", None, (-20.0,), 2.0611536181902037e-09, (2.0611536139418496e-09,)),
    ("SigmoidGate", None, (40.0,), 1.0, (0.0,)),
    ("SigmoidGate", None, (-40.0,), 4.248354255291589e-18, (4.248354255291589e-18,)),
    ("SigmoidGate", None, (710.0,), 1.0, (0.0,)),
    ("SigmoidGate", None, (-710.0,), 0.0, (0.0,)),
    ("SigmoidGate", None, (1000.0,), 1.0, (0.0,)),
    ("SigmoidGate", None, (-1000.0,), 0.0, (0.0,)),
    ("TanhGate", None, (0.0,), 0.0, (1.0,)),
    ("TanhGate", None, (-0.0,), -0.0, (1.0,)),
    ("TanhGate", None, (INF,), 1.0, (0.0,)),
    ("TanhGate", None, (-INF,), -1.0, (0.0,)),
    ("TanhGate", None, (NAN,), NAN, (NAN,)),
    ("TanhGate", None, (1.0,), 0.7615941559557649, (0.41997434161402614,)),
    ("TanhGate", None, (-1.0,), -0.7615941559557649, (0.41997434161402614,)),
    ("TanhGate", None, (20.0,), 1.0, (0.0,)),
    ("TanhGate", None, (-20.0,), -1.0, (0.0,)),
    ("TanhGate", None, (710.0,), 1.0, (0.0,)),
    ("TanhGate", None, (-710.0,), -1.0, (0.0,)),
    ("ReLUGate", None, (0.0,), 0.0, (0.0,)),
    ("ReLUGate", None, (-0.0,), -0.0, (0.0,)),
    ("ReLUGate", None, (INF,), INF, (1.0,)),
    ("ReLUGate", None, (-INF,), 0.0, (0.0,)),
    ("ReLUGate", None, (NAN,), NAN, (1.0,)),
    ("ReLUGate", None, (1.0,), 1.0, (1.0,)),
    ("ReLUGate", None, (-1.0,), 0.0, (0.0,)),
    ("ReLUGate", None, (5e-324,), 5e-324, (1.0,)),
    ("ReLUGate", None, (-5e-324,), 0.0, (0.0,)),
    ("LeakyReLUGate", 0.01, (0.0,), 0.0, (0.01,)),
    ("LeakyReLUGate", 0.01, (-0.0,), -0.0, (0.01,)),
    ("LeakyReLUGate", 0.01, (INF,), INF, (1.0,)),
    ("LeakyReLUGate", 0.01, (-INF,), -INF, (0.01,)),
    ("LeakyReLUGate", 0.01, (NAN,), NAN, (0.01,)),
    ("LeakyReLUGate", 0.01, (1.0,), 1.0, (1.0,)),
    ("LeakyReLUGate", 0.01, (-1.0,), -0.01, (0.01,)),
    ("LeakyReLUGate", 0.01, (5e-324,), 5e-324, (1.0,)),
    ("LeakyReLUGate", 0.01, (-5e-324,), -0.0, (0.01,)),
    ("ExpGate", None, (0.0,), 1.0, (1.0,)),
    ("ExpGate", None, (-0.0,), 1.0, (1.0,)),
    ("ExpGate", None, (INF,), INF, (INF,)),
    ("ExpGate", None, (-INF,), 0.0, (0.0,)),
    ("ExpGate", None, (NAN,), NAN, (NAN,)),
    ("ExpGate", None, (1.0,), 2.718281828459045, (2.718281828459045,)),
    ("ExpGate", None, (709.78,), 1.7928227943945155e308, (1.7928227943945155e308,)),
    ("ExpGate", None, (709.79,), INF, (INF,)),
    ("ExpGate", None, (-709.78,), 5.577796105262746e-309, (5.577796105262746e-309,)),
    ("ExpGate", None, (-745.2,), 0.0, (0.0,)),
    ("ExpGate", None, (-746.0,), 0.0, (0.0,)),
    ("LogGate", None, (0.0,), -INF, (INF,)),
    ("LogGate", None, (-0.0,), -INF, (-INF,)),
    ("LogGate", None, (INF,), INF, (0.0,)),
    ("LogGate", None, (-INF,), NAN, (-0.0,)),
    ("LogGate", None, (NAN,), NAN, (NAN,)),
    ("LogGate", None, (1.0,), 0.0, (1.0,)),
    ("LogGate", None, (-1.0,), NAN, (-1.0,)),
    ("LogGate", None, (5e-324,), -744.4400719213812, (INF,)),
]
# END IEEE TABLE


@dataclass(frozen=True)
class Difference:
    """A point where the gates deliberately give other numbers than torch."""

    gate: str
    parameter: float | None
    inputs: tuple[float, ...]
    value: float
    grads: tuple[float, ...]
    reason: str  # a key of REASONS


REASONS = {
    "sqrt slope": (
        "The slope of `x ** 0.5` is `0.5 * x ** -0.5` with C's `pow`, as NumPy computes it "
        "(and so `Circuit.batched()`): `pow(-0.0, -0.5)` is `inf` and `pow(-inf, -0.5)` is "
        "`0.0`. torch computes `x ** -0.5` as `1 / sqrt(x)`, giving `-inf` and `nan`. Where "
        "NumPy and torch disagree the gates follow NumPy, so that a batch gives what the "
        "samples give one at a time."
    ),
    "subnormal": (
        "`sigmoid(-710)` is 4.476e-309, a subnormal float. The stable form `e**x / (1 + e**x)` "
        "keeps it; torch's `1 / (1 + e**-x)` overflows `e**710` to `inf` and gives 0.0."
    ),
    "rounding": (
        "The last bit: within one unit in the last place of torch's number. Python's "
        "`math.sqrt` is correctly rounded, as IEEE 754 requires; torch's float64 square root "
        "on this CPU build is one unit lower at 2.0 and 0.5. `sigmoid(-20)` is computed as "
        "`e**-20 / (1 + e**-20)`, torch's as `1 / (1 + e**20)`: there torch's rounding is the "
        "nearer one, and ours one unit away."
    ),
}

DIFFERENCES = [
    Difference("PowGate", 0.5, (-0.0,), -0.0, (INF,), "sqrt slope"),
    Difference("PowGate", 0.5, (-INF,), NAN, (0.0,), "sqrt slope"),
    Difference("PowGate", 0.5, (2.0,), 1.4142135623730951, (0.3535533905932738,), "rounding"),
    Difference("PowGate", 0.5, (0.5,), 0.7071067811865476, (0.7071067811865476,), "rounding"),
    Difference(
        "SigmoidGate", None, (-20.0,), 2.0611536181902033e-09, (2.061153613941849e-09,), "rounding"
    ),
    Difference(
        "SigmoidGate", None, (-710.0,), 4.47628622567513e-309, (4.47628622567513e-309,), "subnormal"
    ),
]


def same(a: float, b: float) -> bool:
    """Equal as IEEE floats are told apart: nan matches nan, -0.0 only -0.0."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def same_point(row: Row, difference: Difference) -> bool:
    return (
        row[0] == difference.gate
        and row[1] == difference.parameter
        and len(row[2]) == len(difference.inputs)
        and all(same(a, b) for a, b in zip(row[2], difference.inputs))
    )


def difference_at(row: Row) -> Difference | None:
    found = [d for d in DIFFERENCES if same_point(row, d)]
    return found[0] if found else None


def expected(row: Row) -> tuple[float, tuple[float, ...]]:
    """What the gates must give at the row's point: torch's numbers, or ours where listed."""
    difference = difference_at(row)
    if difference is None:
        return row[3], row[4]
    return difference.value, difference.grads


def make(name: str, parameter: float | None) -> Gate:
    cls = getattr(gates, name)
    gate: Gate = cls() if parameter is None else cls(parameter)
    return gate


def seeded_backward(gate: Gate, units: list[Unit]) -> tuple[float, ...]:
    """The gate's local derivatives, zeros with their sign: each input's grad
    starts at -0.0, the one float that adding to leaves every number as it is
    (0.0 + -0.0 is 0.0), so what backward adds is what the grad ends as."""
    for unit in units:
        unit.grad = -0.0
    gate.utop.grad = 1.0
    gate.backward()
    return tuple(unit.grad for unit in units)


def row_id(row: Row) -> str:
    parameter = "" if row[1] is None else f"({row[1]:g})"
    return f"{row[0]}{parameter}{row[2]}"


# -- the table ---------------------------------------------------------------------


@pytest.mark.parametrize("row", TABLE, ids=[row_id(r) for r in TABLE])
def test_each_gate_gives_the_tables_floats(row: Row) -> None:
    name, parameter, inputs, _, _ = row
    value, grads = expected(row)
    gate = make(name, parameter)
    units = [Unit(x) for x in inputs]
    out = gate.forward(*units)
    assert same(out.value, value), f"{row_id(row)}: value {out.value!r}, table {value!r}"
    got = seeded_backward(gate, units)
    assert all(same(g, w) for g, w in zip(got, grads)), f"{row_id(row)}: {got!r}, table {grads!r}"


@pytest.mark.parametrize("row", TABLE, ids=[row_id(r) for r in TABLE])
def test_compiled_replay_gives_the_gates_floats(row: Row) -> None:
    # From its second replay a circuit of built-in gates runs as generated
    # code (circuits/_compiled.py): the same floats at every edge.
    name, parameter, inputs, _, _ = row
    value, grads = expected(row)
    units = [Unit(x) for x in inputs]
    with Circuit() as c:
        out = make(name, parameter).forward(*units)
    for _ in range(3):
        c.forward()
        for unit in units:
            unit.grad = -0.0  # as in seeded_backward
        c.backward()
    assert same(out.value, value)
    assert all(same(u.grad, w) for u, w in zip(units, grads))


def test_the_table_covers_every_built_in_gate_at_every_special_value() -> None:
    covered = {row[0] for row in TABLE}
    assert covered == {cls.__name__ for cls in gates.BUILTIN_GATES}
    specials = (0.0, -0.0, INF, -INF, NAN)
    for name in covered:
        for position in range(len(next(r for r in TABLE if r[0] == name)[2])):
            for x in specials:
                assert any(row[0] == name and same(row[2][position], x) for row in TABLE), (
                    f"{name} input {position} at {x!r}"
                )
    for p in (0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0):
        assert any(row[:2] == ("PowGate", p) and row[2][0] < 0 for row in TABLE)


def test_each_difference_is_real_and_a_rounding_one_is_within_an_ulp() -> None:
    for difference in DIFFERENCES:
        (row,) = [row for row in TABLE if same_point(row, difference)]
        ours = (difference.value, *difference.grads)
        torch = (row[3], *row[4])
        assert not all(same(a, b) for a, b in zip(ours, torch)), difference
        assert difference.reason in REASONS
        if difference.reason == "rounding":
            assert all(abs(a - b) <= math.ulp(b) for a, b in zip(ours, torch)), difference


# -- the points issue 12 named --------------------------------------------------------


def test_relu_of_nan_is_nan_with_slope_one_as_in_torch() -> None:
    x = Unit(NAN)
    y = x.relu()
    y.backward()
    assert math.isnan(y.value) and x.grad == 1.0
    x2 = Unit(NAN)
    assert math.isnan(x2.leaky_relu(0.1).value)


@pytest.mark.parametrize("x", [0.0, -0.0, 2.0, -2.0, INF, -INF, NAN])
def test_a_power_of_zero_has_slope_zero_everywhere(x: float) -> None:
    u = Unit(x)
    y = u**0
    y.backward()
    assert y.value == 1.0
    assert u.grad == 0.0 and not math.isnan(u.grad)


def test_check_finite_catches_relu_of_nan_while_recording_and_replaying() -> None:
    x = Unit(NAN, label="x")
    with pytest.raises(NonFiniteError, match=r"ReLUGate .* step 1 \(recording\) .*= nan"):
        with Circuit(check_finite=True):
            x.relu()
    x.value = 1.0
    with Circuit(check_finite=True) as c:
        ReLUGate().forward(x)
    x.value = NAN
    with pytest.raises(NonFiniteError, match=r"ReLUGate .* step 1 \(forward\) .*= nan"):
        c.forward()


def test_the_square_root_keeps_the_sign_of_zero_as_numpy_and_torch() -> None:
    assert math.copysign(1.0, (Unit(-0.0) ** 0.5).value) == -1.0
    assert math.isnan((Unit(-INF) ** 0.5).value)


# -- the page that shows the table ----------------------------------------------------

PAGE = Path(__file__).resolve().parent.parent / "docs" / "explanation" / "numerics.md"
PAGE_BEGIN = "<!-- BEGIN IEEE TABLE: made by `python tests/test_numerics.py`; do not edit -->"
PAGE_END = "<!-- END IEEE TABLE -->"


def _shown(x: float) -> str:
    return f"`{x!r}`"


def markdown() -> str:
    """The table as the page shows it: our numbers, one table per gate, each
    difference from torch marked and explained below."""
    notes = list(REASONS)
    lines: list[str] = []
    current = None
    for row in TABLE:
        name, parameter, inputs, _, _ = row
        heading = name if parameter is None else f"{name}({parameter!r})"
        if heading != current:
            current = heading
            slopes = "d/du0, d/du1" if len(inputs) == 2 else "d/du0"
            lines += [
                "",
                f"**{heading}**",
                "",
                f"| inputs | value | {slopes} | torch |",
                "| --- | --- | --- | --- |",
            ]
        value, grads = expected(row)
        difference = difference_at(row)
        torch = ""
        if difference is not None:
            number = notes.index(difference.reason) + 1
            theirs = ", ".join(_shown(x) for x in (row[3], *row[4]))
            torch = f"{theirs} ({number})"
        lines.append(
            f"| {', '.join(_shown(x) for x in inputs)} | {_shown(value)} | "
            f"{', '.join(_shown(g) for g in grads)} | {torch} |"
        )
    lines += ["", "Where the gates differ from torch (its numbers are in the last column):", ""]
    lines += [f"{n}. {REASONS[key]}" for n, key in enumerate(notes, 1)]
    return "\n".join(lines[1:])


def _page_parts(text: str) -> tuple[str, str, str]:
    start = text.index(PAGE_BEGIN) + len(PAGE_BEGIN)
    stop = text.index(PAGE_END)
    return text[:start], text[start:stop], text[stop:]


def test_the_numerics_page_shows_this_table() -> None:
    _, shown, _ = _page_parts(PAGE.read_text(encoding="utf-8"))
    assert shown.strip() == markdown(), "run `python tests/test_numerics.py` to rewrite the page"


if __name__ == "__main__":  # rewrite the page's table from this module's
    head, _, tail = _page_parts(PAGE.read_text(encoding="utf-8"))
    PAGE.write_text(f"{head}\n{markdown()}\n{tail}", encoding="utf-8")
    print(f"wrote {len(TABLE)} rows to {PAGE}", file=sys.stderr)
