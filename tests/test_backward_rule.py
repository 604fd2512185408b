"""DESIGN.md's one gradient rule, with its worked figures, for Unit.backward()."""

from __future__ import annotations

import math

import pytest

from gates import GateReuseError, MultGate, Unit


def recurrence() -> tuple[Unit, Unit, Unit, Unit, Unit]:
    """SEEDS.md lesson 2: h1 = w*x1; h2 = w*x2 + wh*h1; h3 = w*x3 + wh*h2."""
    w, wh = Unit(0.3, label="w"), Unit(0.5, label="wh")
    x1, x2, x3 = (Unit(1.0, requires_grad=False) for _ in range(3))
    h1 = w * x1
    h2 = w * x2 + wh * h1
    h3 = w * x3 + wh * h2
    return w, wh, h1, h2, h3


def test_grads_accumulate_across_backward_calls_without_double_counting() -> None:
    w, wh, h1, h2, h3 = recurrence()
    h1.backward()
    assert (w.grad, h1.grad) == (1.0, 1.0)
    h2.backward()  # adds dh2/dw = x2 + wh*x1 = 1.5, dh2/dh1 = wh = 0.5
    assert (w.grad, h1.grad, wh.grad) == (2.5, 1.5, 0.3)
    h3.backward()  # adds dh3/dw = 1 + wh*(1 + wh) = 1.75, dh3/dh1 = 0.25, dh3/dwh = h2 + wh*h1
    assert (w.grad, h1.grad) == (4.25, 1.75)
    assert wh.grad == pytest.approx(0.9, rel=1e-15)
    assert h2.grad == 1.0 + 0.5  # its own seed, then wh from h3
    assert h3.grad == 1.0


def test_a_fork_counts_each_path_once_per_call() -> None:
    p = Unit(3.0)
    r = p * p + p * p
    r.backward()
    assert p.grad == 12.0  # d(2p^2)/dp = 4p
    r.backward()
    assert p.grad == 24.0  # micrograd would give 36: it re-sends accumulated grads


def test_mse_of_a_linear_model_doubles_on_a_second_backward() -> None:
    # SEEDS.md lesson 4: error = a*x + b - y over (1.5, 1.0) and (2.0, 4.0), a = b = 0
    a, b = Unit(0.0, label="a"), Unit(0.0, label="b")
    errors = [a * x + b - y for x, y in ((1.5, 1.0), (2.0, 4.0))]
    loss = (errors[0] ** 2 + errors[1] ** 2) / 2
    assert loss.value == 8.5  # (1 + 16) / 2
    loss.backward()
    assert (a.grad, b.grad) == (-9.5, -5.0)  # (-1*1.5 + -4*2), (-1 + -4)
    assert [e.grad for e in errors] == [-1.0, -4.0]
    loss.backward()
    assert (a.grad, b.grad) == (-19.0, -10.0)
    assert [e.grad for e in errors] == [-2.0, -8.0]  # intermediates accumulate too


def test_backward_keeps_every_value() -> None:
    w, wh, h1, h2, h3 = recurrence()
    before = [u.value for u in (w, wh, h1, h2, h3)]
    h3.backward()
    assert [u.value for u in (w, wh, h1, h2, h3)] == before


def test_backward_on_a_leaf_seeds_it() -> None:
    u = Unit(2.0)
    u.backward()
    u.backward()
    assert u.grad == 2.0


def test_units_outside_the_graph_are_untouched() -> None:
    a, b, other = Unit(1.0), Unit(2.0), Unit(5.0, 7.0)
    unrelated = other * 2.0
    out = a * b
    out.backward()
    assert other.grad == 7.0 and unrelated.grad == 0.0


def test_explicit_gates_support_unit_backward() -> None:
    a, b = Unit(2.0), Unit(-4.0)
    out = MultGate().forward(a, b)
    out.backward()
    assert (a.grad, b.grad) == (-4.0, 2.0)


def test_a_gate_forwarded_again_cannot_serve_an_old_output() -> None:
    g = MultGate()
    first = g.forward(Unit(1.0), Unit(2.0))
    g.forward(Unit(3.0), Unit(4.0))
    with pytest.raises(GateReuseError, match=r"MultGate .* forwarded\s+again"):
        first.backward()


def test_a_chain_of_a_million_gates() -> None:
    # y = x * k * k * ... (10**6 times): dy/dx = k**n, computed by hand with pow
    n, k = 1_000_000, 1.0 + 1e-6
    x = Unit(2.0)
    y = x
    for _ in range(n):
        y = y * k
    y.backward()  # no RecursionError: the walk is iterative
    assert x.grad == pytest.approx(math.pow(k, n), rel=1e-9)
    assert y.value == pytest.approx(2.0 * math.pow(k, n), rel=1e-9)
