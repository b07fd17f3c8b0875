"""Parcel indicators (plot ratio, coverage, green ratio, height) against an independent
brute force: shapely per (parcel, building) pair, sums and comparisons in Fractions.

Hand-computed bound cases: a 100 m x 100 m parcel (10000 m²) with a 50 m x 40 m building
(2000 m²) of 10 floors has GFA 20000 m², plot ratio exactly 2, coverage exactly 0.2; a
35 m x 100 m green strip gives a green ratio of exactly 0.35.
"""

from __future__ import annotations

import warnings
from fractions import Fraction
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely import affinity, box

from suigeo import crs
from suigeo.geo.rules import check_parcels

GK = "EPSG:4547"  # CGCS2000 3-degree Gauss-Krüger, central meridian 114E (no zone prefix)
X0, Y0 = 480000.0, 2560000.0  # near 113.8E, 23.1N
EXAMPLE = Path(__file__).resolve().parents[3] / "crs" / "examples" / "gz2000-example.toml"


def B(x0, y0, x1, y1):
    return box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frame(rows: list[dict], geoms, crs_=GK) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry=list(geoms), crs=crs_)


def by(res, parcel, indicator):
    r = res.report
    row = r[(r["parcel"] == parcel) & (r["indicator"] == indicator)]
    assert len(row) == 1
    return row.iloc[0]


# --------------------------------------------------------------------------- bounds


def _one(limits: dict, *, floors=10, height=33.0, green=True):
    parcels = frame([{"id": "A", **limits}], [B(0, 0, 100, 100)])
    buildings = frame([{"floors": floors, "height_m": height}], [B(10, 10, 60, 50)])
    g = frame([{}], [B(0, 65, 100, 100)]) if green else None  # 35 m x 100 m
    return check_parcels(parcels, buildings, g)


@pytest.mark.parametrize(
    ("limits", "indicator", "status"),
    [
        ({"far_max": "2.0"}, "plot_ratio", "pass"),  # at
        ({"far_max": "1.9999999999"}, "plot_ratio", "fail"),  # just below the value
        ({"far_max": "2.0000000001"}, "plot_ratio", "pass"),
        ({"far_min": "2.0"}, "plot_ratio", "pass"),
        ({"far_min": "2.0000000001"}, "plot_ratio", "fail"),
        ({"far_min": "1.9999999999", "far_max": "2"}, "plot_ratio", "pass"),
        ({"coverage_max": "20%"}, "coverage", "pass"),
        ({"coverage_max": "0.2"}, "coverage", "pass"),
        ({"coverage_max": "19.99999999%"}, "coverage", "fail"),
        ({"coverage_max": "0.2000000001"}, "coverage", "pass"),
        ({"green_min": "0.35"}, "green_ratio", "pass"),
        ({"green_min": "35%"}, "green_ratio", "pass"),
        ({"green_min": "0.3500000001"}, "green_ratio", "fail"),
        ({"green_min": "0.3499999999"}, "green_ratio", "pass"),
        ({"height_max": "33"}, "height", "pass"),
        ({"height_max": "32.99"}, "height", "fail"),
        ({"height_max": "33.01"}, "height", "pass"),
        ({"height_max": "33米"}, "height", "pass"),
    ],
)
def test_status_at_and_around_each_bound(limits, indicator, status):
    res = _one(limits)
    row = by(res, "A", indicator)
    assert row["status"] == status, row["reason"]
    expected = {"plot_ratio": 2.0, "coverage": 0.2, "green_ratio": 0.35, "height": 33.0}
    assert row["value"] == expected[indicator]


def test_exact_decision_where_float_is_wrong():
    # Parcel 10 x 25 = 250 m². Building X (30 x 10, gfa 1600) has 1/3 of its footprint in
    # the parcel, building Y (15 x 10, gfa 1600) 2/3: 1600/3 + 3200/3 = 1600 m² exactly,
    # plot ratio 1600/250 = 6.4 exactly; float arithmetic gives 6.3999999999999995.
    parcels = frame(
        [{"id": "A", "far_min": "6.4"}, {"id": "B", "far_min": "6.4000000001"}],
        [B(0, 0, 10, 25), B(100, 0, 110, 25)],
    )
    buildings = frame(
        [{"gfa_m2": 1600, "height_m": 10}, {"gfa_m2": 1600, "height_m": 10}] * 2,
        [B(-20, 0, 10, 10), B(-5, 10, 10, 20), B(80, 0, 110, 10), B(95, 10, 110, 20)],
    )
    assert 1600 * (100 / 300) + 1600 * (100 / 150) < 1600  # the float sum is below
    res = check_parcels(parcels, buildings)
    assert by(res, "A", "plot_ratio")["status"] == "pass"
    assert by(res, "B", "plot_ratio")["status"] == "fail"
    assert res.exact_decisions >= 2
    # the straddling buildings are listed with their shares, the outside part included
    s = res.straddling
    assert set(s["building"]) == {"1", "2", "3", "4"}
    a = s[(s["building"] == "1") & (s["parcel"] == "A")].iloc[0]
    assert a["share"] == pytest.approx(1 / 3) and a["gfa_m2"] == pytest.approx(1600 / 3)
    out = s[(s["building"] == "1") & s["parcel"].isna()].iloc[0]
    assert out["share"] == pytest.approx(2 / 3)


# ---------------------------------------------------------------------- brute force


def _random_layers(seed: int, nx: int = 6, ny: int = 5):
    rng = np.random.default_rng(seed)
    size = 100.0
    pgeoms, prows = [], []
    for i in range(nx):
        for j in range(ny):
            g = B(i * size, j * size, (i + 1) * size, (j + 1) * size)
            k = (i * ny + j) % 7
            if k == 3:  # a hole (a courtyard that belongs to no parcel)
                g = g.difference(B(i * size + 40, j * size + 40, i * size + 60, j * size + 60))
            if k == 5:  # a multipolygon: the cell split in two, one piece given to no one
                g = shapely.MultiPolygon(
                    [
                        B(i * size, j * size, i * size + 45, (j + 1) * size),
                        B(i * size + 55, j * size, (i + 1) * size, (j + 1) * size),
                    ]
                )
            pgeoms.append(g)
            prows.append(
                {
                    "id": f"P{i}-{j}",
                    "far_max": f"{rng.uniform(0.5, 4):.2f}",
                    "far_min": f"{rng.uniform(0, 1):.2f}" if k % 2 else None,
                    "coverage_max": f"{rng.integers(15, 60)}%",
                    "green_min": f"{rng.uniform(0.05, 0.4):.3f}",
                    "height_max": f"{rng.uniform(20, 100):.1f}",
                }
            )
    bgeoms, brows = [], []
    for _ in range(nx * ny * 4):
        w, h = rng.uniform(8, 60, 2)
        cx, cy = rng.uniform(-20, nx * size + 20), rng.uniform(-20, ny * size + 20)
        g = B(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        if rng.random() < 0.3:
            g = affinity.rotate(g, float(rng.uniform(0, 90)))
        bgeoms.append(g)
        given = rng.random() < 0.4
        brows.append(
            {
                "floors": None if given else int(rng.integers(1, 30)),
                "gfa_m2": f"{rng.uniform(100, 20000):.2f}" if given else None,
                "height_m": f"{rng.uniform(3, 110):.1f}",
            }
        )
    # touching: a building sharing only an edge with parcel P0-0 (lies in P1-0 only)
    bgeoms.append(B(100, 10, 130, 30))
    brows.append({"floors": 3, "gfa_m2": None, "height_m": "9"})
    centres = rng.uniform(0, 1, (nx * ny, 2)) * [nx * size, ny * size]
    ggeoms = [  # green squares, some overlapping each other, one drawn twice
        shapely.Point(X0 + cx, Y0 + cy).buffer(float(rng.uniform(5, 40)), cap_style="square")
        for cx, cy in centres
    ]
    ggeoms.append(ggeoms[0])
    return frame(prows, pgeoms), frame(brows, bgeoms), frame([{}] * len(ggeoms), ggeoms)


def _fraction(cell) -> Fraction | None:
    if cell is None or (isinstance(cell, float) and np.isnan(cell)):
        return None
    text = str(cell).strip()
    if text.endswith("%"):
        return Fraction(text[:-1]) / 100
    return Fraction(text)


def _brute(parcels, buildings, green):
    """Per parcel, per indicator: (exact value, status) by shapely per pair + Fractions."""
    out = {}
    for _, p in parcels.iterrows():
        pg = p.geometry
        site = Fraction(pg.area)
        gfa, heights, pieces = Fraction(0), [], []
        for _, b in buildings.iterrows():
            inter = b.geometry.intersection(pg)
            a = inter.area
            if a <= 0:
                continue
            pieces.append(inter)
            heights.append(Fraction(b["height_m"]))
            if not pd.isna(b["gfa_m2"]):
                gfa += Fraction(b["gfa_m2"]) * Fraction(a) / Fraction(b.geometry.area)
            else:
                gfa += int(b["floors"]) * Fraction(a)
        cov = Fraction(shapely.union_all(pieces).area) if pieces else Fraction(0)
        gpieces = [g.intersection(pg) for g in green.geometry]
        gpieces = [x for x in gpieces if x.area > 0]
        grn = Fraction(shapely.union_all(gpieces).area) if gpieces else Fraction(0)
        vals = {
            "plot_ratio": (gfa / site, _fraction(p["far_min"]), _fraction(p["far_max"])),
            "coverage": (cov / site, None, _fraction(p["coverage_max"])),
            "green_ratio": (grn / site, _fraction(p["green_min"]), None),
            "height": (max(heights, default=Fraction(0)), None, _fraction(p["height_max"])),
        }
        for ind, (v, lo, hi) in vals.items():
            ok = (lo is None or v >= lo) and (hi is None or v <= hi)
            out[(p["id"], ind)] = (v, "pass" if ok else "fail")
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_agrees_with_brute_force(seed):
    parcels, buildings, green = _random_layers(seed)
    res = check_parcels(parcels, buildings, green)
    ref = _brute(parcels, buildings, green)
    assert len(res.report) == len(ref) == 4 * len(parcels)
    for row in res.report.itertuples():
        v, status = ref[(row.parcel, row.indicator)]
        assert row.value == pytest.approx(float(v), rel=1e-9, abs=1e-12), row
        assert row.status == status, (row, float(v))
    # straddling buildings: each listed piece agrees with its own intersection
    s = res.straddling
    assert len(s) > 0 and s["parcel"].notna().any() and s["parcel"].isna().any()
    total = s.groupby("building")["share"].sum()
    assert np.allclose(total.to_numpy(), 1.0)
    # buildings wholly outside every parcel are in the rejects, never dropped
    union = shapely.union_all(parcels.geometry.to_numpy())
    nowhere = [
        str(i + 1) for i, g in enumerate(buildings.geometry) if g.intersection(union).area == 0
    ]
    rej = res.rejects
    assert sorted(rej.loc[rej["reason"] == "in_no_parcel", "id"]) == sorted(nowhere)


def _stacked_and_overlapping(seed: int):
    """The random layers plus what makes the dissolving paths work: a parcel drawn over
    four others, and footprints drawn on top of each other (stacks of 2-4 copies, shifted),
    in one parcel and across a parcel edge."""
    parcels, buildings, green = _random_layers(seed)
    extra = frame(
        [{"id": "OVER", "far_max": "3.0", "far_min": None, "coverage_max": "45%",
          "green_min": "0.1", "height_max": "80"}],
        [B(50, 50, 150, 150)],
    )  # fmt: skip
    rng = np.random.default_rng(seed)
    rows, geoms = [], []
    for x, y in rng.uniform(0, 550, (12, 2)):
        for k in range(int(rng.integers(2, 5))):
            geoms.append(B(x + 3 * k, y + 2 * k, x + 25 + 3 * k, y + 18 + 2 * k))
            rows.append({"floors": int(rng.integers(1, 9)), "gfa_m2": None,
                         "height_m": f"{rng.uniform(3, 40):.1f}"})  # fmt: skip
    parcels = pd.concat([parcels, extra], ignore_index=True)
    buildings = pd.concat([buildings, frame(rows, geoms)], ignore_index=True)
    return parcels, buildings, green


@pytest.mark.parametrize("seed", [3, 4])
def test_overlapping_parcels_and_stacked_footprints_agree_with_brute_force(seed):
    parcels, buildings, green = _stacked_and_overlapping(seed)
    res = check_parcels(parcels, buildings, green)
    ref = _brute(parcels, buildings, green)
    assert len(res.report) == len(ref) == 4 * len(parcels)
    for row in res.report.itertuples():
        v, status = ref[(row.parcel, row.indicator)]
        assert row.value == pytest.approx(float(v), rel=1e-9, abs=1e-12), row
        assert row.status == status, (row, float(v))


def test_threaded_chunks_give_the_same_report(monkeypatch):
    """The GEOS steps cut into chunks over threads give the report of one call, bit for bit."""
    from suigeo.geo.rules import parcels as module

    layers = _stacked_and_overlapping(5)
    monkeypatch.setattr(module, "_workers", lambda: 1)
    one = check_parcels(*layers)
    monkeypatch.setattr(module, "_workers", lambda: 3)
    monkeypatch.setattr(module, "_PARALLEL_MIN", 1)
    three = check_parcels(*layers)
    pd.testing.assert_frame_equal(one.report, three.report)
    pd.testing.assert_frame_equal(one.straddling, three.straddling)
    pd.testing.assert_frame_equal(one.rejects, three.rejects)
    assert (one.report["status"] != "pass").any() and (one.report["status"] == "pass").any()
    # parcels with many polygons find their overlapping pairs with an STRtree: the same
    monkeypatch.setattr(module, "_GROUP_PAIRS_MAX", 1)
    big = check_parcels(*layers)
    pd.testing.assert_frame_equal(one.report, big.report)


def test_lonlat_and_gk_input_give_the_same_result():
    parcels, buildings, green = _random_layers(3, 4, 3)
    gk = check_parcels(parcels, buildings, green)
    ll = check_parcels(*(f.to_crs("EPSG:4490") for f in (parcels, buildings, green)))
    assert ll.area_system.startswith("CGCS2000-3GK-CM114")
    a, b = gk.report, ll.report
    assert (a["parcel"] == b["parcel"]).all() and (a["indicator"] == b["indicator"]).all()
    assert np.allclose(a["value"], b["value"], rtol=1e-6, atol=1e-9)
    assert np.allclose(gk.parcels["site_area_m2"], ll.parcels["site_area_m2"], rtol=1e-6)


def test_gz2000_input_with_params():
    parcels, buildings, green = _random_layers(4, 3, 3)
    gk = check_parcels(parcels, buildings, green)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the example parameter file says it is an example
        gz = [crs.to_crs(f, "GZ2000", EXAMPLE) for f in (parcels, buildings, green)]
        for f in gz:
            f.attrs.pop(crs.FRAME_ATTR, None)  # a file in GZ2000 says nothing: src= tells
        res = check_parcels(*gz, src="GZ2000", params=EXAMPLE)
    assert res.area_system.startswith("CGCS2000-3GK-CM114")
    assert np.allclose(gk.report["value"], res.report["value"], rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------- inputs, rejects


def test_chinese_headers_units_and_overrides():
    limits = {"地块编号": "甲", "容积率上限": 2, "建筑密度上限(%)": 20}
    limits.update({"绿地率下限": "35%", "限高": 40})
    parcels = frame([limits], [B(0, 0, 100, 100)])
    buildings = frame(
        [{"建筑面积(万平方米)": "2", "建筑高度": "33米"}], [B(10, 10, 60, 50)]
    )  # 2 万平方米 = 20000 m²
    res = check_parcels(parcels, buildings, frame([{}], [B(0, 65, 100, 100)]))
    assert res.report["parcel"].unique().tolist() == ["甲"]
    assert res.report["status"].tolist() == ["pass"] * 4
    assert by(res, "甲", "plot_ratio")["value"] == 2.0
    assert by(res, "甲", "coverage")["limit"] == "<= 0.2"
    renamed = frame([{"PID": "A", "FAR_UP": 1.5}], [B(0, 0, 100, 100)])
    res = check_parcels(
        renamed,
        frame([{"NLAYER": 10, "H": 30}], [B(10, 10, 60, 50)]),
        columns={"far_max": "FAR_UP", "floors": "NLAYER", "height_m": "H"},
        id_column="PID",
    )
    assert by(res, "A", "plot_ratio")["status"] == "fail"
    assert by(res, "A", "plot_ratio")["reason"] == "above the maximum"


def test_rejects_never_drop_a_row():
    bowtie = shapely.Polygon([(X0, Y0), (X0 + 10, Y0 + 10), (X0 + 10, Y0), (X0, Y0 + 10)])
    parcels = frame(
        [
            {"id": "A", "far_max": 2, "coverage_max": "35"},  # 35 without %: refused
            {"id": "B", "far_max": None},  # no limit at all for any indicator
            {"id": "C", "far_max": "abc"},
        ],
        [B(0, 0, 100, 100), B(100, 0, 200, 100), B(200, 0, 300, 100)],
    )
    buildings = frame(
        [
            {"floors": 2, "height_m": 6},
            {"floors": None, "height_m": 6},  # no floors, no GFA
            {"floors": 2, "height_m": 6},  # in no parcel
            {"floors": 2, "height_m": 6},  # invalid geometry
        ],
        [B(10, 10, 20, 20), B(110, 10, 120, 20), B(500, 500, 510, 510), bowtie],
    )
    res = check_parcels(parcels, buildings)
    rej = res.rejects
    reasons = set(zip(rej["layer"], rej["id"], rej["reason"], strict=True))
    assert ("parcels", "A", "bad_limit") in reasons
    assert ("parcels", "C", "bad_limit") in reasons
    assert ("parcels", "B", "missing_limit") in reasons
    assert ("buildings", "2", "missing_value") in reasons
    assert ("buildings", "3", "in_no_parcel") in reasons
    assert ("buildings", "4", "invalid_geometry") in reasons
    assert by(res, "A", "coverage")["status"] == "not_evaluable"
    assert by(res, "A", "plot_ratio")["status"] == "not_evaluable"  # the bowtie may lie in A
    assert "rejected" in by(res, "A", "plot_ratio")["reason"]
    assert by(res, "B", "plot_ratio")["reason"].startswith("a building in it has neither")
    assert by(res, "C", "plot_ratio")["reason"] == "bad far_min or far_max (see rejects)"
    assert len(res.report) == 12  # every parcel is reported


def test_web_mercator_input_is_measured_in_the_gk_zone():
    parcels, buildings, green = _random_layers(5, 3, 2)
    gk = check_parcels(parcels, buildings, green)
    wm = check_parcels(*(f.to_crs("EPSG:3857") for f in (parcels, buildings, green)))
    assert wm.area_system.startswith("CGCS2000-3GK-CM114")
    assert np.allclose(gk.parcels["site_area_m2"], wm.parcels["site_area_m2"], rtol=1e-6)
    forced = check_parcels(parcels, buildings, green, area_system="EPSG:3857")
    ratio = forced.parcels["site_area_m2"] / gk.parcels["site_area_m2"]
    assert (ratio > 1.1).all()  # Web Mercator's areal scale at 23°N: 1/cos²(23°) = 1.18


def test_layers_in_different_systems_meet_in_one_plane():
    parcels, buildings, green = _random_layers(6, 3, 2)
    same = check_parcels(parcels, buildings, green)
    mixed = check_parcels(parcels, buildings.to_crs("EPSG:4490"), green.to_crs("EPSG:3857"))
    assert mixed.area_system == same.area_system  # the parcels' own GK zone
    assert np.allclose(same.report["value"], mixed.report["value"], rtol=1e-6, atol=1e-9)
