"""Seasonally adjusted forecasting: remove fixed seasonal profiles, forecast the rest, add them back.

A seasonal ETS model estimates one initial state per phase of the season together with its
smoothing parameters, which makes its optimizer slow (7 states for daily data, 24 or 168 for
hourly). :class:`Deseasonalized` estimates the profiles once, in closed form, and leaves a
non-seasonal model (a handful of parameters) to the seasonally adjusted series:

- trend: centered moving average over one season (2 x s for even s);
- profile of season ``s``: per phase, the median of (value - trend) over the whole cycles where
  the trend is defined (the median keeps bursts and outages out of the profile), centred to
  mean 0; ``forward`` re-estimates the profiles on the longer history (closed form, cheap);
- several seasons (e.g. 24 and 168 hours) are removed one after the other, shortest first, each
  from what the previous ones left.

The model works in whatever space it is given (log space for positive series, where an additive
profile is a multiplicative one). Positions count from the start of the series, so ``forward``
on a longer history of the same series keeps the phases.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["Deseasonalized", "ThetaSES", "SeasonalMean", "seasonal_profile"]


def seasonal_profile(y: np.ndarray, season: int) -> np.ndarray:
    """Additive seasonal profile of ``y`` for period ``season`` [units of y], mean 0.

    Phase ``p`` of the profile belongs to positions ``t`` with ``t % season == p``. Zeros when
    the history holds less than two seasons.
    """
    y = np.asarray(y, dtype=float)
    n = len(y)
    if season < 2 or n < 2 * season:
        return np.zeros(max(season, 1))
    if season % 2:
        kernel = np.full(season, 1.0 / season)
    else:
        kernel = np.r_[0.5, np.ones(season - 1), 0.5] / season
    trend = np.convolve(y, kernel, mode="valid")
    half = (len(kernel) - 1) // 2
    detrended = y[half:half + len(trend)] - trend
    cycles = len(trend) // season  # whole cycles, the most recent ones
    start = half + len(trend) - cycles * season
    median = np.median(detrended[len(trend) - cycles * season:].reshape(cycles, season), axis=0)
    profile = np.empty(season)
    profile[(start + np.arange(season)) % season] = median
    return profile - profile.mean()


class Deseasonalized:
    """A non-seasonal statsforecast model on the seasonally adjusted series.

    Parameters
    ----------
    model : statsforecast model
        Non-seasonal model with ``fit``, ``predict`` and ``forward`` (e.g. ``AutoETS(model="AAN",
        damped=True)``).
    seasons : sequence of int
        Seasonal periods [periods] whose profiles are removed.
    alias : str
        Name of the model in forecast tables.
    """

    def __init__(self, model, seasons: Sequence[int], alias: str) -> None:
        self.model = model
        self.seasons = tuple(int(s) for s in seasons)
        self.alias = alias

    def new(self) -> Deseasonalized:
        return Deseasonalized(self.model.new(), self.seasons, self.alias)

    def __repr__(self) -> str:
        return self.alias

    def _seasonal(self, start: int, length: int) -> np.ndarray:
        t = np.arange(start, start + length)
        return sum((p[t % len(p)] for p in self.profiles_), np.zeros(length))

    def _adjust(self, y: np.ndarray) -> np.ndarray:
        rest, self.profiles_ = y.copy(), []
        for s in sorted(self.seasons):
            profile = seasonal_profile(rest, s)
            self.profiles_.append(profile)
            rest = rest - profile[np.arange(len(y)) % s]
        return rest

    def fit(self, y: np.ndarray, X=None) -> Deseasonalized:
        """Estimate the profiles on ``y`` and fit the inner model on the adjusted series."""
        y = np.asarray(y, dtype=float)
        self.n_ = len(y)
        self.model_ = self.model.fit(y=self._adjust(y))
        return self

    def _add(self, fc: dict, start: int, h: int) -> dict:
        seasonal = self._seasonal(start, h)
        return {k: np.asarray(v, dtype=float) + seasonal for k, v in fc.items()}

    def predict(self, h: int, X=None, level: Sequence[int] | None = None) -> dict:
        """Forecast ``h`` periods after the fitted history."""
        kw = {"level": list(level)} if level else {}
        return self._add(self.model_.predict(h=h, **kw), self.n_, h)

    def forward(self, y: np.ndarray, h: int, X=None, X_future=None, level: Sequence[int] | None = None,
                fitted: bool = False) -> dict:
        """Forecast ``h`` periods after ``y`` (the same series, any length) with the fitted profiles
        and parameters."""
        y = np.asarray(y, dtype=float)
        kw = {"level": list(level)} if level else {}
        rest = self._adjust(y)
        return self._add(self.model_.forward(y=rest, h=h, **kw), len(y), h)


class ThetaSES:
    """The standard Theta method as simple exponential smoothing with drift (Hyndman & Billah, 2003).

    ``y(n+h) = l(n) + b / 2 * (h - 1 + 1 / alpha - (1 - alpha)^n / alpha)``, where ``l`` and
    ``alpha`` come from an optimized ETS(A,N,N) and ``b`` is the least-squares slope of the fitted
    history [units of y per period]. Intervals are ETS(A,N,N)'s, shifted by the drift. ``alpha`` and
    ``b`` are parameters: ``forward`` keeps them. Use on seasonally adjusted data
    (:class:`Deseasonalized`); it is about ten times faster than statsforecast's Theta models.
    """

    alias = "ThetaSES"

    def new(self) -> ThetaSES:
        return ThetaSES()

    def fit(self, y: np.ndarray, X=None) -> ThetaSES:
        from statsforecast.models import AutoETS

        y = np.asarray(y, dtype=float)
        t = np.arange(len(y), dtype=float)
        self.slope_ = float(np.polyfit(t, y, 1)[0]) if len(y) > 2 else 0.0
        self.ses_ = AutoETS(model="ANN").fit(y=y)
        self.alpha_ = float(min(max(self.ses_.model_["par"][0], 1e-4), 1.0))
        self.n_ = len(y)
        return self

    def _shift(self, fc: dict, n: int, h: int) -> dict:
        a = self.alpha_
        drift = self.slope_ / 2 * (np.arange(h) + 1 / a - (1 - a) ** n / a)
        return {k: np.asarray(v, dtype=float) + drift for k, v in fc.items()}

    def predict(self, h: int, X=None, level: Sequence[int] | None = None) -> dict:
        kw = {"level": list(level)} if level else {}
        return self._shift(self.ses_.predict(h=h, **kw), self.n_, h)

    def forward(self, y: np.ndarray, h: int, X=None, X_future=None, level: Sequence[int] | None = None,
                fitted: bool = False) -> dict:
        kw = {"level": list(level)} if level else {}
        return self._shift(self.ses_.forward(y=np.asarray(y, dtype=float), h=h, **kw), len(y), h)


class SeasonalMean:
    """Mean of the last ``k`` seasons at each phase (statsforecast's SeasonalWindowAverage) with
    a closed-form ``forward`` and intervals.

    ``y(n+j) = mean(y(n+j-s), y(n+j-2s), ..., y(n+j-ks))``. The interval half-width at level
    ``L`` is ``z_L * sigma`` at every step, ``sigma`` being the root mean square of the same
    rule's in-sample forecast errors [units of y] (which already include the noise of the mean);
    ``sigma`` is a parameter, ``forward`` keeps it.

    Parameters
    ----------
    season : int
        Seasonal period [periods].
    k : int
        Seasons averaged.
    alias : str
        Name of the model in forecast tables.
    """

    def __init__(self, season: int, k: int = 2, alias: str = "SeasonalMean") -> None:
        self.season, self.k, self.alias = int(season), int(k), alias

    def new(self) -> SeasonalMean:
        return SeasonalMean(self.season, self.k, self.alias)

    def __repr__(self) -> str:
        return self.alias

    def _mean(self, y: np.ndarray, h: int) -> np.ndarray:
        s, k = self.season, self.k
        if len(y) < s * k:
            raise ValueError(f"{self.alias} needs {s * k} points to forecast, got {len(y)}")
        last = y[-s * k:].reshape(k, s).mean(axis=0)
        return np.resize(last, h)

    def fit(self, y: np.ndarray, X=None) -> SeasonalMean:
        """Estimate the in-sample error scale; needs ``k + 1`` seasons."""
        y = np.asarray(y, dtype=float)
        s, k = self.season, self.k
        if len(y) < s * (k + 1):
            raise ValueError(f"{self.alias} needs {s * (k + 1)} points, got {len(y)}")
        lagged = np.mean([y[s * (k - i): len(y) - s * i] for i in range(1, k + 1)], axis=0)
        self.sigma_ = float(np.sqrt(np.mean((y[s * k:] - lagged) ** 2)))
        self.y_ = y
        return self

    def predict(self, h: int, X=None, level: Sequence[int] | None = None) -> dict:
        return self.forward(self.y_, h, level=level)

    def forward(self, y: np.ndarray, h: int, X=None, X_future=None, level: Sequence[int] | None = None,
                fitted: bool = False) -> dict:
        from scipy.stats import norm

        mean = self._mean(np.asarray(y, dtype=float), h)
        out = {"mean": mean}
        for lv in level or ():
            half = norm.ppf(0.5 + lv / 200) * self.sigma_
            out[f"lo-{lv}"], out[f"hi-{lv}"] = mean - half, mean + half
        return out
