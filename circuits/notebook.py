"""Jupyter display: a cell that ends with a Unit, a Circuit or a trace shows it usefully.

Without this, a notebook shows ``<Circuit of 2 gates>`` or a dataclass dump.
With it, a cell's single output is:

* a ``Unit``: its name, value, grad and the gate that made it, and the
  drawing of what it depends on when that is small;
* a ``Circuit``: its inputs and output as a table, and its drawing when small;
* a ``Tracer``: its rows and the table of units, as the console shows them;
* a ``TraceEvent`` (an item of ``tracer.events``): its row, and the event in
  words, which is also its text form (so a list of events reads as sentences).

``gates`` needs only the standard library and never imports ``circuits``, so
the classes carry no Jupyter code: :func:`register_formatters` adds these
displays to IPython's formatters when ``circuits`` is imported inside IPython
(``circuits.drawing.picture`` calls it). Each object's ``repr`` stays its
plain-text form. Names come from the notebook's own variables, as with
``draw(s, names=vars())``.

Outside IPython nothing is registered, and the HTML builders can be called
directly:

>>> from gates import CircuitError, Unit
>>> a = Unit(2.0, label="a")
>>> "<td>a</td>" in unit_html(a) and "parameter" in unit_html(a)
True
"""

from __future__ import annotations

import io
import sys
from collections.abc import Mapping
from html import escape
from typing import TYPE_CHECKING, Any

from rich.console import Console, RenderableType

from circuits.formatting import format_number
from gates import CircuitError, Unit

if TYPE_CHECKING:
    from circuits.circuit import Circuit
    from circuits.events import TraceEvent
    from circuits.tracer import Tracer

__all__ = [
    "circuit_html",
    "event_html",
    "register_formatters",
    "rich_html",
    "tracer_html",
    "unit_html",
]

DRAWN_UP_TO = 25
"""Graphs of at most this many gates are drawn inline; bigger ones get a table only
(a drawing of a training loop's graph is a wall of boxes)."""

_WIDTH = 100  # columns for rich's text in a notebook cell
_PRE = (
    '<pre style="white-space:pre;overflow-x:auto;line-height:1.2;'
    "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>"
)


def rich_html(renderable: RenderableType, *, width: int = _WIDTH) -> str:
    """``renderable`` as rich prints it, as an HTML ``<pre>`` block with inline colours.

    The console writes to a buffer even inside Jupyter (``force_jupyter=False``):
    otherwise rich would display the text as an extra cell output itself.

    >>> from rich.text import Text
    >>> rich_html(Text("grad 0.1050", style="bold"))[:4]
    '<pre'
    """
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        force_jupyter=False,
        color_system="truecolor",
    )
    console.print(renderable)
    return console.export_html(inline_styles=True, code_format=_PRE)


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]], caption: str = "") -> str:
    head = "".join(f"<th>{escape(cell)}</th>" for cell in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    top = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{top}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _kind(unit: Unit) -> str:
    if unit.gate is not None:
        return f"computed by {type(unit.gate).__name__}"
    return "parameter" if unit.requires_grad else "constant"


def _grad(unit: Unit) -> str:
    return format_number(unit.grad) if unit.requires_grad else "no grad"


def _unit_rows(units: list[Unit], names: Mapping[str, Any] | None) -> list[tuple[str, ...]]:
    from circuits.names import Names

    index = Names(names)
    return [(index.names_of(u)[0], format_number(u.value), _grad(u), _kind(u)) for u in units]


def _drawing_html(target: Any, names: Mapping[str, Any] | None) -> str:
    """The drawing as Jupyter would show it: SVG with Graphviz, else the console tree."""
    from circuits.drawing.picture import draw

    bundle = draw(target, names=names)._repr_mimebundle_()
    return bundle.get("image/svg+xml") or bundle["text/html"]


def unit_html(unit: Unit, *, names: Mapping[str, Any] | None = None) -> str:
    """A unit as a one-row table, with the drawing of what it depends on if small."""
    from gates.graph import gates_behind

    table = _table(("unit", "value", "grad", "what it is"), _unit_rows([unit], names))
    if unit.gate is None:
        return table
    try:
        behind = len(gates_behind(unit))
    except CircuitError:  # a gate on the way forwarded again since: the table still helps
        return table
    if behind > DRAWN_UP_TO:
        return table + f"<p>It depends on {behind} gates: draw(unit) draws them all.</p>"
    return table + _drawing_html(unit, names)


def circuit_html(circuit: Circuit, *, names: Mapping[str, Any] | None = None) -> str:
    """A circuit's inputs and output as a table, and its drawing if small."""
    count = len(circuit.gates)
    plural = "gate" if count == 1 else "gates"
    if count == 0:
        return "<p>An empty Circuit: record gates with <code>with Circuit() as c:</code>.</p>"
    units = [*circuit.inputs, circuit.output]
    caption = f"Circuit of {count} {plural}: its inputs, then its output"
    table = _table(("unit", "value", "grad", "what it is"), _unit_rows(units, names), caption)
    if count > DRAWN_UP_TO:
        return table + "<p>draw(circuit) draws all its gates.</p>"
    return table + _drawing_html(circuit, names)


def tracer_html(tracer: Tracer) -> str:
    """The tracer's rows and its table of units, as the console shows them."""
    # its rows are laid out for its own console's width: render them at least as wide
    return rich_html(tracer, width=max(tracer.console.width, _WIDTH))


def event_html(event: TraceEvent) -> str:
    """One event's row, as the trace prints it, and the event in words."""
    from circuits.trace_table import event_table, render_event

    table = event_table(_WIDTH, header=True)
    table.add_row(*render_event(event))
    return rich_html(table) + f"<p>{escape(event.sentence())}</p>"


def _tracer_text(tracer: Tracer, printer: Any, cycle: bool) -> None:
    shown = len(tracer.events)
    text = f"<Tracer: {tracer.count} gate calls"
    if shown != tracer.count:
        text += f", {shown} kept"
    printer.text(text + ">")


def _event_text(event: TraceEvent, printer: Any, cycle: bool) -> None:
    printer.text(f"{event.step}: {event.sentence()}")


def register_formatters() -> bool:
    """Inside IPython, add the HTML displays above; whether it did.

    Safe to call more than once and outside IPython (where it does nothing).
    """
    ipython_module = sys.modules.get("IPython")
    if ipython_module is None:  # not inside IPython: importing it would cost a second
        return False
    shell = ipython_module.get_ipython()
    if shell is None:
        return False
    from circuits.circuit import Circuit
    from circuits.events import TraceEvent
    from circuits.tracer import Tracer

    def user_names() -> Mapping[str, Any]:
        names: Mapping[str, Any] = shell.user_ns
        return names

    formatters = shell.display_formatter.formatters
    html = formatters["text/html"]
    html.for_type(Unit, lambda unit: unit_html(unit, names=user_names()))
    html.for_type(Circuit, lambda circuit: circuit_html(circuit, names=user_names()))
    html.for_type(Tracer, tracer_html)
    html.for_type(TraceEvent, event_html)
    plain = formatters["text/plain"]
    plain.for_type(Tracer, _tracer_text)
    plain.for_type(TraceEvent, _event_text)
    return True
