"""gradcheck: figures, restoring state, tolerances, blame, kinks, rendering, errors."""

from __future__ import annotations

import io
import math
import warnings

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from circuits import Circuit, GradcheckResult, KinkWarning, gradcheck
from circuits.gradcheck import agree, relative_error
from circuits.strategies import circuits
from gates import Gate, LeakyReLUGate, ReLUGate, Unit

# The guide's neuron: d s / d(a, b, c, x, y) with s = sigmoid(a*x + b*y + c) at
# (1, 2, -3, -1, 3) is s(1 - s) * (x, y, 1, a, b), s = sigmoid(2).
S2 = 1.0 / (1.0 + math.exp(-2.0))
NEURON_GRADS = {n: S2 * (1 - S2) * k for n, k in zip("axbyc", (-1.0, 1.0, 3.0, 2.0, 1.0))}


def neuron() -> tuple[Circuit, dict[str, Unit]]:
    u = {n: Unit(v, label=n) for n, v in zip("abcxy", (1.0, 2.0, -3.0, -1.0, 3.0))}
    with Circuit() as c:
        (u["a"] * u["x"] + u["b"] * u["y"] + u["c"]).sigmoid()
    return c, u


class TanhWithCache(Gate):
    """A user gate that keeps state besides its output: backward reads the cache."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.cache = math.tanh(u0.value)
        self.utop = Unit(self.cache)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += (1.0 - self.cache**2) * self.utop.grad


class AbsGate(Gate):
    """A user gate with a kink at 0 that gradcheck has never heard of."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(abs(u0.value))
        return self.utop

    def backward(self) -> None:
        self.u0.grad += (1.0 if self.u0.value > 0 else -1.0) * self.utop.grad


class FlippedMultGate(Gate):
    """Wrong on purpose: the second input's derivative has the wrong sign."""

    def forward(self, u0: Unit, u1: Unit) -> Unit:
        self.u0, self.u1 = u0, u1
        self.utop = Unit(u0.value * u1.value)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += self.u1.value * self.utop.grad
        self.u1.grad -= self.u0.value * self.utop.grad


# -- figures ---------------------------------------------------------------


def test_the_neurons_rows_match_the_hand_worked_gradients() -> None:
    c, u = neuron()
    result = gradcheck(c)
    assert result.passed and bool(result)
    assert [row.name for row in result.rows] == list("axbyc")
    for row in result.rows:
        assert row.unit is u[row.name]
        assert row.value == u[row.name].value
        assert row.analytic == pytest.approx(NEURON_GRADS[row.name], rel=1e-12)
        assert row.numeric == pytest.approx(NEURON_GRADS[row.name], rel=1e-8)
        assert row.ok


def test_each_parameter_is_nudged_from_the_original_point() -> None:
    # Checking one parameter must not leave the circuit at its nudged state
    # for the next one: at a tight tolerance, stale values would show.
    c, _ = neuron()
    assert gradcheck(c, rtol=1e-8, atol=0.0)


def test_a_unit_target_checks_the_leaves_it_depends_on() -> None:
    c, _ = neuron()
    by_circuit = gradcheck(c)
    by_unit = gradcheck(c.output)
    assert [r.name for r in by_unit.rows] == [r.name for r in by_circuit.rows]
    assert [r.numeric for r in by_unit.rows] == [r.numeric for r in by_circuit.rows]


def test_a_bare_unit_has_gradient_one_with_respect_to_itself() -> None:
    x = Unit(2.0, label="x")
    result = gradcheck(x)
    assert [(r.name, r.analytic, r.numeric) for r in result.rows] == [("x", 1.0, 1.0)]


def test_constants_are_not_checked() -> None:
    w = Unit(0.5, label="w")
    x = Unit(2.0, label="x", requires_grad=False)
    result = gradcheck((w * x).sigmoid())
    assert [r.name for r in result.rows] == ["w"]
    s = 1 / (1 + math.exp(-1.0))
    assert result.rows[0].analytic == pytest.approx(2.0 * s * (1 - s))


def test_wrt_checks_only_the_units_given() -> None:
    c, u = neuron()
    assert [r.name for r in gradcheck(c, wrt=[u["y"], u["a"]]).rows] == ["y", "a"]
    assert [r.name for r in gradcheck(c, wrt=u["b"]).rows] == ["b"]


def test_a_circuit_reads_units_made_elsewhere_as_inputs() -> None:
    a, b = Unit(0.5, label="a"), Unit(-1.5, label="b")
    h = a * b  # made outside the circuit: an input of it
    with Circuit() as c:
        out = (h * h).tanh()
    result = gradcheck(c)
    assert [r.unit for r in result.rows] == [h]
    assert result.rows[0].analytic == pytest.approx(2 * h.value * (1 - out.value**2))


def test_rounding_in_large_intermediates_is_not_a_failure() -> None:
    # (w + 1e9) - 1e9 has gradient 1, but each replay rounds at ulp(1e9) ~ 1e-7:
    # the central difference is off by ~10%. That is rounding, not a wrong
    # gradient, and the noise allowance says so.
    w = Unit(0.3, label="w")
    result = gradcheck((w + 1e9) - 1e9)
    assert result.rows[0].relative_error > 1e-3
    assert result.noise > abs(result.rows[0].analytic - result.rows[0].numeric)
    assert result


def test_relative_error_is_cs231ns_with_an_absolute_floor() -> None:
    assert relative_error(2.0, 1.0) == 0.5
    assert relative_error(-1.0, 1.0) == 2.0
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(math.inf, math.inf) == 0.0
    assert agree(1e-12, 3e-12, rtol=1e-5, atol=1e-8)  # both near zero
    assert not agree(1e-12, 3e-12, rtol=1e-5, atol=0.0)
    assert agree(1000.0, 1000.001, rtol=1e-5, atol=0.0)
    assert not agree(1.0, math.nan, rtol=1.0, atol=1.0)


# -- state is left exactly as found ------------------------------------------


@given(circuits(), st.lists(st.floats(-5, 5), min_size=1))
def test_every_value_and_grad_is_restored(c: Circuit, grads: list[float]) -> None:
    for i, unit in enumerate(c.units):
        unit.grad = grads[i % len(grads)]  # grads already there, as between steps
    before = [(unit, unit.value, unit.grad) for unit in c.units]
    gradcheck(c)
    assert [(unit, unit.value, unit.grad) for unit in c.units] == before


def test_gate_state_is_restored_too() -> None:
    x = Unit(0.7, label="x")
    with Circuit() as c:
        out = TanhWithCache().forward(x * 2.0)
    gradcheck(c)
    c.backward()
    assert x.grad == pytest.approx(2.0 * (1.0 - math.tanh(1.4) ** 2), rel=1e-15)
    assert out.value == math.tanh(1.4)


# -- failure and blame --------------------------------------------------------


def test_a_wrong_gate_fails_and_is_named() -> None:
    p, q = Unit(2.0, label="p"), Unit(3.0, label="q")
    bad = FlippedMultGate().named("bad")
    out = (bad.forward(p, q) + p).tanh()
    result = gradcheck(out)
    assert not result
    assert [r.name for r in result.failures] == ["q"]
    assert result.worst is not None and result.worst.name == "q"
    assert result.blame is not None and result.blame.gate is bad
    assert result.blame.position == 1
    assert result.blame.analytic == -2.0
    assert result.blame.numeric == pytest.approx(2.0)
    for text in (result.summary, str(result), repr(result)):
        assert "FlippedMultGate bad" in text


def test_blame_goes_to_the_first_wrong_gate_below_the_worst_unit() -> None:
    x = Unit(1.5, label="x")
    flips = [FlippedMultGate().named(name) for name in ("first", "second", "third")]
    out = x
    for gate in flips:  # three sign errors: the result is still wrong
        out = gate.forward(Unit(0.5, requires_grad=False), out)
    result = gradcheck(out)
    assert not result
    assert result.blame is not None and result.blame.gate is flips[0]


def test_an_input_at_a_kink_warns_and_blames_no_gate() -> None:
    z = Unit(0.0, label="z")
    relu = ReLUGate().named("relu")
    with pytest.warns(KinkWarning, match="ReLUGate relu has a kink"):
        result = gradcheck(relu.forward(z) * 2.0)
    assert not result  # analytic 0 (PyTorch's choice), numeric 1
    assert [(k.gate, k.position, k.left, k.right) for k in result.kinks] == [(relu, 0, 0.0, 1.0)]
    assert result.blame is None
    assert "kink" in result.summary and "kink" in str(result)


@pytest.mark.parametrize("value", [0.0, 5e-7, -5e-7])
def test_kinks_are_found_in_any_gate_within_eps(value: float) -> None:
    for gate in (LeakyReLUGate(0.1), AbsGate(), ReLUGate()):
        with pytest.warns(KinkWarning):
            result = gradcheck(gate.forward(Unit(value)))
        assert [k.gate for k in result.kinks] == [gate]


@pytest.mark.parametrize("value", [0.0, 1e-7, 3.0])
def test_smooth_gates_have_no_kinks_even_where_the_slope_is_zero(value: float) -> None:
    x = Unit(value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck((x * x) + x**3 + (x * 1000.0) ** 2 + x.tanh())
    assert result and result.kinks == ()


def test_a_kink_further_than_eps_away_is_not_reported() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(Unit(1e-4).relu(), eps=1e-6)
    assert result and result.kinks == ()


class StrictSqrtGate(Gate):
    """Raises below 0, as math.sqrt does."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(math.sqrt(u0.value))
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 0.5 / self.utop.value * self.utop.grad


def test_a_gate_raising_at_a_nudge_is_explained_and_nothing_is_left_changed() -> None:
    x = Unit(0.0, label="x")
    out = StrictSqrtGate().forward(x + 1e-9)
    before = [(u.value, u.grad) for u in (x, out)]
    with pytest.raises(ValueError, match=r"nudging x = 0\.0 by eps=1e-06 made a gate raise"):
        gradcheck(out)
    assert [(u.value, u.grad) for u in (x, out)] == before


def test_non_finite_gradients_fail() -> None:
    x = Unit(1000.0, label="x")
    result = gradcheck(x.exp())
    assert not result


# -- rendering ----------------------------------------------------------------


def render(result: GradcheckResult) -> str:
    console = Console(record=True, width=120, color_system=None, file=io.StringIO())
    console.print(result)
    return console.export_text()


def test_a_passing_result_renders_a_table() -> None:
    c, _ = neuron()
    text = render(gradcheck(c))
    assert "gradcheck passed: 5 parameters" in text
    for heading in ("unit", "value", "analytic", "numeric", "rel. error", "ok"):
        assert heading in text
    row = next(line for line in text.splitlines() if " b " in line)
    assert "0.314981" in row and row.count("0.314981") == 2 and "ok" in row


def test_a_failing_result_renders_the_blame() -> None:
    p, q = Unit(2.0, label="p"), Unit(3.0, label="q")
    result = gradcheck(FlippedMultGate().named("bad").forward(p, q))
    text = render(result)
    assert "FAILED" in text and "FlippedMultGate bad" in text
    assert "FAIL" in next(line for line in text.splitlines() if " q " in line)
    plain = str(result).splitlines()
    assert plain[0] == result.summary
    assert plain[1].split() == ["unit", "value", "analytic", "numeric", "rel.", "error", "ok"]
    assert plain[3].split()[0] == "q" and plain[3].split()[-1] == "FAIL"
    assert repr(result).startswith("<GradcheckResult gradcheck FAILED for q")


# -- bad arguments --------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "error"),
    [
        ({"eps": 0.0}, ValueError),
        ({"eps": -1e-6}, ValueError),
        ({"eps": math.nan}, ValueError),
        ({"rtol": -1.0}, ValueError),
        ({"atol": math.inf}, ValueError),
        ({"eps": "small"}, TypeError),
        ({"rtol": True}, TypeError),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error, match=next(iter(settings))):
        gradcheck(Unit(1.0) * 2.0, **settings)  # type: ignore[arg-type]


def test_bad_targets_are_refused() -> None:
    with pytest.raises(TypeError, match="Circuit or an output Unit"):
        gradcheck(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="circuit is empty"):
        gradcheck(Circuit())


def test_bad_wrt_is_refused() -> None:
    c, u = neuron()
    stranger = Unit(1.0, label="stranger")
    with pytest.raises(ValueError, match="stranger is not an input"):
        gradcheck(c, wrt=[stranger])
    made = c.gates[0].utop
    with pytest.raises(ValueError, match="not an input"):
        gradcheck(c, wrt=[made])
    k = Unit(2.0, label="k", requires_grad=False)
    with pytest.raises(ValueError, match="k was made with requires_grad=False"):
        gradcheck(u["a"] * k, wrt=[k])
    with pytest.raises(TypeError, match="wrt must hold Units"):
        gradcheck(c, wrt=[1.0])  # type: ignore[list-item]
