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

from circuits import Circuit, Tracer
from circuits.cli import main
from circuits.drawing import Drawing, DrawingUnavailable, build_graph, draw
from circuits.drawing.graph import Graph
from circuits.examples.neuron import Neuron, backward_by_hand, build_neuron
from circuits.examples.xor import XorNet, build_xor_loss
from circuits.strategies import circuits
from gates import Gate, LogGate, MultGate, Unit
from gates.labels import name_of, numbered_from_one

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
    assert "\\nvalue nan" in dot
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


@pytest.mark.needs_dot
@pytest.mark.parametrize("view", ["backward", "forward"])
def test_dot_parses_in_graphviz(neuron: Neuron, view: str) -> None:
    run_dot(draw(neuron.s, view=view).to_dot())  # type: ignore[arg-type]


@pytest.mark.needs_dot
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


@pytest.mark.needs_dot
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


@pytest.mark.needs_dot
def test_png_is_a_png(neuron: Neuron) -> None:
    assert draw(neuron.s).to_png().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.needs_dot
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
    with pytest.raises(DrawingUnavailable, match=r"graphviz Python package: pip install graphviz"):
        draw(neuron.s).to_png()


# -- Jupyter ---------------------------------------------------------------------------


@pytest.mark.needs_dot
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
    assert bundle["text/html"].lstrip().startswith("<")
    assert "sigmoid" in bundle["text/html"]
    assert "grad 0.3150" in bundle["text/html"]


# -- drawings for teaching: names, parts of a circuit, shared parts, slides -------------


def chain() -> tuple[Unit, list[Unit]]:
    """x -> *2 -> +1 -> sigmoid -> *3 -> tanh, nothing named but x."""
    x = Unit(0.5, label="x")
    steps = [x * 2.0]
    steps.append(steps[-1] + 1.0)
    steps.append(steps[-1].sigmoid())
    steps.append(steps[-1] * 3.0)
    steps.append(steps[-1].tanh())
    steps[-1].backward()
    return x, steps


def trace_names(tracer: Tracer) -> dict[int, set[str]]:
    """Unit id -> every name the trace showed it by."""
    found: dict[int, set[str]] = {}
    for event in tracer.events:
        for read in event.reads:
            found.setdefault(id(read.unit), set()).add(read.name)
        for write in event.writes:
            found.setdefault(id(write.unit), set()).update({write.name, *write.also})
    return found


def test_drawings_use_the_names_the_trace_shows() -> None:
    with numbered_from_one():
        a, b = Unit(2.0), Unit(-1.0, requires_grad=False)
        with Tracer(console=Console(file=io.StringIO(), width=120)) as tracer:
            out = (a * b + a).sigmoid()
            out.backward()
        graph = build_graph(out)
    assert [g.name for g in graph.gates] == ["g1", "g2", "g3"]  # as the trace's rows
    assert {g.name for g in graph.gates} == {e.gate_name for e in tracer.events}
    shown = trace_names(tracer)
    for node in graph.units:
        assert node.name in shown[id(node.unit)], node
    text = render(draw(out))
    assert text.splitlines()[0].startswith("u5 = sigmoid [g3]   value 0.5000")
    assert "-1.00  (constant u3)" in text


def test_a_drawing_names_what_it_shows_first_and_a_later_trace_agrees() -> None:
    with numbered_from_one():
        p = Unit(1.5)
        out = (p * p).exp()
        out.backward()
        text = render(draw(out))
        with Tracer(console=Console(file=io.StringIO(), width=120)) as tracer:
            out.backward()
    # exp(p * p) at p = 1.5: d/dp = 2p exp(p^2) = 3 * 9.4877 = 28.4632
    assert text.splitlines()[0].startswith("u3 = exp [g2]   value 9.4877")
    assert "<- 28.4632  u1   value 1.5000  grad 28.4632" in text
    assert {e.gate_name for e in tracer.events} == {"g1", "g2"}
    assert trace_names(tracer)[id(p)] >= {"u1"}


def test_a_computed_unit_whose_gate_has_a_name_is_named_by_that_gate(neuron: Neuron) -> None:
    # The guide's gates have variable names: "+ [addg1]" is what the trace calls addg1.utop.
    text = render(draw(neuron.s))
    assert "<- 0.1050  + [addg1]   value 2.0" in text
    assert "addg1.utop" not in text


def test_depth_draws_only_the_gates_nearest_the_output() -> None:
    with numbered_from_one():
        x, steps = chain()
        whole = build_graph(steps[-1])
        two = build_graph(steps[-1], depth=2)
    assert len(whole.gates) == 5
    assert [g.gate for g in two.gates] == [steps[3].gate, steps[4].gate]
    # The unit the first kept gate reads is drawn as an input that says who made it.
    (cut,) = [n for n in two.units if n.made_by]
    assert steps[2].gate is not None
    assert cut.unit is steps[2] and cut.made_by == name_of(steps[2].gate)
    assert cut.name == whole.unit(key_of(whole, steps[2])).name  # the same name in both
    assert x not in {n.unit for n in two.units}
    # ... and the gradient that flowed into it is the full drawing's figure.
    (edge,) = [e for e in two.edges if e.source == cut.key]
    (full_edge,) = [e for e in whole.edges if e.source == key_of(whole, steps[2])]
    # into "* 3" from below: d tanh(3s)/ds = 3 (1 - tanh^2), with the output's grad 1
    assert edge.flowed == full_edge.flowed == pytest.approx(3.0 * (1 - steps[4].value ** 2))
    text = render(draw(steps[-1], depth=2))
    assert f"(made by {cut.made_by}, not drawn)" in text
    assert len(build_graph(steps[-1], depth=1).gates) == 1
    assert len(build_graph(steps[-1], depth=50).gates) == 5
    dot = draw(steps[-1], depth=2).to_dot()
    assert 'style="rounded,dotted"' in dot and "(made by" in dot


def test_depth_counts_the_shortest_path_from_the_output() -> None:
    a = Unit(1.0, label="a")
    early = a * 2.0  # read by the last gate directly, and through a long path
    late = ((early + 1.0).sigmoid() * 4.0).tanh()
    out = late + early
    out.backward()
    kept = {g.gate for g in build_graph(out, depth=2).gates}
    assert early.gate in kept and late.gate in kept and out.gate in kept
    assert (early + 0.0).gate not in kept


@pytest.mark.parametrize("depth", [0, -1, 1.5, True, "2"])
def test_a_depth_that_is_not_a_count_of_gates_is_refused(depth: object) -> None:
    with pytest.raises(ValueError, match="depth must be a whole number of gates, 1 or more"):
        draw(Unit(1.0) * 2.0, depth=depth)  # type: ignore[arg-type]


@pytest.mark.needs_dot
def test_constants_can_be_left_out() -> None:
    _, _, x, out = saturation()
    graph = build_graph(out, constants=False)
    assert x not in {n.unit for n in graph.units}
    assert graph.hidden_constants == 1
    assert x not in {graph.unit(e.source).unit for e in graph.edges}
    text = render(draw(out, constants=False))
    assert "(constant)" not in text and "x=0.10" not in text
    assert "1 constant input not shown" in text
    assert "<- 0.0149  w   value 5.0  grad 0.0149" in text  # the rest as before
    assert "x=0.10" not in draw(out, constants=False).to_dot()
    run_dot(draw(out, constants=False).to_dot())


def test_hiding_constants_shortens_the_xor_loss() -> None:
    _, _, loss = build_xor_loss(XorNet(seed=0))
    loss.backward()
    every = render(draw(loss), width=100).splitlines()
    fewer = render(draw(loss, constants=False), width=100).splitlines()
    constants = sum("(constant" in line for line in every)
    assert constants == 20  # x1, x2 twice per case (two hidden units) and the target
    assert len(fewer) == len(every) - constants + 1  # one line says they are hidden


def test_a_layer_drawn_alone_keeps_the_names_of_its_inputs() -> None:
    x = Unit(0.5, label="x", requires_grad=False)
    w1, w2 = Unit(1.0, label="w1"), Unit(-2.0, label="w2")
    z1, z2 = w1 * x, w2 * x
    h1, h2 = z1.sigmoid(), z2.sigmoid()
    out = h1 * h2
    out.backward()
    layer = [g for g in (h1.gate, h2.gate) if isinstance(g, Gate)]
    assert len(layer) == 2 and z1.gate is not None
    graph = build_graph(layer, names={"z1": z1, "z2": z2, "h1": h1, "h2": h2})
    by_unit = {id(n.unit): n for n in graph.units}
    assert (by_unit[id(z1)].name, by_unit[id(z2)].name) == ("z1", "z2")
    assert by_unit[id(z1)].made_by == name_of(z1.gate)
    assert by_unit[id(z1)].kind == "computed"  # not drawn as a parameter
    assert {graph.unit(k).name for k in graph.outputs} == {"h1", "h2"}
    assert len(graph.gates) == 2
    # Without a names mapping the inputs keep the names a trace gives them.
    with numbered_from_one():
        plain = build_graph(layer)
    assert {n.name for n in plain.units if n.made_by} == {name_of(z1), name_of(z2)}


def test_a_shared_subcircuit_is_drawn_once_and_referred_back_to() -> None:
    with numbered_from_one():
        a, b, c = Unit(0.3, label="a"), Unit(-0.7, label="b"), Unit(2.0, label="c")
        shared = ((a * b).sigmoid() * c).tanh()  # four gates
        out = shared * shared.exp() + shared
        out.backward()
        text = render(draw(out))
    lines = text.splitlines()
    shared_name = name_of(shared)
    first = [line for line in lines if f"{shared_name} = tanh" in line]
    assert len(first) == 3  # read by three gates
    assert "(see above)" not in first[0]
    assert all(line.endswith("(see above)") for line in first[1:])
    drawn = [line for line in lines if not line.endswith("(see above)")]
    for gate in gates_of(out):  # every gate is drawn in full once
        assert sum(f"[{name_of(gate)}]" in line for line in drawn) == 1
    assert len(lines) == 7 + 3 + 2 + 1  # 7 gates, 3 leaves, 2 references, the caption


def gates_of(unit: Unit) -> list[Gate]:
    from gates.backprop import gates_behind

    return gates_behind(unit)


@given(circuits(max_gates=10))
def test_the_text_tree_shows_each_gate_once(c: Circuit) -> None:
    c.backward()
    lines = render(draw(c), width=200).splitlines()
    drawn = [line for line in lines if not line.endswith("(see above)")]
    for gate in c.gates:
        assert sum(f"[{name_of(gate)}]" in line for line in drawn) == 1
    graph = build_graph(c)
    leaves = sum(1 for e in graph.edges if graph.unit(e.source).maker is None)
    assert len(lines) <= len(c.gates) + leaves + len(graph.edges) + 1


def unit_positions(svg: str) -> dict[str, tuple[float, float]]:
    """Node title ('n3') -> where its first line of text sits, in SVG coordinates
    (y grows downwards)."""
    found = {}
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        title, text = group.find(f"{SVG}title"), next(group.iter(f"{SVG}text"), None)
        if group.get("class") != "node" or title is None or text is None:
            continue
        found[title.text or ""] = (float(text.get("x", "nan")), float(text.get("y", "nan")))
    return found


@pytest.mark.needs_dot
@pytest.mark.parametrize(("direction", "axis", "sign"), [("LR", 0, 1), ("TB", 1, 1)])
def test_direction_lays_the_picture_out_for_slides(
    neuron: Neuron, direction: str, axis: int, sign: int
) -> None:
    drawing = draw(neuron.s, direction=direction)  # type: ignore[arg-type]
    assert f"  rankdir={direction};" in drawing.to_dot()
    places = unit_positions(run_dot(drawing.to_dot()).decode())
    graph = drawing.graph
    output = places[key_of(graph, neuron.s)][axis]
    for unit in (neuron.a, neuron.b, neuron.c):  # every input before the output
        assert sign * (output - places[key_of(graph, unit)][axis]) > 50


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="direction must be one of 'LR', 'TB'"):
        draw(Unit(1.0) * 2.0, direction="up")  # type: ignore[arg-type]


# -- the command line: the new options, and the names the trace shows ----------------

TEACHING_SCRIPT = """\
from gates import Unit

x = Unit(0.5, label="x", requires_grad=False)
w = Unit(2.0, label="w")
outs = [w * x, (w * x).sigmoid()]
outs[1].label = "h"
total = outs[0] + outs[1]
total.backward()
"""


@pytest.fixture
def teaching(tmp_path: Path) -> Path:
    script = tmp_path / "teach.py"
    script.write_text(TEACHING_SCRIPT, encoding="utf-8")
    return script


def draw_main(*argv: str) -> int:
    return main(["draw", *argv])


def test_cli_draw_takes_depth_constants_and_direction(
    teaching: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert draw_main(str(teaching), "--depth", "1", "--no-constants", "--width", "100") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("total = + [")
    assert out.count("(made by") == 2 and "x=0.50" not in out
    assert draw_main(str(teaching), "--format", "dot", "--direction", "TB") == 0
    assert "  rankdir=TB;" in capsys.readouterr().out
    with pytest.raises(SystemExit, match="2"):
        draw_main(str(teaching), "--depth", "0")
    assert "expected 1 or more" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "first_line"),
    [
        # The drawing calls a unit by its best name: the variable outs[1], then the label h.
        ("outs[1]", "outs[1] = sigmoid ["),  # an index into a list variable
        ("h", "outs[1] = sigmoid ["),  # a label
        ("outs[0]", "outs[0] = * ["),
        ("total.gate.u1", "outs[1] = sigmoid ["),  # an attribute path
        # automatic names mean what `circuits trace teach.py` shows: its rows name
        # the product inside the sigmoid u2, and the gate that made it g2
        ("u2", "u2 = * [g2]"),
        ("g2.utop", "u2 = * [g2]"),
        ("g3.u0", "u2 = * [g2]"),
    ],
)
def test_cli_unit_accepts_the_names_a_trace_shows(
    teaching: Path, capsys: pytest.CaptureFixture[str], name: str, first_line: str
) -> None:
    assert draw_main(str(teaching), "--unit", name, "--width", "100") == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(first_line)
    assert main(["check", str(teaching), "--unit", name]) == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("u3", "a trace of teach.py shows no unit called u3: it shows u2 and paths such as g1.u0"),
        ("outs[5]", "outs[5] does not exist"),
        ("outs.nope", "outs has no attribute 'nope'"),
        ("w x", "is not a name a trace shows"),
        ("nope", "has no global variable 'nope', nor a unit labelled 'nope'"),
    ],
)
def test_cli_unit_says_what_is_wrong_with_a_name(
    teaching: Path, capsys: pytest.CaptureFixture[str], name: str, message: str
) -> None:
    assert draw_main(str(teaching), "--unit", name) == 2
    assert message in capsys.readouterr().err
