"""Step mode: pause after each event; Enter, c and q; never wait without a terminal.

The last tests drive the real ``circuits trace --step`` command through a
pseudo-terminal, the way a learner's keyboard would.
"""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from rich.console import Console

from circuits.stepper import Stepper, TraceStopped
from circuits.tracer import Tracer
from gates import AddGate, MultGate, Unit


class FakeTerminal(io.StringIO):
    """Typed answers, on something that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=80, color_system=None)


def prompts(console: Console) -> int:
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text.count("Enter: next")


def test_enter_goes_on_one_event_at_a_time() -> None:
    console = quiet_console()
    stepper = Stepper(console, stream=FakeTerminal("\n\n"))
    stepper.pause(1)
    stepper.pause(2)
    assert prompts(console) == 2
    assert not stepper.running


def test_c_runs_to_the_end_without_asking_again() -> None:
    console = quiet_console()
    stepper = Stepper(console, stream=FakeTerminal("c\n"))
    for step in range(1, 6):
        stepper.pause(step)
    assert prompts(console) == 1
    assert stepper.running


def test_q_stops() -> None:
    stepper = Stepper(quiet_console(), stream=FakeTerminal("\nq\n"))
    stepper.pause(1)
    with pytest.raises(TraceStopped) as stopped:
        stepper.pause(2)
    assert stopped.value.step == 2


def test_an_unknown_answer_asks_again() -> None:
    console = quiet_console()
    stepper = Stepper(console, stream=FakeTerminal("x\n\n"))
    stepper.pause(1)
    assert prompts(console) == 2
    assert "'x' is not a choice" in console.file.getvalue()  # type: ignore[attr-defined]


def test_end_of_input_runs_through() -> None:
    stepper = Stepper(quiet_console(), stream=FakeTerminal(""))
    stepper.pause(1)
    assert stepper.running


def test_input_that_is_not_a_terminal_is_never_read() -> None:
    class Untouchable(io.StringIO):
        def readline(self, size: int | None = -1) -> str:
            raise AssertionError("step mode read from a non-terminal")

    console = quiet_console()
    stepper = Stepper(console, stream=Untouchable())
    for step in range(1, 4):
        stepper.pause(step)
    assert stepper.running
    assert "not a terminal" in console.file.getvalue()  # type: ignore[attr-defined]


def test_q_in_a_tracer_ends_the_with_block_quietly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", FakeTerminal("\nq\n"))
    console = quiet_console()
    reached_the_end = False
    with Tracer(console=console, step=True) as tracer:
        a = MultGate().forward(Unit(1.0), Unit(2.0))
        b = AddGate().forward(a, Unit(3.0))
        AddGate().forward(b, Unit(4.0))  # never runs: q was pressed after step 2
        reached_the_end = True
    assert not reached_the_end
    assert tracer.count == 2
    assert "Stopped at step 2." in console.file.getvalue()  # type: ignore[attr-defined]


# -- the real command ----------------------------------------------------------

SCRIPT = textwrap.dedent(
    """
    from gates import Unit, MultGate, AddGate
    a, b, c = Unit(1.0), Unit(2.0), Unit(-3.0)
    mulg0, addg0 = MultGate(), AddGate()
    ab = mulg0.forward(a, b)
    out = addg0.forward(ab, c)
    print("forward done:", out.value)
    out.grad = 1.0
    addg0.backward()
    mulg0.backward()
    print("grads:", a.grad, b.grad, c.grad)
    """
)

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "steps.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def command(script: Path) -> list[str]:
    return [sys.executable, "-m", "circuits", "trace", str(script), "--step", "--width", "90"]


class Terminal:
    """The command running on a pseudo-terminal; we read its screen and type."""

    def __init__(self, argv: list[str]) -> None:
        master, slave = os.openpty()
        env = dict(os.environ, NO_COLOR="1", TERM="xterm", COLUMNS="90")
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, close_fds=True
        )
        os.close(slave)
        self.master = master
        self.screen = ""

    def read_until(self, text: str, times: int = 1) -> str:
        """Everything printed until ``text`` has appeared ``times`` times.

        The 60 s wait is a hang guard, not a timing test.
        """
        while self.screen.count(text) < times:
            ready, _, _ = select.select([self.master], [], [], 60)
            if not ready:
                raise AssertionError(f"waited 60 s for {text!r}; screen so far:\n{self.screen}")
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # the child closed the terminal
                chunk = b""
            if not chunk:
                raise AssertionError(f"ended before {text!r}; screen:\n{self.screen}")
            self.screen += ANSI.sub("", chunk.decode("utf-8", "replace")).replace("\r", "")
        return self.screen

    def type(self, keys: str) -> None:
        os.write(self.master, keys.encode())

    def finish(self) -> int:
        while True:  # drain the output so the child can exit
            ready, _, _ = select.select([self.master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.screen += ANSI.sub("", chunk.decode("utf-8", "replace")).replace("\r", "")
        status = self.process.wait(timeout=60)
        os.close(self.master)
        return status


def test_the_command_pauses_after_each_event_and_enter_goes_on(script: Path) -> None:
    terminal = Terminal(command(script))
    screen = terminal.read_until("Enter: next")
    assert "mulg0" in screen
    assert "addg0" not in screen  # paused after the first event
    terminal.type("\n")
    screen = terminal.read_until("Enter: next", times=2)
    assert "addg0.utop" in screen
    assert "forward done" not in screen  # the script itself is paused too
    terminal.type("\n")
    terminal.read_until("Enter: next", times=3)
    assert "forward done: -1.0" in terminal.screen
    terminal.type("c\n")  # run to the end
    assert terminal.finish() == 0
    assert "grads: 2.0 1.0 1.0" in terminal.screen
    assert terminal.screen.count("Enter: next") == 3
    assert "Units after the run" in terminal.screen


def test_q_in_the_command_stops_the_script(script: Path) -> None:
    terminal = Terminal(command(script))
    terminal.read_until("Enter: next")
    terminal.type("q\n")
    assert terminal.finish() == 0
    assert "Stopped at step 1." in terminal.screen
    assert "forward done" not in terminal.screen


def test_the_command_does_not_wait_when_stdin_is_not_a_terminal(script: Path) -> None:
    # stdin is an open pipe nobody writes to: reading it would block forever.
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            command(script), stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            status = process.wait(timeout=120)  # a hang guard: it must end by itself
        finally:
            assert process.stdin is not None
            process.stdin.close()
            if process.poll() is None:
                process.kill()
        out.seek(0)
        text = out.read().decode()
    assert status == 0
    assert "not a terminal" in text
    assert "grads: 2.0 1.0 1.0" in text
    assert "Enter: next" not in text
