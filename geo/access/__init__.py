"""Accessibility rings and coverage by road and rail: sketch, network and raster engines.

>>> from geo.access import rings  # doctest: +SKIP
>>> rings("广州南站", minutes=(30, 90))  # doctest: +SKIP
"""

import logging

from suigeo.geo.access.coverage import coverage
from suigeo.geo.access.output import FORMATS, write
from suigeo.geo.access.rings import ENGINES, rings, station_times
from suigeo.geo.access.settings import Settings, defaults, resolve_settings
from suigeo.geo.access.tobler import tobler_kmh

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ENGINES",
    "FORMATS",
    "Settings",
    "coverage",
    "defaults",
    "resolve_settings",
    "rings",
    "station_times",
    "tobler_kmh",
    "write",
]
