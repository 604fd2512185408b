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

from circuits._compiled import CompiledReplay
from circuits.formatting import format_number
from gates import CircuitError, Gate, GateObserver, GateReuseError, NonFiniteError, Unit
from gates.backprop import BACKWARD_LOCK, run_backward
from gates.errors import not_a_number
from gates.graph import inputs_of, needed_by
from gates.labels import describe_gate, name_of
from gates.numerics import is_number
from gates.observe import tell_forward, unwatch, watch, watchers
from gates.rerun import recompute

if TYPE_CHECKING:
    from rich.table import Table

    from circuits.batched import BatchedCircuit

__all__ = ["Circuit"]


class Circuit(GateObserver):
    """An ordered record of gate calls that can be replayed.

    Inside ``with Circuit() as c:`` every gate ``forward`` call the block makes
    (in this thread) is recorded in order, from explicit gates and operator
    sugar alike. Afterwards:

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
        if check_finite is not True and check_finite is not False:
            raise TypeError(f"Circuit(check_finite=...) takes True or False, got {check_finite!r}")
        self.check_finite = check_finite
        self._gates: list[Gate] = []
        self._step_of_gate: dict[Gate, int] = {}
        self._made_at: dict[Unit, int] = {}  # output unit -> index of its gate
        self._plans: dict[Unit, tuple[list[Gate], list[Unit]]] = {}
        # Straight-line code for replays (circuits/_compiled.py), made on the
        # second replay: a circuit replayed once does not pay for compiling.
        self._compiled: CompiledReplay | None = None
        self._compile_tried = False
        self._replays = 0
        self._recording = False
        self._replaying = False
        self._stale: str | None = None  # why the values are not a whole forward pass

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

    def before_forward(self, gate: Gate, inputs: tuple[Unit, ...]) -> None:
        """Observer hook: refuse a gate already recorded, before it changes."""
        if not self._recording or self._replaying:
            return
        first = self._step_of_gate.get(gate)
        if first is not None:
            raise GateReuseError(
                f"{describe_gate(gate)} was forwarded again at step {len(self._gates) + 1}; "
                f"it was already recorded at step {first + 1}. A second forward would "
                "overwrite the inputs and output the gate stored, so backward for the first "
                "call would use the second call's numbers; the gate was left as it was. "
                f"Create a new gate object for each use ({type(gate).__name__}() per operation)."
            )

    def gate_forward(
        self, gate: Gate, inputs: tuple[Unit, ...], output: Unit, previous: float | None
    ) -> None:
        """Observer hook: record a gate call made inside the ``with`` block."""
        if not self._recording or self._replaying:
            return
        step = len(self._gates)
        self._gates.append(gate)
        self._step_of_gate[gate] = step
        self._made_at[output] = step
        self._plans.clear()
        self._compiled = None
        self._compile_tried = False
        self._replays = 0
        if self.check_finite:
            self._check_value(gate, step, "recording")

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
        return tuple(inputs_of(self._gates))

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
        """One line naming each gate call, its inputs' values and its output:
        what a failing property test prints for its example.

        >>> from gates import MultGate, Unit
        >>> a, b = Unit(2.0, label="a"), Unit(3.0, label="b", requires_grad=False)
        >>> with Circuit() as c:
        ...     g = MultGate()
        ...     g.label = "mul"
        ...     out = g.forward(a, b)
        >>> out.label = "out"
        >>> c
        <Circuit 1 gate: mul = MultGate(a=2.0, b=3.0) -> out=6.0; constant b>
        """
        count = len(self._gates)
        if not count:
            return "<Circuit 0 gates: nothing recorded>"
        calls = [_call_text(gate) for gate in self._gates]
        if count > _REPR_GATES:
            hidden = count - _REPR_GATES + 1
            calls = [*calls[: _REPR_GATES - 2], f"... {hidden} more", calls[-1]]
        constants = [name_of(u) for u in self.inputs if not u.requires_grad]
        text = f"<Circuit {count} gate{'' if count == 1 else 's'}: {'; '.join(calls)}"
        if len(constants) > 4:
            constants = [*constants[:3], f"... ({len(constants)} in all)"]
        if constants:
            text += f"; constant{'' if len(constants) == 1 else 's'} {', '.join(constants)}"
        return text + ">"

    def __rich__(self) -> Table:
        """The long form, for ``rich.print(c)``: a table of every gate call,
        with each input's value and the output's value and grad."""
        from rich.table import Table

        count = len(self._gates)
        table = Table(
            title=f"Circuit of {count} gate{'' if count == 1 else 's'}",
            title_justify="left",
            show_edge=False,
        )
        table.add_column("step", justify="right")
        table.add_column("gate")
        table.add_column("type")
        table.add_column("reads")
        table.add_column("writes")
        table.add_column("grad", justify="right")
        for step, gate in enumerate(self._gates, 1):
            reads = ", ".join(f"{name_of(u)}={_short(u.value)}" for u in gate.inputs)
            out = gate.utop
            grad = _short(out.grad) if out.requires_grad else "no grad"
            writes = f"{name_of(out)}={_short(out.value)}"
            table.add_row(str(step), name_of(gate), type(gate).__name__, reads, writes, grad)
        inputs = [
            f"{name_of(u)}={_short(u.value)}" + ("" if u.requires_grad else " (constant)")
            for u in self.inputs
        ]
        if inputs:
            table.caption = f"inputs: {', '.join(inputs)}"
            table.caption_justify = "left"
        return table

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
        the caller and by other gates stay valid. Returns ``self.output``. If
        a gate raises, the circuit refuses ``backward()`` until a forward
        pass completes.
        """
        last = self._last_gate("forward")
        self._stale = "forward() did not finish"
        compiled = self._fast_replay()
        if compiled is not None:
            compiled.forward()
            if last.utop.value.__class__ is not float:  # one test, not one per input
                _numbers_only(inputs_of(self._gates))  # a complex value set by hand
            self._stale = None
            return last.utop
        observed = bool(watchers())
        self._replaying = True
        try:
            for step, gate in enumerate(self._gates):
                try:
                    previous = recompute(gate)
                except Exception as exc:
                    self._stale = (
                        f"the last forward() stopped at step {step + 1}, where "
                        f"{describe_gate(gate)} raised {type(exc).__name__}: {exc}"
                    )
                    raise
                if observed:
                    tell_forward(gate, gate.inputs, gate.utop, previous)
                if self.check_finite:
                    self._check_value(gate, step, "forward")
        finally:
            self._replaying = False
        self._stale = None
        return last.utop

    def backward(self, output: Unit | None = None) -> None:
        """Seed ``output`` (default: the last gate's) and run backward over the
        gates it depends on, in reverse recorded order.

        Follows the same rule as ``Unit.backward()``: grads accumulate across
        calls and each call adds only its own contribution. If a gate raises,
        every grad is left as it was before the call.
        """
        if output is None:
            output = self._last_gate("backward").utop
        if self._stale is not None:
            raise CircuitError(
                f"backward() needs the values of a whole forward pass, but {self._stale}. "
                "Fix the cause and call forward() again."
            )
        plan, plan_inputs = self._plan(output)
        compiled = self._fast_replay()
        if compiled is not None:
            compiled.backward(output, plan, plan_inputs)
            return
        check = self._check_grads if self.check_finite else None
        with BACKWARD_LOCK:
            inputs = {unit: unit.grad for unit in plan_inputs}
            run_backward(output, plan, inputs, after_gate=check)

    def _fast_replay(self, *, count: bool = True) -> CompiledReplay | None:
        """The compiled replay, when it may stand in for the gates' own methods.

        Only when nothing observes the gates (a Tracer must see each call),
        ``check_finite`` is off, and every gate is a built-in one. Compiled
        from the second replay on, so a single replay does not pay for
        compiling, and again when an input's ``requires_grad`` has changed.
        """
        if watchers() or self.check_finite or not self._gates:
            return None
        if self._compiled is not None and not self._compiled.is_current():
            self._compiled = None
            self._compile_tried = False
            self._replays = 2
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

    def _plan(self, output: Unit) -> tuple[list[Gate], list[Unit]]:
        """The recorded gates ``output`` depends on, in recorded order, and
        the units they read that none of them made (cached)."""
        plan = self._plans.get(output)
        if plan is not None:
            return plan
        if not isinstance(output, Unit):
            raise TypeError(
                f"Circuit.backward() takes an output Unit of this circuit, got {output!r} "
                f"({type(output).__name__}); call c.backward() for the last output, or pass "
                "the Unit itself, such as c.output"
            )
        if output not in self._made_at:
            self._last_gate("backward")
            raise CircuitError(
                f"backward({name_of(output)}): this unit was not produced by a gate of "
                f"this circuit (it holds {len(self._gates)} gates). Pass one of its "
                "outputs, such as c.output, or record the gates that make this unit."
            )
        gates = needed_by(output, self._gates[: self._made_at[output] + 1])
        plan = self._plans[output] = (gates, inputs_of(gates))
        return plan

    def _step_of(self, gate: Gate) -> int:
        return self._step_of_gate.get(gate, -1) + 1

    def _check_value(self, gate: Gate, step: int, phase: str) -> None:
        value = gate.utop.value
        if not math.isfinite(value):
            raise NonFiniteError(
                f"{describe_gate(gate)} at step {step + 1} ({phase}) produced "
                f"{name_of(gate.utop)} = {value!r} from inputs "
                f"{_list_values(gate.inputs)}. Check the inputs' range (log of a "
                "non-positive number, exp of a large one, division by zero, a nan "
                "input) or lower the learning rate."
            )

    def _check_grads(self, gate: Gate) -> None:
        for position, unit in enumerate(gate.inputs):
            if unit.requires_grad and not math.isfinite(unit.grad):
                raise NonFiniteError(
                    f"{describe_gate(gate)} at step {self._step_of(gate)} (backward) "
                    f"gave input {position} ({name_of(unit)}) the gradient "
                    f"{unit.grad!r}, with upstream grad {gate.utop.grad!r} and inputs "
                    f"{_list_values(gate.inputs)}. Its local derivative is not finite "
                    "there: keep inputs away from that point or lower the learning rate."
                )


_REPR_GATES = 6  # a longer circuit's repr shows its first gates and its last


def _short(x: float) -> str:
    """A number as Python writes it when that is short (``0.5``), else as
    traces show it (``0.8808``), with four significant digits when small or
    large (``0.001953``, ``7.451e-09``)."""
    text = repr(x)
    if len(text) <= 8:
        return text
    if math.isfinite(x) and 0.1 <= abs(x) < 1e5:
        return format_number(x)
    return f"{x:.4g}"


def _call_text(gate: Gate) -> str:
    """``g1 = MultGate(u1=2.0, u2=3.0) -> u3=6.0``."""
    reads = ", ".join(f"{name_of(u)}={_short(u.value)}" for u in gate.inputs)
    out = gate.utop
    return f"{name_of(gate)} = {type(gate).__name__}({reads}) -> {name_of(out)}={_short(out.value)}"


def _numbers_only(units: list[Unit]) -> None:
    """Refuse, naming it, an input whose value was set by hand to a number
    that is not real: compiled code would compute with a complex number
    silently (the gates' own forward refuses it when it makes its Unit)."""
    bad = [u for u in units if not is_number(u.value)]
    advice = not_a_number(bad) if bad else None
    if advice is not None:
        raise advice


def _list_values(units: tuple[Unit, ...]) -> str:
    return ", ".join(f"{name_of(u)}={u.value!r}" for u in units)
