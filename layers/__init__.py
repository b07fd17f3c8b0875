"""The shipped planning layers (data, catalogue, loaders) and validation of user layers.

Examples
--------
>>> from suigeo import layers
>>> layers.catalog()[["name", "features"]].head(3)
             name  features
0    north8_towns         8
1   meizhou_parks         9
2  qingyuan_parks         9
>>> layers.lookup("广梅产业园")["layer"].item()
'meizhou_parks'
>>> roads = layers.read("roads.gpkg", schema="roads")  # a user layer, validated  # doctest: +SKIP
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
