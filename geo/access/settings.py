"""Travel-time settings: defaults read from ``defaults.toml``, each with its source.

``resolve_settings(overrides)`` returns a :class:`Settings` holding the effective values
(flat, dotted keys such as ``"ground.speed_kmh"``) and their sources. Unknown keys are
refused with the list of known ones, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from suigeo.errors import InputError

__all__ = ["Settings", "defaults", "resolve_settings"]

_DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, tuple[Any, str]]:
    out: dict[str, tuple[Any, str]] = {}
    for key, val in table.items():
        name = f"{prefix}{key}"
        if isinstance(val, Mapping) and "value" in val:
            out[name] = (val["value"], str(val.get("source", "")))
        elif isinstance(val, Mapping):
            out.update(_flatten(val, name + "."))
        else:
            raise InputError(f"{_DEFAULTS_FILE}: {name} needs {{ value = ..., source = ... }}")
    return out


@lru_cache(maxsize=1)
def _load_defaults() -> dict[str, tuple[Any, str]]:
    with open(_DEFAULTS_FILE, "rb") as fh:
        return _flatten(tomllib.load(fh))


def defaults() -> dict[str, tuple[Any, str]]:
    """All defaults as ``{dotted key: (value, source)}``."""
    return dict(_load_defaults())


@dataclass(frozen=True)
class Settings:
    """Effective settings: ``values[key]`` and ``sources[key]`` (``"user"`` if overridden)."""

    values: dict[str, Any]
    sources: dict[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def group(self, prefix: str) -> dict[str, Any]:
        """Values under ``prefix.`` with the prefix removed (e.g. speeds per class)."""
        p = prefix + "."
        return {k[len(p) :]: v for k, v in self.values.items() if k.startswith(p)}

    def to_json(self, keys: list[str] | None = None) -> str:
        """The values (all, or those under the given key prefixes) as compact JSON."""
        vals = self.values
        if keys is not None:
            vals = {k: v for k, v in vals.items() if any(k.startswith(p) for p in keys)}
        return json.dumps(vals, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def table(self) -> list[tuple[str, Any, str]]:
        """Rows ``(key, value, source)`` for printing."""
        return [(k, v, self.sources.get(k, "")) for k, v in self.values.items()]


def _flatten_user(overrides: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, val in overrides.items():
        name = f"{prefix}{key}"
        if isinstance(val, Mapping):
            out.update(_flatten_user(val, name + "."))
        else:
            out[name] = val
    return out


_TRUE = ("true", "yes", "on", "1")
# a zero here divides by zero (a speed, a circuity, a cell size): must be > 0
_POSITIVE = ("speed", "kmh", "circuity", "off_path_factor", "cell_m", "max_cells")
_FALSE = ("false", "no", "off", "0")


def _check_type(key: str, default: Any, value: Any) -> Any:
    if isinstance(default, bool):
        word = str(value).strip().lower()
        if isinstance(value, bool) or word in _TRUE + _FALSE:
            return value if isinstance(value, bool) else word in _TRUE
        raise InputError(f"setting {key} must be true or false, got {value!r}")
    if isinstance(default, list):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, (list, tuple)):
            raise InputError(f"setting {key} must be a list, got {value!r}")
        return [str(v) for v in value]
    if isinstance(default, (int, float)) and not isinstance(default, bool):
        try:
            num = float(value)
        except (TypeError, ValueError):
            raise InputError(f"setting {key} must be a number, got {value!r}") from None
        if num != num or (num < 0 and key != "network.fill_holes_max_km2"):
            raise InputError(f"setting {key} must be a non-negative number, got {value!r}")
        if num == 0 and any(word in key for word in _POSITIVE):
            raise InputError(f"setting {key} must be greater than 0, got {value!r}")
        return num
    return value


def resolve_settings(overrides: Mapping[str, Any] | Settings | None = None) -> Settings:
    """Merge ``overrides`` (dotted keys or nested mappings) into the defaults.

    Raises
    ------
    InputError
        For an unknown key (the message lists the known keys) or a value of the wrong type.
    """
    if isinstance(overrides, Settings):
        return overrides
    base = _load_defaults()
    values = {k: v for k, (v, _) in base.items()}
    sources = {k: s for k, (_, s) in base.items()}
    for key, val in _flatten_user(overrides or {}).items():
        if key not in base:
            # a new highway class may be added to the speed table
            if key.startswith(("network.highway_speeds_kmh.", "network.osm.zone_speeds_kmh.")):
                values[key] = _check_type(key, 1.0, val)
                sources[key] = "user"
                continue
            raise InputError(
                f"unknown travel-time setting {key!r}; known settings: {', '.join(sorted(base))}"
            )
        values[key] = _check_type(key, base[key][0], val)
        sources[key] = "user"
    return Settings(values, sources)
