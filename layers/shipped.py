"""The shipped layers: catalogue, loading in any named system, and lookup by name.

The data files live in ``layers/data/`` (GeoJSON, CGCS2000 lon/lat, EPSG:4490) and are
described by ``layers/catalog.toml`` (title, geometry type, field types, sources).
"""

from __future__ import annotations

import difflib
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from suigeo import crs
from suigeo.errors import InputError
from suigeo.io.csvtable import read_csv

if TYPE_CHECKING:
    from pyproj import CRS

    from suigeo.crs.systems import System
    from suigeo.crs.transform import Params

__all__ = [
    "DATA_DIR",
    "LAYER_NAMES",
    "attribute_table",
    "catalog",
    "layer_path",
    "load",
    "lookup",
    "through_services",
]

_HERE = Path(__file__).resolve().parent
DATA_DIR = _HERE / "data"
CATALOG_TOML = _HERE / "catalog.toml"
NATIVE_EPSG = 4490


@lru_cache(maxsize=1)
def _catalog_doc() -> dict[str, Any]:
    with CATALOG_TOML.open("rb") as fh:
        return tomllib.load(fh)


LAYER_NAMES: tuple[str, ...] = tuple(_catalog_doc()["layers"])


def _meta(name: str) -> dict[str, Any]:
    layers = _catalog_doc()["layers"]
    if name not in layers:
        close = difflib.get_close_matches(str(name), list(layers), n=3, cutoff=0.4)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise InputError(
            f"unknown layer {name!r}{hint} (layers: {', '.join(layers)}; `suigeo layers list`)"
        )
    return layers[name]


def field_types(name: str) -> dict[str, str]:
    """Field name -> type (``str``, ``float``, ``int``, ``bool``) for a shipped layer."""
    return {**_catalog_doc()["common"]["fields"], **_meta(name)["fields"]}


def layer_path(name: str) -> Path:
    """Path of a shipped layer's data file."""
    _meta(name)
    return DATA_DIR / f"{name}.geojson"


_CASTS = {"float": "float64", "int": "int64", "bool": "bool"}


def _coerce(df: gpd.GeoDataFrame, types: dict[str, str]) -> gpd.GeoDataFrame:
    """Give every catalogued column its declared type (GDAL infers dates, int32 ...)."""
    for col, typ in types.items():
        s = df[col]
        if typ == "str":
            if pd.api.types.is_datetime64_any_dtype(s):
                s = s.dt.strftime("%Y-%m-%d")
            df[col] = s.fillna("").astype(str)
        else:
            df[col] = s.astype(_CASTS[typ])
    order = [c for c in types if c in df.columns]
    rest = [c for c in df.columns if c not in types and c != "geometry"]
    return df[[*order, *rest, "geometry"]]


@lru_cache(maxsize=16)
def _load_native(name: str) -> gpd.GeoDataFrame:
    df = pyogrio.read_dataframe(layer_path(name))
    if df.crs is None or df.crs.to_epsg() != NATIVE_EPSG:
        raise InputError(f"{layer_path(name)}: shipped layer is not in EPSG:{NATIVE_EPSG}")
    types = field_types(name)
    missing = [c for c in types if c not in df.columns]
    if missing:
        raise InputError(f"{layer_path(name)}: shipped layer lacks fields {missing}")
    return _coerce(df, types)


def load(
    name: str,
    *,
    dst: str | int | CRS | System | None = None,
    params: Params = None,
) -> gpd.GeoDataFrame:
    """Load a shipped layer.

    Parameters
    ----------
    name
        Layer name, one of :data:`LAYER_NAMES` (``layers.catalog()`` lists them).
    dst
        Target system: a suigeo name (``CGCS2000-3GK-CM114``), an EPSG code or a pyproj
        CRS. ``None`` (default) keeps the native CGCS2000 lon/lat (EPSG:4490).
    params
        Parameters for systems that need them (Guangzhou 2000), passed to ``crs.to_crs``.

    Returns
    -------
    geopandas.GeoDataFrame
        A fresh copy; changing it does not affect later loads.

    Examples
    --------
    The nine Meizhou parks' 2025 output targets add up to the 830 亿元 of 穗府办〔2022〕20号
    附件2; every layer is CGCS2000 lon/lat unless a target system is asked for:

    >>> from suigeo import layers
    >>> float(layers.load("meizhou_parks")["output_2025_yi"].sum())
    830.0
    >>> towns = layers.load("north8_towns")
    >>> len(towns), towns.crs.to_epsg(), towns.geom_type.unique().tolist()
    (8, 4490, ['Point'])
    """
    gdf = _load_native(name).copy()
    if dst is None:
        return gdf
    return crs.to_crs(gdf, dst, params=params)


@lru_cache(maxsize=1)
def _through_native() -> pd.DataFrame:
    meta = _catalog_doc()["tables"]["rail_through_services"]
    path = DATA_DIR / "rail_through_services.csv"
    df = read_csv(path).to_pandas()  # every cell text, empty cells ""
    missing = [c for c in meta["fields"] if c not in df.columns]
    if missing:
        raise InputError(f"{path}: shipped table lacks fields {missing}")
    return df[list(meta["fields"])]


def through_services() -> pd.DataFrame:
    """The through services of the shipped rail lines (``rail_through_services.csv``).

    One row per service: trains that run on from one line to the next at a junction station
    without passengers changing trains. ``lines`` are line ids in running order joined by
    ``;``; ``via`` the start, each junction and the end station (one more than the lines:
    leg k runs on ``lines[k]`` from ``via[k]`` to ``via[k+1]``); ``stops`` every drawn
    station passed; ``status`` the least advanced status of its lines; ``source``,
    ``confidence`` and ``note`` as in the layers. Trains are taken to run both ways.

    Returns
    -------
    pandas.DataFrame
        A fresh copy, every column a string.

    Examples
    --------
    >>> from suigeo import layers
    >>> layers.through_services().set_index("id").loc["gz_meizhou_via_guangshan", "via"]
    'xintang_stn;luofushan_stn;huizhou_north_stn;longchuan_west_stn;meizhou_west_stn'
    """
    return _through_native().copy()


def catalog() -> pd.DataFrame:
    """One row per shipped layer.

    Columns: ``name``, ``title``, ``features``, ``geometry``, ``sources``,
    ``accuracy_min_m``, ``accuracy_max_m``, ``file``.
    """
    rows = []
    for name, meta in _catalog_doc()["layers"].items():
        gdf = _load_native(name)
        rows.append(
            {
                "name": name,
                "title": meta["title"],
                "features": len(gdf),
                "geometry": meta["geometry"],
                "sources": "; ".join(meta["sources"]),
                "accuracy_min_m": float(gdf["accuracy_m"].min()),
                "accuracy_max_m": float(gdf["accuracy_m"].max()),
                "file": f"layers/data/{name}.geojson",
            }
        )
    return pd.DataFrame(rows)


BRIEF_HIDDEN = ("source", "note", "aliases")


def attribute_table(name: str, *, full: bool = False) -> pd.DataFrame:
    """A shipped layer's attributes as a plain table (what ``suigeo layers show`` prints).

    Point layers get ``lon`` and ``lat`` columns (CGCS2000, rounded to 5 decimals, about
    1 m, far below every ``accuracy_m``). Without ``full`` the long ``source``, ``note`` and
    ``aliases`` columns are left out.

    Examples
    --------
    >>> from suigeo import layers
    >>> layers.attribute_table("hubs").columns[-2:].tolist()
    ['lon', 'lat']
    """
    gdf = _load_native(name)
    df = pd.DataFrame(gdf.drop(columns="geometry"))
    if (gdf.geom_type == "Point").all():
        df["lon"], df["lat"] = gdf.geometry.x.round(5), gdf.geometry.y.round(5)
    if not full:
        df = df.drop(columns=[c for c in BRIEF_HIDDEN if c in df.columns])
    return df


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", str(text)).casefold()
    return " ".join(t.replace("-", " ").replace("–", " ").split())


@lru_cache(maxsize=1)
def _name_index() -> tuple[dict[str, list[tuple[int, str, str]]], list[str]]:
    """normalised key -> [(priority, layer, id)]; priority 0 id, 1 names, 2 aliases."""
    index: dict[str, list[tuple[int, str, str]]] = {}
    shown: list[str] = []
    for layer in LAYER_NAMES:
        df = _load_native(layer)
        for fid, zh, en, al in zip(
            df["id"], df["name_zh"], df["name_en"], df["aliases"], strict=True
        ):
            keys = [(0, fid), (1, zh), (1, en)] + [(2, a) for a in al.split(";") if a]
            for prio, key in keys:
                index.setdefault(_norm(key), []).append((prio, layer, fid))
                shown.append(key)
    return index, shown


def lookup(name: str) -> gpd.GeoDataFrame:
    """Find one shipped feature by id, Chinese or English name, or a short alias.

    Matching ignores case, width (全角/半角) and extra spaces. An exact id or name wins over
    an alias (``清远站`` is the high-speed station; the intercity one is
    ``清远站（广清城际）``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row (CGCS2000) with the layer's columns plus ``layer``.

    Raises
    ------
    suigeo.errors.InputError
        Unknown or ambiguous name; the message lists close matches.

    Examples
    --------
    >>> from suigeo import layers
    >>> layers.lookup("Guangzhou South")["id"].item()
    'gz_south_stn'
    """
    index, shown = _name_index()
    hits = index.get(_norm(name), [])
    if not hits:
        close = difflib.get_close_matches(str(name), shown, n=6, cutoff=0.5)
        if not close:
            close = difflib.get_close_matches(_norm(name), [_norm(s) for s in shown], n=6)
        hint = f"; close matches: {', '.join(dict.fromkeys(close))}" if close else ""
        raise InputError(
            f"no shipped feature named {name!r}{hint} (ids, Chinese and English names and "
            "aliases are accepted; `suigeo layers show LAYER` lists them)"
        )
    best = min(p for p, _, _ in hits)
    found = sorted({(layer, fid) for p, layer, fid in hits if p == best})
    if len(found) > 1:
        raise InputError(
            f"{name!r} is ambiguous: "
            + ", ".join(f"{fid} ({layer})" for layer, fid in found)
            + "; use the id"
        )
    layer, fid = found[0]
    df = _load_native(layer)
    row = df[df["id"].to_numpy() == fid].copy()
    row.insert(0, "layer", layer)
    return row


def lonlat(gdf: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude arrays (CGCS2000) of a point layer's features."""
    g = gdf.geometry if gdf.crs is None or gdf.crs.to_epsg() == NATIVE_EPSG else None
    if g is None:
        g = crs.to_crs(gdf, "CGCS2000").geometry
    return g.x.to_numpy(), g.y.to_numpy()
