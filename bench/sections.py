"""The bench's sections: each checks that the engines agree, then times them.

Every section adds its :class:`~measure.Rounds` (and its floors) to a
:class:`Report`. A section never times an engine whose gradients it has not
first compared with the others' (or, for the long chain, checks every timed
run's answer and stops at the first wrong one).
"""

from __future__ import annotations

import functools
import gc
import math
import random
import time
from collections.abc import Callable
from typing import cast

import compat
import engines
import handwritten
import workloads as wl
from measure import (
    LIVE,
    Contestant,
    SelfTimed,
    Spread,
    collector_off,
    interleave,
    kept_bytes,
)
from results import Floor, Mismatch, Report, close


def _ours() -> wl.Engine:
    return engines.ours()


# -- neuron ---------------------------------------------------------------------


def neuron(report: Report) -> None:
    s = report.settings
    rng = random.Random(3)
    cases = [[rng.uniform(-2.0, 2.0) for _ in range(5)] for _ in range(s.neurons)]
    for args in cases[:50]:  # gradients agree with the hand-written ones
        _, expected = handwritten.neuron(*args)
        for e in report.engines:
            out, *leaves = wl.neuron(e, *args)
            e.backward(out)
            for leaf, want in zip(leaves, expected):
                close(e.grad(leaf), want, f"neuron grads, {e.name}")
    ours = _ours()
    ops = compat.count_ops(lambda: [wl.neuron(ours, *args)[0] for args in cases])

    def run_on(e: wl.Engine) -> Callable[[], object]:
        def run() -> None:
            for args in cases:
                e.backward(wl.neuron(e, *args)[0])

        return run

    contestants = [Contestant(e.name, run_on(e), ops) for e in report.engines]
    contestants.append(
        Contestant(
            "hand-written",
            lambda: [handwritten.neuron(*args) for args in cases],
            ops,
            note="reference: floats by hand, no graph",
        )
    )
    name = f"neuron x{s.neurons}"
    rounds = interleave(name, "ours", contestants, rounds=s.small_rounds, modes=s.modes)
    report.rounds.append(rounds)
    report.floor(f"{name}: ours / micrograd", rounds, "micrograd", 1.0)


# -- random circuits ------------------------------------------------------------


def random_circuits(report: Report) -> None:
    s = report.settings
    recipes = wl.random_recipes(s.random_circuits)
    reference: list[list[float]] = []
    for index, e in enumerate(report.engines):
        for k, (inputs, recipe) in enumerate(recipes[:200]):
            out, leaves = wl.run_recipe(e, inputs, recipe)
            e.backward(out)
            grads = [e.grad(leaf) for leaf in leaves]
            if index == 0:
                reference.append(grads)
            else:
                for g, want in zip(grads, reference[k]):
                    close(g, want, f"random circuit {k} grads, {e.name}", tol=1e-7)
    ours = _ours()
    ops = compat.count_ops(
        lambda: [wl.run_recipe(ours, inputs, recipe)[0] for inputs, recipe in recipes]
    )

    def run_on(e: wl.Engine) -> Callable[[], object]:
        def run() -> None:
            for inputs, recipe in recipes:
                e.backward(wl.run_recipe(e, inputs, recipe)[0])

        return run

    name = f"random circuits x{s.random_circuits}"
    contestants = [Contestant(e.name, run_on(e), ops) for e in report.engines]
    rounds = interleave(name, "ours", contestants, rounds=s.small_rounds, modes=s.modes)
    report.rounds.append(rounds)
    report.floor(f"{name}: ours / micrograd", rounds, "micrograd", 1.0)
    built = wl.recipe_ops(recipes)
    if built != ops:
        report.notes[name] = (
            f"{built:,} ops built, {ops:,} behind the outputs (the rest lead nowhere); "
            "every engine's time is divided by the latter"
        )


# -- the MLP: fresh build per step, and replay ----------------------------------


def _mlp_expected(points: int, activation: str) -> list[float]:
    xs, ys = wl.mlp_data(points)
    _, expected = handwritten.mlp_loss_and_grads(wl.mlp_weights(), xs, ys, activation)
    return [g for layer in expected for ws, b in layer for g in (*ws, b)]


def _mlp_name(report: Report, activation: str) -> str:
    return f"mlp 2-16-16-1 x{report.settings.mlp_points} {activation}"


def mlp(report: Report, activation: str) -> None:
    s = report.settings
    name = _mlp_name(report, activation)
    expected = _mlp_expected(s.mlp_points, activation)
    ours = _ours()
    ops = compat.count_ops(lambda: [wl.mlp_loss(wl.mlp_leaves(ours, s.mlp_points), activation)])
    contestants = []
    for e in report.engines:
        if activation == "tanh" and not e.has_tanh:
            continue
        leaves = wl.mlp_leaves(e, s.mlp_points)
        e.backward(wl.mlp_loss(leaves, activation))
        for p, want in zip(leaves.parameters(), expected):
            close(e.grad(p), want, f"{name} grads, {e.name}")

        def run(e: wl.Engine = e, leaves: wl.MLPLeaves = leaves) -> None:
            params = leaves.parameters()
            for _ in range(s.mlp_steps):
                e.zero(params)
                e.backward(wl.mlp_loss(leaves, activation))

        contestants.append(
            Contestant(e.name, run, ops * s.mlp_steps, note=f"{s.mlp_steps} x (build + backward)")
        )
    xs, ys = wl.mlp_data(s.mlp_points)
    weights = wl.mlp_weights()

    def by_hand() -> None:
        for _ in range(s.mlp_steps):
            handwritten.mlp_loss_and_grads(weights, xs, ys, activation)

    contestants.append(
        Contestant("hand-written", by_hand, ops * s.mlp_steps, note="reference: floats by hand")
    )
    rounds = interleave(name, "ours", contestants, rounds=s.rounds, modes=s.modes)
    report.rounds.append(rounds)
    if activation == "relu":
        report.floor(f"{name}: ours / micrograd", rounds, "micrograd", 0.35)


def replay(report: Report, activation: str = "relu") -> None:
    """A recorded ``Circuit`` of the MLP replayed, against the same by hand."""
    from circuits import Circuit

    s = report.settings
    name = f"{_mlp_name(report, activation)} replay"
    expected = _mlp_expected(s.mlp_points, activation)
    leaves = wl.mlp_leaves(_ours(), s.mlp_points)
    with Circuit() as c:
        wl.mlp_loss(leaves, activation)
    params = leaves.parameters()
    for p in params:
        p.value += 0.25  # replay must pick the new values up ...
    c.forward()
    for p in params:
        p.value -= 0.25  # ... and put them back
    c.forward()
    c.zero_grad()
    c.backward()
    for p, want in zip(params, expected):
        close(p.grad, want, f"{name} grads")
    ops = compat.count_ops(lambda: [c.output])

    def run() -> None:
        for _ in range(s.mlp_steps):
            c.forward()
            c.zero_grad()
            c.backward()

    # The same circuit replayed by calling each gate's own forward and
    # backward: compiled replay (circuits/_compiled.py) switched off, to show
    # what the project's one speed mechanism buys.
    plain_leaves = wl.mlp_leaves(_ours(), s.mlp_points)
    with Circuit() as plain:
        wl.mlp_loss(plain_leaves, activation)
    plain._fast_replay = lambda count=True: None  # type: ignore[method-assign]
    plain_params = plain_leaves.parameters()

    def run_plain() -> None:
        for _ in range(s.mlp_steps):
            plain.forward()
            plain.zero_grad()
            plain.backward()

    run_plain()
    for p, want in zip(plain_params, expected):
        close(p.grad, want, f"{name} grads, gates' own methods")

    xs, ys = wl.mlp_data(s.mlp_points)
    weights = wl.mlp_weights()

    def by_hand() -> None:
        for _ in range(s.mlp_steps):
            handwritten.mlp_loss_and_grads(weights, xs, ys, activation)

    steps = ops * s.mlp_steps
    contestants = [
        Contestant("ours replay", run, steps, note="forward + zero_grad + backward"),
        Contestant("ours, own methods", run_plain, steps, note="compiled replay off"),
        Contestant("hand-written", by_hand, steps, note="bench/handwritten.py"),
    ]
    rounds = interleave(name, "ours replay", contestants, rounds=s.rounds, modes=s.modes)
    report.rounds.append(rounds)
    report.floor(f"{name}: ours replay / hand-written", rounds, "hand-written", 5.0)
    # The mechanism must pay for its lines: at least twice as fast as without it.
    report.floor(f"{name}: compiled / gates' own methods", rounds, "ours, own methods", 0.5)


# -- the chain ------------------------------------------------------------------


def _power(n: int) -> str:
    """``n`` as 10^k when it is a power of ten, else written out."""
    k = round(math.log10(n))
    return f"10^{k}" if 10**k == n else f"{n:,}"


def _chain_run(e: wl.Engine, n: int) -> Callable[[], tuple[float, float]]:
    """Build the ``n``-gate chain and run backward (freeing it on return);
    returns (value, d out / d x0) for checking."""

    def run() -> tuple[float, float]:
        out, x0 = wl.chain(e, n)
        e.backward(out)
        return e.value(out), e.grad(x0)

    if e.recursive_backward:
        return lambda: engines.in_big_stack(run)
    return run


def _chain_build_and_backward(e: wl.Engine, n: int, repeats: int) -> Callable[[], SelfTimed]:
    """``repeats`` chains of ``n`` gates, timing only build + backward.

    For the collector-off growth test: each chain is freed outside the
    timer, and ``gc.collect(0)`` (cheap: only the objects made since the last
    collection) frees any reference cycles it has, as the collector would,
    so that an engine whose graphs are cycles reuses its memory too.
    """

    def run() -> SelfTimed:
        seconds = 0.0
        answer = (0.0, 0.0)
        for _ in range(repeats):
            start = time.perf_counter()
            out, x0 = wl.chain(e, n)
            e.backward(out)
            seconds += time.perf_counter() - start
            answer = (e.value(out), e.grad(x0))
            del out, x0
            gc.collect(0)
        return SelfTimed(seconds, answer)

    return run


def _chain_outputs(e: wl.Engine, n: int) -> list[wl.Leaf]:
    return [wl.chain(e, n)[0]]


def _chain_check(n: int, who: str) -> Callable[[object], None]:
    want_value, want_grad = handwritten.chain(n)

    def check(answer: object) -> None:
        value, grad = cast("tuple[float, float]", answer)
        close(value, want_value, f"chain {_power(n)} value, {who}")
        close(grad, want_grad, f"chain {_power(n)} grad, {who}")

    return check


def chain(report: Report) -> None:
    """Time per gate as the chain grows (ours, collector off), then every
    engine side by side at the long length with the collector on."""
    s = report.settings
    short, long = s.chain_short, s.chain_long
    ours = _ours()
    # n gates by construction; checked at the short length (at 10^6 an older
    # engine's gates_behind would spend seconds making gate objects)
    counted = compat.count_ops(functools.partial(_chain_outputs, ours, short))
    if counted != short:
        raise Mismatch(f"chain {_power(short)}: {counted} gates behind the output, not {short}")
    for e in report.engines:  # every engine agrees at the short length first
        _chain_check(short, e.name)(_chain_run(e, short)())

    # 1. ours alone: does the time per gate stay flat as the graph grows?
    repeats = s.chain_short_repeats
    growth = [
        Contestant(
            f"ours {_power(short)}",
            _chain_build_and_backward(ours, short, repeats),
            short * repeats,
            check=_chain_check(short, "ours"),
            note=f"{repeats} chains per run; build + backward timed, not freeing",
        ),
        Contestant(
            f"ours {_power(long)}",
            _chain_build_and_backward(ours, long, 1),
            long,
            check=_chain_check(long, "ours"),
            note="build + backward timed, not freeing",
        ),
    ]
    name = f"chain {_power(short)} vs {_power(long)}, gc off"
    with collector_off():  # freezing changes nothing with the collector off
        rounds = interleave(name, growth[1].name, growth, rounds=s.rounds, modes=(LIVE,))
    report.rounds.append(rounds)
    report.floor(
        f"chain per gate: {_power(long)} / {_power(short)} (ours, gc off)",
        rounds,
        growth[0].name,
        1.5,
    )

    # 2. every engine at the long length, collector on
    side = [
        Contestant(
            e.name,
            _chain_run(e, long),
            long,
            _chain_check(long, e.name),
            note="in a thread with a 1 GiB stack" if e.recursive_backward else "",
        )
        for e in report.engines
    ]
    side.append(
        Contestant(
            "hand-written", lambda: handwritten.chain(long), long, note="reference: floats by hand"
        )
    )
    name = f"chain {_power(long)}, gc on"
    rounds = interleave(name, "ours", side, rounds=s.long_rounds, modes=s.modes, warmup=False)
    report.rounds.append(rounds)
    for who, why in rounds.skipped.items():
        report.notes[f"{name}: {who}"] = f"n/a ({why})"


def memory(report: Report) -> None:
    """Bytes per gate that the built long chain keeps (tracemalloc), ours and
    micrograd; torch allocates in C++, out of tracemalloc's sight."""
    n = report.settings.chain_long
    kept: dict[str, float] = {}
    for e in report.engines:
        if e.name == "torch":
            continue
        kept_total, peak_total = kept_bytes(functools.partial(wl.chain, e, n))
        kept[e.name] = kept_total / n
        report.memory[e.name] = {
            "kept_bytes_per_gate": round(kept_total / n, 1),
            "peak_bytes_per_gate": round(peak_total / n, 1),
        }
    report.memory["workload"] = f"chain {_power(n)}, built and kept"
    if "micrograd" in kept:
        ratio = kept["ours"] / kept["micrograd"]
        label = f"memory per gate, chain {_power(n)}: ours / micrograd"
        report.floors.append(Floor(label, 0.3, {LIVE: Spread(ratio, ratio, ratio)}))
