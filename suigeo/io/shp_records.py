"""The coordinates of a ``.shp`` file as numpy arrays, and the same file with new ones.

A Shapefile's ``.shp`` (ESRI Shapefile Technical Description, 1998) is a 100-byte header
(big-endian file code and length, little-endian version, shape type, bounding box, z and m
ranges) and records (an 8-byte big-endian header: record number, content length in 16-bit
words); the ``.shx`` holds each record's offset. A record's points are little-endian x, y
doubles at a place fixed by its shape type and part count. :func:`read_vertices` finds
every point of every record with one vectorised gather; :func:`write_vertices` writes the
same bytes with new x, y (and z) and recomputed bounding boxes: the record sizes do not
change, so the ``.shx`` keeps its offsets (only its header's bounding box is new).

Only what is read back exactly as it was is taken: one shape type for every record (no
null shapes), 2-D and Z types (not the M-only ones), parts that start at 0 and grow, no
empty record, closed polygon rings of 4 points or more, line parts of 2 or more. Anything
else makes :func:`read_vertices` return ``None`` with the reason (the caller then uses
GDAL).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["ShpVertices", "read_vertices", "write_vertices"]

POINT_TYPES = {1: False, 11: True}
MULTI_TYPES = {3: False, 5: False, 8: False, 13: True, 15: True, 18: True}
POLYGONS = (5, 15)
LINES = (3, 13)


@dataclass
class ShpVertices:
    """The points of a ``.shp`` file (see :func:`read_vertices`)."""

    data: bytes  # the whole .shp
    shape_type: int
    offsets: np.ndarray  # byte offset of each record's content (after its 8-byte header)
    starts: np.ndarray  # index of each record's first point in x, y
    counts: np.ndarray  # points of each record
    part_starts: np.ndarray  # index (into x, y) of each part's first point
    x: np.ndarray
    y: np.ndarray
    z: np.ndarray | None
    xy_at: np.ndarray  # byte offset of each point's x (y follows)
    z_at: np.ndarray | None  # byte offset of each point's z
    #: byte offset of each record's bounding box (xmin, ymin, xmax, ymax), if it has one
    bbox_at: np.ndarray | None
    zrange_at: np.ndarray | None  # byte offset of each record's zmin, zmax

    @property
    def has_z(self) -> bool:
        return self.z is not None


def _at_every_byte(buf: np.ndarray, dtype: str) -> np.ndarray:
    """``buf`` as values of ``dtype`` starting at every byte (overlapping, unaligned: a
    view), so that the value at byte offset ``k`` is element ``k``: one gather or scatter
    reads or writes values at any offsets."""
    size = np.dtype(dtype).itemsize
    return np.ndarray((max(0, len(buf) - size + 1),), dtype=dtype, buffer=buf, strides=(1,))


def _doubles(buf: np.ndarray, at: np.ndarray, shift: int = 0) -> np.ndarray:
    """Little-endian doubles at (unaligned) byte offsets ``at`` (+ ``shift``) of ``buf``."""
    return _at_every_byte(buf[shift:], "<f8")[at].astype(np.float64, copy=False)


def _ints(buf: np.ndarray, at: np.ndarray) -> np.ndarray:
    """Little-endian 32-bit integers at byte offsets ``at`` of ``buf``, as int64."""
    return _at_every_byte(buf, "<i4")[at].astype(np.int64)


def _put_doubles(buf: np.ndarray, at: np.ndarray, values: np.ndarray, shift: int = 0) -> None:
    """Write ``values`` as little-endian doubles at byte offsets ``at`` (+ ``shift``) of
    ``buf``."""
    _at_every_byte(buf[shift:], "<f8")[at] = values


def _runs(counts: np.ndarray, firsts: np.ndarray, step: int) -> np.ndarray:
    """Byte offsets of every point: record ``i``'s ``counts[i]`` points from
    ``firsts[i]`` on, ``step`` bytes apart (one array made, one temporary)."""
    starts = np.cumsum(counts) - counts
    at = np.arange(int(counts.sum()), dtype=np.int64)
    at *= step
    at += np.repeat(firsts - step * starts, counts)
    return at


def _records(data: bytes, index: bytes) -> tuple[int, np.ndarray, np.ndarray] | str:
    """The shape type, each record's content offset and length (bytes), or why not."""
    if len(data) < 100 or len(index) < 100 or (len(index) - 100) % 8:
        return "the .shp or .shx is too short"
    if int.from_bytes(data[0:4], "big") != 9994:
        return "no .shp file code"
    if int.from_bytes(data[24:28], "big") * 2 != len(data):
        return "the .shp header does not match its size"
    shape_type = int.from_bytes(data[32:36], "little")
    if shape_type not in POINT_TYPES and shape_type not in MULTI_TYPES:
        return f"shape type {shape_type} (only 2-D and Z points, lines, polygons, multipoints)"
    entries = np.frombuffer(index, dtype=">i4", offset=100).reshape(-1, 2).astype(np.int64)
    if len(entries) == 0:
        return "no records"
    offsets = entries[:, 0] * 2 + 8
    lengths = entries[:, 1] * 2
    if (offsets < 108).any() or (offsets + lengths > len(data)).any() or (lengths < 4).any():
        return "the .shx offsets do not fit the .shp"
    types = _ints(np.frombuffer(data, dtype=np.uint8), offsets)
    if (types != shape_type).any():
        return "a record of another shape type (or a null shape)"
    return shape_type, offsets, lengths


def _points(shape_type: int, offsets: np.ndarray, lengths: np.ndarray) -> dict | str:
    """Where the point of each Point (Z) record is."""
    n = len(offsets)
    has_z = POINT_TYPES[shape_type]
    if (lengths < (28 if has_z else 20)).any():
        return "a point record too short"
    one = np.arange(n, dtype=np.int64)
    return dict(
        starts=one, counts=np.ones(n, dtype=np.int64), part_starts=one, xy_at=offsets + 4,
        z_at=offsets + 20 if has_z else None, bbox_at=None, zrange_at=None,
    )  # fmt: skip


def _parts(
    buf: np.ndarray, shape_type: int, offsets: np.ndarray, nparts: np.ndarray,
    counts: np.ndarray, starts: np.ndarray,
) -> np.ndarray | str:  # fmt: skip
    """The index of each part's first point (all records' points in a row), or why not."""
    n = len(offsets)
    pstarts = np.zeros(n, dtype=np.int64)
    np.cumsum(nparts[:-1], out=pstarts[1:])
    pwithin = np.arange(int(nparts.sum()), dtype=np.int64) - np.repeat(pstarts, nparts)
    parts = _ints(buf, np.repeat(offsets + 44, nparts) + 4 * pwithin)
    rec_of_part = np.repeat(np.arange(n), nparts)
    nxt = np.append(parts[1:], 0)
    last = np.ones(len(parts), dtype=bool)
    last[:-1] = rec_of_part[1:] != rec_of_part[:-1]
    nxt[last] = counts[rec_of_part[last]]
    if (parts[pwithin == 0] != 0).any() or (nxt <= parts).any():
        return "parts that do not start at 0 and grow"
    if (nxt - parts < (4 if shape_type in POLYGONS else 2)).any():
        return "a ring of fewer than 4 points or a line part of fewer than 2"
    return starts[rec_of_part] + parts


def _multi(buf: np.ndarray, shape_type: int, offsets: np.ndarray, lengths: np.ndarray):
    """Where the points of each PolyLine, Polygon or MultiPoint (Z) record are."""
    n = len(offsets)
    has_z = MULTI_TYPES[shape_type]
    multipoint = shape_type in (8, 18)
    if (lengths < (40 if multipoint else 44)).any():
        return "a record too short"
    if multipoint:
        nparts = np.zeros(n, dtype=np.int64)
        counts = _ints(buf, offsets + 36)
        first = offsets + 40
    else:
        nparts = _ints(buf, offsets + 36)
        counts = _ints(buf, offsets + 40)
        first = offsets + 44 + 4 * nparts
    if (counts < 1).any() or (nparts < (0 if multipoint else 1)).any():
        return "an empty record"
    need = first - offsets + 16 * counts + (16 + 8 * counts if has_z else 0)
    if (need > lengths).any():
        return "a record shorter than its points"
    point_ends = first + 16 * counts
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    total = int(counts.sum())
    if multipoint:
        part_starts: np.ndarray | str = np.arange(total, dtype=np.int64)
    else:
        part_starts = _parts(buf, shape_type, offsets, nparts, counts, starts)
    if isinstance(part_starts, str):
        return part_starts
    return dict(
        starts=starts, counts=counts, part_starts=part_starts,
        xy_at=_runs(counts, first, 16),
        z_at=_runs(counts, point_ends + 16, 8) if has_z else None,
        bbox_at=offsets + 4, zrange_at=point_ends if has_z else None,
    )  # fmt: skip


def read_vertices(shp: str | os.PathLike[str], shx: str | os.PathLike[str]) -> ShpVertices | str:
    """Every point of the Shapefile ``shp`` (its index ``shx``), or the reason it is not
    taken (a string: see the module docstring)."""
    data = Path(shp).read_bytes()
    records = _records(data, Path(shx).read_bytes())
    if isinstance(records, str):
        return records
    shape_type, offsets, lengths = records
    buf = np.frombuffer(data, dtype=np.uint8)
    if shape_type in POINT_TYPES:
        at = _points(shape_type, offsets, lengths)
    else:
        at = _multi(buf, shape_type, offsets, lengths)
    if isinstance(at, str):
        return at
    x = _doubles(buf, at["xy_at"])
    y = _doubles(buf, at["xy_at"], shift=8)
    z = _doubles(buf, at["z_at"]) if at["z_at"] is not None else None
    if shape_type in POLYGONS:
        ps = at["part_starts"]
        ends = np.append(ps[1:], len(x)) - 1
        if (x[ps] != x[ends]).any() or (y[ps] != y[ends]).any():
            return "a polygon ring that is not closed"
    return ShpVertices(data=data, shape_type=shape_type, offsets=offsets, x=x, y=y, z=z, **at)


def ring_areas(v: ShpVertices, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Twice the signed area of every part (ring) of ``v`` with the points ``x``, ``y``
    (negative: clockwise, an outer ring in a Shapefile), by the shoelace formula; relative
    to each ring's first point, so that projected coordinates keep their digits."""
    ps = v.part_starts
    lengths = np.diff(ps, append=len(x))
    x0 = np.repeat(x[ps], lengths)
    np.subtract(x, x0, out=x0)
    y0 = np.repeat(y[ps], lengths)
    np.subtract(y, y0, out=y0)
    terms = x0[:-1] * y0[1:]
    np.multiply(x0[1:], y0[:-1], out=x0[1:])  # each element in its own place
    terms -= x0[1:]
    terms[ps[1:] - 1] = 0.0  # the closing point repeats the first: no term to the next ring
    return np.add.reduceat(terms, ps)


def write_vertices(
    v: ShpVertices,
    out: str | os.PathLike[str],
    x: np.ndarray,
    y: np.ndarray,
    z: np.ndarray | None = None,
    shx: str | os.PathLike[str] | None = None,
) -> None:
    """Write ``v``'s ``.shp`` to ``out`` with the points ``x``, ``y`` (and ``z``), each
    record's bounding box (and z range) and the header's recomputed; every other byte kept.
    With ``shx`` (the input's index), also write its ``.shx`` beside ``out`` with the new
    header's bounding box (the record offsets are unchanged)."""
    buf = np.frombuffer(v.data, dtype=np.uint8).copy()
    _put_doubles(buf, v.xy_at, x)
    _put_doubles(buf, v.xy_at, y, shift=8)
    if z is not None and v.z_at is not None:
        _put_doubles(buf, v.z_at, z)
    if v.bbox_at is not None:
        starts = v.starts
        box = [
            np.minimum.reduceat(x, starts),
            np.minimum.reduceat(y, starts),
            np.maximum.reduceat(x, starts),
            np.maximum.reduceat(y, starts),
        ]
        for i, values in enumerate(box):
            _put_doubles(buf, v.bbox_at + 8 * i, values)
        if z is not None and v.zrange_at is not None:
            _put_doubles(buf, v.zrange_at, np.minimum.reduceat(z, starts))
            _put_doubles(buf, v.zrange_at + 8, np.maximum.reduceat(z, starts))
    header = [x.min(), y.min(), x.max(), y.max()]
    _put_doubles(buf, np.array([36, 44, 52, 60], dtype=np.int64), np.array(header))
    if z is not None:
        _put_doubles(buf, np.array([68, 76], dtype=np.int64), np.array([z.min(), z.max()]))
    with open(out, "wb") as fh:
        fh.write(buf.data)
    if shx is not None:  # the index's header holds the same bounding box
        index = Path(shx).read_bytes()
        with open(Path(out).with_suffix(".shx"), "wb") as fh:
            fh.write(index[:36])
            fh.write(buf[36:100].data)
            fh.write(memoryview(index)[100:])
