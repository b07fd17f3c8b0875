"""Named coordinate and height systems, conversions, parameter fitting, GCJ-02."""

import logging

from suigeo.crs.params import Gz2000Params, load_params
from suigeo.crs.systems import System, resolve, systems
from suigeo.crs.transform import FRAME_ATTR, area_mask, frame_system, to_crs, transform
from suigeo.errors import (
    InputError,
    MissingParametersError,
    OutputError,
    ParameterFileError,
    SuigeoError,
    UnknownSystemError,
)

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "FRAME_ATTR",
    "Gz2000Params",
    "InputError",
    "MissingParametersError",
    "OutputError",
    "ParameterFileError",
    "SuigeoError",
    "System",
    "UnknownSystemError",
    "area_mask",
    "frame_system",
    "load_params",
    "resolve",
    "systems",
    "to_crs",
    "transform",
]
