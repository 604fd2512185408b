"""The engine's speed mechanisms keep every behaviour: compiled replay gives
the very floats the gates' own methods give, and the lean bookkeeping still
records what each gate read."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from circuits import Circuit, _replay
from circuits import circuit as circuit_module
from circuits.strategies import circuits
from gates import AddGate, Gate, MultGate, Unit, watching
from gates.backprop import backpropagate, gates_behind
from gates.gate import local_grads


def grads_by_gates(c: Circuit) -> list[float]:
    """One backward pass through the gates' own methods (no compiled code)."""
    c.zero_grad()
    backpropagate(c.output, c._plan(c.output))
    return [u.grad for u in c.units]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@given(circuits(max_gates=10))
def test_compiled_replay_adds_exactly_the_floats_the_gates_add(c: Circuit) -> None:
    want = grads_by_gates(c)
    values = [u.value for u in c.units]
    for _ in range(3):  # compiled from the second replay on
        c.forward()
        c.zero_grad()
        c.backward()
    if all(Gate_has_twin(g) for g in c.gates):
        assert c._compiled is not None
    assert all(same(u.value, v) for u, v in zip(c.units, values))
    assert all(same(u.grad, g) for u, g in zip(c.units, want))


def Gate_has_twin(gate: Gate) -> bool:
    return type(gate).twin is not None


def test_compiled_forward_follows_changed_inputs_like_a_fresh_build() -> None:
    a, b = Unit(1.5), Unit(-0.5)
    with Circuit() as c:
        out = ((a * b + a).tanh() - b.exp() / (a * a + 1.0)) ** 2
    for step in range(5):
        a.value, b.value = 0.3 * step - 0.7, 1.1 - 0.2 * step
        got = c.forward().value
        fresh = ((Unit(a.value) * Unit(b.value) + Unit(a.value)).tanh()
                 - Unit(b.value).exp() / (Unit(a.value) * Unit(a.value) + 1.0)) ** 2
        assert got == fresh.value
        assert c.forward() is out
    assert c._compiled is not None


def test_accumulation_rule_holds_on_the_compiled_path() -> None:
    # DESIGN.md's fork: r = p*p + p*p; grads 12 then 24 (not micrograd's 36)
    p = Unit(3.0)
    with Circuit() as c:
        r = p * p + p * p
    c.forward()
    c.forward()  # now compiled
    c.backward()
    assert p.grad == 12.0 and r.grad == 1.0
    c.backward()
    assert p.grad == 24.0 and r.grad == 2.0
    assert c._compiled is not None


def test_a_tracer_still_sees_every_replayed_gate() -> None:
    a = Unit(2.0)
    with Circuit() as c:
        (a * a).relu()
    c.forward()
    c.forward()  # compiled now

    class Seen:
        def __init__(self) -> None:
            self.calls: list[tuple[str, Gate]] = []

        def gate_forward(self, gate: Gate, inputs: object, output: Unit, previous: object) -> None:
            self.calls.append(("forward", gate))

        def gate_backward(self, gate: Gate, grads_before: object) -> None:
            self.calls.append(("backward", gate))

    seen = Seen()
    with watching(seen):
        c.forward()
        c.backward()
    assert [kind for kind, _ in seen.calls] == ["forward", "forward", "backward", "backward"]


def test_a_user_gate_without_a_twin_runs_its_own_methods() -> None:
    class Cube(Gate):
        def forward(self, u0: Unit) -> Unit:
            self.u0 = u0
            self.utop = Unit(u0.value**3)
            return self.utop

        def backward(self) -> None:
            self.u0.grad += 3.0 * self.u0.value**2 * self.utop.grad

    x = Unit(2.0)
    with Circuit() as c:
        Cube().forward(x * 1.0)
    for _ in range(3):
        c.forward()
        c.zero_grad()
        c.backward()
    assert c._compiled is None
    assert x.grad == 12.0


def test_circuits_over_the_limit_are_not_compiled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_replay, "LIMIT", 3)
    x = Unit(1.0)
    with Circuit() as c:
        y = x
        for _ in range(4):
            y = y * 2.0
    for _ in range(3):
        c.forward()
    assert c._compiled is None
    c.backward()
    assert x.grad == 16.0
    assert circuit_module.CompiledReplay is _replay.CompiledReplay


def test_inputs_come_from_u0_u1_or_from_a_stored_tuple() -> None:
    a, b = Unit(1.0), Unit(2.0)
    g = MultGate()
    g.forward(a, b)
    assert g.inputs == (a, b)

    class Named(Gate):  # stores its inputs under its own names
        def forward(self, left: Unit, right: Unit) -> Unit:
            self.left, self.right = left, right
            self.utop = Unit(left.value - right.value)
            return self.utop

        def backward(self) -> None:
            self.left.grad += self.utop.grad
            self.right.grad -= self.utop.grad

    n = Named()
    out = n.forward(a, b)
    assert n.inputs == (a, b)
    out.backward()
    assert (a.grad, b.grad) == (1.0, -1.0)


def test_a_gate_reached_again_through_its_old_output_is_reported() -> None:
    a, b = Unit(1.0), Unit(2.0)
    add = AddGate()
    first = add.forward(a, b)
    top = first * add.forward(b, b)  # reuses `add`: `first` is stale
    with pytest.raises(Exception, match="forwarded"):
        gates_behind(top)


def test_the_walk_orders_a_wide_shared_graph() -> None:
    x = Unit(0.5)
    parts = [x * float(i) for i in range(1, 50)]
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    order = gates_behind(total)
    position = {g: i for i, g in enumerate(order)}
    for g in order:
        for unit in g.inputs:
            if unit.gate is not None:
                assert position[unit.gate] < position[g]
    total.backward()
    assert x.grad == sum(range(1, 50))


# -- folded units: sugar keeps one object per operation -----------------------


def sugar_loss(a: Unit, b: Unit, c: Unit) -> Unit:
    """Every kind of sugar: binary, reflected, unary and parametrised gates."""
    h = (a * b + c).relu() + (a - 2.0 * b).tanh() + (a / (c * c + 1.0)).sigmoid()
    return (h * h).exp().log() + (-h) ** 2.0 + h.leaky_relu()


def test_a_dropped_sugar_graph_leaves_nothing_for_the_cyclic_collector() -> None:
    # Freed by reference counting alone, at once: no gate<->output cycles left
    # behind, neither after the build nor after backward passes.
    import gc

    gc.collect()
    gc.disable()
    try:
        a, b, c = Unit(0.5), Unit(-1.5), Unit(2.0)
        loss = sugar_loss(a, b, c)
        loss.backward()
        loss.backward()
        del loss
        assert gc.collect() == 0
    finally:
        gc.enable()
    assert a.grad != 0.0


def test_sugar_leaves_one_object_per_operation_for_the_collector() -> None:
    # What the collector walks while a graph lives: the output unit, no gate.
    import gc

    a, b = Unit(0.5), Unit(2.0)
    gc.collect()
    gc.disable()
    try:
        before = len(gc.get_objects())
        x = a
        for _ in range(1000):
            x = (x * b).relu()
        grown = len(gc.get_objects()) - before
        x.backward()
        after_backward = len(gc.get_objects()) - before
    finally:
        gc.enable()
    assert 2000 <= grown < 2010
    assert after_backward == grown  # backward made no lasting object


def test_the_guides_own_gates_keep_their_outputs_for_good() -> None:
    a, x = Unit(1.0), Unit(-1.0)
    mulg0 = MultGate()
    ax = mulg0.forward(a, x)
    ax.backward()
    assert mulg0.utop is ax


def test_a_folded_units_gate_is_made_whole_when_asked_for() -> None:
    a, b = Unit(2.0), Unit(3.0)
    y = a * b + a
    gate = y.gate
    assert isinstance(gate, AddGate) and gate.utop is y and y.gate is gate
    product = gate.u0
    assert isinstance(product.gate, MultGate) and product.gate.inputs == (a, b)
    assert local_grads(product.gate) == (3.0, 2.0)
    for g in gates_behind(y):
        assert g.utop is not None and g.utop.gate is g
    assert [g.utop.value for g in gates_behind(y)] == [6.0, 8.0]


def test_a_loose_gate_reached_from_its_output_holds_it() -> None:
    x = Unit(3.0)
    y = x**2.0 + x.leaky_relu(0.1)
    for g in gates_behind(y):
        assert g.utop is not None and g.utop.gate is g
    assert sorted(type(g).__name__ for g in gates_behind(y)) == [
        "AddGate",
        "LeakyReLUGate",
        "PowGate",
    ]


def test_sugar_gates_stay_whole_while_observed() -> None:
    a, b = Unit(2.0), Unit(3.0)
    with Circuit():
        y = a * b
        z = y**2.0
    assert isinstance(y._gate, MultGate) and y._gate.utop is y
    assert isinstance(z._gate, Gate) and z._gate.utop is z


def test_an_observer_that_arrives_after_the_build_sees_every_backward_call() -> None:
    class Counter:
        def __init__(self) -> None:
            self.gates: list[Gate] = []

        def gate_forward(self, gate: Gate, inputs: object, output: Unit, previous: object) -> None:
            pass

        def gate_backward(self, gate: Gate, grads_before: object) -> None:
            self.gates.append(gate)

    a, b = Unit(2.0), Unit(3.0)
    y = (a * b).relu() ** 2.0  # built folded and loose, with nobody watching
    counter = Counter()
    with watching(counter):
        y.backward()
    assert [type(g).__name__ for g in counter.gates] == ["PowGate", "ReLUGate", "MultGate"]
    assert all(g.utop is not None for g in counter.gates)
    assert (a.grad, b.grad) == (2 * 6.0 * 3.0, 2 * 6.0 * 2.0)


def test_backward_gives_the_same_grads_on_folded_and_whole_gates() -> None:
    # The same sugar graph run backward twice: once as built (folded units
    # and loose gates), once after gates_behind made every gate whole for
    # good. DESIGN's accumulation rule must give identical grads either way,
    # and match a central difference.
    a, b, c = Unit(0.5), Unit(-1.5), Unit(2.0)
    folded = sugar_loss(a, b, c)
    folded.backward()
    first = (a.grad, b.grad, c.grad)
    gates_behind(folded)  # makes every gate whole, for good
    for u in (a, b, c):
        u.grad = 0.0
    folded.backward()
    assert (a.grad, b.grad, c.grad) == first
    h = 1e-6
    a.value += h
    up = sugar_loss(a, b, c).value
    a.value -= 2 * h
    down = sugar_loss(a, b, c).value
    assert math.isclose(first[0], (up - down) / (2 * h), rel_tol=1e-6)


def test_threads_backpropagating_their_own_graphs_do_not_mix_grads() -> None:
    # Backward lends each folded unit a gate for its call, and sets grads
    # aside while it runs: shared between threads, either would mix their
    # units or lose track of a pass. Switch threads very often.
    import sys
    import threading

    def grads(seed: float) -> tuple[float, float, float]:
        a, b, c = Unit(seed), Unit(-1.5), Unit(2.0)
        loss = sugar_loss(a, b, c)
        loss.backward()
        return (a.grad, b.grad, c.grad)

    seeds = [0.1 * k for k in range(1, 9)]
    want = {seed: grads(seed) for seed in seeds}
    got: dict[float, list[tuple[float, float, float]]] = {seed: [] for seed in seeds}

    def work(seed: float) -> None:
        for _ in range(300):
            got[seed].append(grads(seed))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(seed,)) for seed in seeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    for seed in seeds:
        assert len(got[seed]) == 300, "a thread raised"
        wrong = [g for g in got[seed] if g != want[seed]]
        assert not wrong, f"{len(wrong)} of 300 runs gave other grads, such as {wrong[0]}"


def test_a_sugar_gate_forwarded_again_is_reported() -> None:
    from gates import GateReuseError

    a, b, c = Unit(1.0), Unit(2.0), Unit(3.0)
    for y in (a * b, a**2.0):
        z = y + c
        gate = y.gate
        assert gate is not None
        gate.forward(*[c] * len(gate.inputs))  # reused: y is stale
        with pytest.raises(GateReuseError, match="forwarded again"):
            z.backward()


# A sugar program: each step applies one operation to earlier values.
SUGAR_OPS: dict[str, Callable[[Unit, Unit], Unit]] = {
    "add": lambda x, y: x + y,
    "sub": lambda x, y: x - y,
    "mul": lambda x, y: x * y,
    "div": lambda x, y: x / (y * y + 1.0),
    "rsub": lambda x, y: 2.0 - x,
    "rmul": lambda x, y: 0.5 * x,
    "rdiv": lambda x, y: 1.0 / (x * x + 1.0),
    "neg": lambda x, y: -x,
    "pow": lambda x, y: x**2.0,
    "relu": lambda x, y: x.relu(),
    "leaky": lambda x, y: x.leaky_relu(0.1),
    "tanh": lambda x, y: x.tanh(),
    "sigmoid": lambda x, y: x.sigmoid(),
    "exp": lambda x, y: x.tanh().exp(),
    "log": lambda x, y: (x * x + 1.0).log(),
}
Program = list[tuple[str, int, int]]
DrawnProgram = tuple[list[float], Program]  # (input values, steps)


@st.composite
def sugar_programs(draw: st.DrawFn) -> DrawnProgram:
    inputs = draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=3))
    steps: Program = []
    for step in range(draw(st.integers(1, 12))):
        available = len(inputs) + step
        op = draw(st.sampled_from(sorted(SUGAR_OPS)))
        steps.append((op, draw(st.integers(0, available - 1)), draw(st.integers(0, available - 1))))
    return inputs, steps


def run_program(inputs: list[Unit], steps: Program) -> Unit:
    values = list(inputs)
    for op, i, j in steps:
        values.append(SUGAR_OPS[op](values[i], values[j]))
    return values[-1]


@given(sugar_programs())
def test_folded_sugar_adds_the_very_floats_whole_gates_add(program: DrawnProgram) -> None:
    # The same program built with nobody watching (folded units, loose gates)
    # and inside a Circuit (whole gates, which gradcheck and the guide's
    # hand-worked figures test elsewhere): two backward calls each, so the
    # accumulation rule is exercised too. Same gates, same order: same floats.
    start, steps = program
    folded_inputs = [Unit(v) for v in start]
    whole_inputs = [Unit(v) for v in start]
    folded = run_program(folded_inputs, steps)
    with Circuit():
        whole = run_program(whole_inputs, steps)
    assert whole._in0 is None and (folded._in0 is not None or steps[-1][0] in ("pow", "leaky"))
    for _ in range(2):
        folded.backward()
        whole.backward()
    assert folded.value == whole.value or math.isnan(whole.value)
    for f, w in zip(folded_inputs, whole_inputs):
        assert f.grad == w.grad or (math.isnan(f.grad) and math.isnan(w.grad))
