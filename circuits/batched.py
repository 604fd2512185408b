"""Batched replay: one recorded circuit, run forward and backward over a batch.

A circuit is recorded once, for one sample. :meth:`Circuit.batched` turns it
into a NumPy program: each input unit you *feed* gets an array (one value per
sample), every other input keeps its scalar value (broadcast to the whole
batch), and one call runs every gate forward and backward over the batch.
The result holds the output for each sample and, for every unit that takes a
gradient, its gradient summed over the batch: exactly what running the
scalar circuit once per sample and adding up the grads would give.

Each built-in gate supplies its vectorised maths as a *twin*
(``gates.twin.Twin``) next to its scalar code; the program is compiled from
those twins into straight-line NumPy code, one array operation per gate.

Needs NumPy: ``pip install 'backprop-circuits[batch]'``.

Example:
    >>> import numpy as np
    >>> from gates import Unit
    >>> from circuits import Circuit
    >>> w, b = Unit(2.0, label="w"), Unit(0.5, label="b")
    >>> x = Unit(0.0, label="x", requires_grad=False)
    >>> with Circuit() as c:
    ...     y = (w * x + b).relu()
    >>> batch = c.batched()
    >>> result = batch.run({x: np.array([1.0, -1.0, 3.0])})
    >>> result.outputs.tolist()                 # relu(2x + 0.5) for each x
    [2.5, 0.0, 6.5]
    >>> result.grads[w], result.grads[b]        # summed over the three samples
    (4.0, 2.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from circuits._twins import numpy_functions, template, twin_of
from gates import CircuitError, Gate, Unit
from gates.naming import describe_gate, name_of

if TYPE_CHECKING:
    from circuits.circuit import Circuit

__all__ = ["BatchResult", "BatchedCircuit", "MissingTwinError", "feed_columns"]


class MissingTwinError(CircuitError, TypeError):
    """A gate has no vectorised twin, so the circuit cannot run on a batch."""


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "Circuit.batched() runs the circuit with NumPy, which is not installed: "
            "pip install 'backprop-circuits[batch]' (or pip install numpy)"
        ) from None
    return numpy


@dataclass
class BatchResult:
    """What one batched run gives.

    Attributes:
        outputs: the output's value for each sample (a 1-d array).
        grads: for each unit that takes a gradient (parameters, and fed inputs
            that require grad), d(output)/d(unit) summed over the batch.
    """

    outputs: Any
    grads: dict[Unit, float]

    @property
    def total(self) -> float:
        """The outputs summed over the batch (a loss, if the output is one)."""
        return float(self.outputs.sum())


class BatchedCircuit:
    """A recorded circuit compiled into NumPy code over a batch.

    Made by :meth:`Circuit.batched`; call :meth:`run` as often as you like.
    Unfed inputs and gate parameters are read when ``run`` is called, so a
    training loop updates ``p.value`` and runs again.
    """

    def __init__(self, circuit: Circuit, output: Unit | None = None) -> None:
        np = _numpy()
        self._np = np
        if output is None:
            output = circuit.output
        self.output = output
        self.gates: list[Gate] = circuit._plan(output)
        for step, gate in enumerate(self.gates):
            if twin_of(gate) is None:
                raise MissingTwinError(
                    f"{describe_gate(gate)} (gate {step + 1} of {len(self.gates)}) has no "
                    f"vectorised twin, so the circuit cannot run on a batch. Give "
                    f"{type(gate).__name__} a class attribute `twin = Twin(value=..., "
                    "local=(...))` (from gates.twin import Twin): its output and its "
                    "local derivatives as expressions of u0, u1 (its inputs) and y (its "
                    "output), as the built-in gates do."
                )
        made = {gate.utop for gate in self.gates}
        self.inputs: list[Unit] = []  # leaves of the program, in first-use order
        seen: set[Unit] = set()
        for gate in self.gates:
            for unit in gate.inputs:
                if unit not in made and unit not in seen:
                    seen.add(unit)
                    self.inputs.append(unit)
        if not self.gates:
            raise CircuitError(f"batched({name_of(output)}): the output depends on no gate")
        self._takers = [u for u in self.inputs if u.requires_grad]
        # Any input of the circuit may be fed (one feed dict serves several
        # outputs); those this output does not read are checked and ignored.
        self._feedable = set(circuit.inputs)
        self.source, self._program = self._compile()

    # -- running ---------------------------------------------------------------

    def run(self, feeds: Mapping[Unit, Any]) -> BatchResult:
        """Forward and backward over the batch given by ``feeds``.

        Args:
            feeds: input unit -> 1-d array of its values, one per sample. All
                arrays must have the same length; inputs not fed keep their
                current scalar value for every sample.
        """
        np = self._np
        values: list[Any] = []
        size = None
        fed = dict(feeds)
        for unit in fed:
            if unit not in self._feedable:
                shown = ", ".join(name_of(u) for u in self.inputs[:6])
                more = ", ..." if len(self.inputs) > 6 else ""
                raise CircuitError(
                    f"batched run: {name_of(unit)} is not an input of this circuit (its "
                    f"inputs include {shown}{more}); feed only units the recorded gates "
                    "read and no gate made."
                )
        arrays = {}
        for unit, column in fed.items():
            array = np.asarray(column, dtype=float)
            if array.ndim != 1 or (size is not None and len(array) != size):
                raise ValueError(
                    f"batched run: the values fed to {name_of(unit)} must be a 1-d "
                    f"array of the batch's length ({size}), got shape {array.shape}"
                )
            size = len(array)
            arrays[unit] = array
        for unit in self.inputs:
            values.append(arrays.get(unit, unit.value))
        seed = np.ones(1 if size is None else size)
        with np.errstate(all="ignore"):  # IEEE results (inf, nan), as the gates give
            outputs, grads = self._program(values, seed)
        summed = {unit: float(np.sum(g)) for unit, g in zip(self._takers, grads)}
        return BatchResult(outputs=np.broadcast_to(outputs, seed.shape).copy(), grads=summed)

    # -- code generation -------------------------------------------------------

    def _compile(self) -> tuple[str, Any]:
        names: dict[Unit, str] = {unit: f"x{i}" for i, unit in enumerate(self.inputs)}
        gate_names: dict[Gate, str] = {}
        namespace: dict[str, Any] = dict(numpy_functions(self._np))
        lines = [f"{', '.join(names.values())}, = values"]

        def symbols_of(gate: Gate) -> dict[str, str]:
            twin = twin_of(gate)
            assert twin is not None
            symbols = {f"u{i}": names[u] for i, u in enumerate(gate.inputs)}
            symbols["y"] = names[gate.utop]
            for param in twin.params:
                gate_name = gate_names.setdefault(gate, f"k{len(gate_names)}")
                namespace[gate_name] = gate
                symbols[param] = f"{gate_name}.{param}"
            return symbols

        # forward: one array operation per gate
        for index, gate in enumerate(self.gates):
            twin = twin_of(gate)
            assert twin is not None
            names[gate.utop] = f"v{index}"
            symbols = symbols_of(gate)
            lines.append(f"v{index} = {template(twin.value, tuple(symbols)).format(**symbols)}")
        # backward: grads g<name>, each first assigned and then added to
        grad_of: dict[Unit, str] = {self.output: "g_" + names[self.output]}
        lines.append(f"{grad_of[self.output]} = seed")
        for gate in reversed(self.gates):
            out = gate.utop
            if not out.requires_grad or out not in grad_of:
                continue  # takes no gradient, or none reached it
            twin = twin_of(gate)
            assert twin is not None
            symbols = symbols_of(gate)
            for unit, local in zip(gate.inputs, twin.local):
                if not unit.requires_grad:
                    continue
                code = template(local, tuple(symbols)).format(**symbols)
                term = f"({code}) * {grad_of[out]}"
                if unit in grad_of:
                    lines.append(f"{grad_of[unit]} = {grad_of[unit]} + {term}")
                else:
                    grad_of[unit] = "g_" + names[unit]
                    lines.append(f"{grad_of[unit]} = {term}")
        taker_grads = [grad_of.get(unit, "0.0") for unit in self._takers]
        lines.append(f"return {names[self.output]}, ({', '.join(taker_grads)},)")
        params = "".join(f", {n}={n}" for n in gate_names.values())
        source = f"def _batched(values, seed{params}):\n" + "\n".join(f"    {x}" for x in lines)
        exec(compile(source, f"<batched {len(self.gates)} gates>", "exec"), namespace)
        return source, namespace["_batched"]


def batched(circuit: Circuit, output: Unit | None = None) -> BatchedCircuit:
    """``circuit`` as a :class:`BatchedCircuit` (what ``Circuit.batched`` returns)."""
    return BatchedCircuit(circuit, output)


def feed_columns(units: Sequence[Unit], columns: Any) -> dict[Unit, Any]:
    """``{units[i]: columns[:, i]}``: feed a 2-d array's columns to input units.

    >>> import numpy as np
    >>> from gates import Unit
    >>> a, b = Unit(0.0), Unit(0.0)
    >>> feeds = feed_columns([a, b], np.array([[1.0, 2.0], [3.0, 4.0]]))
    >>> feeds[b].tolist()
    [2.0, 4.0]
    """
    return {unit: columns[:, i] for i, unit in enumerate(units)}
