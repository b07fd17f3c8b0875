"""``access coverage`` and many-origin ``access rings`` with ``--executor dask``.

Reference: the single-process code on the same points (itself tested against geodesic
distances, π r² discs and a brute-force nearest search in the other access tests): every
cell of the coverage table, every ring's WKB bytes and area, the CLI's output file and exit
status. Targets and origins are spread over two Gauss-Krüger zones' worth of longitudes
(the plane is that of all the points, not of a partition) and cut into many partitions;
the CSV targets file has a row without coordinates mixed in, refused by both ways alike.
The cluster is in-process.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.geo.access import coverage, rings

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def address():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


def _points(n: int, label: str, seed: int, lon=(112.2, 114.0)) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {"name": [f"{label}{i}" for i in range(n)]},
        geometry=gpd.points_from_xy(rng.uniform(*lon, n), rng.uniform(22.7, 23.9, n)),
        crs=4490,
    )


def _same_table(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame) -> None:
    pd.testing.assert_frame_equal(a.drop(columns="geometry"), b.drop(columns="geometry"),
                                  check_exact=True)  # fmt: skip
    assert list(shapely.to_wkb(a.geometry.values)) == list(shapely.to_wkb(b.geometry.values))


@pytest.mark.parametrize("bound", [{"km": 8.0}, {"minutes": 40.0}])
def test_coverage_identical_to_one_process(address, bound):
    fac, tgt = _points(40, "F", 1), _points(1300, "T", 2)
    mem = coverage(fac, tgt, **bound)
    dask = coverage(fac, tgt, **bound, executor="dask", scheduler=address, partition_rows=150)
    _same_table(mem.table, dask.table)
    _same_table(mem.uncovered, dask.uncovered)
    assert 0 < len(mem.uncovered) < len(tgt)  # some covered, some not


def test_a_partition_alone_would_choose_another_plane(address):
    """Targets west of 112.5°E alone fall in the CM111 zone; all points' plane is CM114, and
    the Dask partitions keep it (distances are geodesic either way; the candidate search
    runs in the one plane)."""
    from suigeo.geo.access.plane import plane_crs

    fac = _points(30, "F", 3, lon=(113.0, 114.0))
    west, east = _points(200, "W", 4, lon=(111.6, 112.3)), _points(400, "E", 5, lon=(113, 114))
    tgt = pd.concat([west, east], ignore_index=True)
    assert plane_crs(west.geometry.x).to_epsg() != plane_crs(tgt.geometry.x).to_epsg()
    mem = coverage(fac, tgt, km=60)
    dask = coverage(fac, tgt, km=60, executor="dask", scheduler=address, partition_rows=200)
    _same_table(mem.table, dask.table)


def test_many_origin_rings_identical(address):
    org = _points(45, "O", 6)
    mem = rings(org, minutes=[20, 45])
    dask = rings(org, minutes=[20, 45], executor="dask", scheduler=address, partition_rows=7)
    _same_table(mem, dask)
    assert len(mem) == 90 and (mem["area_km2"] > 0).all()


def test_refusals(address):
    org = _points(3, "O", 7)
    with pytest.raises(InputError, match="sketch engine"):
        rings(org, minutes=[20], nearest=True, executor="dask", scheduler=address)
    with pytest.raises(InputError, match="network engine"):
        coverage(org, org, minutes=10, engine="network", roads="r.gpkg", executor="dask",
                 scheduler=address)  # fmt: skip
    with pytest.raises(InputError, match="only for executor='dask'"):
        coverage(org, org, km=1, workers=2)
    with pytest.raises(InputError, match="unknown executor 'ray'"):
        rings(org, minutes=[20], executor="ray")


def test_cli_coverage_and_rings_identical(tmp_path, address, capsys):
    fac, tgt = _points(25, "F", 8), _points(700, "T", 9)
    fac_p, tgt_p = tmp_path / "fac.csv", tmp_path / "tgt.csv"
    pd.DataFrame({"name": fac["name"], "lon": fac.geometry.x, "lat": fac.geometry.y}).to_csv(
        fac_p, index=False
    )
    pd.DataFrame({"name": tgt["name"], "lon": tgt.geometry.x, "lat": tgt.geometry.y}).to_csv(
        tgt_p, index=False
    )
    dask = ["--executor", "dask", "--scheduler", address, "--partition-rows", "90"]
    got = []
    for extra in ([], dask):
        (tmp_path / str(len(extra))).mkdir()
        out = tmp_path / str(len(extra)) / "cov.csv"
        rc = main(["access", "coverage", str(fac_p), str(tgt_p), "--km", "6", "-o", str(out),
                   *extra])  # fmt: skip
        got.append((rc, out.read_bytes(), capsys.readouterr().out))
    got = [
        (rc, data, text.replace(str(tmp_path / "6"), str(tmp_path / "0"))) for rc, data, text in got
    ]
    assert got[0] == got[1] and got[0][0] == 1  # some targets uncovered: exit 1
    got = []
    for extra in ([], dask):
        out = tmp_path / str(len(extra)) / "rings.geojson"
        rc = main(["access", "rings", "--origins", str(fac_p), "--minutes", "15", "30",
                   "--no-rail", "-o", str(out), *extra])  # fmt: skip
        got.append((rc, out.read_bytes(), capsys.readouterr().out))
    got = [
        (rc, data, text.replace(str(tmp_path / "6"), str(tmp_path / "0"))) for rc, data, text in got
    ]
    assert got[0] == got[1] and got[0][0] == 0
    # a row without coordinates: refused alike, naming the file
    tgt_p.write_text(tgt_p.read_text() + "T999,,\n")
    msgs = []
    for extra in ([], dask):
        rc = main(["access", "coverage", str(fac_p), str(tgt_p), "--km", "6", "-o",
                   str(tmp_path / "x.csv"), *extra])  # fmt: skip
        msgs.append((rc, capsys.readouterr().err))
    assert msgs[0] == msgs[1] and msgs[0][0] == 2 and "tgt.csv" in msgs[0][1]
    assert main(["access", "coverage", str(fac_p), str(fac_p), "--km", "6", "-o",
                 str(tmp_path / "y.csv"), "--workers", "2"]) == 2  # fmt: skip
    assert "--workers: only with --executor dask" in capsys.readouterr().err


def test_progress_bar_counts_every_target(address, capsys, monkeypatch):
    import suigeo.geo.access.dask_engine as de

    bars = []
    real = de.progress_bar

    def bar(*args):
        bars.append(real(*args))
        return bars[-1]

    monkeypatch.setattr(de, "progress_bar", bar)
    fac, tgt = _points(5, "F", 10), _points(230, "T", 11)
    coverage(fac, tgt, km=5, executor="dask", scheduler=address, partition_rows=50,
             progress=True)  # fmt: skip
    assert bars[0].n == bars[0].total == 230
    assert "targets" in capsys.readouterr().err
