"""Every argument has help, every command shows an example, and start-up stays light."""

import argparse
import json
import subprocess
import sys

import pytest

from suigeo.cli import GROUPS, LazyParser, build_parser, main

# Libraries a command line that only prints help (or converts one point) must not import:
# each costs 0.1-0.8 s of start-up.
HEAVY = (
    "geopandas",
    "pandas",
    "shapely",
    "folium",
    "branca",
    "rasterio",
    "scipy",
    "pyogrio",
    "pyarrow",
    "selenium",
)


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """Yield (command path, parser) for the parser and every subcommand below it."""
    if isinstance(parser, LazyParser):
        parser.filled()
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _walk(sub, (*path, name))


def _commands():
    return list(_walk(build_parser()))


def test_the_walk_reaches_every_command():
    names = {" ".join(path) for path, _ in _commands()}
    # one per group, and the subcommands of each (a walk that stops early proves nothing)
    assert set(GROUPS) <= names
    for leaf in ("crs point", "crs convert", "crs fit", "layers check", "access rings",
                 "access coverage", "map build", "rules check"):  # fmt: skip
        assert leaf in names


def test_every_argument_of_every_command_has_help():
    missing = []
    for path, parser in _commands():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    if not choice.help:
                        missing.append(f"suigeo {' '.join(path)} {choice.dest}")
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                name = "/".join(action.option_strings) or action.dest
                missing.append(f"suigeo {' '.join(path)} {name}")
    assert missing == []


def test_the_walk_would_see_an_argument_without_help():
    # the check above can fail: an argument added without help is found
    parser = build_parser()
    crs = dict(_walk(parser))[("crs",)]
    point = crs._actions[-1].choices["point"].filled()
    point.add_argument("--no-help-here")
    found = [
        a
        for _, p in _walk(parser)
        for a in p._actions
        if not isinstance(a, argparse._SubParsersAction) and not a.help
    ]
    assert [a.dest for a in found] == ["no_help_here"]


@pytest.mark.parametrize("group", GROUPS)
def test_every_group_help_shows_an_example(group, capsys):
    assert main([group, "--help"]) == 0
    out = capsys.readouterr().out
    assert "xample" in out and f"suigeo {group}" in out.split("xample", 1)[1]


def test_every_command_help_shows_an_example():
    missing = [
        " ".join(path)
        for path, parser in _commands()
        if "suigeo " not in (parser.epilog or "").split("xample", 1)[-1]
    ]
    assert missing == []


def _modules_after(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in HEAVY)


def test_help_imports_no_heavy_library():
    code = (
        "import contextlib, io\nimport suigeo.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    assert suigeo.cli.main(['--help']) == 0"
    )
    modules = _modules_after(code)
    assert _heavy(modules) == []
    assert "numpy" not in modules and "pyproj" not in modules


def test_group_help_imports_no_heavy_library():
    code = (
        "import contextlib, io\nimport suigeo.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    for g in {list(GROUPS)!r}:\n"
        "        assert suigeo.cli.main([g, '--help']) == 0"
    )
    assert _heavy(_modules_after(code)) == []


def test_point_conversion_imports_only_pyproj_and_numpy():
    code = (
        "import contextlib, io\nimport suigeo.cli\nbuf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    assert suigeo.cli.main(['crs', 'point', '--from', 'CGCS2000', '--to',"
        " 'CGCS2000-3GK-CM114', '113.3', '23.1']) == 0\n"
        "assert buf.getvalue().split() == ['428285.9562', '2555783.9288'], buf.getvalue()"
    )
    modules = _modules_after(code)
    assert _heavy(modules) == []
    assert "pyproj" in modules  # the check sees what is imported


def test_importing_the_crs_package_does_not_import_geopandas():
    assert _heavy(_modules_after("import suigeo.crs")) == []


def _examples(epilog: str) -> list[str]:
    """The ``suigeo ...`` command lines of a help text, continuation lines joined."""
    text = epilog.replace("\\\n", " ")
    out = []
    for line in text.splitlines():
        line = line.split("  #", 1)[0].strip()
        if " suigeo " in f" {line}" and line.split("suigeo", 1)[0].strip().endswith("..."):
            line = "suigeo" + line.split("suigeo", 1)[1]  # SUIGEO_TIANDITU_KEY=... suigeo
        if line.startswith("suigeo "):
            out.append(line)
    return out


def test_every_example_in_the_help_parses_with_todays_options():
    # a renamed option (--layer -> --shipped, --param -> --set ...) cannot linger in a help text
    import shlex

    examples = [
        line
        for _, parser in _commands()
        for text in (parser.epilog or "", parser.description or "")
        for line in _examples(text)
    ]
    assert len(examples) >= 30
    bad = []
    for line in examples:
        try:
            build_parser().parse_args(shlex.split(line)[1:])
        except SystemExit:
            bad.append(line)
    assert bad == []
