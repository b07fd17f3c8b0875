"""Write maps: HTML (atomic) and PNG (headless Chromium screenshot, atomic)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

import folium

from suigeo.errors import OutputError
from suigeo.io.atomic import atomic_output, check_not_input
from suigeo.maps.browser import chromium
from suigeo.maps.pagecheck import check_rendered, install_probe

__all__ = ["render_html", "save_html", "save_map", "save_png"]


def render_html(m: folium.Map) -> str:
    """Return the complete HTML page of ``m`` (offline assets inlined if it was built so)."""
    return m.get_root().render()


def save_html(
    m: folium.Map,
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Write the map page to ``out`` atomically (never over one of ``inputs``)."""
    html = render_html(m)
    with atomic_output(out, inputs=inputs) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return Path(out)


def save_png(
    html: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    width: int = 1600,
    height: int = 1000,
    settle_s: float = 0.5,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> Path:
    """Screenshot the saved map page ``html`` with headless Chromium into ``out`` (PNG)."""
    page = Path(html).resolve()
    if not page.is_file():
        raise OutputError(f"cannot render {str(html)!r} to PNG: no such file")
    with chromium(width=width, height=height) as driver:
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False},
        )
        install_probe(driver)  # records failed scripts, stylesheets and tiles
        driver.get(page.as_uri())
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            ready = driver.execute_script(
                "return document.readyState === 'complete' && "
                "document.querySelectorAll('.leaflet-container').length > 0"
            )
            if ready:
                break
            time.sleep(0.1)
        check_rendered(driver, repr(str(out)))  # loaded, not blank; else nothing is written
        time.sleep(settle_s)  # let tiles (if any, and reachable) and fonts settle
        with atomic_output(out, inputs=[*inputs, page]) as tmp:
            if not driver.save_screenshot(str(tmp)):
                raise OutputError(f"Chromium could not write the screenshot {str(out)!r}")
    return Path(out)


def save_map(
    m: folium.Map,
    html: str | os.PathLike[str],
    *,
    png: str | os.PathLike[str] | None = None,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write the page (and a PNG of it when ``png`` is given); return the paths written.

    Both outputs are checked before anything is written (folder exists, not an input, the
    PNG not the page itself), so a bad ``png`` leaves no HTML behind.

    Raises
    ------
    suigeo.errors.OutputError
        A missing folder, or an output that is one of ``inputs``.
    """
    inputs = list(inputs)
    check_not_input(html, inputs)
    if png is not None:
        check_not_input(png, [*inputs, html])
        folder = Path(png).parent
        if not folder.is_dir():
            raise OutputError(f"cannot write {str(png)!r}: folder {str(folder)!r} does not exist")
    written = [save_html(m, html, inputs=inputs)]
    if png is not None:
        written.append(save_png(written[0], png, inputs=inputs))
    return written
