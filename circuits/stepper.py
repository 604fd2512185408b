"""Step mode: pause after each traced gate call until the learner says go on.

At each pause the learner types Enter for the next event, ``c`` to run to the
end without pausing, or ``q`` to stop. When input is not a terminal (a pipe,
a file, CI) nobody can answer, so the stepper says so once and runs through:
step mode never hangs a pipeline.

>>> import io
>>> from rich.console import Console
>>> console = Console(file=io.StringIO(), width=80)
>>> stepper = Stepper(console, stream=io.StringIO("\\n"))  # not a terminal
>>> stepper.pause(1)
>>> stepper.running
True
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.text import Text

__all__ = ["Stepper", "TraceStopped"]


class TraceStopped(BaseException):
    """The learner pressed ``q`` in step mode.

    A ``BaseException``, like ``KeyboardInterrupt``, so that a script's own
    ``except Exception:`` does not swallow the request to stop. The ``Tracer``
    whose stepper raised it ends its ``with`` block quietly.
    """

    def __init__(self, step: int) -> None:
        super().__init__(f"stopped by the user at step {step}")
        self.step = step


def _prompt(step: int) -> Text:
    return Text.assemble(
        (f"  paused after step {step}:  ", "dim"),
        ("Enter", "bold"),
        ": next   ",
        ("c", "bold"),
        ": run to the end   ",
        ("q", "bold"),
        ": stop  ",
        ("> ", "dim"),
    )


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
            self.console.print(_prompt(step), end="")
            answer = self.stream.readline()
            if not answer:  # end of input: nobody is left to answer
                self.console.print()
                self.running = True
                return
            command = answer.strip().lower()
            if command == "":
                return
            if command in ("c", "continue"):
                self.running = True
                return
            if command in ("q", "quit", "stop"):
                raise TraceStopped(step)
            self.console.print(
                Text(f"  {answer.strip()!r} is not a choice here; ", style="yellow")
                + Text("press Enter, or type c or q and Enter.")
            )
