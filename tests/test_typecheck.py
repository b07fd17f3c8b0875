"""The type checker is part of the test command: mypy over the package, no errors.

Configured in pyproject.toml ([tool.mypy]): the package ``suigeo`` (its subpackages are
links to the top-level folders, so each module is checked once, by its ``suigeo.`` name).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_mypy_reports_no_errors():
    res = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", "pyproject.toml"],
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


PACKAGE_DIRS = ("crs", "geo", "layers", "maps", "suigeo")


def _public_functions(path: Path):
    """(qualified name, line, function node) of every public function and method."""

    def walk(node: ast.AST, prefix: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef) and not child.name.startswith("_"):
                yield from walk(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                name = child.name
                if not name.startswith("_") or (name.startswith("__") and name.endswith("__")):
                    yield f"{prefix}{name}", child.lineno, child

    yield from walk(ast.parse(path.read_text(encoding="utf-8")), "")


def test_public_functions_have_type_hints():
    """The guide's rule, which mypy's defaults do not enforce: every argument and return of a
    public function or method is annotated (``self``/``cls`` and ``__init__``'s return aside)."""
    missing = []
    files = [p for d in PACKAGE_DIRS for p in sorted((ROOT / d).rglob("*.py"))]
    for path in files:
        rel = path.relative_to(ROOT)
        if any(part.startswith("_") and part != "__init__.py" for part in rel.parts) or (
            rel.parts[:2] == ("layers", "sources")
        ):
            continue  # private modules, and the layers' build script (not in the package)
        for name, line, fn in _public_functions(path):
            a = fn.args
            args = [*a.posonlyargs, *a.args, *a.kwonlyargs, *filter(None, [a.vararg, a.kwarg])]
            bare = [x.arg for x in args if x.annotation is None and x.arg not in ("self", "cls")]
            if fn.returns is None and fn.name != "__init__":
                bare.append("return")
            if bare:
                missing.append(f"{rel}:{line} {name}: {', '.join(bare)}")
    assert len(files) > 50
    assert not missing, "no type hints:\n" + "\n".join(missing)
