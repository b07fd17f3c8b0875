"""The shipped planning layers (data, catalogue, loaders) and validation of user layers.

>>> import layers
>>> layers.catalog()[["name", "features"]]          # doctest: +SKIP
>>> parks = layers.load("meizhou_parks", crs="CGCS2000-3GK-CM114")  # doctest: +SKIP
>>> layers.lookup("广梅产业园")                        # doctest: +SKIP
"""

import logging

from layers.shipped import LAYER_NAMES, catalog, load, lookup

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "LAYER_NAMES",
    "catalog",
    "load",
    "lookup",
]
