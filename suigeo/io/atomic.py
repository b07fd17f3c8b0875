"""Safe outputs: one check before any work, then write to a temporary file and rename.

Every command that writes a file goes through this module:

- :func:`check_outputs` is THE check, run before any work: every output (data, rejects,
  rasters, PNG, PDF, reports) is compared with every file the command reads and with every
  other output — by resolved path (symlinks followed) and by :func:`os.path.samefile` (hard
  links) — and must not lie inside the installed suigeo package. It also refuses an output
  that is a folder or a device, a missing folder, and a folder that cannot be written, so
  these fail before the work and leave nothing behind.
- :func:`atomic_output` yields a temporary path beside the target and renames it over the
  target only when the writer finished. The temporary file is named
  ``.<name>.suigeo-tmp-<pid>-<random><suffix>``; it is removed on any error, on Ctrl-C and
  on SIGTERM/SIGHUP (when :func:`handle_termination` is active, as it is on the command
  line). A SIGKILL cannot be caught and may leave one behind: the next write of the same
  output removes the temporary files of processes that no longer run.
- A full disk, a read-only folder or a permission problem while writing becomes an
  :class:`~suigeo.errors.OutputError` that names the file and what to do; nothing partial
  is left.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import signal
import stat
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from types import FrameType

from suigeo.errors import OutputError, SuigeoError

__all__ = [
    "TEMP_MARK",
    "Interrupted",
    "atomic_output",
    "check_not_input",
    "check_outputs",
    "disk_error",
    "handle_termination",
    "package_roots",
    "stale_temporaries",
]

log = logging.getLogger(__name__)

#: Every temporary file is named ``.<output name><TEMP_MARK><pid>-<random><suffix>``.
TEMP_MARK = ".suigeo-tmp-"
_NAME_KEEP = 100  # characters of the output name kept in a temporary name (NAME_MAX is 255)
_PROBE_BYTES = 1024 * 1024  # after a failed write, a folder that cannot take this is full

PathLike = str | os.PathLike[str]

# errno values that mean "this place cannot take the file" (not a bug in suigeo)
_DISK_ERRNOS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exceeded",
    errno.EFBIG: "the file is too large for this file system",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EIO: "input/output error on the disk",
    errno.ENAMETOOLONG: "the file name is too long",
}
# the same, as libraries that drop errno (pyarrow, GDAL) spell them in their messages
_DISK_TEXTS = {
    "no space left on device": "the disk is full",
    "disk quota exceeded": "the disk quota is exceeded",
    "read-only file system": "the file system is read-only",
    "file too large": "the file is too large for this file system",
}
_REMEDY = {
    "the disk is full": "free some space or write to another disk",
    "the disk quota is exceeded": "free some space or write to another disk",
    "the file is too large for this file system": "write to another disk",
    "the file system is read-only": "write to a folder you can write to",
    "permission denied": "write to a folder you can write to",
    "the file name is too long": "choose a shorter name",
}


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP arrived: unwound like Ctrl-C (temporary files removed).

    ``signum`` is the signal number; the command line exits with ``128 + signum``.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(f"signal {signum}")
        self.signum = signum


@lru_cache(maxsize=1)
def package_roots() -> tuple[Path, ...]:
    """The folders of the installed suigeo package, resolved: nothing is written there.

    The package folder itself, and the folders its links point to (in a source checkout
    ``suigeo/crs`` links to ``crs/`` and likewise ``layers``, ``geo`` and ``maps``).
    """
    import suigeo

    pkg = Path(suigeo.__file__).parent
    roots = {pkg.resolve()}
    with contextlib.suppress(OSError):
        for child in pkg.iterdir():
            if child.is_symlink() and child.is_dir():
                roots.add(child.resolve())
    return tuple(sorted(roots))


def _resolved(p: Path) -> Path:
    try:
        return p.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return p.absolute()


def _same_file(a: Path, b: Path) -> bool:
    if _resolved(a) == _resolved(b):
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except (OSError, ValueError):
        return False


def _disk_reason(exc: BaseException) -> str | None:
    if isinstance(exc, OSError) and exc.errno in _DISK_ERRNOS:
        return _DISK_ERRNOS[exc.errno]
    text = str(exc).lower()
    for needle, reason in _DISK_TEXTS.items():
        if needle in text:
            return reason
    return None


def _disk_full(folder: Path) -> str | None:
    """After a write failed for an unstated reason: is the folder's disk full? (GDAL drops
    errno: "Cannot write feature".) Tried by writing a probe of 1 MiB, then removing it."""
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(prefix=f".probe{TEMP_MARK}{os.getpid()}-", dir=folder)
    except OSError as exc:
        return _disk_reason(exc)
    try:
        left = memoryview(bytes(_PROBE_BYTES))
        while left:  # a nearly full disk takes part of a write without an error
            left = left[os.write(fd, left) :]
        os.fsync(fd)
    except OSError as exc:
        return _disk_reason(exc)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(probe)
    return None


def disk_error(out: PathLike, exc: BaseException) -> OutputError | None:
    """The :class:`OutputError` to raise when writing ``out`` failed with ``exc`` because
    the disk is full, read-only or not writable; ``None`` when that is not the cause.

    For writers that write outside :func:`atomic_output`'s block (a rejects file written
    while the main output is being written).
    """
    if isinstance(exc, OutputError) and hasattr(exc, "output_path"):
        return exc  # already says which file and why
    if isinstance(exc, SuigeoError) and not isinstance(exc, OutputError):
        return None  # bad input found while writing: not the disk
    folder = Path(out).parent if str(Path(out).parent) else Path(".")
    reason = _disk_reason(exc) or _disk_full(folder)
    return None if reason is None else _output_error(out, reason)


def _output_error(out: PathLike, reason: str) -> OutputError:
    remedy = _REMEDY.get(reason, "choose another output path")
    err = OutputError(f"cannot write {str(out)!r}: {reason}; {remedy} (nothing was written)")
    err.output_path = str(out)  # type: ignore[attr-defined]
    return err


def _check_place(out: Path) -> None:
    """``out`` may be created: not a folder or device, folder present and writable."""
    shown = str(out)
    try:
        st = out.stat()
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise OutputError(f"cannot write {shown!r}: {exc.strerror or exc}") from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise OutputError(f"cannot write {shown!r}: it is a folder; give a file name")
    if st is not None and not stat.S_ISREG(st.st_mode):
        raise OutputError(
            f"cannot write {shown!r}: it is not a regular file (a device, pipe or socket); "
            "give a file name"
        )
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.is_dir():
        raise OutputError(f"cannot write {shown!r}: folder {str(parent)!r} does not exist")
    real = _resolved(out)
    for root in package_roots():
        if real == root or root in real.parents:
            raise OutputError(
                f"cannot write {shown!r}: it is inside the installed suigeo package "
                f"({root}); write outputs somewhere else"
            )
    # a probe, so a read-only folder fails now and not after the work
    import tempfile  # loaded when an output is checked, not when the command line starts

    try:
        fd, probe = tempfile.mkstemp(prefix=_temp_prefix(out), suffix=".probe", dir=parent)
    except OSError as exc:
        reason = _disk_reason(exc) or (exc.strerror or str(exc)).lower()
        raise _output_error(out, reason) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)


Named = PathLike | tuple[str, PathLike | None] | None


def _named(items: Iterable[Named]) -> list[tuple[str, Path]]:
    """``(how messages show it, path)`` of each item that is not ``None``."""
    out = []
    for item in items:
        label, path = item if isinstance(item, tuple) else ("", item)
        if path is not None:
            p = Path(path)
            out.append((f"{label} {str(p)!r}" if label else repr(str(p)), p))
    return out


#: Files that belong to an input although they have another name: a Shapefile's sidecars,
#: a GeoPackage's write-ahead log, a GeoTIFF's world file and overviews. Writing over one
#: of them damages the input as surely as writing over the input itself.
_SIDECARS = {
    ".shp": (".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".shp.xml"),
    ".gpkg": (".gpkg-wal", ".gpkg-shm", ".gpkg-journal"),
    ".tif": (".tfw", ".tif.aux.xml", ".tif.ovr"),
    ".tiff": (".tfw", ".tiff.aux.xml", ".tiff.ovr"),
}


def _with_sidecars(items: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    out = list(items)
    for shown, path in items:
        suffix = path.suffix.lower()
        for extra in _SIDECARS.get(suffix, ()):
            stem = path.name[: -len(suffix)]
            out.append((f"the {extra} file of {shown}", path.with_name(stem + extra)))
    return out


def check_outputs(outputs: Iterable[Named], inputs: Iterable[Named] = ()) -> None:
    """THE output check, run by every command before any work.

    Parameters
    ----------
    outputs
        Every file the command will write: paths, or ``(label, path)`` pairs whose label
        (an option name such as ``"--rejects"``) is used in messages. ``None`` is skipped.
    inputs
        Every file the command reads: data, parameter files, rule sets, schemas, DEMs,
        friction rasters, timetables ... (same forms). A Shapefile's sidecars (``.dbf``,
        ``.shx`` ...), a GeoPackage's ``-wal``/``-shm`` and a GeoTIFF's ``.tfw``/``.aux.xml``
        count as the input too.

    Raises
    ------
    OutputError
        An output is the same file as an input (same resolved path, or a symlink or hard
        link to it) or as another output; lies inside the installed suigeo package; is a
        folder or a device; or its folder is missing or cannot be written.
    """
    outs = _named(outputs)
    ins = _with_sidecars(_named(inputs))
    for k, (shown, out) in enumerate(outs):
        for in_shown, inp in ins:
            if _same_file(out, inp):
                raise OutputError(
                    f"cannot write {shown}: it is a file this command reads ({in_shown}); "
                    "suigeo never overwrites an input, choose another output path"
                )
        for other_shown, other in outs[:k]:
            if _same_file(out, other):
                raise OutputError(
                    f"{other_shown} and {shown} are the same file; give each output its own file"
                )
        _check_place(out)


def check_not_input(out: PathLike, inputs: Iterable[Named]) -> None:
    """:func:`check_outputs` for one output (kept for the callers that have one)."""
    check_outputs([out], inputs)


def _temp_prefix(out: Path) -> str:
    return f".{out.name[:_NAME_KEEP]}{TEMP_MARK}{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it runs, as another user
        return True
    return True


def stale_temporaries(out: PathLike) -> list[Path]:
    """Temporary files left beside ``out`` by suigeo processes that no longer run
    (a SIGKILL, a power cut)."""
    out_p = Path(out)
    parent = out_p.parent if str(out_p.parent) else Path(".")
    pattern = f".{out_p.name[:_NAME_KEEP]}{TEMP_MARK}*"
    found = []
    with contextlib.suppress(OSError):
        for p in parent.glob(pattern):
            rest = p.name.split(TEMP_MARK, 1)[1]
            pid_text = rest.split("-", 1)[0]
            if (
                pid_text.isdigit()
                and int(pid_text) != os.getpid()
                and not _pid_alive(int(pid_text))
            ):
                found.append(p)
    return found


def _remove_stale(out: Path) -> None:
    for p in stale_temporaries(out):
        try:
            p.unlink()
            log.info("removed %s, a temporary file left by an interrupted run", p)
        except OSError:
            log.warning("%s is a temporary file left by an interrupted run; delete it", p)


@contextlib.contextmanager
def atomic_output(
    out: PathLike,
    *,
    inputs: Iterable[Named] = (),
    suffix: str | None = None,
) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success rename it to ``out``.

    :func:`check_outputs` runs first (``out`` against ``inputs``, the package, the folder).
    The temporary file keeps ``out``'s suffix (drivers choose formats by it). On any
    exception, Ctrl-C or handled signal the temporary file is removed and ``out`` is left as
    it was. Disk-full and permission errors become :class:`~suigeo.errors.OutputError`.
    """
    import tempfile

    out_p = Path(out)
    check_outputs([out_p], inputs)
    parent = out_p.parent if str(out_p.parent) else Path(".")
    _remove_stale(out_p)
    try:
        fd, tmp = tempfile.mkstemp(
            prefix=_temp_prefix(out_p),
            suffix=suffix if suffix is not None else out_p.suffix,
            dir=parent,
        )
    except OSError as exc:
        raise _output_error(out, _disk_reason(exc) or (exc.strerror or str(exc))) from None
    os.close(fd)
    tmp_p = Path(tmp)
    tmp_p.unlink()  # let the writer create it (some drivers refuse an existing file)
    try:
        try:
            yield tmp_p
            if not tmp_p.exists():
                raise OutputError(f"nothing was written to {str(out)!r}")
            os.replace(tmp_p, out_p)
        except Exception as exc:
            err = disk_error(out, exc)
            if err is None or err is exc:
                raise
            raise err from None
    finally:
        with contextlib.suppress(OSError):
            tmp_p.unlink()


def _raise_interrupted(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextlib.contextmanager
def handle_termination() -> Iterator[None]:
    """Within this block SIGTERM and SIGHUP unwind like Ctrl-C (raising :class:`Interrupted`),
    so temporary files are removed; the previous handlers are restored afterwards.

    A signal the process was started ignoring (``nohup`` ignores SIGHUP) stays ignored.
    Only in the main thread (signal handlers cannot be set elsewhere); a no-op otherwise.
    """
    wanted = [s for s in ("SIGTERM", "SIGHUP") if hasattr(signal, s)]
    previous = {}
    try:
        for name in wanted:
            num = getattr(signal, name)
            if signal.getsignal(num) == signal.SIG_IGN:  # e.g. under nohup: keep ignoring
                continue
            previous[num] = signal.signal(num, _raise_interrupted)
    except ValueError:  # not the main thread
        pass
    try:
        yield
    finally:
        for num, handler in previous.items():
            signal.signal(num, handler)
