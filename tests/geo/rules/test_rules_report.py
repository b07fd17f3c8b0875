"""The public renderings behind `suigeo rules` (check_file, render, describe, summary)."""

import io
import json

import pandas as pd
import pytest
from helpers_rules import AS_OF

from crs.errors import InputError
from geo.rules import check_file, describe, load_ruleset, render, ruleset_names, summary


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
    assert set(table["as_of"]) == {AS_OF} and len(table) == 7
    head = render(res, "table").splitlines()[0]
    assert head.startswith("# village-industrial-2022 2022-08-22.r1") and AS_OF in head
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
