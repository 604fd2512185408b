"""A student's square gate whose backward assigns with `=`: run `circuits check` on it.

The circuit's own numbers are right (x feeds one gate, so `=` and `+=` agree
here); `circuits check` probes the gate by itself and finds the slip.
"""

from gates import Gate, Unit


class AssignSquare(Gate):
    """utop = u0 * u0. Local derivative: 2 * u0."""

    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value * u0.value)
        return self.utop

    def backward(self):
        self.u0.grad = 2 * self.u0.value * self.utop.grad  # the slip: = where += belongs


x = Unit(1.5)
square = AssignSquare()
y = square.forward(x)
