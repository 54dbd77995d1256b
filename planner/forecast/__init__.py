"""Demand forecasting: per-series model choice by backtest, calibrated intervals, sample paths.

:func:`forecast` (or :class:`Forecaster`) takes Nixtla long format (``unique_id, ds, y``) at any
regular frequency and returns a :class:`ForecastResult`.
"""

from planner.forecast.drivers import Driver, apply_drivers, growth, s_curve, shift, step
from planner.forecast.engine import Forecaster, forecast
from planner.forecast.hierarchy import forecast_hierarchy, hierarchy_sums
from planner.forecast.profile import disaggregate, forecast_long, intraday_profile
from planner.forecast.result import ForecastResult

__all__ = [
    "forecast",
    "Forecaster",
    "ForecastResult",
    "forecast_long",
    "forecast_hierarchy",
    "hierarchy_sums",
    "intraday_profile",
    "disaggregate",
    "Driver",
    "apply_drivers",
    "growth",
    "step",
    "s_curve",
    "shift",
]
