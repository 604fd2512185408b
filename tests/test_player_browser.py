"""The trace player in a real browser: Chromium, driven by Playwright.

A learner runs ``circuits play`` on the guide's script (docs/how-to/neuron.py)
and steps through the page; these tests do the same and read what they
would read: the step's sentence, each node's value and grad, the address.

They need Playwright (``pip install -e '.[dev]'``) and a Chromium on PATH
(Debian: ``apt-get install chromium``; Playwright's own browser download is
never used). Where either is missing they are skipped, saying which, except
in CI (``CI`` set), where they fail: CI must click through the page.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from circuits.cli import main
from circuits.examples import accumulation
from circuits.player import Player, play
from circuits.tracer import Tracer
from gates import Unit

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "how-to" / "neuron.py"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Headless, and nothing of the browser's own that reaches out to the network.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LONG_SCRIPT = '''\
"""A neuron trained by replaying a recorded circuit: 10 005 gate calls."""
from circuits import Circuit
from gates import Unit

w, b = Unit(0.5, label="w"), Unit(0.0, label="b")
x = Unit(1.5, label="x", requires_grad=False)
with Circuit() as c:
    out = (w * x + b).sigmoid()
    loss = (out - 1.0) ** 2
for step in range(1000):
    c.zero_grad()
    c.backward()
    w.value -= 0.5 * w.grad
    b.value -= 0.5 * b.grad
    c.forward()
'''


def _missing() -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "needs Playwright: pip install -e '.[dev]' (or pip install playwright)"
    if CHROMIUM is None:
        return "needs Chromium on PATH (Debian/Ubuntu: sudo apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    missing = _missing()
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the browser tests, but this one {missing}", pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


class Opened:
    """A player page open in the browser, with every request it made."""

    def __init__(self, page: Any, url: str, requests: list[str], errors: list[str]) -> None:
        self.page = page
        self.url = url
        self.requests = requests
        self.errors = errors

    def press(self, key: str, times: int = 1) -> None:
        for _ in range(times):
            self.page.keyboard.press(key)

    def sentence(self) -> str:
        return str(self.page.inner_text("#sentence"))

    def counter(self) -> str:
        return str(self.page.inner_text("#counter"))

    def node(self, name: str) -> list[str]:
        """The lines of the unit node named ``name``: name, value, grad."""
        lines: list[str] | None = self.page.evaluate(
            """(name) => {
                for (const g of document.querySelectorAll('#graph .unit')) {
                    const lines = [...g.querySelectorAll(':scope > text')].map(t => t.textContent);
                    if (lines[0] === name) return lines;
                }
                return null;
            }""",
            name,
        )
        assert lines is not None, f"no node named {name!r} in the graph"
        return lines

    def classes(self, selector_js: str) -> list[str]:
        found: list[str] = self.page.evaluate(selector_js)
        return found

    def nodes(self) -> list[list[str]]:
        """Every unit node's lines, and whether it is drawn as not computed yet."""
        found: list[list[str]] = self.page.evaluate(
            """() => [...document.querySelectorAll('#graph .unit')].map(g =>
                [...g.querySelectorAll(':scope > text')].map(t => t.textContent)
                    .concat([g.classList.contains('pending') ? 'pending' : '']))"""
        )
        return found


Open = Callable[..., Opened]


@pytest.fixture
def open_page(browser: Any) -> Iterator[Open]:
    contexts: list[Any] = []

    def open_(path: Path, hash: str = "", *, width: int = 1280, height: int = 800) -> Opened:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        url = path.resolve().as_uri()
        requests: list[str] = []
        errors: list[str] = []

        def route(route: Any) -> None:
            # Only the page's own file may load; anything else is refused.
            if route.request.url.split("#")[0] == url:
                route.continue_()
            else:
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(url + hash)
        page.wait_for_selector("#player[data-ready]")
        return Opened(page, url, requests, errors)

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def guide_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page ``circuits play docs/how-to/neuron.py`` writes."""
    out = tmp_path_factory.mktemp("play") / "neuron.html"
    assert main(["play", str(GUIDE), "-o", str(out)]) == 0
    return out


# -- the acceptance: six presses of the right arrow ---------------------------


def test_six_right_arrows_show_sg0s_grad_written_into_the_unit_that_is_addg1_utop(
    open_page: Open, guide_page: Path
) -> None:
    opened = open_page(guide_page)
    assert opened.counter() == "0 / 10"
    opened.press("ArrowRight", 6)
    assert opened.counter() == "6 / 10"
    sentence = opened.sentence()
    assert sentence.startswith("sg0 (SigmoidGate) ran backward")
    assert "wrote sg0.u0 is axpbypc is addg1.utop: grad 0.0 -> 0.1050" in sentence
    # the graph: that unit shows the new grad, lit as written, with its other names
    assert opened.node("axpbypc") == ["axpbypc", "value 2.0", "grad 0.1050"]
    lit = opened.page.evaluate(
        """() => [...document.querySelectorAll('#graph .unit.written')]
            .map(g => g.querySelector('text').textContent)"""
    )
    assert lit == ["axpbypc"]
    aliases = opened.page.text_content("#graph .alias")
    assert aliases == "also sg0.u0, addg1.utop"
    wrote = opened.page.inner_text("#details li.wrote")
    assert "sg0.u0 is axpbypc is addg1.utop" in wrote
    assert opened.errors == []


# -- what each step shows -----------------------------------------------------------------


def test_node_labels_follow_the_steps(open_page: Open, guide_page: Path) -> None:
    opened = open_page(guide_page)
    assert opened.node("a") == ["a", "value 1.0", "grad 0.0"]
    assert opened.node("ax") == ["ax", "value \u2014", "grad \u2014"]  # not computed yet
    opened.press("ArrowRight")
    assert opened.node("ax") == ["ax", "value -1.0", "grad 0.0"]
    assert opened.sentence() == (
        "mulg0 (MultGate) ran forward: it read a = 1.0 and x = -1.0 and wrote its output "
        "mulg0.utop is ax: value = -1.0."
    )
    opened.press("ArrowRight", 4)
    assert opened.node("s") == ["s", "value 0.8808", "grad \u2014"]  # not seeded yet
    opened.press("ArrowRight")
    assert opened.node("s") == ["s", "value 0.8808", "grad 1.0"]
    assert "it was set before this step" in opened.page.inner_text("#details")
    opened.press("End")
    assert [opened.node(n)[2] for n in "abcxy"] == [
        "grad -0.1050",
        "grad 0.3150",
        "grad 0.1050",
        "grad 0.1050",
        "grad 0.2100",
    ]
    assert "s = 0.8808, a.grad = -0.105" in opened.page.inner_text("#details")  # its print


def test_going_back_restores_every_node_to_what_it_was_at_that_step(
    open_page: Open, guide_page: Path
) -> None:
    opened = open_page(guide_page)
    forward = [opened.nodes()]
    for _ in range(10):
        opened.press("ArrowRight")
        forward.append(opened.nodes())
    assert forward[9] != forward[10]  # mulg0 wrote a's and x's grads at step 10
    backward = [opened.nodes()]
    for _ in range(10):
        opened.press("ArrowLeft")
        backward.append(opened.nodes())
    assert backward[::-1] == forward
    assert opened.node("a") == ["a", "value 1.0", "grad 0.0"]
    opened.page.click("#last")
    opened.page.click("#prev")
    assert opened.node("a")[2] == "grad 0.0" and opened.node("b")[2] == "grad 0.3150"


def test_forward_and_backward_are_told_apart_by_more_than_colour(
    open_page: Open, guide_page: Path
) -> None:
    opened = open_page(guide_page, "#step=3")
    assert opened.page.inner_text("#phase").strip() == "\u25b6 forward"
    assert "\u25b6 forward" in opened.page.inner_text("#step-heading")
    gate = opened.page.evaluate(
        "() => document.querySelector('#graph .gate.active').className.baseVal"
    )
    assert "forward-step" in gate
    opened.press("ArrowRight", 4)  # step 7, addg1 backward
    assert opened.page.inner_text("#phase").strip() == "\u25c0 backward"
    edges = opened.page.evaluate(
        "() => [...document.querySelectorAll('#graph .edge.on-backward')].length"
    )
    assert edges == 2  # addg1 sends its grad back along both of its input edges
    dashed = opened.page.evaluate(
        "() => getComputedStyle(document.querySelector('#graph .edge.on-backward')).strokeDasharray"
    )
    assert dashed not in ("", "none")
    flows = opened.page.evaluate(
        "() => [...document.querySelectorAll('#graph .flow text')].map(t => t.textContent)"
    )
    # upstream x local = what flowed, on each edge
    assert flows == ["\u25c0 0.1050 \u00d7 1.0= 0.1050", "\u25c0 0.1050 \u00d7 1.0= 0.1050"]


def test_an_address_with_step_n_opens_at_step_n_and_follows_the_steps(
    open_page: Open, guide_page: Path
) -> None:
    opened = open_page(guide_page, "#step=8")
    assert opened.counter() == "8 / 10"
    assert opened.sentence().startswith("addg0 (AddGate) ran backward")
    opened.press("ArrowRight")
    opened.page.wait_for_function("() => location.hash === '#step=9'")
    opened.page.evaluate("() => { location.hash = '#step=2'; }")
    opened.page.wait_for_function(
        "() => document.getElementById('counter').textContent === '2 / 10'"
    )
    assert opened.sentence().startswith("mulg1 (MultGate) ran forward")
    past_the_end = open_page(guide_page, "#step=99")
    assert past_the_end.counter() == "10 / 10"


def test_the_keyboard_buttons_and_slider_step(open_page: Open, guide_page: Path) -> None:
    opened = open_page(guide_page)
    opened.press("End")
    assert opened.counter() == "10 / 10"
    opened.press("Home")
    assert opened.counter() == "0 / 10"
    opened.page.click("#next")
    opened.page.click("#next")
    assert opened.counter() == "2 / 10"
    opened.page.click("#prev")
    assert opened.counter() == "1 / 10"
    opened.page.locator("#slider").fill("7")
    assert opened.counter() == "7 / 10"
    # Play slowly first, so that "playing" can be seen before it ends (at 16 ms a
    # step, a slow machine could finish the three steps before the next assert).
    opened.page.select_option("#speed", "1400")
    opened.page.focus("body")
    opened.press(" ")  # play ...
    assert opened.page.get_attribute("#play", "aria-pressed") == "true"
    opened.page.select_option("#speed", "16")  # ... and speed up while playing
    opened.page.wait_for_function(
        "() => document.getElementById('counter').textContent === '10 / 10'"
    )
    opened.page.wait_for_function(
        "() => document.getElementById('play').getAttribute('aria-pressed') === 'false'"
    )
    opened.press("Home")
    opened.page.select_option("#speed", "1400")
    opened.page.focus("body")
    opened.press(" ")
    opened.press(" ")  # ... and pause
    assert opened.page.get_attribute("#play", "aria-pressed") == "false"
    assert opened.page.get_attribute("#play", "aria-label") == "Play"
    assert opened.counter() in ("0 / 10", "1 / 10")


def test_every_control_has_a_name_and_shows_focus(open_page: Open, guide_page: Path) -> None:
    opened = open_page(guide_page)
    for button in ("#first", "#prev", "#play", "#next", "#last"):
        assert opened.page.get_attribute(button, "aria-label")
    assert opened.page.evaluate("() => document.querySelector('label[for=slider]') !== null")
    opened.press("Tab")
    focused = opened.page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
            return [document.activeElement.id, s.outlineStyle, s.outlineWidth]; }"""
    )
    assert focused[1] == "solid" and focused[2] == "3px", focused


def test_the_page_fetches_nothing_but_itself(open_page: Open, guide_page: Path) -> None:
    opened = open_page(guide_page)
    opened.press("ArrowRight", 10)
    opened.press("Home")
    assert {url.split("#")[0] for url in opened.requests} == {opened.url}
    # the recorder would have seen a request to the outside (a negative control)
    with opened.page.expect_request(lambda request: "example.invalid" in request.url):
        opened.page.evaluate(
            "() => { const i = document.createElement('img');"
            " i.src = 'http://example.invalid/x.png'; document.body.appendChild(i); }"
        )
    assert any("example.invalid" in url for url in opened.requests)


def test_text_is_text_that_can_be_selected_and_found(open_page: Open, guide_page: Path) -> None:
    opened = open_page(guide_page, "#step=6")
    selected = opened.page.evaluate(
        """() => { const s = getSelection();
            s.selectAllChildren(document.getElementById('sentence'));
            return s.toString(); }"""
    )
    assert selected == opened.sentence()
    assert opened.page.evaluate("() => window.find('addg1.utop')")
    assert opened.page.evaluate(
        "() => { getSelection().removeAllRanges(); return window.find('value 0.8808'); }"
    )


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (688, 820), (390, 844)])
def test_the_page_is_readable_at_desktop_and_phone_width(
    open_page: Open, guide_page: Path, width: int, height: int
) -> None:
    opened = open_page(guide_page, "#step=6", width=width, height=height)
    page = opened.page
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width  # no sideways page
    for button in ("#first", "#prev", "#play", "#next", "#last"):
        box = page.locator(button).bounding_box()
        assert box is not None and box["height"] >= 36 and box["x"] + box["width"] <= width
    sentence_px = page.evaluate(
        "() => parseFloat(getComputedStyle(document.getElementById('sentence')).fontSize)"
    )
    assert sentence_px >= 14
    # the graph's text, as drawn on the screen, is no smaller than 10 px
    shown_px = page.evaluate(
        """() => { const svg = document.getElementById('graph');
            const scale = svg.width.baseVal.value / svg.viewBox.baseVal.width;
            return 14 * scale; }"""
    )
    assert shown_px >= 10, shown_px
    if width > 600:  # wide: the graph beside the step
        graph = page.locator("#graph-scroll").bounding_box()
        step = page.locator(".step").bounding_box()
        assert graph is not None and step is not None and graph["x"] + graph["width"] <= step["x"]


# -- other pages: our own layout, a big graph, shares, a notebook's iframe -------------------


def test_the_players_own_layout_draws_the_same_page(open_page: Open, tmp_path: Path) -> None:
    from circuits.examples import neuron

    n = neuron.build_neuron()
    page = play(n.s, names=vars(n), layout="layers").save(tmp_path / "own.html")
    opened = open_page(page, "#step=6")
    assert "Layout: layered" in opened.page.inner_text("#engine")
    assert opened.node("addg1.utop")[2] == "grad 0.1050"  # named by the circuit's gate
    assert opened.sentence().startswith("sg0 (SigmoidGate) ran backward")


def test_a_big_graph_shows_the_gate_of_the_step(open_page: Open, tmp_path: Path) -> None:
    w = Unit(0.5, label="w")
    total = w
    for _ in range(250):
        total = total * w
    page = play(total).save(tmp_path / "big.html")
    opened = open_page(page, "#step=3")
    assert "too many to draw at once" in opened.page.inner_text("#graph-note")
    shown = opened.page.evaluate(
        "() => [...document.querySelectorAll('#graph .unit .uname')].map(t => t.textContent)"
    )
    assert len(shown) == 3 and "w" in shown  # the third gate's two inputs and its output
    opened.press("End")
    assert opened.page.locator("#graph .gate").count() == 1


def test_a_pass_that_sends_less_than_a_unit_holds_says_so(open_page: Open, tmp_path: Path) -> None:
    import io

    from rich.console import Console

    r = accumulation.build_recurrence()
    r.h1.backward()
    with Tracer(console=Console(file=io.StringIO()), summary=False) as tracer:
        r.h2.backward()
    opened = open_page(tracer.player(title="h2").save(tmp_path / "h2.html"), "#step=3")
    details = opened.page.inner_text("#details")
    assert "h1.grad = 1.5000" in details
    assert "this backward pass sends 0.5000 of it" in details
    assert opened.node("w")[2] == "grad 1.5000"
    opened.press("ArrowLeft")
    assert opened.node("w")[2] == "grad 1.0"  # what h1.backward() had left


def test_a_unit_that_many_gates_hold_names_a_few_and_counts_the_rest(
    open_page: Open, tmp_path: Path
) -> None:
    import io

    from rich.console import Console

    from gates.labels import numbered_from_one

    w = Unit(0.5, label="w")
    with numbered_from_one(), Tracer(console=Console(file=io.StringIO()), summary=False) as t:
        total = w * 1.0
        for k in range(2, 11):
            total = total + w * float(k)  # ten MultGates hold w
        total.backward()
    opened = open_page(t.player().save(tmp_path / "w.html"), "#step=21")
    assert opened.sentence().startswith("g18 (MultGate) ran backward")
    wrote = opened.page.inner_text("#details li.wrote")
    # the gate's own name for w, w, the first three gates that held it, and the count of the rest
    assert wrote.startswith(
        "g18.u0 is w is g1.u0 is g2.u0 is g4.u0 (and 6 more names through other gates)"
    ), wrote
    aliases = opened.page.evaluate(
        "() => [...document.querySelectorAll('#graph .alias')].map(t => t.textContent).join(' ')"
    )
    assert "g4.u0, and 6 more names through other gates" in aliases, aliases


def test_the_notebook_iframe_runs_the_page(browser: Any) -> None:
    from circuits.examples import neuron

    player: Player = play(neuron.build_neuron().s)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(f"<!doctype html><body>{player._repr_html_()}</body>")
        frame = page.frame_locator("iframe")
        frame.locator("#player[data-ready]").wait_for()
        frame.locator("#next").click()
        assert frame.locator("#counter").inner_text() == "1 / 10"
    finally:
        context.close()


# -- a long trace -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("long")
    script = folder / "train.py"
    script.write_text(LONG_SCRIPT, encoding="utf-8")
    assert main(["play", str(script)]) == 0
    return folder / "train.html"


def test_ten_thousand_gate_calls_play_smoothly(open_page: Open, long_page: Path) -> None:
    opened = open_page(long_page, "#step=5000")
    page = opened.page
    assert opened.counter() == "5000 / 10000"  # the default --limit keeps 10 000
    assert page.inner_text("#list-note") == (
        "\u2026 and 5 more gate calls, not kept (limit=10000)."
    )
    assert page.locator("#list .row").count() < 80  # only the rows in view exist
    assert page.locator("#row-5000.current").count() == 1
    per_step = page.evaluate(
        """() => { const t = performance.now();
            for (let i = 0; i < 300; i++)
                document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}));
            return (performance.now() - t) / 300; }"""
    )
    assert per_step < 16, f"{per_step:.1f} ms a step: slower than a frame at 60 Hz"
    assert opened.counter() == "5300 / 10000"
    opened.press("End")
    assert page.locator("#row-10000.current").is_visible()
    assert page.locator("#list .row").count() < 80
    page.locator("#slider").fill("1")
    assert page.locator("#row-1.current").is_visible()
    assert opened.errors == []


def test_tutorial_2s_player_answers_the_learners_question(open_page: Open, tmp_path: Path) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_pictures", ROOT / "scripts" / "make_pictures.py"
    )
    assert spec is not None and spec.loader is not None
    make_pictures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_pictures)
    page = tmp_path / "gate-to-gate.html"
    page.write_text(make_pictures.player_pages()["gate-to-gate.html"], encoding="utf-8")
    opened = open_page(page, width=688, height=820)  # the docs' column
    opened.press("ArrowRight", 6)
    assert "wrote sg0.u0 is addg1.utop: grad 0.0 -> 0.1050" in opened.sentence()
    assert opened.node("addg1.utop") == ["addg1.utop", "value 2.0", "grad 0.1050"]
