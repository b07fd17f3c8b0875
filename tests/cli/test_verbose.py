"""``-v`` shows suigeo's steps (which step, which file, how many rows), and no other library's."""

import logging

import pandas as pd

from suigeo.cli import configure_logging, main


def _points(tmp_path):
    src = tmp_path / "p.csv"
    pd.DataFrame({"id": [1, 2, 3], "lon": ["113.3", "113.4", "x"], "lat": [23.1, 23.2, 23]}).to_csv(
        src, index=False
    )
    return src


def test_verbose_convert_names_the_files_and_counts_the_rows(tmp_path, capsys):
    src, out = _points(tmp_path), tmp_path / "out.csv"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", "EPSG:4547"]
    assert main(["-v", *argv]) == 0
    err = capsys.readouterr().err
    assert f"suigeo: convert {src} (csv) -> {out} (csv): CGCS2000 to " in err
    assert f"suigeo: {src}: 3 rows read, 2 written, 1 rejected" in err
    # without -v the steps are not shown (the summary line on stdout still is)
    assert main(argv) == 0
    assert "rows read" not in capsys.readouterr().err


def test_verbose_rules_check_and_map_build_log_their_steps(tmp_path, capsys):
    table = tmp_path / "projects.csv"
    pd.DataFrame(
        {
            "id": ["P1", "P2"],
            "site_area_m2": [1000.0, 2000.0],
            "counted_gfa_m2": [5000.0, 20000.0],
            "special_process": [False, False],
            "central_urban": [True, True],
        }
    ).to_csv(table, index=False)
    argv = ["-v", "rules", "check", str(table), "--ruleset", "village-industrial-2022"]
    main([*argv, "--as-of", "2024-06-30"])
    err = capsys.readouterr().err
    assert f"rules check: 2 project(s) from {table} against village-industrial-2022" in err
    assert main(["-v", "map", "build", "--shipped", "hubs", "-o", str(tmp_path / "m.html")]) == 0
    assert "map: data layer 'hubs', 6 feature(s)" in capsys.readouterr().err


def test_verbose_shows_suigeo_info_and_no_third_party_info(capsys):
    try:
        configure_logging(1)
        logging.getLogger("suigeo.geo.access.rings").info("a suigeo step")
        for name in ("pyogrio", "fiona", "rasterio", "matplotlib", "urllib3"):
            logging.getLogger(name).info("third-party noise")
        err = capsys.readouterr().err
        assert "suigeo: a suigeo step" in err
        assert "noise" not in err
        configure_logging(0)
        logging.getLogger("suigeo.geo.access.rings").info("hidden")
        logging.getLogger("suigeo.geo.access.rings").warning("shown")
        err = capsys.readouterr().err
        assert "hidden" not in err and "suigeo: shown" in err
    finally:
        configure_logging(0)
