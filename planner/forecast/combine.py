"""Forecast combination: which candidates a series' forecast is made of, with what weights.

Each candidate's weight falls with the :data:`WEIGHT_POWER` power of its backtest MASE relative
to the best candidate's, ``(mase / best) ** -WEIGHT_POWER``; candidates whose weight would be
below :data:`MIN_WEIGHT` of the best one's are left out (they would change the forecast by less
than the noise of the backtest, and each member costs a refit on the whole history). The
combination is a weighted mean, in the model space, of the members' point forecasts and of
their interval half-widths.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["WEIGHT_POWER", "MIN_WEIGHT", "members", "combine"]

#: Weights fall with this power of a candidate's backtest MASE relative to the best: a candidate
#: 20 % worse than the best gets about half its weight, one twice as bad 1/16.
WEIGHT_POWER = 4.0
#: Members keep at least this share of the best candidate's weight (with power 4: MASE within
#: 1.78x of the best).
MIN_WEIGHT = 0.1


def members(scores: Mapping[str, float], power: float = WEIGHT_POWER, min_weight: float = MIN_WEIGHT,
            prefer: str = "") -> tuple[tuple[str, ...], tuple[float, ...]]:
    """Members and weights (adding up to 1) from backtest MASE per candidate, in candidate order.

    ``prefer`` names the candidate kept alone when every score is 0 or several tie at the best
    with nothing else in range.
    """
    names = list(scores)
    x = np.array([scores[m] for m in names], dtype=float)
    best = float(x.min())
    if best <= 0:
        zero = [m for m in names if scores[m] <= 0]
        keep = prefer if prefer in zero else zero[0]
        return (keep,), (1.0,)
    w = (x / best) ** -power
    keep = w >= min_weight * w.max()
    chosen = tuple(m for m, k in zip(names, keep, strict=True) if k)
    weights = w[keep] / w[keep].sum()
    return chosen, tuple(float(v) for v in weights)


def combine(parts: Sequence[Mapping[str, np.ndarray]], weights: Sequence[float]) -> dict[str, np.ndarray]:
    """Weighted mean of the members' forecasts (``mean``, ``lo-L``, ``hi-L`` arrays), key by key.

    The combined interval is the combined point plus or minus the weighted mean half-width.
    """
    w = np.asarray(weights, dtype=float)
    point = sum(wi * np.asarray(p["mean"], dtype=float) for wi, p in zip(w, parts, strict=True))
    out = {"mean": point}
    levels = sorted({int(k.split("-")[1]) for k in parts[0] if k.startswith("lo-")})
    for lv in levels:
        half = sum(wi * (np.asarray(p[f"hi-{lv}"], float) - np.asarray(p[f"lo-{lv}"], float)) / 2
                   for wi, p in zip(w, parts, strict=True))
        out[f"lo-{lv}"], out[f"hi-{lv}"] = point - half, point + half
    return out
