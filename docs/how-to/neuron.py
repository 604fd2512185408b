"""The guide's neuron, gate by gate: a script to run under `circuits trace`."""

from gates import AddGate, MultGate, SigmoidGate, Unit

a, b, c = Unit(1.0, 0.0), Unit(2.0, 0.0), Unit(-3.0, 0.0)
x, y = Unit(-1.0, 0.0), Unit(3.0, 0.0)
mulg0, mulg1, addg0, addg1, sg0 = MultGate(), MultGate(), AddGate(), AddGate(), SigmoidGate()

ax = mulg0.forward(a, x)
by = mulg1.forward(b, y)
axpby = addg0.forward(ax, by)
axpbypc = addg1.forward(axpby, c)
s = sg0.forward(axpbypc)

s.grad = 1.0
sg0.backward()
addg1.backward()
addg0.backward()
mulg1.backward()
mulg0.backward()
print(f"s = {s.value:.4f}, a.grad = {a.grad:.3f}")
