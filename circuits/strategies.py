"""Hypothesis strategies for units and random valid circuits.

Property-test a gate the way this project tests its own: draw random circuits
that use it, and check the laws every gate must keep (the gradient equals the
numerical gradient, backward changes no value).

>>> from hypothesis import given, settings
>>> from circuits import gradcheck
>>> from circuits.strategies import circuits
>>> from gates import MultGate, SigmoidGate
>>> @settings(max_examples=10)
... @given(circuits(gates=[MultGate, SigmoidGate]))
... def test_sigmoid_circuits(c):
...     assert gradcheck(c)
>>> test_sigmoid_circuits()

What is drawn:

* ``units()``: a ``Unit`` with a finite value in a range.
* ``circuits()``: a recorded ``Circuit`` of random gates over a few input
  units (``c.inputs``, ``c.parameters()``), where one unit may feed several
  gates (shared sub-expressions), every gate's inputs lie in its valid domain
  (no log of a negative, no exp of a large number, no division near 0, no
  ReLU input near its kink), no value is larger than ``MAX_ABS_VALUE``, no
  value or gradient is nan or inf, and every parameter's gradient is 0 or
  large enough for a central difference to see (``MIN_SENSITIVITY``), so a
  correct gate's gradcheck is never inconclusive for want of precision.

Each example names its units and gates from ``u1`` and ``g1``, so a failing
example reads the same however many ran before it. Needs hypothesis: ``pip
install pytest hypothesis`` (or the ``test`` extra).

How a gate is described (``GateSpec``):

* its **arity** (how many inputs ``forward`` takes) is read from ``forward``'s
  signature; a ``forward(self, *units)`` needs ``GateSpec(..., arity=n)``;
* its **domain** is a predicate on the input values, ``domain(*values) ->
  bool``: given as ``GateSpec(MyGate, domain=...)``, or written on the gate
  class as a method ``def domain(self, *values)``; without one, every finite
  value is allowed. The built-in gates come with theirs.

A gate class is made with no arguments; for a gate that needs some, pass a
factory: ``GateSpec(lambda: PowGate(3))``.
"""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, ExitStack, nullcontext
from typing import Any, Union

try:
    from hypothesis import currently_in_test_context, given, reject
    from hypothesis import strategies as st
    from hypothesis.control import cleanup, current_build_context
    from hypothesis.errors import InvalidArgument
    from hypothesis.strategies import SearchStrategy
except ImportError as exc:  # the package itself does not need hypothesis
    raise ImportError(
        "circuits.strategies needs hypothesis, which backprop-circuits does not install "
        "by itself: pip install pytest hypothesis (the test extra: what testing your "
        "own gates needs)",
        name=exc.name,
    ) from None

from circuits.circuit import Circuit
from circuits.gradcheck import gradcheck
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
from gates.labels import name_of, numbered_from_one
from gates.rerun import forward_unrecorded

__all__ = ["GateEntry", "GateSpec", "circuits", "gate_specs", "gradcheck_property", "units"]

KINK_MARGIN = 0.01
"""How far a ReLU-like input is kept from its kink at 0. Far beyond a
gradcheck's ``eps``, so a nudge upstream cannot carry the input across."""

MAX_ABS_VALUE = 1e3
"""No unit of a drawn circuit is larger in magnitude: keeps exp, pow and long
products far from overflow, and central differences well conditioned."""

MIN_SENSITIVITY = 1e-7
"""Each parameter's gradient is 0 or at least this, relative to the largest
computed value (with the parameter's size taken as at least 1): a smaller one
is lost in the rounding of the circuit's own values, so no central
difference, and so no gradcheck, could check it. Drawing ``SquareGate`` of
``1e-95`` plus 1 would otherwise make a correct gate's test inconclusive."""

_TRIES = 3  # input choices tried per gate before the gate is left out


class _OpenNumberings(threading.local):
    """Per thread: the test cases whose automatic names run from ``u1``, by id."""

    def __init__(self) -> None:
        self.by_case: dict[int, ExitStack] = {}


_open = _OpenNumberings()


def _numbered_for_this_example() -> AbstractContextManager[None]:
    """Automatic names from ``u1`` and ``g1`` for the example being drawn.

    Inside a hypothesis test case the numbering starts at the first circuit
    or unit drawn and lasts until the test case ends (``cleanup``), so two
    circuits of one example, and the units the test itself makes, never
    share a name. Outside one (``circuits().example()``) it lasts for the
    draw.
    """
    if not currently_in_test_context():
        return numbered_from_one()
    case = id(current_build_context())
    if case not in _open.by_case:
        stack = ExitStack()
        stack.enter_context(numbered_from_one())
        _open.by_case[case] = stack

        def close() -> None:
            _open.by_case.pop(case, None)
            stack.close()

        cleanup(close)
    return nullcontext()


class GateSpec:
    """How ``circuits()`` makes and feeds one kind of gate.

    Args:
        make: a Gate subclass, or any callable with no arguments that returns
            a new gate (``lambda: PowGate(3)``). Called once here to check it.
        arity: how many inputs the gate's ``forward`` takes; read from its
            signature when not given.
        domain: ``domain(*values) -> bool``, True when the gate may be fed
            these input values. Defaults to the gate's own ``domain`` method
            if it has one, else every finite value is allowed.
        name: shown in reprs; defaults to the gate's class name.

    Example:
        >>> spec = GateSpec(LogGate, domain=lambda x: x > 0.1)
        >>> spec.arity, spec.accepts(spec.make(), (2.0,)), spec.accepts(spec.make(), (-1.0,))
        (1, True, False)
    """

    __slots__ = ("arity", "domain", "make", "name")

    def __init__(
        self,
        make: Callable[[], Gate],
        *,
        arity: int | None = None,
        domain: Callable[..., bool] | None = None,
        name: str | None = None,
    ) -> None:
        if not callable(make):
            raise InvalidArgument(
                f"GateSpec: make must be a Gate subclass or a callable returning a gate, "
                f"got {make!r} ({type(make).__name__})"
            )
        sample = _sample_gate(make)
        if domain is not None and not callable(domain):
            raise InvalidArgument(f"GateSpec: domain must be callable, got {domain!r}")
        if arity is None:
            arity = _arity_of(type(sample))
        elif isinstance(arity, bool) or not isinstance(arity, int) or arity < 1:
            raise InvalidArgument(f"GateSpec: arity must be an int >= 1, got {arity!r}")
        self.make = make
        self.arity = arity
        self.domain = domain
        self.name = name if name is not None else type(sample).__name__

    def accepts(self, gate: Gate, values: Sequence[float]) -> bool:
        """Whether ``gate`` (made by this spec) may take inputs with ``values``."""
        domain = self.domain if self.domain is not None else getattr(gate, "domain", None)
        return True if domain is None else bool(domain(*values))

    def __repr__(self) -> str:
        return f"GateSpec({self.name}, arity={self.arity})"


GateEntry = Union[GateSpec, type[Gate], Callable[[], Gate]]  # noqa: UP007 (a runtime alias on 3.10)
"""What ``circuits(gates=...)`` takes: a spec, a gate class, or a factory."""


def _sample_gate(make: Callable[[], Gate]) -> Gate:
    what = make.__name__ if isinstance(make, type) else repr(make)
    try:
        gate = make()
    except Exception as exc:
        raise InvalidArgument(
            f"could not make a gate with {what}(): {exc}. For a gate that needs "
            "arguments pass a factory, e.g. GateSpec(lambda: MyGate(3))"
        ) from exc
    if not isinstance(gate, Gate):
        raise InvalidArgument(
            f"{what}() returned {gate!r} ({type(gate).__name__}), not a Gate; pass Gate "
            "subclasses or factories that return gates"
        )
    return gate


def _arity_of(cls: type[Gate]) -> int:
    forward = getattr(cls, "forward", None)
    if forward is None:
        raise InvalidArgument(f"{cls.__name__} defines no forward(); it cannot be drawn")
    # (the signature of the gate's own forward: the base's wrapper keeps it)
    parameters = list(inspect.signature(forward).parameters.values())[1:]  # after self
    positional = [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    if any(p.kind is p.VAR_POSITIONAL for p in parameters) or not positional:
        raise InvalidArgument(
            f"cannot tell how many inputs {cls.__name__}.forward takes from its signature; "
            f"pass GateSpec({cls.__name__}, arity=n)"
        )
    return len(positional)


def _away_from_kink(x: float) -> bool:
    return abs(x) >= KINK_MARGIN


# Built-in gates and the domains that keep them, and central differences
# through them, well behaved. Listed simplest first: circuits shrink towards
# the front of the list.
_BUILTIN: dict[type[Gate], tuple[GateSpec, ...]] = {
    AddGate: (GateSpec(AddGate),),
    MultGate: (GateSpec(MultGate),),
    SubGate: (GateSpec(SubGate),),
    NegGate: (GateSpec(NegGate),),
    TanhGate: (GateSpec(TanhGate),),
    SigmoidGate: (GateSpec(SigmoidGate),),
    ReLUGate: (GateSpec(ReLUGate, domain=_away_from_kink),),
    LeakyReLUGate: (
        GateSpec(LeakyReLUGate, domain=_away_from_kink),
        GateSpec(lambda: LeakyReLUGate(0.2), domain=_away_from_kink, name="LeakyReLUGate(0.2)"),
    ),
    ExpGate: (GateSpec(ExpGate, domain=lambda x: x <= 5.0),),
    LogGate: (GateSpec(LogGate, domain=lambda x: x >= 0.05),),
    DivGate: (GateSpec(DivGate, domain=lambda a, b: abs(b) >= 0.2),),
    PowGate: (
        GateSpec(lambda: PowGate(2), name="PowGate(2)"),
        GateSpec(lambda: PowGate(3), name="PowGate(3)"),
        GateSpec(lambda: PowGate(0.5), domain=lambda x: x >= 0.05, name="PowGate(0.5)"),
        GateSpec(lambda: PowGate(-1), domain=lambda x: abs(x) >= 0.2, name="PowGate(-1)"),
    ),
}


def gate_specs(*gates: GateEntry) -> tuple[GateSpec, ...]:
    """The ``GateSpec``s that ``circuits(gates=...)`` draws from.

    With no argument, every built-in gate (``PowGate`` with exponents 2, 3, 0.5
    and -1; ``LeakyReLUGate`` with slopes 0.01 and 0.2). A built-in class
    brings its own domain; any other class or factory is wrapped in a
    ``GateSpec``.

    >>> [spec.name for spec in gate_specs(MultGate, PowGate)]
    ['MultGate', 'PowGate(2)', 'PowGate(3)', 'PowGate(0.5)', 'PowGate(-1)']
    >>> len(gate_specs()) > 10
    True
    """
    if not gates:
        return tuple(spec for specs in _BUILTIN.values() for spec in specs)
    resolved: list[GateSpec] = []
    for entry in gates:
        if isinstance(entry, GateSpec):
            resolved.append(entry)
        elif isinstance(entry, type) and entry in _BUILTIN:
            resolved.extend(_BUILTIN[entry])
        elif isinstance(entry, type) and not issubclass(entry, Gate):
            raise InvalidArgument(
                f"gates: {entry.__name__} is not a Gate subclass; pass gate classes such "
                "as AddGate, factories that return gates, or GateSpec objects"
            )
        elif callable(entry):
            resolved.append(GateSpec(entry))
        else:
            raise InvalidArgument(
                f"gates: {entry!r} ({type(entry).__name__}) is not a gate class, a factory "
                "or a GateSpec"
            )
    return tuple(resolved)


def _check_range(min_value: float, max_value: float) -> None:
    for name, bound in (("min_value", min_value), ("max_value", max_value)):
        if isinstance(bound, bool) or not isinstance(bound, (int, float)):
            raise InvalidArgument(f"{name} must be a number, got {bound!r}")
        if not math.isfinite(bound):
            raise InvalidArgument(f"{name} must be finite, got {bound!r}")
    if not min_value < max_value:
        raise InvalidArgument(f"min_value={min_value!r} must be less than max_value={max_value!r}")


def _check_int(name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidArgument(f"{name} must be an int from {low} to {high}, got {value!r}")
    return value


def _values(min_value: float, max_value: float) -> SearchStrategy[float]:
    return st.floats(
        min_value=float(min_value),
        max_value=float(max_value),
        allow_nan=False,
        allow_infinity=False,
        allow_subnormal=False,
    )


def units(
    *,
    min_value: float = -3.0,
    max_value: float = 3.0,
    requires_grad: bool | None = True,
    label: str | None = None,
) -> SearchStrategy[Unit]:
    """Units with a finite ``value`` from ``min_value`` to ``max_value`` and grad 0.

    Args:
        min_value, max_value: the range of values (finite, ``min < max``).
        requires_grad: True for parameters, False for constants, None to draw
            both.
        label: the label to give each unit.

    Shrinks towards the value closest to 0 in the range, and towards
    parameters.

    >>> from hypothesis import find
    >>> find(units(min_value=1.0, max_value=5.0), lambda u: True)
    Unit(value=1.0, grad=0.0)
    """
    _check_range(min_value, max_value)
    if requires_grad is not None and not isinstance(requires_grad, bool):
        raise InvalidArgument(f"requires_grad must be True, False or None, got {requires_grad!r}")
    if label is not None and not isinstance(label, str):
        raise InvalidArgument(f"label must be a str or None, got {label!r}")
    flags = st.just(requires_grad) if requires_grad is not None else st.booleans().map(_not)
    return st.builds(
        lambda value, flag: _named(Unit(value, label=label, requires_grad=flag)),
        _values(min_value, max_value),
        flags,
    )


def _not(flag: bool) -> bool:
    return not flag  # booleans() shrink to False; we want them to shrink to parameters


def _named(unit: Unit) -> Unit:
    """Give ``unit`` its automatic name now, in the example's own numbering:
    named later (when a failure is reported), it would take the next number
    of the whole test session instead."""
    with _numbered_for_this_example():
        name_of(unit)
    return unit


def circuits(
    *,
    gates: Iterable[GateEntry] | None = None,
    min_gates: int = 1,
    max_gates: int = 6,
    n_inputs: int | None = None,
    share: bool = True,
    constants: bool = True,
    min_value: float = -3.0,
    max_value: float = 3.0,
) -> SearchStrategy[Circuit]:
    """Random valid circuits: a recorded ``Circuit`` with fresh, zeroed grads.

    The circuit starts from ``n_inputs`` input units (the first always a
    parameter, the others may be constants). Each gate is drawn from
    ``gates`` and fed units made so far, chosen so that its domain holds; a
    gate no choice satisfies is left out. Then every unit that feeds no gate
    is summed with ``AddGate``s into the output (``c.output``), so every gate
    and input matters. Every value, those sums included, stays finite and at
    most ``MAX_ABS_VALUE`` in size, forward and backward give no nan or inf,
    and no parameter's gradient is too small for a gradcheck to see
    (``MIN_SENSITIVITY``).

    Each example names its own units and gates from ``u1`` and ``g1`` (the
    inputs first, then each gate and its output in order), so a failing
    example reads ``<Circuit 1 gate: g1 = MyGate(u1=0.5) -> u2=...>`` however
    many examples ran before it. The numbering lasts for the whole test case:
    units the test makes itself continue it.

    Args:
        gates: gate classes, factories or ``GateSpec``s to draw from
            (default: every built-in gate, see ``gate_specs``).
        min_gates, max_gates: how many gates to draw (the final sums come on
            top, and gates whose domain cannot be met are left out).
        n_inputs: the number of input units; drawn from 1 to 3 if None.
        share: let one unit feed several gates (shared sub-expressions,
            ``p * p``); False draws trees.
        constants: let inputs after the first be constants
            (``requires_grad=False``).
        min_value, max_value: the range of the inputs' values, within
            ``MAX_ABS_VALUE``. Inputs whose magnitudes add up to more than it
            are drawn only when gates can consume them.

    Shrinks towards fewer gates, the first gates in ``gates``, chains (each
    gate reading the latest unit) and input values near 0.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20)
    ... @given(circuits(gates=[LogGate, MultGate], max_gates=4))
    ... def test_logs_take_positive_inputs(c):
    ...     for gate in c.gates:
    ...         if isinstance(gate, LogGate):
    ...             assert gate.u0.value >= 0.05
    >>> test_logs_take_positive_inputs()
    """
    if gates is None:
        specs = gate_specs()
    else:
        entries = list(gates)
        if not entries:
            raise InvalidArgument("gates is empty; pass at least one gate class, or None")
        specs = gate_specs(*entries)
    _check_int("min_gates", min_gates, 1, 1000)
    _check_int("max_gates", max_gates, 1, 1000)
    if min_gates > max_gates:
        raise InvalidArgument(f"min_gates={min_gates} must be at most max_gates={max_gates}")
    if n_inputs is not None:
        _check_int("n_inputs", n_inputs, 1, 100)
    for name, flag in (("share", share), ("constants", constants)):
        if not isinstance(flag, bool):
            raise InvalidArgument(f"{name} must be True or False, got {flag!r}")
    _check_range(min_value, max_value)
    if max(abs(min_value), abs(max_value)) > MAX_ABS_VALUE:
        raise InvalidArgument(
            f"min_value={min_value!r}, max_value={max_value!r}: the inputs must lie within "
            f"-{MAX_ABS_VALUE} to {MAX_ABS_VALUE} (MAX_ABS_VALUE), the bound every value of "
            "a drawn circuit keeps"
        )
    return _draw_circuit(
        specs, min_gates, max_gates, n_inputs, share, constants, _values(min_value, max_value)
    )


@st.composite
def _draw_circuit(
    draw: Callable[[SearchStrategy[Any]], Any],
    specs: tuple[GateSpec, ...],
    min_gates: int,
    max_gates: int,
    n_inputs: int | None,
    share: bool,
    constants: bool,
    values: SearchStrategy[float],
) -> Circuit:
    with _numbered_for_this_example():
        circuit = _build_circuit(
            draw, specs, min_gates, max_gates, n_inputs, share, constants, values
        )
    circuit.backward()
    finite = all(math.isfinite(unit.grad) for unit in circuit.units)
    scale = max(abs(gate.utop.value) for gate in circuit.gates)
    checkable = all(
        p.grad == 0.0 or abs(p.grad) * max(abs(p.value), 1.0) >= MIN_SENSITIVITY * scale
        for p in circuit.parameters()
    )
    circuit.zero_grad()
    if not (finite and checkable):
        reject()
    return circuit


def _build_circuit(
    draw: Callable[[SearchStrategy[Any]], Any],
    specs: tuple[GateSpec, ...],
    min_gates: int,
    max_gates: int,
    n_inputs: int | None,
    share: bool,
    constants: bool,
    values: SearchStrategy[float],
) -> Circuit:
    """Draw and record the circuit, naming each unit and gate as it is made.

    Every unit that feeds no gate yet is "dangling": the closing ``AddGate``s
    sum them all into the output. A gate is taken only if it keeps the sum of
    the dangling units' magnitudes within ``MAX_ABS_VALUE`` (or lowers it),
    so every partial sum the closing gates make stays within the bound too.
    """
    count = n_inputs if n_inputs is not None else draw(st.integers(1, 3))
    pool: list[Unit] = []
    for i in range(count):
        constant = constants and i > 0 and draw(st.booleans())
        unit = Unit(draw(values), requires_grad=not constant)
        name_of(unit)
        pool.append(unit)
    uses = dict.fromkeys(pool, 0)
    dangling = sum(abs(unit.value) for unit in pool)
    n_gates = draw(st.integers(min_gates, max_gates))
    with Circuit() as circuit:
        for _ in range(n_gates):
            spec = draw(st.sampled_from(specs))
            for _ in range(_TRIES):
                inputs = _pick(draw, pool, uses, spec.arity, share)
                if inputs is None:
                    break
                gate = spec.make()
                value = _valid_output(spec, gate, inputs)
                if value is None:
                    continue
                freed = sum(abs(unit.value) for unit in set(inputs) if uses[unit] == 0)
                after = dangling - freed + abs(value)
                if after > MAX_ABS_VALUE and after > dangling:
                    continue  # the closing sums could pass the bound
                name_of(gate)
                out = gate.forward(*inputs)
                name_of(out)
                for unit in inputs:
                    uses[unit] += 1
                pool.append(out)
                uses[out] = 0
                dangling = after
                break
        loose = [unit for unit in pool if uses[unit] == 0]
        if len(circuit.gates) == 0 and len(loose) < 2:
            reject()  # no drawn gate could take these inputs
        if dangling > MAX_ABS_VALUE:
            reject()  # only when the inputs alone are this large together
        total = loose[0]
        for unit in loose[1:]:
            closing = AddGate()
            name_of(closing)
            total = closing.forward(total, unit)
            name_of(total)
    return circuit


def _pick(
    draw: Callable[[SearchStrategy[Any]], Any],
    pool: list[Unit],
    uses: dict[Unit, int],
    arity: int,
    share: bool,
) -> list[Unit] | None:
    """Inputs for a gate: counted back from the newest unit, so shrinking
    leads to chains. Without sharing, only units that feed nothing yet."""
    candidates = pool if share else [unit for unit in pool if uses[unit] == 0]
    if len(candidates) < (1 if share else arity):
        return None
    picked: list[Unit] = []
    for _ in range(arity):
        if not share:
            candidates = [unit for unit in candidates if unit not in picked]
        back = draw(st.integers(0, len(candidates) - 1))
        picked.append(candidates[-1 - back])
    return picked


def _valid_output(spec: GateSpec, gate: Gate, inputs: Sequence[Unit]) -> float | None:
    """The value ``gate`` would give ``inputs``, if its domain holds and that
    value is finite and not too large; else None. Tried with the raw forward,
    which no observer (and so no recording Circuit) sees."""
    if not spec.accepts(gate, [unit.value for unit in inputs]):
        return None
    try:
        trial = forward_unrecorded(gate, *inputs)
    except (ArithmeticError, ValueError):
        return None  # a gate that raises outside its domain
    value = trial.value
    return value if math.isfinite(value) and abs(value) <= MAX_ABS_VALUE else None


def gradcheck_property(*gates: GateEntry, **options: Any) -> Callable[[], None]:
    """A ready-made hypothesis test for your gates: assign it to a ``test_`` name.

    Draws circuits mixing ``gates`` with ``AddGate`` and ``MultGate``
    (``options`` go to ``circuits()``, whose defaults are ``max_gates=6``,
    ``n_inputs=None`` (1 to 3), ``share=True``, values from -3 to 3), and
    checks on each that backward changes no unit's value and that
    ``gradcheck`` does not fail. gradcheck probes each of your gate classes by
    itself as well, so ``=`` for ``+=`` and a forgotten ``* self.utop.grad``
    fail on any circuit, even a tree. A circuit gradcheck cannot judge
    (``"inconclusive"``: a gradient lost in rounding) is set aside and
    another drawn. A failure raises ``AssertionError`` with gradcheck's whole
    report: the gate, what is wrong with it, the table.

    hypothesis' "Explanation" phase is off here: it points at lines of this
    library, not at your gate.

    >>> class CubeGate(Gate):
    ...     def forward(self, u0):
    ...         self.u0 = u0
    ...         self.utop = Unit(u0.value ** 3)
    ...         return self.utop
    ...     def backward(self):
    ...         self.u0.grad += 3 * self.u0.value ** 2 * self.utop.grad
    >>> test_cube = gradcheck_property(CubeGate, max_gates=4)
    >>> test_cube()  # pytest runs it when it sits at module level
    """
    from hypothesis import Phase, settings  # the names above are another module's

    strategy = circuits(gates=[*gates, AddGate, MultGate], **options)
    # Keep the profile's settings (settings() starts from them), all phases but explain.
    phases = tuple(phase for phase in Phase if phase is not Phase.explain)

    @settings(phases=phases)
    @given(strategy)
    def test_gradcheck_property(circuit: Circuit) -> None:
        values = [unit.value for unit in circuit.units]
        circuit.backward()
        changed = [u for u, v in zip(circuit.units, values) if u.value != v]
        if changed:
            raise AssertionError(f"backward changed the value of {changed}")
        circuit.zero_grad()
        result = gradcheck(circuit)
        if result.status == "inconclusive":
            reject()  # no evidence either way: draw another circuit
        if not result:
            raise AssertionError(str(result))

    return test_gradcheck_property
