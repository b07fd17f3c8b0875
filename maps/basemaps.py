"""Basemap registry (``maps/basemaps.toml``): tile URLs, attribution and each provider's datum."""

from __future__ import annotations

import functools
import os
import re
import tomllib
from pathlib import Path
from typing import Any

from suigeo.errors import InputError

__all__ = ["TILE_DATUMS", "Basemap", "basemap", "basemaps", "tile_basemap", "vector_basemap"]

#: Datums a tile server may be drawn in, and the suigeo system the data are shown in on it.
TILE_DATUMS = {"CGCS2000": "CGCS2000", "WGS84": "WGS84", "GCJ02": "GCJ02"}

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
        #: the files of an offline vector basemap shipped in maps/basemap/, drawn in order
        vector = table.get("vector") or []
        self.vector: list[str] = [vector] if isinstance(vector, str) else list(vector)
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


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def tile_basemap(url: str, *, attribution: str, datum: str, max_zoom: int = 18) -> Basemap:
    """A basemap from a tile server of your own (an office intranet's), by URL template.

    Parameters
    ----------
    url
        ``http(s)://host/path/{z}/{x}/{y}.png``; ``{s}`` (subdomain) and ``{r}`` (retina)
        may appear too.
    attribution
        Who made the tiles (printed on the map).
    datum
        What the tiles are drawn in: ``CGCS2000``, ``WGS84`` or ``GCJ02`` (then the layers
        are shifted to GCJ-02 for display, as on the amap basemap).

    Raises
    ------
    suigeo.errors.InputError
        Not an http(s) URL, no {z}/{x}/{y}, another placeholder, quotes, spaces or template
        syntax in it, an empty attribution or an unknown datum.
    """
    if datum not in TILE_DATUMS:
        raise InputError(f"tile datum {datum!r}: choose one of {', '.join(TILE_DATUMS)}")
    if not attribution or not attribution.strip():
        raise InputError("--tiles needs --tiles-attribution: who made the tiles")
    if not re.match(r"https?://[^/\s]+", url):
        raise InputError(f"tiles {url!r}: give an http:// or https:// URL template")
    names = _PLACEHOLDER.findall(url)
    if not {"z", "x", "y"} <= set(names) or set(names) - {"z", "x", "y", "s", "r"}:
        raise InputError(
            f"tiles {url!r}: the template needs {{z}}, {{x}} and {{y}} and may have only "
            "{s} and {r} besides"
        )
    # branca parses the URL again as a Jinja template and the page puts it in a JS string
    if re.search(r"\{\{|\}\}|\{%|%\}|\{#|[\s\"'<>\\`]", url):
        raise InputError(f"tiles {url!r}: quotes, spaces, backslashes or template syntax")
    table = {
        "title": f"Tiles from {url.split('/')[2]}",
        "datum": datum,
        "display_system": TILE_DATUMS[datum],
        "datum_note": f"{datum} (as stated with --tiles-datum)",
        "tiles": [{"url": url, "attribution": attribution.strip(), "max_zoom": max_zoom}],
    }
    return Basemap("tiles", table, None)
