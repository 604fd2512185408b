"""The docs' pictures: committed, current, readable, and the build's Graphviz check.

``docs/images/`` holds every picture so that the Markdown pages show them on
the code host; ``scripts/make_pictures.py`` stamps each with a digest of what
it is made from, so these tests need no Graphviz to tell a stale picture.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "images"

# The docs' text column at a 1280 px window (mkdocs-material, navigation and
# table of contents shown), measured with headless Chromium: 688 px; the body
# text there is 16 px. A picture wider than the column is shrunk to fit it.
COLUMN_PX = 688
BODY_PX = 16.0
CODE_PX = 13.6  # the theme's code blocks: 0.85 x the body text


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def make_pictures() -> ModuleType:
    return _load("make_pictures")


def test_every_committed_picture_is_current(make_pictures: ModuleType) -> None:
    stale = make_pictures.stale(IMAGES)
    assert not stale, (
        f"docs/images/ is out of date for {stale}: run  python scripts/make_pictures.py "
        "docs/images  and commit the pictures"
    )


def test_a_changed_or_missing_picture_is_found_stale(
    make_pictures: ModuleType, tmp_path: Path
) -> None:
    for path in IMAGES.glob("*.svg"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    assert make_pictures.stale(tmp_path) == []
    saturated = tmp_path / "saturation-dead.svg"
    text = saturated.read_text(encoding="utf-8")
    saturated.write_text(re.sub(r"from source [0-9a-f]+", "from source 0000", text))
    (tmp_path / "xor-loss.svg").unlink()
    assert make_pictures.stale(tmp_path) == ["saturation-dead.svg", "xor-loss.svg"]
    assert make_pictures.main(["--check", str(tmp_path)]) == 1


def _shown_text_px(path: Path) -> float:
    """The smallest text of an SVG, in px, as the docs' column shows it."""
    root = ET.parse(path).getroot()
    view_width = float(root.attrib["viewBox"].split()[2])
    natural_px = float(re.sub(r"[a-z]+$", "", root.attrib["width"]))
    if root.attrib["width"].endswith("pt"):
        natural_px *= 4 / 3
    scale = min(natural_px, COLUMN_PX) / view_width
    sizes = [
        float(element.attrib["font-size"])
        for element in root.iter()
        if element.tag.endswith("text") and "font-size" in element.attrib
    ]
    assert sizes, f"{path.name}: no text with a font-size"
    return min(sizes) * scale


GRAPHS = [
    "neuron-forward.svg",
    "neuron-backward.svg",
    "saturation-alive.svg",
    "saturation-dead.svg",
    "saturation-dead-for-data.svg",
    "accumulation.svg",
    "mse-two-points.svg",
]
CHARTS = [
    "mse-loss.svg",
    "xor-loss.svg",
    "vanishing-grads.svg",
    "moons-loss.svg",
    "moons-boundary.svg",
    "svm-boundary.svg",
    "svm-network-boundary.svg",
]


@pytest.mark.parametrize("name", GRAPHS + CHARTS)
def test_picture_text_is_at_least_the_body_texts_size(name: str) -> None:
    assert _shown_text_px(IMAGES / name) >= BODY_PX


def test_the_pictures_listed_here_are_every_graph_and_chart(make_pictures: ModuleType) -> None:
    # the trace is a terminal's text: it is held to the size of the site's code blocks
    assert sorted([*GRAPHS, *CHARTS, "neuron-trace.svg"]) == sorted(make_pictures.PICTURES)


def test_the_trace_picture_is_as_large_as_a_code_block() -> None:
    svg = (IMAGES / "neuron-trace.svg").read_text(encoding="utf-8")
    root = ET.fromstring(svg)
    view_width = float(root.attrib["viewBox"].split()[2])
    # rich's SVG sets the terminal's text in CSS (its title is a little smaller)
    font_px = max(float(size) for size in re.findall(r"font-size:\s*([\d.]+)px", svg))
    assert font_px * min(1.0, COLUMN_PX / view_width) >= CODE_PX - 0.5


def test_the_moons_scatter_has_a_legend() -> None:
    svg = (IMAGES / "moons-boundary.svg").read_text(encoding="utf-8")
    assert "upper moon, +1" in svg and "lower moon, -1" in svg


# -- the docs build without Graphviz ----------------------------------------------------


def test_the_build_without_dot_stops_with_one_line_naming_the_fix(tmp_path: Path) -> None:
    # A PATH holding only this Python's own bin directory: no dot program on it.
    env = {"PATH": str(Path(sys.executable).parent), "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr + done.stdout
    said = (done.stdout + done.stderr).splitlines()  # mkdocs prints the abort on stdout
    complaint = [line for line in said if "Graphviz" in line]
    assert len(complaint) == 1, "\n".join(said)
    assert [line for line in said if line.strip() and not line.startswith("INFO")] == complaint
    assert "dot program" in complaint[0] and "apt-get install graphviz" in complaint[0]
    assert "brew install graphviz" in complaint[0] and "conda" in complaint[0]


def test_the_hooks_say_nothing_is_missing_where_graphviz_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hooks = _load("docs_hooks")
    from circuits.drawing import can_render

    assert (hooks.graphviz_missing() is None) == can_render()
    monkeypatch.setenv("PATH", "")
    assert "apt-get install graphviz" in hooks.graphviz_missing()


def test_pictures_on_a_page_open_full_size_when_clicked() -> None:
    hooks = _load("docs_hooks")
    html = '<p>Look:</p><p><img alt="The neuron" src="../images/neuron-backward.svg" /></p>'
    linked = hooks.link_pictures(html)
    assert '<a href="../images/neuron-backward.svg"' in linked
    assert linked.count("<img") == 1
    other = '<img alt="logo" src="../assets/logo.png" />'
    assert hooks.link_pictures(other) == other
