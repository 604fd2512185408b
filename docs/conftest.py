"""Doctests of the docs pages: the same working directory everywhere.

A page's expected output is written for an 80-column console with no colour;
the package's pytest plugin gives every doctest that console (setup.cfg
turns it on with ``--circuits``, as a teacher's project does). Pages name
files relative to the repository root (``docs/how-to/neuron.py``), so the
pages run from there.
"""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# A script for `circuits trace`, not a module to import: importing it runs it.
collect_ignore = [
    "how-to/neuron.py",
    "how-to/assign_square.py",
    "how-to/no_upstream.py",
    "how-to/sqwrong.py",
]


@pytest.fixture(autouse=True)
def _from_the_repository_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
