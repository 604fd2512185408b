"""The neuron notebook runs headless, and its outputs hold the trace and the drawing.

Executed with nbclient in a real kernel, as Jupyter would run it: the Tracer
prints through rich's notebook support (HTML) and a Drawing shows itself as
SVG.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "notebooks" / "neuron.ipynb"


@pytest.fixture(scope="module")
def executed() -> Any:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    return notebook


def outputs(notebook: Any, mime: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.append(data[mime])
    return found


def test_the_notebook_runs_without_errors(executed: Any) -> None:
    for cell in executed.cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", output


def test_the_trace_is_rich_html_naming_one_unit_two_ways(executed: Any) -> None:
    html = "\n".join(outputs(executed, "text/html"))
    for gate in ("mulg0", "mulg1", "addg0", "addg1", "sg0"):
        assert gate in html
    assert "sg0.u0" in html and "addg1.utop" in html
    assert "Units after the run" in html


def test_the_drawings_are_svg_with_grads_and_flowed_gradients(executed: Any) -> None:
    backward, forward = (svg_texts(svg) for svg in outputs(executed, "image/svg+xml"))
    for grad in ("a", "grad -0.1050", "grad 0.3150", "grad 0.2100", "grad 1.0", "sg0"):
        assert grad in backward
    assert "0.1050" in backward  # an edge label: the gradient into sg0
    assert not any("grad" in text for text in forward)
    assert "value 0.8808" in forward


def svg_texts(svg: str) -> list[str]:
    """Every text drawn in an SVG, entities decoded (Graphviz writes - as &#45;)."""
    return [t.text or "" for t in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]


def test_the_last_cell_shows_the_guides_gradients(executed: Any) -> None:
    (text,) = [
        o["data"]["text/plain"]
        for o in executed.cells[-1]["outputs"]
        if o["output_type"] == "execute_result"
    ]
    assert text == "[-0.105, 0.315, 0.105, 0.105, 0.21]"
