"""Shapefiles as Chinese GIS offices keep them: the code page of the ``.dbf``, and writing
the several files of one Shapefile as one output.

Reading: the text encoding of the attributes comes from the ``.cpg`` file, else from the
``.dbf`` header's language driver byte (0x4D and 0x7A = code page 936, GBK, as ArcGIS writes
it on a Chinese system), else from ``--encoding`` (``auto``: the attribute bytes are
detected like a CSV's, :mod:`suigeo.io.encodings`). :func:`read_encoding` says which.

Writing (:func:`atomic_shapefile`): every part (``.shp``, ``.shx``, ``.dbf``, ``.cpg``,
``.prj``) is written into a temporary folder beside the output, then renamed into place
one by one; on any failure every part written is removed and the older files are left as
they were (a ``.prj`` of an older output that the new one has none for is removed, so it
cannot lie about the new coordinates). The ``.cpg`` says the code page (UTF-8 by default;
``--encoding gbk`` writes GBK, with the 0x4D language driver byte, for old desktop
software). Field names longer than 10 bytes (in the code page written) are refused, by
name: a Shapefile would cut them silently; so is a text cell longer than 254 bytes (in the
code page written), by feature and field, where GDAL would cut it with only a warning
(:func:`check_text_cells`). A Shapefile converted into a Shapefile keeps its
``.dbf`` as it is, code page included, when only its coordinates change
(:mod:`suigeo.io.shp_records`, used by ``crs convert``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from suigeo.errors import InputError, OutputError

__all__ = [
    "PARTS",
    "atomic_shapefile",
    "check_field_names",
    "check_text_cells",
    "deleted_records",
    "read_encoding",
    "write_encoding",
]

log = logging.getLogger(__name__)

#: the files of one Shapefile that suigeo writes (and replaces)
PARTS = (".shp", ".shx", ".dbf", ".cpg", ".prj")
#: .dbf language driver id -> Python codec (the ids ArcGIS and GDAL write)
LDID: dict[int, str] = {
    0x01: "cp437",
    0x02: "cp850",
    0x03: "cp1252",
    0x4D: "gbk",  # 936: Chinese GBK (PRC)
    0x4E: "cp949",  # Korean
    0x4F: "big5",  # 950: Chinese Big5 (Taiwan)
    0x57: "",  # "ANSI": the writer's system code page, unknown here
    0x7A: "gbk",  # 936: PRC GBK
    0x7B: "cp932",  # 932: Japanese
}
_CPG = {
    "936": "gbk",
    "cp936": "gbk",
    "gbk": "gbk",
    "gb2312": "gbk",
    "gb18030": "gb18030",
    "65001": "utf-8",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "950": "big5",
    "big5": "big5",
    "1252": "cp1252",
    "ansi 1252": "cp1252",
}
_MAX_NAME_BYTES = 10
_MAX_TEXT_BYTES = 254  # the widest text field of a .dbf (GDAL cuts longer cells)
_MAX_CHAR_BYTES = 4  # the most bytes a character takes in UTF-8, GBK or GB18030


def _cpg_codec(text: str, cpg: Path) -> str:
    key = text.strip().lower()
    if key in _CPG:
        return _CPG[key]
    import codecs

    for candidate in (key, f"cp{key}"):
        with contextlib.suppress(LookupError):
            return codecs.lookup(candidate).name
    raise InputError(
        f"{str(cpg)!r} names the code page {text.strip()!r}, which suigeo does not know; "
        "remove the .cpg file and give --encoding NAME"
    )


def read_encoding(path: str | os.PathLike[str], *, encoding: str | None = None) -> str:
    """The text encoding of the attributes of the Shapefile ``path`` (a Python codec name).

    From its ``.cpg``, else the ``.dbf`` language driver byte, else ``encoding`` (``None``:
    the command's ``--encoding``; ``auto`` detects it from the attribute bytes).

    Raises
    ------
    InputError
        An unknown code page in the ``.cpg``, or attribute text in no encoding ``auto`` can
        tell.
    """
    from suigeo.io.encodings import AUTO, check_encoding, current_encoding, detect

    p = Path(path)
    cpg = p.with_suffix(".cpg")
    if not cpg.exists():
        cpg = p.with_suffix(".CPG")
    if cpg.is_file():
        codec = _cpg_codec(cpg.read_text(encoding="ascii", errors="replace"), cpg)
        log.info("%s: code page %s (from %s)", p, codec, cpg.name)
        return codec
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        dbf = p.with_suffix(".DBF")
    try:
        with dbf.open("rb") as fh:
            header = fh.read(32)
            head_len = int.from_bytes(header[8:10], "little") if len(header) >= 32 else 32
            fh.seek(head_len)
            sample = fh.read(1 << 20)
    except OSError:
        return "utf-8"  # GDAL reports the missing .dbf
    ldid = header[29] if len(header) > 29 else 0
    if LDID.get(ldid):
        log.info(
            "%s: code page %s (from the .dbf language driver byte 0x%02X)", p, LDID[ldid], ldid
        )
        return LDID[ldid]
    given = check_encoding(encoding or current_encoding())
    if given != AUTO:
        return given
    fields = p.with_suffix(".dbf").name
    got = detect(dbf, sample, encoding=AUTO)
    log.info("%s: no .cpg and no code page byte: attributes detected as %s", fields, got.label)
    return got.encoding


@contextlib.contextmanager
def gdal_source(path: str | os.PathLike[str], *, encoding: str | None = None) -> Iterator[Path]:
    """The path GDAL reads the Shapefile ``path`` from, with the code page of
    :func:`read_encoding`: ``path`` itself when it has a ``.cpg``; else a temporary folder of
    links to its parts plus a ``.cpg`` naming the code page (GDAL then recodes the text
    itself; no process-wide GDAL setting is changed, so a Shapefile written at the same time
    keeps its own code page)."""
    p = Path(path)
    deleted = deleted_records(p)
    if deleted:
        log.warning(
            "%s: %d record(s) of the .dbf are marked deleted (dBASE '*'): they are not part "
            "of the table and are not read, as in GDAL, ArcGIS and QGIS",
            p.with_suffix(".dbf").name,
            deleted,
        )
    if p.with_suffix(".cpg").is_file() or p.with_suffix(".CPG").is_file():
        yield p
        return
    codec = read_encoding(p, encoding=encoding)
    folder = Path(tempfile.mkdtemp(prefix="suigeo-shp-"))
    try:
        for part in p.parent.glob(f"{glob_escape(p.stem)}.*"):
            if part.suffix.lower() in (".shp", ".shx", ".dbf", ".prj", ".qix", ".sbn", ".sbx"):
                (folder / f"{p.stem}{part.suffix.lower()}").symlink_to(part.resolve())
        (folder / f"{p.stem}.cpg").write_text(codec.upper(), encoding="ascii")
        yield folder / f"{p.stem}.shp"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def deleted_records(path: str | os.PathLike[str]) -> int:
    """How many records of the Shapefile's ``.dbf`` are marked deleted (``*``); 0 when the
    ``.dbf`` is missing or its header does not add up (GDAL then says what is wrong)."""
    p = Path(path)
    dbf = p.with_suffix(".dbf")
    if not dbf.exists():
        dbf = p.with_suffix(".DBF")
    try:
        with dbf.open("rb") as fh:
            header = fh.read(12)
            if len(header) < 12:
                return 0
            n = int.from_bytes(header[4:8], "little")
            start = int.from_bytes(header[8:10], "little")
            width = int.from_bytes(header[10:12], "little")
            if n == 0 or width == 0 or dbf.stat().st_size < start + n * width:
                return 0
            flags = np.memmap(dbf, dtype=np.uint8, mode="r", offset=start, shape=(n, width))[:, 0]
            return int(np.count_nonzero(flags == ord("*")))
    except (OSError, ValueError):
        return 0


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters escaped."""
    import glob

    return glob.escape(text)


def write_encoding() -> str:
    """The code page of a Shapefile written by this command: ``--encoding`` when it names
    one (``gbk`` for old desktop software), else UTF-8."""
    from suigeo.io.encodings import AUTO, current_encoding

    enc = current_encoding()
    return "utf-8" if enc == AUTO else enc


def check_field_names(
    names: Iterable[str], out: str | os.PathLike[str], encoding: str = "utf-8"
) -> None:
    """Refuse field names a Shapefile would cut (more than 10 bytes in ``encoding``).

    Raises
    ------
    OutputError
        Naming every such field and its length in bytes.
    """
    long = []
    for name in names:
        try:
            n = len(str(name).encode(encoding))
        except UnicodeEncodeError:
            raise OutputError(
                f"cannot write {str(out)!r}: the field name {name!r} cannot be written in "
                f"{encoding}; write the Shapefile in UTF-8 (--encoding utf-8) or a .gpkg"
            ) from None
        if n > _MAX_NAME_BYTES:
            long.append(f"{name!r} ({n} bytes)")
    if long:
        raise OutputError(
            f"cannot write {str(out)!r}: a Shapefile field name holds at most 10 bytes "
            f"({encoding}), and it would cut {', '.join(long)}; rename those columns or write "
            ".gpkg"
        )


def check_text_cells(
    table: Any, out: str | os.PathLike[str], encoding: str = "utf-8", first: int = 1
) -> None:
    """Refuse text cells a Shapefile would cut: more than 254 bytes in ``encoding``.

    ``table`` is a pyarrow Table or RecordBatch of the attributes to be written (text
    columns as strings); its first row is feature number ``first`` of the output (1-based, for the
    message). Only cells of more than 63 characters are encoded to count their bytes (no
    character takes more than 4).

    Raises
    ------
    OutputError
        Naming the first such cell's feature, field and length in bytes.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    limit = _MAX_TEXT_BYTES // _MAX_CHAR_BYTES
    for name in table.schema.names:
        col = table.column(name)
        if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
            continue
        long = pc.fill_null(pc.greater(pc.utf8_length(col), limit), False)
        if not pc.any(long).as_py():
            continue
        rows = np.flatnonzero(long.to_numpy(zero_copy_only=False))
        for row in rows:
            value = col[int(row)].as_py()
            try:
                n = len(value.encode(encoding))
            except UnicodeEncodeError:
                continue  # GDAL's own error names it
            if n > _MAX_TEXT_BYTES:
                raise OutputError(
                    f"cannot write {str(out)!r}: feature {first + int(row)}, field "
                    f"{name!r} holds {n} bytes in {encoding}, and a Shapefile text field "
                    f"holds at most {_MAX_TEXT_BYTES} (GDAL would cut it); write a .gpkg, "
                    "or shorten the text; nothing was written"
                )


def _set_ldid(dbf: Path, encoding: str) -> None:
    """Write the language driver byte for GBK (old desktop software reads only that)."""
    if encoding in ("gbk", "gb18030", "gb2312", "cp936"):
        with dbf.open("r+b") as fh:
            fh.seek(29)
            fh.write(bytes([0x4D]))


@contextlib.contextmanager
def atomic_shapefile(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[object] = (),
    encoding: str = "utf-8",
    ldid: bool = True,
) -> Iterator[Path]:
    """Yield a temporary ``.shp`` path; on success move every part written beside it to
    ``out``'s name (see the module docstring); on failure remove them all. ``ldid=False``
    leaves the ``.dbf``'s language driver byte as written (a ``.dbf`` copied whole)."""
    from suigeo.io.atomic import check_outputs, disk_error

    out_p = Path(out)
    parts = [out_p.with_suffix(ext) for ext in PARTS]
    check_outputs(parts, inputs)  # type: ignore[arg-type]
    parent = out_p.parent if str(out_p.parent) else Path(".")
    try:
        folder = Path(tempfile.mkdtemp(prefix=f".{out_p.stem}.suigeo-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write {str(out_p)!r}: {exc.strerror or exc}") from None
    moved: list[Path] = []
    try:
        tmp = folder / f"{out_p.stem}.shp"
        try:
            yield tmp
        except Exception as exc:
            err = disk_error(out_p, exc)
            if err is None or err is exc:
                raise
            raise err from None
        if not tmp.exists():
            raise OutputError(f"nothing was written to {str(out_p)!r}")
        if ldid:
            _set_ldid(tmp.with_suffix(".dbf"), encoding)
        written = {p.suffix.lower(): p for p in folder.iterdir()}
        for ext in PARTS:
            target = out_p.with_suffix(ext)
            if ext in written:
                os.replace(written[ext], target)
                moved.append(target)
            elif target.exists():  # e.g. an older .prj: it would describe other coordinates
                target.unlink()
    except BaseException:
        for p in moved:
            with contextlib.suppress(OSError):
                p.unlink()
        raise
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    log.info("%s: Shapefile (%s), parts %s", out_p, encoding, ", ".join(p.suffix for p in moved))
