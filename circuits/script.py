"""Running a learner's script unedited, as ``python SCRIPT.py`` would, with
the ``circuits`` command's tools watching.

The script runs in a fresh ``__main__`` module (``__name__ == "__main__"``,
its folder on ``sys.path``, its arguments in ``sys.argv``); its globals dict is
what names the units and gates it builds, read live as it runs. When it
raises, the traceback shown starts in the learner's own code.
"""

from __future__ import annotations

import builtins
import contextlib
import io
import sys
import traceback
import types
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from circuits.circuit import Circuit
from gates import Gate, GateObserver, Unit

__all__ = [
    "ConsoleWriter",
    "LastOutput",
    "ScriptFailed",
    "UsageError",
    "as_main",
    "lookup",
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
        tb = exc.__traceback__
        # Skip our own frames: the learner's traceback starts in their script.
        while tb is not None and tb.tb_frame.f_code.co_filename != str(path):
            tb = tb.tb_next
        traceback.print_exception(type(exc), exc, tb or exc.__traceback__, file=sys.stderr)
        print(f"{PROG}: {path.name} raised {type(exc).__name__}", file=sys.stderr)
        raise ScriptFailed(1) from None


class ConsoleWriter(io.TextIOBase):
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


class LastOutput(GateObserver):
    """An observer that remembers the unit the most recent gate call wrote."""

    def __init__(self) -> None:
        self.unit: Unit | None = None

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        self.unit = output


def lookup(namespace: dict[str, Any], name: str, script: Path) -> Any:
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


def target(
    namespace: dict[str, Any], unit_name: str | None, last: Unit | None, script: Path
) -> Unit | Circuit:
    if unit_name is not None:
        value = lookup(namespace, unit_name, script)
        if not isinstance(value, (Unit, Circuit)):
            raise UsageError(f"{unit_name} is a {type(value).__name__}, not a Unit or a Circuit")
        return value
    if last is None:
        raise UsageError(f"{script.name} ran no gate, so there is no circuit to use")
    return last
