"""Tiles from an MBTiles or PMTiles file, put into the page: read (TMS rows flipped; PMTiles
directories with runs of identical tiles), drawn offline in Chromium with nothing fetched,
north tiles above south tiles."""

from __future__ import annotations

import base64
import io
import math
import sqlite3
import time

import numpy as np
import pytest
from PIL import Image

from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.maps.browser import browser_available, chromium
from suigeo.maps.mbtiles import read_mbtiles, read_pmtiles
from suigeo.maps.pagecheck import check_rendered, install_probe

NORTH, SOUTH = (200, 30, 200), (30, 200, 200)


def _xyz(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 1 << z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _make(path, zooms=(7, 8), box=(112.0, 22.0, 116.0, 25.0), fmt="png") -> dict:
    if str(path).endswith(".pmtiles"):
        return _make_pmtiles(path, zooms, box, fmt)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE metadata (name text, value text)")
    con.execute(
        "CREATE TABLE tiles (zoom_level integer, tile_column integer, tile_row integer, "
        "tile_data blob)"
    )
    con.executemany(
        "INSERT INTO metadata VALUES (?, ?)",
        [("name", "test tiles"), ("format", fmt), ("attribution", "© 测试瓦片")],
    )
    split = _xyz(0, 23.5, 8)[1]  # tiles north of row 110 at zoom 8 (24.53N) are magenta
    made = {}
    for z in zooms:
        x0, y0 = _xyz(box[0], box[3], z)
        x1, y1 = _xyz(box[2], box[1], z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                north = (y << (8 - z)) < split if z <= 8 else y < split << (z - 8)
                buf = io.BytesIO()
                Image.new("RGB", (256, 256), NORTH if north else SOUTH).save(buf, "PNG")
                tms = (1 << z) - 1 - y
                con.execute("INSERT INTO tiles VALUES (?, ?, ?, ?)", (z, x, tms, buf.getvalue()))
                made[f"{z}/{x}/{y}"] = north
    con.commit()
    con.close()
    return made


def _tiles(zooms, box):
    """(z, x, y, north) of every tile of the box, XYZ rows (from the north)."""
    split = _xyz(0, 23.5, 8)[1]
    for z in zooms:
        x0, y0 = _xyz(box[0], box[3], z)
        x1, y1 = _xyz(box[2], box[1], z)
        for x in range(x0, x1 + 1):
            for y in range(y0, y1 + 1):
                yield z, x, y, ((y << (8 - z)) < split if z <= 8 else y < split << (z - 8))


def _make_pmtiles(path, zooms, box, fmt) -> dict:
    """A PMTiles v3 file written by the ``pmtiles`` package's own writer (an independent
    implementation of the format): identical tiles are stored once, as runs."""
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    made = {}
    pictures = {}
    for north in (True, False):
        buf = io.BytesIO()
        Image.new("RGB", (256, 256), NORTH if north else SOUTH).save(buf, "PNG")
        pictures[north] = buf.getvalue()
    tiles = sorted(_tiles(zooms, box), key=lambda t: zxy_to_tileid(t[0], t[1], t[2]))
    with open(path, "wb") as fh:
        w = Writer(fh)
        for z, x, y, north in tiles:
            data = b"\x1a\x00" if fmt == "pbf" else pictures[north]
            w.write_tile(zxy_to_tileid(z, x, y), data)
            made[f"{z}/{x}/{y}"] = north
        kind = TileType.MVT if fmt == "pbf" else TileType.PNG
        header = {"tile_type": kind, "tile_compression": Compression.NONE}
        header |= {"min_lon_e7": int(box[0] * 1e7), "min_lat_e7": int(box[1] * 1e7)}
        header |= {"max_lon_e7": int(box[2] * 1e7), "max_lat_e7": int(box[3] * 1e7)}
        header |= {"center_zoom": zooms[0], "center_lon_e7": 0, "center_lat_e7": 0}
        w.finalize(header, {"name": "test tiles", "attribution": "© 测试瓦片"})
    return made


def test_pmtiles_read_with_runs_and_refused_when_vector(tmp_path):
    made = _make(tmp_path / "t.pmtiles", zooms=(6, 7, 8))
    t = read_pmtiles(tmp_path / "t.pmtiles")
    assert set(t.tiles) == set(made)  # every tile, runs of identical tiles expanded
    assert (t.min_zoom, t.max_zoom, t.attribution, t.name) == (6, 8, "© 测试瓦片", "test tiles")
    # the north tiles hold the north picture: decode two of them back
    for key, north in list(made.items())[:40]:
        png = base64.b64decode(t.tiles[key].split(",", 1)[1])
        assert Image.open(io.BytesIO(png)).getpixel((5, 5)) == (NORTH if north else SOUTH)
    assert set(read_mbtiles(tmp_path / "t.pmtiles", max_zoom=6).tiles) == {
        k for k in made if k.startswith("6/")
    }
    _make(tmp_path / "v.pmtiles", fmt="pbf")
    with pytest.raises(InputError, match=r"vector \(MVT\) tiles; only raster"):
        read_pmtiles(tmp_path / "v.pmtiles")
    (tmp_path / "x.pmtiles").write_bytes(b"not a pmtiles file at all" * 10)
    with pytest.raises(InputError, match=r"x\.pmtiles.*not a PMTiles version 3 file"):
        read_pmtiles(tmp_path / "x.pmtiles")
    with pytest.raises(InputError, match="no tiles in zooms 12-14"):
        read_pmtiles(tmp_path / "t.pmtiles", min_zoom=12, max_zoom=14)


def test_read_flips_tms_rows_and_refuses_what_it_cannot_draw(tmp_path):
    made = _make(tmp_path / "t.mbtiles")
    t = read_mbtiles(tmp_path / "t.mbtiles")
    assert set(t.tiles) == set(made)  # XYZ keys: rows flipped back from TMS
    assert (t.min_zoom, t.max_zoom, t.attribution) == (7, 8, "© 测试瓦片")
    assert all(v.startswith("data:image/png;base64,") for v in t.tiles.values())
    assert set(read_mbtiles(tmp_path / "t.mbtiles", max_zoom=7).tiles) == {
        k for k in made if k.startswith("7/")
    }
    _make(tmp_path / "v.mbtiles", fmt="pbf")
    with pytest.raises(InputError, match="only raster"):
        read_mbtiles(tmp_path / "v.mbtiles")
    (tmp_path / "x.mbtiles").write_text("not sqlite")
    with pytest.raises(InputError, match=r"x\.mbtiles"):
        read_mbtiles(tmp_path / "x.mbtiles")
    with pytest.raises(InputError, match=r"a\.pmtiles.*no such file"):
        read_mbtiles(tmp_path / "a.pmtiles")


@pytest.mark.browser
@pytest.mark.skipif(not browser_available()[0], reason="headless browser not installed")
@pytest.mark.parametrize("suffix", [".mbtiles", ".pmtiles"])
def test_mbtiles_drawn_in_the_page_with_nothing_fetched(tmp_path, parks, capsys, suffix):
    tiles = tmp_path / f"t{suffix}"
    _make(tiles)
    gj = tmp_path / "p.geojson"
    parks.iloc[:1].assign(geometry=parks.geometry.iloc[:1].translate(-2.7, -0.6)).to_file(
        gj, driver="GeoJSON", engine="pyogrio"
    )  # one park near 113.3E 23.4N, in the tiles
    out = tmp_path / "m.html"
    argv = ["map", "build", "--user-layer", str(gj), "--tiles", str(tiles)]
    argv += ["--tiles-datum", "WGS84", "--focus", "112.5,22.5,114.5,26.0", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    with chromium(width=1000, height=800) as driver:
        install_probe(driver)
        driver.get(out.resolve().as_uri())
        time.sleep(0.5)
        rep = check_rendered(driver, "test")
        shot = tmp_path / "shot.png"
        driver.save_screenshot(str(shot))
        attribution = driver.execute_script(
            "return document.querySelector('.leaflet-control-attribution').textContent"
        )
    assert rep.unreachable == [] and rep.tiles > 0 and rep.tiles_loaded == rep.tiles
    assert "© 测试瓦片" in attribution
    img = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    north = (np.abs(img - NORTH).max(axis=2) < 4).nonzero()[0]
    south = (np.abs(img - SOUTH).max(axis=2) < 4).nonzero()[0]
    assert north.size > 10_000 and south.size > 10_000
    assert north.mean() < south.mean()  # north tiles above the south ones
