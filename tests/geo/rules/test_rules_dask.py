"""``rules check --executor dask`` (``check_file(executor="dask")``).

Reference: the single-process executor on the same files (itself tested against hand-checked
values and exact fractions in the other rule tests): every report format byte for byte, the
rejects frame and file, the errors word for word, the exit status. The files mix bad rows
(text, negative areas, a part over its whole, blank lines, a quoted cell over two lines)
among good ones, spread over many partitions. The cluster is in-process.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.geo.rules import NotInForceWarning, check_file, render

distributed = pytest.importorskip("distributed")

VI = "village-industrial-2022"
AS_OF = "2024-06-30"


@pytest.fixture(scope="module")
def address():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
    ) as c:
        yield c.scheduler_address


def _projects(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = rng.integers(2_000_000, 8_000_000, n) / 100
    gfa = np.round(site * rng.uniform(2.5, 5.5, n), 2)
    on5 = rng.random(n) < 0.05  # exactly on the 5.0 plot-ratio bound: decided exactly
    gfa[on5] = np.round(site[on5] * 5, 2)
    frame = pd.DataFrame(
        {
            "id": [f"P{i}" for i in range(n)],
            "site_area_m2": site,
            "central_urban": rng.random(n) < 0.3,
            "counted_gfa_m2": gfa,
            "ancillary_gfa_m2": np.round(gfa * rng.uniform(0.05, 0.4, n), 2),
            "special_process": rng.random(n) < 0.5,
        }
    )
    share = rng.uniform(0.0, 0.5, n)  # of the ancillary floor area, which it is part of
    frame.insert(5, "living_service_gfa_m2", np.round(frame["ancillary_gfa_m2"] * share, 2))
    frame.loc[rng.random(n) < 0.05, "living_service_gfa_m2"] = np.nan  # missing inputs
    return frame


def _bad_csv(path: Path, n: int = 1500) -> Path:
    lines = _projects(n).to_csv(index=False, lineterminator="\n").splitlines()
    cells = lambda i: lines[i].split(",")  # noqa: E731

    def put(i: int, col: int, value: str) -> None:
        c = cells(i)
        c[col] = value
        lines[i] = ",".join(c)

    put(4, 1, "abc")  # text in a number
    put(333, 1, "-5")  # a negative area
    put(801, 4, "9e12")  # a part larger than its whole
    put(1203, 3, "12 km")  # a unit that is no area
    put(1204, 0, '"P1203\nbis"')  # a quoted cell over two lines: rows and lines part
    lines.insert(600, "")  # a blank line keeps its row number
    lines.insert(1100, ",,,,,,")
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def _both(path, address, **kw):
    mem = check_file(path, VI, as_of=AS_OF, **kw)
    dask = check_file(
        path, VI, as_of=AS_OF, executor="dask", scheduler=address, partition_rows=97, **kw
    )
    return mem, dask


def test_csv_with_bad_rows_identical_to_the_memory_engine(tmp_path, address):
    inp = _bad_csv(tmp_path / "p.csv")
    mem, dask = _both(inp, address, on_error="reject")
    assert len(mem.projects) == 1500 - 4 and len(mem.projects.rejects) == 4
    for fmt in ("csv", "json", "table"):
        assert render(dask, fmt) == render(mem, fmt), fmt
    pd.testing.assert_frame_equal(dask.projects.rejects, mem.projects.rejects)
    np.testing.assert_array_equal(dask.projects.rows, mem.projects.rows)
    assert dask.counts() == mem.counts() and dask.in_force and dask.any_failed
    assert sum(o.exact_rows for o in dask.outcomes) == sum(o.exact_rows for o in mem.outcomes)
    assert sum(o.exact_rows for o in mem.outcomes) > 50  # the exact path ran in partitions
    # blank lines keep their row numbers (600 and 1100 are blank)
    assert list(mem.projects.rejects["row"]) == [4, 333, 802, 1205]
    assert "P1203\nbis" in set(dask.projects.ids)


def test_bad_input_is_listed_as_by_the_memory_engine(tmp_path, address):
    inp = _bad_csv(tmp_path / "p.csv")
    with pytest.raises(InputError) as a:
        check_file(inp, VI, as_of=AS_OF)
    with pytest.raises(InputError) as b:
        check_file(inp, VI, as_of=AS_OF, executor="dask", scheduler=address, partition_rows=97)
    assert str(b.value) == str(a.value)
    assert "row 4 (line 5), project 'P3', column 'site_area_m2': not a number" in str(a.value)


def test_more_than_ten_problems_across_partitions(tmp_path, address):
    frame = _projects(400)
    frame["site_area_m2"] = frame["site_area_m2"].astype(object)
    frame.loc[::23, "site_area_m2"] = "x"  # 18 problems, in most partitions
    inp = tmp_path / "p.csv"
    frame.to_csv(inp, index=False)
    with pytest.raises(InputError) as a:
        check_file(inp, VI, as_of=AS_OF)
    with pytest.raises(InputError) as b:
        check_file(inp, VI, as_of=AS_OF, executor="dask", scheduler=address, partition_rows=40)
    assert str(b.value) == str(a.value)
    assert str(a.value).endswith("... and 8 more problems")


def test_a_duplicate_id_in_another_partition_is_found(tmp_path, address):
    frame = _projects(300)
    frame.loc[250, "id"] = "P3"
    inp = tmp_path / "p.csv"
    frame.to_csv(inp, index=False)
    with pytest.raises(InputError) as a:
        check_file(inp, VI, as_of=AS_OF, on_error="reject")
    with pytest.raises(InputError) as b:
        check_file(inp, VI, as_of=AS_OF, on_error="reject", executor="dask", scheduler=address,
                   partition_rows=50)  # fmt: skip
    assert str(b.value) == str(a.value) and "duplicate project id 'P3'" in str(a.value)


def test_polygons_in_a_geopackage_identical(tmp_path, address):
    """Site areas from polygons (per-row Gauss-Krüger zones), GeoPackage input."""
    n = 300
    frame = _projects(n).drop(columns="site_area_m2")
    rng = np.random.default_rng(3)
    lon, lat = rng.uniform(112.9, 114.1, n), rng.uniform(22.6, 23.9, n)  # two zones
    side = rng.uniform(0.001, 0.003, n)
    polys = shapely.box(lon, lat, lon + side, lat + side)
    polys[17] = shapely.Polygon([(113, 23), (113.01, 23.01), (113.01, 23), (113, 23.01)])  # bow tie
    gdf = gpd.GeoDataFrame(frame, geometry=polys, crs=4490)
    inp = tmp_path / "p.gpkg"
    gdf.to_file(inp)
    mem, dask = _both(inp, address, on_error="reject")
    assert len(mem.projects.rejects) == 1 and mem.projects.rejects["row"].tolist() == [18]
    for fmt in ("csv", "json"):
        assert render(dask, fmt) == render(mem, fmt)
    pd.testing.assert_frame_equal(dask.projects.rejects, mem.projects.rejects)


def test_not_in_force_and_exit_codes_are_the_same(tmp_path, address, capsys):
    inp = tmp_path / "p.csv"
    _projects(200).to_csv(inp, index=False)
    for as_of in ("2019-01-01", AS_OF):
        results = []
        for extra in ([], ["--executor", "dask", "--scheduler", address, "--partition-rows", "30"]):
            out = tmp_path / f"o{len(extra)}.json"
            rc = main(["rules", "check", str(inp), "--ruleset", VI, "--as-of", as_of,
                       "--format", "json", "-o", str(out), *extra])  # fmt: skip
            results.append((rc, out.read_bytes(), capsys.readouterr().err))
        assert results[0] == results[1]
    with pytest.warns(NotInForceWarning):
        r = check_file(inp, VI, as_of="2019-01-01", executor="dask", scheduler=address)
    assert not r.in_force
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_file(inp, VI, as_of="2019-01-01", executor="dask", scheduler=address,
                   allow_expired=True)  # fmt: skip


def test_cli_rejects_file_identical(tmp_path, address, capsys):
    inp = _bad_csv(tmp_path / "p.csv")
    got = []
    for extra in ([], ["--executor", "dask", "--scheduler", address, "--partition-rows", "50"]):
        tag = "d" if extra else "m"
        rc = main(["rules", "check", str(inp), "--ruleset", VI, "--as-of", AS_OF, "--format",
                   "csv", "-o", str(tmp_path / f"{tag}.csv"), "--rejects",
                   str(tmp_path / f"{tag}.rejects.csv"), *extra])  # fmt: skip
        got.append((rc, (tmp_path / f"{tag}.csv").read_bytes(),
                    (tmp_path / f"{tag}.rejects.csv").read_bytes()))  # fmt: skip
    assert got[0] == got[1] and got[0][0] == 2


def test_engine_options_need_the_dask_engine(tmp_path, capsys):
    inp = tmp_path / "p.csv"
    _projects(5).to_csv(inp, index=False)
    assert main(["rules", "check", str(inp), "--ruleset", VI, "--partition-rows", "5"]) == 2
    assert "--partition-rows: only with --executor dask" in capsys.readouterr().err
    with pytest.raises(InputError, match="only for executor='dask'"):
        check_file(inp, VI, workers=2)
    with pytest.raises(InputError, match="unknown executor"):
        check_file(inp, VI, executor="spark")


def test_progress_bar_counts_every_project(tmp_path, address, capsys, monkeypatch):
    """The tqdm bar of the single-process executors, advanced as partitions complete."""
    import suigeo.geo.rules.dask_engine as de

    bars = []
    real = de.progress_bar

    def bar(*args):
        bars.append(real(*args))
        return bars[-1]

    monkeypatch.setattr(de, "progress_bar", bar)
    inp = tmp_path / "p.csv"
    _projects(450).to_csv(inp, index=False)
    check_file(inp, VI, as_of=AS_OF, executor="dask", scheduler=address, partition_rows=100,
               progress=True)  # fmt: skip
    assert bars[0].n == bars[0].total == 450
    assert "rows" in capsys.readouterr().err


def test_csv_report_streamed_by_partitions_is_the_same_bytes(tmp_path, address):
    inp = _bad_csv(tmp_path / "p.csv")
    mem = check_file(inp, VI, as_of=AS_OF, on_error="reject")
    out = tmp_path / "report.csv"
    dask = check_file(inp, VI, as_of=AS_OF, on_error="reject", executor="dask",
                      scheduler=address, partition_rows=61, csv_report=out)  # fmt: skip
    assert out.read_text(encoding="utf-8") == render(mem, "csv") == render(dask, "csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.csv", "report.csv"]
    with pytest.raises(InputError, match="csv_report: only for executor='dask'"):
        check_file(inp, VI, csv_report=out)
    with pytest.raises(InputError):  # bad rows without rejects: no report is left
        check_file(inp, VI, as_of=AS_OF, executor="dask", scheduler=address,
                   csv_report=tmp_path / "r2.csv")  # fmt: skip
    assert not (tmp_path / "r2.csv").exists()
