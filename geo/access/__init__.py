"""Accessibility rings and coverage by road and rail: sketch, network and raster engines.

Examples
--------
Without rail, a sketch ring is a disc of radius T × speed ÷ circuity (defaults 50 km/h and
1.2: 20.8 km in 30 minutes), so its area is π r²:

>>> import math
>>> from suigeo.geo.access import rings
>>> r = rings((113.3, 23.1), minutes=(30,), rail=False)
>>> float(r["minutes"].iloc[0]), r["engine"].iloc[0]
(30.0, 'sketch')
>>> round(float(r["area_km2"].iloc[0]) / (math.pi * (50 * 0.5 / 1.2) ** 2), 3)
1.0
>>> rings("广州南站", minutes=(30, 90))  # from a shipped place, by rail too  # doctest: +SKIP

The public names are imported when first used (:mod:`suigeo._lazy`).
"""

import logging
from typing import TYPE_CHECKING

from suigeo._lazy import lazy_package

if TYPE_CHECKING:
    from suigeo.geo.access.coverage import coverage
    from suigeo.geo.access.output import FORMATS, write
    from suigeo.geo.access.rings import ENGINES, rings, station_times
    from suigeo.geo.access.settings import Settings, defaults, resolve_settings
    from suigeo.geo.access.synthetic import gtfs_from_rail
    from suigeo.geo.access.tobler import tobler_kmh

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "ENGINES",
    "FORMATS",
    "Settings",
    "coverage",
    "defaults",
    "gtfs_from_rail",
    "resolve_settings",
    "rings",
    "station_times",
    "tobler_kmh",
    "write",
]

lazy_package(
    __name__,
    {
        "coverage": "suigeo.geo.access.coverage",
        "FORMATS": "suigeo.geo.access.output",
        "write": "suigeo.geo.access.output",
        "ENGINES": "suigeo.geo.access.rings",
        "rings": "suigeo.geo.access.rings",
        "station_times": "suigeo.geo.access.rings",
        "Settings": "suigeo.geo.access.settings",
        "defaults": "suigeo.geo.access.settings",
        "resolve_settings": "suigeo.geo.access.settings",
        "gtfs_from_rail": "suigeo.geo.access.synthetic",
        "tobler_kmh": "suigeo.geo.access.tobler",
    },
)
