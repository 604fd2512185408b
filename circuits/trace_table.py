"""How a trace looks in the console: one rich table row per event, a legend
for the gradient rule, and the closing table of units.

Every cell is built as rich ``Text``, never parsed as markup, so a label such
as ``w[0]`` shows as written; ``nan`` and ``inf`` stand out.
"""

from __future__ import annotations

import math

from rich import box
from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from circuits.events import Read, TraceEvent, more_names
from circuits.formatting import format_number

__all__ = ["event_table", "legend", "print_plain", "render_event", "unit_table"]

NAME = "bold cyan"
_GATE = "bold"
_PHASE_STYLE = {"forward": "green", "backward": "magenta"}
_NONFINITE = "bold reverse red"


def number(x: float | None, style: str = "") -> Text:
    """A formatted number; nan and inf stand out."""
    finite = isinstance(x, (int, float)) and math.isfinite(x)
    return Text(format_number(x), style=style if finite else _NONFINITE)


def column_widths(width: int) -> tuple[int, int, int]:
    """The gate, reads and writes columns' widths on a console ``width`` wide."""
    width = min(width, 120)  # wider only spreads the same text thinner
    gate_width = 11 if width < 100 else 16
    # Four gaps between five columns, each a separator and two spaces of padding.
    rest = max(width - 4 - gate_width - 8 - 12, 24)
    return gate_width, rest // 2, rest - rest // 2


def event_table(width: int, *, header: bool) -> Table:
    """An empty table whose columns line up with every other event's.

    Each event is printed as it happens, so each is its own table; fixed
    column widths, worked out from the console width, keep them aligned.
    """
    gate_width, reads_width, writes_width = column_widths(width)
    table = Table(
        box=box.SIMPLE_HEAD,
        show_header=header,
        show_edge=False,
        pad_edge=False,
        padding=(0, 1),
        header_style="bold",
    )
    table.add_column("#", justify="right", width=4, no_wrap=True)
    table.add_column("gate", width=gate_width, overflow="fold")
    table.add_column("phase", width=8, no_wrap=True)
    table.add_column("reads", width=reads_width, overflow="fold")
    table.add_column("writes", width=writes_width, overflow="fold")
    return table


def _read(read: Read, width: int) -> Text:
    text = Text(read.name, style=NAME)
    if read.grad is None:
        return text.append(" = ").append_text(number(read.value))
    text.append(".grad")
    shown = number(read.grad)
    # Too long for one line: break before the "=", not inside the number.
    text.append("\n  = " if len(text) + 3 + len(shown) > width else " = ")
    text.append_text(shown)
    if read.upstream_differs:
        sent = number(read.upstream)
        words = "this pass sends " if len(sent) + 20 <= width else "this pass: "
        text.append(f"\n  ({words}", style="dim").append_text(sent).append(")", style="dim")
    return text


def render_event(event: TraceEvent, width: int = 80) -> tuple[Text, Text, Text, Text, Text]:
    """The five cells of an event's row (step, gate, phase, reads, writes), for
    a console ``width`` wide."""
    gate = Text(event.gate_name, style=_GATE)
    gate.append("\n" + event.gate_type, style="dim")
    phase = Text(event.phase, style=_PHASE_STYLE[event.phase])
    reads_width = column_widths(width)[1]
    reads = Text("\n").join(_read(read, reads_width) for read in event.reads)
    writes = Text()
    for write in event.writes:
        if writes:
            writes.append("\n")
        writes.append(write.name, style=NAME)
        for other in write.also:
            writes.append(" is ", style="dim")
            writes.append(other, style=NAME)
        if write.more:
            writes.append(f" ({more_names(write.more)})", style="dim")
        writes.append("\n  " + write.field + " ")
        if write.before is None:
            writes.append("= ")
        else:
            writes.append_text(number(write.before))
            writes.append(" -> ")
        writes.append_text(number(write.after, style="bold"))
        if event.replay:
            writes.append(" (in place)", style="dim")
    return Text(str(event.step)), gate, phase, reads, writes


def legend(event: TraceEvent) -> Text:
    """The gradient rule, said once, with the numbers of the first row that needs it."""
    upstream = event.reads[0]
    return Text.assemble(
        ("Note: ", "bold"),
        f"{upstream.name}.grad = {format_number(upstream.grad)} is what you would read now: "
        "every backward pass so far added into it. This pass sends only its own share, "
        f"{format_number(upstream.upstream)}, so that no path is counted twice.",
        style="dim",
    )


def unit_table(
    rows: list[tuple[str, float, float | None, list[str], int]], left_out: int, hidden: int = 0
) -> RenderableType:
    """The closing table: each unit's name, value, grad (None: takes none), other
    names, and how many more names through other gates were left out of them.

    ``left_out`` units were replaced by a later forward pass; ``hidden`` gate calls
    were past the trace's limit, so their units and names are not listed."""
    table = Table(
        title="Units after the run",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("unit", style=NAME, overflow="fold")
    table.add_column("value", justify="right", no_wrap=True)
    table.add_column("grad", justify="right", no_wrap=True)
    table.add_column("also known as", overflow="fold")
    for name, value, grad, others, more in rows:
        shown = number(grad) if grad is not None else Text("no grad", style="dim")
        also = Text(", ".join(others))
        if more:
            also.append((", " if others else "") + more_names(more), style="dim")
        table.add_row(Text(name), number(value), shown, also)
    notes = []
    if hidden:
        calls = "gate call" if hidden == 1 else "gate calls"
        notes.append(
            f"Only the units of the gate calls shown are listed: the {hidden} {calls} past "
            "the limit may have used others, and given these more names."
        )
    if left_out:
        units = "unit is" if left_out == 1 else "units are"
        notes.append(
            f"{left_out} {units} not shown: an earlier forward pass made them, and the gates "
            "have run forward again since, making new output units, so nothing holds them now."
        )
    if not notes:
        return table
    return Group(table, *(Text(note, style="dim") for note in notes))


def print_plain(console: Console, renderable: RenderableType) -> None:
    """Print on ``console``; into a pipe or a file, without the spaces rich pads
    each line with (a terminal, a notebook or a recording console gets them
    as usual)."""
    if console.is_terminal or console.is_jupyter or console.record:
        console.print(renderable)
        return
    with console.capture() as capture:
        console.print(renderable)
    console.file.write("".join(line.rstrip() + "\n" for line in capture.get().splitlines()))
