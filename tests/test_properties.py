"""The laws every gate and every circuit keeps, as hypothesis properties.

Over each built-in gate, and over random circuits from ``circuits.strategies``
(every built-in gate, shared sub-expressions, inputs inside each gate's domain
and away from kinks):

* the analytic gradient equals the central-difference one (``gradcheck``:
  CS231n's relative error with an absolute floor);
* backward changes no value, and no gate's inputs or output object;
* gradients are linear in the seed (random upstream grads);
* repeated backward calls accumulate the sum of separate runs;
* ``Circuit.forward()`` after new input values equals a fresh build;
* AddGate passes the upstream grad through, MultGate swaps its inputs,
  sigmoid's local derivative lies in (0, 0.25].
"""

from __future__ import annotations

import copy
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from circuits import Circuit, gradcheck
from circuits.strategies import GateSpec, circuits, gate_specs
from gates import (
    AddGate,
    ExpGate,
    Gate,
    LeakyReLUGate,
    MultGate,
    ReLUGate,
    SigmoidGate,
    TanhGate,
    Unit,
    local_grads,
)

# The central law runs on ten times the profile's count of circuits (3000 in
# the ci profile, 600 in dev), and on larger ones than the other laws.
MANY = settings(max_examples=10 * settings().max_examples)

seeds = st.floats(-10.0, 10.0, allow_nan=False, allow_subnormal=False)
values = st.floats(-3.0, 3.0, allow_nan=False, allow_subnormal=False)


def same(a: float, b: float) -> bool:
    """Equal as floats, with nan equal to nan."""
    return a == b or (math.isnan(a) and math.isnan(b))


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def by_hand(c: Circuit, seed: float) -> list[float]:
    """The guide's raw mechanism: seed the output, run every gate's backward
    in reverse order, from zeroed grads. Returns every unit's grad."""
    c.zero_grad()
    c.output.grad = seed
    for gate in reversed(c.gates):
        gate.backward()
    grads = [unit.grad for unit in c.units]
    c.zero_grad()
    return grads


def fresh_build(c: Circuit) -> tuple[Circuit, dict[Unit, Unit]]:
    """Rebuild ``c`` from new Unit objects with its inputs' current values and
    copies of its gates, in the same order; maps each old unit to its twin."""
    twin = {u: Unit(u.value, requires_grad=u.requires_grad) for u in c.inputs}
    with Circuit() as rebuilt:
        for gate in c.gates:
            twin[gate.utop] = copy.copy(gate).forward(*(twin[u] for u in gate.inputs))
    return rebuilt, twin


# -- every built-in gate -------------------------------------------------------

SPECS = gate_specs()


def built(spec: GateSpec, data: st.DataObject) -> Gate:
    """One gate of ``spec`` fed units drawn inside its domain."""
    gate = spec.make()
    xs = data.draw(st.lists(values, min_size=spec.arity, max_size=spec.arity))
    assume(spec.accepts(gate, xs))
    gate.forward(*(Unit(x) for x in xs))
    return gate


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@given(data=st.data())
def test_every_builtin_gate_passes_gradcheck(spec: GateSpec, data: st.DataObject) -> None:
    gate = built(spec, data)
    result = gradcheck(gate.utop)
    assert result, str(result)
    assert result.kinks == ()


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
@given(data=st.data(), upstream=seeds, before=seeds)
def test_every_builtin_gate_adds_local_times_upstream(
    spec: GateSpec, data: st.DataObject, upstream: float, before: float
) -> None:
    gate = built(spec, data)
    assume(len(set(gate.inputs)) == len(gate.inputs))
    local = local_grads(gate)
    for unit in gate.inputs:
        unit.grad = before  # grads add with +=, on top of what is there
    gate.utop.grad = upstream
    gate.backward()
    for unit, d in zip(gate.inputs, local):
        assert close(unit.grad, before + d * upstream)


@given(u0=values, u1=values, upstream=seeds)
def test_add_passes_the_upstream_grad_through(u0: float, u1: float, upstream: float) -> None:
    a, b = Unit(u0), Unit(u1)
    gate = AddGate()
    gate.forward(a, b).grad = upstream
    gate.backward()
    assert (a.grad, b.grad) == (upstream, upstream)


@given(u0=values, u1=values, upstream=seeds)
def test_mult_swaps_its_inputs(u0: float, u1: float, upstream: float) -> None:
    a, b = Unit(u0), Unit(u1)
    gate = MultGate()
    gate.forward(a, b).grad = upstream
    gate.backward()
    assert (a.grad, b.grad) == (u1 * upstream, u0 * upstream)


@given(x=st.floats(-30.0, 30.0))
def test_sigmoids_local_derivative_is_in_0_to_a_quarter(x: float) -> None:
    gate = SigmoidGate()
    gate.forward(Unit(x))
    (d,) = local_grads(gate)
    assert 0.0 < d <= 0.25


@given(x=st.floats(allow_nan=False))
def test_saturated_sigmoid_and_tanh_pass_no_gradient_but_never_nan(x: float) -> None:
    for gate in (SigmoidGate(), TanhGate()):
        gate.forward(Unit(x))
        (d,) = local_grads(gate)
        assert 0.0 <= d <= (0.25 if isinstance(gate, SigmoidGate) else 1.0)


@given(x=values.filter(lambda x: x != 0.0), slope=st.floats(0.0, 0.5))
def test_relu_like_and_exp_local_derivatives(x: float, slope: float) -> None:
    relu, leaky, exp = ReLUGate(), LeakyReLUGate(slope), ExpGate()
    relu.forward(Unit(x))
    leaky.forward(Unit(x))
    exp.forward(Unit(x))
    assert local_grads(relu) == ((1.0,) if x > 0 else (0.0,))
    assert local_grads(leaky) == ((1.0,) if x > 0 else (slope,))
    assert local_grads(exp) == (exp.utop.value,)


# -- random circuits ------------------------------------------------------------


@MANY
@given(circuits(max_gates=12))
def test_random_circuits_pass_gradcheck(c: Circuit) -> None:
    result = gradcheck(c)
    assert result, str(result)
    assert result.kinks == ()


@given(circuits(max_gates=8))
def test_backward_changes_no_value_and_no_wiring(c: Circuit) -> None:
    values_before = [(unit, unit.value) for unit in c.units]
    wiring = [(gate, gate.inputs, gate.utop) for gate in c.gates]
    c.backward()
    c.output.backward()
    by_hand(c, 1.0)
    assert [(unit, unit.value) for unit in c.units] == values_before
    for gate, inputs, utop in wiring:
        assert gate.utop is utop
        assert all(now is then for now, then in zip(gate.inputs, inputs, strict=True))


@given(circuits(max_gates=8), seeds, seeds)
def test_gradients_are_linear_in_the_seed(c: Circuit, s1: float, s2: float) -> None:
    one, g1, g2, g12 = (by_hand(c, s) for s in (1.0, s1, s2, s1 + s2))
    # Paths that cancel (x*y - x*y) leave rounding at the size of the paths,
    # not of the result: the absolute floor scales with the circuit's grads.
    floor = 1e-12 * (abs(s1) + abs(s2) + 1.0) * max(1.0, *(abs(g) for g in one))
    for a, b, ab, unit_grad in zip(g1, g2, g12, one):
        assert math.isclose(a, s1 * unit_grad, rel_tol=1e-9, abs_tol=floor)
        assert math.isclose(ab, a + b, rel_tol=1e-9, abs_tol=floor)


@given(circuits(max_gates=8))
def test_one_backward_call_follows_the_guides_raw_mechanism(c: Circuit) -> None:
    raw = by_hand(c, 1.0)
    c.backward()
    assert all(close(unit.grad, g) for unit, g in zip(c.units, raw))
    c.zero_grad()
    c.output.backward()
    assert all(close(unit.grad, g) for unit, g in zip(c.units, raw))


@given(circuits(max_gates=8), st.integers(2, 4), st.data())
def test_repeated_backward_calls_add_up_separate_runs(
    c: Circuit, times: int, data: st.DataObject
) -> None:
    middle = data.draw(st.sampled_from([gate.utop for gate in c.gates]), label="middle")
    separate = []
    for output in (c.output, middle):
        c.zero_grad()
        c.backward(output)
        separate.append([unit.grad for unit in c.units])
        c.zero_grad()
    for _ in range(times):
        c.backward()
    c.backward(middle)
    floor = 1e-12 * times * max(1.0, *(abs(g) for run in separate for g in run))
    for unit, total, mid in zip(c.units, *separate):
        assert math.isclose(unit.grad, times * total + mid, rel_tol=1e-9, abs_tol=floor)


@given(circuits(max_gates=8), st.data())
def test_forward_after_new_inputs_equals_a_fresh_build(c: Circuit, data: st.DataObject) -> None:
    for unit in c.inputs:
        unit.value = data.draw(values, label=unit.label)
    out = c.forward()
    assert out is c.output
    rebuilt, twin = fresh_build(c)
    for unit in c.units:
        assert same(unit.value, twin[unit].value)
    # ... and backward from there agrees with the fresh build's, to the bit.
    c.backward()
    rebuilt.backward()
    for unit in c.units:
        assert same(unit.grad, twin[unit].grad)
