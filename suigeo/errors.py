"""The exception tree shared by every suigeo package.

Every class is also a builtin, so scripts can catch either ``SuigeoError`` or the
builtin they already expect (``ValueError``, ``OSError`` ...). The command line maps
every ``SuigeoError`` to exit status 2 (bad input or usage).

It lives at the bottom of the house, beside the I/O layer, so every package may use it.
"""

from __future__ import annotations

__all__ = [
    "InputError",
    "MissingParametersError",
    "OutputError",
    "ParameterFileError",
    "SuigeoError",
    "UnknownSystemError",
]


class SuigeoError(Exception):
    """Root of every error suigeo raises on purpose."""


class UnknownSystemError(SuigeoError, ValueError):
    """A coordinate or height system name, EPSG code or CRS that suigeo cannot use."""


class MissingParametersError(SuigeoError, LookupError):
    """A system (Guangzhou 2000) needs a parameter file that was not supplied."""


class ParameterFileError(SuigeoError, ValueError):
    """A parameter file exists but is malformed. Messages never quote its values."""


class InputError(SuigeoError, ValueError):
    """Bad user input: a file, a row, a column or an argument. Name all three when known."""


class OutputError(SuigeoError, OSError):
    """An output cannot be written (would overwrite the input, bad format, ...)."""
