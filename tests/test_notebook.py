"""Notebooks run headless, and each cell shows its result once, in a useful form.

Executed with nbclient in a real kernel, as Jupyter would run them: the
Tracer prints through rich's notebook support (HTML), a Drawing is one output
(SVG, with the console tree as its text form), and a Unit, a Circuit, a
Tracer and its events show tables and drawings (``circuits/notebook.py``).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "notebooks" / "neuron.ipynb"


def execute(notebook: Any, path: Path) -> Any:
    client = NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path)}},
    )
    client.execute()
    return notebook


@pytest.fixture(scope="module")
def executed() -> Any:
    return execute(nbformat.read(NOTEBOOK, as_version=4), NOTEBOOK.parent)


def outputs(notebook: Any, mime: str) -> list[str]:
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if mime in data:
                found.append(data[mime])
    return found


def cell_with(notebook: Any, source: str) -> Any:
    (cell,) = [c for c in notebook.cells if c.cell_type == "code" and c.source == source]
    return cell


def only_output(cell: Any) -> dict[str, str]:
    """The cell's one output, its result; fails if anything else was shown."""
    kinds = [(o["output_type"], sorted(o.get("data", {}))) for o in cell.outputs]
    assert len(cell.outputs) == 1, f"{cell.source!r} showed {len(kinds)} outputs: {kinds}"
    (output,) = cell.outputs
    assert output["output_type"] == "execute_result", output
    data: dict[str, str] = output["data"]
    return data


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


@pytest.mark.needs_dot
def test_each_drawing_is_one_output_svg_with_the_tree_as_its_text(executed: Any) -> None:
    for source in ("draw(s, names=vars())", 'draw(s, view="forward", names=vars())'):
        data = only_output(cell_with(executed, source))
        assert sorted(data) == ["image/svg+xml", "text/plain"]
        tree = data["text/plain"]  # the console tree, not ""
        assert "value 0.8808" in tree and "└── " in tree and "sg0" in tree


@pytest.mark.needs_dot
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


# -- what each kind of object shows ----------------------------------------------------

SETUP = """\
from circuits import Circuit, Tracer, draw
from gates import Unit
a, b, c = Unit(1.0, label="a"), Unit(2.0, label="b"), Unit(-3.0, label="c")
with Circuit() as circuit:
    s = (a * b + c).sigmoid()
circuit.backward()
"""
CELLS = {
    "unit": "s",
    "leaf": "a",
    "circuit": "circuit",
    "traced": "with Tracer(names=vars()) as tracer:\n    y = a * b\n    y.backward()",
    "tracer": "tracer",
    "event": "tracer.events[1]",
    "events": "tracer.events",
    # last: with no dot on PATH, a drawing falls back to the console tree, shown once
    "no dot": "import os\nos.environ['PATH'] = ''\ndraw(s)",
}


@pytest.fixture(scope="module")
def displays(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    cells = [nbformat.v4.new_code_cell(SETUP)]
    cells += [nbformat.v4.new_code_cell(source) for source in CELLS.values()]
    notebook = nbformat.v4.new_notebook(cells=cells)
    execute(notebook, tmp_path_factory.mktemp("notebook"))
    assert notebook.cells[0].outputs == [], notebook.cells[0].outputs
    return dict(zip(CELLS, notebook.cells[1:]))


def test_a_unit_shows_a_table_and_the_drawing_of_what_it_depends_on(
    displays: dict[str, Any],
) -> None:
    data = only_output(displays["unit"])
    assert data["text/plain"].startswith("Unit(value=0.2689")  # its repr: sigmoid(2 - 3)
    html = data["text/html"]
    assert "<td>s</td>" in html and "<td>0.2689</td>" in html  # named after the variable
    assert "computed by SigmoidGate" in html
    assert "<svg" in html or "<pre" in html  # the drawing, as SVG or as the tree
    # the edge into sigmoid carries s(1 - s) = 0.2689 * 0.7311; a's grad is b times that
    assert "0.1966" in html and "grad 0.3932" in html


def test_a_leaf_unit_shows_its_value_and_grad(displays: dict[str, Any]) -> None:
    html = only_output(displays["leaf"])["text/html"]
    assert "<td>a</td>" in html and "<td>1.0</td>" in html
    assert "<td>0.3932</td>" in html and "parameter" in html  # b * s(1 - s) = 2 * 0.1966
    assert "<svg" not in html  # nothing to draw but itself


def test_a_circuit_shows_its_inputs_and_output_not_its_repr(displays: dict[str, Any]) -> None:
    data = only_output(displays["circuit"])
    html = data["text/html"]
    assert "Circuit of 3 gates" in html  # *, + and sigmoid
    for name in ("<td>a</td>", "<td>b</td>", "<td>c</td>", "<td>s</td>"):
        assert name in html
    assert "<svg" in html or "<pre" in html


def test_a_tracer_shows_its_rows_and_its_units(displays: dict[str, Any]) -> None:
    data = only_output(displays["tracer"])
    assert data["text/plain"] == "<Tracer: 2 gate calls>"
    html = data["text/html"]
    assert "forward" in html and "backward" in html
    assert "Units after the run" in html


def test_an_event_shows_its_row_and_reads_as_a_sentence(displays: dict[str, Any]) -> None:
    data = only_output(displays["event"])
    assert data["text/plain"].startswith("2: ")
    assert "ran backward" in data["text/plain"]
    assert "backward" in data["text/html"] and "ran backward" in data["text/html"]
    listed = only_output(displays["events"])["text/plain"]
    assert "1: " in listed and "ran forward" in listed and "ran backward" in listed
    assert "TraceEvent(" not in listed


def test_without_dot_a_drawing_is_the_tree_shown_once(displays: dict[str, Any]) -> None:
    data = only_output(displays["no dot"])
    assert sorted(data) == ["text/html", "text/plain"]
    tree = data["text/plain"]
    assert "sigmoid" in tree and "value 0.2689" in tree and "└── " in tree
    assert "value 0.2689" in data["text/html"] and "<svg" not in data["text/html"]
