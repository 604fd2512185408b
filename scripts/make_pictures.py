"""Make every picture the docs show, from circuits.examples.

Circuit graphs come from the project's own drawing (``circuits.drawing``,
through Graphviz), traces from its ``Tracer`` (rich's SVG export), and the
charts (loss curves, decision boundaries) from ``svgplot`` beside this file.

The docs build calls :func:`pictures` from ``scripts/docs_hooks.py``, so the
site always shows pictures of the current code; nothing generated is
committed. To look at them without building the site::

    python scripts/make_pictures.py OUT_DIR
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console

from circuits import Tracer, draw
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

import svgplot  # beside this file, not an installed module

__all__ = ["PICTURES", "main", "pictures"]


def _neuron_forward() -> str:
    n = neuron.build_neuron()
    return draw(n.s, view="forward", names=vars(n), title="s = sigmoid(a*x + b*y + c)").to_svg()


def _neuron_backward() -> str:
    n = neuron.build_neuron()
    neuron.backward_by_hand(n)
    title = "backward: the gradient on each edge"
    return draw(n.s, view="backward", names=vars(n), title=title).to_svg()


def _neuron_trace() -> str:
    console = Console(record=True, width=84, file=io.StringIO(), color_system="truecolor")
    n = neuron.build_neuron()
    with Tracer(console=console, names=vars(n), summary=False):
        neuron.backward_by_hand(n)
    return console.export_svg(title="Tracer: the neuron's backward pass")


def _saturation(x: float) -> Callable[[], str]:
    def picture() -> str:
        n = saturation.build_saturation(w=5.0, b=1.0, x=x)
        n.l.backward()
        return draw(n.l, title=f"l = sigmoid(w*x + b) at x = {x}").to_svg()

    return picture


def _dead_for_data() -> str:
    dead = saturation.build_dead_neuron()
    dead.total.backward()
    return draw(dead.total, title="w=50, b=20 on the data 1.3 and 1.4: no gradient").to_svg()


def _accumulation() -> str:
    r = accumulation.build_recurrence()
    accumulation.backward_each(r)
    return draw(r.h3, title="after h1, h2 and h3 .backward(), no zeroing").to_svg()


def _mse_two_points() -> str:
    model = linear_regression.LinearModel()
    loss = linear_regression.mse([model.error(1.5, 1.0), model.error(2.0, 4.0)])
    loss.label = "loss"
    loss.backward()
    return draw(loss, title="MSE of two points, a = b = 0").to_svg()


def _mse_loss() -> str:
    data = linear_regression.make_line_data(200, seed=0)
    fit = linear_regression.train_sgd(data, batch_size=20, lr=0.1, steps=20, seed=0)
    return svgplot.line_chart(
        {"batch loss": fit.losses},
        title="Mini-batch SGD on y = 10x + 5 (batch 20, lr 0.1)",
        x_label="step",
        y_label="MSE of the batch",
        markers=True,
    )


def _xor_loss() -> str:
    run = xor.train_xor(seed=0, epochs=10000, lr=0.1)
    return svgplot.line_chart(
        {"loss": run.losses},
        title="XOR, 2-2-1 sigmoid network, seed 0, lr 0.1",
        x_label="epoch",
        y_label="sum of squared errors",
        x_start=1.0,
    )


def _vanishing_grads() -> str:
    chain = vanishing.build_chain(depth=10, activation="sigmoid", seed=0)
    return svgplot.line_chart(
        {"sigmoid chain": vanishing.layer_grads(chain)},
        title="|dC/dw| per layer, 10-layer sigmoid chain, seed 0",
        x_label="layer",
        y_label="|dC/dw| (log scale)",
        x_start=1.0,
        log_y=True,
        markers=True,
    )


def _moons_run() -> tuple[list[moons.Point], moons.MoonsRun]:
    data = moons.make_moons(60, noise=0.1, seed=1)
    return data, moons.train_moons(data, seed=1)


def _moons_loss() -> str:
    _, run = _moons_run()
    return svgplot.line_chart(
        {"hinge loss": run.losses, "training accuracy": run.accuracies},
        title="2-8-8-1 tanh MLP on 60 moons points, lr 1.0",
        x_label="step",
        y_label="loss / accuracy",
    )


def _moons_boundary() -> str:
    data, run = _moons_run()
    points = [(x1, x2, label) for (x1, x2), label in data]
    return svgplot.decision_map(
        run.predict, points, title="Decision regions of the trained MLP", cells=72
    )


def _svm_points() -> list[tuple[float, float, int]]:
    return [(x, y, label) for (x, y), label in zip(svm.DATA, svm.LABELS)]


def _svm_boundary() -> str:
    machine, _ = svm.train_svm(seed=9)
    return svgplot.decision_map(
        machine.score, _svm_points(), title="The SVM after 400 iterations (seed 9)"
    )


def _svm_network_boundary() -> str:
    net, _ = svm.train_network(seed=1)
    return svgplot.decision_map(
        net.score, _svm_points(), title="The 2-layer ReLU network after 400 iterations"
    )


PICTURES: dict[str, Callable[[], str]] = {
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
"""File name -> a function returning the SVG text."""


def pictures() -> dict[str, str]:
    """Every picture, by file name (under ``images/`` in the site)."""
    return {name: make() for name, make in PICTURES.items()}


def main(argv: list[str] | None = None) -> int:
    """Write every picture into the directory given on the command line."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python scripts/make_pictures.py OUT_DIR", file=sys.stderr)
        return 2
    out = Path(args[0])
    out.mkdir(parents=True, exist_ok=True)
    for name, svg in pictures().items():
        (out / name).write_text(svg, encoding="utf-8")
        print(out / name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
