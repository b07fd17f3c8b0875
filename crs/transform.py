"""Array and GeoDataFrame conversion between named systems.

Every projection and Helmert step is executed by PROJ (pyproj); GCJ-02/BD-09 by
:mod:`crs.gcj02`. A conversion is planned as a short chain of steps through CGCS2000 lon/lat
(the hub):

* EPSG system -> EPSG system: one PROJ transformer (``Transformer.from_crs``).
* GZ2000: the parameter file's PROJ pipeline (forward from CGCS2000, or its inverse).
* GCJ02/BD09: :mod:`crs.gcj02` from/to WGS 84, and WGS 84 is taken equal to CGCS2000
  (they agree to a few decimetres; PROJ's own WGS 84 <-> CGCS2000 step is a null "ballpark"
  one too), so no PROJ step is spent on it.

Transformers are built once and cached (GZ2000 ones under an opaque digest of the
parameters). Points PROJ cannot convert come back as ``inf``; nothing raises per point.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import Transformer
from pyproj.enums import TransformDirection

from suigeo.crs.params import DEFAULT_HEIGHT_OFFSET_M, Gz2000Params, load_params, secret_transformer
from suigeo.crs.systems import System, resolve
from suigeo.errors import InputError, ParameterFileError, UnknownSystemError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike
    from pyproj import CRS

__all__ = ["FRAME_ATTR", "area_mask", "frame_system", "to_crs", "transform"]

Params = str | os.PathLike[str] | Mapping[str, Any] | Gz2000Params | None
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray | None]
# A step takes (x, y, z) and whether it may overwrite them, and returns new (x, y, z).
Step = Callable[[np.ndarray, np.ndarray, np.ndarray | None, bool], Arrays]

#: ``GeoDataFrame.attrs`` key naming the suigeo system of a frame made by :func:`to_crs`.
#: Frames in systems PROJ does not know (GZ2000, GCJ02, BD09, ...+HGZ) have ``.crs`` None
#: and rely on it.
FRAME_ATTR = "suigeo_crs"

_HUB = 4490  # CGCS2000 lon/lat
_HUB_EQUIVALENT = (4490, 4326)  # WGS 84 taken equal to CGCS2000


@lru_cache(maxsize=128)
def _transformer(src_epsg: int, dst_epsg: int) -> Transformer:
    return Transformer.from_crs(src_epsg, dst_epsg, always_xy=True)


_PIPELINES: dict[str, Transformer] = {}


def _pipeline_transformer(params: Gz2000Params) -> Transformer:
    # Keyed by an opaque digest; the pipeline text itself is never logged or shown.
    t = _PIPELINES.get(params.key)
    if t is None:
        if len(_PIPELINES) >= 32:
            _PIPELINES.clear()
        t = secret_transformer(params._pipeline())
        if t is None:  # PROJ's message quotes the pipeline: raise without it
            raise ParameterFileError(
                f"parameter file {params.source}: PROJ rejected the parameters (values not shown)"
            )
        _PIPELINES[params.key] = t
    return t


def _epsg_step(src: int, dst: int) -> Step:
    t = _transformer(src, dst)

    def step(x, y, z, inplace):
        if z is None:
            x, y = t.transform(x, y, errcheck=False, inplace=inplace)
            return x, y, None
        return t.transform(x, y, z, errcheck=False, inplace=inplace)

    return step


def _gz_step(params: Gz2000Params, forward: bool, carry_h: bool) -> Step:
    t = _pipeline_transformer(params)
    if not forward and params.has_helmert7:
        return _gz_exact_inverse(t, carry_h)
    direction = TransformDirection.FORWARD if forward else TransformDirection.INVERSE

    def step(x, y, z, inplace):
        if z is None:
            x, y = t.transform(x, y, errcheck=False, inplace=inplace, direction=direction)
            return x, y, None
        return t.transform(x, y, z, errcheck=False, inplace=inplace, direction=direction)

    return step


_INV = TransformDirection.INVERSE


def _gz_exact_inverse(t: Transformer, carry_h: bool) -> Step:
    """The exact inverse of a pipeline holding a 7-parameter Helmert.

    PROJ's Helmert uses the EPSG small-angle rotation matrix, whose inverse PROJ takes as
    its transpose: off by about (rotation)^2 * R, up to a millimetre for rotations of a few
    arc-seconds. So PROJ's inverse is only the first guess ``q -> G(q)``, corrected by the
    forward residual, ``q += target - F(G(q))``, twice (each pass gains five digits or so).
    When heights are kept (2-D, where the height is 0, or named heights) the CGCS2000-side
    height is held at the given value and only E, N are matched; with ellipsoidal heights
    (``carry_h``) E, N and h are all matched.
    """

    def step(x, y, z, inplace):
        given = np.zeros_like(x) if z is None else z
        qx, qy, qz = x.copy(), y.copy(), np.array(given, dtype=np.float64, copy=True)
        for _ in range(2):
            lon, lat, h = t.transform(qx, qy, qz, errcheck=False, direction=_INV)
            fx, fy, fz = t.transform(lon, lat, h if carry_h else given, errcheck=False)
            qx += x - fx
            qy += y - fy
            qz = qz + (given - fz) if carry_h else fz
        lon, lat, h = t.transform(qx, qy, qz, errcheck=False, direction=_INV)
        if z is None:
            return lon, lat, None
        return lon, lat, (h if carry_h else np.array(given, copy=True))

    return step


def _gcj_step(func_name: str) -> Step:
    from suigeo.crs import gcj02  # written on branch crs-gcjfit; imported when first needed

    func = getattr(gcj02, func_name)

    def step(x, y, z, inplace):
        lon, lat = func(x, y)
        if z is not None and not inplace:
            z = z.copy()
        return np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64), z

    return step


def _to_hub(s: System, params: Params, carry_h: bool) -> list[Step]:
    if s.epsg in _HUB_EQUIVALENT:
        return []
    if s.plane is not None:
        return _to_hub(resolve(s.plane), params, carry_h)
    if s.name == "GZ2000":
        return [_gz_step(_require(params), forward=False, carry_h=carry_h)]
    if s.name == "GCJ02":
        return [_gcj_step("gcj02_to_wgs84")]
    if s.name == "BD09":
        return [_gcj_step("bd09_to_wgs84")]
    if s.epsg is not None:
        return [_epsg_step(s.epsg, _HUB)]
    raise UnknownSystemError(f"no conversion from {s.name}")  # pragma: no cover


def _from_hub(d: System, params: Params, carry_h: bool) -> list[Step]:
    if d.epsg in _HUB_EQUIVALENT:
        return []
    if d.plane is not None:
        return _from_hub(resolve(d.plane), params, carry_h)
    if d.name == "GZ2000":
        return [_gz_step(_require(params), forward=True, carry_h=carry_h)]
    if d.name == "GCJ02":
        return [_gcj_step("wgs84_to_gcj02")]
    if d.name == "BD09":
        return [_gcj_step("wgs84_to_bd09")]
    if d.epsg is not None:
        return [_epsg_step(_HUB, d.epsg)]
    raise UnknownSystemError(f"no conversion to {d.name}")  # pragma: no cover


def _require(params: Params) -> Gz2000Params:
    loaded = load_params(params)
    assert loaded is not None
    return loaded


def _plane_name(s: System) -> str:
    return s.plane or s.name


def _plan(s: System, d: System, params: Params, carry_h: bool) -> list[Step]:
    """The steps converting the plane coordinates of ``s`` to those of ``d``.

    ``carry_h``: the heights are ellipsoidal and PROJ converts them (bare systems, 3-D);
    otherwise heights are kept as given (2-D, or named height systems).
    """
    sp, dp = _plane_name(s), _plane_name(d)
    if sp == dp or (s.epsg in _HUB_EQUIVALENT and d.epsg in _HUB_EQUIVALENT):
        return []
    if {sp, dp} == {"GCJ02", "BD09"}:
        return [_gcj_step("gcj02_to_bd09" if sp == "GCJ02" else "bd09_to_gcj02")]
    if s.epsg is not None and d.epsg is not None:
        return [_epsg_step(s.epsg, d.epsg)]
    return _to_hub(s, params, carry_h) + _from_hub(d, params, carry_h)


def _height_offset(params: Params) -> float:
    """HGZ - H1985: the parameter file's [height] offset, else the published 4.256 m."""
    loaded = load_params(params, required=False)
    return DEFAULT_HEIGHT_OFFSET_M if loaded is None else loaded.height_offset_m


def _check_pair(s: System, d: System, with_h: bool, anomaly: bool = False) -> None:
    if not with_h and "geocentric" in (s.kind, d.kind):
        geo = s if s.kind == "geocentric" else d
        raise InputError(
            f"{geo.name} is geocentric (X, Y, Z): give the heights too (h; Z for the "
            "geocentric side), or Z is lost and the way back lands elsewhere"
        )
    if (s.kind == "height") != (d.kind == "height"):
        raise UnknownSystemError(
            f"cannot convert between {s.name} and {d.name}: a height system alone converts "
            "only to another height system; name the plane too, e.g. CGCS2000+H1985"
        )
    if with_h and (s.height is None) != (d.height is None) and not anomaly:
        named, bare = (s, d) if s.height is not None else (d, s)
        raise UnknownSystemError(
            f"cannot convert heights between {named.name} and {bare.name}: "
            f"{named.height} heights are normal heights and {bare.name} carries ellipsoidal "
            "heights, and no quasi-geoid model is given: pass a grid of height anomalies "
            "(--geoid FILE; Python geoid=FILE), or a parameter file whose [height] names a "
            "geoid or holds a fitted anomaly surface (crs fit --model height-plane); or name "
            f"a height system on both sides (e.g. {bare.name}+H1985) or on neither"
        )


def _as_float_array(a: ArrayLike, name: str) -> np.ndarray:
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers") from None
    if not arr.flags.c_contiguous:
        arr = np.ascontiguousarray(arr)
    return arr


def transform(
    x: ArrayLike,
    y: ArrayLike,
    h: ArrayLike | None = None,
    *,
    src: str | int | System,
    dst: str | int | System,
    params: Params = None,
    geoid: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, ...]:
    """Convert coordinates from ``src`` to ``dst``.

    Parameters
    ----------
    x, y
        Arrays of equal shape: lon, lat in degrees for geographic (and GCJ02/BD09)
        systems; easting, northing in metres for projected ones; X, Y for geocentric.
    h
        Optional heights (Z for geocentric). With bare systems on both sides they are
        ellipsoidal heights, passed through PROJ. With a height system named on both sides
        (``CGCS2000+H1985`` -> ``GZ2000+HGZ``) they are converted by the height model
        (HGZ = H1985 + offset) and the plane is converted with the H1985 height standing in
        for the ellipsoidal height (it matters only for a [helmert7] step, by well under
        0.1 mm per metre of height anomaly per arc-second of rotation).
    src, dst
        System names, EPSG codes, compound ``PLANE+HEIGHT`` names or :class:`System`.
    params
        Guangzhou 2000 parameters (a path, a mapping, or :func:`crs.load_params`'s result);
        default the file named by ``SUIGEO_GZ2000_PARAMS``. Needed when either side is GZ2000.
        Also gives the HGZ height offset (default 4.256 m without a file), or its
        ``correction_grid``, and may name a quasi-geoid grid or hold a fitted
        height-anomaly surface (``[height]``).
    geoid
        A quasi-geoid grid of height anomalies ζ = h - H1985 (metres, on CGCS2000 lon/lat;
        GeoTIFF or GTX: any grid PROJ's ``vgridshift`` reads). With it (or a ``[height]``
        geoid or fitted surface in ``params``), ellipsoidal heights of a bare system convert
        to and from normal heights of a named one: ``CGCS2000`` (h) -> ``CGCS2000+H1985``
        (H = h - ζ). Points outside the grid come back as ``inf`` (no guess).

    Returns
    -------
    tuple of numpy.ndarray
        ``(x, y)`` or, when ``h`` is given, ``(x, y, h)``; new arrays, inputs untouched.
        Points PROJ cannot convert are ``inf``.

    Raises
    ------
    UnknownSystemError, MissingParametersError, ParameterFileError, InputError

    Examples
    --------
    >>> e, n = transform([113.3], [23.1], src="CGCS2000", dst="CGCS2000-3GK-CM114")
    >>> round(float(e[0]), 3), round(float(n[0]), 3)
    (428285.956, 2555783.929)

    Every conversion has its inverse:

    >>> lon, lat = transform(e, n, src="CGCS2000-3GK-CM114", dst="CGCS2000")
    >>> round(float(lon[0]), 9), round(float(lat[0]), 9)
    (113.3, 23.1)

    Heights convert when a height system is named on both sides; without a parameter file
    the Guangzhou height is the 1985 height + 4.256 m:

    >>> e, n, h = transform([113.3], [23.1], [21.5], src="CGCS2000+H1985",
    ...                     dst="CGCS2000-3GK-CM114+HGZ")
    >>> round(float(h[0]), 3)
    25.756

    GCJ-02 (the offset of Chinese web maps) is a system like the others:

    >>> lon, lat = transform(113.3, 23.1, src="CGCS2000", dst="GCJ02")
    >>> round(float(lon), 6), round(float(lat), 6)
    (113.305373, 23.097352)
    """
    s, d = resolve(src), resolve(dst)
    mixed = h is not None and (s.height is None) != (d.height is None)
    anomaly = None
    if mixed and s.kind != "height" and d.kind != "height":
        from suigeo.crs.heights import anomaly_source

        anomaly = anomaly_source(geoid, load_params(params, required=False))
    _check_pair(s, d, h is not None, anomaly is not None)
    xa, ya = _as_float_array(x, "x"), _as_float_array(y, "y")
    if xa.shape != ya.shape:
        raise InputError(f"x and y differ in shape: {xa.shape} and {ya.shape}")
    ha = None
    if h is not None:
        ha = _as_float_array(h, "h")
        if ha.shape != xa.shape:
            raise InputError(f"h differs in shape from x and y: {ha.shape} and {xa.shape}")
    if anomaly is not None:
        assert ha is not None
        return _mixed_heights(s, d, xa, ya, ha, params, anomaly)
    if s.kind == "height":
        steps: list[Step] = []
    else:
        steps = _plan(s, d, params, carry_h=ha is not None and s.height is None)
    if ha is None or s.height is None:
        xo, yo, zo = _run(steps, xa, ya, ha)
        return (xo, yo) if zo is None else (xo, yo, zo)
    # Named heights on both sides: the plane sees the H1985 height, the height model
    # (not PROJ) gives the output height.
    if "HGZ" in (s.height, d.height) and _hgz_grid(params):
        return _hgz_by_grid(s, d, xa, ya, ha, params, steps)
    offset = _height_offset(params) if "HGZ" in (s.height, d.height) else 0.0
    h1985 = ha if s.height == "H1985" else ha - offset
    xo, yo, _ = _run(steps, xa, ya, h1985)
    if d.height == "HGZ":
        return xo, yo, h1985 + offset
    return xo, yo, (h1985.copy() if h1985 is ha else h1985)


def _hgz_grid(params: Params) -> bool:
    loaded = load_params(params, required=False)
    return loaded is not None and loaded.correction_grid is not None


def _hub_lonlat(s: System, x: np.ndarray, y: np.ndarray, params: Params) -> Arrays:
    """CGCS2000 lon/lat of plane points of ``s`` (heights not involved)."""
    if s.kind == "height":  # x, y are CGCS2000 lon/lat by convention of the caller
        return x, y, None
    return _run(_to_hub(s, params, carry_h=False), x, y, None)


def _hgz_by_grid(
    s: System, d: System, x: np.ndarray, y: np.ndarray, h: np.ndarray, params: Params,
    steps: list[Step],
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Named heights on both sides with HGZ = H1985 + correction_grid(lon, lat)."""
    from suigeo.crs.heights import hgz_correction

    if s.kind == "height":
        raise UnknownSystemError(
            "the Guangzhou heights of this parameter file come from a correction grid, which "
            "needs the points' position: name the plane too (e.g. CGCS2000+H1985 -> "
            "CGCS2000+HGZ, with lon lat)"
        )
    lon, lat, _ = _hub_lonlat(s, x, y, params)
    c = hgz_correction(_require(params), DEFAULT_HEIGHT_OFFSET_M, lon, lat, x.shape)
    h1985 = h if s.height == "H1985" else h - c
    xo, yo, _ = _run(steps, x, y, h1985)
    out = h1985 + c if d.height == "HGZ" else np.array(h1985, copy=True)
    return xo, yo, out


def _mixed_heights(
    s: System, d: System, x: np.ndarray, y: np.ndarray, h: np.ndarray, params: Params,
    anomaly: Callable[[np.ndarray, np.ndarray], np.ndarray],
) -> tuple[np.ndarray, ...]:  # fmt: skip
    """Ellipsoidal heights (bare side) <-> normal heights (named side) through CGCS2000
    lon/lat, with ζ = h - H1985 from ``anomaly`` (``inf`` where it has none)."""
    from suigeo.crs.heights import hgz_correction

    named = s if s.height is not None else d

    def correction(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        if named.height != "HGZ":
            return np.zeros(lon.shape)
        return hgz_correction(
            load_params(params, required=False), DEFAULT_HEIGHT_OFFSET_M, lon, lat, lon.shape
        )

    if s.height is None:  # ellipsoidal -> normal
        lon, lat, h_ell = _run(_to_hub(s, params, carry_h=True), x, y, h)
        assert h_ell is not None
        with np.errstate(invalid="ignore"):
            normal = h_ell - anomaly(lon, lat) + correction(lon, lat)
        xo, yo, _ = _run(_from_hub(d, params, carry_h=False), lon, lat, normal)
        return xo, yo, normal
    # normal -> ellipsoidal
    lon, lat, _ = _run(_to_hub(s, params, carry_h=False), x, y, h)
    with np.errstate(invalid="ignore"):
        h_ell = h - correction(lon, lat) + anomaly(lon, lat)
    xo, yo, ho = _run(_from_hub(d, params, carry_h=True), lon, lat, h_ell)
    assert ho is not None
    return xo, yo, ho


def _run(steps: list[Step], x: np.ndarray, y: np.ndarray, z: np.ndarray | None) -> Arrays:
    if not steps:
        return x.copy(), y.copy(), None if z is None else z.copy()
    owned = False
    for step in steps:
        x, y, z = step(x, y, z, owned)
        owned = True
    return x, y, z


def area_mask(
    x: ArrayLike,
    y: ArrayLike,
    *,
    src: str | int | System,
    params: Params = None,
) -> np.ndarray:
    """True where (x, y), given in system ``src``, lies inside its area of use (and is finite).

    Use it to reject rows outside a system's area of use before or after converting.

    Projected and GZ2000 coordinates are first converted to CGCS2000 lon/lat by PROJ;
    GCJ02/BD09 lon/lat are compared directly (their offset is < 1 km).
    """
    s = resolve(src)
    west, south, east, north = s.area_of_use
    xa, ya = _as_float_array(x, "x"), _as_float_array(y, "y")
    if s.kind == "height":  # x, y are not this system's: only their finiteness is checked
        return np.isfinite(xa) & np.isfinite(ya)
    if s.kind == "geocentric":
        raise InputError("an area of use is checked on lon/lat or plane coordinates, not X, Y, Z")
    if s.kind == "projected":
        xa, ya = transform(xa, ya, src=s.plane or s.name, dst="CGCS2000", params=params)
    with np.errstate(invalid="ignore"):
        return (
            np.isfinite(xa)
            & np.isfinite(ya)
            & (xa >= west)
            & (xa <= east)
            & (ya >= south)
            & (ya <= north)
        )


def frame_system(gdf: gpd.GeoDataFrame) -> System:
    """The suigeo system of a GeoDataFrame: its ``.crs``, refined or replaced by the
    ``attrs[FRAME_ATTR]`` marker that :func:`to_crs` sets (needed where ``.crs`` is None)."""
    mark = gdf.attrs.get(FRAME_ATTR)
    marked = resolve(mark) if mark else None
    if gdf.crs is None:
        if marked is None:
            raise InputError(
                "the GeoDataFrame has no CRS: set one (gdf.set_crs(...)) or pass src=..."
            )
        return marked
    s = resolve(gdf.crs)
    if marked is not None and marked.epsg == s.epsg:
        return marked
    return s


def to_crs(
    gdf: gpd.GeoDataFrame,
    dst: str | int | CRS | System,
    params: Params = None,
    *,
    src: str | int | CRS | System | None = None,
    geoid: str | os.PathLike[str] | None = None,
) -> gpd.GeoDataFrame:
    """Return a copy of ``gdf`` converted to ``dst``, any geometry type, vectorised.

    The source system is ``src`` if given, else the frame's (see :func:`frame_system`).
    The result's ``.crs`` is the pyproj CRS of ``dst`` where PROJ knows it; for GZ2000,
    GCJ02, BD09 and ``...+HGZ`` it is ``None``. In every case
    ``result.attrs["suigeo_crs"]`` holds the suigeo name of ``dst``, so the frame can be
    converted back with ``to_crs(result, "CGCS2000")``. Z coordinates are heights as in
    :func:`transform` (``geoid`` as there: ellipsoidal <-> normal heights); 2-D geometries
    stay 2-D.
    """
    import geopandas as gpd
    import shapely

    s = resolve(src) if src is not None else frame_system(gdf)
    d = resolve(dst)

    def func(x, y, z=None):
        return transform(x, y, z, src=s, dst=d, params=params, geoid=geoid)

    geoms = shapely.transform(
        np.asarray(gdf.geometry.array), func, include_z=None, interleaved=False
    )
    out = gdf.copy()
    name = gdf.geometry.name
    out[name] = gpd.array.from_shapely(geoms, crs=d.pyproj_crs)
    # Assigning a geometry array keeps the frame's old CRS when the new one is None;
    # set it on the array explicitly so a GZ2000/GCJ02 frame cannot claim a PROJ CRS.
    out.geometry.array.crs = d.pyproj_crs
    out.attrs[FRAME_ATTR] = d.name
    return out
