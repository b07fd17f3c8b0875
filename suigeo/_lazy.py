"""Packages whose public names are imported on first use (PEP 562), for a fast start-up.

``import suigeo.maps`` then costs nothing; ``suigeo.maps.build`` imports folium when it is
first looked up. A package calls :func:`lazy_package` with its public names and the module
each lives in, and keeps the same names in an ``if TYPE_CHECKING:`` import block for type
checkers and documentation tools.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any


class _LazyPackage(types.ModuleType):
    """A package module that imports its public names from their modules when looked up."""

    _lazy_exports: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        exports = self.__dict__.get("_lazy_exports", {})
        if name not in exports:
            # a submodule (``maps.offline``) is found as an eager package would have it
            full = f"{self.__name__}.{name}"
            try:
                return importlib.import_module(full)
            except ModuleNotFoundError as exc:
                if exc.name != full:
                    raise
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(exports[name]), name)
        self.__dict__[name] = value
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # The import system sets a submodule on its package once it is imported. Where a
        # public function has its module's name (``maps.build`` in ``maps/build.py``), the
        # function keeps the name, as it did when the package imported it eagerly.
        exports = self.__dict__.get("_lazy_exports", {})
        if isinstance(value, types.ModuleType) and exports.get(name) == f"{self.__name__}.{name}":
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(self.__dict__.get("_lazy_exports", {})))


def lazy_package(name: str, exports: dict[str, str]) -> None:
    """Make package ``name`` import each of ``exports`` (public name -> module) on first use."""
    module = sys.modules[name]
    module.__dict__["_lazy_exports"] = dict(exports)
    module.__class__ = _LazyPackage
