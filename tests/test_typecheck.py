"""The type checker is part of the test command: mypy over the package, no errors.

Configured in pyproject.toml ([tool.mypy]): the package ``suigeo`` (its subpackages are
links to the top-level folders, so each module is checked once, by its ``suigeo.`` name).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_reports_no_errors():
    res = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "pyproject.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    assert "Success: no issues found" in out
    assert "Duplicate module" not in out
    # every module is checked, through the links under suigeo/ (mypy also counts the data
    # folders, namespace packages without files, so the count is at least the files')
    checked = int(re.search(r"in (\d+) source files", out).group(1))
    files = [
        p for d in ("crs", "geo", "layers", "maps", "suigeo") for p in (ROOT / d).rglob("*.py")
    ]
    assert checked >= len(files) > 50, out
