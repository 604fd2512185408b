"""gradcheck: figures, steps, verdicts (passed / failed / inconclusive), kinks,
restoring state, the report (str, repr under pytest, rich, `circuits check`), errors.

The slips a learner's backward makes, and that no correct gate is blamed, are
in ``test_negative_controls.py``.
"""

from __future__ import annotations

import io
import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from circuits import Circuit, GradcheckResult, KinkWarning, gradcheck
from circuits._differences import step_for
from circuits.cli import main
from circuits.examples.vanishing import build_chain
from circuits.gradcheck import agree, relative_error
from circuits.strategies import circuits
from gates import Gate, LeakyReLUGate, MultGate, ReLUGate, Unit

ROOT = Path(__file__).resolve().parent.parent

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


class SquareGate(Gate):
    """Right: ``u0 ** 2``."""

    def forward(self, u0: Unit) -> Unit:
        self.u0 = u0
        self.utop = Unit(u0.value**2)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 2.0 * self.u0.value * self.utop.grad


# -- figures ---------------------------------------------------------------


def test_the_neurons_rows_match_the_hand_worked_gradients() -> None:
    c, u = neuron()
    result = gradcheck(c)
    assert result.status == "passed" and result.passed and bool(result)
    assert [row.name for row in result.rows] == list("axbyc")
    for row in result.rows:
        assert row.unit is u[row.name]
        assert row.value == u[row.name].value
        assert row.analytic == pytest.approx(NEURON_GRADS[row.name], rel=1e-12)
        assert row.numeric == pytest.approx(NEURON_GRADS[row.name], rel=1e-8)
        assert row.ok and row.status == "passed" and row.why == ""
    assert result.problems == () and result.blame is None  # built-in gates are not probed


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


def test_a_bare_unit_has_no_backward_to_check_and_does_not_pass() -> None:
    # d(x)/d(x) = 1 would "pass" while checking no gate at all: say so instead.
    x = Unit(2.0, label="x")
    result = gradcheck(x)
    assert result.status == "inconclusive" and not result and result.rows == ()
    assert result.summary == (
        "gradcheck inconclusive: no parameter of x to check: x is an input, made by no "
        "gate, so there is no backward to check; check a unit a gate made, such as the "
        "circuit's output"
    )


def test_a_check_with_no_parameter_says_why() -> None:
    x = Unit(2.0, label="x", requires_grad=False)
    y = x * x
    y.label = "y"
    assert gradcheck(y).summary.endswith(
        "every input it depends on (x) was made with requires_grad=False, so backward "
        "gives none of them a gradient; make the ones to learn without it"
    )
    w = Unit(1.0, label="w")
    assert gradcheck(w * x, wrt=[]).summary.endswith(": wrt names no unit")


def test_an_inconclusive_row_shows_no_numerical_slope_as_if_measured() -> None:
    # x's effect on the output (x*x + 1e12) is lost in the output's rounding: the
    # numerical slope of such a row is noise, and a table must not present it as a figure.
    x = Unit(3.43, label="x")
    big = Unit(1e6, label="big", requires_grad=False)
    result = gradcheck(x * x + big * big)
    (row,) = result.rows
    assert row.status == "inconclusive" and row.reason == "rounding"
    (line,) = [line for line in str(result).splitlines() if line.startswith("x ")]
    assert line.split()[-3:] == ["—", "—", "inconclusive"]
    passed = gradcheck(x * x)
    (line,) = [line for line in str(passed).splitlines() if line.startswith("x ")]
    assert line.split()[2:4] == ["6.86", "6.86"] and line.split()[-1] == "ok"  # 2 x 3.43


def test_constants_are_not_checked() -> None:
    w = Unit(0.5, label="w")
    x = Unit(2.0, label="x", requires_grad=False)
    result = gradcheck((w * x).sigmoid())
    assert [r.name for r in result.rows] == ["w"]
    s = 1 / (1 + math.exp(-1.0))
    assert result.rows[0].analytic == pytest.approx(2.0 * s * (1 - s))


def test_nothing_to_check_is_inconclusive_not_passed() -> None:
    k = Unit(2.0, label="k", requires_grad=False)
    result = gradcheck(k * 3.0)
    assert result.rows == () and result.status == "inconclusive" and not result
    assert "no parameter" in result.summary


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


def test_rows_are_named_by_the_callers_variables() -> None:
    w = [Unit(0.5), Unit(-1.0)]
    mulg0 = MultGate()
    hidden = Unit(2.0)  # no variable holds it, but the named gate does
    out = mulg0.forward(w[0], hidden) + w[1]
    names = {"w": w, "mulg0": mulg0, "out": out}
    result = gradcheck(out, names=names)
    assert [row.name for row in result.rows] == ["w[0]", "mulg0.u1", "w[1]"]
    assert result.output_name == "out"


# -- the step scales with the value ---------------------------------------------


def test_the_step_is_relative_to_the_value() -> None:
    assert step_for(3.0, 1e-6) == pytest.approx(3e-6)
    assert step_for(-1e-5, 1e-6) == pytest.approx(1e-11)
    assert step_for(0.0, 1e-6) == 1e-6


def test_log_near_zero_passes_and_blames_nothing() -> None:
    # An absolute step of 1e-6 is 10% of x = 1e-5: log curves so much over it
    # that the slope is off by 0.3%, and the old check blamed LogGate.
    result = gradcheck(Unit(1e-5, label="x").log())
    assert result.status == "passed"
    assert result.rows[0].numeric == pytest.approx(1e5, rel=1e-8)
    assert result.rows[0].step == pytest.approx(1e-11)


def test_a_value_too_large_for_the_step_does_not_crash() -> None:
    # 1e10 + 1e-6 == 1e10: an absolute step cannot move it (ZeroDivisionError before).
    x = Unit(1.0, label="x")
    result = gradcheck((x + 1e10) * 2.0)
    (row,) = result.rows
    assert row.status == "inconclusive" and row.reason == "rounding"
    assert result.problems == ()


def test_a_tiny_value_beside_a_large_one_is_checked_with_a_wider_step() -> None:
    # eps relative to 1e-117 moves 1 + x by nothing; eps itself does.
    x = Unit(2.7e-117, label="x")
    result = gradcheck(Unit(1.0, requires_grad=False) + x)
    assert result.status == "passed" and result.rows[0].step == 1e-6


# -- inconclusive: what cannot be checked is never passed -------------------------


def test_an_effect_lost_in_the_outputs_rounding_is_inconclusive() -> None:
    x = Unit(3.43, label="x")
    big = Unit(1e6, label="big", requires_grad=False)
    with Circuit() as c:
        SquareGate().forward(x) + big * big
    result = gradcheck(c)
    (row,) = result.rows
    assert row.analytic == pytest.approx(6.86) and row.numeric == 0.0
    assert row.status == "inconclusive" and row.reason == "rounding" and not row.ok
    assert "lost in" in row.why and "circuits check --unit NAME" in row.why
    assert result.status == "inconclusive" and not result and not result.passed
    assert result.summary.startswith("gradcheck inconclusive: 1 parameter of ")
    assert "x: inconclusive: its effect on" in str(result)


def test_the_deep_sigmoid_chain_is_inconclusive_where_its_gradients_vanish() -> None:
    chain = build_chain(depth=10, activation="sigmoid")
    result = gradcheck(chain.cost)
    status = {row.name: row.status for row in result.rows}
    # w1's gradient, about 1e-12, moves the cost (about 4) by far less than its last digit
    assert status["w1"] == status["b1"] == "inconclusive"
    assert status["w10"] == status["b10"] == "passed"
    assert result.status == "inconclusive"
    assert "passed" not in result.summary.split(":")[0]
    assert all(row.relative_error < 1e-2 for row in result.rows if row.ok)


def test_rounding_in_large_intermediates_is_not_a_failure() -> None:
    # (w + 1e9) - 1e9 has gradient 1, but each replay rounds at ulp(1e9): at
    # the step eps * w the slope is lost; a wider step settles it.
    w = Unit(0.3, label="w")
    result = gradcheck((w + 1e9) - 1e9)
    (row,) = result.rows
    assert row.status == "passed" and row.step > 1e-6
    assert result.problems == ()


def test_a_step_too_large_is_told_apart_from_a_wrong_gate() -> None:
    c, _ = neuron()
    result = gradcheck(c, eps=1e-2)
    assert result.problems == () and result.status == "inconclusive"
    truncated = [row for row in result.rows if row.status != "passed"]
    assert truncated and all(row.reason == "truncation" for row in truncated)
    assert "the step is too large" in str(result)
    assert "smaller eps" in str(result)


def test_a_non_finite_output_is_inconclusive() -> None:
    x = Unit(1000.0, label="x")
    result = gradcheck(x.exp())
    assert result.rows[0].reason == "not finite" and result.status == "inconclusive"


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
    gate = c.gates[-1]
    inputs, cache = gate.inputs, gate.cache  # type: ignore[attr-defined]
    assert gradcheck(c)  # the probe ran on a copy of the gate
    assert gate.inputs == inputs and gate.cache == cache  # type: ignore[attr-defined]
    c.backward()
    assert x.grad == pytest.approx(2.0 * (1.0 - math.tanh(1.4) ** 2), rel=1e-15)
    assert out.value == math.tanh(1.4)


# -- failure and blame --------------------------------------------------------


def test_a_wrong_gate_fails_and_is_named_in_the_learners_words() -> None:
    p, q = Unit(2.0, label="p"), Unit(3.0, label="q")
    bad = FlippedMultGate().named("bad")
    out = (bad.forward(p, q) + p).tanh()
    result = gradcheck(out)
    assert result.status == "failed" and not result
    assert [r.name for r in result.failures] == ["q"]
    assert result.worst is not None and result.worst.name == "q"
    blame = result.blame
    assert blame is not None and blame.gate is bad and blame.kind == "local"
    assert (blame.position, blame.attribute, blame.got, blame.expected) == (1, "u1", -2.0, 2.0)
    assert blame.headline == (
        "`FlippedMultGate.backward` gives d(utop)/d(u1) = -2, but nudging u1 moves utop at a "
        "slope of 2: fix the local derivative (the sign is wrong)"
    )
    assert "Probed by itself at the inputs of bad (u0 = 2, u1 = 3)" in str(blame)
    assert "q: failed: backward gives d(" in str(result)


def test_a_class_is_blamed_once_however_many_of_its_gates_are_wrong() -> None:
    x = Unit(1.5, label="x")
    flips = [FlippedMultGate().named(name) for name in ("first", "second", "third")]
    out = x
    for gate in flips:  # three sign errors: the result is still wrong
        out = gate.forward(Unit(0.5, requires_grad=False), out)
    result = gradcheck(out)
    assert not result
    assert [blame.gate for blame in result.problems] == [flips[0]]


def test_a_gate_raising_at_a_nudge_is_explained_and_nothing_is_left_changed() -> None:
    class StrictSqrtGate(Gate):
        """Raises below 0, as math.sqrt does."""

        def forward(self, u0: Unit) -> Unit:
            self.u0 = u0
            self.utop = Unit(math.sqrt(u0.value))
            return self.utop

        def backward(self) -> None:
            self.u0.grad += 0.5 / self.utop.value * self.utop.grad

    x = Unit(0.0, label="x")
    out = StrictSqrtGate().forward(x + 1e-9)
    before = [(u.value, u.grad) for u in (x, out)]
    with pytest.raises(ValueError, match=r"nudging x = 0\.0 by 1e-06 .* made a gate raise"):
        gradcheck(out)
    assert [(u.value, u.grad) for u in (x, out)] == before


# -- kinks -------------------------------------------------------------------------


def test_an_input_at_a_kink_is_inconclusive_warns_and_blames_no_gate() -> None:
    z = Unit(0.0, label="z")
    relu = ReLUGate().named("relu")
    with pytest.warns(KinkWarning, match="ReLUGate relu has a kink"):
        result = gradcheck(relu.forward(z) * 2.0)
    (row,) = result.rows  # analytic 0 (PyTorch's choice), numeric 1
    assert row.status == "inconclusive" and row.reason == "kink"
    assert [(k.gate, k.position, k.left, k.right) for k in result.kinks] == [(relu, 0, 0.0, 1.0)]
    assert result.problems == () and result.status == "inconclusive"
    assert "kink" in str(result)


@pytest.mark.parametrize("gap", [0.0, 3e-7, -3e-7])
def test_kinks_are_found_in_any_gate_a_nudge_crosses(gap: float) -> None:
    # The gate's input is w + b: nudging w by eps * w = 5e-7 crosses 0.
    for gate in (LeakyReLUGate(0.1), AbsGate(), ReLUGate()):
        w, b = Unit(0.5, label="w"), Unit(-0.5 + gap, label="b")
        with pytest.warns(KinkWarning):
            result = gradcheck(gate.forward(w + b))
        assert [k.gate for k in result.kinks] == [gate]
        assert result.status == "inconclusive"


def test_a_small_value_is_not_nudged_across_its_own_kink() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(AbsGate().forward(Unit(5e-7)))  # the step is 5e-13
    assert result.status == "passed" and result.kinks == ()


@pytest.mark.parametrize("value", [0.0, 1e-7, 3.0])
def test_smooth_gates_have_no_kinks_even_where_the_slope_is_zero(value: float) -> None:
    x = Unit(value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck((x * x) + x**3 + (x * 1000.0) ** 2 + x.tanh())
    assert result and result.kinks == ()


def test_a_kink_further_than_the_nudge_is_not_reported() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = gradcheck(Unit(1e-4).relu())
    assert result and result.kinks == ()


# -- tolerances ----------------------------------------------------------------------


def test_relative_error_is_cs231ns_with_an_absolute_floor() -> None:
    assert relative_error(2.0, 1.0) == 0.5
    assert relative_error(-1.0, 1.0) == 2.0
    assert relative_error(0.0, 0.0) == 0.0
    assert relative_error(math.inf, math.inf) == 0.0
    assert agree(1e-12, 3e-12, rtol=1e-5, atol=1e-8)  # both near zero
    assert not agree(1e-12, 3e-12, rtol=1e-5, atol=0.0)
    assert agree(1000.0, 1000.001, rtol=1e-5, atol=0.0)
    assert not agree(1.0, math.nan, rtol=1.0, atol=1.0)


# -- the report ------------------------------------------------------------------------


def render(result: GradcheckResult, width: int = 120) -> str:
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    console.print(result)
    return console.export_text()


def test_a_passing_result_renders_a_table() -> None:
    c, _ = neuron()
    text = render(gradcheck(c))
    assert text.startswith("gradcheck passed: 5 parameters")
    for heading in ("unit", "value", "analytic", "numeric", "rel. error", "result"):
        assert heading in text
    row = next(line for line in text.splitlines() if " b " in line)
    assert "0.314981" in row and row.count("0.314981") == 2 and " ok " in row


def test_a_failing_result_renders_summary_problems_table_and_notes() -> None:
    p, q = Unit(2.0, label="p"), Unit(3.0, label="q")
    result = gradcheck(FlippedMultGate().named("bad").forward(p, q))
    text = render(result)
    assert text.startswith("gradcheck FAILED for q: 1 gate problem; 2 parameters of ")
    assert "1. `FlippedMultGate.backward` gives d(utop)/d(u1) = -2" in text
    assert "FAILED" in next(line for line in text.splitlines() if " q " in line)
    plain = str(result).splitlines()
    assert plain[0] == result.summary
    assert plain[1].startswith("1. `FlippedMultGate.backward`")
    assert plain[2].split() == ["unit", "value", "analytic", "numeric", "rel.", "error", "result"]
    assert plain[4].split()[0] == "q" and plain[4].split()[-1] == "FAILED"
    assert plain[5].startswith("q: failed: backward gives")


@pytest.mark.parametrize("width", [40, 60, 80])
def test_the_rich_report_keeps_to_the_width(width: int) -> None:
    chain = build_chain(depth=10, activation="sigmoid")
    text = render(gradcheck(chain.cost), width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert text.startswith("gradcheck inconclusive")


def test_the_repr_is_one_whole_line_that_pytest_shows_uncut() -> None:
    p, q = Unit(2.0, label="p"), Unit(3.0, label="q")
    result = gradcheck(FlippedMultGate().named("bad").forward(p, q))
    text = repr(result)
    assert "\n" not in text and len(text) <= 240  # pytest's limit before it cuts the middle
    assert text == f"<GradcheckResult FAILED: {result.problems[0].headline}>"
    c, _ = neuron()
    assert repr(gradcheck(c)).startswith("<GradcheckResult passed: 5 parameters of ")
    chain = build_chain(depth=10, activation="sigmoid")
    assert repr(gradcheck(chain.cost)) == (
        "<GradcheckResult inconclusive: w1's effect on C is lost in C's rounding (and 7 more)>"
    )


def test_a_repr_too_long_for_pytest_ends_at_a_clause() -> None:
    long_name = type("Flipped" + "Very" * 30 + "LongMultGate", (FlippedMultGate,), {})
    result = gradcheck(long_name().forward(Unit(2.0), Unit(3.0)))
    text = repr(result)
    assert len(text) <= 240 and text.endswith(" (...)>")
    assert text.removesuffix(" (...)>") in f"<GradcheckResult FAILED: {result.problems[0].headline}"


STUDENT_TESTS = """
import math
from gates import Gate, Unit
from gates.numerics import sigmoid
from circuits import gradcheck

class AssignSoftplus(Gate):
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(math.log1p(math.exp(u0.value)))
        return self.utop

    def backward(self):
        self.u0.grad = sigmoid(self.u0.value) * self.utop.grad

def test_assert_gradcheck():
    assert gradcheck(AssignSoftplus().forward(Unit(0.5)))

def test_with_the_report_as_message():
    result = gradcheck(AssignSoftplus().forward(Unit(0.5)))
    assert result, str(result)
"""

HEADLINE = "`AssignSoftplus.backward` replaces `u0.grad` instead of adding to it: write `+=`"


def _page_excerpt() -> list[str]:
    """The pytest output that the how-to page shows, line by line."""
    page = (ROOT / "docs/how-to/test-your-own-gate.md").read_text(encoding="utf-8")
    block = page.split("```text\nE ", 1)[1].split("```", 1)[0]
    return [line for line in ("E " + block).splitlines() if line]


def test_a_failing_assert_reads_whole_under_pytest(tmp_path: Path) -> None:
    (tmp_path / "test_student.py").write_text(STUDENT_TESTS, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "FORCE_COLOR"))}
    env["COLUMNS"] = "80"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "test_student.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out
    # `assert gradcheck(c)`: the whole diagnosis on the assert line, not cut by pytest
    assert f"E       assert <GradcheckResult FAILED: {HEADLINE}>" in out
    lines = out.splitlines()
    for shown in _page_excerpt():  # what the how-to page says pytest prints
        assert shown in lines
    # `assert result, str(result)`: the whole report, table and all
    assert "E       AssertionError: gradcheck FAILED: 1 gate problem; 1 parameter" in out
    assert f"E         1. {HEADLINE}. Probed by itself" in out
    table = next(line for line in lines if line.startswith("E         unit "))
    assert table.split()[1:] == ["unit", "value", "analytic", "numeric", "rel.", "error", "result"]


# -- `circuits check` -------------------------------------------------------------------


def script(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_check_prints_each_warning_once_and_formatted(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    path = script(
        tmp_path,
        "kinked.py",
        """
        import warnings
        from gates import Unit
        w, b = Unit(0.5), Unit(-0.5)
        h = (w + b).relu()
        out = h * 2.0
        """,
    )
    assert main(["check", str(path), "--width", "80"]) == 3
    out, err = capfd.readouterr()
    assert "KinkWarning" not in err and "warnings.warn" not in err
    assert " ".join(out.split()).count("has a kink within the nudge") == 1
    assert "inconclusive" in out.splitlines()[0]


def test_check_names_rows_as_the_trace_does_and_lists_failures_in_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = script(
        tmp_path,
        "two_slips.py",
        """
        from gates import Gate, Unit

        class NoUpstream(Gate):
            def forward(self, u0):
                self.u0 = u0
                self.utop = Unit(u0.value * u0.value)
                return self.utop
            def backward(self):
                self.u0.grad += 2 * self.u0.value

        class AssignSquare(NoUpstream):
            def backward(self):
                self.u0.grad = 2 * self.u0.value * self.utop.grad

        w = [Unit(0.5), Unit(-1.5)]
        first, second = AssignSquare(), NoUpstream()
        loss = second.forward(first.forward(w[0]) * w[1])
        """,
    )
    assert main(["check", str(path), "--width", "100"]) == 1
    out = capsys.readouterr().out
    assert out.index("1. `AssignSquare.backward`") < out.index("2. `NoUpstream.backward`")
    assert "the inputs of first (u0 = 0.5)" in out
    rows = [line.split()[1] for line in out.splitlines() if line.startswith("│")]
    assert rows == ["w[0]", "w[1]"]
    assert "of loss" in out.splitlines()[0]


def test_check_exit_status_tells_passed_failed_and_inconclusive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain = script(
        tmp_path,
        "chain.py",
        """
        from circuits.examples.vanishing import build_chain
        cost = build_chain(depth=10, activation="sigmoid").cost
        """,
    )
    assert main(["check", str(chain), "--width", "80"]) == 3
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith("gradcheck inconclusive: 20 parameters of cost:")
    assert main(["check", str(ROOT / "docs/how-to/neuron.py"), "--width", "80"]) == 0
    neuron_out = capsys.readouterr().out
    assert "gradcheck passed: 5 parameters of s" in neuron_out
    assert main(["check", str(ROOT / "docs/how-to/neuron.py"), "--eps", "1e-2"]) == 3
    assert "the step is too large" in capsys.readouterr().out
    for slip in ("assign_square.py", "no_upstream.py", "sqwrong.py"):
        assert main(["check", str(ROOT / "docs/how-to" / slip), "--width", "80"]) == 1
        capsys.readouterr()


def test_check_help_documents_the_exit_status(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "0 passed; 1 failed (or the script raised); 3 inconclusive" in text


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
