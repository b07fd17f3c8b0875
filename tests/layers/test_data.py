"""The shipped data against the policy documents (names written here by hand from
/work/shared/domain.md and places.md, not parsed) and against published line facts."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from pyproj import Geod

from suigeo import layers

# --- expected names, transcribed by hand from domain.md ---------------------------------
NORTH8 = {
    "花都区梯面镇",
    "从化区鳌头镇",
    "从化区温泉镇",
    "从化区良口镇",
    "从化区吕田镇",
    "增城区派潭镇",
    "增城区正果镇",
    "增城区小楼镇",
}
# MEIZHOU-2022 附件2: name -> (output 2020, 2025, firms 2020, 2025, FAI 2020, 2025)
ANNEX2 = {
    "广州(梅州)产业园": (40.10, 160, 12, 20, 16.50, 50),
    "增城(梅江)产业园": (86.54, 150, 17, 20, 8.01, 100),
    "增城(梅县)产业园": (48.95, 80, 6, 30, 18.47, 50),
    "天河(兴宁)产业园": (28.36, 100, 9, 20, 11.91, 25),
    "南沙(平远)产业园": (29.27, 50, 10, 20, 8.92, 60),
    "南沙(蕉岭)产业园": (68.84, 100, 6, 11, 11.88, 65),
    "海珠(丰顺)产业园": (53.59, 100, 13, 30, 24.26, 35),
    "海珠(大埔)产业园": (8.81, 40, 1, 5, 6.92, 120),
    "番禺(五华)产业园": (27.11, 50, 4, 5, 33.22, 35),
}
ANNEX2_TOTAL = (391.57, 830, 78, 161, 140.09, 540)
MEIZHOU_PAIRS = {  # domain.md "Pairings"
    "天河(兴宁)产业园": "天河区",
    "番禺(五华)产业园": "番禺区",
    "海珠(丰顺)产业园": "海珠区",
    "海珠(大埔)产业园": "海珠区",
    "南沙(平远)产业园": "南沙区",
    "南沙(蕉岭)产业园": "南沙区",
    "增城(梅江)产业园": "增城区",
    "增城(梅县)产业园": "增城区",
}
THREE_PARKS_ONE_CITY = {
    "广清产业园",
    "广佛(佛冈)产业园",
    "广德(英德)产业园",
    "广清空港现代物流产业新城",
}
SIX_PLATFORMS = {
    "广州(清远)产业转移工业园",
    "广佛(佛冈)产业园",
    "广德(英德)产业园",
    "广州白云(英德)产业转移工业园",
    "广州花都(清新)产业转移工业园",
    "清远民族工业园",
}
FOREST = {
    "王子山森林公园",
    "石门国家森林公园",
    "流溪河国家森林公园",
    "白江湖森林公园",
    "华南国家植物园迁地保护从化示范区",
}
THEME_PARKS = {"广州融创文旅城", "清远长隆国际森林度假区"}
# places.md station order (phase 1 as opened; see the line's note), km posts of 京广高铁
ORDER = {
    "guangqing_ic": ["花都", "狮岭", "银盏", "龙塘镇", "清城"],
    "guangqing_ic_north": ["清城", "洲心", "飞霞"],
    "jingguang_hsr": ["韶关", "英德西", "清远", "广州北", "广州南"],
    "meilong_hsr": ["龙川西", "五华", "兴宁南", "梅州西"],
    "meishan_hsr": ["梅州西", "畲江北", "建桥", "丰顺东", "揭阳", "揭阳机场", "潮汕"],
    # 赣深高铁 south to north as on OpenStreetMap (footpoint-atlas node order)
    "ganshen_hsr": ["惠州北", "博罗北", "河源东", "龙川西"],
    "guanghe_hsr": ["新塘", "增城", "龙门", "河源东"],
    # 广汕 second EIA (2016): 增城, 罗浮山, 博罗, 惠城南 (opened as 惠州南)
    "guangshan_hsr": ["新塘", "增城", "罗浮山", "博罗", "惠州南"],
    "guangshan_huizhou_north_link": ["罗浮山", "惠州北"],
    "donghuan_ic": ["花都", "花山镇", "白云机场北"],
    "guangqing_ic_south": ["广州白云", "江高", "花都"],
}
KM_POSTS = {"韶关": 758, "英德西": 826, "清远": 885, "广州北": 922, "广州南": 968}
PUBLISHED_KM = {  # places.md and the opening reports
    "guangqing_ic": 38.2,
    "meishan_hsr": 122.4,
    "meilong_hsr": 94.0,
    "jingguang_hsr": 968 - 758,
    "donghuan_ic": 22.6,
    "guangqing_ic_south": 22.0,
}
# Schematic tolerance: a chord through the stations is shorter than the track (curves,
# stations not drawn) and stand-in points move each station by up to its accuracy_m.
# Stated: the geometry is within -25 % .. +5 % of the published length.
SCHEMATIC_TOL = (-0.25, 0.05)

GEOD = Geod(ellps="GRS80")  # the CGCS2000 ellipsoid has the same a and f as GRS80


def _plain(name: str) -> str:
    return name.replace("（", "(").replace("）", ")")


def _names(layer: str) -> set[str]:
    return {_plain(n) for n in layers.load(layer)["name_zh"]}


def test_north8_towns_are_exactly_the_eight():
    towns = layers.load("north8_towns")
    assert set(towns["name_zh"]) == NORTH8
    assert len(towns) == 8
    assert set(towns["district"]) == {"花都区", "从化区", "增城区"}
    assert (towns["district"] == towns["name_zh"].str[:3]).all()


def test_meizhou_parks_match_annex2_row_by_row():
    parks = layers.load("meizhou_parks")
    assert len(parks) == 9
    got = {}
    for _, r in parks.iterrows():
        key = _plain(r["name_zh"]).split("(广梅产业园)")[0]
        got[key] = (
            r["output_2020_yi"],
            r["output_2025_yi"],
            r["firms_over_1yi_2020"],
            r["firms_over_1yi_2025"],
            r["fai_2020_yi"],
            r["fai_2025_yi"],
        )
    assert got.keys() == ANNEX2.keys()
    for k, v in ANNEX2.items():
        assert got[k] == pytest.approx(v), k


def test_annex2_totals_reproduce():
    parks = layers.load("meizhou_parks")
    cols = [
        "output_2020_yi",
        "output_2025_yi",
        "firms_over_1yi_2020",
        "firms_over_1yi_2025",
        "fai_2020_yi",
        "fai_2025_yi",
    ]
    totals = tuple(round(float(parks[c].sum()), 2) for c in cols)
    assert totals == ANNEX2_TOTAL
    assert parks["firms_over_1yi_2020"].dtype.kind == "i"


def test_meizhou_pairings_and_guangmei_areas():
    parks = layers.load("meizhou_parks")
    by_name = {
        _plain(n).split("(广梅产业园)")[0]: r
        for n, (_, r) in zip(parks["name_zh"], parks.iterrows(), strict=True)
    }
    for name, district in MEIZHOU_PAIRS.items():
        assert by_name[name]["paired_district"] == district
    gm = layers.lookup("广梅产业园").iloc[0]
    assert (gm["planned_area_km2"], gm["construction_land_km2"]) == (76.10, 37.23)
    assert gm["construction_land_in_period_km2"] == 25.36
    assert gm["host_county"] == "梅县区"
    others = parks[parks["id"] != gm["id"]]
    assert others["planned_area_km2"].isna().all()


def test_qingyuan_parks_three_parks_one_city_six_platforms_and_edu_city():
    q = layers.load("qingyuan_parks")
    plain = (
        q["name_zh"].map(_plain).str.replace("(连州)", "").str.replace("(清远)", "", regex=False)
    )
    assert set(plain[q["in_three_parks_one_city"]]) == THREE_PARKS_ONE_CITY
    six = set(q.loc[q["in_six_platforms"], "name_zh"].map(_plain).str.replace("(连州)", ""))
    assert six == SIX_PLATFORMS
    assert list(q.loc[q["platform_type"] == "省职教城", "name_zh"]) == ["省职业教育城（清远）"]
    assert len(q) == len(THREE_PARKS_ONE_CITY | SIX_PLATFORMS) + 1 == 9
    hd = q[q["id"] == "hd_qingxin_transfer_park"].iloc[0]
    assert hd["paired_district"] == "花都区"  # 花都→清新 (QINGYUAN-2013)


def test_forest_parks_and_hubs():
    f = layers.load("forest_parks")
    assert set(f["name_zh"]) == FOREST
    national = set(f.loc[f["park_class"] == "national", "name_zh"])
    assert {"石门国家森林公园", "流溪河国家森林公园"} <= national
    h = layers.load("hubs")
    assert set(h["kind"]) == {"airport", "city_centre", "theme_park"}
    assert set(h.loc[h["kind"] == "theme_park", "name_zh"]) == THEME_PARKS
    assert (h["kind"] == "city_centre").sum() == 3  # Guangzhou, Qingyuan, Meizhou


@pytest.mark.parametrize("name", layers.LAYER_NAMES)
def test_every_feature_is_sourced_and_honest(name):
    gdf = layers.load(name)
    assert gdf.crs.to_epsg() == 4490
    for col in ("id", "name_zh", "name_en", "kind", "source", "as_of", "confidence"):
        assert (gdf[col].str.strip() != "").all(), (name, col)
    assert (gdf["accuracy_m"] > 0).all()
    assert gdf["id"].is_unique
    assert gdf["as_of"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert set(gdf["confidence"]) <= {"high", "medium", "low"}
    assert gdf.geometry.is_valid.all()
    # coordinates in Guangdong (lon 109.6-117.4, lat 20.1-25.6)
    b = gdf.total_bounds
    assert b[0] > 109.6 and b[2] < 117.4 and b[1] > 20.1 and b[3] < 25.6


def test_features_at_a_county_seat_say_so():
    for name in ("meizhou_parks", "qingyuan_parks"):
        gdf = layers.load(name)
        seat = gdf["at_county_seat"]
        assert seat.sum() >= 5
        assert (
            gdf.loc[seat, "note"].str.contains("seat|Meijiang District|municipal|city point").all()
        )
        # several km, not the hundreds of metres of a point of the park itself
        assert (gdf.loc[seat, "accuracy_m"] >= 3000).all()


def test_low_confidence_points_claim_km_accuracy():
    for name in layers.LAYER_NAMES:
        gdf = layers.load(name)
        assert (gdf.loc[gdf["confidence"] == "low", "accuracy_m"] >= 2000).all(), name


def _stations_by_id():
    st = layers.load("rail_stations")
    return st.set_index("id")


def test_line_schema_contract():
    lines = layers.load("rail_lines")
    assert set(lines["kind"]) <= {"high_speed", "intercity", "conventional"}
    assert set(lines["status"]) <= {"in_service", "under_construction", "planned"}
    assert lines["design_speed_kmh"].dtype == np.float64
    assert lines["length_km_published"].dtype == np.float64
    assert lines["schematic"].dtype == bool and lines["schematic"].all()
    assert lines["note"].str.startswith("SCHEMATIC").all()
    assert (lines.geom_type == "LineString").all()
    assert lines.loc[lines["id"] == "guanghe_hsr", "status"].item() == "planned"


def test_line_geometry_runs_through_its_stations_in_order():
    st = _stations_by_id()
    for _, line in layers.load("rail_lines").iterrows():
        ids = line["stations"].split(";")
        coords = np.asarray(line.geometry.coords)
        expect = np.column_stack([st.loc[ids].geometry.x, st.loc[ids].geometry.y])
        np.testing.assert_array_equal(coords, expect)
        for k, sid in enumerate(ids, start=1):
            assert f"{line['id']}:{k}" in st.loc[sid, "line_order"].split(";")
            assert line["id"] in st.loc[sid, "lines"].split(";")


@pytest.mark.parametrize("line_id", sorted(ORDER))
def test_stations_in_places_md_order(line_id):
    st = _stations_by_id()
    line = layers.load("rail_lines").set_index("id").loc[line_id]
    names = [_plain(st.loc[s, "name_zh"]) for s in line["stations"].split(";")]
    for got, want in zip(names, ORDER[line_id], strict=True):
        assert got.startswith(want), (line_id, names)


def test_jingguang_order_matches_kilometre_posts():
    st = _stations_by_id()
    ids = layers.load("rail_lines").set_index("id").loc["jingguang_hsr", "stations"].split(";")
    posts = [int(st.loc[s, "km_posts"].split(":")[1]) for s in ids]
    assert posts == [KM_POSTS[_plain(st.loc[s, "name_zh"]).removesuffix("站")] for s in ids]
    assert posts == sorted(posts)
    # each chord between neighbours is shorter than the track but not by much
    lon, lat = st.loc[ids].geometry.x.to_numpy(), st.loc[ids].geometry.y.to_numpy()
    _, _, d = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    track = np.diff(posts)
    ratio = d / 1000 / track
    assert ((ratio > 0.8) & (ratio <= 1.0)).all(), ratio


@pytest.mark.parametrize("line_id", sorted(PUBLISHED_KM))
def test_line_length_against_published(line_id, capsys):
    line = layers.load("rail_lines").set_index("id").loc[line_id]
    geom_km = GEOD.geometry_length(line.geometry) / 1000
    published = PUBLISHED_KM[line_id]
    assert line["length_km_published"] == pytest.approx(published)
    diff = geom_km / published - 1
    with capsys.disabled():
        print(f"\n{line_id}: schematic {geom_km:.1f} km vs published {published} km ({diff:+.1%})")
    assert SCHEMATIC_TOL[0] <= diff <= SCHEMATIC_TOL[1]


def test_guangqing_phase1_length_is_close():
    # the tightest check: 5 drawn stations of 6, nearly straight alignment along 广清高速
    line = layers.load("rail_lines").set_index("id").loc["guangqing_ic"]
    assert math.isclose(GEOD.geometry_length(line.geometry) / 1000, 38.2, rel_tol=0.03)


# The Guangzhou-Meizhou path as it runs today (domain.md, Meizhou section; places.md): from
# 新塘 on 广汕高铁, the link to 惠州北, 赣深高铁 to 龙川西, 梅龙高铁 to 梅州西.
GZ_MEIZHOU_PATH = ["新塘", "增城", "惠州北", "河源东", "龙川西", "五华", "兴宁南", "梅州西"]


def _reachable(start: str, statuses: set[str]) -> set[str]:
    """Stations reachable from ``start`` along lines of the given statuses (plain BFS)."""
    lines = layers.load("rail_lines")
    lines = lines[lines["status"].isin(statuses)]
    adj: dict[str, set[str]] = {}
    for ids in lines["stations"].str.split(";"):
        for a, b in itertools.pairwise(ids):
            adj.setdefault(a, set()).add(b)
            adj.setdefault(b, set()).add(a)
    seen, todo = {start}, [start]
    while todo:
        for nxt in adj.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_guangzhou_reaches_meizhou_on_lines_in_service():
    st = _stations_by_id()
    name = {sid: _plain(n) for sid, n in st["name_zh"].items()}
    got = {name[s] for s in _reachable("xintang_stn", {"in_service"})}
    for want in GZ_MEIZHOU_PATH:
        assert any(n.startswith(want) for n in got), (want, sorted(got))
    # and the path does not depend on the planned 广河高铁
    assert not any(n.startswith("龙门") for n in got)


def test_ganshen_stations_run_south_to_north():
    st = _stations_by_id()
    ids = layers.load("rail_lines").set_index("id").loc["ganshen_hsr", "stations"].split(";")
    lat = st.loc[ids].geometry.y.to_numpy()
    assert (np.diff(lat) > 0).all()
    # each chord is a fraction of the whole line's 436.37 km, and together far below it
    lon = st.loc[ids].geometry.x.to_numpy()
    _, _, d = GEOD.inv(lon[:-1], lat[:-1], lon[1:], lat[1:])
    assert 100 < d.sum() / 1000 < 436.37 / 2


def test_interchanges_are_mutual_and_nearby():
    st = _stations_by_id()
    pairs = st.loc[st["interchange"] != "", "interchange"]
    for a, b in pairs.items():
        assert st.loc[b, "interchange"] == a
        _, _, d = GEOD.inv(
            st.loc[a].geometry.x, st.loc[a].geometry.y, st.loc[b].geometry.x, st.loc[b].geometry.y
        )
        assert d < 1000


@pytest.mark.parametrize("name", layers.LAYER_NAMES)
def test_catalogue_types_and_allowed_values_hold(name):
    import tomllib

    from suigeo.layers.shipped import CATALOG_TOML

    with CATALOG_TOML.open("rb") as fh:
        doc = tomllib.load(fh)
    meta = doc["layers"][name]
    gdf = layers.load(name)
    kinds = {"str": "O", "float": "f", "int": "i", "bool": "b"}
    for col, typ in {**doc["common"]["fields"], **meta["fields"]}.items():
        dt = gdf[col].dtype
        assert (dt.kind == kinds[typ]) or (typ == "str" and pd.api.types.is_string_dtype(dt)), col
    for col, allowed in meta.get("values", {}).items():
        assert set(gdf[col]) <= set(allowed), col
    assert set(gdf.geom_type) == {meta["geometry"]}
