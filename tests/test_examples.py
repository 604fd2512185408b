"""circuits.examples: the figures of the lessons (SEEDS.md, DESIGN.md, hand-worked).

Gradients are compared with central differences or with figures worked out
by hand in the comments, never with the code's own output. Training examples
are checked for what the docs claim: where they end up, from their seeds.
"""

from __future__ import annotations

import math

import pytest

from circuits import Circuit
from circuits.examples import (
    EXAMPLES,
    accumulation,
    linear_regression,
    moons,
    neuron,
    saturation,
    svm,
    vanishing,
    xor,
)
from circuits.examples.mlp import MLP
from gates import GateObserver, Unit, watching
from gates.backprop import gates_behind


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def numeric_grads(circuit: Circuit, params: list[Unit], h: float = 1e-6) -> list[float]:
    """Central differences of the circuit's output, by replaying it."""
    grads = []
    for p in params:
        original = p.value
        p.value = original + h
        above = circuit.forward().value
        p.value = original - h
        below = circuit.forward().value
        p.value = original
        grads.append((above - below) / (2 * h))
    circuit.forward()
    return grads


# -- the registry -------------------------------------------------------------


def test_registry_has_the_demos_the_cli_and_docs_name() -> None:
    assert {"neuron", "saturation", "accumulation", "mse", "xor"} <= set(EXAMPLES)
    for name, example in EXAMPLES.items():
        assert example.name == name
        assert example.title


class _Counter(GateObserver):
    def __init__(self) -> None:
        self.forward = 0
        self.backward = 0

    def gate_forward(self, gate: object, inputs: object, output: object, previous: object) -> None:
        self.forward += 1

    def gate_backward(self, step: object) -> None:
        self.backward += 1


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_each_demo_is_small_enough_to_trace_and_runs_backward(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    counter = _Counter()
    with watching(counter):
        EXAMPLES[name].demo()
    assert 0 < counter.forward <= 120  # a trace a learner can read
    assert counter.backward > 0
    assert capsys.readouterr().out.strip()


# -- the neuron (SEEDS.md 5) --------------------------------------------------


def test_neuron_figures_of_the_guide() -> None:
    n = neuron.build_neuron()
    assert n.s.value == pytest.approx(0.8808, abs=5e-5)
    neuron.backward_by_hand(n)
    got = [u.grad for u in neuron.inputs_of(n)]
    assert got == pytest.approx([-0.105, 0.315, 0.105, 0.105, 0.210], abs=5e-4)
    assert neuron.step(n, 0.01) == pytest.approx(0.8826, abs=5e-5)


def test_neuron_numerical_gradient_agrees_with_backward() -> None:
    n = neuron.build_neuron()
    numeric = neuron.numerical_gradient(n, h=1e-5)
    neuron.backward_by_hand(n)
    for name, unit in zip(neuron.INPUT_NAMES, neuron.inputs_of(n)):
        assert numeric[name] == pytest.approx(unit.grad, abs=1e-9)
    assert n.a.value == 1.0  # the inputs are put back


def test_central_differences_beat_one_sided() -> None:
    n = neuron.build_neuron()
    neuron.backward_by_hand(n)
    exact = {name: u.grad for name, u in zip(neuron.INPUT_NAMES, neuron.inputs_of(n))}
    for h in (1e-2, 1e-3):
        one = neuron.numerical_gradient(n, h=h, central=False)
        two = neuron.numerical_gradient(n, h=h, central=True)
        one_err = max(abs(one[k] - exact[k]) for k in exact)
        two_err = max(abs(two[k] - exact[k]) for k in exact)
        assert two_err < one_err / 20
        # one-sided is off by about h * f''/2; central by about h**2 * f'''/6
        assert one_err > h / 100


def test_random_local_search_improves_a_little() -> None:
    n = neuron.build_neuron()
    best = neuron.random_local_search(n, tries=100, tweak=0.01, seed=0)
    # every try stays within 0.01 of the start: at most 0.01 * sum(|grad|) better
    assert 0.8808 < best < 0.8808 + 0.01 * (0.105 + 0.315 + 0.105 + 0.105 + 0.21)
    assert n.s.value == best  # the inputs are left at the best values


# -- saturation (SEEDS.md 1) --------------------------------------------------


def test_saturation_in_the_sensitive_range() -> None:
    n = saturation.build_saturation(w=5.0, b=1.0, x=0.1)
    n.l.backward()
    s = sigmoid(1.5)  # z = 5 * 0.1 + 1
    assert n.l.value == pytest.approx(s) and round(n.l.value, 2) == 0.82
    assert n.b.grad == pytest.approx(s * (1 - s)) and round(n.b.grad, 3) == 0.149
    assert n.w.grad == pytest.approx(0.1 * s * (1 - s)) and round(n.w.grad, 4) == 0.0149
    assert n.x.grad == 0.0  # a constant takes no gradient


def test_saturation_far_out_passes_nothing() -> None:
    n = saturation.build_saturation(x=20.1)
    n.l.backward()
    assert n.z.value == pytest.approx(101.5)
    assert n.l.value == 1.0
    assert n.b.grad == 0.0 and n.w.grad == 0.0


def test_dead_neuron_for_all_data_and_alive_for_small_weights() -> None:
    dead = saturation.build_dead_neuron(w=50.0, b=20.0, xs=(1.3, 1.4))
    dead.total.backward()
    assert dead.total.value == 2.0
    assert dead.w.grad == 0.0 and dead.b.grad == 0.0
    alive = saturation.build_dead_neuron(w=0.5, b=0.0, xs=(1.3, 1.4))
    alive.total.backward()
    s1, s2 = sigmoid(0.65), sigmoid(0.7)
    assert alive.b.grad == pytest.approx(s1 * (1 - s1) + s2 * (1 - s2))
    assert alive.w.grad == pytest.approx(1.3 * s1 * (1 - s1) + 1.4 * s2 * (1 - s2))


# -- accumulation (SEEDS.md 2, DESIGN.md) -------------------------------------


def test_recurrence_accumulates_like_the_notebook() -> None:
    history = accumulation.backward_each(accumulation.build_recurrence())
    assert [row["w"] for row in history] == pytest.approx([1.0, 2.5, 4.25])
    assert [row["h1"] for row in history] == pytest.approx([1.0, 1.5, 1.75])
    assert [row["wh"] for row in history] == pytest.approx([0.0, 0.3, 0.9])


def test_fork_counts_each_path_once_per_call() -> None:
    f = accumulation.build_fork(3.0)
    f.r.backward()
    assert f.p.grad == 12.0  # d(2p^2)/dp = 4p
    f.r.backward()
    assert f.p.grad == 24.0


# -- linear regression (SEEDS.md 4) -------------------------------------------


def test_mse_on_two_points_and_doubling() -> None:
    model = linear_regression.LinearModel()
    loss = linear_regression.mse([model.error(1.5, 1.0), model.error(2.0, 4.0)])
    assert loss.value == 8.5  # ((0 - 1)^2 + (0 - 4)^2) / 2
    loss.backward()
    # dL/da = (2 * -1 * 1.5 + 2 * -4 * 2) / 2, dL/db = (2 * -1 + 2 * -4) / 2
    assert (model.a.grad, model.b.grad) == pytest.approx((-9.5, -5.0))
    loss.backward()
    assert (model.a.grad, model.b.grad) == pytest.approx((-19.0, -10.0))


def test_the_graph_grows_with_the_data() -> None:
    sizes = []
    for n in (1, 2, 4, 8):
        model = linear_regression.LinearModel()
        loss = linear_regression.mse([model.error(float(i), 1.0) for i in range(n)])
        sizes.append(len(gates_behind(loss)))
    assert sizes == sorted(sizes) and sizes[-1] > 7 * sizes[0]


def test_sgd_reaches_the_line() -> None:
    data = linear_regression.make_line_data(200, slope=10.0, intercept=5.0, seed=0)
    xs = [x for x, _ in data]
    assert sum(xs) / 200 == pytest.approx(0.0, abs=1e-12)
    assert sum(x * x for x in xs) / 200 == pytest.approx(1.0)
    fit = linear_regression.train_sgd(data, batch_size=20, lr=0.1, steps=20, seed=0)
    assert fit.model.a.value == pytest.approx(10.0, abs=0.3)
    assert fit.model.b.value == pytest.approx(5.0, abs=0.3)
    assert len(fit.losses) == 20 and fit.losses[-1] < fit.losses[0] / 20
    # one batch of 20: a*x (1) + b (1) - y (1), squared (1), 19 adds, 1 divide
    assert fit.gates == 20 * 4 + 19 + 1


def test_sgd_rejects_a_batch_larger_than_the_data() -> None:
    with pytest.raises(ValueError, match="batch_size"):
        linear_regression.train_sgd([(0.0, 1.0)], batch_size=2)


# -- XOR -------------------------------------------------------------------


def test_xor_trains_from_its_seed() -> None:
    run = xor.train_xor(seed=0, epochs=10000, lr=0.1)
    assert run.correct()
    assert all(abs(out - target) < 0.1 for out, (_, target) in zip(run.outputs(), xor.CASES))


def test_xor_seed_2_is_stuck_in_a_local_minimum() -> None:
    run = xor.train_xor(seed=2, epochs=10000, lr=0.1)
    assert not run.correct()
    assert run.losses[-1] == pytest.approx(0.5, abs=0.01)  # two cases stuck at 0.5


def test_xor_loss_gradients_match_central_differences() -> None:
    net = xor.XorNet(seed=3)
    circuit, _, _ = xor.build_xor_loss(net)
    circuit.backward()
    params = net.parameters()
    analytic = [p.grad for p in params]
    assert numeric_grads(circuit, params) == pytest.approx(analytic, abs=1e-7)


# -- vanishing gradients ------------------------------------------------------


def test_sigmoid_chain_grads_shrink_toward_the_input() -> None:
    chain = vanishing.build_chain(depth=10, activation="sigmoid", seed=0)
    grads = vanishing.layer_grads(chain)
    assert numeric_grads(chain.circuit, chain.weights, h=1e-5) == pytest.approx(grads, abs=1e-9)
    # each layer's sigmoid multiplies by at most 1/4 (times |w| <= 1) on the way down
    assert abs(grads[0]) < 1e-10 < 1e-2 < abs(grads[-1])


def test_relu_chain_dies_and_leaky_relu_keeps_it_alive_but_tiny() -> None:
    relu = vanishing.build_chain(activation="relu", seed=0)
    assert min(w.value for w in relu.weights) < 0  # some unit's input goes negative
    assert vanishing.layer_grads(relu) == [0.0] * 10
    assert vanishing.train_chain(relu, steps=50)[-1] == 9.0  # (0 - 3)^2 for ever
    table = vanishing.chain_grads(depth=10, seed=0)
    # The same quantity (dC/dw) for every activation: leaky ReLU's weight grads are
    # never 0, and in a unit-wide chain they are smaller than the sigmoid's in every layer.
    assert all(g != 0.0 for g in table["leaky_relu"])
    assert all(abs(g) < 1e-14 for g in table["leaky_relu"])
    assert abs(table["sigmoid"][-1]) > 0.1
    leaky = vanishing.build_chain(activation="leaky_relu", seed=0)
    before = [w.value for w in leaky.weights]
    assert vanishing.train_chain(leaky, steps=100)[-1] < 1e-6  # fitted by the top layers ...
    assert max(abs(w.value - b) for w, b in zip(leaky.weights[:8], before)) < 1e-7  # ... alone


def test_wide_leaky_relu_brings_the_gradient_to_the_first_layer() -> None:
    for width in (2, 4, 8):
        live, bottom, top = vanishing.first_layer_reach(width, "leaky_relu")
        assert live == width and bottom > 0.3 * top
    assert vanishing.first_layer_reach(4, "relu")[0] == 0  # every path dead
    live, bottom, top = vanishing.first_layer_reach(8, "sigmoid")
    assert live == 8 and bottom < 1e-4 * top  # no width saves the sigmoid


def test_the_vanishing_demo_takes_depth_and_activation(capsys: pytest.CaptureFixture[str]) -> None:
    vanishing.demo(depth=3, activation="tanh")
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("3 tanh layers")
    chain = vanishing.build_chain(depth=3, activation="tanh", seed=0)
    chain.cost.backward()
    w, a = chain.weights, [chain.x, *chain.activations]
    # each layer's grad beside the signal it multiplies: dC/dw_i = dC/dz_i * a_(i-1)
    assert out[1:4] == [
        f"dC/dw{i} = {w[i - 1].grad:+.1e}   ({a[i - 1].label} = {a[i - 1].value:+.1e})"
        for i in (1, 2, 3)
    ]
    for i in (1, 2, 3):
        dz = chain.biases[i - 1].grad  # z_i = w_i * a_(i-1) + b_i: dC/db_i = dC/dz_i
        assert w[i - 1].grad == pytest.approx(dz * a[i - 1].value)
    assert "small when the gradient reaching layer i is small, or when the signal" in out[4]


def test_the_vanishing_demo_tells_a_dead_relu_from_a_vanishing_gradient(
    capsys: pytest.CaptureFixture[str],
) -> None:
    vanishing.demo(activation="relu")
    out = capsys.readouterr().out
    # w3 = -0.1589, a2 = 0.3554 (the tutorial's figures): z3 = -0.0565, below the kink
    assert "(a2 = +3.6e-01)" in out and "(a3 = +0.0e+00)" in out
    assert "Every dC/dw is exactly 0. z3 = -0.0565 is not above 0" in out
    assert "no gradient passes it back to w1..w3" in out
    assert "every layer above it multiplies a signal of 0" in out
    assert "That is a dead ReLU, not a vanishing gradient" in out
    vanishing.demo(activation="sigmoid")
    assert "dead ReLU" not in capsys.readouterr().out


def test_the_demo_titles_hold_for_every_depth() -> None:
    assert "ten" not in EXAMPLES["vanishing"].title  # --depth 3 is no ten-layer chain


def test_the_saturation_demo_names_the_second_neurons_units(
    capsys: pytest.CaptureFixture[str],
) -> None:
    saturation.demo()
    first, second = capsys.readouterr().out.splitlines()
    # sigmoid'(1.5) = 0.1491; w.grad = x * that = 0.0149; at z = 101.5 both are 0
    assert first == "x=0.1: z=1.50 l=0.8176 b.grad=0.1491 w.grad=0.0149"
    assert second == "x2=20.1: z2=101.50 l2=1.0000 b2.grad=0.0000 w2.grad=0.0000"


def test_the_mse_demo_says_why_two_backwards_double(capsys: pytest.CaptureFixture[str]) -> None:
    linear_regression.demo()
    out = capsys.readouterr().out
    assert "after two backwards: a.grad = -19.0, b.grad = -10.0" in out
    assert "Twice the gradient: each backward added its own into the grads." in out


def test_leaky_relu_leaves_negative_inputs_alone() -> None:
    z = Unit(-2.0)
    out = z.leaky_relu(0.01)
    out.backward()
    assert z.value == -2.0 and out.value == pytest.approx(-0.02) and z.grad == 0.01


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_wider_relu_network_keeps_a_live_path(seed: int) -> None:
    wide = vanishing.build_wide(depth=10, width=8, seed=seed)
    wide.cost.backward()
    assert any(g != 0.0 for g in wide.first_layer_grads())


# -- two moons ----------------------------------------------------------------


def test_make_moons_shape_and_arcs() -> None:
    data = moons.make_moons(40, noise=0.0, seed=5)
    assert data == moons.make_moons(40, noise=0.0, seed=5)
    assert sum(label == 1 for _, label in data) == 20
    for (x1, x2), label in data:
        if label == 1:  # on the unit circle's upper half
            assert math.hypot(x1, x2) == pytest.approx(1.0) and x2 >= 0
        else:  # on the circle of radius 1 around (1, 0.5), lower half
            assert math.hypot(x1 - 1.0, x2 - 0.5) == pytest.approx(1.0) and x2 <= 0.5


def test_moons_mlp_reaches_full_training_accuracy() -> None:
    data = moons.make_moons(60, noise=0.1, seed=1)
    run = moons.train_moons(data, seed=1)
    assert run.accuracies[-1] == 1.0
    assert run.losses[-1] < run.losses[0] / 5
    right = sum((run.predict(*x) > 0) == (label > 0) for x, label in data)
    assert right == 60


def test_mlp_gradients_match_central_differences() -> None:
    net = MLP((2, 3, 1), activation="tanh", seed=4)
    data = moons.make_moons(4, noise=0.1, seed=4)
    circuit, _, _ = moons.build_hinge_loss(net, data)
    circuit.backward()
    params = net.parameters()
    analytic = [p.grad for p in params]
    assert numeric_grads(circuit, params) == pytest.approx(analytic, abs=1e-7)


# -- the SVM of the guide's chapter 2 -------------------------------------------


def test_svm_first_step_by_hand() -> None:
    machine = svm.SVM()  # a=1, b=-2, c=-1
    assert machine.score(1.2, 0.7) == pytest.approx(1.2 - 1.4 - 1.0)
    assert machine.learn_from(1.2, 0.7, 1) == 1.0
    # a += 0.01 * (x * pull - a), b += 0.01 * (y * pull - b), c += 0.01 * pull
    assert machine.a.value == pytest.approx(1.0 + 0.01 * (1.2 - 1.0))
    assert machine.b.value == pytest.approx(-2.0 + 0.01 * (0.7 + 2.0))
    assert machine.c.value == pytest.approx(-1.0 + 0.01)


def test_the_svm_demo_shows_the_regularisation_the_trace_cannot(
    capsys: pytest.CaptureFixture[str],
) -> None:
    svm.demo()
    out = capsys.readouterr().out
    # The gates send pull 1 back: a.grad = x = 1.2, b.grad = y = 0.7, c.grad = 1; then
    # the regularisation pull, added by hand, -a = -1 and -b = +2.
    assert "regularisation pull, added by hand (no gate call)" in out
    assert "grads: a = 1.20 -1.00 = +0.20, b = 0.70 +2.00 = +2.70, c = +1.00" in out


def test_svm_and_network_reach_full_training_accuracy() -> None:
    start = svm.training_accuracy(svm.SVM().score)
    _, log = svm.train_svm(iterations=400, step_size=0.01, seed=9)
    assert start < 1.0 and log.final == 1.0
    _, net_log = svm.train_network(iterations=400, seed=1)
    assert net_log.final == 1.0
