"""Derived views against hand computations and a brute-force haversine search."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import Point

from suigeo import layers


def test_growth_needed_matches_hand_values():
    g = layers.meizhou_growth().set_index("id")
    # hand: (160 / 40.10) ** 0.2 - 1; ln(3.99002) = 1.38379 -> exp(0.276758) - 1 = 0.31886
    assert g.loc["gz_meizhou_park", "output_growth_pa"] == pytest.approx(0.31886, abs=5e-5)
    # 海珠(大埔): (40 / 8.81) ** 0.2 - 1; ln(4.54029) = 1.51299 -> exp(0.302598) - 1 = 0.35337
    assert g.loc["hz_dabu_park", "output_growth_pa"] == pytest.approx(0.35337, abs=5e-5)
    # total: (830 / 391.57) ** 0.2 - 1; ln(2.119672) = 0.751261 -> exp(0.150252) - 1 = 0.16213
    assert g.loc["total", "output_growth_pa"] == pytest.approx(0.16213, abs=5e-5)
    assert g.loc["total", "output_2020_yi"] == pytest.approx(391.57)


def test_growth_rates_compound_back_to_targets():
    g = layers.meizhou_growth()
    for key, a, b in (
        ("output", "output_2020_yi", "output_2025_yi"),
        ("firms_over_1yi", "firms_over_1yi_2020", "firms_over_1yi_2025"),
        ("fai", "fai_2020_yi", "fai_2025_yi"),
    ):
        v = g[a].to_numpy(dtype=float)
        for _ in range(5):
            v = v * (1 + g[f"{key}_growth_pa"].to_numpy())
        np.testing.assert_allclose(v, g[b].to_numpy(dtype=float), rtol=1e-12)


def _haversine_km(lon1, lat1, lon2, lat2, r=6371.0088):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(h))


@pytest.mark.parametrize("status", [("in_service",), None])
def test_nearest_station_matches_brute_force(status):
    got = layers.nearest_station("north8_towns", status=status).set_index("id")
    towns = layers.load("north8_towns")
    st = layers.load("rail_stations")
    if status is not None:
        st = st[st["status"].isin(status)]
    assert len(got) == 8
    for _, t in towns.iterrows():
        ranked = sorted(
            (_haversine_km(t.geometry.x, t.geometry.y, s.geometry.x, s.geometry.y), s["id"])
            for _, s in st.iterrows()
        )
        (d1, id1), (d2, _) = ranked[0], ranked[1]
        # spherical vs ellipsoidal distance differ by up to ~0.5 %: near-ties may swap
        if d2 > d1 * 1.01:
            assert got.loc[t["id"], "station_id"] == id1
        assert got.loc[t["id"], "distance_km"] == pytest.approx(d1, rel=5e-3)


def test_nearest_station_of_timian_is_shiling_side():
    got = layers.nearest_station().set_index("id")
    # 梯面 lies between 狮岭 and 银盏; both are about 11-14 km away
    assert got.loc["timian", "station_id"] in {"shiling_stn", "yinzhan_stn", "huashan_stn"}
    assert 5 < got.loc["timian", "distance_km"] < 20


def test_nearest_station_by_line_kind_and_other_crs():
    towns = layers.load("north8_towns", dst="CGCS2000-3GK-CM114")
    hs = layers.nearest_station(towns, line_kinds=["high_speed"]).set_index("id")
    assert hs.loc["timian", "station_id"] in {"gz_north_stn", "qingyuan_hsr_stn"}
    all_kinds = layers.nearest_station(towns).set_index("id")
    assert (hs["distance_km"] >= all_kinds["distance_km"] - 1e-9).all()


def test_nearest_station_of_a_user_layer_without_id_or_name_zh():
    # a user's villages in Gauss-Krüger metres with only a 'name': the columns it has are
    # kept; the distance is checked against pyproj.Geod on the CGCS2000 ellipsoid
    from pyproj import Geod, Transformer

    x, y = 430000.0, 2600000.0
    villages = gpd.GeoDataFrame({"name": ["村A"]}, geometry=[Point(x, y)], crs=4547)
    res = layers.nearest_station(villages)
    assert list(res.columns[:2]) == ["name", "station_id"]
    lon, lat = Transformer.from_crs(4547, 4490, always_xy=True).transform(x, y)
    st = layers.load("rail_stations").set_index("id").loc[res["station_id"].iloc[0]]
    ref = Geod(a=6378137.0, f=1 / 298.257222101).inv(lon, lat, st.geometry.x, st.geometry.y)[2]
    assert res["distance_km"].iloc[0] == pytest.approx(ref / 1000, abs=1e-6)
