"""crs.batch.convert_frame: the per-chunk pure function (what dask's map_partitions would call).

References: pyproj's own Transformer on the same points; the reject reason each cell was
built to have; and convert_file on the same rows written as a CSV (same contract).
"""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest
from pyproj import Transformer

from suigeo.crs.batch import REASONS, convert_file, convert_frame
from suigeo.errors import InputError

GK = "CGCS2000-3GK-CM114"

# (lon cell, lat cell, expected reason or None)
CELLS = [
    ("113.3", "23.1", None),
    ("", "23.1", "empty"),
    ("113.3°", "23.1", "non_numeric"),
    ("nan", "23.1", "not_finite"),
    ("23.1", "113.3", "swapped"),
    ("10.0", "23.1", "outside_area"),
    (" 113.45 ", "22.95", None),
    ("113.2", None, "empty"),
]


def _frame(n_copies: int = 3) -> pd.DataFrame:
    rows = CELLS * n_copies
    return pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(len(rows))],
            "lon": [r[0] for r in rows],
            "lat": [r[1] for r in rows],
            "note": ["kept, as is"] * len(rows),
        },
        index=pd.RangeIndex(100, 100 + len(rows)),
    )


def test_convert_frame_on_pandas_chunks_matches_pyproj_and_loses_nothing():
    df = _frame()
    before = df.copy()
    t = Transformer.from_crs(4490, 4547, always_xy=True)
    parts = [
        convert_frame(chunk, src="CGCS2000", dst=GK)
        for chunk in (df.iloc[i : i + 5] for i in range(0, len(df), 5))
    ]
    out = pd.concat(parts)
    pd.testing.assert_frame_equal(df, before)  # the input is not modified
    assert list(out.columns) == ["id", "lon", "lat", "note", "reject_reason", "reject_column"]
    assert out.index.equals(df.index)  # every row comes back, in order
    expected = [r[2] for r in CELLS] * 3
    assert [None if pd.isna(v) else v for v in out["reject_reason"]] == expected
    assert set(out["reject_reason"].dropna()) <= set(REASONS)
    good = out["reject_reason"].isna().to_numpy()
    lon = pd.to_numeric(df["lon"].str.strip()[good])
    lat = pd.to_numeric(df["lat"][good])
    e, n = t.transform(lon.to_numpy(), lat.to_numpy())
    np.testing.assert_allclose(out["lon"][good], e, rtol=0, atol=1e-6)
    np.testing.assert_allclose(out["lat"][good], n, rtol=0, atol=1e-6)
    assert out.loc[~good, ["lon", "lat"]].isna().all().all()
    assert (out["note"] == "kept, as is").all()
    assert out.loc[out["reject_reason"] == "empty", "reject_column"].tolist() == (
        ["lon", "lat"] * 3
    )


def test_convert_frame_agrees_with_convert_file(tmp_path):
    df = _frame(2)
    path = tmp_path / "in.csv"
    df.to_csv(path, index=False)
    s = convert_file(path, tmp_path / "out.csv", src="CGCS2000", dst=GK)
    out = convert_frame(df, src="CGCS2000", dst=GK)
    assert s.read == len(out)
    assert s.rejected == int(out["reject_reason"].notna().sum())
    with (tmp_path / "out.rejects.csv").open(encoding="utf-8") as f:
        rejects = list(csv.DictReader(f))
    assert [r["reason"] for r in rejects] == out["reject_reason"].dropna().tolist()
    assert [int(r["row"]) for r in rejects] == [
        i + 1 for i, v in enumerate(out["reject_reason"]) if pd.notna(v)
    ]


def test_convert_frame_numbers_heights_and_empty_partitions():
    # numeric columns (as a dask partition of floats would be), with a height column
    df = pd.DataFrame({"E": [428285.9562, 438000.0], "N": [2555783.9288, 2560000.0], "h": 5.0})
    out = convert_frame(df, src=GK + "+H1985", dst="CGCS2000+H1985", h="h")
    lon, lat = Transformer.from_crs(4547, 4490, always_xy=True).transform(df.E, df.N)
    np.testing.assert_allclose(out["E"], lon, rtol=0, atol=1e-11)
    np.testing.assert_allclose(out["N"], lat, rtol=0, atol=1e-11)
    np.testing.assert_array_equal(out["h"], [5.0, 5.0])
    empty = convert_frame(df.iloc[:0], src=GK, dst="CGCS2000")  # dask's meta call
    assert list(empty.columns) == ["E", "N", "h", "reject_reason", "reject_column"]
    assert len(empty) == 0
    with pytest.raises(InputError, match="no column 'X'"):
        convert_frame(df, src=GK, dst="CGCS2000", x="X", y="N")


@pytest.mark.parametrize("suffix", [".gpkg", ".geojson", ".parquet"])
@pytest.mark.parametrize("dst", ["GZ2000", "GCJ02"])
def test_spatial_output_without_a_proj_crs(tmp_path, suffix, dst):
    # GZ2000 and GCJ02 have no PROJ CRS: the file says "unknown" (no CRS; GeoParquet's
    # crs null, since a missing crs key means OGC:CRS84 by the GeoParquet spec), and no
    # writer warning escapes (pytest turns warnings into errors here). GeoJSON without a
    # CRS means WGS 84 lon/lat (RFC 7946): fine for GCJ02 lon/lat, refused for GZ2000 metres.
    import geopandas as gpd
    import shapely
    from crs_refs import EXAMPLE, similarity, tmerc

    from suigeo.crs import gcj02
    from suigeo.errors import OutputError

    lon, lat = np.array([113.3, 113.6]), np.array([23.1, 23.0])
    inp = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2], "lon": lon, "lat": lat}).to_csv(inp, index=False)
    out = tmp_path / f"out{suffix}"
    if dst == "GZ2000" and suffix == ".geojson":
        with pytest.raises(OutputError, match="GeoJSON"):
            convert_file(inp, out, src="CGCS2000", dst=dst, params=EXAMPLE)
        assert not out.exists()
        return
    s = convert_file(inp, out, src="CGCS2000", dst=dst, params=EXAMPLE)
    assert (s.written, s.rejected) == (2, 0)
    got = gpd.read_parquet(out) if suffix == ".parquet" else gpd.read_file(out)
    if dst == "GZ2000":
        e, n = tmerc(113.5, 100000.0, -2500000.0).transform(lon, lat)
        e, n = similarity(e, n, 100.0, -200.0, 10.0, 5.0)  # the example file's values
        atol = 1e-6
    else:
        e, n = gcj02.wgs84_to_gcj02(lon, lat)
        atol = 1e-12
    if suffix != ".geojson":
        assert got.crs is None
    np.testing.assert_allclose(shapely.get_x(got.geometry.values), e, rtol=0, atol=atol)
    np.testing.assert_allclose(shapely.get_y(got.geometry.values), n, rtol=0, atol=atol)


def test_gk_plane_with_guangzhou_heights_keeps_its_plane_crs(tmp_path):
    import geopandas as gpd

    inp = tmp_path / "in.csv"
    pd.DataFrame({"lon": [113.3], "lat": [23.1], "h": [21.5]}).to_csv(inp, index=False)
    out = tmp_path / "out.gpkg"
    convert_file(inp, out, src="CGCS2000+H1985", dst=GK + "+HGZ", h="h")
    got = gpd.read_file(out)
    assert got.crs.to_epsg() == 4547  # the plane is known to PROJ even if HGZ is not
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(113.3, 23.1)
    np.testing.assert_allclose(
        [got.geometry.x[0], got.geometry.y[0], got.geometry.z[0]], [e, n, 21.5 + 4.256], atol=1e-6
    )


def test_column_options_on_a_spatial_file_are_refused_not_ignored(tmp_path):
    # --x/--y/--h name table columns; a GeoPackage's coordinates are its geometry
    import geopandas as gpd
    import shapely

    inp = tmp_path / "in.gpkg"
    gpd.GeoDataFrame(
        {"E": [1.0], "N": [2.0]}, geometry=shapely.points([113.3], [23.1]), crs=4490
    ).to_file(inp)
    with pytest.raises(InputError, match="geometry"):
        convert_file(inp, tmp_path / "o.gpkg", src="CGCS2000", dst=GK, x="E", y="N")
    assert not (tmp_path / "o.gpkg").exists()
