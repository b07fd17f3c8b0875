"""The vendored assets: every CDN URL folium, the plugins suigeo uses and branca link has an
offline copy (or a recorded reason to omit it), with its licence file."""

from __future__ import annotations

import base64

import branca.colormap
import folium
import folium.plugins
import pytest
from branca.element import CssLink, JavascriptLink

from suigeo.maps.offline import ASSETS_DIR, asset_manifest, inline_asset


def _linked_urls() -> list[str]:
    """Render a folium map with the plugins suigeo uses; collect every linked URL."""
    m = folium.Map(tiles=None)
    gj = folium.GeoJson({"type": "FeatureCollection", "features": []}, name="x").add_to(m)
    folium.plugins.GroupedLayerControl({"g": [gj]}, exclusive_groups=False).add_to(m)
    branca.colormap.StepColormap(["#000000", "#ffffff"], index=[0, 1, 2]).add_to(m)
    m.get_root().render()
    header = m.get_root().header._children.values()
    return [el.url for el in header if isinstance(el, JavascriptLink | CssLink)]


def test_every_linked_url_has_an_offline_copy():
    urls = _linked_urls()
    assert any("d3" in u for u in urls)  # branca's d3 is among them
    for url in urls:
        inline_asset(url)  # raises OfflineAssetError if missing


def test_manifest_files_and_licences_exist():
    man = asset_manifest()
    for entry in man["asset"]:
        if "file" in entry:
            assert (ASSETS_DIR / entry["file"]).is_file(), entry["file"]
    for name, pkg in man["packages"].items():
        assert (ASSETS_DIR / pkg["license_file"]).is_file(), name
        assert len(pkg["tarball_sha256"]) == 64
        assert pkg["license"]


@pytest.mark.parametrize(
    ("file", "marker"),
    [
        ("leaflet@1.9.3/dist/leaflet.js", 'version="1.9.3"'),
        ("jquery@3.7.1/dist/jquery.min.js", "jQuery v3.7.1"),
        ("bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js", "Bootstrap v5.2.2"),
        ("d3@3.5.5/d3.min.js", 'version:"3.5.5"'),
    ],
)
def test_vendored_files_are_the_versions_named(file, marker):
    text = (ASSETS_DIR / file).read_text(encoding="utf-8")
    assert marker.replace(" ", "") in text.replace(" ", "")


def test_stylesheet_images_and_fonts_become_data_uris():
    css = inline_asset("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css")
    layers_png = (ASSETS_DIR / "leaflet@1.9.3/dist/images/layers.png").read_bytes()
    assert base64.b64encode(layers_png).decode() in css
    fa = inline_asset(
        "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css"
    )
    assert "url(../webfonts" not in fa and "data:font/woff2;base64," in fa
