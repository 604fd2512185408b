"""``Circuit``: record gate calls once, then replay forward and backward.

>>> from gates import Unit
>>> w, b = Unit(2.0, label="w"), Unit(-1.0, label="b")
>>> x = Unit(3.0, label="x", requires_grad=False)
>>> with Circuit() as c:
...     y = (w * x + b).relu()
>>> len(c.gates), y.value
(3, 5.0)
>>> c.backward()
>>> w.grad, b.grad
(3.0, 1.0)
>>> x.value = -1.0           # change an input, then replay in place
>>> c.forward() is y, y.value
(True, 0.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING

from circuits._replay import CompiledReplay
from gates import CircuitError, Gate, GateReuseError, NonFiniteError, Unit
from gates.backprop import backpropagate
from gates.gate import recompute
from gates.naming import describe_gate, name_of
from gates.observe import _observers, tell_forward, unwatch, watch

if TYPE_CHECKING:
    from circuits.batched import BatchedCircuit

__all__ = ["Circuit"]


class Circuit:
    """An ordered record of gate calls that can be replayed.

    Inside ``with Circuit() as c:`` every gate ``forward`` call is recorded in
    order, from explicit gates and operator sugar alike. Afterwards:

    * ``c.backward(output=None)`` seeds the output (by default the last gate's)
      and runs the gates it depends on backward, in reverse order;
    * ``c.zero_grad()`` sets every unit's grad to 0;
    * ``c.forward()`` recomputes every gate from the current input values,
      writing into the same Unit objects, and returns the output.

    Args:
        check_finite: raise ``NonFiniteError`` at the first gate whose output
            value or input gradient becomes ``nan`` or ``inf``.

    Example:
        >>> from gates import Unit
        >>> a = Unit(1.5, label="a")
        >>> with Circuit() as c:                 # build once ...
        ...     loss = (a * a - 2.0) ** 2
        >>> for step in range(20):               # ... train by replaying
        ...     c.zero_grad()
        ...     c.backward()
        ...     a.value -= 0.05 * a.grad
        ...     _ = c.forward()
        >>> round(a.value, 6)                    # the loss is 0 at sqrt(2)
        1.414214
    """

    def __init__(self, *, check_finite: bool = False) -> None:
        self.check_finite = check_finite
        self._gates: list[Gate] = []
        self._recorded: set[Gate] = set()
        self._made_at: dict[Unit, int] = {}  # output unit -> index of its gate
        self._plans: dict[Unit, list[Gate]] = {}
        # Straight-line code for replays (circuits/_replay.py), built on the
        # second replay: a circuit replayed once does not pay for compiling.
        self._compiled: CompiledReplay | None = None
        self._compile_tried = False
        self._replays = 0
        self._recording = False
        self._replaying = False

    # -- recording ---------------------------------------------------------

    def __enter__(self) -> Circuit:
        if self._recording:
            raise CircuitError("this Circuit is already recording; do not nest it in itself")
        self._recording = True
        watch(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._recording = False
        unwatch(self)

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        """Observer hook: record a gate call made inside the ``with`` block."""
        if not self._recording or self._replaying:
            return
        step = len(self._gates)
        if gate in self._recorded:
            first = self._gates.index(gate)
            raise GateReuseError(
                f"{describe_gate(gate)} was forwarded again at step {step + 1}; it was "
                f"already recorded at step {first + 1}. A second forward overwrites the "
                "inputs and output the gate stored, so backward for the first call "
                "would use the second call's numbers. Create a new gate object for "
                f"each use ({type(gate).__name__}() per operation)."
            )
        self._recorded.add(gate)
        self._gates.append(gate)
        self._made_at[output] = step
        self._plans.clear()
        self._compiled = None
        self._compile_tried = False
        self._replays = 0
        if self.check_finite:
            self._check_value(gate, step, "recording")

    def gate_backward(self, gate: Gate, grads_before: tuple[float, ...]) -> None:
        """Observer hook: backward calls are not recorded."""

    # -- what was recorded -------------------------------------------------

    @property
    def gates(self) -> tuple[Gate, ...]:
        """The recorded gates, in the order their forward calls happened."""
        return tuple(self._gates)

    @property
    def units(self) -> tuple[Unit, ...]:
        """Every unit the gates read or wrote, in order of first appearance."""
        seen: dict[Unit, None] = {}
        for gate in self._gates:
            for unit in gate.inputs:
                seen[unit] = None
            seen[gate.utop] = None
        return tuple(seen)

    @property
    def inputs(self) -> tuple[Unit, ...]:
        """Units read by the gates but made by none of them (constants included)."""
        return tuple(u for u in self.units if u not in self._made_at)

    def parameters(self) -> list[Unit]:
        """The inputs that take a gradient: what a training loop updates."""
        return [u for u in self.inputs if u.requires_grad]

    @property
    def output(self) -> Unit:
        """The last recorded gate's output."""
        return self._last_gate("output").utop

    def __len__(self) -> int:
        return len(self._gates)

    def __iter__(self) -> Iterator[Gate]:
        return iter(self._gates)

    def __repr__(self) -> str:
        return f"<Circuit of {len(self._gates)} gates>"

    # -- replay ------------------------------------------------------------

    def zero_grad(self) -> None:
        """Set the grad of every unit in the circuit to 0.0."""
        compiled = self._fast_replay(count=False)
        if compiled is not None:
            compiled.zero_grad()
            return
        for gate in self._gates:
            for unit in gate.inputs:
                unit.grad = 0.0
            gate.utop.grad = 0.0

    def forward(self) -> Unit:
        """Recompute every gate, in order, from the inputs' current values.

        Values are written into the same Unit objects, so references held by
        the caller and by other gates stay valid. Returns ``self.output``.
        """
        last = self._last_gate("forward")
        compiled = self._fast_replay()
        if compiled is not None:
            compiled.forward()
            return last.utop
        observed = bool(_observers)
        self._replaying = True
        try:
            for step, gate in enumerate(self._gates):
                previous = recompute(gate)
                if observed:
                    tell_forward(gate, gate.inputs, gate.utop, previous)
                if self.check_finite:
                    self._check_value(gate, step, "forward")
        finally:
            self._replaying = False
        return last.utop

    def backward(self, output: Unit | None = None) -> None:
        """Seed ``output`` (default: the last gate's) and run backward over the
        gates it depends on, in reverse recorded order.

        Follows the same rule as ``Unit.backward()``: grads accumulate across
        calls and each call adds only its own contribution.
        """
        if output is None:
            output = self._last_gate("backward").utop
        plan = self._plan(output)
        compiled = self._fast_replay()
        if compiled is not None:
            compiled.backward(output, plan)
            return
        check = self._check_grads if self.check_finite else None
        backpropagate(output, plan, after_gate=check)

    def _fast_replay(self, *, count: bool = True) -> CompiledReplay | None:
        """The compiled replay, when it may stand in for the gates' own methods.

        Only when nothing observes the gates (a Tracer must see each call),
        ``check_finite`` is off, and every gate has a twin (a user's gate
        without one always runs its own methods). Compiled from the second
        replay on, so a single replay does not pay for compiling.
        """
        if _observers or self.check_finite or not self._gates:
            return None
        if self._compiled is None and not self._compile_tried:
            if count:
                self._replays += 1
            if self._replays < 2:
                return None
            self._compile_tried = True
            self._compiled = CompiledReplay.of(self._gates)
        return self._compiled

    def batched(self, output: Unit | None = None, *, fuse: bool = True) -> BatchedCircuit:
        """This circuit as a NumPy program over a batch (needs numpy).

        Feed arrays to input units with ``.run({x: xs, ...})``; the result has
        the output for each sample and each parameter's gradient summed over
        the batch. Layers of neurons run as matrix products unless ``fuse`` is
        False (one array operation per gate). See :mod:`circuits.batched`.
        """
        from circuits.batched import BatchedCircuit

        return BatchedCircuit(self, output, fuse=fuse)

    # -- helpers -----------------------------------------------------------

    def _last_gate(self, action: str) -> Gate:
        if not self._gates:
            raise CircuitError(
                f"{action}() on an empty circuit: no gate was recorded. Build the "
                "circuit inside `with Circuit() as c:` (gate forward calls or "
                "arithmetic on Units), then call it after the block."
            )
        return self._gates[-1]

    def _plan(self, output: Unit) -> list[Gate]:
        """The recorded gates ``output`` depends on, in recorded order (cached)."""
        plan = self._plans.get(output)
        if plan is not None:
            return plan
        if output not in self._made_at:
            self._last_gate("backward")
            raise CircuitError(
                f"backward({name_of(output)}): this unit was not produced by a gate of "
                f"this circuit (it holds {len(self._gates)} gates). Pass one of its "
                "outputs, such as c.output, or record the gates that make this unit."
            )
        needed = {output}
        plan = []
        for gate in reversed(self._gates[: self._made_at[output] + 1]):
            if gate.utop in needed:
                plan.append(gate)
                needed.update(gate.inputs)
        plan.reverse()
        self._plans[output] = plan
        return plan

    def _step_of(self, gate: Gate) -> int:
        return self._made_at.get(gate.utop, -1) + 1

    def _check_value(self, gate: Gate, step: int, phase: str) -> None:
        value = gate.utop.value
        if not math.isfinite(value):
            raise NonFiniteError(
                f"{describe_gate(gate)} at step {step + 1} ({phase}) produced "
                f"{name_of(gate.utop)} = {value!r} from inputs "
                f"{_list_values(gate.inputs)}. Check the inputs' range (log of a "
                "non-positive number, exp of a large one, division by zero) or "
                "lower the learning rate."
            )

    def _check_grads(self, gate: Gate, index: int) -> None:
        for position, unit in enumerate(gate.inputs):
            if not math.isfinite(unit.grad):
                raise NonFiniteError(
                    f"{describe_gate(gate)} at step {self._step_of(gate)} (backward) "
                    f"gave input {position} ({name_of(unit)}) the gradient "
                    f"{unit.grad!r}, with upstream grad {gate.utop.grad!r} and inputs "
                    f"{_list_values(gate.inputs)}. Its local derivative is not finite "
                    "there: keep inputs away from that point or lower the learning rate."
                )


def _list_values(units: tuple[Unit, ...]) -> str:
    return ", ".join(f"{name_of(u)}={u.value!r}" for u in units)
