"""A pytest plugin for projects that test circuits: handouts, labs, this repository.

Installing backprop-circuits registers it with pytest (entry point
``pytest11``), but it does nothing until a project asks for it with the
option ``--circuits``. A teacher's project needs two lines, in ``pytest.ini``::

    [pytest]
    addopts = --doctest-glob=*.md --circuits

(or the same ``addopts`` under ``[tool:pytest]`` in setup.cfg, or
``[tool.pytest.ini_options]`` in pyproject.toml). Then plain ``pytest`` runs
the handout's ``>>>`` examples and the students' property tests, and:

* **doctests see an 80-column console with no colour**, whatever terminal
  pytest runs in: rich sizes a console from ``COLUMNS`` and colours it when
  ``FORCE_COLOR`` (and the like) say so, so a ``Tracer`` or a drawing prints
  in a doctest exactly what the page shows. Automatic names start again at
  ``u1`` and ``g1`` in each doctest, so a page that shows them shows the
  same ones however many tests ran before it;
* **doctests compare with NORMALIZE_WHITESPACE**, so the blank line that
  ``print(draw(x).to_text())`` ends with, and the padding of rich tables,
  need no ``<BLANKLINE>`` or doctest flags on the page;
* **hypothesis profiles** ``dev`` (the default: 60 examples, no deadline) and
  ``ci`` (when the ``CI`` environment variable is set, or with
  ``HYPOTHESIS_PROFILE=ci``: 300 examples, derandomized, so the same
  commit always runs the same examples and a rare failing example cannot
  turn CI red at random) are registered and loaded, and ``explore`` (5000
  random examples, for a long run that looks for new failures:
  ``HYPOTHESIS_PROFILE=explore pytest tests``). None of them runs
  hypothesis' "explain" phase, whose report points at library lines rather
  than at the student's gate. ``HYPOTHESIS_PROFILE`` selects any registered
  profile, and ``--hypothesis-profile`` still overrides.

The plugin needs pytest only; without hypothesis installed it skips the
profiles (``pip install pytest hypothesis``, or the ``test`` extra, brings both).

>>> from rich.console import Console
>>> Console().width, Console().color_system   # in any doctest under --circuits
(80, None)
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from gates.labels import numbered_from_one

__all__ = ["CONSOLE_WIDTH", "PROFILES"]

CONSOLE_WIDTH = 80
"""The width of every rich console a doctest makes, in columns."""

PROFILES = ("dev", "ci", "explore")
"""The hypothesis profiles registered under ``--circuits``."""

# Environment variables that make rich colour its output, or treat a pipe as
# a terminal, whatever the file it writes to.
_COLOUR_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "FORCE_TERMINAL")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("circuits", "backprop-circuits")
    group.addoption(
        "--circuits",
        action="store_true",
        default=False,
        help="doctests get an 80-column plain console and NORMALIZE_WHITESPACE; load the "
        "hypothesis profile dev, or ci when CI is set (HYPOTHESIS_PROFILE chooses)",
    )


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("circuits", default=False))


@pytest.hookimpl(tryfirst=True)  # before hypothesis' own plugin reads --hypothesis-profile
def pytest_configure(config: pytest.Config) -> None:
    if not _active(config):
        return
    config.addinivalue_line("doctest_optionflags", "NORMALIZE_WHITESPACE")
    _load_profile()


def _load_profile() -> None:
    try:
        from hypothesis import HealthCheck, Phase, settings
    except ImportError:
        return  # students' doctests need no hypothesis
    phases = tuple(phase for phase in Phase if phase is not Phase.explain)
    settings.register_profile("dev", max_examples=60, deadline=None, phases=phases)
    settings.register_profile(
        "ci",
        max_examples=300,
        deadline=None,
        derandomize=True,
        database=None,
        print_blob=True,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow],
    )
    settings.register_profile(
        "explore",
        max_examples=5000,
        deadline=None,
        derandomize=False,
        print_blob=True,
        phases=phases,
        suppress_health_check=[HealthCheck.too_slow],
    )
    chosen = os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if _in_ci() else "dev")
    try:
        settings.load_profile(chosen)
    except Exception as exc:  # hypothesis' InvalidArgument for an unknown name
        raise pytest.UsageError(
            f"HYPOTHESIS_PROFILE={chosen!r} is not a hypothesis profile; --circuits "
            f"registers {', '.join(PROFILES)} ({exc})"
        ) from None


def _doctest_item() -> type:
    """pytest's doctest item class: public from pytest 8, private before."""
    found: type | None = getattr(pytest, "DoctestItem", None)
    if found is None:
        from _pytest.doctest import DoctestItem

        found = DoctestItem
    return found


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(autouse=True)
def _circuits_doctest_console(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """For a doctest under ``--circuits``: a plain 80-column console, and
    automatic names from ``u1``. Other tests are left as they are."""
    if not _active(request.config) or not isinstance(request.node, _doctest_item()):
        yield
        return
    monkeypatch.setenv("COLUMNS", str(CONSOLE_WIDTH))
    monkeypatch.setenv("LINES", "40")
    for name in _COLOUR_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with numbered_from_one():
        yield
