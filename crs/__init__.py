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
from crs.systems import System, resolve, systems
from crs.transform import to_crs, transform

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "InputError",
    "MissingParametersError",
    "OutputError",
    "ParameterFileError",
    "SuigeoError",
    "System",
    "UnknownSystemError",
    "resolve",
    "systems",
    "to_crs",
    "transform",
]
