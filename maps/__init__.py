"""Folium map assembly, symbology, legends, export."""

import logging

from maps.basemaps import basemap, basemaps
from maps.build import DEFAULT_SIMPLIFY_M, build
from maps.escape import escape_text
from maps.export import render_html, save_html, save_png
from maps.offline import OfflineAssetError

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_SIMPLIFY_M",
    "OfflineAssetError",
    "basemap",
    "basemaps",
    "build",
    "escape_text",
    "render_html",
    "save_html",
    "save_png",
]
