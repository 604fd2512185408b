"""The guide's single neuron as a learner ports it to Python, shared by the tests.

Only the imports differ from the learner's own script: its Unit and gate class
definitions are replaced by ``from gates import ...``. Nothing else is changed.
"""

import textwrap

FORWARD_AND_BACKWARD = textwrap.dedent(
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

    """
)
"""Units, gates, one forward pass and the backward calls, printing the output and grads."""

ONE_STEP = textwrap.dedent(
    """    step_size = 0.01
    a.value += step_size * a.grad  # a.grad is -0.105
    b.value += step_size * b.grad  # b.grad is 0.315
    c.value += step_size * c.grad  # c.grad is 0.105
    x.value += step_size * x.grad  # x.grad is 0.105
    y.value += step_size * y.grad  # y.grad is 0.210

    s = forwardNeuron()
    print('circuit output after one backprop: ' + str(s.value))
        """
)
"""A step of size 0.01 along the gradient and a second forward pass."""

SCRIPT = FORWARD_AND_BACKWARD + ONE_STEP
"""The whole script."""
