"""The through-service table against the rail lines it names (checked here, not by the build)."""

import tomllib

import pytest

from suigeo import layers
from suigeo.layers.shipped import CATALOG_TOML

STATUS_RANK = {"in_service": 0, "under_construction": 1, "planned": 2}


@pytest.fixture(scope="module")
def table():
    return layers.through_services()


@pytest.fixture(scope="module")
def lines():
    return layers.load("rail_lines").set_index("id")


def test_columns_values_and_sources(table):
    with CATALOG_TOML.open("rb") as fh:
        meta = tomllib.load(fh)["tables"]["rail_through_services"]
    assert list(table.columns) == list(meta["fields"])
    assert table["id"].is_unique
    for col, allowed in meta["values"].items():
        assert table[col].isin(allowed).all(), col
    assert (table["source"].str.len() > 20).all()
    assert (table["note"] != "").all()


def test_every_leg_runs_along_its_line_and_meets_the_next(table, lines):
    for row in table.itertuples():
        ids, via = row.lines.split(";"), row.via.split(";")
        assert len(via) == len(ids) + 1, row.id
        stops = [via[0]]
        for k, lid in enumerate(ids):
            order = lines.loc[lid, "stations"].split(";")
            i, j = order.index(via[k]), order.index(via[k + 1])  # both on the line
            assert i != j, (row.id, lid)
            leg = order[i : j + 1] if i < j else order[j : i + 1][::-1]
            stops += leg[1:]
        assert row.stops.split(";") == stops, row.id
        # the service is no more advanced than its least advanced line
        worst = max(lines.loc[ids, "status"], key=STATUS_RANK.get)
        assert row.status == worst, row.id


def test_the_guangzhou_meizhou_services(table):
    t = table.set_index("id")
    svc = t.loc["gz_meizhou_via_guangshan"]
    assert svc["lines"].split(";") == [
        "guangshan_hsr",
        "guangshan_huizhou_north_link",
        "ganshen_hsr",
        "meilong_hsr",
    ]
    assert svc["status"] == "in_service" and svc["opened"] == "2024-09-14"
    assert "1 h 47 min" in svc["source"]
    plan = t.loc["guanghe_meizhou_planned"]
    assert plan["status"] == "planned" and plan["confidence"] == "low"
    assert plan["via"].split(";")[-1] == "meizhou_west_stn"
    assert "MEIZHOU-2022" in plan["source"]


def test_operating_speeds_only_where_a_source_gives_one(lines):
    op = lines["operating_speed_kmh"].dropna()
    assert op.to_dict() == {"jingguang_hsr": 300.0, "ganshen_hsr": 300.0}
    for lid in op.index:
        assert "Operating speed 300 km/h" in lines.loc[lid, "note"]
        assert op[lid] <= lines.loc[lid, "design_speed_kmh"]


def test_fresh_copy():
    table = layers.through_services()
    table.loc[0, "id"] = "changed"
    assert layers.through_services().loc[0, "id"] != "changed"
