"""Folium map assembly, symbology, legends, export."""

import logging

from suigeo.maps.basemaps import basemap, basemaps
from suigeo.maps.build import DEFAULT_SIMPLIFY_M, build
from suigeo.maps.demo import DEMO_RINGS, demo_map, demo_rings
from suigeo.maps.escape import escape_text
from suigeo.maps.export import render_html, save_html, save_map, save_png
from suigeo.maps.files import read_named, read_vector
from suigeo.maps.offline import OfflineAssetError

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
