"""Adapters that let one workload run on each scalar engine.

Peers are imported lazily: a missing peer is reported as "not installed"
rather than stopping the run (``bash bench/setup.sh`` installs them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from workloads import Engine


def ours() -> Engine:
    from gates import Unit

    def zero(leaves: Sequence[Any]) -> None:
        for leaf in leaves:
            leaf.grad = 0.0

    return Engine(
        name="ours",
        leaf=lambda v, rg: Unit(v, requires_grad=rg),
        backward=lambda out: out.backward(),
        grad=lambda leaf: leaf.grad,
        value=lambda leaf: leaf.value,
        zero=zero,
    )


def micrograd() -> Engine:
    from micrograd.engine import Value  # type: ignore[import-not-found]

    def zero(leaves: Sequence[Any]) -> None:
        for leaf in leaves:
            leaf.grad = 0.0

    # micrograd's topological sort is recursive: a graph deeper than the
    # recursion limit raises RecursionError (the bench raises the limit a
    # little so the 10^3 chain runs; deeper chains are reported as n/a).
    return Engine(
        name="micrograd",
        leaf=lambda v, rg: Value(v),
        backward=lambda out: out.backward(),
        grad=lambda leaf: float(leaf.grad),
        value=lambda leaf: float(leaf.data),
        zero=zero,
        has_tanh=False,
        max_depth=3_000,
    )


def torch_scalars() -> Engine:
    import torch  # type: ignore[import-not-found]

    torch.set_num_threads(1)

    def leaf(v: float, rg: bool) -> Any:
        return torch.tensor(v, dtype=torch.float64, requires_grad=rg)

    def grad(t: Any) -> float:
        return 0.0 if t.grad is None else float(t.grad.item())

    def zero(leaves: Sequence[Any]) -> None:
        for t in leaves:
            t.grad = None

    return Engine(
        name="torch",
        leaf=leaf,
        backward=lambda out: out.backward(),
        grad=grad,
        value=lambda t: float(t.item()),
        zero=zero,
    )


def available() -> tuple[list[Engine], dict[str, str]]:
    """The engines that import here, and why the others do not."""
    engines, missing = [], {}
    for make in (ours, micrograd, torch_scalars):
        try:
            engines.append(make())
        except ImportError as exc:
            missing[make.__name__] = f"not installed ({exc.name}); run bash bench/setup.sh"
    return engines, missing
