# The compiled loop of suigeo.geo.access.gridsearch (built from _gridsearch.pyx).
import numpy as np

def dijkstra(
    dist: np.ndarray,
    sources: np.ndarray,
    limit: float,
    h: int,
    w: int,
    inv: np.ndarray,
    spd: np.ndarray,
    base: np.ndarray,
    hgt: np.ndarray,
    flat: float,
    step: np.ndarray,
    half: np.ndarray,
    reverse: bool,
    lp: np.ndarray,
    li: np.ndarray,
    lw: np.ndarray,
) -> None: ...
