"""The learner's gate-by-gate script from the guide runs unchanged on our gates.

The script (tests/guide_neuron.py) is the guide's neuron as learners port it
to Python, with its own Unit and gate class definitions replaced by one
import. The expected figures are the guide's (and SEEDS.md's), not this
project's output.
"""

from __future__ import annotations

import subprocess
import sys

from guide_neuron import SCRIPT as GUIDE_SCRIPT


def test_guide_script_prints_the_guides_figures() -> None:
    run = subprocess.run(
        [sys.executable, "-c", GUIDE_SCRIPT], capture_output=True, text=True, check=True
    )
    lines = run.stdout.splitlines()
    assert lines[0] == "circuit output: 0.8807970779778823"
    grads = [float(g) for g in lines[1].strip("[]").split(",")]
    # hand-worked: s = sigmoid(2), ds = s(1-s) = 0.104993585..., then
    # a: x*ds, b: y*ds, c: ds, x: a*ds, y: b*ds
    ds = 0.8807970779778823 * (1 - 0.8807970779778823)
    assert grads == [-1.0 * ds, 3.0 * ds, ds, 1.0 * ds, 2.0 * ds]
    printed = lines[1].strip("[]").split(", ")
    for text, guide in zip(printed, ["-0.104993", "0.314980", "0.104993", "0.104993", "0.209987"]):
        assert text.startswith(guide)
    assert lines[2] == "circuit output after one backprop: 0.8825501816218984"
