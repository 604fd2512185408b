"""The practical limits: each workload written out by hand, no graph at all.

Pure-Python forward and reverse code on floats (what a scalar engine can at
best approach) and, for batches, NumPy code written by hand twice: once with
one array operation per scalar op of the circuit (the same program as a
batched replay) and once with matrix products (what a person would write).
"""

from __future__ import annotations

import math
from typing import Any

Weights = list[list[tuple[list[float], float]]]


def neuron(a: float, b: float, c: float, x: float, y: float) -> tuple[float, list[float]]:
    """relu(a*x + b*y + c) and its gradient with respect to (a, b, c, x, y)."""
    s = a * x + b * y + c
    out = s if s > 0.0 else 0.0
    g = 1.0 if s > 0.0 else 0.0
    return out, [x * g, y * g, g, a * g, b * g]


def mlp_loss_and_grads(
    weights: Weights, xs: list[list[float]], ys: list[float], activation: str = "relu"
) -> tuple[float, Weights]:
    """The MLP workload's loss and its gradient, by hand: forward, then reverse."""
    gw = [[[0.0] * len(ws) for ws, _ in layer] for layer in weights]
    gb = [[0.0] * len(layer) for layer in weights]
    last = len(weights) - 1
    tanh = activation == "tanh"
    loss = 0.0
    for x, y in zip(xs, ys):
        # forward: keep every layer's input and activation
        inputs = [x]
        acts: list[list[float]] = []
        h = x
        for index, layer in enumerate(weights):
            out = []
            for ws, b in layer:
                s = b
                for w, xi in zip(ws, h):
                    s += w * xi
                if index == last:
                    out.append(s)
                elif tanh:
                    out.append(math.tanh(s))
                else:
                    out.append(s if s > 0.0 else 0.0)
            acts.append(out)
            h = out
            inputs.append(h)
        d = h[0] - y
        loss += d * d
        # reverse
        g_out = [2.0 * d]
        for index in range(last, -1, -1):
            layer = weights[index]
            h_in = inputs[index]
            g_in = [0.0] * len(h_in)
            for n, (ws, _) in enumerate(layer):
                g = g_out[n]
                if index != last:
                    a = acts[index][n]
                    g *= (1.0 - a * a) if tanh else (1.0 if a > 0.0 else 0.0)
                gb[index][n] += g
                row = gw[index][n]
                for i, (w, xi) in enumerate(zip(ws, h_in)):
                    row[i] += xi * g
                    g_in[i] += w * g
            g_out = g_in
    result = [
        [(gw[li][n], gb[li][n]) for n in range(len(layer))] for li, layer in enumerate(weights)
    ]
    return loss, result


def chain(length: int) -> tuple[float, float]:
    """The chain workload (x*w and x+b alternating) and d out / d x0."""
    w, b = 1.0000001, 1e-7
    x = 0.5
    for i in range(length):
        x = x * w if i % 2 == 0 else x + b
    grad = 1.0
    for i in range(length - 1, -1, -1):
        if i % 2 == 0:
            grad *= w
    return x, grad


# -- NumPy, for batches ------------------------------------------------------


def numpy_mlp_elementwise(
    np: Any, weights: Weights, x0: Any, x1: Any, y: Any, activation: str = "tanh"
) -> tuple[float, Weights]:
    """One array operation per scalar op, as a batched replay runs it.

    Returns the loss summed over the batch and parameter grads summed over it.
    """
    tanh = activation == "tanh"
    last = len(weights) - 1
    h: list[Any] = [x0, x1]
    saved = []
    for index, layer in enumerate(weights):
        out = []
        for ws, b in layer:
            s = b
            for w, xi in zip(ws, h):
                s = s + w * xi
            if index != last:
                s = np.tanh(s) if tanh else np.maximum(s, 0.0)
            out.append(s)
        saved.append((h, out))
        h = out
    d = h[0] - y
    loss = float(np.sum(d * d))
    g_out = [2.0 * d]
    grads: Weights = []
    for index in range(last, -1, -1):
        h_in, acts = saved[index]
        layer_grads = []
        g_in = [0.0 * h_in[0] for _ in h_in]
        for n, (ws, _) in enumerate(weights[index]):
            g = g_out[n]
            if index != last:
                a = acts[n]
                g = g * (1.0 - a * a) if tanh else g * (a > 0.0)
            row = []
            for i, (w, xi) in enumerate(zip(ws, h_in)):
                row.append(float(np.sum(xi * g)))
                g_in[i] = g_in[i] + w * g
            layer_grads.append((row, float(np.sum(g))))
        grads.insert(0, layer_grads)
        g_out = g_in
    return loss, grads


def numpy_mlp_matrix(
    np: Any, weights: Weights, x: Any, y: Any, activation: str = "tanh"
) -> tuple[float, Weights]:
    """The same MLP with matrix products: the fastest way to write it by hand."""
    tanh = activation == "tanh"
    mats = [np.array([ws for ws, _ in layer]).T for layer in weights]
    biases = [np.array([b for _, b in layer]) for layer in weights]
    last = len(weights) - 1
    hs = [x]
    h = x
    for index, (m, b) in enumerate(zip(mats, biases)):
        s = h @ m + b
        if index != last:
            s = np.tanh(s) if tanh else np.maximum(s, 0.0)
        hs.append(s)
        h = s
    d = h[:, 0] - y
    loss = float(d @ d)
    g = (2.0 * d)[:, None]
    grads: Weights = []
    for index in range(last, -1, -1):
        if index != last:
            a = hs[index + 1]
            g = g * (1.0 - a * a) if tanh else g * (a > 0.0)
        gm = hs[index].T @ g
        gb = g.sum(axis=0)
        grads.insert(0, [(list(gm[:, n]), float(gb[n])) for n in range(gm.shape[1])])
        g = g @ mats[index].T
    return loss, grads
