"""A wrong square gate whose effect on the output is lost in rounding: run `circuits check`.

`big * big` is 1e12, whose last digit is worth about 1e-4: nudging x moves the
output by less than that, so x's row cannot be checked (inconclusive). The
probe of `SqWrong` by itself still finds its wrong local derivative.
"""

from gates import Gate, Unit


class SqWrong(Gate):
    """utop = u0 ** 2, with a wrong local derivative (3 u0 instead of 2 u0)."""

    def forward(self, u0):
        self.u0 = u0
        self.utop = Unit(u0.value**2)
        return self.utop

    def backward(self):
        self.u0.grad += 3 * self.u0.value * self.utop.grad  # the slip: d(u0**2)/du0 is 2 u0


x = Unit(3.43)
big = Unit(1e6, requires_grad=False)
out = SqWrong().forward(x) + big * big
