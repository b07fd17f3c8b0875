"""Fixtures shared by the Dask tests of ``crs``."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def cluster():
    """An in-process Dask cluster of two single-threaded workers, and its client (one per
    test module)."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as c,
        distributed.Client(c) as client,
    ):
        yield c, client
