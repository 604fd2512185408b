"""Batched replay: one recorded circuit, run forward and backward over a batch.

A circuit is recorded once, for one sample. :meth:`Circuit.batched` turns it
into a NumPy program: each input unit you *feed* gets an array (one value per
sample), every other input keeps its scalar value (broadcast to the whole
batch), and one call runs every gate forward and backward over the batch.
The result holds the output for each sample and, for every unit that takes a
gradient, its gradient summed over the batch: exactly what running the
scalar circuit once per sample and adding up the grads would give.

The program is compiled, one array operation per gate, from the same
formulas of the built-in gates that compiled replay uses
(``circuits._compiled.FORMULAS``), with NumPy functions in place of float ones.
Neurons written as sums of products over the same inputs
(``s = b; s = s + w * x``, then maybe an activation) are found first
(``circuits._layers``) and each such layer runs as matrix products, as
you would write it by hand: ``Z = X @ W.T + b`` forward, and ``G.T @ X``,
``G.sum(0)`` and ``G @ W`` backward. The numbers are the same up to rounding
(the sums are added in another order).

Needs NumPy: ``pip install numpy`` (or the ``batch`` extra).

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

from circuits._compiled import formula_of, numpy_functions, template
from circuits._layers import Layer, find_layers
from gates import CircuitError, Gate, Unit
from gates.graph import inputs_of, needed_by
from gates.labels import describe_gate, name_of

if TYPE_CHECKING:
    from circuits.circuit import Circuit

__all__ = ["BatchResult", "BatchedCircuit", "MissingFormulaError", "feed_columns"]


class MissingFormulaError(CircuitError, TypeError):
    """A gate is not one of the built-in gates, so the circuit cannot run on a batch."""


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "Circuit.batched() runs the circuit with NumPy, which is not installed: "
            "pip install numpy (or the batch extra)"
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

    Neurons written as sums of products over shared inputs run as one
    matrix product per layer, unless ``fuse=False``. A run that feeds one of
    their weights or biases (an array per sample) runs the plain
    one-op-per-gate program instead, which gives the same numbers.

    Attributes:
        layers: the layers that run as matrix products (``Layer``: their
            inputs, weights, biases and activation), in running order.
        source: the generated code, to read.
        inputs: the units the program reads and no gate of it makes.

    Example:
        >>> from gates import Unit
        >>> from circuits import Circuit
        >>> xs = [Unit(0.0, requires_grad=False) for _ in range(3)]
        >>> ws = [[Unit(0.1 * (i - j)) for j in range(3)] for i in range(4)]
        >>> with Circuit() as c:
        ...     h = [(w[0] * xs[0] + w[1] * xs[1] + w[2] * xs[2]).tanh() for w in ws]
        ...     out = h[0] + h[1] * h[2] - h[3]
        >>> batch = c.batched()
        >>> [(len(layer.weights), len(layer.inputs), layer.activation) for layer in batch.layers]
        [(4, 3, 'tanh')]
        >>> for line in batch.source.splitlines()[3:7]:
        ...     print(line)
            X0 = columns(n, x0, x1, x2)
            W0 = params[0:12].reshape(4, 3)
            Z0 = X0 @ W0.T
            A0 = tanh(Z0)
    """

    def __init__(self, circuit: Circuit, output: Unit | None = None, *, fuse: bool = True) -> None:
        np = _numpy()
        self._np = np
        if output is None:
            output = circuit.output
        self.output = output
        if not isinstance(output, Unit):
            raise TypeError(
                f"batched() takes an output Unit of the circuit, got {output!r} "
                f"({type(output).__name__}); leave it out for the circuit's last output"
            )
        if output not in {gate.utop for gate in circuit.gates}:
            raise CircuitError(
                f"batched({name_of(output)}): this unit was not produced by a gate of the "
                "circuit; pass one of its outputs, such as circuit.output"
            )
        self.gates: list[Gate] = needed_by(output, circuit.gates)
        for step, gate in enumerate(self.gates):
            if formula_of(gate) is None:
                raise MissingFormulaError(
                    f"{describe_gate(gate)} (gate {step + 1} of {len(self.gates)}) is not a "
                    "built-in gate, so the circuit cannot run on a batch: batched runs are "
                    "compiled from the built-in gates' formulas. Write the gate's maths with "
                    "built-in gates (Unit arithmetic), or replay the circuit once per sample."
                )
        self.inputs: list[Unit] = inputs_of(self.gates)  # leaves of the program, in first-use order
        if not self.gates:
            raise CircuitError(f"batched({name_of(output)}): the output depends on no gate")
        self._takers = [u for u in self.inputs if u.requires_grad]
        # Any input of the circuit may be fed (one feed dict serves several
        # outputs); those this output does not read are checked and ignored.
        self._feedable = set(circuit.inputs)
        self.layers: list[Layer] = find_layers(self.gates, output) if fuse else []
        self._program = _compile(np, self.gates, output, self.layers)
        self._plain: _Program | None = None if self.layers else self._program
        # Layers read their weights and biases as one scalar each per run.
        self._layer_leaves = {u for layer in self.layers for u in _layer_params(layer)}
        self.source = self._program.source

    # -- running ---------------------------------------------------------------

    def run(self, feeds: Mapping[Unit, Any]) -> BatchResult:
        """Forward and backward over the batch given by ``feeds``.

        Args:
            feeds: input unit -> 1-d array of its values, one per sample. All
                arrays must have the same length; inputs not fed keep their
                current scalar value for every sample.
        """
        np = self._np
        size = None
        fed = dict(feeds)
        for unit in fed:
            if not isinstance(unit, Unit):
                raise TypeError(
                    f"batched run: feeds map input Units to arrays, but a key is {unit!r} "
                    f"({type(unit).__name__}); use the Unit object itself, not its name"
                )
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
            array = np.asarray(column)
            if array.dtype.kind not in "fiu":  # bool, complex, None, str: not numbers
                raise TypeError(
                    f"batched run: the values fed to {name_of(unit)} must be real numbers, "
                    f"got an array of {array.dtype} ({column!r:.60}); feed floats"
                )
            array = array.astype(float)
            if array.ndim != 1 or (size is not None and len(array) != size):
                raise ValueError(
                    f"batched run: the values fed to {name_of(unit)} must be a 1-d "
                    f"array of the batch's length ({size}), got shape {array.shape}"
                )
            size = len(array)
            arrays[unit] = array
        program = self._program
        if not self._layer_leaves.isdisjoint(arrays):
            program = self._unfused()  # a weight that differs per sample makes no matrix
        values = [arrays.get(u, u.value) for u in program.inputs]
        params = np.array([u.value for u in program.params], dtype=float)
        seed = np.ones(1 if size is None else size)
        summed = dict.fromkeys(self._takers, 0.0)
        with np.errstate(all="ignore"):  # IEEE results (inf, nan), as the gates give
            outputs, grads, param_grads = program.function(values, params, seed)
            for unit, g in zip(program.summed, grads):
                summed[unit] = float(np.sum(g))
        if program.param_grads:
            flat = param_grads.tolist()
            for index, unit in program.param_grads:
                summed[unit] += flat[index]
        return BatchResult(outputs=np.broadcast_to(outputs, seed.shape).copy(), grads=summed)

    def _unfused(self) -> _Program:
        if self._plain is None:
            self._plain = _compile(self._np, self.gates, self.output, [])
        return self._plain


@dataclass
class _Program:
    """Generated code and what to pass it: ``function(values, params, seed)``.

    It returns the output, the per-sample grads of ``summed`` (to be summed
    over the batch), and the grads of ``params`` already summed over it.
    """

    source: str
    function: Any
    inputs: list[Unit]  # whose values (array or scalar) are passed as `values`
    summed: list[Unit]
    params: list[Unit]  # the layers' weights and biases, read into one vector
    param_grads: list[tuple[int, Unit]]  # (position in params, unit) of those taking grads


def _layer_params(layer: Layer) -> list[Unit]:
    """The layer's weights row by row, then its biases: its slice of the params vector."""
    units = [w for row in layer.weights for w in row]
    if layer.biases is not None:
        units.extend(layer.biases)
    return units


def _compile(np: Any, gates: list[Gate], output: Unit, layers: list[Layer]) -> _Program:
    """Straight-line NumPy code for ``gates``, with each of ``layers`` as matrix products."""
    absorbed = {gate for layer in layers for gate in layer.gates}
    made_at = {gate.utop: index for index, gate in enumerate(gates)}
    runs_after: dict[int, list[int]] = {}
    for number, layer in enumerate(layers):
        runs_after.setdefault(layer.position, []).append(number)
    steps: list[Gate | int] = list(runs_after.get(-1, []))  # a gate, or a layer's number
    for index, gate in enumerate(gates):
        if gate not in absorbed:
            steps.append(gate)
        steps.extend(runs_after.get(index, []))

    # A layer whose inputs are an earlier layer's outputs, in order, reads its matrix.
    reads_matrix: dict[int, int] = {}
    for number, layer in enumerate(layers):
        for earlier in range(number):
            if layers[earlier].outputs == layer.inputs:
                reads_matrix[number] = earlier
    # Layer outputs that other code reads one by one get a name (a column view).
    wanted = {output}
    for gate in gates:
        if gate not in absorbed:
            wanted.update(gate.inputs)
    for number, layer in enumerate(layers):
        if number not in reads_matrix:
            wanted.update(layer.inputs)

    names: dict[Unit, str] = {}
    inputs: list[Unit] = []
    for step in steps:
        units = step.inputs if isinstance(step, Gate) else layers[step].inputs
        for unit in units:
            if unit not in made_at and unit not in names:
                names[unit] = f"x{len(inputs)}"
                inputs.append(unit)
    params: list[Unit] = []
    offsets = []
    for layer in layers:
        offsets.append(len(params))
        params.extend(_layer_params(layer))

    gate_names: dict[Gate, str] = {}
    namespace: dict[str, Any] = dict(numpy_functions(np))
    namespace["columns"] = _columns(np)
    namespace["concatenate"] = np.concatenate
    namespace["zeros"] = np.zeros
    lines = [f"{', '.join(names.values())}, = values"] if inputs else []
    if layers:
        lines.append("n = len(seed)")

    def symbols_of(gate: Gate, **given: str) -> dict[str, str]:
        """What the formula's names stand for: ``given``, else the units' names."""
        formula = formula_of(gate)
        assert formula is not None
        if given:  # a layer's activation, applied to whole matrices
            symbols = dict(given)
        else:
            symbols = {f"u{i}": names[u] for i, u in enumerate(gate.inputs)}
            symbols["y"] = names[gate.utop]
        for param in formula.params:
            gate_name = gate_names.setdefault(gate, f"k{len(gate_names)}")
            namespace[gate_name] = gate
            symbols[param] = f"{gate_name}.{param}"
        return symbols

    def code(gate: Gate, expr: str, **given: str) -> str:
        symbols = symbols_of(gate, **given)
        return template(expr, tuple(symbols)).format(**symbols)

    # forward: one array operation per gate, a few matrix operations per layer
    matrix: dict[int, str] = {}  # layer -> the name of its outputs' matrix
    for step in steps:
        if isinstance(step, Gate):
            formula = formula_of(step)
            assert formula is not None
            names[step.utop] = f"v{made_at[step.utop]}"
            lines.append(f"{names[step.utop]} = {code(step, formula.value)}")
            continue
        layer, k, m = layers[step], len(layers[step].weights), len(layers[step].inputs)
        if step in reads_matrix:
            x = matrix[reads_matrix[step]]
        else:
            x = f"X{step}"
            lines.append(f"{x} = columns(n, {', '.join(names[u] for u in layer.inputs)})")
        start = offsets[step]
        lines.append(f"W{step} = params[{start}:{start + k * m}].reshape({k}, {m})")
        bias = "" if layer.biases is None else f" + params[{start + k * m}:{start + k * m + k}]"
        lines.append(f"Z{step} = {x} @ W{step}.T{bias}")
        matrix[step] = f"Z{step}"
        if layer.activations is not None:
            first = layer.activations[0]
            formula = formula_of(first)
            assert formula is not None
            lines.append(f"A{step} = {code(first, formula.value, u0=f'Z{step}')}")
            matrix[step] = f"A{step}"
        for j, unit in enumerate(layer.outputs):
            if unit in wanted:
                names[unit] = f"v{made_at[unit]}"
                lines.append(f"{names[unit]} = {matrix[step]}[:, {j}]")

    # backward: grads g<name>, each first assigned and then added to; a layer's
    # grads G (its outputs), dW, dB (summed over the batch) and dX (its inputs)
    grad_of: dict[Unit, str] = {output: "g_" + names[output]}
    lines.append(f"{grad_of[output]} = seed")

    def add_grad(unit: Unit, term: str) -> None:
        if unit in grad_of:
            lines.append(f"{grad_of[unit]} = {grad_of[unit]} + {term}")
        else:
            grad_of[unit] = "g_" + names[unit]
            lines.append(f"{grad_of[unit]} = {term}")

    matrix_grad: dict[int, str] = {}  # layer -> grads of its outputs' matrix, from later layers
    layer_grads = [f"zeros({len(_layer_params(layer))})" for layer in layers]
    for step in reversed(steps):
        if isinstance(step, Gate):
            out = step.utop
            if not out.requires_grad or out not in grad_of:
                continue  # takes no gradient, or none reached it
            formula = formula_of(step)
            assert formula is not None
            for unit, local in zip(step.inputs, formula.local):
                if unit.requires_grad:
                    add_grad(unit, f"({code(step, local)}) * {grad_of[out]}")
            continue
        layer = layers[step]
        parts = [matrix_grad[step]] if step in matrix_grad else []
        by_unit = [grad_of.get(unit) for unit in layer.outputs]  # from gates reading columns
        if any(g is not None for g in by_unit):
            parts.append(f"columns(n, {', '.join(g or '0.0' for g in by_unit)})")
        if not parts:
            continue  # takes no gradient, or none reached it
        g = f"G{step}"
        lines.append(f"{g} = {' + '.join(parts)}")
        if layer.activations is not None:
            first = layer.activations[0]
            formula = formula_of(first)
            assert formula is not None
            local = code(first, formula.local[0], u0=f"Z{step}", y=f"A{step}")
            lines.append(f"GZ{step} = ({local}) * {g}")
            g = f"GZ{step}"
        x = matrix[reads_matrix[step]] if step in reads_matrix else f"X{step}"
        lines.append(f"dW{step} = {g}.T @ {x}")
        layer_grads[step] = f"dW{step}.ravel()"
        if layer.biases is not None:
            lines.append(f"dB{step} = {g}.sum(0)")
            layer_grads[step] += f", dB{step}"
        if any(unit.requires_grad for unit in layer.inputs):
            lines.append(f"dX{step} = {g} @ W{step}")
            if step in reads_matrix:
                earlier = reads_matrix[step]
                if earlier in matrix_grad:
                    lines.append(f"GA{earlier} = {matrix_grad[earlier]} + dX{step}")
                    matrix_grad[earlier] = f"GA{earlier}"
                else:
                    matrix_grad[earlier] = f"dX{step}"
            else:
                for j, unit in enumerate(layer.inputs):
                    if unit.requires_grad:
                        add_grad(unit, f"dX{step}[:, {j}]")
    summed = [u for u in inputs if u.requires_grad and u in grad_of]
    returned = f"({''.join(grad_of[u] + ', ' for u in summed)})"
    if layers:
        lines.append(
            f"return {names[output]}, {returned}, concatenate(({', '.join(layer_grads)},))"
        )
    else:
        lines.append(f"return {names[output]}, {returned}, None")
    extra = "".join(f", {n}={n}" for n in gate_names.values())
    source = f"def _batched(values, params, seed{extra}):\n" + "\n".join(f"    {x}" for x in lines)
    exec(compile(source, f"<batched {len(gates)} gates>", "exec"), namespace)
    takers = [(i, u) for i, u in enumerate(params) if u.requires_grad]
    return _Program(source, namespace["_batched"], inputs, summed, params, takers)


def _columns(np: Any) -> Any:
    def columns(n: int, *cols: Any) -> Any:
        """A batch x len(cols) matrix of the columns (arrays or scalars, broadcast)."""
        out = np.empty((n, len(cols)))
        for j, col in enumerate(cols):
            out[:, j] = col
        return out

    return columns


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
