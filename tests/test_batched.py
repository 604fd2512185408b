"""Batched replay (circuits.batched) against the scalar engine, sample by sample."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuits import Circuit, CircuitError
from circuits._compiled import FORMULAS
from circuits.batched import MissingFormulaError, feed_columns
from circuits.strategies import circuits
from gates import BUILTIN_GATES, Gate, Unit

np = pytest.importorskip("numpy")


def per_sample(
    c: Circuit, fed: list[Unit], rows: list[list[float]]
) -> tuple[list[float], dict[Unit, float]]:
    """The scalar engine's answer: replay once per sample, add the grads up."""
    saved = [u.value for u in fed]
    params = [u for u in c.inputs if u.requires_grad]
    totals = dict.fromkeys(params, 0.0)
    outputs = []
    for row in rows:
        for unit, value in zip(fed, row):
            unit.value = value
        outputs.append(c.forward().value)
        for p in params:
            p.grad = 0.0
        c.backward()
        for p in params:
            totals[p] += p.grad
    for unit, value in zip(fed, saved):
        unit.value = value
    c.forward()
    return outputs, totals


def close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def test_the_guides_neuron_over_a_batch_matches_hand_worked_grads() -> None:
    a, b, c_ = Unit(1.0, label="a"), Unit(2.0, label="b"), Unit(-3.0, label="c")
    x, y = Unit(-1.0, label="x"), Unit(3.0, label="y")
    with Circuit() as c:
        s = (a * x + b * y + c_).sigmoid()
    # the guide's point twice: every grad is twice the guide's figure
    result = c.batched().run({x: [-1.0, -1.0], y: [3.0, 3.0]})
    assert result.outputs.tolist() == pytest.approx([0.8807970779778823] * 2)
    assert result.grads[a] == pytest.approx(2 * -0.104993585, rel=1e-6)
    assert result.grads[b] == pytest.approx(2 * 0.314980756, rel=1e-6)
    assert result.grads[c_] == pytest.approx(2 * 0.104993585, rel=1e-6)
    assert result.grads[x] == pytest.approx(2 * 0.104993585, rel=1e-6)
    assert result.grads[y] == pytest.approx(2 * 0.209987171, rel=1e-6)
    assert s.value == pytest.approx(0.8807970779778823)  # the scalar units are untouched


def test_every_builtin_gate_has_a_formula_that_matches_its_scalar_code() -> None:
    assert set(FORMULAS) == set(BUILTIN_GATES)
    rows = [[0.7, 1.3], [-0.4, 2.0], [1.9, 0.6]]
    for cls in BUILTIN_GATES:
        gate = cls(2.0) if cls.__name__ == "PowGate" else cls()
        u0, u1 = Unit(1.0), Unit(1.5)
        with Circuit() as c:
            out = gate.forward(u0, u1) if len(FORMULAS[cls].local) == 2 else gate.forward(u0)
        fed = [u0, u1][: len(gate.inputs)]
        want_out, want_grads = per_sample(c, fed, [r[: len(fed)] for r in rows])
        result = c.batched().run(feed_columns(fed, np.array(rows)[:, : len(fed)]))
        assert all(close(g, w) for g, w in zip(result.outputs, want_out)), cls.__name__
        assert all(close(result.grads[u], want_grads[u]) for u in fed), cls.__name__
        assert out is c.output


@given(circuits(max_gates=8), st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=5))
def test_random_circuits_match_per_sample_scalar_backward(c: Circuit, shifts: list[float]) -> None:
    fed = [u for u in c.inputs if u.requires_grad][:2]
    rows = [[u.value + shift for u in fed] for shift in shifts]
    want_out, want_grads = per_sample(c, fed, rows)
    result = c.batched().run(feed_columns(fed, np.array(rows).reshape(len(rows), len(fed))))
    assert all(close(g, w) for g, w in zip(result.outputs, want_out))
    for unit, want in want_grads.items():
        assert close(result.grads[unit], want), (unit, result.grads[unit], want)


def test_unfed_parameters_are_read_at_each_run() -> None:
    w = Unit(1.0)
    x = Unit(0.0, requires_grad=False)
    with Circuit() as c:
        w * x
    batch = c.batched()
    assert batch.run({x: [1.0, 2.0]}).outputs.tolist() == [1.0, 2.0]
    w.value = 3.0
    result = batch.run({x: [1.0, 2.0]})
    assert result.outputs.tolist() == [3.0, 6.0]
    assert result.grads[w] == 3.0  # 1 + 2


def test_ieee_results_without_warnings() -> None:
    x = Unit(1.0)
    with Circuit() as c:
        x.log()
    with np.errstate(all="raise"):  # the batch silences NumPy itself
        result = c.batched().run({x: [0.0, -1.0, 1.0]})
    assert result.outputs[0] == -math.inf and math.isnan(result.outputs[1])
    assert result.grads[x] == math.inf  # 1/0 + 1/-1 + 1/1, as summed scalar grads are


def test_a_user_gate_is_named_with_what_to_do_instead() -> None:
    class SquareGate(Gate):
        def forward(self, u0: Unit) -> Unit:
            self.u0 = u0
            self.utop = Unit(u0.value * u0.value)
            return self.utop

        def backward(self) -> None:
            self.u0.grad += 2.0 * self.u0.value * self.utop.grad

    x = Unit(2.0)
    with Circuit() as c:
        SquareGate().named("sq").forward(x * 3.0)
    with pytest.raises(MissingFormulaError, match=r"SquareGate sq \(gate 2 of 2\) is not a"):
        c.batched()


def test_a_subclass_of_a_builtin_gate_is_not_run_with_its_parents_formula() -> None:
    from gates import MultGate

    class WrongMult(MultGate):
        def backward(self) -> None:
            self.u0.grad += self.utop.grad

    x = Unit(2.0)
    with Circuit() as c:
        WrongMult().forward(x, x)
    with pytest.raises(MissingFormulaError, match="WrongMult"):
        c.batched()


def test_feeding_a_unit_that_is_not_an_input_is_an_error() -> None:
    x = Unit(1.0, label="x")
    with Circuit() as c:
        h = x * x
        h + 1.0
    with pytest.raises(CircuitError, match="not an input of this circuit"):
        c.batched().run({h: [1.0]})
    with pytest.raises(ValueError, match="1-d array"):
        c.batched().run({x: [[1.0, 2.0]]})


def test_a_missing_numpy_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    x = Unit(1.0)
    with Circuit() as c:
        x * x
    monkeypatch.setitem(sys.modules, "numpy", None)
    with pytest.raises(ImportError, match=r"pip install numpy"):
        c.batched()
