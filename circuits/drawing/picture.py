"""``draw()`` and the ``Drawing`` it returns: one graph, every output format.

>>> from gates import Unit
>>> a, b = Unit(1.0, label="a"), Unit(2.0, label="b")
>>> out = (a * b).sigmoid()
>>> out.backward()
>>> drawing = draw(out)
>>> drawing
<Drawing of 2 gates, backward view>
>>> drawing.to_dot().splitlines()[0]
'digraph circuit {'
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from rich.console import Console, ConsoleOptions, RenderResult

from circuits.circuit import Circuit
from circuits.drawing.console import to_renderable
from circuits.drawing.dot import DIRECTIONS, Direction, to_dot
from circuits.drawing.graph import EdgeLabel, Graph, View, build_graph
from circuits.drawing.render import DrawingUnavailable, can_render, render
from circuits.notebook import rich_html
from gates import Gate, Unit

__all__ = ["Drawing", "draw"]

Format = Literal["console", "dot", "svg", "png"]
_NOTEBOOK_WIDTH = 100  # columns of the console tree in a notebook cell
_SUFFIXES: dict[str, Format] = {
    ".txt": "console",
    ".dot": "dot",
    ".gv": "dot",
    ".svg": "svg",
    ".png": "png",
}


class Drawing:
    """A picture of a circuit, ready to print, save or show in a notebook.

    Print it with rich (``rich.print(drawing)`` or ``console.print``) for the
    console tree; ``to_dot()``, ``to_svg()`` and ``to_png()`` give the other
    formats, and ``save(path)`` picks one from the file suffix. In Jupyter it
    displays itself as SVG when Graphviz is installed, else as the console
    picture.
    """

    def __init__(
        self, graph: Graph, *, title: str | None = None, direction: Direction = "LR"
    ) -> None:
        self.graph = graph
        self.title = title
        self.direction = direction

    def __repr__(self) -> str:
        count = len(self.graph.gates)
        plural = "gate" if count == 1 else "gates"
        return f"<Drawing of {count} {plural}, {self.graph.view} view>"

    # -- formats -----------------------------------------------------------

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield to_renderable(self.graph)

    def to_text(self, *, width: int = 80) -> str:
        """The console picture as plain text (no colours)."""
        buffer = io.StringIO()
        # force_jupyter=False: inside a notebook rich would otherwise display the
        # text as a cell output of its own and leave the buffer empty.
        Console(file=buffer, width=width, color_system=None, force_jupyter=False).print(self)
        return buffer.getvalue()

    def to_dot(self) -> str:
        """Graphviz DOT source; needs nothing installed."""
        return to_dot(self.graph, title=self.title, direction=self.direction)

    def to_svg(self) -> str:
        """An SVG image (needs the ``graphviz`` package and the ``dot`` program)."""
        return render(self.to_dot(), "svg").decode("utf-8")

    def to_png(self) -> bytes:
        """A PNG image (needs the ``graphviz`` package and the ``dot`` program)."""
        return render(self.to_dot(), "png")

    def save(self, path: str | Path, *, format: Format | None = None) -> Path:
        """Write the drawing to ``path``; the format comes from the suffix
        (``.txt``, ``.dot``/``.gv``, ``.svg``, ``.png``) unless given."""
        target = Path(path)
        chosen = format if format is not None else _SUFFIXES.get(target.suffix.lower())
        if chosen is None:
            known = ", ".join(_SUFFIXES)
            raise ValueError(
                f"cannot tell the format of {str(target)!r} from its suffix; use one of "
                f"{known} or pass format='console', 'dot', 'svg' or 'png'"
            )
        if chosen == "png":
            target.write_bytes(self.to_png())
        elif chosen == "svg":
            target.write_text(self.to_svg(), encoding="utf-8")
        elif chosen == "dot":
            target.write_text(self.to_dot(), encoding="utf-8")
        elif chosen == "console":
            target.write_text(self.to_text(), encoding="utf-8")
        else:
            raise ValueError(f"format must be 'console', 'dot', 'svg' or 'png', got {chosen!r}")
        return target

    # -- Jupyter -----------------------------------------------------------

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """What Jupyter shows, as one output: the SVG when Graphviz can make it,
        else the console tree in colour; the plain tree is the text form."""
        bundle = {"text/plain": self.to_text(width=_NOTEBOOK_WIDTH)}
        if can_render():
            try:
                bundle["image/svg+xml"] = self.to_svg()
                return bundle
            except DrawingUnavailable:  # dot vanished or failed: the tree still shows it
                pass
        bundle["text/html"] = rich_html(self, width=_NOTEBOOK_WIDTH)
        return bundle


def draw(
    target: Circuit | Unit | Sequence[Gate],
    *,
    view: View = "backward",
    edges: EdgeLabel = "flowed",
    names: Mapping[str, Any] | None = None,
    title: str | None = None,
    depth: int | None = None,
    constants: bool = True,
    direction: Direction = "LR",
) -> Drawing:
    """Draw a circuit, or a unit and everything it depends on.

    Args:
        target: a ``Circuit``, a ``Unit`` (its ancestors are drawn) or a list
            of gates (only those: one layer, say; units they read from other
            gates keep their names and say which gate made them).
        view: ``"backward"``: each node's value and grad, and on each edge the
            gradient that flowed along it; ``"forward"``: values only.
        edges: ``"flowed"`` (upstream grad x local derivative) or ``"local"``
            (the bare local derivative) on the backward view's edges.
        names: a mapping such as ``vars()`` naming units and gates.
        title: a caption for the DOT/SVG picture.
        depth: draw only the gates at most this many gates from the output
            (``depth=1``: the output's own gate); None draws them all.
        constants: False leaves constant inputs out of the picture.
        direction: the DOT/SVG layout, from the inputs to the output:
            ``"LR"`` (left to right) or ``"TB"`` (top to bottom, for slides);
            also ``"RL"``, ``"BT"``.

    Raises:
        TypeError: ``target`` is not something that can be drawn, or
            ``names`` is not a mapping.
        ValueError: an unknown ``view``, ``edges`` or ``direction``, or a
            ``depth`` below 1.

    Example:
        >>> from gates import Unit
        >>> x = Unit(3.0, label="x")
        >>> y = x * x
        >>> y.backward()
        >>> print(draw(y).to_text(width=40).splitlines()[1])
        └── <- 6.0  x   value 3.0  grad 6.0
    """
    if names is not None and not isinstance(names, Mapping):
        raise TypeError(
            f"draw names must be a mapping such as vars(), got {names!r} ({type(names).__name__})"
        )
    if direction not in DIRECTIONS:
        choices = ", ".join(repr(d) for d in DIRECTIONS)
        raise ValueError(
            f"direction must be one of {choices} (LR: left to right, TB: top to bottom), "
            f"got {direction!r}"
        )
    graph = build_graph(
        target, view=view, edge_label=edges, names=names, depth=depth, constants=constants
    )
    return Drawing(graph, title=title, direction=direction)
