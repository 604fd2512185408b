"""circuits.names: which names a trace or drawing gives units and gates."""

from __future__ import annotations

import math

import pytest

from circuits.formatting import format_number
from circuits.names import Names, held_units
from gates import AddGate, Gate, MultGate, SigmoidGate, Unit, name_of


def guide_neuron() -> dict[str, object]:
    """The guide's neuron as a learner's script leaves it: globals a..y, the
    gates, and ``s``; the intermediate units were locals of forwardNeuron."""
    a, b, c, x, y = Unit(1.0), Unit(2.0), Unit(-3.0), Unit(-1.0), Unit(3.0)
    mulg0, mulg1, addg0, addg1, sg0 = MultGate(), MultGate(), AddGate(), AddGate(), SigmoidGate()
    ax = mulg0.forward(a, x)
    by = mulg1.forward(b, y)
    axpby = addg0.forward(ax, by)
    axpbypc = addg1.forward(axpby, c)
    s = sg0.forward(axpbypc)
    return {
        "a": a, "b": b, "c": c, "x": x, "y": y, "s": s,
        "mulg0": mulg0, "mulg1": mulg1, "addg0": addg0, "addg1": addg1, "sg0": sg0,
    }  # fmt: skip


def test_one_unit_held_by_two_gates_has_both_attribute_names() -> None:
    scope = guide_neuron()
    names = Names(scope)
    addg1, sg0 = scope["addg1"], scope["sg0"]
    assert isinstance(addg1, AddGate) and isinstance(sg0, SigmoidGate)
    assert addg1.utop is sg0.u0  # the fact the names must show
    assert names.names_of(sg0.u0) == ["addg1.utop", "sg0.u0"]


def test_variable_names_come_before_attribute_paths() -> None:
    scope = guide_neuron()
    names = Names(scope)
    assert names.names_of(scope["a"]) == ["a", "mulg0.u0"]  # type: ignore[arg-type]
    assert names.names_of(scope["s"]) == ["s", "sg0.utop"]  # type: ignore[arg-type]
    assert names.gate_name(scope["mulg1"]) == "mulg1"  # type: ignore[arg-type]


def test_label_comes_after_variable_names_and_paths_through_named_gates() -> None:
    a = Unit(1.0, label="alpha")
    g = MultGate()
    g.forward(a, Unit(2.0))
    assert Names({"g": g}).names_of(a) == ["g.u0", "alpha"]
    assert Names({"a": a, "g": g}).names_of(a) == ["a", "g.u0", "alpha"]
    assert Names().names_of(a) == ["alpha"]  # no gate known that holds it
    names = Names()
    names.remember(g)
    assert names.names_of(a) == ["alpha", f"{name_of(g)}.u0"]


def test_labelled_gates_name_before_automatic_names() -> None:
    g = AddGate().named("adder")
    out = g.forward(Unit(1.0), Unit(2.0))
    assert Names().names_of(out) == ["adder.utop"]
    assert Names().gate_name(g) == "adder"


def test_unnamed_unit_falls_back_to_its_stable_automatic_name() -> None:
    g = AddGate()
    out = g.forward(Unit(1.0), Unit(2.0))
    names = Names().names_of(out)
    assert names == [name_of(out), f"{name_of(g)}.utop"]
    assert names[0] == Names().name(out)  # stable across lookups


def test_mapping_is_read_live() -> None:
    scope: dict[str, object] = {}
    names = Names(scope)
    u = Unit(1.0)
    assert names.name(u) == name_of(u)
    scope["later"] = u
    assert names.name(u) == "later"


def test_lists_in_variables_give_indexed_names_and_underscores_are_skipped() -> None:
    w = [Unit(0.1), Unit(0.2)]
    names = Names({"w": w, "_": w[0], "_hidden": w[1]})
    assert names.names_of(w[0]) == ["w[0]"]
    assert names.names_of(w[1]) == ["w[1]"]


def test_remembered_gates_name_the_units_they_hold() -> None:
    u = Unit(1.0)
    g = SigmoidGate().named("sg")
    g.forward(u)
    names = Names()
    assert names.names_of(u) == [name_of(u)]  # no gate known yet
    names.remember(g)
    assert names.names_of(u) == ["sg.u0"]


class PairGate(Gate):
    """A user's gate with its own attribute names and no __slots__."""

    def forward(self, left: Unit, right: Unit) -> Unit:  # type: ignore[override]
        self.left = left
        self.right = right
        self.utop = Unit(left.value * right.value)
        return self.utop

    def backward(self) -> None:
        self.left.grad += self.right.value * self.utop.grad
        self.right.grad += self.left.value * self.utop.grad


class ListGate(Gate):
    """A user's gate that keeps its inputs only in a list."""

    def forward(self, *units: Unit) -> Unit:
        self.parts = list(units)
        self.utop = Unit(sum(u.value for u in units))
        return self.utop

    def backward(self) -> None:
        for unit in self.parts:
            unit.grad += self.utop.grad


def test_user_gates_attribute_names_are_found() -> None:
    p, q = Unit(2.0), Unit(3.0)
    pair = PairGate()
    pair.forward(p, q)
    assert [attribute for attribute, _ in held_units(pair)] == ["left", "right", "utop"]
    assert Names({"pair": pair}).names_of(q) == ["pair.right"]


def test_inputs_stored_under_no_attribute_show_their_position() -> None:
    p, q, r = Unit(2.0), Unit(3.0), Unit(4.0)
    lg = ListGate()
    lg.forward(p, q, r)  # (one or two inputs would also be lg.u0, lg.u1)
    assert Names({"lg": lg}).names_of(q) == ["lg.inputs[1]"]


def test_a_unit_used_twice_by_one_gate_has_both_paths() -> None:
    p = Unit(3.0)
    sq = MultGate()
    sq.forward(p, p)
    assert Names({"p": p, "sq": sq}).names_of(p) == ["p", "sq.u0", "sq.u1"]


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (0.0, "0.0"),
        (-0.0, "0.0"),
        (1.0, "1.0"),
        (-3.0, "-3.0"),
        (0.10499358540350662, "0.1050"),
        (-0.10499358540350662, "-0.1050"),
        (0.5, "0.5000"),
        (123456.5, "1.235e+05"),
        (1e-9, "1.000e-09"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
    ],
)
def test_format_number(number: float, text: str) -> None:
    assert format_number(number) == text


def test_a_gate_forwarded_again_names_the_units_it_holds_now() -> None:
    a, b, c, d = Unit(1.0), Unit(2.0), Unit(3.0), Unit(4.0)
    g = MultGate().named("g")
    names = Names()
    g.forward(a, b)
    names.remember(g)
    assert names.names_of(a) == ["g.u0"]
    g.forward(c, d)
    assert names.snapshot(fresh=True).names_of(a) == [name_of(a)]  # looked at again
    assert names.names_of(c) == ["g.u0"]
    g.forward(a, d)
    names.remember(g)  # what a Tracer does after each gate call
    assert names.names_of(a) == ["g.u0"]
    assert names.names_of(c) == [name_of(c)]
    assert names.names_of(d) == ["g.u1"]


def test_paths_through_automatic_gates_can_be_capped_and_counted() -> None:
    w = Unit(1.0, label="w")
    gates = [MultGate() for _ in range(5)]
    names = Names()
    for gate in gates:
        gate.forward(w, Unit(2.0))
        names.remember(gate)
    index = names.snapshot()
    every = [f"{name_of(g)}.u0" for g in gates]
    assert index.names_of(w) == ["w", *every]
    assert index.names_of(w, 2) == ["w", *every[:2]]
    assert index.counted_parts(w, 2)[1] == 3
    # a path asked for always is listed besides the first two
    shown = [index.text(g, t) for _, g, t in index.parts(w, 2, always=(gates[4], "u0"))]
    assert shown == ["w", *every[:2], every[4]]
    assert index.counted_parts(w, 2, always=(gates[4], "u0"))[1] == 2
    assert index.counted_parts(w, 2, always=(gates[1], "u0"))[1] == 3  # already among the two
