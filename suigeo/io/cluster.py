"""The Dask side of every ``--executor dask``: the cluster, the tasks, the progress bar.

One implementation for ``crs convert``, ``rules check`` and ``access coverage``/``rings``
(the commands supply the task function and what its results become):

- :func:`check_options`: Dask is installed and the engine options make sense, before any
  work (no Dask import happens unless the Dask executor was asked for: this module imports
  ``distributed`` only inside its functions);
- :func:`connect` / :class:`Cluster`: a ``LocalCluster`` of ``workers`` single-threaded
  processes with ``memory_limit`` each, or the cluster at ``scheduler``;
- :func:`run_tasks`: one task per partition, each result handed to a callback as it completes
  (a dead worker's task is rerun by Dask; a task that kills workers again and again becomes
  a one-line :class:`~suigeo.errors.SuigeoError`); :func:`in_order` puts them back in input
  order; whatever is still pending when an error stops the run is cancelled;
- :func:`progress_bar`: the tqdm bar of the single-process executors (on a terminal).

Task names are ``suigeo-<what>-<run>-<partition>``: no values of the data or the
parameters ever appear in them (they are shown on the dashboard).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from suigeo.errors import InputError, SuigeoError

__all__ = [
    "ENGINES",
    "Cluster",
    "check_options",
    "connect",
    "engine_options",
    "in_order",
    "progress_bar",
    "run_tasks",
    "session",
]

log = logging.getLogger(__name__)

#: the values of ``engine=`` (``--engine``) of the commands that have a Dask executor
ENGINES = ("memory", "dask")

T = TypeVar("T")


def check_options(
    *,
    workers: int | None = None,
    memory_limit: str | None = None,
    scheduler: str | None = None,
    partition_rows: int | None = None,
) -> None:
    """Dask is installed and the engine options are consistent (before any work)."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(
            "the Dask executor needs Dask: pip install 'suigeo[dask]' (dask, distributed, "
            "dask-geopandas)"
        ) from None
    if partition_rows is not None and partition_rows < 1:
        raise InputError(f"partition_rows must be at least 1, got {partition_rows}")
    if workers is not None and workers < 1:
        raise InputError(f"workers must be at least 1, got {workers}")
    if scheduler is not None and (workers is not None or memory_limit is not None):
        raise InputError(
            "workers and memory limit are those of the cluster at the scheduler; give "
            "them without a scheduler address (a local cluster), or not at all"
        )


def engine_options(engine: str, *, name: str = "executor", **options: Any) -> bool:
    """``True`` for ``executor="dask"``; refuse an unknown engine, and Dask options given to
    the single-process executor (``options``: name -> value, ``None`` when not given).
    ``name`` is the parameter's name in messages (``executor`` in :mod:`suigeo.geo.access`,
    where ``engine`` names the travel-time engine)."""
    if engine not in ENGINES:
        raise InputError(f"unknown {name} {engine!r}; use memory or dask")
    if engine == "memory":
        given = [k for k, v in options.items() if v is not None]
        if given:
            raise InputError(f"{', '.join(given)}: only for {name}='dask'")
        return False
    return True


@dataclass
class Cluster:
    """A connected client; ``cluster`` is the local cluster this run started (or ``None``)."""

    client: Any
    cluster: Any = None
    log_level: int | None = None  # the "distributed" logger's level before a local cluster

    def close(self) -> None:
        """Close the client, then stop a local cluster's workers (never a remote cluster)."""
        with contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close()
        if self.log_level is not None:
            logging.getLogger("distributed").setLevel(self.log_level)


def connect(scheduler: str | None, workers: int | None, memory_limit: str | None) -> Cluster:
    """Join the cluster at ``scheduler``, or start a local cluster of ``workers`` processes
    (default: the cores, at most 4), one thread each, ``memory_limit`` each (``"auto"``)."""
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        return Cluster(client)
    n = workers if workers is not None else min(os.cpu_count() or 1, 4)
    dlog = logging.getLogger("distributed")  # its start-up and shut-down chatter: not ours
    level = dlog.level
    dlog.setLevel(max(log.getEffectiveLevel(), logging.WARNING))
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory_limit if memory_limit is not None else "auto",
        dashboard_address=":0",
    )
    try:
        return Cluster(Client(cluster), cluster, level)
    except BaseException:
        cluster.close()
        dlog.setLevel(level)
        raise


@contextlib.contextmanager
def session(
    scheduler: str | None = None, workers: int | None = None, memory_limit: str | None = None
) -> Iterator[Any]:
    """:func:`connect`, yield the client, and close it (and a local cluster) at the end."""
    cl = connect(scheduler, workers, memory_limit)
    try:
        yield cl.client
    finally:
        cl.close()


def run_tasks(
    client: Any,
    fn: Callable[..., T],
    tasks: Sequence[Any],
    on_result: Callable[[int, T], None],
    *,
    what: str,
    shared: Any = None,
    weights: Sequence[int] | None = None,
    bar: Any = None,
    dying: str = "",
) -> None:
    """Run ``fn(task)`` (or ``fn(shared, task)``) for every task on the cluster and call
    ``on_result(index, result)`` as tasks complete (wrap it in :func:`in_order` for input
    order). ``shared`` (small: a rule set, the facilities) goes with every task. The
    progress ``bar`` advances by ``weights[index]`` (default 1) per task. On any error
    (a task's, ``on_result``'s, Ctrl-C) the tasks still pending are cancelled. ``dying``
    names the input in the message of a task that keeps killing its workers."""
    from distributed import as_completed
    from distributed.client import FutureCancelledError
    from distributed.scheduler import KilledWorker

    run = uuid.uuid4().hex[:12]  # task names: suigeo-<what>-<run>-<index>, no values
    # ``shared`` goes in every task's arguments, not scattered once: scattered data that
    # lives on a worker that dies cannot be recomputed (the tasks needing it are then
    # cancelled), while a task's own arguments are sent again with it. Partitions are
    # task arguments too, so Dask's "large graph" advice does not apply.
    args: tuple[Any, ...] = () if shared is None else (shared,)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Ll]arge graph.*")
        pending = {
            i: client.submit(fn, *args, t, key=f"suigeo-{what}-{run}-{i}", pure=False)
            for i, t in enumerate(tasks)
        }
    index = {fut.key: i for i, fut in pending.items()}
    try:
        for fut in as_completed(list(pending.values())):
            i = index[fut.key]
            try:
                result = fut.result()
            except KilledWorker:
                raise SuigeoError(
                    f"the Dask workers died again and again on a partition{dying} (out of "
                    "memory?): raise the memory limit or lower --partition-rows; nothing was "
                    "written"
                ) from None
            except FutureCancelledError:
                raise SuigeoError(
                    f"the Dask cluster cancelled a partition{dying} (a worker was lost with "
                    "data it alone held): run again, with a higher memory limit or lower "
                    "--partition-rows; nothing was written"
                ) from None
            del pending[i]  # its result leaves the worker's memory
            fut.release()
            on_result(i, result)
            if bar is not None:
                bar.update(weights[i] if weights is not None else 1)
    finally:
        client.cancel(list(pending.values()))


def in_order(on_result: Callable[[T], None]) -> Callable[[int, T], None]:
    """An ``on_result`` for :func:`run_tasks` that calls ``on_result(result)`` in task order
    (a result is held back until those before it came)."""
    held: dict[int, T] = {}
    nxt = [0]

    def add(i: int, result: T) -> None:
        held[i] = result
        while nxt[0] in held:
            on_result(held.pop(nxt[0]))
            nxt[0] += 1

    return add


def progress_bar(progress: bool | None, total: int, unit: str = "rows") -> Any:
    """The tqdm bar of the single-process executors on stderr (``None`` off a terminal unless
    ``progress`` is True). ``unit`` ``"B"`` counts bytes (binary prefixes)."""
    if progress is None:
        progress = sys.stderr.isatty()
    if not progress:
        return None
    from tqdm import tqdm

    if unit == "B":
        return tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024, file=sys.stderr, leave=False
        )
    return tqdm(total=total, unit=unit, unit_scale=True, file=sys.stderr, leave=False)
