"""Rebuild the shipped layer files in ``layers/data/`` from the tables in this folder.

Run from anywhere (paths are relative to this file)::

    python layers/sources/build.py            # rewrite layers/data/
    python layers/sources/build.py --check    # rebuild into a temporary folder, compare
    python layers/sources/build.py --refresh-places ../shared/places.csv

Inputs, all in ``layers/sources/`` (see README.md there): ``places.csv`` (the rows and
columns used here of the team's place list, WGS84 lon/lat with source and confidence;
CGCS2000 and WGS84 agree to well under a metre, far below every ``accuracy_m``, so the
values are used as CGCS2000 unchanged), ``extra_places.csv`` (places the list lacks),
``place_overrides.csv`` (better-sourced positions for a few rows) and the policy tables
(``*.csv``, ``*.toml``, each row with its source; ``{ID}`` in a source names a document of
``documents.toml``). Output: one GeoJSON file per layer and ``rail_through_services.csv``,
deterministic (fixed key order and float format) so a rebuild shows up as a clean diff.

This script is not part of the installed package and needs only the standard library.
Exit codes: 0 ok (``--check``: identical), 1 ``--check`` found differences, 2 bad input.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import math
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data"
PLACES = HERE / "places.csv"
# the columns of the team's place list this script uses (``group`` is not used)
PLACE_COLUMNS = ("id", "name_zh", "name_en", "kind", "lon", "lat", "source", "confidence", "note")

log = logging.getLogger("suigeo.layers.build")


class BuildError(ValueError):
    """An input table is malformed or inconsistent (the message names file and row)."""


# --- reading ----------------------------------------------------------------------------
def _read_rows(path: Path, *, rejoin_column: str | None = None) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV file as dicts; a row with the wrong number of cells is an error.

    With ``rejoin_column``, surplus cells of a row are taken to be unquoted commas inside
    that column and joined back (the team's ``places.csv`` has such rows).
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BuildError(f"{path}: cannot read: {exc}") from exc
    rows = csv.reader(io.StringIO(text, newline=""))
    header = next(rows, None)
    if not header:
        raise BuildError(f"{path}: empty file")
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for lineno, cells in enumerate(rows, start=2):
        extra = len(cells) - len(header)
        if extra > 0 and rejoin_column is not None:
            i = header.index(rejoin_column)
            cells[i : i + extra + 1] = [",".join(cells[i : i + extra + 1])]
        if len(cells) != len(header):
            raise BuildError(f"{path}:{lineno}: {len(cells)} fields, expected {len(header)}")
        row = dict(zip(header, cells, strict=True))
        if "id" in row:
            if row["id"] in seen:
                raise BuildError(f"{path}:{lineno}: duplicate id {row['id']!r}")
            seen.add(row["id"])
        out.append(row)
    return out


def read_places(paths: Iterable[Path]) -> dict[str, dict[str, str]]:
    """Place rows by id from one or more place lists (an id may appear in only one)."""
    places: dict[str, dict[str, str]] = {}
    for path in paths:
        for row in _read_rows(path):
            if row["id"] in places:
                raise BuildError(f"{path}: id {row['id']!r} is already in an earlier place list")
            places[row["id"]] = row
    return places


def extract_places(shared_csv: Path) -> str:
    """The text of the repository copy ``places.csv`` made from the team's place list.

    Every row, the columns in ``PLACE_COLUMNS``, quoted where needed (the team's file has
    unquoted commas in some ``source`` cells; they are joined back).
    """
    rows = _read_rows(shared_csv, rejoin_column="source")
    missing = [c for c in PLACE_COLUMNS if rows and c not in rows[0]]
    if missing:
        raise BuildError(f"{shared_csv}: missing columns {missing}")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(PLACE_COLUMNS)
    w.writerows([row[c] for c in PLACE_COLUMNS] for row in rows)
    return buf.getvalue()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BuildError(f"{path}: cannot read: {exc}") from exc


_DOC_REF = re.compile(r"\{([A-Z0-9_]+)\}")


def _expand(text: str, documents: dict[str, str], where: str) -> str:
    """``text`` with each ``{ID}`` replaced by the citation of document ID."""

    def one(m: re.Match[str]) -> str:
        if m.group(1) not in documents:
            raise BuildError(f"{where}: unknown document {{{m.group(1)}}} (see documents.toml)")
        return documents[m.group(1)]

    return _DOC_REF.sub(one, text)


@dataclass(frozen=True)
class Accuracy:
    """How the confidence of a coordinate becomes metres (``accuracy.toml``)."""

    by_confidence: dict[str, float]
    medium_station_m: float
    overrides: dict[str, tuple[float, str]]


@dataclass(frozen=True)
class Sources:
    """Every table of ``layers/sources/`` except the place lists, sources expanded."""

    accuracy: Accuracy
    note_additions: dict[str, str]
    towns: list[dict[str, str]]
    meizhou_parks: list[dict[str, str]]
    qingyuan_parks: list[dict[str, str]]
    forest_parks: list[dict[str, str]]
    hubs: list[dict[str, str]]
    lines: list[dict[str, Any]]
    through_services: list[dict[str, Any]]
    stations: dict[str, dict[str, str]]
    aliases: dict[str, list[str]]


def load_sources(src_dir: Path = HERE) -> Sources:
    """Read the policy tables of ``src_dir``; ``{ID}`` in every source is expanded."""
    documents = _read_toml(src_dir / "documents.toml")["documents"]

    def table(name: str) -> list[dict[str, str]]:
        rows = _read_rows(src_dir / name)
        for i, row in enumerate(rows, start=2):
            for key in ("source", "reason"):
                if key in row:
                    row[key] = _expand(row[key], documents, f"{src_dir / name}:{i}")
        return rows

    def toml_list(name: str, key: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = _read_toml(src_dir / name)[key]
        for item in items:
            where = f"{src_dir / name}: {item.get('id')}"
            for k in ("source", "operating_speed_source"):
                if k in item:
                    item[k] = _expand(item[k], documents, where)
        return items

    acc = _read_toml(src_dir / "accuracy.toml")
    overrides = {
        r["id"]: (float(r["accuracy_m"]), r["reason"]) for r in table("accuracy_overrides.csv")
    }
    return Sources(
        accuracy=Accuracy(
            by_confidence={k: float(v) for k, v in acc["by_confidence"].items()},
            medium_station_m=float(acc["medium_station"]["accuracy_m"]),
            overrides=overrides,
        ),
        note_additions={r["id"]: r["note"] for r in table("note_additions.csv")},
        towns=table("north8_towns.csv"),
        meizhou_parks=table("meizhou_parks.csv"),
        qingyuan_parks=table("qingyuan_parks.csv"),
        forest_parks=table("forest_parks.csv"),
        hubs=table("hubs.csv"),
        lines=toml_list("rail_lines.toml", "lines"),
        through_services=toml_list("rail_through_services.toml", "services"),
        stations={r["id"]: r for r in table("rail_stations.csv")},
        aliases=_read_toml(src_dir / "aliases.toml")["aliases"],
    )


# --- accuracy ---------------------------------------------------------------------------
def accuracy_for(row: dict[str, str], acc: Accuracy) -> tuple[float, str]:
    """Metres of honest positional accuracy for a place row, and the rule used."""
    if row["id"] in acc.overrides:
        return acc.overrides[row["id"]]
    note = row.get("note", "")
    m = re.search(r"\+/-\s*(\d+(?:\.\d+)?)\s*km", note)
    if m:
        return float(m.group(1)) * 1000.0, "the note's stated +/- bound"
    m = re.search(r"within ~\s*(\d+(?:\.\d+)?)\s*km|~\s*\d+-(\d+)\s*km", note)
    if m:
        return float(m.group(1) or m.group(2)) * 1000.0, "the note's stated distance"
    conf = row["confidence"]
    if conf == "medium" and row["kind"] == "station":
        return acc.medium_station_m, "medium: a town seat standing in for its station"
    if conf == "medium":
        return acc.by_confidence[conf], "medium: a town or county seat standing in"
    if conf == "low":
        return acc.by_confidence[conf], "low: own estimate, a few km"
    return acc.by_confidence[conf], "high: the place's own point from a cited source"


# --- aliases ----------------------------------------------------------------------------
# automatic aliases that would read as something else ("Guangzhou" is the city, not 广州站)
AUTO_ALIAS_BLOCK = {"Guangzhou"}


def _auto_aliases(row: dict[str, str]) -> list[str]:
    out = []
    zh = row["name_zh"]
    base = re.sub(r"（[^）]*）$", "", zh)
    if base != zh:
        out.append(base)
    if "区" in base and base.endswith("镇"):
        short = base.split("区", 1)[1]
        out += [short, short[:-1]]
    en = row["name_en"]
    for suffix in (" railway station", " station"):
        if en.endswith(suffix):
            if en[: -len(suffix)] not in AUTO_ALIAS_BLOCK:
                out.append(en[: -len(suffix)])
            break
    if row["kind"] == "town":
        out.append(en.split(" Town")[0])
    return out


# --- assembly ---------------------------------------------------------------------------
Feature = dict[str, Any]


def _base(row: dict[str, str], s: Sources, *, kind: str, attr_source: str, as_of: str) -> Feature:
    acc, rule = accuracy_for(row, s.accuracy)
    pos_src = row["source"].strip() or "own estimate (no source)"
    note = row["note"].strip()
    if row["id"] in s.note_additions:
        add = s.note_additions[row["id"]]
        note = f"{note}; {add}" if note else add
    if rule.startswith(("medium", "low")) or row["id"] in s.accuracy.overrides:
        note = f"{note}; accuracy: {rule}" if note else f"accuracy: {rule}"
    aliases = s.aliases.get(row["id"], []) + _auto_aliases(row)
    seen: list[str] = []
    for a in aliases:
        if a not in seen and a not in (row["name_zh"], row["name_en"], row["id"]):
            seen.append(a)
    return {
        "id": row["id"],
        "name_zh": row["name_zh"],
        "name_en": row["name_en"],
        "kind": kind,
        "source": f"position: {pos_src}; attributes: {attr_source}",
        "accuracy_m": acc,
        "as_of": as_of,
        "confidence": row["confidence"],
        "note": note,
        "aliases": ";".join(seen),
        "_lonlat": (float(row["lon"]), float(row["lat"])),
    }


SEAT_WORDS = (
    "county seat",
    "district seat",
    "city seat",
    "city point",
    "municipal government",
    "Meijiang District",
)


def _at_seat(note: str) -> bool:
    """True when the note says the point is a county/district/city seat standing in."""
    return any(w in note for w in SEAT_WORDS)


def _place(places: dict[str, dict[str, str]], pid: str, table: str) -> dict[str, str]:
    if pid not in places:
        raise BuildError(f"{table}: id {pid!r} is in no place list")
    return places[pid]


def _float_or_nan(text: str) -> float:
    return float(text) if text.strip() else math.nan


def build_towns(places: dict[str, dict[str, str]], s: Sources) -> list[Feature]:
    out = []
    for t in s.towns:
        row = _place(places, t["id"], "north8_towns.csv")
        f = _base(row, s, kind="town", attr_source=t["source"], as_of="2023-12-31")
        f |= {
            "district": t["district"],
            "roles_brands": t["roles_brands"],
            "forest_parks_nearby": t["forest_parks_nearby"],
        }
        out.append(f)
    return out


def build_meizhou(places: dict[str, dict[str, str]], s: Sources) -> list[Feature]:
    out = []
    for p in s.meizhou_parks:
        row = _place(places, p["id"], "meizhou_parks.csv")
        f = _base(row, s, kind="co_built_park", attr_source=p["source"], as_of="2022-08-04")
        f |= {
            "paired_district": p["paired_district"],
            "host_county": p["host_county"],
            "at_county_seat": _at_seat(f["note"]),
            "output_2020_yi": float(p["output_2020_yi"]),
            "output_2025_yi": float(p["output_2025_yi"]),
            "firms_over_1yi_2020": int(p["firms_over_1yi_2020"]),
            "firms_over_1yi_2025": int(p["firms_over_1yi_2025"]),
            "fai_2020_yi": float(p["fai_2020_yi"]),
            "fai_2025_yi": float(p["fai_2025_yi"]),
            "planned_area_km2": _float_or_nan(p["planned_area_km2"]),
            "construction_land_km2": _float_or_nan(p["construction_land_km2"]),
            "construction_land_in_period_km2": _float_or_nan(p["construction_land_in_period_km2"]),
        }
        out.append(f)
    return out


def build_qingyuan(places: dict[str, dict[str, str]], s: Sources) -> list[Feature]:
    out = []
    for p in s.qingyuan_parks:
        row = _place(places, p["id"], "qingyuan_parks.csv")
        f = _base(row, s, kind="co_built_park", attr_source=p["source"], as_of="2022-09-21")
        ptype = p["platform_type"]
        f |= {
            "platform_type": ptype,
            "in_three_parks_one_city": "三园一城" in ptype,
            "in_six_platforms": "六大平台" in ptype,
            "host_county": p["host_county"],
            "paired_district": p["paired_district"],
            "pairing_basis": p["pairing_basis"],
            "at_county_seat": _at_seat(f["note"]),
        }
        out.append(f)
    return out


def build_forest(places: dict[str, dict[str, str]], s: Sources) -> list[Feature]:
    out = []
    for p in s.forest_parks:
        row = _place(places, p["id"], "forest_parks.csv")
        f = _base(row, s, kind=row["kind"], attr_source=p["source"], as_of="2023-12-31")
        f |= {
            "district": p["district"],
            "park_class": p["park_class"],
            "class_basis": p["class_basis"],
        }
        out.append(f)
    return out


def build_hubs(places: dict[str, dict[str, str]], s: Sources) -> list[Feature]:
    return [
        _base(
            _place(places, h["id"], "hubs.csv"),
            s,
            kind=h["kind"],
            attr_source=h["source"],
            as_of="2022-09-21",
        )
        for h in s.hubs
    ]


STATUS_RANK = {"in_service": 0, "under_construction": 1, "planned": 2}


def build_stations(places: dict[str, dict[str, str]], s: Sources) -> list[Feature]:
    served: dict[str, list[tuple[str, int, str]]] = {}
    as_of: dict[str, str] = {}
    for line in s.lines:
        if line["status"] not in STATUS_RANK:
            raise BuildError(f"rail_lines.toml: {line['id']}: unknown status {line['status']!r}")
        for i, sid in enumerate(line["stations"], start=1):
            served.setdefault(sid, []).append((line["id"], i, line["status"]))
            as_of[sid] = max(as_of.get(sid, ""), line["as_of"])
    unknown = set(s.stations) - {sid for sid, r in places.items() if r["kind"] == "station"}
    if unknown:
        raise BuildError(f"rail_stations.csv: ids that are no station: {sorted(unknown)}")
    places_md = "places.md (team compilation of public pages)"
    out = []
    for sid, row in places.items():
        if row["kind"] != "station":
            continue
        on = served.get(sid, [])
        attrs = s.stations.get(sid, {})
        status = min((st for _, _, st in on), key=STATUS_RANK.__getitem__, default="unknown")
        if not on and attrs.get("open_off_line") == "yes":
            status = "in_service"
        f = _base(
            row,
            s,
            kind="station",
            attr_source=f"line membership and order: {places_md}; see each line's source",
            as_of=as_of.get(sid, "2024-12-28"),
        )
        if not on:
            extra = "not on a shipped line"
            f["note"] = f"{f['note']}; {extra}" if f["note"] else extra
        km = attrs.get("km_post_jingguang_hsr", "")
        f |= {
            "lines": ";".join(lid for lid, _, _ in on),
            "line_order": ";".join(f"{lid}:{i}" for lid, i, _ in on),
            "status": status,
            "km_posts": f"jingguang_hsr:{km}" if km else "",
            "interchange": attrs.get("interchange", ""),
        }
        out.append(f)
    return out


def build_lines(stations: list[Feature], s: Sources) -> list[Feature]:
    pos = {st["id"]: st["_lonlat"] for st in stations}
    acc = {st["id"]: st["accuracy_m"] for st in stations}
    out = []
    for line in s.lines:
        missing = [sid for sid in line["stations"] if sid not in pos]
        if missing:
            where = f"rail_lines.toml: {line['id']}"
            raise BuildError(f"{where}: stations without a position: {missing}")
        skip = ("stations", "operating_speed_kmh", "operating_speed_source")
        f = {k: v for k, v in line.items() if k not in skip}
        f["stations"] = ";".join(line["stations"])
        op = float(line.get("operating_speed_kmh", math.nan))
        f["operating_speed_kmh"] = op
        if "operating_speed_source" in line:
            f["note"] += f" Operating speed {op:g} km/h: {line['operating_speed_source']}."
        f["schematic"] = True
        f["accuracy_m"] = max(acc[sid] for sid in line["stations"])
        f["note"] = "SCHEMATIC: straight segments between stations, not the track. " + f["note"]
        f["aliases"] = ";".join(s.aliases.get(line["id"], []))
        f["_coords"] = [pos[sid] for sid in line["stations"]]
        out.append(f)
    return out


THROUGH_FIELDS = (
    "id",
    "name_zh",
    "name_en",
    "status",
    "lines",
    "via",
    "stops",
    "opened",
    "source",
    "as_of",
    "confidence",
    "note",
)


def _leg(line: dict[str, Any], a: str, b: str, service: str) -> list[str]:
    """Stations of ``line`` from ``a`` to ``b`` inclusive, in running order."""
    st: list[str] = line["stations"]
    if a not in st or b not in st or a == b:
        raise BuildError(f"through service {service}: {a}..{b} is not a leg of {line['id']}")
    i, j = st.index(a), st.index(b)
    return st[i : j + 1] if i < j else st[j : i + 1][::-1]


def build_through(s: Sources) -> list[dict[str, str]]:
    """Rows of the through-service table, checked against the lines (each leg on its line)."""
    by_id = {line["id"]: line for line in s.lines}
    out = []
    for svc in s.through_services:
        lines, via = svc["lines"], svc["via"]
        if len(via) != len(lines) + 1 or any(lid not in by_id for lid in lines):
            raise BuildError(f"through service {svc['id']}: needs known lines and len(via) + 1")
        stops = [via[0]]
        for k, lid in enumerate(lines):
            stops += _leg(by_id[lid], via[k], via[k + 1], svc["id"])[1:]
        status = max((by_id[lid]["status"] for lid in lines), key=STATUS_RANK.__getitem__)
        row = {**svc, "lines": ";".join(lines), "via": ";".join(via), "stops": ";".join(stops)}
        out.append({k: status if k == "status" else row[k] for k in THROUGH_FIELDS})
    return out


# --- writing ----------------------------------------------------------------------------
def write_table(name: str, rows: list[dict[str, str]], out_dir: Path) -> Path:
    """A plain UTF-8 CSV table (no geometry), one row per dict, columns THROUGH_FIELDS."""
    path = out_dir / f"{name}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=THROUGH_FIELDS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return path


def _num(v: float) -> float:
    return round(v, 6)


def _feature(f: Feature) -> dict[str, Any]:
    props = {
        k: (None if isinstance(v, float) and v != v else v)
        for k, v in f.items()
        if not k.startswith("_")
    }
    geom: dict[str, Any]
    if "_coords" in f:
        geom = {"type": "LineString", "coordinates": [[_num(x), _num(y)] for x, y in f["_coords"]]}
    else:
        x, y = f["_lonlat"]
        geom = {"type": "Point", "coordinates": [_num(x), _num(y)]}
    return {"type": "Feature", "properties": props, "geometry": geom}


def write_layer(name: str, features: list[Feature], out_dir: Path) -> Path:
    """One GeoJSON file, one feature per line, CRS EPSG:4490."""
    head = json.dumps(
        {
            "type": "FeatureCollection",
            "name": name,
            "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
        },
        ensure_ascii=False,
    )
    lines = [json.dumps(_feature(f), ensure_ascii=False) for f in features]
    text = head[:-1] + ',\n"features": [\n' + ",\n".join(lines) + "\n]\n}\n"
    path = out_dir / f"{name}.geojson"
    path.write_text(text, encoding="utf-8")
    return path


def ambiguous_names(layers: dict[str, list[Feature]]) -> list[str]:
    """Lines naming every lookup key (id, names, aliases) shared by more than one feature."""
    owners: dict[str, set[str]] = {}
    for feats in layers.values():
        for f in feats:
            for key in [f["id"], f["name_zh"], f["name_en"], *f["aliases"].split(";")]:
                if key:
                    owners.setdefault(key.casefold(), set()).add(f["id"])
    return [
        f"{key!r} names {sorted(ids)} (lookup prefers ids/names over aliases)"
        for key, ids in sorted(owners.items())
        if len(ids) > 1
    ]


def build(
    out_dir: Path = DATA, *, places_csv: Path = PLACES, src_dir: Path = HERE
) -> dict[str, int]:
    """Rebuild every layer file and the through-service table into ``out_dir``.

    Returns the feature count per layer. Raises `BuildError` for a malformed or
    inconsistent input table.
    """
    s = load_sources(src_dir)
    places = read_places([places_csv, src_dir / "extra_places.csv"])
    # better-sourced positions for a few place rows (each note says what it replaces)
    overrides = read_places([src_dir / "place_overrides.csv"])
    unknown = set(overrides) - set(places)
    if unknown:
        raise BuildError(f"place_overrides.csv: ids in no place list: {sorted(unknown)}")
    places |= overrides
    stations = build_stations(places, s)
    layers = {
        "north8_towns": build_towns(places, s),
        "meizhou_parks": build_meizhou(places, s),
        "qingyuan_parks": build_qingyuan(places, s),
        "rail_lines": build_lines(stations, s),
        "rail_stations": stations,
        "forest_parks": build_forest(places, s),
        "hubs": build_hubs(places, s),
    }
    through = build_through(s)
    for line in ambiguous_names(layers):
        log.info("note: %s", line)
    for name, feats in layers.items():
        write_layer(name, feats, out_dir)
    write_table("rail_through_services", through, out_dir)
    return {k: len(v) for k, v in layers.items()}


def compare(built: Path, shipped: Path) -> list[str]:
    """Differences between two folders of built files, one line each (empty: identical)."""
    a = {p.name for p in built.iterdir()}
    b = {p.name for p in shipped.iterdir()}
    out = [f"{n}: in layers/data but not made by the build" for n in sorted(b - a)]
    out += [f"{n}: made by the build but not in layers/data" for n in sorted(a - b)]
    out += [
        f"{n}: differs from a rebuild"
        for n in sorted(a & b)
        if (built / n).read_bytes() != (shipped / n).read_bytes()
    ]
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns the exit code."""
    ap = argparse.ArgumentParser(
        prog="build.py",
        description="Rebuild the shipped layer files in layers/data/ from layers/sources/.",
    )
    ap.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temporary folder and compare with --out byte for byte; "
        "exit 1 on any difference, write nothing",
    )
    ap.add_argument(
        "--refresh-places",
        metavar="SHARED_CSV",
        type=Path,
        help="re-copy places.csv here from the team's place list (e.g. ../shared/places.csv) "
        "before building",
    )
    ap.add_argument(
        "--out", type=Path, default=DATA, help="folder of the shipped files (default: %(default)s)"
    )
    ap.add_argument("-q", "--quiet", action="store_true", help="print only errors")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO, format="%(message)s")
    try:
        if args.refresh_places is not None:
            PLACES.write_text(extract_places(args.refresh_places), encoding="utf-8")
            log.info("places.csv: copied from %s", args.refresh_places)
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                build(Path(tmp))
                diffs = compare(Path(tmp), args.out)
            for d in diffs:
                print(d, file=sys.stderr)
            log.info("%s", "differences found" if diffs else "identical: every file")
            return 1 if diffs else 0
        for name, n in build(args.out).items():
            log.info("%-16s %3d features", name, n)
    except BuildError as exc:
        print(f"build.py: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
