"""Small documents read whole: parameter files, rule sets, schemas, project files.

These are read into memory at once, so they are guarded first: only a regular file (not a
device such as ``/dev/zero``, a pipe or a folder), at most :data:`MAX_DOCUMENT_BYTES`, and a
nesting depth that the parser can take (a TOML or JSON file nested 100,000 deep is refused
with a message instead of a ``RecursionError``).

Messages never quote the file's text (a parameter file's text is secret).
"""

from __future__ import annotations

import json
import os
import re
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from suigeo.errors import InputError, SuigeoError

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "is_small_regular_file",
    "load_json",
    "load_toml",
    "read_document",
]

#: The largest parameter file, rule set, schema or project file read (16 MiB).
MAX_DOCUMENT_BYTES = 16 * 2**20

PathLike = str | os.PathLike[str]


def read_document(
    path: PathLike,
    *,
    what: str,
    error: type[SuigeoError] = InputError,
    limit: int = MAX_DOCUMENT_BYTES,
) -> bytes:
    """The bytes of a small regular file, refusing devices, pipes, folders and huge files.

    Parameters
    ----------
    path
        The file.
    what
        What it is, for messages (``"parameter file"``, ``"rule set"`` ...).
    error
        The :class:`~suigeo.errors.SuigeoError` subclass raised.
    limit
        The largest size accepted, in bytes.

    Raises
    ------
    error
        Missing, unreadable, not a regular file, or larger than ``limit``.
    """
    shown = str(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{what} {shown!r} does not exist") from None
    except OSError as exc:
        raise error(f"cannot read {what} {shown!r}: {exc.strerror or type(exc).__name__}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{what} {shown!r} is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        raise error(
            f"{what} {shown!r} is not a regular file (a device, pipe or socket); give a file"
        )
    if st.st_size > limit:
        raise error(
            f"{what} {shown!r} is {st.st_size:,} bytes, more than the {limit:,} a {what} may "
            "have; is it the right file?"
        )
    try:
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        raise error(f"cannot read {what} {shown!r}: {exc.strerror or type(exc).__name__}") from None
    if len(data) > limit:
        raise error(f"{what} {shown!r} grew beyond {limit:,} bytes while being read")
    return data


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def load_toml(
    path: PathLike, *, what: str, error: type[SuigeoError] = InputError
) -> dict[str, Any]:
    """Read and parse a small TOML file (see :func:`read_document`); errors give the line
    and column, never the text."""

    def where(exc: Exception) -> str:
        found = re.search(r"at line (\d+), column (\d+)", str(exc))
        return f" at line {found.group(1)}, column {found.group(2)}" if found else ""

    data: dict[str, Any] = _parse(
        path, what, error, tomllib.loads, tomllib.TOMLDecodeError, "TOML", where, "tables"
    )
    return data


def load_json(path: PathLike, *, what: str, error: type[SuigeoError] = InputError) -> Any:
    """Read and parse a small JSON file (see :func:`read_document`); errors give the line
    and column, never the text."""

    def where(exc: Exception) -> str:
        assert isinstance(exc, json.JSONDecodeError)
        return f" at line {exc.lineno}, column {exc.colno}"

    return _parse(path, what, error, json.loads, json.JSONDecodeError, "JSON", where, "objects")


def _parse(
    path: PathLike,
    what: str,
    error: type[SuigeoError],
    parse: Callable[[str], Any],
    invalid: type[Exception],
    kind: str,
    where: Callable[[Exception], str],
    inner: str,
) -> Any:
    """The parsed document, or ``error`` naming the file and the place, never the text
    (which is dropped before the error is raised)."""
    shown = str(path)
    message = None
    data = read_document(path, what=what, error=error)
    text = _text(data)
    del data
    if text is None:
        raise error(f"{what} {shown!r} is not UTF-8 text")
    try:
        return parse(text)
    except invalid as exc:
        message = f"{what} {shown!r} is not valid {kind}{where(exc)}"
    except RecursionError:
        message = f"{what} {shown!r} is nested too deeply to read (arrays or {inner} in arrays)"
    finally:
        del text
    raise error(message)


def is_small_regular_file(path: PathLike) -> bool:
    """Whether ``path`` is a regular file of at most :data:`MAX_DOCUMENT_BYTES`."""
    try:
        st = Path(path).stat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= MAX_DOCUMENT_BYTES
