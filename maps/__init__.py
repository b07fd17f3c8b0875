"""Folium map assembly, symbology, legends, export."""

import logging

from maps.basemaps import basemap, basemaps
from maps.build import DEFAULT_SIMPLIFY_M, build
from maps.demo import DEMO_RINGS, demo_map, demo_rings
from maps.escape import escape_text
from maps.export import render_html, save_html, save_map, save_png
from maps.files import read_named, read_vector
from maps.offline import OfflineAssetError

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "DEFAULT_SIMPLIFY_M",
    "DEMO_RINGS",
    "OfflineAssetError",
    "basemap",
    "basemaps",
    "build",
    "demo_map",
    "demo_rings",
    "escape_text",
    "read_named",
    "read_vector",
    "render_html",
    "save_html",
    "save_map",
    "save_png",
]
