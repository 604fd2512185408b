"""SVG and PNG from DOT text, through the ``graphviz`` Python package.

Both need two things that ``pip install backprop-circuits`` does not bring:
the ``graphviz`` Python package (the ``draw`` extra) and Graphviz's ``dot``
program. When either is missing, :class:`DrawingUnavailable` says which, and
how to install it; the console and DOT outputs need neither.
"""

from __future__ import annotations

import shutil
from typing import Any, Literal

__all__ = ["DrawingUnavailable", "can_render", "render"]

ImageFormat = Literal["svg", "png"]

_INSTALL_DOT = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
    "graphviz; conda: conda install graphviz; Windows: winget install graphviz)"
)


class DrawingUnavailable(RuntimeError):
    """SVG or PNG was asked for, but Graphviz (the package or ``dot``) is missing."""


def _graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise DrawingUnavailable(
            "drawing SVG or PNG needs the graphviz Python package: "
            "pip install 'backprop-circuits[draw]' (and Graphviz's dot program: "
            f"{_INSTALL_DOT}). The console and DOT outputs need neither."
        ) from None
    return graphviz


def can_render() -> bool:
    """Whether SVG and PNG can be made here: the package imports and ``dot`` is on PATH.

    >>> isinstance(can_render(), bool)
    True
    """
    try:
        _graphviz()
    except DrawingUnavailable:
        return False
    return shutil.which("dot") is not None


def render(dot_source: str, image_format: ImageFormat) -> bytes:
    """Run Graphviz's ``dot`` on ``dot_source``; the SVG or PNG bytes.

    Raises:
        DrawingUnavailable: the graphviz package or the ``dot`` program is missing.
    """
    if image_format not in ("svg", "png"):
        raise ValueError(f"image_format must be 'svg' or 'png', got {image_format!r}")
    graphviz = _graphviz()
    try:
        data: bytes = graphviz.Source(dot_source).pipe(format=image_format)
    except graphviz.ExecutableNotFound:
        raise DrawingUnavailable(
            f"drawing {image_format.upper()} needs Graphviz's dot program, which is not "
            f"on PATH: {_INSTALL_DOT}. Or draw with format='console' or 'dot', which "
            "need nothing installed."
        ) from None
    return data
