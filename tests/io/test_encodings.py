"""Text encodings as Chinese Excel, ArcGIS and CASS write them, through every reader.

The files are written byte by byte: GBK through Python's codec with CRLF line ends (Chinese
Excel "CSV"), a UTF-8 byte order mark (Excel "CSV UTF-8"), UTF-16LE with a byte order mark
and tabs (Excel "Unicode text"). Expected coordinates come from PROJ directly
(:mod:`tests.crs.crs_refs`), expected text from the strings the files were made from.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from suigeo.cli import main
from suigeo.errors import InputError
from suigeo.io.csvtable import read_csv, stream_csv
from suigeo.io.encodings import detect, use_encoding
from suigeo.io.vector import read_layer
from tests.crs.crs_refs import tmerc

GK = "CGCS2000-3GK-CM114"
ROWS = [
    ("石门村", "113.30", "23.10", "工业用地（一类）"),
    ("钟落潭镇", "113.41", "23.38", "村庄建设用地"),
    ("𠀾测点", "113.52", "23.05", "备注"),  # a character beyond GBK (GB18030 only)
]


def _text(rows, sep=",") -> str:
    lines = [sep.join(("名称", "经度", "纬度", "备注"))] + [sep.join(r) for r in rows]
    return "\r\n".join(lines) + "\r\n"


def _write(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.fixture
def gbk_csv(tmp_path):
    """Chinese Excel's "CSV (逗号分隔)": GBK, CRLF, no byte order mark."""
    return _write(tmp_path / "gbk.csv", _text(ROWS[:2]).encode("gbk"))


def test_auto_tells_the_encodings_apart(tmp_path):
    cases = {
        "gbk": _text(ROWS[:2]).encode("gbk"),
        "gb18030": _text(ROWS).encode("gb18030"),
        "utf8": _text(ROWS).encode("utf-8"),
        "utf8-bom": b"\xef\xbb\xbf" + _text(ROWS).encode("utf-8"),
        "utf16": b"\xff\xfe" + _text(ROWS, "\t").encode("utf-16-le"),
        "utf16-nobom": _text(ROWS, "\t").encode("utf-16-le"),
        "utf16-be": b"\xfe\xff" + _text(ROWS, "\t").encode("utf-16-be"),
    }
    expected = {
        "gbk": ("gbk", False),
        "gb18030": ("gb18030", False),
        "utf8": ("utf-8", False),
        "utf8-bom": ("utf-8", True),
        "utf16": ("utf-16", True),
        "utf16-nobom": ("utf-16-le", False),
        "utf16-be": ("utf-16", True),
    }
    for name, data in cases.items():
        path = _write(tmp_path / f"{name}.csv", data)
        got = detect(path, data, encoding="auto", final=True)
        assert (got.encoding, got.bom) == expected[name], name
        table = read_csv(path)
        n = 2 if name == "gbk" else 3
        assert table.info.header == ("名称", "经度", "纬度", "备注"), name
        assert table.table.column("名称").to_pylist() == [r[0] for r in ROWS[:n]], name
        assert table.table.column("备注").to_pylist() == [r[3] for r in ROWS[:n]], name
        assert list(table.rows) == list(range(1, n + 1))
        assert table.info.path == path  # the file given, not the UTF-8 copy
    assert not list(tmp_path.glob("suigeo-*"))


def test_copies_are_removed(tmp_path, gbk_csv):
    import tempfile
    from pathlib import Path

    before = set(Path(tempfile.gettempdir()).glob("suigeo-*.csv"))
    read_csv(gbk_csv)
    stream = stream_csv(gbk_csv, chunk_rows=1)
    assert sum(c.batch.num_rows for c in stream) == 2
    stream = stream_csv(gbk_csv, chunk_rows=1)  # opened, never read
    stream.close()
    assert set(Path(tempfile.gettempdir()).glob("suigeo-*.csv")) == before


def test_refused_when_it_cannot_tell_and_read_when_told(tmp_path):
    path = _write(tmp_path / "w.csv", "name,lon,lat\r\ncafé,113.3,23.1\r\n".encode("cp1252"))
    with pytest.raises(InputError, match=r"cannot tell the text encoding of '.*w\.csv'.*--enc"):
        read_csv(path)
    assert read_csv(path, encoding="cp1252").table.column("name").to_pylist() == ["café"]
    with use_encoding("cp1252"):
        assert read_csv(path).table.column("name").to_pylist() == ["café"]


def test_a_wrong_encoding_names_the_line(tmp_path, gbk_csv):
    with pytest.raises(InputError, match=r"gbk\.csv' is not UTF-8 text \(line 1, byte 0\)"):
        read_csv(gbk_csv, encoding="utf-8")
    late = _write(
        tmp_path / "late.csv",
        b"lon,lat,name\n" + b"113.3,23.1,a\n" * 90_000 + "113.3,23.1,石门\n".encode("gbk"),
    )
    with pytest.raises(InputError, match=r"line 90002.*--encoding gbk"):
        read_csv(late)
    assert read_csv(late, encoding="gbk").table.column("name").to_pylist()[-1] == "石门"
    bad = _write(tmp_path / "bad.csv", "a,b\r\n石,门\r\n".encode("gbk") + b"\x81\x20,x\r\n")
    with pytest.raises(InputError, match=r"bad\.csv' is not GBK text \(line 3"):
        read_csv(bad, encoding="gbk")


def _reference(lon, lat):
    return tmerc(114, 500000).transform(np.asarray(lon, float), np.asarray(lat, float))


@pytest.mark.parametrize(
    ("kind", "data", "bom"),
    [
        ("gbk", _text(ROWS[:2]).encode("gbk"), True),
        ("gb18030", _text(ROWS).encode("gb18030"), True),
        ("utf8", _text(ROWS).encode("utf-8"), False),
        ("utf8-bom", b"\xef\xbb\xbf" + _text(ROWS).encode("utf-8"), True),
        ("utf16", b"\xff\xfe" + _text(ROWS, "\t").encode("utf-16-le"), True),
    ],
)
def test_crs_convert_reads_every_encoding_and_writes_utf8(tmp_path, capsys, kind, data, bom):
    src = _write(tmp_path / "in.csv", data)
    out = tmp_path / "out.csv"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]
    assert main(argv) == 0, capsys.readouterr().err
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") == bom
    got = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    n = 2 if kind == "gbk" else 3
    assert list(got["名称"]) == [r[0] for r in ROWS[:n]]
    assert list(got["备注"]) == [r[3] for r in ROWS[:n]]
    e, nn = _reference([r[1] for r in ROWS[:n]], [r[2] for r in ROWS[:n]])
    x, y = (c for c in got.columns if c not in ("名称", "备注"))
    assert np.allclose(got[x].astype(float), e, atol=1e-4)
    assert np.allclose(got[y].astype(float), nn, atol=1e-4)


def test_bom_option_and_explicit_encoding(tmp_path, capsys):
    src = _write(tmp_path / "in.csv", _text(ROWS).encode("utf-8"))
    out = tmp_path / "out.csv"
    argv = ["crs", "convert", str(src), "-o", str(out), "--from", "CGCS2000", "--to", GK]
    assert main([*argv, "--bom"]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    out.unlink()
    assert main([*argv, "--encoding", "utf-8"]) == 0
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")
    capsys.readouterr()
    out.unlink()
    assert main([*argv, "--encoding", "no-such-codec"]) == 2
    assert "unknown text encoding 'no-such-codec'" in capsys.readouterr().err
    gbk = _write(tmp_path / "gbk.csv", _text(ROWS[:2]).encode("gbk"))
    argv[2] = str(gbk)
    assert main([*argv, "--encoding", "utf-8"]) == 2
    err = capsys.readouterr().err
    assert "gbk.csv' is not UTF-8 text" in err and "--encoding" in err
    assert not out.exists()


def test_every_command_reads_gbk(tmp_path, capsys, gbk_csv):
    """The one reader serves every command: layers, maps, rules, access, crs fit."""
    layer = read_layer(gbk_csv)
    assert list(layer.frame["名称"]) == ["石门村", "钟落潭镇"]
    assert np.allclose(layer.frame.geometry.x, [113.30, 113.41])
    html = tmp_path / "m.html"
    assert main(["map", "build", "--user-layer", str(gbk_csv), "-o", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert "钟落潭镇" in page or "钟落潭镇".encode("unicode_escape").decode() in page
    out = tmp_path / "cov.csv"
    argv = ["access", "coverage", str(gbk_csv), str(gbk_csv), "--km", "1", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    assert "2 of 2 targets covered" in capsys.readouterr().out
    assert "113.41,23.38" in out.read_text(encoding="utf-8")
    control = tmp_path / "ctl.csv"
    pts = [(113.2 + 0.05 * i, 23.0 + 0.04 * (i % 3)) for i in range(6)]
    e, n = _reference(*zip(*pts, strict=True))
    lines = ["点,src_e,src_n,dst_e,dst_n"] + [
        f"控制{i},{a:.4f},{b:.4f},{a + 10.0:.4f},{b - 20.0:.4f}"
        for i, (a, b) in enumerate(zip(e, n, strict=True))
    ]
    control.write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    fit = ["crs", "fit", str(control), "--model", "helmert4", "--central-meridian", "114"]
    fit += ["--scale", "1", "--false-easting", "500000", "-o", str(tmp_path / "p.toml")]
    assert main(fit) == 0


def test_utf8_fast_path_is_not_slowed(tmp_path):
    """Detection looks at the first MiB only: a UTF-8 file costs one strict decode of it."""
    data = b"lon,lat,name\n" + b"113.3,23.1,abc\n" * 70_000
    path = _write(tmp_path / "u.csv", data)
    start = time.process_time()
    for _ in range(20):
        detect(path, data[: 1 << 20], encoding="auto")
    assert (time.process_time() - start) / 20 < 0.01  # seconds per file
