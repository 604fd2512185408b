"""Running a learner's script unedited, as ``python SCRIPT.py`` would, with
the ``circuits`` command's tools watching.

The script runs in a fresh ``__main__`` module (``__name__ == "__main__"``,
its folder on ``sys.path``, its arguments in ``sys.argv``); its globals dict is
what names the units and gates it builds, read live as it runs. When it
raises, the traceback shown holds only the learner's own frames; when one of
our tools (a gradient check, a drawing) fails on the learner's circuit, the
error is one line, under the learner's frame that raised, naming their gate.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import re
import sys
import sysconfig
import traceback
import types
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import circuits
import gates
from circuits.circuit import Circuit
from circuits.events import TraceEvent
from circuits.names import held_units
from gates import CircuitError, Gate, GateObserver, Unit
from gates.backprop import gates_behind
from gates.labels import describe_gate, numbered_from_one

__all__ = [
    "LastOutput",
    "LineWriter",
    "ScriptFailed",
    "ToolFailed",
    "UsageError",
    "as_main",
    "lookup",
    "reported",
    "run_script",
    "script_path",
    "target",
]

PROG = "circuits"


class UsageError(Exception):
    """A mistake in how the command was called; shown as one line, exit status 2."""


class ScriptFailed(Exception):
    """The learner's script raised; its traceback has been printed."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ToolFailed(Exception):
    """A tool failed on the script's circuit: one line, exit status 1.

    ``frame`` is the learner's own frame where the error was raised, as
    traceback text (empty when the error is not from their code).
    """

    def __init__(self, message: str, frame: str = "") -> None:
        super().__init__(message)
        self.frame = frame


def script_path(text: str) -> Path:
    path = Path(text)
    if not path.exists():
        raise UsageError(f"no such file: {text!r}")
    if not path.is_file():
        raise UsageError(f"not a file: {text!r} (give the path of a Python script)")
    return path.resolve()


@contextlib.contextmanager
def as_main(path: Path, argv: Sequence[str]) -> Iterator[dict[str, Any]]:
    """A fresh ``__main__`` module for the script, as ``python SCRIPT.py`` makes.

    Yields its globals dict, which is what names the script's units live.
    ``sys.argv``, ``sys.path[0]`` and ``sys.modules['__main__']`` are put back
    afterwards. Automatic names start at ``u1`` and ``g1`` within, as in a fresh
    process, so that ``main([...])`` called twice in one process (a test, a
    notebook) names the script's units as ``circuits trace`` in a shell does.
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
        with numbered_from_one():
            yield module.__dict__
    finally:
        if saved_main is not None:
            sys.modules["__main__"] = saved_main
        sys.argv = saved_argv
        with contextlib.suppress(ValueError):
            sys.path.remove(folder)


def run_script(path: Path, namespace: dict[str, Any]) -> None:
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
        # Only the learner's frames: ours (this runner, the engine between a
        # script's `y.backward()` and its gate's backward) are left out.
        shown = traceback.TracebackException.from_exception(exc)
        _keep_own_frames(shown)
        sys.stderr.write("".join(shown.format()))
        print(f"{PROG}: {path.name} raised {type(exc).__name__}", file=sys.stderr)
        raise ScriptFailed(1) from None


# -- errors: the learner's frames only -------------------------------------------

# Where code that is not the learner's lives: our two packages, and Python's
# own library and installed packages.
_NOT_OWN = tuple(
    str(Path(folder).resolve())
    for folder in {
        str(Path(circuits.__file__).parent),
        str(Path(gates.__file__).parent),
        *(sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")),
    }
)


def _is_own(filename: str) -> bool:
    """Whether code from ``filename`` is the learner's (not ours, not a library's)."""
    if filename.startswith("<"):  # <string>, <frozen ...>, our compiled replay
        return False
    return not str(Path(filename).resolve()).startswith(_NOT_OWN)


def _keep_own_frames(shown: traceback.TracebackException) -> None:
    """Drop the frames that are not the learner's, in ``shown`` and its causes
    (keeping the innermost frame where none is theirs)."""
    pending, seen = [shown], set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        own = [frame for frame in current.stack if _is_own(frame.filename)]
        current.stack = traceback.StackSummary.from_list(own or list(current.stack)[-1:])
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _own_frame(exc: BaseException) -> tuple[str, types.FrameType, BaseException] | None:
    """The innermost frame of the learner's code in the tracebacks of ``exc``
    and of the errors it was raised from: as traceback text, the frame, and
    the error whose traceback holds it."""
    seen: set[int] = set()
    error: BaseException | None = exc
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        found, tb = None, error.__traceback__
        while tb is not None:
            if _is_own(tb.tb_frame.f_code.co_filename):
                found = tb
            tb = tb.tb_next
        if found is not None:
            frame = traceback.StackSummary.extract([(found.tb_frame, found.tb_lineno)])
            return "".join(frame.format()), found.tb_frame, error
        error = error.__cause__ or error.__context__
    return None


def _gate_name(gate: Gate, namespace: dict[str, Any]) -> str:
    """``SquareGate sq``: the gate's type and the script's name for it, if any."""
    for name, value in namespace.items():
        if value is gate and not name.startswith("_"):
            return f"{type(gate).__name__} {name}"
    return describe_gate(gate)


@contextlib.contextmanager
def reported(namespace: dict[str, Any]) -> Iterator[None]:
    """Errors of a tool run on the script's circuit, as ``ToolFailed``: one line
    that says what failed and, when the learner's code raised, names their gate
    and keeps their frame; never a traceback through our modules."""
    try:
        yield
    except (UsageError, ScriptFailed):
        raise
    except CircuitError as exc:  # its message is written for the learner already
        own = _own_frame(exc)
        raise ToolFailed(str(exc), own[0] if own else "") from None
    except Exception as exc:
        what = f"{type(exc).__name__}: {exc}"
        own = _own_frame(exc)
        if own is None:
            raise ToolFailed(what) from None
        text, frame, error = own
        gate = frame.f_locals.get("self")
        if isinstance(gate, Gate):
            where = f"{_gate_name(gate, namespace)}.{frame.f_code.co_name}()"
        else:
            where = f"{frame.f_code.co_name}() in {Path(frame.f_code.co_filename).name}"
        if error is exc:
            raise ToolFailed(f"{where} raised {what}", text) from None
        raise ToolFailed(f"{exc} ({where} raised it)", text) from None  # our words for it


class LineWriter(io.TextIOBase):
    """A stand-in for ``sys.stdout`` that hands each line the script prints to
    ``write_line``, so a trace can show the script's output between its rows."""

    def __init__(self, write_line: Callable[[str], None]) -> None:
        self._write_line = write_line
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        lines = (self._pending + text).split("\n")
        self._pending = lines.pop()
        for line in lines:
            self._write_line(line)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self._write_line(self._pending)
            self._pending = ""


class LastOutput(GateObserver):
    """An observer that remembers the unit the most recent gate call wrote."""

    def __init__(self) -> None:
        self.unit: Unit | None = None

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        self.unit = output


def is_automatic_name(name: str | None) -> bool:
    """Whether ``name`` is, or starts with, an automatic name (``u7``, ``g3.utop``)."""
    return name is not None and _AUTOMATIC.match(name) is not None


def shown_names(
    events: Sequence[TraceEvent], also: Callable[[Unit], Sequence[str]] | None = None
) -> dict[str, Unit]:
    """Every name a trace shows for a unit, with the unit (the latest one, if a later
    forward pass made a new unit under the same name): the names in its rows, and
    ``also(unit)`` for each unit (the "also known as" column of its closing table)."""
    shown: dict[str, Unit] = {}
    for event in events:
        for read in event.reads:
            shown[read.name] = read.unit
        for write in event.writes:
            for name in (write.name, *write.also):
                shown[name] = write.unit
    if also is not None:
        for unit in dict.fromkeys(shown.values()):
            for name in also(unit):
                shown.setdefault(name, unit)
    return shown


def lookup(
    namespace: dict[str, Any], name: str, script: Path, shown: dict[str, Unit] | None = None
) -> Any:
    """What ``name`` means after the script ran: a name a trace of it shows.

    A path from a global variable, written as in Python (``loss``, ``n.s``,
    ``sg0.utop``, ``outs[1]``, ``net.params['w11']``), or else the label of a
    unit the script built, or a path through a labelled gate (``sg.utop``).
    Automatic names (``u7``, ``g3.utop``) are given as a trace first shows a
    unit: ``shown`` (:func:`shown_names` of a trace of this very run) resolves
    them; without it they are refused with a way to name the unit instead.
    """
    steps = _path_steps(name)
    if steps is None:
        raise UsageError(
            f"{name!r} is not a name a trace shows: write a variable, an attribute path or "
            "an index, such as loss, sg0.utop or outs[1]"
        )
    head, rest = steps[0][1], steps[1:]
    if head in namespace:
        return _follow(namespace[head], head, rest)
    if is_automatic_name(name) and shown is not None:
        if name in shown:
            return shown[name]
        bare = sorted((n for n in shown if re.fullmatch(r"u\d+", n)), key=lambda n: int(n[1:]))
        paths = sorted(n for n in shown if _AUTOMATIC.match(n) and n not in bare)
        listed = ", ".join(bare[:12]) + (f" and paths such as {paths[0]}" if paths else "")
        listed = f": it shows {listed}" if bare or paths else ""
        raise UsageError(
            f"a trace of {script.name} shows no unit called {name}{listed} "
            f"(`circuits trace {script.name}` lists every unit by the names it shows)"
        )
    if is_automatic_name(name):
        raise UsageError(
            f"{name} is an automatic name: a trace numbers units and gates as it first shows "
            "them, so another command may number them differently. Use a name the trace "
            "also shows for it (a variable, outs[1], sg0.utop), or give it a label: "
            "Unit(..., label='h') or h.label = 'h'"
        )
    found = _units_named(namespace, name)
    if len(found) == 1:
        return found[0]
    if len(found) > 1:
        raise UsageError(
            f"{len(found)} units of {script.name} are called {name!r}; use a path that tells "
            "them apart, such as outs[1] or sg0.utop"
        )
    known = sorted(
        k for k, v in namespace.items() if isinstance(v, (Unit, Circuit)) and k[:1] != "_"
    )
    hint = f"; its units and circuits: {', '.join(known)}" if known else ""
    raise UsageError(
        f"{script.name} has no global variable {head!r}, nor a unit labelled {name!r}{hint}"
    )


# A name as a trace shows one: ``head``, then ``.attribute``, ``[3]`` or ``['key']``.
_STEP = re.compile(r"""\.([A-Za-z_]\w*)|\[(-?\d+)\]|\[('[^']*'|"[^"]*")\]""")
_HEAD = re.compile(r"[A-Za-z_]\w*")
_AUTOMATIC = re.compile(r"[ug]\d+(?:$|[.\[])")


def _path_steps(name: str) -> list[tuple[str, Any]] | None:
    """``outs[1].label`` as ``[("head", "outs"), ("index", 1), ("attribute", "label")]``."""
    head = _HEAD.match(name)
    if head is None:
        return None
    steps: list[tuple[str, Any]] = [("head", head.group())]
    at = head.end()
    while at < len(name):
        step = _STEP.match(name, at)
        if step is None:
            return None
        attribute, index, key = step.groups()
        if attribute is not None:
            steps.append(("attribute", attribute))
        elif index is not None:
            steps.append(("index", int(index)))
        else:
            steps.append(("index", key[1:-1]))
        at = step.end()
    return steps


def _follow(value: Any, so_far: str, steps: list[tuple[str, Any]]) -> Any:
    for kind, part in steps:
        try:
            value = getattr(value, part) if kind == "attribute" else value[part]
        except AttributeError:
            raise UsageError(f"{so_far} has no attribute {part!r}") from None
        except (LookupError, TypeError):
            raise UsageError(
                f"{so_far}[{part!r}] does not exist ({so_far} is a {type(value).__name__})"
            ) from None
        so_far += f".{part}" if kind == "attribute" else f"[{part!r}]"
    return value


def _units_named(namespace: dict[str, Any], name: str) -> list[Unit]:
    """The units the script built that a trace calls ``name`` besides their
    variable names: by label, or by a path through a labelled gate."""
    gates_seen: dict[Gate, None] = {}
    for key, value in list(namespace.items()):
        if key.startswith("_"):
            continue
        items = list(value.values()) if isinstance(value, dict) else value
        for item in items if isinstance(items, (list, tuple)) else [value]:
            if isinstance(item, Circuit):
                gates_seen.update(dict.fromkeys(item.gates))
            elif isinstance(item, Unit):
                gates_seen.update(dict.fromkeys(gates_behind(item)))
            elif isinstance(item, Gate):
                gates_seen[item] = None
    found: dict[Unit, None] = {}
    for gate in gates_seen:
        for attribute, unit in held_units(gate):
            via_gate = gate.label is not None and f"{gate.label}.{attribute}" == name
            if unit.label == name or via_gate:
                found[unit] = None
    return list(found)


def target(
    namespace: dict[str, Any],
    unit_name: str | None,
    last: Unit | None,
    script: Path,
    shown: dict[str, Unit] | None = None,
) -> Unit | Circuit:
    """The unit (or Circuit) ``--unit`` names, else the script's last output."""
    if unit_name is not None:
        value = lookup(namespace, unit_name, script, shown)
        if not isinstance(value, (Unit, Circuit)):
            raise UsageError(f"{unit_name} is a {type(value).__name__}, not a Unit or a Circuit")
        if isinstance(value, Circuit) and not value.gates:
            raise CircuitError(
                f"{unit_name} in {script.name} is an empty Circuit: no gate was recorded in "
                f"it. Record its gates inside `with Circuit() as {unit_name}:` (gate forward "
                "calls or arithmetic on Units), or name a Unit with --unit."
            )
        return value
    if last is None:
        raise UsageError(f"{script.name} ran no gate, so there is no circuit to use")
    return last
