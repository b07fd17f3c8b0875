"""A dBASE III ``.dbf`` (a Shapefile's attributes) re-encoded into another code page with
numpy, for the Shapefile fast path of ``crs convert`` (crs/batch.py ``_fast_shapefile``).

The file (dBASE III, as GDAL writes and reads it): a 32-byte header (byte 0 version 0x03,
4-7 record count, 8-9 header length, 10-11 record length, little-endian; byte 29 the
language driver id), 32-byte field descriptors up to a 0x0D byte (name: 11 bytes, NUL
padded; type; length at byte 16, decimal count at 17), then the records (a deletion flag,
``' '`` or ``'*'``, and the fields side by side) and a 0x1A end byte.

:func:`reencode_dbf` decodes every text (``C``) cell strictly in the source code page,
without its trailing spaces and NULs (GDAL reads it so), and writes it in the target code
page, padded with spaces to a width that holds the longest cell (never narrower than the
original); numbers, dates and logicals are copied byte for byte, and so is a text column
that holds only ASCII. Anything it does not handle exactly makes it return the reason
instead (the caller then converts through GDAL): a version other than 0x03, a header that
does not add up, a field type other than ``C``, ``N``, ``F``, ``D``, ``L`` (a memo), a
deleted record, a cell or field name that does not decode (or encode) strictly, a field
name longer than 10 bytes in the target code page, a text cell longer than 254 bytes in it.

The records are read, re-encoded and written a block at a time (about a megabyte), in two
passes over the file, so the memory used does not grow with the file: the first finds the
width of each re-encoded field (from the longest cell; for GBK -> UTF-8 a cell grows by half
at most, so a field whose longest GBK cell fits in two thirds of its width keeps it without
decoding anything in this pass), the second decodes, encodes and writes.
"""

from __future__ import annotations

import codecs
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from io import BufferedReader
from pathlib import Path
from typing import BinaryIO

import numpy as np

__all__ = ["reencode_dbf"]

_TYPES = frozenset(b"CNFDL")
_MAX_WIDTH = 254  # the longest text field GDAL reads and writes
_MAX_NAME = 10
_ASCII = bytes(range(128))
#: code pages whose bytes depend on what came before (a cell cannot be decoded alone)
_STATEFUL = ("iso2022", "utf_16", "utf_32", "utf_7", "hz")
_BLOCK_BYTES = 1 << 20  # records read, re-encoded and written at a time
#: at most how many times longer a cell gets, by (source, target) code page: a GBK or
#: GB18030 character of 2 bytes is at most 3 in UTF-8, one of 4 bytes at most 4, ASCII 1
#: (tests/io/test_dbf.py checks every GBK character). Other pairs are measured exactly.
_GROWTH = {("gbk", "utf-8"): 1.5, ("gb2312", "utf-8"): 1.5, ("gb18030", "utf-8"): 1.5}
_SPACE_TO_NUL = bytes.maketrans(b" ", b"\0")
_NUL_TO_SPACE = bytes.maketrans(b"\0", b" ")


class _Refused(Exception):
    """Why the ``.dbf`` is not re-encoded here (the message)."""


@dataclass
class _Field:
    name: bytes  # in the target code page
    label: str  # the name, for messages
    kind: int
    width: int
    at: int  # where in the record
    text: bool = False  # a text field holding more than ASCII: re-encoded
    end: int = 0  # no cell has anything but spaces and NULs from here on
    longest: int = 0  # the longest re-encoded cell measured
    new_width: int = 0
    laid: int = 0  # no re-encoded cell is longer (at most new_width)
    line_feed: bool = False


@dataclass
class _Layout:
    n: int
    header_len: int
    reclen: int
    head: bytes  # the header: 32 bytes and the field descriptors
    fields: list[_Field]
    stop: threading.Event | None = None


def _fields(head: bytes) -> list[tuple[bytes, int, int, int]]:
    """(name, type, length, decimals) of each field descriptor in the header ``head``."""
    fields = []
    at = 32
    while at < len(head) and head[at] != 0x0D:
        desc = head[at : at + 32]
        if len(desc) < 32:
            raise _Refused("the .dbf field descriptors are cut short")
        fields.append((desc[:11].split(b"\0", 1)[0], desc[11], desc[16], desc[17]))
        at += 32
    if at >= len(head):
        raise _Refused("the .dbf header has no end byte (0x0D)")
    if not fields:
        raise _Refused("the .dbf has no fields")
    return fields


def _layout(f: BufferedReader, src_codec: str, dst_codec: str) -> _Layout:
    """Record count, lengths and fields (names in ``dst_codec``) of the open ``.dbf``."""
    size = os.fstat(f.fileno()).st_size
    first = f.read(32)
    if size < 33 or first[0] != 0x03:
        raise _Refused(f"a .dbf of version 0x{first[0] if first else 0:02x} (only dBASE III, 0x03)")
    n = int.from_bytes(first[4:8], "little")
    header_len = int.from_bytes(first[8:10], "little")
    reclen = int.from_bytes(first[10:12], "little")
    head = first + f.read(max(0, header_len - 32))
    fields = _fields(head)
    if reclen != 1 + sum(fl[2] for fl in fields) or header_len < 32 * len(fields) + 33:
        raise _Refused("a .dbf header that does not add up (record or header length)")
    end = header_len + n * reclen
    if size == end + 1:
        f.seek(end)
        ok = f.read(1) == b"\x1a"
    else:
        ok = size == end
    if not ok:
        raise _Refused("a .dbf whose size is not that of its header and records")
    out = []
    at = 1
    for name, kind, width, _ in fields:
        if kind not in _TYPES:
            raise _Refused(f"a .dbf field of type {chr(kind)!r} (a memo or other, not C/N/F/D/L)")
        try:
            new = name.decode(src_codec).encode(dst_codec)
        except (UnicodeDecodeError, UnicodeEncodeError):
            raise _Refused(f"a field name that is not {src_codec} or not {dst_codec}") from None
        if len(new) > _MAX_NAME:
            raise _Refused(f"a field name of {len(new)} bytes in {dst_codec} (at most 10)")
        out.append(_Field(new, name.decode(src_codec), kind, width, at, new_width=width))
        at += width
    return _Layout(n, header_len, reclen, head[: 32 * len(fields) + 32], out)


def _blocks(f: BufferedReader, lay: _Layout) -> Iterator[tuple[int, bytearray, np.ndarray]]:
    """The records, a block at a time: the first record's number, the block's bytes (one
    buffer, reused: a block is gone once the next is read; a last, shorter block leaves
    the previous one's bytes after it) and the (records, reclen) array of them."""
    per = max(1, _BLOCK_BYTES // max(lay.reclen, 1))
    buf = bytearray(min(per, lay.n) * lay.reclen)
    f.seek(lay.header_len)
    for start in range(0, lay.n, per):
        if lay.stop is not None and lay.stop.is_set():
            raise _Refused("stopped")
        b = min(per, lay.n - start)
        with memoryview(buf)[: b * lay.reclen] as view:
            got = 0
            while got < len(view):
                k = f.readinto(view[got:])
                if not k:
                    raise _Refused("a .dbf cut short while it was read")
                got += k
        records = np.frombuffer(buf, dtype=np.uint8, count=b * lay.reclen).reshape(b, lay.reclen)
        yield start, buf, records


def _transcode(joined: bytes, src_codec: str, dst_codec: str, first: int, fl: _Field) -> bytes:
    """``joined`` (cells each ended by a line feed) decoded strictly and encoded in
    ``dst_codec``.

    No cell holds a line feed (:func:`_widths` refused it), and no code page taken here has
    it inside a character (the bytes of its multibyte characters after the first are 0x30
    or more), so a character cut by the cell's end does not decode."""
    try:
        return joined.decode(src_codec).encode(dst_codec)
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        before = exc.object[: exc.start]
        lines = before.count(b"\n") if isinstance(before, bytes) else before.count("\n")
        record = first + lines + 1
        raise _Refused(
            f"a text cell that is not {exc.encoding} ({exc.reason}, record {record}), "
            f"field {fl.label!r}"
        ) from None


def _stripped(cells: np.ndarray) -> bytes:
    """The cells (a (b, width) array) without their trailing spaces and NULs, each ended by
    a line feed, in a row (numpy masks: for cells that may hold NULs)."""
    b, width = cells.shape
    kept = (cells != 0x20) & (cells != 0)
    ends = np.where(kept.any(axis=1), width - np.argmax(kept[:, ::-1], axis=1), 0)
    mask = np.ones((b, width + 1), dtype=bool)
    mask[:, :width] = np.arange(width) < ends[:, None]
    lined = np.empty((b, width + 1), dtype=np.uint8)
    lined[:, :width] = cells
    lined[:, width] = 0x0A
    return lined[mask].tobytes()


def _lines(encoded: bytes, b: int, fl: _Field) -> np.ndarray:
    """The length of each of the ``b`` cells of ``encoded`` (each ended by a line feed)."""
    flat = np.frombuffer(encoded, dtype=np.uint8)
    ends = np.flatnonzero(flat == 0x0A)
    if len(ends) != b:
        raise _Refused(f"a text cell that does not decode cell by cell, field {fl.label!r}")
    return np.diff(ends, prepend=-1) - 1


def _scan(
    fl: _Field, cells: np.ndarray, start: int, line_feeds: bool, growth: float | None,
    codecs_: tuple[str, str],
) -> None:  # fmt: skip
    """Take the block's ``cells`` of the text field ``fl`` into its ``text``, ``end``,
    ``longest`` and ``line_feed`` (see :func:`_widths`)."""
    if line_feeds:
        fl.line_feed |= bool((cells == 0x0A).any())
    bits = np.bitwise_or.reduce(cells, axis=0)
    used = np.flatnonzero(bits & 0xDF)  # neither a space nor a NUL
    end = int(used[-1]) + 1 if len(used) else 0
    fl.end = max(fl.end, end)
    here = bool((bits & 0x80).any())
    fl.text |= here
    if fl.text and fl.line_feed:
        raise _Refused(f"a text cell holding a line feed, field {fl.label!r}")
    if here and (growth is None or end * growth > fl.width):  # measure them
        encoded = _transcode(_stripped(cells[:, :end]), *codecs_, start, fl)
        fl.longest = max(fl.longest, int(_lines(encoded, len(cells), fl).max()))


def _widths(f: BufferedReader, lay: _Layout, codecs_: tuple[str, str]) -> None:
    """First pass: which text fields hold more than ASCII (``text``), where their cells'
    text ends (``end``) and the width each needs in the target code page (``new_width``);
    refuse a deleted record, a line feed in such a field, a cell too long (or, when one is
    decoded in this pass, one that does not decode).

    One OR of each field's bytes down the block says both: a byte of 0x80 or more, and
    the last place where a byte other than a space (0x20) or NUL is. A block whose cells
    would fit the width even grown by the code pages' ``_GROWTH`` is not decoded here."""
    growth = _GROWTH.get((codecs.lookup(codecs_[0]).name, codecs.lookup(codecs_[1]).name))
    texts = [fl for fl in lay.fields if fl.kind == ord("C") and fl.width]
    for start, buf, records in _blocks(f, lay):
        if (records[:, 0] != 0x20).any():
            raise _Refused("a deleted record in the .dbf")
        line_feeds = buf.find(b"\n", 0, records.size) >= 0
        for fl in texts:
            cells = records[:, fl.at : fl.at + fl.width]
            _scan(fl, cells, start, line_feeds, growth, codecs_)
    for fl in lay.fields:
        fl.new_width = max(fl.width, fl.longest) if fl.text else fl.width
        bound = fl.new_width if growth is None else int(fl.end * growth)
        fl.laid = max(1, min(fl.new_width, max(fl.longest, bound)))
        if fl.new_width > _MAX_WIDTH:
            raise _Refused(
                f"a text cell of {fl.new_width} bytes in {codecs_[1]} (at most {_MAX_WIDTH})"
            )


def _write_text(
    out: np.ndarray, cells: np.ndarray, fl: _Field, start: int, codecs_: tuple[str, str]
) -> None:
    """Write the ``cells`` of the text field ``fl`` re-encoded into ``out`` (their place in
    the block's output records), padded with spaces.

    Only the cells' first ``fl.end`` bytes are read (the rest is blank). Without NULs
    there, their spaces are made NULs so that numpy's bytes type cuts the trailing ones
    (``tolist``) and lays the re-encoded cells out side by side (NUL padded: made spaces);
    with NULs, masks do it."""
    b, width = out.shape
    raw = cells[:, : fl.end].tobytes()
    if b"\0" not in raw:
        items = np.frombuffer(raw.translate(_SPACE_TO_NUL), dtype=f"S{fl.end}").tolist()
        items.append(b"")  # each cell ended by a line feed
        encoded = _transcode(b"\n".join(items).translate(_NUL_TO_SPACE), *codecs_, start, fl)
        lines = encoded.split(b"\n")
        lines.pop()  # after the last line feed
        if len(lines) != b:
            raise _Refused(f"a text cell that does not decode cell by cell, field {fl.label!r}")
        k = fl.laid  # as wide as the longest cell can be: numpy's bytes pad it with NULs
        laid = np.array(lines, dtype=f"S{k}").tobytes()
        if len(laid) - laid.count(b"\0") != len(encoded) - b:  # not reached: all measured
            raise _Refused(f"a text cell wider than its field, field {fl.label!r}")
        out[:, :k] = np.frombuffer(laid.translate(_NUL_TO_SPACE), np.uint8).reshape(b, k)
        out[:, k:] = 0x20
        return
    encoded = _transcode(_stripped(cells[:, : fl.end]), *codecs_, start, fl)
    lengths = _lines(encoded, b, fl)
    if b and int(lengths.max()) > width:  # not reached: _widths measured them
        raise _Refused(f"a text cell wider than its field, field {fl.label!r}")
    flat = np.frombuffer(encoded, dtype=np.uint8)
    out[:] = 0x20
    out[np.arange(width) < lengths[:, None]] = flat[flat != 0x0A]


def _write_records(
    f: BufferedReader, dst: BinaryIO, lay: _Layout, new_reclen: int, codecs_: tuple[str, str]
) -> None:
    """Second pass: each block's records with the text fields re-encoded, written."""
    per = max(1, _BLOCK_BYTES // max(lay.reclen, 1))
    whole = np.empty((min(per, lay.n), new_reclen), dtype=np.uint8)
    for start, _, records in _blocks(f, lay):
        out = whole[: len(records)]
        out[:, 0] = records[:, 0]
        at = 1
        for fl in lay.fields:
            cells = records[:, fl.at : fl.at + fl.width]
            target = out[:, at : at + fl.new_width]
            at += fl.new_width
            if fl.text:
                _write_text(target, cells, fl, start, codecs_)
            else:
                target[:] = cells
        dst.write(out.data.cast("B"))


def reencode_dbf(
    src_dbf: str | os.PathLike[str],
    dst_dbf: str | os.PathLike[str],
    src_codec: str,
    dst_codec: str = "utf-8",
    *,
    stop: threading.Event | None = None,
) -> str | None:
    """Write the ``.dbf`` ``src_dbf`` (text in ``src_codec``) to ``dst_dbf`` with its text
    fields and field names in ``dst_codec`` (see the module docstring).

    Parameters
    ----------
    src_dbf, dst_dbf
        The ``.dbf`` read and the one written (nothing is written when a reason is
        returned).
    src_codec, dst_codec
        Python codec names of the code pages.
    stop
        Set (by another thread): stop between two blocks of records, write nothing and
        return ``"stopped"``.

    Returns
    -------
    str or None
        ``None`` when written; else the reason it was not (the caller converts otherwise).

    Examples
    --------
    >>> import tempfile, pathlib, pyogrio, geopandas as gpd, shapely
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> gdf = gpd.GeoDataFrame({"名称": ["石门村"]}, geometry=[shapely.Point(113, 23)],
    ...                        crs="EPSG:4490")
    >>> pyogrio.write_dataframe(gdf, folder / "a.shp", encoding="GBK")
    >>> reencode_dbf(folder / "a.dbf", folder / "b.dbf", "gbk") is None
    True
    >>> "石门村".encode("utf-8") in (folder / "b.dbf").read_bytes()
    True
    """
    for codec in (src_codec, dst_codec):
        if codecs.lookup(codec).name.replace("-", "_").startswith(_STATEFUL):
            return f"the code page {codec} is not re-encoded here"
    # ASCII text reads the same in both code pages: such a column is copied as it is
    if _ASCII.decode(src_codec, "replace").encode(dst_codec, "replace") != _ASCII:
        return f"{src_codec} or {dst_codec} is not a code page that keeps ASCII"
    dst = Path(dst_dbf)
    try:
        with open(src_dbf, "rb") as f:
            lay = _layout(f, src_codec, dst_codec)
            lay.stop = stop
            _widths(f, lay, (src_codec, dst_codec))
            new_reclen = 1 + sum(fl.new_width for fl in lay.fields)
            if new_reclen > 0xFFFF:
                return "a .dbf record longer than 65535 bytes in the new code page"
            head = bytearray(lay.head[:32])
            head[8:10] = (32 * len(lay.fields) + 33).to_bytes(2, "little")
            head[10:12] = new_reclen.to_bytes(2, "little")
            head[29] = 0  # no language driver: the .cpg names the code page (as GDAL writes)
            for i, fl in enumerate(lay.fields):
                desc = bytearray(lay.head[32 + 32 * i : 64 + 32 * i])
                desc[:11] = fl.name.ljust(11, b"\0")
                desc[16] = fl.new_width
                head += desc
            head += b"\x0d"
            try:
                with open(dst, "wb") as out:
                    out.write(head)
                    _write_records(f, out, lay, new_reclen, (src_codec, dst_codec))
                    out.write(b"\x1a")
            except BaseException:
                dst.unlink(missing_ok=True)
                raise
    except _Refused as exc:
        return str(exc)
    return None
