"""suigeo.io.dbf.reencode_dbf: a GBK ``.dbf`` re-encoded to UTF-8 a block of records at a
time, checked against GDAL (pyogrio) reading the input as GBK and the output as UTF-8, and
against the widths and bytes worked out here from the strings (Python's codecs).

The ``.dbf`` files are written byte by byte by :func:`_dbf` (dBASE III as ArcGIS and GDAL
write it: a space for the deletion flag, text padded with spaces, numbers right-aligned),
so that cells full to their width, NUL padding and line feeds can be made exactly.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyogrio
import pytest

from suigeo.io import dbf as dbf_module
from suigeo.io.dbf import reencode_dbf

FULL = "广州市天河区石牌街道"  # 10 characters: 20 bytes in GBK, 30 in UTF-8


def _dbf(path: Path, fields: list[tuple[str, str, int]], rows: list[list[bytes]]) -> Path:
    """Write a dBASE III file: ``fields`` (name, type, width), ``rows`` of raw cells (each
    exactly its field's width). Names in GBK, language driver byte 0x4D (code page 936)."""
    reclen = 1 + sum(w for _, _, w in fields)
    head = bytearray(32)
    head[0] = 0x03
    head[4:8] = len(rows).to_bytes(4, "little")
    head[8:10] = (32 * len(fields) + 33).to_bytes(2, "little")
    head[10:12] = reclen.to_bytes(2, "little")
    head[29] = 0x4D
    for name, kind, width in fields:
        desc = bytearray(32)
        raw = name.encode("gbk")
        desc[: len(raw)] = raw
        desc[11] = ord(kind)
        desc[16] = width
        head += desc
    head += b"\x0d"
    body = bytearray()
    for row in rows:
        assert [len(c) for c in row] == [w for _, _, w in fields]
        body += b" " + b"".join(row)
    path.write_bytes(bytes(head) + bytes(body) + b"\x1a")
    return path


def _text(value: str, width: int, pad: bytes = b" ") -> bytes:
    raw = value.encode("gbk")
    assert len(raw) <= width
    return raw + pad * (width - len(raw))


def _widths(path: Path) -> dict[str, tuple[str, int]]:
    """Each field's type and width, read from the header here."""
    data = path.read_bytes()
    out = {}
    at = 32
    while data[at] != 0x0D:
        name = data[at : at + 11].split(b"\0", 1)[0].decode("utf-8")
        out[name] = (chr(data[at + 11]), data[at + 16])
        at += 32
    return out


def _column(path: Path, name: str, n: int) -> list[bytes]:
    """The raw cells of field ``name`` (the header parsed here; names in UTF-8 or, in an
    input, GBK)."""
    data = path.read_bytes()
    header_len = int.from_bytes(data[8:10], "little")
    reclen = int.from_bytes(data[10:12], "little")
    at, offset = 32, 1
    while data[at] != 0x0D:
        if data[at : at + 11].split(b"\0", 1)[0] in (name.encode(), name.encode("gbk")):
            width = data[at + 16]
            return [
                data[header_len + i * reclen + offset : header_len + i * reclen + offset + width]
                for i in range(n)
            ]
        offset += data[at + 16]
        at += 32
    raise KeyError(name)


def _gdal(path: Path, encoding: str) -> pd.DataFrame:
    return pyogrio.read_dataframe(path, encoding=encoding, read_geometry=False)


def _same_as_gdal_reads(src: Path, out: Path) -> None:
    a, b = _gdal(src, "GBK"), _gdal(out, "UTF-8")
    assert list(a.columns) == list(b.columns)
    for col in a.columns:
        assert a[col].isna().tolist() == b[col].isna().tolist(), col
        assert a[col].dropna().tolist() == b[col].dropna().tolist(), col


def _survey_rows(n: int) -> list[list[bytes]]:
    """Cells of every kind, in turn: empty, short GBK, full to the width, characters of 2
    bytes in UTF-8 (· α), leading and inner spaces, NUL padded, ASCII."""
    names = ["", "石门村", FULL, "α·β", "  钟落 潭 ", "ascii", "温泉", "从化区（温泉）"]
    rows = []
    for i in range(n):
        name = names[i % len(names)]
        pad = b"\0" if i % 5 == 3 else b" "
        rows.append([
            _text(name, 20, pad),
            _text(f"村庄建设用地{i}", 80),
            f"A{i:04d}".encode().ljust(6),
            f"{i * 1.25:.2f}".encode().rjust(12),
            b"20261203" if i % 3 else b"        ",
            b"TF?"[i % 3 : i % 3 + 1],
        ])  # fmt: skip
    return rows


FIELDS = [("名称", "C", 20), ("用地", "C", 80), ("code", "C", 6), ("面积", "N", 12),
          ("日期", "D", 8), ("有效", "L", 1)]  # fmt: skip


@pytest.mark.parametrize("block", [1 << 20, 1000, 1])
def test_reencoded_as_gdal_reads_it(tmp_path, monkeypatch, block):
    """Block sizes: all records in one, several records per block with a shorter last
    one, one record per block. GDAL reads the same values; the widths and the bytes of
    every cell are those worked out from the strings here."""
    monkeypatch.setattr(dbf_module, "_BLOCK_BYTES", block)
    n = 53
    rows = _survey_rows(n)
    src = _dbf(tmp_path / "in.dbf", FIELDS, rows)
    out = tmp_path / "out.dbf"
    assert reencode_dbf(src, out, "gbk") is None
    _same_as_gdal_reads(src, out)
    assert _gdal(out, "UTF-8")["名称"].iloc[2] == FULL
    widths = _widths(out)
    # 名称 widens to its longest cell in UTF-8 (FULL: 30 bytes); 用地 keeps 80; the rest
    assert widths == {"名称": ("C", 30), "用地": ("C", 80), "code": ("C", 6),
                      "面积": ("N", 12), "日期": ("D", 8), "有效": ("L", 1)}  # fmt: skip
    for name, width in (("名称", 30), ("用地", 80)):
        expected = [
            cell.rstrip(b" \0").decode("gbk").encode("utf-8").ljust(width)
            for cell in _column(src, name, n)
        ]
        assert _column(out, name, n) == expected, name
    for name in ("code", "面积", "日期", "有效"):  # ASCII text and numbers: byte for byte
        assert _column(out, name, n) == _column(src, name, n), name
    data = out.read_bytes()
    assert data[29] == 0 and data[-1] == 0x1A
    assert int.from_bytes(data[4:8], "little") == n
    assert int.from_bytes(data[10:12], "little") == 1 + 30 + 80 + 6 + 12 + 8 + 1
    assert len(data) == 32 * 7 + 1 + n * (1 + 30 + 80 + 6 + 12 + 8 + 1) + 1


def test_a_field_whose_cells_may_outgrow_it_is_measured(tmp_path):
    """Cells of 2/3 of the width or more (could outgrow it): the field is as wide as the
    longest re-encoded cell, not more; one of 2-byte UTF-8 characters stays narrower."""
    rows = [[_text(v, 12)] for v in ("石门村钟落潭", "αβγδεζ", "", "abc")]
    src = _dbf(tmp_path / "in.dbf", [("名称", "C", 12)], rows)
    out = tmp_path / "out.dbf"
    assert reencode_dbf(src, out, "gbk") is None
    assert _widths(out) == {"名称": ("C", 18)}  # 石门村钟落潭: 12 bytes GBK, 18 UTF-8
    _same_as_gdal_reads(src, out)
    src2 = _dbf(tmp_path / "in2.dbf", [("名称", "C", 12)], [[_text("αβγδεζ", 12)]])
    assert reencode_dbf(src2, tmp_path / "out2.dbf", "gbk") is None
    assert _widths(tmp_path / "out2.dbf") == {"名称": ("C", 12)}  # α: 2 bytes in both


def test_no_record_and_ascii_only(tmp_path):
    src = _dbf(tmp_path / "in.dbf", [("名称", "C", 10), ("n", "N", 4)], [])
    out = tmp_path / "out.dbf"
    assert reencode_dbf(src, out, "gbk") is None
    assert _widths(out) == {"名称": ("C", 10), "n": ("N", 4)}
    assert _gdal(out, "UTF-8").empty
    rows = [[b"ab\0\0      ", b"  12"], [b"          ", b"   3"]]
    src = _dbf(tmp_path / "ascii.dbf", [("名称", "C", 10), ("n", "N", 4)], rows)
    assert reencode_dbf(src, out, "gbk") is None
    given, got = src.read_bytes(), out.read_bytes()
    header_len = 32 * 2 + 33
    assert got[header_len:] == given[header_len:]  # ASCII text copied, NULs and all


def test_past_254_bytes_refused_nothing_written(tmp_path):
    """127 GBK characters (254 bytes) are 381 bytes in UTF-8: more than a field holds."""
    src = _dbf(tmp_path / "in.dbf", [("名称", "C", 254)], [[_text("广" * 127, 254)]] * 3)
    out = tmp_path / "out.dbf"
    why = reencode_dbf(src, out, "gbk")
    assert why is not None and "381 bytes" in why and not out.exists()


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        ("lead", "a text cell that is not gbk"),
        ("line_feed", "a line feed, field '名称'"),
        ("deleted", "a deleted record"),
    ],
)
def test_refused_in_a_later_block(tmp_path, monkeypatch, edit, reason):
    """A bad record far into the file (after blocks already read): refused, with the
    record number, and nothing written."""
    monkeypatch.setattr(dbf_module, "_BLOCK_BYTES", 500)
    rows = _survey_rows(40)
    if edit == "lead":
        rows[31][0] = b"\xb9" + rows[31][0][1:4] + b"\x81" + b" " * 15  # 0x81: a lead byte
    elif edit == "line_feed":
        rows[31][0] = _text("石门\n村", 20)
    src = _dbf(tmp_path / "in.dbf", FIELDS, rows)
    if edit == "deleted":
        data = bytearray(src.read_bytes())
        data[32 * 7 + 1 + 31 * (1 + 20 + 80 + 6 + 12 + 8 + 1)] = ord("*")
        src.write_bytes(bytes(data))
    out = tmp_path / "out.dbf"
    why = reencode_dbf(src, out, "gbk")
    assert why is not None and reason in why, why
    if edit == "lead":
        assert "record 32" in why and "field '名称'" in why
    assert not out.exists()


def test_a_line_feed_in_an_ascii_field_is_copied(tmp_path):
    rows = [[_text("石门", 8), b"a\nb   "], [_text("", 8), b"cd    "]]
    src = _dbf(tmp_path / "in.dbf", [("名称", "C", 8), ("note", "C", 6)], rows)
    out = tmp_path / "out.dbf"
    assert reencode_dbf(src, out, "gbk") is None
    assert _column(out, "note", 2) == [b"a\nb   ", b"cd    "]
    _same_as_gdal_reads(src, out)


def test_stopped_writes_nothing(tmp_path):
    src = _dbf(tmp_path / "in.dbf", FIELDS, _survey_rows(10))
    stop = threading.Event()
    stop.set()
    out = tmp_path / "out.dbf"
    assert reencode_dbf(src, out, "gbk", stop=stop) == "stopped"
    assert not out.exists()


@pytest.mark.parametrize("codec", ["gbk", "gb2312", "gb18030"])
def test_growth_bound_holds_for_every_character(codec):
    """``_GROWTH``: no character of the code page is more than 1.5 times longer in UTF-8
    (then a field whose cells end by 2/3 of its width needs no decoding to size it)."""
    growth = dbf_module._GROWTH[(codec, "utf-8")]
    worst = 0.0
    for block in range(0, 0x110000, 0x10000):
        chars = [chr(c) for c in range(block, block + 0x10000) if not 0xD800 <= c < 0xE000]
        text = "".join(chars).encode(codec, "replace").decode(codec)
        for ch in set(text) - {"?"}:
            worst = max(worst, len(ch.encode("utf-8")) / len(ch.encode(codec)))
    assert worst <= growth
    assert worst == 1.5  # CJK: 2 bytes in GBK, 3 in UTF-8


def test_matches_gdal_on_random_cells(tmp_path, monkeypatch):
    """Random GBK cells (any character GBK holds, any length up to the width, space or
    NUL padded) in fields of several widths and block sizes: GDAL reads the same."""
    rng = np.random.default_rng(7)
    pool = [chr(c) for c in range(0x4E00, 0x9FA6, 37)] + list("abcXYZ 019·αБ（）、")
    fields = [("a", "C", 5), ("b", "C", 40), ("c", "C", 160), ("n", "N", 10)]
    rows = []
    for i in range(300):
        row = []
        for _, _, width in fields[:3]:
            text = ""
            for ch in rng.choice(pool, size=int(rng.integers(0, width))):
                if len((text + ch).encode("gbk")) > width:
                    break
                text += ch
            row.append(_text(text.rstrip(), width, b"\0" if rng.random() < 0.2 else b" "))
        row.append(str(i).encode().rjust(10))
        rows.append(row)
    src = _dbf(tmp_path / "in.dbf", fields, rows)
    for block in (1 << 20, 3000):
        monkeypatch.setattr(dbf_module, "_BLOCK_BYTES", block)
        out = tmp_path / f"out{block}.dbf"
        assert reencode_dbf(src, out, "gbk") is None
        _same_as_gdal_reads(src, out)
        for name, _, width in fields[:3]:
            cells = [c.rstrip(b" \0").decode("gbk").encode() for c in _column(src, name, 300)]
            assert _widths(out)[name] == ("C", max(width, max(map(len, cells))))
