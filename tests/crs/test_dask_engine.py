"""The Dask executor of ``crs convert`` (``executor="dask"``, ``--executor dask``).

References: the single-process executor on the same files (itself tested against PROJ in
test_batch.py) row for row and byte for byte (WKB of every geometry, the rejects file), and
pyproj's own Transformer for the coordinates. Clusters are in-process (``processes=False``)
except for the fault test, which kills a worker process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from dask_refs import _parts, _points_csv, _same_output, _same_rejects
from pyproj import Transformer

import suigeo.crs.dask_convert as dc
from suigeo.cli import main
from suigeo.crs.batch import convert_file
from suigeo.crs.params import EXAMPLE_FILE, load_params
from suigeo.errors import InputError, OutputError
from suigeo.io.partitions import dataset_parts, plan_csv

distributed = pytest.importorskip("distributed")

GK = "CGCS2000-3GK-CM114"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def address(cluster) -> str:
    return cluster[0].scheduler_address


# --------------------------------------------------------------------------------------------
# identical results
# --------------------------------------------------------------------------------------------


def test_csv_blocks_identical_to_memory_engine(tmp_path, address):
    inp = _points_csv(tmp_path / "in.csv", 3000, bom=True)
    blocks, odd = plan_csv(inp, 9000)
    assert len(blocks) > 5 and not odd
    mem = convert_file(inp, tmp_path / "mem.parquet", src="CGCS2000", dst=GK)
    got = convert_file(
        inp,
        tmp_path / "dask.parquet",
        src="CGCS2000",
        dst=GK,
        executor="dask",
        scheduler=address,
        partition_rows=250,
    )
    assert (tmp_path / "dask.parquet").is_dir()
    assert len(dataset_parts(tmp_path / "dask.parquet")) > 5
    assert (got.read, got.written, got.rejected) == (mem.read, mem.written, mem.rejected)
    assert got.read == 3000 and got.rejected > 60 and got.read == got.written + got.rejected
    assert got.reasons == mem.reasons
    assert set(got.reasons) == {
        "non_numeric",
        "empty",
        "not_finite",
        "swapped",
        "outside_area",
        "outside_target_area",
    }
    table = _same_output(tmp_path / "dask.parquet", tmp_path / "mem.parquet")
    _same_rejects(tmp_path / "dask.rejects.csv", tmp_path / "mem.rejects.csv")

    # independent reference: pyproj on the input's good rows
    src = pd.read_csv(inp, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    kept = src.set_index("id").loc[table.column("id").to_pylist()]
    ex, ny = Transformer.from_crs(4490, 4547, always_xy=True).transform(
        kept["lon"].astype(float).to_numpy(), kept["lat"].astype(float).to_numpy()
    )
    xy = shapely.get_coordinates(shapely.from_wkb(table.column("geometry").to_numpy(False)))
    assert np.abs(xy[:, 0] - ex).max() < 1e-6 and np.abs(xy[:, 1] - ny).max() < 1e-6
    # the rejected rows keep their row numbers across blocks (blank lines counted)
    rej = pd.read_csv(tmp_path / "dask.rejects.csv", dtype=str, keep_default_na=False)
    assert rej.loc[rej["id"] == "3", "row"].item() == "4"
    assert rej.loc[rej["id"] == "2816", "row"].item() == str(2816 + 1 + 2816 // 400)


def _geoparquet_rows(n: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(3)
    geoms = list(shapely.points(rng.uniform(113.1, 113.7, n), rng.uniform(22.8, 23.4, n)))
    geoms[5] = None
    geoms[40] = shapely.Point()
    geoms[77] = shapely.Point(np.nan, 23.0)
    geoms[123] = shapely.Point(23.1, 113.3)  # swapped
    geoms[300] = shapely.Point(100.5, 30.0)  # outside
    geoms[301] = shapely.LineString([(113.2, 23.0), (113.3, 23.1)])
    return gpd.GeoDataFrame(
        {"id": np.arange(n), "name": [f"p{i}" for i in range(n)]}, geometry=geoms, crs=4490
    )


def test_geoparquet_dataset_in_and_out(tmp_path, address):
    gdf = _geoparquet_rows(900)
    gdf.to_parquet(tmp_path / "whole.parquet", row_group_size=100)
    folder = tmp_path / "parts.parquet"
    folder.mkdir()
    for k, start in enumerate((0, 250, 600)):  # three parts, of several row groups each
        end = {0: 250, 250: 600, 600: 900}[start]
        gdf.iloc[start:end].to_parquet(folder / f"{k:02d}.parquet", row_group_size=100)
    mem = convert_file(tmp_path / "whole.parquet", tmp_path / "mem.parquet", src=4490, dst=GK)
    got = convert_file(
        folder,
        tmp_path / "dask.parquet",
        src=4490,
        dst=GK,
        executor="dask",
        scheduler=address,
        partition_rows=200,
    )
    assert (got.read, got.written, got.rejected) == (900, 895, 5)
    assert got.reasons == mem.reasons
    _same_output(tmp_path / "dask.parquet", tmp_path / "mem.parquet")
    _same_rejects(tmp_path / "dask.rejects.csv", tmp_path / "mem.rejects.csv")
    rows = pd.read_csv(tmp_path / "dask.rejects.csv")["row"].tolist()
    assert rows == [6, 41, 78, 124, 301]  # numbered across the dataset's parts
    # a part in another CRS is refused, not converted as if it were in the first's
    gdf.iloc[:10].to_crs(4547).to_parquet(folder / "03.parquet")
    with pytest.raises(InputError, match=r"CRS \(GeoParquet metadata\) differs"):
        convert_file(folder, tmp_path / "x.parquet", src=4490, dst=GK, executor="dask",
                     scheduler=address)  # fmt: skip

    # GeoParquet that geopandas, dask-geopandas and GDAL read, with its CRS
    back = gpd.read_parquet(tmp_path / "dask.parquet")
    assert len(back) == 895 and back.crs.to_epsg() == 4547
    dgpd = pytest.importorskip("dask_geopandas")
    with warnings.catch_warnings():  # dask-geopandas 0.5 calls reset_index(inplace=True)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        lazy = dgpd.read_parquet(tmp_path / "dask.parquet")
        assert lazy.npartitions == len(dataset_parts(tmp_path / "dask.parquet"))
        assert len(lazy.compute(scheduler="synchronous")) == 895
    if "Parquet" not in pyogrio.list_drivers():  # pyogrio's wheels build GDAL without it
        return
    first = dataset_parts(tmp_path / "dask.parquet")[0]
    ogr = pyogrio.read_dataframe(first)
    assert ogr.crs.to_epsg() == 4547 and len(ogr) == pq.read_metadata(first).num_rows


def test_gz2000_with_the_example_parameter_file(tmp_path, address):
    inp = _points_csv(tmp_path / "in.csv", 1500, seed=11)
    kw = dict(src="CGCS2000", dst="GZ2000", params=EXAMPLE_FILE)
    mem = convert_file(inp, tmp_path / "mem.parquet", **kw)
    got = convert_file(
        inp, tmp_path / "dask.parquet", executor="dask", scheduler=address, partition_rows=300, **kw
    )
    assert (got.read, got.written, got.rejected) == (mem.read, mem.written, mem.rejected)
    _same_output(tmp_path / "dask.parquet", tmp_path / "mem.parquet")
    _same_rejects(tmp_path / "dask.rejects.csv", tmp_path / "mem.rejects.csv")
    # and back: GZ2000 GeoParquet dataset -> CGCS2000
    back = convert_file(
        tmp_path / "dask.parquet",
        tmp_path / "back.parquet",
        src="GZ2000",
        dst="CGCS2000",
        params=EXAMPLE_FILE,
        executor="dask",
        scheduler=address,
        partition_rows=300,
    )
    assert back.read == got.written and back.rejected == 0
    # the parts' rows round-trip to the input points (well under a millimetre)
    src = pd.read_csv(inp, dtype=str, keep_default_na=False).set_index("id")
    table = _parts(tmp_path / "back.parquet")
    kept = src.loc[table.column("id").to_pylist()]
    xy = shapely.get_coordinates(shapely.from_wkb(table.column("geometry").to_numpy(False)))
    assert np.abs(xy[:, 0] - kept["lon"].astype(float).to_numpy()).max() < 1e-8
    assert np.abs(xy[:, 1] - kept["lat"].astype(float).to_numpy()).max() < 1e-8


def test_plain_parquet_table_with_numeric_columns(tmp_path, address):
    lon = np.array([113.3, np.nan, 23.1, 113.4, 150.0, 113.25] * 50)
    lat = np.array([23.1, 23.0, 113.3, None, 23.0, 23.05] * 50, dtype=float)
    table = pa.table({"id": np.arange(300), "x": lon, "y": lat, "tag": ["a", "b", None] * 100})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=40)
    kw = dict(src=4490, dst=GK, x="x", y="y")
    mem = convert_file(tmp_path / "t.parquet", tmp_path / "m.parquet", **kw)
    got = convert_file(tmp_path / "t.parquet", tmp_path / "d.parquet", executor="dask",
                       scheduler=address, partition_rows=70, **kw)  # fmt: skip
    assert (got.read, got.written, got.rejected) == (300, 100, 200)
    assert got.reasons == mem.reasons
    _same_output(tmp_path / "d.parquet", tmp_path / "m.parquet")
    _same_rejects(tmp_path / "d.rejects.csv", tmp_path / "m.rejects.csv")


def test_empty_input_writes_an_empty_dataset(tmp_path, address):
    inp = tmp_path / "in.csv"
    inp.write_text("id,lon,lat\n", encoding="utf-8")
    got = convert_file(inp, tmp_path / "o.parquet", src=4490, dst=GK, executor="dask",
                       scheduler=address)  # fmt: skip
    assert (got.read, got.written, got.rejected) == (0, 0, 0)
    assert _parts(tmp_path / "o.parquet").num_rows == 0


# --------------------------------------------------------------------------------------------
# errors: the same as the single-process executor's, or a clear refusal
# --------------------------------------------------------------------------------------------


def test_a_bad_row_in_a_later_block_is_reported_as_by_the_memory_engine(tmp_path, address):
    inp = _points_csv(tmp_path / "in.csv", 2000)
    lines = inp.read_text(encoding="utf-8").split("\n")
    lines[1700] += ",surplus"
    inp.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as mem:
        convert_file(inp, tmp_path / "m.parquet", src=4490, dst=GK)
    with pytest.raises(InputError) as got:
        convert_file(inp, tmp_path / "d.parquet", src=4490, dst=GK, executor="dask",
                     scheduler=address, partition_rows=200)  # fmt: skip
    assert str(got.value) == str(mem.value)
    assert "line 1701" in str(got.value)
    assert not (tmp_path / "d.parquet").exists()
    assert not list(tmp_path.glob(".d.parquet*"))


def test_an_unclosed_quote_is_reported_and_a_stray_quote_reads_in_one_block(tmp_path, address):
    kw = dict(src=4490, dst=GK)
    rows = "".join(f"{i},113.{i:04d},23.1,plain\n" for i in range(400))
    bad = tmp_path / "bad.csv"
    bad.write_text("id,lon,lat,note\n" + rows + '401,113.3,23.1,"never closed\n' + rows)
    with pytest.raises(InputError) as mem:
        convert_file(bad, tmp_path / "m.parquet", **kw)
    with pytest.raises(InputError) as got:
        convert_file(bad, tmp_path / "d.parquet", executor="dask", scheduler=address,
                     partition_rows=50, **kw)  # fmt: skip
    assert str(got.value) == str(mem.value) and "never closed" in str(got.value)
    stray = tmp_path / "stray.csv"  # 12" is a cell of three characters, quote included
    stray.write_text("id,lon,lat,note\n" + rows + '401,113.3,23.1,12"\n' + rows)
    mem_s = convert_file(stray, tmp_path / "m.parquet", **kw)
    got_s = convert_file(stray, tmp_path / "d.parquet", executor="dask", scheduler=address,
                         partition_rows=50, **kw)  # fmt: skip
    assert got_s.read == mem_s.read == 801
    _same_output(tmp_path / "d.parquet", tmp_path / "m.parquet")


@pytest.mark.parametrize(
    ("inp", "out", "error", "text"),
    [
        ("in.gpkg", "o.parquet", InputError, "reads CSV/TSV files and Parquet"),
        ("in.csv", "o.csv", OutputError, "writes a GeoParquet dataset"),
        ("in.csv", "in.csv", OutputError, "writes a GeoParquet dataset"),
    ],
)
def test_refusals(tmp_path, inp, out, error, text):
    _points_csv(tmp_path / "in.csv", 20)
    gpd.GeoDataFrame(geometry=[shapely.Point(113.3, 23.1)], crs=4490).to_file(tmp_path / "in.gpkg")
    with pytest.raises(error, match=text):
        convert_file(tmp_path / inp, tmp_path / out, src=4490, dst=GK, executor="dask")


def test_an_all_swapped_file_is_refused_as_by_the_memory_engine(tmp_path, address):
    inp = tmp_path / "in.csv"
    inp.write_text("id,x,y\n" + "".join(f"{i},23.1{i:03d},113.3\n" for i in range(500)))
    with pytest.raises(InputError) as mem:
        convert_file(inp, tmp_path / "m.parquet", src=4490, dst=GK)
    with pytest.raises(InputError) as got:
        convert_file(inp, tmp_path / "d.parquet", src=4490, dst=GK, executor="dask",
                     scheduler=address, partition_rows=100)  # fmt: skip
    assert str(got.value) == str(mem.value) and "look swapped" in str(got.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_gbk_csv_is_split_as_its_utf8_copy_and_identical(tmp_path, address):
    """A GBK file (Chinese Excel's CSV) with bad rows: split as the UTF-8 copy the
    single-process reader makes, beside the output, removed afterwards."""
    utf8 = _points_csv(tmp_path / "u.csv", 2000)
    text = utf8.read_text(encoding="utf-8").replace("id,lon,lat,note", "点号,经度,纬度,备注")
    text = text.replace("plain", "广州塔")
    inp = tmp_path / "gbk.csv"
    inp.write_bytes(text.encode("gbk"))
    utf8.unlink()
    mem = convert_file(inp, tmp_path / "m.parquet", src=4490, dst=GK)
    got = convert_file(inp, tmp_path / "d.parquet", src=4490, dst=GK, executor="dask",
                       scheduler=address, partition_rows=150)  # fmt: skip
    assert len(dataset_parts(tmp_path / "d.parquet")) > 5
    assert (got.read, got.written, got.rejected) == (mem.read, mem.written, mem.rejected)
    assert got.rejected > 40 and got.columns == mem.columns == ("经度", "纬度")
    out = _same_output(tmp_path / "d.parquet", tmp_path / "m.parquet")
    assert "广州塔" in out.column("备注").to_pylist()
    _same_rejects(tmp_path / "d.rejects.csv", tmp_path / "m.rejects.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "d.parquet",
        "d.rejects.csv",
        "gbk.csv",
        "m.parquet",
        "m.rejects.csv",
    ]  # the UTF-8 copy is gone


def test_an_input_dataset_is_never_the_output(tmp_path, address):
    folder = tmp_path / "ds.parquet"
    folder.mkdir()
    _geoparquet_rows(400).to_parquet(folder / "part.000000.parquet")
    with pytest.raises(OutputError, match="never overwrites an input"):
        convert_file(folder, folder, src=4490, dst=GK, executor="dask", scheduler=address)
    other = tmp_path / "other.parquet"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="other files than dataset parts"):
        convert_file(folder, other, src=4490, dst=GK, executor="dask", scheduler=address)
    assert (other / "notes.txt").read_text() == "mine"
    inside = ROOT / "crs" / "examples" / "o.parquet"
    with pytest.raises(OutputError, match="inside the installed suigeo package"):
        convert_file(folder, inside, src=4490, dst=GK, executor="dask", scheduler=address)
    assert not inside.exists()


def test_parameters_as_a_mapping_are_refused(tmp_path):
    import tomllib

    _points_csv(tmp_path / "in.csv", 20)
    values = tomllib.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))
    with pytest.raises(InputError, match="needs the Guangzhou 2000 parameters as a file"):
        convert_file(tmp_path / "in.csv", tmp_path / "o.parquet", src=4490, dst="GZ2000",
                     params=values, executor="dask")  # fmt: skip


def test_engine_options_need_the_dask_engine(tmp_path, capsys):
    inp = _points_csv(tmp_path / "in.csv", 20)
    with pytest.raises(InputError, match="only for executor='dask'"):
        convert_file(inp, tmp_path / "o.parquet", src=4490, dst=GK, workers=2)
    with pytest.raises(InputError, match="unknown executor"):
        convert_file(inp, tmp_path / "o.parquet", src=4490, dst=GK, executor="spark")
    with pytest.raises(InputError, match="those of the cluster at the scheduler"):
        convert_file(inp, tmp_path / "o.parquet", src=4490, dst=GK, executor="dask",
                     scheduler="tcp://127.0.0.1:9", workers=2)  # fmt: skip
    assert not (tmp_path / "o.parquet").exists()
    code = main(["crs", "convert", str(inp), "-o", str(tmp_path / "o.parquet"),
                 "--from", "CGCS2000", "--to", GK, "--workers", "2"])  # fmt: skip
    assert code == 2
    assert "--workers: only with --executor dask" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# interruptions leave no partial dataset under the final name
# --------------------------------------------------------------------------------------------


def test_an_interrupted_run_leaves_the_old_output_and_no_partial_dataset(
    tmp_path, address, monkeypatch
):
    inp = _points_csv(tmp_path / "in.csv", 2000)
    out = tmp_path / "o.parquet"
    convert_file(inp, out, src=4490, dst=GK, executor="dask", scheduler=address)
    before = {p.name: p.read_bytes() for p in dataset_parts(out)}
    calls = []

    def interrupted(self, result):
        calls.append(result.index)
        if len(calls) == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(dc._Merge, "add", interrupted)
    with pytest.raises(KeyboardInterrupt):
        convert_file(inp, out, src=4490, dst=GK, executor="dask", scheduler=address,
                     partition_rows=100, rejects=tmp_path / "r.csv")  # fmt: skip
    assert {p.name: p.read_bytes() for p in dataset_parts(out)} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "o.parquet", "o.rejects.csv"]


# --------------------------------------------------------------------------------------------
# secrets
# --------------------------------------------------------------------------------------------

# distinctive values, found nowhere else
_SECRET_TOML = (
    EXAMPLE_FILE.read_text(encoding="utf-8")
    .replace("dx_m = 100.0", "dx_m = 173.9051327")
    .replace("false_easting_m = 100000.0", "false_easting_m = 100271.8843")
)
_SECRETS = ("173.9051327", "100271.8843", "1739051327", "1002718843")


def test_parameters_never_travel_with_the_tasks(tmp_path, cluster, monkeypatch, caplog):
    import logging
    import pickle
    import struct

    import cloudpickle

    c, client = cluster
    params = tmp_path / "secret.toml"
    params.write_text(_SECRET_TOML, encoding="utf-8")
    inp = _points_csv(tmp_path / "in.csv", 800)
    sent: list[bytes] = []
    real_tasks = dc._tasks

    def tasks(*args, **kwargs):
        made = real_tasks(*args, **kwargs)
        sent.append(cloudpickle.dumps(made))  # what client.submit serialises
        return made

    monkeypatch.setattr(dc, "_tasks", tasks)
    caplog.set_level(logging.DEBUG)
    held: list[bytes] = []  # what the scheduler holds for each task (the graph it keeps)

    class Probe(distributed.diagnostics.plugin.SchedulerPlugin):
        def update_graph(self, scheduler, *, tasks, **kwargs):
            for key in tasks:
                spec = scheduler.tasks[key].run_spec
                held.append(pickle.dumps(spec) + repr(spec).encode())

    c.scheduler.add_plugin(Probe(), name="secrets-probe")
    with distributed.get_task_stream(client) as stream:
        s = convert_file(inp, tmp_path / "o.parquet", src=4490, dst="GZ2000", params=params,
                         executor="dask", scheduler=c.scheduler_address,
                         partition_rows=100)  # fmt: skip
    c.scheduler.remove_plugin("secrets-probe")
    assert s.written > 700 and len(sent) == 1
    assert len(held) == len(dataset_parts(tmp_path / "o.parquet")) > 5
    # the values did reach the workers: a different parameter file gives other coordinates
    ref = convert_file(inp, tmp_path / "m.parquet", src=4490, dst="GZ2000", params=params)
    _same_output(tmp_path / "o.parquet", tmp_path / "m.parquet")
    assert ref.written == s.written
    logs = [
        repr(client.get_worker_logs()),
        repr(client.get_scheduler_logs()),
        repr(stream.data),
        repr([t["key"] for t in stream.data]),
        caplog.text,
    ]
    blobs = [sent[0], pickle.dumps(logs), *held]
    for p in dataset_parts(tmp_path / "o.parquet"):
        blobs.append(p.read_bytes())
    blobs.append((tmp_path / "o.rejects.csv").read_bytes())
    packed = [struct.pack("<d", float(v)) for v in _SECRETS[:2]]
    for blob in blobs:
        for text in _SECRETS:
            assert text.encode() not in blob
        for b in packed:
            assert b not in blob
    for text in _SECRETS:
        assert all(text not in entry for entry in logs)
    digest = load_params(params).key.encode()  # not even the values' fixed digest travels
    assert not any(digest in blob for blob in blobs)
    # the search can see: the path does travel, in the pickled tasks and the scheduler's
    assert str(params.absolute()).encode() in sent[0]
    assert all(str(params.absolute()).encode() in h for h in held)


# --------------------------------------------------------------------------------------------
# progress, and Dask only when asked for
# --------------------------------------------------------------------------------------------


def test_progress_bar(tmp_path, address, capsys, monkeypatch):
    inp = _points_csv(tmp_path / "in.csv", 1000)
    bars = []
    real = dc.progress_bar

    def bar(*args):
        bars.append(real(*args))
        return bars[-1]

    monkeypatch.setattr(dc, "progress_bar", bar)
    convert_file(inp, tmp_path / "o.parquet", src=4490, dst=GK, executor="dask",
                 scheduler=address, partition_rows=200, progress=True)  # fmt: skip
    err = capsys.readouterr().err
    assert "B/s" in err
    assert bars[0].n == bars[0].total == inp.stat().st_size - len("\ufeffid,lon,lat,note\n") + 1


def test_without_the_dask_engine_nothing_imports_dask(tmp_path):
    inp = _points_csv(tmp_path / "in.csv", 50)
    projects = ROOT / "docs" / "examples" / "projects.csv"
    clean = tmp_path / "clean.csv"
    clean.write_text("name,lon,lat\nA,113.3,23.1\nB,113.5,23.2\n", encoding="utf-8")
    code = (
        "import sys\n"
        "from suigeo.cli import main\n"
        f"rc = main(['crs', 'convert', {str(inp)!r}, '-o', {str(tmp_path / 'o.parquet')!r},"
        f" '--from', 'CGCS2000', '--to', {GK!r}])\n"
        "from suigeo.crs.batch import convert_file\n"
        f"convert_file({str(inp)!r}, {str(tmp_path / 'p.parquet')!r}, src=4490, dst={GK!r})\n"
        # the other commands with a Dask executor, on their default engine
        f"rc += main(['rules', 'check', {str(projects)!r}, '--ruleset', "
        "'village-industrial-2022', '--as-of', '2024-06-30'])\n"
        f"rc += main(['access', 'coverage', {str(clean)!r}, {str(clean)!r}, '--km', '1', "
        f"'-o', {str(tmp_path / 'c.csv')!r}])\n"
        f"rc += main(['access', 'rings', '--origins', {str(clean)!r}, '--minutes', '5', "
        f"'--no-rail', '-o', {str(tmp_path / 'r.geojson')!r}])\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('dask', 'distributed', 'dask_geopandas'))\n"
        "print(rc, bad)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True, cwd=tmp_path).stdout  # fmt: skip
    # 1: the example projects fail a rule (rules check exits 1); every other command 0
    assert out.strip().splitlines()[-1] == "1 []"


def test_cli_engine_dask_on_a_local_cluster(tmp_path):
    """The command line end to end: its own LocalCluster of one worker process."""
    inp = _points_csv(tmp_path / "in.csv", 500)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        [sys.executable, "-m", "suigeo", "crs", "convert", str(inp), "-o",
         str(tmp_path / "o.parquet"), "--from", "CGCS2000", "--to", "GZ2000", "--params",
         str(EXAMPLE_FILE), "--executor", "dask", "--workers", "1", "--memory-limit", "1GB"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("read 500, written ")
    mem = convert_file(inp, tmp_path / "m.parquet", src=4490, dst="GZ2000", params=EXAMPLE_FILE)
    _same_output(tmp_path / "o.parquet", tmp_path / "m.parquet")
    assert f"written {mem.written}, rejected {mem.rejected}" in run.stdout


def test_a_temporary_folder_of_a_killed_run_is_removed_by_the_next(tmp_path, address):
    inp = _points_csv(tmp_path / "in.csv", 100)
    dead = tmp_path / ".o.parquet.suigeo-tmp-999999999-x1"  # no such process
    dead.mkdir()
    (dead / "part.000000.parquet").write_bytes(b"half")
    convert_file(inp, tmp_path / "o.parquet", src=4490, dst=GK, executor="dask",
                 scheduler=address)  # fmt: skip
    assert not dead.exists()
    assert len(dataset_parts(tmp_path / "o.parquet")) == 1


def test_cli_replaces_an_earlier_dataset_and_refuses_the_input(tmp_path, address, capsys):
    inp = _points_csv(tmp_path / "in.csv", 300)
    out = tmp_path / "o.parquet"
    args = ["crs", "convert", str(inp), "-o", str(out), "--from", "CGCS2000", "--to", GK,
            "--executor", "dask", "--scheduler", address, "--partition-rows", "100"]  # fmt: skip
    assert main(args) == 0
    first = {p.name: p.read_bytes() for p in dataset_parts(out)}
    assert main(args) == 0  # the earlier dataset (a folder) is replaced, not refused
    assert {p.name: p.read_bytes() for p in dataset_parts(out)} == first
    back = ["crs", "convert", str(out), "-o", str(out), "--from", GK, "--to", "CGCS2000",
            "--executor", "dask", "--scheduler", address]  # fmt: skip
    assert main(back) == 2
    assert "never overwrites an input" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in dataset_parts(out)} == first


def test_a_worker_refuses_a_parameter_file_that_changed(tmp_path):
    from suigeo.crs.systems import resolve
    from suigeo.errors import ParameterFileError

    params = tmp_path / "p.toml"
    params.write_text(_SECRET_TOML, encoding="utf-8")
    path, seal = dc._params_path(params, resolve("CGCS2000"), resolve("GZ2000"))
    task = dc._Task(0, None, "in", pa.schema([]), None, True, None, (), resolve("CGCS2000"),
                    resolve("GZ2000"), path, seal, str(tmp_path), 10)  # fmt: skip
    assert dc._worker_params(task) == load_params(params)
    params.write_text(_SECRET_TOML.replace("scale_ppm = 5.0", "scale_ppm = 5.5"), encoding="utf-8")
    with pytest.raises(ParameterFileError, match="changed during the run") as err:
        dc._worker_params(task)
    assert not any(t in str(err.value) for t in _SECRETS)
