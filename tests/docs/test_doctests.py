"""Every ``>>>`` example in the docstrings of the suigeo package runs and gives its output.

Modules are imported by their ``suigeo.`` names (the names a user imports), found by walking
the installed package; the command line (``suigeo.cli``, ``suigeo.__main__``) is skipped, as
are modules without examples.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil
import re

import pytest

import suigeo

SKIP = ("suigeo.cli", "suigeo.__main__")
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names = ["suigeo"]
    for info in pkgutil.walk_packages(suigeo.__path__, "suigeo."):
        if info.name.startswith(SKIP) or info.name.split(".")[-1] == "__main__":
            continue
        names.append(info.name)
    return sorted(names)


def _examples(name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, name)
    # Objects imported from elsewhere are tested in their own module only.
    return [t for t in tests if _runnable(t) and _defined_in(t, module)]


def _runnable(test: doctest.DocTest) -> bool:
    return any(not ex.options.get(doctest.SKIP, False) for ex in test.examples)


def _defined_in(test: doctest.DocTest, module: object) -> bool:
    return test.filename is None or test.filename == getattr(module, "__file__", None)


MODULES = _module_names()
WITH_EXAMPLES = [name for name in MODULES if _examples(name)]


def test_the_walk_finds_the_packages() -> None:
    # A walk that silently found nothing would make every doctest test pass vacuously.
    for name in ("suigeo.crs.transform", "suigeo.geo.access.tobler", "suigeo.geo.rules.check"):
        assert name in MODULES
    assert len(WITH_EXAMPLES) >= 10


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_docstring_examples(name: str) -> None:
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _examples(name):
        runner.run(test, out=report.append)
    failed, attempted = runner.summarize(verbose=False)
    assert attempted > 0
    assert failed == 0, "".join(report)


TOP_LEVEL_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:crs|layers|geo|maps)\b")


@pytest.mark.parametrize("name", WITH_EXAMPLES)
def test_examples_import_through_suigeo(name: str) -> None:
    # From a checkout the top-level folders are importable too (the working directory is on
    # sys.path), so an example written with `import layers` would pass here and fail for a
    # user, whose installed package is only `suigeo`.
    bad = [
        f"{test.name}: {example.source.strip()}"
        for test in _examples(name)
        for example in test.examples
        if TOP_LEVEL_IMPORT.match(example.source)
    ]
    assert not bad, bad
