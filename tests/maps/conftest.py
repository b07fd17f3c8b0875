"""Small layers built in the tests, including hostile strings that must stay text."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from maps_xss import XSS_IMG, XSS_SCRIPT, XSS_TICK, XSS_TPL


@pytest.fixture
def parks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["gm", "xss1", "xss2"],
            "name_zh": ["广州(梅州)产业园", XSS_IMG, XSS_TPL],
            "name_en": ["Guangzhou (Meizhou) Industrial Park", XSS_TICK, XSS_SCRIPT],
            "kind": ["co_built_park", "co_built_park", "co_built_park"],
            "source": ["MEIZHOU-2022 附件2", "test", "test \\ backslash"],
            "accuracy_m": [5000.0, 500.0, None],
            "as_of": ["2022-08-04", "2022-08-04", "2022-08-04"],
            "output_2020_yi": [40.10, 86.54, None],
            "output_2025_yi": [160.0, 150.0, 80.0],
        },
        geometry=gpd.points_from_xy([115.979, 116.08, 116.12], [24.04, 24.31, 24.25]),
        crs="EPSG:4490",
    )


@pytest.fixture
def rail() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name_zh": ["梅龙高铁", "广河高铁", "广清城际南延"],
            "name_en": ["Meizhou-Longchuan HSR", "Guangzhou-Heyuan HSR", "Guangqing south ext."],
            "kind": ["high_speed", "high_speed", "intercity"],
            "status": ["in_service", "planned", "under_construction"],
            "source": ["places.md"] * 3,
            "accuracy_m": [3000.0] * 3,
        },
        geometry=[
            shapely.LineString([(115.0, 23.9), (116.1, 24.3)]),
            shapely.LineString([(113.6, 23.2), (115.0, 23.9)]),
            shapely.LineString([(113.2, 23.3), (113.25, 23.4)]),
        ],
        crs="EPSG:4490",
    )


@pytest.fixture
def ring() -> gpd.GeoDataFrame:
    centre = shapely.Point(113.32, 23.11)
    return gpd.GeoDataFrame(
        {
            "origin": ["广州塔", "广州塔"],
            "minutes": [30.0, 90.0],
            "engine": ["sketch", "sketch"],
            "params": ['{"ground.speed_kmh": 50}'] * 2,
        },
        geometry=[centre.buffer(0.25), centre.buffer(0.8)],
        crs="EPSG:4490",
    )
