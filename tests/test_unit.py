"""Unit: construction, validation, constants, sugar, and the training idiom."""

from __future__ import annotations

import math

import pytest

from gates import (
    AddGate,
    DivGate,
    ExpGate,
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


def test_the_guides_positional_signature() -> None:
    u = Unit(1.0, 0.0)
    assert (u.value, u.grad) == (1.0, 0.0)
    assert u.requires_grad


def test_int_becomes_float() -> None:
    u = Unit(3, 1)
    assert type(u.value) is float and u.value == 3.0
    assert type(u.grad) is float and u.grad == 1.0


@pytest.mark.parametrize("bad", ["abc", None, True, False, 1 + 2j, [1.0], object()])
def test_non_numbers_raise_type_error_naming_the_value(bad: object) -> None:
    with pytest.raises(TypeError, match=r"Unit value must be a real number") as info:
        Unit(bad)  # type: ignore[arg-type]
    assert repr(bad) in str(info.value)


def test_bad_grad_and_label_raise() -> None:
    with pytest.raises(TypeError, match="'x'"):
        Unit(1.0, "x")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="label"):
        Unit(1.0, label=3)  # type: ignore[arg-type]


def test_constant_takes_no_gradient() -> None:
    w, x = Unit(2.0), Unit(5.0, requires_grad=False)
    y = w * x
    y.backward()
    assert w.grad == 5.0
    assert x.grad == 0.0
    assert not x.requires_grad
    assert isinstance(x, Unit)


def test_a_gate_called_by_hand_gives_a_constant_no_gradient() -> None:
    w, x = Unit(2.0), Unit(5.0, requires_grad=False)
    mulg = MultGate()
    y = mulg.forward(w, x)
    y.grad = 1.0
    mulg.backward()  # the guide's raw call adds w.value into x.grad ...
    assert (w.grad, x.grad) == (5.0, 0.0)  # ... and the base takes it out again


def test_constant_with_a_grad_is_refused() -> None:
    with pytest.raises(ValueError, match="requires_grad=False"):
        Unit(1.0, 2.0, requires_grad=False)


def test_requires_grad_can_be_switched() -> None:
    u = Unit(1.0, 4.0)
    u.requires_grad = False
    assert u.grad == 0.0 and not u.requires_grad
    u.requires_grad = True
    assert u.grad == 0.0 and u.requires_grad
    u.grad += 1.5
    assert u.grad == 1.5


def test_output_of_constants_requires_no_grad() -> None:
    a, b = Unit(1.0, requires_grad=False), Unit(2.0, requires_grad=False)
    assert not (a + b).requires_grad
    assert (a + Unit(2.0)).requires_grad


@pytest.mark.parametrize(
    ("build", "gate_type", "value"),
    [
        (lambda a, b: a + b, AddGate, 5.0),
        (lambda a, b: a - b, SubGate, -1.0),
        (lambda a, b: a * b, MultGate, 6.0),
        (lambda a, b: a / b, DivGate, 2.0 / 3.0),
        (lambda a, b: -a, NegGate, -2.0),
        (lambda a, b: a**2, PowGate, 4.0),
        (lambda a, b: a.sigmoid(), SigmoidGate, 1 / (1 + math.exp(-2.0))),
        (lambda a, b: a.tanh(), TanhGate, math.tanh(2.0)),
        (lambda a, b: a.relu(), ReLUGate, 2.0),
        (lambda a, b: a.leaky_relu(0.1), LeakyReLUGate, 2.0),
        (lambda a, b: a.exp(), ExpGate, math.exp(2.0)),
        (lambda a, b: a.log(), LogGate, math.log(2.0)),
    ],
)
def test_sugar_builds_the_explicit_gates(build, gate_type, value) -> None:  # type: ignore[no-untyped-def]
    a, b = Unit(2.0), Unit(3.0)
    out = build(a, b)
    assert type(out.gate) is gate_type
    assert out.value == value
    assert out.gate.utop is out
    assert out.gate.inputs[0] is a


@pytest.mark.parametrize(
    ("build", "value", "grad"),
    [
        (lambda u: 2 * u, 6.0, 2.0),
        (lambda u: 1 - u, -2.0, -1.0),
        (lambda u: 1 + u, 4.0, 1.0),
        (lambda u: 6 / u, 2.0, -6.0 / 9.0),
        (lambda u: u * 2.5, 7.5, 2.5),
        (lambda u: u - 1, 2.0, 1.0),
        (lambda u: u / 2, 1.5, 0.5),
    ],
)
def test_reversed_forms_with_plain_numbers(build, value, grad) -> None:  # type: ignore[no-untyped-def]
    u = Unit(3.0)
    out = build(u)
    out.backward()
    assert out.value == value
    assert u.grad == pytest.approx(grad, rel=1e-15)
    constants = [x for x in out.gate.inputs if x is not u]
    assert all(not c.requires_grad for c in constants)


def test_unsupported_operands_are_type_errors() -> None:
    u = Unit(1.0)
    with pytest.raises(TypeError):
        u + "a"  # type: ignore[operator]
    with pytest.raises(TypeError):
        u * True  # type: ignore[operator]
    with pytest.raises(TypeError, match="constant exponent"):
        u ** Unit(2.0)  # type: ignore[operator]


def test_sub_assign_on_a_leaf_updates_in_place() -> None:
    p = Unit(1.0)
    p.grad = 2.0
    same = p
    p -= 0.1 * p.grad
    assert p is same
    assert p.value == 0.8
    assert p.gate is None
    p += 1
    assert p is same and p.value == 1.8


def test_sub_assign_on_a_computed_unit_builds_a_gate() -> None:
    a = Unit(1.0)
    y = a * 3.0
    before = y
    y -= 1.0
    assert y is not before
    assert type(y.gate) is SubGate
    assert y.value == 2.0
    y.backward()
    assert a.grad == 3.0


def test_sub_assign_with_a_unit_on_the_right_builds_a_gate() -> None:
    p, q = Unit(1.0), Unit(0.25)
    original = p
    p -= q
    assert p is not original and type(p.gate) is SubGate and p.value == 0.75


def test_repr() -> None:
    u = Unit(0.5, 0.25, label="w")
    assert repr(u) == "Unit(value=0.5, grad=0.25, label='w')"
    assert repr(Unit(1.0, requires_grad=False)) == "Unit(value=1.0, grad=0.0, requires_grad=False)"


def test_units_compare_by_identity() -> None:
    a, b = Unit(1.0), Unit(1.0)
    assert a != b and a == a
    assert len({a, b}) == 2
