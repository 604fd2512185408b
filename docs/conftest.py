"""Doctests of the docs pages: the same console and working directory everywhere.

Rich sizes its console from the terminal pytest runs in, and colours it when
the environment asks; a page's expected output is written for an 80-column
console with no colour, so that is what every page gets. Pages name files
relative to the repository root (``docs/how-to/neuron.py``), so the pages
run from there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A script for `circuits trace`, not a module to import: importing it runs it.
collect_ignore = ["how-to/neuron.py"]


@pytest.fixture(autouse=True)
def _plain_80_column_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "40")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_TERMINAL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(ROOT)
