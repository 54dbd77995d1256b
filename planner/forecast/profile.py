"""Long horizons from fine data: forecast daily totals, spread them with a learned intraday profile.

A 12-month hourly forecast is both slow and poor; capacity planning needs the daily volume and
the hourly peak. :func:`intraday_profile` learns, per series, the share of each hour in its day by
weekday over the last weeks; :func:`disaggregate` multiplies daily forecasts by it, so the hours
of a day add up exactly to the day's forecast and the hourly peak is recoverable.
"""

from __future__ import annotations

import pandas as pd

from planner.exceptions import InputError
from planner.forecast.engine import forecast
from planner.forecast.result import ForecastResult

__all__ = ["intraday_profile", "disaggregate", "forecast_long"]


def intraday_profile(hourly: pd.DataFrame, weeks: int = 4) -> pd.DataFrame:
    """Share of each hour in its day, by series and weekday, over the last ``weeks`` weeks.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, weekday (0=Monday), hour, share``; shares of a (series, weekday) add to 1.
    """
    h = hourly.copy()
    h["day"] = h["ds"].dt.floor("D")
    last = h.groupby("unique_id")["day"].transform("max")
    h = h[h["day"] > last - pd.Timedelta(weeks=weeks)]
    daily = h.groupby(["unique_id", "day"])["y"].transform("sum")
    h["share"] = (h["y"] / daily).where(daily > 0)
    h["weekday"], h["hour"] = h["ds"].dt.weekday, h["ds"].dt.hour
    prof = h.groupby(["unique_id", "weekday", "hour"], as_index=False)["share"].mean()
    full = pd.MultiIndex.from_product([prof["unique_id"].unique(), range(7), range(24)],
                                      names=["unique_id", "weekday", "hour"]).to_frame(index=False)
    prof = full.merge(prof, how="left")
    prof["share"] = prof["share"].fillna(1 / 24)
    prof["share"] /= prof.groupby(["unique_id", "weekday"])["share"].transform("sum")
    return prof


def disaggregate(daily_forecast: pd.DataFrame, profile: pd.DataFrame) -> pd.DataFrame:
    """Spread daily forecasts (point and interval bounds) over hours with ``profile``.

    The hourly bounds are the daily bounds times the hour's share: they bound each hour's share of
    the day, not independent hourly extremes.
    """
    values = [c for c in daily_forecast.columns if c == "forecast" or c.startswith(("lo-", "hi-"))]
    d = daily_forecast.assign(weekday=daily_forecast["ds"].dt.weekday)
    out = d.merge(profile, on=["unique_id", "weekday"], how="left")
    if out["share"].isna().any():
        raise InputError("no intraday profile for some series; give hourly history for every series")
    out["ds"] = out["ds"] + pd.to_timedelta(out["hour"], unit="h")
    out[values] = out[values].mul(out["share"], axis=0)
    return out.drop(columns=["weekday", "hour", "share"]).sort_values(["unique_id", "ds"]).reset_index(drop=True)


def forecast_long(hourly: pd.DataFrame, days: int, level=(80, 95), profile_weeks: int = 4,
                  **kwargs) -> tuple[ForecastResult, pd.DataFrame]:
    """Forecast ``days`` days from hourly history: daily model, hourly shape.

    Parameters
    ----------
    hourly : pandas.DataFrame
        ``unique_id, ds, y`` at hourly frequency.
    days : int
        Horizon [days].
    level : sequence of int
        Interval levels [%].
    profile_weeks : int
        Weeks of history the intraday profile is learned from.
    **kwargs
        Passed to :func:`planner.forecast.forecast` (e.g. ``n_paths``).

    Returns
    -------
    daily : ForecastResult
        The daily forecast (only whole days of history are used).
    hourly : pandas.DataFrame
        Hourly forecast whose hours add up to each day's forecast.
    """
    h = hourly.assign(day=hourly["ds"].dt.floor("D"))
    counts = h.groupby(["unique_id", "day"])["y"].transform("size")
    whole = h[counts == 24]
    daily = whole.groupby(["unique_id", "day"], as_index=False)["y"].sum().rename(columns={"day": "ds"})
    result = forecast(daily, h=days, freq="D", level=level, **kwargs)
    return result, disaggregate(result.forecast, intraday_profile(whole[["unique_id", "ds", "y"]], profile_weeks))
