"""circuits.drawing: graph model, console tree, DOT, SVG/PNG and notebook display.

Hand-worked figures: the guide's neuron, s = sigmoid(2), ds = s(1 - s) =
0.104993...; seed 1's saturated neuron, w=5, b=1, x=0.1 (a constant):
l = sigmoid(1.5) = 0.8176, dl/db = l(1 - l) = 0.1491, dl/dw = x * 0.1491.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console

from circuits import Circuit
from circuits.drawing import Drawing, DrawingUnavailable, build_graph, draw
from circuits.drawing.graph import Graph
from circuits.examples.neuron import Neuron, backward_by_hand, build_neuron
from gates import LogGate, MultGate, Unit

S = 1.0 / (1.0 + math.exp(-2.0))
DS = S * (1.0 - S)
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def neuron() -> Neuron:
    n = build_neuron()
    backward_by_hand(n)
    return n


def saturation() -> tuple[Unit, Unit, Unit, Unit]:
    w, b = Unit(5.0, label="w"), Unit(1.0, label="b")
    x = Unit(0.1, label="x", requires_grad=False)
    out = (w * x + b).sigmoid()
    out.label = "l"  # the seed's name
    out.backward()
    return w, b, x, out


def key_of(graph: Graph, unit: Unit) -> str:
    (node,) = [n for n in graph.units if n.unit is unit]
    return node.key


def gate_key(graph: Graph, gate: object) -> str:
    (node,) = [g for g in graph.gates if g.gate is gate]
    return node.key


# -- the graph model -------------------------------------------------------------


def test_neuron_nodes_carry_the_guides_values_and_grads(neuron: Neuron) -> None:
    graph = build_graph(neuron.s)
    by_unit = {id(node.unit): node for node in graph.units}
    expected = {"a": -DS, "b": 3 * DS, "c": DS, "x": DS, "y": 2 * DS}
    for name, grad in expected.items():
        node = by_unit[id(getattr(neuron, name))]
        assert (node.name, node.kind) == (name, "parameter")
        assert node.grad == pytest.approx(grad)
    output = by_unit[id(neuron.s)]
    assert (output.kind, output.value, output.grad) == ("computed", pytest.approx(S), 1.0)
    assert graph.outputs == (output.key,)
    assert [g.name for g in graph.gates] == ["mulg0", "mulg1", "addg0", "addg1", "sg0"]


def test_each_edge_carries_upstream_grad_times_local_derivative(neuron: Neuron) -> None:
    graph = build_graph(neuron.s)
    flowed = {
        (e.source, e.target): e.flowed for e in graph.edges
    }  # (unit key, gate key) -> gradient
    into_sg0 = (key_of(graph, neuron.sg0.u0), gate_key(graph, neuron.sg0))
    assert flowed[into_sg0] == pytest.approx(DS)  # 1.0 * s(1 - s) = 0.105
    a_into_mulg0 = (key_of(graph, neuron.a), gate_key(graph, neuron.mulg0))
    assert flowed[a_into_mulg0] == pytest.approx(-1.0 * DS)  # x * upstream
    b_into_mulg1 = (key_of(graph, neuron.b), gate_key(graph, neuron.mulg1))
    assert flowed[b_into_mulg1] == pytest.approx(3.0 * DS)  # y * upstream


def test_local_option_gives_the_bare_local_derivative(neuron: Neuron) -> None:
    graph = build_graph(neuron.s, edge_label="local")
    locals_ = {(e.source, e.target): e.local for e in graph.edges}
    assert locals_[(key_of(graph, neuron.b), gate_key(graph, neuron.mulg1))] == 3.0
    assert locals_[(key_of(graph, neuron.y), gate_key(graph, neuron.mulg1))] == 2.0
    assert "3.0" in draw(neuron.s, edges="local").to_dot()


def test_parameters_constants_and_computed_units_are_told_apart() -> None:
    _, _, x, out = saturation()
    graph = build_graph(out)
    kinds = {node.name: (node.kind, node.grad) for node in graph.units}
    assert kinds["w"] == ("parameter", pytest.approx(0.1 * 0.8176 * (1 - 0.8176), abs=1e-4))
    assert kinds["x"] == ("constant", None)
    assert kinds["l"][0] == "computed"
    # no gradient flows to a constant: its edge has no number
    (edge,) = [e for e in graph.edges if e.source == key_of(graph, x)]
    assert (edge.local, edge.flowed) == (None, None)


def test_a_unit_computed_only_from_constants_needs_no_grad() -> None:
    k = Unit(2.0, label="k", requires_grad=False)
    doubled = k * 3.0
    p = Unit(1.0, label="p")
    out = p * doubled
    out.backward()
    graph = build_graph(out)
    node = graph.unit(key_of(graph, doubled))
    assert (node.kind, node.needs_grad) == ("computed", False)
    line = next(
        line for line in draw(out).to_dot().splitlines() if line.startswith(f"  {node.key} ")
    )
    assert 'style="rounded,dashed"' in line


def test_a_unit_read_twice_by_one_gate_is_one_edge_with_the_total() -> None:
    p = Unit(3.0, label="p")
    sq = MultGate()
    out = sq.forward(p, p)
    out.backward()
    graph = build_graph(out)
    (edge,) = graph.edges
    assert edge.positions == (0, 1)
    assert edge.flowed == 6.0  # d(p*p)/dp = 2p, counted once


def test_drawing_a_circuit_draws_every_gate_and_every_output() -> None:
    a = Unit(1.0, label="a")
    with Circuit() as c:
        first = a * 2.0
        second = a + 1.0
    graph = build_graph(c)
    assert len(graph.gates) == 2
    assert {graph.unit(k).unit for k in graph.outputs} == {first, second}


def test_drawing_keeps_every_grad_as_it_was(neuron: Neuron) -> None:
    units = (neuron.a, neuron.b, neuron.c, neuron.x, neuron.y, neuron.s, neuron.sg0.u0)
    before = [u.grad for u in units]
    draw(neuron.s).to_dot()
    assert [u.grad for u in units] == before


def test_bad_targets_and_options_are_refused() -> None:
    with pytest.raises(TypeError, match=r"cannot draw 3\.0"):
        draw(3.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="view must be one of"):
        draw(Unit(1.0), view="sideways")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="edge_label must be one of"):
        draw(Unit(1.0), edges="both")  # type: ignore[arg-type]


hypothesis_ops = st.lists(
    st.tuples(
        st.sampled_from(["+", "*", "sigmoid", "tanh"]), st.integers(0, 50), st.integers(0, 50)
    ),
    min_size=1,
    max_size=8,
)


@given(
    values=st.lists(st.floats(-2.0, 2.0), min_size=2, max_size=4),
    ops=hypothesis_ops,
)
def test_gradients_leaving_a_parameter_add_up_to_the_numerical_gradient(
    values: list[float], ops: list[tuple[str, int, int]]
) -> None:
    """Chain rule on the picture: add across the edges out of a parameter,
    and you get d(output)/d(parameter), measured here by central differences."""
    params = [Unit(v) for v in values]
    with Circuit() as c:
        pool = list(params)
        for op, i, j in ops:
            u, v = pool[i % len(pool)], pool[j % len(pool)]
            pool.append(u + v if op == "+" else u * v if op == "*" else getattr(u, op)())
    c.backward()
    graph = build_graph(c.output)
    for p in params:
        key = next((n.key for n in graph.units if n.unit is p), None)
        if key is None:  # the output does not depend on it
            continue
        total = sum(e.flowed or 0.0 for e in graph.edges if e.source == key)
        h = 1e-6
        saved = p.value
        p.value = saved + h
        up = c.forward().value
        p.value = saved - h
        down = c.forward().value
        p.value = saved
        c.forward()
        assert total == pytest.approx((up - down) / (2 * h), rel=1e-4, abs=1e-6)


# -- console picture ---------------------------------------------------------------

PINNED_NEURON_TREE = """\
s = sigmoid [sg0]   value 0.8808  grad 1.0
└── <- 0.1050  + [addg1]   value 2.0  grad 0.1050
    ├── <- 0.1050  + [addg0]   value 5.0  grad 0.1050
    │   ├── <- 0.1050  * [mulg0]   value -1.0  grad 0.1050
    │   │   ├── <- -0.1050  a   value 1.0  grad -0.1050
    │   │   └── <- 0.1050  x   value -1.0  grad 0.1050
    │   └── <- 0.1050  * [mulg1]   value 6.0  grad 0.1050
    │       ├── <- 0.3150  b   value 2.0  grad 0.3150
    │       └── <- 0.2100  y   value 3.0  grad 0.2100
    └── <- 0.1050  c   value -3.0  grad 0.1050
<- n: gradient that flowed along the edge = upstream grad x local derivative"""


def render(drawing: Drawing, width: int = 80) -> str:
    console = Console(record=True, width=width, color_system=None, file=io.StringIO())
    console.print(drawing)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def test_console_picture_of_the_neuron_is_pinned(neuron: Neuron) -> None:
    assert render(draw(neuron.s)) == PINNED_NEURON_TREE


def test_console_forward_view_shows_values_only(neuron: Neuron) -> None:
    text = render(draw(neuron.s, view="forward"))
    assert "grad" not in text
    assert "<-" not in text
    assert "s = sigmoid [sg0]   value 0.8808" in text


def test_console_constant_shows_as_name_equals_value() -> None:
    *_, out = saturation()
    text = render(draw(out))
    assert "x=0.10  (constant)" in text
    assert "<- 0.1491  b   value 1.0  grad 0.1491" in text


def test_console_marks_a_shared_unit_drawn_before() -> None:
    p = Unit(3.0, label="p")
    q = p * p
    r = q + q.sigmoid()
    r.backward()
    text = render(draw(r))
    assert text.count("(see above)") == 1


def test_console_needs_no_graphviz(monkeypatch: pytest.MonkeyPatch, neuron: Neuron) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)  # import graphviz now fails
    monkeypatch.setenv("PATH", "")
    assert render(draw(neuron.s)) == PINNED_NEURON_TREE
    assert draw(neuron.s).to_dot().startswith("digraph")


def test_non_finite_numbers_stand_out() -> None:
    u = Unit(-1.0, label="u")
    out = LogGate().forward(u)
    out.backward()
    dot = draw(out).to_dot()
    assert 'label="value nan' in dot
    assert 'fontcolor="#dc2626"' in dot


# -- DOT, SVG, PNG --------------------------------------------------------------------


def run_dot(source: str, fmt: str = "svg") -> bytes:
    assert shutil.which("dot"), "Graphviz's dot is needed: apt-get install -y graphviz"
    done = subprocess.run(
        ["dot", f"-T{fmt}"], input=source.encode(), capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    assert not done.stderr, done.stderr.decode()  # not even a warning
    return done.stdout


@pytest.mark.parametrize("view", ["backward", "forward"])
def test_dot_parses_in_graphviz(neuron: Neuron, view: str) -> None:
    run_dot(draw(neuron.s, view=view).to_dot())  # type: ignore[arg-type]


def test_dot_escapes_labels_that_look_like_syntax() -> None:
    awkward = Unit(1.0, label='say "hi" \\ w[0] <b> {x|y}')
    out = awkward * awkward
    out.backward()
    svg = run_dot(draw(out).to_dot()).decode()
    assert "say &quot;hi&quot; \\ w[0] &lt;b&gt; {x|y}" in svg


def test_dot_forward_view_has_values_but_no_grads(neuron: Neuron) -> None:
    dot = draw(neuron.s, view="forward").to_dot()
    assert "value 0.8808" in dot
    assert "grad" not in dot


def test_dot_styles_parameters_constants_and_computed_units_differently() -> None:
    w, _, x, out = saturation()
    graph = build_graph(out)
    lines = {
        line.split()[0]: line
        for line in draw(out).to_dot().splitlines()
        if line.startswith("  n") and "->" not in line
    }
    assert 'fillcolor="#dbeafe"' in lines[key_of(graph, w)]  # parameter: blue
    assert 'style="dashed"' in lines[key_of(graph, x)]  # constant: dashed
    assert 'label="x=0.10"' in lines[key_of(graph, x)]
    assert 'style="rounded,filled"' in lines[key_of(graph, out)]  # computed: rounded
    assert "penwidth=2" in lines[key_of(graph, out)]  # the output


def svg_edges(svg: str) -> dict[str, list[str]]:
    """Edge title ('n8->op4') -> the texts drawn on that edge."""
    root = ET.fromstring(svg)
    edges: dict[str, list[str]] = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") == "edge":
            title = group.find(f"{SVG}title")
            assert title is not None and title.text is not None
            edges[title.text] = [t.text or "" for t in group.iter(f"{SVG}text")]
    return edges


def test_svg_of_the_neuron_shows_every_grad_and_every_flowed_gradient(neuron: Neuron) -> None:
    drawing = draw(neuron.s)
    svg = drawing.to_svg()
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    for grad in ("grad -0.1050", "grad 0.3150", "grad 0.2100", "grad 0.1050", "grad 1.0"):
        assert grad in texts
    edges = svg_edges(svg)
    graph = drawing.graph
    # the edge from sg0's input (the unit that is addg1's output) into sg0
    into_sg0 = f"{key_of(graph, neuron.addg1.utop)}->{gate_key(graph, neuron.sg0)}"
    assert edges[into_sg0] == ["0.1050"]
    flowed = {f"{e.source}->{e.target}": e.flowed for e in graph.edges if e.flowed is not None}
    assert len(flowed) == 9  # two inputs into each of four gates, one into sg0
    for title, value in flowed.items():
        (label,) = edges[title]
        assert float(label) == pytest.approx(value, abs=5e-5)
    assert sorted(set(flowed.values())) == pytest.approx(sorted({-DS, DS, 3 * DS, 2 * DS}))


def test_png_is_a_png(neuron: Neuron) -> None:
    assert draw(neuron.s).to_png().startswith(b"\x89PNG\r\n\x1a\n")


def test_save_picks_the_format_from_the_suffix(neuron: Neuron, tmp_path: Path) -> None:
    drawing = draw(neuron.s)
    assert drawing.save(tmp_path / "n.dot").read_text().startswith("digraph")
    assert "<svg" in drawing.save(tmp_path / "n.svg").read_text()
    assert drawing.save(tmp_path / "n.png").read_bytes().startswith(b"\x89PNG")
    assert drawing.save(tmp_path / "n.txt").read_text().startswith("s = sigmoid")
    with pytest.raises(ValueError, match="cannot tell the format"):
        drawing.save(tmp_path / "n.jpeg")


def test_missing_dot_program_names_the_install_step(
    monkeypatch: pytest.MonkeyPatch, neuron: Neuron
) -> None:
    monkeypatch.setenv("PATH", "")
    with pytest.raises(DrawingUnavailable, match="apt-get install graphviz"):
        draw(neuron.s).to_svg()


def test_missing_graphviz_package_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, neuron: Neuron
) -> None:
    monkeypatch.setitem(sys.modules, "graphviz", None)
    with pytest.raises(DrawingUnavailable, match=r"pip install 'backprop-circuits\[draw\]'"):
        draw(neuron.s).to_png()


# -- Jupyter ---------------------------------------------------------------------------


def test_notebook_display_is_svg_when_graphviz_is_there(neuron: Neuron) -> None:
    bundle = draw(neuron.s)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"]
    assert bundle["text/plain"].startswith("s = sigmoid")


def test_notebook_display_falls_back_to_the_console_picture(
    monkeypatch: pytest.MonkeyPatch, neuron: Neuron
) -> None:
    monkeypatch.setenv("PATH", "")
    bundle = draw(neuron.s)._repr_mimebundle_()
    assert "image/svg+xml" not in bundle
    assert "<html" in bundle["text/html"]
    assert "sigmoid" in bundle["text/html"]
    assert "grad 0.3150" in bundle["text/html"]
