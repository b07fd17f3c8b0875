"""Remake the map pictures of the documentation in docs/img/ with headless Chromium.

Run from the repository root (Debian ``chromium`` and ``chromium-driver`` installed)::

    python docs/examples/make_images.py            # every picture
    python docs/examples/make_images.py demo       # only docs/img/demo-map.png

Pictures: ``demo-map.png`` (``suigeo demo`` at 1600×1000, shown at 1200×750),
``print-board.png`` (the demo printed on an A3 landscape board, ``suigeo map print``) and
``basemap-north.png`` (the offline basemap at zoom 10 over the northern towns: rivers,
county lines and place names under the planning layers). Each is written atomically and
reduced to a 256-colour palette to keep the repository small.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from suigeo import maps
from suigeo.maps.browser import chromium

IMG = Path(__file__).resolve().parents[1] / "img"


def _shrink(src: Path, out: Path, width: int) -> None:
    im = Image.open(src).convert("RGB")
    if im.width > width:
        im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    tmp = out.with_suffix(".tmp.png")
    im.quantize(256, method=Image.Quantize.MEDIANCUT).save(tmp, optimize=True)
    tmp.replace(out)
    print(out, f"{im.width}x{im.height}", f"{out.stat().st_size / 1e3:.0f} kB")


def _open(driver, html: Path) -> None:
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 1600, "height": 1000, "deviceScaleFactor": 1, "mobile": False},
    )
    driver.get(html.resolve().as_uri())


def demo(tmp: Path) -> None:
    html = maps.save_html(maps.demo_map(), tmp / "demo.html")
    with chromium(width=1600, height=1000) as driver:
        _open(driver, html)
        time.sleep(2.0)
        driver.execute_script("window.suigeoLayout && window.suigeoLayout()")
        driver.save_screenshot(str(tmp / "demo.png"))
    _shrink(tmp / "demo.png", IMG / "demo-map.png", 1200)


def north(tmp: Path) -> None:
    html = maps.save_html(maps.demo_map(), tmp / "north.html")
    with chromium(width=1600, height=1000) as driver:
        _open(driver, html)
        time.sleep(1.5)
        driver.execute_script(
            "Object.values(window).find(v => v instanceof L.Map)"
            ".setView([23.62, 113.55], 10, {animate: false});"
        )
        time.sleep(1.0)
        driver.execute_script("window.suigeoLayout && window.suigeoLayout()")
        driver.save_screenshot(str(tmp / "north.png"))
    _shrink(tmp / "north.png", IMG / "basemap-north.png", 1200)


def board(tmp: Path) -> None:
    out = maps.print_map(
        maps.demo_map(),
        tmp / "board.png",
        paper="A3",
        orientation="landscape",
        dpi=110,
        subtitle="Shipped layers and sketch-engine rings · offline basemap",
    )
    _shrink(out, IMG / "print-board.png", 1400)


PICTURES = {"demo": demo, "north": north, "board": board}


def main(argv: list[str]) -> int:
    names = argv or list(PICTURES)
    unknown = [n for n in names if n not in PICTURES]
    if unknown:
        print(f"unknown picture(s) {unknown}; choose from {list(PICTURES)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            PICTURES[name](Path(tmp))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
