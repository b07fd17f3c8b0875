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
original); numbers, dates and logicals are copied byte for byte. Anything it does not
handle exactly makes it return the reason instead (the caller then converts through GDAL):
a version other than 0x03, a header that does not add up, a field type other than
``C``, ``N``, ``F``, ``D``, ``L`` (a memo), a deleted record, a cell or field name that
does not decode (or encode) strictly, a field name longer than 10 bytes in the target code
page, a text cell longer than 254 bytes in it.
"""

from __future__ import annotations

import codecs
import os
from pathlib import Path

import numpy as np

__all__ = ["reencode_dbf"]

_TYPES = frozenset(b"CNFDL")
_MAX_WIDTH = 254  # the longest text field GDAL reads and writes
_MAX_NAME = 10
_ASCII = bytes(range(128))
#: code pages whose bytes depend on what came before (a cell cannot be decoded alone)
_STATEFUL = ("iso2022", "utf_16", "utf_32", "utf_7", "hz")


def _fields(data: bytes) -> list[tuple[bytes, int, int, int]] | str:
    """(name, type, length, decimals) of each field descriptor, or why not."""
    fields = []
    at = 32
    while at < len(data) and data[at] != 0x0D:
        desc = data[at : at + 32]
        if len(desc) < 32:
            return "the .dbf field descriptors are cut short"
        fields.append((desc[:11].split(b"\0", 1)[0], desc[11], desc[16], desc[17]))
        at += 32
    if at >= len(data):
        return "the .dbf header has no end byte (0x0D)"
    if not fields:
        return "the .dbf has no fields"
    return fields


def _text_column(
    cells: np.ndarray, src_codec: str, dst_codec: str
) -> tuple[np.ndarray, np.ndarray] | str:
    """The cells (an (n, width) uint8 array) in ``dst_codec``, without their trailing
    spaces and NULs: the bytes of them all in a row and each one's length, or why not.

    The cells are decoded in one piece, each followed by a newline: no cell holds one (else
    the reason), and no code page taken here has it inside a character (its multibyte
    characters' bytes after the first are 0x30 or more), so a character cut by the cell's
    end does not decode."""
    n, width = cells.shape
    if (cells == 0x0A).any():
        return "a text cell holding a line feed"
    kept = (cells != 0x20) & (cells != 0)
    ends = np.where(kept.any(axis=1), width - np.argmax(kept[:, ::-1], axis=1), 0)
    mask = np.ones((n, width + 1), dtype=bool)
    mask[:, :width] = np.arange(width) < ends[:, None]
    lined = np.empty((n, width + 1), dtype=np.uint8)
    lined[:, :width] = cells
    lined[:, width] = 0x0A
    joined = lined[mask].tobytes()
    try:
        encoded = joined.decode(src_codec).encode(dst_codec)
    except (UnicodeDecodeError, UnicodeEncodeError) as exc:
        record = joined[: exc.start].count(b"\n") + 1 if isinstance(exc.object, bytes) else 0
        where = f", record {record}" if record else ""
        return f"a text cell that is not {exc.encoding} ({exc.reason}{where})"
    flat = np.frombuffer(encoded, dtype=np.uint8)
    lines = np.flatnonzero(flat == 0x0A)
    if len(lines) != n:
        return "a text cell that does not decode cell by cell"
    lengths = np.diff(lines, prepend=-1) - 1
    return flat[flat != 0x0A], lengths


def _header(data: bytes, src_codec: str, dst_codec: str) -> tuple | str:
    """Record count, header and record length, fields and names in ``dst_codec`` of the
    ``.dbf`` ``data``, or why it is not re-encoded."""
    if len(data) < 33 or data[0] != 0x03:
        return f"a .dbf of version 0x{data[0] if data else 0:02x} (only dBASE III, 0x03)"
    n = int.from_bytes(data[4:8], "little")
    header_len = int.from_bytes(data[8:10], "little")
    reclen = int.from_bytes(data[10:12], "little")
    fields = _fields(data)
    if isinstance(fields, str):
        return fields
    if reclen != 1 + sum(f[2] for f in fields) or header_len < 32 * len(fields) + 33:
        return "a .dbf header that does not add up (record or header length)"
    end = header_len + n * reclen
    if len(data) not in (end, end + 1) or (len(data) == end + 1 and data[end] != 0x1A):
        return "a .dbf whose size is not that of its header and records"
    names = []
    for name, kind, _, _ in fields:
        if kind not in _TYPES:
            return f"a .dbf field of type {chr(kind)!r} (a memo or other, not C/N/F/D/L)"
        try:
            new = name.decode(src_codec).encode(dst_codec)
        except (UnicodeDecodeError, UnicodeEncodeError):
            return f"a field name that is not {src_codec} or not {dst_codec}"
        if len(new) > _MAX_NAME:
            return f"a field name of {len(new)} bytes in {dst_codec} (at most 10)"
        names.append(new)
    return n, header_len, reclen, fields, names


def reencode_dbf(
    src_dbf: str | os.PathLike[str],
    dst_dbf: str | os.PathLike[str],
    src_codec: str,
    dst_codec: str = "utf-8",
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
    data = Path(src_dbf).read_bytes()
    header = _header(data, src_codec, dst_codec)
    if isinstance(header, str):
        return header
    n, header_len, reclen, fields, names = header
    # ASCII text reads the same in both code pages: such a column is copied as it is
    if _ASCII.decode(src_codec, "replace").encode(dst_codec, "replace") != _ASCII:
        return f"{src_codec} or {dst_codec} is not a code page that keeps ASCII"
    records = np.frombuffer(data, dtype=np.uint8, count=n * reclen, offset=header_len)
    records = records.reshape(n, reclen)
    if n and (records[:, 0] != 0x20).any():
        return "a deleted record in the .dbf"
    columns: list[np.ndarray] = [records[:, :1]]
    new_widths = []
    at = 1
    for (_, kind, width, _), in_name in zip(fields, names, strict=True):
        cells = records[:, at : at + width]
        at += width
        if kind != ord("C") or not (cells & 0x80).any():  # ASCII
            columns.append(cells)
            new_widths.append(width)
            continue
        text = _text_column(cells, src_codec, dst_codec)
        if isinstance(text, str):
            return f"{text}, field {in_name.decode(dst_codec)!r}"
        flat, lengths = text
        w = max(width, int(lengths.max()) if n else 0)
        if w > _MAX_WIDTH:
            return f"a text cell of {w} bytes in {dst_codec} (at most {_MAX_WIDTH})"
        out = np.full((n, w), 0x20, dtype=np.uint8)
        out[np.arange(w) < lengths[:, None]] = flat  # row by row, each cell's bytes first
        columns.append(out)
        new_widths.append(w)
    new_reclen = 1 + sum(new_widths)
    if new_reclen > 0xFFFF:
        return "a .dbf record longer than 65535 bytes in the new code page"
    head = bytearray(data[:32])
    head[8:10] = (32 * len(fields) + 33).to_bytes(2, "little")
    head[10:12] = new_reclen.to_bytes(2, "little")
    head[29] = 0  # no language driver: the .cpg names the code page (as GDAL writes UTF-8)
    for i, (name, w) in enumerate(zip(names, new_widths, strict=True)):
        desc = bytearray(data[32 + 32 * i : 64 + 32 * i])
        desc[:11] = name.ljust(11, b"\0")
        desc[16] = w
        head += desc
    head += b"\x0d"
    body = np.concatenate(columns, axis=1) if n else np.empty((0, new_reclen), np.uint8)
    Path(dst_dbf).write_bytes(bytes(head) + body.tobytes() + b"\x1a")
    return None
