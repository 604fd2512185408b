"""Circuit: recording, replay in place, backward over dependencies, errors."""

from __future__ import annotations

import math
import threading

import pytest

from circuits import Circuit, CircuitError, GateReuseError, NonFiniteError
from gates import AddGate, MultGate, SigmoidGate, Unit


def neuron() -> tuple[Circuit, dict[str, Unit]]:
    u = {n: Unit(v, label=n) for n, v in zip("abcxy", (1.0, 2.0, -3.0, -1.0, 3.0))}
    with Circuit() as c:
        (u["a"] * u["x"] + u["b"] * u["y"] + u["c"]).sigmoid()
    return c, u


def test_records_explicit_gates_and_sugar_in_order() -> None:
    a, b = Unit(1.0), Unit(2.0)
    mul = MultGate()
    with Circuit() as c:
        ab = mul.forward(a, b)
        s = (ab + a).sigmoid()
    assert c.gates[0] is mul
    assert [type(g).__name__ for g in c.gates] == ["MultGate", "AddGate", "SigmoidGate"]
    assert c.output is s
    assert c.inputs == (a, b)
    assert c.parameters() == [a, b]
    assert len(c.units) == 5


def test_gates_outside_the_block_are_not_recorded() -> None:
    a = Unit(1.0)
    with Circuit() as c:
        y = a * 2.0
    y + 1.0
    assert len(c) == 1


def test_backward_gives_the_guides_neuron_grads() -> None:
    c, u = neuron()
    c.backward()
    s = c.output.value
    ds = s * (1 - s)  # hand-worked: sigmoid's local derivative at 2
    assert s == 0.8807970779778823
    assert [u[n].grad for n in "abcxy"] == [-ds, 3 * ds, ds, ds, 2 * ds]


def test_backward_follows_the_accumulation_rule() -> None:
    w, wh = Unit(0.3), Unit(0.5)
    one = 1.0
    with Circuit() as c:
        h1 = w * one
        h2 = w * one + wh * h1
        h3 = w * one + wh * h2
    c.backward(h1)
    assert w.grad == 1.0
    c.backward(h2)
    assert (w.grad, h1.grad) == (2.5, 1.5)
    c.backward(h3)
    assert (w.grad, h1.grad) == (4.25, 1.75)


def test_backward_skips_gates_the_output_does_not_depend_on() -> None:
    a, b = Unit(2.0), Unit(3.0)
    with Circuit() as c:
        first = a * b
        side = b.exp()
    c.backward(first)
    assert (a.grad, b.grad) == (3.0, 2.0)
    assert side.grad == 0.0
    c.backward()  # default output: the last gate's
    assert side.grad == 1.0
    assert b.grad == 2.0 + math.exp(3.0)


def test_zero_grad_clears_every_unit() -> None:
    c, _ = neuron()
    c.backward()
    c.zero_grad()
    assert all(unit.grad == 0.0 for unit in c.units)


def test_forward_replays_in_place_and_equals_a_fresh_build() -> None:
    c, u = neuron()
    s = c.output
    middle = c.gates[2].utop
    u["a"].value, u["y"].value = 0.5, -2.0
    assert c.forward() is s
    assert c.gates[2].utop is middle  # same objects, new values
    fresh, _ = neuron()
    assert s.value == pytest.approx(1 / (1 + math.exp(-(0.5 * -1.0 + 2.0 * -2.0 - 3.0))), rel=1e-15)
    assert fresh.output.value != s.value


def test_the_guides_training_step_by_replay() -> None:
    c, _ = neuron()
    c.backward()
    for p in c.parameters():
        p.value += 0.01 * p.grad
    assert c.forward().value == 0.8825501816218984  # the guide's figure


def test_a_gate_used_twice_in_one_recording_is_refused() -> None:
    g = AddGate().named("addg0")
    a, b = Unit(1.0), Unit(2.0)
    with pytest.raises(GateReuseError, match=r"AddGate addg0 .* step 2\b.* step 1\b") as info:
        with Circuit():
            g.forward(a, b)
            g.forward(b, a)
    assert "new gate object" in str(info.value)


def test_the_same_gates_may_be_recorded_again_in_a_new_circuit() -> None:
    g = SigmoidGate()
    x = Unit(0.0)
    for _ in range(2):
        with Circuit() as c:
            g.forward(x)
        assert c.gates == (g,)


def test_backward_on_an_empty_circuit() -> None:
    c = Circuit()
    with pytest.raises(CircuitError, match="empty circuit"):
        c.backward()
    with pytest.raises(CircuitError, match="empty circuit"):
        c.forward()


def test_backward_on_a_unit_from_elsewhere() -> None:
    c, _ = neuron()
    stranger = Unit(1.0, label="stranger") * 2.0
    with pytest.raises(CircuitError, match="not produced by a gate of this circuit"):
        c.backward(stranger)


def test_check_finite_names_the_first_gate_to_overflow_while_recording() -> None:
    x = Unit(1000.0, label="x")
    with pytest.raises(NonFiniteError, match=r"ExpGate .* step 2 .*inf") as info:
        with Circuit(check_finite=True):
            y = x * 1.0
            y.exp()
    assert "learning rate" in str(info.value)


def test_check_finite_in_replay_and_in_backward() -> None:
    x = Unit(1.0, label="x")
    with Circuit(check_finite=True) as c:
        (x * 2.0).log()
    x.value = -1.0
    with pytest.raises(NonFiniteError, match=r"LogGate .* step 2 \(forward\).*nan"):
        c.forward()

    z = Unit(0.0, label="z")
    with Circuit(check_finite=True) as c2:
        z**0.5  # sqrt: the derivative at 0 is infinite
    with pytest.raises(NonFiniteError, match=r"PowGate .* \(backward\).*inf"):
        c2.backward()


def test_without_check_finite_non_finite_numbers_pass_silently() -> None:
    x = Unit(1000.0)
    with Circuit() as c:
        x.exp()
    c.backward()
    assert x.grad == math.inf


def test_a_circuit_records_only_its_own_threads_gates() -> None:
    # Another thread runs a gate while the block records: it is not this
    # circuit's, so gates, parameters, the output and backward ignore it.
    w = Unit(2.0, label="w")
    other = threading.Thread(target=lambda: Unit(5.0) * Unit(7.0))
    with Circuit() as c:
        loss = w * w
        other.start()
        other.join()
    assert c.gates == (loss.gate,)
    assert c.parameters() == [w]
    assert c.output is loss and c.output.value == 4.0
    c.backward()
    assert w.grad == 4.0  # d(w*w)/dw = 2w


def test_a_refused_gate_reuse_leaves_the_circuit_usable() -> None:
    a, b = Unit(2.0, label="a"), Unit(3.0, label="b")
    g = MultGate()
    with pytest.raises(GateReuseError):
        with Circuit() as c:
            y = g.forward(a, b)
            g.forward(y, b)  # refused before the gate changed
    assert c.gates == (g,)
    assert (g.u0, g.u1, g.utop) == (a, b, y)
    c.backward(y)
    assert (a.grad, b.grad) == (3.0, 2.0)  # d(ab)/da = b, d(ab)/db = a
    a.value = 4.0
    assert c.forward() is y and y.value == 12.0


@pytest.mark.parametrize("bad", ["y", 3.0, MultGate()])
def test_backward_of_something_not_a_unit_names_it_and_the_fix(bad: object) -> None:
    w = Unit(2.0)
    with Circuit() as c:
        w * w
    with pytest.raises(TypeError) as info:
        c.backward(bad)  # type: ignore[arg-type]
    message = str(info.value)
    assert message.startswith("Circuit.backward() takes an output Unit of this circuit")
    assert f"got {bad!r}" in message
    assert "c.output" in message  # the fix
    assert w.grad == 0.0
