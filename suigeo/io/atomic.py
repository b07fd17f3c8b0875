"""Atomic output: write to a temporary file beside the target, then rename over it.

Every command that writes a file goes through :func:`atomic_output`, so a crash or an
error never leaves a half-written output, and an input is never overwritten.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from suigeo.errors import OutputError

__all__ = ["atomic_output", "check_not_input"]


def check_not_input(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Raise :class:`OutputError` if ``out`` is the same file as any of ``inputs``."""
    out_p = Path(out)
    for inp in inputs:
        inp_p = Path(inp)
        same = out_p.resolve() == inp_p.resolve()
        if not same and out_p.exists() and inp_p.exists():
            same = os.path.samefile(out_p, inp_p)
        if same:
            raise OutputError(
                f"output {str(out)!r} is the input file; suigeo never overwrites an input, "
                "choose another output path"
            )


@contextlib.contextmanager
def atomic_output(
    out: str | os.PathLike[str],
    *,
    inputs: Iterable[str | os.PathLike[str]] = (),
    suffix: str | None = None,
) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success rename it to ``out``.

    The temporary file keeps ``out``'s suffix (drivers choose formats by it). On any
    exception the temporary file is removed and ``out`` is left as it was.
    """
    out_p = Path(out)
    check_not_input(out_p, inputs)
    parent = out_p.parent if str(out_p.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {str(out)!r}: folder {str(parent)!r} does not exist")
    fd, tmp = tempfile.mkstemp(
        prefix=f".{out_p.name}.",
        suffix=suffix if suffix is not None else out_p.suffix,
        dir=parent,
    )
    os.close(fd)
    tmp_p = Path(tmp)
    tmp_p.unlink()  # let the writer create it (some drivers refuse an existing file)
    try:
        yield tmp_p
        if not tmp_p.exists():
            raise OutputError(f"nothing was written to {str(out)!r}")
        os.replace(tmp_p, out_p)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_p.unlink()
