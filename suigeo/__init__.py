"""suigeo command line. The library lives in the top-level packages crs, layers, geo, maps."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("suigeo")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
