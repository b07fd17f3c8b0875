"""Area units in cells (``6亩``) and headers (``site_area(亩)``, ``用地面积（公顷）``), exact.

Hand-computed references: 1 亩 = 10000/15 m² = 2000/3 m² (15 亩 make a hectare);
1 公顷 = 1 ha = 10000 m²; 1 万平方米 = 10000 m². So 6 亩 = 4000 m², 45 亩 = 30000 m² =
3 ha exactly (the central-urban site minimum of 穗府办规〔2022〕12号 (三)1), and a site of
0.3 亩 (200 m²) with 1.5 亩 (1000 m²) of counted floor area has a plot ratio of exactly
5 -- which float arithmetic gives as 5.000000000000001.
"""

from fractions import Fraction

import pytest

from suigeo.errors import InputError
from suigeo.geo.rules import check, read_input
from suigeo.geo.rules.inputs import AREA_UNITS, area_unit, prepare
from suigeo.geo.rules.ruleset import load_ruleset

VI = "village-industrial-2022"
AS_OF = "2024-06-30"
MU = Fraction(10000, 15)


def _csv(tmp_path, header: str, rows: list[str]):
    f = tmp_path / "p.csv"
    f.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return read_input(f)


def _rule(res, pid: str, rule: str):
    frame = res.to_frame()
    row = frame[(frame["project"] == pid) & (frame["rule"] == rule)].iloc[0]
    return str(row["status"]), float(row["value"])


def test_unit_table_is_exact():
    assert area_unit("亩") == Fraction(2000, 3) == MU
    assert 15 * area_unit("亩") == area_unit("公顷") == area_unit("ha") == 10000
    assert area_unit("万平方米") == 10000
    assert area_unit("平方米") == area_unit("㎡") == area_unit("m²") == area_unit("m2") == 1
    assert area_unit("km2") == 10**6 and area_unit("km") is None
    assert all(isinstance(v, Fraction) for v in AREA_UNITS.values())


@pytest.mark.parametrize(
    ("cell", "m2"),
    [
        ("6亩", 4000),
        ("6 亩", 4000),
        ("0.4公顷", 4000),
        ("0.4 ha", 4000),
        ("0.4万平方米", 4000),
        ("4000平方米", 4000),
        ("4000㎡", 4000),
        ("4000 m²", 4000),
        ("1亩", Fraction(2000, 3)),
        ("6.1亩", Fraction(12200, 3)),
    ],
)
def test_cell_units(tmp_path, cell, m2):
    table = _csv(tmp_path, "id,site_area_m2", [f"A,{cell}"])
    p = prepare(table, load_ruleset(VI))
    assert p.data["site_area_m2"][0] == float(Fraction(m2))  # correctly rounded
    assert Fraction(p.exact_cells("site_area_m2", [0])[0]) == m2


@pytest.mark.parametrize(
    ("header", "cell", "m2"),
    [
        ("site_area(亩)", "6", 4000),
        ("site_area (亩)", "6", 4000),
        ("site_area（亩）", "6", 4000),
        ("用地面积（公顷）", "0.4", 4000),
        ("用地面积(ha)", "0.4", 4000),
        ("用地面积（万平方米）", "0.4", 4000),
        ("site_area_m2(平方米)", "4000", 4000),
        ("用地面积", "4000", 4000),
        ("site_area(亩)", "0.7", Fraction(1400, 3)),
        ("site_area(亩)", "3公顷", 30000),  # a cell's own unit wins over the header's
    ],
)
def test_header_units(tmp_path, header, cell, m2):
    table = _csv(tmp_path, f"id,{header}", [f"A,{cell}"])
    p = prepare(table, load_ruleset(VI))
    assert p.data["site_area_m2"][0] == pytest.approx(float(m2), rel=3 * 2**-53)
    assert Fraction(p.exact_cells("site_area_m2", [0])[0]) == m2


def test_site_area_bound_in_mu_is_exact(tmp_path):
    # central urban: >= 3 ha = 45 亩 exactly; 44.99 亩 is below, 45.01 above
    rows = ["A,45,true", "B,44.99,true", "C,45.01,true", "D,45亩,true", "E,2.99999公顷,true"]
    res = check(_csv(tmp_path, "id,site_area(亩),central_urban", rows), VI, as_of=AS_OF)
    assert _rule(res, "A", "site-area") == ("pass", 3.0)
    assert _rule(res, "B", "site-area")[0] == "review"
    assert _rule(res, "C", "site-area")[0] == "pass"
    assert _rule(res, "D", "site-area") == ("pass", 3.0)
    assert _rule(res, "E", "site-area")[0] == "review"


def test_plot_ratio_at_the_bound_in_mu_is_exact(tmp_path):
    # float: 0.3 * (2000/3) and 1.5 * 2000/3 give 5.000000000000001; exactly 5
    site = float(Fraction("0.3")) * float(MU)
    assert float(Fraction("1.5") * MU) / site > 5.0
    rows = [
        "AT_MAX,0.3,1.5亩,false",  # exactly 5: pass (<= 5.0)
        "ABOVE_MAX,0.3,1.50001亩,false",  # 5.0000333..: fail
        "BELOW_MAX,0.30001,1.5亩,false",  # 4.99983..: pass
        "AT_MIN,0.5,1.5亩,false",  # exactly 3: pass (>= 3.0)
        "BELOW_MIN,0.5,1.49999亩,false",  # 2.99998: fail
        "ABOVE_MIN,0.49999,1.5亩,false",  # 3.00006: pass
    ]
    header = "id,site_area(亩),counted_gfa_m2,special_process"
    res = check(_csv(tmp_path, header, rows), VI, as_of=AS_OF)
    got = {pid: _rule(res, pid, "plot-ratio")[0] for pid in [r.split(",")[0] for r in rows]}
    assert got == {
        "AT_MAX": "pass",
        "ABOVE_MAX": "fail",
        "BELOW_MAX": "pass",
        "AT_MIN": "pass",
        "BELOW_MIN": "fail",
        "ABOVE_MIN": "pass",
    }
    assert _rule(res, "AT_MAX", "plot-ratio")[1] == 5.0
    assert _rule(res, "AT_MIN", "plot-ratio")[1] == 3.0


def test_wrong_units_are_refused(tmp_path):
    with pytest.raises(InputError, match="wrong unit 'km'"):
        prepare(_csv(tmp_path, "id,site_area_m2", ["A,6 km"]), load_ruleset(VI))
    with pytest.raises(InputError, match="'米' is not an area unit"):
        prepare(_csv(tmp_path, "id,site_area(米)", ["A,6"]), load_ruleset(VI))
    with pytest.raises(InputError, match="both give field 'site_area_m2'"):
        prepare(_csv(tmp_path, "id,site_area_m2,用地面积（公顷）", ["A,1,2"]), load_ruleset(VI))
    with pytest.raises(InputError, match="unknown field 'site_area'"):
        prepare(_csv(tmp_path, "id,site_area", ["A,6"]), load_ruleset(VI))
