"""The ``circuits`` command: trace, draw and check a learner's script, run the examples.

A thin layer over the API: the parser and one function per subcommand. The
learner's script runs unedited (``circuits/script.py``), with our tools
watching: its own global variables name the units and gates it builds.

    circuits trace neuron.py            every gate call, one row each
    circuits trace neuron.py --step     ... pausing after each
    circuits play neuron.py             a web page that steps through the trace
    circuits draw neuron.py --format svg -o neuron.svg
    circuits check neuron.py            gradient check of its circuit (exit 1 if wrong)
    circuits demo                       the built-in examples; demo NAME runs one

Exit status: 0 on success, 1 when the script raises (its traceback is shown)
or a check fails, 2 for a usage error (a missing file, an unknown option), 3
when a check is inconclusive (a gradient it could not confirm either way).
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from circuits.drawing import Drawing, DrawingUnavailable, draw
from circuits.drawing.dot import DIRECTIONS
from circuits.examples import EXAMPLES
from circuits.examples.mlp import ACTIVATIONS
from circuits.formatting import format_number
from circuits.gradcheck import GradcheckResult, KinkWarning, gradcheck
from circuits.player.record import quiet_tracer
from circuits.script import (
    PROG,
    LastOutput,
    LineWriter,
    ScriptFailed,
    ToolFailed,
    UsageError,
    as_main,
    is_automatic_name,
    reported,
    run_script,
    script_path,
    shown_names,
)
from circuits.script import (
    target as script_target,
)
from circuits.trace_table import print_plain
from circuits.tracer import Tracer
from gates import Gate, Unit, __version__
from gates.observe import watching

__all__ = ["main"]

_DEFAULT_LIMIT = 500  # rows; a training loop would otherwise print for minutes
_PLAY_LIMIT = 10_000  # gate calls a page keeps; its list shows only the rows in view


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``circuits trace: error: ... (see --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- the subcommands -----------------------------------------------------------


def _console(width: int | None, *, record: bool = False, file: TextIO | None = None) -> Console:
    return Console(width=width, record=record, file=file)


def _trace(args: argparse.Namespace) -> int:
    path = script_path(args.script)
    record = bool(args.save_html or args.save_svg)
    # Bound to the real stdout now: the script's own output is redirected
    # into the trace below, and must not loop back into it.
    console = _console(args.width, record=record, file=sys.stdout)
    print_plain(console, Text(f"Tracing {path.name}", style="bold"))
    status = 0
    with as_main(path, args.script_args) as namespace:
        # Without --step the rows are printed when the script ends, so that
        # each unit is named by the variable the script finally gave it.
        tracer = Tracer(
            console=console,
            names=namespace,
            step=args.step,
            limit=args.limit or None,
            live=args.step,
        )
        try:
            with tracer, contextlib.redirect_stdout(LineWriter(tracer.note)):
                run_script(path, namespace)
        except ScriptFailed as failed:
            status = failed.status
    if not tracer.events and status == 0:  # a failed script has said why already
        print_plain(console, Text(f"{path.name} called no gates.", style="dim"))
    # Both may be asked for: the first keeps the recording (clear=False) for the second.
    if args.save_html:
        console.save_html(args.save_html, clear=False)
        print(f"saved the trace to {args.save_html}", file=sys.stderr)
    if args.save_svg:
        console.save_svg(args.save_svg, title=f"circuits trace {path.name}", clear=False)
        print(f"saved the trace to {args.save_svg}", file=sys.stderr)
    return status


def _play(args: argparse.Namespace) -> int:
    path = script_path(args.script)
    output = Path(args.output) if args.output else Path(args.script).with_suffix(".html")
    status = 0
    with as_main(path, args.script_args) as namespace:
        # Names are those the script finally gave its units, as in `trace`.
        tracer = quiet_tracer(namespace, limit=args.limit or None)

        def note(line: str) -> None:
            # The script's own output goes to stderr (stdout says only where
            # the page is) and into the page, where it printed it.
            tracer.note(line)
            print(line, file=sys.stderr)

        try:
            with tracer, contextlib.redirect_stdout(LineWriter(note)):
                run_script(path, namespace)
        except ScriptFailed as failed:
            status = failed.status
    if not tracer.events:
        if status == 0:  # a failed script has said why already
            message = f"{PROG} play: error: {path.name} ran no gate, so there is nothing to play"
            print(message, file=sys.stderr)
        return status or 2  # as draw and check: nothing to work on
    try:
        tracer.player(title=path.name).save(output)
    except OSError as exc:
        raise UsageError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from None
    print(output)
    return status


def _draw(args: argparse.Namespace) -> int:
    path = script_path(args.script)
    if args.format == "png" and args.output is None and sys.stdout.isatty():
        raise UsageError("a PNG is binary: name a file with -o FILE.png")
    last = LastOutput()
    with as_main(path, args.script_args) as namespace:
        tracer = _naming_tracer(args.unit, namespace)
        # Only the drawing goes to stdout (so `> file.dot` works); the
        # script's own prints go to stderr.
        with contextlib.redirect_stdout(sys.stderr), watching(last), tracer:
            run_script(path, namespace)
        # An error (a gate forwarded again since, the learner's gate raising)
        # becomes one line naming it: see circuits/script.py.
        with reported(namespace):
            target = script_target(namespace, args.unit, last.unit, path, _shown(tracer))
            drawing = draw(
                target,
                view=args.view,
                edges=args.edges,
                names=namespace,
                depth=args.depth,
                constants=not args.no_constants,
                direction=args.direction,
            )
    with reported(namespace):
        return _emit(drawing, args)


def _unused_gate_classes(namespace: dict[str, Any], result: GradcheckResult) -> list[type]:
    """The script's own gate classes (not built-in ones) that the checked circuit never
    ran: gradcheck probes only the gates it meets, so these went unchecked."""
    used = {cls for gate in result.gates for cls in type(gate).__mro__}
    found: dict[type, None] = {}
    for name, value in namespace.items():
        if (
            isinstance(value, type)
            and issubclass(value, Gate)
            and value is not Gate
            and not value.__module__.startswith(("gates.", "circuits."))
            and value not in used
            and not name.startswith("_")
        ):
            found[value] = None
    return list(found)


def _held_grads_note(result: GradcheckResult) -> str | None:
    """A note when the grads the script left differ from the check's own backward.

    The check runs one fresh backward pass at the current values (its "analytic"
    column); a script that ran backward twice, or stepped its parameters after
    backward, holds other grads, and a learner comparing the two needs to know why.
    """
    if not any(row.unit.grad for row in result.rows):
        return None  # the script ran no backward: nothing of its own to compare
    differ = [
        row
        for row in result.rows
        if not math.isclose(row.unit.grad, row.analytic, rel_tol=1e-9, abs_tol=1e-300)
    ]
    if not differ:
        return None
    row = differ[0]
    held, fresh = row.unit.grad, row.analytic
    more = f" (and {len(differ) - 1} more)" if len(differ) > 1 else ""
    ratio = held / fresh if fresh else 0.0
    times = round(ratio) if math.isfinite(ratio) else 0
    again = (
        f": {times} times as much, as after {times} backward calls with no zeroing between"
        if times >= 2 and math.isclose(ratio, times, rel_tol=1e-9)
        else ""
    )
    return (
        f"Note: the script left {row.name}.grad = {format_number(held)}{more}, but one "
        f"backward pass of {result.output_name} at the current values gives "
        f"{format_number(fresh)} (the analytic column){again}. The check tests the gates' "
        "backward, not the script's grads: grads add up over backward calls, and values "
        "changed after backward leave the older grads behind."
    )


def _naming_tracer(
    unit: str | None, namespace: dict[str, Any]
) -> Tracer | contextlib.nullcontext[None]:
    """For ``--unit u3`` or ``g1.utop``: a silent Tracer for the script's run, so that
    automatic names are given as ``circuits trace`` gives them (only then: it costs)."""
    return quiet_tracer(namespace) if is_automatic_name(unit) else contextlib.nullcontext()


def _shown(tracer: Tracer | contextlib.nullcontext[None]) -> dict[str, Unit] | None:
    if not isinstance(tracer, Tracer):
        return None
    return shown_names(tracer.events, also=tracer.names.snapshot().names_of)


def _emit(drawing: Drawing, args: argparse.Namespace) -> int:
    try:
        if args.format == "console":
            if args.output:
                drawing.save(args.output, format="console")
            else:
                _console(args.width).print(drawing)
        elif args.format == "dot":
            _write_text(drawing.to_dot(), args.output)
        elif args.format == "svg":
            _write_text(drawing.to_svg(), args.output)
        else:
            data = drawing.to_png()
            if args.output:
                Path(args.output).write_bytes(data)
            else:
                sys.stdout.buffer.write(data)
    except DrawingUnavailable as exc:
        advice = exc.advice(console="--format console", dot="--format dot")
        print(f"{PROG} draw: error: {advice}", file=sys.stderr)
        return 1
    if args.output:
        print(f"saved the drawing to {args.output}", file=sys.stderr)
    return 0


def _write_text(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def _check(args: argparse.Namespace) -> int:
    path = script_path(args.script)
    last = LastOutput()
    with as_main(path, args.script_args) as namespace:
        tracer = _naming_tracer(args.unit, namespace)
        with watching(last), tracer:
            run_script(path, namespace)
        with reported(namespace):  # one line, naming the learner's gate if it raised
            target = script_target(namespace, args.unit, last.unit, path, _shown(tracer))
            # Warnings are shown once, formatted, below the report: a kink is
            # in the report already, any other warning is printed after it.
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                result = gradcheck(
                    target, eps=args.eps, rtol=args.rtol, atol=args.atol, names=namespace
                )
    console = _console(args.width)
    console.print(result)
    note = _held_grads_note(result)
    if note:
        console.print(Text(note, style="yellow"))
    unused = _unused_gate_classes(namespace, result)
    if unused:
        names = ", ".join(cls.__name__ for cls in unused)
        it = "it" if len(unused) == 1 else "them"
        verdict = (
            " So the check as a whole is inconclusive (exit status 3), though the circuit passed."
            if result.status == "passed"
            else ""
        )
        console.print(
            Text(
                f"Not checked: {names}. The script defines {it}, but the circuit of "
                f"{result.output_name} does not use {it}, so gradcheck could not probe {it}: "
                f"build the output with {it}, or name a unit {it} made with --unit NAME." + verdict,
                style="yellow",
            )
        )
        if result.status == "passed":
            return _CHECK_STATUS["inconclusive"]  # passed, but not all the script's gates ran
    shown: set[str] = set()
    for warning in caught:
        text = f"warning: {warning.category.__name__}: {warning.message}"
        if not issubclass(warning.category, KinkWarning) and text not in shown:
            shown.add(text)
            console.print(Text(text, style="yellow"))
    return _CHECK_STATUS[result.status]


# `circuits check` exit status, one per gradcheck verdict
_CHECK_STATUS = {"passed": 0, "failed": 1, "inconclusive": 3}


def _demo(args: argparse.Namespace) -> int:
    console = _console(args.width)
    if args.name is None:
        stray = [f"--{name}" for name in ("depth", "activation") if getattr(args, name) is not None]
        if stray:
            raise UsageError(f"{stray[0]} needs an example: {PROG} demo vanishing {stray[0]} ...")
        table = Table(title="Built-in examples", title_justify="left", show_edge=False)
        table.add_column("name", style="bold cyan", no_wrap=True)
        table.add_column("what it shows")
        for listed in EXAMPLES.values():
            table.add_row(listed.name, listed.title)
        console.print(table)
        console.print(Text(f"Run one, traced gate by gate: {PROG} demo NAME", style="dim"))
        return 0
    example = EXAMPLES.get(args.name)
    if example is None:
        raise UsageError(f"no example {args.name!r}; choose from {', '.join(EXAMPLES)}")
    options = {name: getattr(args, name) for name in ("depth", "activation")}
    given = {name: value for name, value in options.items() if value is not None}
    wrong = [f"--{name}" for name in given if name not in example.options]
    if wrong:
        takes = ", ".join(f"--{name}" for name in example.options) or "no options"
        raise UsageError(f"the {example.name} example takes {takes}, not {', '.join(wrong)}")
    console.rule(Text(example.title))
    tracer = Tracer(console=console, step=args.step, limit=args.limit or None, live=args.step)
    with tracer, contextlib.redirect_stdout(LineWriter(tracer.note)):
        example.demo(**given)
    return 0


# -- the parser ------------------------------------------------------------------


def _whole_number(text: str, *, minimum: int) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if number < minimum:
        raise argparse.ArgumentTypeError(f"expected {minimum} or more, got {number}")
    return number


def _positive(text: str) -> int:
    return _whole_number(text, minimum=1)


def _positive_float(text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not number > 0 or number == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a finite number above 0, got {text}")
    return number


def _count(text: str) -> int:
    return _whole_number(text, minimum=0)


def _add_script(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "script",
        metavar="SCRIPT.py",
        help="the Python script to run, unedited; anything after -- is passed to it "
        "as sys.argv[1:]",
    )


def _add_width(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--width", type=_positive, metavar="N", help="console width in columns (default: terminal)"
    )


def _add_trace_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--step",
        action="store_true",
        help="pause after each gate call (Enter or space: next, c: run to the end, q: "
        "stop; one key press on a terminal); runs through when input is not a terminal",
    )
    _add_width(parser)
    parser.add_argument(
        "--limit",
        type=_count,
        default=_DEFAULT_LIMIT,
        metavar="N",
        help=f"show at most N gate calls, counting the rest (default {_DEFAULT_LIMIT}; "
        "0: no limit)",
    )


def _examples_listing() -> str:
    """``demo --help``'s epilog: each example's NAME and what it shows, one line each."""
    column = max(len(name) for name in EXAMPLES) + 2
    lines = ["examples (NAME):"]
    lines += [f"  {name:<{column}}{example.title}" for name, example in EXAMPLES.items()]
    lines.append(f"\nexample: {PROG} demo neuron")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The ``circuits`` argument parser, with a subcommand per tool."""
    parser = _Parser(
        prog=PROG,
        description="See backpropagation happen: trace, draw and gradient-check "
        "circuits of Units and gates.",
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"{PROG} {__version__}",
        help="print the installed version and exit",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.set_defaults(subparsers=commands.choices)

    trace = commands.add_parser(
        "trace",
        help="run a script, printing every gate call as it happens",
        description="Run SCRIPT.py unedited with a Tracer watching: one row per gate "
        "call (forward and backward), naming units and gates by the script's own "
        "variable names, then a table of every unit. The script's own output is "
        "printed too.",
        epilog=f"example: {PROG} trace neuron.py --step    (script arguments go after --)",
    )
    _add_script(trace)
    _add_trace_options(trace)
    trace.add_argument("--save-html", metavar="FILE", help="also save the trace as HTML")
    trace.add_argument(
        "--save-svg",
        metavar="FILE",
        help="also save the trace as an SVG picture (with or without --save-html)",
    )
    trace.set_defaults(handler=_trace)

    playp = commands.add_parser(
        "play",
        help="run a script, writing a web page that steps through its trace",
        description="Run SCRIPT.py unedited with a Tracer watching, as trace does, and "
        "write the trace as one self-contained HTML page: the circuit as a graph whose "
        "nodes show each unit's value and grad at the current step, every gate call in "
        "a list, and the step in words. Step with the buttons, the slider or the keys "
        "(left and right arrows, Space, Home, End); #step=N in the address opens the page "
        "at step N. The page loads nothing from the network. Prints the page's path and "
        "opens nothing; the script's own output goes to stderr.",
        epilog=f"example: {PROG} play neuron.py -o neuron.html    (script arguments go after --)",
    )
    _add_script(playp)
    playp.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the page to FILE (default: SCRIPT.html beside the script)",
    )
    playp.add_argument(
        "--limit",
        type=_count,
        default=_PLAY_LIMIT,
        metavar="N",
        help=f"keep at most N gate calls in the page, counting the rest (default {_PLAY_LIMIT}; "
        "0: no limit)",
    )
    playp.set_defaults(handler=_play)

    drawp = commands.add_parser(
        "draw",
        help="draw the circuit a script built",
        description="Run SCRIPT.py, then draw the unit its last gate call produced "
        "(or --unit NAME) with everything it depends on: values and grads on "
        "the nodes and, in the backward view, the gradient that flowed along each "
        "edge. The script's own output goes to stderr, the drawing to stdout or -o.",
        epilog=f"example: {PROG} draw neuron.py --format svg -o neuron.svg",
    )
    _add_script(drawp)
    drawp.add_argument(
        "--view",
        choices=("backward", "forward"),
        default="backward",
        help="backward: values, grads and gradients on edges (default); forward: values only",
    )
    drawp.add_argument(
        "--edges",
        choices=("flowed", "local"),
        default="flowed",
        help="backward view edge labels: the gradient that flowed (upstream grad x local "
        "derivative, default) or the bare local derivative",
    )
    drawp.add_argument(
        "--format",
        choices=("console", "dot", "svg", "png"),
        default="console",
        help="console: a tree in the terminal (default, needs nothing); dot: Graphviz "
        "source; svg, png: images (need Graphviz installed)",
    )
    drawp.add_argument("-o", "--output", metavar="FILE", help="write to FILE, not stdout")
    drawp.add_argument(
        "--unit",
        metavar="NAME",
        help="draw this unit (or Circuit) instead of the last output: a name the trace "
        "shows, such as loss, outs[1], sg0.utop or a unit's label",
    )
    drawp.add_argument(
        "--depth",
        type=_positive,
        metavar="N",
        help="draw only the N gates nearest the output (1: the output's own gate)",
    )
    drawp.add_argument(
        "--no-constants",
        action="store_true",
        help="leave constant inputs (requires_grad=False) out of the picture",
    )
    drawp.add_argument(
        "--direction",
        choices=DIRECTIONS,
        default="LR",
        help="dot, svg and png layout from the inputs to the output: LR left to right "
        "(default), TB top to bottom (for slides), RL, BT",
    )
    _add_width(drawp)
    drawp.set_defaults(handler=_draw)

    check = commands.add_parser(
        "check",
        help="gradient-check the circuit a script built",
        description="Run SCRIPT.py, then compare backward's gradient of every parameter "
        "of its last output (or --unit NAME) with a central-difference estimate, and "
        "probe each gate class that circuit uses by itself (upstream grad 2, a grad "
        "already held, one unit on two inputs), naming the gate and the fix when one is "
        "wrong; a gate class the script defines but the circuit does not use is named as "
        "not checked. Exit status: 0 passed; 1 failed (or the script raised); 3 "
        "inconclusive: nothing failed, but something could not be checked (a parameter "
        "whose effect on the output is lost in rounding, a step too large, a kink, or a "
        "gate class of the script's that did not run), as the report explains.",
        epilog=f"example: {PROG} check my_gate.py --unit loss",
    )
    _add_script(check)
    check.add_argument(
        "--unit",
        metavar="NAME",
        help="check this unit (or Circuit) instead of the last output: a name the trace "
        "shows, such as loss, outs[1], sg0.utop or a unit's label",
    )
    check.add_argument(
        "--eps",
        type=_positive_float,
        default=1e-6,
        help="the nudge, relative to each value: x moves by eps*|x|, by eps at x=0 (default 1e-6)",
    )
    check.add_argument(
        "--rtol",
        type=_positive_float,
        default=1e-5,
        help="largest relative error that passes (default 1e-5)",
    )
    check.add_argument(
        "--atol",
        type=_positive_float,
        default=1e-8,
        help="differences this small pass where the numerical slope is that precise (default 1e-8)",
    )
    _add_width(check)
    check.set_defaults(handler=_check)

    demo = commands.add_parser(
        "demo",
        help="list the built-in examples, or run one traced",
        description="Without NAME, list the built-in example circuits. With NAME, run "
        "that example with a Tracer watching.",
        epilog=_examples_listing(),
        formatter_class=argparse.RawDescriptionHelpFormatter,  # one line per example
    )
    demo.add_argument("name", nargs="?", metavar="NAME", help="the example to run")
    _add_trace_options(demo)
    demo.add_argument(
        "--depth",
        type=_positive,
        metavar="N",
        help="vanishing: the number of layers of the chain (default 10)",
    )
    demo.add_argument(
        "--activation",
        choices=ACTIVATIONS,
        help="vanishing: the chain's activation (default sigmoid)",
    )
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``circuits`` command; returns the exit status."""
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    # Everything after the first "--" belongs to the learner's script; split it
    # off here, as argparse cannot tell it from misplaced positionals.
    script_args: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, script_args = argv[:cut], argv[cut + 1 :]
    args, unknown = parser.parse_known_args(argv)
    args.script_args = script_args
    if unknown:
        # Reported by the subcommand, so the message points at its --help.
        command_parser = args.subparsers.get(args.command, parser)
        message = f"unrecognized arguments: {' '.join(unknown)}"
        if args.command in ("trace", "play", "draw", "check") and not unknown[0].startswith("-"):
            message += "; arguments for the script go after --"
        command_parser.error(message)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        status: int = args.handler(args)
    except UsageError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ScriptFailed as failed:
        return failed.status
    except ToolFailed as failed:
        sys.stderr.write(failed.frame)  # the learner's own frame, where their code raised
        print(f"{PROG} {args.command}: error: {failed}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # The reader left (`circuits demo vanishing | head`): stop quietly, as the shell's
        # own tools do, and keep Python from failing again on flushing stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # 128 + SIGPIPE (13), what a shell reports for a tool the pipe cut short
    return status
