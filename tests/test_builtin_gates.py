"""Every built-in gate against hand-worked values and local derivatives."""

from __future__ import annotations

import math

import pytest

from gates import (
    AddGate,
    DivGate,
    ExpGate,
    Gate,
    LeakyReLUGate,
    LogGate,
    MultGate,
    NegGate,
    PowGate,
    ReLUGate,
    SigmoidGate,
    SubGate,
    TanhGate,
    Unit,
)

# (gate, input values, expected output, expected local derivatives), worked by hand
CASES = [
    (AddGate(), (2.0, -3.0), -1.0, (1.0, 1.0)),
    (SubGate(), (2.0, -3.0), 5.0, (1.0, -1.0)),
    (MultGate(), (2.0, -3.0), -6.0, (-3.0, 2.0)),
    (DivGate(), (3.0, 2.0), 1.5, (0.5, -0.75)),
    (NegGate(), (2.0,), -2.0, (-1.0,)),
    (PowGate(3), (2.0,), 8.0, (12.0,)),
    (PowGate(0.5), (4.0,), 2.0, (0.25,)),
    (SigmoidGate(), (0.0,), 0.5, (0.25,)),
    (TanhGate(), (0.0,), 0.0, (1.0,)),
    (ReLUGate(), (2.0,), 2.0, (1.0,)),
    (ReLUGate(), (-2.0,), 0.0, (0.0,)),
    (ReLUGate(), (0.0,), 0.0, (0.0,)),  # PyTorch's convention at the kink
    (LeakyReLUGate(), (-2.0,), -0.02, (0.01,)),
    (LeakyReLUGate(0.2), (0.0,), 0.0, (0.2,)),  # the slope at the kink, as PyTorch
    (LeakyReLUGate(0.2), (3.0,), 3.0, (1.0,)),
    (ExpGate(), (0.0,), 1.0, (1.0,)),
    (ExpGate(), (1.0,), math.e, (math.e,)),
    (LogGate(), (1.0,), 0.0, (1.0,)),
    (LogGate(), (4.0,), math.log(4.0), (0.25,)),
]


@pytest.mark.parametrize(
    ("gate", "values", "expected", "local"),
    CASES,
    ids=[f"{type(case[0]).__name__}{case[1]}" for case in CASES],
)
def test_forward_and_backward_by_hand(
    gate: Gate, values: tuple[float, ...], expected: float, local: tuple[float, ...]
) -> None:
    units = [Unit(v) for v in values]
    out = gate.forward(*units)
    assert out is gate.utop
    assert out.value == pytest.approx(expected, rel=1e-15, abs=1e-300)
    assert gate.u0 is units[0]
    out.grad = 2.0  # upstream gradient: each input receives local * 2
    gate.backward()
    assert [u.grad for u in units] == pytest.approx([2.0 * d for d in local], rel=1e-15)
    gate.backward()  # the raw mechanism adds again: += accumulates
    assert [u.grad for u in units] == pytest.approx([4.0 * d for d in local], rel=1e-15)


def test_sigmoid_saturates_without_error() -> None:
    low, high = Unit(-1000.0), Unit(1000.0)
    s_low, s_high = low.sigmoid(), high.sigmoid()
    assert (s_low.value, s_high.value) == (0.0, 1.0)
    s_low.backward()
    s_high.backward()
    assert (low.grad, high.grad) == (0.0, 0.0)


def test_sigmoid_of_a_negative_number_is_accurate() -> None:
    # the textbook form 1/(1+exp(30)) loses nothing here either, so they must agree
    assert Unit(-30.0).sigmoid().value == pytest.approx(1 / (1 + math.exp(30.0)), rel=1e-15)


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda u: u.exp(), math.inf),
        (lambda u: (u * 1e300) * 1e300, math.inf),
        (lambda u: u**400, math.inf),
        (lambda u: (-u) ** 401, -math.inf),
    ],
)
def test_overflow_is_inf_not_an_exception(build, expected) -> None:  # type: ignore[no-untyped-def]
    assert build(Unit(1000.0)).value == expected


def test_ieee_results_instead_of_exceptions() -> None:
    assert (Unit(1.0) / 0).value == math.inf
    assert (Unit(-1.0) / 0).value == -math.inf
    assert math.isnan((Unit(0.0) / 0).value)
    assert Unit(0.0).log().value == -math.inf
    assert math.isnan(Unit(-1.0).log().value)
    assert math.isnan((Unit(-8.0) ** (1 / 3)).value)
    assert (Unit(0.0) ** -1).value == math.inf


def test_leaky_relu_never_mutates_its_input() -> None:
    x = Unit(-3.0)
    y = x.leaky_relu(0.1)
    y.backward()
    assert x.value == -3.0
    assert y.value == pytest.approx(-0.3)
    assert x.grad == pytest.approx(0.1)


def test_gate_arguments_are_validated() -> None:
    with pytest.raises(TypeError, match="exponent"):
        PowGate("2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="slope"):
        LeakyReLUGate(None)  # type: ignore[arg-type]


def test_symbols_for_drawings() -> None:
    assert MultGate.symbol == "*"
    assert PowGate(2).symbol == "**2"
    assert SigmoidGate.symbol == "sigmoid"
