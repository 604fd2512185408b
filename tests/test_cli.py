"""The ``circuits`` command: trace, draw, demo (and check), run on real scripts.

Most tests call ``main([...])`` in-process (fast, output captured by pytest);
a few run the installed console script and ``python -m circuits`` as a
learner would.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

# The guide's neuron as a learner ports it, with only its imports changed.
from guide_neuron import FORWARD_AND_BACKWARD as GUIDE

from circuits.cli import main
from circuits.examples import EXAMPLES


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    path = tmp_path / "guide.py"
    path.write_text(GUIDE, encoding="utf-8")
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def run(*argv: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a learner types it."""
    script = Path(sys.executable).with_name("circuits")
    return subprocess.run(
        [str(script), *argv], capture_output=True, text=True, check=False, timeout=120
    )


# -- trace ---------------------------------------------------------------------------


def test_trace_shows_the_scripts_gate_names_and_its_own_prints(guide: Path) -> None:
    done = run("trace", str(guide), "--width", "90")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for name in ("mulg0", "mulg1", "addg0", "addg1", "sg0"):
        assert name in out
    assert "circuit output: 0.8807970779778823" in out
    assert "[-0.10499358540350662, 0.31498075621051985" in out
    (row,) = [line for line in out.splitlines() if line.startswith("   6 ")]
    assert "sg0" in row and "backward" in row and "sg0.u0 is addg1.utop" in row
    # the script's print comes after the forward rows and before the backward ones
    assert out.index("value = 0.8808") < out.index("circuit output") < out.index("   6 ")


def test_python_dash_m_circuits_is_the_same_command(guide: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "circuits", "trace", str(guide), "--width", "90"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "sg0.u0 is addg1.utop" in done.stdout


def test_trace_runs_the_script_as_main_with_its_folder_importable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write(tmp_path, "helper.py", "SCALE = 3.0\n")
    script = write(
        tmp_path,
        "main_check.py",
        """
        import sys
        from helper import SCALE
        from gates import Unit
        if __name__ == "__main__":
            w = Unit(2.0)
            out = w * SCALE
            print("args:", sys.argv[1:], "out:", out.value)
        """,
    )
    assert main(["trace", str(script), "--width", "80", "--", "one", "two"]) == 0
    out = capsys.readouterr().out
    assert "args: ['one', 'two'] out: 6.0" in out
    assert "w = 2.0" in out  # named by the script's global, read live


def test_trace_save_html_includes_the_trace_and_the_scripts_output(
    guide: Path, tmp_path: Path
) -> None:
    target = tmp_path / "trace.html"
    assert main(["trace", str(guide), "--width", "90", "--save-html", str(target)]) == 0
    html = target.read_text()
    assert "circuit output: 0.8807970779778823" in html
    assert "addg1.utop" in html


def test_trace_save_svg(guide: Path, tmp_path: Path) -> None:
    target = tmp_path / "trace.svg"
    assert main(["trace", str(guide), "--width", "90", "--save-svg", str(target)]) == 0
    assert target.read_text().lstrip().startswith("<svg")


def test_trace_limit(guide: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["trace", str(guide), "--width", "90", "--limit", "4"]) == 0
    out = capsys.readouterr().out
    assert "... and 6 more gate calls" in out


def test_a_script_that_raises_shows_its_traceback_and_fails(tmp_path: Path) -> None:
    script = write(
        tmp_path,
        "broken.py",
        """
        from gates import Unit
        a = Unit(1.0)
        b = a * 2.0

        def divide():
            return 1 / 0

        divide()
        """,
    )
    done = run("trace", str(script))
    assert done.returncode == 1
    assert "Traceback (most recent call last)" in done.stderr
    assert 'broken.py", line 7, in divide' in done.stderr
    assert "ZeroDivisionError: division by zero" in done.stderr
    assert "circuits/cli.py" not in done.stderr  # only the learner's frames
    assert done.stderr.rstrip().splitlines()[-1] == "circuits: broken.py raised ZeroDivisionError"
    assert "mulg" not in done.stdout and "MultGate" in done.stdout  # traced up to the error


def test_a_script_with_a_syntax_error_fails_with_the_line(tmp_path: Path) -> None:
    script = write(tmp_path, "typo.py", "x = (1,\n")
    done = run("trace", str(script))
    assert done.returncode == 1
    assert "typo.py" in done.stderr and "SyntaxError" in done.stderr


def test_sys_exit_in_the_script_sets_the_status(tmp_path: Path) -> None:
    script = write(tmp_path, "leave.py", "import sys\nsys.exit(3)\n")
    assert main(["trace", str(script)]) == 3
    script = write(tmp_path, "fine.py", "import sys\nsys.exit(0)\n")
    assert main(["trace", str(script)]) == 0


def test_a_missing_file_is_one_line_and_status_2() -> None:
    done = run("trace", "no_such_script.py")
    assert done.returncode == 2
    assert done.stderr == "circuits trace: error: no such file: 'no_such_script.py'\n"


@pytest.mark.parametrize(
    "argv",
    [
        ["trace", "x.py", "--bogus"],
        ["draw", "x.py", "--view", "sideways"],
        ["--bogus"],
        ["nonsense"],
        ["trace", "x.py", "--width", "0"],
        ["trace", "x.py", "one", "two"],  # script arguments belong after --
    ],
)
def test_usage_errors_are_one_line_with_status_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    assert "error:" in err and "--help" in err


@pytest.mark.parametrize("command", [[], ["trace"], ["draw"], ["check"], ["demo"]])
def test_help_everywhere(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: circuits")
    assert "example" in out or "COMMAND" in out


def test_no_command_prints_help_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "trace" in capsys.readouterr().out


# -- draw ----------------------------------------------------------------------------


def test_draw_console_tree_of_the_last_output(
    guide: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draw", str(guide), "--width", "90"]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0].startswith("s = sigmoid [sg0]   value 0.8808  grad 1.0")
    assert "<- 0.3150  b   value 2.0  grad 0.3150" in captured.out
    assert "circuit output" in captured.err  # the script's prints stay off stdout


@pytest.mark.needs_dot
def test_draw_dot_to_stdout_parses_in_graphviz(guide: Path) -> None:
    done = run("draw", str(guide), "--format", "dot")
    assert done.returncode == 0, done.stderr
    parsed = subprocess.run(
        ["dot", "-Tsvg"], input=done.stdout, capture_output=True, text=True, check=False
    )
    assert parsed.returncode == 0, parsed.stderr
    assert "0.1050" in parsed.stdout


@pytest.mark.needs_dot
def test_draw_svg_and_png_files(guide: Path, tmp_path: Path) -> None:
    svg = tmp_path / "n.svg"
    png = tmp_path / "n.png"
    assert main(["draw", str(guide), "--format", "svg", "-o", str(svg)]) == 0
    assert main(["draw", str(guide), "--format", "png", "-o", str(png)]) == 0
    assert "grad 0.3150" in svg.read_text()
    assert png.read_bytes().startswith(b"\x89PNG")


def test_draw_a_named_unit_in_the_forward_view(
    guide: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draw", str(guide), "--unit", "mulg1.utop", "--view", "forward"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "* [mulg1]   value 6.0",
        "├── b   value 2.0",
        "└── y   value 3.0",
    ]


def test_draw_local_derivatives(guide: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["draw", str(guide), "--unit", "mulg1.utop", "--edges", "local"]) == 0
    assert "local 3.0  b" in capsys.readouterr().out


def test_draw_unknown_unit_is_a_one_line_error(
    guide: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["draw", str(guide), "--unit", "nope"]) == 2
    *script_output, message = capsys.readouterr().err.strip().splitlines()
    assert script_output[0] == "circuit output: 0.8807970779778823"
    assert message.startswith("circuits draw: error: guide.py has no global variable 'nope'")
    assert message.endswith("its units and circuits: a, b, c, s, x, y")


def test_draw_a_script_with_no_gates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = write(tmp_path, "empty.py", "print('nothing here')\n")
    assert main(["draw", str(script)]) == 2
    assert "ran no gate" in capsys.readouterr().err


def test_draw_svg_without_graphviz_says_how_to_install(
    guide: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "")
    assert main(["draw", str(guide), "--format", "svg"]) == 1
    err = capsys.readouterr().err
    assert "apt-get install graphviz" in err


# -- demo ----------------------------------------------------------------------------


def test_demo_lists_every_registered_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--width", "120"]) == 0
    out = capsys.readouterr().out
    for example in EXAMPLES.values():
        assert example.name in out
        assert example.title in out


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_demo_runs_traced(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", name, "--width", "100", "--limit", "50"]) == 0
    out = capsys.readouterr().out
    assert EXAMPLES[name].title in out
    assert "forward" in out and "   1 " in out  # the Tracer's rows


def test_demo_neuron_shows_the_guides_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "neuron", "--width", "90"]) == 0
    out = capsys.readouterr().out
    assert "sg0.u0 is addg1.utop" in out
    assert "s = 0.8808" in out


def test_demo_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("circuits demo: error: no example 'nope'; choose from neuron")


# -- check ---------------------------------------------------------------------------

WRONG_GATE = """
from gates import Gate, Unit

class SquareGate(Gate):
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value * u0.value)
        return self.utop

    def backward(self):
        self.u0.grad += self.u0.value * self.utop.grad  # wrong: d(u0**2)/du0 is 2 u0

w = Unit(3.0)
sq = SquareGate()
loss = sq.forward(w) * 2.0
"""


def test_check_passes_the_guides_neuron_naming_its_variables(
    guide: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(guide), "--width", "100"]) == 0
    out = capsys.readouterr().out
    assert "gradcheck passed: 5 parameters of s" in out
    rows = [line.split()[1] for line in out.splitlines() if line.startswith("│")]
    assert rows == ["a", "x", "b", "y", "c"]


def test_check_fails_a_wrong_gate_and_blames_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(tmp_path, "wrong.py", WRONG_GATE)
    assert main(["check", str(script), "--width", "120"]) == 1
    out = capsys.readouterr().out
    assert "gradcheck FAILED for w" in out
    assert "`SquareGate.backward` gives d(utop)/d(u0) = 3" in out
    assert "fix the local derivative" in out


def test_check_a_named_unit_and_bad_settings(
    guide: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", str(guide), "--unit", "mulg1.utop", "--width", "100"]) == 0
    assert "2 parameters" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exited:
        main(["check", str(guide), "--eps", "-1"])
    assert exited.value.code == 2


SQUARE_DEFINED_NOT_USED = """
from gates import Gate, MultGate, Unit

class Square(Gate):
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value ** 2)
        return self.utop

    def backward(self):
        self.u0.grad = 3 * self.u0.value * self.utop.grad  # two slips, never run

x = Unit(1.5, label="x")
y = MultGate().forward(x, x)
"""


def test_check_names_a_gate_class_of_the_script_it_could_not_probe(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(tmp_path, "unused.py", SQUARE_DEFINED_NOT_USED)
    assert main(["check", str(script), "--width", "200"]) == 3  # not "passed": Square unchecked
    out = " ".join(capsys.readouterr().out.split())  # as read, whatever the wrapping
    assert "gradcheck passed: 1 parameter of y" in out  # what was checked did pass
    assert "Not checked: Square. The script defines it, but the circuit of y does not use" in out
    assert "So the check as a whole is inconclusive (exit status 3)" in out
    used = write(
        tmp_path,
        "used.py",
        SQUARE_DEFINED_NOT_USED.replace("MultGate().forward(x, x)", "Square().forward(x)"),
    )
    assert main(["check", str(used), "--width", "200"]) == 1  # run, probed, blamed
    out = capsys.readouterr().out
    assert "Not checked" not in out and "`Square.backward` replaces `u0.grad`" in out


def test_check_says_when_the_scripts_grads_are_not_one_backward_pass(
    tmp_path: Path, guide: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    twice = write(
        tmp_path,
        "twice.py",
        """
        from gates import Unit
        a = Unit(1.0, label="a")
        y = a * a
        y.backward()
        y.backward()
        """,
    )
    assert main(["check", str(twice), "--width", "300"]) == 0
    out = capsys.readouterr().out
    # d(a*a)/da = 2a = 2 per pass; two passes left 4 in a.grad
    assert "Note: the script left a.grad = 4.0, but one backward pass of y" in out
    assert "gives 2.0 (the analytic column): 2 times as much, as after 2 backward calls" in out
    stepped = write(
        tmp_path,
        "stepped.py",
        """
        from gates import Unit
        a = Unit(1.0, label="a")
        y = a * a
        y.backward()
        a.value += 0.1
        """,
    )
    assert main(["check", str(stepped), "--width", "300"]) == 0
    out = capsys.readouterr().out
    assert (
        "the script left a.grad = 2.0, but one backward pass of y at the current values "
        "gives 2.2000" in out
    )
    assert "times as much" not in out
    assert main(["check", str(guide), "--width", "300"]) == 0  # one backward, values unchanged
    assert "Note:" not in capsys.readouterr().out
    blown = write(
        tmp_path,
        "blown.py",
        """
        from gates import Unit
        a = Unit(1.0, label="a")
        y = a * a
        y.backward()
        a.grad = float("inf")
        """,
    )
    assert main(["check", str(blown), "--width", "300"]) == 0  # the gates are right
    assert "the script left a.grad = inf, but one backward pass of y" in capsys.readouterr().out


def test_check_takes_the_automatic_names_the_trace_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    sqwrong = Path(__file__).resolve().parent.parent / "docs" / "how-to" / "sqwrong.py"
    assert main(["trace", str(sqwrong), "--width", "100"]) == 0
    assert "g1.utop is u1" in capsys.readouterr().out  # SqWrong's output, by the trace
    for name in ("u1", "g1.utop", "g3.u0"):
        # x*x's slope is 2x; SqWrong's backward says 3x: the sub-circuit up to u1 fails
        assert main(["check", str(sqwrong), "--unit", name, "--width", "200"]) == 1
        assert "gradcheck FAILED for x: 1 gate problem; 1 parameter of u1: 1 failed" in (
            capsys.readouterr().out
        )
    assert main(["check", str(sqwrong), "--unit", "u9"]) == 2
    err = capsys.readouterr().err
    assert (
        "a trace of sqwrong.py shows no unit called u9: it shows u1, u2 and paths such as g1.u0"
        in err
    )


def test_demo_options_need_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--depth", "3"]) == 2
    assert "--depth needs an example: circuits demo vanishing --depth" in capsys.readouterr().err


def test_a_reader_that_leaves_early_stops_the_command_quietly() -> None:
    script = Path(sys.executable).with_name("circuits")
    shown = subprocess.Popen(
        [str(script), "demo", "vanishing"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert shown.stdout is not None and shown.stderr is not None
    shown.stdout.readline()  # `| head -1`: one line read, then the pipe is closed
    shown.stdout.close()
    assert shown.wait(timeout=120) == 141  # 128 + SIGPIPE, as the shell's own tools
    assert b"Traceback" not in shown.stderr.read()


def test_draw_a_unit_whose_gate_was_forwarded_again_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(
        tmp_path,
        "reused.py",
        """
        from gates import MultGate, Unit
        g = MultGate()
        first = g.forward(Unit(1.0), Unit(2.0))
        out = first * 3.0
        g.forward(Unit(4.0), Unit(5.0))  # g no longer holds first's inputs
        """,
    )
    assert main(["draw", str(script), "--unit", "out"]) == 1
    (message,) = capsys.readouterr().err.strip().splitlines()
    assert message.startswith("circuits draw: error: MultGate g")
    assert "forwarded again" in message


# -- errors after the script ran: one line, the learner's frame, no traceback of ours --

EMPTY_CIRCUIT = """
from circuits import Circuit
c = Circuit()
"""

BACKWARD_DIVIDES_BY_ZERO = """
from gates import Gate, Unit

class InverseGate(Gate):
    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(1.0 / u0.value)
        return self.utop

    def backward(self):
        self.u0.grad += -1.0 / (self.u0.value * 0.0) * self.utop.grad  # divides by zero

w = Unit(2.0)
inv = InverseGate()
loss = inv.forward(w)
"""


@pytest.mark.parametrize("command", ["check", "draw"])
def test_an_empty_circuit_is_a_one_line_error(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(tmp_path, "empty.py", EMPTY_CIRCUIT)
    assert main([command, str(script), "--unit", "c"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""  # no drawing, no table
    (message,) = captured.err.strip().splitlines()
    assert message.startswith(f"circuits {command}: error: c in empty.py is an empty Circuit")
    assert "with Circuit() as c:" in message  # the fix


@pytest.mark.parametrize("command", ["check", "draw"])
def test_a_users_gate_that_raises_is_named_under_the_users_own_frame(
    command: str, tmp_path: Path
) -> None:
    script = write(tmp_path, "inverse.py", BACKWARD_DIVIDES_BY_ZERO)
    done = run(command, str(script))
    assert done.returncode == 1
    frame, source, message = done.stderr.strip().splitlines()
    assert frame.strip() == f'File "{script}", line 11, in backward'
    assert source.strip().startswith("self.u0.grad += -1.0 / (self.u0.value * 0.0)")
    assert message == (
        f"circuits {command}: error: InverseGate inv.backward() raised "
        "ZeroDivisionError: float division by zero"
    )


def test_a_script_that_raises_is_not_also_said_to_have_called_no_gates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = write(tmp_path, "bad.py", "x = 1\nraise ValueError('boom')\n")
    assert main(["trace", str(script)]) == 1
    captured = capsys.readouterr()
    assert "called no gates" not in captured.out
    assert captured.err.strip().splitlines()[-2:] == [
        "ValueError: boom",
        "circuits: bad.py raised ValueError",
    ]


def test_a_scripts_traceback_leaves_out_the_engine_between_its_frames(tmp_path: Path) -> None:
    # loss.backward() in the script runs the engine, which runs the gate's
    # backward in the script: the traceback shows the two script frames only.
    script = write(tmp_path, "inverse.py", BACKWARD_DIVIDES_BY_ZERO + "loss.backward()\n")
    done = run("trace", str(script))
    assert done.returncode == 1
    frames = [line.strip() for line in done.stderr.splitlines() if line.strip().startswith("File")]
    assert frames == [
        f'File "{script}", line 16, in <module>',
        f'File "{script}", line 11, in backward',
    ]
    assert done.stderr.rstrip().endswith("circuits: inverse.py raised ZeroDivisionError")
