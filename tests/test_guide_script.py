"""The learner's gate-by-gate script from the guide runs unchanged on our gates.

The script below is the guide's neuron as learners port it to Python, with its
own Unit and gate class definitions replaced by one import. The expected
figures are the guide's (and SEEDS.md's), not this project's output.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

GUIDE_SCRIPT = textwrap.dedent(
    """
    from gates import Unit, MultGate, AddGate, SigmoidGate

    # create input units
    a = Unit(1.0, 0.0)
    b = Unit(2.0, 0.0)
    c = Unit(-3.0, 0.0)
    x = Unit(-1.0, 0.0)
    y = Unit(3.0, 0.0)

    # create the gates
    mulg0 = MultGate()
    mulg1 = MultGate()
    addg0 = AddGate()
    addg1 = AddGate()
    sg0 = SigmoidGate()

    # do the forward pass
    def forwardNeuron():
        ax = mulg0.forward(a, x)  # a*x = -1
        by = mulg1.forward(b, y)  # b*y = 6
        axpby = addg0.forward(ax, by)  # a*x + b*y = 5
        axpbypc = addg1.forward(axpby, c)  # a*x + b*y + c = 2
        s = sg0.forward(axpbypc)  # sig(a*x + b*y + c) = 0.8808
        return s

    s = forwardNeuron()
    print('circuit output: ' + str(s.value))

    s.grad = 1.0
    sg0.backward()  # writes gradient into axpbypc
    addg1.backward()  # writes gradients into axpby and c
    addg0.backward()  # writes gradients into ax and by
    mulg1.backward()  # writes gradients into b and y
    mulg0.backward()  # writes gradients into a and x
    print([a.grad, b.grad, c.grad, x.grad, y.grad])

    step_size = 0.01
    a.value += step_size * a.grad  # a.grad is -0.105
    b.value += step_size * b.grad  # b.grad is 0.315
    c.value += step_size * c.grad  # c.grad is 0.105
    x.value += step_size * x.grad  # x.grad is 0.105
    y.value += step_size * y.grad  # y.grad is 0.210

    s = forwardNeuron()
    print('circuit output after one backprop: ' + str(s.value))
    """
)


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
