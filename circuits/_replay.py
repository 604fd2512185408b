"""Compiled replay: a recorded circuit as straight-line Python.

``Circuit.forward()`` and ``Circuit.backward()`` replay every gate. Calling
each gate's own methods costs a Python call per gate and, for forward, a new
Unit per gate. When every gate has a twin (``gates.twin``), the circuit is
instead compiled once into plain statements, one or two per gate::

    n7.value = n3.value * n5.value          # forward of a MultGate
    g = n7.grad                             # its backward
    n3.grad += (n5.value) * g
    n5.grad += (n3.value) * g
    n8.value = relu(n7.value)               # a ReLUGate, and its backward
    n7.grad += (step(n7.value)) * n8.grad

that read and write the same Unit objects, allocate nothing per gate, and add
exactly the floats the gates' own backward methods add, in the same order.
Statements are grouped into functions of at most ``CHUNK`` gates, so that
compiling a big circuit stays cheap.

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

import re
from collections.abc import Callable, Sequence
from typing import Any

from circuits._twins import SCALAR_FUNCTIONS, template, twin_of
from gates import Gate, Unit
from gates.backprop import put_grads_back, set_grads_aside

__all__ = ["CHUNK", "LIMIT", "CompiledReplay"]

CHUNK = 100
"""Gates per generated function."""

LIMIT = 100_000
"""Bigger circuits replay with the gates' own methods. Compiling costs about
40 µs a gate, once (Python compiles the generated source), and saves about
0.6 µs a gate on every replay after it: worth it for a training loop, not for
a million-gate circuit replayed a few times."""


class CompiledReplay:
    """Straight-line forward and backward code for a list of gates with twins."""

    def __init__(self, gates: Sequence[Gate]) -> None:
        self.gates = list(gates)
        self._names: dict[Unit, str] = {}
        self._gate_names: dict[Gate, str] = {}
        self._namespace: dict[str, Any] = dict(SCALAR_FUNCTIONS)
        self.units: list[Unit] = []
        for gate in self.gates:
            for unit in (*gate.inputs, gate.utop):
                self._name(unit)
        self._takers = [unit for unit in self.units if unit.requires_grad]
        self.source = ""
        self._forward = self._compile("forward", self.gates, self._forward_lines)
        # output -> (its plan, the compiled chunks, the plan's outputs)
        self._backward: dict[Unit, tuple[list[Gate], list[Callable[[], None]], list[Unit]]] = {}

    @classmethod
    def of(cls, gates: Sequence[Gate]) -> CompiledReplay | None:
        """A compiled replay of ``gates``, or None if some gate has no twin or
        there are more than ``LIMIT`` gates."""
        if len(gates) <= LIMIT and all(twin_of(gate) is not None for gate in gates):
            return cls(gates)
        return None

    # -- running ---------------------------------------------------------------

    def forward(self) -> None:
        """Recompute every gate's output value, in order, in place."""
        for chunk in self._forward:
            chunk()

    def zero_grad(self) -> None:
        """Set every unit's grad to 0.0 (a constant's grad is always 0.0)."""
        for unit in self._takers:
            unit.grad = 0.0

    def backward(self, output: Unit, plan: list[Gate]) -> None:
        """What ``backpropagate(output, plan)`` does, as straight-line code."""
        compiled = self._backward.get(output)
        if compiled is None or compiled[0] is not plan:
            chunks = self._compile("backward", plan, self._backward_lines)
            compiled = (plan, chunks, [gate.utop for gate in plan])
            self._backward[output] = compiled
        plan, chunks, made = compiled
        set_aside = set_grads_aside(output, made)
        try:
            output.grad = 1.0
            for chunk in reversed(chunks):
                chunk()
        finally:
            put_grads_back(set_aside)

    # -- code generation -------------------------------------------------------

    def _name(self, unit: Unit) -> str:
        name = self._names.get(unit)
        if name is None:
            name = f"n{len(self._names)}"
            self._names[unit] = name
            self._namespace[name] = unit
            self.units.append(unit)
        return name

    def _symbols(self, gate: Gate) -> dict[str, str]:
        """Twin names -> code: inputs' values, the output's value, parameters."""
        symbols = {f"u{i}": f"{self._names[u]}.value" for i, u in enumerate(gate.inputs)}
        symbols["y"] = f"{self._names[gate.utop]}.value"
        twin = twin_of(gate)
        assert twin is not None
        if twin.params:
            # Parameters are read from the gate at run time, so a changed
            # exponent or slope takes effect, as it would in gate.forward().
            gate_name = self._gate_names.setdefault(gate, f"k{len(self._gate_names)}")
            self._namespace[gate_name] = gate
            for param in twin.params:
                symbols[param] = f"{gate_name}.{param}"
        return symbols

    def _forward_lines(self, gate: Gate) -> list[str]:
        twin = twin_of(gate)
        assert twin is not None
        symbols = self._symbols(gate)
        value = template(twin.value, tuple(symbols)).format(**symbols)
        return [f"{self._names[gate.utop]}.value = {value}"]

    def _backward_lines(self, gate: Gate) -> list[str]:
        # Mirrors backpropagate(): a gate whose output takes no gradient is
        # skipped, and so is an input that takes none (its += is dropped).
        if not gate.utop.requires_grad:
            return []
        twin = twin_of(gate)
        assert twin is not None
        symbols = self._symbols(gate)
        takers = [(u, local) for u, local in zip(gate.inputs, twin.local) if u.requires_grad]
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
        gates: Sequence[Gate],
        lines_of: Callable[[Gate], list[str]],
    ) -> list[Callable[[], None]]:
        source: list[str] = []
        names: list[str] = []
        for start in range(0, len(gates), CHUNK):
            chunk = list(gates[start : start + CHUNK])
            if kind == "backward":
                chunk.reverse()
            body = [line for gate in chunk for line in lines_of(gate)]
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
        exec(compile(text, f"<compiled {kind} of {len(gates)} gates>", "exec"), self._namespace)
        return [self._namespace[name] for name in names]


_NAME = re.compile(r"\b[nk][0-9]+\b")


def _natural(name: str) -> tuple[str, int]:
    return name[0], int(name[1:])
