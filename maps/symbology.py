"""Symbology tables (``maps/symbology.toml``) and the per-feature style keys drawn from them."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path
from typing import Any

__all__ = ["field_label", "kind_style", "point_status", "status_dash", "symbology"]

_PATH = Path(__file__).with_name("symbology.toml")


@functools.cache
def symbology() -> dict[str, Any]:
    """Return ``maps/symbology.toml`` parsed."""
    with _PATH.open("rb") as fh:
        return tomllib.load(fh)


def kind_style(kind: str | None, *, user: bool = False) -> dict[str, Any]:
    """Return the style table for a feature kind (the ``[default]`` one for unknown kinds)."""
    table = symbology()
    base = dict(table["default"])
    if user:
        base.update(table["user"])
        base["group"] = "user"
        return base
    base.update(table["kinds"].get(str(kind), {}))
    return base


def status_dash(status: str | None) -> str:
    """Return the SVG dash pattern for a line status ('' = solid, also for unknown status)."""
    return symbology()["status"].get(str(status), {}).get("dash_array", "")


def point_status(status: str | None) -> dict[str, Any]:
    """Return the ``point_*`` keys of a status (how a station of that status is drawn)."""
    table = symbology()["status"].get(str(status), {})
    return {k: v for k, v in table.items() if k.startswith("point_")}


def field_label(column: str) -> str:
    """Return the popup label for a column, with its unit (unescaped; escape before use)."""
    column = str(column)  # frames built in Python may have non-text column names
    table = symbology()
    label = table["fields"].get(column)
    if label is not None:
        return label
    for suffix, unit in sorted(table["unit_suffixes"].items(), key=lambda kv: -len(kv[0])):
        if column.endswith(suffix):
            return f"{column} ({unit})"
    return column
