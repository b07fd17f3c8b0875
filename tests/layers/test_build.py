"""The shipped files are exactly what the build script makes from the team's place list.

Skipped where ../shared/places.csv is not beside the repository (the package itself never
needs it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from suigeo.layers import _build
from suigeo.layers.shipped import DATA_DIR, LAYER_NAMES

PLACES = Path(__file__).resolve().parents[2].parent / "shared" / "places.csv"


@pytest.mark.skipif(not PLACES.is_file(), reason="../shared/places.csv not present")
def test_rebuild_reproduces_shipped_files(tmp_path, capsys):
    counts = _build.build(PLACES, tmp_path)
    assert set(counts) == set(LAYER_NAMES)
    for name in LAYER_NAMES:
        assert (tmp_path / f"{name}.geojson").read_bytes() == (
            DATA_DIR / f"{name}.geojson"
        ).read_bytes(), f"{name}: shipped file differs from a rebuild; run python -m layers._build"
    table = "rail_through_services.csv"
    assert (tmp_path / table).read_bytes() == (DATA_DIR / table).read_bytes(), table


def test_accuracy_rules():
    row = {"id": "x", "kind": "station", "confidence": "medium", "note": ""}
    assert _build.accuracy_for(row)[0] == 3000.0
    assert _build.accuracy_for(row | {"kind": "park"})[0] == 5000.0
    assert _build.accuracy_for(row | {"confidence": "high"})[0] == 500.0
    assert (
        _build.accuracy_for(row | {"confidence": "low", "note": "own estimate; +/-10 km"})[0]
        == 10000.0
    )
    assert _build.accuracy_for(row | {"note": "nearby (est. within ~3 km)"})[0] == 3000.0
    assert _build.accuracy_for(row | {"note": "station at T2 (~1-2 km away)"})[0] == 2000.0
