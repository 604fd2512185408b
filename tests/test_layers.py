"""circuits._layers: neuron layers found in a gate list, run by batched replay as matrix products.

Every answer is checked against the scalar engine run once per sample, with
the grads added up: code that shares nothing with the fused program.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable, Sequence

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from circuits import Circuit
from circuits._layers import find_layers
from circuits.batched import BatchedCircuit
from circuits.examples.mlp import ACTIVATIONS, activate
from gates import Unit

np = pytest.importorskip("numpy")


def per_sample(
    c: Circuit,
    output: Unit,
    takers: Sequence[Unit],
    fed: Sequence[Unit],
    rows: Sequence[Sequence[float]],
) -> tuple[list[float], dict[Unit, float]]:
    """The scalar engine's answer: replay once per sample, add the grads up."""
    saved = [u.value for u in fed]
    totals = dict.fromkeys(takers, 0.0)
    outputs = []
    for row in rows:
        for unit, value in zip(fed, row):
            unit.value = value
        c.forward()
        outputs.append(output.value)
        c.zero_grad()
        c.backward(output)
        for unit in takers:
            totals[unit] += unit.grad
    for unit, value in zip(fed, saved):
        unit.value = value
    c.forward()
    c.zero_grad()
    return outputs, totals


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)


def assert_matches_scalar(
    batch: BatchedCircuit, c: Circuit, fed: Sequence[Unit], rows: Sequence[Sequence[float]]
) -> None:
    takers = [u for u in batch.inputs if u.requires_grad]
    want_out, want_grads = per_sample(c, batch.output, takers, fed, rows)
    columns = np.array(rows, dtype=float).reshape(len(rows), len(fed))
    result = batch.run({u: columns[:, i] for i, u in enumerate(fed)})
    assert len(result.outputs) == len(rows)
    for got, want in zip(result.outputs, want_out):
        assert close(got, want), (got, want)
    assert set(result.grads) == set(want_grads)
    for unit, want in want_grads.items():
        assert close(result.grads[unit], want), (unit, result.grads[unit], want)


class Net:
    """An MLP written as people write neurons: ``s = b; s = s + w * x; act(s)``."""

    def __init__(
        self,
        sizes: Sequence[int],
        *,
        activation: str = "tanh",
        bias: bool = True,
        x_first: bool = False,
        seed: int = 0,
    ) -> None:
        rng = random.Random(seed)
        self.activation = activation
        self.x_first = x_first  # x * w rather than w * x
        self.layers = [
            [
                (
                    [Unit(rng.uniform(-1.0, 1.0)) for _ in range(fan_in)],
                    Unit(rng.uniform(-0.5, 0.5)) if bias else None,
                )
                for _ in range(fan_out)
            ]
            for fan_in, fan_out in itertools.pairwise(sizes)
        ]

    def neuron(self, ws: Sequence[Unit], b: Unit | None, xs: Sequence[Unit]) -> Unit:
        terms = [x * w if self.x_first else w * x for w, x in zip(ws, xs)]
        s = terms[0] if b is None else b + terms[0]
        for term in terms[1:]:
            s = s + term
        return s

    def __call__(self, xs: Sequence[Unit]) -> list[Unit]:
        h = list(xs)
        for depth, layer in enumerate(self.layers):
            sums = [self.neuron(ws, b, h) for ws, b in layer]
            last = depth == len(self.layers) - 1
            h = sums if last else [activate(s, self.activation) for s in sums]
        return h

    def parameters(self) -> list[Unit]:
        return [p for layer in self.layers for ws, b in layer for p in (*ws, b) if p is not None]


def squared_error(
    net: Net, n_inputs: int, *, grad_inputs: bool = False
) -> tuple[Circuit, Unit, list[Unit], Unit]:
    """Record ``(net(x)[0] - y)**2`` for one point; returns circuit, loss, xs, y."""
    xs = [Unit(0.0, requires_grad=grad_inputs) for _ in range(n_inputs)]
    y = Unit(0.0, requires_grad=False)
    with Circuit() as c:
        d = net(xs)[0] - y
        loss = d * d
    return c, loss, xs, y


def rows_for(count: int, width: int, seed: int = 1) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-2.0, 2.0) for _ in range(width)] for _ in range(count)]


def operations(batch: BatchedCircuit) -> int:
    """Statements in the generated code."""
    return len(batch.source.splitlines()) - 1


# -- the fusion happens --------------------------------------------------------


def test_an_mlp_runs_as_one_matrix_product_per_layer() -> None:
    net = Net((2, 16, 16, 1), activation="relu")
    c, _, xs, y = squared_error(net, 2)
    batch = c.batched()
    shapes = [(len(layer.weights), len(layer.inputs)) for layer in batch.layers]
    assert shapes == [(16, 2), (16, 16), (1, 16)]
    assert [layer.activation for layer in batch.layers] == ["relu", "relu", None]
    assert batch.source.count(" @ ") == 3 + 5  # forward 3; backward dW 3, dX 2 (x takes none)
    plain = c.batched(fuse=False)
    assert " @ " not in plain.source and plain.layers == []
    assert operations(batch) < operations(plain) / 20  # 642 gates' code down to a few lines
    assert_matches_scalar(batch, c, [*xs, y], rows_for(7, 3))


def test_fused_and_unfused_programs_agree_on_a_big_batch() -> None:
    net = Net((3, 8, 5, 1), activation="tanh", seed=3)
    c, _, xs, y = squared_error(net, 3, grad_inputs=True)
    feeds = {u: np.random.default_rng(0).normal(size=1000) for u in (*xs, y)}
    fused = c.batched().run(feeds)
    plain = BatchedCircuit(c, fuse=False).run(feeds)
    assert fused.outputs == pytest.approx(plain.outputs, rel=1e-12, abs=1e-12)
    assert fused.grads.keys() == plain.grads.keys()
    for unit, want in plain.grads.items():
        assert fused.grads[unit] == pytest.approx(want, rel=1e-10, abs=1e-10)


def test_weights_are_read_at_each_run() -> None:
    net = Net((2, 3, 1))
    c, _, xs, y = squared_error(net, 2)
    batch = c.batched()
    assert batch.layers
    rows = rows_for(4, 3)
    assert_matches_scalar(batch, c, [*xs, y], rows)
    for p in net.parameters():
        p.value += 0.25  # a training step
    assert_matches_scalar(batch, c, [*xs, y], rows)


@given(
    sizes=st.lists(st.integers(1, 4), min_size=2, max_size=4),
    activation=st.sampled_from(ACTIVATIONS),
    bias=st.booleans(),
    x_first=st.booleans(),
    grad_inputs=st.booleans(),
    feed_inputs=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_mlps_of_any_shape_match_per_sample_scalar_backward(
    sizes: list[int],
    activation: str,
    bias: bool,
    x_first: bool,
    grad_inputs: bool,
    feed_inputs: bool,
    seed: int,
) -> None:
    net = Net(sizes, activation=activation, bias=bias, x_first=x_first, seed=seed)
    c, _, xs, y = squared_error(net, sizes[0], grad_inputs=grad_inputs)
    for x, value in zip(xs, rows_for(1, sizes[0], seed)[0]):
        x.value = value  # inputs that are not fed keep this value for every sample
    fed = [*xs, y] if feed_inputs else [y]
    batch = c.batched()
    needed = [*sizes[:-1], 1]  # the loss reads the first output only
    if any(a * b > 1 and (bias or a > 1) for a, b in itertools.pairwise(needed)):
        # (a lone product is no sum; a layer of one product is left to the gates)
        assert batch.layers
    assert_matches_scalar(batch, c, fed, rows_for(3, len(fed), seed + 1))


def test_the_output_may_be_a_layers_own_output() -> None:
    net = Net((3, 4, 2), activation="sigmoid")
    xs = [Unit(0.0, requires_grad=False) for _ in range(3)]
    with Circuit() as c:
        scores = net(xs)
    batch = c.batched(scores[1])
    assert [len(layer.weights) for layer in batch.layers] == [4, 1]  # only what scores[1] needs
    assert_matches_scalar(batch, c, xs, rows_for(5, 3))


def test_a_layer_read_by_two_layers_and_by_single_gates() -> None:
    rng = random.Random(4)
    xs = [Unit(0.0, requires_grad=False) for _ in range(3)]
    hidden = Net((3, 4), seed=1)
    head_a, head_b = Net((4, 2), seed=2), Net((4, 1), seed=3)
    skip = Unit(rng.uniform(-1, 1))
    with Circuit() as c:
        h = [s.tanh() for s in hidden(xs)]
        a = head_a(h)  # reads the hidden layer's matrix
        b = head_b(h[::-1])  # its columns, reversed
        out = a[0] * a[1] + b[0] + skip * h[2]  # and h[2] on its own
    batch = c.batched()
    assert [len(layer.weights) for layer in batch.layers] == [4, 2, 1]
    assert "G0 = dX1 + columns(n, " in batch.source  # grads from the matrix and by column
    assert_matches_scalar(batch, c, xs, rows_for(6, 3))
    assert out is c.output


# -- near misses: fused correctly, or left to the gates --------------------------


def build(body: Callable[[], Unit]) -> tuple[Circuit, Unit]:
    with Circuit() as c:
        out = body()
    return c, out


def leaves(count: int, seed: int = 0, *, requires_grad: bool = True) -> list[Unit]:
    rng = random.Random(seed)
    return [Unit(rng.uniform(-1.0, 1.0), requires_grad=requires_grad) for _ in range(count)]


def test_a_weight_shared_by_two_neurons_gets_both_grads() -> None:
    x = leaves(3, 1, requires_grad=False)
    w, b = leaves(5, 2), leaves(2, 3)
    shared = w[0]

    def body() -> Unit:
        n0 = b[0] + shared * x[0] + w[1] * x[1] + w[2] * x[2]
        n1 = b[1] + w[3] * x[0] + shared * x[1] + w[4] * x[2]
        return n0.relu() * n1.relu()

    c, _ = build(body)
    batch = c.batched()
    assert len(batch.layers) == 1 and batch.layers[0].weights[0][0] is shared
    assert_matches_scalar(batch, c, x, rows_for(6, 3))


def test_a_partial_sum_read_elsewhere_is_not_absorbed() -> None:
    x = leaves(3, 1, requires_grad=False)
    w, b = leaves(3, 2), Unit(0.3)

    def body() -> Unit:
        partial = b + w[0] * x[0]
        total = partial + w[1] * x[1] + w[2] * x[2]
        return total.tanh() + partial * partial  # the partial sum is read twice

    c, _ = build(body)
    batch = c.batched()
    partial = c.gates[1].utop
    for layer in batch.layers:  # it may end a neuron of its own, but be in no other one
        assert partial in layer.sums or all(g.utop is not partial for g in layer.gates)
    assert_matches_scalar(batch, c, x, rows_for(6, 3))


def test_a_product_read_elsewhere_is_not_absorbed() -> None:
    x = leaves(2, 1, requires_grad=False)
    w = leaves(2, 2)

    def body() -> Unit:
        m = w[0] * x[0]
        return (m + w[1] * x[1]).relu() + m

    c, _ = build(body)
    batch = c.batched()
    assert not any(c.gates[0] in layer.gates for layer in batch.layers)
    assert_matches_scalar(batch, c, x, rows_for(6, 2))


def test_a_sum_read_besides_its_activation_keeps_the_activation_a_gate() -> None:
    x = leaves(2, 1, requires_grad=False)
    w, b = leaves(4, 2), leaves(2, 3)

    def body() -> Unit:
        s0 = b[0] + w[0] * x[0] + w[1] * x[1]
        s1 = b[1] + w[2] * x[0] + w[3] * x[1]
        return s0.relu() * s1.relu() + s1  # s1 is read twice

    c, _ = build(body)
    batch = c.batched()
    assert len(batch.layers) == 1 and batch.layers[0].activation is None
    assert_matches_scalar(batch, c, x, rows_for(6, 2))


def test_a_weight_that_is_also_an_input() -> None:
    x = leaves(2, 1)  # inputs that take grads

    def body() -> Unit:
        w = leaves(3, 2)
        n0 = w[0] * x[0] + x[1] * x[1]  # x[1] is n0's weight for x[1], and an input
        n1 = w[1] * x[0] + w[2] * x[1]
        return n0.tanh() * n1.tanh()

    c, _ = build(body)
    batch = c.batched()
    assert [len(layer.weights) for layer in batch.layers] == [2]
    assert batch.layers[0].weights[0][1] is x[1]
    assert_matches_scalar(batch, c, [x[0]], rows_for(5, 1))  # x[1] unfed: one value
    # fed, x[1] differs per sample: no weight matrix, the plain program runs
    assert_matches_scalar(batch, c, x, rows_for(5, 2))


def test_feeding_a_weight_runs_the_unfused_program() -> None:
    net = Net((2, 3, 1))
    c, _, xs, y = squared_error(net, 2)
    batch = c.batched()
    w = net.layers[0][1][0][1]
    assert any(w in row for layer in batch.layers for row in layer.weights)
    assert_matches_scalar(batch, c, [*xs, y, w], rows_for(5, 4))
    assert " @ " in batch.source  # the fused program stays the one shown


def test_a_weight_also_read_by_other_gates() -> None:
    net = Net((2, 3, 1))
    xs = [Unit(0.0, requires_grad=False) for _ in range(2)]
    w = net.layers[0][0][0][0]
    with Circuit() as c:
        score = net(xs)[0]
        score * score + 0.1 * (w * w)  # weight decay on one weight
    batch = c.batched()
    assert len(batch.layers) == 2
    assert_matches_scalar(batch, c, xs, rows_for(5, 2))


def test_neurons_with_and_without_bias_are_left_to_the_gates() -> None:
    x = leaves(2, 1, requires_grad=False)
    w, b = leaves(4, 2), Unit(0.5)

    def body() -> Unit:
        s0 = b + w[0] * x[0] + w[1] * x[1]
        s1 = w[2] * x[0] + w[3] * x[1]
        return s0 * s1

    c, _ = build(body)
    batch = c.batched()
    assert batch.layers == [] and " @ " not in batch.source
    assert_matches_scalar(batch, c, x, rows_for(4, 2))


def test_a_sum_with_two_leaves_is_a_neuron_plus_one_more_addition() -> None:
    net = Net((3, 1))
    xs = [Unit(0.0, requires_grad=False) for _ in range(3)]
    neg_y = Unit(0.0, requires_grad=False)
    with Circuit() as c:
        d = net(xs)[0] + neg_y  # the bias and -y: only the bias belongs to the neuron
        d * d
    [layer] = c.batched().layers
    assert layer.biases == (net.layers[0][0][1],)
    assert_matches_scalar(c.batched(), c, [*xs, neg_y], rows_for(4, 4))


def test_products_of_two_computed_units_are_not_neurons() -> None:
    a, b = leaves(2, 1)

    def body() -> Unit:
        h = a.tanh()
        return h * b.exp() + a  # no operand of the product is a leaf

    c, _ = build(body)
    assert find_layers(c.gates, c.output) == []


def test_a_long_sum_that_is_no_neuron_is_walked_a_few_times_not_once_per_addition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from circuits import _layers

    looks = 0
    made_by = _layers._Graph.made_by

    def counted(self: _layers._Graph, unit: Unit, kind: type) -> int | None:
        nonlocal looks
        looks += 1
        return made_by(self, unit, kind)

    monkeypatch.setattr(_layers._Graph, "made_by", counted)
    xs = leaves(2000)
    with Circuit() as c:
        total = xs[0] + xs[1]  # a sum of leaves: every addition has two "biases"
        for x in xs[2:]:
            h = x.tanh()
            total = total + h * h  # and products of no weight
    assert find_layers(c.gates, c.output) == []
    assert looks < 10 * len(c)


def test_a_chain_of_single_products_stays_gates() -> None:
    w, b = Unit(1.01), Unit(0.1)
    x = Unit(0.5, requires_grad=False)
    with Circuit() as c:
        h = x
        for _ in range(50):
            h = h * w + b  # each a neuron of one product: 1 x 1 matrices would cost more
    batch = c.batched()
    assert batch.layers == [] and " @ " not in batch.source
    assert_matches_scalar(batch, c, [x], rows_for(3, 1))


@given(st.data())
def test_near_misses_of_random_shapes_match_per_sample_scalar_backward(data: st.DataObject) -> None:
    """Layers with shared weights, inputs as weights, partial sums and products read
    elsewhere, mixed activations, missing biases, permuted inputs: fused or not,
    the batch gives the scalar engine's numbers."""
    draw = data.draw
    rng = random.Random(draw(st.integers(0, 10_000)))
    xs = [Unit(rng.uniform(-1, 1), requires_grad=draw(st.booleans())) for _ in range(3)]
    pool = leaves(draw(st.integers(1, 6)), rng.randrange(100))
    taps: list[Unit] = []  # units read again at the end

    def weight() -> Unit:
        return draw(st.sampled_from(pool + xs[:1]))  # sometimes shared, sometimes an input

    def layer(h: list[Unit], width: int) -> list[Unit]:
        kind = draw(st.sampled_from(["tanh", "relu", None, "mixed"]))
        out = []
        for _ in range(width):
            s = draw(st.sampled_from([None, weight(), Unit(rng.uniform(-1, 1))]))
            for x in h:
                w = weight()
                m = x * w if draw(st.booleans()) else w * x
                s = m if s is None else s + m
                if draw(st.integers(0, 9)) == 0:
                    taps.append(draw(st.sampled_from([m, s])))
            assert s is not None
            act = draw(st.sampled_from(["tanh", "relu", None])) if kind == "mixed" else kind
            out.append(s if act is None else activate(s, act))
        return out

    with Circuit() as c:
        h = layer(xs[: draw(st.integers(1, 3))], draw(st.integers(1, 3)))
        if draw(st.booleans()):
            h = layer(draw(st.permutations(h)), draw(st.integers(1, 3)))
        total = h[0]
        for u in [*h[1:], *taps]:
            total = total + u * u
    fed = [x for x in xs if x in c.inputs and draw(st.booleans())]
    if pool[0] in c.inputs and draw(st.booleans()):
        fed.append(pool[0])  # a weight, perhaps, that differs per sample
    fed = fed or [c.inputs[0]]
    batch = c.batched()
    event(f"{len(batch.layers)} layers fused")
    assert_matches_scalar(batch, c, fed, rows_for(3, len(fed), rng.randrange(100)))
