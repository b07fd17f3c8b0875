"""The public renderings behind `suigeo rules` (check_file, render, describe, summary)."""

import io
import json

import pandas as pd
import pytest
from helpers_rules import AS_OF

from suigeo.errors import InputError
from suigeo.geo.rules import check_file, describe, load_ruleset, render, ruleset_names, summary


def test_check_file_csv_names_file_lines_and_renders_every_format(tmp_path):
    path = tmp_path / "p.csv"
    # 1000.02 m² with 5000.10 m²: plot ratio exactly 5 (domain.md) -> pass
    path.write_text(
        "id,site_area_m2,counted_gfa_m2,special_process\nA,1000.02,5000.10,false\n",
        encoding="utf-8",
    )
    res = check_file(path, "village-industrial-2022", as_of=AS_OF)
    doc = json.loads(render(res, "json"))
    plot = next(r for r in doc["results"] if r["rule"] == "plot-ratio")
    assert (plot["status"], plot["value"]) == ("pass", 5.0)
    table = pd.read_csv(io.StringIO(render(res, "csv")))
    assert list(table.columns[:3]) == ["ruleset", "version", "as_of"]
    assert set(table["as_of"]) == {AS_OF} and len(table) == 11
    head = render(res, "table").splitlines()[0]
    assert head.startswith("# village-industrial-2022 2022-08-22.r2") and AS_OF in head
    with pytest.raises(ValueError, match="format"):
        render(res, "xml")
    path.write_text("id,site_area_m2\nA,-1\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"p\.csv: row 1 \(line 2\), project 'A'"):
        check_file(path, "village-industrial-2022", as_of=AS_OF)


def test_describe_and_summary_hold_every_clause_and_date():
    for name in ruleset_names():
        rs = load_ruleset(name)
        text = describe(rs)
        assert rs.document_number in text and rs.effective.isoformat() in text
        for rule in rs.rules:
            assert rule.clause in text and rule.requirement in text
            assert all(b.text in text for b in rule.bounds)
        line = summary(rs)
        assert line.startswith(name) and f"{len(rs.rules)} rules" in line


def test_fast_json_and_csv_say_what_the_standard_writers_say(tmp_path):
    # the references: json.dumps of to_dict() and pandas' own to_csv of to_frame()
    path = tmp_path / "p.csv"
    path.write_text(
        "id,site_area_m2,central_urban,counted_gfa_m2,ancillary_gfa_m2,living_service_gfa_m2\n"
        'A,1000.02,true,5000.10,1500.03,750.015\n"B, ""quoted"" }, {",30000,false,90000,,\n'
        "C,1e-3,false,1e-9,0,0\n",
        encoding="utf-8",
    )
    res = check_file(path, "village-industrial-2022", as_of=AS_OF)
    assert json.loads(render(res, "json")) == json.loads(json.dumps(res.to_dict(), indent=1))
    ours = pd.read_csv(io.StringIO(render(res, "csv")), keep_default_na=False, dtype=str)
    frame = res.to_frame().drop(columns=["case"])
    ref = pd.read_csv(io.StringIO(frame.to_csv(index=False)), keep_default_na=False, dtype=str)
    assert list(ours.columns[3:]) == list(ref.columns)
    for col in ref.columns:
        if col == "value":  # Arrow writes 5 where pandas writes 5.0: compare the numbers
            a = pd.to_numeric(ours[col]).to_numpy()
            b = pd.to_numeric(ref[col]).to_numpy()
            assert ((a == b) | (pd.isna(a) & pd.isna(b))).all()
        else:
            assert ours[col].tolist() == ref[col].tolist()
