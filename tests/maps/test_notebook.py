"""A ``maps.build(...)`` result displays inline in Jupyter like any folium map: its
``_repr_html_`` (what IPython's display calls) is an iframe holding the whole offline page,
and that output, opened in headless Chromium as a notebook would show it, draws the map."""

from __future__ import annotations

import html as htmllib
import re
import time

import pytest

from suigeo import maps
from suigeo.maps.browser import browser_available, chromium


def _srcdoc(out: str) -> str:
    m = re.search(r'<iframe srcdoc="([^"]*)"', out)
    assert m, out[:300]
    return htmllib.unescape(m.group(1))


def test_repr_html_is_the_offline_page_in_an_iframe():
    m = maps.build(["north8_towns"], title="八镇")
    out = m._repr_html_()
    page = _srcdoc(out)
    assert page.startswith("<!DOCTYPE html>")
    assert "Leaflet 1.9.3" in page  # inlined, not linked
    assert not re.search(r"<script[^>]+src=\"https?://", page)
    assert "suigeoLabels" in page and "window.suigeoFocus" in page
    # displaying again still gives the offline page (the asset swap survives a re-render)
    again = _srcdoc(m._repr_html_())
    assert "Leaflet 1.9.3" in again and not re.search(r"<script[^>]+src=\"https?://", again)


@pytest.mark.browser
@pytest.mark.skipif(not browser_available()[0], reason="headless browser not installed")
def test_notebook_output_draws_the_map(tmp_path):
    m = maps.build(["north8_towns"], title="八镇")
    cell = tmp_path / "cell.html"
    # the output area of a notebook: the repr inside a fixed-width cell
    cell.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>'
        f'<div style="width:900px">{m._repr_html_()}</div></body></html>',
        encoding="utf-8",
    )
    with chromium(width=1000, height=800) as driver:
        driver.get(cell.as_uri())
        time.sleep(1.0)
        driver.switch_to.frame(driver.find_element("css selector", "iframe"))
        for _ in range(50):
            n = driver.execute_script(
                "return document.querySelectorAll('.suigeo-label:not(.suigeo-label-hidden)').length"
            )
            if n == 8:
                break
            time.sleep(0.1)
        assert n == 8  # the eight towns, labelled
        assert driver.execute_script("return Object.values(window).some(v => v instanceof L.Map)")
        assert (
            driver.execute_script("return document.querySelector('.suigeo-title').textContent")
            == "八镇"
        )
        severe = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == []
