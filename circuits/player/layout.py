"""Where the player draws each node: Graphviz's layout, or a layered one of our own.

The page draws the graph itself (so it can change the numbers at each step),
from the positions worked out here, once, in Python. Each node's box is sized
for the longest text it will ever show, so nothing moves while the trace
plays. Two layouts are made: left to right for a wide window, top to bottom
for a phone.

:func:`layered` needs nothing installed: units and gates are put in layers
(each gate one layer after its last input, each output one after its gate,
each input just before its first reader), ordered within a layer to keep
edges short, and joined by curves. With Graphviz's ``dot`` on PATH,
:func:`circuits.player.graphviz_layout.dot_layout` places them instead.

>>> shape = Shape(
...     (Box("u0", 80, 40, "box"), Box("u1", 80, 40, "box"), Box("g0", 50, 30, "ellipse"),
...      Box("u2", 80, 40, "box")),
...     (("u0", "g0"), ("u1", "g0"), ("g0", "u2")),
... )
>>> placed = layered(shape, "LR")
>>> [round(placed["nodes"][key][0]) for key in ("u0", "u1", "g0", "u2")]  # x of each centre
[52, 52, 163, 274]
>>> placed["nodes"]["u0"][1] < placed["nodes"]["g0"][1] < placed["nodes"]["u1"][1]
True
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "ARROW",
    "Box",
    "Direction",
    "Placed",
    "Shape",
    "curve",
    "flow_lines",
    "layered",
    "node_boxes",
]

Direction = Literal["LR", "TB"]
Placed = dict[str, Any]  # {"width", "height", "nodes": {key: [x, y, w, h]}, "edges": [...]}

ARROW = 9.0
"""Room left at an edge's end for its arrowhead (px), as Graphviz leaves it."""

# Text metrics of the page's graph (player.css sets these sizes), measured in
# Chromium with DejaVu Sans, a wide font, so that narrower ones fit too: a
# character of the 14 px text, of the bold name line, of an edge's label.
_CHAR = 7.6
_BOLD_CHAR = 9.0
_LINE = 16.0
_LABEL_CHAR = 7.5
_LABEL_HEIGHT = 34.0  # its two lines and their box
_PAD = 18.0
_RANK_GAP = 46.0
_NODE_GAP = 18.0
_MARGIN = 12.0


@dataclass(frozen=True)
class Box:
    """A node to place: its key (``u3`` for a unit, ``g1`` for a gate) and size in px."""

    key: str
    width: float
    height: float
    shape: Literal["box", "ellipse"]


@dataclass(frozen=True)
class Shape:
    """The graph to lay out: nodes in order of first appearance, edges, and
    the size (px) of the widest label each edge will carry, for the edges
    that carry one: the gradient that flowed along it."""

    boxes: tuple[Box, ...]
    edges: tuple[tuple[str, str], ...]
    labels: Mapping[tuple[str, str], tuple[float, float]] = field(default_factory=dict)


def flow_lines(flow: Mapping[str, Any]) -> tuple[str, str]:
    """An edge's label in a backward step, two short lines: upstream x local = added.

    The page writes the same lines (player.js ``flowLines``).

    >>> flow = {"upstream": [1.0, "1.0"], "local": [0.1, "0.1000"], "added": [0.1, "0.1000"]}
    >>> flow_lines(flow)
    ('◀ 1.0 × 0.1000', '= 0.1000')
    """
    local = flow["local"][1] if flow["local"] is not None else "?"
    return f"\u25c0 {flow['upstream'][1]} \u00d7 {local}", f"= {flow['added'][1]}"


def _texts_of_units(data: Mapping[str, Any]) -> dict[int, dict[str, set[str]]]:
    """Every value and grad text each unit shows in the trace."""
    texts: dict[int, dict[str, set[str]]] = defaultdict(lambda: {"value": set(), "grad": set()})
    for event in data["events"]:
        for read in event["reads"]:
            texts[read["unit"]]["value"].add(read["value"][1])
            if read["grad"] is not None:
                texts[read["unit"]]["grad"].add(read["grad"][1])
        for write in event["writes"]:
            for number in (write["before"], write["after"]):
                if number is not None:
                    texts[write["unit"]][write["field"]].add(number[1])
    return texts


def node_boxes(data: Mapping[str, Any]) -> Shape:
    """The boxes and edges of the player's graph, each box wide enough for its
    longest text: ``value -0.1050``, ``grad 0.3150``, its name."""
    texts = _texts_of_units(data)
    boxes = []
    for index, unit in enumerate(data["units"]):
        shown = texts[index]
        values = max((len(t) for t in shown["value"]), default=3)
        grads = max((len(t) for t in shown["grad"]), default=3)
        lines = [len("value ") + values]
        if unit["takes_grad"]:
            lines.append(len("grad ") + grads)
        width = max(max(lines) * _CHAR, len(unit["name"]) * _BOLD_CHAR) + _PAD
        height = (len(lines) + 1) * _LINE + 10
        boxes.append(Box(f"u{index}", max(width, 64.0), height, "box"))
    labels: dict[tuple[str, str], tuple[float, float]] = {}
    for event in data["events"]:
        for write in event["writes"]:
            if "flow" in write:
                edge = (f"u{write['unit']}", f"g{event['gate']}")
                width = max(map(len, flow_lines(write["flow"]))) * _LABEL_CHAR + 12
                labels[edge] = (max(width, labels.get(edge, (0.0, 0.0))[0]), _LABEL_HEIGHT)
    edges: list[tuple[str, str]] = []
    for index, gate in enumerate(data["gates"]):
        width = max(len(gate["symbol"]) * 9.6, len(gate["name"]) * 7.0) + 30
        boxes.append(Box(f"g{index}", max(width, 48.0), 38.0, "ellipse"))
        edges.extend((f"u{unit}", f"g{index}") for unit in gate["inputs"])
        edges.append((f"g{index}", f"u{gate['output']}"))
    return Shape(tuple(boxes), tuple(edges), labels)


def _ranks(shape: Shape) -> dict[str, int]:
    """Each node's layer: after everything it depends on, inputs just before their reader."""
    successors: dict[str, list[str]] = defaultdict(list)
    predecessors: dict[str, list[str]] = defaultdict(list)
    for source, target in shape.edges:
        successors[source].append(target)
        predecessors[target].append(source)
    order = [box.key for box in shape.boxes]
    waiting = {key: len(predecessors[key]) for key in order}
    ready = [key for key in order if waiting[key] == 0]
    rank: dict[str, int] = {}
    while ready:
        key = ready.pop(0)
        rank[key] = max((rank[p] + 1 for p in predecessors[key] if p in rank), default=0)
        for target in successors[key]:
            waiting[target] -= 1
            if waiting[target] == 0:
                ready.append(target)
    for key in order:  # a cycle (no circuit makes one): put what is left at the end
        rank.setdefault(key, max(rank.values(), default=-1) + 1)
    for key in order:
        if not predecessors[key] and successors[key]:
            rank[key] = min(rank[target] for target in successors[key]) - 1
    return rank


def _order(layers: list[list[str]], shape: Shape) -> None:
    """Reorder each layer by the mean position of its neighbours (a few sweeps each way)."""
    up: dict[str, list[str]] = defaultdict(list)
    down: dict[str, list[str]] = defaultdict(list)
    for source, target in shape.edges:
        down[source].append(target)
        up[target].append(source)
    for sweep in range(8):
        downwards = sweep % 2 == 0
        for r in range(1, len(layers)) if downwards else range(len(layers) - 2, -1, -1):
            neighbours = up if downwards else down
            near = layers[r - 1] if downwards else layers[r + 1]
            where = {key: i for i, key in enumerate(near)}
            keyed = []
            for i, key in enumerate(layers[r]):
                found = [where[n] for n in neighbours[key] if n in where]
                keyed.append((sum(found) / len(found) if found else float(i), i, key))
            layers[r] = [key for _, _, key in sorted(keyed)]


def curve(x1: float, y1: float, x2: float, y2: float, direction: Direction) -> str:
    """An SVG path from one node's side to the next one's, leaving room for the arrow.

    >>> curve(0, 0, 100, 20, "LR")
    'M0.0,0.0 C45.5,0.0 45.5,20.0 91.0,20.0'
    """
    if direction == "LR":
        x2 -= ARROW
        middle = (x1 + x2) / 2
        return f"M{x1:.1f},{y1:.1f} C{middle:.1f},{y1:.1f} {middle:.1f},{y2:.1f} {x2:.1f},{y2:.1f}"
    y2 -= ARROW
    middle = (y1 + y2) / 2
    return f"M{x1:.1f},{y1:.1f} C{x1:.1f},{middle:.1f} {x2:.1f},{middle:.1f} {x2:.1f},{y2:.1f}"


def _spread(layers: list[list[str]], across: Mapping[str, float], shape: Shape) -> dict[str, float]:
    """Each node's position across its layer: near its neighbours, never overlapping."""
    links: dict[str, list[str]] = defaultdict(list)
    for source, target in shape.edges:
        links[source].append(target)
        links[target].append(source)
    position: dict[str, float] = {}
    for layer in layers:  # first, stacked
        at = 0.0
        for key in layer:
            position[key] = at + across[key] / 2
            at += across[key] + _NODE_GAP
    for _ in range(8):  # then pulled towards their neighbours, in order, with the gaps kept
        for layer in layers:
            wanted = []
            for key in layer:
                near = [position[n] for n in links[key]]
                wanted.append(sum(near) / len(near) if near else position[key])
            gaps = [0.0] + [
                (across[a] + across[b]) / 2 + _NODE_GAP for a, b in itertools.pairwise(layer)
            ]
            down = list(wanted)  # pushed down from the top ...
            for i in range(1, len(layer)):
                down[i] = max(wanted[i], down[i - 1] + gaps[i])
            up = list(wanted)  # ... and up from the bottom; then the middle way
            for i in range(len(layer) - 2, -1, -1):
                up[i] = min(wanted[i], up[i + 1] - gaps[i + 1])
            middle = [(d + u) / 2 for d, u in zip(down, up)]
            for i in range(1, len(layer)):
                middle[i] = max(middle[i], middle[i - 1] + gaps[i])
            position.update(zip(layer, middle))
    return position


def layered(shape: Shape, direction: Direction) -> Placed:
    """Place ``shape``'s nodes in layers; needs nothing installed.

    Where an edge carries a label, the gap after its layer is made wide (or
    tall) enough to hold it, and the label sits at the middle of the curve.
    """
    rank = _ranks(shape)
    count = max(rank.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    for box in shape.boxes:
        layers[rank[box.key]].append(box.key)
    layers = [layer for layer in layers if layer]
    _order(layers, shape)
    boxes = {box.key: box for box in shape.boxes}
    horizontal = direction == "LR"
    along = {k: (b.width if horizontal else b.height) for k, b in boxes.items()}
    across = {k: (b.height if horizontal else b.width) for k, b in boxes.items()}
    layer_of = {key: i for i, layer in enumerate(layers) for key in layer}
    gap_after = [_RANK_GAP] * len(layers)
    for (source, _), (width, height) in shape.labels.items():
        room = (width + 2 * ARROW + 8) if horizontal else (height + ARROW + 4)
        gap_after[layer_of[source]] = max(gap_after[layer_of[source]], room)
    spread = _spread(layers, across, shape)
    low = min((spread[k] - across[k] / 2 for k in spread), default=0.0)
    centres: dict[str, tuple[float, float]] = {}
    at = _MARGIN
    for i, layer in enumerate(layers):
        depth = max(along[key] for key in layer)
        for key in layer:
            a, b = at + depth / 2, spread[key] - low + _MARGIN
            centres[key] = (a, b) if horizontal else (b, a)
        at += depth + gap_after[i]
    nodes = {key: [x, y, boxes[key].width, boxes[key].height] for key, (x, y) in centres.items()}
    width = max((x + w / 2 for x, _, w, _ in nodes.values()), default=0.0) + _MARGIN
    height = max((y + h / 2 for _, y, _, h in nodes.values()), default=0.0) + _MARGIN
    edges = []
    for source, target in shape.edges:
        path, middle = _edge(nodes[source], nodes[target], direction)
        where = (
            [round(middle[0], 1), round(middle[1], 1)] if (source, target) in shape.labels else None
        )
        edges.append([source, target, path, where])
    return {
        "width": round(width, 1),
        "height": round(height, 1),
        "nodes": {key: [round(v, 1) for v in value] for key, value in nodes.items()},
        "edges": edges,
    }


def _edge(
    source: Sequence[float], target: Sequence[float], direction: Direction
) -> tuple[str, tuple[float, float]]:
    """The curve from ``source``'s side to ``target``'s, and its middle point."""
    sx, sy, sw, sh = source
    tx, ty, tw, th = target
    if direction == "LR":
        start, end = (sx + sw / 2, sy), (tx - tw / 2, ty)
    else:
        start, end = (sx, sy + sh / 2), (tx, ty - th / 2)
    path = curve(*start, *end, direction)
    return path, ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
