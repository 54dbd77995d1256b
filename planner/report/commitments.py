"""The commitment comparison a report shows: GPU demand in units held, prices per GPU-hour.

:func:`commitment_options` runs :func:`planner.optimize.compare_commitments` on demand expressed
as units of capacity held on average in each period (GPUs, or nodes) and on prices of one unit for
one period derived from USD per GPU-hour (:meth:`planner.report.pricing.CapacityPrices.per_unit_period`),
so the same usage costs the same whether its history is hourly or daily, and the horizon is a
length of time, not a number of periods.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.report.pricing import CapacityPrices, hours_per_period

__all__ = ["commitment_options", "ladder_backtest", "unit_name"]

#: The comparison's option names as a reader sees them.
_OPTION_NAMES = {
    "none (all on-demand)": "All on-demand (nothing reserved)",
    "planner (scenario-based)": "Planner's level",
    "planner at the longer term's price": "Planner's level at the 3-year price",
    "recommenders' rule (30-day quantile)": "Cloud recommenders' rule (30-day quantile)",
}


def unit_name(metric: str) -> str:
    """What one unit of capacity is for a demand metric: ``GPUs`` or ``nodes``."""
    return {"gpu_hours": "GPUs", "node_hours": "nodes"}.get(metric, "units")


def commitment_options(history: pd.DataFrame, freq: str, horizon_days: float, prices: CapacityPrices,
                       quantities: Sequence[float] = (), seed: int = 0) -> pd.DataFrame:
    """Price the commitment options on the same demand scenarios.

    Parameters
    ----------
    history : pandas.DataFrame
        ``unique_id, ds, y`` with ``y`` in the metric's unit per period (GPU-hours or node-hours
        per period); several series are added up.
    freq : str
        pandas frequency of ``history`` (a fixed period: ``h``, ``D``, ``W-MON``).
    horizon_days : float
        Time the options are compared over [days].
    prices : CapacityPrices
        Prices per GPU-hour and GPUs per unit.
    quantities : sequence of float
        Your own reservation levels to compare [units: GPUs or nodes].
    seed : int
        Seed of the forecast sample paths.

    Returns
    -------
    pandas.DataFrame
        One row per option: ``option`` (its name for a reader), ``term`` (``1-year``, ``3-year``,
        or "" when nothing is reserved), ``reserved_units`` [GPUs or nodes], ``reserved_gpus``,
        ``reserved_usd_per_gpu_hour``, ``expected_cost_usd, p90_cost_usd, p95_cost_usd,
        savings_vs_on_demand_usd`` [USD], ``savings_vs_on_demand_pct`` [%],
        ``expected_utilization, breakeven_utilization`` [0-1] (NaN when nothing is reserved),
        ``stranded_cost_usd`` [USD] and
        ``breakeven_days`` [days of use at the expected utilization that pay for the commitment].
    """
    from planner.optimize import compare_commitments

    hours = hours_per_period(freq)
    periods = int(round(horizon_days * 24 / hours))
    if periods < 1:
        raise InputError(f"horizon_days {horizon_days:g} is shorter than one period of {freq!r}")
    per = prices.per_unit_period(freq)
    demand = history.assign(y=history["y"] / hours)  # units held on average in each period
    name = " + ".join(sorted(map(str, history["unique_id"].unique()))) if "unique_id" in history else "demand"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        raw = compare_commitments(demand, horizon=periods, freq=freq, on_demand_price=per["on_demand"],
                                  reserved_price=per["reserved"], reserved_price_long=per["reserved_3y"],
                                  quantities=list(quantities) or None, seed=seed)
    for w in caught:  # the comparison adds the series up into one named 'pool': name them instead
        warnings.warn_explicit(str(w.message).replace("series 'pool'", f"series {name!r}"), w.category,
                               w.filename, w.lineno)
    per_gpu_hour = prices.gpus_per_unit * hours
    longer = raw["option"].str.contains("longer term", regex=False)
    return pd.DataFrame({
        "option": raw["option"].map(lambda o: _OPTION_NAMES.get(o, o)).str.replace(
            r"^your quantity (.*)$", rf"Your quantity: \1 {unit_name(prices.metric)}", regex=True),
        "term": np.where(raw["reserved_units"] > 0, np.where(longer, "3-year", "1-year"), ""),
        "reserved_units": raw["reserved_units"],
        "reserved_gpus": raw["reserved_units"] * prices.gpus_per_unit,
        "reserved_usd_per_gpu_hour": (raw["reserved_price"] / per_gpu_hour).where(raw["reserved_units"] > 0),
        "expected_cost_usd": raw["expected_cost_usd"],
        "p90_cost_usd": raw["p90_cost_usd"],
        "p95_cost_usd": raw["p95_cost_usd"],
        "savings_vs_on_demand_usd": raw["savings_vs_on_demand_usd"],
        "savings_vs_on_demand_pct": raw["savings_vs_on_demand_pct"],
        "expected_utilization": raw["expected_utilization"],
        "stranded_cost_usd": raw["stranded_cost_usd"],
        "breakeven_utilization": raw["breakeven_utilization"].where(raw["reserved_units"] > 0),
        "breakeven_days": raw["breakeven_periods"] * hours / 24,
    })


def ladder_backtest(history: pd.DataFrame, freq: str, horizon_days: float, prices: CapacityPrices,
                    tranches: int = 4) -> tuple[pd.DataFrame, pd.DataFrame] | str:
    """Buying in tranches, replayed on the history's last ``horizon_days``.

    Commitments of ``horizon_days`` are bought in ``tranches`` per term
    (:func:`planner.optimize.ladder.backtest_ladder`): the ladder, the one-shot plan renewed each
    term, the recommenders' rule topping up at the same steps, and hindsight, each purchase seeing
    only the history before it.

    Returns
    -------
    tuple of pandas.DataFrame, or str
        ``policy, cost_usd, vs_hindsight`` per policy and the ladder's tranches ``bought,
        units, gpus`` [units held, GPUs]; or one sentence saying why the history is too short.
    """
    from planner.optimize.ladder import backtest_ladder

    hours = hours_per_period(freq)
    term = int(round(horizon_days * 24 / hours))
    step = max(term // max(tranches, 1), 1)
    frame = history.assign(ds=pd.to_datetime(history["ds"]))
    n = frame["ds"].nunique()
    if term < 2 or n < term + int(round(7 * 24 / hours)):
        return (f"the history ({n:,} periods) is too short to replay {tranches} tranches of {horizon_days:g}-day terms: "
                f"it needs the term ({term:,} periods) and a week before it")
    per = prices.per_unit_period(freq)
    demand = frame.assign(y=frame["y"] / hours)  # units held on average in each period
    start = frame["ds"].drop_duplicates().sort_values().iloc[-term]
    result = backtest_ladder(demand, start, term, term, step, freq, per["on_demand"], per["reserved"])
    labels = {"ladder": f"Ladder ({tranches} tranches a term)", "one_shot": "One purchase per term",
              "rule": "Cloud recommenders' rule (30-day quantile), topped up each step", "on_demand": "All on-demand",
              "hindsight": "Hindsight (best tranches, demand known)"}
    table = pd.DataFrame([{"policy": label, "cost_usd": result["cost_usd"][k], "vs_hindsight": result["vs_hindsight"][k]}
                          for k, label in labels.items()])
    bought = pd.DataFrame({"bought": result["starts"]["ladder"], "units": result["tranches"]["ladder"],
                           "gpus": result["tranches"]["ladder"] * prices.gpus_per_unit})
    return table, bought
