"""Display names for units and gates, as a learner would say them.

A unit can go by several names at once: the variable ``a`` in the learner's
script, the attribute ``mulg0.u0`` of the gate that read it, the attribute
``addg1.utop`` of the gate that made it. Showing all of them side by side is
how a trace answers "does ``sg0.u0`` point to the same memory as
``addg1.utop``?": it is one object, held by both gates.

Names are looked up, best first:

1. variable names from a ``names`` mapping such as ``vars()`` (a list held in
   a variable gives ``w[0]``, ``w[1]``, ...);
2. attribute paths through gates that have a variable name (``addg1.utop``);
3. the unit's ``label``;
4. attribute paths through labelled gates;
5. the stable automatic name (``u7``) when none of the above exists, and paths
   through gates that only have automatic names (``g3.utop``).

The mapping is read afresh each time, so a script's globals dict names things
as the script runs.

>>> from gates import AddGate, SigmoidGate, Unit
>>> a, b = Unit(1.0), Unit(1.0)
>>> addg1, sg0 = AddGate(), SigmoidGate()
>>> s = sg0.forward(addg1.forward(a, b))
>>> names = Names(vars())
>>> names.names_of(addg1.utop)
['addg1.utop', 'sg0.u0']
>>> names.names_of(a)
['a', 'addg1.u0']
>>> names.gate_name(sg0)
'sg0'
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from gates import Gate, Unit
from gates.labels import name_of

__all__ = [
    "NameIndex",
    "Names",
    "attribute_of",
    "held_units",
    "is_automatic_rank",
    "is_given_rank",
]

# Rank of each kind of name; lower is shown first.
_VARIABLE, _VIA_VARIABLE, _LABEL, _VIA_LABEL, _AUTO, _VIA_AUTO = range(6)

# Sequences held in a variable are searched one level deep for units and gates
# (``w[0]``); longer ones are data, not circuit parts, and are skipped to keep
# each lookup cheap.
_MAX_SEQUENCE = 64

_slot_cache: dict[type, tuple[str, ...]] = {}


def _slot_names(cls: type) -> tuple[str, ...]:
    """Every ``__slots__`` name along ``cls``'s MRO, base classes first."""
    cached = _slot_cache.get(cls)
    if cached is None:
        found: dict[str, None] = {}
        for klass in reversed(cls.__mro__):
            slots = klass.__dict__.get("__slots__", ())
            if isinstance(slots, str):
                slots = (slots,)
            for slot in slots:
                found[slot] = None
        cached = _slot_cache[cls] = tuple(found)
    return cached


_NOT_UNITS = ("inputs", "label", "_name", "_inputs")


def attribute_of(gate: Gate, unit: Unit) -> str | None:
    """The attribute under which ``gate`` holds ``unit`` (``u0``), if any."""
    for attribute, held in held_units(gate):
        if held is unit:
            return attribute
    return None


def is_automatic_rank(rank: int) -> bool:
    """Whether a name of this rank is a bare automatic name (``u7``)."""
    return rank == _AUTO


def is_given_rank(rank: int) -> bool:
    """Whether a name of this rank was given by a person: a variable, a label,
    or a path through a gate that has one (``addg1.utop``)."""
    return rank <= _VIA_LABEL


def held_units(gate: Gate) -> list[tuple[str, Unit]]:
    """The units a gate holds, as ``(attribute, unit)``: inputs first, ``utop`` last.

    Built-in gates hold ``u0``, ``u1`` and ``utop``; a user's gate may use any
    attribute names, which are then shown instead of the ``u0``, ``u1`` the
    base class also sets. An input stored under no attribute shows as
    ``inputs[i]``.

    >>> from gates import MultGate, Unit
    >>> g = MultGate()
    >>> _ = g.forward(Unit(2.0), Unit(3.0))
    >>> [attribute for attribute, _ in held_units(g)]
    ['u0', 'u1', 'utop']
    """
    found: list[tuple[str, Unit]] = []
    own_names: set[int] = set()  # units the gate holds under names of its own
    utop: Unit | None = None
    attributes = [s for s in _slot_names(type(gate)) if s not in _NOT_UNITS]
    attributes.extend(getattr(gate, "__dict__", {}))
    # The gate's own names first, then u0 and u1 for what they did not name.
    attributes.sort(key=lambda name: name in ("u0", "u1"))
    for attribute in attributes:
        value = getattr(gate, attribute, None)
        if not isinstance(value, Unit):
            continue
        if attribute == "utop":
            utop = value
        elif attribute not in ("u0", "u1"):
            found.append((attribute, value))
            own_names.add(id(value))
        elif id(value) not in own_names:
            found.append((attribute, value))
    inputs: tuple[Unit, ...] = getattr(gate, "inputs", ())
    stored = {id(unit) for _, unit in found}
    for position, unit in enumerate(inputs):
        if id(unit) not in stored:
            found.append((f"inputs[{position}]", unit))
            stored.add(id(unit))
    if utop is not None:
        found.append(("utop", utop))
    return found


def _public_items(names: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """``(name, value)`` for every variable worth showing, and ``w[i]`` for lists.

    Names starting with ``_`` are skipped: they are private helpers or, in
    IPython, the output history (``_``, ``_1``), not the learner's names.
    """
    for name, value in list(names.items()):
        if not isinstance(name, str) or name.startswith("_"):
            continue
        if isinstance(value, (Unit, Gate)):
            yield name, value
        elif isinstance(value, (list, tuple)) and len(value) <= _MAX_SEQUENCE:
            for index, item in enumerate(value):
                if isinstance(item, (Unit, Gate)):
                    yield f"{name}[{index}]", item


class Names:
    """Resolves the names a trace or drawing shows for units and gates.

    Args:
        names: a mapping from variable names to objects, typically ``vars()``
            or a script's globals; units, gates and short lists of them are
            picked out, the rest ignored. It is read on every lookup.

    Gates seen in a trace are added with :meth:`remember`, so units they hold
    can be named by attribute path even when the gate has no variable name.
    What each gate holds is indexed by unit once, when it is remembered, so a
    lookup costs the same in a trace's ten-thousandth event as in its first.
    """

    def __init__(self, names: Mapping[str, Any] | None = None) -> None:
        self._mapping = names
        self._seen: dict[Gate, None] = {}
        self._unnumbered: dict[Gate, None] = {}  # remembered, no automatic name yet
        # What each remembered gate held then (and whether it had a label), and
        # the same facts by unit: id(unit) -> {(id(gate), attribute): (gate, attribute)},
        # for labelled gates ([True]) and the rest ([False]), in the order they came to
        # hold it. The held lists keep the units alive, so their ids stay theirs.
        self._held: dict[Gate, tuple[bool, list[tuple[str, Unit]]]] = {}
        self._holders: dict[bool, dict[int, dict[tuple[int, str], tuple[Gate, str]]]] = {
            True: {},
            False: {},
        }

    def remember(self, gate: Gate) -> None:
        """Name units through ``gate`` from now on (``g3.utop``), as it holds them now.

        A gate holds new units only when it runs, so call this after each of its
        calls (the Tracer does); :meth:`snapshot` with ``fresh=True`` looks again at
        every gate remembered so far."""
        if gate not in self._seen:
            self._seen[gate] = None
            self._unnumbered[gate] = None
        self._index(gate)

    def _index(self, gate: Gate) -> None:
        labelled = getattr(gate, "label", None) is not None
        held = held_units(gate)
        was_labelled, old = self._held.get(gate, (labelled, []))
        if was_labelled == labelled and _same_holdings(old, held):
            return  # (a replay, or a backward call: what it holds is unchanged)
        # Entries that stay keep their place (the order gates came to hold a unit);
        # a label given or taken moves all of them to the other bucket.
        same_bucket = was_labelled == labelled
        still = {(a, id(u)) for a, u in held} if same_bucket else set()
        already = {(a, id(u)) for a, u in old} if same_bucket else set()
        for attribute, unit in old:
            if (attribute, id(unit)) not in still:
                _drop(self._holders[was_labelled], unit, (id(gate), attribute))
        bucket = self._holders[labelled]
        for attribute, unit in held:
            if (attribute, id(unit)) not in already:
                bucket.setdefault(id(unit), {})[(id(gate), attribute)] = (gate, attribute)
        self._held[gate] = (labelled, held)

    def snapshot(self, *, fresh: bool = False) -> NameIndex:
        """An index of every name as of now; cheap to query many times.

        Use it right away: paths through remembered gates are looked up when
        asked. ``fresh=True`` first looks again at what every remembered gate
        holds (a full pass, for the end of a trace)."""
        if fresh:
            for gate in self._seen:
                self._index(gate)
        return NameIndex(self._mapping, self)

    def gate_name(self, gate: Gate) -> str:
        """The gate's variable name, else its label, else its automatic name."""
        return self.snapshot().gate_name(gate)

    def names_of(self, unit: Unit) -> list[str]:
        """Every name ``unit`` goes by now, best first."""
        return self.snapshot().names_of(unit)

    def name(self, unit: Unit) -> str:
        """The best name of ``unit``."""
        return self.snapshot().name(unit)


def _same_holdings(old: list[tuple[str, Unit]], new: list[tuple[str, Unit]]) -> bool:
    return len(old) == len(new) and all(
        a == b and u is v for (a, u), (b, v) in zip(old, new, strict=True)
    )


def _drop(
    bucket: dict[int, dict[tuple[int, str], tuple[Gate, str]]], unit: Unit, key: tuple[int, str]
) -> None:
    entries = bucket.get(id(unit))
    if entries is not None:
        entries.pop(key, None)
        if not entries:
            del bucket[id(unit)]


class NameIndex:
    """Every name known at one moment, indexed by object identity.

    Build one per event (``Names.snapshot()``) and ask it as often as needed.
    """

    def __init__(self, mapping: Mapping[str, Any] | None, known: Names) -> None:
        self._variables: dict[int, list[str]] = {}
        self._gate_names: dict[int, tuple[int, str]] = {}
        self._holders = known._holders  # paths through remembered gates
        # unit id -> (rank, gate, attribute) through gates the mapping names, and through
        # gates met on the way that were not remembered (a unit's maker); _covered holds
        # those gates' ids, so their paths are not taken from _holders as well
        self._paths: dict[int, list[tuple[int, Gate, str]]] = {}
        self._covered: set[int] = set()
        self._remembered = known._seen
        if mapping is not None:
            gates: dict[Gate, None] = {}
            for name, value in _public_items(mapping):
                if isinstance(value, Unit):
                    self._variables.setdefault(id(value), []).append(name)
                else:
                    gates[value] = None
                    self._gate_names.setdefault(id(value), (_VARIABLE, name))
            for gate in gates:
                self._add_paths(gate)
        # Remembered gates that no variable names get their automatic names (g7) in the
        # order they were first remembered, as a trace shows them (a drawing, in circuit order).
        for gate in list(known._unnumbered):
            if id(gate) not in self._gate_names:
                self._gate_rank(gate)
                del known._unnumbered[gate]

    def _gate_rank(self, gate: Gate) -> tuple[int, str]:
        known = self._gate_names.get(id(gate))
        if known is None:
            rank = _LABEL if getattr(gate, "label", None) is not None else _AUTO
            known = self._gate_names[id(gate)] = (rank, name_of(gate))
        return known

    def _path_rank(self, gate: Gate) -> int:
        rank, _ = self._gate_rank(gate)
        return {_VARIABLE: _VIA_VARIABLE, _LABEL: _VIA_LABEL}.get(rank, _VIA_AUTO)

    def _add_paths(self, gate: Gate) -> None:
        if id(gate) in self._covered:
            return
        self._covered.add(id(gate))
        path_rank = self._path_rank(gate)
        for attribute, unit in held_units(gate):
            self._paths.setdefault(id(unit), []).append((path_rank, gate, attribute))

    def _add_maker(self, unit: Unit) -> None:
        maker = unit.gate
        if maker is not None and maker not in self._remembered:
            self._add_paths(maker)

    def parts(
        self,
        unit: Unit,
        automatic_paths: int | None = None,
        *,
        always: tuple[Gate, str] | None = None,
    ) -> list[tuple[int, Gate | None, str]]:
        """Every name ``unit`` goes by as ``(rank, gate, text)``, best first: a
        path through a gate is ``(rank, gate, attribute)``, any other name
        ``(rank, None, name)``. Lower ranks are better; :func:`is_given_rank`
        tells names a person gave from automatic ones.

        ``automatic_paths``: at most this many paths through remembered gates
        that have only automatic names (``g7.u0``), the first that came to hold
        the unit, and the path ``always`` (a gate and attribute) besides;
        :meth:`counted_parts` also counts the rest. (A weight that a training
        loop reads is held by a gate of every pass.)"""
        return self.counted_parts(unit, automatic_paths, always=always)[0]

    def counted_parts(
        self,
        unit: Unit,
        automatic_paths: int | None,
        *,
        always: tuple[Gate, str] | None = None,
    ) -> tuple[list[tuple[int, Gate | None, str]], int]:
        """``parts(unit, automatic_paths, always=always)``, and how many paths it left out."""
        self._add_maker(unit)
        key = id(unit)
        found: list[tuple[int, Gate | None, str]] = [
            (_VARIABLE, None, n) for n in self._variables.get(key, ())
        ]
        local = self._paths.get(key, ())
        found.extend(local)
        for gate, attribute in self._holders[True].get(key, {}).values():
            if id(gate) not in self._covered:
                found.append((self._path_rank(gate), gate, attribute))
        automatic = self._holders[False].get(key, {})
        # the remembered gates' automatic paths not already among the local ones
        total = len(automatic) - sum((id(g), a) in automatic for _, g, a in local)
        must = None if always is None else (id(always[0]), always[1])
        shown = 0
        for entry, (gate, attribute) in automatic.items():
            if shown == automatic_paths:
                break
            if id(gate) not in self._covered:
                found.append((self._path_rank(gate), gate, attribute))
                shown += 1
                if entry == must:
                    must = None  # shown already
        late = None if must is None else automatic.get(must)
        if late is not None and id(late[0]) not in self._covered:
            found.append((self._path_rank(late[0]), *late))
            shown += 1
        if unit.label is not None:
            found.append((_LABEL, None, unit.label))
        if not any(rank <= _VIA_LABEL for rank, _, _ in found):
            found.append((_AUTO, None, name_of(unit)))
        found.sort(key=lambda item: item[0])  # stable: keeps mapping and gate order
        return found, total - shown

    def gate_name(self, gate: Gate) -> str:
        """The gate's variable name, else its label, else its automatic name."""
        return self._gate_rank(gate)[1]

    def text(self, gate: Gate | None, text: str) -> str:
        """A name part as shown: ``text``, or ``gate_name.text`` for a path."""
        return text if gate is None else f"{self.gate_name(gate)}.{text}"

    def ranked(self, unit: Unit, automatic_paths: int | None = None) -> list[tuple[int, str]]:
        """Every name ``unit`` goes by, with its rank (lower is better), best first
        (``automatic_paths`` as in :meth:`parts`)."""
        return self.ranked_parts(self.parts(unit, automatic_paths))

    def ranked_parts(self, parts: list[tuple[int, Gate | None, str]]) -> list[tuple[int, str]]:
        """``parts`` as ``(rank, name)``, each name once."""
        result: list[tuple[int, str]] = []
        seen: set[str] = set()
        for rank, gate, text in parts:
            name = self.text(gate, text)
            if name not in seen:
                seen.add(name)
                result.append((rank, name))
        return result

    def names_of(self, unit: Unit, automatic_paths: int | None = None) -> list[str]:
        """Every name ``unit`` goes by, best first (see the module docstring;
        ``automatic_paths`` as in :meth:`parts`)."""
        return [name for _, name in self.ranked(unit, automatic_paths)]

    def name(self, unit: Unit) -> str:
        """The best name of ``unit``."""
        return self.names_of(unit)[0]

    def gate_is_given(self, gate: Gate) -> bool:
        """Whether a person named ``gate``: a variable name or a label."""
        return self._gate_rank(gate)[0] <= _LABEL

    def held_as(self, gate: Gate, unit: Unit) -> str:
        """What ``gate`` calls ``unit`` (``sg0.u0``), or the unit's best name."""
        attribute = attribute_of(gate, unit)
        return self.name(unit) if attribute is None else f"{self.gate_name(gate)}.{attribute}"

    def is_named(self, unit: Unit) -> bool:
        """Whether anything names ``unit`` besides its automatic name: a
        variable, a label, or a gate that holds it."""
        self._add_maker(unit)
        key = id(unit)
        return (
            key in self._variables
            or key in self._paths
            or key in self._holders[True]
            or key in self._holders[False]
            or unit.label is not None
        )

    def is_given(self, unit: Unit) -> bool:
        """Whether a person named ``unit``: a variable name or a label."""
        return id(unit) in self._variables or unit.label is not None
