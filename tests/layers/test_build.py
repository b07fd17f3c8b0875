"""The shipped files are exactly what layers/sources/build.py makes from the tables beside it.

The build script is not part of the package; it is loaded here from its file.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from suigeo.layers.shipped import DATA_DIR, LAYER_NAMES

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "layers" / "sources"
SCRIPT = SOURCES / "build.py"
# the team's shared folder sits beside the repository (or beside its worktrees folder)
SHARED_PLACES = next(
    (p / "shared" / "places.csv" for p in ROOT.parents[:2] if (p / "shared").is_dir()),
    ROOT.parent / "shared" / "places.csv",
)


def _load_build():
    spec = importlib.util.spec_from_file_location("suigeo_layers_build", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


build = _load_build()


def test_rebuild_reproduces_shipped_files(tmp_path):
    counts = build.build(tmp_path)
    assert set(counts) == set(LAYER_NAMES)
    files = sorted(p.name for p in DATA_DIR.iterdir())
    assert files == sorted([f"{n}.geojson" for n in LAYER_NAMES] + ["rail_through_services.csv"])
    for name in files:
        assert (tmp_path / name).read_bytes() == (DATA_DIR / name).read_bytes(), (
            f"{name}: shipped file differs from a rebuild; run python layers/sources/build.py"
        )


def test_check_command_exit_codes(tmp_path):
    cmd = [sys.executable, str(SCRIPT), "--check", "-q"]
    ok = subprocess.run(cmd, capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    shipped = tmp_path / "data"
    shutil.copytree(DATA_DIR, shipped)
    hubs = shipped / "hubs.geojson"
    hubs.write_bytes(hubs.read_bytes().replace(b"113.29889", b"113.29888", 1))
    bad = subprocess.run([*cmd, "--out", str(shipped)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert bad.stderr.strip() == "hubs.geojson: differs from a rebuild"
    assert hubs.read_bytes() != (DATA_DIR / "hubs.geojson").read_bytes()  # --check wrote nothing


def _sources_copy(tmp_path: Path) -> Path:
    src = tmp_path / "sources"
    shutil.copytree(SOURCES, src, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return src


def test_ragged_row_names_file_and_line(tmp_path):
    src = _sources_copy(tmp_path)
    hubs = src / "hubs.csv"
    lines = hubs.read_text(encoding="utf-8").splitlines()
    lines[2] += ",surplus"
    hubs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(build.BuildError, match=r"hubs\.csv:3: 4 fields, expected 3$"):
        build.build(tmp_path / "out", places_csv=src / "places.csv", src_dir=src)


def test_unknown_document_is_an_error(tmp_path):
    src = _sources_copy(tmp_path)
    towns = src / "north8_towns.csv"
    towns.write_text(
        towns.read_text(encoding="utf-8").replace("{NORTH8}", "{NORTH9}", 1), encoding="utf-8"
    )
    with pytest.raises(build.BuildError, match=r"north8_towns\.csv:2: unknown document \{NORTH9\}"):
        build.load_sources(src)


def test_bad_input_exit_code_2(tmp_path):
    res = subprocess.run(
        [sys.executable, str(SCRIPT), "--check", "--refresh-places", str(tmp_path / "none.csv")],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 2
    assert res.stderr.startswith("build.py: error: ") and "none.csv: cannot read" in res.stderr


@pytest.mark.skipif(not SHARED_PLACES.is_file(), reason="../shared/places.csv not present")
def test_repository_copy_matches_team_place_list():
    assert build.extract_places(SHARED_PLACES) == (SOURCES / "places.csv").read_text(
        encoding="utf-8"
    ), "layers/sources/places.csv is stale: run build.py --refresh-places ../shared/places.csv"


def test_accuracy_rules():
    acc = build.load_sources().accuracy
    row = {"id": "x", "kind": "station", "confidence": "medium", "note": ""}
    assert build.accuracy_for(row, acc)[0] == 3000.0
    assert build.accuracy_for(row | {"kind": "park"}, acc)[0] == 5000.0
    assert build.accuracy_for(row | {"confidence": "high"}, acc)[0] == 500.0
    low = row | {"confidence": "low", "note": "own estimate; +/-10 km"}
    assert build.accuracy_for(low, acc)[0] == 10000.0
    assert build.accuracy_for(row | {"note": "nearby (est. within ~3 km)"}, acc)[0] == 3000.0
    assert build.accuracy_for(row | {"note": "station at T2 (~1-2 km away)"}, acc)[0] == 2000.0
