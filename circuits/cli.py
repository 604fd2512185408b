"""The ``circuits`` command: trace, draw and check a learner's script, run the examples.

A thin layer over the API: the parser and one function per subcommand. The
learner's script runs unedited (``circuits/script.py``), with our tools
watching: its own global variables name the units and gates it builds.

    circuits trace neuron.py            every gate call, one row each
    circuits trace neuron.py --step     ... pausing after each
    circuits draw neuron.py --format svg -o neuron.svg
    circuits check neuron.py            gradient check of its circuit (exit 1 if wrong)
    circuits demo                       the built-in examples; demo NAME runs one

Exit status: 0 on success, 1 when the script raises (its traceback is shown)
or a check fails, 2 for a usage error (a missing file, an unknown option).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from circuits.drawing import Drawing, DrawingUnavailable, draw
from circuits.examples import EXAMPLES
from circuits.gradcheck import gradcheck
from circuits.script import (
    PROG,
    ConsoleWriter,
    LastOutput,
    ScriptFailed,
    UsageError,
    as_main,
    run_script,
    script_path,
)
from circuits.script import (
    target as script_target,
)
from circuits.tracer import Tracer
from gates import CircuitError, Unit
from gates.observe import watching

__all__ = ["main"]

_DEFAULT_LIMIT = 500  # rows; a training loop would otherwise print for minutes


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
    # Bound to the real stdout now: the script's own output may be redirected
    # into this console below, and must not loop back into it.
    console = _console(args.width, record=record, file=sys.stdout)
    limit = args.limit or None
    console.print(Text(f"Tracing {path.name}", style="bold"))
    redirect: contextlib.AbstractContextManager[Any] = (
        contextlib.redirect_stdout(ConsoleWriter(console)) if record else contextlib.nullcontext()
    )
    status = 0
    with as_main(path, args.script_args) as namespace:
        tracer = Tracer(console=console, names=namespace, step=args.step, limit=limit)
        try:
            with redirect, tracer:
                run_script(path, namespace)
        except ScriptFailed as failed:
            status = failed.status
    if not tracer.events:
        console.print(Text(f"{path.name} called no gates.", style="dim"))
    if args.save_html:
        console.save_html(args.save_html)
        print(f"saved the trace to {args.save_html}", file=sys.stderr)
    elif args.save_svg:
        console.save_svg(args.save_svg, title=f"circuits trace {path.name}")
        print(f"saved the trace to {args.save_svg}", file=sys.stderr)
    return status


def _draw(args: argparse.Namespace) -> int:
    path = script_path(args.script)
    if args.format == "png" and args.output is None and sys.stdout.isatty():
        raise UsageError("a PNG is binary: name a file with -o FILE.png")
    last = LastOutput()
    with as_main(path, args.script_args) as namespace:
        # Only the drawing goes to stdout (so `> file.dot` works); the
        # script's own prints go to stderr.
        with contextlib.redirect_stdout(sys.stderr), watching(last):
            run_script(path, namespace)
        target = script_target(namespace, args.unit, last.unit, path)
        try:
            drawing = draw(target, view=args.view, edges=args.edges, names=namespace)
        except CircuitError as exc:  # e.g. a gate forwarded again since
            print(f"{PROG} draw: error: {exc}", file=sys.stderr)
            return 1
    return _emit(drawing, args)


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
        print(f"{PROG} draw: error: {exc}", file=sys.stderr)
        return 1
    if args.output:
        print(f"saved the drawing to {args.output}", file=sys.stderr)
    return 0


def _write_text(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@contextlib.contextmanager
def _labelled_by_variables(namespace: dict[str, Any]) -> Iterator[None]:
    """Label the script's unlabelled units with their variable names for a while,
    so reports that show labels (gradcheck's table) say ``a``, not ``u1``."""
    given: list[Unit] = []
    for name, value in list(namespace.items()):
        if isinstance(value, Unit) and value.label is None and not name.startswith("_"):
            value.label = name
            given.append(value)
    try:
        yield
    finally:
        for unit in given:
            unit.label = None


def _check(args: argparse.Namespace) -> int:
    path = script_path(args.script)
    last = LastOutput()
    with as_main(path, args.script_args) as namespace:
        with watching(last):
            run_script(path, namespace)
        target = script_target(namespace, args.unit, last.unit, path)
        try:
            with _labelled_by_variables(namespace):
                result = gradcheck(target, eps=args.eps, rtol=args.rtol, atol=args.atol)
        except CircuitError as exc:
            print(f"{PROG} check: error: {exc}", file=sys.stderr)
            return 1
    _console(args.width).print(result)
    return 0 if result else 1


def _demo(args: argparse.Namespace) -> int:
    console = _console(args.width)
    if args.name is None:
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
    console.rule(Text(example.title))
    with Tracer(console=console, step=args.step, limit=args.limit or None):
        example.demo()
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
        help="pause after each gate call (Enter: next, c: run to the end, q: stop); "
        "runs through when input is not a terminal",
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


def build_parser() -> argparse.ArgumentParser:
    """The ``circuits`` argument parser, with a subcommand per tool."""
    parser = _Parser(
        prog=PROG,
        description="See backpropagation happen: trace, draw and gradient-check "
        "circuits of Units and gates.",
        epilog=f"Run '{PROG} COMMAND --help' for a command's options.",
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
    save = trace.add_mutually_exclusive_group()
    save.add_argument("--save-html", metavar="FILE", help="also save the trace as HTML")
    save.add_argument("--save-svg", metavar="FILE", help="also save the trace as an SVG picture")
    trace.set_defaults(handler=_trace)

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
        help="draw this global variable (a Unit or a Circuit; dotted paths such as "
        "sg0.utop work) instead of the last output",
    )
    _add_width(drawp)
    drawp.set_defaults(handler=_draw)

    check = commands.add_parser(
        "check",
        help="gradient-check the circuit a script built",
        description="Run SCRIPT.py, then compare backward's gradient of every parameter "
        "of its last output (or --unit NAME) with a central-difference estimate, and "
        "name the gate to blame when they disagree. Exit status 1 when the check fails.",
        epilog=f"example: {PROG} check my_gate.py --unit loss",
    )
    _add_script(check)
    check.add_argument(
        "--unit",
        metavar="NAME",
        help="check this global variable (a Unit or a Circuit) instead of the last output",
    )
    check.add_argument("--eps", type=_positive_float, default=1e-6, help="the nudge (default 1e-6)")
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
        help="differences this small always pass (default 1e-8)",
    )
    _add_width(check)
    check.set_defaults(handler=_check)

    demo = commands.add_parser(
        "demo",
        help="list the built-in examples, or run one traced",
        description="Without NAME, list the built-in example circuits. With NAME, run "
        "that example with a Tracer watching.",
        epilog=f"example: {PROG} demo neuron",
    )
    demo.add_argument("name", nargs="?", metavar="NAME", help="the example to run")
    _add_trace_options(demo)
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
        if args.command in ("trace", "draw", "check") and not unknown[0].startswith("-"):
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
    return status
