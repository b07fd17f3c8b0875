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

The public names are imported when first used (:mod:`suigeo._lazy`).
"""

import logging
from typing import TYPE_CHECKING

from suigeo._lazy import lazy_package

if TYPE_CHECKING:
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

lazy_package(
    __name__,
    {
        "export": "suigeo.layers.export",
        "LAYER_NAMES": "suigeo.layers.shipped",
        "attribute_table": "suigeo.layers.shipped",
        "catalog": "suigeo.layers.shipped",
        "load": "suigeo.layers.shipped",
        "lookup": "suigeo.layers.shipped",
        "through_services": "suigeo.layers.shipped",
        "LayerValidationError": "suigeo.layers.validate",
        "Problem": "suigeo.layers.validate",
        "read": "suigeo.layers.validate",
        "schemas": "suigeo.layers.validate",
        "validate": "suigeo.layers.validate",
        "meizhou_growth": "suigeo.layers.views",
        "nearest_station": "suigeo.layers.views",
    },
)
