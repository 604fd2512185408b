"""Compiled replay: the project's one speed mechanism.

A training loop replays one recorded circuit thousands of times
(``Circuit.forward()``, ``zero_grad()``, ``backward()``). Calling every gate's
own methods costs a Python call per gate and, for forward, a new Unit per
gate. So from its second replay on, a circuit of built-in gates runs as
straight-line code instead, one or two statements per gate::

    n7.value = n3.value * n5.value          # forward of a MultGate
    g = n7.grad                             # its backward
    n3.grad += (n5.value) * g
    n5.grad += (n3.value) * g

The code is made from each built-in gate's *formula*: its output and local
derivatives written as expressions of its inputs ``u0``, ``u1``, its output
``y`` and its parameters (:data:`FORMULAS`). It reads and writes the same Unit
objects, allocates nothing per gate, and adds exactly the floats the gates'
own backward methods add, in the same order. A circuit holding any other gate
(a user's, or a subclass of a built-in one) always runs the gates' own
methods, and so does every replay a Tracer watches. ``circuits.batched`` turns
the same formulas into NumPy code over a batch.
``docs/explanation/performance.md`` has the measurements that justify this.

>>> from gates import Unit
>>> from circuits import Circuit
>>> a, b = Unit(2.0), Unit(3.0)
>>> with Circuit() as c:
...     out = (a * b).relu()
>>> replay = CompiledReplay.of(c.gates)
>>> a.value = 4.0
>>> replay.forward(); out.value
12.0
>>> print(replay.source.splitlines()[1])
    n2.value = n0.value * n1.value
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from gates import (
    AddGate,
    DivGate,
    ExpGate,
    Gate,
    LeakyReLUGate,
    LogGate,
    MultGate,
    NegGate,
    PowGate,
    ReLUGate,
    SigmoidGate,
    SubGate,
    TanhGate,
    Unit,
)
from gates.backprop import BACKWARD_LOCK
from gates.errors import explained
from gates.graph import inputs_of
from gates.numerics import divide, exp, log, power, sigmoid

__all__ = [
    "CHUNK",
    "FORMULAS",
    "LIMIT",
    "SCALAR_FUNCTIONS",
    "CompiledReplay",
    "Formula",
    "formula_of",
    "numpy_functions",
    "template",
]


@dataclass(frozen=True)
class Formula:
    """What a gate computes, as expressions.

    Args:
        value: the output, from ``u0`` (``u1``) and the parameters.
        local: ``d y / d input`` for each input, from ``u0`` (``u1``), ``y``
            and the parameters; the gate's backward multiplies each by
            ``y.grad``, in the same order, so compiled code adds the same floats.
        params: names of gate attributes the expressions read (``"exponent"``).
    """

    value: str
    local: tuple[str, ...]
    params: tuple[str, ...] = ()


FORMULAS: dict[type[Gate], Formula] = {
    AddGate: Formula("u0 + u1", ("1.0", "1.0")),
    SubGate: Formula("u0 - u1", ("1.0", "-1.0")),
    MultGate: Formula("u0 * u1", ("u1", "u0")),
    DivGate: Formula("divide(u0, u1)", ("divide(1.0, u1)", "divide(-u0, u1 * u1)")),
    NegGate: Formula("-u0", ("-1.0",)),
    PowGate: Formula("power(u0, exponent)", ("power_slope(u0, exponent)",), ("exponent",)),
    SigmoidGate: Formula("sigmoid(u0)", ("y * (1.0 - y)",)),
    TanhGate: Formula("tanh(u0)", ("1.0 - y * y",)),
    ReLUGate: Formula("relu(u0)", ("relu_slope(u0)",)),
    LeakyReLUGate: Formula("leaky_relu(u0, slope)", ("leaky_slope(u0, slope)",), ("slope",)),
    ExpGate: Formula("exp(u0)", ("y",)),
    LogGate: Formula("log(u0)", ("divide(1.0, u0)",)),
}
"""Each built-in gate's formula, keyed by its exact class: a subclass that
changes the maths is never compiled with its parent's."""


def formula_of(gate: Gate) -> Formula | None:
    """The gate's formula, if its class has one that fits its inputs."""
    formula = FORMULAS.get(type(gate))
    if formula is None or len(formula.local) != len(gate.inputs):
        return None
    return formula


# -- the functions formulas call, for floats and for NumPy arrays --------------


def _relu(x: float) -> float:
    return 0.0 if x < 0.0 else x


def _relu_slope(x: float) -> float:
    return 0.0 if x <= 0.0 else 1.0


def _leaky_relu(x: float, slope: float) -> float:
    return x if x > 0.0 else slope * x


def _leaky_slope(x: float, slope: float) -> float:
    return 1.0 if x > 0.0 else slope


def _power_slope(x: float, p: float) -> float:
    return p * power(x, p - 1.0) if p != 0.0 else 0.0


SCALAR_FUNCTIONS: dict[str, Callable[..., float]] = {
    "sigmoid": sigmoid,
    "tanh": math.tanh,
    "exp": exp,
    "log": log,
    "divide": divide,
    "power": power,
    "power_slope": _power_slope,
    "relu": _relu,
    "relu_slope": _relu_slope,
    "leaky_relu": _leaky_relu,
    "leaky_slope": _leaky_slope,
}
"""The formulas' functions on floats: exactly what the gates compute."""


def numpy_functions(np: Any) -> dict[str, Callable[..., Any]]:
    """The formulas' functions on NumPy arrays (``np`` is the numpy module).

    Call them inside ``np.errstate(all="ignore")``: overflow gives ``inf``
    and ``log(0)`` gives ``-inf`` with no warning, as in the scalar engine.
    """

    def stable_sigmoid(x: Any) -> Any:
        # NOTE: e**-|x| never overflows; each half uses the form that keeps it.
        z = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))

    def power_slope(x: Any, p: float) -> Any:
        return p * np.power(x, p - 1.0) if p != 0.0 else np.zeros_like(x)

    return {
        "sigmoid": stable_sigmoid,
        "tanh": np.tanh,
        "exp": np.exp,
        "log": np.log,
        "divide": np.divide,
        "power": np.power,
        "power_slope": power_slope,
        "relu": lambda x: np.where(x < 0.0, 0.0, x),
        "relu_slope": lambda x: np.where(x <= 0.0, 0.0, 1.0),
        "leaky_relu": lambda x, s: np.where(x > 0.0, x, s * x),
        "leaky_slope": lambda x, s: np.where(x > 0.0, 1.0, s),
    }


class _Substitute(ast.NodeTransformer):
    def __init__(self, mapping: Mapping[str, str]) -> None:
        self.mapping = {name: ast.parse(code, mode="eval").body for name, code in mapping.items()}

    def visit_Name(self, node: ast.Name) -> ast.AST:
        return self.mapping.get(node.id, node)


@functools.cache
def template(expr: str, names: tuple[str, ...]) -> str:
    """``expr`` rendered once into a ``str.format`` template over ``names``.

    Compiling a circuit fills the same few templates thousands of times, with
    plain ``str.format``: safe because formulas hold no braces and every name
    stands for an atom (``n3.value``).

    >>> template("u0 * (1.0 - u0)", ("u0",)).format(u0="v")
    'v * (1.0 - v)'
    """
    placeholders = {name: f"_FORMULA_{name}_" for name in names}
    text = ast.unparse(_Substitute(placeholders).visit(ast.parse(expr, mode="eval")))
    for name in names:
        text = text.replace(f"_FORMULA_{name}_", "{" + name + "}")
    return text


# -- compiled replay -----------------------------------------------------------

CHUNK = 100
"""Gates per generated function."""

LIMIT = 100_000
"""Bigger circuits replay with the gates' own methods. Compiling costs about
100 µs a gate, once, forward and backward (Python compiling the generated
source is most of it), and saves about 3 µs a gate on every replay after it:
worth it for a training loop, not for a million-gate circuit replayed a few
times."""


class CompiledReplay:
    """Straight-line forward and backward code for a list of built-in gates.

    The code depends on which inputs take a gradient; :meth:`is_current`
    tells whether that is still as it was when the code was made.
    """

    def __init__(self, gates: Sequence[Gate]) -> None:
        self.gates = list(gates)
        self.inputs = inputs_of(self.gates)
        self._flags = [unit.requires_grad for unit in self.inputs]
        for gate in self.gates:  # the outputs follow the inputs' flags, as a forward makes them
            gate.utop._requires_grad = any(unit._requires_grad for unit in gate.inputs)
        self._names: dict[Unit, str] = {}
        self._gate_names: dict[Gate, str] = {}
        self._namespace: dict[str, Any] = dict(SCALAR_FUNCTIONS)
        self.units: list[Unit] = []
        for gate in self.gates:
            for unit in (*gate.inputs, gate.utop):
                self._name(unit)
        takers = [unit for unit in self.units if unit.requires_grad]
        self.source = ""
        self._forward = self._compile("forward", self.gates, self._forward_lines)
        self._zero = self._compile("zero", takers, lambda unit: [f"{self._names[unit]}.grad = 0.0"])
        # output -> (its plan, the compiled chunks, the plan's outputs, its inputs)
        self._backward: dict[Unit, tuple[list[Gate], list[Callable[[], None]], list[Unit]]] = {}

    @classmethod
    def of(cls, gates: Sequence[Gate]) -> CompiledReplay | None:
        """A compiled replay of ``gates``, or None if some gate has no formula
        or there are more than ``LIMIT`` gates."""
        if len(gates) <= LIMIT and all(formula_of(gate) is not None for gate in gates):
            return cls(gates)
        return None

    def is_current(self) -> bool:
        """Whether every input takes a gradient exactly as when compiled."""
        return self._flags == [unit._requires_grad for unit in self.inputs]

    # -- running ---------------------------------------------------------------

    def forward(self) -> None:
        """Recompute every gate's output value, in order, in place."""
        try:
            for chunk in self._forward:
                chunk()
        except TypeError as exc:
            raise explained(exc, self.units) from None

    def zero_grad(self) -> None:
        """Set every unit's grad to 0.0 (a constant's grad is always 0.0)."""
        for chunk in self._zero:
            chunk()

    def backward(self, output: Unit, plan: list[Gate], plan_inputs: Sequence[Unit]) -> None:
        """What ``gates.backprop.run_backward(output, plan, plan_inputs)`` does,
        as straight-line code: the same floats, the same rule."""
        compiled = self._backward.get(output)
        if compiled is None or compiled[0] is not plan:
            chunks = self._compile("backward", plan, self._backward_lines)
            compiled = (plan, chunks, [*(gate.utop for gate in plan), output])
            self._backward[output] = compiled
        plan, chunks, made = compiled
        with BACKWARD_LOCK:
            earlier = {unit: unit.grad for unit in made if unit.grad}
            for unit in earlier:
                unit.grad = 0.0
            inputs_before = {unit: unit.grad for unit in plan_inputs}
            output.grad = 1.0
            try:
                for chunk in reversed(chunks):
                    chunk()
            except BaseException as exc:
                for unit in made:
                    unit.grad = 0.0
                for unit, grad in inputs_before.items():
                    unit.grad = grad
                raise explained(exc, [*inputs_before, *earlier]) from None
            finally:
                for unit, grad in earlier.items():
                    unit.grad += grad
            if not output._requires_grad:
                output.grad = 0.0  # a constant takes no gradient

    # -- code generation -------------------------------------------------------

    def _name(self, unit: Unit) -> str:
        name = self._names.get(unit)
        if name is None:
            name = f"n{len(self._names)}"
            self._names[unit] = name
            self._namespace[name] = unit
            self.units.append(unit)
        return name

    def _symbols(self, gate: Gate, formula: Formula) -> dict[str, str]:
        """Formula names -> code: inputs' values, the output's value, parameters."""
        symbols = {f"u{i}": f"{self._names[u]}.value" for i, u in enumerate(gate.inputs)}
        symbols["y"] = f"{self._names[gate.utop]}.value"
        if formula.params:
            # Parameters are read from the gate at run time, so a changed
            # exponent or slope takes effect, as it would in gate.forward().
            gate_name = self._gate_names.setdefault(gate, f"k{len(self._gate_names)}")
            self._namespace[gate_name] = gate
            for param in formula.params:
                symbols[param] = f"{gate_name}.{param}"
        return symbols

    def _forward_lines(self, gate: Gate) -> list[str]:
        formula = formula_of(gate)
        assert formula is not None
        symbols = self._symbols(gate, formula)
        value = template(formula.value, tuple(symbols)).format(**symbols)
        return [f"{self._names[gate.utop]}.value = {value}"]

    def _backward_lines(self, gate: Gate) -> list[str]:
        # As run_backward: a gate whose output takes no gradient is skipped,
        # and so is an input that takes none (its share would be zeroed).
        if not gate.utop.requires_grad:
            return []
        formula = formula_of(gate)
        assert formula is not None
        symbols = self._symbols(gate, formula)
        takers = [(u, local) for u, local in zip(gate.inputs, formula.local) if u.requires_grad]
        upstream = f"{self._names[gate.utop]}.grad"
        if len(takers) > 1:  # read the output's grad once
            lines = [f"g = {upstream}"]
            upstream = "g"
        else:
            lines = []
        for unit, local in takers:
            code = template(local, tuple(symbols)).format(**symbols)
            lines.append(f"{self._names[unit]}.grad += ({code}) * {upstream}")
        return lines

    def _compile(
        self,
        kind: str,
        items: Sequence[Any],
        lines_of: Callable[[Any], list[str]],
    ) -> list[Callable[[], None]]:
        """Functions of at most CHUNK items' lines each (gates, or units for "zero")."""
        source: list[str] = []
        names: list[str] = []
        for start in range(0, len(items), CHUNK):
            chunk = list(items[start : start + CHUNK])
            if kind == "backward":
                chunk.reverse()
            body = [line for item in chunk for line in lines_of(item)]
            # Units and gates become default arguments, hence fast locals:
            # a global lookup in a namespace of many thousand names is slower.
            used = sorted(set(_NAME.findall("\n".join(body))), key=_natural)
            name = f"_{kind}_{start // CHUNK}"
            names.append(name)
            source.append(f"def {name}({', '.join(f'{n}={n}' for n in used)}):")
            source.extend(f"    {line}" for line in body or ["pass"])
        text = "\n".join(source)
        if kind == "forward":
            self.source = text
        exec(compile(text, f"<compiled {kind} of {len(items)}>", "exec"), self._namespace)
        return [self._namespace[name] for name in names]


_NAME = re.compile(r"\b[nk][0-9]+\b")


def _natural(name: str) -> tuple[str, int]:
    return name[0], int(name[1:])
