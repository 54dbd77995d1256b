"""Forecasts of histories too short to backtest: seasonal naive, intervals from the history itself.

With no backtest to calibrate on, the interval at each lead is the conformal quantile of the
history's own changes over the lag the forecast reaches back: for seasonal naive with season
``s`` the lead-``j`` forecast repeats the value ``L = s * ceil(j / s)`` periods earlier, so the
half-width at lead ``j`` is the quantile of ``|x(t) - x(t - L)|`` over the history (naive:
``L = j``). Where the history is shorter than ``L`` the longest lag it holds is used. So the band
is as wide as the series has actually moved over that span, never the explosion a model's
variance formula gives a one-day history over a year; it never narrows with the lead. Changes
are measured in the model space (log) for positive series and on the original values otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.forecast.metrics import conformal_quantile
from planner.forecast.spaces import from_model_space, to_model_space

__all__ = ["short_history"]


def short_history(y: np.ndarray, transform: str, season: int, h: int, level: Sequence[int]) -> dict[str, np.ndarray]:
    """Seasonal naive (naive when ``season`` < 2 or the history holds one season or less) with
    intervals from the history's own changes.

    Parameters
    ----------
    y : numpy.ndarray
        The history [units of y], oldest first, at least one value.
    transform : {"log", "log1p", "none"}
        The series' model space (``log``: changes are measured as ratios).
    season : int
        Seasonal period [periods].
    h : int
        Horizon [periods].
    level : sequence of int
        Interval levels [%].

    Returns
    -------
    dict
        ``forecast``, ``lo-L``, ``hi-L``: arrays of ``h`` [units of y].
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    s = season if season > 1 and n > season else 1
    lead = np.arange(1, h + 1)
    lag = s * np.ceil(lead / s).astype(int)
    src = n - s + (lead - 1) % s
    logspace = transform == "log"
    x = to_model_space(y, "log") if logspace else y
    point = x[src]
    longest = (n - 1) // s * s if n > s else n - 1
    out = {"forecast": from_model_space(point, "log") if logspace else point}
    for lv in level:
        half = np.zeros(h)
        for k in np.unique(np.minimum(lag, longest)):
            if k >= 1:
                half[np.minimum(lag, longest) == k] = conformal_quantile(np.abs(x[k:] - x[:-k]), lv / 100)
        half = np.maximum.accumulate(half)
        if logspace:
            out[f"lo-{lv}"], out[f"hi-{lv}"] = from_model_space(point - half, "log"), from_model_space(point + half, "log")
        else:
            lo = point - half
            out[f"lo-{lv}"], out[f"hi-{lv}"] = (np.maximum(lo, 0) if (y >= 0).all() else lo), point + half
    return out
