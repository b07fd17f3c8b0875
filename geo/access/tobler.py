"""Tobler's hiking function (Tobler 1993), as in OpenTripPlanner's ToblersHikingFunction."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["tobler_kmh"]


def tobler_kmh(slope: ArrayLike, *, off_path_factor: float = 1.0) -> np.ndarray:
    """Walking speed W = 6·exp(−3.5·|S + 0.05|) km/h for slope S = dh/dx (signed, in the
    direction of travel), times ``off_path_factor`` (0.6 off path).

    Examples
    --------
    On flat ground, 6·exp(−0.175) km/h; off path 0.6 of that:

    >>> float(np.round(tobler_kmh(0.0), 3))
    5.037
    >>> float(np.round(tobler_kmh([0.0], off_path_factor=0.6)[0], 3))
    3.022
    """
    s = np.asarray(slope, dtype=float)
    return 6.0 * np.exp(-3.5 * np.abs(s + 0.05)) * off_path_factor
