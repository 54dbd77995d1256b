"""Commitment options for procurement, priced on the same forecast scenarios.

Options: none (all on-demand), the planner's level on the demand scenarios, the cloud recommenders' rule
(the 1 - R/P quantile of the last 30 days), and any quantities the user names; with a second
reserved price (e.g. 3-year), the planner's level at that price too. Each is priced exactly on
every scenario (:func:`planner.optimize.pool_cost`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.optimize.demand_scenarios import build_scenarios
from planner.optimize.single_pool import plan_single_pool, pool_cost, recommender_rule

__all__ = ["scenarios_from_history", "compare_commitments"]


def scenarios_from_history(history: pd.DataFrame, horizon: int, freq: str, n_paths: int = 100,
                           seed: int = 0, what: str = "history", recent_weight: float = 0.5, *,
                           method: str = "mix", on_demand_price: float | None = None,
                           reserved_price: float | None = None, spot_price: float | None = None,
                           spot_max_share: float = 0.0, spot_interruption: float = 0.0,
                           inner_origins: int = 4) -> tuple[np.ndarray, np.ndarray, str]:
    """Demand scenarios for one pool from its history.

    ``method="mix"`` (the default here, for callers without prices): the forecaster's sample
    paths mixed with random windows of the last 30 days (``recent_weight`` of the scenarios).
    ``method="auto"`` (what the planner, :func:`compare_commitments`, :func:`backtest_plan` and
    ``planner commit`` use): recency-weighted windows of recent demand, plus the forecast paths
    only when an inner backtest on the history shows they clearly lower realized cost
    (:mod:`planner.optimize.demand_scenarios`). In ``benchmarks/plan_bench.py`` "mix" gave
    1.063x hindsight on average and up to +7.4 % against the rule on a cutoff; "auto" gives
    1.037x and at most +0.7 % (forecast paths alone: 1.081x and +14.5 %; the rule 1.051x).

    Parameters
    ----------
    history : pandas.DataFrame
        Long format ``unique_id, ds, y`` [units per period]; several series are added up.
    horizon : int
        Periods ahead.
    freq : str
        pandas frequency.
    n_paths : int
        Sample paths (and windows per empirical part).
    seed : int
        Seed of the paths.
    what : str
        Name of the input (e.g. its file), for error messages.
    recent_weight : float
        ``"mix"``: share of scenarios drawn from the last 30 days, in [0, 1) (0: forecast paths only).
    method : str
        ``"mix"``, ``"auto"``, ``"forecast"`` or ``"empirical"``.
    on_demand_price, reserved_price, spot_price : float, optional
        Prices [USD per unit-period]; ``"auto"`` needs the first two.
    spot_max_share, spot_interruption : float
        Spot cap and interruption share [0-1].
    inner_origins : int
        ``"auto"``: origins of the inner backtest.

    Returns
    -------
    scenarios : numpy.ndarray
        (scenarios, horizon) demand [units].
    recent : numpy.ndarray
        The last 30 days of history [units], for the recommenders' rule.
    model : str
        The forecast model used.
    """
    built = build_scenarios(history, horizon, freq, n_paths, seed, what, method, recent_weight, on_demand_price,
                            reserved_price, spot_price, spot_max_share, spot_interruption, inner_origins)
    return built.scenarios, built.recent, built.model


def compare_commitments(history: pd.DataFrame | np.ndarray, horizon: int, freq: str, on_demand_price: float,
                        reserved_price: float, quantities: Sequence[float] | None = None,
                        reserved_price_long: float | None = None, spot_price: float | None = None,
                        spot_max_share: float = 0.0, n_paths: int = 100, seed: int = 0,
                        recent: np.ndarray | None = None, method: str = "auto") -> pd.DataFrame:
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
    method : str
        How scenarios are built from a history (:func:`scenarios_from_history`).

    Returns
    -------
    pandas.DataFrame
        One row per option: ``option, reserved_units, reserved_price, expected_cost_usd,
        p90_cost_usd, p95_cost_usd, savings_vs_on_demand_usd, savings_vs_on_demand_pct,
        expected_utilization, stranded_cost_usd, breakeven_utilization, breakeven_periods``
        (periods of use at the expected utilization that pay for the whole commitment).
    """
    if isinstance(history, pd.DataFrame):
        scenarios, recent, _ = scenarios_from_history(history, horizon, freq, n_paths, seed, method=method,
                                                      on_demand_price=on_demand_price, reserved_price=reserved_price,
                                                      spot_price=spot_price, spot_max_share=spot_max_share)
    else:
        scenarios = np.asarray(history, float)
        recent = scenarios[0] if recent is None else np.asarray(recent, float)
    spot = {"spot": spot_price, "spot_max_share": spot_max_share}
    options = [("none (all on-demand)", 0.0, reserved_price)]
    best = plan_single_pool(scenarios, recent, on_demand_price, reserved_price, **spot)
    options.append(("planner (scenario-based)", best.reserved_units, reserved_price))
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
