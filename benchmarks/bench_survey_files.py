# ruff: noqa: E501  (the timed scripts are kept as they would be typed)
"""GBK CSV and GBK Shapefile conversion: suigeo crs convert against geopandas + pyproj.

Makes the files the way Chinese Excel and ArcGIS write them (GBK, CRLF; a Shapefile whose
.dbf holds GBK with only the language driver byte 0x4D), converts CGCS2000 -> GK CM114
with ``suigeo.crs.batch.convert_file`` and with the usual geopandas script
(``read_csv(encoding="gbk")`` / ``read_file`` + ``pyproj.Transformer`` / ``to_crs``),
each in a fresh process (``--runs`` conversions in a row in it: the first pays the first-use
costs, lazy imports and PROJ/GDAL set-up, on both sides; the later ones show the steady
throughput), and prints CPU time, wall time and peak memory (ru_maxrss) of each.

    python benchmarks/bench_survey_files.py --rows 1000000 --features 200000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

SUIGEO = """
import resource, sys, time
from suigeo.crs.batch import convert_file
from suigeo.io.encodings import use_encoding
for run in range(int(sys.argv[3])):
    t, c = time.perf_counter(), time.process_time()
    with use_encoding(sys.argv[4]):  # the output's code page: auto (UTF-8) or --encoding gbk
        s = convert_file(sys.argv[1], sys.argv[2].replace("out", f"out{run}"), src="CGCS2000", dst="CGCS2000-3GK-CM114")
    r = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{time.process_time() - c:.2f} {time.perf_counter() - t:.2f} {r.ru_maxrss / 1024:.0f} {s.written}")
"""
GEOPANDAS_CSV = """
import resource, sys, time
import pandas as pd
from pyproj import Transformer
for run in range(int(sys.argv[3])):
    t, c = time.perf_counter(), time.process_time()
    df = pd.read_csv(sys.argv[1], encoding="gbk", dtype={"名称": str})
    e, n = Transformer.from_crs(4490, 4547, always_xy=True).transform(df["经度"].to_numpy(), df["纬度"].to_numpy())
    df["经度"], df["纬度"] = e.round(4), n.round(4)
    df.to_csv(sys.argv[2].replace("out", f"out{run}"), index=False, encoding="utf-8-sig")
    r = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{time.process_time() - c:.2f} {time.perf_counter() - t:.2f} {r.ru_maxrss / 1024:.0f} {len(df)}")
"""
GEOPANDAS_SHP = """
import resource, sys, time
import geopandas as gpd
for run in range(int(sys.argv[3])):
    t, c = time.perf_counter(), time.process_time()
    g = gpd.read_file(sys.argv[1], encoding="gbk", engine="pyogrio").to_crs(4547)
    out_enc = "utf-8" if sys.argv[4] == "auto" else sys.argv[4]
    g.to_file(sys.argv[2].replace("out", f"out{run}"), encoding=out_enc, engine="pyogrio")
    r = resource.getrusage(resource.RUSAGE_SELF)
    print(f"{time.process_time() - c:.2f} {time.perf_counter() - t:.2f} {r.ru_maxrss / 1024:.0f} {len(g)}")
"""


def make_files(folder: Path, rows: int, features: int) -> tuple[Path, Path]:
    import geopandas as gpd
    import numpy as np
    import pyogrio
    import shapely

    rng = np.random.default_rng(1)
    lon, lat = rng.uniform(113.0, 114.0, rows), rng.uniform(22.6, 24.0, rows)
    csv = folder / "gbk.csv"
    with csv.open("wb") as fh:
        fh.write("编号,名称,经度,纬度\r\n".encode("gbk"))
        for i in range(0, rows, 100_000):
            part = "".join(
                f"{j},测点{j}号,{lon[j]:.9f},{lat[j]:.9f}\r\n"
                for j in range(i, min(rows, i + 100_000))
            )
            fh.write(part.encode("gbk"))
    x, y = lon[:features], lat[:features]
    polys = shapely.box(x, y, x + 0.001, y + 0.001)
    gdf = gpd.GeoDataFrame(
        {"名称": [f"地块{i}" for i in range(features)], "用地": ["村庄建设用地"] * features},
        geometry=polys,
        crs=4490,
    )
    shp = folder / "parcels.shp"
    pyogrio.write_dataframe(gdf, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink()
    dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
    dbf[29] = 0x4D
    shp.with_suffix(".dbf").write_bytes(bytes(dbf))
    return csv, shp


def run(code: str, src: Path, out: Path, runs: int, encoding: str) -> list[list[str]]:
    """One fresh process converting ``runs`` times in a row: a line of numbers per run (the
    first pays the first-use costs: lazy imports, PROJ and GDAL set-up; the later ones are
    the steady throughput of a longer job)."""
    got = subprocess.run([sys.executable, "-c", code, str(src), str(out), str(runs), encoding],
                         capture_output=True, text=True, check=True)  # fmt: skip
    return [line.split() for line in got.stdout.splitlines()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--runs", type=int, default=2, help="conversions in a row in each process")
    ap.add_argument("--make", metavar="FOLDER", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make:  # in its own process: Linux keeps a parent's peak memory across exec
        make_files(Path(args.make), args.rows, args.features)
        return
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        subprocess.run(
            [sys.executable, __file__, "--make", d, "--rows", str(args.rows),
             "--features", str(args.features)],
            check=True,
        )  # fmt: skip
        csv, shp = folder / "gbk.csv", folder / "parcels.shp"
        print(f"GBK CSV {args.rows:,} rows, {csv.stat().st_size / 2**20:.0f} MiB; "
              f"GBK Shapefile {args.features:,} polygons")  # fmt: skip
        print("what                      tool       run   CPU s   wall s   peak MiB   rows")
        walls: dict[tuple[str, str, int], list[float]] = {}  # (what, tool, run) -> walls
        for _ in range(args.repeat):
            for what, src, enc, tools in (
                ("GBK CSV -> GK CM114", csv, "auto", (("suigeo", SUIGEO, ".csv"), ("geopandas", GEOPANDAS_CSV, ".csv"))),
                ("GBK SHP -> GK, UTF-8", shp, "auto", (("suigeo", SUIGEO, ".shp"), ("geopandas", GEOPANDAS_SHP, ".shp"))),
                ("GBK SHP -> GK, GBK kept", shp, "gbk", (("suigeo", SUIGEO, ".shp"), ("geopandas", GEOPANDAS_SHP, ".shp"))),
            ):  # fmt: skip
                for tool, code, suffix in tools:
                    out = folder / f"out_{tool}{suffix}"
                    for i, (cpu, wall, mem, n) in enumerate(run(code, src, out, args.runs, enc)):
                        print(
                            f"{what:<25} {tool:<10} {i + 1:>3} {cpu:>7} {wall:>8} {mem:>10} {n:>7}"
                        )
                        walls.setdefault((what, tool, i), []).append(float(wall))
        # geopandas' wall time over suigeo's, repeat by repeat (run 1: a fresh process)
        print("ratio (geopandas wall / suigeo wall), min-max over the repeats:")
        for (what, tool, i), ours in walls.items():
            if tool == "suigeo":
                ratios = [g / o for g, o in zip(walls[(what, "geopandas", i)], ours, strict=True)]
                kind = "first in its process" if i == 0 else f"run {i + 1} in its process"
                print(f"  {what:<25} {kind:<22} {min(ratios):.1f}-{max(ratios):.1f}x")


if __name__ == "__main__":
    main()
