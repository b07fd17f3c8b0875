"""Benchmark: a map of 10,000 features — build time, HTML size, browser load time.

Compares suigeo's ``maps.build`` (escaping, symbology, display simplification, offline
assets) with plain folium (one ``folium.GeoJson`` of the same data, no escaping, CDN links)
on the same data in the same run, and prints the ratios.

Data (synthetic, seeded): 6,000 points, 3,000 lines and 1,000 polygons around Guangzhou.
Lines are smooth curves sampled every ~2 m (like densified or GPS-traced data), polygons
circles of 200 vertices: the kind of geometry display simplification helps with.

Run: python benchmarks/bench_maps.py [--features 10000] [--no-browser]

``--demo [--before SRC]``: the demo map (``suigeo demo``) instead — build time, page size,
first contentful paint and the time until the map's layers (basemap, planning layers and
laid-out labels) are drawn, in headless Chromium. With ``--before SRC`` (a checkout of an
older suigeo, e.g. ``git archive main | tar -x -C SRC``) the same measurements are made for
that version too: the demo is built in a subprocess with SRC first on ``PYTHONPATH``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import shapely

from suigeo import maps
from suigeo.maps.browser import browser_available, chromium

M_PER_DEG = 111_320.0


def make_data(n: int, seed: int = 20251122) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    n_pts, n_lin = int(n * 0.6), int(n * 0.3)
    n_pol = n - n_pts - n_lin
    x0, y0 = rng.uniform(112.9, 114.0, n), rng.uniform(22.6, 23.9, n)
    pts = shapely.points(x0[:n_pts], y0[:n_pts])
    # lines: 1 km long sinusoids sampled every 2 m (501 vertices)
    t = np.linspace(0, 1000.0, 501) / M_PER_DEG
    lx = x0[n_pts : n_pts + n_lin, None] + t[None, :]
    ly = y0[n_pts : n_pts + n_lin, None] + 0.0005 * np.sin(t[None, :] * M_PER_DEG / 150.0)
    lines = shapely.linestrings(np.stack([lx, ly], axis=-1))
    # polygons: circles of radius 300 m, 200 vertices
    polys = shapely.buffer(shapely.points(x0[-n_pol:], y0[-n_pol:]), 300 / M_PER_DEG, quad_segs=50)
    geoms = np.concatenate([pts, lines, polys])
    kinds = np.array(["co_built_park"] * n_pts + ["high_speed"] * n_lin + ["forest_park"] * n_pol)
    status = rng.choice(["in_service", "under_construction", "planned"], n)
    return gpd.GeoDataFrame(
        {
            "id": [f"f{i}" for i in range(n)],
            "name_zh": [f"要素{i}" for i in range(n)],
            "name_en": [f"Feature {i}" for i in range(n)],
            "kind": kinds,
            "status": status,
            "source": "synthetic benchmark data",
            "accuracy_m": rng.uniform(1, 5000, n).round(1),
            "output_2020_yi": rng.uniform(0, 100, n).round(2),
        },
        geometry=geoms,
        crs="EPSG:4490",
    )


def plain_folium(gdf: gpd.GeoDataFrame) -> folium.Map:
    m = folium.Map(tiles=None)
    folium.GeoJson(
        gdf,
        name="plain",
        tooltip=folium.GeoJsonTooltip(fields=["name_zh", "name_en"]),
        popup=folium.GeoJsonPopup(fields=["name_zh", "output_2020_yi", "source", "accuracy_m"]),
        marker=folium.CircleMarker(radius=5),
    ).add_to(m)
    m.fit_bounds([[22.6, 112.9], [23.9, 114.0]])
    return m


def _offline(m: folium.Map) -> folium.Map:
    """Inline the same libraries into the reference page, so it loads with no network."""
    m.get_root().add_child(maps.offline.OfflineAssets())
    return m


def timed(fn, *args, **kw):
    t0 = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - t0


def browser_load(path: Path, expected_paths: int) -> float:
    with chromium(width=1600, height=1000) as driver:
        t0 = time.perf_counter()
        driver.get(path.resolve().as_uri())
        while time.perf_counter() - t0 < 120:
            n = driver.execute_script(
                "return document.readyState === 'complete' ? "
                "document.querySelectorAll('.leaflet-overlay-pane path').length : -1"
            )
            if n >= expected_paths:
                break
            time.sleep(0.02)
        return time.perf_counter() - t0


# Built in a subprocess so that the suigeo on PYTHONPATH is the one measured.
_BUILD_DEMO = """
import sys, time
t0 = time.perf_counter()
from suigeo import maps
t1 = time.perf_counter()
m = maps.demo_map()
maps.save_html(m, sys.argv[1])
t2 = time.perf_counter()
print(f"{t1 - t0:.3f} {t2 - t1:.3f}")
"""

# Runs in the page before any of its scripts: records when the map's layers are drawn — the
# planning layers' paths, the basemap's paths (when the page has a basemap pane) and at least
# one laid-out label — at the first animation frame after they all are there.
_PROBE = """
window.__suigeoDrawn = null;
(function poll() {
    const ov = document.querySelectorAll('.leaflet-overlay-pane path').length;
    const base = document.querySelector('.leaflet-suigeoBase-pane');
    const baseOk = !base || base.querySelectorAll('path').length > 0;
    const pane = document.querySelector('.leaflet-suigeoLabels-pane');
    const labels = pane && pane.style.visibility !== 'hidden' &&
        pane.querySelector('.suigeo-label:not(.suigeo-label-hidden)');
    if (ov > 0 && baseOk && labels) {
        requestAnimationFrame(() => { window.__suigeoDrawn = performance.now(); });
        return;
    }
    requestAnimationFrame(poll);
})();
"""


def demo_case(src: Path, out: Path, runs: int) -> dict[str, float]:
    """Build the demo with the suigeo in ``src``; measure it in Chromium ``runs`` times."""
    env = dict(os.environ, PYTHONPATH=str(src))
    t0 = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _BUILD_DEMO, str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=src,
    )
    wall = time.perf_counter() - t0
    t_import, t_build = (float(x) for x in done.stdout.split()[-2:])
    row = {"import_s": t_import, "build_s": t_build, "wall_s": wall, "bytes": out.stat().st_size}
    fcp, drawn = [], []
    with chromium(width=1600, height=1000) as driver:
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": _PROBE})
        for _ in range(runs):
            driver.get("about:blank")
            driver.get(out.resolve().as_uri())
            t_end = time.perf_counter() + 60
            while time.perf_counter() < t_end:
                got = driver.execute_script(
                    "const p = performance.getEntriesByName('first-contentful-paint')[0];"
                    "return [p ? p.startTime : null, window.__suigeoDrawn];"
                )
                if got[0] is not None and got[1] is not None:
                    break
                time.sleep(0.05)
            fcp.append(got[0] / 1000)
            drawn.append(got[1] / 1000)
    row |= {"fcp_s": statistics.median(fcp), "drawn_s": statistics.median(drawn)}
    row |= {"fcp_max_s": max(fcp), "drawn_max_s": max(drawn)}
    return row


def demo(before: Path | None, runs: int) -> int:
    here = Path(__file__).resolve().parents[1]
    cases = [("after (this tree)", here)]
    if before is not None:
        cases.insert(0, ("before (" + str(before) + ")", before))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (label, src) in enumerate(cases):
            rows.append((label, demo_case(src, Path(tmp) / f"demo{i}.html", runs)))
    print(json.dumps(rows, indent=1))
    print()
    print("| case | import s | build s | page MB | first contentful paint s | layers drawn s |")
    print("|---|---|---|---|---|---|")
    for label, r in rows:
        print(
            f"| {label} | {r['import_s']:.2f} | {r['build_s']:.2f} | {r['bytes'] / 1e6:.2f} "
            f"| {r['fcp_s']:.2f} (max {r['fcp_max_s']:.2f}) "
            f"| {r['drawn_s']:.2f} (max {r['drawn_max_s']:.2f}) |"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--features", type=int, default=10_000)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--demo", action="store_true", help="measure the demo map instead")
    ap.add_argument("--before", type=Path, help="with --demo: an older suigeo checkout too")
    ap.add_argument("--runs", type=int, default=5, help="with --demo: page loads per case")
    args = ap.parse_args(argv)
    if args.demo:
        return demo(args.before, args.runs)
    gdf = make_data(args.features)
    n_vertices = int(shapely.get_num_coordinates(gdf.geometry.values).sum())
    print(f"data: {len(gdf)} features, {n_vertices} vertices")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        cases = [
            ("plain folium (reference; same assets inlined)", lambda: _offline(plain_folium(gdf))),
            ("suigeo, simplify 0 (all vertices), offline", lambda: maps.build(
                {"bench": gdf}, simplify_m=0, offline=True)),
            ("suigeo, simplify 0.5 m (default), offline", lambda: maps.build({"bench": gdf})),
        ]  # fmt: skip
        for label, make in cases:
            m, t_build = timed(make)
            html, t_render = timed(maps.render_html, m)
            path = Path(tmp) / f"{len(rows)}.html"
            path.write_text(html, encoding="utf-8")
            size = os.path.getsize(path)
            load = None
            if browser_available()[0] and not args.no_browser:
                load = browser_load(path, len(gdf))
            rows.append((label, t_build, t_render, size, load))
    ref = rows[0]
    print()
    print(
        "| case | build s | render s | build+render vs folium | HTML MB | size vs folium "
        "| browser load s |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, tb, tr, size, load in rows:
        ratio = (tb + tr) / (ref[1] + ref[2])
        load_s = f"{load:.2f}" if load is not None else "not run"
        print(f"| {label} | {tb:.2f} | {tr:.2f} | {ratio:.2f}× | {size / 1e6:.2f} "
              f"| {size / ref[3]:.2f}× | {load_s} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
