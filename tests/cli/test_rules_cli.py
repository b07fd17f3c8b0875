"""``suigeo rules ...`` driven through the real entry point: exit codes and output shapes."""

import datetime as dt
import json
import subprocess
import sys

import pandas as pd
import pytest

from suigeo.cli import main

VI = "village-industrial-2022"
# Meets every village-industrial-2022 rule: plot ratio 4.0, ancillary 20%, living 10%,
# stand-alone land 5%, 600 m² strata units, transfer 72000 / (240000 - 48000) = 37.5%.
VILLAGE = {
    "id": "V1",
    "site_area_m2": 60000,
    "central_urban": False,
    "counted_gfa_m2": 240000,
    "ancillary_gfa_m2": 48000,
    "living_service_gfa_m2": 24000,
    "ancillary_standalone_land_m2": 3000,
    "special_process": False,
    "strata_min_unit_m2": 600,
    "strata_exception": False,
    "strata_transfer_gfa_m2": 72000,
    "ancillary_strata_alone_gfa_m2": 0,
    "legacy_construction_land_m2": 2000,  # (七): offset 50% = 1000 m²
    "quota_offset_m2": 1000,
    "building_height_m": 40,  # (十): under the 50 m limit
    "height_limit_m": 50,
    "strata_transfer_date": "2018-01-01",  # (十三): re-transfer after 6 years
    "strata_retransfer_date": "2024-01-01",
}


def village(**over) -> dict:
    return {**VILLAGE, **over}


@pytest.fixture
def project(tmp_path):
    f = tmp_path / "project.json"
    f.write_text(json.dumps(VILLAGE), encoding="utf-8")
    return f


def test_list_shows_every_rule_set(capsys):
    assert main(["rules", "list"]) == 0
    out = capsys.readouterr().out
    for name in (
        "village-industrial-2022",
        "renewal-housing-2022",
        "north-mountain-2023",
        "survey-update-2022",
    ):
        assert name in out
    assert "2025-08-21" in out and "2027-05-22" in out


def test_show_lists_clauses_and_bounds(capsys):
    assert main(["rules", "show", VI]) == 0
    out = capsys.readouterr().out
    assert "穗府办规〔2022〕12号 (十三)" in out and ">= 300 m²" in out and "2025-08-21" in out


def test_show_unknown_rule_set_is_exit_2(capsys):
    assert main(["rules", "show", "nope"]) == 2
    assert "unknown rule set 'nope'" in capsys.readouterr().err


def test_check_json_shape_and_exit_0(project, capsys):
    assert (
        main(
            [
                "rules",
                "check",
                str(project),
                "--ruleset",
                VI,
                "--as-of",
                "2024-06-30",
                "--format",
                "json",
            ]
        )
        == 0
    )
    doc = json.loads(capsys.readouterr().out)
    assert {"ruleset", "version", "as_of", "results"} <= set(doc)
    assert doc["ruleset"] == VI and doc["as_of"] == "2024-06-30"
    assert doc["version"] == "2022-08-22.r2"
    assert len(doc["results"]) == 11
    for r in doc["results"]:
        assert {"project", "rule", "clause", "status", "value", "bound"} <= set(r)
    pr = next(r for r in doc["results"] if r["rule"] == "plot-ratio")
    assert pr == pr | {
        "project": "V1",
        "clause": "穗府办规〔2022〕12号 (十)",
        "status": "pass",
        "value": 4.0,
    }
    assert pr["bound"] == {"min": 3.0, "min_inclusive": True, "max": 5.0, "max_inclusive": True}


def test_check_exit_1_when_a_rule_fails(tmp_path, capsys):
    f = tmp_path / "p.toml"
    f.write_text(
        'id = "X"\nsite_area_m2 = 1000.02\ncounted_gfa_m2 = 5000.11\nspecial_process = false\n',
        encoding="utf-8",
    )
    assert main(["rules", "check", str(f), "--ruleset", VI, "--as-of", "2024-06-30"]) == 1
    out = capsys.readouterr().out
    assert "plot-ratio" in out and "fail" in out


def test_check_expired_on_default_today_is_not_a_success(project, capsys):
    rc = main(["rules", "check", str(project), "--ruleset", VI, "--format", "json"])
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["as_of"] == dt.date.today().isoformat()
    if dt.date.today() > dt.date(2025, 8, 21):
        assert rc == 1
        assert {r["status"] for r in doc["results"]} == {"expired"}
        assert doc["in_force"] is False
        assert "no rule of village-industrial-2022" in captured.err
        assert "2022-08-22 .. 2025-08-21" in captured.err


@pytest.mark.parametrize(
    ("as_of", "in_force"),
    [("2022-08-21", False), ("2022-08-22", True), ("2025-08-21", True), ("2025-08-22", False)],
)
@pytest.mark.parametrize("allow", [False, True])
def test_check_exit_status_at_the_validity_edges(project, capsys, as_of, in_force, allow):
    args = ["rules", "check", str(project), "--ruleset", VI, "--format", "json", "--as-of", as_of]
    rc = main(args + (["--allow-expired"] if allow else []))
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["in_force"] is in_force
    assert (doc["effective"], doc["expires"]) == ("2022-08-22", "2025-08-21")
    assert rc == (0 if in_force or allow else 1)
    assert ("nothing was checked" in captured.err) == (not in_force)


def test_check_table_head_says_not_in_force(project, capsys):
    assert main(["rules", "check", str(project), "--ruleset", VI, "--as-of", "2025-08-22"]) == 1
    assert "NOT IN FORCE" in capsys.readouterr().out


def test_check_csv_to_file_and_input_never_overwritten(tmp_path, capsys):
    src = tmp_path / "p.csv"
    pd.DataFrame([village(), village(id="V2", counted_gfa_m2=600000)]).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    rc = main(
        [
            "rules",
            "check",
            str(src),
            "--ruleset",
            VI,
            "--as-of",
            "2024-06-30",
            "--format",
            "csv",
            "-o",
            str(out),
        ]
    )
    assert rc == 1
    res = pd.read_csv(out)
    assert len(res) == 22 and set(res["ruleset"]) == {VI} and set(res["as_of"]) == {"2024-06-30"}
    v2 = res[(res["project"] == "V2") & (res["rule"] == "plot-ratio")].iloc[0]
    assert v2["status"] == "fail" and v2["value"] == 10.0
    before = src.read_bytes()
    assert main(["rules", "check", str(src), "--ruleset", VI, "-o", str(src)]) == 2
    assert src.read_bytes() == before


@pytest.mark.parametrize(
    ("content", "args", "words"),
    [
        ("id,site_area_m2\nA,-1\n", [], ["p.csv", "line 2", "site_area_m2", "negative"]),
        ("id,site_area\nA,1\n", [], ["unknown field 'site_area'", "site_area_m2"]),
        ("id,site_area_m2\nA,1\n", ["--as-of", "2024-13-01"], ["as-of"]),
    ],
)
def test_check_bad_input_is_exit_2(tmp_path, capsys, content, args, words):
    f = tmp_path / "p.csv"
    f.write_text(content, encoding="utf-8")
    assert main(["rules", "check", str(f), "--ruleset", VI, *args]) == 2
    err = capsys.readouterr().err
    for w in words:
        assert w in err


def test_check_missing_file_and_unknown_ruleset_are_exit_2(tmp_path, project):
    assert main(["rules", "check", str(tmp_path / "none.csv"), "--ruleset", VI]) == 2
    assert main(["rules", "check", str(project), "--ruleset", "nope"]) == 2
    assert main(["rules", "check", str(project)]) == 2  # --ruleset is required


def test_rejects_file(tmp_path, capsys):
    src = tmp_path / "p.csv"
    src.write_text(
        "id,site_area_m2,counted_gfa_m2,special_process\nA,1000,4000,false\nB,-3,10,false\n",
        encoding="utf-8",
    )
    rej = tmp_path / "rejects.csv"
    rc = main(
        [
            "rules",
            "check",
            str(src),
            "--ruleset",
            VI,
            "--as-of",
            "2024-06-30",
            "--format",
            "json",
            "--rejects",
            str(rej),
        ]
    )
    assert rc == 2
    doc = json.loads(capsys.readouterr().out)
    assert {r["project"] for r in doc["results"]} == {"A"} and doc["rejected_rows"] == 1
    r = pd.read_csv(rej)
    # the shared rejects columns (suigeo.io.rejects), then the row as read
    assert list(r.columns[:4]) == ["row", "column", "reason", "message"]
    assert r[["row", "id", "column", "site_area_m2"]].values.tolist() == [
        [2, "B", "site_area_m2", -3]
    ]


def test_python_dash_m_help_shows_an_example():
    out = subprocess.run(
        [sys.executable, "-m", "suigeo", "rules", "check", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "suigeo rules check project.json --ruleset village-industrial-2022" in out


def test_survey_sheets_csv(tmp_path, capsys):
    src = tmp_path / "sheets.csv"
    src.write_text(
        "id,product,scale,area_class,last_survey_date\n"
        "T500-01,topographic_map,500,key,2023-06-30\n"
        "T500-02,topographic_map,500,key,2023-06-29\n"
        "T2000-01,topographic_map,2000,,2021-07-01\n"
        "CORS,cors_solution,,,2024-01-15\n",
        encoding="utf-8",
    )
    rc = main(
        [
            "rules",
            "check",
            str(src),
            "--ruleset",
            "survey-update-2022",
            "--as-of",
            "2024-06-30",
            "--format",
            "json",
        ]
    )
    assert rc == 1
    doc = json.loads(capsys.readouterr().out)
    got = {r["project"]: (r["status"], r["value"], r["bound"]) for r in doc["results"]}
    assert got["T500-01"] == ("pass", 366.0, {"cycle_years": 1})  # due 2024-06-30 itself
    assert got["T500-02"][0] == "fail"  # due 2024-06-29
    assert got["T2000-01"][0] == "pass" and got["CORS"][0] == "pass"


def test_rejects_file_cannot_be_the_output_file(tmp_path, capsys):
    src = tmp_path / "p.csv"
    src.write_text("id,site_area_m2,counted_gfa_m2\nA,1000,4000\nB,-3,10\n", encoding="utf-8")
    out = tmp_path / "out.json"
    out.write_text("kept", encoding="utf-8")
    argv = ["rules", "check", str(src), "--ruleset", VI, "--as-of", "2024-06-30"]
    rc = main([*argv, "--format", "json", "-o", str(out), "--rejects", str(out)])
    assert rc == 2
    assert "--rejects" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "kept"  # nothing overwritten


def test_a_table_without_any_field_of_the_rule_set_is_bad_input(tmp_path, capsys):
    # village projects checked with the housing rule set by mistake: every rule would be
    # not_evaluable and the exit status 0, which a script would read as "nothing fails"
    src = tmp_path / "p.csv"
    src.write_text("id,site_area_m2,counted_gfa_m2\nA,1000,4000\n", encoding="utf-8")
    rc = main(["rules", "check", str(src), "--ruleset", "renewal-housing-2022"])
    assert rc == 2
    err = capsys.readouterr().err
    assert "none of the fields of renewal-housing-2022" in err and "policy_housing_units" in err
