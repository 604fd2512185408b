"""circuits/progress.py: a live bar on a terminal, plain lines in pipes and logs."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable

import pytest
from rich.console import Console

from circuits.progress import progress_bar


def _log() -> Console:
    """A console writing to a string, as to a pipe or a log file: not a terminal."""
    return Console(file=io.StringIO(), width=80)


def _ticking(seconds_per_call: float) -> Callable[[], float]:
    """A clock that moves on by ``seconds_per_call`` each time it is read."""
    now = [0.0]

    def clock() -> float:
        value = now[0]
        now[0] += seconds_per_call
        return value

    return clock


def _lines(console: Console) -> list[str]:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue().splitlines()


def test_asked_for_on_a_log_it_prints_a_line_every_few_seconds_and_one_at_the_end() -> None:
    log = _log()
    assert not log.is_terminal
    # the clock is read once at the start and once per step: a step takes 1 s
    with progress_bar("SGD", 12, show=True, console=log, every=5.0, clock=_ticking(1.0)) as bar:
        for _ in range(12):
            bar.advance()
    assert _lines(log) == [
        "SGD: 5/12 steps (41%) after 5.0 s",
        "SGD: 10/12 steps (83%) after 10.0 s",
        "SGD: 12/12 steps (100%) in 13.0 s",
    ]


def test_a_quick_loop_prints_only_the_last_line() -> None:
    log = _log()
    with progress_bar("SGD", 1000, show=True, console=log, clock=_ticking(0.001)) as bar:
        for _ in range(1000):
            bar.advance()
    assert _lines(log) == ["SGD: 1000/1000 steps (100%) in 1.0 s"]


@pytest.mark.parametrize("show", [None, False])
def test_not_asked_for_a_log_stays_quiet(show: bool | None) -> None:
    log = _log()
    with progress_bar("SGD", 12, show=show, console=log, every=1.0, clock=_ticking(1.0)) as bar:
        for _ in range(12):
            bar.advance()
    assert _lines(log) == []


def test_a_loop_that_raises_says_how_far_it_got() -> None:
    log = _log()
    with pytest.raises(ZeroDivisionError):
        with progress_bar("SGD", 10, show=True, console=log, clock=_ticking(0.5)) as bar:
            for step in range(10):
                if step == 4:
                    raise ZeroDivisionError("a step that fails")
                bar.advance()
    assert _lines(log) == ["SGD: 4/10 steps (40%) stopped after 2.5 s"]


@pytest.mark.parametrize("show", [None, True])
def test_on_a_terminal_it_draws_the_live_bar_not_lines(show: bool | None) -> None:
    terminal = Console(file=io.StringIO(), width=80, force_terminal=True)
    with progress_bar("SGD", 3, show=show, console=terminal, clock=_ticking(10.0)) as bar:
        for _ in range(3):
            bar.advance()
    drawn = terminal.file.getvalue()  # type: ignore[attr-defined]
    assert "SGD" in drawn and "\x1b[" in drawn  # drawn with control codes ...
    assert "steps (" not in drawn  # ... and no plain line


def test_a_terminal_asked_for_nothing_shows_nothing() -> None:
    terminal = Console(file=io.StringIO(), width=80, force_terminal=True)
    with progress_bar("SGD", 3, show=False, console=terminal) as bar:
        for _ in range(3):
            bar.advance()
    assert terminal.file.getvalue() == ""  # type: ignore[attr-defined]


def _plain_env() -> dict[str, str]:
    """This environment without the variables that make rich see a terminal."""
    forcing = ("FORCE_COLOR", "FORCE_TERMINAL", "TTY_COMPATIBLE", "TTY_INTERACTIVE")
    return {k: v for k, v in os.environ.items() if k not in forcing}


def _train_in_a_pipe(progress: str, every: float | None = None) -> list[str]:
    """stdout of ``train_sgd(..., progress=...)`` run in a child whose stdout is a pipe."""
    script = textwrap.dedent(
        f"""
        import circuits.progress
        from circuits.examples.linear_regression import make_line_data, train_sgd
        if {every!r} is not None:
            circuits.progress.EVERY = {every!r}
        train_sgd(make_line_data(200), steps=3000, progress={progress})
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=_plain_env(),
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def test_train_sgd_with_progress_true_reports_in_a_pipe() -> None:
    lines = _train_in_a_pipe("True", every=0.002)
    assert lines[-1].startswith("SGD: 3000/3000 steps (100%) in ")
    between = lines[:-1]
    assert between, "no line while the loop ran"
    counts = [int(line.split()[1].split("/")[0]) for line in between]
    assert all(line.startswith("SGD: ") and " after " in line for line in between)
    assert counts == sorted(counts) and counts[0] > 0 and counts[-1] < 3000


def test_train_sgd_in_a_pipe_is_quiet_unless_asked() -> None:
    assert _train_in_a_pipe("None") == []
    assert _train_in_a_pipe("False") == []
