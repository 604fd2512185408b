"""The player's layout from Graphviz: ``dot -Tplain`` places the nodes and routes the edges.

Only the ``dot`` program is needed (not the ``graphviz`` Python package): it
reads a graph of fixed-size boxes and ellipses, one per node of the player's
graph, and answers with their centres and each edge's spline, in inches with
y pointing up. Those become the same positions :func:`~circuits.player.layout.layered`
gives, so the page draws either the same way. When ``dot`` is missing, fails
or takes too long, :func:`dot_layout` returns None and the player uses its
own layout.

>>> from circuits.player.layout import Box, Shape
>>> shape = Shape((Box("u0", 72, 36, "box"), Box("g0", 54, 36, "ellipse")), (("u0", "g0"),))
>>> print(to_dot(shape, "LR"))  # doctest: +NORMALIZE_WHITESPACE
digraph player {
  rankdir=LR; nodesep=0.25; ranksep=0.45; ordering=in;
  mclimit=0.2; nslimit=3; nslimit1=3; searchsize=20;
  node [label="", fixedsize=true];
  u0 [shape=box, width=1.0000, height=0.5000];
  g0 [shape=ellipse, width=0.7500, height=0.5000];
  u0 -> g0;
}
"""

from __future__ import annotations

import math
import shlex
import shutil
import subprocess
from typing import Any

from circuits.player.layout import Direction, Placed, Shape

__all__ = ["GRAPHVIZ_UP_TO", "dot_layout", "parse_plain", "to_dot"]

_POINTS = 72.0  # Graphviz works in inches; the page in CSS px at 72 a inch, as dot's SVG
_COURIER_CHAR = 7.2  # points: a Courier character at 12 points is 0.6 of its size
_PAD = 10.0  # px of margin round the graph, for the thick outline of a lit node
_TIMEOUT = 10.0  # seconds; a graph that takes longer gets our own layout

GRAPHVIZ_UP_TO = 150
"""Graphs of more nodes than this get the player's own layout, which takes
milliseconds: dot's grows much faster than the graph."""


def to_dot(shape: Shape, direction: Direction) -> str:
    """DOT text for ``shape``: unlabelled nodes of the given sizes."""
    lines = [
        "digraph player {",
        # Top to bottom, an edge's label sits across its edge: the ranks are
        # spaced to hold its height. Left to right it needs its width, which
        # dot leaves when the edge has a label of that width.
        f"  rankdir={direction}; nodesep=0.25; ranksep={0.45 if direction == 'LR' else 0.55};"
        " ordering=in;",
        # Fewer rounds of untangling than dot's default: a unit that feeds many
        # gates far apart (a weight used at every step) otherwise takes minutes.
        "  mclimit=0.2; nslimit=3; nslimit1=3; searchsize=20;",
        '  node [label="", fixedsize=true];',
    ]
    for box in shape.boxes:
        lines.append(
            f"  {box.key} [shape={box.shape}, width={box.width / _POINTS:.4f}, "
            f"height={box.height / _POINTS:.4f}];"
        )
    for source, target in shape.edges:
        label = shape.labels.get((source, target)) if direction == "LR" else None
        if label is None:
            lines.append(f"  {source} -> {target};")
        else:
            # A stand-in text as wide as the widest label the page will put
            # there, so that dot leaves room for it beside the edge.
            chars = max(1, math.ceil(label[0] / _COURIER_CHAR))
            lines.append(
                f'  {source} -> {target} [label="{"0" * chars}", fontname="Courier", fontsize=12];'
            )
    lines.append("}")
    return "\n".join(lines) + "\n"


def parse_plain(text: str, shape: Shape) -> Placed:
    """Positions from ``dot -Tplain`` output, in px with y pointing down.

    >>> from circuits.player.layout import Box, Shape
    >>> shape = Shape((Box("a", 72, 36, "box"), Box("b", 72, 36, "box")), (("a", "b"),))
    >>> plain = '''graph 1 3 1
    ... node a 0.5 0.5 1 0.5 "" solid box black lightgrey
    ... node b 2.5 0.5 1 0.5 "" solid box black lightgrey
    ... edge a b 4 1 0.5 1.5 0.5 1.5 0.5 1.86 0.5 solid black
    ... stop'''
    >>> placed = parse_plain(plain, shape)
    >>> placed["width"], placed["nodes"]["b"], placed["edges"][0]
    (236.0, [190.0, 46.0, 72, 36], ['a', 'b', 'M82.0,46.0 C118.0,46.0 118.0,46.0 143.9,46.0', None])
    """
    sizes = {box.key: (box.width, box.height) for box in shape.boxes}
    height = width = top = 0.0
    nodes: dict[str, list[float]] = {}
    edges: list[list[Any]] = []  # [source, target, SVG path, label centre or None]
    for line in text.splitlines():
        parts = shlex.split(line)
        if not parts:
            continue
        if parts[0] == "graph":
            width, height = float(parts[2]) * _POINTS, float(parts[3]) * _POINTS
            top = height + _PAD  # y of the page = top - y of dot, and a margin all round
        elif parts[0] == "node":
            key = parts[1]
            x, y = float(parts[2]) * _POINTS + _PAD, top - float(parts[3]) * _POINTS
            w, h = sizes[key]
            nodes[key] = [round(x, 1), round(y, 1), w, h]
        elif parts[0] == "edge":
            count = int(parts[3])
            numbers = [float(v) * _POINTS for v in parts[4 : 4 + 2 * count]]
            points = [(numbers[i] + _PAD, top - numbers[i + 1]) for i in range(0, len(numbers), 2)]
            path = f"M{points[0][0]:.1f},{points[0][1]:.1f}"
            for i in range(1, len(points) - 2, 3):
                path += " C" + " ".join(f"{x:.1f},{y:.1f}" for x, y in points[i : i + 3])
            rest = parts[4 + 2 * count :]
            where = None
            if len(rest) >= 5:  # label, x, y, style, colour
                x, y = float(rest[1]) * _POINTS + _PAD, top - float(rest[2]) * _POINTS
                where = [round(x, 1), round(y, 1)]
            edges.append([parts[1], parts[2], path, where])
    return {
        "width": round(width + 2 * _PAD, 1),
        "height": round(height + 2 * _PAD, 1),
        "nodes": nodes,
        "edges": edges,
    }


def dot_layout(shape: Shape, direction: Direction) -> Placed | None:
    """Graphviz's layout of ``shape``, or None when ``dot`` is missing, fails,
    takes too long or the graph has more than ``GRAPHVIZ_UP_TO`` nodes."""
    dot = shutil.which("dot")
    if dot is None or len(shape.boxes) > GRAPHVIZ_UP_TO:
        return None
    try:
        done = subprocess.run(
            [dot, "-Tplain"],
            input=to_dot(shape, direction),
            capture_output=True,
            text=True,
            timeout=_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if done.returncode != 0:
        return None
    try:
        placed = parse_plain(done.stdout, shape)
    except (ValueError, IndexError, KeyError):
        return None  # output we cannot read: an unusual dot; our own layout will do
    if set(placed["nodes"]) != {box.key for box in shape.boxes}:
        return None
    return placed
