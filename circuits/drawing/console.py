"""The console picture of a graph: a rich tree from the output back to the inputs.

Reading down the tree is reading the backward pass: each line is a unit, and
``<- 0.1050`` in front of it is the gradient that flowed into it along that
edge (upstream grad times local derivative). A computed unit shows its name,
the operation and the gate's name: ``u2 = * [g1]``. A unit that feeds several
gates is drawn in full once, where it first appears, and after that as one
line marked ``(see above)``, so a shared sub-circuit is never drawn twice.
Needs nothing but rich.

>>> import io
>>> from rich.console import Console
>>> from gates import Unit
>>> a = Unit(2.0, label="a")
>>> out = (a * 3.0).relu()
>>> out.backward()
>>> from circuits.drawing.graph import build_graph
>>> console = Console(file=io.StringIO(), width=60, color_system=None)
>>> console.print(to_renderable(build_graph(out)))
>>> print(console.file.getvalue().rstrip())
u3 = relu [g2]   value 6.0  grad 1.0
└── <- 1.0  u2 = * [g1]   value 6.0  grad 1.0
    ├── <- 3.0  a   value 2.0  grad 3.0
    └── 3.00  (constant u1)
<- n: gradient that flowed along the edge = upstream grad x
local derivative
"""

from __future__ import annotations

import math

from rich.console import Group, RenderableType
from rich.text import Text
from rich.tree import Tree

from circuits.drawing.dot import constant_text
from circuits.drawing.graph import Edge, Graph, UnitNode
from circuits.formatting import format_number

__all__ = ["to_renderable"]

_PARAMETER = "bold blue"
_COMPUTED = "bold"
_GATE = "yellow"
_EDGE = "magenta"
_NONFINITE = "bold reverse red"

_CAPTIONS = {
    "flowed": "<- n: gradient that flowed along the edge = upstream grad x local derivative",
    "local": "local n: the local derivative d(gate output)/d(input) along the edge",
}


def _number(x: float, style: str = "") -> Text:
    return Text(format_number(x), style=style if math.isfinite(x) else _NONFINITE)


def _unit_text(node: UnitNode, graph: Graph, edge: Edge | None) -> Text:
    text = Text()
    if edge is not None and edge.flowed is not None and edge.local is not None:
        if graph.edge_label == "flowed":
            text.append("<- ", style=_EDGE)
            text.append_text(_number(edge.flowed, _EDGE))
        else:
            text.append("local ", style=_EDGE)
            text.append_text(_number(edge.local, _EDGE))
        text.append("  ")
    if node.kind == "constant":
        text.append(constant_text(node), style="dim")
        text.append("  (constant)" if node.given else f"  (constant {node.name})", style="dim")
        return text
    if node.kind == "parameter":
        text.append(node.name, style=_PARAMETER)
    elif node.maker is None:  # made by a gate this drawing leaves out
        text.append(node.name, style=_COMPUTED)
    else:
        if node.name:
            text.append(node.name, style=_COMPUTED)
            text.append(" = ")
        gate = graph.gate(node.maker)
        text.append(gate.symbol, style=_GATE)
        text.append(f" [{gate.name}]", style="dim")
    text.append("   value ")
    text.append_text(_number(node.value))
    if graph.view == "backward":
        if node.grad is None:
            text.append("  no grad", style="dim")
        else:
            text.append("  grad ")
            text.append_text(_number(node.grad))
    if node.made_by:
        text.append(f"  (made by {node.made_by}, not drawn)", style="dim")
    return text


def to_renderable(graph: Graph) -> RenderableType:
    """A tree per output (usually one), with a caption saying what edges carry."""
    parts: list[RenderableType] = []
    shown: set[str] = set()
    for output in graph.outputs:
        root = Tree(_unit_text(graph.unit(output), graph, None), guide_style="dim")
        # Iterative, so a chain thousands of gates deep needs no recursion.
        stack: list[tuple[Tree, str]] = [(root, output)]
        while stack:
            tree, key = stack.pop()
            node = graph.unit(key)
            if node.maker is None:
                continue
            if key in shown:
                assert isinstance(tree.label, Text)
                tree.label.append("  (see above)", style="dim")
                continue
            shown.add(key)
            children = [
                (tree.add(_unit_text(graph.unit(edge.source), graph, edge)), edge.source)
                for edge in graph.edges_into(node.maker)
            ]
            stack.extend(reversed(children))
        parts.append(root)
    if graph.hidden_constants:
        count = graph.hidden_constants
        hidden = f"{count} constant input{'' if count == 1 else 's'} not shown"
        parts.append(Text(hidden, style="dim"))
    if graph.view == "backward" and graph.edges:
        parts.append(Text(_CAPTIONS[graph.edge_label], style="dim"))
    return Group(*parts)
