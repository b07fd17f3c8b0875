"""The documentation site builds with warnings as errors, offline, from this checkout.

``mkdocs build --strict`` turns every warning (a broken link or anchor, a page missing from
the navigation, a docstring mkdocstrings cannot parse, an object it cannot find) into a
failed build. The site goes to a temporary directory; the repository is not touched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "mkdocs.yml"

pytest.importorskip("mkdocs", reason="the docs extra is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "NO_MKDOCS_2_WARNING": "1",  # material's banner about its successor, not a warning
        "PYTHONWARNINGS": "ignore",  # pytest's filterwarnings=error does not reach mkdocs
    }
    run = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(CONFIG), "-d", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return out, run


def test_docs_build_strict(site: tuple[Path, subprocess.CompletedProcess]) -> None:
    _, run = site
    assert run.returncode == 0, run.stdout + run.stderr
    warnings = [line for line in run.stderr.splitlines() if line.startswith(("WARNING", "ERROR"))]
    assert not warnings, "\n".join(warnings)


def test_reference_is_generated(site: tuple[Path, subprocess.CompletedProcess]) -> None:
    out, _ = site
    crs = (out / "reference" / "crs" / "index.html").read_text(encoding="utf-8")
    # mkdocstrings rendered the docstrings (not the bare `::: suigeo.crs` directives)
    assert 'id="suigeo.crs.transform.transform"' in crs
    assert "::: suigeo" not in crs
    cli = (out / "reference" / "cli" / "index.html").read_text(encoding="utf-8")
    # every command of the real parser has its section
    from suigeo.cli import build_parser

    for action in build_parser()._subparsers._group_actions:  # type: ignore[union-attr]
        for name in action.choices:
            assert f'id="suigeo-{name}"' in cli, name
    assert "suigeo-cli-reference" not in cli


def test_site_is_offline(site: tuple[Path, subprocess.CompletedProcess]) -> None:
    out, _ = site
    for page in out.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis.com" not in text, page
        assert "fonts.gstatic.com" not in text, page
