"""Basemap registry (``maps/basemaps.toml``): tile URLs, attribution and each provider's datum."""

from __future__ import annotations

import functools
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from suigeo.errors import InputError

__all__ = ["Basemap", "basemap", "basemaps", "vector_basemap"]

_PATH = Path(__file__).with_name("basemaps.toml")


@functools.cache
def _registry() -> dict[str, Any]:
    with _PATH.open("rb") as fh:
        return tomllib.load(fh)


def basemaps() -> dict[str, dict[str, Any]]:
    """Return the registry: provider name -> its table (title, datum, display_system, tiles)."""
    return {k: dict(v) for k, v in _registry().items()}


class Basemap:
    """One provider, with its key resolved: ``tiles`` are ready for ``folium.TileLayer``."""

    def __init__(self, name: str, table: dict[str, Any], key: str | None) -> None:
        self.name = name
        self.title: str = table["title"]
        self.datum: str = table["datum"]
        self.display_system: str = table["display_system"]
        self.datum_note: str = table.get("datum_note", table["datum"])
        #: an offline vector basemap shipped in maps/basemap/ (file name), or None
        self.vector: str | None = table.get("vector")
        self.attribution: str = table.get("attribution", "")
        self.tiles: list[dict[str, Any]] = []
        for t in table.get("tiles", []):
            tile = dict(t)
            tile["url"] = t["url"].replace("{key}", key or "")
            self.tiles.append(tile)

    def __repr__(self) -> str:  # never shows the key
        return f"Basemap({self.name!r}, datum={self.datum!r})"


def basemap(name: str, *, key: str | None = None) -> Basemap:
    """Look up a provider; resolve its key from ``key`` or the provider's environment variable.

    Raises
    ------
    suigeo.errors.InputError
        Unknown provider, a provider that needs a key and got none, or a key that is not
        letters and digits only.
    """
    reg = _registry()
    if name not in reg:
        raise InputError(f"unknown basemap {name!r}; choose one of: {', '.join(reg)}")
    table = reg[name]
    if table.get("key") == "required":
        env = table["key_env"]
        key = key or os.environ.get(env) or None
        if not key:
            raise InputError(
                f"basemap {name!r} needs a key: pass --tianditu-key KEY (Python: tianditu_key=) "
                f"or set the environment variable {env}; register a free key at the provider. "
                "Or use --basemap none, which needs no tile server."
            )
        if not re.fullmatch(r"[A-Za-z0-9]+", key):
            # the key goes into the tile URL, which branca parses again as a Jinja template
            # and Leaflet as a {placeholder} template: refuse anything but a plain token
            raise InputError(
                f"basemap {name!r}: the key must be letters and digits only (a Tianditu key "
                f"is 32 hexadecimal digits); check --tianditu-key or {env}"
            )
    return Basemap(name, table, key)


@functools.cache
def vector_basemap(name: str) -> dict[str, Any]:
    """The GeoJSON of a shipped vector basemap (``maps/basemap/NAME``), parsed."""
    import json

    path = Path(__file__).with_name("basemap") / name
    return json.loads(path.read_text(encoding="utf-8"))
