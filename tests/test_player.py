"""The trace player's page and data (circuits/player/), without a browser.

The browser tests (tests/test_player_browser.py) click through the page;
these check what it is made of: that its data is the Tracer's own events for
the script, with the guide's numbers, that it is one file that loads nothing,
and that both layouts place every node.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from circuits import Circuit, Tracer
from circuits.cli import main
from circuits.examples import accumulation, neuron
from circuits.player import Player, play, read_data
from circuits.player.graphviz_layout import dot_layout
from circuits.player.layout import layered, node_boxes
from circuits.player.page import DRAWN_UP_TO
from circuits.script import LineWriter, as_main, run_script
from gates import MultGate, Unit

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "how-to" / "neuron.py"

# The guide's neuron by hand: s = sigmoid(a*x + b*y + c) at a=1, b=2, c=-3, x=-1, y=3.
S = 1 / (1 + math.exp(-2.0))
DS = S * (1 - S)  # ds/d(a*x + b*y + c) = 0.104993...


def _raw(number: list[Any] | None) -> float | None:
    if number is None:
        return None
    raw = number[0]
    return float(raw) if isinstance(raw, str) else raw


def _play_script(tmp_path: Path, script: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / "page.html"
    assert main(["play", str(script), "-o", str(out), *args]) == 0
    return read_data(out.read_text(encoding="utf-8"))


def _traced(script: Path, argv: list[str] | None = None) -> Tracer:
    """The script traced as ``circuits trace`` traces it (names: the script's, at its end)."""
    with as_main(script, argv or []) as namespace:
        tracer = Tracer(console=Console(file=io.StringIO()), names=namespace, live=False)
        with tracer, contextlib.redirect_stdout(LineWriter(tracer.note)):
            run_script(script, namespace)
    return tracer


# -- the page's data is the Tracer's events ----------------------------------------


def test_the_pages_data_for_the_guides_script_is_the_tracers_events(tmp_path: Path) -> None:
    data = _play_script(tmp_path, GUIDE)
    events = _traced(GUIDE).events
    assert len(data["events"]) == len(events) == 10
    for row, event in zip(data["events"], events):
        assert row["step"] == event.step
        assert (row["gate_name"], row["gate_type"]) == (event.gate_name, event.gate_type)
        assert (row["phase"], row["replay"]) == (event.phase, event.replay)
        assert row["sentence"] == event.sentence()
        assert [r["name"] for r in row["reads"]] == [r.name for r in event.reads]
        assert [_raw(r["value"]) for r in row["reads"]] == [r.value for r in event.reads]
        assert [_raw(r["grad"]) for r in row["reads"]] == [r.grad for r in event.reads]
        assert [_raw(r["upstream"]) for r in row["reads"]] == [r.upstream for r in event.reads]
        assert [(w["name"], tuple(w["also"]), w["field"]) for w in row["writes"]] == [
            (w.name, w.also, w.field) for w in event.writes
        ]
        assert [(_raw(w["before"]), _raw(w["after"])) for w in row["writes"]] == [
            (w.before, w.after) for w in event.writes
        ]
        # every unit and gate of an event is the one the data lists under that number
        assert [data["units"][r["unit"]]["name"] for r in row["reads"]] == [
            r.name for r in event.reads
        ]
        assert data["gates"][row["gate"]]["name"] == event.gate_name


def test_the_pages_numbers_are_the_guides(tmp_path: Path) -> None:
    data = _play_script(tmp_path, GUIDE)
    events = data["events"]
    assert _raw(events[4]["writes"][0]["after"]) == pytest.approx(0.8808, abs=5e-5)
    # step 6: sg0 writes s(1 - s) into the unit that is also addg1.utop
    sixth = events[5]
    assert sixth["gate_name"] == "sg0" and sixth["phase"] == "backward"
    (write,) = sixth["writes"]
    assert [write["name"], *write["also"]] == ["sg0.u0", "axpbypc", "addg1.utop"]
    assert _raw(write["after"]) == pytest.approx(DS, rel=1e-12)
    assert write["after"][1] == "0.1050"
    grads = {
        data["units"][w["unit"]]["name"]: _raw(w["after"])
        for row in events
        for w in row["writes"]
        if w["field"] == "grad"
    }
    assert grads["a"] == pytest.approx(-1.0 * DS)  # x * ds
    assert grads["b"] == pytest.approx(3.0 * DS)  # y * ds
    assert grads["c"] == pytest.approx(DS)
    assert grads["x"] == pytest.approx(1.0 * DS)  # a * ds
    assert grads["y"] == pytest.approx(2.0 * DS)  # b * ds


def test_each_backward_edge_carries_upstream_times_local(tmp_path: Path) -> None:
    data = _play_script(tmp_path, GUIDE)
    mulg1 = data["events"][8]
    assert mulg1["gate_name"] == "mulg1"
    to_b, to_y = mulg1["writes"]
    # d(b*y)/db = y = 3 and d(b*y)/dy = b = 2, times the upstream ds
    assert _raw(to_b["flow"]["local"]) == 3.0 and _raw(to_y["flow"]["local"]) == 2.0
    assert _raw(to_b["flow"]["upstream"]) == pytest.approx(DS)
    assert _raw(to_b["flow"]["added"]) == pytest.approx(3.0 * DS)
    sg0 = data["events"][5]["writes"][0]["flow"]
    assert _raw(sg0["upstream"]) == 1.0 and _raw(sg0["local"]) == pytest.approx(DS)
    assert all("flow" not in w for row in data["events"][:5] for w in row["writes"])


def test_a_units_kind_is_told_as_in_the_drawings() -> None:
    x = Unit(0.1, label="x", requires_grad=False)
    w = Unit(5.0, label="w")
    out = MultGate().named("mulg").forward(w, x)
    kinds = {u["name"]: (u["kind"], u["takes_grad"]) for u in play(out).data["units"]}
    assert kinds == {
        "w": ("parameter", True),
        "x": ("constant", False),
        "mulg.utop": ("computed", True),
    }


def test_this_passes_share_is_told_apart_from_the_running_total() -> None:
    # tutorial 4: h2.backward() after h1.backward(); h1 holds 1.0 already
    r = accumulation.build_recurrence()
    r.h1.backward()
    with Tracer(console=Console(file=io.StringIO()), summary=False) as tracer:
        r.h2.backward()
    data = tracer.player().data
    third = data["events"][2]
    first_read = third["reads"][0]
    assert first_read["name"] == "h1"
    assert _raw(first_read["grad"]) == pytest.approx(1.5)  # what a user reads: both passes
    assert _raw(first_read["upstream"]) == pytest.approx(0.5)  # what this pass sends: wh
    assert "this backward pass sends 0.5000" in third["sentence"]
    (to_w,) = third["writes"]
    assert (_raw(to_w["before"]), _raw(to_w["after"])) == pytest.approx((1.0, 1.5))
    assert _raw(to_w["flow"]["upstream"]) == pytest.approx(0.5)


def test_the_page_names_units_as_the_console_rows_do(tmp_path: Path) -> None:
    # names given by a later line of the script (`s` is assigned after its gate ran)
    data = _play_script(tmp_path, GUIDE)
    names = [unit["name"] for unit in data["units"]]
    assert names == ["a", "x", "ax", "b", "y", "by", "axpby", "c", "axpbypc", "s"]


# -- the command line -----------------------------------------------------------------


def test_play_writes_beside_the_script_and_prints_only_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "neuron.py"
    shutil.copy(GUIDE, script)
    assert main(["play", str(script)]) == 0
    captured = capsys.readouterr()
    assert captured.out == f"{tmp_path / 'neuron.html'}\n"
    assert "s = 0.8808, a.grad = -0.105" in captured.err  # the script's own output
    data = read_data((tmp_path / "neuron.html").read_text(encoding="utf-8"))
    assert data["title"] == "neuron.py"
    assert data["notes"] == [[10, "s = 0.8808, a.grad = -0.105"]]  # printed after step 10


def test_play_honours_the_limit(tmp_path: Path) -> None:
    data = _play_script(tmp_path, GUIDE, "--limit", "3")
    assert [row["step"] for row in data["events"]] == [1, 2, 3]
    assert (data["count"], data["hidden"], data["limit"]) == (10, 7, 3)


def test_play_passes_arguments_after_the_double_dash(tmp_path: Path) -> None:
    script = tmp_path / "scaled.py"
    script.write_text(
        "import sys\nfrom gates import Unit\n"
        "w = Unit(float(sys.argv[1]), label='w')\nout = w * w\nout.backward()\n",
        encoding="utf-8",
    )
    data = _play_script(tmp_path, script, "--", "4")
    assert _raw(data["events"][1]["writes"][0]["after"]) == 8.0  # d(w*w)/dw = 2w


def test_a_script_that_raises_still_gets_the_page_of_what_ran(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "broken.py"
    script.write_text(
        "from gates import Unit\nw = Unit(2.0, label='w')\nout = w * w\n"
        "raise ValueError('learner bug')\n",
        encoding="utf-8",
    )
    out = tmp_path / "broken.html"
    assert main(["play", str(script), "-o", str(out)]) == 1
    assert "learner bug" in capsys.readouterr().err
    assert len(read_data(out.read_text(encoding="utf-8"))["events"]) == 1


def test_a_script_without_gates_writes_no_page(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "empty.py"
    script.write_text("print('no gates here')\n", encoding="utf-8")
    assert main(["play", str(script)]) == 2  # as draw: nothing to work on
    assert "empty.py ran no gate, so there is nothing to play" in capsys.readouterr().err
    assert not (tmp_path / "empty.html").exists()


def test_play_reports_a_file_it_cannot_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no" / "such" / "folder" / "page.html"
    assert main(["play", str(GUIDE), "-o", str(missing)]) == 2
    assert "cannot write" in capsys.readouterr().err


# -- one self-contained file -------------------------------------------------------------


def test_the_page_is_one_small_file_that_loads_nothing(tmp_path: Path) -> None:
    out = tmp_path / "page.html"
    main(["play", str(GUIDE), "-o", str(out)])
    page = out.read_text(encoding="utf-8")
    assert len(page.encode("utf-8")) < 300_000  # "a few hundred KB at most"
    assert not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]{2,}/", page, re.I)
    assert not re.search(r"<(link|img|iframe|object|embed)\b", page, re.I)
    assert not re.search(r"<script\b[^>]*\bsrc=", page, re.I)
    assert not re.search(r"@import|url\((?!#)", page)  # url(#arrow): a marker of the page
    assert "default-src 'none'" in page  # and the page's own policy forbids loading
    assert page.count("<script") == 2  # the data, and the player


def test_a_name_that_looks_like_markup_stays_text() -> None:
    w = Unit(2.0, label="</script><b>{{js}}</b>")
    out = w * w
    out.backward()
    with Tracer(console=Console(file=io.StringIO())) as tracer:
        out2 = w * w
        out2.backward()
    page = tracer.player(title="<i>title</i>").to_html()
    assert "</script><b>" not in page
    assert "<title>&lt;i&gt;title&lt;/i&gt; · trace player</title>" in page
    data = read_data(page)
    assert data["units"][0]["name"] == "</script><b>{{js}}</b>"


def test_numbers_that_are_not_finite_are_kept() -> None:
    big = Unit(1000.0, label="big")
    out = big.exp()
    out.label = "out"
    with Tracer(console=Console(file=io.StringIO()), live=False) as tracer:
        out2 = big.exp()
        out2.backward()
    data = json.loads(json.dumps(tracer.player().data, allow_nan=False))
    assert data["events"][0]["writes"][0]["after"] == ["inf", "inf"]


def test_read_data_refuses_other_pages() -> None:
    with pytest.raises(ValueError, match="not a trace player page"):
        read_data("<html><body>hello</body></html>")


# -- Python: tracer.player(), play(), Jupyter, save ----------------------------------


def test_tracer_player_inside_its_block_says_when_to_call_it() -> None:
    with Tracer(console=Console(file=io.StringIO())) as tracer:
        with pytest.raises(RuntimeError, match="after the block ends"):
            tracer.player()


def test_play_of_a_unit_traces_a_forward_replay_and_a_backward_pass() -> None:
    n = neuron.build_neuron()
    neuron.backward_by_hand(n)
    before = [(u.value, u.grad) for u in neuron.inputs_of(n)]
    player = play(n.s, names=vars(n), title="neuron")
    data = player.data
    assert [row["phase"] for row in data["events"]] == ["forward"] * 5 + ["backward"] * 5
    assert all(row["replay"] for row in data["events"][:5])
    # zero_grad: the page shows the grads filling in from 0, as the guide's figures
    a_write = data["events"][-1]["writes"][0]
    assert (_raw(a_write["before"]), _raw(a_write["after"])) == (0.0, pytest.approx(-DS))
    # and the neuron is left as it was
    assert [(u.value, u.grad) for u in neuron.inputs_of(n)] == before
    assert repr(player) == "<Player of 10 gate calls: neuron>"


def test_play_can_add_onto_the_grads_held() -> None:
    n = neuron.build_neuron()
    neuron.backward_by_hand(n)
    data = play(n.s, names=vars(n), zero_grad=False).data
    a_write = data["events"][-1]["writes"][0]
    assert (_raw(a_write["before"]), _raw(a_write["after"])) == pytest.approx((-DS, -2 * DS))


def test_play_of_a_circuit() -> None:
    p = Unit(3.0, label="p")
    with Circuit() as c:
        r = p * p + p * p
    r.label = "r"
    data = play(c).data
    writes = [w for row in data["events"] for w in row["writes"] if w["field"] == "grad"]
    p_grads = [_raw(w["after"]) for w in writes if data["units"][w["unit"]]["name"] == "p"]
    assert p_grads[-1] == 12.0  # 4p: every path once
    assert p.grad == 0.0


def test_play_refuses_what_it_cannot_play() -> None:
    with pytest.raises(ValueError, match="made by none"):
        play(Unit(1.0))
    with pytest.raises(ValueError, match="recorded none"):
        play(Circuit())
    with pytest.raises(TypeError, match="takes a Unit or a Circuit"):
        play(3.0)  # type: ignore[arg-type]


def test_the_player_shows_itself_in_jupyter_and_saves(tmp_path: Path) -> None:
    player = play(neuron.build_neuron().s)
    shown = player._repr_html_()
    assert shown.startswith("<iframe srcdoc=")
    page = player.to_html()
    assert "&lt;!doctype html&gt;" in shown and page.startswith("<!doctype html>")
    saved = player.save(tmp_path / "n.html")
    assert saved.read_text(encoding="utf-8") == page


# -- layout ------------------------------------------------------------------------------------


def _overlapping(placed: dict[str, Any]) -> list[tuple[str, str]]:
    boxes = placed["nodes"]
    found = []
    keys = sorted(boxes)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            ax, ay, aw, ah = boxes[a]
            bx, by, bw, bh = boxes[b]
            if abs(ax - bx) * 2 < aw + bw and abs(ay - by) * 2 < ah + bh:
                found.append((a, b))
    return found


@pytest.mark.parametrize("direction", ["LR", "TB"])
def test_the_own_layout_places_every_node_apart_with_inputs_first(direction: str) -> None:
    data = play(neuron.build_neuron().s).data
    shape = node_boxes(data)
    placed = layered(shape, direction)  # type: ignore[arg-type]
    assert set(placed["nodes"]) == {box.key for box in shape.boxes}
    assert not _overlapping(placed)
    axis = 0 if direction == "LR" else 1
    for source, target, path, _ in placed["edges"]:
        assert placed["nodes"][source][axis] < placed["nodes"][target][axis], (source, target)
        assert path.startswith("M")
    # no node sticks out of the picture
    for x, y, w, h in placed["nodes"].values():
        assert x - w / 2 >= 0 and y - h / 2 >= 0
        assert x + w / 2 <= placed["width"] and y + h / 2 <= placed["height"]


@pytest.mark.needs_dot
def test_graphviz_places_every_node_apart() -> None:
    data = play(neuron.build_neuron().s).data
    shape = node_boxes(data)
    for direction in ("LR", "TB"):
        placed = dot_layout(shape, direction)  # type: ignore[arg-type]
        assert placed is not None
        assert set(placed["nodes"]) == {box.key for box in shape.boxes}
        assert not _overlapping(placed)
    assert play(neuron.build_neuron().s).data["layout"]["engine"] == "Graphviz dot"


def test_without_graphviz_the_page_uses_its_own_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    layout = play(neuron.build_neuron().s).data["layout"]
    assert layout["engine"] == "layered"
    assert set(layout["LR"]["nodes"]) == set(layout["TB"]["nodes"])


def test_a_graph_too_big_to_draw_whole_is_shown_a_gate_at_a_time() -> None:
    w = Unit(0.5, label="w")
    total = w
    for _ in range(DRAWN_UP_TO // 2 + 1):  # each step adds a gate and a unit
        total = total * w
    player = play(total)
    assert player.data["layout"] is None
    assert len(player.data["events"]) == 2 * (DRAWN_UP_TO // 2 + 1)


def test_an_unknown_layout_is_refused() -> None:
    with pytest.raises(ValueError, match="layout must be"):
        Player([], layout="circo")  # type: ignore[arg-type]


# -- the docs: the pages and the screenshot the build makes are the ones linked -------------


def _make_pictures() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "make_pictures", ROOT / "scripts" / "make_pictures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_player_and_screenshot_the_docs_show_is_made_by_the_build() -> None:
    make_pictures = _make_pictures()
    shown_pages, shown_images = set(), set()
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        shown_pages.update(re.findall(r"players/([\w.-]+\.html)", text))
        shown_images.update(re.findall(r"images/(player[\w.-]*\.png)", text))
    assert shown_pages == set(make_pictures.PLAYER_PAGES)
    assert shown_images == {make_pictures.PLAYER_SCREENSHOT}
    for tutorial in ("02-gate-to-gate.md", "04-accumulation.md"):
        text = (ROOT / "docs" / "tutorials" / tutorial).read_text(encoding="utf-8")
        # the embed (raw HTML, which the build does not check) and a link (which it does)
        (src,) = re.findall(r'<iframe src="\.\./\.\./players/([\w.-]+)"', text)
        assert f"](../players/{src})" in text


def test_the_tutorials_players_hold_their_lessons() -> None:
    pages = _make_pictures().player_pages()
    assert set(pages) == {"gate-to-gate.html", "accumulation.html"}
    gate_to_gate = read_data(pages["gate-to-gate.html"])["events"]
    assert "wrote sg0.u0 is addg1.utop: grad 0.0 -> 0.1050" in gate_to_gate[5]["sentence"]
    accumulating = read_data(pages["accumulation.html"])
    w_grads = [
        _raw(w["after"])
        for row in accumulating["events"]
        for w in row["writes"]
        if accumulating["units"][w["unit"]]["name"] == "w" and w["field"] == "grad"
    ]
    # w's grad after each of h1, h2, h3 .backward(): 1.0, 2.5, 4.25 (tutorial 4's figures)
    assert w_grads[0] == pytest.approx(1.0)
    assert 2.5 in [pytest.approx(g) for g in w_grads]
    assert w_grads[-1] == pytest.approx(4.25)
