"""Named coordinate systems: the one door through which every system name passes.

``resolve(name)`` accepts a suigeo name (``CGCS2000``, ``CGCS2000-3GK-CM114``, ``GZ2000`` ...),
an EPSG code as text (``EPSG:4547``) or integer, or a :class:`pyproj.CRS`, and returns a
:class:`System`. Anything else raises :class:`crs.errors.UnknownSystemError` naming the value
and listing what is accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pyproj import CRS
from pyproj.exceptions import CRSError

from crs.errors import UnknownSystemError

__all__ = ["System", "resolve", "systems"]


@dataclass(frozen=True)
class System:
    """A named coordinate system.

    ``kind`` is ``geographic`` (lon, lat degrees), ``projected`` (easting, northing metres),
    ``geocentric`` (X, Y, Z metres) or ``offset`` (a datum-less obfuscated lon/lat such as
    GCJ-02 or BD-09, which PROJ does not know). ``epsg`` is ``None`` where no EPSG code
    exists. ``pyproj_crs`` is ``None`` for offset systems and parameter-file systems.
    """

    name: str
    title: str
    kind: str
    epsg: int | None = None
    note: str = ""

    @property
    def pyproj_crs(self) -> CRS | None:
        return _crs_from_epsg(self.epsg) if self.epsg is not None else None

    @property
    def is_geographic(self) -> bool:
        return self.kind in ("geographic", "offset")


@lru_cache(maxsize=256)
def _crs_from_epsg(code: int) -> CRS:
    return CRS.from_epsg(code)


_GK_NOTE = "3-degree Gauss-Krüger, CGCS2000 ellipsoid, scale 1, false easting 500 km"

_REGISTRY: dict[str, System] = {
    s.name.upper(): s
    for s in (
        System("CGCS2000", "China Geodetic Coordinate System 2000, lon/lat", "geographic", 4490),
        System("CGCS2000-XYZ", "CGCS2000 geocentric X, Y, Z", "geocentric", 4479),
        System(
            "CGCS2000-3GK-CM111",
            "CGCS2000 / 3-degree GK CM 111E (no zone prefix)",
            "projected",
            4546,
            _GK_NOTE + "; covers Qingyuan west of 112.5E",
        ),
        System(
            "CGCS2000-3GK-CM114",
            "CGCS2000 / 3-degree GK CM 114E (no zone prefix)",
            "projected",
            4547,
            _GK_NOTE + "; covers Guangzhou and most of Qingyuan",
        ),
        System(
            "CGCS2000-3GK-CM117",
            "CGCS2000 / 3-degree GK CM 117E (no zone prefix)",
            "projected",
            4548,
            _GK_NOTE + "; covers Meizhou east of 115.5E",
        ),
        System(
            "CGCS2000-3GK-Z37",
            "CGCS2000 / 3-degree GK zone 37 (easting prefixed 37)",
            "projected",
            4525,
            _GK_NOTE + ", easting prefixed with zone number 37",
        ),
        System(
            "CGCS2000-3GK-Z38",
            "CGCS2000 / 3-degree GK zone 38 (easting prefixed 38)",
            "projected",
            4526,
            _GK_NOTE + ", easting prefixed with zone number 38",
        ),
        System(
            "CGCS2000-3GK-Z39",
            "CGCS2000 / 3-degree GK zone 39 (easting prefixed 39)",
            "projected",
            4527,
            _GK_NOTE + ", easting prefixed with zone number 39",
        ),
        System("WGS84", "WGS 84 lon/lat", "geographic", 4326),
    )
}


def systems() -> list[System]:
    """All named systems, in a stable order."""
    return list(_REGISTRY.values())


def resolve(system: str | int | CRS | System) -> System:
    """Return the :class:`System` for a name, an EPSG code or a pyproj CRS.

    >>> resolve("EPSG:4547").name
    'CGCS2000-3GK-CM114'
    """
    if isinstance(system, System):
        return system
    if isinstance(system, str):
        key = system.strip().upper()
        if key in _REGISTRY:
            return _REGISTRY[key]
        if key.startswith("EPSG:") and key[5:].isdigit():
            return _from_epsg(int(key[5:]), system)
        raise UnknownSystemError(
            f"unknown coordinate system {system!r}; use one of "
            f"{', '.join(s.name for s in systems())} or an EPSG code such as EPSG:4547 "
            "(`suigeo crs list` shows them all)"
        )
    if isinstance(system, bool):
        raise UnknownSystemError(f"unknown coordinate system {system!r}")
    if isinstance(system, int):
        return _from_epsg(system, system)
    if isinstance(system, CRS):
        code = system.to_epsg()
        if code is None:
            raise UnknownSystemError(
                f"the CRS {system.name!r} has no EPSG code; pass a suigeo system name or an "
                "EPSG code"
            )
        return _from_epsg(code, system)
    raise UnknownSystemError(
        f"cannot use {system!r} as a coordinate system: pass a name, an EPSG code or a pyproj CRS"
    )


def _from_epsg(code: int, original: object) -> System:
    for s in _REGISTRY.values():
        if s.epsg == code:
            return s
    try:
        crs = _crs_from_epsg(code)
    except CRSError as exc:
        raise UnknownSystemError(f"unknown EPSG code {original!r}: {exc}") from None
    if crs.is_geographic:
        kind = "geographic"
    elif crs.is_projected:
        kind = "projected"
    elif crs.is_geocentric:
        kind = "geocentric"
    else:
        raise UnknownSystemError(
            f"EPSG:{code} ({crs.name}) is neither geographic, projected nor geocentric"
        )
    return System(f"EPSG:{code}", crs.name, kind, code)
