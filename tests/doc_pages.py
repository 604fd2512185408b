"""Reading the docs pages as data: their prose, their code, their reference directives.

``tests/test_docs.py`` checks the pages' claims against the code with these.
A page is Markdown: prose (paragraphs and list items, split by headings into
sections), fenced code blocks, and on the reference pages mkdocstrings
directives (``::: gates.Unit``).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
REFERENCE = sorted((DOCS / "reference").glob("*.md"))

_FENCE = re.compile(r"^\s*```[^\n]*\n.*?^\s*```[ \t]*$", re.S | re.M)
_HEADING = re.compile(r"^#{1,6} ", re.M)
_ITEM = re.compile(r"^\s*(?:[-*]|\d+\.) ", re.M)
_SPAN = re.compile(r"`([^`\n]+)`")


# -- prose -------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A paragraph or one list item of a page's prose, with its section's text."""

    page: Path
    text: str  # whitespace collapsed to single spaces
    section: str  # the whole section it is in, code blocks included
    offset: int  # where the block starts within the section
    lead_in: str  # for a list item: the paragraph before the list; else ""

    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}: {self.text[:70]}..."


def prose(text: str) -> str:
    """``text`` with every fenced code block blanked out (lines kept)."""
    return _FENCE.sub(lambda m: "\n" * m.group(0).count("\n"), text)


def blocks(page: Path) -> Iterator[Block]:
    """Every paragraph and list item of the page's prose, in order."""
    text = page.read_text(encoding="utf-8")
    starts = [0, *(m.start() for m in _HEADING.finditer(text)), len(text)]
    for begin, end in itertools.pairwise(starts):
        section = text[begin:end]
        lead_in = ""
        position = 0
        for chunk in re.split(r"\n[ \t]*\n", prose(section)):
            offset = section.find(chunk.strip(), position) if chunk.strip() else position
            position = max(position, offset)
            items = [m.start() for m in _ITEM.finditer(chunk)]
            if not items or items[0] != len(chunk) - len(chunk.lstrip()):
                paragraph = " ".join(chunk.split())
                if paragraph and not paragraph.startswith("#"):
                    yield Block(page, paragraph, section, offset, "")
                    lead_in = paragraph
                continue
            for start, stop in zip(items, [*items[1:], len(chunk)]):
                item = " ".join(chunk[start:stop].split())
                yield Block(page, item, section, offset + start, lead_in)


def spans(text: str) -> list[str]:
    """The inline code spans of a piece of prose, in order."""
    return _SPAN.findall(text)


# -- code --------------------------------------------------------------------

_IMPORT = re.compile(r"^\s*(?:>>>|\.\.\.)?\s*from\s+([\w.]+)\s+import\s+([^#\n]+)", re.M)


def code(text: str) -> str:
    """The Python a page runs or shows: its fenced blocks and its ``>>>`` lines."""
    fenced = "\n".join(m.group(0) for m in _FENCE.finditer(text))
    prompts = "\n".join(
        line for line in prose(text).splitlines() if re.match(r"\s*(>>>|\.\.\.)( |$)", line)
    )
    return fenced + "\n" + prompts


def imports(page: Path) -> list[tuple[str, str]]:
    """``(module, name)`` for each ``from module import name`` in the page's code,
    for the project's own packages."""
    found = []
    for module, names in _IMPORT.findall(code(page.read_text(encoding="utf-8"))):
        if module.split(".")[0] not in ("gates", "circuits"):
            continue
        for name in names.strip().strip("()").split(","):
            name = name.split(" as ")[0].strip()
            if name:
                found.append((module, name))
    return found


# -- the public API ----------------------------------------------------------

Key = tuple[str, str]
"""What identifies a documented object: (module, qualified name)."""


def resolve(dotted: str) -> tuple[str, str, Any]:
    """``"gates.backprop.gates_behind"`` -> (module, name, object); a module
    resolves to (its name, "", the module). Raises LookupError if it does not exist."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module_name = ".".join(parts[:cut])
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        obj: Any = module
        for attr in parts[cut:]:
            if not hasattr(obj, attr):
                raise LookupError(f"{dotted}: {module_name} has no {attr!r}")
            obj = getattr(obj, attr)
        return module_name, ".".join(parts[cut:]), obj
    raise LookupError(f"{dotted}: no such module")


def key(module: str, name: str, obj: Any) -> Key:
    """The object's identity across re-exports: where a class, function or
    module is defined; for other values, the module that holds them."""
    if isinstance(obj, ModuleType):
        return (obj.__name__, "")
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return (obj.__module__, obj.__qualname__)
    return (module, name)


def exports(module: ModuleType) -> list[str]:
    """The module's public names: its ``__all__``."""
    return list(getattr(module, "__all__", []))


def _constants_with_docstrings(module: ModuleType) -> set[str]:
    """Module-level names assigned in the source and followed by a string
    (an attribute docstring, which mkdocstrings shows)."""
    try:
        tree = ast.parse(inspect.getsource(module))
    except (OSError, TypeError):
        return set()
    names: set[str] = set()
    for node, after in itertools.pairwise(tree.body):
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        else:
            continue
        if (
            isinstance(after, ast.Expr)
            and isinstance(after.value, ast.Constant)
            and isinstance(after.value.value, str)
        ):
            names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def has_docstring(module: ModuleType, name: str, obj: Any) -> bool:
    """Whether mkdocstrings has text to show for ``module.name``."""
    if inspect.isclass(obj) or inspect.isfunction(obj) or isinstance(obj, ModuleType):
        return bool(obj.__doc__)
    return name in _constants_with_docstrings(module)


@dataclass(frozen=True)
class Directive:
    """One ``::: identifier`` of a reference page and its ``members`` option."""

    page: Path
    identifier: str
    members: list[str] | bool | None  # a list, False (none) or None (the default)


def directives() -> list[Directive]:
    found = []
    for page in REFERENCE:
        lines = page.read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            m = re.match(r"^::: ([\w.]+)\s*$", line)
            if not m:
                continue
            members: list[str] | bool | None = None
            for option in lines[i + 1 :]:
                if option and not option.startswith(" "):
                    break
                value = re.match(r"^\s+members:\s*(.+)$", option)
                if value:
                    text = value.group(1).strip()
                    if text == "false":
                        members = False
                    else:
                        members = [n.strip() for n in text.strip("[]").split(",") if n.strip()]
            found.append(Directive(page, m.group(1), members))
    return found


def documented() -> dict[Key, str]:
    """Every object the reference pages show -> where (a directive or a mention).

    A directive for a class or function shows it; one for a module shows the
    module's docstring and, unless ``members`` says otherwise, its public
    names that have a docstring (mkdocstrings shows none without). A reference
    page that names ``gates.backprop.BACKWARD_LOCK`` in its prose documents it.
    """
    shown: dict[Key, str] = {}
    for directive in directives():
        module_name, name, obj = resolve(directive.identifier)
        where = f"{directive.page.name}: ::: {directive.identifier}"
        shown[key(module_name, name, obj)] = where
        if not isinstance(obj, ModuleType) or directive.members is False:
            continue
        if isinstance(directive.members, list):
            names = directive.members
        else:
            names = [n for n in dir(obj) if not n.startswith("_")]
        for member in names:
            value = getattr(obj, member)
            if isinstance(directive.members, list) or (
                has_docstring(obj, member, value) and _belongs(obj, member, value)
            ):
                shown[key(obj.__name__, member, value)] = where
    for page in REFERENCE:
        for span in spans(prose(page.read_text(encoding="utf-8"))):
            if re.fullmatch(r"(gates|circuits)(\.\w+)+", span):
                try:
                    module_name, name, obj = resolve(span)
                except LookupError:
                    continue
                shown.setdefault(key(module_name, name, obj), f"{page.name}: `{span}`")
    return shown


def _belongs(module: ModuleType, name: str, obj: Any) -> bool:
    """Whether mkdocstrings lists ``name`` under ``module``: it is exported, or
    defined there (not imported from elsewhere)."""
    if name in exports(module):
        return True
    if isinstance(obj, ModuleType):
        return False
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return obj.__module__ == module.__name__
    return name in _constants_with_docstrings(module)


def public_modules(index: Path) -> list[str]:
    """The modules whose exports the reference promises to show: those the
    index page names, and those a reference page renders as a whole."""
    named = set()
    for span in spans(prose(index.read_text(encoding="utf-8"))):
        if re.fullmatch(r"(gates|circuits)(\.\w+)*", span):
            try:
                obj = resolve(span)[2]
            except LookupError:
                continue
            if isinstance(obj, ModuleType):
                named.add(obj.__name__)
    for directive in directives():
        _, _, obj = resolve(directive.identifier)
        if isinstance(obj, ModuleType):
            named.add(obj.__name__)
    return sorted(named)


# -- defaults a page states --------------------------------------------------


def public_callables() -> dict[str, list[tuple[str, Any]]]:
    """Short name (``gradcheck``, ``Circuit.backward``) -> the public functions
    and classes of that name, with their dotted paths: the exports of every
    module of ``gates`` and ``circuits`` whose name has no leading ``_``."""
    import pkgutil

    found: dict[str, list[tuple[str, Any]]] = {}

    def add(short: str, dotted: str, obj: Any) -> None:
        entries = found.setdefault(short, [])
        if all(existing is not obj for _, existing in entries):
            entries.append((dotted, obj))

    for package in ("gates", "circuits"):
        root = importlib.import_module(package)
        names = [package] + [
            info.name
            for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}.")
            if not any(part.startswith("_") for part in info.name.split("."))
        ]
        for module_name in names:
            module = importlib.import_module(module_name)
            for name in exports(module):
                obj = getattr(module, name, None)
                if not callable(obj):
                    continue
                add(name, f"{module_name}.{name}", obj)
                if inspect.isclass(obj):
                    for method_name, method in vars(obj).items():
                        if not method_name.startswith("_") and inspect.isfunction(method):
                            dotted = f"{module_name}.{name}.{method_name}"
                            add(f"{name}.{method_name}", dotted, method)
    return found


@dataclass(frozen=True)
class Stated:
    """A default a page states: ``name`` (a parameter, or a ``--option`` of
    the command line) is ``value``, for ``function`` if the page names it."""

    block: Block
    name: str
    value: str
    function: str | None  # the code span that names the function, if any


_DEFAULT = re.compile(r"`(?P<name>[^`]+)`[^`(]{0,40}?\(default:?\s+(?P<value>`[^`]+`|[^\s,;:)]+)")
_DEFAULTS_TO = re.compile(r"`(?P<name>[\w-]+)` defaults to (?P<value>`[^`]+`|[^\s,;:)]+)")
_ASSIGNMENT = re.compile(r"^[A-Za-z_]\w*=\S.*$")
_CALLABLE = re.compile(r"^([A-Za-z_][\w.]*)(\(.*\))?$")


def _assignments(span: str) -> list[tuple[str, str]]:
    """``"a=1, b=2"`` -> [("a", "1"), ("b", "2")]; [] unless the span is one."""
    if not _ASSIGNMENT.match(span):
        return []
    try:
        call = ast.parse(f"f({span})", mode="eval").body
    except SyntaxError:
        return []
    assert isinstance(call, ast.Call)
    if call.args:
        return []
    return [(kw.arg, ast.unparse(kw.value)) for kw in call.keywords if kw.arg]


def _callable_spans(text: str, table: dict[str, list[tuple[str, Any]]]) -> list[str]:
    return [span for span in spans(text) if lookup(span, table)]


def lookup(span: str, table: dict[str, list[tuple[str, Any]]]) -> list[tuple[str, Any]]:
    """The public callables a code span such as ``circuits()``, ``gradcheck`` or
    ``Circuit.backward(output=None)`` names; [] if it names none."""
    m = _CALLABLE.match(span.strip())
    if not m:
        return []
    parts = m.group(1).split(".")
    for short in (".".join(parts[-2:]), parts[-1]) if len(parts) > 1 else (parts[0],):
        if short in table:
            return table[short]
    return []


def stated_defaults(block: Block, table: dict[str, list[tuple[str, Any]]]) -> list[Stated]:
    """The defaults a block of prose states. The patterns (for writers):

    * ``name`` (default ``value``), ``name`` (default: ``value``), or
      ``name`` defaults to ``value``; in a list item that starts with a
      ``--option`` of the command line, a "(default value)" is that option's;
    * options listed after a function and a colon, as they read as defaults:
      "``circuits()``: ``max_gates=6``, ``share=True``";
    * ``name=value`` spans in a block (or in the items of a list whose
      lead-in) that says "default" or "defaults".

    The function is the one the block (or its lead-in) names last before the
    option, else the one its section names; see :func:`check`.
    """
    found: list[Stated] = []
    text = block.text
    first = spans(text)[:1]
    option = first[0].split()[0] if first and first[0].startswith("--") else None
    for m in [*_DEFAULT.finditer(text), *_DEFAULTS_TO.finditer(text)]:
        name = m.group("name").split()[0]
        if option and not name.startswith("--"):
            name = option
        if not (name.startswith("--") or name.isidentifier()):
            continue
        before = _callable_spans(text[: m.start()], table)
        value = m.group("value").strip("`")
        found.append(Stated(block, name, value, before[-1] if before else None))
    colon = re.search(r"`([^`]+)`\s*:", text)
    listed: list[tuple[str | None, str]] = []
    if colon and lookup(colon.group(1), table):
        listed = [(colon.group(1), span) for span in spans(text[colon.end() :])]
    else:
        # a list item whose lead-in says "default", or a sentence that does
        lead_says = _says_default(block.lead_in)
        context = block.lead_in
        for sentence in [text] if block.lead_in else _sentences(text):
            if lead_says or _says_default(sentence):
                for m in _SPAN.finditer(sentence):
                    before = _callable_spans(f"{context} {sentence[: m.start()]}", table)
                    listed.append((before[-1] if before else None, m.group(1)))
            context += " " + sentence
    for function, span in listed:
        for name, value in _assignments(span):
            found.append(Stated(block, name, value, function))
    return found


def _says_default(text: str) -> bool:
    return re.search(r"\bdefaults?\b", text, re.I) is not None


def _sentences(text: str) -> list[str]:
    """``text`` split after each full stop that ends a sentence (not one in code)."""
    pieces = re.split(r"(`[^`]*`)", text)
    sentences, current = [], ""
    for piece in pieces:
        if piece.startswith("`"):
            current += piece
            continue
        parts = re.split(r"(?<=[.!?])\s+", piece)
        for part in parts[:-1]:
            sentences.append(current + part)
            current = ""
        current += parts[-1]
    if current.strip():
        sentences.append(current)
    return sentences


def _parameters(obj: Any) -> dict[str, Any]:
    """Parameter name -> default (``inspect.Parameter.empty`` if none)."""
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in signature.parameters.values()}


def _command_line_defaults(option: str, block: Block) -> dict[str, Any]:
    """Subcommand -> the default of its ``option``: for the subcommand the
    block's section names last before the block (``circuits trace``), else
    for every subcommand that takes the option."""
    import argparse

    from circuits.cli import build_parser

    defaults: dict[str, Any] = {}
    parsers = [("", build_parser())]
    while parsers:
        name, parser = parsers.pop()
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                parsers.extend(action.choices.items())
            elif option in action.option_strings:
                defaults[name] = action.default
    before = block.section[: block.offset + len(block.text)]
    named = [m.group(1) for m in re.finditer(r"\bcircuits (\w+)", before)]
    for command in reversed(named):
        if command in defaults:
            return {command: defaults[command]}
    return defaults


def check(stated: Stated, table: dict[str, list[tuple[str, Any]]]) -> str | None:
    """What is wrong with a stated default, or None if it is the signature's."""
    where = stated.block.where()
    try:
        value = ast.literal_eval(stated.value.replace("_", ""))
    except (ValueError, SyntaxError):
        return f"{where} states `{stated.name}` defaults to {stated.value!r}, not a literal"
    if stated.name.startswith("--"):
        defaults = _command_line_defaults(stated.name, stated.block)
        if not defaults:
            return f"{where}: no `circuits` command takes {stated.name}"
        wrong = {command: d for command, d in defaults.items() if not _same(d, value)}
        if wrong:
            told = ", ".join(
                f"circuits {cmd} {stated.name} defaults to {d!r}" for cmd, d in wrong.items()
            )
            return f"{where}: {told}, not {value!r}"
        return None
    if stated.function is not None:
        candidates = lookup(stated.function, table)
    else:
        candidates = [
            (dotted, obj)
            for entries in table.values()
            for dotted, obj in entries
            if _parameters(obj).get(stated.name, inspect.Parameter.empty)
            is not inspect.Parameter.empty
        ]
        named = _named_last(stated, candidates)
        candidates = named or candidates
    if not candidates:
        return f"{where}: no public function has a default for `{stated.name}`"
    problems = []
    for dotted, obj in candidates:
        parameters = _parameters(obj)
        if stated.name not in parameters:
            problems.append(f"{dotted} takes no `{stated.name}`")
        elif parameters[stated.name] is inspect.Parameter.empty:
            problems.append(f"{dotted}'s `{stated.name}` has no default")
        elif not _same(parameters[stated.name], value):
            problems.append(f"{dotted} has {stated.name}={parameters[stated.name]!r}")
    if problems:
        return f"{where} states {stated.name}={stated.value}, but " + "; ".join(problems)
    return None


def _named_last(stated: Stated, candidates: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Of ``candidates``, the one the section names last before the block
    (or, if none is named before it, first after it)."""
    section, end = stated.block.section, stated.block.offset + len(stated.block.text)
    best: tuple[int, tuple[str, Any]] | None = None
    for dotted, obj in candidates:
        short = dotted.rsplit(".", 1)[-1]
        positions = [m.start() for m in re.finditer(rf"\b{re.escape(short)}\b", section)]
        if not positions:
            continue
        before = [p for p in positions if p < end]
        score = max(before) if before else -positions[0]
        if best is None or score > best[0]:
            best = (score, (dotted, obj))
    return [best[1]] if best else []


def _same(default: Any, value: Any) -> bool:
    """``1e-5 == 1e-05`` and ``6 == 6.0``, but ``True`` is not ``1``."""
    return default == value and isinstance(default, bool) == isinstance(value, bool)


# -- values of public constants a page states --------------------------------

_CONSTANT = re.compile(r"`(?P<name>[A-Z][A-Z0-9_]+)` \((?P<value>-?[\d.]+(?:e-?\d+)?)\)")


def stated_constants(block: Block) -> list[tuple[str, str]]:
    """``(NAME, value)`` for each "``NAME`` (value)" in the block."""
    return [(m.group("name"), m.group("value")) for m in _CONSTANT.finditer(block.text)]


def constant_values(name: str) -> dict[str, Any]:
    """Every module of ``gates`` and ``circuits`` (no leading ``_``) that
    defines a constant ``name`` -> its value."""
    import pkgutil

    found = {}
    for package in ("gates", "circuits"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
            if any(part.startswith("_") for part in info.name.split(".")):
                continue
            module = importlib.import_module(info.name)
            if name in vars(module):
                found[info.name] = vars(module)[name]
    return found


def rendered_docstrings() -> dict[str, str]:
    """Dotted name -> docstring, for everything the reference pages render:
    each directive's object, a module's members as :func:`documented`
    counts them, and a class's public methods and properties."""
    texts: dict[str, str] = {}

    def add(dotted: str, obj: Any) -> None:
        texts[dotted] = inspect.getdoc(obj) or ""
        if inspect.isclass(obj):
            for name, member in vars(obj).items():
                if not name.startswith("_") and (callable(member) or isinstance(member, property)):
                    texts[f"{dotted}.{name}"] = inspect.getdoc(member) or ""

    for directive in directives():
        obj = resolve(directive.identifier)[2]
        add(directive.identifier, obj)
        if not isinstance(obj, ModuleType) or directive.members is False:
            continue
        listed = isinstance(directive.members, list)
        for member in directive.members if isinstance(directive.members, list) else dir(obj):
            value = getattr(obj, member)
            shown = listed or (not member.startswith("_") and _belongs(obj, member, value))
            if shown and (inspect.isclass(value) or inspect.isfunction(value)):
                add(f"{directive.identifier}.{member}", value)
    return texts
