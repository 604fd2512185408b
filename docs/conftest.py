"""Doctests of the docs pages: print rich output the same way everywhere.

Rich sizes its console from the terminal pytest runs in, and colours it when
asked to by the environment; a page's expected output is written for an
80-column console with no colour, so that is what every page gets.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _plain_80_column_console(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "40")
    for name in ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_TERMINAL"):
        monkeypatch.delenv(name, raising=False)
