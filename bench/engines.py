"""Adapters that let one workload run on each scalar engine.

Peers are imported lazily: a missing peer is reported as "not installed"
rather than stopping the run (``bash bench/setup.sh`` installs them all).
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from workloads import Engine

T = TypeVar("T")

# For a recursive backward over a graph a million levels deep.
DEEP_STACK_BYTES = 1 << 30
DEEP_RECURSION_LIMIT = 4_000_000


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

    # micrograd's topological sort is recursive (one Python frame per level):
    # deep graphs go through in_big_stack().
    return Engine(
        name="micrograd",
        leaf=lambda v, rg: Value(v),
        backward=lambda out: out.backward(),
        grad=lambda leaf: float(leaf.grad),
        value=lambda leaf: float(leaf.data),
        zero=zero,
        has_tanh=False,
        recursive_backward=True,
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


def in_big_stack(work: Callable[[], T]) -> T:
    """``work()`` run in a thread with a 1 GiB stack and a recursion limit of
    millions, for a recursive backward over a very deep graph.

    Whatever ``work`` raises (``RecursionError``, ``MemoryError``) is raised
    here. A crash of the interpreter itself cannot be caught: it ends the run.
    """
    results: list[T] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            results.append(work())
        except BaseException as exc:  # handed to the calling thread
            errors.append(exc)

    old_limit = sys.getrecursionlimit()
    old_stack = threading.stack_size(DEEP_STACK_BYTES)
    sys.setrecursionlimit(max(old_limit, DEEP_RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=target, name="deep-backward")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    if errors:
        raise errors[0]
    return results[0]
