"""The spaces models work in: log for positive series, log1p for non-negative ones with zeros.

A positive series that grows multiplicatively is modelled in log space, where growth is a
trend and a seasonal profile a multiplicative one. Some models forecast better on the original
scale even then (an additive seasonal ETS whose seasonal states adapt to the level, a seasonal
mean): :class:`InOriginalSpace` runs such a model on the original values and hands its
forecasts back in the model space, so every candidate of a series is scored and combined alike.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["to_model_space", "from_model_space", "InOriginalSpace"]

def to_model_space(y: np.ndarray, transform: str) -> np.ndarray:
    """Values ``y`` [units of y] in the model space of ``transform`` ({"log", "log1p", "none"})."""
    y = np.asarray(y, dtype=float)
    if transform == "log":
        return np.log(y)
    if transform == "log1p":
        return np.log1p(y)
    return y


def from_model_space(z: np.ndarray, transform: str) -> np.ndarray:
    """Inverse of :func:`to_model_space` [units of y]; never negative after log1p."""
    z = np.asarray(z, dtype=float)
    if transform == "log":
        return np.exp(np.minimum(z, 700))
    if transform == "log1p":
        return np.maximum(np.expm1(np.minimum(z, 700)), 0.0)
    return z


class InOriginalSpace:
    """A statsforecast model fitted on the original values of a series given in the model space.

    Point forecasts are mapped to the model space; on a log-modelled (positive) series a forecast
    at or below zero raises ``ValueError``, which leaves the candidate out of that series'
    combination (a clipped value would be a huge negative logarithm); after log1p negative
    forecasts are clipped to 0. An interval half-width ``w`` around the point ``m`` becomes
    ``log(1 + w / m)`` on the log scale (``log(1 + w / (1 + m))`` after log1p), the exact
    distance from the mapped point to the mapped upper bound, laid symmetrically around the
    mapped point; the backtest calibration rescales widths anyway.

    Parameters
    ----------
    model : statsforecast model
        Model with ``fit``, ``predict``, ``forward`` and ``new``.
    transform : {"log", "log1p", "none"}
        The series' model space.
    alias : str
        Name of the model in forecast tables.
    """

    def __init__(self, model, transform: str, alias: str) -> None:
        self.model = model
        self.transform = transform
        self.alias = alias

    def new(self) -> InOriginalSpace:
        return InOriginalSpace(self.model.new(), self.transform, self.alias)

    def __repr__(self) -> str:
        return self.alias

    def _back(self, fc: dict, level: Sequence[int] | None) -> dict:
        mean = np.asarray(fc["mean"], dtype=float)
        if self.transform == "log" and not (mean > 0).all():
            # a positive series forecast at or below zero: no log-space forecast; the backtest
            # leaves this candidate out of the series' combination
            raise ValueError(f"{self.alias}: forecast <= 0 for a positive series")
        mean = np.maximum(mean, 0.0)
        out = {"mean": to_model_space(mean, self.transform)}
        scale = mean if self.transform == "log" else 1 + mean if self.transform == "log1p" else 1.0
        for lv in level or ():
            half = (np.asarray(fc[f"hi-{lv}"], dtype=float) - np.asarray(fc[f"lo-{lv}"], dtype=float)) / 2
            half = np.log1p(half / scale) if self.transform != "none" else half
            out[f"lo-{lv}"], out[f"hi-{lv}"] = out["mean"] - half, out["mean"] + half
        return out

    def fit(self, y: np.ndarray, X=None) -> InOriginalSpace:
        """Fit the inner model on ``from_model_space(y)``."""
        self.model_ = self.model.fit(y=from_model_space(y, self.transform))
        return self

    def predict(self, h: int, X=None, level: Sequence[int] | None = None) -> dict:
        kw = {"level": list(level)} if level else {}
        return self._back(self.model_.predict(h=h, **kw), level)

    def forward(self, y: np.ndarray, h: int, X=None, X_future=None, level: Sequence[int] | None = None,
                fitted: bool = False) -> dict:
        kw = {"level": list(level)} if level else {}
        return self._back(self.model_.forward(y=from_model_space(y, self.transform), h=h, **kw), level)
