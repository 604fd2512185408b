"""MkDocs hooks: pictures made during the build, and doctests shown as code.

* ``on_files`` puts each picture of ``make_pictures.pictures()`` in the site
  as ``images/NAME.svg``, made from the current code. The same pictures are
  committed in ``docs/images/`` so that the pages show them on the code host
  too (``tests/test_pictures.py`` checks they are current); the site never
  depends on those copies. Pages link to them as ``../images/NAME.svg``; with
  ``--strict`` a link to a picture that is not made fails the build. Without
  Graphviz the build stops at once with one line saying how to install it.
* ``add_players`` (called by ``on_files``) adds the trace player's pages and
  its screenshot, made now and never committed.
* ``on_page_content`` makes each picture a link to itself, so a click opens
  it alone at full size.
* ``on_config`` adds a small Markdown extension that shows the ``>>>``
  examples of docstrings as Python console code. Docstrings in this project
  write bare doctests (pytest runs them); plain Markdown would read their
  ``>`` as block quotes and their output ``[1.0, 2.5]`` as link references.
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from mkdocs.exceptions import Abort
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

from circuits.drawing.render import INSTALL_GRAPHVIZ, can_render

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_pictures  # beside this file, not an installed module

_FENCE = re.compile(r"^\s*(```|~~~)")
_PROMPT = re.compile(r"^(\s*)>>>( |$)")


class DoctestFences(Preprocessor):
    """Wrap each run of doctest lines (prompt, continuations, output) in a pycon fence.

    A run starts at a ``>>>`` line outside a fence and ends at a blank line,
    as in doctest itself.
    """

    def run(self, lines: list[str]) -> list[str]:
        out: list[str] = []
        in_fence = False
        in_doctest = False
        indent = ""
        for line in lines:
            if in_doctest:
                if line.strip():
                    out.append(line)
                    continue
                out.append(indent + "```")
                in_doctest = False
            if _FENCE.match(line):
                in_fence = not in_fence
            prompt = None if in_fence else _PROMPT.match(line)
            if prompt:
                indent = prompt.group(1)
                if out and out[-1].strip():
                    out.append("")  # a fence must not continue a paragraph
                out.append(indent + "```pycon")
                in_doctest = True
            out.append(line)
        if in_doctest:
            out.append(indent + "```")
        return out


class DoctestFencesExtension(Extension):
    """Register :class:`DoctestFences` before the fenced-code preprocessors (25)."""

    def extendMarkdown(self, md: Markdown) -> None:  # the name is Markdown's API
        md.preprocessors.register(DoctestFences(md), "doctest_fences", 29)


# Before mkdocstrings reads the Markdown extensions to render docstrings.
@event_priority(100)
def on_config(config: Any, **kwargs: Any) -> Any:
    """Add the doctest extension to the site's Markdown extensions."""
    config.markdown_extensions.append(DoctestFencesExtension())
    return config


def graphviz_missing() -> str | None:
    """Why the pictures cannot be drawn here, as one line naming the fix; None if they can."""
    if can_render():
        return None
    if shutil.which("dot") is None:
        return f"the docs' pictures need Graphviz's dot program (not on PATH): {INSTALL_GRAPHVIZ}"
    return (
        "the docs' pictures need the graphviz Python package: pip install -e '.[dev]' "
        "(or pip install graphviz)"
    )


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """Put the pictures, made now, in the site in place of the committed copies."""
    missing = graphviz_missing()
    if missing is not None:
        raise Abort(missing)  # mkdocs prints just this line and exits with status 1
    for name, svg in make_pictures.pictures().items():
        committed = files.get_file_from_path(f"images/{name}")
        if committed is not None:
            files.remove(committed)
        files.append(File.generated(config, f"images/{name}", content=svg))
    add_players(files, config)
    return files


def add_players(files: Files, config: Any) -> None:
    """Put the trace player's pages (``players/NAME``, which tutorials 2 and 4
    embed) and its screenshot (``images/player-neuron.png``) in the site, made
    now; none is committed. Without Playwright or Chromium the build stops at
    once with one line saying how to install them."""
    missing = make_pictures.browser_missing()
    if missing is not None:
        raise Abort(missing)
    for name, page in make_pictures.player_pages().items():
        files.append(File.generated(config, f"players/{name}", content=page))
    screenshot = make_pictures.player_screenshot()
    name = f"images/{make_pictures.PLAYER_SCREENSHOT}"
    files.append(File.generated(config, name, content=screenshot))


_PICTURE = re.compile(r'<img\b[^>]*\bsrc="(?P<src>[^"]*images/[\w.-]+\.svg)"[^>]*>')


def link_pictures(html: str) -> str:
    """Wrap each picture of ``images/`` in a link to itself (click to enlarge).

    >>> print(link_pictures('<img alt="A" src="../images/a.svg" />'))  # doctest: +ELLIPSIS
    <a href="../images/a.svg" title="Open the picture alone, full size"><img alt="A" ... /></a>
    """
    return _PICTURE.sub(
        lambda m: f'<a href="{m["src"]}" title="Open the picture alone, full size">{m[0]}</a>',
        html,
    )


def on_page_content(html: str, **kwargs: Any) -> str:
    """Make every picture on the page a click-to-enlarge link."""
    return link_pictures(html)
