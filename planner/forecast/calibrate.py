"""Interval calibration per lead time on the backtest errors (split conformal).

The backtest gives, for every origin and lead time, the error of the combined point forecast and
the combined models' own interval half-width. The leads are grouped into up to :data:`N_BANDS` bands
(quarters of the backtest horizon, fewer when a band would hold under :data:`MIN_BAND_ERRORS` errors), and per band and level one factor is the conformal quantile
of the errors' non-conformity scores:

- ``scaled``: ``|error| / model half-width`` (the interval keeps the models' growth over the
  horizon and is widened or narrowed to the coverage the backtest saw at those leads);
- ``flat``: ``|error|`` (the half-width is what the backtest saw at those leads).

Factors never fall from one band to the next, so an interval never narrows with the lead. The
method with the lower leave-one-window-out interval score wins for the series, and the coverage
reported is leave-one-window-out too (measured on windows the calibration did not see).

Leads past the backtest horizon (a history too short to backtest the whole horizon) keep the last
band's factor: ``scaled`` on the models' own half-width there, ``flat`` times
``sqrt(lead / backtest horizon)`` (a random walk's growth). Errors are measured in the model
space for positive series (log: relative errors, so a band scales with a growing level) and on
the original values for series with zeros (log1p would turn a 0 into an error of the size of
the level, and exponentiate it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from planner.forecast.metrics import conformal_quantile
from planner.forecast.spaces import from_model_space

__all__ = ["N_BANDS", "Calibration", "calibrate", "apply", "band_of"]

#: Bands of lead times calibrated apart (quarters of the backtest horizon) ...
N_BANDS = 4
#: ... each holding at least this many backtest errors (fewer bands otherwise): a conformal
#: quantile of a handful of errors is their maximum and covers less than it promises.
MIN_BAND_ERRORS = 15


@dataclass
class Calibration:
    """How one series' intervals are widened, per level and band of lead times.

    Attributes
    ----------
    method : {"scaled", "flat"}
    space : {"model", "original"}
        Where errors are measured: the model space (log for positive series) or the original values.
    h : int
        Backtest horizon [periods] the bands divide.
    n_windows : int
        Backtest windows (with ``h``, how many bands there are).
    factors : dict of int to numpy.ndarray
        Level -> one factor per band (non-decreasing).
    ceiling : numpy.ndarray
        Per band, the largest absolute backtest error at those leads or before (calibration
        space): no half-width is wider, past the backtest horizon times ``sqrt(lead / h)``.
    rho : float
        Lag-1 correlation of the standardized backtest errors (for sample paths).
    coverage : dict of int to float
        Level -> leave-one-window-out coverage of the backtest.
    bands : dict of int to tuple of numpy.ndarray
        Level -> leave-one-window-out (lo, hi) on the original values, shape (windows, h).
    """

    method: str
    space: str
    h: int
    n_windows: int
    factors: dict[int, np.ndarray]
    ceiling: np.ndarray = field(default_factory=lambda: np.array([np.inf]))
    rho: float = 0.5
    coverage: dict[int, float] = field(default_factory=dict)
    bands: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


def band_of(h_bt: int, h: int, n_windows: int = 1) -> np.ndarray:
    """Band index of each of ``h`` leads (0-based) for a backtest of ``n_windows`` windows of
    ``h_bt``; leads past ``h_bt`` belong to the last band."""
    nb = max(1, min(N_BANDS, h_bt, n_windows * h_bt // MIN_BAND_ERRORS))
    lead = np.minimum(np.arange(h), h_bt - 1)
    return np.minimum(lead * nb // h_bt, nb - 1)


def _space(transform: str) -> str:
    return "original" if transform == "log1p" else "model"


def _unit(point: np.ndarray, hw: np.ndarray, transform: str, method: str) -> np.ndarray:
    """The half-width a factor multiplies, in the calibration space (NaN where not positive)."""
    if method == "flat":
        unit = np.ones_like(point)
    elif _space(transform) == "original":
        unit = from_model_space(point + hw, transform) - from_model_space(point, transform)
    else:
        unit = hw
    return np.where(unit > 0, unit, np.nan)


def _errors(actual: np.ndarray, point: np.ndarray, transform: str) -> np.ndarray:
    """Signed errors in the calibration space."""
    if _space(transform) == "original":
        return from_model_space(actual, transform) - from_model_space(point, transform)
    return actual - point


def _factors(ratio: np.ndarray, level: float, bands: np.ndarray) -> np.ndarray:
    f = np.array([conformal_quantile(ratio[:, bands == b].ravel(), level) for b in range(bands.max() + 1)])
    return np.maximum.accumulate(f)


def _bounds(point: np.ndarray, unit: np.ndarray, factor: np.ndarray, transform: str):
    """(lo, hi) on the original values from a point in the model space and a calibrated half-width."""
    half = factor * np.nan_to_num(unit)
    if _space(transform) == "original":
        p = from_model_space(point, transform)
        return np.maximum(p - half, 0.0) if transform != "none" else p - half, p + half
    return from_model_space(point - half, transform), from_model_space(point + half, transform)


def calibrate(actual: np.ndarray, point: np.ndarray, hw: dict[int, np.ndarray], transform: str,
              level: Sequence[int]) -> Calibration:
    """Calibrate one series' intervals on its backtest.

    Parameters
    ----------
    actual, point : numpy.ndarray
        Shape (windows, h): the actual values and the combined point forecasts, in the model space.
    hw : dict of int to numpy.ndarray
        Level -> the combined models' interval half-widths, shape (windows, h), model space.
    transform : {"log", "log1p", "none"}
    level : sequence of int
        Interval levels [%].

    Returns
    -------
    Calibration
    """
    n_win, h = actual.shape
    bands = band_of(h, h, n_win)
    options = {}
    for method in ("scaled", "flat"):
        factors, lowo, score = {}, {}, 0.0
        for lv in level:
            unit = _unit(point, hw[lv], transform, method)
            ratio = np.abs(_errors(actual, point, transform)) / unit
            factors[lv] = _factors(ratio, lv / 100, bands)
            lo, hi = np.empty_like(point), np.empty_like(point)
            for w in range(n_win):
                others = np.arange(n_win) != w
                f = _factors(ratio[others], lv / 100, bands) if n_win > 1 else factors[lv]
                lo[w], hi[w] = _bounds(point[w], unit[w], f[bands], transform)
            y = from_model_space(actual, transform)
            alpha = 1 - lv / 100
            score += float(np.mean(hi - lo + 2 / alpha * (np.maximum(lo - y, 0) + np.maximum(y - hi, 0))))
            lowo[lv] = (lo, hi)
        options[method] = (score, factors, lowo)
    method = min(options, key=lambda m: options[m][0])
    _, factors, lowo = options[method]
    y = from_model_space(actual, transform)
    coverage = {lv: float(np.mean((y >= lo) & (y <= hi))) for lv, (lo, hi) in lowo.items()}
    errors = _errors(actual, point, transform)
    ceiling = np.maximum.accumulate([np.max(np.abs(errors[:, bands == b])) for b in range(bands.max() + 1)])
    signed = errors / _unit(point, hw[level[0]], transform, method)
    return Calibration(method, _space(transform), h, n_win, factors, ceiling, _lag1(signed), coverage, lowo)


def apply(cal: Calibration, point: np.ndarray, hw: dict[int, np.ndarray], transform: str) -> dict[str, np.ndarray]:
    """Calibrated bounds of a forecast: ``{"lo-L", "hi-L"}`` on the original values.

    ``point`` and ``hw`` (level -> half-width) are the combined models' forecast from the end of
    the history, in the model space, one value per lead. No half-width exceeds the backtest's
    largest error at those leads (:attr:`Calibration.ceiling`), so a model whose variance
    explodes past the backtest horizon cannot make a band the data never showed.
    """
    h = len(point)
    bands = band_of(cal.h, h, cal.n_windows)
    growth = np.sqrt(np.maximum(1.0, (np.arange(h) + 1) / cal.h))
    ceiling = cal.ceiling[bands] * growth
    out = {}
    for lv, factor in cal.factors.items():
        unit = _unit(point, hw[lv], transform, cal.method)
        scale = factor[bands] * (growth if cal.method == "flat" else 1.0)
        half = np.minimum(scale * np.nan_to_num(unit), ceiling)
        out[f"lo-{lv}"], out[f"hi-{lv}"] = _bounds(point, np.ones(h), half, transform)
    return out


def _lag1(u: np.ndarray) -> float:
    """Lag-1 correlation of errors within windows (rows), clipped to [0, 0.98]; 0.5 when unknown."""
    a, b = u[:, :-1].ravel(), u[:, 1:].ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return 0.5
    return float(np.clip(np.corrcoef(a[ok], b[ok])[0, 1], 0.0, 0.98))
