"""Step mode: pause after each event; Enter, c and q; never wait without a terminal.

On a terminal one key press answers (no Enter needed); elsewhere a line does.
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
import termios
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

import pytest
from rich.console import Console

from circuits.stepper import Stepper, TraceStopped
from circuits.tracer import Tracer
from gates import AddGate, MultGate, Unit


class FakeTerminal(io.StringIO):
    """Typed lines, on something that says it is a terminal but has no file
    descriptor: the stepper must fall back to reading lines."""

    def isatty(self) -> bool:
        return True


def quiet_console() -> Console:
    return Console(file=io.StringIO(), width=120, color_system=None)


def screen(console: Console) -> str:
    text = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(text, str)
    return text


def prompts(console: Console) -> int:
    return screen(console).count("paused after step")


def test_the_prompt_names_every_key() -> None:
    console = quiet_console()
    Stepper(console, stream=FakeTerminal("\n")).pause(7)
    shown = screen(console)
    assert "paused after step 7" in shown
    assert "Enter or space: next" in shown
    # reading lines, the prompt says that a letter needs Enter after it
    assert "c then Enter: run to the end" in shown and "q then Enter: stop" in shown


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
    assert "'x' is not a choice" in screen(console)


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


# -- single keys on a real terminal ---------------------------------------------


class Learner(io.StringIO):
    """A console's screen that, each time a prompt appears on it, presses the next key
    on the keyboard end of a pseudo-terminal, as a learner would."""

    def __init__(self, keyboard: int, keys: list[bytes]) -> None:
        super().__init__()
        self.keyboard = keyboard
        self.keys = keys

    def write(self, text: str) -> int:
        written = super().write(text)
        if "paused after step" in text and self.keys:
            os.write(self.keyboard, self.keys.pop(0))
        return written


@pytest.fixture
def terminal() -> Iterator[tuple[int, TextIO]]:
    """A pseudo-terminal: (the keyboard end, the terminal as a stdin)."""
    master, slave = os.openpty()
    stdin = os.fdopen(slave, "r", encoding="utf-8")
    yield master, stdin
    stdin.close()
    os.close(master)


def learner(master: int, *keys: bytes) -> Console:
    return Console(file=Learner(master, list(keys)), width=120, color_system=None)


def test_one_key_answers_without_enter(terminal: tuple[int, TextIO]) -> None:
    master, stdin = terminal
    # space: next; the right-arrow key (three bytes): next, as one answer; c, no Enter
    console = learner(master, b" ", b"\x1b[C", b"c")
    stepper = Stepper(console, stream=stdin)
    stepper.pause(1)
    stepper.pause(2)
    assert not stepper.running
    stepper.pause(3)
    assert stepper.running
    assert prompts(console) == 3
    shown = screen(console)
    assert "c: run to the end   q: stop" in shown  # no "then Enter" on a terminal
    assert shown.count("> next") == 2 and "> run to the end" in shown  # what each key did


def test_an_unknown_key_asks_again_and_the_terminal_is_left_as_it_was(
    terminal: tuple[int, TextIO],
) -> None:
    master, stdin = terminal
    before = termios.tcgetattr(stdin.fileno())
    console = learner(master, b"x", b"\n")
    Stepper(console, stream=stdin).pause(1)
    assert "'x' is not a choice" in screen(console)
    assert prompts(console) == 2
    assert termios.tcgetattr(stdin.fileno()) == before  # line editing and echo are back


def test_q_as_one_key_stops(terminal: tuple[int, TextIO]) -> None:
    master, stdin = terminal
    with pytest.raises(TraceStopped):
        Stepper(learner(master, b"q"), stream=stdin).pause(4)


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

PROMPT = "paused after step"
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


def test_the_command_pauses_after_each_event_and_one_key_goes_on(script: Path) -> None:
    terminal = Terminal(command(script))
    screen = terminal.read_until(PROMPT)
    assert "mulg0" in screen
    assert "addg0" not in screen  # paused after the first event
    terminal.type("\n")  # Enter
    screen = terminal.read_until(PROMPT, times=2)
    assert "addg0.utop" in screen
    assert "forward done" not in screen  # the script itself is paused too
    terminal.type(" ")  # space, one key
    terminal.read_until(PROMPT, times=3)
    assert "forward done: -1.0" in terminal.screen
    terminal.type("c")  # run to the end: one key, no Enter
    assert terminal.finish() == 0
    assert "grads: 2.0 1.0 1.0" in terminal.screen
    assert terminal.screen.count(PROMPT) == 3
    assert "Units after the run" in terminal.screen


def test_q_in_the_command_stops_the_script(script: Path) -> None:
    terminal = Terminal(command(script))
    terminal.read_until(PROMPT)
    terminal.type("q")  # one key, no Enter
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
    assert PROMPT not in text
