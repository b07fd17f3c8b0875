"""Named coordinate and height systems, conversions, parameter fitting, GCJ-02."""

import logging

from crs.errors import (
    InputError,
    MissingParametersError,
    OutputError,
    ParameterFileError,
    SuigeoError,
    UnknownSystemError,
)
from crs.params import Gz2000Params, load_params
from crs.systems import System, resolve, systems
from crs.transform import FRAME_ATTR, area_mask, frame_system, to_crs, transform

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
