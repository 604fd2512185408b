"""circuits.tracer: one row per gate call, with every name a unit goes by.

The figures are the guide's (SEEDS.md): s = sigmoid(2) = 0.8808, and with
ds = s * (1 - s) = 0.104993...: grads a = -ds, b = 3 ds, c = ds, x = ds, y = 2 ds.
"""

from __future__ import annotations

import io
import math

import pytest
from guide_neuron import FORWARD_AND_BACKWARD as GUIDE  # the learner's script
from rich.console import Console

from circuits import Circuit
from circuits.tracer import Tracer, render_event
from gates import Gate, LogGate, MultGate, Unit
from gates.labels import numbered_from_one
from gates.observe import watchers

S = 1.0 / (1.0 + math.exp(-2.0))
DS = S * (1.0 - S)


def fixed_console(width: int = 80) -> Console:
    return Console(record=True, width=width, color_system=None, file=io.StringIO())


def trace_guide(
    width: int = 80, *, live: bool = False
) -> tuple[Tracer, dict[str, object], Console]:
    """Run the guide's script as `circuits trace` does: its globals name things,
    and the rows are printed when it ends, with the names it gave."""
    scope: dict[str, object] = {"__name__": "__main__"}
    console = fixed_console(width)
    with Tracer(console=console, names=scope, live=live) as tracer:
        exec(GUIDE, scope)
    return tracer, scope, console


def stripped(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.splitlines()).rstrip("\n")


def test_guide_neuron_has_five_forward_and_five_backward_events() -> None:
    tracer, _, _ = trace_guide()
    phases = [event.phase for event in tracer.events]
    assert phases == ["forward"] * 5 + ["backward"] * 5
    assert [event.gate_name for event in tracer.events] == [
        "mulg0", "mulg1", "addg0", "addg1", "sg0", "sg0", "addg1", "addg0", "mulg1", "mulg0",
    ]  # fmt: skip
    assert [event.step for event in tracer.events] == list(range(1, 11))


def test_sg0_backward_writes_the_very_object_that_is_addg1_utop() -> None:
    tracer, scope, console = trace_guide()
    sg0_backward = tracer.events[5]
    assert sg0_backward.gate is scope["sg0"]
    (write,) = sg0_backward.writes
    assert write.unit is scope["addg1"].utop  # type: ignore[attr-defined]
    assert write.name == "sg0.u0"
    assert write.also == ("addg1.utop",)
    assert (write.field, write.before) == ("grad", 0.0)
    assert write.after == pytest.approx(DS)
    # ... and the printed row says so, both names on one line
    row = [line for line in console.export_text().splitlines() if line.startswith("   6 ")]
    assert len(row) == 1
    assert "sg0.u0 is addg1.utop" in row[0]


def test_backward_events_hold_the_guides_gradients() -> None:
    tracer, _, _ = trace_guide()
    written = {w.name: w.after for event in tracer.events[5:] for w in event.writes}
    expected = {
        "sg0.u0": DS, "addg1.u0": DS, "addg1.u1": DS, "addg0.u0": DS, "addg0.u1": DS,
        "mulg1.u0": 3 * DS, "mulg1.u1": 2 * DS, "mulg0.u0": -DS, "mulg0.u1": DS,
    }  # fmt: skip
    assert written == pytest.approx(expected)


def test_a_mult_gate_backward_writes_both_inputs() -> None:
    tracer, scope, _ = trace_guide()
    mulg0_backward = tracer.events[9]
    assert [w.unit for w in mulg0_backward.writes] == [scope["a"], scope["x"]]
    assert [w.also for w in mulg0_backward.writes] == [("a",), ("x",)]
    assert [w.change for w in mulg0_backward.writes] == pytest.approx([-DS, DS])
    # it read its output's grad (the upstream gradient) and both input values
    upstream, *values = mulg0_backward.reads
    assert upstream.grad == pytest.approx(DS)
    assert [(r.name, r.value) for r in values] == [("a", 1.0), ("x", -1.0)]


def test_forward_events_read_inputs_and_write_a_fresh_value() -> None:
    tracer, _, _ = trace_guide()
    addg0 = tracer.events[2]
    assert [(r.name, r.value, r.grad) for r in addg0.reads] == [
        ("mulg0.utop", -1.0, None),
        ("mulg1.utop", 6.0, None),
    ]
    (write,) = addg0.writes
    assert (write.name, write.field, write.before, write.after) == (
        "addg0.utop",
        "value",
        None,
        5.0,
    )
    assert not addg0.replay


PINNED_NEURON_TRACE = """\
   #   gate          phase      reads                    writes
────────────────────────────────────────────────────────────────────────────────
   1   mulg0         forward    a = 1.0                  mulg0.utop
       MultGate                 x = -1.0                   value = -1.0
   2   mulg1         forward    b = 2.0                  mulg1.utop
       MultGate                 y = 3.0                    value = 6.0
   3   addg0         forward    mulg0.utop = -1.0        addg0.utop
       AddGate                  mulg1.utop = 6.0           value = 5.0
   4   addg1         forward    addg0.utop = 5.0         addg1.utop
       AddGate                  c = -3.0                   value = 2.0
   5   sg0           forward    addg1.utop = 2.0         sg0.utop is s
       SigmoidGate                                         value = 0.8808
   6   sg0           backward   s.grad = 1.0             sg0.u0 is addg1.utop
       SigmoidGate              addg1.utop = 2.0           grad 0.0 -> 0.1050
   7   addg1         backward   addg1.utop.grad          addg1.u0 is addg0.utop
       AddGate                    = 0.1050                 grad 0.0 -> 0.1050
                                addg0.utop = 5.0         addg1.u1 is c
                                c = -3.0                   grad 0.0 -> 0.1050
   8   addg0         backward   addg0.utop.grad          addg0.u0 is mulg0.utop
       AddGate                    = 0.1050                 grad 0.0 -> 0.1050
                                mulg0.utop = -1.0        addg0.u1 is mulg1.utop
                                mulg1.utop = 6.0           grad 0.0 -> 0.1050
   9   mulg1         backward   mulg1.utop.grad          mulg1.u0 is b
       MultGate                   = 0.1050                 grad 0.0 -> 0.3150
                                b = 2.0                  mulg1.u1 is y
                                y = 3.0                    grad 0.0 -> 0.2100
  10   mulg0         backward   mulg0.utop.grad          mulg0.u0 is a
       MultGate                   = 0.1050                 grad 0.0 -> -0.1050
                                a = 1.0                  mulg0.u1 is x
                                x = -1.0                   grad 0.0 -> 0.1050
Units after the run
unit          value      grad   also known as
─────────────────────────────────────────────
a               1.0   -0.1050   mulg0.u0
x              -1.0    0.1050   mulg0.u1
mulg0.utop     -1.0    0.1050   addg0.u0
b               2.0    0.3150   mulg1.u0
y               3.0    0.2100   mulg1.u1
mulg1.utop      6.0    0.1050   addg0.u1
addg0.utop      5.0    0.1050   addg1.u0
c              -3.0    0.1050   addg1.u1
addg1.utop      2.0    0.1050   sg0.u0
s            0.8808       1.0   sg0.utop"""


def test_rendered_neuron_trace_is_pinned_at_80_columns() -> None:
    _, _, console = trace_guide(width=80)
    assert stripped(console.export_text()) == PINNED_NEURON_TRACE


@pytest.mark.parametrize("width", [50, 60, 80, 100, 140])
def test_every_line_fits_the_console(width: int) -> None:
    _, _, console = trace_guide(width=width)
    lines = console.export_text().splitlines()
    assert max(len(line) for line in lines) <= width
    if width >= 80:  # from a usual terminal up, the identity stays on one line
        assert any("sg0.u0 is addg1.utop" in line for line in lines)


def test_labels_are_shown_as_written_never_as_markup() -> None:
    w = Unit(2.0, label="w[0]")
    bold = Unit(3.0, label="[bold]x[/bold]")
    console = fixed_console(100)
    with Tracer(console=console):
        out = w * bold
        out.backward()
    text = console.export_text()
    assert "w[0] = 2.0" in text
    assert "[bold]x[/bold] = 3.0" in text


def test_non_finite_numbers_are_highlighted() -> None:
    console = fixed_console()
    with Tracer(console=console) as tracer:
        LogGate().forward(Unit(-1.0))
    _, _, _, _, writes = render_event(tracer.events[0])
    start = writes.plain.index("nan")
    styles = [str(span.style) for span in writes.spans if span.start <= start < span.end]
    assert any("reverse red" in style for style in styles)
    assert math.isnan(tracer.events[0].writes[0].after)


def test_sugar_and_unit_backward_are_traced() -> None:
    x = Unit(3.0, label="x")
    with Tracer(console=fixed_console()) as tracer:
        y = x * x + x
        y.backward()
    assert [(e.gate_type, e.phase) for e in tracer.events] == [
        ("MultGate", "forward"),
        ("AddGate", "forward"),
        ("AddGate", "backward"),
        ("MultGate", "backward"),
    ]
    # x * x: one write for the unit read twice, holding both contributions (2x)
    (square,) = tracer.events[3].writes
    assert square.unit is x
    assert square.change == pytest.approx(6.0)
    assert x.grad == 7.0


class CubeGate(Gate):
    """A learner's own gate: u0 ** 3, local derivative 3 u0 ** 2."""

    def forward(self, u0: Unit) -> Unit:  # type: ignore[override]
        self.u0 = u0
        self.utop = Unit(u0.value**3)
        return self.utop

    def backward(self) -> None:
        self.u0.grad += 3 * self.u0.value**2 * self.utop.grad


def test_user_gate_subclasses_are_traced_by_their_variable_names() -> None:
    t = Unit(2.0)
    cube = CubeGate()
    scope = {"t": t, "cube": cube}
    with Tracer(console=fixed_console(), names=scope) as tracer:
        out = cube.forward(t)
        out.grad = 1.0
        cube.backward()
    assert [(e.gate_name, e.gate_type, e.phase) for e in tracer.events] == [
        ("cube", "CubeGate", "forward"),
        ("cube", "CubeGate", "backward"),
    ]
    (write,) = tracer.events[1].writes
    assert (write.name, write.also, write.after) == ("cube.u0", ("t",), 12.0)


def test_circuit_backward_and_forward_replay_are_traced() -> None:
    w = Unit(2.0, label="w")
    x = Unit(3.0, label="x", requires_grad=False)
    with Circuit() as c:
        y = w * x
    with Tracer(console=fixed_console()) as tracer:
        c.backward()
        w.value = 4.0
        c.forward()
    backward, replay = tracer.events
    assert backward.phase == "backward"
    # x takes no gradient: the gate writes only w
    assert [(wr.unit, wr.after) for wr in backward.writes] == [(w, 3.0)]
    assert (replay.phase, replay.replay) == ("forward", True)
    (write,) = replay.writes
    assert (write.unit, write.before, write.after) == (y, 6.0, 12.0)


def test_a_replay_is_a_forward_row_that_writes_in_place() -> None:
    w = Unit(2.0, label="w")
    with Circuit() as c:
        _ = w * 3.0
    console = fixed_console(width=120)
    with Tracer(console=console, summary=False) as tracer:
        w.value = 1.0
        c.forward()
    (event,) = tracer.events
    assert (event.phase, event.replay) == ("forward", True)  # one vocabulary: row and data
    text = console.export_text()
    assert "forward" in text and "replay" not in text
    assert "value 6.0 -> 3.0 (in place)" in text


def test_limit_keeps_the_first_events_and_counts_the_rest() -> None:
    console = fixed_console()
    with Tracer(console=console, limit=3) as tracer:
        x = Unit(1.0)
        for _ in range(10):
            x = x * 1.0
    assert len(tracer.events) == 3
    assert tracer.count == 10
    assert "7 more gate calls" in console.export_text()


def test_a_limited_trace_says_its_unit_table_is_not_every_unit() -> None:
    console = fixed_console(width=200)
    with Tracer(console=console, limit=3):
        x = Unit(1.0, label="x")
        for i in range(10):
            x = x * 1.0
            x.label = f"x{i + 1}"
    summary = console.export_text().split("Units after the run")[1]
    assert "x3," in summary and "x4" not in summary  # the 3 calls shown made x1..x3
    assert (
        "Only the units of the gate calls shown are listed: the 7 gate calls past the limit "
        "may have used others, and given these more names." in summary
    )
    console = fixed_console(width=200)
    with Tracer(console=console):
        Unit(1.0) * 1.0
    assert "Only the units" not in console.export_text()  # nothing past a limit


def test_summary_lists_every_unit_with_value_grad_and_other_names() -> None:
    _, _, console = trace_guide(width=80)
    text = console.export_text()
    summary = text[text.index("Units after the run") :]
    assert "addg1.utop      2.0    0.1050   sg0.u0" in summary
    assert "s            0.8808       1.0   sg0.utop" in summary


def test_summary_marks_constants_as_taking_no_grad() -> None:
    console = fixed_console()
    k = Unit(2.0, label="k", requires_grad=False)
    with Tracer(console=console):
        out = Unit(1.0, label="p") * k
        out.backward()
    summary = console.export_text().split("Units after the run")[1]
    (k_row,) = [line for line in summary.splitlines() if line.startswith("k ")]
    assert "no grad" in k_row


def test_observer_is_removed_after_the_block_even_on_error() -> None:
    before = tuple(watchers())
    with pytest.raises(ZeroDivisionError), Tracer(console=fixed_console()):
        MultGate().forward(Unit(1.0), Unit(2.0))
        _ = 1 / 0
    assert tuple(watchers()) == before


def test_a_tracer_cannot_be_nested_in_itself() -> None:
    tracer = Tracer(console=fixed_console())
    with tracer, pytest.raises(RuntimeError, match="already active"), tracer:
        pass


@pytest.mark.parametrize("limit", [-1, 1.5, True])
def test_bad_limit_is_refused(limit: object) -> None:
    with pytest.raises((TypeError, ValueError), match="limit"):
        Tracer(limit=limit)  # type: ignore[arg-type]


def test_nothing_is_printed_or_kept_outside_the_block() -> None:
    console = fixed_console()
    tracer = Tracer(console=console)
    MultGate().forward(Unit(1.0), Unit(2.0))
    assert tracer.events == []
    assert console.export_text() == ""


def test_backward_rows_show_running_totals_across_passes() -> None:
    # The recurrence: h1 reads 1.00, then 1.50, then 1.75, and the trace must
    # say so although each pass works on its own share of the gradient.
    w, wh = Unit(0.3, label="w"), Unit(0.5, label="wh")
    x1, x2, x3 = (Unit(1.0, requires_grad=False) for _ in range(3))
    h1 = w * x1
    h2 = w * x2 + wh * h1
    h3 = w * x3 + wh * h2
    h1.label, h2.label = "h1", "h2"
    console = Console(record=True, width=120, color_system=None, file=io.StringIO())
    with Tracer(console=console, summary=False) as tracer:
        h1.backward()
        h2.backward()
        h3.backward()
    writes_to_h1 = [
        (write.before, write.after)
        for event in tracer.events
        for write in event.writes
        if write.unit is h1
    ]
    assert writes_to_h1 == [(1.0, 1.5), (1.5, 1.75)]
    writes_to_w = [write.after for e in tracer.events for write in e.writes if write.unit is w]
    assert writes_to_w[-1] == 4.25
    assert "1.0 -> 1.5" in console.export_text()
    assert h1.grad == 1.75


def test_a_unit_keeps_the_name_the_script_gave_it_in_every_row() -> None:
    # As `circuits trace` runs a script: `h1 = w * x1` names the unit only once
    # the gate's forward has returned, yet its forward row says h1 too.
    scope: dict[str, object] = {}
    code = "from gates import Unit\nw = Unit(0.3)\nx1 = Unit(1.0)\nh1 = w * x1\nh1.backward()\n"
    with Tracer(console=fixed_console(), names=scope, live=False, summary=False) as tracer:
        exec(code, scope)
    forward, backward = tracer.events
    assert forward.writes[0].also == ("h1",)
    assert backward.reads[0].name == "h1"
    assert [r.name for r in forward.reads] == [r.name for r in backward.reads[1:]] == ["w", "x1"]


def test_live_rows_keep_the_first_name_shown() -> None:
    console = fixed_console()
    w = Unit(0.3, label="w")
    with Tracer(console=console, summary=False) as tracer:
        h = w * 2.0
        h.label = "h"  # given after its row was printed
        h.backward()
    forward, backward = tracer.events
    first = forward.writes[0]
    assert backward.reads[0].name == (first.also[0] if first.also else first.name)


def test_a_pass_that_sends_less_than_a_unit_holds_says_both_once_explained() -> None:
    from circuits.examples import accumulation

    r = accumulation.build_recurrence()
    r.h1.backward()
    console = fixed_console(width=100)
    with Tracer(console=console, summary=False) as tracer:
        r.h2.backward()
        r.h3.backward()
    reads = {e.gate_name: e.reads[0] for e in tracer.events[:4]}
    assert (reads["mul_h1"].grad, reads["mul_h1"].upstream) == (1.5, 0.5)
    assert not reads["add_h2"].upstream_differs
    text = console.export_text()
    assert text.count("Note: ") == 1
    assert "h1.grad = 1.5000 is what you would read now" in text
    assert "(this pass sends 0.5000)" in text


def test_the_summary_leaves_out_an_earlier_forwards_outputs_and_says_so() -> None:
    from circuits.examples import EXAMPLES

    console = fixed_console(width=100)
    with Tracer(console=console, live=False):
        EXAMPLES["neuron"].demo()
    summary = console.export_text().split("Units after the run")[1]
    names = [line.split()[0] for line in summary.splitlines()[3:] if line.strip()]
    assert names.count("s") == 1 and "u1" not in names
    assert "5 units are not shown: an earlier forward pass made them" in summary


def test_piped_output_has_no_trailing_spaces() -> None:
    out = io.StringIO()  # not a terminal, not recording
    with Tracer(console=Console(file=out, width=80, color_system=None)):
        (Unit(2.0) * Unit(3.0)).backward()
    lines = out.getvalue().splitlines()
    assert lines and all(line == line.rstrip() for line in lines)


# -- a unit that many gates hold ------------------------------------------------------


def _weight_read_by_ten_gates(console: Console) -> Tracer:
    """w * 1 + w * 2 + ... + w * 10, traced: ten MultGates hold w as u0."""
    w = Unit(0.5, label="w")
    with numbered_from_one(), Tracer(console=console) as tracer:  # short names: no wrapping
        total = w * 1.0
        for k in range(2, 11):
            total = total + w * float(k)
        total.backward()
    return tracer


def test_a_unit_that_many_gates_hold_lists_a_few_of_their_names_and_counts_the_rest() -> None:
    console = fixed_console(width=240)  # wide enough that no name wraps
    tracer = _weight_read_by_ten_gates(console)
    mults = [e.gate_name for e in tracer.events if e.gate_type == "MultGate"][:10]
    writes_to_w = [
        write for e in tracer.events if e.phase == "backward" for write in e.writes
        if "w" in write.also
    ]  # fmt: skip
    assert len(writes_to_w) == 10  # one per MultGate, last to first
    for write in writes_to_w:
        listed = [name for name in write.also if name != "w"]
        # every one of the ten gates is told of exactly once: the row's own, the listed, the rest
        assert len(listed) + write.more + 1 == 10, (write.name, listed, write.more)
        assert write.name not in listed
    first = writes_to_w[0]  # the last MultGate's backward: it is not among the first three
    assert first.name == f"{mults[9]}.u0"
    assert first.also == ("w", f"{mults[0]}.u0", f"{mults[1]}.u0", f"{mults[2]}.u0")
    assert first.more == 6
    text = console.export_text()
    assert "(and 6 more names through other gates)" in text
    assert "(and 6 more names through other gates)" in tracer.events[20].sentence()
    summary_row = next(line for line in text.splitlines() if line.startswith("w "))
    assert f"{mults[0]}.u0, {mults[1]}.u0, {mults[2]}.u0, and 7 more names" in summary_row


def test_a_long_trace_looks_at_each_gate_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import circuits.names

    looks = 0
    look = circuits.names.held_units

    def counted(gate: Gate) -> list[tuple[str, Unit]]:
        nonlocal looks
        looks += 1
        return look(gate)

    monkeypatch.setattr(circuits.names, "held_units", counted)
    x = Unit(0.5)
    with Tracer(console=fixed_console(), live=False) as tracer:
        y = x
        for _ in range(300):
            y = y * 1.0001
        y.backward()
    assert tracer.count == 600
    # a few looks per gate call; looking again at every gate seen, at every call, makes ~135,000
    assert looks <= 5 * tracer.count, looks
