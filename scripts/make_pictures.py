"""Make every picture the docs show, from circuits.examples.

Circuit graphs come from the project's own drawing (``circuits.drawing``,
through Graphviz), traces from its ``Tracer`` (rich's SVG export), and the
charts (loss curves, decision boundaries) from ``svgplot`` beside this file.

The pictures are committed in ``docs/images/``, so the Markdown pages show
them wherever they are read (on the code host too), and the docs build makes
them afresh from the current code (``scripts/docs_hooks.py``). Each SVG is
stamped with a digest of what it is made from: the DOT text of a graph, the
text of a trace, the SVG of a chart. ``tests/test_pictures.py`` checks that
every committed picture's stamp matches the code; that needs no Graphviz, and
a copy made by another Graphviz version still counts as current. After a
change that alters a picture::

    python scripts/make_pictures.py docs/images            # make them all again
    python scripts/make_pictures.py --check docs/images    # which are out of date
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from circuits import Tracer, draw
from circuits.drawing.render import render
from circuits.examples import (
    accumulation,
    linear_regression,
    moons,
    neuron,
    saturation,
    svm,
    vanishing,
    xor,
)
from gates import Unit
from gates.labels import numbered_from_one

sys.path.insert(0, str(Path(__file__).resolve().parent))

import svgplot  # beside this file, not an installed module

__all__ = ["IMAGES", "PICTURES", "Picture", "made", "main", "pictures", "stale", "stamp"]

IMAGES = Path(__file__).resolve().parent.parent / "docs" / "images"
"""Where the committed pictures live; pages link to them as ``../images/NAME.svg``."""

TRACE_WIDTH = 80
"""Columns of the trace picture. Shrunk to the docs' column (about 690 px at a
1280 px window) its text is about 13.5 px, the size of the site's code blocks;
a narrower console would wrap the rows' names mid-word."""


class Picture:
    """A picture: the text it is made from, and how to turn that into SVG.

    (A plain class, not a dataclass: the docs tests load this file by path,
    without putting it in ``sys.modules``, where dataclasses look.)
    """

    def __init__(self, source: str, make_svg: Callable[[], str]) -> None:
        self.source = source
        self.make_svg = make_svg

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.source.encode("utf-8")).hexdigest()[:20]

    def svg(self) -> str:
        """The SVG, stamped with the digest of its source."""
        return stamp(self.make_svg(), self.digest)


_STAMP = re.compile(r"<!-- made by scripts/make_pictures\.py from source ([0-9a-f]+) -->")


def stamp(svg: str, digest: str) -> str:
    """``svg`` with a comment naming the digest of its source (after any XML declaration).

    >>> print(stamp("<svg/>", "ab12"))
    <!-- made by scripts/make_pictures.py from source ab12 -->
    <svg/>
    """
    comment = f"<!-- made by scripts/make_pictures.py from source {digest} -->\n"
    if svg.startswith("<?xml"):
        declaration, _, rest = svg.partition("\n")
        return f"{declaration}\n{comment}{rest}"
    return comment + svg


def _graph(target: Unit, **options: Any) -> Picture:
    """A circuit's drawing, top to bottom: a page's column is narrow and long, and a
    left-to-right graph shrunk to its width would make the numbers tiny."""
    dot = draw(target, direction="TB", **options).to_dot()
    return Picture(dot, lambda: render(dot, "svg").decode("utf-8"))


def _chart(svg: str) -> Picture:
    return Picture(svg, lambda: svg)


def _neuron_forward() -> Picture:
    n = neuron.build_neuron()
    return _graph(n.s, view="forward", names=vars(n), title="s = sigmoid(a*x + b*y + c)")


def _neuron_backward() -> Picture:
    n = neuron.build_neuron()
    neuron.backward_by_hand(n)
    title = "backward: the gradient on each edge"
    return _graph(n.s, view="backward", names=vars(n), title=title)


def _neuron_trace() -> Picture:
    console = Console(record=True, width=TRACE_WIDTH, file=io.StringIO(), color_system="truecolor")
    n = neuron.build_neuron()
    with Tracer(console=console, names=vars(n), summary=False):
        neuron.backward_by_hand(n)
    text = console.export_text(clear=False, styles=True)
    return Picture(text, lambda: console.export_svg(title="Tracer: the neuron's backward pass"))


def _saturation(x: float) -> Callable[[], Picture]:
    def picture() -> Picture:
        n = saturation.build_saturation(w=5.0, b=1.0, x=x)
        n.l.backward()
        return _graph(n.l, title=f"l = sigmoid(w*x + b) at x = {x}")

    return picture


def _dead_for_data() -> Picture:
    dead = saturation.build_dead_neuron()
    dead.total.backward()
    return _graph(dead.total, title="w=50, b=20 on the data 1.3 and 1.4: no gradient")


def _accumulation() -> Picture:
    r = accumulation.build_recurrence()
    accumulation.backward_each(r)
    return _graph(r.h3, title="after h1, h2 and h3 .backward(), no zeroing")


def _mse_two_points() -> Picture:
    model = linear_regression.LinearModel()
    loss = linear_regression.mse([model.error(1.5, 1.0), model.error(2.0, 4.0)])
    loss.label = "loss"
    loss.backward()
    return _graph(loss, title="MSE of two points, a = b = 0")


def _mse_loss() -> Picture:
    data = linear_regression.make_line_data(200, seed=0)
    fit = linear_regression.train_sgd(data, batch_size=20, lr=0.1, steps=20, seed=0)
    return _chart(
        svgplot.line_chart(
            {"batch loss": fit.losses},
            title="Mini-batch SGD on y = 10x + 5 (batch 20, lr 0.1)",
            x_label="step",
            y_label="MSE of the batch",
            markers=True,
        )
    )


def _xor_loss() -> Picture:
    run = xor.train_xor(seed=0, epochs=10000, lr=0.1)
    return _chart(
        svgplot.line_chart(
            {"loss": run.losses},
            title="XOR, 2-2-1 sigmoid network, seed 0, lr 0.1",
            x_label="epoch",
            y_label="sum of squared errors",
            x_start=1.0,
        )
    )


def _vanishing_grads() -> Picture:
    chain = vanishing.build_chain(depth=10, activation="sigmoid", seed=0)
    return _chart(
        svgplot.line_chart(
            {"sigmoid chain": vanishing.layer_grads(chain)},
            title="|dC/dw| per layer, 10-layer sigmoid chain, seed 0",
            x_label="layer",
            y_label="|dC/dw| (log scale)",
            x_start=1.0,
            log_y=True,
            markers=True,
        )
    )


@functools.cache  # the loss chart and the decision map share one training run
def _moons_run() -> tuple[list[moons.Point], moons.MoonsRun]:
    data = moons.make_moons(60, noise=0.1, seed=1)
    return data, moons.train_moons(data, seed=1)


def _moons_loss() -> Picture:
    _, run = _moons_run()
    return _chart(
        svgplot.line_chart(
            {"hinge loss": run.losses, "training accuracy": run.accuracies},
            title="2-8-8-1 tanh MLP on 60 moons points, lr 1.0",
            x_label="step",
            y_label="loss / accuracy",
        )
    )


def _moons_boundary() -> Picture:
    data, run = _moons_run()
    points = [(x1, x2, label) for (x1, x2), label in data]
    return _chart(
        svgplot.decision_map(
            run.predict,
            points,
            title="Decision regions of the trained MLP",
            cells=72,
            labels=("upper moon, +1", "lower moon, -1"),
        )
    )


def _svm_points() -> list[tuple[float, float, int]]:
    return [(x, y, label) for (x, y), label in zip(svm.DATA, svm.LABELS)]


def _svm_boundary() -> Picture:
    machine, _ = svm.train_svm(seed=9)
    return _chart(
        svgplot.decision_map(
            machine.score, _svm_points(), title="The SVM after 400 iterations (seed 9)"
        )
    )


def _svm_network_boundary() -> Picture:
    net, _ = svm.train_network(seed=1)
    return _chart(
        svgplot.decision_map(
            net.score, _svm_points(), title="The 2-layer ReLU network after 400 iterations"
        )
    )


PICTURES: dict[str, Callable[[], Picture]] = {
    "neuron-forward.svg": _neuron_forward,
    "neuron-backward.svg": _neuron_backward,
    "neuron-trace.svg": _neuron_trace,
    "saturation-alive.svg": _saturation(0.1),
    "saturation-dead.svg": _saturation(20.1),
    "saturation-dead-for-data.svg": _dead_for_data,
    "accumulation.svg": _accumulation,
    "mse-two-points.svg": _mse_two_points,
    "mse-loss.svg": _mse_loss,
    "xor-loss.svg": _xor_loss,
    "vanishing-grads.svg": _vanishing_grads,
    "moons-loss.svg": _moons_loss,
    "moons-boundary.svg": _moons_boundary,
    "svm-boundary.svg": _svm_boundary,
    "svm-network-boundary.svg": _svm_network_boundary,
}
"""File name -> a function returning the :class:`Picture`."""


def made(name: str) -> Picture:
    """The picture ``name``, its automatic names (u1, g1) numbered afresh, so that
    what it is made from does not depend on what ran before in the process."""
    with numbered_from_one():
        return PICTURES[name]()


def pictures() -> dict[str, str]:
    """Every picture as stamped SVG text, by file name (needs Graphviz's ``dot``)."""
    return {name: made(name).svg() for name in PICTURES}


def stale(directory: Path = IMAGES) -> list[str]:
    """The pictures whose copy in ``directory`` is missing or was made from other code.

    Compares stamps only, so it needs no Graphviz.
    """
    out_of_date = []
    for name in PICTURES:
        path = directory / name
        found = _STAMP.search(path.read_text(encoding="utf-8")[:600]) if path.exists() else None
        if found is None or found.group(1) != made(name).digest:
            out_of_date.append(name)
    return out_of_date


# -- the trace player: the pages tutorials 2 and 4 embed, and a screenshot ---------
#
# Made by the docs build (scripts/docs_hooks.py) and never committed: a page
# holds its trace's data and the player's script, so it is always current.

PLAYER_PAGES = ("gate-to-gate.html", "accumulation.html")
"""The tutorials' player pages; the site has them as ``players/NAME``."""

PLAYER_SCREENSHOT = "player-neuron.png"
"""``circuits play docs/how-to/neuron.py`` at a backward step; the site has it as
``images/NAME``."""

CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]  # headless, and nothing of the browser's own that reaches out to the network


def player_pages() -> dict[str, str]:
    """Tutorial 2's player (the neuron built, then backward by hand, as the guide
    does) and tutorial 4's (the recurrence built, then h1, h2 and h3 backward in
    turn), as HTML by file name."""
    quiet = {"summary": False, "live": False}
    with numbered_from_one():
        with Tracer(console=Console(file=io.StringIO()), **quiet) as gate_to_gate:
            n = neuron.build_neuron()
            neuron.backward_by_hand(n)
        with Tracer(console=Console(file=io.StringIO()), **quiet) as accumulating:
            accumulation.backward_each(accumulation.build_recurrence())
    return {
        "gate-to-gate.html": gate_to_gate.player(title="the neuron, gate to gate").to_html(),
        "accumulation.html": accumulating.player(title="h1, h2, h3 .backward()").to_html(),
    }


def browser_missing() -> str | None:
    """Why the player's screenshot cannot be taken here, naming the fix; None if it can."""
    import shutil

    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the docs' player screenshot needs Playwright: pip install -e '.[dev]'"
    if shutil.which("chromium") is None:
        return (
            "the docs' player screenshot needs Chromium on PATH "
            "(Debian/Ubuntu: sudo apt-get install chromium)"
        )
    return None


def player_screenshot(step: int = 6) -> bytes:
    """A PNG of the page ``circuits play docs/how-to/neuron.py`` writes, at ``step``
    (6: sg0's backward, the grad written into the unit that is also addg1.utop)."""
    import contextlib
    import shutil
    import tempfile

    from playwright.sync_api import sync_playwright

    from circuits.cli import main as circuits

    script = IMAGES.parent / "how-to" / "neuron.py"
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "neuron.html"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            if circuits(["play", str(script), "-o", str(page)]) != 0:
                raise RuntimeError(f"circuits play {script} failed")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS
            )
            try:
                # The docs' column is about 690 px wide: a 1000 px window, shown at
                # two device pixels a pixel, stays sharp when shrunk to it.
                view = browser.new_page(
                    viewport={"width": 1000, "height": 800}, device_scale_factor=2
                )
                view.goto(f"{page.as_uri()}#step={step}")
                view.wait_for_selector("#player[data-ready]")
                png: bytes = view.screenshot(type="png")
            finally:
                browser.close()
    return png


def main(argv: list[str] | None = None) -> int:
    """Write every picture into a directory, or with ``--check`` list the stale ones."""
    args = sys.argv[1:] if argv is None else argv
    check = args[:1] == ["--check"]
    if check:
        args = args[1:]
    if len(args) != 1:
        print("usage: python scripts/make_pictures.py [--check] OUT_DIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    if check:
        names = stale(out)
        for name in names:
            print(f"{out / name} is out of date: python scripts/make_pictures.py {out}")
        return 1 if names else 0
    out.mkdir(parents=True, exist_ok=True)
    for name, svg in pictures().items():
        (out / name).write_text(svg, encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
