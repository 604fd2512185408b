"""Finding neuron layers in a recorded gate list, so a batch can run them as matrix products.

A neuron, as people write it, is a chain of additions over products::

    s = b
    for w, x in zip(ws, xs):
        s = s + w * x           # AddGate over MultGate(w, x)
    a = s.relu()                # maybe an activation

Several neurons that read the same inputs, in the same order, each with its
own weights, make a *layer*: over a batch, their sums are one matrix product
``Z = X @ W.T + b``. :func:`find_layers` finds the layers in a list of gates
(a circuit's plan for one output) and says which gates each one stands for.
It is conservative: a layer is only reported when every gate it absorbs
feeds nothing but the layer, so running the matrix product instead of those
gates changes no value any other gate reads.

>>> from gates import Unit
>>> from circuits import Circuit
>>> x0, x1 = Unit(0.5), Unit(-1.0)
>>> ws = [[Unit(0.1), Unit(0.2)], [Unit(0.3), Unit(0.4)]]
>>> bs = [Unit(0.0), Unit(1.0)]
>>> with Circuit() as c:
...     hs = []
...     for w, b in zip(ws, bs):
...         s = b
...         for wi, xi in zip(w, [x0, x1]):
...             s = s + wi * xi
...         hs.append(s.tanh())
...     out = hs[0] * hs[1]
>>> [layer] = find_layers(c.gates, out)
>>> layer.inputs == (x0, x1), layer.weights == ((ws[0][0], ws[0][1]), (ws[1][0], ws[1][1]))
(True, True)
>>> len(layer.gates), layer.activation
(10, 'tanh')
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from circuits._compiled import FORMULAS, formula_of
from gates import AddGate, Gate, MultGate, Unit

__all__ = ["MIN_PRODUCTS", "Layer", "find_layers"]

MIN_PRODUCTS = 2
"""Smaller layers are left to the gates. A lone ``w * x + b`` costs about as
many NumPy calls either way, and a chain of them (``x = x * w + b``, repeated)
would become a chain of 1 x 1 matrix products, slower than the gates."""


@dataclass(frozen=True)
class Layer:
    """Neurons over the same inputs, found in a gate list.

    Attributes:
        inputs: the units each neuron multiplies by its weights, in order
            (the columns of ``X``).
        weights: one row per neuron, ``weights[i][j]`` multiplies ``inputs[j]``.
        biases: each neuron's bias unit, or ``None`` when no neuron has one.
        sums: each neuron's weighted sum (its last addition's output).
        activations: one gate per neuron, all of one kind, applied to the
            sums; ``None`` when the sums are the layer's outputs.
        gates: every gate the layer stands for.
        position: the layer runs right after the gate at this position of
            the list (the last one that makes an input; -1: before them all).
    """

    inputs: tuple[Unit, ...]
    weights: tuple[tuple[Unit, ...], ...]
    biases: tuple[Unit, ...] | None
    sums: tuple[Unit, ...]
    activations: tuple[Gate, ...] | None
    gates: frozenset[Gate]
    position: int

    @property
    def outputs(self) -> tuple[Unit, ...]:
        """What the rest of the circuit reads: the activations' outputs, else the sums."""
        if self.activations is None:
            return self.sums
        return tuple(gate.utop for gate in self.activations)

    @property
    def activation(self) -> str | None:
        """The activation gates' symbol (``"relu"``), or ``None``."""
        return None if self.activations is None else type(self.activations[0]).symbol

    @property
    def size(self) -> int:
        """How many products the layer stands for (neurons x inputs)."""
        return len(self.weights) * len(self.inputs)


def find_layers(gates: Sequence[Gate], output: Unit) -> list[Layer]:
    """The layers in ``gates`` (a plan whose last gate makes ``output``), in running order.

    Every unit a layer absorbs (a product, a partial sum, a sum that goes
    through the activation) is read by exactly one gate, of the same layer,
    and is not ``output``. Weights and biases are units no gate in the list
    makes; they may be shared, or read elsewhere too.
    """
    graph = _Graph(gates, output)
    # Grow a neuron down from each addition, the last first. An addition that
    # tops no neuron (such as `score + (-y)`) leaves its operands to be tried.
    neurons: list[_Neuron] = []
    settled: set[int] = set()  # in a neuron, or known to top none
    for top in reversed(range(len(gates))):
        if top not in settled and graph.made_by(gates[top].utop, AddGate) is not None:
            grown = _grow(graph, top)
            if isinstance(grown, _Neuron):
                neurons.append(grown)
                settled.update(grown.gates)
            else:
                settled.update(grown)
    neurons.reverse()
    _assign_roles(graph, neurons)
    groups: dict[tuple[Unit, ...], list[_Neuron]] = defaultdict(list)
    for neuron in neurons:
        groups[tuple(x for _, x in neuron.products)].append(neuron)
    found = (_layer(graph, inputs, members) for inputs, members in groups.items())
    worth = (layer for layer in found if layer is not None and layer.size >= MIN_PRODUCTS)
    return sorted(worth, key=lambda layer: layer.position)


@dataclass
class _Neuron:
    terms: list[tuple[Unit, Unit]]  # each product's operands, as recorded
    bias: Unit | None
    gates: list[int]  # positions of its additions and products
    products: list[tuple[Unit, Unit]] = field(default_factory=list)  # (weight, input)


class _Graph:
    """Which gate makes, and which gates read, each unit of a gate list."""

    def __init__(self, gates: Sequence[Gate], output: Unit) -> None:
        self.gates = gates
        self.output = output
        self.made_at = {gate.utop: index for index, gate in enumerate(gates)}
        self.readers: dict[Unit, list[int]] = defaultdict(list)
        for index, gate in enumerate(gates):
            for unit in gate.inputs:
                self.readers[unit].append(index)

    def made_by(self, unit: Unit, kind: type[Gate]) -> int | None:
        """The position of the gate that makes ``unit``, if it computes what ``kind`` does."""
        index = self.made_at.get(unit)
        # Matched by class: a subclass, which may change the maths, has no formula.
        if index is None or formula_of(self.gates[index]) is not FORMULAS[kind]:
            return None
        return index

    def only_reader(self, unit: Unit) -> int | None:
        """The one gate that reads ``unit`` (once), unless it is read more or is the output."""
        readers = self.readers.get(unit, ())
        if unit is self.output or len(readers) != 1:
            return None
        return readers[0]

    def is_leaf(self, unit: Unit) -> bool:
        return unit not in self.made_at


def _grow(graph: _Graph, top: int) -> _Neuron | set[int]:
    """The neuron summed by ``gates[top]``; if that is no sum of products, the
    additions under it (``top`` included) that cannot top a neuron either.

    Returning those keeps a long sum that is no neuron (a loss added up over
    many points) from being walked again from each of its additions.
    """
    terms: list[tuple[Unit, Unit]] = []
    bias = None
    bias_reader = top
    absorbed = [top]
    above: dict[int, int] = {}  # addition -> the addition that reads it

    def path(index: int) -> list[int]:
        """From ``index`` up to ``top``: the additions whose sums include it."""
        out = [index]
        while out[-1] in above:
            out.append(above[out[-1]])
        return out

    # (unit, the gate that reads it); popped left operand first, so terms keep their order
    stack = [(unit, top) for unit in reversed(graph.gates[top].inputs)]
    while stack:
        unit, reader = stack.pop()
        if graph.only_reader(unit) == reader:
            add = graph.made_by(unit, AddGate)
            if add is not None:
                absorbed.append(add)
                above[add] = reader
                stack.extend((u, add) for u in reversed(graph.gates[add].inputs))
                continue
            mult = graph.made_by(unit, MultGate)
            if mult is not None:
                p, q = graph.gates[mult].inputs
                if graph.is_leaf(p) or graph.is_leaf(q):  # one of them can be a weight
                    terms.append((p, q))
                    absorbed.append(mult)
                    continue
        if bias is None and graph.is_leaf(unit):
            bias, bias_reader = unit, reader
            continue
        if graph.is_leaf(unit):  # a second bias: no sum holding both is a neuron
            return set(path(bias_reader)) & set(path(reader))
        return set(path(reader))  # a term that is no product of a weight: nor is any sum of it
    if not terms:
        return {top}
    return _Neuron(terms=terms, bias=bias, gates=absorbed)


def _assign_roles(graph: _Graph, neurons: list[_Neuron]) -> None:
    """Decide, for each product, which operand is the weight and which the input.

    A weight must be a leaf. When both operands are leaves (a first layer
    over input units), the input is the one more products read: a layer's
    neurons share their inputs, not their weights. A tie keeps the order
    ``w * x``. Either way the layer computes the same numbers; the choice
    only decides which neurons group into one matrix product.
    """
    uses = Counter(unit for n in neurons for p, q in n.terms for unit in {p, q})
    for neuron in neurons:
        for p, q in neuron.terms:
            if not graph.is_leaf(p) or (graph.is_leaf(q) and uses[p] > uses[q]):
                neuron.products.append((q, p))  # p is the input
            else:
                neuron.products.append((p, q))


def _layer(graph: _Graph, inputs: tuple[Unit, ...], members: list[_Neuron]) -> Layer | None:
    """The layer made of ``members`` (neurons over ``inputs``), or None if it cannot be one."""
    with_bias = [n.bias is not None for n in members]
    if any(with_bias) and not all(with_bias):
        return None  # a mixed layer: rare, so left to the gates
    sums = tuple(graph.gates[n.gates[0]].utop for n in members)
    activations = _activations(graph, sums)
    absorbed = [graph.gates[i] for n in members for i in n.gates]
    if activations is not None:
        absorbed.extend(activations)
    made = [graph.made_at[x] for x in inputs if x in graph.made_at]
    return Layer(
        inputs=inputs,
        weights=tuple(tuple(w for w, _ in n.products) for n in members),
        biases=tuple(n.bias for n in members if n.bias is not None) if all(with_bias) else None,
        sums=sums,
        activations=activations,
        gates=frozenset(absorbed),
        # Every output is read after its own neuron's products, which read every
        # input: so the layer can run as soon as its last input is made.
        position=max(made, default=-1),
    )


def _activations(graph: _Graph, sums: tuple[Unit, ...]) -> tuple[Gate, ...] | None:
    """The gates applied to the sums, when each sum goes only through one gate of one kind."""
    gates = []
    for unit in sums:
        reader = graph.only_reader(unit)
        if reader is None:
            return None
        gate = graph.gates[reader]
        if len(gate.inputs) != 1 or formula_of(gate) is None:
            return None
        gates.append(gate)
    first = gates[0]
    formula = formula_of(first)
    assert formula is not None
    for gate in gates[1:]:
        if type(gate) is not type(first) or any(
            getattr(gate, p) != getattr(first, p) for p in formula.params
        ):
            return None
    return tuple(gates)
