"""Parse a rendered map page: tags, GeoJSON layers, layer-control names (stdlib only)."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser


class Tags(HTMLParser):
    """Collect script/link/style/img tags and their attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.styles: list[str] = []
        self.imgs: list[dict[str, str | None]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        d = dict(attrs)
        if tag == "script":
            self.scripts.append(d)
        elif tag == "link":
            self.links.append(d)
        elif tag == "img":
            self.imgs.append(d)
        elif tag == "style":
            self._in_style = True
            self.styles.append("")

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles[-1] += data


def tags(html: str) -> Tags:
    t = Tags()
    t.feed(html)
    return t


def geojson_layers(html: str) -> dict[str, dict]:
    """Folium variable name -> the GeoJSON FeatureCollection it adds."""
    out = {}
    dec = json.JSONDecoder()
    for m in re.finditer(r"(geo_json_[0-9a-f]+)_add\(", html):
        if html[m.end()] != "{":
            continue
        obj, _ = dec.raw_decode(html, m.end())
        out[m.group(1)] = obj
    return out


def control_names(html: str) -> dict[str, str]:
    """Layer-control label (as written, JSON-decoded) -> folium variable name."""
    start = html.rindex("L.control.groupedLayers(")
    block = html[start : html.index(").addTo(", start)]
    return {
        json.loads(k): v
        for k, v in re.findall(r'("(?:[^"\\]|\\.)*")\s*:\s*(geo_json_[0-9a-f]+)', block)
    }
