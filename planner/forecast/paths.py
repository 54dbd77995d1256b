"""Sample paths that match the forecast intervals and keep errors correlated across periods.

Each path draws an AR(1) sequence of standard normals (lag-1 correlation ``rho`` estimated from the
backtest errors of the series), turns it into probabilities and maps them through the per-period
quantile function defined by the calibrated intervals (piecewise linear between the interval
bounds and the median, in log space for positive series, extended linearly beyond the outermost
interval). So the per-period
quantiles of many paths reproduce the intervals, and a path that runs high tends to stay high.
Each series draws from its own random stream, seeded by ``(seed, CRC-32 of its unique_id)``, so
its paths do not depend on the other series of the call: a run split over Dask partitions gives
the paths of the pandas run.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

__all__ = ["sample_paths"]


def sample_paths(fc: pd.DataFrame, level: Sequence[int], rho: Mapping[str, float], n_paths: int,
                 seed: int = 0) -> pd.DataFrame:
    """Draw ``n_paths`` sample paths per series.

    Parameters
    ----------
    fc : pandas.DataFrame
        Forecast table (``unique_id, ds, forecast, lo-L, hi-L``).
    level : sequence of int
        Interval levels present in ``fc`` [%].
    rho : mapping of str to float
        Lag-1 error correlation per series, in [0, 1).
    n_paths : int
        Paths per series.
    seed : int
        Random seed (>= 0); series ``u`` draws from ``default_rng([seed, crc32(u)])``.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, ds, sample, y``; ``y`` is never below the lowest interval bound's floor of 0
        when the forecast is non-negative.
    """
    levels = sorted(level)
    probs = [0.5]
    cols = ["forecast"]
    for lv in levels:
        a = (1 - lv / 100) / 2
        probs = [a, *probs, 1 - a]
        cols = [f"lo-{lv}", *cols, f"hi-{lv}"]
    probs = np.array(probs)
    out = []
    for uid, g in fc.groupby("unique_id", sort=False):
        q = np.sort(g[cols].to_numpy(dtype=float), axis=1)   # (h, k) quantiles at probs
        h = len(g)
        r = float(rho.get(uid, 0.5))
        rng = np.random.default_rng([seed, zlib.crc32(str(uid).encode())])
        eps = rng.standard_normal((n_paths, h))
        x = np.empty_like(eps)
        x[:, 0] = eps[:, 0]
        for t in range(1, h):
            x[:, t] = r * x[:, t - 1] + np.sqrt(1 - r * r) * eps[:, t]
        p = ndtr(x)
        y = np.empty_like(p)
        logspace = bool((q > 0).all())  # positive series: interpolate log quantiles (log-linear tails)
        qq = np.log(q) if logspace else q
        for t in range(h):
            y[:, t] = _quantile_map(p[:, t], probs, qq[t])
        if logspace:
            y = np.exp(y)
        if (q >= 0).all():
            y = np.maximum(y, 0.0)
        out.append(pd.DataFrame({
            "unique_id": uid,
            "ds": np.tile(g["ds"].to_numpy(), n_paths),
            "sample": np.repeat(np.arange(n_paths), h),
            "y": y.reshape(-1),
        }))
    return pd.concat(out, ignore_index=True)


def _quantile_map(p: np.ndarray, probs: np.ndarray, q: np.ndarray) -> np.ndarray:
    y = np.interp(p, probs, q)
    lo_slope = (q[1] - q[0]) / (probs[1] - probs[0]) if len(q) > 1 else 0.0
    hi_slope = (q[-1] - q[-2]) / (probs[-1] - probs[-2]) if len(q) > 1 else 0.0
    y = np.where(p < probs[0], q[0] - (probs[0] - p) * lo_slope, y)
    return np.where(p > probs[-1], q[-1] + (p - probs[-1]) * hi_slope, y)
