"""Gradients accumulate across backward calls: an unrolled recurrence.

``h1 = w*x1``, ``h2 = w*x2 + wh*h1``, ``h3 = w*x3 + wh*h2`` share the weights
``w`` and ``wh``. Calling ``h1.backward()``, ``h2.backward()`` and
``h3.backward()`` one after the other, without zeroing, adds
dh1/dw + dh2/dw + dh3/dw into ``w.grad``:

>>> r = build_recurrence()
>>> history = backward_each(r)
>>> [round(row["w"], 2) for row in history]
[1.0, 2.5, 4.25]
>>> [round(row["h1"], 2) for row in history]
[1.0, 1.5, 1.75]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from circuits.examples._labels import labelled
from gates import Unit

__all__ = ["Fork", "Recurrence", "backward_each", "build_fork", "build_recurrence", "demo"]


@dataclass
class Recurrence:
    """The shared weights, the constant inputs and the three hidden states."""

    w: Unit
    wh: Unit
    xs: list[Unit]
    h1: Unit
    h2: Unit
    h3: Unit

    def watched(self) -> dict[str, Unit]:
        """The units whose grads the lesson follows, by name."""
        return {"w": self.w, "wh": self.wh, "h1": self.h1, "h2": self.h2}


def build_recurrence(
    w: float = 0.3, wh: float = 0.5, xs: Sequence[float] = (1.0, 1.0, 1.0)
) -> Recurrence:
    """Build the three steps with shared ``w`` and ``wh``; the inputs are constants."""
    if len(xs) != 3:
        raise ValueError(f"the recurrence has three steps, so xs needs 3 numbers, got {xs!r}")
    wu, whu = Unit(w, label="w"), Unit(wh, label="wh")
    x1, x2, x3 = (Unit(x, label=f"x{i}", requires_grad=False) for i, x in enumerate(xs, start=1))
    # Every unit and gate labelled, so traces and drawings name each step.
    h1 = labelled(wu * x1, "h1")
    wx2, wh_h1 = labelled(wu * x2, "wx2"), labelled(whu * h1, "wh_h1")
    h2 = labelled(wx2 + wh_h1, "h2")
    wx3, wh_h2 = labelled(wu * x3, "wx3"), labelled(whu * h2, "wh_h2")
    h3 = labelled(wx3 + wh_h2, "h3")
    return Recurrence(wu, whu, [x1, x2, x3], h1, h2, h3)


def backward_each(r: Recurrence) -> list[dict[str, float]]:
    """Call ``h1.backward()``, ``h2.backward()``, ``h3.backward()`` in turn, no zeroing.

    Returns the watched grads after each call.
    """
    history = []
    for h in (r.h1, r.h2, r.h3):
        h.backward()
        history.append({name: unit.grad for name, unit in r.watched().items()})
    return history


@dataclass
class Fork:
    """``r = p*p + p*p``: one unit reaching the output along four paths."""

    p: Unit
    r: Unit


def build_fork(p: float = 3.0) -> Fork:
    """Build ``r = p*p + p*p``; ``dr/dp = 4p`` (12 at p=3).

    >>> f = build_fork()
    >>> f.r.backward(); f.p.grad
    12.0
    >>> f.r.backward(); f.p.grad      # a second call adds 12 more, not 24
    24.0
    """
    pu = Unit(p, label="p")
    r = labelled(labelled(pu * pu, "pp1") + labelled(pu * pu, "pp2"), "r")
    return Fork(pu, r)


def demo() -> None:
    """Backward from h1, then h2, then h3, printing the grads after each call."""
    r = build_recurrence()
    for h in (r.h1, r.h2, r.h3):
        h.backward()
        grads = " ".join(f"{k}={u.grad:.2f}" for k, u in r.watched().items())
        print(f"after {h.label}.backward(): {grads}")
