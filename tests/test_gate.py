"""gates.gate: what the base class does around a gate's own forward and backward."""

from __future__ import annotations

import pytest

from gates import AddGate, Gate, MultGate, Unit


class Named(Gate):
    """A gate that keeps its inputs under names of its own."""

    def forward(self, left: Unit, right: Unit) -> Unit:
        self.left, self.right = left, right
        self.utop = Unit(left.value - right.value)
        return self.utop

    def backward(self) -> None:
        self.left.grad += self.utop.grad
        self.right.grad -= self.utop.grad


class Sum3(Gate):
    """Three inputs."""

    def forward(self, *units: Unit) -> Unit:
        self.parts = units
        self.utop = Unit(sum(u.value for u in units))
        return self.utop

    def backward(self) -> None:
        for unit in self.parts:
            unit.grad += self.utop.grad


def test_forward_links_the_output_to_its_gate_and_remembers_the_inputs() -> None:
    a, b = Unit(1.0), Unit(2.0)
    g = MultGate()
    out = g.forward(a, b)
    assert out.gate is g and g.utop is out
    assert g.inputs == (a, b)
    assert (g.u0, g.u1) == (a, b)


def test_inputs_kept_under_other_names_or_more_than_two() -> None:
    a, b, c = Unit(1.0), Unit(2.0), Unit(4.0)
    n = Named()
    out = n.forward(a, b)
    assert n.inputs == (a, b)
    out.backward()
    assert (a.grad, b.grad) == (1.0, -1.0)
    s = Sum3()
    total = s.forward(a, b, c)
    assert s.inputs == (a, b, c) and total.value == 7.0
    total.backward()
    assert c.grad == 1.0


def test_an_output_of_constants_takes_no_gradient() -> None:
    c1, c2 = Unit(1.0, requires_grad=False), Unit(2.0, requires_grad=False)
    assert not AddGate().forward(c1, c2).requires_grad
    assert AddGate().forward(c1, Unit(2.0)).requires_grad


def test_a_subclass_calling_super_forward_is_recorded_once() -> None:
    class Doubled(AddGate):
        def forward(self, u0: Unit, u1: Unit) -> Unit:
            out = super().forward(u0, u1)
            out.value *= 2.0
            return out

    from gates import GateObserver, watching

    class Count(GateObserver):
        calls = 0

        def gate_forward(self, gate: Gate, inputs: object, output: Unit, previous: object) -> None:
            self.calls += 1

    a, b = Unit(1.0), Unit(2.0)
    with watching(Count()) as count:
        out = Doubled().forward(a, b)
    assert count.calls == 1 and out.value == 6.0 and out.gate.inputs == (a, b)


def test_an_unlabelled_gate_answers_none_and_a_label_names_it() -> None:
    g = MultGate()
    assert g.label is None
    assert g.named("mulg0").label == "mulg0"
    assert repr(g) == "<MultGate mulg0>"
    with pytest.raises(TypeError, match="must be a str"):
        g.named(3)  # type: ignore[arg-type]


def test_backward_before_forward_says_what_to_do() -> None:
    with pytest.raises(
        AttributeError, match=r"MultGate g\d+: call forward\(\.\.\.\) before backward\(\)"
    ):
        MultGate().backward()


def test_a_number_in_place_of_a_unit_is_explained() -> None:
    with pytest.raises(TypeError, match=r"input 1 is 3.0 \(float\); wrap a number as Unit"):
        MultGate().forward(Unit(1.0), 3.0)  # type: ignore[arg-type]


def test_a_unit_holding_a_string_is_named_when_a_gate_reads_it() -> None:
    x = Unit(1.0, label="x")
    x.value = "3"  # type: ignore[assignment]
    with pytest.raises(TypeError, match=r"input 0 \(x\) has value '3' \(str\), not a number"):
        _ = x * 2.0


def test_a_forward_that_returns_no_unit_is_explained() -> None:
    class Broken(Gate):
        def forward(self, u0: Unit) -> Unit:
            self.u0 = u0
            return 2.0  # type: ignore[return-value]

        def backward(self) -> None:
            pass

    with pytest.raises(TypeError, match=r"forward\(\) returned 2.0 \(float\)"):
        Broken().forward(Unit(1.0))


def test_a_gate_called_by_hand_twice_counts_twice_as_the_guide_shows() -> None:
    a, b = Unit(2.0), Unit(3.0)
    g = MultGate()
    out = g.forward(a, b)
    out.grad = 1.0
    g.backward()
    g.backward()  # the raw mechanism: no rule, it adds the whole upstream again
    assert (a.grad, b.grad) == (6.0, 4.0)
