"""Drawing circuits: a console tree, Graphviz DOT, SVG and PNG, inline in Jupyter.

``draw(target)`` returns a :class:`Drawing`; print it, save it, or let a
notebook show it. Modules, one concern each:

* ``graph``: the nodes and edges (and the gradient that flowed along each);
* ``console``: the rich tree (needs nothing installed);
* ``dot``: Graphviz DOT text (needs nothing installed);
* ``render``: SVG and PNG through the ``graphviz`` package and ``dot``;
* ``picture``: ``draw()`` and ``Drawing``, the front door.

Units and gates go by the names a ``Tracer`` shows them by (``u1``, ``g3``
when nobody named them).

>>> from gates import Unit
>>> w, x = Unit(5.0, label="w"), Unit(0.1, label="x", requires_grad=False)
>>> l = (w * x + 1.0).sigmoid()
>>> l.backward()
>>> print(draw(l).to_text(width=70))  # doctest: +NORMALIZE_WHITESPACE
u4 = sigmoid [g3]   value 0.8176  grad 1.0
└── <- 0.1491  u3 = + [g2]   value 1.5000  grad 0.1491
    ├── <- 0.1491  u1 = * [g1]   value 0.5000  grad 0.1491
    │   ├── <- 0.0149  w   value 5.0  grad 0.0149
    │   └── x=0.10  (constant)
    └── 1.00  (constant u2)
<- n: gradient that flowed along the edge = upstream grad x local derivative
"""

from circuits.drawing.graph import Graph, build_graph
from circuits.drawing.picture import Drawing, draw
from circuits.drawing.render import DrawingUnavailable, can_render

__all__ = ["Drawing", "DrawingUnavailable", "Graph", "build_graph", "can_render", "draw"]
