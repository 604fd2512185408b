"""circuits._compiled: a replayed circuit gives the very numbers the gates' own
methods give, whatever the number of replays, and runs a user's gate itself."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given

from circuits import Circuit, Tracer, _compiled
from circuits.strategies import circuits
from gates import BUILTIN_GATES, Gate, Unit
from gates.backprop import run_backward
from gates.graph import inputs_of


def same(a: float, b: float) -> bool:
    """Equal floats, ``-0.0`` told apart from ``0.0``; any nan matches a nan."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def by_own_methods(c: Circuit) -> list[float]:
    """One backward pass through the gates' own methods, from zeroed grads."""
    for unit in c.units:
        unit.grad = 0.0
    gates = list(c.gates)
    run_backward(c.output, gates, {unit: unit.grad for unit in inputs_of(gates)})
    return [u.grad for u in c.units]


@given(circuits(max_gates=10))
def test_replays_add_exactly_the_floats_the_gates_own_methods_add(c: Circuit) -> None:
    want = by_own_methods(c)
    values = [u.value for u in c.units]
    for _ in range(4):  # the first replay runs the gates, later ones compiled code
        c.forward()
        c.zero_grad()
        c.backward()
        assert all(same(u.value, v) for u, v in zip(c.units, values))
        assert all(same(u.grad, g) for u, g in zip(c.units, want))


@pytest.mark.parametrize("replays_before", [0, 1, 2, 3])
def test_switching_requires_grad_on_takes_effect_whatever_the_replays(replays_before: int) -> None:
    w = Unit(2.0)
    x = Unit(3.0, requires_grad=False)
    with Circuit() as c:
        w * x
    for _ in range(replays_before):
        c.forward()
        c.zero_grad()
        c.backward()
    x.requires_grad = True
    c.forward()
    c.zero_grad()
    c.backward()
    assert (w.grad, x.grad) == (3.0, 2.0)
    x.requires_grad = False
    c.forward()
    c.zero_grad()
    c.backward()
    assert (w.grad, x.grad) == (3.0, 0.0)


def test_a_constant_made_by_gates_follows_its_inputs_at_each_forward() -> None:
    w = Unit(2.0)
    c1, c2 = Unit(3.0, requires_grad=False), Unit(4.0, requires_grad=False)
    with Circuit() as c:
        w * (c1 * c2)
    for _ in range(3):
        c.forward()
    c1.requires_grad = True
    c.forward()  # c1 * c2 takes a gradient again
    c.zero_grad()
    c.backward()
    assert (w.grad, c1.grad, c2.grad) == (12.0, 8.0, 0.0)


def test_the_accumulation_rule_holds_on_every_replay() -> None:
    p = Unit(3.0)
    with Circuit() as c:
        r = p * p + p * p
    for _ in range(3):
        c.forward()
    c.backward()
    assert (p.grad, r.grad) == (12.0, 1.0)
    c.backward()
    assert (p.grad, r.grad) == (24.0, 2.0)  # not 36: each call adds only its own share


def test_a_users_gate_always_runs_its_own_methods() -> None:
    calls = []

    class Cube(Gate):
        def forward(self, u0: Unit) -> Unit:
            calls.append("forward")
            self.u0 = u0
            self.utop = Unit(u0.value**3)
            return self.utop

        def backward(self) -> None:
            calls.append("backward")
            self.u0.grad += 3.0 * self.u0.value**2 * self.utop.grad

    x = Unit(2.0)
    with Circuit() as c:
        Cube().forward(x * 1.0)
    calls.clear()
    for _ in range(3):
        c.forward()
        c.zero_grad()
        c.backward()
    assert calls == ["forward", "backward"] * 3
    assert x.grad == 12.0


def test_a_tracer_sees_every_replayed_gate() -> None:
    import io

    from rich.console import Console

    a = Unit(2.0)
    with Circuit() as c:
        (a * a + a).relu()
    for _ in range(3):
        c.forward()
    with Tracer(console=Console(file=io.StringIO()), summary=False) as tracer:
        c.forward()
        c.backward()
    assert [e.phase for e in tracer.events] == ["forward"] * 3 + ["backward"] * 3


def test_circuits_over_the_limit_replay_with_the_gates(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_compiled, "LIMIT", 3)
    x = Unit(1.0)
    with Circuit() as c:
        y = x
        for _ in range(4):
            y = y * 2.0
    for _ in range(3):
        c.forward()
        c.zero_grad()
        c.backward()
    assert x.grad == 16.0


def test_a_failed_replay_leaves_every_grad_as_it_was() -> None:
    a, b = Unit(1.0), Unit(2.0)
    with Circuit() as c:
        h = a * b
        h * h
    for _ in range(3):
        c.forward()
        c.zero_grad()
        c.backward()
    before = [u.grad for u in c.units]
    a.grad = None  # type: ignore[assignment]  # a bad value
    with pytest.raises(TypeError, match=r"\.grad holds None \(NoneType\), not a number"):
        c.backward()
    a.grad = before[0]
    assert [u.grad for u in c.units] == before


def counted(method: Callable[[Gate], None], calls: list[int]) -> Callable[[Gate], None]:
    def watched(self: Gate) -> None:
        calls.append(-1)
        method(self)

    return watched


EDGES = [0.0, -0.0, 1.0, -2.5, 1e-320, -1e308, math.inf, -math.inf, math.nan]


@pytest.mark.parametrize("cls", BUILTIN_GATES, ids=lambda cls: cls.__name__)
def test_compiled_code_gives_the_gates_floats_at_ieee_edges(
    cls: type[Gate], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every built-in gate, every pair of edge values: replaying compiled gives
    the value and grads the gate's own forward and backward give, to the bit."""
    arity = len(_compiled.FORMULAS[cls].local)
    pairs = [(a, b) for a in EDGES for b in (EDGES if arity == 2 else [0.0])]
    for a, b in pairs:
        u0, u1 = Unit(a), Unit(b)
        gate = cls(3.0) if cls.__name__ == "PowGate" else cls()
        with Circuit() as c:
            out = gate.forward(u0, u1) if arity == 2 else gate.forward(u0)
        inputs = [u0, u1][:arity]
        want = by_own_methods(c)
        want_value = out.value
        own_calls: list[int] = []  # the gate's own backward, watched
        with monkeypatch.context() as m:
            m.setattr(cls, "_own_backward", counted(cls._own_backward, own_calls))
            for replay in range(3):
                own_calls.append(replay)
                c.forward()
                c.zero_grad()
                c.backward()
                got = [u.grad for u in c.units]
                where = f"{cls.__name__}{tuple(u.value for u in inputs)}, replay {replay + 1}"
                assert same(out.value, want_value), f"{where}: value {out.value} != {want_value}"
                assert all(same(g, w) for g, w in zip(got, want)), f"{where}: grads {got} != {want}"
        assert own_calls[-1] == 2, "the third replay ran compiled code, not the gate's backward"


def test_a_subclass_of_a_builtin_gate_replays_with_its_own_methods() -> None:
    from gates import MultGate

    class HalfMult(MultGate):  # a user's change to the maths of a built-in gate
        def backward(self) -> None:
            self.u0.grad += 0.5 * self.u1.value * self.utop.grad
            self.u1.grad += 0.5 * self.u0.value * self.utop.grad

    x, y = Unit(2.0), Unit(3.0)
    with Circuit() as c:
        HalfMult().forward(x, y)
    for _ in range(3):  # MultGate's formula would give x.grad == 3.0
        c.forward()
        c.zero_grad()
        c.backward()
        assert (x.grad, y.grad) == (1.5, 1.0)
