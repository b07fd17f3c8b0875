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

__all__ = ["FooterControl", "HtmlControl", "TitleBox", "add_attribution", "add_css"]

_CSS = """
<style>
.suigeo-legend, .suigeo-footer, .suigeo-title {
    background: rgba(255, 255, 255, 0.92); border-radius: 4px;
    box-shadow: 0 1px 4px rgba(0, 0, 0, 0.35);
    font: 12px/1.35 "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC",
          "Helvetica Neue", Arial, sans-serif;
    color: #222;
}
.suigeo-legend { padding: 6px 10px; max-height: 55vh; overflow-y: auto; }
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
.leaflet-control-layers-expanded {
    padding: 4px 8px; font-size: 12px; line-height: 1.3; max-height: 45vh; overflow-y: auto;
}
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
