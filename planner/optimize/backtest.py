"""Backtest a reservation: plan from history up to a cutoff, price it on what really happened.

The plan (scenarios from :func:`~planner.optimize.demand_scenarios.build_scenarios` on the history
up to the cutoff only -> :func:`plan_single_pool`), the cloud recommenders' rule (the
1 - R/P quantile of the 30 days before the cutoff) and all-on-demand are priced on the realized
demand of the next ``horizon`` periods, next to the hindsight-optimal reservation (the same LP
solved on the realized demand). Costs are reported relative to hindsight.
"""

from __future__ import annotations

import pandas as pd

from planner.exceptions import InputError
from planner.optimize.demand_scenarios import GATE_T, build_scenarios
from planner.optimize.single_pool import plan_single_pool, pool_cost, recommender_rule

__all__ = ["backtest_plan"]


def backtest_plan(history: pd.DataFrame, cutoffs: list, horizon: int, freq: str, on_demand_price: float,
                  reserved_price: float, spot_price: float | None = None, spot_max_share: float = 0.0,
                  n_paths: int = 100, method: str = "auto", inner_origins: int = 4,
                  gate_t: float = GATE_T) -> pd.DataFrame:
    """Plan at each cutoff from the history before it; price every plan on the realized demand.

    Parameters
    ----------
    history : pandas.DataFrame
        Long format ``unique_id, ds, y`` [units per period] covering the cutoffs plus ``horizon``.
    cutoffs : list
        Last timestamps of the history each plan may see.
    horizon : int
        Periods each reservation covers.
    freq : str
        pandas frequency.
    on_demand_price, reserved_price, spot_price : float
        Prices [USD per unit-period].
    spot_max_share : float
        Spot cap [0-1].
    n_paths : int
        Forecast scenarios per plan.
    method : str
        How scenarios are built (:func:`~planner.optimize.demand_scenarios.build_scenarios`); the
        inner backtest of ``"auto"`` runs on the history before the cutoff only.
    inner_origins : int
        Origins of that inner backtest.
    gate_t : float
        The t statistic the forecast paths must beat there to enter.

    Returns
    -------
    pandas.DataFrame
        Per cutoff: reserved units of planner / rule / hindsight, realized cost [USD] of planner,
        rule, all-on-demand and hindsight, each cost divided by hindsight's, the forecast model and
        whether its paths entered the scenarios.
    """
    frame = history.assign(ds=pd.to_datetime(history["ds"]))
    pool = frame.groupby("ds", as_index=False)["y"].sum().assign(unique_id="pool").sort_values("ds", ignore_index=True)
    spot = {"spot": spot_price, "spot_max_share": spot_max_share}
    rows, cache = [], {}  # forecasts by the history they saw: cutoffs share inner origins
    for cutoff in cutoffs:
        cutoff = pd.Timestamp(cutoff)
        past, future = pool[pool["ds"] <= cutoff], pool[pool["ds"] > cutoff].head(horizon)
        if len(future) < horizon:
            raise InputError(f"backtest: only {len(future)} periods after cutoff {cutoff}; need {horizon}")
        realized = future["y"].to_numpy()[None, :]
        built = build_scenarios(past, horizon, freq, n_paths, method=method, on_demand_price=on_demand_price,
                                reserved_price=reserved_price, spot_price=spot_price, spot_max_share=spot_max_share,
                                inner_origins=inner_origins, gate_t=gate_t, cache=cache)
        recent = built.recent
        plan = plan_single_pool(built.scenarios, recent, on_demand_price, reserved_price, **spot)
        hindsight = plan_single_pool(realized, recent, on_demand_price, reserved_price, bins=10_000, **spot)
        rule_units = recommender_rule(recent, on_demand_price, reserved_price)
        costs = {
            "planner": pool_cost(plan.reserved_units, realized, on_demand_price, reserved_price, **spot)[0],
            "rule": pool_cost(rule_units, realized, on_demand_price, reserved_price, **spot)[0],
            "on_demand": pool_cost(0.0, realized, on_demand_price, reserved_price, **spot)[0],
            "hindsight": pool_cost(hindsight.reserved_units, realized, on_demand_price, reserved_price, **spot)[0],
        }
        rows.append({"cutoff": cutoff, "forecast_model": built.model, "forecast_included": built.forecast_included,
                     "planner_units": plan.reserved_units,
                     "rule_units": rule_units, "hindsight_units": hindsight.reserved_units,
                     **{f"{k}_cost_usd": v for k, v in costs.items()},
                     **{f"{k}_vs_hindsight": v / costs["hindsight"] for k, v in costs.items() if k != "hindsight"}})
    return pd.DataFrame(rows)

