"""AutoCAD drawings (DXF): every coordinate of the model space converted, everything else
kept (layers, styles, blocks, text), through ezdxf.

Converted: POINT, LINE, LWPOLYLINE (vertices; bulges stay arcs under a conformal change),
POLYLINE (2-D and 3-D), 3DFACE, SOLID/TRACE corners, INSERT positions, TEXT and MTEXT
positions, CIRCLE and ARC centres. A block's own geometry stays in block units: an INSERT
is turned and scaled with the local rotation and scale of the conversion at its position,
a TEXT's height and rotation likewise, a CIRCLE's or ARC's radius scaled (and an ARC's
angles turned). That is exact only when the conversion is conformal there (a similarity,
Gauss-Krüger, Guangzhou 2000 with ``helmert4``); under a shear (``affine6``) an entity
whose shape would change by more than 0.1 mm is refused, by type and handle. Z values
are kept (a plane conversion). Entity types with coordinates that are not listed above
(HATCH, SPLINE, ELLIPSE, DIMENSION, LEADER, ...) refuse the drawing, by type, so that no
entity is left in the old coordinates: explode them in CAD first. Paper space is not
touched (its units are the sheet's).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from suigeo.errors import InputError, OutputError

__all__ = ["DxfSummary", "convert_dxf"]

log = logging.getLogger(__name__)

#: entity types converted
CONVERTED = (
    "POINT", "LINE", "LWPOLYLINE", "POLYLINE", "3DFACE", "SOLID", "TRACE", "INSERT", "TEXT",
    "MTEXT", "CIRCLE", "ARC", "ATTRIB",
)  # fmt: skip
#: entity types without coordinates of their own (kept as they are)
WITHOUT_COORDINATES = ("VIEWPORT", "SEQEND", "VERTEX")
#: the shape of an entity may change by at most this much under a non-conformal conversion
TOLERANCE_M = 1e-4

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class DxfSummary:
    """What :func:`convert_dxf` did: entities read and converted, by type."""

    read: int = 0
    converted: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


def _points(e: Any) -> list[tuple[str, Any]]:
    """(attribute, Vec3) pairs of an entity's plain points."""
    t = e.dxftype()
    names: tuple[str, ...] = ()
    if t == "POINT":
        names = ("location",)
    elif t == "LINE":
        names = ("start", "end")
    elif t in ("3DFACE", "SOLID", "TRACE"):
        names = ("vtx0", "vtx1", "vtx2", "vtx3")
    elif t in ("INSERT", "MTEXT"):
        names = ("insert",)
    elif t in ("TEXT", "ATTRIB"):
        names = ("insert", "align_point")
    elif t in ("CIRCLE", "ARC"):
        names = ("center",)
    return [(n, e.dxf.get(n)) for n in names if e.dxf.hasattr(n)]


class _Jacobian:
    """Local rotation, scale and shear of the conversion at points (finite differences)."""

    def __init__(self, fn: Transform, x: np.ndarray, y: np.ndarray):
        d = 1.0
        x0, y0 = fn(x, y)
        xe, ye = fn(x + d, y)
        xn, yn = fn(x, y + d)
        self.a, self.c = (xe - x0) / d, (ye - y0) / d  # d(out)/d(east)
        self.b, self.d = (xn - x0) / d, (yn - y0) / d  # d(out)/d(north)
        self.scale = np.sqrt(np.abs(self.a * self.d - self.b * self.c))
        self.angle = np.degrees(np.arctan2(self.c, self.a))
        self.shear = np.maximum(np.abs(self.a - self.d), np.abs(self.b + self.c)) / self.scale


def convert_dxf(
    src: str | os.PathLike[str],
    out: str | os.PathLike[str],
    fn: Transform,
    *,
    inputs: list[Any] | None = None,
) -> DxfSummary:
    """Convert the model space of the drawing ``src`` with ``fn`` (plane x, y arrays ->
    converted arrays) and write it to ``out`` atomically.

    Raises
    ------
    InputError
        Not a DXF file; entities that cannot be converted exactly or at all (by type and
        handle); a coordinate ``fn`` cannot convert.
    """
    import ezdxf

    from suigeo.io.atomic import atomic_output

    p = Path(src)
    try:
        doc = ezdxf.readfile(p)
    except (OSError, ezdxf.DXFError) as exc:
        raise InputError(f"cannot read {str(p)!r} as a DXF drawing: {exc}") from None
    msp = doc.modelspace()
    entities: list[Any] = list(msp)
    kinds: dict[str, int] = {}
    refused: dict[str, int] = {}
    for e in entities:
        t = e.dxftype()
        kinds[t] = kinds.get(t, 0) + 1
        if t not in CONVERTED and t not in WITHOUT_COORDINATES:
            refused[t] = refused.get(t, 0) + 1
    if refused:
        what = ", ".join(f"{n} {t}" for t, n in sorted(refused.items()))
        raise InputError(
            f"{str(p)!r}: cannot convert {what} (not converted by suigeo: their coordinates "
            "would stay in the old system); explode them in CAD, or delete them, and convert again"
        )
    slots, x, y = _gather(entities)
    nx, ny = fn(x, y) if len(x) else (x, y)
    bad = ~(np.isfinite(nx) & np.isfinite(ny))
    if bad.any():
        e = slots[int(np.flatnonzero(bad)[0])][0]
        raise InputError(
            f"{str(p)!r}: {int(bad.sum())} coordinates cannot be converted (outside the "
            f"systems' area?), the first in {e.dxftype()} {e.dxf.handle}"
        )
    jac = _Jacobian(fn, x, y) if len(x) else None
    _check_shapes(p, slots, jac, x)
    _apply(slots, nx, ny, jac)
    with atomic_output(Path(out), inputs=inputs or [p]) as tmp:
        try:
            doc.saveas(tmp)
        except OSError as exc:
            raise OutputError(f"cannot write {str(out)!r}: {exc.strerror or exc}") from None
    n = sum(v for t, v in kinds.items() if t in CONVERTED)
    log.info("%s: DXF, %d entities converted (%s)", p, n, kinds)
    return DxfSummary(read=len(entities), converted=n, kinds=kinds)


def _gather(entities: list[Any]) -> tuple[list[tuple[Any, str, int]], np.ndarray, np.ndarray]:
    """Every point of every entity: (entity, attribute or ``"lw"``, vertex index) slots,
    and their x, y (converted in one call)."""
    slots: list[tuple[Any, str, int]] = []
    xs: list[float] = []
    ys: list[float] = []
    for e in entities:
        t = e.dxftype()
        for name, v in _points(e):
            slots.append((e, name, -1))
            xs.append(v.x)
            ys.append(v.y)
        if t == "LWPOLYLINE":
            for i, (vx, vy, *_rest) in enumerate(e.get_points("xyseb")):
                slots.append((e, "lw", i))
                xs.append(vx)
                ys.append(vy)
        elif t == "POLYLINE":
            for i, vtx in enumerate(e.vertices):
                slots.append((vtx, "location", i))
                xs.append(vtx.dxf.location.x)
                ys.append(vtx.dxf.location.y)
    return slots, np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)


def _apply(
    slots: list[tuple[Any, str, int]], nx: np.ndarray, ny: np.ndarray, jac: _Jacobian | None
) -> None:
    """Write the converted points back (turning and scaling anchored entities)."""
    lw: dict[int, list[list[float]]] = {}
    for k, (e, name, i) in enumerate(slots):
        if name == "lw":
            pts = lw.setdefault(id(e), [list(q) for q in e.get_points("xyseb")])
            pts[i][0], pts[i][1] = float(nx[k]), float(ny[k])
            if i == len(pts) - 1:
                e.set_points([tuple(q) for q in pts], format="xyseb")
            continue
        v = e.dxf.get(name)
        e.dxf.set(name, (float(nx[k]), float(ny[k]), v.z))
        if name in ("insert", "center") and jac is not None:
            _turn_and_scale(e, float(jac.angle[k]), float(jac.scale[k]))


def _size(e: Any) -> float:
    """How far an entity's shape reaches from its anchor (metres), for the shear test."""
    t = e.dxftype()
    if t in ("CIRCLE", "ARC"):
        return float(e.dxf.radius)
    if t == "MTEXT":
        return float(e.dxf.get("char_height", 1.0) or 1.0) * 10
    if t in ("TEXT", "ATTRIB"):
        return float(e.dxf.get("height", 1.0) or 1.0) * 10
    if t == "INSERT":
        from ezdxf import bbox

        scale = max(abs(e.dxf.get("xscale", 1.0)), abs(e.dxf.get("yscale", 1.0)))
        try:
            box = bbox.extents(e.block() or [])
        except Exception:  # an odd block: assume a large one
            return float(scale * 100)
        if box.has_data:
            return float(scale * max(box.size.x, box.size.y))
        return 0.0
    if t == "LWPOLYLINE" and any(b for *_r, b in e.get_points("xyseb")):
        pts = np.asarray([q[:2] for q in e.get_points("xy")], dtype=float)
        return float(np.ptp(pts, axis=0).max()) if len(pts) else 0.0
    return 0.0


def _check_shapes(p: Path, slots, jac: _Jacobian | None, x: np.ndarray) -> None:
    """Refuse entities whose shape a non-conformal conversion would change by more than
    :data:`TOLERANCE_M` (a circle would become an ellipse)."""
    if jac is None:
        return
    bad: dict[str, list[str]] = {}
    for k, (e, name, _) in enumerate(slots):
        if name not in ("insert", "center", "lw") or (name == "lw" and _ != 0):
            continue
        err = float(jac.shear[k]) * _size(e)
        if err > TOLERANCE_M:
            bad.setdefault(e.dxftype(), []).append(str(e.dxf.handle))
    if bad:
        what = "; ".join(f"{t} {', '.join(h[:5])}{' ...' if len(h) > 5 else ''}"
                         for t, h in sorted(bad.items()))  # fmt: skip
        raise InputError(
            f"{str(p)!r}: the conversion is not conformal here (it shears), so these entities "
            f"cannot keep their shape within {TOLERANCE_M * 1000:g} mm: {what}; explode them "
            "in CAD (circles and arcs to polylines) or use a conformal model (helmert4)"
        )


def _turn_and_scale(e: Any, angle: float, scale: float) -> None:
    """Turn and scale an entity at its anchor by the conversion's local rotation and scale."""
    t = e.dxftype()
    if t == "INSERT":
        e.dxf.rotation = (e.dxf.get("rotation", 0.0) + angle) % 360.0
        for s in ("xscale", "yscale", "zscale"):
            e.dxf.set(s, e.dxf.get(s, 1.0) * scale)
    elif t in ("TEXT", "ATTRIB"):
        e.dxf.rotation = (e.dxf.get("rotation", 0.0) + angle) % 360.0
        e.dxf.height = e.dxf.get("height", 1.0) * scale
    elif t == "MTEXT":
        e.dxf.rotation = (e.dxf.get("rotation", 0.0) + angle) % 360.0
        e.dxf.char_height = e.dxf.get("char_height", 1.0) * scale
    elif t in ("CIRCLE", "ARC"):
        e.dxf.radius = e.dxf.radius * scale
        if t == "ARC":
            e.dxf.start_angle = (e.dxf.start_angle + angle) % 360.0
            e.dxf.end_angle = (e.dxf.end_angle + angle) % 360.0
