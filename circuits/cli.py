"""The ``circuits`` command: trace, draw and check a learner's script, run the examples.

A thin layer over the API. The learner's script runs unedited, as
``python SCRIPT.py`` would run it (``__name__ == "__main__"``, its folder on
``sys.path``), with our tools watching: its own global variables name the
units and gates it builds, read live as the script runs.

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
import builtins
import contextlib
import io
import sys
import traceback
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from rich.console import Console
from rich.table import Table
from rich.text import Text

from circuits.circuit import Circuit
from circuits.drawing import Drawing, DrawingUnavailable, draw
from circuits.examples import EXAMPLES
from circuits.gradcheck import gradcheck
from circuits.tracer import Tracer
from gates import CircuitError, Gate, GateObserver, Unit
from gates.observe import watching

__all__ = ["main"]

PROG = "circuits"
_DEFAULT_LIMIT = 500  # rows; a training loop would otherwise print for minutes


class UsageError(Exception):
    """A mistake in how the command was called; shown as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``circuits trace: error: ... (see --help)``."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# -- running a learner's script ------------------------------------------------


class ScriptFailed(Exception):
    """The learner's script raised; its traceback has been printed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _script_path(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UsageError(f"no such file: {text!r}")
    if not path.is_file():
        raise UsageError(f"not a file: {text!r} (give the path of a Python script)")
    return path.resolve()


@contextlib.contextmanager
def _as_main(path: Path, argv: Sequence[str]) -> Iterator[dict[str, Any]]:
    """A fresh ``__main__`` module for the script, as ``python SCRIPT.py`` makes.

    Yields its globals dict, which is what names the script's units live.
    ``sys.argv``, ``sys.path[0]`` and ``sys.modules['__main__']`` are put back
    afterwards.
    """
    module = types.ModuleType("__main__")
    module.__file__ = str(path)
    module.__dict__["__builtins__"] = builtins
    saved_main = sys.modules.get("__main__")
    saved_argv = sys.argv
    folder = str(path.parent)
    sys.modules["__main__"] = module
    sys.argv = [str(path), *argv]
    sys.path.insert(0, folder)
    try:
        yield module.__dict__
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        sys.argv = saved_argv
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def _run(path: Path, namespace: dict[str, Any]) -> None:
    """Execute the script in ``namespace``; on an error print its traceback
    (from the script's own first frame) and raise ``ScriptFailed``."""
    try:
        code = compile(path.read_text(encoding="utf-8"), str(path), "exec")
    except SyntaxError as exc:
        sys.stderr.write("".join(traceback.format_exception_only(type(exc), exc)))
        raise ScriptFailed(1) from None
    try:
        exec(code, namespace)
    except SystemExit as exc:
        if exc.code in (None, 0):
            return
        if not isinstance(exc.code, int):
            print(exc.code, file=sys.stderr)
            raise ScriptFailed(1) from None
        raise ScriptFailed(exc.code) from None
    except KeyboardInterrupt:
        raise ScriptFailed(130) from None
    except Exception as exc:
        tb = exc.__traceback__
        # Skip our own frames: the learner's traceback starts in their script.
        while tb is not None and tb.tb_frame.f_code.co_filename != str(path):
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)
        print(f"{PROG}: {path.name} raised {type(exc).__name__}", file=sys.stderr)
        raise ScriptFailed(1) from None


class _ConsoleWriter(io.TextIOBase):
    """A stand-in for ``sys.stdout`` that prints through a rich console, so a
    recorded trace (``--save-html``) includes the script's own output."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self._console.print(Text(line), soft_wrap=True)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._console.print(Text(self._pending), soft_wrap=True, end="")
            self._pending = ""


class _LastOutput(GateObserver):
    """An observer that remembers the unit the most recent gate call wrote."""

    def __init__(self) -> None:
        self.unit: Unit | None = None

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        self.unit = output


def _lookup(namespace: dict[str, Any], name: str, script: Path) -> Any:
    """``name`` (or a dotted path such as ``n.s`` or ``sg0.utop``) in the script's globals."""
    head, *rest = name.split(".")
    if head not in namespace:
        found = sorted(
            k for k, v in namespace.items() if isinstance(v, (Unit, Circuit)) and k[:1] != "_"
        )
        hint = f"; its units and circuits: {', '.join(found)}" if found else ""
        raise UsageError(f"{script.name} has no global variable {head!r}{hint}")
    value = namespace[head]
    for i, attribute in enumerate(rest):
        try:
            value = getattr(value, attribute)
        except AttributeError:
            so_far = ".".join([head, *rest[:i]])
            raise UsageError(f"{so_far} has no attribute {attribute!r}") from None
    return value


def _target(
    namespace: dict[str, Any], unit_name: str | None, last: Unit | None, script: Path
) -> Unit | Circuit:
    if unit_name is not None:
        value = _lookup(namespace, unit_name, script)
        if not isinstance(value, (Unit, Circuit)):
            raise UsageError(f"{unit_name} is a {type(value).__name__}, not a Unit or a Circuit")
        return value
    if last is None:
        raise UsageError(f"{script.name} ran no gate, so there is no circuit to use")
    return last


# -- the subcommands -----------------------------------------------------------


def _console(width: int | None, *, record: bool = False, file: TextIO | None = None) -> Console:
    return Console(width=width, record=record, file=file)


def _trace(args: argparse.Namespace) -> int:
    path = _script_path(args.script)
    record = bool(args.save_html or args.save_svg)
    # Bound to the real stdout now: the script's own output may be redirected
    # into this console below, and must not loop back into it.
    console = _console(args.width, record=record, file=sys.stdout)
    limit = args.limit or None
    console.print(Text(f"Tracing {path.name}", style="bold"))
    redirect: contextlib.AbstractContextManager[Any] = (
        contextlib.redirect_stdout(_ConsoleWriter(console)) if record else contextlib.nullcontext()
    )
    status = 0
    with _as_main(path, args.script_args) as namespace:
        tracer = Tracer(console=console, names=namespace, step=args.step, limit=limit)
        try:
            with redirect, tracer:
                _run(path, namespace)
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
    path = _script_path(args.script)
    if args.format == "png" and args.output is None and sys.stdout.isatty():
        raise UsageError("a PNG is binary: name a file with -o FILE.png")
    last = _LastOutput()
    with _as_main(path, args.script_args) as namespace:
        # Only the drawing goes to stdout (so `> file.dot` works); the
        # script's own prints go to stderr.
        with contextlib.redirect_stdout(sys.stderr), watching(last):
            _run(path, namespace)
        target = _target(namespace, args.unit, last.unit, path)
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
    path = _script_path(args.script)
    last = _LastOutput()
    with _as_main(path, args.script_args) as namespace:
        with watching(last):
            _run(path, namespace)
        target = _target(namespace, args.unit, last.unit, path)
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
