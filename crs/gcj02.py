"""GCJ-02 (AMap/Gaode, Tencent) and BD-09 (Baidu) offset coordinates, vectorised.

GCJ-02 is not a datum: it is WGS 84 longitude/latitude plus a deliberate, smooth,
position-dependent offset of a few hundred metres, defined by an algorithm that leaked
and is published in many reference implementations (eviltransform, prcoords,
coordTransform, coord-convert; see ``docs`` in the README). BD-09 adds Baidu's own
polar-coordinate offset on top of GCJ-02. PROJ does not know either, so this module
computes them with numpy; nothing here is a projection.

Every function takes numpy arrays (or scalars, or anything :func:`numpy.asarray`
accepts; the two inputs broadcast) of longitude and latitude in degrees and returns a
``(lon, lat)`` tuple of float64 arrays of the broadcast shape (Python floats for scalar
input). The work is vectorised in cache-sized blocks; there is no Python loop over points.

The inside-China rule
---------------------
The offset is applied only to points inside the rectangle

    72.004 <= lon <= 137.8347  and  0.8293 <= lat <= 55.8271   (bounds inclusive)

which is the rule used by eviltransform, prcoords and coord-convert. It is a common,
*coarse* rule: it is a bounding rectangle, not a border. Its consequences:

* Points in the rectangle but outside mainland China are offset too: Taiwan, Hong Kong,
  Macau, most of Korea and Japan west of 137.83 E, Mongolia's south, the northern
  Philippines, Vietnam, Laos, Myanmar, northern India, Nepal and Bhutan. That matches
  what AMap/Tencent do for Hong Kong and Macau but not necessarily for Taiwan or foreign
  countries; treat results there with care.
* Chinese territory outside it (the far west of Xinjiang west of 72.004 E, the northern
  tip of Heilongjiang north of 55.8271 N, parts of the South China Sea) is passed through
  unchanged.
* coordTransform uses a narrower rectangle (73.66..135.05, 3.86..53.55, bounds
  exclusive); between the two rectangles the libraries disagree by the whole offset.
  Guangzhou and Guangdong are far inside both.

Points outside the rectangle, and NaN or infinite values, pass through unchanged (NaN
stays NaN). For the GCJ-02 to WGS 84 inverse the rule is applied to the GCJ-02 input.

Inverses
--------
:func:`gcj02_to_wgs84` solves ``wgs84_to_gcj02(w) == g`` for ``w`` by fixed-point
iteration ``w <- g - offset(w)`` (the offset's derivative is below 0.01, so every
iteration gains more than two digits) until the step is below ``tol_deg`` (default
1e-9 degree); the residual ``wgs84_to_gcj02(result) - g`` is then of order 1e-14 degree
(measured worst case 1e-13 over 200 000 random points), and at most about 1e-11 degree
within a few metres of lon = 105 E, where the algorithm's sqrt|lon - 105| term has a cusp
and slows the convergence.
The one-step "inverse" most libraries ship is off by up to about 1e-5 degree (1 m).
:func:`bd09_to_gcj02` likewise iterates Baidu's published approximate inverse (off by up
to 2e-6 degree) to an exact one, unless ``exact=False``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "CHINA_LAT",
    "CHINA_LON",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "outside_china",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
]

#: The inside-China rectangle (inclusive bounds), the rule of eviltransform/prcoords.
CHINA_LON = (72.004, 137.8347)
CHINA_LAT = (0.8293, 55.8271)

# Krasovsky 1940 semi-major axis and first eccentricity squared, as in the algorithm.
_A = 6378245.0
_EE = 0.00669342162296594323
# Baidu's constants.
_X_PI = np.pi * 3000.0 / 180.0
_BD_DLON = 0.0065
_BD_DLAT = 0.006

_DEG_PER_M_LAT = 180.0 / (_A * (1.0 - _EE) * np.pi)
_DEG_PER_M_LON = 180.0 / (_A * np.pi)

_BLOCK = 16384  # points per block: keeps every temporary array in the L2 cache

Floats = NDArray[np.float64]


def _taylor(n_terms: int, odd: bool) -> tuple[float, ...]:
    """Taylor coefficients of sin (odd) or cos in z = t**2, highest power first."""
    coefs = []
    fact = 1.0
    for k in range(2 * n_terms + 1):
        if k > 0:
            fact *= k
        if k % 2 == (1 if odd else 0):
            coefs.append((-1.0) ** (k // 2) / fact)
    return tuple(reversed(coefs))


# sin/cos on |t| <= 2.2 rad, by Taylor series to t**27 / t**28: truncation error below
# 2.2**29 / 29! < 1e-20. The arguments used are pi*(lon-105)/60, pi*(lat-35)/60 and the
# latitude in radians, all within 2.2 for longitudes 21..189 and latitudes -90..90.
_SIN = _taylor(14, odd=True)
_COS = _taylor(14, odd=False)
_T_MAX = 2.2


def _horner(z: Floats, coefs: tuple[float, ...]) -> Floats:
    acc = np.full_like(z, coefs[0])
    for c in coefs[1:]:
        acc *= z
        acc += c
    return acc


def _sincos(t: Floats) -> tuple[Floats, Floats]:
    z = t * t
    return t * _horner(z, _SIN), _horner(z, _COS)


def _sin(t: Floats) -> Floats:
    return t * _horner(t * t, _SIN)


def _offset_m(x: Floats, y: Floats) -> tuple[Floats, Floats]:
    """The algorithm's offsets in metres (east, north) for x = lon - 105, y = lat - 35.

    All the sines of the published formula are multiples of pi*x/60 and pi*y/60; they are
    built from one sine/cosine pair each by multiple-angle identities:
    sin(5a) = s(16s^4 - 20s^2 + 5), cos(5a) = c(16c^4 - 20c^2 + 5), sin(3a) = s(3 - 4s^2),
    cos(3a) = c(4c^2 - 3), sin(2a) = 2sc, cos(2a) = 1 - 2s^2.
    """
    # --- longitude direction: a = pi*x/60 ---------------------------------------------
    s, c = _sincos(x * (np.pi / 60.0))
    s2 = s * s
    c2 = c * c
    sx30 = 2.0 * s * c  # sin(pi x / 30)
    sx12 = s * ((16.0 * s2 - 20.0) * s2 + 5.0)  # sin(pi x / 12)
    cx12 = c * ((16.0 * c2 - 20.0) * c2 + 5.0)
    sx6 = 2.0 * sx12 * cx12  # sin(pi x / 6)
    cx6 = 1.0 - 2.0 * sx12 * sx12
    sx3 = 2.0 * sx6 * cx6  # sin(pi x / 3)
    cx3 = 1.0 - 2.0 * sx6 * sx6
    sx1 = sx3 * (3.0 - 4.0 * sx3 * sx3)  # sin(pi x)
    cx1 = cx3 * (4.0 * cx3 * cx3 - 3.0)
    sxh = 2.0 * sx1 * cx1  # sin(2 pi x)
    sx6p = sxh * (3.0 - 4.0 * sxh * sxh)  # sin(6 pi x)
    # --- latitude direction: b = pi*y/60 ----------------------------------------------
    s, c = _sincos(y * (np.pi / 60.0))
    s2 = s * s
    c2 = c * c
    sy30 = 2.0 * s * c
    sy12 = s * ((16.0 * s2 - 20.0) * s2 + 5.0)
    cy12 = c * ((16.0 * c2 - 20.0) * c2 + 5.0)
    sy6 = 2.0 * sy12 * cy12
    cy6 = 1.0 - 2.0 * sy12 * sy12
    sy3 = 2.0 * sy6 * cy6
    sy1 = sy3 * (3.0 - 4.0 * sy3 * sy3)
    # --- the published polynomials --------------------------------------------------
    xy = 0.1 * x * y
    sq = np.sqrt(np.abs(x))
    common = (sx6p + sxh) * (40.0 / 3.0)
    dlat = (
        -100.0
        + 2.0 * x
        + 3.0 * y
        + 0.2 * y * y
        + xy
        + 0.2 * sq
        + common
        + (20.0 * sy1 + 40.0 * sy3) * (2.0 / 3.0)
        + (160.0 * sy12 + 320.0 * sy30) * (2.0 / 3.0)
    )
    dlon = (
        300.0
        + x
        + 2.0 * y
        + 0.1 * x * x
        + xy
        + 0.1 * sq
        + common
        + (20.0 * sx1 + 40.0 * sx3) * (2.0 / 3.0)
        + (150.0 * sx12 + 300.0 * sx30) * (2.0 / 3.0)
    )
    return dlon, dlat


def _offset_deg(lon: Floats, lat: Floats) -> tuple[Floats, Floats]:
    """GCJ-02 minus WGS 84 (degrees) at WGS 84 position (lon, lat), without the China rule."""
    dlon_m, dlat_m = _offset_m(lon - 105.0, lat - 35.0)
    sinlat = _sin(lat * (np.pi / 180.0))
    magic = 1.0 - _EE * sinlat * sinlat
    sqrtmagic = np.sqrt(magic)
    coslat = np.sqrt(1.0 - sinlat * sinlat)  # latitude within +-90: cos >= 0
    dlat = dlat_m * (magic * sqrtmagic * _DEG_PER_M_LAT)
    dlon = dlon_m * (sqrtmagic * _DEG_PER_M_LON) / coslat
    return dlon, dlat


def outside_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the point is outside the coarse inside-China rectangle (or NaN).

    The rectangle is 72.004 <= lon <= 137.8347, 0.8293 <= lat <= 55.8271 (inclusive),
    the rule of eviltransform, prcoords and coord-convert; see the module docstring for
    what it includes (Taiwan, Hong Kong, Macau, parts of neighbouring countries) and
    excludes. NaN compares false, so NaN counts as outside and passes through.
    """
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    inside = (lo >= CHINA_LON[0]) & (lo <= CHINA_LON[1]) & (la >= CHINA_LAT[0])
    inside &= la <= CHINA_LAT[1]
    return ~inside


def _prepare(lon: ArrayLike, lat: ArrayLike) -> tuple[Floats, Floats, bool]:
    lo = np.asarray(lon, dtype=np.float64)
    la = np.asarray(lat, dtype=np.float64)
    scalar = lo.ndim == 0 and la.ndim == 0
    lo, la = np.broadcast_arrays(lo, la)
    return lo, la, scalar


def _finish(lo: Floats, la: Floats, scalar: bool) -> tuple[Any, Any]:
    if scalar:
        return float(lo), float(la)
    return lo, la


def _blocks(n: int) -> range:
    return range(0, n, _BLOCK)


def _forward_flat(lon: Floats, lat: Floats, out_lon: Floats, out_lat: Floats) -> None:
    """Forward offset on 1-D arrays of points all inside China, block by block."""
    for i in _blocks(lon.size):
        lo = lon[i : i + _BLOCK]
        la = lat[i : i + _BLOCK]
        dlon, dlat = _offset_deg(lo, la)
        np.add(lo, dlon, out=out_lon[i : i + _BLOCK])
        np.add(la, dlat, out=out_lat[i : i + _BLOCK])


def _inverse_flat(
    glon: Floats, glat: Floats, out_lon: Floats, out_lat: Floats, tol: float, max_iter: int
) -> int:
    """Exact inverse on 1-D arrays of GCJ-02 points inside China; returns iterations used."""
    used = 0
    k = 0
    for i in _blocks(glon.size):
        g_lo = glon[i : i + _BLOCK]
        g_la = glat[i : i + _BLOCK]
        w_lo = g_lo.copy()
        w_la = g_la.copy()
        for k in range(1, max_iter + 1):  # noqa: B007 (k is read after the loop)
            dlon, dlat = _offset_deg(w_lo, w_la)
            n_lo = g_lo - dlon
            n_la = g_la - dlat
            step = max(float(np.max(np.abs(n_lo - w_lo))), float(np.max(np.abs(n_la - w_la))))
            w_lo, w_la = n_lo, n_la
            if step <= tol:
                break
        used = max(used, k)
        out_lon[i : i + _BLOCK] = w_lo
        out_lat[i : i + _BLOCK] = w_la
    return used


def _apply(lon: ArrayLike, lat: ArrayLike, kernel: Any) -> tuple[Any, Any]:
    lo, la, scalar = _prepare(lon, lat)
    out_lo = np.array(lo, dtype=np.float64, copy=True).reshape(-1)
    out_la = np.array(la, dtype=np.float64, copy=True).reshape(-1)
    flat_lo = lo.reshape(-1)
    flat_la = la.reshape(-1)
    inside = ~outside_china(flat_lo, flat_la)
    if inside.all():
        kernel(np.ascontiguousarray(flat_lo), np.ascontiguousarray(flat_la), out_lo, out_la)
    elif inside.any():
        idx = np.flatnonzero(inside)
        sub_lo = np.empty(idx.size)
        sub_la = np.empty(idx.size)
        kernel(flat_lo[idx], flat_la[idx], sub_lo, sub_la)
        out_lo[idx] = sub_lo
        out_la[idx] = sub_la
    return _finish(out_lo.reshape(lo.shape), out_la.reshape(la.shape), scalar)


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """WGS 84 lon/lat (degrees) to GCJ-02 (AMap/Gaode, Tencent).

    Points outside the inside-China rectangle (see :func:`outside_china`) and NaN pass
    through unchanged.

    >>> lon, lat = wgs84_to_gcj02(113.264385, 23.129112)
    >>> round(lon, 6), round(lat, 6)
    (113.269715, 23.126435)
    """
    return _apply(lon, lat, _forward_flat)


def gcj02_to_wgs84(
    lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-9, max_iter: int = 30
) -> tuple[Any, Any]:
    """GCJ-02 lon/lat (degrees) to WGS 84, the exact inverse of :func:`wgs84_to_gcj02`.

    Fixed-point iteration until the largest step in a block is at most ``tol_deg``
    degree (or ``max_iter`` iterations; typically 4). Because each iteration shrinks the
    error by a factor of at least 100, the result's residual
    ``wgs84_to_gcj02(result) - (lon, lat)`` is far below ``tol_deg`` (about 1e-14 degree).

    Points whose GCJ-02 input is outside the inside-China rectangle, and NaN, pass
    through unchanged.
    """
    if not tol_deg > 0:
        raise ValueError("tol_deg must be positive")
    if max_iter < 1:
        raise ValueError("max_iter must be at least 1")

    def kernel(g_lo: Floats, g_la: Floats, o_lo: Floats, o_la: Floats) -> None:
        _inverse_flat(g_lo, g_la, o_lo, o_la, tol_deg, max_iter)

    return _apply(lon, lat, kernel)


def _gcj_to_bd(lo: Floats, la: Floats) -> tuple[Floats, Floats]:
    z = np.hypot(lo, la) + 0.00002 * np.sin(la * _X_PI)
    theta = np.arctan2(la, lo) + 0.000003 * np.cos(lo * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _bd_to_gcj_approx(lo: Floats, la: Floats) -> tuple[Floats, Floats]:
    x = lo - _BD_DLON
    y = la - _BD_DLAT
    z = np.hypot(x, y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """GCJ-02 lon/lat (degrees) to BD-09 (Baidu), Baidu's published formula.

    Applied everywhere (the references apply no China rule to this step); NaN stays NaN.
    """
    lo, la, scalar = _prepare(lon, lat)
    with np.errstate(invalid="ignore"):
        b_lo, b_la = _gcj_to_bd(lo, la)
    return _finish(b_lo, b_la, scalar)


def bd09_to_gcj02(
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    exact: bool = True,
    tol_deg: float = 1e-12,
    max_iter: int = 10,
) -> tuple[Any, Any]:
    """BD-09 lon/lat (degrees) to GCJ-02.

    With ``exact=False``: Baidu's published one-step formula, which is off by up to about
    2e-6 degree (0.2 m). With ``exact=True`` (default): that formula refined by
    fixed-point iteration ``g <- g - (gcj02_to_bd09(g) - b)`` until the step is below
    ``tol_deg``, so that ``gcj02_to_bd09(result)`` reproduces the input to about 1e-14
    degree.
    """
    lo, la, scalar = _prepare(lon, lat)
    with np.errstate(invalid="ignore"):
        g_lo, g_la = _bd_to_gcj_approx(lo, la)
        if exact:
            for _ in range(max_iter):
                b_lo, b_la = _gcj_to_bd(g_lo, g_la)
                d_lo = b_lo - lo
                d_la = b_la - la
                g_lo = g_lo - d_lo
                g_la = g_la - d_la
                step = np.fmax(np.abs(d_lo), np.abs(d_la))
                if not (step > tol_deg).any():  # NaN steps count as converged
                    break
    return _finish(g_lo, g_la, scalar)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[Any, Any]:
    """WGS 84 to BD-09: :func:`wgs84_to_gcj02` then :func:`gcj02_to_bd09`."""
    g_lo, g_la = wgs84_to_gcj02(lon, lat)
    return gcj02_to_bd09(g_lo, g_la)


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike, *, tol_deg: float = 1e-9) -> tuple[Any, Any]:
    """BD-09 to WGS 84: exact :func:`bd09_to_gcj02` then exact :func:`gcj02_to_wgs84`."""
    g_lo, g_la = bd09_to_gcj02(lon, lat)
    return gcj02_to_wgs84(g_lo, g_la, tol_deg=tol_deg)
