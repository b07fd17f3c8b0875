"""No input is ever overwritten, and nothing is written into the installed package.

Each case points an output (data, rejects, raster, PNG, parameter file) at a file the
command reads — by the same name, a symlink or a hard link — or at another output, or into
the package. Each must fail before any work: exit 2, one error line, no traceback, every
file in the folder (and in the package folder) byte-identical, no new file.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hostile import EXAMPLE_PARAMS, REPO, assert_refused, cli, snapshot

VI = REPO / "geo" / "rules" / "village-industrial-2022.toml"


def _option(command: list[str], *names: str) -> str:
    """The first of ``names`` that ``command --help`` knows (options are being renamed)."""
    text = cli(*command, "--help").out
    for name in names:
        if f"{name} " in text or f"{name}\n" in text:
            return name
    raise AssertionError(f"none of {names} in {' '.join(command)} --help")


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A folder with one of each input: data, parameters, rule set, schema, layer, control."""
    (tmp_path / "in.csv").write_text("id,lon,lat\nA,113.3,23.1\nB,10.0,10.0\n", encoding="utf-8")
    shutil.copy(EXAMPLE_PARAMS, tmp_path / "p.toml")
    shutil.copy(EXAMPLE_PARAMS, tmp_path / "p.csv")  # a parameter file with another suffix
    shutil.copy(VI, tmp_path / "my.toml")
    shutil.copy(REPO / "layers" / "schemas" / "roads.toml", tmp_path / "schema.toml")
    (tmp_path / "parcels.csv").write_text(
        "id,site_area_m2,counted_gfa_m2\nA,1000,4000\n", encoding="utf-8"
    )
    (tmp_path / "u.geojson").write_text(
        '{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": '
        '"urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": [{"type": "Feature", "properties": '
        '{"name": "a"}, "geometry": {"type": "Point", "coordinates": [113.3, 23.1]}}]}',
        encoding="utf-8",
    )
    (tmp_path / "v.csv").write_text("id,name,lon,lat\n1,a,113.3,23.1\n", encoding="utf-8")
    (tmp_path / "c.csv").write_text(
        "id,src_e,src_n,dst_e,dst_n\nK1,1,1,2,2\nK2,5,1,6,2\nK3,1,5,2,6\n", encoding="utf-8"
    )
    (tmp_path / "dem.tif").write_bytes(b"II*\x00 not really a tiff, never read")
    (tmp_path / "tt.csv").write_text("from,to,minutes\n", encoding="utf-8")
    (tmp_path / "folder").mkdir()
    return tmp_path


def _convert(*extra: str) -> list[str]:
    return ["crs", "convert", "in.csv", "--from", "CGCS2000", "--to", "GZ2000", *extra]


CONVERT = "crs convert in.csv --from CGCS2000 --to GZ2000 --params p.toml"
RULES = "rules check parcels.csv --ruleset my.toml"
FIT = "crs fit c.csv --model helmert4 --base p.toml"
RINGS = "access rings --origin 113.3,23.1"
CASES = {
    # crs convert: the parameter file is an input too
    "rejects over the params file": f"{CONVERT} -o out.csv --rejects p.toml",
    "output over the params file": "crs convert in.csv --from CGCS2000 --to GZ2000 "
    "--params p.csv -o p.csv",
    "output over the data input": f"{CONVERT} -o in.csv",
    "rejects over the data input": f"{CONVERT} -o o.csv --rejects in.csv",
    "rejects = output": f"{CONVERT} -o o.csv --rejects o.csv",
    "output a symlink to the input": f"{CONVERT} -o link.csv",
    "output a hard link to the input": f"{CONVERT} -o hard.csv",
    "rejects a symlink to the params": f"{CONVERT} -o o.csv --rejects plink.csv",
    "output is a folder": f"{CONVERT} -o folder",
    "output in a missing folder": f"{CONVERT} -o missing/o.csv",
    "output is a device": f"{CONVERT} -o /dev/null",
    # rules check: the rule set is an input
    "rules -o over the rule set": f"{RULES} -o my.toml",
    "rules --rejects over the rule set": f"{RULES} --rejects my.toml",
    "rules -o over its input": f"{RULES} -o parcels.csv",
    # crs fit: control points and the base file are inputs
    "fit -o over the control points": f"{FIT} -o c.csv",
    "fit -o over the base file": f"{FIT} -o p.toml",
    # map build: user layers are inputs; the PNG is a second output
    "map -o over a user layer": "map build --user-layer u.geojson -o u.geojson",
    "map --png = -o": "map build --user-layer u.geojson -o m.html --png m.html",
    # access: DEM, timetable and the two outputs
    "rings --raster-out = -o": f"{RINGS} --engine raster --raster-out r.gpkg -o r.gpkg",
    "rings --raster-out over the DEM": f"{RINGS} --engine raster --dem dem.tif "
    "--raster-out dem.tif -o r.geojson",
    "rings -o over the timetable": f"{RINGS} --timetable tt.csv -o tt.csv",
    "coverage -o over the targets": "access coverage v.csv in.csv --km 5 -o in.csv",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_output_never_replaces_an_input(files, monkeypatch, case):
    monkeypatch.chdir(files)
    os.symlink("in.csv", files / "link.csv")
    os.link(files / "in.csv", files / "hard.csv")
    os.symlink("p.toml", files / "plink.csv")
    before = snapshot(files)
    line = assert_refused(cli(*CASES[case].split()), before, files)
    assert "Traceback" not in line


def test_layers_check_rejects_over_the_schema(files, monkeypatch):
    monkeypatch.chdir(files)
    rejects = _option(["layers", "check"], "--rejects", "--problems")
    before = snapshot(files)
    run = cli("layers", "check", "v.csv", "--schema", "schema.toml", rejects, "schema.toml")
    assert "schema.toml" in assert_refused(run, before, files)


def test_the_params_file_named_by_the_environment_is_an_input(files, monkeypatch):
    monkeypatch.chdir(files)
    monkeypatch.setenv("SUIGEO_GZ2000_PARAMS", str(files / "p.csv"))
    before = snapshot(files)
    run = cli("crs", "convert", "in.csv", "--from", "CGCS2000", "--to", "GZ2000", "-o", "p.csv")
    assert "SUIGEO_GZ2000_PARAMS" in assert_refused(run, before, files)


PACKAGE_TARGETS = {
    "map build over a shipped layer": (
        ["map", "build", "--user-layer", "u.geojson", "-o"],
        REPO / "layers" / "data" / "hubs.geojson",
    ),
    "rules -o over a shipped rule set": (
        ["rules", "check", "parcels.csv", "--ruleset", "my.toml", "-o"],
        REPO / "geo" / "rules" / "village-industrial-2022.toml",
    ),
    "layers export into the package": (
        ["layers", "export", "hubs", "-o"],
        REPO / "layers" / "data" / "hubs-copy.geojson",
    ),
    "demo into the package": (["demo", "-o"], REPO / "suigeo" / "demo.html"),
    "crs convert into the package": (
        _convert("--params", "p.toml", "-o"),
        REPO / "crs" / "examples" / "out.csv",
    ),
}


@pytest.mark.parametrize("case", sorted(PACKAGE_TARGETS))
def test_nothing_is_written_into_the_installed_package(files, monkeypatch, case):
    monkeypatch.chdir(files)
    argv, target = PACKAGE_TARGETS[case]
    package_before = snapshot(target.parent)
    before = snapshot(files)
    line = assert_refused(cli(*argv, target), before, files)
    assert "inside the installed suigeo package" in line or "reads" in line
    assert snapshot(target.parent) == package_before


def test_a_symlinked_folder_into_the_package_is_seen_through(files, monkeypatch):
    monkeypatch.chdir(files)
    os.symlink(REPO / "layers" / "data", files / "data")
    package_before = snapshot(REPO / "layers" / "data")
    before = snapshot(files)
    line = assert_refused(cli("layers", "export", "hubs", "-o", "data/hubs.geojson"), before, files)
    assert "inside the installed suigeo package" in line
    assert snapshot(REPO / "layers" / "data") == package_before


def test_a_refused_second_output_is_caught_before_the_work(files, monkeypatch):
    """The folder of the output is fine, the rejects folder is missing: nothing at all is
    written (not the output first, then a failure)."""
    monkeypatch.chdir(files)
    before = snapshot(files)
    run = cli(*_convert("-o", "o.csv", "--params", "p.toml", "--rejects", "nowhere/r.csv"))
    assert "does not exist" in assert_refused(run, before, files)
