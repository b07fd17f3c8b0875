"""Offline maps: inline every script and stylesheet folium would link from a CDN.

folium writes ``<script src="https://...">`` and ``<link href="https://...">`` for Leaflet,
jQuery, Bootstrap, Font Awesome, the awesome-markers plugin, each plugin it uses, and branca's
colour legend adds d3. :class:`OfflineAssets`, added to a map's figure after the map, runs
when the page is rendered (``Map.save``, ``get_root().render()``, notebooks alike) and
replaces every such link with the file's content, read from the npm packages vendored in
``maps/assets/`` (listed with versions, licences and tarball hashes in
``maps/assets/assets.toml``). Images and fonts a stylesheet refers to become ``data:`` URIs.
A link with no vendored copy is an error (:class:`OfflineAssetError`), never left in place.
"""

from __future__ import annotations

import base64
import functools
import mimetypes
import re
import tomllib
from pathlib import Path
from typing import Any

from branca.element import CssLink, Element, Figure, JavascriptLink, MacroElement

from suigeo.errors import InputError

__all__ = ["ASSETS_DIR", "OfflineAssetError", "OfflineAssets", "asset_manifest", "inline_asset"]

ASSETS_DIR = Path(__file__).with_name("assets")

_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)""")
_MIME = {".woff2": "font/woff2", ".woff": "font/woff", ".ttf": "font/ttf", ".png": "image/png"}


class OfflineAssetError(InputError):
    """A page asset has no offline copy in ``maps/assets``."""


@functools.cache
def asset_manifest() -> dict[str, Any]:
    """Return ``maps/assets/assets.toml`` parsed (packages and CDN URL -> file table)."""
    with (ASSETS_DIR / "assets.toml").open("rb") as fh:
        return tomllib.load(fh)


@functools.cache
def _url_table() -> dict[str, dict[str, str]]:
    return {a["url"]: a for a in asset_manifest()["asset"]}


def _data_uri(path: Path) -> str:
    mime = (
        _MIME.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css_urls(css: str, css_file: Path) -> str:
    def repl(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")) or not ref:
            return match.group(0)
        if re.match(r"(?i)^[a-z][a-z0-9+.-]*:|^//", ref):
            raise OfflineAssetError(f"{css_file.name} refers to {ref!r}, which is not offline")
        target = (css_file.parent / re.split(r"[?#]", ref, maxsplit=1)[0]).resolve()
        if ASSETS_DIR.resolve() in target.parents and target.is_file():
            return f'url("{_data_uri(target)}")'
        return 'url("data:,")'  # not vendored (see `omitted` in assets.toml)

    return _CSS_URL.sub(repl, css)


@functools.cache
def inline_asset(url: str) -> str | None:
    """Return the content that replaces ``url``, or ``None`` when it is deliberately omitted.

    Raises
    ------
    OfflineAssetError
        When ``url`` has no entry in ``maps/assets/assets.toml``.
    """
    entry = _url_table().get(url)
    if entry is None:
        raise OfflineAssetError(
            f"no offline copy of {url!r}: vendor the npm package that ships it into maps/assets "
            "and add it to maps/assets/assets.toml"
        )
    if "omit" in entry:
        return None
    path = ASSETS_DIR / entry["file"]
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".css":
        text = _inline_css_urls(text, path)
        return text.replace("</style", "<\\/style")
    # "</script" cannot occur inside a <script> element; "<\/script" means the same in JS.
    return text.replace("</script", "<\\/script")


class _Inline(Element):
    """A ``<script>`` or ``<style>`` element with inlined content."""

    def __init__(self, tag: str, code: str | None, url: str) -> None:
        super().__init__()
        self._name = "InlineAsset"
        self.tag = tag
        self.code = code
        self.url = url

    def render(self, **kwargs: Any) -> str:
        if self.code is None:
            return f"<!-- offline: {self.url.rsplit('/', 1)[-1]} omitted (see assets.toml) -->"
        return f"<{self.tag}>{self.code}</{self.tag}>"


class OfflineAssets(MacroElement):
    """Figure element that swaps CDN links in the page header for inlined copies.

    Add it to the map's root figure *after* the map (``maps.build`` does), so it renders
    after every element that adds links.
    """

    def __init__(self) -> None:
        super().__init__()
        self._name = "OfflineAssets"

    # branca's MacroElement.render returns None too; only Element.render is typed -> str
    def render(self, **kwargs: Any) -> None:  # type: ignore[override]
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("OfflineAssets must be added to a Figure")
        header = figure.header._children
        for name, child in list(header.items()):
            if isinstance(child, JavascriptLink):
                header[name] = _Inline("script", inline_asset(child.url), child.url)
            elif isinstance(child, CssLink):
                header[name] = _Inline("style", inline_asset(child.url), child.url)
