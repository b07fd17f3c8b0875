"""Assemble a folium map from suigeo layers, travel-time rings and user layers.

One :class:`folium.GeoJson` per layer (never one marker object per feature), grouped in a
layer control; styles from ``maps/symbology.toml``; a legend, a scale bar, a footer with the
publication status (审图号 or the internal-use note), data sources and date; basemaps from
``maps/basemaps.toml``. Every string that comes from data passes through
:func:`maps.escape.escape_text` before folium sees it. With ``offline=True`` every script and
stylesheet is inlined from ``maps/assets`` (see :mod:`maps.offline`).
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from folium.utilities import JsCode

from suigeo import crs
from suigeo.errors import InputError, UnknownSystemError
from suigeo.maps.basemaps import Basemap, tile_basemap, vector_basemap
from suigeo.maps.basemaps import basemap as _basemap
from suigeo.maps.controls import (
    EmbeddedTiles,
    FocusBounds,
    FooterControl,
    HtmlControl,
    LabelLayout,
    LandLayer,
    MetricScale,
    PanelLayout,
    TitleBox,
    add_attribution,
    add_css,
)
from suigeo.maps.escape import escape_text
from suigeo.maps.offline import OfflineAssets
from suigeo.maps.symbology import (
    field_label,
    kind_style,
    point_status,
    status_dash,
    symbology,
)

__all__ = ["DEFAULT_SIMPLIFY_M", "build"]

log = logging.getLogger(__name__)

#: Display simplification tolerance in metres. At the deepest zoom the basemaps offer (18),
#: one Web Mercator pixel at Guangzhou's latitude (23°N) is 156543.03·cos 23°/2^18 = 0.55 m,
#: so 0.5 m removes only vertices that cannot move a line by a whole pixel.
DEFAULT_SIMPLIFY_M = 0.5
_M_PER_DEG = 111_320.0  # metres per degree of latitude (and of longitude at the equator)
_COORD_DECIMALS = 6  # 1e-6 degree = 0.11 m


@dataclass
class _Layer:
    """One layer to draw: its escaped title, role (data, rings, changes, user) and display
    copy."""

    key: str
    title: str  # already escaped
    role: str
    gdf: gpd.GeoDataFrame
    group: str = "other"
    sources: tuple[str, ...] = ()  # layer-level sources (unescaped), e.g. from the catalogue
    label: str | None = None  # user layers: the column labelled on the map


# --------------------------------------------------------------------------------------
# inputs


def _named(obj: Any, prefix: str) -> list[tuple[str, Any]]:
    """Normalise a mapping, a sequence of names / (name, gdf) pairs / gdfs, or one gdf."""
    if obj is None:
        return []
    if isinstance(obj, gpd.GeoDataFrame):
        return [(prefix, obj)]
    if isinstance(obj, Mapping):
        return [(str(k), v) for k, v in obj.items()]
    if isinstance(obj, str):
        return [(obj, obj)]
    out: list[tuple[str, Any]] = []
    for i, item in enumerate(obj, start=1):
        if isinstance(item, tuple) and len(item) == 2:
            out.append((str(item[0]), item[1]))
        elif isinstance(item, str):
            out.append((item, item))
        else:
            out.append((f"{prefix} {i}", item))
    return out


def _load_shipped(name: str) -> tuple[gpd.GeoDataFrame, str, tuple[str, ...]]:
    """Load a shipped layer by name via ``layers``; return it, its title and its sources."""
    try:
        from suigeo import layers
    except ImportError as exc:  # pragma: no cover - layers is part of the distribution
        raise InputError(f"cannot load layer {name!r}: the layers package is missing") from exc
    if not hasattr(layers, "load"):
        raise InputError(f"cannot load layer {name!r}: this build ships no planning layers yet")
    gdf = layers.load(name)
    entry = _catalog_entry(layers.catalog(), name) if hasattr(layers, "catalog") else None
    if not entry:
        return gdf, name, ()
    sources = entry.get("sources") or ()
    if isinstance(sources, str):
        sources = [x.strip() for x in sources.split(";")]
    sources = tuple(str(x) for x in sources if str(x))
    return gdf, str(entry.get("title") or name), sources


def _catalog_entry(cat: Any, name: str) -> dict[str, Any] | None:
    """Find ``name`` in whatever shape ``layers.catalog()`` returns (mapping, frame, list)."""
    if isinstance(cat, pd.DataFrame):
        col = "name" if "name" in cat.columns else None
        rows = cat[cat[col] == name] if col else cat.loc[[name]] if name in cat.index else None
        return None if rows is None or rows.empty else rows.iloc[0].to_dict()
    if isinstance(cat, Mapping):
        entry = cat.get(name)
        if isinstance(entry, Mapping):
            return dict(entry)
        return dict(vars(entry)) if entry is not None else None
    for entry in cat or ():
        d = entry if isinstance(entry, Mapping) else getattr(entry, "__dict__", {})
        if d.get("name") == name:
            return dict(d)
    return None


def _check_frame(gdf: Any, what: str) -> gpd.GeoDataFrame:
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(f"{what}: expected a GeoDataFrame, got {type(gdf).__name__}")
    if gdf.crs is None:
        raise InputError(f"{what}: the layer has no coordinate reference system (CRS)")
    bad = gdf.geometry.isna() | gdf.geometry.is_empty
    if bad.any():
        rows = ", ".join(str(i) for i in gdf.index[bad][:5])
        raise InputError(f"{what}: {int(bad.sum())} feature(s) without geometry (rows {rows})")
    return gdf


# --------------------------------------------------------------------------------------
# display copy: datum of the basemap, simplified, rounded


def _to_display(gdf: gpd.GeoDataFrame, system: str, what: str) -> gpd.GeoDataFrame:
    """Return a display copy of ``gdf`` in the basemap's system; never modifies ``gdf``."""
    geographic = gdf.crs.is_geographic and gdf.crs.to_epsg() in (4490, 4326)
    base = gdf.copy() if geographic else crs.to_crs(gdf, "CGCS2000")
    if system in ("CGCS2000", "WGS84"):
        # CGCS2000 and WGS84 agree to well under a metre: PROJ has no published
        # transformation between them and uses a null shift, so lon/lat are drawn as they are.
        return base
    if system == "GCJ02":
        return _to_gcj02(base, what)
    return crs.to_crs(base, system)


def _to_gcj02(base: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    try:
        return crs.to_crs(base, "GCJ02")
    except (UnknownSystemError, ValueError, LookupError):
        pass
    try:
        from suigeo.crs.gcj02 import wgs84_to_gcj02
    except ImportError as exc:
        raise InputError(
            f"{what}: the amap basemap needs the GCJ-02 conversion of the crs package, "
            "which this build does not have; use --basemap none, osm or tianditu"
        ) from exc

    def shift(xy: np.ndarray) -> np.ndarray:
        lon, lat = wgs84_to_gcj02(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    out = base.copy()
    out.geometry = gpd.GeoSeries(shapely.transform(base.geometry.values, shift), index=base.index)
    return out


def _simplify(gdf: gpd.GeoDataFrame, tolerance_m: float) -> gpd.GeoDataFrame:
    geoms = gdf.geometry.values
    if tolerance_m > 0:
        geoms = shapely.simplify(geoms, tolerance_m / _M_PER_DEG, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda c: np.round(c, _COORD_DECIMALS))
    out = gdf.copy()
    out.geometry = gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs)
    return out


# --------------------------------------------------------------------------------------
# properties: every value formatted and escaped


def _format_column(s: pd.Series) -> pd.Series:
    """Format one column for display (numbers trimmed, missing as an em dash), then escape."""
    if pd.api.types.is_bool_dtype(s):
        text = s.map({True: "yes", False: "no"}).astype("object")
    elif pd.api.types.is_numeric_dtype(s):
        arr = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        missing = ~np.isfinite(arr)
        formatted = np.char.mod("%.10g", np.round(np.where(missing, 0.0, arr), 4))
        text = pd.Series(np.where(missing, "—", formatted), index=s.index, dtype="object")
    else:
        text = s.map(_to_text).astype("object")
    return text.map(escape_text)


def _to_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
        return "—"
    if isinstance(v, Mapping | list | tuple):
        return json.dumps(v, ensure_ascii=False, default=str, sort_keys=True)
    return str(v)


_CJK = re.compile(r"[\u3400-\u9fff]")


def _short_labels(gdf: gpd.GeoDataFrame, field: str, short_from: str) -> pd.Series:
    """First Chinese alias of each feature, else its ``field`` value."""
    if short_from not in gdf:
        return gdf[field]
    parts = gdf[short_from].fillna("").astype(str).str.split(";")
    first = parts.map(lambda xs: next((x.strip() for x in xs if _CJK.search(x)), None))
    return first.where(first.notna(), gdf[field])


def _labelled(s: pd.Series, column: str) -> pd.Series:
    """Kinds and statuses shown with their legend labels (code kept when not listed)."""
    table = symbology()
    source = {"kind": table["kinds"], "status": table["status"]}.get(column)
    if source is None:
        return s
    labels = {k: v["label"] for k, v in source.items() if "label" in v}
    return s.map(lambda v: labels.get(v, v))


def _popup_columns(gdf: gpd.GeoDataFrame) -> list[str]:
    cfg = symbology()["tooltip"]
    cols = [c for c in gdf.columns if c != gdf.geometry.name and not str(c).startswith("_")]
    first = [c for c in cfg["popup_first"] if c in cols]
    last = [c for c in cfg["popup_last"] if c in cols]
    middle = [c for c in cols if c not in first and c not in last]
    return first + middle + last


def _style_keys(gdf: gpd.GeoDataFrame, role: str) -> pd.Series:
    if role == "changes":  # change|minutes: fill by change, outline by threshold
        minutes = pd.to_numeric(gdf["minutes"], errors="coerce").to_numpy(dtype=float)
        return gdf["change"].astype(str) + "|" + pd.Series(np.char.mod("%g", minutes), gdf.index)
    if role == "rings":
        if "minutes" not in gdf:
            return pd.Series("", index=gdf.index)
        minutes = pd.to_numeric(gdf["minutes"], errors="coerce").to_numpy(dtype=float)
        keys = pd.Series(np.char.mod("%g", minutes), index=gdf.index)
        if "scenario" in gdf:  # minutes|scenario: one legend row and style per scenario
            keys = keys + "|" + gdf["scenario"].fillna("").astype(str)
        return keys
    blank = pd.Series("", index=gdf.index, dtype=object)
    # a missing kind or status is a key too ("" ), never NaN (which has no style)
    kind = gdf["kind"].astype(object).fillna("").astype(str) if "kind" in gdf else blank
    status = gdf["status"].astype(object).fillna("").astype(str) if "status" in gdf else blank
    return (kind + "|" + status).astype(object)


# --------------------------------------------------------------------------------------
# styles


def _scenario(name: str) -> dict[str, Any]:
    """Style and label of a ring scenario (``{}`` when the scenario is not listed)."""
    return dict(symbology()["rings"].get("scenarios", {}).get(name, {}))


def _scenario_label(name: str) -> str:
    """Short label of a ring scenario (unescaped), the scenario text itself when unlisted."""
    return str(_scenario(name).get("label", name))


def _ring_color(minutes: float) -> str:
    """Class colour of a ring: class i holds thresholds[i] < minutes <= thresholds[i+1]."""
    r = symbology()["rings"]
    if not math.isfinite(minutes):
        return "#666666"
    i = int(np.searchsorted(r["thresholds"], minutes, side="left")) - 1
    return r["colors"][min(max(i, 0), len(r["colors"]) - 1)]


def _styles_for(keys: Iterable[str], role: str, points: bool = False) -> dict[str, dict[str, Any]]:
    """Leaflet path style per style key (kind|status, or minutes for rings).

    Points draw their status (stations: in service / under construction / planned /
    unknown) with the ``point_*`` fill, outline and dash of ``[status.*]``; lines by dash.
    """
    out: dict[str, dict[str, Any]] = {}
    if role == "changes":
        table, base = symbology()["changes"], symbology()["changes"]["style"]
        for key in keys:
            change, _, minutes = key.partition("|")
            fill = table.get(change, {}).get("color", "#666666")
            try:
                outline = _ring_color(float(minutes))
            except ValueError:
                outline = _ring_color(math.nan)
            out[key] = {
                "color": outline,
                "weight": base["weight"],
                "fillColor": fill,
                "fillOpacity": base["fill_opacity"],
                "dashArray": None,
            }
        return out
    if role == "rings":
        r = symbology()["rings"]
        for key in keys:
            minutes, _, scenario = key.partition("|")
            try:
                color = _ring_color(float(minutes))
            except ValueError:
                color = _ring_color(math.nan)
            scn = _scenario(scenario)
            out[key] = {
                "color": color,
                "weight": r["weight"],
                "fillColor": color,
                "fillOpacity": scn.get("fill_opacity", r["fill_opacity"]),
                "dashArray": scn.get("dash_array") or None,
            }
        return out
    for key in keys:
        kind, _, status = key.partition("|")
        st = kind_style(kind, user=role == "user")
        ps = point_status(status) if points and role != "user" else {}
        dash = ps.get("point_dash", "") if points else status_dash(status)
        out[key] = {
            "color": ps.get("point_color", st["color"]),
            "weight": ps.get("point_weight", 1.5 if points else st.get("weight", 1.5)),
            "fillColor": ps.get("point_fill", st.get("fill_color", st["color"])),
            "fillOpacity": 0.85 if points else 0.35,
            "radius": st.get("radius", 5),
            "dashArray": dash or None,
            "lineCap": "round",
        }
    return out


def _group_of(gdf: gpd.GeoDataFrame, role: str, key: str) -> str:
    if role in ("rings", "user"):
        return role
    if role == "changes":
        return "rings"
    if key in symbology()["layer_groups"]:
        return str(symbology()["layer_groups"][key])
    if "kind" not in gdf or gdf.empty:
        return "other"
    kind = gdf["kind"].astype(str).mode().iloc[0]
    return str(kind_style(kind)["group"])


# --------------------------------------------------------------------------------------
# one layer


# A permanent label per feature from the escaped ``_l`` property (set with innerHTML, so
# the escaped text shows as the original characters and runs nothing), registered with its
# layer's priority ``_p`` (a number we write) for the label layout (controls.LabelLayout).
_LABEL_JS = """function (feature, layer) {
    if (feature.properties._l) {
        (window.suigeoLabels = window.suigeoLabels || []).push(
            [Number(feature.properties._p) || 0, layer, feature.properties._l]);
    }
}"""


def _label_text(layer: _Layer) -> pd.Series | None:
    """The unescaped label of each feature, or ``None`` when the layer is not labelled."""
    lab = symbology()["labels"]
    gdf = layer.gdf
    if layer.role == "data" and layer.key in lab["layers"] and lab["field"] in gdf:
        return _short_labels(gdf, lab["field"], lab["short_from"])
    if layer.role == "user" and layer.label:
        return gdf[layer.label]
    return None


def _label_priority(key: str) -> int:
    """Rank of a labelled layer in ``[labels] priority`` (unlisted layers after the rest)."""
    order = list(symbology()["labels"].get("priority", []))
    return order.index(key) if key in order else len(order)


def _geojson_layer(layer: _Layer) -> folium.GeoJson:
    gdf = layer.gdf
    cols = _popup_columns(gdf)
    keys = _style_keys(gdf, layer.role)
    # the page carries a style code per feature, never the raw kind/status text from data
    codes, uniques = pd.factorize(keys)
    by_key = _styles_for(uniques, layer.role, _shape(gdf) == "point")
    styles = {f"s{i}": by_key[k] for i, k in enumerate(uniques)}
    props = pd.DataFrame(
        {f"p{i}": _format_column(_labelled(gdf[c], c)) for i, c in enumerate(cols)}
    )
    props["_s"] = np.char.add("s", codes.astype(str)).astype(object)
    text = _label_text(layer)
    labelled = text is not None
    if text is not None:
        props["_l"] = _format_column(text).to_numpy()
        props["_p"] = _label_priority(layer.key if layer.role == "data" else "user")
        points = gdf.geom_type.isin(["Point", "MultiPoint"]).to_numpy()
        if not points.all():  # lines and polygons: label at a point inside the feature
            rep = shapely.point_on_surface(gdf.geometry.values)
            props["_ax"] = np.where(points, None, np.round(shapely.get_x(rep), 6))
            props["_ay"] = np.where(points, None, np.round(shapely.get_y(rep), 6))
    display = gpd.GeoDataFrame(props, geometry=gdf.geometry.values).reset_index(drop=True)
    data = json.loads(display.to_json(drop_id=False, to_wgs84=False))
    data.pop("crs", None)  # RFC 7946: lon/lat; the display datum is in the attribution

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        return styles[feature["properties"]["_s"]]

    def highlight(feature: dict[str, Any]) -> dict[str, Any]:
        base = styles[feature["properties"]["_s"]]
        return {"weight": base["weight"] + 2, "fillOpacity": min(1.0, base["fillOpacity"] + 0.2)}

    tip_fields = [c for c in symbology()["tooltip"]["fields"] if c in cols] or cols[:1]
    aliases = {c: escape_text(field_label(c)) for c in cols}
    kwargs: dict[str, Any] = {}
    if cols and not gdf.empty:  # folium checks the fields against the first feature
        kwargs["tooltip"] = folium.GeoJsonTooltip(
            fields=[f"p{cols.index(c)}" for c in tip_fields],
            aliases=[aliases[c] for c in tip_fields],
            sticky=True,
        )
        kwargs["popup"] = folium.GeoJsonPopup(
            fields=[f"p{i}" for i in range(len(cols))],
            aliases=[aliases[c] for c in cols],
            max_width=440,
            max_height=380,
        )
    if gdf.geom_type.isin(["Point", "MultiPoint"]).any():
        kwargs["marker"] = folium.CircleMarker(radius=5, fill=True)
    if labelled:
        kwargs["on_each_feature"] = JsCode(_LABEL_JS)
    return folium.GeoJson(
        data,
        name=layer.title,
        style_function=style,
        highlight_function=highlight,
        **kwargs,
    )


# --------------------------------------------------------------------------------------
# legend and footer


def _swatch(style: dict[str, Any], shape: str) -> str:
    e = escape_text
    if shape == "point":
        dash = style.get("dashArray") or ""
        return (
            '<svg width="28" height="16"><circle cx="14" cy="8" r="5" '
            f'fill="{e(style["fillColor"])}" stroke="{e(style["color"])}" '
            f'stroke-width="{e(style["weight"])}" stroke-dasharray="{e(dash)}"/></svg>'
        )
    if shape == "polygon":
        return (
            f'<svg width="28" height="16"><rect x="2" y="2" width="24" height="12" '
            f'fill="{e(style["fillColor"])}" fill-opacity="{e(style["fillOpacity"])}" '
            f'stroke="{e(style["color"])}" stroke-width="1.5"/></svg>'
        )
    dash = style.get("dashArray") or ""
    return (
        '<svg width="28" height="16"><line x1="2" y1="8" x2="26" y2="8" '
        f'stroke="{e(style["color"])}" stroke-width="{e(style["weight"])}" '
        f'stroke-dasharray="{e(dash)}" stroke-linecap="round"/></svg>'
    )


def _shape(gdf: gpd.GeoDataFrame) -> str:
    types = set(gdf.geom_type.unique())
    if types <= {"Point", "MultiPoint"}:
        return "point"
    if types <= {"Polygon", "MultiPolygon"}:
        return "polygon"
    return "line"


def _legend_label(key: str, role: str) -> str:
    if role == "changes":
        change, _, minutes = key.partition("|")
        label = symbology()["changes"].get(change, {}).get("label", change)
        return escape_text(f"{label}: within {minutes} min 分钟以内")
    if role == "rings":
        minutes, _, scenario = key.partition("|")
        label = f"within {minutes} min 分钟以内"
        if scenario:
            label += f" — {_scenario_label(scenario)}"
        return escape_text(label)
    kind, _, status = key.partition("|")
    table = symbology()
    label = table["kinds"].get(kind, {}).get("label") or kind or "feature"
    status_label = table["status"].get(status, {}).get("label") or status
    if status and status not in ("None", "nan", "<NA>"):
        label = f"{label} — {status_label}"
    return escape_text(label)


def _legend_html(layers: Sequence[_Layer]) -> str:
    """Legend by group: one row per distinct symbol (kind, status; ring threshold)."""
    order, titles = symbology()["groups"]["order"], symbology()["groups"]["titles"]
    parts = ['<div class="suigeo-legend-title">Legend 图例</div>']
    for group in order:
        rows: dict[str, str] = {}
        for layer in (lay for lay in layers if lay.group == group and not lay.gdf.empty):
            keys = pd.unique(_style_keys(layer.gdf, layer.role))
            shape = _shape(layer.gdf)
            styles = _styles_for(keys, layer.role, shape == "point")
            for key in keys:
                # a user layer is one legend row under its own title
                label = layer.title if layer.role == "user" else _legend_label(key, layer.role)
                rows.setdefault(label, _swatch(styles[key], shape))
        if not rows:
            continue
        parts.append(f'<div class="suigeo-legend-layer">{escape_text(titles[group])}</div>')
        parts.extend(
            f'<div class="suigeo-legend-item">{sw}<span>{label}</span></div>'
            for label, sw in sorted(rows.items(), key=lambda kv: _natural(kv[0]))
        )
    return "".join(parts)


def _natural(label: str) -> tuple[float, str]:
    """Sort ring thresholds numerically, other labels alphabetically."""
    m = re.match(r"within (\d+(?:\.\d+)?) min", label)
    return (float(m.group(1)), label) if m else (math.inf, label)


def _sources(layers: Sequence[_Layer], limit: int = 8) -> str:
    """Layer-level sources (catalogue), else the most frequent feature sources; escaped."""
    listed = pd.Series([s for lay in layers for s in lay.sources], dtype=object)
    frames = [
        lay.gdf["source"].dropna().astype(str)
        for lay in layers
        if not lay.sources and "source" in lay.gdf
    ]
    allsrc = pd.concat([listed, *frames], ignore_index=True) if frames else listed
    if allsrc.empty:
        return "see each feature's popup"
    counts = allsrc.value_counts(sort=True)
    shown = [escape_text(s if len(s) <= 90 else s[:87] + "…") for s in counts.index[:limit]]
    more = len(counts) - len(shown)
    tail = f"; and {more} more" if more > 0 else ""
    return "; ".join(shown) + tail + " (each feature's popup names its own source)"


def _version() -> str:
    try:
        return importlib.metadata.version("suigeo")
    except importlib.metadata.PackageNotFoundError:  # running from a bare checkout
        return "(development)"


def _footer_html(
    layers: Sequence[_Layer], review_number: str | None, bm: Basemap, made_on: dt.date
) -> str:
    review_number = (review_number or "").strip()  # a blank number is no number
    if review_number:
        status = (
            f'<span class="suigeo-review">审图号 Map review No. {escape_text(review_number)}</span>'
        )
    else:
        status = (
            '<span class="suigeo-internal">内部规划用图，未经审图，不得公开出版、展示或销售 · '
            "Internal planning use — not for publication</span> "
            "(no map review number 审图号: 广州市测绘地理信息管理办法 第三十四条)"
        )
    as_of = [lay.gdf["as_of"].dropna().astype(str) for lay in layers if "as_of" in lay.gdf]
    as_of_s = pd.concat(as_of) if as_of else pd.Series(dtype=str)
    data_date = f"; data as of {escape_text(as_of_s.max())}" if len(as_of_s) else ""
    return (
        f"<div>{status}</div>"
        f"<div>Data 数据来源: {_sources(layers)}{data_date}.</div>"
        f"<div>Made {made_on.isoformat()} with suigeo {escape_text(_version())} · "
        f"basemap: {escape_text(bm.title)} · datum {escape_text(bm.datum_note)}</div>"
    )


# --------------------------------------------------------------------------------------
# the map


def _collect(layers: Any, rings: Any, user_layers: Any, label: str | None) -> list[_Layer]:
    out: list[_Layer] = []
    for name, obj in _named(layers, "layer"):
        gdf, title, sources = _load_shipped(obj) if isinstance(obj, str) else (obj, name, ())
        gdf = _check_frame(gdf, f"layer {name!r}")
        out.append(_Layer(name, escape_text(title), "data", gdf, sources=sources))
    for name, obj in _named(rings, "rings"):
        if isinstance(obj, gpd.GeoDataFrame) and "change" in obj:
            # compare_rings: an empty change (nothing lost) has no area to draw
            empty = obj.geometry.isna() | obj.geometry.is_empty
            log.info("map: %s: %d empty change(s) (nothing gained or lost)", name, empty.sum())
            obj = obj[~empty]
        gdf = _check_frame(obj, f"rings {name!r}")
        if "minutes" not in gdf:
            raise InputError(f"rings {name!r}: no 'minutes' column (threshold of each ring)")
        gdf = gdf.sort_values("minutes", ascending=False, kind="stable")
        src = ("suigeo geo.access rings (method and parameters in each ring's popup)",)
        if "change" in gdf:  # compare_rings: areas gained and lost, a layer of their own
            title = _ring_title(gdf, name).replace(" min", " min gained/lost 增减", 1)
            out.append(_Layer(name, escape_text(title), "changes", gdf, sources=src))
            continue
        out.append(_Layer(name, escape_text(_ring_title(gdf, name)), "rings", gdf, sources=src))
    for name, obj in _named(user_layers, "user layer"):
        gdf = _check_frame(obj, f"user layer {name!r}")
        if label is not None and label not in gdf.columns:
            cols = ", ".join(str(c) for c in gdf.columns if c != gdf.geometry.name)
            raise InputError(
                f"user layer {name!r}: no column {label!r} to label the features with "
                f"(columns: {cols})"
            )
        out.append(_Layer(name, escape_text(name), "user", gdf, label=label))
    return out


def _ring_title(gdf: gpd.GeoDataFrame, default: str) -> str:
    if gdf.empty or "origin" not in gdf:
        return default
    origin = "/".join(pd.unique(gdf["origin"].astype(str)))
    minutes = pd.to_numeric(gdf["minutes"], errors="coerce").dropna().unique()
    mins = ", ".join(f"{m:g}" for m in sorted(minutes))
    how = [
        "/".join(
            _scenario_label(v) if c == "scenario" else v for v in pd.unique(gdf[c].astype(str))
        )
        for c in ("engine", "scenario")
        if c in gdf
    ]
    return f"{origin}: {mins} min" + (f" ({'; '.join(how)})" if how else "")


def _parse_focus(focus: Any) -> tuple[str, Any]:
    """``None`` | ``"rings"`` | ``"layer NAME"`` / ``("layer", NAME)`` | a bbox -> (how, what)."""
    if focus is None:
        return "default", None
    if isinstance(focus, str):
        text = focus.strip()
        if text == "rings":
            return "rings", None
        if text.startswith("layer ") or text.startswith("layer:"):
            return "layer", text[6:].strip()
        parts = [x for x in re.split(r"[,\s]+", text) if x]
    elif len(focus) == 2 and focus[0] == "layer":
        return "layer", str(focus[1])
    else:
        parts = list(focus)
    try:
        box = [float(x) for x in parts]
    except (TypeError, ValueError):
        box = []
    if len(box) != 4 or not all(math.isfinite(v) for v in box):
        raise InputError(
            f"focus {focus!r}: give 'rings', 'layer NAME' or a box MINLON,MINLAT,MAXLON,MAXLAT "
            "(CGCS2000 degrees)"
        )
    x0, y0, x1, y1 = box
    if not (-180 <= x0 < x1 <= 180 and -90 <= y0 < y1 <= 90):
        raise InputError(
            f"focus box {focus!r}: need MINLON < MAXLON within -180..180 and MINLAT < MAXLAT "
            "within -90..90 (CGCS2000 degrees, lon first)"
        )
    return "bbox", box


def _focus_layers(layers: Sequence[_Layer], focus: Any) -> list[list[float]] | None:
    """Bounds of the initial view: by default the rings and user layers, else everything."""
    how, what = _parse_focus(focus)
    if how == "bbox":
        return [[what[1], what[0]], [what[3], what[2]]]
    if how == "rings":
        chosen = [lay for lay in layers if lay.role in ("rings", "changes")]
        if not chosen:
            raise InputError("focus 'rings': the map has no rings (give --rings)")
        return _bounds(chosen)
    if how == "layer":
        chosen = [lay for lay in layers if what == lay.key or escape_text(what) == lay.title]
        if not chosen:
            names = ", ".join(lay.key for lay in layers)
            raise InputError(f"focus layer {what!r}: no such layer on the map ({names})")
        return _bounds(chosen)
    chosen = [
        lay for lay in layers if lay.role in ("rings", "changes", "user") and not lay.gdf.empty
    ]
    return _bounds(chosen or layers)


def _bounds(layers: Sequence[_Layer]) -> list[list[float]] | None:
    boxes = np.array([lay.gdf.total_bounds for lay in layers if not lay.gdf.empty])
    if boxes.size == 0:
        return None
    minx, miny = boxes[:, 0].min(), boxes[:, 1].min()
    maxx, maxy = boxes[:, 2].max(), boxes[:, 3].max()
    return [[float(miny), float(minx)], [float(maxy), float(maxx)]]


def _resolve_basemap(
    basemap: str,
    key: str | None,
    tiles: str | None,
    tiles_attribution: str | None,
    tiles_datum: str | None,
) -> tuple[Basemap, Any]:
    """The basemap, and the MBTiles/PMTiles tiles to embed (or ``None``)."""
    embedded = None
    if tiles is not None:
        if tiles_datum is None:
            raise InputError("--tiles needs --tiles-datum: CGCS2000, WGS84 or GCJ02")
        if str(tiles).lower().endswith((".mbtiles", ".pmtiles")):
            from suigeo.maps.mbtiles import read_mbtiles

            embedded = read_mbtiles(tiles)
            attribution = tiles_attribution or embedded.attribution
            bm = tile_basemap(
                "https://file/{z}/{x}/{y}", attribution=attribution, datum=tiles_datum
            )
            bm.tiles = []  # drawn from the page itself (controls.EmbeddedTiles)
            kind = "PMTiles" if str(tiles).lower().endswith(".pmtiles") else "MBTiles"
            bm.title = f"{embedded.name} ({kind} {Path(tiles).name}, tiles in the page)"
            bm.attribution = attribution
        else:
            bm = tile_basemap(str(tiles), attribution=tiles_attribution or "", datum=tiles_datum)
    else:
        bm = _basemap(basemap, key=key)
    return bm, embedded


def build(
    layers: Any = (),
    rings: Any = None,
    user_layers: Any = (),
    *,
    basemap: str = "land",
    tianditu_key: str | None = None,
    review_number: str | None = None,
    offline: bool = True,
    title: str | None = None,
    made_on: dt.date | None = None,
    simplify_m: float = DEFAULT_SIMPLIFY_M,
    label: str | None = None,
    focus: str | Sequence[Any] | None = None,
    tiles: str | None = None,
    tiles_attribution: str | None = None,
    tiles_datum: str | None = None,
) -> folium.Map:
    """Build a planning map.

    Parameters
    ----------
    layers
        Shipped layer names (loaded with ``layers.load``), a mapping name -> GeoDataFrame,
        or a sequence of names, GeoDataFrames or ``(name, GeoDataFrame)`` pairs.
    rings
        Travel-time rings (``geo.access.rings`` output: ``minutes``, ``engine``, ``origin``),
        one GeoDataFrame, a mapping or a sequence as for ``layers``; one map layer each.
    user_layers
        The user's own layers, as for ``layers``; the name is the layer's title in the layer
        control and the legend (:func:`maps.read_user_layers` gives ``FILE:TITLE`` or the
        file's layer name).
    basemap
        ``"land"`` (default: the shipped Natural Earth 1:10m land and sea, offline, no tile
        server), ``"none"`` (a plain background), ``"osm"``, ``"tianditu"`` or ``"amap"``;
        see ``maps/basemaps.toml``. On ``amap`` a display copy is shifted to GCJ-02.
    tianditu_key
        Tianditu key; otherwise the ``SUIGEO_TIANDITU_KEY`` environment variable.
    review_number
        Map review number (审图号). Without it the footer says the map is for internal
        planning use and not for publication.
    offline
        Inline every script and stylesheet (default; no CDN link in the page, the file works
        with no network). ``False`` links them from their CDNs (a smaller file).
    title
        Title shown at the top of the map.
    made_on
        Date printed in the footer (default today).
    simplify_m
        Display simplification tolerance in metres (0 keeps every vertex).
    label
        Column of the user layers whose value labels each feature on the map (every user
        layer must have it). The shipped towns, parks and hubs are always labelled.
    focus
        The initial view: ``"rings"``, ``"layer NAME"`` (a layer's name or title; also
        ``("layer", NAME)``) or a box ``(minlon, minlat, maxlon, maxlat)`` / ``"MINLON,MINLAT,
        MAXLON,MAXLAT"`` in CGCS2000 degrees. Default: the rings and user layers when there
        are any (not the whole rail network), else every layer.
    tiles, tiles_attribution, tiles_datum
        Tiles of your own instead of ``basemap``: a tile server's URL template
        (``https://host/{z}/{x}/{y}.png``) or an ``.mbtiles`` or ``.pmtiles`` file, whose raster
        tiles are put into the page (offline, :mod:`maps.mbtiles`); who made the tiles (the
        file's own attribution otherwise); and the datum they are drawn in (``CGCS2000``,
        ``WGS84`` or ``GCJ02``; required, so the layers are shown in it).

    Returns
    -------
    folium.Map
        Save it with :func:`maps.save_html` (atomic) or ``Map.save``.

    Raises
    ------
    suigeo.errors.InputError
        Unknown basemap, missing key, a layer without CRS or geometry, rings without minutes.

    Examples
    --------
    >>> m = build({"parks": parks_gdf}, rings=geo.access.rings(...))  # doctest: +SKIP
    >>> save_html(m, "map.html")  # doctest: +SKIP
    """
    bm, embedded = _resolve_basemap(basemap, tianditu_key, tiles, tiles_attribution, tiles_datum)
    collected = _collect(layers, rings, user_layers, label)
    for lay in collected:
        log.info("map: %s layer %r, %d feature(s)", lay.role, lay.key, len(lay.gdf))
        shown = _to_display(lay.gdf, bm.display_system, f"layer {lay.key!r}")
        lay.gdf = _simplify(shown, simplify_m)
        lay.group = _group_of(lay.gdf, lay.role, lay.key)

    # maxZoom on the map itself: with no tile layer Leaflet's is Infinity, and fitting the
    # bounds of a single point then yields NaN coordinates.
    # zoomSnap 0.25: fit_bounds may stop at quarter levels, so a map fills its page (labels get
    # room) instead of jumping to the whole level below
    m = folium.Map(
        location=None, tiles=None, control_scale=False, zoom_start=8, maxZoom=18, zoomSnap=0.25
    )
    MetricScale().add_to(m)
    for tile in bm.tiles:
        folium.TileLayer(
            tiles=tile["url"],
            attr=escape_text(tile["attribution"]),
            name=escape_text(bm.title),
            subdomains=tile.get("subdomains", "abc"),
            max_zoom=tile.get("max_zoom", 18),
            overlay=False,
            control=False,
        ).add_to(m)
    add_css(m)
    if embedded is not None:
        EmbeddedTiles(
            embedded.tiles,
            min_zoom=embedded.min_zoom,
            max_zoom=embedded.max_zoom,
            attribution=escape_text(bm.attribution),
        ).add_to(m)
        log.info("map: %d tiles (%d bytes) from %s", len(embedded.tiles), embedded.nbytes, tiles)
    if bm.vector:
        LandLayer([f for name in bm.vector for f in vector_basemap(name)["features"]]).add_to(m)
        add_attribution(m, escape_text(bm.attribution))
    add_attribution(m, escape_text(f"basemap datum: {bm.datum_note}; data: CGCS2000 (EPSG:4490)"))

    groups: dict[str, list[folium.GeoJson]] = {}
    for lay in collected:
        gj = _geojson_layer(lay)
        gj.add_to(m)
        groups.setdefault(lay.group, []).append(gj)
    order, titles = symbology()["groups"]["order"], symbology()["groups"]["titles"]
    if groups:
        folium.plugins.GroupedLayerControl(
            {escape_text(titles[g]): groups[g] for g in order if g in groups},
            exclusive_groups=False,
            # folded into its toggle (opens on hover or tap): expanded, it and the legend
            # crowded the right side at 1400 x 900 and below
            collapsed=True,
            position="topright",
        ).add_to(m)

    HtmlControl(
        _legend_html(collected),
        position="bottomright",
        css_class="suigeo-legend",
        toggle=".suigeo-legend-title",
    ).add_to(m)
    if bm.vector or any(_label_text(lay) is not None for lay in collected):
        LabelLayout(pad_px=symbology()["labels"].get("pad_px", 2.0)).add_to(m)
    made = made_on or dt.date.today()
    FooterControl(_footer_html(collected, review_number, bm, made)).add_to(m)
    if title:
        TitleBox(escape_text(title)).add_to(m)
    PanelLayout().add_to(m)  # after every panel: it sizes them all

    bounds = _focus_layers(collected, focus)
    if bounds is None:
        m.location = [23.13, 113.26]  # central Guangzhou when there is nothing to fit
    else:
        # keep the data clear of the title (top), layer control and legend (right), footer
        m.fit_bounds(
            bounds, padding_top_left=(40, 60), padding_bottom_right=(350, 120), max_zoom=14
        )
        FocusBounds(bounds).add_to(m)
    if offline:
        m.get_root().add_child(OfflineAssets(), name="suigeo_offline_assets")
    log.info("map: %d layer(s), basemap %s, offline=%s", len(collected), bm.name, offline)
    return m
