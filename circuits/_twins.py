"""Turning gates' twins (``gates.twin.Twin``) into code.

A twin is the gate's maths as expressions of ``u0``, ``u1``, ``y`` and its
parameters. :func:`render` substitutes each name with the code that holds it
in a compiled circuit (``n3.value``, ``v3``, ...). The functions twins may call
are defined twice: :data:`SCALAR_FUNCTIONS` computes exactly what the gates'
own ``forward`` and ``backward`` compute (the same floats), and
:func:`numpy_functions` does the same elementwise on arrays, silently
following IEEE rules as the scalar engine does (``log(0)`` is ``-inf``).

>>> render("u0 * u1", {"u0": "a.value", "u1": "b.value"})
'a.value * b.value'
>>> SCALAR_FUNCTIONS["relu"](-2.0), SCALAR_FUNCTIONS["step"](3.0)
(0.0, 1.0)
"""

from __future__ import annotations

import ast
import functools
import math
from collections.abc import Callable, Mapping
from typing import Any

from gates import Gate
from gates.numerics import divide, exp, log, power, sigmoid
from gates.twin import Twin

__all__ = ["SCALAR_FUNCTIONS", "numpy_functions", "render", "template", "twin_of"]


def _relu(x: float) -> float:
    return x if x > 0.0 else 0.0


def _step(x: float) -> float:
    return 1.0 if x > 0.0 else 0.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _leaky_step(x: float, slope: float) -> float:
    return 1.0 if x > 0.0 else slope


SCALAR_FUNCTIONS: dict[str, Callable[..., float]] = {
    "sigmoid": sigmoid,
    "tanh": math.tanh,
    "exp": exp,
    "log": log,
    "divide": divide,
    "power": power,
    "relu": _relu,
    "step": _step,
    "leaky_relu": _leaky_relu,
    "leaky_step": _leaky_step,
}
"""The twin functions on floats: the very functions the gates call."""


def numpy_functions(np: Any) -> dict[str, Callable[..., Any]]:
    """The twin functions on NumPy arrays (``np`` is the numpy module).

    Call them inside ``np.errstate(all="ignore")``: overflow gives ``inf``
    and ``log(0)`` gives ``-inf`` with no warning, as in the scalar engine.
    """

    def stable_sigmoid(x: Any) -> Any:
        # NOTE: e**-|x| never overflows; each half uses the form that keeps it.
        z = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))

    return {
        "sigmoid": stable_sigmoid,
        "tanh": np.tanh,
        "exp": np.exp,
        "log": np.log,
        "divide": np.divide,
        "power": np.power,
        "relu": lambda x: np.where(x > 0.0, x, 0.0),
        "step": lambda x: np.where(x > 0.0, 1.0, 0.0),
        "leaky_relu": lambda x, s: np.where(x > 0.0, x, s * x),
        "leaky_step": lambda x, s: np.where(x > 0.0, 1.0, s),
    }


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {name: ast.parse(code, mode="eval").body for name, code in mapping.items()}

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.mapping.get(node.id, node)


def render(expr: str, mapping: Mapping[str, str]) -> str:
    """``expr`` with each name in ``mapping`` replaced by its code, parenthesised as needed."""
    tree = _Substitute(mapping).visit(ast.parse(expr, mode="eval"))
    return ast.unparse(tree)


@functools.cache
def template(expr: str, names: tuple[str, ...]) -> str:
    """``expr`` rendered once into a ``str.format`` template over ``names``.

    Compiling a circuit fills the same few templates thousands of times; a
    template is filled with plain ``str.format``. Safe because twins hold no
    braces and every name stands for an atom (``n3.value``).

    >>> template("u0 * (1.0 - u0)", ("u0",)).format(u0="v")
    'v * (1.0 - v)'
    """
    text = render(expr, {name: f"_TWIN_{name}_" for name in names})
    for name in names:
        text = text.replace(f"_TWIN_{name}_", "{" + name + "}")
    return text


def twin_of(gate: Gate) -> Twin | None:
    """The gate's twin, if it has one that fits its inputs."""
    twin = type(gate).twin
    if twin is None or len(twin.local) != len(gate.inputs):
        return None
    return twin
