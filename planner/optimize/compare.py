"""Commitment options for procurement, priced on the same forecast scenarios.

Options: none (all on-demand), the planner's forecast-aware level, the cloud recommenders' rule
(the 1 - R/P quantile of the last 30 days), and any quantities the user names; with a second
reserved price (e.g. 3-year), the planner's level at that price too. Each is priced exactly on
every scenario (:func:`planner.optimize.pool_cost`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.optimize.single_pool import plan_single_pool, pool_cost, recommender_rule

__all__ = ["scenarios_from_history", "compare_commitments"]


def scenarios_from_history(history: pd.DataFrame, horizon: int, freq: str, n_paths: int = 100,
                           seed: int = 0, what: str = "history",
                           recent_weight: float = 0.5) -> tuple[np.ndarray, np.ndarray, str]:
    """Demand scenarios for one pool from its history: forecast paths mixed with recent history.

    The forecaster's sample paths carry trend and seasonality; windows of the last 30 days carry
    the recent level the cloud recommenders rely on. Mixing the two (``recent_weight`` of the
    scenarios are random contiguous windows of the last 30 days, wrapping around) guards the plan
    against a forecast that misses a regime change: in ``benchmarks/plan_bench.py`` it brought
    the mean cost from 1.081x to 1.063x hindsight and the worst case against the rule from +14.5 %
    to +7.4 %.

    Parameters
    ----------
    history : pandas.DataFrame
        Long format ``unique_id, ds, y`` [units per period]; several series are added up.
    horizon : int
        Periods ahead.
    freq : str
        pandas frequency.
    n_paths : int
        Sample paths (scenarios).
    seed : int
        Seed of the paths.
    what : str
        Name of the input (e.g. its file), for error messages.
    recent_weight : float
        Share of scenarios drawn from the last 30 days, in [0, 1) (0: forecast paths only).

    Returns
    -------
    scenarios : numpy.ndarray
        (scenarios, horizon) demand [units]: ``n_paths`` forecast paths plus the recent windows.
    recent : numpy.ndarray
        The last 30 days of history [units], for the recommenders' rule.
    model : str
        The forecast model used.
    """
    from planner.forecast import forecast

    missing = [c for c in ("unique_id", "ds", "y") if c not in history.columns]
    if missing:
        raise InputError(f"{what}: the following columns are missing: {missing}")
    ds = pd.to_datetime(history["ds"], errors="coerce", format="mixed")
    y = pd.to_numeric(history["y"], errors="coerce")
    for col, bad in (("ds", ds.isna()), ("y", y.isna() | (y < 0))):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            expected = "a timestamp" if col == "ds" else "a number >= 0 (demand is never negative)"
            raise InputError(f"{what}: column {col!r} at row {row + 1} is {history[col].iloc[row]!r}; expected {expected}")
    frame = history.assign(ds=ds, y=y)
    pool = frame.groupby("ds", as_index=False)["y"].sum().assign(unique_id="pool")
    result = forecast(pool[["unique_id", "ds", "y"]], h=horizon, freq=freq, n_paths=n_paths, seed=seed)
    paths = result.paths.pivot(index="sample", columns="ds", values="y").to_numpy()
    recent = pool.loc[pool["ds"] > pool["ds"].max() - pd.Timedelta(days=30), "y"].to_numpy()
    if not 0 <= recent_weight < 1:
        raise InputError(f"recent_weight must be within [0, 1), got {recent_weight}")
    n_recent = int(round(n_paths * recent_weight / (1 - recent_weight)))
    if n_recent:
        rng = np.random.default_rng(seed + 1)
        idx = (rng.integers(0, len(recent), n_recent)[:, None] + np.arange(horizon)[None, :]) % len(recent)
        paths = np.vstack([paths, recent[idx]])
    return paths, recent, str(result.forecast["model"].iloc[0])


def compare_commitments(history: pd.DataFrame | np.ndarray, horizon: int, freq: str, on_demand_price: float,
                        reserved_price: float, quantities: Sequence[float] | None = None,
                        reserved_price_long: float | None = None, spot_price: float | None = None,
                        spot_max_share: float = 0.0, n_paths: int = 100, seed: int = 0,
                        recent: np.ndarray | None = None) -> pd.DataFrame:
    """Compare commitment options on the same scenarios.

    Parameters
    ----------
    history : pandas.DataFrame or numpy.ndarray
        Demand history (long format, forecast here) or ready scenarios (scenarios x periods).
    horizon : int
        Periods the commitment covers.
    freq : str
        pandas frequency of the history.
    on_demand_price, reserved_price : float
        Prices [USD per unit-period]; ``reserved_price_long`` a second term's (e.g. 3-year).
    quantities : sequence of float, optional
        The user's own commitment levels to compare [units].
    spot_price, spot_max_share : float, optional
        Spot recourse for every option.
    n_paths, seed : int
        Scenarios from the forecaster.
    recent : numpy.ndarray, optional
        Recent history for the rule when ``history`` is already scenarios.

    Returns
    -------
    pandas.DataFrame
        One row per option: ``option, reserved_units, reserved_price, expected_cost_usd,
        p90_cost_usd, p95_cost_usd, savings_vs_on_demand_usd, savings_vs_on_demand_pct,
        expected_utilization, stranded_cost_usd, breakeven_utilization, breakeven_periods``
        (periods of use at the expected utilization that pay for the whole commitment).
    """
    if isinstance(history, pd.DataFrame):
        scenarios, recent, _ = scenarios_from_history(history, horizon, freq, n_paths, seed)
    else:
        scenarios = np.asarray(history, float)
        recent = scenarios[0] if recent is None else np.asarray(recent, float)
    spot = {"spot": spot_price, "spot_max_share": spot_max_share}
    options = [("none (all on-demand)", 0.0, reserved_price)]
    best = plan_single_pool(scenarios, recent, on_demand_price, reserved_price, **spot)
    options.append(("planner: forecast-aware", best.reserved_units, reserved_price))
    if reserved_price_long is not None:
        longer = plan_single_pool(scenarios, recent, on_demand_price, reserved_price_long, **spot)
        options.append(("planner at the longer term's price", longer.reserved_units, reserved_price_long))
    options.append(("recommenders' rule (30-day quantile)", recommender_rule(recent, on_demand_price, reserved_price),
                    reserved_price))
    options += [(f"your quantity {q:g}", float(q), reserved_price) for q in (quantities or [])]
    od = pool_cost(0.0, scenarios, on_demand_price, reserved_price, **spot)
    rows = []
    for label, units, price in options:
        cost = pool_cost(units, scenarios, on_demand_price, price, **spot)
        used = np.minimum(scenarios, units).sum() / scenarios.shape[0]  # unit-periods used per scenario
        committed = units * scenarios.shape[1]
        util = used / committed if committed else np.nan
        rows.append({
            "option": label, "reserved_units": units, "reserved_price": price,
            "expected_cost_usd": cost.mean(), "p90_cost_usd": np.percentile(cost, 90), "p95_cost_usd": np.percentile(cost, 95),
            "savings_vs_on_demand_usd": od.mean() - cost.mean(),
            "savings_vs_on_demand_pct": (1 - cost.mean() / od.mean()) * 100 if od.mean() else 0.0,
            "expected_utilization": util, "stranded_cost_usd": price * (committed - used),
            "breakeven_utilization": price / on_demand_price,
            "breakeven_periods": scenarios.shape[1] * price / (on_demand_price * util) if units > 0 and util > 0 else np.nan,
        })
    return pd.DataFrame(rows)
