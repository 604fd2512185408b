"""Negative controls: gates with a deliberately wrong backward must fail gradcheck,
and the failure must name the wrong gate.

A gradient checker that passes everything would make every other property in
this suite worthless; these tests show it can fail, and points at the culprit.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from circuits import Circuit, gradcheck
from circuits.strategies import circuits, gradcheck_property
from gates import AddGate, Gate, MultGate, TanhGate, Unit
from gates.labels import describe_gate


class FlippedSignMultGate(Gate):
    """``u0 * u1`` whose derivative for ``u1`` has the wrong sign."""

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0, self.u1 = u0, u1
        self.utop = Unit(u0.value * u1.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad += -self.u0.value * self.utop.grad


class DoubledSigmoidGate(Gate):
    """``sigmoid(u0)`` whose derivative is twice the true one."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(1.0 / (1.0 + math.exp(-u0.value)))
        return self.utop

    def backward(self) -> None:
        s = self.utop.value
        self.u0.grad += 2.0 * s * (1.0 - s) * self.utop.grad


class WrongInputMultGate(Gate):
    """``u0 * u1`` whose derivative for ``u0`` uses ``u0`` instead of ``u1``."""

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0, self.u1 = u0, u1
        self.utop = Unit(u0.value * u1.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.u0.value * self.utop.grad
        self.u1.grad += self.u0.value * self.utop.grad


class OverwritingTanhGate(Gate):
    """``tanh(u0)`` with the right derivative, assigned with ``=`` not ``+=``:
    only wrong where its input also feeds another gate."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(math.tanh(u0.value))
        return self.utop

    def backward(self) -> None:
        t = self.utop.value
        self.u0.grad = (1.0 - t * t) * self.utop.grad


WRONG_LOCAL_DERIVATIVES = [FlippedSignMultGate, DoubledSigmoidGate, WrongInputMultGate]


def feed(gate: Gate, p: Unit, q: Unit) -> Unit:
    """Forward ``gate`` with ``p`` where its derivative is wrong (and ``q`` as
    its other input, if it takes two)."""
    if isinstance(gate, FlippedSignMultGate):
        return gate.forward(q, p)
    if isinstance(gate, WrongInputMultGate):
        return gate.forward(p, q)
    return gate.forward(p)


@pytest.mark.parametrize("wrong", WRONG_LOCAL_DERIVATIVES)
def test_a_wrong_local_derivative_fails_and_is_named(wrong: type[Gate]) -> None:
    p, q = Unit(0.5, label="p"), Unit(-1.5, label="q")
    gate = wrong().named("culprit")
    with Circuit() as c:
        h = feed(gate, p, q)
        (h * p + q).tanh()
    result = gradcheck(c)
    assert not result
    assert result.blame is not None and result.blame.gate is gate
    for text in (result.summary, str(result), repr(result)):
        assert f"{wrong.__name__} culprit" in text


def test_an_overwritten_grad_fails_and_is_named() -> None:
    x = Unit(0.7, label="x")
    gate = OverwritingTanhGate().named("culprit")
    out = gate.forward(x) * x  # x feeds two gates: its grads must add up
    result = gradcheck(out)
    assert not result
    assert result.blame is not None and result.blame.gate is gate and result.blame.overwrites
    assert "OverwritingTanhGate culprit: its backward does not add" in result.summary


@pytest.mark.parametrize("wrong", WRONG_LOCAL_DERIVATIVES)
@given(c=circuits(max_gates=6), data=st.data())
def test_a_wrong_gate_added_to_any_circuit_is_caught(
    wrong: type[Gate], c: Circuit, data: st.DataObject
) -> None:
    # Feed the wrong gate a parameter of a random circuit (and some other unit
    # of it), and add its output to the circuit's: the parameter's gradient now
    # includes the wrong local derivative.
    p = data.draw(st.sampled_from(c.parameters()), label="p")
    q = data.draw(st.sampled_from(c.units), label="q")
    # Away from where the wrong derivative happens to be right: u0 = 0 for the
    # flipped sign, u0 = u1 for the wrong input.
    assume(abs(p.value) > 0.1 and abs(q.value) > 0.1 and abs(p.value - q.value) > 0.1)
    gate = wrong()
    out = feed(gate, p, q) + c.output
    result = gradcheck(out)
    assert not result
    assert result.blame is not None and result.blame.gate is gate
    assert describe_gate(gate) in result.summary


@given(circuits(gates=[FlippedSignMultGate, AddGate, MultGate, TanhGate], max_gates=6))
def test_blame_never_falls_on_a_correct_gate(c: Circuit) -> None:
    result = gradcheck(c)
    if not result:
        assert result.blame is not None
        assert isinstance(result.blame.gate, FlippedSignMultGate)


@pytest.mark.parametrize("wrong", [*WRONG_LOCAL_DERIVATIVES, OverwritingTanhGate])
def test_the_ready_made_property_fails_for_a_wrong_gate(wrong: type[Gate]) -> None:
    test = gradcheck_property(wrong, max_gates=4)
    with pytest.raises(AssertionError, match=f"blame {wrong.__name__}"):
        test()
