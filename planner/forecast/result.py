"""The result of a forecast run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd

__all__ = ["ForecastResult"]


@dataclass
class ForecastResult:
    """Forecasts, sample paths and backtest accuracy of one run.

    Attributes
    ----------
    forecast : pandas.DataFrame
        ``unique_id, ds, forecast, lo-<L>, hi-<L>`` for each level, ``model``. ``forecast`` is the
        median; intervals are calibrated on the backtest and never negative for non-negative
        series. With drivers, ``statistical`` holds the forecast before them and one column per
        driver its effect.
    paths : pandas.DataFrame
        ``unique_id, ds, sample, y``: sample paths whose per-period quantiles match the intervals
        and whose errors are correlated across periods (empty when none were asked for).
    backtest : pandas.DataFrame
        Per series: chosen model, backtest horizon and windows, MASE, sMAPE, scaled pinball and
        interval coverage of the chosen model, the seasonal-naive MASE and the ratio of the two.
    drivers : pandas.DataFrame
        The judgmental adjustments applied (empty when none).
    settings : dict
        Inputs and settings of the run (frequency, horizon, levels, windows...).
    created_at : datetime
        When the run finished (UTC).
    """

    forecast: pd.DataFrame
    paths: pd.DataFrame
    backtest: pd.DataFrame
    settings: dict
    drivers: pd.DataFrame = field(default_factory=pd.DataFrame)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC).replace(tzinfo=None))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The result's tables by name, e.g. for :meth:`planner.store.Store.save_snapshot`."""
        out = {"forecast": self.forecast, "backtest": self.backtest}
        if not self.paths.empty:
            out["paths"] = self.paths
        if not self.drivers.empty:
            out["drivers"] = self.drivers
        return out

    def save(self, store, label: str = "", replace: bool = True) -> int:
        """Save this run as a ``forecast`` snapshot in a :class:`planner.store.Store`; return its id.

        With a label and ``replace``, an earlier run saved under the same label is replaced.
        """
        return store.save_snapshot("forecast", self.tables(),
                                   {**self.settings, "created_at": self.created_at.isoformat()}, label, replace)

    def summary(self) -> pd.DataFrame:
        """One row per series: model, horizon total, backtest MASE vs seasonal naive, coverage."""
        totals = self.forecast.groupby("unique_id", as_index=False).agg(model=("model", "first"),
                                                                      horizon_total=("forecast", "sum"))
        keep = [c for c in self.backtest.columns if c in ("unique_id", "mase", "mase_vs_seasonal_naive")
                or c.startswith("coverage")]
        return totals.merge(self.backtest[keep], on="unique_id", how="left")
