"""``Player``: a trace as one self-contained HTML page that steps through it.

The page is a template, a style sheet and a script shipped beside this
module, with the trace's data (:mod:`circuits.player.trace_data`) and the
graph's layout put inline as JSON. It loads nothing else: it works from
``file://``, in a Jupyter cell (in an ``iframe``) and inside the docs.

>>> import io
>>> from rich.console import Console
>>> from circuits import Tracer
>>> from gates import Unit
>>> x = Unit(3.0, label="x")
>>> with Tracer(console=Console(file=io.StringIO()), live=False) as tracer:
...     y = x * x
...     y.backward()
>>> player = tracer.player(title="square")
>>> player
<Player of 2 gate calls: square>
>>> page = player.to_html()
>>> page.startswith("<!doctype html>") and "http://" not in page and "https://" not in page
True
>>> read_data(page)["events"][1]["writes"][0]["after"]
[6.0, '6.0']
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from circuits.drawing.render import INSTALL_GRAPHVIZ, DrawingUnavailable
from circuits.events import TraceEvent
from circuits.player.graphviz_layout import dot_layout
from circuits.player.layout import layered, node_boxes
from circuits.player.trace_data import trace_data
from gates import Unit

__all__ = ["DRAWN_UP_TO", "LayoutEngine", "Player", "read_data"]

LayoutEngine = Literal["auto", "graphviz", "layers"]

DRAWN_UP_TO = 400
"""Graphs of at most this many nodes (units and gates) are drawn whole; a
bigger one (a training loop that builds its graph anew each step) shows the
gate of the current step with the units it read and wrote."""

_NOTEBOOK_HEIGHT = 720  # px of the iframe a notebook cell shows the page in
_MARKER = re.compile(r"\{\{(title|css|data|js)\}\}")
_DATA = re.compile(r'<script type="application/json" id="trace-data">(.*?)</script>', re.S)


def _asset(name: str) -> str:
    return resources.files("circuits.player").joinpath(name).read_text(encoding="utf-8")


def _place(data: Mapping[str, Any], engine: LayoutEngine) -> dict[str, Any] | None:
    """Both layouts of the graph (left to right, top to bottom), or None if too big."""
    if engine not in ("auto", "graphviz", "layers"):
        raise ValueError(f"layout must be 'auto', 'graphviz' or 'layers', got {engine!r}")
    shape = node_boxes(data)
    if len(shape.boxes) > DRAWN_UP_TO:
        return None
    if engine != "layers":
        wide, tall = dot_layout(shape, "LR"), dot_layout(shape, "TB")
        if wide is not None and tall is not None:
            return {"engine": "Graphviz dot", "LR": wide, "TB": tall}
        if engine == "graphviz":
            raise DrawingUnavailable(
                f"layout='graphviz' needs Graphviz's dot program, which is not on PATH or "
                f"failed: {INSTALL_GRAPHVIZ}"
            )
    return {"engine": "layered", "LR": layered(shape, "LR"), "TB": layered(shape, "TB")}


def _json_for_script(data: Mapping[str, Any]) -> str:
    """``data`` as JSON that cannot end the ``<script>`` element it sits in."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def read_data(page: str) -> dict[str, Any]:
    """The trace data a player page holds, as the page reads it.

    Raises:
        ValueError: ``page`` is not a player page.
    """
    found = _DATA.search(page)
    if found is None:
        raise ValueError("this is not a trace player page: it holds no trace-data script")
    data: dict[str, Any] = json.loads(found.group(1))
    return data


class Player:
    """A trace as a page that steps through it: graph, events, the step in words.

    Make one with ``tracer.player()`` after a ``with Tracer(...)`` block,
    with :func:`circuits.player.play` for a unit or a circuit, or with
    ``circuits play SCRIPT.py`` on the command line. In Jupyter it shows
    itself; ``save(path)`` writes the page, ``to_html()`` gives its text.

    Args:
        events: the trace, as ``tracer.events`` holds it.
        names: each unit's name in the trace (``tracer.player()`` passes
            the Tracer's own); by default the names the events' reads use.
        title: what the page calls the trace.
        hidden: gate calls seen but not kept (past the tracer's ``limit``).
        limit: the tracer's limit, which the page names when it applies.
        notes: ``(events before it, line)`` for lines the script printed.
        layout: ``"auto"`` (Graphviz's ``dot`` when on PATH, else the
            player's own layered layout), ``"graphviz"`` or ``"layers"``.

    Attributes:
        data: what the page shows, as the JSON it holds: units, gates,
            events (each with its sentence) and the layout.
    """

    def __init__(
        self,
        events: Sequence[TraceEvent],
        *,
        names: Mapping[Unit, str] | None = None,
        title: str = "trace",
        hidden: int = 0,
        limit: int | None = None,
        notes: Iterable[tuple[int, str]] = (),
        layout: LayoutEngine = "auto",
    ) -> None:
        self.data = trace_data(
            events, names=names, title=title, hidden=hidden, limit=limit, notes=notes
        )
        self.data["layout"] = _place(self.data, layout)

    @property
    def title(self) -> str:
        return str(self.data["title"])

    def __repr__(self) -> str:
        count = len(self.data["events"])
        calls = "gate call" if count == 1 else "gate calls"
        return f"<Player of {count} {calls}: {self.title}>"

    def to_html(self) -> str:
        """The page: one HTML file with its script, styles and data inline."""
        parts = {
            "title": html.escape(self.title),
            "css": _asset("player.css"),
            "data": _json_for_script(self.data),
            "js": _asset("player.js"),
        }
        # One pass, so that a name in the data that looks like a marker stays text.
        return _MARKER.sub(lambda found: parts[found.group(1)], _asset("template.html"))

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8); returns the path."""
        target = Path(path)
        target.write_text(self.to_html(), encoding="utf-8")
        return target

    def _repr_html_(self) -> str:
        """Jupyter: the page in an ``iframe`` of its own, so its script and styles
        keep to themselves."""
        return (
            f'<iframe srcdoc="{html.escape(self.to_html(), quote=True)}" '
            f'title="Trace player: {html.escape(self.title, quote=True)}" '
            f'style="width:100%;height:{_NOTEBOOK_HEIGHT}px;border:1px solid #d0d7de;'
            'border-radius:6px"></iframe>'
        )
