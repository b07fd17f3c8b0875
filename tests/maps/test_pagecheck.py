"""Never a blank picture: the page check before a PNG is written, in real headless Chromium.

The browser sends every request to a closed port, so CDN scripts and tile servers are
unreachable here: exactly the firewalled office machine of issue 12.
"""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from suigeo import maps
from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.maps.browser import browser_available, chromium
from suigeo.maps.pagecheck import (
    INK_TOLERANCE,
    BlankMapError,
    PageLoadError,
    check_rendered,
    install_probe,
)

_OK, _WHY = browser_available()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not _OK, reason=f"headless browser not installed: {_WHY}"),
]


def test_online_page_without_network_is_an_error_and_writes_nothing(tmp_path, parks, capsys):
    html = tmp_path / "m.html"
    png = tmp_path / "m.png"
    maps.save_html(maps.build({"P": parks}, offline=False), html)
    with pytest.raises(PageLoadError, match=r"could not be fetched \(https://"):
        maps.save_png(html, png)
    assert not png.exists()
    # the CLI: exit 2, one line naming the cause, no PNG (and with harden's change no HTML)
    gj = tmp_path / "p.geojson"
    parks.to_file(gj, driver="GeoJSON", engine="pyogrio")
    out = tmp_path / "cli.html"
    argv = ["map", "build", "--user-layer", str(gj), "--online", "-o", str(out)]
    assert main([*argv, "--png", str(tmp_path / "cli.png")]) == 2
    assert "did not load" in capsys.readouterr().err
    assert not (tmp_path / "cli.png").exists()


def test_unreachable_tiles_and_nothing_drawn_is_blank(tmp_path, caplog):
    html = maps.save_html(maps.build(basemap="osm"), tmp_path / "empty.html")
    with (
        caplog.at_level(logging.WARNING, logger="suigeo.maps.pagecheck"),
        pytest.raises(BlankMapError, match="would be blank") as err,
    ):
        maps.save_png(html, tmp_path / "empty.png")
    assert "https://tile.openstreetmap.org" in str(err.value)
    assert any("tile.openstreetmap.org could not be reached" in r.message for r in caplog.records)
    assert not (tmp_path / "empty.png").exists()


def test_unreachable_tiles_with_data_is_a_warning_and_the_count_is_right(tmp_path, parks, caplog):
    html = maps.save_html(maps.build({"P": parks}, basemap="osm"), tmp_path / "osm.html")
    with caplog.at_level(logging.WARNING, logger="suigeo.maps.pagecheck"):
        png = maps.save_png(html, tmp_path / "osm.png", width=900, height=700)
    assert png.is_file()
    assert any("tile.openstreetmap.org" in r.message for r in caplog.records)
    # the in-page pixel count against a brute-force count over the same PNG (PIL, numpy)
    with chromium(width=900, height=700) as driver:
        install_probe(driver)
        driver.get(html.resolve().as_uri())
        rep = check_rendered(driver, "test")
        shot = tmp_path / "again.png"
        driver.save_screenshot(str(shot))
    assert rep.unreachable == ["https://tile.openstreetmap.org"]
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    x, y, w, h = (round(v) for v in rep.box)
    area = img[y : y + h, x : x + w]
    mask = np.zeros(area.shape[:2], bool)
    for px, py, pw, ph in rep.panels:
        x0, y0 = max(0, int(np.floor(px)) - x), max(0, int(np.floor(py)) - y)
        x1, y1 = int(np.ceil(px + pw)) - x, int(np.ceil(py + ph)) - y
        mask[y0:y1, x0:x1] = True
    bg = np.array([int(rep.background[i : i + 2], 16) for i in (1, 3, 5)])
    ink = (np.abs(area - bg).max(axis=2) > INK_TOLERANCE) & ~mask
    assert rep.area_px == int((~mask).sum())
    assert rep.ink_px == int(ink.sum())
    assert rep.ink_px > 300  # three park markers with labels
    assert rep.background == "#f4f3ef"  # the page's background colour (controls.py)


def test_offline_map_png_has_no_warning(tmp_path, parks, caplog):
    html = maps.save_html(maps.build({"P": parks}), tmp_path / "m.html")
    with caplog.at_level(logging.WARNING, logger="suigeo.maps"):
        maps.save_png(html, tmp_path / "m.png", width=800, height=600)
    assert [r.message for r in caplog.records] == []


def test_own_tile_server_unreachable_is_a_warning_naming_it(tmp_path, parks, capsys):
    from suigeo.maps.basemaps import tile_basemap

    gj = tmp_path / "p.geojson"
    parks.to_file(gj, driver="GeoJSON", engine="pyogrio")
    out, png = tmp_path / "t.html", tmp_path / "t.png"
    argv = ["map", "build", "--user-layer", str(gj), "-o", str(out), "--png", str(png)]
    argv += ["--tiles", "https://tiles.gz-intranet.invalid/{z}/{x}/{y}.png"]
    argv += ["--tiles-attribution", "规划院 tiles", "--tiles-datum", "CGCS2000"]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "https://tiles.gz-intranet.invalid could not be reached" in err
    assert png.is_file()
    html = out.read_text(encoding="utf-8")
    assert "tiles.gz-intranet.invalid/{z}/{x}/{y}.png" in html and "suigeoBase" not in html
    # the datum is required and the template checked
    assert main([*argv[:-6], "--tiles", "https://t.invalid/{z}/{x}/{y}.png"]) == 2
    assert "--tiles-datum" in capsys.readouterr().err
    for bad in ("ftp://t/{z}/{x}/{y}", "https://t/{z}/{x}.png", "https://t/{z}/{x}/{y}{{a}}",
                "https://t/{z}/{x}/{y}/{key}", "https://t/{z}/{x}/{y}'+alert(1)+'"):  # fmt: skip
        with pytest.raises(InputError):
            tile_basemap(bad, attribution="a", datum="WGS84")
    with pytest.raises(InputError, match="attribution"):
        tile_basemap("https://t/{z}/{x}/{y}.png", attribution=" ", datum="WGS84")
