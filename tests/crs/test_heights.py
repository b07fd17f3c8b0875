"""GNSS heights: quasi-geoid grids (``geoid=``, ``--geoid``, ``[height] geoid``), the HGZ
correction grid, and ``suigeo crs grid`` (ISG, Surfer GRD -> GeoTIFF).

References: PROJ's own ``vgridshift`` through a pipeline written here by hand, a bilinear
interpolation computed here with numpy, GDAL's own ISG and Surfer readers (through rasterio),
and the node values written into the text files.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
import rasterio
from crs_refs import CART, base_params
from pyproj import Transformer
from rasterio.transform import Affine

from suigeo import crs
from suigeo.cli import main
from suigeo.crs.batch import convert_file
from suigeo.errors import InputError, ParameterFileError, UnknownSystemError
from suigeo.io.grids import convert_grid

# a 0.05-degree grid over Guangzhou: 31 x 41 nodes, 113.0..115.0 E, 22.5..24.0 N
WEST, NORTH, STEP, ROWS, COLS = 113.0, 24.0, 0.05, 31, 41


def _zeta_nodes(seed: int = 1) -> np.ndarray:
    """Smooth anomalies of -5..-2 m plus centimetre noise, Float32 like the GeoTIFF."""
    rng = np.random.default_rng(seed)
    i, j = np.mgrid[0:ROWS, 0:COLS]
    z = -3.5 + 0.9 * np.sin(j / 7.0) + 0.6 * np.cos(i / 5.0) + rng.normal(0, 0.02, (ROWS, COLS))
    return z.astype(np.float32)


def _write_tif(path: Path, values: np.ndarray, nodata: float | None = None) -> Path:
    """A PixelIsPoint Float32 GeoTIFF with the nodes at (WEST + j STEP, NORTH - i STEP)."""
    profile = dict(
        driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
        dtype="float32", crs="EPSG:4490",
        transform=Affine(STEP, 0, WEST - STEP / 2, 0, -STEP, NORTH + STEP / 2),
    )  # fmt: skip
    if nodata is not None:
        profile["nodata"] = nodata
    with rasterio.open(path, "w", **profile) as ds:
        ds.update_tags(AREA_OR_POINT="Point")
        ds.write(values.astype(np.float32), 1)
    return path


def _bilinear(nodes: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Bilinear interpolation between the four surrounding nodes, by hand."""
    fx = (lon - WEST) / STEP
    fy = (NORTH - lat) / STEP
    j = np.floor(fx).astype(int)
    i = np.floor(fy).astype(int)
    ax, ay = fx - j, fy - i
    v = nodes.astype(np.float64)
    return (
        v[i, j] * (1 - ax) * (1 - ay)
        + v[i, j + 1] * ax * (1 - ay)
        + v[i + 1, j] * (1 - ax) * ay
        + v[i + 1, j + 1] * ax * ay
    )


def _proj_minus(path: Path) -> Transformer:
    """PROJ's vgridshift, written by hand: h -> h - grid (multiplier -1)."""
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=vgridshift +grids={path} +multiplier=-1 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )


@pytest.fixture(scope="module")
def geoid(tmp_path_factory) -> tuple[Path, np.ndarray]:
    folder = tmp_path_factory.mktemp("geoid")
    nodes = _zeta_nodes()
    return _write_tif(folder / "quasigeoid.tif", nodes), nodes


def _points(n: int = 200, seed: int = 7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lon = rng.uniform(113.01, 114.99, n)
    lat = rng.uniform(22.51, 23.99, n)
    h = rng.uniform(-10.0, 400.0, n)
    return lon, lat, h


# ------------------------------------------------------------------------------- geoid
def test_ellipsoidal_to_normal_agrees_with_proj_and_a_hand_bilinear(geoid):
    path, nodes = geoid
    lon, lat, h = _points()
    x, y, normal = crs.transform(lon, lat, h, src="CGCS2000", dst="CGCS2000+H1985", geoid=path)
    np.testing.assert_array_equal(x, lon)
    np.testing.assert_array_equal(y, lat)
    _, _, ref = _proj_minus(path).transform(lon, lat, h)
    np.testing.assert_allclose(normal, ref, rtol=0, atol=1e-3)
    np.testing.assert_allclose(normal, h - _bilinear(nodes, lon, lat), rtol=0, atol=1e-3)
    # and back: normal -> ellipsoidal gives h again
    _, _, back = crs.transform(lon, lat, normal, src="CGCS2000+H1985", dst="CGCS2000", geoid=path)
    np.testing.assert_allclose(back, h, rtol=0, atol=1e-6)


def test_geoid_on_projected_and_geocentric_systems(geoid):
    path, nodes = geoid
    lon, lat, h = _points(50)
    zeta = _bilinear(nodes, lon, lat)
    gk = Transformer.from_crs(4490, 4547, always_xy=True)
    e, n = gk.transform(lon, lat)
    # GK plane with ellipsoidal heights -> GK plane with 1985 heights
    e2, n2, normal = crs.transform(
        e, n, h, src="CGCS2000-3GK-CM114", dst="CGCS2000-3GK-CM114+H1985", geoid=path
    )
    np.testing.assert_allclose(normal, h - zeta, rtol=0, atol=1e-3)
    np.testing.assert_allclose([e2, n2], [e, n], rtol=0, atol=1e-4)
    # 1985 heights -> geocentric X, Y, Z of the ellipsoidal point
    x, y, z = crs.transform(
        lon, lat, h - zeta, src="CGCS2000+H1985", dst="CGCS2000-XYZ", geoid=path
    )
    rx, ry, rz = CART.transform(lon, lat, h)
    np.testing.assert_allclose([x, y, z], [rx, ry, rz], rtol=0, atol=1e-3)


def test_guangzhou_heights_through_the_geoid(geoid):
    path, nodes = geoid
    lon, lat, h = _points(20)
    p = base_params(height={"model": "offset", "offset_m": 4.5})
    _, _, hgz = crs.transform(lon, lat, h, src="CGCS2000", dst="GZ2000+HGZ", params=p, geoid=path)
    np.testing.assert_allclose(hgz, h - _bilinear(nodes, lon, lat) + 4.5, rtol=0, atol=1e-3)


def test_outside_the_grid_and_next_to_a_hole_there_is_no_anomaly(tmp_path):
    nodes = _zeta_nodes()
    nodes[10, 10] = -32768.0
    path = _write_tif(tmp_path / "holes.tif", nodes, nodata=-32768.0)
    lon = np.array([112.9, 113.5, WEST + 10 * STEP + 0.01, WEST + 12 * STEP, 115.2])
    lat = np.array([23.0, 24.2, NORTH - 10 * STEP - 0.01, NORTH - 12 * STEP, 23.0])
    _, _, normal = crs.transform(
        lon, lat, np.zeros(5), src="CGCS2000", dst="CGCS2000+H1985", geoid=path
    )
    assert list(np.isfinite(normal)) == [False, False, False, True, False]
    # PROJ itself interpolates past the hole from the other three nodes: suigeo refuses that
    _, _, proj = _proj_minus(path).transform(lon[2:3], lat[2:3], np.zeros(1), errcheck=False)
    assert np.isfinite(proj[0])


def test_without_a_model_mixing_heights_is_refused_and_says_how():
    with pytest.raises(UnknownSystemError, match="--geoid FILE"):
        crs.transform([113.3], [23.1], [10.0], src="CGCS2000", dst="CGCS2000+H1985")


def test_a_grid_proj_cannot_read_is_a_clear_error(tmp_path):
    bad = tmp_path / "not-a-grid.tif"
    bad.write_text("hello")
    with pytest.raises(InputError, match="PROJ cannot read it as a grid"):
        crs.transform([113.3], [23.1], [1.0], src="CGCS2000", dst="CGCS2000+H1985", geoid=bad)
    with pytest.raises(InputError, match="no such file"):
        crs.transform(
            [113.3], [23.1], [1.0], src="CGCS2000", dst="CGCS2000+H1985",
            geoid=tmp_path / "missing.tif",
        )  # fmt: skip


def test_parameter_file_names_the_geoid_relative_to_itself(tmp_path, geoid):
    path, nodes = geoid
    folder = tmp_path / "params"
    folder.mkdir()
    (folder / "qg.tif").write_bytes(path.read_bytes())
    toml = folder / "gz.toml"
    toml.write_text(
        '[suigeo]\nformat = "suigeo-gz2000/1"\n[projection]\ncentral_meridian_deg = 113.5\n'
        'scale = 1.0\n[height]\ngeoid = "qg.tif"\n',
        encoding="utf-8",
    )
    lon, lat, h = _points(20)
    _, _, normal = crs.transform(lon, lat, h, src="CGCS2000", dst="CGCS2000+H1985", params=toml)
    np.testing.assert_allclose(normal, h - _bilinear(nodes, lon, lat), rtol=0, atol=1e-3)
    (folder / "qg.tif").unlink()
    toml.write_text(toml.read_text(encoding="utf-8") + "# grid moved\n", encoding="utf-8")
    with pytest.raises(ParameterFileError, match=r"height\.geoid") as info:
        crs.load_params(toml)
    assert "qg.tif" not in str(info.value)  # a value of the file is never shown


def test_correction_grid_gives_guangzhou_heights(tmp_path):
    corr = np.full((ROWS, COLS), 4.2, dtype=np.float32) + np.linspace(
        0, 0.1, COLS, dtype=np.float32
    )
    path = _write_tif(tmp_path / "hgz.tif", corr)
    p = base_params(height={"model": "grid", "correction_grid": str(path)})
    lon, lat, h = _points(30)
    _, _, hgz = crs.transform(lon, lat, h, src="CGCS2000+H1985", dst="CGCS2000+HGZ", params=p)
    _, _, ref = _proj_minus(path).transform(lon, lat, h)  # h - c
    np.testing.assert_allclose(hgz, 2 * h - ref, rtol=0, atol=1e-3)
    np.testing.assert_allclose(hgz, h + _bilinear(corr, lon, lat), rtol=0, atol=1e-3)
    _, _, back = crs.transform(lon, lat, hgz, src="CGCS2000+HGZ", dst="CGCS2000+H1985", params=p)
    np.testing.assert_allclose(back, h, rtol=0, atol=1e-9)
    with pytest.raises(ParameterFileError, match=r"height\.offset_m"):
        crs.load_params(base_params(height={"model": "grid", "correction_grid": str(path),
                                            "offset_m": 4.0}))  # fmt: skip
    with pytest.raises(ParameterFileError, match=r"height\.correction_grid"):
        crs.load_params(base_params(height={"model": "offset", "correction_grid": str(path)}))


# ------------------------------------------------------------------------------- CLI
def _cli(argv, capsys):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_crs_point_geoid_and_outside(geoid, capsys):
    path, nodes = geoid
    code, out, _ = _cli(
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000+H1985", "--geoid", path,
         "113.3", "23.1", "10"], capsys,
    )  # fmt: skip
    assert code == 0
    h = float(out.split()[2])
    ref = 10 - _bilinear(nodes, np.array([113.3]), np.array([23.1]))[0]
    assert abs(h - ref) < 1e-4
    code, _, err = _cli(
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000+H1985", "--geoid", path,
         "112.9", "23.1", "10"], capsys,
    )  # fmt: skip
    assert code == 2 and "outside_geoid" in err


def test_crs_convert_rejects_rows_outside_the_geoid(geoid, tmp_path, capsys):
    path, nodes = geoid
    inp = tmp_path / "gnss.csv"
    inp.write_text("点号,lon,lat,h\nA1,113.3,23.1,25.0\nA2,112.8,23.1,25.0\nA3,114.2,23.7,3.5\n",
                   encoding="utf-8")  # fmt: skip
    out = tmp_path / "h1985.csv"
    code, stdout, _ = _cli(
        ["crs", "convert", inp, "-o", out, "--from", "CGCS2000", "--to", "CGCS2000+H1985",
         "--h", "h", "--geoid", path], capsys,
    )  # fmt: skip
    assert code == 0 and "outside_geoid 1" in stdout
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["点号"] for r in rows] == ["A1", "A3"]
    got = np.array([float(r["h"]) for r in rows])
    ref = np.array([25.0, 3.5]) - _bilinear(nodes, np.array([113.3, 114.2]), np.array([23.1, 23.7]))
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-3)
    with (tmp_path / "h1985.rejects.csv").open(encoding="utf-8") as f:
        rej = list(csv.DictReader(f))
    assert [(r["row"], r["column"], r["reason"]) for r in rej] == [("2", "h", "outside_geoid")]


def test_convert_file_api_takes_geoid(geoid, tmp_path):
    path, _ = geoid
    inp = tmp_path / "in.csv"
    inp.write_text("id,lon,lat,h\n1,113.3,23.1,5\n", encoding="utf-8")
    s = convert_file(inp, tmp_path / "o.csv", src="CGCS2000", dst="CGCS2000+H1985", h="h",
                     geoid=path)  # fmt: skip
    assert (s.read, s.written) == (1, 1)


# ------------------------------------------------------------------------------- crs grid
ISG_HEAD = """begin_of_head ================================================
model name     : TEST-QG
data type      : geoid
data units     : meters
data format    : grid
data ordering  : N-to-S, W-to-E
coord type     : geodetic
coord units    : {units}
lat min        = {lat_min}
lat max        = {lat_max}
lon min        = {lon_min}
lon max        = {lon_max}
delta lat      = {d}
delta lon      = {d}
nrows          = {rows}
ncols          = {cols}
nodata         = -9999.0000
ISG format     = 2.0
end_of_head ==================================================
"""


def _isg(path: Path, values: np.ndarray, *, cells: bool = False, dms: bool = False) -> Path:
    rows, cols = values.shape
    lat_min, lat_max = NORTH - (rows - 1) * STEP, NORTH
    lon_min, lon_max = WEST, WEST + (cols - 1) * STEP
    if cells:  # limits are the edges of cells centred on the values
        lat_min, lat_max = lat_min - STEP / 2, lat_max + STEP / 2
        lon_min, lon_max = lon_min - STEP / 2, lon_max + STEP / 2

    def fmt(v: float) -> str:
        if not dms:
            return f"{v:.6f}"
        secs = round(v * 3600, 3)
        d, rest = divmod(secs, 3600)
        m, s = divmod(rest, 60)
        return f"{int(d)}°{int(m):02d}'{s:06.3f}\""

    head = ISG_HEAD.format(
        units="dms" if dms else "deg", lat_min=fmt(lat_min), lat_max=fmt(lat_max),
        lon_min=fmt(lon_min), lon_max=fmt(lon_max), d=fmt(STEP) if not dms else "0°03'00\"",
        rows=rows, cols=cols,
    )  # fmt: skip
    body = "\n".join(" ".join(f"{v:10.4f}" for v in row) for row in values)
    path.write_text(head + body + "\n", encoding="utf-8")
    return path


def _node_values_by_proj(tif: Path, rows: int, cols: int) -> np.ndarray:
    i, j = np.mgrid[0:rows, 0:cols]
    lon, lat = WEST + j.ravel() * STEP, NORTH - i.ravel() * STEP
    t = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=vgridshift +grids={tif} +multiplier=1 "
        "+step +proj=unitconvert +xy_in=rad +xy_out=deg"
    )
    _, _, z = t.transform(lon, lat, np.zeros(lon.size), errcheck=False)
    return np.asarray(z).reshape(rows, cols)


@pytest.mark.parametrize("cells,dms", [(False, False), (True, False), (False, True)])
def test_isg_to_geotiff_puts_every_value_on_its_node(tmp_path, cells, dms):
    values = np.round(_zeta_nodes(3)[:12, :15].astype(np.float64), 4)
    src = _isg(tmp_path / "qg.isg", values, cells=cells, dms=dms)
    out = tmp_path / "qg.tif"
    convert_grid(src, out)
    got = _node_values_by_proj(out, *values.shape)
    np.testing.assert_allclose(got, values.astype(np.float32), rtol=0, atol=1e-9)
    if not cells and not dms:  # GDAL's own ISG reader places the grid the same way
        with rasterio.open(src) as ref, rasterio.open(out) as ours:
            np.testing.assert_allclose(tuple(ours.transform), tuple(ref.transform), atol=1e-9)


def test_surfer_grd_to_geotiff_round_trip(tmp_path):
    values = np.round(_zeta_nodes(4)[:9, :11].astype(np.float64), 4)
    values[3, 4] = 1.70141e38  # Surfer's blank
    rows, cols = values.shape
    south = NORTH - (rows - 1) * STEP
    text = (
        f"DSAA\n{cols} {rows}\n{WEST} {WEST + (cols - 1) * STEP}\n{south} {NORTH}\n-5 -2\n"
        + "\n".join(
            " ".join(f"{v:.4f}" if v < 1e30 else "1.70141e+38" for v in row) for row in values[::-1]
        )
        + "\n"
    )
    src = tmp_path / "qg.grd"
    src.write_text(text, encoding="ascii")
    out = tmp_path / "qg.tif"
    grid = convert_grid(src, out)
    assert np.isnan(grid.values[3, 4])
    got = _node_values_by_proj(out, rows, cols)
    ok = np.ones(values.shape, dtype=bool)
    ok[3, 4] = False
    np.testing.assert_allclose(got[ok], values[ok].astype(np.float32), rtol=0, atol=1e-9)
    assert not np.isfinite(got[3, 4]) or got[3, 4] != values[3, 4]
    with rasterio.open(src) as ref, rasterio.open(out) as ours:  # GDAL's Surfer reader
        np.testing.assert_allclose(tuple(ours.transform), tuple(ref.transform), atol=1e-9)
    # and suigeo refuses to interpolate next to the blank
    _, _, h = crs.transform([WEST + 4 * STEP + 0.01], [NORTH - 3 * STEP - 0.01], [0.0],
                            src="CGCS2000", dst="CGCS2000+H1985", geoid=out)  # fmt: skip
    assert not np.isfinite(h[0])


def test_crs_grid_cli_and_bad_grids(tmp_path, capsys):
    values = np.round(_zeta_nodes(5)[:4, :5].astype(np.float64), 4)
    src = _isg(tmp_path / "g.isg", values)
    code, out, _ = _cli(["crs", "grid", src, "-o", tmp_path / "g.tif"], capsys)
    assert code == 0 and "4 x 5 nodes" in out
    code, _, err = _cli(["crs", "grid", src, "-o", src], capsys)
    assert code == 2
    bad = tmp_path / "short.isg"
    bad.write_text(src.read_text(encoding="utf-8").rsplit("\n", 2)[0] + "\n", encoding="utf-8")
    code, _, err = _cli(["crs", "grid", bad, "-o", tmp_path / "s.tif"], capsys)
    assert code == 2 and "nrows x ncols" in err and not (tmp_path / "s.tif").exists()
    word = tmp_path / "word.isg"
    lines = src.read_text(encoding="utf-8").splitlines()
    lines[21] = lines[21].replace(lines[21].split()[2], "x3.5")  # the 2nd data line (line 22)
    word.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, _, err = _cli(["crs", "grid", word, "-o", tmp_path / "w.tif"], capsys)
    assert code == 2 and "line 22: 'x3.5'" in err


def test_frames_take_the_geoid_too(geoid):
    import geopandas as gpd
    import pandas as pd
    from shapely import Point

    from suigeo.crs.batch import convert_frame

    path, nodes = geoid
    ref = 25.0 - _bilinear(nodes, np.array([113.3]), np.array([23.1]))[0]
    gdf = gpd.GeoDataFrame(geometry=[Point(113.3, 23.1, 25.0)], crs="EPSG:4490")
    out = crs.to_crs(gdf, "CGCS2000+H1985", geoid=path)
    assert abs(out.geometry.iloc[0].z - ref) < 1e-3
    df = pd.DataFrame({"lon": ["113.3", "112.5"], "lat": ["23.1", "23.1"], "h": ["25", "25"]})
    got = convert_frame(df, src="CGCS2000", dst="CGCS2000+H1985", h="h", geoid=path)
    assert abs(got["h"].iloc[0] - ref) < 1e-3
    assert list(got["reject_reason"].fillna("")) == ["", "outside_geoid"]


def test_a_gtx_grid_works_like_the_geotiff(tmp_path, geoid):
    """GTX (NOAA's binary grid), written here by hand: big-endian header of the south-west
    node, steps and counts, then Float32 rows from south to north."""
    _, nodes = geoid
    south = NORTH - (ROWS - 1) * STEP
    path = tmp_path / "qg.gtx"
    head = np.array([south, WEST, STEP, STEP], dtype=">f8").tobytes()
    head += np.array([ROWS, COLS], dtype=">i4").tobytes()
    path.write_bytes(head + nodes[::-1].astype(">f4").tobytes())
    lon, lat, h = _points(40, seed=9)
    _, _, normal = crs.transform(lon, lat, h, src="CGCS2000", dst="CGCS2000+H1985", geoid=path)
    np.testing.assert_allclose(normal, h - _bilinear(nodes, lon, lat), rtol=0, atol=1e-3)


def test_geoid_where_it_would_not_be_used_is_refused(geoid, tmp_path, capsys):
    path, _ = geoid
    code, _, err = _cli(
        ["crs", "point", "--from", "CGCS2000", "--to", "CGCS2000-3GK-CM114", "--geoid", path,
         "113.3", "23.1", "5"], capsys,
    )  # fmt: skip
    assert code == 2 and "would not be used" in err
    inp = tmp_path / "in.csv"
    inp.write_text("lon,lat,h\n113.3,23.1,5\n", encoding="utf-8")
    code, _, err = _cli(
        ["crs", "convert", inp, "-o", tmp_path / "o.csv", "--from", "CGCS2000", "--to",
         "CGCS2000+H1985", "--geoid", path], capsys,
    )  # fmt: skip
    assert code == 2 and "--h COL" in err and not (tmp_path / "o.csv").exists()
