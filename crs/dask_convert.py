"""``convert_file(..., executor="dask")``: the same conversion, partition by partition, on Dask.

Imported only when the Dask executor is asked for (``suigeo.crs.batch`` never imports Dask).

How it runs
-----------
1. The client opens the input as the single-process executor does (same header, column and
   system checks, same errors) and plans partitions (:mod:`suigeo.io.partitions`): runs of
   whole row groups of a (Geo)Parquet file or dataset folder, byte ranges of a CSV file.
2. One Dask task per partition (``distributed``: a ``LocalCluster`` of ``workers`` processes
   by default, or the cluster at ``scheduler``) reads its partition, converts it with the
   single-process executor's own converter (:class:`suigeo.crs.batch._Converter`: the same
   checks, reasons and PROJ calls, hence the same bits) and writes it as one GeoParquet part
   ``part.NNNNNN.parquet`` into a temporary folder beside the output. It returns its counts
   and its rejected rows (numbered within the partition).
3. The client numbers the rejects on from the partitions before (input order), writes them
   as they come in order, checks ``read == written + rejected`` and that the parts hold
   ``written`` rows, then renames the folder to the output.

A quasi-geoid grid (``geoid=``, ``--geoid``) travels as its absolute path with its size and
modification time: each worker opens it itself through PROJ (``vgridshift``, the grid's own
path, no network), after checking that it sees the same file, as the single-process
executor does; the client opens it once before any work, so that a missing or unreadable
grid is the same error as there.

Guangzhou 2000 parameters never travel with the tasks: a task carries the parameter file's
path and a salted HMAC of the digest of its values (:attr:`Gz2000Params.key`); each worker
reads the file itself and refuses it if the HMAC differs. So the values are in no task, task name,
log line or pickled graph. The workers must see the file (and the input and output folder)
at the same path: a shared file system, as for the data.

A worker that dies (killed, out of memory) loses its running task; Dask's scheduler runs it
again elsewhere. A part is written under a temporary name and renamed, so a half-written
part never counts, and a part written twice is the same part.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from suigeo.crs.batch import (
    _REJECT_COLUMNS,
    ConvertSummary,
    _check_source,
    _convert_batch,
    _Converter,
    _open_source,
    _OutBatch,
    _refuse_all_swapped,
    _RejectsSink,
    _Source,
    _summary,
    _write_parquet,
)
from suigeo.crs.params import Gz2000Params, load_params, params_file
from suigeo.crs.systems import System
from suigeo.crs.transform import Params
from suigeo.errors import InputError, OutputError, ParameterFileError
from suigeo.io.atomic import TEMP_MARK, check_outputs
from suigeo.io.cluster import check_options, progress_bar, run_tasks, session
from suigeo.io.csvtable import stream_csv
from suigeo.io.formats import format_for
from suigeo.io.partitions import (
    CsvBlock,
    CsvBlockReader,
    ParquetPart,
    atomic_dataset,
    check_dataset_output,
    dataset_parts,
    parquet_files,
    plan_csv,
    plan_parquet,
    read_parquet_part,
)

__all__ = ["DEFAULT_PARTITION_ROWS", "convert_dask"]

log = logging.getLogger(__name__)

#: Rows per partition (a CSV block is sized from the bytes per row of its first lines).
DEFAULT_PARTITION_ROWS = 1_000_000


@dataclass(frozen=True)
class _Task:
    """What one task needs: picklable, and free of parameter values."""

    index: int
    part: ParquetPart | CsvBlock
    path: str  # the input as named by the user (messages)
    schema: pa.Schema
    geometry: str | None
    point_layer: bool
    has_z: bool | None
    coord_columns: tuple[str, ...]
    src: System
    dst: System
    params_path: str | None
    #: "salt:HMAC" of Gz2000Params.key (itself a digest) under a random salt of this run:
    #: proves the worker read the same values, and reveals none, not even a fixed digest
    params_key: str | None
    folder: str
    chunk_rows: int
    #: the quasi-geoid grid: absolute path, size and modification time (ns) seen by the client
    geoid: tuple[str, int, int] | None = None


@dataclass
class _Result:
    index: int
    read: int
    written: int
    rejected: int
    records: int  # rows (records) of the partition, blank CSV lines included
    reasons: dict[int, int]
    rejects: pa.Table | None
    part: str


class _ListSink:
    """Collects a partition's rejects (the client writes them, in input order)."""

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []

    def write(self, table: pa.Table) -> None:
        self.tables.append(table)


def _worker_params(task: _Task) -> Gz2000Params | None:
    if task.params_path is None:
        return None
    params = load_params(task.params_path)
    assert params is not None  # a path always loads or raises
    if task.params_key is None or _seal(params, task.params_key.split(":")[0]) != task.params_key:
        raise ParameterFileError(
            f"parameter file {task.params_path} changed during the run (or the worker sees "
            "another file at that path); run again"
        )
    return params


def _worker_geoid(task: _Task) -> str | None:
    """The grid's path, once this worker has seen that it is the client's file."""
    if task.geoid is None:
        return None
    path, size, mtime = task.geoid
    try:
        st = os.stat(path)
    except OSError:
        raise InputError(
            f"geoid grid {path!r}: no such file on this worker (the workers must see the "
            "grid at the same path as the client: a shared file system)"
        ) from None
    if (st.st_size, st.st_mtime_ns) != (size, mtime):
        raise InputError(f"geoid grid {path!r} changed during the run; run again")
    return path


def _convert_partition(task: _Task) -> _Result:
    """The task: read, convert and write one partition (runs on a worker)."""
    reader: CsvBlockReader | None = None
    items: Iterator[tuple[pa.RecordBatch, np.ndarray | None]]
    if isinstance(task.part, CsvBlock):
        reader = CsvBlockReader(task.part, task.chunk_rows)
        items = iter(reader)
    else:
        items = ((b, None) for b in read_parquet_part(task.part, task.chunk_rows))
    source = _Source(
        Path(task.path),
        items,
        task.schema,
        geometry=task.geometry,
        point_layer=task.point_layer,
        has_z=task.has_z,
    )
    source.coord_columns = task.coord_columns
    conv = _Converter(task.src, task.dst, _worker_params(task), source, _worker_geoid(task))
    sink = _ListSink()

    def converted() -> Iterator[_OutBatch]:
        empty = True
        for item in source.batches:
            empty = False
            yield _convert_batch(item, source, conv, sink)  # type: ignore[arg-type]
        if empty:
            yield _convert_batch(None, source, conv, sink)  # type: ignore[arg-type]

    folder = Path(task.folder)
    name = f"part.{task.index:06d}.parquet"
    tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    try:
        _write_parquet(tmp, converted(), conv, task.dst, geo_in_schema=True)
        os.replace(tmp, folder / name)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()
    records = reader.records if reader is not None else conv.read
    rejects = pa.concat_tables(sink.tables) if sink.tables else None
    return _Result(
        task.index, conv.read, conv.written, conv.rejected, records, conv.reasons, rejects, name
    )


# --------------------------------------------------------------------------------------------
# Client side
# --------------------------------------------------------------------------------------------


def _needs_params(s: System, d: System) -> bool:
    return any(x.needs_params or x.plane == "GZ2000" or x.height == "HGZ" for x in (s, d))


def _params_path(params: Params, s: System, d: System) -> tuple[str | None, str | None]:
    """(absolute path of the parameter file, its seal: see :class:`_Task`) for the workers."""
    if params is None and not _needs_params(s, d):
        return None, None
    path = params_file(params)
    if path is None:
        if params is None:
            load_params(None)  # raises MissingParametersError, saying how to supply a file
        raise InputError(
            "the Dask executor needs the Guangzhou 2000 parameters as a file (params=PATH): "
            "each worker reads the file itself, so the values never travel with the tasks"
        )
    loaded = load_params(params if params is not None else path)
    assert loaded is not None
    return str(path.absolute()), _seal(loaded, secrets.token_hex(16))


def _geoid_file(geoid: str | os.PathLike[str] | None) -> tuple[str, int, int] | None:
    """The grid as the tasks carry it (absolute path, size, mtime), once the client has
    opened it through PROJ (a missing or unreadable grid: the single-process error)."""
    if geoid is None:
        return None
    from suigeo.crs.heights import grid_values

    path = Path(geoid).resolve()
    grid_values(path, np.empty(0), np.empty(0), label="geoid grid")
    st = path.stat()
    return str(path), st.st_size, st.st_mtime_ns


def _seal(params: Gz2000Params, salt: str) -> str:
    """``salt:HMAC-SHA256(salt, params.key)``."""
    mac = hmac.new(bytes.fromhex(salt), params.key.encode(), hashlib.sha256).hexdigest()
    return f"{salt}:{mac}"


@dataclass
class _Plan:
    kind: str  # "csv" or "parquet"
    parts: list[ParquetPart | CsvBlock]
    inputs: list[Path]
    weights: list[int]  # progress: rows (Parquet) or bytes (CSV) of each partition
    unit: str
    odd_quotes: bool = False


def _plan(src_p: Path, partition_rows: int, out_p: Path) -> _Plan:
    if src_p.is_dir() or format_for(src_p, purpose="input") == "parquet":
        files = parquet_files(src_p)
        parts = plan_parquet(files, partition_rows)
        weights = [p.rows for p in parts]
        return _Plan("parquet", list(parts), files, weights, "rows")
    fmt = format_for(src_p, purpose="input")
    if fmt != "csv":
        raise InputError(
            f"the Dask executor reads CSV/TSV files and Parquet/GeoParquet files or dataset "
            f"folders, not {fmt} ({str(src_p)!r}); use the single-process executor for it"
        )
    with src_p.open("rb") as fh:
        sample = fh.read(1 << 20)
    lines = max(sample.count(b"\n"), 1)
    per_row = max(len(sample) // lines, 1)
    block_bytes = max(per_row * partition_rows, 1 << 10)
    # a GBK/UTF-16 file is split as its UTF-8 copy, beside the output (the workers see it)
    parent = out_p.parent if str(out_p.parent) else Path(".")
    copy = parent / f".{out_p.name[:100]}{TEMP_MARK}{os.getpid()}-{uuid.uuid4().hex[:8]}.csv"
    blocks, odd = plan_csv(src_p, block_bytes, copy_to=copy)
    return _Plan("csv", list(blocks), [src_p], [b.end - b.start for b in blocks], "B", odd)


def _reraise_csv(src_p: Path, exc: BaseException | None) -> None:
    """A CSV block failed to parse: raise the single-process reader's error (naming the
    line), found by reading the whole file. If that reader passes, the file could not be
    split (a ``"`` inside an unquoted cell): say so, or return when ``exc`` is ``None``."""
    for _ in stream_csv(src_p, chunk_rows=1 << 20):
        pass
    if exc is None:
        return
    raise InputError(
        f"{str(src_p)!r} could not be split into blocks ({exc}); a quote character inside "
        "an unquoted cell misleads the split: convert it with the single-process executor"
    ) from None


@dataclass
class _Merge:
    """Merges the partitions' results in input order."""

    sink: _RejectsSink
    results: dict[int, _Result] = field(default_factory=dict)
    next_index: int = 0
    next_row: int = 1  # the first row number of the next partition
    read: int = 0
    written: int = 0
    rejected: int = 0
    reasons: dict[int, int] = field(default_factory=dict)

    def add(self, result: _Result) -> None:
        self.results[result.index] = result
        while self.next_index in self.results:
            r = self.results.pop(self.next_index)
            if r.rejects is not None and r.rejects.num_rows:
                rows = pc.add(r.rejects.column("row"), pa.scalar(self.next_row - 1, pa.int64()))
                self.sink.write(r.rejects.set_column(0, "row", rows))
            self.next_row += r.records
            self.read += r.read
            self.written += r.written
            self.rejected += r.rejected
            for c, k in r.reasons.items():
                self.reasons[c] = self.reasons.get(c, 0) + k
            self.next_index += 1


def _check_options(
    out_p: Path,
    workers: int | None,
    memory_limit: str | None,
    scheduler: str | None,
    partition_rows: int,
) -> None:
    """Dask installed, the engine options and the output format, before any work."""
    check_options(
        workers=workers, memory_limit=memory_limit, scheduler=scheduler,
        partition_rows=partition_rows,
    )  # fmt: skip
    if format_for(out_p, purpose="output") != "parquet":
        raise OutputError(
            f"the Dask executor writes a GeoParquet dataset (a folder of parts): give an "
            f"output ending in .parquet, not {str(out_p)!r}"
        )


def convert_dask(
    src_p: Path,
    out_p: Path,
    *,
    s: System,
    d: System,
    x: str | None,
    y: str | None,
    h: str | None,
    params: Params,
    rejects: str | os.PathLike[str] | None,
    chunk_rows: int,
    progress: bool | None,
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int = DEFAULT_PARTITION_ROWS,
    axis_order: str = "en",
    layer: str | None = None,
    geoid: str | os.PathLike[str] | None = None,
) -> ConvertSummary:
    """The Dask executor of :func:`suigeo.crs.batch.convert_file` (see the module docstring)."""
    _check_options(out_p, workers, memory_limit, scheduler, partition_rows)
    if layer is not None:
        raise InputError("layer: the Dask executor reads CSV and Parquet, which have no layers")
    params_path, params_key = _params_path(params, s, d)
    # used only between ellipsoidal and normal heights (else ignored, as by the memory executor)
    grid = _geoid_file(geoid) if (s.height is None) != (d.height is None) else None
    plan = _plan(src_p, partition_rows, out_p)
    try:
        return _convert_planned(
            plan, src_p, out_p, s=s, d=d, x=x, y=y, h=h, rejects=rejects, chunk_rows=chunk_rows,
            progress=progress, workers=workers, memory_limit=memory_limit, scheduler=scheduler,
            axis_order=axis_order, params_path=params_path, params_key=params_key, geoid=grid,
        )  # fmt: skip
    finally:
        if plan.kind == "csv" and plan.parts:  # a GBK/UTF-16 file's UTF-8 copy
            head = plan.parts[0]
            assert isinstance(head, CsvBlock)
            head.info.discard()


def _convert_planned(
    plan: _Plan,
    src_p: Path,
    out_p: Path,
    *,
    s: System,
    d: System,
    x: str | None,
    y: str | None,
    h: str | None,
    rejects: str | os.PathLike[str] | None,
    chunk_rows: int,
    progress: bool | None,
    workers: int | None,
    memory_limit: str | None,
    scheduler: str | None,
    axis_order: str,
    params_path: str | None,
    params_key: str | None,
    geoid: tuple[str, int, int] | None = None,
) -> ConvertSummary:
    if plan.odd_quotes:  # an unclosed quoted cell (the reader's error), or a stray quote
        _reraise_csv(src_p, None)  # inside a cell: the file is then read in one block
        head, tail = plan.parts[0], plan.parts[-1]
        assert isinstance(head, CsvBlock) and isinstance(tail, CsvBlock)
        plan.parts = [CsvBlock(head.info, head.header, head.start, tail.end)]
        plan.weights = [tail.end - head.start]
    inputs: list[Path | None] = [*plan.inputs, src_p]
    if params_path is not None:
        inputs.append(Path(params_path))
    if geoid is not None:
        inputs.append(Path(geoid[0]))
    check_dataset_output(out_p, inputs)
    explicit_rejects = rejects is not None
    rej_p = Path(rejects) if rejects is not None else out_p.with_suffix(".rejects.csv")
    if rej_p.resolve() == out_p.resolve() or out_p.resolve() in rej_p.resolve().parents:
        raise OutputError(f"the rejects file {str(rej_p)!r} cannot be in the output dataset")
    check_outputs([rej_p], [i for i in inputs if i is not None])

    first = plan.inputs[0]
    source = _open_source(first, plan.kind, chunk_rows, x, y, h, s, axis_order)
    for close in source.closers:
        close()
    _check_source(source, s, d, h)
    source.path = src_p
    log.info(
        "convert %s -> %s on Dask: %s to %s, %d partition(s), coordinate columns %s",
        src_p,
        out_p,
        s.name,
        d.name,
        len(plan.parts),
        ", ".join(source.coord_columns) or "(geometry)",
    )
    sink = _RejectsSink(
        rej_p,
        [i for i in inputs if i is not None],
        _REJECT_COLUMNS + list(source.schema.names),
        always=explicit_rejects,
    )
    merge = _Merge(sink)
    bar = progress_bar(progress, sum(plan.weights), plan.unit)
    try:
        with atomic_dataset(out_p, inputs=inputs) as folder:
            # a local cluster's workers stop before the folder is removed
            with session(scheduler, workers, memory_limit) as client:
                tasks = _tasks(plan, source, s, d, params_path, params_key, folder, chunk_rows)
                tasks = [replace(t, geoid=geoid) for t in tasks]
                _run(client, tasks, plan, merge, bar, src_p)
            _check_parts(folder, merge, len(plan.parts))
            conv = _Converter(s, d, None, source)  # counts only, for the all-swapped check
            conv.read, conv.written, conv.reasons = merge.read, merge.written, merge.reasons
            _refuse_all_swapped(conv, source, axis_order)
            sink.finish()
    except BaseException:
        sink.close_on_error()
        raise
    finally:
        if bar is not None:
            bar.close()
    log.info(
        "%s: %d rows read, %d written, %d rejected (%d partitions)",
        src_p,
        merge.read,
        merge.written,
        merge.rejected,
        len(plan.parts),
    )
    return _summary(merge, source, out_p, rej_p, sink.written)


def _run(
    client: Any, tasks: list[_Task], plan: _Plan, merge: _Merge, bar: Any, src_p: Path
) -> None:
    try:
        run_tasks(
            client,
            _convert_partition,
            tasks,
            lambda _i, result: merge.add(result),  # merge puts them in input order
            what="convert",
            weights=plan.weights,
            bar=bar,
            dying=f" of {str(src_p)!r}",
        )
    except InputError as exc:
        if plan.kind == "csv":  # name the line as the single-process reader does
            _reraise_csv(src_p, exc)
        raise


def _tasks(
    plan: _Plan,
    source: _Source,
    s: System,
    d: System,
    params_path: str | None,
    params_key: str | None,
    folder: Path,
    chunk_rows: int,
) -> list[_Task]:
    return [
        _Task(
            index=i,
            part=part,
            path=str(source.path),
            schema=source.schema,
            geometry=source.geometry,
            point_layer=source.point_layer,
            has_z=source.has_z,
            coord_columns=source.coord_columns,
            src=s,
            dst=d,
            params_path=params_path,
            params_key=params_key,
            folder=str(folder),
            chunk_rows=chunk_rows,
        )
        for i, part in enumerate(plan.parts)
    ]


def _check_parts(folder: Path, merge: _Merge, n: int) -> None:
    """Every partition merged, and the parts on disk hold exactly the rows written."""
    import pyarrow.parquet as pq

    if merge.next_index != n:  # pragma: no cover - as_completed returns every future
        raise OutputError(f"only {merge.next_index} of {n} partitions were converted")
    if merge.read != merge.written + merge.rejected:  # pragma: no cover - an invariant
        raise AssertionError(
            f"lost rows: read {merge.read} != written {merge.written} + rejected {merge.rejected}"
        )
    for stray in folder.glob(".part.*.tmp"):  # left by a worker killed while writing
        stray.unlink()
    parts = dataset_parts(folder)
    if len(parts) != n:
        raise OutputError(f"the dataset has {len(parts)} parts, {n} expected")
    rows = sum(pq.read_metadata(p).num_rows for p in parts)
    if rows != merge.written:
        raise OutputError(f"the dataset parts hold {rows} rows, {merge.written} written")
