"""The docs site: command-line pages, snippets and pictures stay true to the code.

The pages' ``>>>`` blocks are doctests (pytest collects ``docs/`` with
``--doctest-glob=*.md``). This module checks what doctests cannot: that the
``$ circuits ...`` sessions shown in ``console`` blocks print what the page
says, that every included snippet exists, and that every picture a page
shows is made by ``scripts/make_pictures.py`` as well-formed SVG. And it
checks the kinds of prose claim that drifted: the defaults a page states
against the signatures, the gate counts the tutorials state against
``gates_behind``, and the names the pages import against the reference.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import doc_pages
import pytest

from gates import Gate
from gates.backprop import gates_behind

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))


def _console_sessions() -> list[tuple[str, str, str]]:
    """(page, command, expected stdout) for each ``$ circuits`` line of a console block."""
    sessions = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for block in re.findall(r"^```console\n(.*?)^```", text, flags=re.S | re.M):
            lines = block.splitlines()
            starts = [i for i, line in enumerate(lines) if line.startswith("$ ")]
            for n, start in enumerate(starts):
                end = starts[n + 1] if n + 1 < len(starts) else len(lines)
                command = lines[start][2:]
                expected = "\n".join(lines[start + 1 : end])
                sessions.append((str(page.relative_to(ROOT)), command, expected))
    return sessions


SESSIONS = _console_sessions()


def _normalise(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def test_the_command_line_page_has_sessions() -> None:
    assert len(SESSIONS) >= 5
    assert all(command.startswith("circuits") for _, command, _ in SESSIONS)


@pytest.mark.parametrize(("page", "command", "expected"), SESSIONS, ids=[c for _, c, _ in SESSIONS])
def test_console_session_prints_what_the_page_shows(page: str, command: str, expected: str) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "TTY_COMPATIBLE")}
    env["COLUMNS"] = "80"
    args = shlex.split(command)[1:]
    done = subprocess.run(
        [sys.executable, "-m", "circuits", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert _normalise(done.stdout) == _normalise(expected), f"{page}: {command}"


def test_every_snippet_a_page_includes_exists() -> None:
    found = 0
    for page in PAGES:
        for target in re.findall(r'^--8<-- "([^"]+)"', page.read_text(encoding="utf-8"), re.M):
            path, _, section = target.partition(":")
            source = (ROOT / path).read_text(encoding="utf-8")
            if section:
                assert f"--8<-- [start:{section}]" in source, f"{page.name}: {target}"
                assert f"--8<-- [end:{section}]" in source, f"{page.name}: {target}"
            found += 1
    assert found >= 5


def _load_make_pictures() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_pictures", ROOT / "scripts" / "make_pictures.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_every_picture_a_page_shows_is_made() -> None:
    make_pictures = _load_make_pictures()
    shown = set()
    for page in PAGES:
        shown.update(re.findall(r"\(\.{0,2}/?(?:\.\./)*images/([\w.-]+\.svg)\)", page.read_text()))
    made = set(make_pictures.PICTURES)
    assert shown <= made, f"pages show pictures nobody makes: {sorted(shown - made)}"
    assert made <= shown, f"pictures no page shows: {sorted(made - shown)}"


@pytest.mark.needs_dot
def test_pictures_are_well_formed_svg(tmp_path: Path) -> None:
    make_pictures = _load_make_pictures()
    assert make_pictures.main([str(tmp_path)]) == 0
    for name in make_pictures.PICTURES:
        root = ET.parse(tmp_path / name).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg", name
    boundary = (tmp_path / "moons-boundary.svg").read_text()
    # both classes' regions and all 60 training points are drawn
    assert "#d6e4f5" in boundary and "#f6d9d9" in boundary
    assert boundary.count('stroke="white"') == 60
    trace = (tmp_path / "neuron-trace.svg").read_text()
    assert "addg1.utop" in trace  # the Tracer's answer, in the picture


# -- claims in prose: defaults, gate counts, imported names ------------------
#
# The doctests check what a page prints; these check what its sentences say,
# for the kinds of claim that drifted before (issue 17). How a page states
# each kind so that it is checked is written in tests/doc_pages.py.


def test_every_default_a_page_states_is_the_signatures() -> None:
    table = doc_pages.public_callables()
    stated = [
        s
        for page in [*PAGES, ROOT / "README.md"]
        for block in doc_pages.blocks(page)
        for s in doc_pages.stated_defaults(block, table)
    ]
    assert len(stated) >= 3  # rtol, atol, --limit at least: the patterns still match
    problems = [p for p in (doc_pages.check(s, table) for s in stated) if p]
    assert not problems, "\n".join(problems)


def test_every_constant_a_page_states_has_that_value() -> None:
    checked = 0
    for page in [*PAGES, ROOT / "README.md"]:
        for block in doc_pages.blocks(page):
            for name, value in doc_pages.stated_constants(block):
                values = doc_pages.constant_values(name)
                assert values, f"{block.where()}: no module defines `{name}`"
                assert all(v == float(value) for v in values.values()), (
                    f"{block.where()}: `{name}` ({value}), but the code has {values}"
                )
                checked += 1
    assert checked >= 1  # KINK_MARGIN (0.01) on the how-to page


def test_the_default_check_catches_options_listed_with_wrong_defaults() -> None:
    # the sentence issue 17 found: gradcheck_property's options read as defaults
    text = (
        "Its keyword arguments go to `circuits()`: `max_gates=12`, `n_inputs=2`, "
        "`share=False` (trees only), `min_value=-1.0, max_value=1.0`, ..."
    )
    right = "`circuits()` takes `max_gates` (default `6`) and `share` (default `True`)."
    table = doc_pages.public_callables()
    page = DOCS / "how-to" / "test-your-own-gate.md"
    wrong = [
        doc_pages.check(s, table)
        for s in doc_pages.stated_defaults(doc_pages.Block(page, text, text, 0, ""), table)
    ]
    assert [bool(problem) for problem in wrong] == [True] * 5
    assert "circuits.strategies.circuits has max_gates=6" in str(wrong[0])
    fine = doc_pages.stated_defaults(doc_pages.Block(page, right, right, 0, ""), table)
    assert [(s.name, doc_pages.check(s, table)) for s in fine] == [
        ("max_gates", None),
        ("share", None),
    ]


def _neuron_gates() -> Counter[str]:
    from circuits.examples import neuron

    return _types(gates_behind(neuron.build_neuron().s))


def _mse_gates(n: int) -> Counter[str]:
    from circuits.examples.linear_regression import LinearModel, mse

    model = LinearModel()
    return _types(gates_behind(mse([model.error(float(i), 1.0) for i in range(n)])))


def _gates_per_point() -> int:
    """5 if ``n`` points make ``5 * n`` gates for every n tried, else -1."""
    totals = {n: sum(_mse_gates(n).values()) for n in range(1, 7)}
    per = totals[1]
    return per if all(total == per * n for n, total in totals.items()) else -1


def _xor_gates() -> Counter[str]:
    from circuits.examples import xor

    _, _, loss = xor.build_xor_loss(xor.XorNet(seed=0))
    return _types(gates_behind(loss))


def _moons_gates() -> Counter[str]:
    from circuits.examples import moons
    from circuits.examples.mlp import MLP

    data = moons.make_moons(60, noise=0.1, seed=1)
    _, _, loss = moons.build_hinge_loss(MLP((2, 8, 8, 1), activation="tanh", seed=1), data)
    return _types(gates_behind(loss))


def _one_point_gates() -> Counter[str]:
    from circuits.examples.mlp import MLP
    from circuits.examples.moons_batched import record_one_point

    point = record_one_point(MLP((2, 8, 8, 1), activation="tanh"))
    return _types(gates_behind(point.circuit.output))


def _svm_gates() -> Counter[str]:
    from circuits.examples import svm

    return _types(gates_behind(svm.SVM(a=1.0, b=-2.0, c=-1.0).forward(1.2, 0.7)))


def _types(gates: list[Gate]) -> Counter[str]:
    return Counter(type(gate).__name__ for gate in gates)


# (tutorial page, a phrase on it that counts gates, the gates of the code it
# describes). A phrase that names kinds of gate ("two multiply gates") is
# checked kind by kind; one that only counts ("the 71 gates"), in total.
GATE_COUNTS: list[tuple[str, str, Callable[[], Counter[str] | int]]] = [
    ("01-neuron.md", "builds it from five gates", _neuron_gates),
    ("01-neuron.md", "two `MultGate`s, two `AddGate`s and a `SigmoidGate`", _neuron_gates),
    ("01-neuron.md", "and the five gates", _neuron_gates),
    ("01-neuron.md", "the five gates still hold", _neuron_gates),
    ("05-linear-regression.md", "its own five gates", lambda: _mse_gates(3) - _mse_gates(2)),
    (
        "05-linear-regression.md",
        "a multiply and an add for the prediction `a*x + b`, a subtract for the error, "
        "a square, and an add into the running total",
        lambda: _mse_gates(3) - _mse_gates(2),
    ),
    ("05-linear-regression.md", "`5 * n` gates", _gates_per_point),
    ("05-linear-regression.md", "fine for ten gates", lambda: _mse_gates(2)),
    ("06-xor.md", "the 71 gates", _xor_gates),
    ("08-moons.md", "That is 11 760 gates", _moons_gates),
    ("08-moons.md", "backward over the 11 760 gates", _moons_gates),
    ("08-moons.md", "The recorded circuit has 195 gates", _one_point_gates),
    ("09-svm.md", "two multiply gates and two add gates", _svm_gates),
    ("09-svm.md", "the SVM's four gates", _svm_gates),
]

# Phrases that count gates but not the gates behind a unit of the page's code.
NOT_GATE_COUNTS = {
    ("02-gate-to-gate.md", "two gate objects"),  # the two gates that hold one Unit
    ("02-gate-to-gate.md", "two different gates"),  # one unit feeding two gates, in general
    ("index.md", "two gates"),  # the tutorials' index, describing tutorial 2
}

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
}
_NUMBER = r"(?:\d[\d  ]*\d|\d|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
_KINDS = {
    "multiply": "MultGate",
    "add": "AddGate",
    "subtract": "SubGate",
    "square": "PowGate",
    "divide": "DivGate",
    "sigmoid": "SigmoidGate",
    **{f"`{name}`": name for name in ("MultGate", "AddGate", "SubGate", "SigmoidGate")},
}


def _number(word: str) -> int:
    word = word.lower()
    return _NUMBER_WORDS[word] if word in _NUMBER_WORDS else int(re.sub(r"\D", "", word))


def _stated_count(phrase: str) -> Counter[str] | int:
    """What a phrase says: gates by kind, or else one total."""
    kinds: Counter[str] = Counter()
    for m in re.finditer(rf"\b({_NUMBER}) ({'|'.join(map(re.escape, _KINDS))})", phrase, re.I):
        kinds[_KINDS[m.group(2)]] += _number(m.group(1))
    if kinds:
        return kinds
    m = re.search(rf"(?:\b|`)({_NUMBER})\b", phrase)
    assert m, f"no number in {phrase!r}"
    return _number(m.group(1))


def _tutorial_prose(name: str) -> str:
    return " ".join(doc_pages.prose((DOCS / "tutorials" / name).read_text()).split())


@pytest.mark.parametrize(
    ("page", "phrase", "gates"), GATE_COUNTS, ids=[p for _, p, _ in GATE_COUNTS]
)
def test_a_gate_count_a_tutorial_states_is_what_gates_behind_counts(
    page: str, phrase: str, gates: Callable[[], Counter[str] | int]
) -> None:
    assert phrase in _tutorial_prose(page), f"{page} no longer says {phrase!r}"
    stated, actual = _stated_count(phrase), gates()
    if isinstance(stated, Counter) and isinstance(actual, Counter):
        assert +actual == stated, f"{page}: {phrase!r}"
    else:
        total = actual if isinstance(actual, int) else sum(actual.values())
        assert total == stated, f"{page}: {phrase!r} but the code has {total}"


def test_every_gate_count_in_the_tutorials_is_checked() -> None:
    word = r"(?!(?:in|of|for|to|from|with|and)\s)[\w-]+\s+"  # "two add gates", not "2 in gates"
    counts = re.compile(rf"\b{_NUMBER}\s+(?:{word})?(?:gates|gate objects|`\w+Gate`s?)", re.I)
    unchecked = []
    for path in sorted((DOCS / "tutorials").glob("*.md")):
        text = _tutorial_prose(path.name)
        covered = [phrase for page, phrase, _ in GATE_COUNTS if page == path.name]
        covered += [phrase for page, phrase in NOT_GATE_COUNTS if page == path.name]
        places = [
            range(m.start(), m.end()) for p in covered for m in re.finditer(re.escape(p), text)
        ]
        for m in counts.finditer(text):
            if m.group(0).split()[0].lower() in ("a", "an", "one"):
                continue  # "from one gate to the next": a figure of speech, not a count
            if not any(m.start() in place for place in places):
                unchecked.append(f"{path.name}: {m.group(0)!r}")
    assert not unchecked, "add these to GATE_COUNTS (or NOT_GATE_COUNTS): " + ", ".join(unchecked)


def test_every_name_the_docs_import_is_in_the_reference() -> None:
    shown = doc_pages.documented()
    missing = []
    for page in [*PAGES, ROOT / "README.md"]:
        for module, name in doc_pages.imports(page):
            dotted = f"{module}.{name}"
            module_name, attr, obj = doc_pages.resolve(dotted)
            if doc_pages.key(module_name, attr, obj) not in shown:
                missing.append(f"{page.relative_to(ROOT)}: from {module} import {name}")
    assert not missing, "not in docs/reference/: " + ", ".join(sorted(set(missing)))


def test_the_reference_shows_every_public_name() -> None:
    index = DOCS / "reference" / "index.md"
    assert "Every public name" in index.read_text()
    shown = doc_pages.documented()
    modules = doc_pages.public_modules(index)
    assert {"gates", "circuits", "gates.backprop", "circuits.strategies"} <= set(modules)
    missing = []
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name in doc_pages.exports(module):
            if doc_pages.key(module_name, name, getattr(module, name)) not in shown:
                missing.append(f"{module_name}.{name}")
    assert not missing, "public but not in docs/reference/: " + ", ".join(missing)


def test_the_reference_points_at_public_modules_only() -> None:
    for directive in doc_pages.directives():
        doc_pages.resolve(directive.identifier)  # raises LookupError if it does not exist
        private = [part for part in directive.identifier.split(".") if part.startswith("_")]
        assert not private, f"{directive.page.name}: ::: {directive.identifier} is private"


def test_the_docstrings_the_reference_shows_name_no_private_module() -> None:
    private = re.compile(r"\b(?:gates|circuits)(?:\.\w+)*\._[a-z]\w*")
    found = [
        f"{dotted}: {', '.join(sorted(set(private.findall(text))))}"
        for dotted, text in doc_pages.rendered_docstrings().items()
        if private.search(text)
    ]
    assert not found, "the reference would show private modules: " + "; ".join(found)
