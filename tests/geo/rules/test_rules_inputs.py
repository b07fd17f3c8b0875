"""Input contract: missing inputs, unknown fields, units, types, shares, polygons."""

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers_rules import VILLAGE, outcome, village
from pyproj import CRS, Geod, Proj
from shapely.geometry import Polygon, box

from suigeo.errors import InputError
from suigeo.geo.rules import check, gk_zone_for_longitude, prepare, read_input
from suigeo.geo.rules.ruleset import load_ruleset

VI = "village-industrial-2022"
# CGCS2000 ellipsoid (EPSG:1024): a = 6378137 m, 1/f = 298.257222101
GEOD = Geod(a=6378137.0, f=1 / 298.257222101)


def test_missing_input_is_not_evaluable_and_names_the_field():
    p = dict(VILLAGE)
    del p["counted_gfa_m2"]
    status, value, reason = outcome(VI, p, "plot-ratio")
    assert status == "not_evaluable"
    assert "counted_gfa_m2" in reason
    assert np.isnan(value)


def test_missing_selector_is_not_evaluable():
    status, _, reason = outcome(VI, village(central_urban=None), "site-area")
    assert status == "not_evaluable" and "central_urban" in reason


def test_missing_exemption_when_outside_bound_is_not_evaluable():
    p = village(counted_gfa_m2=600000, special_process=None)
    status, _, reason = outcome(VI, p, "plot-ratio")
    assert status == "not_evaluable" and "special_process" in reason


def test_zero_denominator_is_not_evaluable():
    p = {"id": "Z", "counted_gfa_m2": 0, "ancillary_gfa_m2": 0}
    status, _, reason = outcome(VI, p, "ancillary-share")
    assert status == "not_evaluable" and "zero" in reason


def test_empty_table_gives_no_results():
    frame = pd.DataFrame({"id": pd.Series([], dtype=str)})
    res = check(frame, VI, as_of="2024-01-01")
    assert len(res.to_frame()) == 0 and not res.any_failed


@pytest.mark.parametrize(
    ("project", "words"),
    [
        ({**VILLAGE, "site_area_ha": 6}, ["site_area_ha", "site_area_m2", "10000"]),
        ({**VILLAGE, "plot_ratio": 4}, ["plot_ratio", "unknown field"]),
        ({**VILLAGE, "site_area_m2": "6 km"}, ["site_area_m2", "wrong unit", "'V1'"]),
        ({**VILLAGE, "site_area_m2": "lots"}, ["site_area_m2", "not a number"]),
        ({**VILLAGE, "site_area_m2": True}, ["site_area_m2", "true/false"]),
        ({**VILLAGE, "central_urban": "maybe"}, ["central_urban", "true or false"]),
        ({**VILLAGE, "counted_gfa_m2": -5}, ["counted_gfa_m2", "negative", "'V1'"]),
        ({**VILLAGE, "site_area_m2": 0}, ["site_area_m2", "greater than 0"]),
        ({**VILLAGE, "living_service_gfa_m2": 50000}, ["living_service_gfa_m2", "over 100%"]),
        ({**VILLAGE, "ancillary_gfa_m2": 250000}, ["ancillary_gfa_m2", "over 100%"]),
        ({k: v for k, v in VILLAGE.items() if k != "id"}, ["'id'"]),
    ],
)
def test_bad_input_raises_naming_project_and_field(project, words):
    with pytest.raises(InputError) as err:
        check(project, VI, as_of="2024-01-01")
    for w in words:
        assert w in str(err.value)


def test_share_over_100_percent_in_other_rule_sets():
    with pytest.raises(InputError, match=r"policy_small_dorm_units.*over 100%"):
        check(
            {"id": "R", "policy_housing_units": 10, "policy_small_dorm_units": 11},
            "renewal-housing-2022",
        )
    with pytest.raises(InputError, match="whole number"):
        check({"id": "R", "policy_housing_units": 10.5}, "renewal-housing-2022")
    with pytest.raises(InputError, match="must be one of"):
        check({"id": "S", "product": "lidar"}, "survey-update-2022")


def test_hectares_are_converted_exactly():
    p = prepare({**VILLAGE, "site_area_m2": "5.00001 ha"}, load_ruleset(VI))
    assert p.data["site_area_m2"][0] == 50000.1


def test_fields_of_other_rule_sets_are_ignored_not_rejected():
    p = {**VILLAGE, "mine_restored_area_m2": 100}
    assert outcome(VI, p, "plot-ratio")[0] == "pass"


def test_csv_errors_name_file_line_and_column(tmp_path):
    f = tmp_path / "p.csv"
    f.write_text("id,site_area_m2,counted_gfa_m2\nA,1000,4000\nB,-3,4000\n", encoding="utf-8")
    table = read_input(f)
    with pytest.raises(InputError) as err:
        prepare(table, load_ruleset(VI), source=str(f), line_offset=1)
    msg = str(err.value)
    assert "p.csv" in msg and "row 2 (line 3)" in msg and "'B'" in msg and "site_area_m2" in msg


def test_reject_mode_sets_bad_rows_aside_and_checks_the_rest():
    table = pd.DataFrame(
        {
            "id": ["A", "B", "C"],
            "site_area_m2": [1000, -1, 1000],
            "counted_gfa_m2": [4000, 1, 9000],
            "special_process": [False, False, False],
        }
    )
    res = check(table, VI, as_of="2024-01-01", on_error="reject")
    assert list(res.projects.ids) == ["A", "C"]
    rej = res.projects.rejects
    assert rej[["row", "id", "column"]].values.tolist() == [[2, "B", "site_area_m2"]]
    assert res.any_failed  # C has plot ratio 9


def test_duplicate_ids_are_rejected():
    table = pd.DataFrame({"id": ["A", "A"], "site_area_m2": [1, 2]})
    with pytest.raises(InputError, match="duplicate project id 'A'"):
        check(table, VI)


# --- polygons: plane area in a Gauss-Krüger zone, compared with the geodesic area --------


def _square(lon, lat, d=0.005):
    return box(lon - d, lat - d, lon + d, lat + d)


@pytest.mark.parametrize(
    ("lon", "lat", "raw_tol"),
    [(113.9, 23.3, 1e-5), (113.26, 23.13, 2e-4), (115.9, 24.3, 4e-4)],
)
def test_polygon_area_against_geodesic_area(lon, lat, raw_tol):
    poly = Polygon(
        [
            (lon - 0.004, lat - 0.003),
            (lon + 0.005, lat - 0.004),
            (lon + 0.006, lat + 0.004),
            (lon - 0.003, lat + 0.005),
        ]
    )
    gdf = gpd.GeoDataFrame({"id": ["G"], "counted_gfa_m2": [1.0]}, geometry=[poly], crs=4490)
    p = prepare(gdf, load_ruleset(VI))
    area = p.data["site_area_m2"][0]
    geodesic = abs(GEOD.geometry_area_perimeter(poly)[0])
    zone = gk_zone_for_longitude(lon)
    # A conformal projection scales areas by k**2 (PROJ's own areal scale at the point).
    k2 = Proj(CRS.from_epsg(zone.epsg)).get_factors(lon, lat).areal_scale
    assert area == pytest.approx(geodesic * k2, rel=2e-6)
    # Uncorrected, the plane area exceeds the geodesic one by the GK scale distortion:
    # ~1e-6 near the central meridian, ~1.4e-4 in central Guangzhou, ~3e-4 at 1.1 deg off.
    assert area == pytest.approx(geodesic, rel=raw_tol)
    assert f"EPSG:{zone.epsg}" in p.notes["site_area_m2"][0]


def test_polygon_zone_follows_the_longitude():
    assert gk_zone_for_longitude(113.3).epsg == 4547
    assert gk_zone_for_longitude(112.2).epsg == 4546
    assert gk_zone_for_longitude(116.1).epsg == 4548
    assert gk_zone_for_longitude(120.0).epsg == 4549  # CGCS2000 / 3-degree GK CM 120E
    with pytest.raises(InputError):
        gk_zone_for_longitude(10.0)


def test_polygon_area_in_a_named_crs_and_given_area_wins():
    geoms = [_square(113.9, 23.3), _square(113.9, 23.31)]
    gdf = gpd.GeoDataFrame(
        {"id": ["A", "B"], "site_area_m2": [np.nan, 1234.5]}, geometry=geoms, crs="EPSG:4490"
    )
    p = prepare(gdf, load_ruleset(VI), area_system="CGCS2000-3GK-Z38")
    ref = gpd.GeoSeries(geoms[:1], crs=4490).to_crs(4526).area.iloc[0]
    assert p.data["site_area_m2"][0] == pytest.approx(ref, rel=1e-12)
    assert p.data["site_area_m2"][1] == 1234.5
    with pytest.raises(InputError, match="not a plane"):
        prepare(gdf, load_ruleset(VI), area_system="CGCS2000")


def test_polygon_in_projected_crs_and_without_crs():
    sq = box(500000, 2500000, 500100, 2500200)
    gdf = gpd.GeoDataFrame({"id": ["A"]}, geometry=[sq], crs=4547)
    assert prepare(gdf, load_ruleset(VI)).data["site_area_m2"][0] == 20000.0
    with pytest.raises(InputError, match="no CRS"):
        prepare(gdf.set_crs(None, allow_override=True), load_ruleset(VI))


def test_point_geometry_is_an_error():
    gdf = gpd.GeoDataFrame({"id": ["A"]}, geometry=gpd.points_from_xy([113.3], [23.1]), crs=4490)
    with pytest.raises(InputError, match="polygon"):
        prepare(gdf, load_ruleset(VI))


def test_geopackage_and_project_json_with_geometry(tmp_path):
    poly = _square(113.9, 23.3)
    gdf = gpd.GeoDataFrame({"id": ["A"], "counted_gfa_m2": [1.0]}, geometry=[poly], crs=4490)
    gpkg = tmp_path / "p.gpkg"
    gdf.to_file(gpkg, engine="pyogrio")
    ref = abs(GEOD.geometry_area_perimeter(poly)[0])
    p = prepare(read_input(gpkg), load_ruleset(VI))
    assert p.data["site_area_m2"][0] == pytest.approx(ref, rel=1e-4)
    js = tmp_path / "p.json"
    js.write_text(json.dumps({"id": "A", "geometry": poly.__geo_interface__}), encoding="utf-8")
    p = prepare(read_input(js), load_ruleset(VI))
    assert p.data["site_area_m2"][0] == pytest.approx(ref, rel=1e-4)


def test_toml_and_parquet_inputs(tmp_path):
    t = tmp_path / "p.toml"
    t.write_text(
        'id = "T"\nsite_area_m2 = 1000.02\ncounted_gfa_m2 = 5000.10\nspecial_process = false\n',
        encoding="utf-8",
    )
    res = check(read_input(t), VI, as_of="2024-01-01").to_frame().set_index("rule")
    assert res.loc["plot-ratio", "status"] == "pass"
    pq = tmp_path / "p.parquet"
    pd.DataFrame([village()]).to_parquet(pq)
    res = check(read_input(pq), VI, as_of="2024-01-01")
    assert res.counts()["fail"] == 0 and res.counts()["pass"] == 11


def test_invalid_polygon_is_an_error_naming_project_and_reason():
    # a bow-tie (self-intersecting) outline: its signed lobes cancel, so the computed
    # "area" would be meaningless (shapely gives ~0 m² for a site of ~2 ha per lobe)
    bowtie = Polygon([(113.3, 23.1), (113.302, 23.102), (113.302, 23.1), (113.3, 23.102)])
    good = _square(113.9, 23.3)
    gdf = gpd.GeoDataFrame(
        {"id": ["ok", "bow"], "counted_gfa_m2": [1.0, 1.0]}, geometry=[good, bowtie], crs=4490
    )
    with pytest.raises(InputError) as exc:
        prepare(gdf, load_ruleset(VI))
    msg = str(exc.value)
    assert "project 'bow'" in msg and "'geometry'" in msg and "Self-intersection" in msg
    assert "project 'ok'" not in msg
    p = prepare(gdf, load_ruleset(VI), on_error="reject")
    assert list(p.ids) == ["ok"] and list(p.rejects["id"]) == ["bow"]


@pytest.mark.parametrize(
    "cells",
    [
        ["1000.02", "5000.10", "true", "1500.03"],  # plain numbers: the one-pass parse
        ["1000.02", "0.50001 ha", "是", "1500.03"],  # a unit: the cell-by-cell path
        ["1e3", ".5", "no", ""],  # exponent, leading dot, empty cell
    ],
)
def test_string_columns_parse_like_python_objects(cells):
    # read_csv(dtype=str) gives pandas string columns, JSON gives Python objects: both must
    # give the same numbers (bit for bit, so exact decisions stay exact) and flags
    cols = ["site_area_m2", "counted_gfa_m2", "central_urban", "ancillary_gfa_m2"]
    rows = {"id": ["A"], **{c: [v] for c, v in zip(cols, cells, strict=True)}}
    as_text = pd.DataFrame(rows, dtype="str")
    as_objects = pd.DataFrame(rows, dtype=object)
    a = prepare(as_text, load_ruleset(VI), on_error="reject")
    b = prepare(as_objects, load_ruleset(VI), on_error="reject")
    for c in cols:
        np.testing.assert_array_equal(a.data[c], b.data[c])
    assert a.rejects.to_dict("list") == b.rejects.to_dict("list")
    # the reference: Python's own correctly rounded float() of each decimal string
    if cells[1] == "5000.10":
        assert a.data["counted_gfa_m2"][0] == float("5000.10")


def test_string_columns_report_the_same_problems_as_objects():
    rows = {
        "id": ["A", "B", "C", "D"],
        "site_area_m2": ["nan", "inf", "5 km", "-1"],
        "central_urban": ["maybe", "1", "否", ""],
    }
    a = prepare(pd.DataFrame(rows, dtype="str"), load_ruleset(VI), on_error="reject")
    b = prepare(pd.DataFrame(rows, dtype=object), load_ruleset(VI), on_error="reject")
    assert a.rejects.to_dict("list") == b.rejects.to_dict("list")
    assert list(a.rejects["id"]) == ["A", "A", "B", "C", "D"]


def test_every_unknown_field_is_named_at_once():
    table = pd.DataFrame({"id": ["A"], "site_area_ha": [5], "plot_ratio": [4], "gfa": [1]})
    with pytest.raises(InputError) as exc:
        prepare(table, load_ruleset(VI))
    msg = str(exc.value)
    for name in ("site_area_ha", "plot_ratio", "gfa"):
        assert repr(name) in msg
    assert "'site_area_m2'" in msg  # the nearest known name for the first


def test_duplicate_ids_name_every_row_and_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,site_area_m2\nA,1\nB,2\nA,3\nB,4\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        prepare(read_input(path), load_ruleset(VI), source=str(path), line_offset=1)
    msg = str(exc.value)
    # rows 1 and 3 (file lines 2 and 4) share 'A'; rows 2 and 4 (lines 3 and 5) share 'B'
    assert "duplicate project id 'A' in rows 1, 3 (lines 2, 4)" in msg
    assert "duplicate project id 'B' in rows 2, 4 (lines 3, 5)" in msg


def test_csv_row_with_an_extra_cell_is_refused_not_shifted(tmp_path):
    # "A,5,7" under a two-column header: pandas' C parser silently turned 'A' into the
    # index, read id '5' and site area 7; the row must be refused instead
    path = tmp_path / "p.csv"
    path.write_text("id,site_area_m2\nA,5,7\nB,6\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"p\.csv.*row 1 \(line 2\) has 3 cells"):
        read_input(path)


def test_metres_in_a_lon_lat_file_are_an_error_naming_project_and_fix(tmp_path):
    # a project file whose polygon is in Gauss-Krüger metres but says no crs (so lon/lat)
    js = tmp_path / "p.json"
    square = box(430000, 2560000, 430200, 2560200)
    js.write_text(
        json.dumps({"id": "P", "counted_gfa_m2": 1, "geometry": square.__geo_interface__}),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as exc:
        prepare(read_input(js), load_ruleset(VI), source=str(js))
    msg = str(exc.value)
    assert "p.json" in msg and "project 'P'" in msg and "'geometry'" in msg
    assert "--from" in msg
    # with the right system named, the area is the square's 40000 m² (200 m x 200 m)
    p = prepare(read_input(js, src="CGCS2000-3GK-CM114"), load_ruleset(VI))
    assert p.data["site_area_m2"][0] == 40000.0


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # a blank line: B is on file line 4, C on line 5
        # a blank line: rows stay line - 1 (suigeo.io.csvtable)
        ("id,site_area_m2\nA,1\n\nB,-1\nC,-2\n", ["row 3 (line 4)", "row 4 (line 5)"]),
        # a quoted note running over two lines (CRLF file): B on line 3, C on line 5
        (
            'id,site_area_m2,note\r\nA,1,ok\r\nB,-1,"two\nlines"\r\nC,-2,x\r\n',
            ["row 2 (line 3)", "row 3 (line 5)"],
        ),
    ],
)
def test_csv_line_numbers_are_the_files_own(tmp_path, text, where):
    path = tmp_path / "p.csv"
    path.write_bytes(text.encode("utf-8"))
    with pytest.raises(InputError) as exc:
        prepare(read_input(path), load_ruleset(VI), source="p.csv", line_offset=1)
    msg = str(exc.value)
    assert all(w in msg for w in where), msg
    p = prepare(read_input(path), load_ruleset(VI), line_offset=1, on_error="reject")
    assert list(p.rejects["row"]) == [int(w.split(" ")[1]) for w in where]


def test_csv_line_numbers_follow_rows_through_sorting(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,site_area_m2\nA,1\n\nB,-1\nC,2\n", encoding="utf-8")
    table = read_input(path).sort_values("id", ascending=False)  # C, B, A
    with pytest.raises(InputError, match=r"row 3 \(line 4\), project 'B'"):
        prepare(table, load_ruleset(VI), line_offset=1)
