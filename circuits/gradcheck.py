"""``gradcheck``: compare backward's gradients with central differences.

Backward computes each parameter's gradient from the gates' own local
derivatives. ``gradcheck`` measures the same gradient a second way, by nudging
the parameter up and down and replaying the circuit forward, and compares the
two. It also probes every gate class that is not built in on a gate of that
class by itself (``circuits/_probes.py``), because a circuit can hide the
commonest slips: ``=`` for ``+=`` and a forgotten ``* self.utop.grad``.

Each parameter's row ends ``passed``, ``failed`` or ``inconclusive``: a row
whose numerical slope cannot tell a right gradient from a wrong one (its
effect on the output is lost in the output's rounding, the step is too
large, a kink) is inconclusive and says why. The result is truthy only when
everything passed.

>>> from gates import Unit
>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> out = (a * b + a).tanh()
>>> out.label = "out"
>>> result = gradcheck(out)
>>> result.status, [row.name for row in result.rows]
('passed', ['a', 'b'])
>>> print(result.summary)  # doctest: +ELLIPSIS
gradcheck passed: 2 parameters of out, worst relative error ...
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.table import Table
from rich.text import Text

from circuits._differences import (
    WIDEST,
    Verdict,
    central_difference,
    judge,
    moves,
    replay,
    rounding_noise,
    slopes,
)
from circuits._probes import Blame, probe
from circuits.circuit import Circuit
from circuits.names import NameIndex, Names
from gates import BUILTIN_GATES, Gate, Unit
from gates.backprop import BACKWARD_LOCK, run_backward, walk_back
from gates.graph import inputs_of, needed_by
from gates.labels import name_of
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

PASSED, FAILED, INCONCLUSIVE = "passed", "failed", "inconclusive"


class KinkWarning(UserWarning):
    """A nudge of a parameter carries a gate input across a kink (ReLU at 0),
    where the numerical derivative mixes two slopes and cannot be trusted."""


@dataclass(frozen=True)
class GradcheckRow:
    """One parameter's figures: backward's gradient against the numerical one.

    ``status`` is ``"passed"``, ``"failed"`` or ``"inconclusive"``; ``why``
    explains a row that did not pass, in words, and ``reason`` names why in a
    word or two: ``"agrees"``, ``"disagrees"``, ``"rounding"`` (the slope is
    lost in rounding), ``"truncation"`` (the step is too large), ``"kink"``
    or ``"not finite"``. ``step`` is the nudge
    used (``eps`` relative to the value), ``noise`` how far rounding alone
    can move the numerical slope at that step, and ``truncation`` how far
    the step's size bends it, as halving the step measures (0.0 when that
    was not needed).
    """

    unit: Unit
    name: str
    value: float
    analytic: float
    numeric: float
    relative_error: float
    status: str
    why: str = ""
    reason: str = "agrees"
    step: float = 0.0
    noise: float = 0.0
    truncation: float = 0.0

    @property
    def ok(self) -> bool:
        """Whether the row passed."""
        return self.status == PASSED


@dataclass(frozen=True)
class Kink:
    """A gate whose slope differs left and right of an input, within the nudge."""

    gate: Gate
    position: int
    input_name: str
    value: float
    left: float
    right: float
    gate_name: str = ""

    def __str__(self) -> str:
        gate = self.gate_name or name_of(self.gate)
        return (
            f"{type(self.gate).__name__} {gate} has a kink within the nudge of its input "
            f"u{self.position} ({self.input_name} = {self.value!r}): slope {self.left:.3g} "
            f"from the left, {self.right:.3g} from the right"
        )


class GradcheckResult:
    """What ``gradcheck`` found: truthy only when everything passed.

    Attributes:
        status: ``"passed"``, ``"failed"`` (a row disagrees, or a gate's probe
            found a slip) or ``"inconclusive"`` (nothing failed, but some row
            could not be checked, or there was no parameter).
        rows: one ``GradcheckRow`` per checked parameter, in circuit order.
        problems: every ``Blame`` found, in circuit order: gate slips found by
            probing a gate by itself, and wrong gates found under a failing row.
        blame: the first of ``problems``, or ``None``.
        kinks: kinks that a nudge crossed (each also warned).
        gates: the gates checked, each after the gates that feed it.
        nothing_to_check: when there are no rows, why, in words ("" otherwise).
        eps, rtol, atol: the settings used.

    ``str()`` gives the whole report (summary, problems, table, notes), and
    ``rich.print(result)`` the same with a table. ``repr()`` is one line
    short enough for pytest to show whole under ``assert gradcheck(c)``: the
    verdict and the first thing to fix.
    """

    def __init__(
        self,
        *,
        output_name: str,
        rows: Sequence[GradcheckRow],
        problems: Sequence[Blame],
        kinks: Sequence[Kink],
        eps: float,
        rtol: float,
        atol: float,
        nothing_to_check: str = "",
        gates: Sequence[Gate] = (),
    ) -> None:
        self.output_name = output_name
        self.gates = tuple(gates)  # the gates checked, each after the gates feeding it
        self.nothing_to_check = nothing_to_check  # why there are no rows, if there are none
        self.rows = tuple(rows)
        self.problems = tuple(problems)
        self.kinks = tuple(kinks)
        self.eps = eps
        self.rtol = rtol
        self.atol = atol

    @property
    def status(self) -> str:
        """``"passed"``, ``"failed"`` or ``"inconclusive"`` (see the class)."""
        if self.problems or any(row.status == FAILED for row in self.rows):
            return FAILED
        if not self.rows or any(row.status == INCONCLUSIVE for row in self.rows):
            return INCONCLUSIVE
        return PASSED

    @property
    def passed(self) -> bool:
        """Whether every row passed and no gate's probe found a slip."""
        return self.status == PASSED

    def __bool__(self) -> bool:
        return self.passed

    @property
    def blame(self) -> Blame | None:
        """The first problem found, in circuit order (``None`` if none)."""
        return self.problems[0] if self.problems else None

    @property
    def failures(self) -> tuple[GradcheckRow, ...]:
        """The rows that failed, in circuit order."""
        return tuple(row for row in self.rows if row.status == FAILED)

    @property
    def inconclusive(self) -> tuple[GradcheckRow, ...]:
        """The rows that could not be checked, in circuit order."""
        return tuple(row for row in self.rows if row.status == INCONCLUSIVE)

    @property
    def worst(self) -> GradcheckRow | None:
        """The failing row with the largest error, else the checked row closest to failing."""
        failures = self.failures
        if failures:
            return max(failures, key=_badness)
        checked = [row for row in self.rows if row.status == PASSED]
        return max(checked, key=_badness) if checked else None

    @property
    def summary(self) -> str:
        """One line: the verdict, and how many parameters passed, failed or could not be checked."""
        n = len(self.rows)
        what = f"{n} parameter{'s' if n != 1 else ''} of {self.output_name}"
        status = self.status
        if status == PASSED:
            worst = self.worst
            error = "" if worst is None else f", worst relative error {worst.relative_error:.1e}"
            return f"gradcheck passed: {what}{error}"
        tally = ", ".join(
            f"{count} {word}"
            for word, count in (
                (PASSED, sum(r.status == PASSED for r in self.rows)),
                (FAILED, len(self.failures)),
                (INCONCLUSIVE, len(self.inconclusive)),
            )
            if count
        )
        rows = f"{what}: {tally}" if n else f"no parameter of {self.output_name} to check"
        if not n and self.nothing_to_check:
            rows += f": {self.nothing_to_check}"
        if status == INCONCLUSIVE:
            return f"gradcheck inconclusive: {rows}"
        names = [row.name for row in self.failures]
        shown = ", ".join(names[:3]) + (", ..." if len(names) > 3 else "")
        head = f"gradcheck FAILED for {shown}" if names else "gradcheck FAILED"
        count = len(self.problems)
        problems = f"{count} gate problem{'s' if count != 1 else ''}; " if count else ""
        return f"{head}: {problems}{rows}"

    @property
    def headline(self) -> str:
        """The verdict and the first thing to fix, in one sentence."""
        status = self.status
        if status == PASSED:
            return self.summary
        if self.problems:
            more = len(self.problems) - 1
            tail = f" (and {more} more)" if more else ""
            return f"gradcheck FAILED: {self.problems[0].headline}{tail}"
        if status == FAILED:
            row = self.failures[0]
            return (
                f"gradcheck FAILED for {row.name}: backward gives {row.analytic:.6g}, nudging "
                f"gives {row.numeric:.6g}{_more(self.failures)}"
            )
        if not self.rows:
            return self.summary
        rows = self.inconclusive
        return f"gradcheck inconclusive: {_in_short(rows[0], self.output_name)}{_more(rows)}"

    def __repr__(self) -> str:
        text = f"<GradcheckResult {self.headline.removeprefix('gradcheck ')}>"
        if len(text) <= _REPR_LIMIT:
            return text
        # Never cut a sentence in the middle: end at the last clause that fits.
        cut = max(text.rfind(mark, 0, _REPR_LIMIT - 6) for mark in (": ", ", ", "; "))
        return text[: cut if cut > 0 else _REPR_LIMIT - 6] + " (...)>"

    def report(self) -> list[str]:
        """The report as paragraphs: summary, numbered problems, the table (one
        paragraph), then notes on rows that did not pass."""
        paragraphs = [self.summary]
        for i, problem in enumerate(self.problems, start=1):
            paragraphs.append(f"{i}. {problem}")
        paragraphs.append("\n".join(_plain_table(self.rows)))
        paragraphs.extend(self._notes())
        return paragraphs

    def __str__(self) -> str:
        return "\n".join(self.report())

    def _notes(self) -> list[str]:
        notes: list[str] = []
        groups: dict[str, list[GradcheckRow]] = {}
        for row in self.rows:
            if row.status != PASSED:
                groups.setdefault(row.status if row.status == FAILED else row.reason, []).append(
                    row
                )
        for key, rows in groups.items():
            if len(rows) == 1 or key == FAILED:
                notes.extend(f"{row.name}: {row.status}: {row.why}" for row in rows)
            else:
                notes.append(_group_note(key, rows, self.output_name, self.kinks))
        if self.failures and not self.problems:
            notes.append(
                "No gate was found wrong by itself: every gate's local derivative agrees with "
                "the slope of its forward. Look at how the gates are wired (one gate forwarded "
                "twice?) or at a backward that reads more than its own inputs and output."
            )
        return notes

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        style = {PASSED: "bold green", FAILED: "bold red", INCONCLUSIVE: "bold yellow"}
        yield Text(self.summary, style=style[self.status])
        for i, problem in enumerate(self.problems, start=1):
            yield Text(f"{i}. {problem}")
        yield _rich_table(self.rows)
        for note in self._notes():
            yield Text(note)


_REPR_LIMIT = 230  # pytest shows a repr whole up to 240 characters, then cuts its middle


def _more(rows: Sequence[object]) -> str:
    return f" (and {len(rows) - 1} more)" if len(rows) > 1 else ""


def _in_short(row: GradcheckRow, output: str) -> str:
    """Why a row is inconclusive, in a few words."""
    if row.reason == "rounding":
        return f"{row.name}'s effect on {output} is lost in {output}'s rounding"
    if row.reason == "truncation":
        return f"the step is too large for {row.name}"
    if row.reason == "kink":
        return f"the nudge of {row.name} crosses a kink"
    return f"{output} is not finite near {row.name}"


def _badness(row: GradcheckRow) -> float:
    error = row.relative_error
    return math.inf if math.isnan(error) else error


_HEADER = ("unit", "value", "analytic", "numeric", "rel. error", "result")
_MARK = {PASSED: "ok", FAILED: "FAILED", INCONCLUSIVE: "inconclusive"}


def _cells(row: GradcheckRow) -> tuple[str, str, str, str, str, str]:
    # An inconclusive row's numerical slope is not a measurement (lost in rounding,
    # across a kink...): a dash, so that nobody reads "numeric 0, error 1.0" as one.
    measured = row.status != INCONCLUSIVE
    return (
        row.name,
        f"{row.value:.6g}",
        f"{row.analytic:.6g}",
        f"{row.numeric:.6g}" if measured else "—",
        f"{row.relative_error:.1e}" if measured else "—",
        _MARK[row.status],
    )


def _plain_table(rows: Sequence[GradcheckRow]) -> list[str]:
    lines = [_HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(_HEADER))]
    return [
        "  ".join(
            cell.rjust(width) if 0 < i < len(_HEADER) - 1 else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(line, widths))
        ).rstrip()
        for line in lines
    ]


def _rich_table(rows: Sequence[GradcheckRow]) -> Table:
    table = Table()
    table.add_column("unit")
    for heading in _HEADER[1:-1]:
        table.add_column(heading, justify="right")
    table.add_column("result")
    colour = {PASSED: "green", FAILED: "bold red", INCONCLUSIVE: "yellow"}
    for row in rows:
        *cells, mark = _cells(row)
        table.add_row(*cells, Text(mark, style=colour[row.status]))
    return table


def _names(rows: Sequence[GradcheckRow], limit: int = 8) -> str:
    names = [row.name for row in rows]
    return ", ".join(names[:limit]) + (
        f" and {len(names) - limit} more" if len(names) > limit else ""
    )


def _group_note(
    reason: str, rows: Sequence[GradcheckRow], output: str, kinks: Sequence[Kink]
) -> str:
    names = _names(rows)
    if reason == "kink":
        return (
            f"{names}: inconclusive: their nudges cross a kink: {'; '.join(map(str, kinks))}. "
            "Central differences there mix two slopes; move the input away from the kink."
        )
    if reason == "rounding":
        noise = max(row.noise * row.step for row in rows)
        return (
            f"{names}: inconclusive: their effect on {output} is lost in {output}'s rounding "
            f"(a replay of {output} rounds by up to {noise:.2g}, as much as a nudge of one of "
            f"them moves it). {_SUB_CIRCUIT}"
        )
    if reason == "truncation":
        most = max(row.truncation for row in rows)
        return (
            f"{names}: inconclusive: the step is too large: over it, curvature bends their "
            f"numerical slopes by up to {most:.2g} (halving the step shows it), more than the "
            f"tolerance allows. {_SMALLER_STEP}"
        )
    return f"{names}: inconclusive: {rows[0].why}"


_SUB_CIRCUIT = (
    "Check a sub-circuit that ends nearer to the parameter, where its effect is not lost "
    "(gradcheck of an intermediate unit, or `circuits check --unit NAME`)."
)
_SMALLER_STEP = "Use a smaller eps (the default is 1e-6)."


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
    names: Mapping[str, Any] | None = None,
) -> GradcheckResult:
    """Check backward's gradient of every parameter against central differences,
    and probe every gate class that is not built in by itself.

    For each parameter ``p`` (a leaf unit that requires grad; or each unit in
    ``wrt``) the numerical gradient is ``(f(p + h) - f(p - h)) / (2 h)`` with
    ``h = eps * |p|`` (``eps`` at ``p = 0``), where ``f`` replays the circuit
    forward in place. The analytic gradient is what one backward call from
    zeroed grads gives, by the usual gradient rule.

    A row passes when the two agree: within ``rtol`` relative error
    (CS231n's ``|a - n| / max(|a|, |n|)``), within ``atol``, or within the
    numerical slope's own rounding noise where that noise is at most 1% of
    the gradient. It fails when they differ by more than rounding and the
    step's size can explain (the slope over half the step measures the
    latter). Anything between is inconclusive, and says why: the parameter's
    effect on the output is lost in the output's rounding, the step is too
    large, or the nudge crosses a kink.

    Every gate class in the graph that is not in ``gates.BUILTIN_GATES`` is
    also probed on a copy of one of its gates (fed fresh units with the same
    values): its local derivative against its forward's slope, an upstream
    grad of 2, an input grad that already holds something, one unit fed to
    every input, and no value changed. A slip found there fails the check,
    even where the circuit's own numbers hide it.

    Afterwards every value and grad is exactly as it was, and every gate has
    been replayed at the original values.

    Args:
        target: a ``Circuit`` (checks ``c.output`` against ``c.parameters()``)
            or an output ``Unit`` (checks it against the leaves it depends on).
        eps: the nudge, relative to each parameter's value.
        rtol: the largest relative error that passes.
        atol: the absolute floor: differences this small pass, where the
            numerical slope is that precise.
        wrt: check only this unit or these units (each an input of the
            target that requires grad).
        names: a mapping such as ``vars()`` whose variable names name the
            rows and gates, as ``Tracer(names=...)`` names them.

    Returns:
        A ``GradcheckResult``: truthy only when ``status`` is ``"passed"``,
        with a per-parameter table and the problems found, in circuit order.

    Warns:
        KinkWarning: a nudge carries a gate input across a kink, such as a
            ReLU input at 0, where the numerical derivative is unreliable.

    Example:
        >>> from gates import Unit
        >>> w, x = Unit(0.5, label="w"), Unit(2.0, label="x", requires_grad=False)
        >>> loss = (w * x).sigmoid()
        >>> result = gradcheck(loss)
        >>> result.status, result.rows[0].name, round(result.rows[0].numeric, 6)
        ('passed', 'w', 0.393224)
    """
    _check_settings(eps, rtol, atol)
    output, order, leaves = _graph_of(target)
    # A unit no gate made has no backward to check: its "gradient" would be d(x)/d(x) = 1.
    params = _choose(leaves, wrt, output) if order else []
    units = _units_of(output, order)
    known = Names(names)
    for gate in order:
        known.remember(gate)
    index = known.snapshot()
    saved = [(unit, unit.value, unit.grad) for unit in units]
    settings = _Settings(eps, rtol, atol)
    try:
        analytic, upstream = _analytic(output, order, params, units)
        for p in params:
            index.name(p)  # automatic names (u1, u2, ...) go to the inputs first
        output_name = index.name(output)
        nothing_to_check = "" if params else _why_nothing(output_name, order, leaves, wrt, index)
        kinks: dict[tuple[Gate, int], Kink] = {}
        rows = []
        for p, a in zip(params, analytic):
            below = _below(p, order)
            row, found = _check_row(p, a, output, output_name, below, upstream, settings, index)
            rows.append(row)
            for kink in found:
                kinks.setdefault((kink.gate, kink.position), kink)
        _restore(saved, order)
        problems = _probe_classes(order, settings, index)
        failed = [row for row in rows if row.status == FAILED]
        if failed:
            problems.extend(_search(failed, order, problems, settings, index))
    finally:
        _restore(saved, order)
    position = {gate: i for i, gate in enumerate(order)}
    problems.sort(key=lambda blame: position.get(blame.gate, len(order)))
    for kink in kinks.values():
        warnings.warn(
            f"{kink}. Central differences through it mix two slopes, so its gradients "
            "cannot be checked here; move the input away from the kink.",
            KinkWarning,
            stacklevel=2,
        )
    return GradcheckResult(
        output_name=output_name,
        rows=rows,
        problems=problems,
        kinks=list(kinks.values()),
        eps=eps,
        rtol=rtol,
        atol=atol,
        nothing_to_check=nothing_to_check,
        gates=order,
    )


def _why_nothing(
    output_name: str,
    order: Sequence[Gate],
    leaves: Sequence[Unit],
    wrt: Unit | Iterable[Unit] | None,
    index: NameIndex,
) -> str:
    """Why a check has no parameter to nudge, and what to check instead."""
    if not order:
        return (
            f"{output_name} is an input, made by no gate, so there is no backward to "
            "check; check a unit a gate made, such as the circuit's output"
        )
    if wrt is not None:
        return "wrt names no unit"
    constants = [index.name(unit) for unit in leaves]
    listed = ", ".join(constants[:8]) + (" ..." if len(constants) > 8 else "")
    return (
        f"every input it depends on ({listed}) was made with requires_grad=False, so "
        "backward gives none of them a gradient; make the ones to learn without it"
    )


@dataclass(frozen=True)
class _Settings:
    eps: float
    rtol: float
    atol: float


def _check_row(
    p: Unit,
    analytic: float,
    output: Unit,
    output_name: str,
    below: Sequence[Gate],
    upstream: Mapping[Gate, float],
    settings: _Settings,
    index: NameIndex,
) -> tuple[GradcheckRow, list[Kink]]:
    """One parameter's row, and the kinks its nudge crosses (if it did not pass)."""
    name = index.name(p)
    spread = math.fsum(abs(g.utop.value * upstream[g]) for g in below) if below else abs(p.value)
    kinks: list[Kink] = []

    def measure(h: float) -> float:
        return _numeric_gradient(p, name, output, below, h, settings.eps)

    def kinked(h: float) -> bool:
        found = _kinks_crossed(p, below, h, settings, index)
        kinks.extend(found)
        return bool(found)

    verdict = judge(
        analytic,
        measure,
        lambda h: rounding_noise(spread, h),
        value=p.value,
        eps=settings.eps,
        rtol=settings.rtol,
        atol=settings.atol,
        kinked=kinked,
    )
    row = GradcheckRow(
        unit=p,
        name=name,
        value=p.value,
        analytic=analytic,
        numeric=verdict.numeric,
        relative_error=relative_error(analytic, verdict.numeric),
        status=verdict.status,
        why=_why(verdict, name, analytic, output, output_name, kinks),
        reason=verdict.reason,
        step=verdict.step,
        noise=verdict.rounding,
        truncation=verdict.truncation,
    )
    return row, kinks


def _why(
    verdict: Verdict,
    name: str,
    analytic: float,
    output: Unit,
    output_name: str,
    kinks: Sequence[Kink],
) -> str:
    """A row's verdict in words, with the numbers that show it."""
    h, out = verdict.step, output_name
    if verdict.status == PASSED:
        return ""
    if verdict.reason == "disagrees":
        return (
            f"backward gives d({out})/d({name}) = {analytic:.6g}, but nudging {name} by "
            f"{h:.2g} moves {out} at a slope of {verdict.numeric:.6g}."
        )
    if verdict.reason == "not finite":
        return (
            f"{out} is not finite when {name} is nudged by {h:.2g} (the slope reads "
            f"{verdict.numeric}), so no slope can be measured there."
        )
    if verdict.reason == "kink":
        return (
            f"the nudge crosses a kink: {'; '.join(str(k) for k in kinks)}. Central differences "
            "there mix two slopes; move the input away from the kink."
        )
    if verdict.reason == "truncation":
        return (
            f"the step is too large: over a nudge of {name} by {h:.2g}, curvature bends the "
            f"numerical slope by about {verdict.truncation:.2g} (halving the nudge shows it), "
            f"more than the tolerance allows. {_SMALLER_STEP}"
        )
    wider = f", and no step up to {WIDEST:g} times larger settles it" if verdict.wider else ""
    return (
        f"its effect on {out} is lost in {out}'s rounding: backward says nudging {name} by "
        f"{h:.2g} moves {out} by about {abs(analytic) * h:.2g}, but a replay of {out} "
        f"(= {output.value:.4g}) rounds by up to {verdict.rounding * h:.2g}{wider}. "
        f"{_SUB_CIRCUIT}"
    )


def _kinks_crossed(
    p: Unit, below: Sequence[Gate], step: float, settings: _Settings, index: NameIndex
) -> list[Kink]:
    """The gates whose slope jumps where a nudge of ``p`` by ``step`` moves their inputs.

    Generic, so it finds kinks in users' gates too: the slope left of the
    input differs from the slope right of it in a way smooth curvature cannot
    explain (``Slopes.kinked``), and the central difference over the gate
    misses the gate's own local derivative (else the kink does no harm here).
    """
    try:
        moved = moves(p, below, step)
    except (ArithmeticError, ValueError):
        return []  # the nudge leaves a gate's domain: that gate says so itself
    kinks: list[Kink] = []
    for gate in below:
        if not gate.utop.requires_grad:
            continue
        local = local_grads(gate)
        for position, unit in _distinct_inputs(gate):
            if unit not in moved or not math.isfinite(unit.value):
                continue
            low, high = moved[unit]
            reach = max(abs(high - unit.value), abs(unit.value - low))
            around = slopes(gate, unit, reach)
            if around.kinked and not agree(
                local[position],
                around.centre,
                rtol=settings.rtol,
                atol=settings.atol + around.noise,
            ):
                kinks.append(
                    Kink(
                        gate,
                        position,
                        index.name(unit),
                        unit.value,
                        around.left,
                        around.right,
                        index.gate_name(gate),
                    )
                )
    return kinks


def _numeric_gradient(
    p: Unit, name: str, output: Unit, below: Sequence[Gate], step: float, eps: float
) -> float:
    try:
        return central_difference(p, output, below, step)
    except (ArithmeticError, ValueError) as exc:
        # A user's gate that raises outside its domain (math.sqrt of a
        # negative): say which nudge took it there.
        raise ValueError(
            f"gradcheck: nudging {name} = {p.value!r} by {step:.2g} (eps={eps:g} of it) made a "
            f"gate raise {type(exc).__name__}: {exc}. Keep every gate's inputs further than the "
            "nudge inside its domain, or use a smaller eps."
        ) from exc


def _probe_classes(order: Sequence[Gate], settings: _Settings, index: NameIndex) -> list[Blame]:
    """Probe one gate of every class that is not built in (see ``circuits/_probes.py``)."""
    by_class: dict[type, list[Gate]] = {}
    for gate in order:
        if type(gate) not in BUILTIN_GATES:
            by_class.setdefault(type(gate), []).append(gate)
    found: list[Blame] = []
    for gates in by_class.values():
        gate = _most_telling(gates)
        found.extend(
            probe(
                gate,
                eps=settings.eps,
                rtol=settings.rtol,
                atol=settings.atol,
                gate_name=index.gate_name(gate),
            )
        )
    return found


def _most_telling(gates: Sequence[Gate]) -> Gate:
    """The first gate whose local derivatives are all non-zero (a forgotten
    upstream factor shows only there), else the first with any, else the first."""
    best, best_score = gates[0], -1
    for gate in gates[:50]:
        try:
            local = local_grads(gate)
        except Exception:
            continue
        score = sum(1 for d in local if d != 0.0 and math.isfinite(d))
        if score == len(local):
            return gate
        if score > best_score:
            best, best_score = gate, score
    return best


def _search(
    failed: Sequence[GradcheckRow],
    order: Sequence[Gate],
    known: Sequence[Blame],
    settings: _Settings,
    index: NameIndex,
) -> list[Blame]:
    """Under the failing rows, the first user gate wrong where it sits in the circuit.

    Built-in gates are trusted. A gate whose class a probe already blamed is
    not blamed twice; one whose output does not matter here cannot be the cause.
    """
    blamed = {type(blame.gate) for blame in known}
    probed = {blame.gate for blame in known}
    for row in failed:
        for gate in _below(row.unit, order):
            cls = type(gate)
            if cls in BUILTIN_GATES or cls in blamed or gate in probed:
                continue
            if not gate.utop.requires_grad:
                continue
            found = probe(
                gate,
                eps=settings.eps,
                rtol=settings.rtol,
                atol=settings.atol,
                gate_name=index.gate_name(gate),
                probed=False,
            )
            if found:
                return found
    return []


def _restore(saved: Sequence[tuple[Unit, float, float]], order: Sequence[Gate]) -> None:
    """Every value and grad as found; the gates replayed there, so state they
    keep besides their output (a cache) is back too."""
    for unit, value, _ in saved:
        unit.value = value
    replay(order)
    for unit, value, grad in saved:
        unit.value = value  # bit for bit, whatever the replay computed
        unit.grad = grad


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
                f"gradcheck: {Names().name(unit)} is not an input of {Names().name(output)} (it "
                "is made by a gate, or the output does not depend on it); wrt takes the leaf "
                "units the check nudges, such as c.parameters()"
            )
        if not unit.requires_grad:
            raise ValueError(
                f"gradcheck: {Names().name(unit)} was made with requires_grad=False, so backward "
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
    output: Unit, order: Sequence[Gate], params: Sequence[Unit], units: Sequence[Unit]
) -> tuple[list[float], dict[Gate, float]]:
    """One backward call from zeroed grads: the parameters' grads, and each
    gate's upstream grad (d output / d its output)."""
    for unit in units:
        unit.grad = 0.0
    with BACKWARD_LOCK:
        run_backward(output, order, {unit: unit.grad for unit in inputs_of(order)})
    return [p.grad for p in params], {gate: gate.utop.grad for gate in order}


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


def _distinct_inputs(gate: Gate) -> list[tuple[int, Unit]]:
    seen: set[Unit] = set()
    found = []
    for position, unit in enumerate(gate.inputs):
        if unit not in seen:
            seen.add(unit)
            found.append((position, unit))
    return found
