"""A student's square gate whose backward forgets `* self.utop.grad`: run `circuits check` on it.

At the output of a circuit the upstream grad is 1, so the circuit's own
numbers are right; `circuits check` probes the gate with an upstream grad of 2.
"""

from gates import Gate, Unit


class NoUpstream(Gate):
    """utop = u0 * u0. Local derivative: 2 * u0."""

    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value * u0.value)
        return self.utop

    def backward(self):
        self.u0.grad += 2 * self.u0.value  # the slip: no * self.utop.grad


x = Unit(1.5)
square = NoUpstream()
y = square.forward(x)
