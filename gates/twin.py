"""``Twin``: a gate's forward and local derivatives written as expressions.

A gate's ``forward`` and ``backward`` work on one Unit at a time. To replay a
whole recorded circuit fast, or over a batch of inputs with NumPy, ``circuits``
compiles the circuit into straight-line code from each gate's *twin*: the
same maths as plain expressions of the gate's inputs ``u0`` (``u1``), its
output ``y`` and its parameters.

The expressions may use arithmetic and these functions, each defined twice in
``circuits`` (for floats, as the gates compute them, and for NumPy arrays):
``sigmoid tanh exp log divide power relu step leaky_relu leaky_step``, where
``step(x)`` is 1 where ``x > 0`` else 0 and ``leaky_step(x, s)`` is 1 where
``x > 0`` else ``s``.

>>> from gates import MultGate
>>> MultGate.twin
Twin(value='u0 * u1', local=('u1', 'u0'), params=())
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Twin"]


@dataclass(frozen=True)
class Twin:
    """What a gate computes, as expressions, for compiled and batched replay.

    Args:
        value: the output, from ``u0`` (``u1``) and the parameters.
        local: ``d y / d input`` for each input, from ``u0`` (``u1``), ``y``
            and the parameters; the gate's backward multiplies each by
            ``y.grad``, in the same order, so compiled code adds the same floats.
        params: names of gate attributes the expressions read (``"exponent"``).
    """

    value: str
    local: tuple[str, ...]
    params: tuple[str, ...] = ()
