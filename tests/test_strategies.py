"""circuits.strategies: what is drawn is valid, shared, shrinks, and the arguments are checked."""

from __future__ import annotations

import importlib
import io
import math
import sys
from collections import Counter
from typing import Any

import pytest
from hypothesis import find, given, settings, target
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from rich.console import Console

from circuits import Circuit, gradcheck
from circuits.strategies import (
    KINK_MARGIN,
    MAX_ABS_VALUE,
    MIN_SENSITIVITY,
    GateEntry,
    GateSpec,
    circuits,
    gate_specs,
    gradcheck_property,
    units,
)
from circuits.tracer import Tracer
from gates import (
    BUILTIN_GATES,
    AddGate,
    DivGate,
    ExpGate,
    Gate,
    LeakyReLUGate,
    LogGate,
    MultGate,
    PowGate,
    ReLUGate,
    SigmoidGate,
    Unit,
)
from gates.backprop import gates_behind
from gates.labels import name_of

# Shrinking is deterministic and thorough under these, whatever the profile.
SHRINK = settings(max_examples=2000, derandomize=True, database=None)


class SoftplusGate(Gate):
    """A user's gate in the guide's explicit style, with no registration."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(math.log1p(math.exp(u0.value)))
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 1.0 / (1.0 + math.exp(-self.u0.value)) * self.utop.grad


class MulAddGate(Gate):
    """Three inputs: the arity comes from forward's signature."""

    def forward(self, u0: Unit, u1: Unit, u2: Unit) -> Unit:
        self.u0, self.u1, self.u2 = u0, u1, u2
        self.utop = Unit(u0.value * u1.value + u2.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad += self.u0.value * self.utop.grad
        self.u2.grad += self.utop.grad


class SqrtGate(Gate):
    """Declares its domain as a method, so circuits() keeps its input positive."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(math.sqrt(u0.value))  # raises ValueError below 0
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 0.5 / self.utop.value * self.utop.grad

    def domain(self, x: float) -> bool:
        return x >= 0.1


class SumGate(Gate):
    """Takes any number of units: its arity must be given."""

    def forward(self, *units: Unit) -> Unit:
        self.utop = Unit(sum(u.value for u in units))
        return self.utop

    def backward(self) -> None:
        for unit in self.inputs:
            unit.grad += self.utop.grad


class ScaleGate(Gate):
    """Needs a constructor argument: pass a factory."""

    def __init__(self, k: float) -> None:
        self.k = k

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(self.k * u0.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.k * self.utop.grad


def fan_out(c: Circuit) -> Counter[Unit]:
    """How many gate inputs each unit fills."""
    return Counter(unit for gate in c.gates for unit in gate.inputs)


# -- what is drawn is valid ----------------------------------------------------


@given(circuits(max_gates=10))
def test_drawn_circuits_are_finite_bounded_and_zeroed(c: Circuit) -> None:
    assert c.gates
    for unit in c.units:
        assert math.isfinite(unit.value) and abs(unit.value) <= MAX_ABS_VALUE
        assert unit.grad == 0.0
    c.backward()
    assert all(math.isfinite(unit.grad) for unit in c.units)


def largest_value(c: Circuit) -> float:
    return max(abs(unit.value) for unit in c.units)


@settings(max_examples=400, derandomize=True, database=None)
@given(circuits(max_gates=10))
def test_no_value_passes_max_abs_value_where_hypothesis_pushes_hardest(c: Circuit) -> None:
    # target() makes hypothesis climb towards the largest values it can draw:
    # before the bound covered the closing sums this found 3000 and more.
    target(largest_value(c), label="largest |value|")
    assert largest_value(c) <= MAX_ABS_VALUE


@settings(max_examples=200, derandomize=True, database=None)
@given(circuits(n_inputs=6, max_gates=12, min_value=-150.0, max_value=150.0))
def test_many_large_dangling_units_still_sum_within_the_bound(c: Circuit) -> None:
    target(abs(c.output.value), label="|output|")
    assert largest_value(c) <= MAX_ABS_VALUE


@given(circuits(max_gates=10))
def test_every_gate_reaches_the_output(c: Circuit) -> None:
    assert set(gates_behind(c.output)) == set(c.gates)
    assert c.output is c.gates[-1].utop


@given(circuits(max_gates=10))
def test_built_in_gates_are_fed_inside_their_domains(c: Circuit) -> None:
    for gate in c.gates:
        values = [unit.value for unit in gate.inputs]
        if isinstance(gate, LogGate):
            assert values[0] >= 0.05
        elif isinstance(gate, ExpGate):
            assert values[0] <= 5.0
        elif isinstance(gate, DivGate):
            assert abs(values[1]) >= 0.2
        elif isinstance(gate, (ReLUGate, LeakyReLUGate)):
            assert abs(values[0]) >= KINK_MARGIN
        elif isinstance(gate, PowGate) and not gate.exponent.is_integer():
            assert values[0] > 0.0
        elif isinstance(gate, PowGate) and gate.exponent < 0:
            assert abs(values[0]) >= 0.2


@given(st.integers(1, 5), st.integers(1, 6), st.data())
def test_n_inputs_and_max_gates_are_kept(n: int, most: int, data: st.DataObject) -> None:
    c = data.draw(circuits(n_inputs=n, max_gates=most))
    by_name = {name_of(u): u for u in c.inputs}
    assert sorted(by_name) == sorted(f"u{i}" for i in range(1, n + 1))
    assert by_name["u1"].requires_grad
    # The drawn gates, then the AddGates that sum what feeds nothing: one
    # fewer than the units left dangling, at most n inputs + `most` outputs.
    assert len(c.gates) <= most + (n + most - 1)


@given(circuits(constants=False))
def test_constants_false_draws_only_parameters(c: Circuit) -> None:
    assert c.parameters() == list(c.inputs)


@given(circuits(share=False, max_gates=8))
def test_share_false_draws_trees(c: Circuit) -> None:
    assert max(fan_out(c).values()) == 1


def test_shared_sub_expressions_are_drawn() -> None:
    # One unit feeding two different gates, not only p * p.
    def shared(c: Circuit) -> bool:
        return any(len({g for g in c.gates if unit in g.inputs}) >= 2 for unit in fan_out(c))

    c = find(circuits(), shared, settings=SHRINK)
    assert shared(c)


@given(units(min_value=-2.0, max_value=0.5, requires_grad=False, label="k"))
def test_units_are_in_range_and_as_asked(u: Unit) -> None:
    assert -2.0 <= u.value <= 0.5
    assert not u.requires_grad and u.grad == 0.0 and u.label == "k"


def test_units_with_requires_grad_none_draws_both() -> None:
    assert find(units(requires_grad=None), lambda u: not u.requires_grad).requires_grad is False
    assert find(units(requires_grad=None), lambda u: u.requires_grad).requires_grad


def sensitivity_ok(c: Circuit) -> bool:
    scale = max(abs(g.utop.value) for g in c.gates)
    return all(
        p.grad == 0.0 or abs(p.grad) * max(abs(p.value), 1.0) >= MIN_SENSITIVITY * scale
        for p in c.parameters()
    )


@given(circuits(max_gates=10))
def test_no_parameter_gradient_is_too_small_to_check(c: Circuit) -> None:
    c.backward()
    assert sensitivity_ok(c)


@settings(max_examples=300, derandomize=True, database=None)
@given(circuits(gates=[MultGate, AddGate]))
def test_a_correct_gate_is_never_left_inconclusive(c: Circuit) -> None:
    # p * p over an input of 1e-95, plus 1: the slope of 2e-95 is lost in the
    # rounding of 1, so gradcheck could only say "inconclusive" of a right gate.
    result = gradcheck(c)
    assert result, str(result)


# -- names a failing example shows --------------------------------------------------


def names_in(c: Circuit) -> tuple[list[str], list[str]]:
    return [name_of(g) for g in c.gates], [name_of(u) for u in c.units]


def push_the_session_numbering() -> None:
    for _ in range(40):  # as if many examples and tests had run before
        name_of(Unit(0.0))
        name_of(MultGate())


@given(circuits(max_gates=8))
def test_each_example_names_its_units_and_gates_from_one(c: Circuit) -> None:
    gate_names, unit_names = names_in(c)
    assert gate_names == [f"g{i}" for i in range(1, len(c.gates) + 1)]
    assert sorted(unit_names, key=lambda n: int(n[1:])) == [
        f"u{i}" for i in range(1, len(c.units) + 1)
    ]
    inputs = [name_of(u) for u in c.inputs]
    assert sorted(inputs) == [f"u{i}" for i in range(1, len(inputs) + 1)]  # inputs first


@given(circuits(max_gates=4), circuits(max_gates=4), units())
def test_names_in_one_example_never_repeat(first: Circuit, second: Circuit, u: Unit) -> None:
    made_here = name_of(Unit(1.0))  # the test's own units continue the numbering
    names = [*names_in(first)[1], *names_in(second)[1], name_of(u), made_here]
    assert len(names) == len(set(names))
    assert len({*names_in(first)[0], *names_in(second)[0]}) == len(first) + len(second)


def failure_report(test: Any) -> str:
    with pytest.raises(AssertionError) as caught:
        test()
    return "\n".join(getattr(caught.value, "__notes__", []))


def test_a_failing_example_is_reported_with_its_own_names() -> None:
    push_the_session_numbering()

    @settings(max_examples=200, derandomize=True, database=None)
    @given(circuits(gates=[MultGate, SigmoidGate]))
    def test_no_sigmoid(c: Circuit) -> None:
        assert not any(isinstance(g, SigmoidGate) for g in c.gates)

    report = failure_report(test_no_sigmoid)
    # shrunk to one gate over one input, named as the example named them
    assert "c=<Circuit 1 gate: g1 = SigmoidGate(u1=0.0) -> u2=0.5>" in report


def test_names_are_given_when_drawn_not_when_reported() -> None:
    push_the_session_numbering()
    drawn: list[Circuit] = []

    @settings(max_examples=5, database=None)
    @given(circuits(max_gates=3))
    def keep(c: Circuit) -> None:
        drawn.append(c)

    keep()
    for c in drawn:  # named long before anyone shows them
        assert {u._name for u in c.units} <= {f"u{i}" for i in range(1, 20)}
        assert [g._name for g in c.gates] == [f"g{i}" for i in range(1, len(c) + 1)]


# -- shrinking -------------------------------------------------------------------


def test_units_shrink_towards_zero_and_parameters() -> None:
    u = find(units(requires_grad=None), lambda u: True, settings=SHRINK)
    assert (u.value, u.requires_grad) == (0.0, True)
    u = find(units(min_value=1.0, max_value=5.0), lambda u: u.value > 2.0, settings=SHRINK)
    assert u.value == 3.0  # the simplest float above 2, as hypothesis counts


def test_circuits_shrink_towards_few_simple_gates() -> None:
    c = find(circuits(), lambda c: len(c.gates) >= 2, settings=SHRINK)
    assert [type(g) for g in c.gates] == [AddGate, AddGate]
    c = find(circuits(), lambda c: any(isinstance(g, LogGate) for g in c.gates), settings=SHRINK)
    assert len(c.gates) <= 2
    assert {type(g) for g in c.gates} <= {LogGate, AddGate}
    assert all(u.value in (0.0, 1.0) for u in c.inputs)


# -- user gates --------------------------------------------------------------------


def test_arity_comes_from_forward_and_domain_from_the_gate() -> None:
    (mul_add,) = gate_specs(MulAddGate)
    assert mul_add.arity == 3 and mul_add.name == "MulAddGate"
    (sqrt,) = gate_specs(SqrtGate)
    assert sqrt.accepts(SqrtGate(), [4.0]) and not sqrt.accepts(SqrtGate(), [0.0])
    spec = GateSpec(SqrtGate, domain=lambda x: x > 10.0)
    assert not spec.accepts(SqrtGate(), [4.0])  # the spec's domain wins


@given(circuits(gates=[MulAddGate, SqrtGate, SoftplusGate], max_gates=8))
def test_user_gates_are_drawn_in_their_domains_and_pass_gradcheck(c: Circuit) -> None:
    for gate in c.gates:
        if isinstance(gate, SqrtGate):
            assert gate.u0.value >= 0.1
    assert gradcheck(c)


def test_every_kind_of_user_gate_is_drawn() -> None:
    kinds: list[GateEntry] = [MulAddGate, SqrtGate, SoftplusGate, GateSpec(SumGate, arity=2)]
    for kind in (MulAddGate, SqrtGate, SoftplusGate, SumGate):
        c = find(
            circuits(gates=kinds),
            lambda c, kind=kind: any(type(g) is kind for g in c.gates),  # type: ignore[misc]
            settings=SHRINK,
        )
        assert gradcheck(c)


def test_a_factory_makes_gates_that_need_arguments() -> None:
    spec = GateSpec(lambda: ScaleGate(3.0), name="ScaleGate(3)")
    c = find(
        circuits(gates=[spec]),
        lambda c: any(isinstance(g, ScaleGate) for g in c.gates),
        settings=SHRINK,
    )
    assert all(g.k == 3.0 for g in c.gates if isinstance(g, ScaleGate))


def test_user_gates_work_with_the_tracer_and_replay() -> None:
    c = find(
        circuits(gates=[SoftplusGate, MultGate]),
        lambda c: any(isinstance(g, SoftplusGate) for g in c.gates),
        settings=SHRINK,
    )
    x0 = c.inputs[0]
    x0.value = 0.25
    console = Console(file=io.StringIO(), width=100, color_system=None)
    with Tracer(console=console) as tracer:
        out = c.forward()
        c.backward()
    traced = [(e.gate_type, e.phase) for e in tracer.events]
    assert ("SoftplusGate", "backward") in traced
    assert gradcheck(c)
    assert out is c.output


def test_gate_specs_cover_every_built_in_gate() -> None:
    made = {type(spec.make()) for spec in gate_specs()}
    assert made == set(BUILTIN_GATES)
    pows = [spec.make() for spec in gate_specs(PowGate)]
    exponents = sorted(g.exponent for g in pows if isinstance(g, PowGate))
    assert exponents == [-1.0, 0.5, 2.0, 3.0]


def test_gradcheck_property_is_a_ready_made_test() -> None:
    test_softplus = gradcheck_property(SoftplusGate, max_gates=4)
    test_softplus()  # passes: no exception


# -- bad arguments -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_gates": 0}, "max_gates must be an int from 1"),
        ({"min_gates": 3, "max_gates": 2}, "min_gates=3 must be at most max_gates=2"),
        ({"n_inputs": 0}, "n_inputs must be an int from 1"),
        ({"n_inputs": 1.5}, "n_inputs must be an int"),
        ({"share": "yes"}, "share must be True or False"),
        ({"constants": None}, "constants must be True or False"),
        ({"gates": []}, "gates is empty"),
        ({"gates": [int]}, "int is not a Gate subclass"),
        ({"gates": [3]}, "3 .int. is not a gate class"),
        ({"gates": [ScaleGate]}, r"could not make a gate with ScaleGate\(\).*factory"),
        ({"gates": [SumGate]}, r"pass GateSpec\(SumGate, arity=n\)"),
        ({"gates": [lambda: 7]}, "not a Gate"),
        ({"min_value": 2.0, "max_value": 1.0}, "min_value=2.0 must be less than max_value=1.0"),
        ({"max_value": math.inf}, "max_value must be finite"),
        ({"min_value": -2e3}, r"must lie within -1000.0 to 1000.0 \(MAX_ABS_VALUE\)"),
    ],
)
def test_circuits_checks_its_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        circuits(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_value": math.nan}, "min_value must be finite"),
        ({"min_value": "0"}, "min_value must be a number"),
        ({"requires_grad": "yes"}, "requires_grad must be True, False or None"),
        ({"label": 3}, "label must be a str"),
    ],
)
def test_units_checks_its_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        units(**kwargs)


def test_gate_spec_checks_its_arguments() -> None:
    with pytest.raises(InvalidArgument, match="make must be a Gate subclass or a callable"):
        GateSpec(3)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument, match="arity must be an int >= 1"):
        GateSpec(AddGate, arity=0)
    with pytest.raises(InvalidArgument, match="domain must be callable"):
        GateSpec(AddGate, domain=0.5)  # type: ignore[arg-type]


def test_without_hypothesis_the_import_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hypothesis", None)  # as if not installed
    monkeypatch.delitem(sys.modules, "circuits.strategies")
    with pytest.raises(ImportError, match=r"pip install pytest hypothesis"):
        importlib.import_module("circuits.strategies")


def test_arguments_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        circuits([AddGate])  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        units(0.0, 1.0)  # type: ignore[call-arg]
