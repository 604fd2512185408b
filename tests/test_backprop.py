"""gates.backprop: the backward walk and the one gradient rule, with the
lessons' worked figures (the recurrence, the fork, the linear model's MSE)."""

from __future__ import annotations

import math
import sys
import threading

import pytest

from gates import CircuitError, Gate, GateReuseError, MultGate, Unit
from gates.backprop import gates_behind, walk_back


def recurrence() -> tuple[Unit, Unit, Unit, Unit, Unit]:
    """The unrolled recurrence: h1 = w*x1; h2 = w*x2 + wh*h1; h3 = w*x3 + wh*h2."""
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
    # The linear model: error = a*x + b - y over (1.5, 1.0) and (2.0, 4.0), a = b = 0
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


def test_the_walk_lists_every_gate_after_the_gates_that_feed_it() -> None:
    x = Unit(0.5)
    parts = [x * float(i) for i in range(1, 50)]
    total = parts[0]
    for part in parts[1:]:
        total = total + part * part
    order = gates_behind(total)
    assert len(order) == len(set(order)) == 49 + 48 * 2
    position = {g: i for i, g in enumerate(order)}
    for g in order:
        for unit in g.inputs:
            if unit.gate is not None:
                assert position[unit.gate] < position[g]
    inputs = walk_back(total)[1]  # the units no gate made: x and the 49 constants
    assert x in inputs and len(inputs) == 50 and all(u.gate is None for u in inputs)


def test_a_gate_reached_again_through_its_old_output_is_reported() -> None:
    a, b = Unit(1.0), Unit(2.0)
    add = MultGate()
    first = add.forward(a, b)
    top = first * add.forward(b, b)  # `add` forwarded again: `first` is stale
    with pytest.raises(GateReuseError, match="forwarded again"):
        gates_behind(top)


def test_constants_keep_a_grad_of_zero_even_when_made_by_gates() -> None:
    w = Unit(2.0)
    c1, c2 = Unit(3.0, requires_grad=False), Unit(4.0, requires_grad=False)
    made_constant = c1 * c2
    out = w * made_constant + c1
    out.backward()
    assert w.grad == 12.0
    assert (c1.grad, c2.grad, made_constant.grad) == (0.0, 0.0, 0.0)
    assert not made_constant.requires_grad


def test_a_constant_switched_on_after_the_build_is_refused_by_name() -> None:
    c1, c2 = Unit(3.0, label="c1", requires_grad=False), Unit(4.0, requires_grad=False)
    w = Unit(2.0)
    out = w * (c1 * c2)
    c1.requires_grad = True  # the product was made when neither took a gradient
    with pytest.raises(CircuitError, match="c1 takes a gradient now"):
        out.backward()
    assert (w.grad, c1.grad) == (0.0, 0.0)  # and nothing was half done


class _Fails(Gate):
    """Doubles its input; its backward raises when asked to."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(2.0 * u0.value)
        return self.utop

    def backward(self) -> None:
        if self.u0.value > 100.0:
            raise ZeroDivisionError("planted")
        self.u0.grad += 2.0 * self.utop.grad


def test_a_gate_that_raises_mid_pass_leaves_every_grad_as_it_was() -> None:
    for position in range(4):  # the failing gate at each place in a chain
        a = Unit(1.0, 0.5)
        b = Unit(200.0)
        y = a
        made = []
        for i in range(4):
            y = _Fails().forward(y * 1.0 if i != position else y * 0.0 + b)
            made.append(y)
        before = [u.grad for u in (a, b, *made)]
        with pytest.raises(ZeroDivisionError):
            y.backward()
        assert [u.grad for u in (a, b, *made)] == before


def test_backward_passes_over_one_graph_in_many_threads_add_up() -> None:
    # Each pass briefly zeroes the grads of the units it made; two passes at
    # once over shared units would each add onto the other's zeros.
    w = Unit(0.5)
    y = w
    for _ in range(30):
        y = (y * w + 0.25).tanh() * w
    w_alone = Unit(0.5)
    z = w_alone
    for _ in range(30):
        z = (z * w_alone + 0.25).tanh() * w_alone
    z.backward()
    one_pass = w_alone.grad
    threads, passes = 4, 60
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        workers = [
            threading.Thread(target=lambda: [y.backward() for _ in range(passes)])
            for _ in range(threads)
        ]
        for t in workers:
            t.start()
        for t in workers:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert w.grad == pytest.approx(threads * passes * one_pass, rel=1e-12)
    assert y.grad == threads * passes


def test_the_learners_path_stays_short_enough_to_read_in_one_sitting() -> None:
    """Unit, Gate and the backward walk: at most 500 lines, docstrings included."""
    from pathlib import Path

    import gates

    here = Path(gates.__file__).parent
    files = ["unit.py", "gate.py", "backprop.py"]
    lines = {name: len((here / name).read_text().splitlines()) for name in files}
    assert sum(lines.values()) <= 500, lines
