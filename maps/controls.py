"""Leaflet controls for the legend, the footer, the title and the attribution line.

Each takes HTML that the caller has already built from escaped text
(:func:`maps.escape.escape_text`); the HTML is written into the page as a JSON string
(``tojson``), so it cannot end the ``<script>`` element, and set with ``innerHTML``.
"""

from __future__ import annotations

from typing import Any

import folium
from branca.element import MacroElement
from folium.template import Template

__all__ = [
    "FooterControl",
    "HtmlControl",
    "LabelDeclutter",
    "TitleBox",
    "add_attribution",
    "add_css",
]

_CSS = """
<style>
.suigeo-legend, .suigeo-footer, .suigeo-title {
    background: rgba(255, 255, 255, 0.92); border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35);
    font: 12px/1.35 "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC",
          "Helvetica Neue", Arial, sans-serif;
    color: #222;
}
.suigeo-legend { padding: 6px 10px; max-height: 40vh; overflow-y: auto; }
.suigeo-legend-title { font-weight: bold; font-size: 13px; margin-bottom: 2px; }
.suigeo-legend-layer { font-weight: bold; margin-top: 5px; }
.suigeo-legend-item { display: flex; align-items: center; gap: 4px; white-space: nowrap; }
.suigeo-legend-item svg { flex: none; }
.suigeo-footer { padding: 4px 8px; max-width: 62vw; font-size: 11px; }
.suigeo-internal { color: #b2182b; font-weight: bold; }
.suigeo-review { font-weight: bold; }
.suigeo-title {
    position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
    z-index: 1000; padding: 5px 14px; font-size: 17px; font-weight: bold;
    pointer-events: none; max-width: 60vw; text-align: center;
}
.leaflet-container { background: #f4f3ef; }
.foliumpopup table, .foliumtooltip table { font-size: 12px; line-height: 1.3; }
.foliumpopup th, .foliumtooltip th {
    font-weight: 600; padding: 1px 10px 1px 0; vertical-align: top; max-width: 180px;
}
.foliumpopup td, .foliumtooltip td { padding: 1px 0; vertical-align: top; }
.leaflet-tooltip.suigeo-label {
    background: transparent; border: none; box-shadow: none; padding: 0;
    font-size: 11px; color: #222;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 3px #fff;
}
.leaflet-tooltip.suigeo-label::before { display: none; }
.leaflet-tooltip.suigeo-label.suigeo-label-hidden { visibility: hidden; }
.leaflet-control-layers-expanded {
    padding: 4px 8px; font-size: 12px; line-height: 1.3; max-height: 45vh; overflow-y: auto;
    max-width: 320px;
}
.leaflet-control-layers-expanded label { display: flex; align-items: flex-start; gap: 4px; }
.leaflet-control-layers-expanded label > input { flex: none; margin-top: 2px; }
.leaflet-control-layers-expanded label > span { white-space: normal; }
.leaflet-control-layers-group-name { font-weight: bold; margin-top: 3px; display: block; }
.leaflet-control-layers label { margin-bottom: 0; }
</style>
"""


class HtmlControl(MacroElement):
    """A Leaflet control at ``position`` whose content is the given (escaped) HTML."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var ctl = L.control({position: {{ this.position|tojson }}});
            ctl.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, position: str = "bottomright", css_class: str = "") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.css_class = css_class


class FooterControl(HtmlControl):
    """The footer: publication status, data sources, date, basemap datum."""

    def __init__(self, html: str) -> None:
        super().__init__(html, position="bottomleft", css_class="suigeo-footer")
        self._name = "FooterControl"


class TitleBox(MacroElement):
    """A title centred at the top of the map (escaped HTML)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var div = L.DomUtil.create("div", "suigeo-title");
            div.innerHTML = {{ this.html|tojson }};
            {{ this._parent.get_name() }}.getContainer().appendChild(div);
        })();
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "TitleBox"
        self.html = html


class LabelDeclutter(MacroElement):
    """Thin the permanent labels so that none overlaps another label or a labelled point.

    Labels register themselves in ``window.suigeoLabels`` as ``[priority, layer]`` (see
    ``maps.build``). After every zoom, pan, resize and layer switch the labels are placed
    greedily in priority order (lower first, then feature order): a label whose box, grown by
    ``pad_px``, meets a label already placed, the marker of another labelled feature (unless
    that marker touches the feature's own: coincident points share one label) or one of
    the map's panels (layer control, legend, footer, title) is hidden (CSS class
    ``suigeo-label-hidden``), and comes back when zooming in gives it room — the
    label-collision rule of desktop GIS. Hidden names stay on hover and in the popup.
    Nothing is fetched and no text is touched: only a class is toggled.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var pad = {{ this.pad_px|tojson }};
            function meets(r, k) {
                return r.left < k.right + pad && r.right + pad > k.left &&
                    r.top < k.bottom + pad && r.bottom + pad > k.top;
            }
            function declutter() {
                var items = (window.suigeoLabels || []).map(function (it, i) {
                    return {p: it[0], i: i, layer: it[1]};
                }).filter(function (it) {
                    var tip = it.layer.getTooltip && it.layer.getTooltip();
                    it.el = tip && tip.getElement && tip.getElement();
                    return it.el && map.hasLayer(it.layer);
                });
                items.sort(function (a, b) { return a.p - b.p || a.i - b.i; });
                var marks = items.map(function (it) {
                    var path = it.layer.getElement && it.layer.getElement();
                    return path ? path.getBoundingClientRect() : null;
                });
                // the map's own panels (layer control, legend, footer, title) are taken
                var panels = map.getContainer().querySelectorAll(".leaflet-control, .suigeo-title");
                var placed = Array.prototype.map.call(panels, function (el) {
                    return el.getBoundingClientRect();
                });
                items.forEach(function (it, n) {
                    it.el.classList.remove("suigeo-label-hidden");
                    var r = it.el.getBoundingClientRect();
                    var own = marks[n];
                    // markers touching this feature's own marker (coincident points) share
                    // its label rather than blocking it
                    var clash = placed.some(function (k) { return meets(r, k); }) ||
                        marks.some(function (k, m) {
                            return k && m !== n && !(own && meets(own, k)) && meets(r, k);
                        });
                    if (clash) {
                        it.el.classList.add("suigeo-label-hidden");
                    } else {
                        placed.push(r);
                    }
                });
            }
            var timer = null;
            function later() {
                clearTimeout(timer);
                timer = setTimeout(declutter, 30);
            }
            map.on("zoomend moveend resize overlayadd overlayremove", later);
            map.whenReady(later);
            window.suigeoDeclutter = declutter;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, pad_px: float = 2.0) -> None:
        super().__init__()
        self._name = "LabelDeclutter"
        self.pad_px = float(pad_px)


class _Attribution(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.html = html


class _Css(MacroElement):
    # a header macro renders after the map's own library links, so these rules come after
    # Leaflet's and Bootstrap's and win at equal specificity
    _template = Template("{% macro header(this, kwargs) %}" + _CSS + "{% endmacro %}")


def add_css(m: folium.Map) -> None:
    """Add suigeo's stylesheet (legend, footer, title, labels, popups) to the page once."""
    _Css().add_to(m)


def add_attribution(m: folium.Map, html: str) -> Any:
    """Add an (escaped) line to the map's attribution control."""
    return _Attribution(html).add_to(m)
