"""``gradcheck``: compare backward's gradients with central differences.

Backward computes each parameter's gradient from the gates' own local
derivatives. ``gradcheck`` measures the same gradient a second way, by nudging
the parameter up and down by ``eps`` and replaying the circuit forward, and
compares the two. When they disagree it finds the gate to blame: the first gate
below the worst parameter whose ``backward`` disagrees with its own ``forward``.

>>> from gates import Unit
>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> out = (a * b + a).tanh()
>>> out.label = "out"
>>> result = gradcheck(out)
>>> bool(result), [row.name for row in result.rows]
(True, ['a', 'b'])
>>> print(result.summary)  # doctest: +ELLIPSIS
gradcheck passed: 2 parameters of out, worst relative error ...
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.table import Table
from rich.text import Text

from circuits._differences import ROUNDING, central_difference, gate_difference, replay, slopes
from circuits.circuit import Circuit
from gates import Gate, Unit
from gates.backprop import run_backward, walk_back
from gates.graph import inputs_of, needed_by
from gates.labels import describe_gate, name_of
from gates.rerun import local_grads

__all__ = [
    "Blame",
    "GradcheckResult",
    "GradcheckRow",
    "Kink",
    "KinkWarning",
    "agree",
    "gradcheck",
    "relative_error",
]


class KinkWarning(UserWarning):
    """A gate input sits within ``eps`` of a kink (ReLU at 0), where the
    numerical derivative straddles two slopes and cannot be trusted."""


@dataclass(frozen=True)
class GradcheckRow:
    """One parameter's figures: backward's gradient against the numerical one."""

    unit: Unit
    name: str
    value: float
    analytic: float
    numeric: float
    relative_error: float
    ok: bool


@dataclass(frozen=True)
class Blame:
    """The gate whose ``backward`` disagrees with its ``forward``.

    ``analytic`` is d(output)/d(input ``position``) as the gate's backward
    gives it (``gates.local_grads``), ``numeric`` the same by central
    differences over that gate alone. When ``overwrites`` is True the local
    derivative is right but backward does not *add* it times the upstream
    grad (it assigns with ``=``, or leaves out ``self.utop.grad``):
    ``analytic`` is then what it added with upstream grad 2 to a grad that
    held 1, ``numeric`` what it should have added.
    """

    gate: Gate
    position: int
    input_name: str
    analytic: float
    numeric: float
    overwrites: bool = False

    def __str__(self) -> str:
        where = f"input {self.position}, {self.input_name}"
        if self.overwrites:
            return (
                f"{describe_gate(self.gate)}: its backward does not add local derivative x "
                f"upstream grad into the grad of {where} (with upstream grad 2 it added "
                f"{self.analytic:.6g} to a grad of 1, not {self.numeric:.6g}); write "
                "`u.grad += local * self.utop.grad` so gradients from every path add up"
            )
        return (
            f"{describe_gate(self.gate)}: its backward gives d(out)/d({where}) = "
            f"{self.analytic:.6g}, but nudging that input gives {self.numeric:.6g}; "
            "check that gate's backward"
        )


@dataclass(frozen=True)
class Kink:
    """A gate whose slope differs left and right of an input, within ``eps``."""

    gate: Gate
    position: int
    input_name: str
    value: float
    left: float
    right: float

    def __str__(self) -> str:
        return (
            f"{describe_gate(self.gate)} has a kink within eps of its input {self.position} "
            f"({self.input_name} = {self.value!r}): slope {self.left:.3g} from the left, "
            f"{self.right:.3g} from the right"
        )


class GradcheckResult:
    """What ``gradcheck`` found: truthy when every parameter passed.

    Attributes:
        rows: one ``GradcheckRow`` per checked parameter, in circuit order.
        blame: on failure, the first gate downstream of the worst parameter
            whose own local derivative is wrong (``None`` if every gate's agrees,
            e.g. when a kink or rounding explains the mismatch).
        kinks: gate inputs found within ``eps`` of a kink (each also warned).
        eps, rtol, atol: the settings used.
        noise: the rounding noise allowed on top of ``atol`` (see ``gradcheck``).

    Renders as a table with rich (``rich.print(result)``); ``str()`` gives a
    plain-text version and ``repr()`` a one-line summary naming the blamed gate.
    """

    def __init__(
        self,
        *,
        output_name: str,
        rows: Sequence[GradcheckRow],
        blame: Blame | None,
        kinks: Sequence[Kink],
        eps: float,
        rtol: float,
        atol: float,
        noise: float,
    ) -> None:
        self.output_name = output_name
        self.rows = tuple(rows)
        self.blame = blame
        self.kinks = tuple(kinks)
        self.eps = eps
        self.rtol = rtol
        self.atol = atol
        self.noise = noise

    @property
    def passed(self) -> bool:
        """Whether every checked parameter's gradients agree."""
        return all(row.ok for row in self.rows)

    def __bool__(self) -> bool:
        return self.passed

    @property
    def failures(self) -> tuple[GradcheckRow, ...]:
        """The rows that failed, worst first."""
        return tuple(sorted((r for r in self.rows if not r.ok), key=_badness, reverse=True))

    @property
    def worst(self) -> GradcheckRow | None:
        """The failing row with the largest error, else the row closest to failing."""
        if not self.rows:
            return None
        failures = self.failures
        return failures[0] if failures else max(self.rows, key=_badness)

    @property
    def summary(self) -> str:
        """One line: passed or failed, how many parameters, the worst error, the blame."""
        n = len(self.rows)
        what = f"{n} parameter{'s' if n != 1 else ''} of {self.output_name}"
        worst = self.worst
        worst_text = "" if worst is None else f", worst relative error {worst.relative_error:.1e}"
        if self.passed:
            text = f"gradcheck passed: {what}{worst_text}"
        else:
            bad = ", ".join(row.name for row in self.failures)
            text = f"gradcheck FAILED for {bad} ({what}{worst_text})"
            if self.blame is not None:
                text += f"; blame {self.blame}"
            else:
                text += "; every gate's local derivative agrees with its numerical one"
        if self.kinks:
            text += f"; {len(self.kinks)} input(s) within eps of a kink"
        return text

    def __repr__(self) -> str:
        return f"<GradcheckResult {self.summary}>"

    def __str__(self) -> str:
        header = ("unit", "value", "analytic", "numeric", "rel. error", "ok")
        lines = [header, *(_cells(row) for row in self.rows)]
        widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
        table = [
            "  ".join(
                cell.rjust(width) if i else cell.ljust(width)
                for i, (cell, width) in enumerate(zip(line, widths))
            ).rstrip()
            for line in lines
        ]
        notes = [f"kink: {kink}" for kink in self.kinks]
        return "\n".join([self.summary, *table, *notes])

    def __rich__(self) -> Table:
        table = Table(title=self.summary, title_justify="left")
        table.add_column("unit")
        for heading in ("value", "analytic", "numeric", "rel. error"):
            table.add_column(heading, justify="right")
        table.add_column("ok", justify="center")
        for row in self.rows:
            *cells, ok = _cells(row)
            table.add_row(*cells, Text(ok, style="green" if row.ok else "bold red"))
        if self.kinks:
            table.caption = "\n".join(f"kink: {kink}" for kink in self.kinks)
        return table


def _badness(row: GradcheckRow) -> float:
    error = row.relative_error
    return math.inf if math.isnan(error) else error


def _cells(row: GradcheckRow) -> tuple[str, str, str, str, str, str]:
    return (
        row.name,
        f"{row.value:.6g}",
        f"{row.analytic:.6g}",
        f"{row.numeric:.6g}",
        f"{row.relative_error:.1e}",
        "ok" if row.ok else "FAIL",
    )


def relative_error(analytic: float, numeric: float) -> float:
    """``|a - n| / max(|a|, |n|)``, 0.0 when both are 0 (CS231n's measure).

    >>> relative_error(1.0, 1.01) < 0.01, relative_error(0.0, 0.0)
    (True, 0.0)
    """
    scale = max(abs(analytic), abs(numeric))
    if scale == 0.0:
        return 0.0
    if math.isinf(scale):
        return 0.0 if analytic == numeric else math.inf
    return abs(analytic - numeric) / scale


def agree(analytic: float, numeric: float, *, rtol: float, atol: float) -> bool:
    """True when ``|a - n| <= atol`` (both near zero) or the relative error is
    at most ``rtol``; nan never agrees.

    >>> agree(1e-12, -1e-12, rtol=1e-5, atol=1e-8), agree(1.0, 2.0, rtol=1e-5, atol=1e-8)
    (True, False)
    """
    if math.isnan(analytic) or math.isnan(numeric):
        return False
    if analytic == numeric:  # also equal infinities
        return True
    return abs(analytic - numeric) <= atol or relative_error(analytic, numeric) <= rtol


def gradcheck(
    target: Circuit | Unit,
    *,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-8,
    wrt: Unit | Iterable[Unit] | None = None,
) -> GradcheckResult:
    """Check backward's gradient of every parameter against central differences.

    For each parameter ``p`` (a leaf unit that requires grad; or each unit in
    ``wrt``) the numerical gradient is ``(f(p + eps) - f(p - eps)) / (2 eps)``,
    where ``f`` replays the circuit forward in place. The analytic gradient is
    what one backward call from zeroed grads gives, by the usual gradient rule.
    A parameter passes when ``|a - n| <= atol`` or ``|a - n| / max(|a|, |n|) <=
    rtol`` (CS231n's relative error, with an absolute floor for gradients near
    zero). ``atol`` is widened by the rounding noise of the difference itself,
    about ``2**-52 * sum(|value * grad|) / eps`` over the circuit's units, so a
    large intermediate value cannot fail a tiny gradient by rounding alone.

    Afterwards every value and grad is exactly as it was, and every gate has
    been replayed at the original values.

    Args:
        target: a ``Circuit`` (checks ``c.output`` against ``c.parameters()``)
            or an output ``Unit`` (checks it against the leaves it depends on).
        eps: the nudge, an absolute step.
        rtol: the largest relative error that passes.
        atol: the absolute floor: differences this small always pass.
        wrt: check only this unit or these units (each an input of the
            target that requires grad).

    Returns:
        A ``GradcheckResult``: truthy when every parameter passes, with a
        per-parameter table, and on failure the gate to blame.

    Warns:
        KinkWarning: a gate input sits within ``eps`` of a kink, such as a
            ReLU input at 0, where the numerical derivative is unreliable.

    Example:
        >>> from gates import Unit
        >>> w, x = Unit(0.5, label="w"), Unit(2.0, label="x", requires_grad=False)
        >>> loss = (w * x).sigmoid()
        >>> result = gradcheck(loss)
        >>> result.passed, result.rows[0].name, round(result.rows[0].numeric, 6)
        (True, 'w', 0.393224)
    """
    _check_settings(eps, rtol, atol)
    output, order, leaves = _graph_of(target)
    params = _choose(leaves, wrt, output)
    units = _units_of(output, order)
    saved = [(unit, unit.value, unit.grad) for unit in units]
    try:
        analytic, upstream, noise = _analytic(output, order, params, units, eps)
        numeric = [_numeric_gradient(p, output, order, eps) for p in params]
        _restore(saved, order)
        tolerance = atol + noise
        rows = [
            GradcheckRow(
                unit=p,
                name=name_of(p),
                value=p.value,
                analytic=a,
                numeric=n,
                relative_error=relative_error(a, n),
                ok=agree(a, n, rtol=rtol, atol=tolerance),
            )
            for p, a, n in zip(params, analytic, numeric)
        ]
        kinks = _find_kinks(order, eps, rtol, atol)
        blame = None
        if not all(row.ok for row in rows):
            worst = max((r for r in rows if not r.ok), key=_badness)
            kinked = {kink.gate for kink in kinks}
            suspects = [g for g in _below(worst.unit, order) if g not in kinked]
            blame = _find_blame(suspects, upstream, eps, rtol, atol)
    finally:
        _restore(saved, order)
    for kink in kinks:
        warnings.warn(
            f"{kink}. Central differences through it mix two slopes, so its gradients "
            "cannot be checked here; move the input away from the kink.",
            KinkWarning,
            stacklevel=2,
        )
    return GradcheckResult(
        output_name=name_of(output),
        rows=rows,
        blame=blame,
        kinks=kinks,
        eps=eps,
        rtol=rtol,
        atol=atol,
        noise=noise,
    )


def _restore(saved: Sequence[tuple[Unit, float, float]], order: Sequence[Gate]) -> None:
    """Every value and grad as found; the gates replayed there, so state they
    keep besides their output (a cache) is back too."""
    for unit, value, _ in saved:
        unit.value = value
    replay(order)
    for unit, value, grad in saved:
        unit.value = value  # bit for bit, whatever the replay computed
        unit.grad = grad


def _numeric_gradient(param: Unit, output: Unit, order: Sequence[Gate], eps: float) -> float:
    try:
        return central_difference(param, output, _below(param, order), eps)
    except (ArithmeticError, ValueError) as exc:
        # A user's gate that raises outside its domain (math.sqrt of a
        # negative): say which nudge took it there.
        raise ValueError(
            f"gradcheck: nudging {name_of(param)} = {param.value!r} by eps={eps:g} made a gate "
            f"raise {type(exc).__name__}: {exc}. Keep every gate's inputs further than eps "
            "inside its domain, or use a smaller eps."
        ) from exc


def _check_settings(eps: float, rtol: float, atol: float) -> None:
    for name, setting in (("eps", eps), ("rtol", rtol), ("atol", atol)):
        if isinstance(setting, bool) or not isinstance(setting, (int, float)):
            raise TypeError(f"gradcheck: {name} must be a number, got {setting!r}")
        if not math.isfinite(setting) or setting < 0:
            raise ValueError(f"gradcheck: {name} must be a finite number >= 0, got {setting!r}")
    if eps == 0:
        raise ValueError("gradcheck: eps must be > 0 (try the default, 1e-6)")


def _graph_of(target: Circuit | Unit) -> tuple[Unit, list[Gate], list[Unit]]:
    """The output, the gates it depends on (each after its inputs' gates), and
    the leaves it depends on, in order of first use."""
    if isinstance(target, Circuit):
        if not target.gates:
            raise ValueError(
                "gradcheck: the circuit is empty; record gates inside `with Circuit() as c:` first"
            )
        output = target.output
        # The circuit's own recorded gates only: a unit it read but did not
        # make is one of its inputs, even if some other gate made it.
        order = needed_by(output, target.gates)
    elif isinstance(target, Unit):
        output = target
        order = walk_back(output)[0]
    else:
        raise TypeError(
            f"gradcheck: target must be a Circuit or an output Unit, got {target!r} "
            f"({type(target).__name__})"
        )
    leaves = inputs_of(order)
    if not order:
        leaves = [output]  # a bare unit: d(u)/d(u) is 1
    return output, order, leaves


def _choose(leaves: list[Unit], wrt: Unit | Iterable[Unit] | None, output: Unit) -> list[Unit]:
    if wrt is None:
        return [u for u in leaves if u.requires_grad]
    if isinstance(wrt, Unit):
        wrt = [wrt]
    chosen: list[Unit] = []
    known = set(leaves)
    for unit in wrt:
        if not isinstance(unit, Unit):
            raise TypeError(f"gradcheck: wrt must hold Units, got {unit!r} ({type(unit).__name__})")
        if unit not in known:
            raise ValueError(
                f"gradcheck: {name_of(unit)} is not an input of {name_of(output)} (it is made by "
                "a gate, or the output does not depend on it); wrt takes the leaf units "
                "the check nudges, such as c.parameters()"
            )
        if not unit.requires_grad:
            raise ValueError(
                f"gradcheck: {name_of(unit)} was made with requires_grad=False, so backward "
                "gives it no gradient to check; leave it out of wrt"
            )
        if unit not in chosen:
            chosen.append(unit)
    return chosen


def _units_of(output: Unit, order: Sequence[Gate]) -> list[Unit]:
    units: dict[Unit, None] = {output: None}
    for gate in order:
        units.update(dict.fromkeys(gate.inputs))
        units[gate.utop] = None
    return list(units)


def _analytic(
    output: Unit,
    order: Sequence[Gate],
    params: Sequence[Unit],
    units: Sequence[Unit],
    eps: float,
) -> tuple[list[float], dict[Gate, float], float]:
    """One backward call from zeroed grads: the parameters' grads, each gate's
    upstream grad (d output / d its output), and the rounding-noise estimate."""
    for unit in units:
        unit.grad = 0.0
    run_backward(output, order, inputs_of(order))
    grads = [p.grad for p in params]
    upstream = {gate: gate.utop.grad for gate in order}
    # Replaying forward rounds each gate's output by about ROUNDING * |value|,
    # which reaches the output scaled by that unit's grad; the difference of
    # two replays over a step of 2 eps can be off by the sum of it all / eps.
    spread = sum(abs(g.utop.value * g.utop.grad) for g in order) + abs(output.value)
    noise = 4.0 * ROUNDING * spread / eps
    return grads, upstream, noise if math.isfinite(noise) else 0.0


def _below(unit: Unit, order: Sequence[Gate]) -> list[Gate]:
    """The gates of ``order`` whose output depends on ``unit``, in order."""
    reached = {unit}
    below: list[Gate] = []
    for gate in order:
        for u in gate.inputs:
            if u in reached:
                reached.add(gate.utop)
                below.append(gate)
                break
    return below


def _find_kinks(order: Sequence[Gate], eps: float, rtol: float, atol: float) -> list[Kink]:
    """Gate inputs where the gate's slope jumps within ``eps``.

    Generic, so it finds kinks in users' gates too: the slope left of the
    input differs from the slope right of it in a way smooth curvature cannot
    explain (``Slopes.kinked``), and the central difference over the gate
    misses the gate's own local derivative (else the kink does no harm here).
    """
    kinks: list[Kink] = []
    for gate in order:
        if not gate.utop.requires_grad:
            continue  # no parameter is upstream: no nudge can cross its kink
        local = local_grads(gate)
        for position, unit in _distinct_inputs(gate):
            if not unit.requires_grad or not math.isfinite(unit.value):
                continue
            around = slopes(gate, unit, eps)
            if around.kinked and not agree(
                local[position], around.centre, rtol=rtol, atol=atol + around.noise
            ):
                kink = Kink(gate, position, name_of(unit), unit.value, around.left, around.right)
                kinks.append(kink)
    return kinks


def _distinct_inputs(gate: Gate) -> list[tuple[int, Unit]]:
    seen: set[Unit] = set()
    found = []
    for position, unit in enumerate(gate.inputs):
        if unit not in seen:
            seen.add(unit)
            found.append((position, unit))
    return found


def _find_blame(
    suspects: Sequence[Gate], upstream: dict[Gate, float], eps: float, rtol: float, atol: float
) -> Blame | None:
    """The first of ``suspects`` whose backward is wrong: its local derivative
    disagrees with central differences over the gate alone, or it does not
    add local derivative x upstream grad into its inputs' grads.

    A gate alone is checked more tightly than the whole circuit: its central
    difference is accurate to its own rounding noise, and errors too small to
    fail the circuit one by one may fail it together. A gate whose output
    does not matter here (upstream grad 0) cannot be the cause.
    """
    local_atol = 1e-3 * atol
    for gate in suspects:
        if not gate.utop.requires_grad or upstream.get(gate, 1.0) == 0.0:
            continue  # nothing its backward does reaches a parameter
        analytic = local_grads(gate)
        # (a constant input reads 0 from local_grads by design: not checked)
        checked = [(p, u) for p, u in _distinct_inputs(gate) if u.requires_grad]
        noise = 4.0 * ROUNDING * abs(gate.utop.value) / eps
        for position, unit in checked:
            numeric = gate_difference(gate, unit, eps)
            if not agree(analytic[position], numeric, rtol=rtol, atol=local_atol + noise):
                return Blame(gate, position, name_of(unit), analytic[position], numeric)
        added = local_grads(gate, upstream=_PROBE_UPSTREAM, before=_PROBE_BEFORE)
        for position, unit in checked:
            expected = analytic[position] * _PROBE_UPSTREAM
            if not agree(added[position], expected, rtol=rtol, atol=local_atol + 4 * ROUNDING):
                return Blame(gate, position, name_of(unit), added[position], expected, True)
    return None


# The second backward probe: an upstream grad other than 1 and input grads
# that already hold something, so `grad = local` and `grad += local` (no
# upstream factor) both show.
_PROBE_UPSTREAM = 2.0
_PROBE_BEFORE = 1.0
