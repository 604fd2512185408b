"""The trace player: step through a trace's forward and backward passes in a browser.

A trace becomes one self-contained HTML page: the circuit as a graph whose
nodes show each unit's value and grad at the current step, the list of gate
calls, and the step in words. Step with the buttons, the slider or the
keyboard; ``#step=N`` in the address opens the page at step N. The page
holds the Tracer's own events as JSON and loads nothing else.

* ``tracer.player()`` after a ``with Tracer(...)`` block;
* :func:`play` for an output unit or a Circuit: a forward and a backward pass;
* ``circuits play SCRIPT.py`` for a script, unedited.

Modules, one concern each: ``trace_data`` (the events as the page's data),
``layout`` (the player's own layered layout), ``graphviz_layout`` (Graphviz's,
when ``dot`` is present), ``page`` (:class:`Player`, the HTML) and
``record`` (:func:`play`, and a Tracer that prints nothing). The page's own
files, ``template.html``, ``player.css`` and ``player.js``, sit beside them.

>>> from gates import MultGate, Unit
>>> a, b = Unit(2.0, label="a"), Unit(-3.0, label="b")
>>> out = MultGate().named("mulg").forward(a, b)
>>> player = play(out, title="a * b")
>>> print(player.data["events"][1]["sentence"])  # doctest: +NORMALIZE_WHITESPACE
mulg (MultGate) ran backward: it read mulg.utop.grad = 1.0 and a = 2.0 and b = -3.0,
and wrote mulg.u0 is a: grad 0.0 -> -3.0 and mulg.u1 is b: grad 0.0 -> 2.0.
>>> player.save("a-times-b.html")  # doctest: +SKIP
PosixPath('a-times-b.html')
"""

from circuits.player.page import Player, read_data
from circuits.player.record import play

__all__ = ["Player", "play", "read_data"]
