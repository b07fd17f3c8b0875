"""GCJ-02 (AMap/Gaode, Tencent) and BD-09 (Baidu) offset coordinates, vectorised.

GCJ-02 is not a datum: it is WGS 84 longitude/latitude plus a deliberate, smooth,
position-dependent offset of a few hundred metres, defined by an algorithm that leaked
and is published in many reference implementations (eviltransform, prcoords,
coordTransform, coord-convert; see the docs, guide/crs.md). BD-09 adds Baidu's own
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
  Macau, Korea, Japan west of 137.83 E, Mongolia, the Philippines, Vietnam, Laos,
  Myanmar, much of India, Nepal and Bhutan. Whether a given map service offsets a given
  place there is not something this rule knows; treat results there with care.
* All of China's territory lies inside it (westernmost point about 73.5 E, northernmost
  about 53.6 N, easternmost about 134.8 E, James Shoal about 4 N), so nothing Chinese is
  passed through; the rule errs only on the side of offsetting foreign points.
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
(measured worst case 1.1e-13 over 1 million random points, 3.7e-13 for points within
1e-4 degree of lon = 105 E), and up to about 1.2e-11 degree for points exactly on
lon = 105 E, where the algorithm's sqrt|lon - 105| term has a cusp that slows the
convergence.
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

_BLOCK = 8192  # points per block: keeps every temporary array in the L2 cache

Floats = NDArray[np.float64]


def _taylor_sin(n_terms: int) -> tuple[float, ...]:
    """Taylor coefficients of sin(t)/t as a polynomial in t**2, highest power first."""
    coefs = []
    fact = 1.0
    for k in range(1, 2 * n_terms):
        fact *= k
        if k % 2 == 1:
            coefs.append((-1.0) ** (k // 2) / fact)
    return tuple(reversed(coefs))


# sin on |t| <= 1.1 rad by its Taylor series to t**17: truncation error below
# 1.1**19 / 19! < 6e-17, i.e. at the rounding level. The arguments are half of
# pi*(lon-105)/60 and of pi*(lat-35)/60, and the latitude in radians; they stay within
# 1.1 for longitudes 63..147 and latitudes 0..63, which covers the China rectangle plus
# far more than the few hundred metres an inverse iteration may step outside it. The
# offset is never evaluated elsewhere.
_SIN = _taylor_sin(9)


def _sin(t: Floats) -> Floats:
    """sin(t) for |t| <= 1.1 (Horner, in place; no libm call)."""
    z = t * t
    acc = np.full_like(z, _SIN[0])
    for c in _SIN[1:]:
        acc *= z
        acc += c
    acc *= t
    return acc


def _sincos(t: Floats) -> tuple[Floats, Floats]:
    """sin(t), cos(t) for |t| <= 2.2 via the half angle: cos(t/2) > 0 there."""
    sh = _sin(t * 0.5)
    sh2 = sh * sh
    ch = np.sqrt(1.0 - sh2)
    sh *= ch
    sh *= 2.0  # sin t = 2 sin(t/2) cos(t/2)
    sh2 *= -2.0
    sh2 += 1.0  # cos t = 1 - 2 sin^2(t/2)
    return sh, sh2


# The published formula is a linear combination of 16 basis terms of x = lon - 105 and
# y = lat - 35 (metres of offset, north and east). The rows of _BASIS_COEF hold the
# coefficients, so one small matrix product evaluates both sums:
#   dlat = -100 + 2x + 3y + 0.2y^2 + 0.1xy + 0.2 sqrt|x|
#          + (20 sin 6pi x + 20 sin 2pi x + 20 sin pi y + 40 sin(pi y/3)) * 2/3
#          + (160 sin(pi y/12) + 320 sin(pi y/30)) * 2/3
#   dlon = 300 + x + 2y + 0.1x^2 + 0.1xy + 0.1 sqrt|x|
#          + (20 sin 6pi x + 20 sin 2pi x + 20 sin pi x + 40 sin(pi x/3)) * 2/3
#          + (150 sin(pi x/12) + 300 sin(pi x/30)) * 2/3
# basis: 1, x, y, y^2, x^2, xy, sqrt|x|, sin 6pi x + sin 2pi x, sin pi y, sin(pi y/3),
#        sin(pi y/12), sin(pi y/30), sin pi x, sin(pi x/3), sin(pi x/12), sin(pi x/30)
_BASIS_COEF = np.array(
    [
        [-100, 2, 3, 0.2, 0, 0.1, 0.2, 40 / 3, 40 / 3, 80 / 3, 320 / 3, 640 / 3, 0, 0, 0, 0],
        [300, 1, 2, 0, 0.1, 0.1, 0.1, 40 / 3, 0, 0, 0, 0, 40 / 3, 80 / 3, 100, 200],
    ],
    dtype=np.float64,
)
_N_BASIS = _BASIS_COEF.shape[1]


def _multiples(s: Floats, c: Floats) -> tuple[Floats, Floats, Floats, Floats, Floats]:
    """From sin a, cos a: sin 2a, sin 5a, sin 20a, cos 20a, sin 60a (a = pi t / 60).

    Identities: sin 5a = s(16s^4 - 20s^2 + 5), cos 5a = c(16c^4 - 20c^2 + 5),
    sin 2a = 2sc, cos 2a = 1 - 2s^2, sin 3a = s(3 - 4s^2), cos 3a = c(4c^2 - 3).
    """
    s2 = s * s
    c2 = c * c
    s_2 = 2.0 * s * c
    s_5 = s * ((16.0 * s2 - 20.0) * s2 + 5.0)
    c_5 = c * ((16.0 * c2 - 20.0) * c2 + 5.0)
    s_10 = 2.0 * s_5 * c_5
    c_10 = 1.0 - 2.0 * s_5 * s_5
    s_20 = 2.0 * s_10 * c_10
    c_20 = 1.0 - 2.0 * s_10 * s_10
    s_60 = s_20 * (3.0 - 4.0 * s_20 * s_20)
    return s_2, s_5, s_20, c_20, s_60


def _fill_basis(x: Floats, y: Floats, m: Floats) -> None:
    """Write the 16 basis terms of (x, y) into the rows of ``m`` (shape (16, len(x))).

    All the sines are multiples of a = pi*x/60 and b = pi*y/60, so each direction needs
    one sine/cosine pair; the rest follows from multiple-angle identities, and
    sin 6a' + sin 2a' = 4 sin 2a' (1 - sin^2 2a') with a' = pi x.
    """
    m[0] = 1.0
    m[1] = x
    m[2] = y
    np.multiply(y, y, out=m[3])
    np.multiply(x, x, out=m[4])
    np.multiply(x, y, out=m[5])
    np.sqrt(np.abs(x, out=m[6]), out=m[6])
    m[15], m[14], m[13], c_20, m[12] = _multiples(*_sincos(x * (np.pi / 60.0)))
    c_60 = c_20 * (4.0 * c_20 * c_20 - 3.0)  # cos(pi x)
    s_120 = 2.0 * m[12] * c_60  # sin(2 pi x)
    np.multiply(s_120, 4.0 * (1.0 - s_120 * s_120), out=m[7])
    m[11], m[10], m[9], _, m[8] = _multiples(*_sincos(y * (np.pi / 60.0)))


def _offset_deg(lon: Floats, lat: Floats, m: Floats | None = None) -> tuple[Floats, Floats]:
    """GCJ-02 minus WGS 84 (degrees) at WGS 84 position (lon, lat), without the China rule.

    ``m`` is an optional work array of shape (16, len(lon)).
    """
    if m is None:
        m = np.empty((_N_BASIS, lon.size))
    _fill_basis(lon - 105.0, lat - 35.0, m)
    d = _BASIS_COEF @ m  # (2, n): metres north, metres east
    sin2 = _sin(lat * (np.pi / 180.0))
    sin2 *= sin2
    magic = 1.0 - _EE * sin2
    sqrtmagic = np.sqrt(magic)
    coslat = np.sqrt(1.0 - sin2)  # latitude within +-90: cos >= 0
    dlat = d[0]
    dlat *= magic
    dlat *= sqrtmagic
    dlat *= _DEG_PER_M_LAT
    dlon = d[1]
    dlon *= sqrtmagic
    dlon /= coslat
    dlon *= _DEG_PER_M_LON
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
    work = np.empty((_N_BASIS, min(_BLOCK, lon.size)))
    for i in _blocks(lon.size):
        lo = lon[i : i + _BLOCK]
        la = lat[i : i + _BLOCK]
        dlon, dlat = _offset_deg(lo, la, work[:, : lo.size])
        np.add(lo, dlon, out=out_lon[i : i + _BLOCK])
        np.add(la, dlat, out=out_lat[i : i + _BLOCK])


def _inverse_flat(
    glon: Floats, glat: Floats, out_lon: Floats, out_lat: Floats, tol: float, max_iter: int
) -> int:
    """Exact inverse on 1-D arrays of GCJ-02 points inside China; returns iterations used."""
    used = 0
    k = 0
    work = np.empty((_N_BASIS, min(_BLOCK, glon.size)))
    for i in _blocks(glon.size):
        g_lo = glon[i : i + _BLOCK]
        g_la = glat[i : i + _BLOCK]
        w_lo = g_lo.copy()
        w_la = g_la.copy()
        for k in range(1, max_iter + 1):  # noqa: B007 (k is read after the loop)
            dlon, dlat = _offset_deg(w_lo, w_la, work[:, : w_lo.size])
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

    Examples
    --------
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
    degree (or ``max_iter`` iterations; typically 5). Because each iteration shrinks the
    error about 150-fold (less right at lon 105 E), the result's residual
    ``wgs84_to_gcj02(result) - (lon, lat)`` is far below ``tol_deg``: measured at most
    1.1e-13 degree over 1 million points, 1.2e-11 degree on lon 105 E itself.

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
