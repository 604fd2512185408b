"""A teacher's lab, end to end: a fresh project that only installs this package.

The project holds a handout with ``>>>`` examples (a drawing and a trace), two
gates in the guide's style (the teacher's, and a student's with ``=`` where
the guide writes ``+=``) and a test file of hypothesis properties built on
``circuits.strategies``. Its ``pytest.ini`` has the two lines the docs tell a
teacher to add. Plain ``pytest`` runs there in a subprocess, in a terminal
that is wide and asks for colour, and what a student reads is checked: the
handout passes, the teacher's gate passes, the student's fails with an
example that names its gates and values from ``g1`` and ``u1``.

Also here: the one-line and the long form of a ``Circuit``, which is what a
failing property test prints for its example.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from rich.console import Console

from circuits import Circuit, Tracer
from gates import AddGate, MultGate, SigmoidGate, Unit
from gates.labels import numbered_from_one

INI = "[pytest]\naddopts = --doctest-glob=*.md --circuits\n"
"""The two lines a teacher adds (after the section header)."""

GATES = '''\
"""The lab's gates, written as the guide writes its own."""

from gates import Gate, Unit


class SquareGate(Gate):
    """utop = u0 * u0. Local derivative: 2 * u0."""

    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value * u0.value)
        return self.utop

    def backward(self):
        self.u0.grad += 2 * self.u0.value * self.utop.grad


class StudentSquareGate(Gate):
    """The same gate as a student wrote it."""

    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value * u0.value)
        return self.utop

    def backward(self):
        self.u0.grad = 2 * self.u0.value * self.utop.grad
'''

PROPERTIES = """\
from hypothesis import given

from circuits import gradcheck
from circuits.strategies import circuits
from gates import MultGate
from lab_gates import SquareGate, StudentSquareGate


@given(circuits(gates=[SquareGate, MultGate]))
def test_square_gate_gradients(c):
    assert gradcheck(c)


@given(circuits(gates=[SquareGate]))
def test_square_gate_backward_changes_no_value(c):
    values = [u.value for u in c.units]
    c.backward()
    assert [u.value for u in c.units] == values


@given(circuits(gates=[StudentSquareGate, MultGate]))
def test_student_square_gate_gradients(c):
    assert gradcheck(c)
"""

# The handout's examples, one statement each; their expected output is made
# below on a fixed 80-column console with no colour: what every doctest must see.
DRAWING = [
    "from gates import Unit",
    "from circuits import Tracer, draw",
    'w, x = Unit(2.0, label="w"), Unit(-1.0, label="x", requires_grad=False)',
    "y = (w * x).sigmoid()",
    "y.backward()",
    "print(draw(y).to_text(width=80))",
]

TRACE = ["with Tracer():\n    z = (w * w + x).tanh()\n    z.backward()\n"]


def _session(statements: list[str], namespace: dict[str, object], console: Console) -> str:
    """The statements as doctest lines, each followed by what it printed."""
    lines = []
    buffer = console.file
    assert isinstance(buffer, io.StringIO)
    for statement in statements:
        first, *rest = statement.rstrip("\n").splitlines()
        lines.append(f">>> {first}")
        lines.extend(f"... {line}" for line in rest)
        if rest:
            lines.append("...")
        start = len(buffer.getvalue())
        stdout, sys.stdout = sys.stdout, buffer
        try:
            exec(statement, namespace)
        finally:
            sys.stdout = stdout
        printed = buffer.getvalue()[start:]
        # As a teacher pastes it: trailing spaces and the final blank line
        # trimmed, which only NORMALIZE_WHITESPACE lets pass; a blank line
        # inside the output is doctest's <BLANKLINE>.
        for line in printed.rstrip("\n").splitlines():
            lines.append(line.rstrip() or "<BLANKLINE>")
    return "\n".join(lines)


def handout() -> str:
    """A page with a drawing and a trace, as the teacher ran them on 80 columns."""
    console = Console(file=io.StringIO(), width=80, color_system=None)
    namespace: dict[str, object] = {}
    with numbered_from_one():  # as the plugin starts each doctest
        drawing = _session(DRAWING, namespace, console)
        namespace["Tracer"] = lambda: Tracer(console=console)
        trace = _session(TRACE, namespace, console)
    return textwrap.dedent(
        """\
        # Lab 3: one neuron, drawn and traced

        The neuron's picture after backward:

        ```python
        {drawing}

        ```

        And a trace, gate by gate:

        ```python
        {trace}

        ```
        """
    ).format(drawing=drawing, trace=trace)


def make_lab(tmp_path: Path, ini: str = INI) -> Path:
    lab = tmp_path / "lab"
    lab.mkdir()
    (lab / "pytest.ini").write_text(ini, encoding="utf-8")
    (lab / "handout.md").write_text(handout(), encoding="utf-8")
    (lab / "lab_gates.py").write_text(GATES, encoding="utf-8")
    (lab / "test_lab.py").write_text(PROPERTIES, encoding="utf-8")
    return lab


def plain_pytest(lab: Path) -> subprocess.CompletedProcess[str]:
    """``pytest`` in the lab, from a terminal 132 columns wide that asks for
    colour, and nothing of this repository's configuration."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "HYPOTHESIS"))}
    env.pop("CI", None)  # the dev profile, as on a student's laptop
    env.update(COLUMNS="132", FORCE_COLOR="1", PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-m", "pytest"],
        cwd=lab,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def failed_tests(output: str) -> set[str]:
    return set(re.findall(r"^FAILED (\S+)", output, flags=re.M))


def plain(text: str) -> str:
    """pytest's own report without the colours FORCE_COLOR gave it."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def test_the_plugin_is_installed_for_pytest() -> None:
    registered = {e.name: e.value for e in entry_points(group="pytest11")}
    assert registered.get("circuits") == "circuits.pytest_plugin", (
        "the pytest11 entry point is missing: re-run pip install -e '.[dev]'"
    )


@pytest.fixture(scope="module")
def lab_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, int]:
    lab = make_lab(tmp_path_factory.mktemp("teacher"))
    done = plain_pytest(lab)
    return lab, plain(done.stdout + done.stderr), done.returncode


def test_the_handout_runs_with_the_two_ini_lines_only(lab_run: tuple[Path, str, int]) -> None:
    lab, output, status = lab_run
    page = (lab / "handout.md").read_text()
    assert "# doctest:" not in page  # no flags on the page
    assert "sigmoid" in page and "backward" in page  # the drawing and the trace are there
    assert "handout.md::handout.md" not in failed_tests(output), output
    assert "handout.md" in output  # collected: --doctest-glob came from the ini
    assert status == 1, output  # only because of the student's gate


def test_the_teachers_gate_passes_and_the_students_fails(lab_run: tuple[Path, str, int]) -> None:
    _, output, _ = lab_run
    assert failed_tests(output) == {"test_lab.py::test_student_square_gate_gradients"}, output
    assert re.search(r"\b1 failed, 3 passed\b", output), output  # handout + 2 properties


def test_the_students_failure_reads_on_its_own(lab_run: tuple[Path, str, int]) -> None:
    _, output, _ = lab_run
    report = output[output.index("test_student_square_gate_gradients ___") :]
    # The shrunk example names its gate and values, counted from 1 ...
    example = re.search(r"c=(<Circuit .*>),?$", report, flags=re.M)
    assert example, report
    shown = example.group(1)
    assert shown.startswith("<Circuit 1 gate: g1 = StudentSquareGate(u1="), report
    units = {int(n) for n in re.findall(r"\bu(\d+)=", shown)}
    assert units == set(range(1, len(units) + 1)), shown  # u1, u2: no u23
    # ... the diagnosis names the student's gate and the fix ...
    assert "StudentSquareGate" in report and "+=" in report
    # ... and nothing points the student at the library's own lines.
    assert "Explanation:" not in report
    assert "circuits/_" not in report


def test_without_the_plugin_the_same_handout_fails(tmp_path: Path) -> None:
    # The control: the handout needs what --circuits gives it, at 132 columns.
    lab = make_lab(tmp_path, ini="[pytest]\naddopts = --doctest-glob=*.md\n")
    (lab / "test_lab.py").unlink()
    output = plain(plain_pytest(lab).stdout)
    assert failed_tests(output) == {"handout.md::handout.md"}, output


# -- what a failing example says: the Circuit's repr and its long form ---------------------


def test_a_circuits_repr_names_its_gates_inputs_and_values() -> None:
    with numbered_from_one():  # names are given when first shown: here
        a, b = Unit(2.0), Unit(3.0, requires_grad=False)
        with Circuit() as c:
            out = SigmoidGate().forward(MultGate().forward(a, b))
        shown = repr(c)
    assert shown == (
        "<Circuit 2 gates: g1 = MultGate(u1=2.0, u2=3.0) -> u3=6.0; "
        "g2 = SigmoidGate(u3=6.0) -> u4=0.9975; constant u2>"
    )
    assert out.value == pytest.approx(0.997527)  # 1 / (1 + e^-6)


def test_one_gate_is_one_gate_and_labels_win() -> None:
    w = Unit(0.5, label="w")
    with Circuit() as c:
        AddGate().forward(w, w)
    assert re.fullmatch(r"<Circuit 1 gate: g\d+ = AddGate\(w=0\.5, w=0\.5\) -> u\d+=1\.0>", repr(c))
    assert repr(Circuit()) == "<Circuit 0 gates: nothing recorded>"


def test_a_long_circuit_keeps_its_repr_to_one_short_line() -> None:
    with numbered_from_one():
        x = Unit(0.1)
        with Circuit() as c:
            for _ in range(40):
                x = x * 1.01
        text = repr(c)
    assert "\n" not in text and len(text) < 400
    assert text.startswith("<Circuit 40 gates: g1 = MultGate(u1=0.1, u2=1.01) -> u3=0.101; ")
    assert "; ... 35 more; g40 = MultGate(" in text
    assert text.endswith("constants u2, u4, u6, ... (40 in all)>")


def test_the_long_form_is_a_table_of_every_gate_call() -> None:
    with numbered_from_one():
        a = Unit(-1.5)
        with Circuit() as c:
            y = MultGate().forward(a, a).relu()
        c.backward()
        console = Console(file=io.StringIO(), width=80, color_system=None, record=True)
        console.print(c)
    text = console.export_text()
    assert text.startswith("Circuit of 2 gates")
    rows = [line.split() for line in text.splitlines() if line.strip()[:1].isdigit()]
    # d(relu(a*a))/d(a*a) = 1 at a*a = 2.25, so the multiply's output has grad 1
    assert rows == [
        ["1", "│", "g1", "│", "MultGate", "│", "u1=-1.5,", "u1=-1.5", "│", "u2=2.25", "│", "1.0"],
        ["2", "│", "g2", "│", "ReLUGate", "│", "u2=2.25", "│", "u3=2.25", "│", "1.0"],
    ]
    assert "inputs: u1=-1.5" in text
    assert y.value == 2.25 and a.grad == -3.0  # 2a
