"""Folium map assembly, symbology, legends, export.

The public names are imported when first used (:mod:`suigeo._lazy`), so ``import
suigeo.maps`` does not import folium or geopandas.
"""

import logging
from typing import TYPE_CHECKING

from suigeo._lazy import lazy_package

if TYPE_CHECKING:
    from suigeo.maps.basemaps import basemap, basemaps
    from suigeo.maps.build import DEFAULT_SIMPLIFY_M, build
    from suigeo.maps.demo import DEMO_RINGS, demo_map, demo_rings
    from suigeo.maps.escape import escape_text
    from suigeo.maps.export import render_html, save_html, save_map, save_png
    from suigeo.maps.files import read_named, read_user_layers, read_vector
    from suigeo.maps.offline import OfflineAssetError
    from suigeo.maps.printing import print_map
    from suigeo.maps.ringparts import ring_parts

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
    "print_map",
    "read_named",
    "read_user_layers",
    "read_vector",
    "render_html",
    "ring_parts",
    "save_html",
    "save_map",
    "save_png",
]

lazy_package(
    __name__,
    {
        "basemap": "suigeo.maps.basemaps",
        "basemaps": "suigeo.maps.basemaps",
        "DEFAULT_SIMPLIFY_M": "suigeo.maps.build",
        "build": "suigeo.maps.build",
        "DEMO_RINGS": "suigeo.maps.demo",
        "demo_map": "suigeo.maps.demo",
        "demo_rings": "suigeo.maps.demo",
        "escape_text": "suigeo.maps.escape",
        "render_html": "suigeo.maps.export",
        "save_html": "suigeo.maps.export",
        "save_map": "suigeo.maps.export",
        "save_png": "suigeo.maps.export",
        "read_named": "suigeo.maps.files",
        "read_vector": "suigeo.maps.files",
        "read_user_layers": "suigeo.maps.files",
        "OfflineAssetError": "suigeo.maps.offline",
        "print_map": "suigeo.maps.printing",
        "ring_parts": "suigeo.maps.ringparts",
    },
)
