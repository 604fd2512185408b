"""Graphviz DOT text for a :class:`~circuits.drawing.graph.Graph`.

Units are boxes and gates are small ovals, left to right from inputs to the
output (or top to bottom: ``direction="TB"``). Parameters are filled blue,
computed units have rounded corners, the output has a thick border, anything
that takes no gradient (constants, and units computed only from constants) is
dashed, constants showing as ``x=0.10``, and a unit whose gate the drawing
leaves out is dotted and says which gate made it. Nothing here needs Graphviz
installed: this is plain text.

>>> from gates import Unit
>>> x = Unit(0.1, label="x", requires_grad=False)
>>> w = Unit(5.0, label="w")
>>> out = w * x
>>> out.backward()
>>> from circuits.drawing.graph import build_graph
>>> text = to_dot(build_graph(out))
>>> 'label="x=0.10"' in text, 'label="w\\\\nvalue 5.0\\\\ngrad 0.1000"' in text
(True, True)
"""

from __future__ import annotations

import math
from typing import Literal

from circuits.drawing.graph import Edge, GateNode, Graph, UnitNode
from circuits.formatting import format_number

__all__ = ["DIRECTIONS", "Direction", "constant_text", "quote", "to_dot"]

Direction = Literal["LR", "TB", "RL", "BT"]
DIRECTIONS: tuple[Direction, ...] = ("LR", "TB", "RL", "BT")
"""Graphviz's ``rankdir``: from the inputs to the output, left to right, top to
bottom, right to left, bottom to top."""

_FONT = "Helvetica"
_PARAMETER = 'shape=box, style="filled", fillcolor="#dbeafe", color="#1d4ed8"'
_CONSTANT = 'shape=box, style="dashed", color="#6b7280", fontcolor="#374151"'
_COMPUTED = 'shape=box, style="rounded,filled", fillcolor="#ffffff", color="#111827"'
_COMPUTED_NO_GRAD = 'shape=box, style="rounded,dashed", color="#6b7280"'
_COMPUTED_CUT = 'shape=box, style="rounded,dotted", color="#111827"'
_GATE = (
    'shape=ellipse, style="filled", fillcolor="#fde68a", color="#b45309", '
    "fontsize=13, margin=0.05, height=0.3"
)
_NONFINITE = "#dc2626"


def quote(text: str) -> str:
    """``text`` as a DOT double-quoted string; newlines become ``\\n`` line breaks.

    >>> print(quote('say "hi"\\nw[0]'))
    "say \\"hi\\"\\nw[0]"
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def constant_text(node: UnitNode) -> str:
    """A constant as the seeds draw it: ``x=0.10``, or just ``2.00`` if nobody
    named it.

    >>> from gates import Unit
    >>> from circuits.drawing.graph import UnitNode
    >>> constant_text(UnitNode("n0", Unit(0.1), "x", "constant", 0.1, None, None))
    'x=0.10'
    """
    value = node.value
    if math.isfinite(value) and (value == 0 or 0.01 <= abs(value) < 1e5):
        shown = f"{value:.2f}"
    else:
        shown = format_number(value)
    return f"{node.name}={shown}" if node.name and node.given else shown


def _unit_label(node: UnitNode, graph: Graph) -> str:
    if node.kind == "constant":
        return constant_text(node)
    lines = [node.name] if node.name else []
    lines.append(f"value {format_number(node.value)}")
    if graph.view == "backward" and node.grad is not None:
        lines.append(f"grad {format_number(node.grad)}")
    if node.made_by:
        lines.append(f"(made by {node.made_by})")
    return "\n".join(lines)


def _unit_attributes(node: UnitNode, graph: Graph) -> str:
    if node.kind == "constant":
        style = _CONSTANT
    elif node.kind == "parameter":
        style = _PARAMETER
    elif node.maker is None:  # made by a gate the drawing leaves out
        style = _COMPUTED_CUT
    else:
        style = _COMPUTED if node.needs_grad else _COMPUTED_NO_GRAD
    parts = [style, f"label={quote(_unit_label(node, graph))}"]
    if node.key in graph.outputs and node.kind == "computed":
        parts.append("penwidth=2")
    numbers = [node.value] + ([node.grad] if node.grad is not None else [])
    if not all(math.isfinite(x) for x in numbers):
        parts.append(f'fontcolor="{_NONFINITE}", color="{_NONFINITE}"')
    tooltip = f"{node.kind} {node.name}".strip()
    parts.append(f"tooltip={quote(tooltip)}")
    return ", ".join(parts)


def _gate_attributes(node: GateNode) -> str:
    label = f"{node.symbol}\n{node.name}" if node.name else node.symbol
    tooltip = f"{node.type_name} {node.name}".strip()
    return f"{_GATE}, label={quote(label)}, tooltip={quote(tooltip)}"


def _edge_attributes(edge: Edge, graph: Graph) -> str:
    if edge.flowed is None or edge.local is None:
        return 'style="dashed", color="#6b7280"' if graph.view == "backward" else ""
    if graph.view == "forward":
        return ""
    number = edge.flowed if graph.edge_label == "flowed" else edge.local
    upstream = graph.unit(graph.gate(edge.target).output).grad or 0.0
    tooltip = (
        f"grad flowed {format_number(edge.flowed)} = upstream grad "
        f"{format_number(upstream)} x local derivative {format_number(edge.local)}"
    )
    parts = [f"label={quote(format_number(number))}", f"tooltip={quote(tooltip)}"]
    if not math.isfinite(number):
        parts.append(f'fontcolor="{_NONFINITE}"')
    return ", ".join(parts)


def to_dot(graph: Graph, *, title: str | None = None, direction: Direction = "LR") -> str:
    """The DOT source of ``graph``: give it to ``dot -Tsvg`` or the graphviz package.

    ``direction`` is the way from the inputs to the output: ``"LR"`` (left to
    right, the default), ``"TB"`` (top to bottom, for a tall slide), or
    ``"RL"``, ``"BT"``.

    >>> from gates import Unit
    >>> from circuits.drawing.graph import build_graph
    >>> to_dot(build_graph(Unit(2.0) * 3.0), direction="TB").splitlines()[1]
    '  rankdir=TB;'
    """
    if direction not in DIRECTIONS:
        choices = ", ".join(repr(d) for d in DIRECTIONS)
        raise ValueError(
            f"direction must be one of {choices} (LR: left to right, TB: top to bottom), "
            f"got {direction!r}"
        )
    lines = [
        "digraph circuit {",
        f"  rankdir={direction};",
        # Font sizes in points, above Graphviz's usual 10-11: a page or a notebook
        # shrinks a wide graph to its column, and the numbers must stay readable.
        f'  graph [fontname="{_FONT}", fontsize=16, nodesep=0.25, ranksep=0.35];',
        f'  node [fontname="{_FONT}", fontsize=14];',
        f'  edge [fontname="{_FONT}", fontsize=13, color="#374151", fontcolor="#7c3aed"];',
    ]
    if title:
        lines.append(f"  label={quote(title)}; labelloc=t;")
    for node in graph.units:
        lines.append(f"  {node.key} [{_unit_attributes(node, graph)}];")
    for gate in graph.gates:
        lines.append(f"  {gate.key} [{_gate_attributes(gate)}];")
    for edge in graph.edges:
        attributes = _edge_attributes(edge, graph)
        suffix = f" [{attributes}]" if attributes else ""
        lines.append(f"  {edge.source} -> {edge.target}{suffix};")
    for gate in graph.gates:
        lines.append(f"  {gate.key} -> {gate.output};")
    lines.append("}")
    return "\n".join(lines) + "\n"
