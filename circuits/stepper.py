"""Step mode: pause after each traced gate call until the learner says go on.

At each pause the prompt names the keys: Enter (or space) for the next
event, ``c`` to run to the end without pausing, ``q`` to stop. On a terminal
one key press is enough: the stepper reads a single key (the terminal is put
in cbreak mode for that one read, so Ctrl-C still interrupts). Where it
cannot (Windows, or an input stream with no terminal underneath), it reads a
line, and the prompt says to press Enter after the letter.

When input is not a terminal (a pipe, a file, CI) nobody can answer, so the
stepper says so once and runs through: step mode never hangs a pipeline.

>>> import io
>>> from rich.console import Console
>>> console = Console(file=io.StringIO(), width=80)
>>> stepper = Stepper(console, stream=io.StringIO("\\n"))  # not a terminal
>>> stepper.pause(1)
>>> stepper.running
True
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Literal, TextIO

from rich.console import Console
from rich.text import Text

if sys.platform != "win32":  # POSIX terminals; on Windows the stepper reads lines
    import termios
    import tty

__all__ = ["Stepper", "TraceStopped"]

Choice = Literal["next", "continue", "stop", "end of input"]

# What each answer means. Single keys and whole lines both land here; a
# right-arrow key sends the escape sequence "\x1b[C".
_ANSWERS: dict[str, Choice] = {
    "": "next",
    " ": "next",
    "n": "next",
    "next": "next",
    "\x1b[C": "next",
    "c": "continue",
    "continue": "continue",
    "q": "stop",
    "quit": "stop",
    "stop": "stop",
    "\x04": "end of input",  # Ctrl-D, read as a key
}
_SAID: dict[Choice, str] = {
    "next": "next",
    "continue": "run to the end",
    "stop": "stop",
    "end of input": "end of input: running to the end",
}


class TraceStopped(BaseException):
    """The learner pressed ``q`` in step mode.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a script's own
    ``except Exception:`` does not swallow the request to stop. The ``Tracer``
    whose stepper raised it ends its ``with`` block quietly.
    """

    def __init__(self, step: int) -> None:
        super().__init__(f"stopped by the user at step {step}")
        self.step = step


def _prompt(step: int, *, single_key: bool) -> Text:
    then = "" if single_key else " then Enter"
    return Text.assemble(
        (f"  paused after step {step}:  ", "dim"),
        ("Enter", "bold"),
        " or ",
        ("space", "bold"),
        ": next   ",
        ("c", "bold"),
        f"{then}: run to the end   ",
        ("q", "bold"),
        f"{then}: stop  ",
        ("> ", "dim"),
    )


def _terminal_of(stream: TextIO) -> int | None:
    """The file descriptor of the terminal behind ``stream``, if keys can be read one by one."""
    if sys.platform == "win32":
        return None
    try:
        fd = stream.fileno()
        termios.tcgetattr(fd)
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation, termios.error):
        return None
    return fd


def _read_key(fd: int, show_prompt: Callable[[], None]) -> str:
    """Show the prompt, then read one key press: all the bytes it sent, so an arrow
    key is one answer (Ctrl-D, "\\x04", at the end of input)."""
    saved = termios.tcgetattr(fd)
    try:
        # No line editing and no echo; signals (Ctrl-C) still work. Set before the
        # prompt shows, so a key pressed once it is there is read as a key, and
        # TCSANOW, not tty's default TCSAFLUSH, which would drop keys typed ahead.
        tty.setcbreak(fd, termios.TCSANOW)
        show_prompt()
        data = os.read(fd, 32)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
    return data.decode("utf-8", "replace") if data else "\x04"


class Stepper:
    """Asks, after each event, whether to go on.

    Args:
        console: where the prompt is printed.
        stream: where answers are read from; ``sys.stdin`` (looked up at each
            pause) by default. Step mode pauses only if it is a terminal.
    """

    def __init__(self, console: Console, *, stream: TextIO | None = None) -> None:
        self.console = console
        self._stream = stream
        self.running = False  # True once the learner chose to run to the end

    @property
    def stream(self) -> TextIO:
        return self._stream if self._stream is not None else sys.stdin

    def interactive(self) -> bool:
        """Whether someone can answer: input is an open terminal."""
        stream = self.stream
        try:
            return not stream.closed and stream.isatty()
        except (AttributeError, ValueError):
            return False

    def pause(self, step: int) -> None:
        """Wait for the learner after event ``step``; raise ``TraceStopped`` on ``q``."""
        if self.running:
            return
        if not self.interactive():
            self.console.print(
                "[dim](step mode: input is not a terminal, so running through "
                "without pausing)[/dim]"
            )
            self.running = True
            return
        while True:
            choice = self._ask(step)
            if choice == "next":
                return
            if choice in ("continue", "end of input"):
                self.running = True
                return
            if choice == "stop":
                raise TraceStopped(step)

    def _ask(self, step: int) -> Choice | None:
        """Prompt once; the learner's choice, or None (after saying so) for another key."""
        fd = _terminal_of(self.stream)
        prompt = _prompt(step, single_key=fd is not None)
        if fd is not None:
            answer = _read_key(fd, lambda: self.console.print(prompt, end=""))
            choice = _ANSWERS.get(answer if answer in _ANSWERS else answer.strip().lower())
            # the key is not echoed: say what it did, which also ends the prompt's line
            said = _SAID[choice] if choice is not None else repr(answer)
            self.console.print(Text(said, style="dim"))
        else:
            self.console.print(prompt, end="")
            line = self.stream.readline()
            if not line:  # end of input: nobody is left to answer
                self.console.print()
                return "end of input"
            answer = line.strip()
            choice = _ANSWERS.get(answer.lower())
        if choice is None:
            self.console.print(
                Text(f"  {answer.strip()!r} is not a choice here; ", style="yellow")
                + Text("press Enter or space for the next step, c to run to the end, q to stop.")
            )
        return choice
