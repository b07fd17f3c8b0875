"""Text encodings of the tables suigeo reads: UTF-8, GBK/GB18030 and UTF-16, told apart.

Chinese Excel saves "CSV" in GBK (code page 936), "Unicode text" in UTF-16 with a byte order
mark, and "CSV UTF-8" with a UTF-8 byte order mark; ArcGIS and CASS write GBK. Every reader
of text tables asks :func:`detect` which encoding a file is in:

- ``auto`` (the default): a byte order mark decides (UTF-8, UTF-16 LE/BE); else text that
  decodes strictly as UTF-8 is UTF-8 (the fast path: nothing else is looked at); else text
  with NUL bytes in every other position is UTF-16 without a mark; else text that decodes
  strictly as GB18030 and that charset-normalizer also takes for Chinese (or that uses only
  GB2312 characters, the 6,763 common ones) is GBK (GB18030 when it needs characters beyond
  GBK). Anything else is refused, naming what charset-normalizer guessed and the option to
  give;
- a name (``gbk``, ``gb18030``, ``utf-16``, ``big5``, any Python codec): the file is read in
  it, strictly (a byte that is not valid is an error naming its line), unless it starts with
  a byte order mark, which says its encoding whatever was given (so ``--encoding gbk``, which
  also chooses the code page of a Shapefile or CASS output, still reads Excel's UTF-8 CSV).

The choice is logged (``-v``). The command line sets the encoding once for the whole
command (:func:`use_encoding`); the Python functions take ``encoding=`` and default to it.

Outputs are always UTF-8. A CSV output starts with a UTF-8 byte order mark when the input
had a byte order mark or was in a legacy encoding (GBK, UTF-16: it came from Excel, which
needs the mark to read UTF-8), or when ``--bom`` asks for it (:func:`output_bom`).
"""

from __future__ import annotations

import codecs
import contextlib
import contextvars
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from suigeo.errors import InputError

__all__ = [
    "AUTO",
    "Detected",
    "check_encoding",
    "current_encoding",
    "detect",
    "output_bom",
    "transcode",
    "use_encoding",
]

log = logging.getLogger(__name__)

AUTO = "auto"
#: bytes looked at to tell the encoding (the whole file when smaller)
SAMPLE_BYTES = 1 << 20

_ENCODING: contextvars.ContextVar[str] = contextvars.ContextVar("suigeo_encoding", default=AUTO)
_BOM: contextvars.ContextVar[bool] = contextvars.ContextVar("suigeo_bom", default=False)

_UTF8_BOM = codecs.BOM_UTF8
_LABELS = {
    "utf-8": "UTF-8",
    "gbk": "GBK",
    "gb18030": "GB18030",
    "gb2312": "GB2312",
    "utf-16": "UTF-16",
    "utf-16-le": "UTF-16LE",
    "utf-16-be": "UTF-16BE",
    "big5": "Big5",
}
_CHINESE = {"gb18030", "gbk", "gb2312", "hz", "cp936"}


def check_encoding(name: str) -> str:
    """The canonical codec name of ``name`` (``auto`` stays ``auto``).

    Raises
    ------
    InputError
        ``name`` is no text encoding Python knows.

    Examples
    --------
    >>> check_encoding("GBK"), check_encoding("utf8"), check_encoding("cp936")
    ('gbk', 'utf-8', 'gbk')
    """
    text = str(name).strip().lower()
    if text == AUTO:
        return AUTO
    try:
        info = codecs.lookup(text)
    except LookupError:
        raise InputError(
            f"unknown text encoding {name!r}; give auto, utf-8, gbk, gb18030, utf-16 or "
            "another Python codec name"
        ) from None
    if not getattr(info, "_is_text_encoding", True):
        raise InputError(f"{name!r} is not a text encoding")
    return info.name


def current_encoding() -> str:
    """The encoding set by :func:`use_encoding` (``auto`` unless a command set another)."""
    return _ENCODING.get()


@contextlib.contextmanager
def use_encoding(name: str | None = AUTO, *, bom: bool = False) -> Iterator[None]:
    """Read text tables in ``name`` (and, with ``bom``, start every CSV output with a UTF-8
    byte order mark) inside the ``with`` block: how ``--encoding`` and ``--bom`` reach
    every reader of a command."""
    t1 = _ENCODING.set(check_encoding(name or AUTO))
    t2 = _BOM.set(bool(bom))
    try:
        yield
    finally:
        _ENCODING.reset(t1)
        _BOM.reset(t2)


def label(encoding: str) -> str:
    """The usual name of a codec, for messages (``gbk`` -> ``GBK``)."""
    return _LABELS.get(encoding, encoding.upper())


@dataclass(frozen=True)
class Detected:
    """The encoding of a file: the codec to read it with, and how it was chosen."""

    #: Python codec name (``utf-8``, ``gbk``, ``gb18030``, ``utf-16``...)
    encoding: str
    #: the file starts with a byte order mark (UTF-8 or UTF-16)
    bom: bool = False
    #: ``"byte order mark"``, ``"detected"`` or ``"given"``
    how: str = "detected"

    @property
    def utf8(self) -> bool:
        """Whether the bytes are read as they are (UTF-8), without transcoding."""
        return self.encoding == "utf-8"

    @property
    def label(self) -> str:
        """The usual name (``GBK``, ``UTF-8``, ``UTF-16LE``)."""
        return label(self.encoding)

    def describe(self) -> str:
        """``GBK (detected)``, ``UTF-8 with a byte order mark``..."""
        if self.how == "byte order mark":
            return f"{self.label} with a byte order mark"
        return f"{self.label} ({self.how})"


def output_bom(detected: Detected | None) -> bool:
    """Whether a CSV output written from this input starts with a UTF-8 byte order mark:
    ``--bom`` given, or the input had one, or the input was in a legacy encoding."""
    if _BOM.get():
        return True
    return detected is not None and (detected.bom or not detected.utf8)


def _strict(data: bytes, encoding: str, final: bool) -> UnicodeDecodeError | None:
    """``None`` when ``data`` decodes strictly (a character cut at the end of a sample is
    allowed unless ``final``), else the error."""
    try:
        codecs.getincrementaldecoder(encoding)("strict").decode(data, final=final)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` for text whose every other byte is NUL (ASCII-heavy
    UTF-16 without a byte order mark), else ``None``."""
    n = len(data) - len(data) % 2
    if n < 4:
        return None
    even, odd = data[0:n:2].count(0), data[1:n:2].count(0)
    half = n // 2
    for enc, zeros, other in (("utf-16-le", odd, even), ("utf-16-be", even, odd)):
        if zeros > 0.3 * half and other < 0.05 * half and _strict(data[:n], enc, False) is None:
            return enc
    return None


def _guess(data: bytes) -> str | None:
    """charset-normalizer's best guess (a codec name), or ``None``."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:SAMPLE_BYTES]).best()
    return None if best is None else codecs.lookup(best.encoding).name


def _chinese(data: bytes) -> str | None:
    """``gbk`` or ``gb18030`` when ``data`` is GBK/GB18030 Chinese text, else ``None``."""
    if _strict(data, "gb18030", False) is not None:
        return None
    text = codecs.getincrementaldecoder("gb18030")("strict").decode(data, final=False)
    common = True
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        common = False
    if not common and (_guess(data) or "") not in _CHINESE:
        return None
    return "gbk" if _strict(data, "gbk", False) is None else "gb18030"


def _where(data: bytes, exc: UnicodeDecodeError, encoding: str) -> str:
    """``line N, byte B`` of a decoding error in ``data`` (the start of the file)."""
    if encoding.startswith("utf-16") or encoding.startswith("utf-32"):
        text = data[: exc.start].decode(encoding, errors="replace")
        return f"line {text.count(chr(10)) + 1}, byte {exc.start}"
    line = data.count(b"\n", 0, exc.start) + 1
    return f"line {line}, byte {exc.start}"


def detect(
    path: str | os.PathLike[str], head: bytes, *, encoding: str | None = None, final: bool = False
) -> Detected:
    """The encoding of ``path`` from its first bytes ``head`` (see the module docstring).

    Parameters
    ----------
    path
        The file (for messages).
    head
        Its first bytes (up to :data:`SAMPLE_BYTES`).
    encoding
        ``auto``, a codec name, or ``None`` for :func:`current_encoding`.
    final
        ``head`` is the whole file (a character cut at its end is then an error).

    Raises
    ------
    InputError
        The file is not in the encoding given, or ``auto`` cannot tell; naming the file,
        the line and the option to give.
    """
    name = repr(str(path))
    enc = check_encoding(encoding or current_encoding())
    if enc == AUTO:
        got = _detect_auto(name, head, final)
        log.info("%s: text encoding %s", path, got.describe())
        return got
    bom = False
    if head.startswith(_UTF8_BOM):  # a byte order mark says it all, whatever was given
        enc, bom = "utf-8", True
    elif head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) and not enc.startswith("utf-32"):
        enc, bom = "utf-16", True
    exc = _strict(head, enc, final)
    if exc is not None:
        raise InputError(
            f"{name} is not {label(enc)} text ({_where(head, exc, enc)}); give the file's "
            "encoding with --encoding NAME, or --encoding auto to detect it"
        )
    got = Detected(enc, bom, "given")
    log.info("%s: text encoding %s", path, got.describe())
    return got


def _detect_auto(name: str, head: bytes, final: bool) -> Detected:
    if head.startswith(_UTF8_BOM):
        exc = _strict(head[3:], "utf-8", final)
        if exc is not None:
            raise InputError(
                f"{name} starts with a UTF-8 byte order mark but is not UTF-8 text "
                f"({_where(head, exc, 'utf-8')}); give its encoding with --encoding NAME"
            )
        return Detected("utf-8", True, "byte order mark")
    if head.startswith(codecs.BOM_UTF32_LE) or head.startswith(codecs.BOM_UTF32_BE):
        return Detected("utf-32", True, "byte order mark")
    if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        exc = _strict(head, "utf-16", final)
        if exc is not None:
            raise InputError(
                f"{name} starts with a UTF-16 byte order mark but is not UTF-16 text "
                f"({_where(head, exc, 'utf-16')}); give its encoding with --encoding NAME"
            )
        return Detected("utf-16", True, "byte order mark")
    if _strict(head, "utf-8", final) is None:
        return Detected("utf-8")
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16 is not None:
            return Detected(utf16)
        return Detected("utf-8")  # binary: the readers refuse it with their own message
    chinese = _chinese(head)
    if chinese is not None:
        return Detected(chinese)
    guess = _guess(head)
    hint = f" (it may be {label(guess)})" if guess else ""
    raise InputError(
        f"cannot tell the text encoding of {name}: it is not UTF-8, GBK/GB18030 or UTF-16"
        f"{hint}; give it with --encoding NAME (for example --encoding big5), or save the "
        "file as UTF-8"
    )


def transcode(path: Path, detected: Detected, *, suffix: str = ".csv") -> Path:
    """Write ``path``'s text as UTF-8 (no byte order mark) to a new temporary file, which the
    caller removes; the lines stay the same lines. A byte that is not valid in the encoding
    is an :class:`InputError` naming the file, its line and byte."""
    decoder = codecs.getincrementaldecoder(detected.encoding)("strict")
    fd, tmp = tempfile.mkstemp(prefix="suigeo-", suffix=suffix)
    out = Path(tmp)
    offset, lines = 0, 1
    try:
        with os.fdopen(fd, "wb") as dst, path.open("rb") as src:
            first = True
            while True:
                chunk = src.read(8 << 20)
                final = not chunk
                try:
                    text = decoder.decode(chunk, final=final)
                except UnicodeDecodeError as exc:
                    done = chunk[: exc.start].decode(detected.encoding, errors="replace")
                    raise InputError(
                        f"{str(path)!r} is not {detected.label} text (line "
                        f"{lines + done.count(chr(10))}, byte {offset + exc.start}); give the "
                        "file's encoding with --encoding NAME"
                    ) from None
                if first and text.startswith("\ufeff"):
                    text = text[1:]
                first = first and not text
                dst.write(text.encode("utf-8"))
                if final:
                    break
                lines += text.count("\n")
                offset += len(chunk)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    log.info("%s: read as %s (transcoded to UTF-8)", path, detected.describe())
    return out
