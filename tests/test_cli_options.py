"""The ``circuits`` command's newcomer options: --version, demo --help, saving a
trace both ways, and drawing errors worded for the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from guide_neuron import FORWARD_AND_BACKWARD as GUIDE

import circuits
import gates
from circuits.cli import main
from circuits.examples import EXAMPLES


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    path = tmp_path / "guide.py"
    path.write_text(GUIDE, encoding="utf-8")
    return path


def test_version_is_the_one_both_packages_carry(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"circuits {gates.__version__}\n"
    assert circuits.__version__ == gates.__version__


def test_the_installed_command_prints_the_version() -> None:
    script = Path(sys.executable).with_name("circuits")
    done = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"circuits {gates.__version__}"


def test_demo_help_lists_every_example_on_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    lines = capsys.readouterr().out.splitlines()
    for name, example in EXAMPLES.items():
        (line,) = [line for line in lines if line.split()[:1] == [name]]
        assert line.split(maxsplit=1) == [name, example.title]  # name and title, one line
    assert lines.index("examples (NAME):") < len(lines) - len(EXAMPLES)


def test_save_html_and_save_svg_together_write_both(guide: Path, tmp_path: Path) -> None:
    html, svg = tmp_path / "trace.html", tmp_path / "trace.svg"
    argv = ["trace", str(guide), "--width", "90", "--save-html", str(html), "--save-svg", str(svg)]
    assert main(argv) == 0
    page, picture = html.read_text(), svg.read_text()
    assert "addg1.utop" in page and "circuit output: 0.8807970779778823" in page
    assert picture.lstrip().startswith("<svg")
    assert "addg1.utop" in picture.replace("&#160;", " ")  # the trace, not an empty recording


def test_a_draw_without_graphviz_names_the_command_lines_way_round(
    guide: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", "")  # no dot program
    assert main(["draw", str(guide), "--format", "svg"]) == 1
    # the script's own prints go to stderr too; the error is one line after them
    (err,) = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert err.startswith("circuits draw: error: drawing SVG needs Graphviz's dot program")
    assert "apt-get install graphviz" in err and "brew install graphviz" in err
    assert "--format console" in err and "--format dot" in err
    assert "format='console'" not in err  # the Python API's wording is not the CLI's
