"""Leaflet controls for the legend, the footer, the title and the attribution line.

Each takes HTML that the caller has already built from escaped text
(:func:`maps.escape.escape_text`); the HTML is written into the page as a JSON string
(``tojson``), so it cannot end the ``<script>`` element, and set with ``innerHTML``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import folium
from branca.element import MacroElement
from folium.template import Template

__all__ = [
    "EmbeddedTiles",
    "FocusBounds",
    "FooterControl",
    "HtmlControl",
    "LabelLayout",
    "LandLayer",
    "MetricScale",
    "PanelLayout",
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
.suigeo-legend {
    padding: 5px 9px; line-height: 1.25; overflow-y: auto; box-sizing: border-box;
    /* the right half: below the layer toggle (top right), above the attribution; the
       exact max-height is set by PanelLayout (this is the fallback) */
    max-height: calc(100vh - 150px); max-width: calc(50vw - 20px);
}
.suigeo-legend-title {
    font-weight: bold; font-size: 13px; margin-bottom: 1px; cursor: pointer;
    user-select: none;
}
.suigeo-legend-title::after { content: " \\25BE"; color: #777; font-size: 11px; }
.suigeo-legend.suigeo-collapsed .suigeo-legend-title::after { content: " \\25B8"; }
.suigeo-legend.suigeo-collapsed .suigeo-legend-title { margin-bottom: 0; }
.suigeo-legend.suigeo-collapsed .suigeo-legend-layer,
.suigeo-legend.suigeo-collapsed .suigeo-legend-item { display: none; }
.suigeo-legend-layer { font-weight: bold; margin-top: 3px; }
.suigeo-legend-item { display: flex; align-items: center; gap: 4px; white-space: nowrap; }
/* in a narrow window a long row wraps rather than widening the legend past half the map */
.leaflet-control.suigeo-legend .suigeo-legend-item > span { white-space: normal; }
.suigeo-legend-item svg { flex: none; }
/* a print layout shows the whole legend, without the toggle mark */
.suigeo-print-panel .suigeo-legend-title { cursor: auto; }
.suigeo-print-panel .suigeo-legend-title::after { content: none; }
.suigeo-print-panel .suigeo-legend.suigeo-collapsed .suigeo-legend-layer { display: block; }
.suigeo-print-panel .suigeo-legend.suigeo-collapsed .suigeo-legend-item { display: flex; }
/* the attribution wraps at the bottom right, clear of the footer (bottom left, 50vw) */
.leaflet-container .leaflet-control-attribution {
    max-width: 44vw; font-size: 11px; line-height: 1.3; max-height: 25vh; overflow-y: auto;
}
.suigeo-footer {
    padding: 4px 8px; max-width: calc(50vw - 20px); font-size: 11px; overflow-y: auto;
    box-sizing: border-box;
}
.suigeo-internal { color: #b2182b; font-weight: bold; }
.suigeo-review { font-weight: bold; }
.suigeo-title {
    position: absolute; top: 10px; left: 50%; transform: translateX(-50%);
    z-index: 1000; padding: 5px 14px; font-size: 17px; font-weight: bold;
    pointer-events: none; max-width: 60vw; text-align: center;
}
.leaflet-container { background: #f4f3ef; }
.leaflet-container.suigeo-sea { background: #dce8f1; }
.foliumpopup table, .foliumtooltip table { font-size: 12px; line-height: 1.3; }
.foliumpopup th, .foliumtooltip th {
    font-weight: 600; padding: 1px 10px 1px 0; vertical-align: top; max-width: 180px;
}
.foliumpopup td, .foliumtooltip td { padding: 1px 0; vertical-align: top; }
.suigeo-label {
    position: absolute; white-space: nowrap; padding: 0 1px;
    font: 11px/1.25 "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC",
          "Helvetica Neue", Arial, sans-serif;
    color: #222;
    text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 3px #fff;
}
.suigeo-label.suigeo-label-hidden { visibility: hidden; }
.suigeo-place {
    position: absolute; white-space: nowrap; padding: 0 1px; letter-spacing: 1px;
    font: 12px/1.2 "Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", "PingFang SC",
          "Helvetica Neue", Arial, sans-serif;
    color: #7a6f80; text-shadow: 0 0 2px #f4f3ef, 0 0 2px #f4f3ef, 0 0 3px #f4f3ef;
}
.suigeo-place.suigeo-place-county { font-size: 10.5px; color: #8f8894; letter-spacing: 0; }
.suigeo-place.suigeo-label-hidden { visibility: hidden; }
.suigeo-leader {
    position: absolute; height: 0; border-top: 1px solid #555; transform-origin: 0 0;
}
.leaflet-control-layers-expanded {
    padding: 4px 8px; font-size: 12px; line-height: 1.3; max-height: 45vh; overflow-y: auto;
    max-width: 320px; box-sizing: border-box;
}
/* the control itself scrolls (its max-height set by PanelLayout), never the list inside it */
.leaflet-control-layers-expanded .leaflet-control-layers-list {
    height: auto !important; overflow: visible !important; padding-right: 0 !important;
}
.leaflet-control-layers-expanded label { display: flex; align-items: flex-start; gap: 4px; }
.leaflet-control-layers-expanded label > input { flex: none; margin-top: 2px; }
.leaflet-control-layers-expanded label > span { white-space: normal; }
.leaflet-control-layers-group-name { font-weight: bold; margin-top: 3px; display: block; }
.leaflet-control-layers label { margin-bottom: 0; }
</style>
"""


class HtmlControl(MacroElement):
    """A Leaflet control at ``position`` whose content is the given (escaped) HTML.

    With ``toggle`` (a CSS selector of a heading in the HTML), clicking the heading or
    pressing Enter on it folds the control to that heading and back (the legend does).
    """

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
                var toggle = {{ this.toggle|tojson }};
                var head = toggle ? div.querySelector(toggle) : null;
                if (head) {  // a click (or Enter/Space) on the heading folds the panel
                    head.setAttribute("role", "button");
                    head.setAttribute("tabindex", "0");
                    head.setAttribute("aria-expanded", "true");
                    var fold = function (e) {
                        if (e.type === "keydown" && e.key !== "Enter" && e.key !== " ") {
                            return;
                        }
                        e.preventDefault();
                        var shut = div.classList.toggle("suigeo-collapsed");
                        head.setAttribute("aria-expanded", shut ? "false" : "true");
                        document.dispatchEvent(new CustomEvent("suigeo:panels"));
                    };
                    head.addEventListener("click", fold);
                    head.addEventListener("keydown", fold);
                }
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self,
        html: str,
        *,
        position: str = "bottomright",
        css_class: str = "",
        toggle: str | None = None,
    ) -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.css_class = css_class
        #: CSS selector of a heading inside the HTML whose click folds the control
        #: (class ``suigeo-collapsed`` on it); None: not foldable
        self.toggle = toggle


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


class PanelLayout(MacroElement):
    """Keep the map's panels clear of each other at any window size.

    Runs on load, on every window resize, when the legend folds or unfolds and when the layer
    control opens or closes (hover, click/tap or keyboard focus), and sets:

    - the title's width and place: centred, but between the zoom buttons and the left edge
      of the *open* layer list, so the list never opens over it;
    - the footer's and the legend's max-height: from their foot up to ``gap_px`` below
      whatever stands above them in their column (zoom buttons, title, folded layer toggle);
      what does not fit scrolls inside the panel;
    - the open layer list's max-height: from the top of the map down to ``gap_px`` above the
      legend (folded or not); the list scrolls inside itself. If that leaves the list less
      than half the column, the legend gives way (down to half, scrolling) while the list is
      open, and gets its room back when it closes.

    Legend and footer are kept to half the map's width each (CSS), the attribution to 44 %
    (and a quarter of the height), so the bottom corners never meet. A click within
    ``guard_ms`` of the list opening is swallowed: the tap or click that opened it does not
    also switch the layer that appeared under the pointer. Wheel and touch scrolling of the
    list do not zoom the map. Panels moved out of the map (print layouts) are left to their
    own CSS. ``window.suigeoPanels()`` runs the layout at once.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var gap = {{ this.gap_px|tojson }}, guard = {{ this.guard_ms|tojson }};
            var box = map.getContainer();
            var closed = null, listW = null, openedAt = 0, watched = null, obs = null;
            function q(sel) { return box.querySelector(sel); }
            function across(a, b) { return a.left < b.right && b.left < a.right; }
            function natural(el) {  // the height the panel would take without a cap
                return el.scrollHeight + el.offsetHeight - el.clientHeight;
            }
            // the lowest bottom of a top panel sharing columns with r, plus the gap
            function ceiling(r, tops) {
                var y = box.getBoundingClientRect().top + gap;
                tops.forEach(function (t) {
                    if (t && across(t, r)) { y = Math.max(y, t.bottom + gap); }
                });
                return y;
            }
            function isOpen(el) {
                return el.classList.contains("leaflet-control-layers-expanded");
            }
            function watch(layers) {
                if (watched === layers) { return; }
                watched = layers;
                L.DomEvent.disableScrollPropagation(layers);
                // the plugin closes the list on every mouseout, even from one row to the
                // next, and opens it again on the mouseover that follows: only a list that
                // was closed for a while counts as newly opened, and the layout waits for
                // the next frame, when the list has settled (laying it out while briefly
                // closed would reset its scroll position)
                var was = false, closedAt = 0, frame = 0;
                obs = new MutationObserver(function () {
                    var now = Date.now(), open = isOpen(layers);
                    if (open && !was && now - closedAt > 100) { openedAt = now; }
                    if (!open && was) { closedAt = now; }
                    was = open;
                    if (!frame) {
                        frame = requestAnimationFrame(function () { frame = 0; fit(); });
                    }
                });
                obs.observe(layers, {attributes: true, attributeFilter: ["class"]});
                layers.addEventListener("click", function (e) {
                    if (Date.now() - openedAt < guard && e.target !== layers) {
                        e.preventDefault();  // the click that opened the list
                        e.stopPropagation();
                    }
                }, true);
            }
            function fit() {
                var c = box.getBoundingClientRect();
                var layers = q(".leaflet-control-layers"), legend = q(".suigeo-legend");
                var footer = q(".suigeo-footer"), title = q(".suigeo-title");
                var zoom = q(".leaflet-control-zoom");
                document.querySelectorAll(".suigeo-legend, .suigeo-footer").forEach(
                    function (el) { if (!box.contains(el)) { el.style.maxHeight = ""; } });
                var open = false;
                if (layers) {
                    watch(layers);
                    open = isOpen(layers);
                    if (!open) {
                        layers.style.maxHeight = "";
                        closed = layers.getBoundingClientRect();
                    }
                    if (listW === null) {  // the open list's width, measured once
                        if (!open) { layers.classList.add("leaflet-control-layers-expanded"); }
                        listW = layers.getBoundingClientRect().width;
                        if (!open) {
                            layers.classList.remove("leaflet-control-layers-expanded");
                        }
                        obs.takeRecords();
                    }
                }
                if (title) {
                    var lo = (zoom ? zoom.getBoundingClientRect().right : c.left) + gap;
                    var hi = (closed ? closed.right - listW : c.right) - gap;
                    title.style.maxWidth = Math.max(hi - lo, 120) + "px";
                    title.style.transform = "none";
                    var w = title.offsetWidth;
                    var x = Math.max(lo, Math.min(c.left + c.width / 2 - w / 2, hi - w));
                    title.style.left = (x - c.left) + "px";
                }
                var tops = [zoom && zoom.getBoundingClientRect(),
                            title && title.getBoundingClientRect(), closed];
                if (footer && box.contains(footer)) {
                    var f = footer.getBoundingClientRect();
                    footer.style.maxHeight = Math.max(f.bottom - ceiling(f, tops), 30) + "px";
                }
                var foot = null;  // where the open list must end
                if (legend && box.contains(legend)) {
                    var g = legend.getBoundingClientRect();
                    var most = Math.max(g.bottom - ceiling(g, tops), 30);
                    var legendH = Math.min(natural(legend), most);
                    if (open) {
                        var top = layers.getBoundingClientRect().top;
                        var column = g.bottom - top - gap, want = natural(layers);
                        var listH = Math.min(want, column - legendH);
                        var half = Math.min(want, column / 2);
                        if (listH < half) { listH = half; legendH = column - listH; }
                        legend.style.maxHeight = Math.max(legendH, 30) + "px";
                        foot = legend.getBoundingClientRect().top - gap;
                    } else {
                        legend.style.maxHeight = most + "px";
                    }
                } else if (open) {
                    var attr = q(".leaflet-control-attribution");
                    foot = (attr ? attr.getBoundingClientRect().top : c.bottom) - gap;
                }
                if (open && foot !== null) {
                    var room = foot - layers.getBoundingClientRect().top;
                    layers.style.maxHeight = Math.max(room, 40) + "px";
                }
            }
            map.on("resize", fit);
            map.whenReady(fit);
            window.addEventListener("load", fit);
            document.addEventListener("suigeo:panels", fit);
            if (document.fonts && document.fonts.ready) { document.fonts.ready.then(fit); }
            window.suigeoPanels = fit;
        })();
        {% endmacro %}
        """
    )

    def __init__(self, gap_px: float = 10.0, guard_ms: float = 400.0) -> None:
        super().__init__()
        self._name = "PanelLayout"
        self.gap_px = float(gap_px)
        self.guard_ms = float(guard_ms)


class LabelLayout(MacroElement):
    """Place every permanent label beside its feature, moving rather than dropping labels.

    Features register themselves in ``window.suigeoLabels`` as ``[priority, layer, html]``
    (see ``maps.build``); the html is already escaped. The labels live in their own pane,
    above the vector layers. After every zoom, pan, resize and layer switch the labels are
    placed greedily in priority order (lower first, then feature order). Each label tries
    :data:`CANDIDATES` positions around its point — right, left, above, below and the four
    diagonals, first touching the marker, then further out with a leader line — and takes the
    first whose box, grown by ``pad_px``, lies inside the map, meets no label already
    placed, no marker (circle markers of every visible layer, its own included) and none of
    the map's panels (layer control, legend, footer, title, scale bar). Only a label for
    which no position fits at this zoom is hidden (CSS class ``suigeo-label-hidden``); it
    comes back when zooming in makes room, and its name stays in the hover tooltip.
    ``window.suigeoLayout()`` runs the placement at once (used by the tests and printing).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var pad = {{ this.pad_px|tojson }};
            var steps = {{ this.steps_px|tojson }};
            var pane = map.getPane("suigeoLabels") || map.createPane("suigeoLabels");
            pane.style.zIndex = 450;
            pane.style.pointerEvents = "none";
            var items = null;
            // directions: unit offsets of the label box from the point, in this order
            var dirs = [[1, 0], [-1, 0], [0, -1], [0, 1], [1, -1], [-1, -1], [1, 1], [-1, 1]];
            function meets(a, b, g) {
                return a[0] < b[2] + g && a[2] + g > b[0] && a[1] < b[3] + g && a[3] + g > b[1];
            }
            function make() {
                items = (window.suigeoLabels || []).map(function (it, i) {
                    var opt = it[3] || {};
                    var el = L.DomUtil.create("div", opt.cls || "suigeo-label", pane);
                    if (opt.fixed) { el.textContent = it[2]; } else { el.innerHTML = it[2]; }
                    var line = L.DomUtil.create("div", "suigeo-leader", pane);
                    return {p: it[0], i: i, layer: it[1], el: el, line: line,
                            fixed: !!opt.fixed, minZoom: opt.minZoom || 0};
                });
                items.sort(function (a, b) { return a.p - b.p || a.i - b.i; });
            }
            function anchor(layer) {
                if (layer.getLatLng) { return map.latLngToLayerPoint(layer.getLatLng()); }
                var f = layer.feature && layer.feature.properties;
                if (f && f._ay !== undefined) {
                    return map.latLngToLayerPoint([Number(f._ay), Number(f._ax)]);
                }
                return map.latLngToLayerPoint(layer.getBounds().getCenter());
            }
            function markers() {
                var out = [];
                map.eachLayer(function (l) {
                    if (l instanceof L.CircleMarker && l._point) {
                        var r = l.getRadius() + (l.options.stroke ? l.options.weight / 2 : 0);
                        var q = map.latLngToLayerPoint(l.getLatLng());
                        out.push({layer: l, box: [q.x - r, q.y - r, q.x + r, q.y + r], r: r});
                    }
                });
                return out;
            }
            // boxes in a uniform grid (cells of 64 px), so a candidate meets only its
            // neighbours: placing n labels costs about n, not n squared
            function Grid() { this.cells = new Map(); }
            Grid.prototype.keys = function (b, g, fn) {
                var x0 = Math.floor((b[0] - g) / 64), x1 = Math.floor((b[2] + g) / 64);
                var y0 = Math.floor((b[1] - g) / 64), y1 = Math.floor((b[3] + g) / 64);
                for (var x = x0; x <= x1; x++) {
                    for (var y = y0; y <= y1; y++) { if (fn(x + ":" + y)) { return true; } }
                }
                return false;
            };
            Grid.prototype.add = function (b) {
                var cells = this.cells;
                this.keys(b, 0, function (k) {
                    var c = cells.get(k);
                    if (c) { c.push(b); } else { cells.set(k, [b]); }
                    return false;
                });
            };
            Grid.prototype.hits = function (b, g) {
                var cells = this.cells;
                return this.keys(b, g, function (k) {
                    var c = cells.get(k);
                    return !!c && c.some(function (o) { return meets(b, o, g); });
                });
            };
            function layout() {
                if (!items) { make(); }
                var c = map.getContainer().getBoundingClientRect();
                var o = map.containerPointToLayerPoint([0, 0]);
                var view = [o.x, o.y, o.x + c.width, o.y + c.height];
                var placed = new Grid();
                Array.prototype.forEach.call(
                    map.getContainer().querySelectorAll(".leaflet-control, .suigeo-title"),
                    function (el) {
                        var r = el.getBoundingClientRect();
                        placed.add([o.x + r.left - c.left, o.y + r.top - c.top,
                                    o.x + r.right - c.left, o.y + r.bottom - c.top]);
                    });
                var marks = new Grid(), own = new Map();
                markers().forEach(function (m) {
                    marks.add(m.box);
                    own.set(m.layer, m.r);
                });
                // read every size first (one reflow), then write every position
                items.forEach(function (it) {
                    if (!it.w) { it.w = it.el.offsetWidth; it.h = it.el.offsetHeight; }
                });
                items.forEach(function (it) {
                    it.el.classList.add("suigeo-label-hidden");
                    it.line.style.display = "none";
                    if (!it.fixed && !map.hasLayer(it.layer)) { return; }
                    if (map.getZoom() < it.minZoom) { return; }
                    var q = anchor(it.layer);
                    if (q.x < view[0] || q.x > view[2] || q.y < view[1] || q.y > view[3]) {
                        return;  // out of view
                    }
                    var r0 = own.get(it.layer) || 0, w = it.w, h = it.h;
                    if (it.fixed) {
                        // a basemap place name: centred on its point or not at all
                        var fb = [q.x - w / 2, q.y - h / 2, q.x + w / 2, q.y + h / 2];
                        if (fb[0] < view[0] + 2 || fb[2] > view[2] - 2 ||
                            fb[1] < view[1] + 2 || fb[3] > view[3] - 2 ||
                            placed.hits(fb, pad + 2) || marks.hits(fb, pad)) { return; }
                        placed.add(fb);
                        L.DomUtil.setPosition(it.el, L.point(fb[0], fb[1]));
                        it.el.classList.remove("suigeo-label-hidden");
                        return;
                    }
                    for (var s = 0; s < steps.length; s++) {
                        for (var d = 0; d < dirs.length; d++) {
                            var dx = dirs[d][0], dy = dirs[d][1], k = r0 + steps[s];
                            if (dx && dy) { k = k * 0.75; }
                            var x = q.x + dx * k + (dx > 0 ? 0 : dx < 0 ? -w : -w / 2);
                            var y = q.y + dy * k + (dy > 0 ? 0 : dy < 0 ? -h : -h / 2);
                            var box = [x, y, x + w, y + h];
                            if (box[0] < view[0] + 2 || box[2] > view[2] - 2 ||
                                box[1] < view[1] + 2 || box[3] > view[3] - 2) { continue; }
                            if (placed.hits(box, pad) || marks.hits(box, pad)) { continue; }
                            placed.add(box);
                            L.DomUtil.setPosition(it.el, L.point(x, y));
                            it.el.classList.remove("suigeo-label-hidden");
                            if (s > 0) {
                                // leader line from the marker's edge to the nearest box point
                                var tx = Math.max(box[0], Math.min(q.x, box[2]));
                                var ty = Math.max(box[1], Math.min(q.y, box[3]));
                                var len = Math.hypot(tx - q.x, ty - q.y);
                                var a = Math.atan2(ty - q.y, tx - q.x);
                                var sx = q.x + Math.cos(a) * r0, sy = q.y + Math.sin(a) * r0;
                                it.line.style.display = "";
                                it.line.style.width = Math.max(0, len - r0) + "px";
                                L.DomUtil.setPosition(it.line, L.point(sx, sy));
                                it.line.style.transform += " rotate(" + a + "rad)";
                            }
                            return;
                        }
                    }
                });
            }
            var timer = null;
            function later() {
                clearTimeout(timer);
                timer = setTimeout(function () { layout(); pane.style.visibility = ""; }, 30);
            }
            map.on("zoomstart", function () { pane.style.visibility = "hidden"; });
            map.on("zoomend moveend resize overlayadd overlayremove", later);
            map.whenReady(later);
            if (document.fonts && document.fonts.ready) {
                document.fonts.ready.then(function () {
                    (items || []).forEach(function (it) { it.w = 0; });  // measure again
                    later();
                });
            }
            window.suigeoLayout = function () { layout(); pane.style.visibility = ""; };
        })();
        {% endmacro %}
        """
    )

    #: Distances (px) from the marker's edge tried in turn; beyond the first, a leader line.
    CANDIDATE_STEPS = (2.0, 12.0, 26.0, 44.0, 66.0)

    def __init__(self, pad_px: float = 2.0, steps_px: tuple[float, ...] = CANDIDATE_STEPS) -> None:
        super().__init__()
        self._name = "LabelLayout"
        self.pad_px = float(pad_px)
        self.steps_px = [float(x) for x in steps_px]


class FocusBounds(MacroElement):
    """Record the initial view's bounds as ``window.suigeoFocus`` (print layouts refit to it)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        window.suigeoFocus = {{ this.bounds|tojson }};
        {% endmacro %}
        """
    )

    def __init__(self, bounds: list[list[float]]) -> None:
        super().__init__()
        self._name = "FocusBounds"
        self.bounds = bounds


class LandLayer(MacroElement):
    """The offline vector basemap, drawn quietly on a sea-coloured map, under every layer.

    ``features`` are GeoJSON features of the files in ``maps/basemap/`` with a ``kind``:
    land (no kind), ``lake``, ``river_area``, ``river``, ``boundary`` (``level`` province,
    prefecture or county; county lines only from zoom 8) and ``place`` (a name, registered
    with the label layout as a fixed label after every planning label: shown centred on its
    point where it meets no planning label, marker, panel or other name, else hidden;
    prefecture names from zoom 7, county names from zoom 9). Everything sits in its own pane
    (z-index 350, below the overlay pane's 400) with its own SVG renderer, takes no mouse
    events and is not in
    the layer control.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var pane = map.createPane("suigeoBase");
            pane.style.zIndex = 350;
            pane.style.pointerEvents = "none";
            map.getContainer().classList.add("suigeo-sea");
            var feats = {{ this.features|tojson }};
            var renderer = L.svg({pane: "suigeoBase", padding: 0.5});
            var styles = {{ this.styles|tojson }};
            function kind(f) {
                var p = f.properties || {};
                return p.kind === "boundary" ? "boundary-" + p.level : (p.kind || "land");
            }
            function draw(keep) {
                return L.geoJSON({type: "FeatureCollection", features: feats.filter(keep)}, {
                    pane: "suigeoBase", interactive: false, renderer: renderer,
                    style: function (f) { return styles[kind(f)]; }
                });
            }
            ["land", "lake", "river_area", "river", "boundary-province",
             "boundary-prefecture"].forEach(
                function (k) { draw(function (f) { return kind(f) === k; }).addTo(map); });
            var county = draw(function (f) { return kind(f) === "boundary-county"; });
            function counties() {
                if (map.getZoom() >= 8) { county.addTo(map); } else { county.remove(); }
            }
            map.on("zoomend", counties);
            map.whenReady(counties);
            var labels = window.suigeoLabels = window.suigeoLabels || [];
            feats.forEach(function (f) {
                var p = f.properties || {};
                if (p.kind !== "place" || !p.name) { return; }
                var ll = L.latLng(f.geometry.coordinates[1], f.geometry.coordinates[0]);
                var county = p.level === "county";
                labels.push([county ? 1001 : 1000, {getLatLng: function () { return ll; }},
                             String(p.name), {fixed: true, minZoom: county ? 9 : 7,
                             cls: county ? "suigeo-place suigeo-place-county" : "suigeo-place"}]);
            });
        })();
        {% endmacro %}
        """
    )

    #: Quiet styles per kind: no fill but land and lakes, thin grey-violet boundaries.
    STYLES: ClassVar[dict[str, dict[str, Any]]] = {
        "land": {"stroke": True, "color": "#8fa9bd", "weight": 0.8, "opacity": 1,
                 "fillColor": "#f4f3ef", "fillOpacity": 1},
        "lake": {"stroke": True, "color": "#9fbbd3", "weight": 0.6, "opacity": 1,
                 "fillColor": "#dce8f1", "fillOpacity": 1},
        "river_area": {"stroke": True, "color": "#9fbbd3", "weight": 0.6, "opacity": 1,
                       "fillColor": "#dce8f1", "fillOpacity": 1},
        "river": {"color": "#a9c6df", "weight": 1.3, "opacity": 1, "fill": False},
        "boundary-province": {"color": "#9d8fa3", "weight": 1.8, "opacity": 0.9,
                              "dashArray": "8 3 2 3", "fill": False},
        "boundary-prefecture": {"color": "#aa9fae", "weight": 1.2, "opacity": 0.9,
                                "dashArray": "6 3", "fill": False},
        "boundary-county": {"color": "#c4bcc7", "weight": 0.8, "opacity": 0.9,
                            "dashArray": "2 3", "fill": False},
        "place": {},
    }  # fmt: skip

    def __init__(self, features: list[dict[str, Any]] | dict[str, Any]) -> None:
        super().__init__()
        self._name = "LandLayer"
        if isinstance(features, dict):  # a FeatureCollection
            features = list(features["features"])
        self.features = features
        self.styles = self.STYLES


class EmbeddedTiles(MacroElement):
    """A tile layer whose tiles are in the page (``{"z/x/y": data URI}``): nothing is fetched.

    Tiles the file does not have are a blank pixel (a ``data:`` URI too), so no request is
    made and no tile error raised. Drawn beyond the file's deepest zoom by scaling its tiles.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var tiles = {{ this.tiles|tojson }};
            var blank = "data:image/gif;base64," +
                "R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7";
            var Embedded = L.TileLayer.extend({
                getTileUrl: function (c) {
                    return tiles[c.z + "/" + c.x + "/" + c.y] || blank;
                }
            });
            new Embedded("", {minZoom: 0, maxZoom: 18, minNativeZoom: {{ this.min_zoom }},
                              maxNativeZoom: {{ this.max_zoom }},
                              attribution: {{ this.attribution|tojson }}})
                .addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(
        self, tiles: dict[str, str], *, min_zoom: int, max_zoom: int, attribution: str
    ) -> None:
        super().__init__()
        self._name = "EmbeddedTiles"
        self.tiles = tiles
        self.min_zoom = int(min_zoom)
        self.max_zoom = int(max_zoom)
        self.attribution = attribution


class MetricScale(MacroElement):
    """A metric-only scale bar (Leaflet's scale control without the miles)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        L.control.scale({imperial: false, metric: true, maxWidth: 160,
                         position: {{ this.position|tojson }}})
            .addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, position: str = "bottomleft") -> None:
        super().__init__()
        self._name = "MetricScale"
        self.position = position


class _Attribution(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.setPrefix(
            '<a href="https://leafletjs.com">Leaflet</a>');
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
