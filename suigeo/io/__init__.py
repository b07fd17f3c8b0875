"""The shared I/O layer: one place that reads and writes tables and layers for every command.

- :mod:`suigeo.io.formats`: the one suffix -> format table (:func:`format_for`);
- :mod:`suigeo.io.csvtable`: the one CSV reader (:func:`read_csv`, :func:`stream_csv`);
- :mod:`suigeo.io.vector`: the one layer reader and writer (:func:`read_layer`,
  :func:`read_vector`, :func:`write_vector`), CSV geometry by one rule;
- :mod:`suigeo.io.rejects`: the one rejects report (:func:`write_rejects`);
- :mod:`suigeo.io.atomic`: atomic outputs that never overwrite an input;
- :mod:`suigeo.io.partitions`: inputs split into partitions and datasets written
  atomically (the Dask executor);
- :mod:`suigeo.io.sheets`: Excel and 南方CASS tables in, ``.xlsx`` and CASS out;
- :mod:`suigeo.io.grids`: text height grids (ISG, Surfer ASCII) in, GeoTIFF grids PROJ
  reads out.
- :mod:`suigeo.io.gtfs`: GTFS feeds (a zip of CSV files) read and checked, bad rows as
  rejects (:func:`read_gtfs`).

The submodules load on first use, so importing :mod:`suigeo.io` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "REJECT_COLUMNS",
    "atomic_output",
    "check_not_input",
    "format_for",
    "read_csv",
    "read_gtfs",
    "read_layer",
    "read_vector",
    "stream_csv",
    "write_rejects",
    "write_vector",
]

_HOME = {
    "REJECT_COLUMNS": "rejects",
    "atomic_output": "atomic",
    "check_not_input": "atomic",
    "format_for": "formats",
    "read_csv": "csvtable",
    "read_gtfs": "gtfs",
    "read_layer": "vector",
    "read_vector": "vector",
    "stream_csv": "csvtable",
    "write_rejects": "rejects",
    "write_vector": "vector",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"suigeo.io.{_HOME[name]}"), name)
    raise AttributeError(f"module 'suigeo.io' has no attribute {name!r}")
