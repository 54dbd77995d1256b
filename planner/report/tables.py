"""The tables the monthly report shows: last forecast against actuals, projected spend, growth changes.

Budgets (amounts, thresholds, alerts) are :mod:`planner.finops.budgets`.

Pure functions over Nixtla long-format frames (``unique_id, ds, y``) and forecast tables of the
forecast contract (``unique_id, ds, forecast, lo-80, hi-80, lo-95, hi-95``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from planner.exceptions import InputError

__all__ = ["forecast_vs_actual", "budget_burn", "growth_changes"]


def _need(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: missing column(s) {missing}; found {list(frame.columns)}")


def forecast_vs_actual(forecast: pd.DataFrame, actuals: pd.DataFrame,
                       levels: Sequence[int] = (80, 95)) -> pd.DataFrame:
    """Score a saved forecast on the periods that have since been observed.

    Parameters
    ----------
    forecast : pandas.DataFrame
        ``unique_id, ds, forecast`` and ``lo-<level>, hi-<level>`` for each level.
    actuals : pandas.DataFrame
        ``unique_id, ds, y`` in the same unit.
    levels : sequence of int
        Interval levels to check [%].

    Returns
    -------
    pandas.DataFrame
        One row per series found in both: ``periods`` matched, ``actual`` and ``forecast`` totals,
        ``error_pct`` = 100 (forecast - actual) / actual of the totals, ``mape_pct`` the mean
        absolute percentage error over periods with nonzero actuals, and ``inside_<level>_pct`` the
        share of periods whose actual fell inside the interval (expected about ``level``).
    """
    _need(forecast, ["unique_id", "ds", "forecast"], "forecast table")
    _need(actuals, ["unique_id", "ds", "y"], "actuals")
    m = forecast.merge(actuals[["unique_id", "ds", "y"]], on=["unique_id", "ds"], how="inner")
    cols = ["unique_id", "periods", "actual", "forecast", "error_pct", "mape_pct",
            *[f"inside_{lv}_pct" for lv in levels]]
    if m.empty:
        return pd.DataFrame(columns=cols)
    nz = m["y"] != 0
    m["ape"] = np.where(nz, (m["forecast"] - m["y"]).abs() / m["y"].abs().where(nz, 1.0), np.nan)
    for lv in levels:
        lo, hi = f"lo-{lv}", f"hi-{lv}"
        m[f"inside_{lv}_pct"] = ((m["y"] >= m[lo]) & (m["y"] <= m[hi])).astype(float) * 100 \
            if lo in m and hi in m else np.nan
    g = m.groupby("unique_id").agg(
        periods=("y", "size"), actual=("y", "sum"), forecast=("forecast", "sum"),
        mape_pct=("ape", "mean"), **{f"inside_{lv}_pct": (f"inside_{lv}_pct", "mean") for lv in levels},
    ).reset_index()
    g["mape_pct"] *= 100
    g["error_pct"] = 100 * (g["forecast"] - g["actual"]) / g["actual"].where(g["actual"] != 0)
    return g[cols]


def budget_burn(forecast: pd.DataFrame, unit_price_usd: float | Mapping[str, float], spent_usd: float = 0.0,
                level: int = 95) -> pd.DataFrame:
    """Projected cumulative spend over the forecast horizon, all series together.

    Spend per period = forecast quantity x the series' price. The band sums the per-series
    interval bounds, which assumes the series move together: it is the widest (comonotonic)
    envelope, wider than the interval of the total when series are independent.

    Parameters
    ----------
    forecast : pandas.DataFrame
        ``unique_id, ds, forecast, lo-<level>, hi-<level>`` of quantities (tokens, GPU-h, USD...).
    unit_price_usd : float or mapping
        Price of one unit of the forecast quantity [USD/unit], one for all series or per
        ``unique_id`` (series not in the mapping are left out: they have no USD figure); see
        :func:`planner.report.pricing.spend_rates` for where a report's prices come from.
    spent_usd : float
        Spend already booked before the first forecast period [USD], added to the cumulative sums.
    level : int
        Interval level of the band [%].

    Returns
    -------
    pandas.DataFrame
        ``ds, spend_usd, cum_usd, cum_lo_usd, cum_hi_usd`` [USD], cumulative from ``spent_usd``.
    """
    lo, hi = f"lo-{level}", f"hi-{level}"
    _need(forecast, ["ds", "forecast", lo, hi], "forecast table")
    if isinstance(unit_price_usd, Mapping):
        bad = {k: v for k, v in unit_price_usd.items() if not np.isfinite(v) or v < 0}
        if bad:
            raise InputError(f"unit prices must be numbers >= 0; got {bad}")
        _need(forecast, ["unique_id"], "forecast table")
        price = forecast["unique_id"].map(unit_price_usd)
        forecast = forecast[price.notna()]
        price = price[price.notna()]
    else:
        if not np.isfinite(unit_price_usd) or unit_price_usd < 0:
            raise InputError(f"unit_price_usd must be >= 0, got {unit_price_usd}")
        price = pd.Series(unit_price_usd, index=forecast.index)
    usd = forecast[["forecast", lo, hi]].multiply(price, axis=0).assign(ds=forecast["ds"])
    usd[lo] = usd[lo].clip(lower=0)
    per = usd.groupby("ds")[["forecast", lo, hi]].sum().sort_index()
    out = pd.DataFrame({"ds": per.index, "spend_usd": per["forecast"].to_numpy()})
    out["cum_usd"] = spent_usd + per["forecast"].cumsum().to_numpy()
    out["cum_lo_usd"] = spent_usd + per[lo].cumsum().to_numpy()
    out["cum_hi_usd"] = spent_usd + per[hi].cumsum().to_numpy()
    return out


def growth_changes(series: pd.DataFrame, window: int = 7, threshold_pct: float = 20.0) -> pd.DataFrame:
    """Series whose growth changed: the last window against the one before, and that against the
    one before it.

    ``recent_growth_pct`` = 100 (mean of the last ``window`` periods / mean of the previous
    ``window`` - 1); ``earlier_growth_pct`` the same one window earlier; ``change_pp`` their
    difference [percentage points]; ``changed`` when ``|change_pp| >= threshold_pct``. Series with
    fewer than ``3 * window`` periods, or a zero mean in a window, are left out.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, recent_growth_pct, earlier_growth_pct, change_pp, changed``, largest
        ``|change_pp|`` first.
    """
    _need(series, ["unique_id", "ds", "y"], "series")
    if window < 1:
        raise InputError(f"window must be >= 1 period, got {window}")
    rows = []
    for uid, g in series.sort_values("ds").groupby("unique_id"):
        y = g["y"].to_numpy(dtype=float)
        if len(y) < 3 * window:
            continue
        a, b, c = y[-3 * window:-2 * window].mean(), y[-2 * window:-window].mean(), y[-window:].mean()
        if a == 0 or b == 0:
            continue
        recent, earlier = 100 * (c / b - 1), 100 * (b / a - 1)
        rows.append((uid, recent, earlier, recent - earlier))
    out = pd.DataFrame(rows, columns=["unique_id", "recent_growth_pct", "earlier_growth_pct", "change_pp"])
    out["changed"] = out["change_pp"].abs() >= threshold_pct
    return out.reindex(out["change_pp"].abs().sort_values(ascending=False).index).reset_index(drop=True)
