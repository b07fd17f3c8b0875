"""Named coordinate and height systems: the one door through which every system name passes.

``resolve(name)`` accepts a suigeo name (``CGCS2000``, ``CGCS2000-3GK-CM114``, ``GZ2000`` ...),
an EPSG code as text (``EPSG:4547``) or integer, a :class:`pyproj.CRS`, or a compound name
``PLANE+HEIGHT`` (``CGCS2000+H1985``, ``GZ2000+HGZ``, ``EPSG:4547+5737``) and returns a
:class:`System`. Anything else raises :class:`suigeo.errors.UnknownSystemError` naming the value
and listing what is accepted.

Heights
-------
A bare plane system (``CGCS2000``, ``GZ2000`` ...) carries whatever height the caller gives:
for geographic CGCS2000 that is the ellipsoidal height, passed through PROJ. A height system
is named by appending it: ``CGCS2000+H1985`` means lon, lat on CGCS2000 with normal heights
of the 1985 National Height Datum (EPSG:5737); ``GZ2000+HGZ`` means Guangzhou 2000 plane
with heights of the Guangzhou height system. ``H1985`` and ``HGZ`` also stand alone (kind
``height``) for converting heights only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from pyproj import CRS
from pyproj.exceptions import CRSError

from suigeo.errors import UnknownSystemError

__all__ = ["CHINA_BOX", "GUANGZHOU_BOX", "System", "resolve", "systems"]

Bounds = tuple[float, float, float, float]

#: Guangzhou (112°57'-114°03' E, 22°26'-23°56' N) with a margin of about 0.45 degree
#: (some 45 km) on every side: the area of use of GZ2000 and HGZ.
GUANGZHOU_BOX: Bounds = (112.5, 22.0, 114.5, 24.4)
#: The rectangle that the usual GCJ-02 rule treats as mainland China (west, south, east,
#: north); outside it GCJ-02 and BD-09 coordinates equal WGS 84 (eviltransform,
#: coordTransform, prcoords all use it).
CHINA_BOX: Bounds = (72.004, 0.8293, 137.8347, 55.8271)


@dataclass(frozen=True)
class System:
    """A named coordinate or height system.

    ``kind`` is ``geographic`` (lon, lat degrees), ``projected`` (easting, northing metres),
    ``geocentric`` (X, Y, Z metres), ``offset`` (a datum-less obfuscated lon/lat, GCJ-02 or
    BD-09, which PROJ does not know) or ``height`` (a height system alone; x, y pass
    through). ``epsg`` is ``None`` where no EPSG code exists. ``needs_params`` marks systems
    defined by a user's parameter file (``GZ2000``). ``height`` names the height system of a
    compound system (``H1985``/``HGZ``) and ``plane`` its plane part.
    """

    name: str
    title: str
    kind: str
    epsg: int | None = None
    note: str = ""
    bounds: Bounds | None = None
    needs_params: bool = False
    height: str | None = None
    plane: str | None = None

    @property
    def pyproj_crs(self) -> CRS | None:
        """The pyproj CRS (compound for ``EPSG+H1985``), or ``None`` if PROJ cannot know it."""
        if self.epsg is None:
            return None
        if self.height == "H1985" and self.kind != "height":
            return _crs_from_text(f"EPSG:{self.epsg}+5737")
        if self.height is not None and self.kind != "height":
            return None
        return _crs_from_epsg(self.epsg)

    @property
    def is_geographic(self) -> bool:
        """Whether x, y are lon, lat degrees (geographic, and the GCJ02/BD09 offsets)."""
        return self.kind in ("geographic", "offset")

    @property
    def area_of_use(self) -> Bounds:
        """Longitude/latitude bounds ``(west, south, east, north)`` in degrees.

        From pyproj (the EPSG database) for EPSG systems; :data:`GUANGZHOU_BOX` for GZ2000
        and HGZ; :data:`CHINA_BOX` for GCJ02 and BD09. For a compound system, the
        intersection of its plane's and its height's areas.
        """
        if self.bounds is not None:
            return self.bounds
        if self.epsg is not None:
            return _epsg_bounds(self.epsg)
        raise UnknownSystemError(f"{self.name} has no area of use")  # pragma: no cover


@lru_cache(maxsize=256)
def _crs_from_epsg(code: int) -> CRS:
    return CRS.from_epsg(code)


@lru_cache(maxsize=64)
def _crs_from_text(text: str) -> CRS:
    return CRS.from_user_input(text)


@lru_cache(maxsize=256)
def _epsg_bounds(code: int) -> Bounds:
    aou = _crs_from_epsg(code).area_of_use
    if aou is None:
        return (-180.0, -90.0, 180.0, 90.0)
    return tuple(float(v) for v in aou.bounds)  # type: ignore[return-value]


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
        System(
            "WGS84",
            "WGS 84 lon/lat",
            "geographic",
            4326,
            "taken equal to CGCS2000 (they agree to a few decimetres; PROJ's own "
            "WGS84<->CGCS2000 step is a null 'ballpark' one too)",
        ),
        System(
            "GCJ02",
            "GCJ-02 lon/lat (AMap/Gaode, Tencent)",
            "offset",
            None,
            "obfuscated WGS84 by the published GCJ-02 formula; identical to WGS84 outside "
            "the mainland-China box",
            bounds=CHINA_BOX,
        ),
        System(
            "BD09",
            "BD-09 lon/lat (Baidu)",
            "offset",
            None,
            "GCJ-02 further offset by Baidu's formula",
            bounds=CHINA_BOX,
        ),
        System(
            "GZ2000",
            "Guangzhou 2000 plane E, N (parameter file)",
            "projected",
            None,
            "transverse Mercator on CGCS2000 + optional Helmert/similarity/affine from the "
            "user's parameter file (--params FILE or SUIGEO_GZ2000_PARAMS)",
            bounds=GUANGZHOU_BOX,
            needs_params=True,
        ),
        System(
            "H1985",
            "1985 National Height Datum (Yellow Sea 1985), normal heights",
            "height",
            5737,
            "heights in metres",
            height="H1985",
        ),
        System(
            "HGZ",
            "Guangzhou height system",
            "height",
            None,
            "HGZ = H1985 + offset from the parameter file's [height] (default +4.256 m, "
            "Guangdong's published value for Guangzhou)",
            bounds=GUANGZHOU_BOX,
            height="HGZ",
        ),
    )
}

HEIGHT_SYSTEMS = ("H1985", "HGZ")


def systems() -> list[System]:
    """All named systems, in a stable order."""
    return list(_REGISTRY.values())


def resolve(system: str | int | CRS | System) -> System:
    """Return the :class:`System` for a name, an EPSG code, a compound name or a pyproj CRS.

    Examples
    --------
    >>> resolve("EPSG:4547").name
    'CGCS2000-3GK-CM114'
    >>> resolve("gz2000+hgz").height
    'HGZ'
    """
    if isinstance(system, System):
        return system
    if isinstance(system, str):
        return _resolve_text(system)
    if isinstance(system, bool):
        raise UnknownSystemError(f"unknown coordinate system {system!r}")
    if isinstance(system, int):
        return _from_epsg(system, system)
    if isinstance(system, CRS):
        return _resolve_crs(system)
    raise UnknownSystemError(
        f"cannot use {system!r} as a coordinate system: pass a name, an EPSG code or a pyproj CRS"
    )


def _resolve_text(text: str) -> System:
    key = text.strip().upper()
    if key in _REGISTRY:
        return _REGISTRY[key]
    if key.startswith("EPSG:") and key[5:].isdigit():
        return _from_epsg(int(key[5:]), text)
    if key.isdigit():  # a bare EPSG code, as typed on the command line
        return _from_epsg(int(key), text)
    if "+" in key:
        plane, _, height = key.partition("+")
        h = resolve(int(height) if height.isdigit() else height)
        return compound(resolve(plane), h, text)
    raise UnknownSystemError(
        f"unknown coordinate system {text!r}; use one of "
        f"{', '.join(s.name for s in systems())}, an EPSG code such as EPSG:4547, or "
        "PLANE+HEIGHT such as CGCS2000+H1985 (`suigeo crs list` shows them all)"
    )


def _resolve_crs(c: CRS) -> System:
    if c.is_compound and len(c.sub_crs_list) == 2:
        plane, height = c.sub_crs_list
        return compound(resolve(plane), resolve(height), c.name)
    code = c.to_epsg()
    if code is None:
        raise UnknownSystemError(
            f"the CRS {c.name!r} has no EPSG code; pass a suigeo system name or an EPSG code"
        )
    return _from_epsg(code, c)


def compound(plane: System, height: System, original: object = None) -> System:
    """The system ``PLANE+HEIGHT``: ``plane``'s x, y with heights in ``height``."""
    if height.kind != "height":
        raise UnknownSystemError(
            f"{original or height.name!r}: after '+' comes a height system "
            f"({', '.join(HEIGHT_SYSTEMS)}), not {height.name}"
        )
    if plane.kind not in ("geographic", "projected", "offset") or plane.height is not None:
        raise UnknownSystemError(
            f"{original or plane.name!r}: a height system can follow a geographic or "
            f"projected system only, not {plane.name} ({plane.kind})"
        )
    pw, ps, pe, pn = plane.area_of_use
    hw, hs, he, hn = height.area_of_use
    return replace(
        plane,
        name=f"{plane.name}+{height.name}",
        title=f"{plane.title} + {height.title}",
        note=f"{plane.note}; {height.note}".strip("; "),
        bounds=(max(pw, hw), max(ps, hs), min(pe, he), min(pn, hn)),
        height=height.name,
        plane=plane.name,
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
            f"EPSG:{code} ({crs.name}) is neither geographic, projected nor geocentric "
            f"(of the height systems suigeo knows {', '.join(HEIGHT_SYSTEMS)}; EPSG:5737 is H1985)"
        )
    return System(f"EPSG:{code}", crs.name, kind, code)
