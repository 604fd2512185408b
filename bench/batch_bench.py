"""The batched section: one sample's MLP circuit run over a batch of 1024.

Run twice: as ``Circuit.batched()`` compiles it (each layer of neurons as
matrix products) and with ``fuse=False`` (one array operation per gate).
Compared with NumPy written by hand twice (one array operation per scalar
op, the program the unfused replay runs; and with matrix products, what a
person would write) and, per sample-op, with micrograd's fresh scalar build.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import handwritten
import workloads as wl
from measure import Figure, timed

from gates import Unit

BATCH = 1024


def _one_sample(activation: str) -> tuple[Any, list[Unit], Unit, Unit, Unit, int]:
    """Record the MLP loss of one point; returns the circuit, parameters, x0, x1, -y, ops."""
    from circuits import Circuit

    weights = wl.mlp_weights()
    layers = [[([Unit(w) for w in ws], Unit(b)) for ws, b in layer] for layer in weights]
    x0, x1 = Unit(0.0, requires_grad=False), Unit(0.0, requires_grad=False)
    neg_y = Unit(0.0, requires_grad=False)
    leaves = wl.MLPLeaves(layers=layers, xs=[[x0, x1]], neg_ys=[neg_y])
    with Circuit() as c:
        wl.mlp_loss(leaves, activation)
    return c, leaves.parameters(), x0, x1, neg_y, len(c)


def batched_section(
    rows: list[Figure], repeats: int, engines: Sequence[wl.Engine]
) -> dict[str, Any]:
    import numpy as np

    from circuits.batched import BatchedCircuit

    activation = "relu"  # micrograd, the per-op reference, has no tanh
    xs, ys = wl.mlp_data(BATCH, seed=5)
    X, Y = np.array(xs), np.array(ys)
    c, params, x0, x1, neg_y, ops = _one_sample(activation)
    batch = c.batched()
    unfused = BatchedCircuit(c, fuse=False)
    if len(batch.layers) != 3:
        raise AssertionError(f"batched() found {len(batch.layers)} layers in the MLP, not 3")
    feeds = {x0: X[:, 0], x1: X[:, 1], neg_y: -Y}
    weights = wl.mlp_weights()

    # gradients agree: batched replay (both ways), pure Python by hand, both NumPy versions
    result = batch.run(feeds)
    plain = unfused.run(feeds)
    _, by_hand = handwritten.mlp_loss_and_grads(weights, xs, ys, activation)
    _, elementwise = handwritten.numpy_mlp_elementwise(np, weights, X[:, 0], X[:, 1], Y, activation)
    _, matrix = handwritten.numpy_mlp_matrix(np, weights, X, Y, activation)
    flat = [
        [g for layer in gs for ws, b in layer for g in (*ws, b)]
        for gs in (by_hand, elementwise, matrix)
    ]
    for p, want, e, m in zip(params, *flat):
        for other in (want, e, m, plain.grads[p]):
            if abs(result.grads[p] - other) > 1e-7 * max(1.0, abs(other)):
                raise AssertionError(f"batched grads disagree: {result.grads[p]} vs {other}")

    sample_ops = ops * BATCH
    figs = [
        timed(
            "mlp batch 1024",
            "ours batched",
            sample_ops,
            lambda: batch.run(feeds),
            repeats=repeats,
            note=f"{ops} gates x {BATCH} samples, {len(batch.layers)} layers as matmuls",
        ),
        timed(
            "mlp batch 1024",
            "ours unfused",
            sample_ops,
            lambda: unfused.run(feeds),
            repeats=repeats,
            note="fuse=False: one array op per gate",
        ),
        timed(
            "mlp batch 1024",
            "numpy per-op",
            sample_ops,
            lambda: handwritten.numpy_mlp_elementwise(np, weights, X[:, 0], X[:, 1], Y, activation),
            repeats=repeats,
            note="hand-written, one array op per scalar op",
        ),
        timed(
            "mlp batch 1024",
            "numpy matmul",
            sample_ops,
            lambda: handwritten.numpy_mlp_matrix(np, weights, X, Y, activation),
            repeats=repeats,
            note="hand-written, matrix products",
        ),
    ]
    rows.extend(figs)
    ours, unfused_ns, per_op, matmul = (f.ns_per_op for f in figs)
    out: dict[str, Any] = {
        "batched_ns_per_sample_op": round(ours, 3),
        "batched_unfused_vs_numpy_per_op": round(unfused_ns / per_op, 3),
        "batched_vs_numpy_per_op": round(ours / per_op, 3),
        "batched_vs_numpy_matmul": round(ours / matmul, 3),
    }
    micrograd = [f for f in rows if f.engine == "micrograd" and f.workload.startswith("mlp ")]
    if micrograd:
        out["micrograd_fresh_vs_batched"] = round(micrograd[0].ns_per_op / ours, 1)
    return out
