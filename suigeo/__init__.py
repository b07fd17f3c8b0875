"""suigeo: a geospatial planning toolkit for Guangzhou.

One import name with one room per job:

- :mod:`suigeo.crs` — named coordinate and height systems, conversions, parameter fitting,
  GCJ-02;
- :mod:`suigeo.layers` — the shipped planning layers and validation of user layers;
- :mod:`suigeo.geo` — analysis: accessibility rings and coverage (:mod:`suigeo.geo.access`),
  land-use rule checks (:mod:`suigeo.geo.rules`);
- :mod:`suigeo.maps` — folium map assembly, symbology, legends and export;
- :mod:`suigeo.cli` — the command line;
- :mod:`suigeo.io` and :mod:`suigeo.errors` — the shared I/O layer, atomic writes and the
  exception tree, at the bottom of the house.

In the repository the library's folders stay at the top level (``crs/``, ``layers/``,
``geo/``, ``maps/``); ``suigeo/crs`` and its siblings are links to them, so a checkout, an
editable install and a wheel all import them under ``suigeo`` and nothing else.
"""

import logging

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # ``__version__`` is looked up on first use (PEP 562): importlib.metadata costs about
    # 35 ms, a tenth of the command line's start-up budget.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value = version("suigeo")
        except PackageNotFoundError:  # running from a source tree that is not installed
            value = "0+unknown"
        globals()["__version__"] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
