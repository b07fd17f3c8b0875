"""MkDocs hook: pages generated from the code at build time, never copied by hand.

- ``docs/reference/cli.md``: its marker line is replaced by the help of every command and
  subcommand, exactly as ``suigeo ... --help`` prints it, from ``suigeo.cli.build_parser()``
  (formatted at a fixed width, so the build is deterministic).
- ``docs/guide/access.md``: its marker line is replaced by the table of travel-time settings,
  their defaults and sources, from ``suigeo.geo.access.defaults()`` (``defaults.toml``).

It also drops the Sphinx roles some docstrings use (``:func:`x```), which the numpy-style
renderer would show as text, keeping the code name.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

MARKER = "<!-- suigeo-cli-reference -->"
PAGE = "reference/cli.md"
SETTINGS_MARKER = "<!-- suigeo-access-settings -->"
SETTINGS_PAGE = "guide/access.md"
WIDTH = "100"
SPHINX_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|exc|obj|const):(?=<code>)")
ROOT = Path(__file__).resolve().parents[2]  # the checkout whose CLI is documented


def _subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    seen: set[int] = set()
    for action in parser._actions:  # argparse has no public walk over subparsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                if id(sub) not in seen:
                    seen.add(id(sub))
                    yield name, sub


def _render(parser: argparse.ArgumentParser, path: list[str], level: int) -> list[str]:
    title = " ".join(path)
    out = [f"{'#' * level} `{title}`", ""]
    out += ["```text", parser.format_help().rstrip(), "```", ""]
    for name, sub in _subcommands(parser):
        out += _render(sub, [*path, name], min(level + 1, 4))
    return out


def _import_root() -> None:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def settings_table() -> str:
    """The Markdown table of the travel-time settings of ``suigeo.geo.access``."""
    _import_root()
    from suigeo.geo.access import defaults

    rows = ["| key | default | source |", "|---|---|---|"]
    for key, (value, source) in defaults().items():
        if isinstance(value, list):
            shown = ", ".join(map(str, value))
        else:
            shown = value if isinstance(value, str) else f"{value:g}"
        if isinstance(value, bool):
            shown = str(value).lower()
        cell = source.replace("|", "\\|")
        rows.append(f"| `{key}` | {shown} | {cell} |")
    return "\n".join(rows)


def cli_reference() -> str:
    """The Markdown of the command-line reference."""
    # argparse wraps help at the terminal width (and may colour it on newer Pythons)
    fixed = {"COLUMNS": WIDTH, "NO_COLOR": "1", "PYTHON_COLORS": "0"}
    saved = {key: os.environ.get(key) for key in fixed}
    os.environ.update(fixed)
    try:
        _import_root()
        from suigeo.cli import build_parser

        return "\n".join(_render(build_parser(), ["suigeo"], 2))
    finally:
        for key, value in saved.items():
            if value is None:
                del os.environ[key]
            else:
                os.environ[key] = value


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    for name, marker, make in (
        (PAGE, MARKER, cli_reference),
        (SETTINGS_PAGE, SETTINGS_MARKER, settings_table),
    ):
        if page.file.src_uri == name:
            if marker not in markdown:
                raise PluginError(f"{name}: the marker {marker} is missing")
            markdown = markdown.replace(marker, make())
    return markdown


def on_page_content(html: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    html = SPHINX_ROLE.sub("", html)
    return html.replace("<code>~", "<code>")
