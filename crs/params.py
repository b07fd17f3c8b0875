"""Guangzhou 2000 parameter files: load, validate, and build the PROJ pipeline.

The official Guangzhou 2000 parameters are not public, so they come only from a file the
user supplies (``params=`` or the environment variable ``SUIGEO_GZ2000_PARAMS``). The file
format (``suigeo-gz2000/1``) is documented, key by key, in ``crs/examples/gz2000-example.toml``.

Secrecy: a :class:`Gz2000Params` never shows its values; ``repr`` shows the source file and
kind only. Every error names the file and the key, never a value. The PROJ pipeline built from
the values is kept private (:meth:`Gz2000Params._pipeline`) and is never logged or put into an
exception message; PROJ errors raised while building it are replaced by a message without it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import stat
import tomllib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from suigeo.errors import MissingParametersError, ParameterFileError

if TYPE_CHECKING:
    from pyproj import Transformer

__all__ = [
    "DEFAULT_HEIGHT_OFFSET_M",
    "ENV_VAR",
    "EXAMPLE_FILE",
    "FORMAT",
    "Gz2000Params",
    "load_params",
    "params_file",
    "secret_transformer",
    "validate_params",
]

ENV_VAR = "SUIGEO_GZ2000_PARAMS"
FORMAT = "suigeo-gz2000/1"
#: Guangzhou height = 1985 height + 4.256 m (Guangdong's published table of local height
#: systems; see the docs, guide/crs.md).
DEFAULT_HEIGHT_OFFSET_M = 4.256
#: CGCS2000 ellipsoid (same as GRS80 to the digits that matter): a, 1/f.
CGCS2000_A = 6378137.0
CGCS2000_RF = 298.257222101
#: Mean radius R1 = (2a + b) / 3 of the CGCS2000/GRS80 ellipsoid, for ``projection_height_m``.
MEAN_RADIUS_M = 6371008.7714
_ELLPS = f"+a={CGCS2000_A!r} +rf={CGCS2000_RF!r}"

#: The shipped example parameter file (round illustrative values, unfit for survey work).
EXAMPLE_FILE = Path(__file__).resolve().parent / "examples" / "gz2000-example.toml"

HOW_TO_SUPPLY = (
    "Guangzhou 2000 (GZ2000) needs a parameter file: pass --params FILE (Python: params=FILE) "
    f"or set the environment variable {ENV_VAR}=FILE. The official parameters are not "
    "public; get them from your survey authority, or fit a file from common control points "
    "with `suigeo crs fit control.csv --model helmert4 --central-meridian DEG "
    "--projection-height M -o params.toml` (see `suigeo crs fit --help`). "
    f"{EXAMPLE_FILE} shows the format (example values, unfit for survey work)."
)

_KINDS = ("example", "fitted", "official", "unspecified")
#: [height] anomaly_model -> number of coefficients (a0 + a1 u + a2 v [+ a3 u^2 + a4 u v + a5 v^2])
ANOMALY_MODELS = {"plane": 3, "quadratic": 6}
#: the centring and scaling of a fitted anomaly surface: u = (E - e0) / scale, v = (N - n0) / scale
ANOMALY_KEYS = ("e0_m", "n0_m", "scale_m")
#: the optional area of a fitted surface (E, N of the [projection]): outside it, no anomaly
ANOMALY_AREA = ("e_min_m", "e_max_m", "n_min_m", "n_max_m")
_CONVENTIONS = ("position_vector", "coordinate_frame")

# table -> (required keys, optional keys with defaults)
_NUMERIC_TABLES: dict[str, tuple[tuple[str, ...], dict[str, float | None]]] = {
    "helmert7": (
        ("tx_m", "ty_m", "tz_m", "rx_arcsec", "ry_arcsec", "rz_arcsec", "scale_ppm"),
        {},
    ),
    "projection": (
        ("central_meridian_deg",),
        {
            "latitude_of_origin_deg": 0.0,
            "scale": None,
            "projection_height_m": None,
            "earth_radius_m": None,
            "false_easting_m": 0.0,
            "false_northing_m": 0.0,
        },
    ),
    "similarity": (("dx_m", "dy_m", "rotation_arcsec", "scale_ppm"), {}),
    "affine6": (("a0", "a1", "a2", "b0", "b1", "b2"), {}),
    "height": (
        (),
        {
            "offset_m": DEFAULT_HEIGHT_OFFSET_M,
            **{f"anomaly_{k}": None for k in ANOMALY_KEYS},
            **{f"anomaly_{k}": None for k in ANOMALY_AREA},
            **{f"anomaly_a{i}": None for i in range(6)},
        },
    ),
}
_TEXT_KEYS = {
    "suigeo": {"format", "kind", "description"},
    "helmert7": {"convention"},
    "height": {"model", "correction_grid", "geoid", "anomaly_model"},
}
_TABLES = ("suigeo", "helmert7", "projection", "similarity", "affine6", "height")

# (table, key, low, high): plausibility ranges, checked without printing the value.
_RANGES = (
    ("projection", "central_meridian_deg", -180.0, 180.0),
    ("projection", "latitude_of_origin_deg", -90.0, 90.0),
    ("projection", "scale", 0.9, 1.1),
    ("projection", "projection_height_m", -1000.0, 10000.0),
    ("projection", "earth_radius_m", 6.3e6, 6.4e6),
    ("similarity", "scale_ppm", -1e5, 1e5),
    ("helmert7", "scale_ppm", -1e5, 1e5),
)


class Gz2000Params:
    """A validated Guangzhou 2000 parameter set. Its values are never shown.

    Build one with :func:`load_params`. ``source`` is the file it came from (or
    ``"<dict>"``), ``kind`` is ``example``, ``fitted``, ``official`` or ``unspecified``.
    Two parameter sets compare equal when their values are equal.
    """

    __slots__ = (
        "_anomaly",
        "_anomaly_area",
        "_digest",
        "_height_offset",
        "_pipeline_text",
        "_projection_text",
        "correction_grid",
        "geoid",
        "has_helmert7",
        "kind",
        "source",
    )

    def __init__(
        self,
        values: Mapping[str, Mapping[str, Any]],
        source: str,
        kind: str,
        base_dir: Path | None = None,
    ) -> None:
        self.source = source
        self.kind = kind
        #: Whether a geocentric [helmert7] step is present (its plane result then depends
        #: on the height).
        self.has_helmert7 = "helmert7" in values
        self._pipeline_text = _build_pipeline(values)
        self._projection_text = _projection_pipeline(values["projection"])
        height = values["height"]
        self._height_offset = float(height["offset_m"])  # defaulted when read
        folder = base_dir if base_dir is not None else Path.cwd()
        #: The quasi-geoid grid of height anomalies (``[height] geoid``), an absolute path,
        #: or ``None``.
        self.geoid: Path | None = _grid_path(height.get("geoid"), folder)
        #: The grid of HGZ - H1985 corrections (``[height] correction_grid``, with
        #: ``model = "grid"``), an absolute path, or ``None``.
        self.correction_grid: Path | None = _grid_path(height.get("correction_grid"), folder)
        self._anomaly: tuple[str, float, float, float, tuple[float, ...]] | None = None
        self._anomaly_area: tuple[float, ...] | None = None
        if height.get("anomaly_e_min_m") is not None:
            self._anomaly_area = tuple(float(height[f"anomaly_{k}"]) for k in ANOMALY_AREA)
        if height.get("anomaly_model") is not None:
            model = height["anomaly_model"]
            n = ANOMALY_MODELS[model]
            self._anomaly = (
                model,
                float(height["anomaly_e0_m"]),
                float(height["anomaly_n0_m"]),
                float(height["anomaly_scale_m"]),
                tuple(float(height[f"anomaly_a{i}"]) for i in range(n)),
            )
        self._digest = hashlib.sha256(
            "|".join(
                (
                    self._pipeline_text,
                    repr(self._height_offset),
                    str(self.geoid),
                    str(self.correction_grid),
                    repr(self._anomaly),
                    repr(self._anomaly_area),
                )
            ).encode()
        ).hexdigest()

    def __repr__(self) -> str:
        return f"<Gz2000Params from {self.source!r}, kind {self.kind!r}; values hidden>"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Gz2000Params) and other._digest == self._digest

    def __hash__(self) -> int:
        return hash(self._digest)

    def __reduce__(self) -> NoReturn:  # pragma: no cover - refuse to serialise secrets by accident
        raise TypeError("Gz2000Params cannot be pickled; pass the parameter file path instead")

    @property
    def key(self) -> str:
        """An opaque cache key (a SHA-256 digest); reveals no value."""
        return self._digest

    @property
    def height_offset_m(self) -> float:
        """HGZ - H1985 in metres. Secret like every value: do not print it."""
        return self._height_offset

    def _pipeline(self) -> str:
        """The PROJ pipeline CGCS2000 (lon, lat degrees, h) -> GZ2000 (E, N, h). SECRET."""
        return self._pipeline_text

    @property
    def has_anomaly_model(self) -> bool:
        """Whether ``[height]`` holds a fitted height-anomaly surface (``anomaly_model``)."""
        return self._anomaly is not None

    def _anomaly_surface(self) -> tuple[str, str, float, float, float, tuple[float, ...]] | None:
        """``(model, projection pipeline, e0, n0, scale, coefficients)`` of the fitted
        height-anomaly surface, or ``None``. SECRET."""
        if self._anomaly is None:
            return None
        model, e0, n0, scale, coeffs = self._anomaly
        return model, self._projection_text, e0, n0, scale, coeffs

    def _anomaly_extent(self) -> tuple[float, ...] | None:
        """``(e_min, e_max, n_min, n_max)`` where the fitted surface holds, or ``None``."""
        return self._anomaly_area


def _grid_path(value: str | None, folder: Path) -> Path | None:
    if value is None:
        return None
    path = Path(value).expanduser()
    return (path if path.is_absolute() else folder / path).resolve()


def _projection_pipeline(p: Mapping[str, Any]) -> str:
    """CGCS2000 lon/lat degrees -> the [projection]'s transverse Mercator E, N. SECRET."""
    if p["scale"] is not None:
        k0 = p["scale"]
    else:
        radius = p["earth_radius_m"] if p["earth_radius_m"] is not None else MEAN_RADIUS_M
        k0 = (radius + p["projection_height_m"]) / radius
    return (
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=tmerc +lat_0={p['latitude_of_origin_deg']!r}"
        f" +lon_0={p['central_meridian_deg']!r} +k_0={k0!r}"
        f" +x_0={p['false_easting_m']!r} +y_0={p['false_northing_m']!r} {_ELLPS}"
    )


def load_params(
    params: str | os.PathLike[str] | Mapping[str, Any] | Gz2000Params | None = None,
    *,
    required: bool = True,
) -> Gz2000Params | None:
    """Load and validate a Guangzhou 2000 parameter set.

    Parameters
    ----------
    params
        A path to a ``suigeo-gz2000/1`` TOML file, a mapping with the same tables (as
        ``tomllib`` would return), an already loaded :class:`Gz2000Params`, or ``None`` to use
        the file named by the environment variable ``SUIGEO_GZ2000_PARAMS``.
    required
        If true (default), raise :class:`MissingParametersError` when nothing is supplied;
        otherwise return ``None``.

    Raises
    ------
    MissingParametersError
        Nothing supplied; the message says how to supply or fit a file.
    ParameterFileError
        The file is missing, unreadable, not TOML, or a key is missing, unknown, of the wrong
        type or out of range. The message names the file and the key, never a value.
    """
    if isinstance(params, Gz2000Params):
        return params
    if params is None:
        env = os.environ.get(ENV_VAR, "").strip()
        if not env:
            if required:
                raise MissingParametersError(HOW_TO_SUPPLY)
            return None
        return _load_file_cached(Path(env), via_env=True)
    if isinstance(params, Mapping):
        return _from_mapping(params, "<dict>")
    if isinstance(params, str | os.PathLike):
        return _load_file_cached(Path(params), via_env=False)
    raise ParameterFileError(
        f"params must be a file path, a mapping or Gz2000Params, not {type(params).__name__}"
    )


def params_file(params: object) -> Path | None:
    """The file a parameter set is (or would be) read from, so no command writes over it:
    the path given, a loaded set's source file, or the file named by
    ``SUIGEO_GZ2000_PARAMS``; ``None`` for a mapping."""
    if isinstance(params, str | os.PathLike):
        return Path(params)
    if isinstance(params, Gz2000Params):
        return None if params.source == "<dict>" else Path(params.source)
    if params is None:
        env = os.environ.get(ENV_VAR, "").strip()
        return Path(env) if env else None
    return None


_FILE_CACHE: dict[tuple[str, int, int, bool], Gz2000Params] = {}


def _load_file_cached(path: Path, *, via_env: bool) -> Gz2000Params:
    """:func:`_load_file`, remembered while the file's size and mtime stay the same (so a
    path passed with every chunk of a batch is read once)."""
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size, via_env)
    except OSError:
        return _load_file(path, via_env=via_env)
    hit = _FILE_CACHE.get(key)
    if hit is None:
        hit = _load_file(path, via_env=via_env)
        if len(_FILE_CACHE) >= 16:
            _FILE_CACHE.clear()
        _FILE_CACHE[key] = hit
    return hit


#: The largest parameter file read (a real one is under 2 kB).
MAX_PARAMS_BYTES = 2**20


def _load_file(path: Path, *, via_env: bool) -> Gz2000Params:
    # The file's text and values live only in _read_and_build's frame, which has returned
    # before the error is raised: a traceback formatted with its local variables
    # (``pytest --showlocals``, error trackers) shows none of them.
    where = f"{path} (from {ENV_VAR})" if via_env else str(path)
    outcome = _read_and_build(path, where)
    if isinstance(outcome, str):
        raise ParameterFileError(outcome)
    return outcome


def _read_and_build(path: Path, where: str) -> Gz2000Params | str:
    """The parameter set in ``path``, or the message saying why not (never a value)."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            return f"parameter file {where} is a folder, not a file"
        if not stat.S_ISREG(st.st_mode):
            return (
                f"parameter file {where} is not a regular file (a device, pipe or socket); "
                "give the TOML file"
            )
        if st.st_size > MAX_PARAMS_BYTES:
            return (
                f"parameter file {where} is {st.st_size:,} bytes; a parameter file has a few "
                f"lines (at most {MAX_PARAMS_BYTES:,} bytes): is it the right file?"
            )
        with path.open("rb") as fh:
            raw = fh.read(MAX_PARAMS_BYTES + 1)
    except FileNotFoundError:
        return f"parameter file {where} not found"
    except OSError as exc:
        return f"cannot read parameter file {where}: {exc.strerror or type(exc).__name__}"
    if len(raw) > MAX_PARAMS_BYTES:
        return f"parameter file {where} grew beyond {MAX_PARAMS_BYTES:,} bytes while read"
    data, problem = _parse_toml(raw)
    del raw
    if problem is not None:
        return f"parameter file {where}: {problem}"
    return _build_or_message(data, str(path), path.resolve().parent)


def _parse_toml(raw: bytes) -> tuple[dict[str, Any], str | None]:
    # Built outside any ``except`` block so no exception context (which may quote the
    # file's text) is chained to the error the caller sees.
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {}, "not UTF-8 text"
    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        where = re.search(r"at line (\d+), column (\d+)", str(exc))
        pos = f" at line {where.group(1)}, column {where.group(2)}" if where else ""
        return {}, f"not valid TOML{pos}"
    except RecursionError:
        return {}, "nested too deeply to be a parameter file (arrays or tables in arrays)"


def validate_params(data: Mapping[str, Any], source: str) -> Gz2000Params:
    """Validate parameter tables (as ``tomllib`` returns them) that are about to be written.

    Parameters
    ----------
    data
        The tables of a ``suigeo-gz2000/1`` file.
    source
        How errors name the file (for example the output path).

    Raises
    ------
    ParameterFileError
        The same checks, and messages, as :func:`load_params` (key named, value never).
    """
    return _from_mapping(data, source)


def _from_mapping(data: Mapping[str, Any], source: str) -> Gz2000Params:
    outcome = _build_or_message(data, source)
    del data  # not a local of the frame that raises
    if isinstance(outcome, str):
        raise ParameterFileError(outcome)
    return outcome


def _build_or_message(
    data: Mapping[str, Any], source: str, base_dir: Path | None = None
) -> Gz2000Params | str:
    """The parameter set, or the message of the first problem (key named, value never)."""
    try:
        return _build(data, source, base_dir)
    except ParameterFileError as exc:
        return str(exc)
    except (ArithmeticError, TypeError, ValueError, RecursionError):
        return (
            f"parameter file {source}: the values cannot be used (values not shown); check "
            "every key against crs/examples/gz2000-example.toml"
        )


def _build(data: Mapping[str, Any], source: str, base_dir: Path | None = None) -> Gz2000Params:
    values = _validate(data, source)
    kind = values["suigeo"].get("kind", "unspecified")
    folder = base_dir if base_dir is not None else Path.cwd()
    for key in ("geoid", "correction_grid"):
        grid = _grid_path(values["height"].get(key), folder)
        if grid is not None and not grid.is_file():
            where = "the parameter file's folder" if base_dir is not None else "the current folder"
            raise _fail(
                source,
                f"height.{key}",
                f"names a grid file that does not exist (a relative path is taken from {where})",
            )
        if grid is not None and any(c in str(grid) for c in '",'):
            raise _fail(source, f"height.{key}", "names a file whose path holds a quote or comma")
    built: Gz2000Params | None = None
    with contextlib.suppress(_PipelineRejected):
        built = Gz2000Params(values, source, kind, base_dir)
    if built is None:
        raise ParameterFileError(
            f"parameter file {source}: PROJ rejected the parameters (values not shown); "
            "check the [projection], [helmert7], [similarity] and [affine6] tables"
        )
    return built


def _fail(source: str, key: str, problem: str) -> ParameterFileError:
    return ParameterFileError(f"parameter file {source}: key '{key}' {problem}")


def _validate(data: Mapping[str, Any], source: str) -> dict[str, dict[str, Any]]:
    if not isinstance(data, Mapping):
        raise ParameterFileError(f"parameter file {source}: not a table of tables")
    for table in data:
        if table not in _TABLES:
            raise _fail(source, str(table), f"is not a known table (known: {', '.join(_TABLES)})")
        if not isinstance(data[table], Mapping):
            raise _fail(source, str(table), "must be a table, e.g. [" + str(table) + "]")
    _check_header(data, source)
    if "projection" not in data:
        raise _fail(source, "projection", "is missing: the [projection] table is required")
    if "similarity" in data and "affine6" in data:
        raise _fail(source, "affine6", "cannot be given together with [similarity]")
    values: dict[str, dict[str, Any]] = {"suigeo": dict(data["suigeo"])}
    for table in _NUMERIC_TABLES:
        if table in data or table == "height":
            values[table] = _numeric_table(data.get(table, {}), table, source)
    _check_projection(values["projection"], source)
    _check_ranges(values, source)
    _check_text_keys(data, values, source)
    if "affine6" in values:
        a = values["affine6"]
        det = a["a1"] * a["b2"] - a["a2"] * a["b1"]
        if not abs(det) > 1e-12:
            raise _fail(source, "affine6", "is not invertible (a1*b2 - a2*b1 is zero)")
    return values


def _numeric_table(given: Mapping[str, Any], table: str, source: str) -> dict[str, Any]:
    required, optional = _NUMERIC_TABLES[table]
    allowed = set(required) | set(optional) | _TEXT_KEYS.get(table, set())
    for key in given:
        if key not in allowed:
            raise _fail(source, f"{table}.{key}", f"is not a known key of [{table}]")
    out: dict[str, Any] = {}
    for key in required:
        if key not in given:
            raise _fail(source, f"{table}.{key}", "is missing")
        out[key] = _number(given[key], source, f"{table}.{key}")
    for key, default in optional.items():
        out[key] = _number(given[key], source, f"{table}.{key}") if key in given else default
    return out


def _check_header(data: Mapping[str, Any], source: str) -> None:
    header = data.get("suigeo")
    if header is None:
        raise _fail(
            source, "suigeo", f'is missing: the file must start with [suigeo] format = "{FORMAT}"'
        )
    for key in header:
        if key not in _TEXT_KEYS["suigeo"]:
            raise _fail(source, f"suigeo.{key}", "is not a known key of [suigeo]")
    if header.get("format") != FORMAT:
        raise _fail(source, "suigeo.format", f'must be "{FORMAT}"')
    if "kind" in header and header["kind"] not in _KINDS:
        raise _fail(source, "suigeo.kind", f"must be one of {', '.join(_KINDS)}")
    if "description" in header and not isinstance(header["description"], str):
        raise _fail(source, "suigeo.description", "must be text")


def _check_projection(p: dict[str, Any], source: str) -> None:
    has_scale = p["scale"] is not None
    has_height = p["projection_height_m"] is not None
    if has_scale == has_height:
        raise _fail(
            source,
            "projection.scale",
            "or 'projection.projection_height_m': give exactly one of the two",
        )
    if p["earth_radius_m"] is not None and not has_height:
        raise _fail(source, "projection.earth_radius_m", "is only used with projection_height_m")


def _check_ranges(values: dict[str, dict[str, Any]], source: str) -> None:
    for table, key, low, high in _RANGES:
        v = values.get(table, {}).get(key)
        if v is not None and not low <= v <= high:
            raise _fail(source, f"{table}.{key}", f"is out of range (must be in {low:g}..{high:g})")


def _check_text_keys(
    data: Mapping[str, Any], values: dict[str, dict[str, Any]], source: str
) -> None:
    if "helmert7" in values:
        if data["helmert7"].get("convention") not in _CONVENTIONS:
            raise _fail(
                source,
                "helmert7.convention",
                f"must be given as one of {', '.join(_CONVENTIONS)} "
                "(how the rotation signs are to be read)",
            )
        values["helmert7"]["convention"] = data["helmert7"]["convention"]
    _check_height(data.get("height", {}), values["height"], source)


def _check_height(given: Mapping[str, Any], h: dict[str, Any], source: str) -> None:
    """The [height] table's text keys and its models (keys named, values never)."""
    model = given.get("model", "offset")
    if model not in ("offset", "grid"):
        raise _fail(source, "height.model", 'must be "offset" or "grid"')
    h["model"] = model
    if model == "grid":
        if "correction_grid" not in given:
            raise _fail(
                source, "height.correction_grid", 'is missing: model = "grid" needs the grid file'
            )
        if "offset_m" in given:
            raise _fail(
                source, "height.offset_m", 'cannot be given with model = "grid" (the grid holds it)'
            )
    elif "correction_grid" in given:
        raise _fail(source, "height.correction_grid", 'is used only with model = "grid"')
    for key in ("correction_grid", "geoid"):
        if key in given:
            if not isinstance(given[key], str) or not given[key].strip():
                raise _fail(source, f"height.{key}", "must be the path of a grid file (text)")
            h[key] = given[key]
    _check_anomaly(given, h, source)


def _check_anomaly(given: Mapping[str, Any], h: dict[str, Any], source: str) -> None:
    """A fitted height-anomaly surface: its model and exactly its keys."""
    anomaly = given.get("anomaly_model")
    if anomaly is None:
        extra = [k for k in h if k.startswith("anomaly_") and h[k] is not None]
        if extra:
            raise _fail(source, f"height.{extra[0]}", "is used only with anomaly_model")
        return
    if "geoid" in given:
        raise _fail(source, "height.anomaly_model", "cannot be given together with geoid")
    if anomaly not in ANOMALY_MODELS:
        raise _fail(source, "height.anomaly_model", f"must be one of {', '.join(ANOMALY_MODELS)}")
    h["anomaly_model"] = anomaly
    wanted = [f"anomaly_{k}" for k in ANOMALY_KEYS]
    wanted += [f"anomaly_a{i}" for i in range(ANOMALY_MODELS[anomaly])]
    for key in wanted:
        if h.get(key) is None:
            raise _fail(source, f"height.{key}", f"is missing (anomaly_model {anomaly})")
    for i in range(ANOMALY_MODELS[anomaly], 6):
        if h.get(f"anomaly_a{i}") is not None:
            raise _fail(source, f"height.anomaly_a{i}", f"is not used by anomaly_model {anomaly}")
    if not h["anomaly_scale_m"] > 0:
        raise _fail(source, "height.anomaly_scale_m", "must be positive")
    area = [h.get(f"anomaly_{k}") is not None for k in ANOMALY_AREA]
    if any(area) and not all(area):
        missing = ANOMALY_AREA[area.index(False)]
        raise _fail(source, f"height.anomaly_{missing}", "is missing (give all four or none)")
    if all(area) and not (
        h["anomaly_e_min_m"] < h["anomaly_e_max_m"] and h["anomaly_n_min_m"] < h["anomaly_n_max_m"]
    ):
        raise _fail(source, "height.anomaly_e_min_m", "and the other limits must be min < max")


def _number(value: Any, source: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(source, key, "must be a number")
    try:
        f = float(value)
    except OverflowError:  # an integer of hundreds of digits
        raise _fail(source, key, "is too large a number") from None
    if not math.isfinite(f):
        raise _fail(source, key, "must be a finite number")
    return f


class _PipelineRejected(Exception):
    """PROJ refused the pipeline. Carries no text on purpose."""


def _build_pipeline(values: Mapping[str, Mapping[str, Any]]) -> str:
    steps = ["+proj=pipeline", "+step +proj=unitconvert +xy_in=deg +xy_out=rad"]
    h7 = values.get("helmert7")
    if h7 is not None:
        steps += [
            f"+step +proj=cart {_ELLPS}",
            "+step +proj=helmert"
            f" +x={h7['tx_m']!r} +y={h7['ty_m']!r} +z={h7['tz_m']!r}"
            f" +rx={h7['rx_arcsec']!r} +ry={h7['ry_arcsec']!r} +rz={h7['rz_arcsec']!r}"
            f" +s={h7['scale_ppm']!r} +convention={h7['convention']}",
            f"+step +inv +proj=cart {_ELLPS}",
        ]
    p = values["projection"]
    if p["scale"] is not None:
        k0 = p["scale"]
    else:
        radius = p["earth_radius_m"] if p["earth_radius_m"] is not None else MEAN_RADIUS_M
        k0 = (radius + p["projection_height_m"]) / radius
    steps.append(
        f"+step +proj=tmerc +lat_0={p['latitude_of_origin_deg']!r}"
        f" +lon_0={p['central_meridian_deg']!r} +k_0={k0!r}"
        f" +x_0={p['false_easting_m']!r} +y_0={p['false_northing_m']!r} {_ELLPS}"
    )
    sim = values.get("similarity")
    if sim is not None:
        # PROJ's 2-D Helmert (+theta, arc-seconds) turns clockwise and takes +s as the factor
        # itself; the file's rotation is anticlockwise and its scale in ppm.
        factor = 1.0 + sim["scale_ppm"] * 1e-6
        steps.append(
            f"+step +proj=helmert +x={sim['dx_m']!r} +y={sim['dy_m']!r}"
            f" +theta={-sim['rotation_arcsec']!r} +s={factor!r}"
        )
    aff = values.get("affine6")
    if aff is not None:
        steps.append(
            f"+step +proj=affine +xoff={aff['a0']!r} +s11={aff['a1']!r} +s12={aff['a2']!r}"
            f" +yoff={aff['b0']!r} +s21={aff['b1']!r} +s22={aff['b2']!r}"
        )
    text = " ".join(steps)
    if not _proj_accepts(text):
        raise _PipelineRejected
    return text


def _proj_accepts(text: str) -> bool:
    return secret_transformer(text) is not None


@contextlib.contextmanager
def _proj_log_muted() -> Iterator[None]:
    # PROJ reports through the "pyproj" logger; with PROJ_DEBUG set its messages quote every
    # argument of a pipeline being built, so that logger is muted meanwhile.
    logger = logging.getLogger("pyproj")
    was_disabled = logger.disabled
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = was_disabled


def secret_transformer(text: str) -> Transformer | None:
    """A PROJ transformer for a pipeline that holds parameter values, or ``None`` if PROJ
    refuses it.

    Neither the text nor PROJ's log of it (``PROJ_DEBUG``) reaches a logger, and PROJ's
    error (which quotes the pipeline) is dropped: callers raise their own message.
    """
    from pyproj import Transformer
    from pyproj.exceptions import ProjError

    with _proj_log_muted():
        try:
            return Transformer.from_pipeline(text)
        except ProjError:
            pass
    return None
