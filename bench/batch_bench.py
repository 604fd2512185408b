"""The batched section: one sample's MLP circuit replayed over a batch of 1,024.

Contestants, timed in interleaved rounds: ``Circuit.batched()`` as it
compiles the circuit (each layer of neurons as matrix products), the same
with ``fuse=False`` (one array operation per gate) where the engine has it,
and NumPy written by hand twice (one array operation per scalar op, the
program the unfused replay runs; and with matrix products, what a person
would write). Figures are per sample-op: the gates of one sample times the
batch.
"""

from __future__ import annotations

from typing import Any

import compat
import handwritten
import workloads as wl
from measure import Contestant, interleave
from results import Mismatch, Report

from gates import Unit


def _one_sample(activation: str) -> tuple[Any, list[Unit], Unit, Unit, Unit]:
    """Record the MLP loss of one point; returns the circuit, parameters, x0, x1, -y."""
    from circuits import Circuit

    layers = [[([Unit(w) for w in ws], Unit(b)) for ws, b in layer] for layer in wl.mlp_weights()]
    x0, x1 = Unit(0.0, requires_grad=False), Unit(0.0, requires_grad=False)
    neg_y = Unit(0.0, requires_grad=False)
    leaves = wl.MLPLeaves(layers=layers, xs=[[x0, x1]], neg_ys=[neg_y])
    with Circuit() as c:
        wl.mlp_loss(leaves, activation)
    return c, leaves.parameters(), x0, x1, neg_y


def batched(report: Report) -> None:
    import numpy as np

    s = report.settings
    activation = "relu"
    xs, ys = wl.mlp_data(s.batch, seed=5)
    X, Y = np.array(xs), np.array(ys)
    c, params, x0, x1, neg_y = _one_sample(activation)
    fused = compat.batched(c)
    layers = getattr(fused, "layers", None)
    if layers is not None and len(layers) != 3:
        raise Mismatch(f"batched() found {len(layers)} layers in the MLP, not 3")
    try:
        unfused: Any = compat.batched(c, fuse=False)
    except TypeError:
        unfused = None
        report.notes["batched unfused"] = "n/a: this engine's batched() has no fuse=False"
    feeds = {x0: X[:, 0], x1: X[:, 1], neg_y: -Y}
    weights = wl.mlp_weights()

    # gradients agree: batched replay (both ways), pure Python by hand, both NumPy versions
    result = fused.run(feeds)
    _, by_hand = handwritten.mlp_loss_and_grads(weights, xs, ys, activation)
    _, elementwise = handwritten.numpy_mlp_elementwise(np, weights, X[:, 0], X[:, 1], Y, activation)
    _, matrix = handwritten.numpy_mlp_matrix(np, weights, X, Y, activation)
    flat = [
        [g for layer in gs for ws, b in layer for g in (*ws, b)]
        for gs in (by_hand, elementwise, matrix)
    ]
    plain = unfused.run(feeds).grads if unfused is not None else None
    for p, *others in zip(params, *flat):
        if plain is not None:
            others.append(plain[p])
        for other in others:
            if abs(result.grads[p] - other) > 1e-7 * max(1.0, abs(other)):
                raise Mismatch(f"batched grads disagree: {result.grads[p]} vs {other}")

    ops = compat.count_ops(lambda: [c.output]) * s.batch * s.batch_steps

    def repeated(run: Any) -> Any:
        def steps() -> None:
            for _ in range(s.batch_steps):
                run()

        return steps

    fused_note = f"{len(layers)} layers as matrix products" if layers is not None else ""
    contestants = [
        Contestant("ours batched", repeated(lambda: fused.run(feeds)), ops, note=fused_note)
    ]
    if unfused is not None:
        contestants.append(
            Contestant(
                "ours unfused",
                repeated(lambda: unfused.run(feeds)),
                ops,
                note="fuse=False: one array op per gate",
            )
        )
    contestants += [
        Contestant(
            "numpy per-op",
            repeated(
                lambda: handwritten.numpy_mlp_elementwise(
                    np, weights, X[:, 0], X[:, 1], Y, activation
                )
            ),
            ops,
            note="by hand, one array op per scalar op",
        ),
        Contestant(
            "numpy matmul",
            repeated(lambda: handwritten.numpy_mlp_matrix(np, weights, X, Y, activation)),
            ops,
            note="by hand, matrix products",
        ),
    ]
    name = f"mlp batch {s.batch} {activation}"
    rounds = interleave(name, "ours batched", contestants, rounds=s.rounds, modes=s.modes)
    report.rounds.append(rounds)
    report.floor(f"{name}: ours batched / numpy matmul", rounds, "numpy matmul", 2.0)
