"""The shipped planning layers (data, catalogue, loaders) and validation of user layers.

>>> import layers
>>> layers.catalog()[["name", "features"]]                          # doctest: +SKIP
>>> parks = layers.load("meizhou_parks", dst="CGCS2000-3GK-CM114")  # doctest: +SKIP
>>> layers.lookup("广梅产业园")                                        # doctest: +SKIP
>>> roads = layers.read("roads.gpkg", schema="roads")                # doctest: +SKIP
"""

import logging

from suigeo.layers.export import export
from suigeo.layers.shipped import (
    LAYER_NAMES,
    attribute_table,
    catalog,
    load,
    lookup,
    through_services,
)
from suigeo.layers.validate import LayerValidationError, Problem, read, schemas, validate
from suigeo.layers.views import meizhou_growth, nearest_station

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "LAYER_NAMES",
    "LayerValidationError",
    "Problem",
    "attribute_table",
    "catalog",
    "export",
    "load",
    "lookup",
    "meizhou_growth",
    "nearest_station",
    "read",
    "schemas",
    "through_services",
    "validate",
]
