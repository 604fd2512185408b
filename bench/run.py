"""Benchmarks against peers: ``python bench/run.py`` (see bench/README.md).

Runs, side by side in one process, this project and its peers (micrograd,
PyTorch scalar tensors, hand-written pure Python and NumPy) on the same
workloads, checks that their gradients agree before timing anything, and
prints a table of nanoseconds per scalar op plus one JSON line.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import math
import platform
import random
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the bench's own modules
sys.path.insert(1, str(HERE.parent))  # the project, when not installed

import engines  # noqa: E402
import handwritten  # noqa: E402
import workloads as wl  # noqa: E402
from measure import Figure, peak_bytes, timed  # noqa: E402

from gates import Unit  # noqa: E402
from gates.backprop import units_behind  # noqa: E402

Rows = list[Figure]


class Mismatch(AssertionError):
    pass


def close(a: float, b: float, what: str, tol: float = 1e-8) -> None:
    if not math.isclose(a, b, rel_tol=tol, abs_tol=tol):
        raise Mismatch(f"{what}: {a!r} != {b!r}")


def op_count(out: Unit) -> int:
    """The gates ``out`` depends on (one made unit each; counted without
    making the gate objects, which would leave cycles for the collector)."""
    return len(units_behind(out))


# -- sections -----------------------------------------------------------------


def neuron_section(eng: Sequence[wl.Engine], repeats: int, rows: Rows) -> None:
    rng = random.Random(3)
    cases = [[rng.uniform(-2.0, 2.0) for _ in range(5)] for _ in range(2_000)]
    ops = wl.NEURON_OPS * len(cases)
    for args in cases[:50]:  # gradients agree with the hand-written ones
        _, expected = handwritten.neuron(*args)
        for e in eng:
            out, *leaves = wl.neuron(e, *args)
            e.backward(out)
            for leaf, want in zip(leaves, expected):
                close(e.grad(leaf), want, f"neuron grads, {e.name}")

    def run_on(e: wl.Engine) -> Callable[[], object]:
        def run() -> None:
            for args in cases:
                out = wl.neuron(e, *args)[0]
                e.backward(out)

        return run

    for e in eng:
        rows.append(timed("neuron x2000", e.name, ops, run_on(e), repeats=repeats))
    rows.append(
        timed(
            "neuron x2000",
            "hand-written",
            ops,
            lambda: [handwritten.neuron(*args) for args in cases],
            repeats=repeats,
        )
    )


def mlp_section(eng: Sequence[wl.Engine], repeats: int, rows: Rows, activation: str) -> int:
    xs, ys = wl.mlp_data()
    weights = wl.mlp_weights()
    _, expected = handwritten.mlp_loss_and_grads(weights, xs, ys, activation)
    flat_expected = [g for layer in expected for ws, b in layer for g in (*ws, b)]
    ours = engines.ours()
    ops = op_count(wl.mlp_loss(wl.mlp_leaves(ours), activation))
    name = f"mlp 2-16-16-1 x64 {activation}"
    for e in eng:
        if activation == "tanh" and not e.has_tanh:
            continue
        leaves = wl.mlp_leaves(e)
        params = leaves.parameters()
        e.backward(wl.mlp_loss(leaves, activation))
        for p, want in zip(params, flat_expected):
            close(e.grad(p), want, f"{name} grads, {e.name}")

        def step(e: wl.Engine = e, leaves: wl.MLPLeaves = leaves) -> None:
            e.zero(leaves.parameters())
            e.backward(wl.mlp_loss(leaves, activation))

        rows.append(timed(name, e.name, ops, step, repeats=repeats, note="fresh build + backward"))
    rows.append(
        timed(
            name,
            "hand-written",
            ops,
            lambda: handwritten.mlp_loss_and_grads(weights, xs, ys, activation),
            repeats=repeats,
        )
    )
    replay_section(rows, repeats, name, ops, activation, flat_expected)
    return ops


def replay_section(
    rows: Rows, repeats: int, name: str, ops: int, activation: str, expected: list[float]
) -> None:
    from circuits import Circuit

    leaves = wl.mlp_leaves(engines.ours())
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
        close(p.grad, want, f"{name} replay grads")

    def step() -> None:
        c.forward()
        c.zero_grad()
        c.backward()

    rows.append(
        timed(name, "ours replay", ops, step, repeats=repeats, note="forward+zero_grad+backward")
    )


def chain_section(
    eng: Sequence[wl.Engine], repeats: int, rows: Rows, lengths: Sequence[int]
) -> None:
    for n in lengths:
        want_value, want_grad = handwritten.chain(n)
        for e in eng:
            if e.max_depth is not None and n > e.max_depth:
                continue
            if e.name == "torch" and n > 100_000:
                continue  # ~10 s per repeat; 10^5 already shows its slope
            if e.max_depth is not None:
                sys.setrecursionlimit(max(sys.getrecursionlimit(), 2 * n + 100))
            out, x0 = wl.chain(e, n)
            e.backward(out)
            close(e.value(out), want_value, f"chain {n} value, {e.name}")
            close(e.grad(x0), want_grad, f"chain {n} grad, {e.name}")
            del out, x0

            def run(e: wl.Engine = e, n: int = n) -> None:
                out, _ = wl.chain(e, n)
                e.backward(out)

            reps = repeats if n <= 100_000 else max(1, repeats // 2)
            fig = timed(f"chain 10^{round(math.log10(n))}", e.name, n, run, repeats=reps)
            if e.name == "ours":
                fig.bytes_per_op = peak_bytes(lambda e=e, n=n: wl.chain(e, n)) / n
                fig.note = "build + backward; memory = peak traced while built"
            rows.append(fig)
        rows.append(
            timed(
                f"chain 10^{round(math.log10(n))}",
                "hand-written",
                n,
                lambda n=n: handwritten.chain(n),
                repeats=repeats,
            )
        )


def random_section(eng: Sequence[wl.Engine], repeats: int, rows: Rows) -> None:
    recipes = wl.random_recipes(2_000)
    ops = wl.recipe_ops(recipes)
    reference: list[list[float]] = []
    for index, e in enumerate(eng):
        for k, (inputs, recipe) in enumerate(recipes[:200]):
            out, leaves = wl.run_recipe(e, inputs, recipe)
            e.backward(out)
            grads = [e.grad(leaf) for leaf in leaves]
            if index == 0:
                reference.append(grads)
            else:
                for g, want in zip(grads, reference[k]):
                    close(g, want, f"random circuit {k} grads, {e.name}", tol=1e-7)

        def run(e: wl.Engine = e) -> None:
            for inputs, recipe in recipes:
                out, _ = wl.run_recipe(e, inputs, recipe)
                e.backward(out)

        rows.append(timed("random circuits x2000", e.name, ops, run, repeats=repeats))


def overhead_section(rows: Rows, repeats: int) -> dict[str, float]:
    """What the observer hook costs when nobody listens.

    A build of the engine without the hook does not exist, so two figures
    bound it: the ``if _observers`` test alone, and the whole bookkeeping
    wrapper (``gate.forward`` versus the raw method it wraps), each relative
    to a full sugar op.
    """
    from gates import MultGate
    from gates.observe import _observers

    a, b = Unit(2.0), Unit(3.0)
    n = 200_000
    gate = MultGate()
    raw = MultGate._raw_forward

    def loop_raw() -> None:
        for _ in range(n):
            raw(gate, a, b)

    def loop_wrapped() -> None:
        for _ in range(n):
            gate.forward(a, b)

    def loop_check() -> None:
        for _ in range(n):
            if _observers:
                pass

    def loop_empty() -> None:
        for _ in range(n):
            pass

    def loop_sugar() -> None:
        for _ in range(n):
            a * b

    figs = {
        name: timed("observer hook", name, n, fn, repeats=repeats)
        for name, fn in (
            ("raw forward", loop_raw),
            ("gate.forward", loop_wrapped),
            ("observer test", loop_check),
            ("empty loop", loop_empty),
            ("sugar a*b", loop_sugar),
        )
    }
    rows.extend(figs.values())
    sugar = figs["sugar a*b"].ns_per_op
    check = max(0.0, figs["observer test"].ns_per_op - figs["empty loop"].ns_per_op)
    wrapper = figs["gate.forward"].ns_per_op - figs["raw forward"].ns_per_op
    return {
        "observer_test_ns": round(check, 2),
        "observer_test_share_of_sugar_op": round(check / sugar, 4),
        "bookkeeping_ns": round(wrapper, 2),
        "bookkeeping_share_of_sugar_op": round(wrapper / sugar, 4),
    }


# -- report ---------------------------------------------------------------------


def ratio_rows(rows: Rows) -> dict[str, dict[str, float]]:
    """Per workload: each engine's ns/op divided by ours."""
    by_workload: dict[str, dict[str, float]] = {}
    for fig in rows:
        by_workload.setdefault(fig.workload, {})[fig.engine] = fig.ns_per_op
    return by_workload


def targets(rows: Rows, batched: dict[str, Any]) -> dict[str, Any]:
    table = ratio_rows(rows)
    out: dict[str, Any] = {}
    mlp = table.get("mlp 2-16-16-1 x64 relu", {})
    if "micrograd" in mlp:
        out["fresh_vs_micrograd"] = round(mlp["ours"] / mlp["micrograd"], 4)
        out["replay_vs_micrograd_fresh"] = round(mlp["ours replay"] / mlp["micrograd"], 4)
    out["replay_vs_handwritten"] = round(mlp["ours replay"] / mlp["hand-written"], 3)
    chains = {k: v["ours"] for k, v in table.items() if k.startswith("chain") and "ours" in v}
    if "chain 10^3" in chains and "chain 10^6" in chains:
        out["chain_time_1e6_vs_1e3"] = round(chains["chain 10^6"] / chains["chain 10^3"], 3)
    mem = {f.workload: f.bytes_per_op for f in rows if f.bytes_per_op is not None}
    if "chain 10^3" in mem and "chain 10^6" in mem:
        out["chain_memory_1e6_vs_1e3"] = round(mem["chain 10^6"] / mem["chain 10^3"], 3)  # type: ignore[operator]
    out.update(batched)
    return out


def print_table(rows: Rows, extra: dict[str, Any]) -> None:
    try:
        from rich.console import Console
        from rich.table import Table
    except ImportError:  # pragma: no cover - rich is a project dependency
        for fig in rows:
            print(fig.as_json())
        return
    table = Table(title="ns per scalar op (median of repeats; lower is better)")
    for col in ("workload", "engine", "ops", "ns/op", "spread", "x ours", "bytes/op", "note"):
        table.add_column(
            col,
            justify="right" if col in {"ops", "ns/op", "spread", "x ours", "bytes/op"} else "left",
        )
    ours_by_workload = {f.workload: f.ns_per_op for f in rows if f.engine == "ours"}
    last = None
    for fig in rows:
        if last is not None and fig.workload != last:
            table.add_section()
        last = fig.workload
        base = ours_by_workload.get(fig.workload)
        table.add_row(
            fig.workload,
            fig.engine,
            f"{fig.ops:,}",
            f"{fig.ns_per_op:,.1f}",
            f"{fig.spread:.0%}",
            f"{fig.ns_per_op / base:.2f}" if base else "",
            f"{fig.bytes_per_op:,.0f}" if fig.bytes_per_op is not None else "",
            fig.note,
        )
    console = Console(width=160)
    console.print(table)
    console.print_json(data=extra)


def freeze_imports() -> int:
    """Hide what the imports allocated from the garbage collector; returns how much.

    Every full collection walks every tracked object in the process. Importing
    torch brings ~150k of them, which a user of micrograd or of this project
    does not have; left in sight, each full collection here would walk them
    all and charge every engine for torch's import (measured: our MLP build
    2.4x slower, micrograd's 1.3x). ``gc.freeze()`` moves the objects that
    exist now out of the collector's sight, for every engine alike; the
    collector itself stays on. ``--live-imports`` skips this.
    """
    with contextlib.suppress(ImportError):
        import numpy  # noqa: F401  (imported now so that its objects are frozen too)
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per row")
    parser.add_argument("--quick", action="store_true", help="2 repeats, chains up to 10^5")
    parser.add_argument("--only", default="", help="comma-separated sections to run")
    parser.add_argument(
        "--live-imports",
        action="store_true",
        help="leave the imported modules (torch's alone are ~150k objects) in the "
        "garbage collector's sight, as a process that imports every peer has them",
    )
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else args.repeats
    lengths = (1_000, 100_000) if args.quick else (1_000, 100_000, 1_000_000)
    eng, missing = engines.available()
    frozen = 0 if args.live_imports else freeze_imports()
    sections = (
        set(args.only.split(","))
        if args.only
        else {"neuron", "mlp", "tanh", "chain", "random", "batched", "overhead"}
    )
    rows: Rows = []
    extra: dict[str, Any] = {}
    started = time.perf_counter()
    if "neuron" in sections:
        neuron_section(eng, repeats, rows)
    if "mlp" in sections:
        mlp_section(eng, repeats, rows, "relu")
    if "tanh" in sections:
        mlp_section(eng, repeats, rows, "tanh")
    if "chain" in sections:
        chain_section(eng, repeats, rows, lengths)
    if "random" in sections:
        random_section(eng, repeats, rows)
    batched: dict[str, Any] = {}
    if "batched" in sections:
        import batch_bench

        batched = batch_bench.batched_section(rows, repeats, eng)
    if "overhead" in sections:
        extra["observer_hook"] = overhead_section(rows, repeats)
    if {"mlp"} <= sections:
        extra["targets"] = targets(rows, batched)
    extra["missing_peers"] = missing
    print_table(rows, extra)
    record = {
        "bench": "backprop-circuits",
        "python": platform.python_version(),
        "gc_enabled": gc.isenabled(),
        "frozen_import_objects": frozen,
        "seconds": round(time.perf_counter() - started, 1),
        "rows": [f.as_json() for f in rows],
        **extra,
    }
    print(json.dumps(record, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
