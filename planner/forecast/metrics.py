"""Forecast accuracy measures (pure functions over arrays)."""

from __future__ import annotations

import numpy as np

__all__ = ["mase", "smape", "scaled_pinball", "coverage", "interval_score", "naive_scale", "conformal_quantile"]


def naive_scale(y: np.ndarray, season: int = 1) -> float:
    """Mean absolute seasonal-naive error of a training series [units of y]; the MASE scale.

    Falls back to the mean absolute value (or 1) when the series repeats exactly.
    """
    y = np.asarray(y, dtype=float)
    m = season if len(y) > season else 1
    d = np.abs(y[m:] - y[:-m]) if len(y) > m else np.array([])
    scale = float(np.mean(d)) if len(d) else 0.0
    if scale > 0:
        return scale
    fallback = float(np.mean(np.abs(y))) if len(y) else 0.0
    return fallback if fallback > 0 else 1.0


def mase(y: np.ndarray, yhat: np.ndarray, scale: float) -> float:
    """Mean absolute scaled error: mean |y - yhat| / scale [-]."""
    return float(np.mean(np.abs(np.asarray(y) - np.asarray(yhat))) / scale)


def smape(y: np.ndarray, yhat: np.ndarray) -> float:
    """Symmetric mean absolute percentage error in [0, 2]: mean 2|y - yhat| / (|y| + |yhat|) [-]."""
    y, yhat = np.asarray(y, float), np.asarray(yhat, float)
    den = np.abs(y) + np.abs(yhat)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(den > 0, 2 * np.abs(y - yhat) / den, 0.0)
    return float(np.mean(terms))


def scaled_pinball(y: np.ndarray, quantiles: dict[float, np.ndarray], scale: float) -> float:
    """Mean pinball loss over the given quantile levels, divided by ``scale`` [-].

    ``quantiles`` maps a probability in (0, 1) to the forecast quantile at each point.
    """
    y = np.asarray(y, float)
    losses = []
    for tau, q in quantiles.items():
        diff = y - np.asarray(q, float)
        losses.append(np.mean(np.maximum(tau * diff, (tau - 1) * diff)))
    return float(np.mean(losses) / scale)


def coverage(y: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """Share of points inside [lo, hi] [-]."""
    y = np.asarray(y, float)
    return float(np.mean((y >= lo) & (y <= hi)))


def interval_score(y: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float, scale: float = 1.0) -> float:
    """Mean interval score of ``[lo, hi]`` at ``level`` in (0, 1), divided by ``scale`` [-].

    ``(hi - lo) + 2 / a * (lo - y) * [y < lo] + 2 / a * (y - hi) * [y > hi]`` with
    ``a = 1 - level`` (Gneiting & Raftery 2007), averaged over the points; with ``level=0.95``
    and the in-sample seasonal-naive error as ``scale`` it is the M4 competition's MSIS.
    """
    y, lo, hi = (np.asarray(v, float) for v in (y, lo, hi))
    a = 1 - level
    score = (hi - lo) + 2 / a * np.maximum(lo - y, 0) + 2 / a * np.maximum(y - hi, 0)
    return float(np.mean(score) / scale)


def conformal_quantile(scores: np.ndarray, level: float) -> float:
    """Split-conformal quantile of non-conformity scores at ``level`` in (0, 1).

    The empirical quantile at the finite-sample rank ``(n + 1) level / n`` (capped at 1),
    interpolated linearly between order statistics; with exchangeable scores a new one falls at
    or below it with probability about ``level``. Interpolating rather than taking the next order
    statistic up keeps a handful of scores from turning an 80 % interval into a 90 % one (on the
    benchmark suite's tuning half it moved 80 % coverage from 0.85-0.90 to 0.80-0.83 with 95 %
    unchanged).
    """
    scores = np.asarray(scores, float)
    scores = scores[np.isfinite(scores)]
    if len(scores) == 0:
        return 1.0
    rank = min(1.0, (len(scores) + 1) * level / len(scores))
    return float(np.quantile(scores, rank, method="linear"))
