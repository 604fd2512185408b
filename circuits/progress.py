"""Progress of a long loop: a live bar on a terminal, plain lines anywhere else.

A live bar redraws one line of a terminal in place. A pipe or a log file
keeps every byte written to it, so there a bar shows nothing useful, and
that is where a long run most needs to say how far it got. So
``progress_bar`` draws the bar (``rich.progress``) only on a terminal; asked
to show progress anywhere else (a pipe, a log, a notebook), it prints a
plain line every few seconds and one when the loop ends.

>>> import io
>>> from rich.console import Console
>>> log = Console(file=io.StringIO())            # a log file: not a terminal
>>> with progress_bar("SGD", 3, show=True, console=log) as bar:
...     for step in range(3):
...         bar.advance()
>>> print(log.file.getvalue(), end="")  # doctest: +ELLIPSIS
SGD: 3/3 steps (100%) in ... s
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import Progress, TaskID

__all__ = ["EVERY", "Ticker", "progress_bar"]

EVERY = 5.0
"""Seconds between two plain progress lines."""


class Ticker:
    """What ``progress_bar`` yields: call :meth:`advance` once per step."""

    def __init__(
        self,
        description: str,
        total: int,
        *,
        bar: Progress | None = None,
        console: Console | None = None,
        every: float = EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.description = description
        self.total = total
        self.done = 0
        self._bar = bar
        self._task: TaskID | None = None if bar is None else bar.add_task(description, total=total)
        self._console = console  # plain lines go here; None: no lines
        self._every = every
        self._clock = clock
        self._start = clock()
        self._next_line = self._start + every

    def advance(self, steps: int = 1) -> None:
        """Count ``steps`` more steps done."""
        self.done += steps
        if self._bar is not None and self._task is not None:
            self._bar.advance(self._task, steps)
        elif self._console is not None:
            now = self._clock()
            if now >= self._next_line and self.done < self.total:
                self._line(now, "after")
                self._next_line = now + self._every

    def finish(self, *, stopped: bool = False) -> None:
        """Print the last plain line: the loop ended, or stopped part way."""
        if self._console is not None:
            self._line(self._clock(), "stopped after" if stopped else "in")

    def _line(self, now: float, when: str) -> None:
        assert self._console is not None
        share = f" ({100 * self.done // self.total}%)" if self.total > 0 else ""
        self._console.print(
            f"{self.description}: {self.done}/{self.total} steps{share} "
            f"{when} {now - self._start:.1f} s",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@contextmanager
def progress_bar(
    description: str,
    total: int,
    *,
    show: bool | None = None,
    console: Console | None = None,
    every: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Ticker]:
    """Show the progress of a loop of ``total`` steps while the block runs.

    Args:
        description: what the loop does, shown before the count (``"SGD"``).
        total: how many steps the loop will take.
        show: ``None`` shows a live bar on a terminal and nothing elsewhere
            (a test, a log, a doctest stays quiet); ``True`` shows progress
            everywhere: the live bar on a terminal, and on any other output a
            plain line every ``every`` seconds and one at the end; ``False``
            shows nothing.
        console: where to show it; by default a ``rich`` console on standard
            output.
        every: seconds between two plain lines; ``None`` reads :data:`EVERY`
            (5 seconds) when the block starts.
        clock: the time in seconds (``time.monotonic``); a test passes its own.
    """
    console = Console() if console is None else console
    live = console.is_terminal and show is not False
    lines = show is True and not live
    if live:
        with Progress(console=console, transient=True) as bar:
            yield Ticker(description, total, bar=bar, clock=clock)
        return
    ticker = Ticker(
        description,
        total,
        console=console if lines else None,
        every=EVERY if every is None else every,
        clock=clock,
    )
    try:
        yield ticker
    except BaseException:
        ticker.finish(stopped=True)
        raise
    ticker.finish()
