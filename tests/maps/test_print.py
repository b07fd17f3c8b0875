"""``suigeo map print``: a sheet printed by headless Chromium, checked by rendering the PDF
back with poppler (pdfinfo, pdftotext, pdftoppm, pdfimages), not only in the HTML."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from suigeo import maps
from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.maps.browser import browser_available
from suigeo.maps.printing import layout

_OK, _WHY = browser_available()
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not _OK, reason=f"headless browser not installed: {_WHY}"),
    pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed"),
]

_PT_PER_MM = 72 / 25.4


def _run(*cmd: str) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def _render(pdf: Path, dpi: int) -> np.ndarray:
    base = pdf.with_suffix("")
    _run("pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(base))
    return np.asarray(Image.open(base.with_suffix(".png")).convert("RGB")).astype(int)


def _region(img: np.ndarray, box_mm, dpi: int) -> np.ndarray:
    k = dpi / 25.4
    x, y, w, h = box_mm
    return img[int(y * k) : int((y + h) * k), int(x * k) : int((x + w) * k)]


def _longest_run(row: np.ndarray) -> int:
    """Longest run of True in a boolean row."""
    best = run = 0
    for v in row:
        run = run + 1 if v else 0
        best = max(best, run)
    return best


def _ink(a: np.ndarray) -> float:
    """Share of pixels that are not white paper."""
    return float((a.min(axis=2) < 235).mean())


def test_a3_landscape_pdf_board(tmp_path, capsys):
    pdf = tmp_path / "board.pdf"
    argv = ["map", "print", "--shipped", "north8_towns", "--shipped", "forest_parks"]
    argv += ["--shipped", "rail_stations", "--title", "北部山区八镇 Northern towns"]
    argv += ["--subtitle", "Forest parks and stations", "--graticule"]
    argv += ["-o", str(pdf), "--paper", "A3", "--orientation", "landscape"]
    assert main(argv) == 0, capsys.readouterr().err
    info = _run("pdfinfo", str(pdf))
    assert "Pages:           1" in info
    size = next(ln for ln in info.splitlines() if ln.startswith("Page size:")).split()
    w_pt, h_pt = float(size[2]), float(size[4])
    assert w_pt == pytest.approx(420 * _PT_PER_MM, abs=1.5)  # 1190.55 pt
    assert h_pt == pytest.approx(297 * _PT_PER_MM, abs=1.5)  # 841.89 pt
    text = " ".join(_run("pdftotext", str(pdf), "-").split())
    for want in ("北部山区八镇 Northern towns", "Forest parks and stations", "Legend 图例",
                 "Internal planning use", "第三十四条", "Made 20", " km", "°E", "°N"):  # fmt: skip
        assert want in text, want
    # vector: the map is drawn as paths and text, no page-sized picture inside
    images = _run("pdfimages", "-list", str(pdf)).splitlines()[2:]
    big = [ln for ln in images if int(ln.split()[3]) * int(ln.split()[4]) > 200_000]
    assert big == []
    # rendered back: every part of the sheet has something on it
    dpi = 50
    img = _render(pdf, dpi)
    assert img.shape[1] == pytest.approx(420 / 25.4 * dpi, abs=2)
    lay = layout("A3", "landscape")
    assert _ink(_region(img, lay.header, dpi)) > 0.02  # title block
    assert _ink(_region(img, lay.panel, dpi)) > 0.02  # legend
    assert _ink(_region(img, lay.frame, dpi)) > 0.01  # map
    foot = _region(img, lay.footer, dpi)
    red = (foot[..., 0] > 140) & (foot[..., 1] < 90) & (foot[..., 2] < 90)
    assert red.sum() > 20  # the internal-use note is printed in red (#b2182b)
    # the north arrow: a dark triangle in the frame's top-right corner (18 mm × 25 mm)
    fx, fy, fw, _ = lay.frame
    corner = _region(img, (fx + fw - 20, fy, 20, 28), dpi)
    assert (corner.max(axis=2) < 60).sum() > 15
    # the metric scale bar: a dark line (2 px border at 96 dpi, wider than 15 mm) in the
    # frame's bottom-left corner, its text a length in km in the PDF text
    fx, fy, fw, fh = lay.frame
    dpi2 = 150
    img2 = _render(pdf, dpi2)
    corner = _region(img2, (fx + 1, fy + fh - 12, 60, 11), dpi2)  # inside the frame line
    dark = corner.max(axis=2) < 90
    longest = max(_longest_run(row) for row in dark)
    assert longest > 15 / 25.4 * dpi2  # one unbroken horizontal line longer than 15 mm
    assert any(w.isdigit() for w in text.split(" km")[0].split()[-1:])


def test_png_at_dpi_and_portrait_with_review_number(tmp_path):
    m = maps.build(["meizhou_parks"], title="梅州共建产业园", review_number="粤S(2025)001号")
    png = maps.print_map(m, tmp_path / "board.png", dpi=200)
    with Image.open(png) as im:
        w, h = im.size
        px = np.asarray(im.convert("RGB")).astype(int)
    assert w == pytest.approx(420 / 25.4 * 200, abs=3)  # 3307 px
    assert h == pytest.approx(297 / 25.4 * 200, abs=3)  # 2339 px
    assert _ink(px) > 0.005  # measured 1.7 %: nine parks, their labels, legend, footer
    pdf = maps.print_map(m, tmp_path / "a4.pdf", paper="A4", orientation="portrait")
    size = [ln for ln in _run("pdfinfo", str(pdf)).splitlines() if ln.startswith("Page size")]
    w_pt, h_pt = float(size[0].split()[2]), float(size[0].split()[4])
    # A4 portrait 210 × 297 mm = 595.28 × 841.89 pt (Chromium rounds to about 0.3 pt)
    assert (w_pt, h_pt) == (pytest.approx(595.28, abs=1.5), pytest.approx(841.89, abs=1.5))
    text = _run("pdftotext", str(pdf), "-")
    assert "粤S(2025)001号" in text and "梅州共建产业园" in text
    assert "not for publication" not in text


def test_print_refuses_bad_options_and_blank_maps(tmp_path, capsys):
    m = maps.build(["hubs"])
    with pytest.raises(InputError, match=r"pdf or \.png"):
        maps.print_map(m, tmp_path / "x.svg")
    assert main(["map", "print", "--shipped", "hubs", "-o", str(tmp_path / "b.pdf"),
                 "--dpi", "5000"]) == 2  # fmt: skip
    assert "dpi" in capsys.readouterr().err
    # an online page on this network-less machine: the page check stops it, nothing written
    out = tmp_path / "online.pdf"
    assert main(["map", "print", "--shipped", "hubs", "--online", "-o", str(out)]) == 2
    assert "did not load" in capsys.readouterr().err
    assert not out.exists()
