"""The raster engine's background load of the compiled search (geo/access/raster.py,
``_Loader``): the same rings with or without it, no thread left behind, errors raised in the
caller, and nothing loaded when every window is small."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pytest
import rasterio

from suigeo.geo.access import raster, rings

THREAD = "suigeo-gridsearch-load"

#: a DEM of hills (60 × 60 cells of 50 m) with a road through the origin: a 10-min ring
#: grows its window from the walking reach to the road's
CASE = """
import numpy as np, rasterio, shapely, geopandas as gpd
from affine import Affine
from suigeo import crs

def case(folder):
    cell, n = 50.0, 60
    x0, y0 = (float(v[0]) for v in crs.transform([113.3], [23.1], src="CGCS2000", dst=4547))
    tr = Affine(cell, 0, x0 - n / 2 * cell, 0, -cell, y0 + n / 2 * cell)
    yy, xx = np.mgrid[0:n, 0:n] * cell
    hills = 300 + 60 * np.sin(xx / 700) * np.cos(yy / 900)
    prof = {"driver": "GTiff", "width": n, "height": n, "count": 1, "dtype": "float64"}
    with rasterio.open(f"{folder}/dem.tif", "w", crs="EPSG:4547", transform=tr, **prof) as dst:
        dst.write(hills, 1)
    ox, oy = x0 + cell / 2, y0 - cell / 2
    roads = gpd.GeoDataFrame(
        {"highway": ["secondary"]},
        geometry=[shapely.LineString([(ox - 1200, oy), (ox + 1200, oy)])],
        crs=4547,
    )
    lon, lat = crs.transform([ox], [oy], src=4547, dst="CGCS2000")
    kw = {
        "minutes": [10],
        "engine": "raster",
        "rail": False,
        "roads": roads,
        "dem": f"{folder}/dem.tif",
        "settings": {"raster.cell_m": cell},
    }
    return (float(lon[0]), float(lat[0])), kw
"""


def _case(folder):
    space: dict = {}
    exec(CASE, space)  # the same case as the fresh processes below
    return space["case"](folder)


def _loader_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == THREAD]


@pytest.fixture
def fresh(monkeypatch):
    """A new loader (nothing loaded yet, as in a fresh process), every window compiled, and
    a record of the thread each warm-up ran in."""
    from suigeo.geo.access import gridsearch

    loader = raster._Loader()
    monkeypatch.setattr(raster, "LOADER", loader)
    monkeypatch.setattr(raster, "COMPILED_MIN_CELLS", 0)
    calls: list[str] = []
    real = gridsearch.warm_up

    def spy():
        calls.append(threading.current_thread().name)
        real()

    monkeypatch.setattr(gridsearch, "warm_up", spy)
    return loader, calls


def test_the_background_load_gives_the_same_rings_and_ends(tmp_path, monkeypatch, fresh):
    loader, calls = fresh
    origin, kw = _case(tmp_path)
    res = rings(origin, raster_out=tmp_path / "ahead.tif", **kw)
    assert calls == [THREAD]  # loaded once, ahead, in its own thread
    assert loader.loaded and not _loader_threads()
    # the same run with the search loaded when it is used (no thread) ...
    monkeypatch.setattr(raster, "PRELOAD", False)
    monkeypatch.setattr(raster, "LOADER", raster._Loader())
    ref = rings(origin, raster_out=tmp_path / "used.tif", **kw)
    assert calls == [THREAD] and not _loader_threads()
    # ... and with scipy's Dijkstra on the written-out graph (no compiled search at all)
    monkeypatch.setattr(raster, "COMPILED_MIN_CELLS", 10**12)
    csr = rings(origin, raster_out=tmp_path / "scipy.tif", **kw)
    with rasterio.open(tmp_path / "ahead.tif") as a, rasterio.open(tmp_path / "used.tif") as b:
        t1, t2 = a.read(1), b.read(1)
        assert a.transform == b.transform
    np.testing.assert_array_equal(t1, t2)  # to the bit
    assert (t1 >= 0).sum() > 500  # the road was taken: well beyond the walking reach
    assert res.geometry.iloc[0].equals_exact(ref.geometry.iloc[0], 0)
    assert res["area_km2"].iloc[0] == ref["area_km2"].iloc[0]
    with rasterio.open(tmp_path / "scipy.tif") as c:
        t3 = c.read(1)
    np.testing.assert_array_equal(t1 >= 0, t3 >= 0)
    np.testing.assert_allclose(t1[t3 >= 0], t3[t3 >= 0], rtol=1e-6)  # float32 files
    assert csr["area_km2"].iloc[0] == pytest.approx(res["area_km2"].iloc[0], rel=1e-12)
    # a further run does not load again
    monkeypatch.setattr(raster, "PRELOAD", True)
    monkeypatch.setattr(raster, "COMPILED_MIN_CELLS", 0)
    monkeypatch.setattr(raster, "LOADER", loader)
    rings(origin, **kw)
    assert calls == [THREAD] and not _loader_threads()


def test_an_error_of_the_background_load_is_raised_in_the_caller(tmp_path, monkeypatch, fresh):
    from suigeo.geo.access import gridsearch

    loader, calls = fresh
    origin, kw = _case(tmp_path)
    spy = gridsearch.warm_up  # the fixture's: records the thread

    def broken():
        calls.append(threading.current_thread().name)
        raise RuntimeError("numba cannot load its cache here")

    monkeypatch.setattr(gridsearch, "warm_up", broken)
    with pytest.raises(RuntimeError, match="numba cannot load its cache here") as err:
        rings(origin, **kw)
    assert any("loading the compiled grid search" in n for n in err.value.__notes__)
    assert calls == [THREAD] and not _loader_threads() and not loader.loaded
    # the next run tries again (nothing stuck) and succeeds once the load works
    monkeypatch.setattr(gridsearch, "warm_up", spy)
    res = rings(origin, **kw)
    assert res["area_km2"].iloc[0] > 0 and loader.loaded and not _loader_threads()
    assert calls == [THREAD, THREAD]


def test_a_failed_run_leaves_no_load_running(tmp_path, monkeypatch, fresh):
    # the load starts before the DEM is read; the DEM is then refused: the error is the
    # DEM's, and the load is over when rings() raises (kept slow here to be sure)
    from suigeo.errors import InputError
    from suigeo.geo.access import gridsearch

    loader, calls = fresh
    origin, kw = _case(tmp_path)
    spy = gridsearch.warm_up  # the fixture's: records the thread

    def slow():
        time.sleep(0.5)
        spy()

    monkeypatch.setattr(gridsearch, "warm_up", slow)
    with rasterio.open(kw["dem"]) as src:
        prof, data = src.profile, src.read(1)
    far = src.transform @ src.transform.translation(0, 10_000)  # 500 km south: no overlap
    prof.update(transform=far)
    with rasterio.open(tmp_path / "far.tif", "w", **prof) as dst:
        dst.write(data, 1)
    with pytest.raises(InputError, match="does not cover"):
        rings(origin, **{**kw, "dem": tmp_path / "far.tif"})
    assert calls == [THREAD] and not _loader_threads()
    assert loader.loaded  # the load itself went well: kept for the next search


def _fresh_process(tmp_path, least: int) -> dict:
    code = CASE + textwrap.dedent(
        f"""
        import json, sys, threading
        from suigeo.geo.access import raster, rings
        raster.COMPILED_MIN_CELLS = {least}
        origin, kw = case({str(tmp_path)!r})
        res = rings(origin, **kw)
        print(json.dumps({{
            "numba": "numba" in sys.modules,
            "threads": [t.name for t in threading.enumerate()],
            "area": float(res["area_km2"].iloc[0]),
        }}))
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    )
    import json

    return json.loads(out.stdout.splitlines()[-1])


def test_a_fresh_process_loads_the_compiled_search_only_for_a_large_window(tmp_path):
    small = _fresh_process(tmp_path, 10**12)  # every window under the threshold: scipy
    assert small == {"numba": False, "threads": ["MainThread"], "area": small["area"]}
    large = _fresh_process(tmp_path, 0)  # every window compiled: loaded ahead, thread over
    assert large["numba"] and large["threads"] == ["MainThread"]
    assert large["area"] == pytest.approx(small["area"], rel=1e-12)
