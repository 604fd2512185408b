"""The graph a drawing shows: unit nodes, gate nodes, and the edges between them.

Every renderer (console, DOT, SVG) draws the same :class:`Graph`, so they
agree on names, numbers and the gradient on each edge.

Along an edge from an input unit into a gate, the backward view shows the
gradient that flowed along it: the gate's upstream grad times its local
derivative for that input (``gate.utop.grad * local_grads(gate)[i]``). For
the guide's neuron the edge from ``sg0``'s input carries
``1.0 * s * (1 - s) = 0.105``.

Names are the ones a ``Tracer`` shows (``circuits.names``): a variable name
(with ``names=vars()``) or a label, else an automatic name, ``u1`` for a unit
and ``g1`` for a gate. A computed unit nobody named, made by a gate somebody
did name, is left to that gate's name (``+ [addg1]``, the unit the trace
calls ``addg1.utop``).

>>> from gates import Unit
>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> out = a * b
>>> out.backward()
>>> graph = build_graph(out)
>>> [(n.name, n.kind, n.grad) for n in graph.units]
[('a', 'parameter', -3.0), ('b', 'parameter', 2.0), ('u1', 'computed', 1.0)]
>>> [(g.name, g.symbol) for g in graph.gates]
[('g1', '*')]
>>> [(e.local, e.flowed) for e in graph.edges]
[(-3.0, -3.0), (2.0, 2.0)]

Parts of a circuit: ``depth=N`` keeps the N gates nearest the output (along
any path), a list of gates keeps those gates, and ``constants=False`` leaves
out constant inputs. A unit made by a gate left out is drawn as an input
that says which gate made it (``made_by``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from circuits.circuit import Circuit
from circuits.names import Names
from gates import Gate, Unit
from gates.graph import gates_behind
from gates.rerun import local_grads

__all__ = ["Edge", "EdgeLabel", "GateNode", "Graph", "Kind", "UnitNode", "View", "build_graph"]

View = Literal["forward", "backward"]
EdgeLabel = Literal["flowed", "local"]
Kind = Literal["parameter", "constant", "computed"]


@dataclass(frozen=True)
class UnitNode:
    """A unit in the drawing.

    ``name`` is what a trace calls it; it is empty only for a computed unit
    nobody named whose gate has a given name (that gate's node names it).
    ``given`` is False for a name nobody gave (``u7``, ``mulg0.u1``): a
    constant shows it only beside its value.
    ``grad`` is None for a unit that takes no gradient. ``maker`` is the key
    of the gate node that made it; ``made_by`` names the gate that made it
    when that gate is not drawn (``depth``, a list of gates).
    """

    key: str
    unit: Unit
    name: str
    kind: Kind
    value: float
    grad: float | None
    maker: str | None  # key of the gate node that made it
    made_by: str = ""  # name of the gate that made it, when that gate is not drawn
    given: bool = True  # whether a person gave the name (a variable, a label)

    @property
    def needs_grad(self) -> bool:
        return self.grad is not None


@dataclass(frozen=True)
class GateNode:
    """A gate: its operation symbol, and its name (given, else automatic)."""

    key: str
    gate: Gate
    symbol: str
    name: str
    type_name: str
    output: str  # key of its output unit


@dataclass(frozen=True)
class Edge:
    """An input unit feeding a gate.

    ``local`` is d(gate output)/d(input); ``flowed`` is ``upstream grad *
    local``, what the last backward passes sent along this edge. Both are None
    when the input takes no gradient.
    """

    source: str  # unit key
    target: str  # gate key
    positions: tuple[int, ...]  # (0, 1) when one unit feeds both inputs: p * p
    local: float | None
    flowed: float | None


@dataclass(frozen=True)
class Graph:
    """What to draw: nodes in a stable order, edges, and which unit is the output.

    ``hidden_constants`` counts the constant inputs left out
    (``constants=False``); ``cut`` is True when gates the output depends on
    are left out (``depth``, or a list of gates).
    """

    units: tuple[UnitNode, ...]
    gates: tuple[GateNode, ...]
    edges: tuple[Edge, ...]
    outputs: tuple[str, ...]  # keys of units no gate in the graph reads
    view: View
    edge_label: EdgeLabel
    hidden_constants: int = 0
    cut: bool = False

    def unit(self, key: str) -> UnitNode:
        """The unit node with this key."""
        return self._units_by_key[key]

    def gate(self, key: str) -> GateNode:
        """The gate node with this key."""
        return self._gates_by_key[key]

    def edges_into(self, gate_key: str) -> list[Edge]:
        """The edges from a gate's inputs, in input order."""
        return self._edges_by_gate.get(gate_key, [])

    @cached_property
    def _units_by_key(self) -> dict[str, UnitNode]:
        return {u.key: u for u in self.units}

    @cached_property
    def _gates_by_key(self) -> dict[str, GateNode]:
        return {g.key: g for g in self.gates}

    @cached_property
    def _edges_by_gate(self) -> dict[str, list[Edge]]:
        found: dict[str, list[Edge]] = {}
        for edge in self.edges:
            found.setdefault(edge.target, []).append(edge)
        return found


def _gates_of(target: Circuit | Unit | Sequence[Gate]) -> tuple[list[Gate], list[Unit]]:
    """The gates to draw, in forward order, and the units asked for."""
    if isinstance(target, Circuit):
        return list(target.gates), []
    if isinstance(target, Unit):
        return gates_behind(target), [target]
    if isinstance(target, Sequence) and all(isinstance(g, Gate) for g in target):
        return list(target), []
    raise TypeError(
        f"cannot draw {target!r} ({type(target).__name__}): pass a Circuit, a Unit "
        "(its ancestors are drawn) or a list of gates"
    )


def _check_choice(what: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{what} must be one of {options}, got {value!r}")


def _last_gates(gates: list[Gate], depth: int) -> list[Gate]:
    """The gates at most ``depth`` gates away from an output (a unit no gate
    in ``gates`` reads), counting the output's own gate as 1."""
    made = {id(gate.utop): gate for gate in gates}
    read = {id(unit) for gate in gates for unit in gate.inputs}
    kept = {id(gate) for gate in gates if id(gate.utop) not in read}
    frontier = [gate for gate in gates if id(gate) in kept]
    for _ in range(depth - 1):
        above: list[Gate] = []
        for gate in frontier:
            for unit in gate.inputs:
                maker = made.get(id(unit))
                if maker is not None and id(maker) not in kept:
                    kept.add(id(maker))
                    above.append(maker)
        frontier = above
    return [gate for gate in gates if id(gate) in kept]


def build_graph(
    target: Circuit | Unit | Sequence[Gate],
    *,
    view: View = "backward",
    edge_label: EdgeLabel = "flowed",
    names: Mapping[str, Any] | None = None,
    depth: int | None = None,
    constants: bool = True,
) -> Graph:
    """Collect the nodes and edges of ``target``.

    Args:
        target: a ``Circuit`` (all its gates), a ``Unit`` (the gates it
            depends on) or a list of gates (those only: one layer, say).
        view: ``"backward"`` (values, grads and gradients on edges) or
            ``"forward"`` (values only).
        edge_label: in the backward view, ``"flowed"`` labels each edge with
            upstream grad times local derivative, ``"local"`` with the bare
            local derivative.
        names: a mapping such as ``vars()`` that names units and gates.
        depth: keep only the gates at most this many gates from the output
            (1: the output's own gate); None keeps them all.
        constants: False leaves out constant inputs (``requires_grad=False``).
    """
    _check_choice("view", view, ("forward", "backward"))
    _check_choice("edge_label", edge_label, ("flowed", "local"))
    if depth is not None and (isinstance(depth, bool) or not isinstance(depth, int) or depth < 1):
        raise ValueError(
            f"depth must be a whole number of gates, 1 or more (1 draws the output's own "
            f"gate), or None for all; got {depth!r}"
        )
    if constants is not True and constants is not False:
        raise TypeError(f"constants must be True or False, got {constants!r}")
    gates, asked = _gates_of(target)
    every_gate = len(gates)
    if depth is not None:
        gates = _last_gates(gates, depth)
    namer = Names(names)
    for gate in gates:  # as a trace remembers every gate it shows
        namer.remember(gate)
    index = namer.snapshot()
    made_here = {id(gate.utop): gate for gate in gates}
    unit_keys: dict[int, str] = {}
    gate_keys = {id(gate): f"op{i}" for i, gate in enumerate(gates)}
    units: list[UnitNode] = []
    hidden: set[int] = set()

    def add_unit(unit: Unit) -> str | None:
        key = unit_keys.get(id(unit))
        if key is not None or id(unit) in hidden:
            return key
        maker = made_here.get(id(unit))
        made_by = ""
        if maker is not None:
            kind: Kind = "computed"
            # Left to the gate's node when a person named the gate: "+ [addg1]"
            # is the unit a trace calls addg1.utop.
            shown = index.is_given(unit) or not index.gate_is_given(maker)
            name = index.name(unit) if shown else ""
        elif unit.gate is not None:  # made by a gate that is not drawn
            kind = "computed"
            name = index.name(unit)
            made_by = index.gate_name(unit.gate)
        else:
            kind = "parameter" if unit.requires_grad else "constant"
            if kind == "constant" and not constants:
                hidden.add(id(unit))
                return None
            name = index.name(unit)
        key = unit_keys[id(unit)] = f"n{len(unit_keys)}"
        grad = unit.grad if unit.requires_grad else None
        maker_key = gate_keys[id(maker)] if maker is not None else None
        given = index.is_given(unit)
        units.append(UnitNode(key, unit, name, kind, unit.value, grad, maker_key, made_by, given))
        return key

    for unit in asked:
        if id(unit) not in made_here:
            add_unit(unit)
    gate_nodes: list[GateNode] = []
    edges: list[Edge] = []
    read: set[str] = set()
    for gate in gates:
        input_keys = [add_unit(unit) for unit in gate.inputs]
        gate_key = gate_keys[id(gate)]
        output_key = add_unit(gate.utop)
        assert output_key is not None  # a gate's output is never a constant input
        gate_nodes.append(
            GateNode(
                gate_key,
                gate,
                str(gate.symbol),
                index.gate_name(gate),
                type(gate).__name__,
                output_key,
            )
        )
        locals_ = local_grads(gate) if view == "backward" else (None,) * len(gate.inputs)
        upstream = gate.utop.grad
        positions: dict[str, list[int]] = {}
        for position, key in enumerate(input_keys):
            if key is not None:
                positions.setdefault(key, []).append(position)
        for key, where in positions.items():
            unit = gate.inputs[where[0]]
            # local_grads gives a repeated input its total derivative at each
            # position, so one edge carries it once.
            local = locals_[where[0]]
            if local is None or not unit.requires_grad or not gate.utop.requires_grad:
                edges.append(Edge(key, gate_key, tuple(where), None, None))
            else:
                edges.append(Edge(key, gate_key, tuple(where), local, upstream * local))
            read.add(key)
    outputs = tuple(node.key for node in units if node.key not in read)
    cut = len(gates) < every_gate or any(node.made_by for node in units)
    return Graph(
        tuple(units),
        tuple(gate_nodes),
        tuple(edges),
        outputs,
        view,
        edge_label,
        hidden_constants=len(hidden),
        cut=cut,
    )
