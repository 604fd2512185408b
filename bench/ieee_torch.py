"""The IEEE table: each built-in gate's value and local derivatives at the
awkward points (zeros of both signs, infinities, nan, kinks, overflow
boundaries), as torch 2.13.0 computes them in float64.

The table is committed as literals in ``tests/test_numerics.py`` (between the
``BEGIN IEEE TABLE`` and ``END IEEE TABLE`` lines), which checks the gates
against it; this script is how it was made, and checks it still says what
torch says. Run it with the bench venv (``bash bench/setup.sh``)::

    .bench-venv/bin/python bench/ieee_torch.py           # compare; exit 1 on a difference
    .bench-venv/bin/python bench/ieee_torch.py --write   # rewrite the committed table

A row is ``(gate, parameter, inputs, value, derivatives)``: the gate's class
name, its constant (PowGate's exponent, LeakyReLUGate's slope) or None, the
input values, the output value, and d(output)/d(input) for each input with
an upstream grad of 1.0. Zeros are compared with their sign, and nan with nan.
It imports nothing from this project: torch alone says what the numbers are.
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

TORCH_VERSION = "2.13.0"
HERE = Path(__file__).resolve().parent
TABLE_FILE = HERE.parent / "tests" / "test_numerics.py"
BEGIN, END = "# BEGIN IEEE TABLE", "# END IEEE TABLE"

INF, NAN = math.inf, math.nan
SPECIALS = (0.0, -0.0, INF, -INF, NAN)  # every gate is probed at each of these

Row = tuple[str, float | None, tuple[float, ...], float, tuple[float, ...]]

# gate class name -> (the torch function, given the parameter)
Torch = Callable[..., torch.Tensor]
FUNCTIONS: dict[str, Callable[[Any], Torch]] = {
    "AddGate": lambda _: lambda a, b: a + b,
    "SubGate": lambda _: lambda a, b: a - b,
    "MultGate": lambda _: lambda a, b: a * b,
    "DivGate": lambda _: lambda a, b: a / b,
    "NegGate": lambda _: lambda a: -a,
    "PowGate": lambda p: lambda a: torch.pow(a, p),
    "SigmoidGate": lambda _: torch.sigmoid,
    "TanhGate": lambda _: torch.tanh,
    "ReLUGate": lambda _: torch.relu,
    "LeakyReLUGate": lambda s: lambda a: F.leaky_relu(a, s),
    "ExpGate": lambda _: torch.exp,
    "LogGate": lambda _: torch.log,
}


def points() -> list[tuple[str, float | None, tuple[float, ...]]]:
    """Every (gate, parameter, inputs) the table covers, in table order."""
    rows: list[tuple[str, float | None, tuple[float, ...]]] = []

    def unary(gate: str, extra: Sequence[float], parameter: float | None = None) -> None:
        rows.extend((gate, parameter, (x,)) for x in (*SPECIALS, *extra))

    def binary(gate: str, extra: Sequence[tuple[float, float]]) -> None:
        pairs = [(s, 2.0) for s in SPECIALS] + [(2.0, s) for s in SPECIALS] + list(extra)
        rows.extend((gate, None, pair) for pair in pairs)

    binary("AddGate", [(INF, -INF), (-0.0, -0.0), (0.0, -0.0), (1e308, 1e308)])
    binary("SubGate", [(INF, INF), (-0.0, 0.0), (0.0, 0.0), (1e308, -1e308)])
    binary(
        "MultGate", [(0.0, INF), (-2.0, 0.0), (-0.0, -0.0), (INF, -INF), (NAN, 0.0), (1e200, 1e200)]
    )
    binary(
        "DivGate",
        [
            (0.0, 0.0),
            (-2.0, 0.0),
            (0.0, -0.0),
            (-0.0, 0.0),
            (-2.0, INF),
            (INF, INF),
            (0.0, INF),
            (INF, 0.0),
            (1.0, 1e-200),
            (1e-300, 1e200),
        ],
    )
    unary("NegGate", [2.0])
    for p in (0.0, 1.0, 2.0, 3.0, 0.5, -1.0, -2.0):
        unary("PowGate", [2.0, -2.0, 0.5, -0.5, 1e200, -1e200], p)
    unary("SigmoidGate", [1.0, -1.0, 20.0, -20.0, 40.0, -40.0, 710.0, -710.0, 1000.0, -1000.0])
    unary("TanhGate", [1.0, -1.0, 20.0, -20.0, 710.0, -710.0])
    unary("ReLUGate", [1.0, -1.0, 5e-324, -5e-324])
    unary("LeakyReLUGate", [1.0, -1.0, 5e-324, -5e-324], 0.01)
    unary("ExpGate", [1.0, 709.78, 709.79, -709.78, -745.2, -746.0])
    unary("LogGate", [1.0, -1.0, 5e-324])
    return rows


def by_torch(gate: str, parameter: float | None, inputs: tuple[float, ...]) -> Row:
    """One row, as torch's float64 autograd computes it."""
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    out = FUNCTIONS[gate](parameter)(*tensors)
    out.backward()
    grads = tuple(float(t.grad) if t.grad is not None else 0.0 for t in tensors)
    return gate, parameter, inputs, float(out.detach()), grads


def same(a: float, b: float) -> bool:
    """Equal as IEEE floats are told apart: nan matches nan, -0.0 only -0.0."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def same_row(a: Row, b: Row) -> bool:
    return (
        a[:2] == b[:2]
        and len(a[2]) == len(b[2])
        and all(same(x, y) for x, y in zip((*a[2], a[3], *a[4]), (*b[2], b[3], *b[4])))
    )


# -- the committed table, read and written as Python literals --------------------


def _literal(x: float | None) -> str:
    if x is None:
        return "None"
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INF" if x > 0 else "-INF"
    return repr(x)


def _tuple(xs: Sequence[float]) -> str:
    inner = ", ".join(_literal(x) for x in xs)
    return f"({inner},)" if len(xs) == 1 else f"({inner})"


def render(rows: Sequence[Row]) -> str:
    """The table as the lines between the markers."""
    lines = ["TABLE: list[Row] = ["]
    for gate, parameter, inputs, value, grads in rows:
        point = f'    ("{gate}", {_literal(parameter)}, {_tuple(inputs)},'
        numbers = f"{_literal(value)}, {_tuple(grads)}),"
        if len(point) + 1 + len(numbers) <= 100:
            lines.append(f"{point} {numbers}")
        else:  # the line length the project keeps
            lines += [point, f"     {numbers}"]
    lines.append("]")
    return "\n".join(lines)


class _Names(ast.NodeTransformer):
    """INF and NAN as the constants they stand for, so literal_eval takes them."""

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in ("INF", "NAN"):
            return ast.copy_location(ast.Constant(INF if node.id == "INF" else NAN), node)
        return node


def _block(text: str) -> tuple[int, int]:
    """Where the table's lines start and stop in ``text``: after the BEGIN
    marker's line, up to the END marker's."""
    return text.index("\n", text.index(BEGIN)) + 1, text.index(END)


def committed(text: str) -> list[Row]:
    """The rows of the table committed in ``text`` (tests/test_numerics.py)."""
    start, stop = _block(text)
    assignment = ast.parse(text[start:stop]).body[0]
    if not isinstance(assignment, ast.AnnAssign) or assignment.value is None:
        raise ValueError(f"no `TABLE: list[Row] = [...]` after {BEGIN!r}")
    value = ast.literal_eval(_Names().visit(assignment.value))
    return [tuple(row) for row in value]


def rewrite(text: str, rows: Sequence[Row]) -> str:
    start, stop = _block(text)
    return text[:start] + render(rows) + "\n" + text[stop:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help="rewrite the committed table")
    args = parser.parse_args(argv)
    if not torch.__version__.startswith(TORCH_VERSION):
        print(f"the table is torch {TORCH_VERSION}'s; this is torch {torch.__version__}")
        return 2
    rows = [by_torch(*point) for point in points()]
    text = TABLE_FILE.read_text(encoding="utf-8")
    if args.write:
        TABLE_FILE.write_text(rewrite(text, rows), encoding="utf-8")
        print(f"wrote {len(rows)} rows to {TABLE_FILE.relative_to(HERE.parent)}")
        return 0
    table = committed(text)
    differences = 0
    if len(table) != len(rows):
        print(f"the committed table has {len(table)} rows; torch's has {len(rows)}")
        differences += 1
    for mine, theirs in zip(table, rows):
        if not same_row(mine, theirs):
            differences += 1
            print(f"committed {mine}\n    torch {theirs}")
    print(
        f"{len(rows)} rows, {differences} differences between torch {torch.__version__} "
        f"float64 and {TABLE_FILE.relative_to(HERE.parent)}"
    )
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
