"""Shared test set-up: tests that need Graphviz.

The hypothesis profiles (``dev``, and ``ci`` when CI is set) come from the
package's own pytest plugin, which setup.cfg turns on with ``--circuits``
(circuits/pytest_plugin.py): the same two lines a teacher's project adds.

A test marked ``@pytest.mark.needs_dot`` makes SVG or PNG with Graphviz's
``dot`` program. Where ``dot`` (or the graphviz package) is missing it is
skipped with the install step as the reason, except in CI (``CI`` set),
where it fails instead: CI must draw, not skip.
"""

from __future__ import annotations

import os

import pytest

from circuits.drawing.render import INSTALL_GRAPHVIZ, can_render


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "needs_dot: runs Graphviz's dot program; skipped where it is missing, except in CI",
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    if item.get_closest_marker("needs_dot") is None or can_render():
        return
    reason = (
        f"needs Graphviz's dot program to draw SVG: {INSTALL_GRAPHVIZ}, "
        "and the graphviz package: pip install -e '.[draw]'"
    )
    if os.environ.get("CI"):
        pytest.fail(f"CI runs every drawing test, but this one {reason}", pytrace=False)
    pytest.skip(reason)
