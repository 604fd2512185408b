"""gates.observe: observers see their own thread's gate calls, as plain facts."""

from __future__ import annotations

import threading

import pytest

from gates import BackwardStep, Gate, GateObserver, Unit, watch, watching
from gates.observe import watchers


class Log(GateObserver):
    def __init__(self) -> None:
        self.forwards: list[Gate] = []
        self.steps: list[BackwardStep] = []

    def gate_forward(self, gate: Gate, inputs: object, output: Unit, previous: object) -> None:
        self.forwards.append(gate)

    def gate_backward(self, step: BackwardStep) -> None:
        self.steps.append(step)


def test_backward_steps_carry_the_grads_a_user_reads_and_this_passs_share() -> None:
    # The recurrence's h2 pass: h1 already holds 1.0 from h1.backward(); the
    # h2 pass sends 0.5 more through it, so a user reads 1.5 there.
    w, wh = Unit(0.3, label="w"), Unit(0.5, label="wh")
    x1, x2 = Unit(1.0, requires_grad=False), Unit(1.0, requires_grad=False)
    h1 = w * x1
    h2 = w * x2 + wh * h1
    h1.backward()
    with watching(Log()) as log:
        h2.backward()
    (h1_step,) = [s for s in log.steps if s.gate is h1.gate]
    assert (h1_step.output_grad, h1_step.upstream) == (1.5, 0.5)
    (change,) = h1_step.changes  # x1 is a constant: no change reported for it
    assert (change.unit, change.before, change.after) == (w, 1.0, 1.5)  # before w*x2 runs
    (into_h1,) = [s for s in log.steps if h1 in s.gate.inputs]
    assert [(c.unit, c.before, c.after) for c in into_h1.changes] == [
        (wh, 0.0, 0.3),
        (h1, 1.0, 1.5),
    ]


def test_a_unit_fed_twice_is_one_change() -> None:
    p = Unit(3.0)
    with watching(Log()) as log:
        (p * p).backward()
    (step,) = log.steps
    assert [(c.position, c.added) for c in step.changes] == [(0, 6.0)]


def test_observers_see_only_the_thread_that_started_them() -> None:
    done = threading.Event()
    started = threading.Event()

    def other() -> None:
        started.set()
        while not done.is_set():
            Unit(5.0) * Unit(7.0)

    thread = threading.Thread(target=other)
    thread.start()
    started.wait()
    try:
        w = Unit(2.0)
        with watching(Log()) as log:
            for _ in range(200):
                w * w
    finally:
        done.set()
        thread.join()
    assert len(log.forwards) == 200
    assert all(g.inputs == (w, w) for g in log.forwards)
    assert watchers() == []


def test_only_observers_are_accepted() -> None:
    with pytest.raises(TypeError, match=r"subclass gates\.GateObserver"):
        watch(object())  # type: ignore[arg-type]
