"""SVG and PNG from DOT text, through the ``graphviz`` Python package.

Both need two things the package alone does not bring: the ``graphviz``
Python package (``pip install graphviz``, or the ``draw`` extra) and
Graphviz's ``dot`` program. When either is missing, :class:`DrawingUnavailable` says which, and
how to install it; the console and DOT outputs need neither.
"""

from __future__ import annotations

import shutil
from typing import Any, Literal

__all__ = ["INSTALL_GRAPHVIZ", "DrawingUnavailable", "can_render", "render"]

ImageFormat = Literal["svg", "png"]

INSTALL_GRAPHVIZ = (
    "install Graphviz (Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install "
    "graphviz; conda: conda install -c conda-forge graphviz; Windows: winget install graphviz)"
)
"""How to get Graphviz's ``dot`` program, in the words every message uses."""


class DrawingUnavailable(RuntimeError):
    """SVG or PNG was asked for, but Graphviz (the package or ``dot``) is missing.

    ``problem`` says what is missing and how to install it; the message adds
    the way round it in the Python API's words (``format='console'``). The
    command line words that second half its own way (``--format console``).

    >>> error = DrawingUnavailable("SVG needs dot")
    >>> print(error)
    SVG needs dot. Or draw with format='console' or 'dot', which need nothing installed.
    >>> print(error.advice(console="--format console", dot="--format dot"))
    SVG needs dot. Or draw with --format console or --format dot, which need nothing installed.
    """

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(self.advice())

    def advice(self, *, console: str = "format='console'", dot: str = "'dot'") -> str:
        """The message, naming the two outputs that need nothing as ``console`` and ``dot``."""
        return f"{self.problem}. Or draw with {console} or {dot}, which need nothing installed."


def _graphviz() -> Any:
    try:
        import graphviz
    except ImportError:
        raise DrawingUnavailable(
            "drawing SVG or PNG needs the graphviz Python package: "
            "pip install graphviz (and Graphviz's dot program: "
            f"{INSTALL_GRAPHVIZ})"
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
            f"on PATH: {INSTALL_GRAPHVIZ}"
        ) from None
    return data
