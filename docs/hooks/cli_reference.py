"""MkDocs hook: the command-line reference, generated from ``suigeo.cli.build_parser()``.

``docs/reference/cli.md`` holds a marker line; at build time it is replaced by the help of
every command and subcommand, exactly as ``suigeo ... --help`` prints it (formatted at a
fixed width, so the build is deterministic). Nothing is copied by hand.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

MARKER = "<!-- suigeo-cli-reference -->"
PAGE = "reference/cli.md"
WIDTH = "100"
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


def cli_reference() -> str:
    """The Markdown of the command-line reference."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH  # argparse wraps help at the terminal width
    try:
        if str(ROOT) not in sys.path:
            sys.path.insert(0, str(ROOT))
        from suigeo.cli import build_parser

        return "\n".join(_render(build_parser(), ["suigeo"], 2))
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise PluginError(f"{PAGE}: the marker {MARKER} is missing")
    return markdown.replace(MARKER, cli_reference())
