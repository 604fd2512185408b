"""MkDocs hooks: pictures made during the build, and doctests shown as code.

* ``on_files`` adds each picture of ``make_pictures.pictures()`` to the site
  as ``images/NAME.svg``, generated from the current code, so a picture can
  never be out of date and none is committed. Pages link to them as
  ``../images/NAME.svg``; with ``--strict`` a link to a picture that is not
  made fails the build.
* ``on_config`` adds a small Markdown extension that shows the ``>>>``
  examples of docstrings as Python console code. Docstrings in this project
  write bare doctests (pytest runs them); plain Markdown would read their
  ``>`` as block quotes and their output ``[1.0, 2.5]`` as link references.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files

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


def on_files(files: Files, config: Any, **kwargs: Any) -> Files:
    """Add the generated pictures to the site's files."""
    for name, svg in make_pictures.pictures().items():
        files.append(File.generated(config, f"images/{name}", content=svg))
    return files
