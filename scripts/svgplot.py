"""A tiny SVG writer for the docs' charts: line charts and decision maps.

Docs tooling, not part of the library: the library draws circuits with
Graphviz; these are the plain charts around them (a loss curve, a decision
boundary). Standard library only, so the docs build needs no plotting
package. Output is deterministic: the same data gives the same bytes.

>>> svg = line_chart({"loss": [3.0, 2.0, 1.5]}, title="t", x_label="step", y_label="loss")
>>> svg.startswith("<svg") and "polyline" in svg
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

__all__ = ["decision_map", "line_chart", "nice_ticks"]

# 640 px wide: the docs' text column at 1280 px is about 690 px, so a chart is
# shown at its own size and its 16 px text matches the body text's 16 px.
WIDTH, HEIGHT = 640, 400
MARGIN = {"left": 76, "right": 20, "top": 64, "bottom": 56}
COLOURS = ("#3f51b5", "#e65100", "#2e7d32", "#ad1457")
POSITIVE, NEGATIVE = "#1565c0", "#c62828"  # class +1 and class -1
POSITIVE_FILL, NEGATIVE_FILL = "#d6e4f5", "#f6d9d9"
FONT = 'font-family="sans-serif" font-size="16"'


def _num(x: float) -> str:
    """A coordinate with two decimals and no trailing zeros."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick positions covering [low, high], about ``count`` of them.

    >>> nice_ticks(0.0, 9.5)
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
    """
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    ticks = [float(round(math.floor(low / step) * step, 10))]
    while ticks[-1] < high - 1e-12 * step:
        ticks.append(float(round(ticks[-1] + step, 10)))
    return ticks


def _tick_label(value: float, log: bool) -> str:
    if log:
        return f"1e{round(value):d}"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:g}"


class _Frame:
    """Maps data coordinates into the plotting area."""

    def __init__(self, x_range: tuple[float, float], y_range: tuple[float, float]) -> None:
        self.x0, self.x1 = x_range
        self.y0, self.y1 = y_range
        self.left = MARGIN["left"]
        self.right = WIDTH - MARGIN["right"]
        self.top = MARGIN["top"]
        self.bottom = HEIGHT - MARGIN["bottom"]

    def x(self, value: float) -> float:
        return self.left + (value - self.x0) / (self.x1 - self.x0) * (self.right - self.left)

    def y(self, value: float) -> float:
        return self.bottom - (value - self.y0) / (self.y1 - self.y0) * (self.bottom - self.top)


_LEGEND_Y = 46  # the legend's row, between the title and the plot


def _legend_text(x: float, text: str) -> str:
    return (
        f'<text x="{_num(x)}" y="{_LEGEND_Y}" dominant-baseline="middle" {FONT}>'
        f"{escape(text)}</text>"
    )


def _open(title: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" font-family="sans-serif" '
        f'font-size="18" font-weight="bold">{escape(title)}</text>',
    ]


def _axes(
    frame: _Frame,
    x_ticks: Sequence[float],
    y_ticks: Sequence[float],
    x_label: str,
    y_label: str,
    *,
    log_y: bool = False,
) -> list[str]:
    parts = [
        f'<rect x="{frame.left}" y="{frame.top}" width="{frame.right - frame.left}" '
        f'height="{frame.bottom - frame.top}" fill="none" stroke="#888"/>'
    ]
    for t in x_ticks:
        x = _num(frame.x(t))
        parts.append(
            f'<line x1="{x}" y1="{frame.bottom}" x2="{x}" y2="{frame.bottom + 4}" stroke="#888"/>'
        )
        parts.append(
            f'<text x="{x}" y="{frame.bottom + 20}" text-anchor="middle" {FONT}>'
            f"{_tick_label(t, False)}</text>"
        )
    for t in y_ticks:
        y = _num(frame.y(t))
        parts.append(
            f'<line x1="{frame.left}" y1="{y}" x2="{frame.right}" y2="{y}" stroke="#eee"/>'
        )
        parts.append(
            f'<text x="{frame.left - 6}" y="{y}" text-anchor="end" dominant-baseline="middle" '
            f"{FONT}>{_tick_label(t, log_y)}</text>"
        )
    middle_x = (frame.left + frame.right) / 2
    middle_y = (frame.top + frame.bottom) / 2
    parts.append(
        f'<text x="{middle_x}" y="{HEIGHT - 12}" text-anchor="middle" {FONT}>'
        f"{escape(x_label)}</text>"
    )
    parts.append(
        f'<text x="20" y="{middle_y}" text-anchor="middle" {FONT} '
        f'transform="rotate(-90 20 {middle_y})">{escape(y_label)}</text>'
    )
    return parts


def line_chart(
    series: Mapping[str, Sequence[float]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    x_start: float = 0.0,
    log_y: bool = False,
    markers: bool = False,
    max_points: int = 400,
) -> str:
    """An SVG line chart of one or more series against their index.

    Args:
        series: name -> values; point ``i`` is drawn at ``x_start + i``.
        log_y: plot ``log10(|value|)`` (zeros are left out).
        markers: draw a dot at each point (for short series).
        max_points: longer series are thinned to about this many points.
    """
    prepared: dict[str, list[tuple[float, float]]] = {}
    for name, values in series.items():
        stride = max(1, math.ceil(len(values) / max_points))
        kept = list(range(0, len(values), stride))
        if kept and kept[-1] != len(values) - 1:
            kept.append(len(values) - 1)
        points = []
        for i in kept:
            v = values[i]
            if log_y:
                if v == 0.0:
                    continue
                v = math.log10(abs(v))
            points.append((x_start + i, v))
        prepared[name] = points
    all_points = [p for points in prepared.values() for p in points]
    if not all_points:
        raise ValueError(f"line_chart {title!r}: no points to plot")
    xs = [x for x, _ in all_points]
    ys = [y for _, y in all_points]
    if log_y:
        stride = max(1, math.ceil((math.ceil(max(ys)) - math.floor(min(ys))) / 7))
        low = math.floor(min(ys) / stride) * stride
        high = math.ceil(max(ys) / stride) * stride
        y_ticks = [float(t) for t in range(low, high + 1, stride)]
    else:
        y_ticks = nice_ticks(min(0.0, min(ys)), max(ys))
    x_ticks = nice_ticks(min(xs), max(xs))
    frame = _Frame((x_ticks[0], x_ticks[-1]), (y_ticks[0], y_ticks[-1]))
    parts = _open(title)
    parts += _axes(frame, x_ticks, y_ticks, x_label, y_label, log_y=log_y)
    for n, (name, points) in enumerate(prepared.items()):
        colour = COLOURS[n % len(COLOURS)]
        coords = " ".join(f"{_num(frame.x(x))},{_num(frame.y(y))}" for x, y in points)
        parts.append(
            f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        if markers:
            for x, y in points:
                parts.append(
                    f'<circle cx="{_num(frame.x(x))}" cy="{_num(frame.y(y))}" r="3.5" '
                    f'fill="{colour}"/>'
                )
        # the legend: one entry per series, in a row above the plot
        lx = frame.left + 220 * n
        parts.append(
            f'<line x1="{lx}" y1="{_LEGEND_Y}" x2="{lx + 24}" y2="{_LEGEND_Y}" '
            f'stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(_legend_text(lx + 30, name))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _marker(x: float, y: float, label: int, *, outline: str = "white") -> str:
    """A point of class +1 (a blue circle) or -1 (a red square): shape and colour both
    tell the classes apart, for readers who cannot tell the colours apart."""
    size = 4.5
    if label > 0:
        return (
            f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{size}" fill="{POSITIVE}" '
            f'stroke="{outline}"/>'
        )
    return (
        f'<rect x="{_num(x - size)}" y="{_num(y - size)}" width="{_num(2 * size)}" '
        f'height="{_num(2 * size)}" fill="{NEGATIVE}" stroke="{outline}"/>'
    )


def _class_legend(frame: _Frame, labels: tuple[str, str]) -> list[str]:
    """One entry per class above the plot: its region's colour with its marker on it."""
    parts = []
    x = float(frame.left)
    for label, fill, text in ((1, POSITIVE_FILL, labels[0]), (-1, NEGATIVE_FILL, labels[1])):
        parts.append(
            f'<rect x="{_num(x)}" y="{_LEGEND_Y - 9}" width="28" height="18" fill="{fill}" '
            'stroke="#888"/>'
        )
        parts.append(_marker(x + 14, _LEGEND_Y, label, outline="none"))
        parts.append(_legend_text(x + 36, text))
        x += 36 + 9.5 * len(text) + 28  # about 9.5 px a character at 16 px
    return parts


def decision_map(
    score: Callable[[float, float], float],
    points: Sequence[tuple[float, float, int]],
    *,
    title: str,
    bounds: tuple[float, float, float, float] | None = None,
    cells: int = 64,
    labels: tuple[str, str] = ("class +1", "class -1"),
) -> str:
    """The plane coloured by the sign of ``score(x, y)``, with labelled points.

    Args:
        score: positive means class +1.
        points: ``(x, y, label)`` with label +1 or -1.
        bounds: ``(x_min, x_max, y_min, y_max)``; by default the points'
            extent plus a margin.
        cells: the grid's resolution along x.
        labels: the legend's names for class +1 and class -1.

    >>> svg = decision_map(lambda x, y: x, [(1, 0, 1), (-1, 0, -1)], title="t",
    ...                    labels=("upper moon", "lower moon"))
    >>> "upper moon" in svg and "lower moon" in svg
    True
    """
    if bounds is None:
        px = [p[0] for p in points]
        py = [p[1] for p in points]
        pad_x = 0.15 * (max(px) - min(px)) or 1.0
        pad_y = 0.15 * (max(py) - min(py)) or 1.0
        bounds = (min(px) - pad_x, max(px) + pad_x, min(py) - pad_y, max(py) + pad_y)
    x_min, x_max, y_min, y_max = bounds
    frame = _Frame((x_min, x_max), (y_min, y_max))
    rows = max(1, round(cells * (frame.bottom - frame.top) / (frame.right - frame.left)))
    cell_w = (x_max - x_min) / cells
    cell_h = (y_max - y_min) / rows
    parts = _open(title)
    parts += _class_legend(frame, labels)
    for j in range(rows):
        cy = y_min + (j + 0.5) * cell_h
        signs = [score(x_min + (i + 0.5) * cell_w, cy) > 0.0 for i in range(cells)]
        top, bottom = frame.y(y_min + (j + 1) * cell_h), frame.y(y_min + j * cell_h)
        start = 0
        for i in range(1, cells + 1):  # one rectangle per run of equal cells
            if i < cells and signs[i] == signs[start]:
                continue
            left, right = frame.x(x_min + start * cell_w), frame.x(x_min + i * cell_w)
            fill = POSITIVE_FILL if signs[start] else NEGATIVE_FILL
            # a hair larger than the run, so no seams show between rows
            parts.append(
                f'<rect x="{_num(left)}" y="{_num(top)}" width="{_num(right - left + 0.4)}" '
                f'height="{_num(bottom - top + 0.4)}" fill="{fill}"/>'
            )
            start = i
    x_ticks = [t for t in nice_ticks(x_min, x_max) if x_min <= t <= x_max]
    y_ticks = [t for t in nice_ticks(y_min, y_max) if y_min <= t <= y_max]
    parts += _axes(frame, x_ticks, y_ticks, "x", "y")
    parts += [_marker(frame.x(x), frame.y(y), label) for x, y, label in points]
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
