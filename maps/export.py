"""Write maps: HTML (atomic) and PNG (headless Chromium screenshot, atomic)."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path

import folium

from suigeo.errors import OutputError, SuigeoError
from suigeo.io.atomic import atomic_output, check_outputs
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
    """Screenshot the saved map page ``html`` with headless Chromium into ``out`` (PNG).

    Raises
    ------
    suigeo.errors.OutputError
        The page is missing, or Chromium or chromedriver failed (did not start, died,
        could not write); nothing is written then.
    """
    page = Path(html).resolve()
    if not page.is_file():
        raise OutputError(f"cannot render {str(html)!r} to PNG: no such file")
    try:
        _screenshot(page, out, width, height, settle_s, [*inputs, page])
    except SuigeoError:
        raise
    except Exception as exc:  # selenium: the driver did not start, died, timed out ...
        raise OutputError(
            f"cannot make the PNG {str(out)!r}: headless Chromium failed "
            f"({type(exc).__name__}: {_first_line(exc)}); check that `chromium --version` "
            "and `chromedriver --version` run, or leave out the PNG"
        ) from None
    return Path(out)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "msg", None) or exc).strip().splitlines()
    return text[0][:200] if text else "no message"


def _screenshot(page: Path, out, width: int, height: int, settle_s: float, inputs) -> None:
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
        with atomic_output(out, inputs=inputs) as tmp:
            if not driver.save_screenshot(str(tmp)):
                raise OutputError(f"Chromium could not write the screenshot {str(out)!r}")


def save_map(
    m: folium.Map,
    html: str | os.PathLike[str],
    *,
    png: str | os.PathLike[str] | None = None,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> list[Path]:
    """Write the page (and a PNG of it when ``png`` is given); return the paths written.

    Both outputs are checked before anything is written (folder exists and can be written,
    not an input, not inside the package, the PNG not the page itself). With a PNG, both
    files are written or neither: the PNG is rendered from the page's temporary file, and
    the page is renamed into place only after the PNG was written.

    Raises
    ------
    suigeo.errors.OutputError
        A bad output path, or Chromium failed (then neither file is written).
    """
    inputs = list(inputs)
    check_outputs([("HTML", html), ("PNG", png)], inputs)
    if png is None:
        return [save_html(m, html, inputs=inputs)]
    text = render_html(m)
    png_done = False
    try:
        with atomic_output(html, inputs=inputs) as tmp:
            tmp.write_text(text, encoding="utf-8")
            save_png(tmp, png, inputs=[*inputs, html])
            png_done = True
    except BaseException:
        if png_done:  # the page could not be renamed into place: take the PNG back
            with contextlib.suppress(OSError):
                Path(png).unlink()
        raise
    return [Path(html), Path(png)]
