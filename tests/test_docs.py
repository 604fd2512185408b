"""The docs site: command-line pages, snippets and pictures stay true to the code.

The pages' ``>>>`` blocks are doctests (pytest collects ``docs/`` with
``--doctest-glob=*.md``). This module checks what doctests cannot: that the
``$ circuits ...`` sessions shown in ``console`` blocks print what the page
says, that every included snippet exists, and that every picture a page
shows is made by ``scripts/make_pictures.py`` as well-formed SVG.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

from circuits.drawing import can_render

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


def _console_sessions() -> list[tuple[str, str, str]]:
    """(page, command, expected stdout) for each ``$ circuits`` line of a console block."""
    sessions = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M):
            lines = block.splitlines()
            starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
            for n, start in enumerate(starts):
                end = starts[n + 1] if n + 1 < len(starts) else len(lines)
                command = lines[start][2:]
                expected = "\n".join(lines[start + 1 : end])
                sessions.append((str(page.relative_to(ROOT)), command, expected))
    return sessions


SESSIONS = _console_sessions()


def _normalise(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def test_the_command_line_page_has_sessions() -> None:
    assert len(SESSIONS) >= 5
    assert all(command.startswith("circuits") for _, command, _ in SESSIONS)


@pytest.mark.parametrize(
    ("page", "command", "expected"), SESSIONS, ids=[c for _, c, _ in SESSIONS]
)
def test_console_session_prints_what_the_page_shows(page: str, command: str, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["COLUMNS"] = "80"
    args = shlex.split(command)[1:]
    done = subprocess.run(
        [sys.executable, "-m", "circuits", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _normalise(done.stdout) == _normalise(expected), f"{page}: {command}"


def test_every_snippet_a_page_includes_exists() -> None:
    found = 0
    for page in PAGES:
        for target in re.findall(r'^--8<-- "([^"]+)"', page.read_text(encoding="utf-8"), re.M):
            path, _, section = target.partition(":")
            source = (ROOT / path).read_text(encoding="utf-8")
            if section:
                assert f"--8<-- [start:{section}]" in source, f"{page.name}: {target}"
                assert f"--8<-- [end:{section}]" in source, f"{page.name}: {target}"
            found += 1
    assert found >= 5


def _load_make_pictures() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_pictures", ROOT / "scripts" / "make_pictures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_picture_a_page_shows_is_made() -> None:
    make_pictures = _load_make_pictures()
    shown = set()
    for page in PAGES:
        shown.update(re.findall(r"\(\.{0,2}/?(?:\.\./)*images/([\w.-]+\.svg)\)", page.read_text()))
    made = set(make_pictures.PICTURES)
    assert shown <= made, f"pages show pictures nobody makes: {sorted(shown - made)}"
    assert made <= shown, f"pictures no page shows: {sorted(made - shown)}"


@pytest.mark.skipif(not can_render(), reason="the circuit pictures need Graphviz (dot)")
def test_pictures_are_well_formed_svg(tmp_path: Path) -> None:
    make_pictures = _load_make_pictures()
    assert make_pictures.main([str(tmp_path)]) == 0
    for name in make_pictures.PICTURES:
        root = ET.parse(tmp_path / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
    boundary = (tmp_path / "moons-boundary.svg").read_text()
    # both classes' regions and all 60 training points are drawn
    assert "#d6e4f5" in boundary and "#f6d9d9" in boundary
    assert boundary.count('stroke="white"') == 60
    trace = (tmp_path / "neuron-trace.svg").read_text()
    assert "addg1.utop" in trace  # the Tracer's answer, in the picture
