"""The shared ``needs_dot`` marker: skipped without Graphviz, except in CI, where it fails.

Each case runs pytest on a one-test file beside a copy of the project's
``conftest.py``, with a PATH that holds no ``dot``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

DRAWING_TEST = """\
import pytest

@pytest.mark.needs_dot
def test_draws():
    from circuits import draw
    from gates import Unit
    assert "<svg" in draw(Unit(1.0) * 2.0).to_svg()
"""


def run_marked_test(tmp_path: Path, *, ci: bool, with_dot: bool) -> str:
    shutil.copy(ROOT / "conftest.py", tmp_path / "conftest.py")
    (tmp_path / "test_marked.py").write_text(DRAWING_TEST, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "HYPOTHESIS_PROFILE")}
    if not with_dot:
        env["PATH"] = str(Path(sys.executable).parent)  # this Python's bin: no dot there
    if ci:
        env["CI"] = "true"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-rsf", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.stdout


def test_outside_ci_a_drawing_test_is_skipped_and_says_how_to_install_dot(
    tmp_path: Path,
) -> None:
    out = run_marked_test(tmp_path, ci=False, with_dot=False)
    assert "1 skipped" in out, out
    (reason,) = [line for line in out.splitlines() if line.startswith("SKIPPED")]
    assert "needs Graphviz's dot program" in reason
    assert "apt-get install graphviz" in reason and "brew install graphviz" in reason


def test_in_ci_a_drawing_test_without_dot_fails(tmp_path: Path) -> None:
    out = run_marked_test(tmp_path, ci=True, with_dot=False)
    assert "1 error" in out, out  # failed in its set-up: the run's status is not 0
    assert "CI runs every drawing test" in out and "apt-get install graphviz" in out


@pytest.mark.needs_dot
def test_with_dot_a_drawing_test_runs(tmp_path: Path) -> None:
    out = run_marked_test(tmp_path, ci=True, with_dot=True)
    assert "1 passed" in out, out
