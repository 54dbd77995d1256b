"""Laddered buying: commitments bought in tranches over time, and its backtest.

A **ladder** buys at every step (e.g. each month) a new tranche for a full term: up to the level
the demand scenarios support for the coming term, on top of the tranches still active
(:func:`ladder_tranche`). The level is the single-pool plan's (the newsvendor quantile
``F^-1(1 - r/P)`` of scenario demand over the term, :func:`planner.optimize.plan_single_pool`).
When demand rises the next step tops up; when it falls, tranches expire one step at a time and
are not replaced, so the committed level follows demand down without a cliff at one renewal.

A rolling-horizon variant (planning this step's and the next steps' tranches together, buying
the first) was tried and left out: with the realized demand as its only scenario it came within
2.9 % of hindsight on Philly, but on the scenarios of recent history it bought top-ups that the
following weeks stranded (1.10x hindsight against 1.04x for the top-up rule).

:func:`backtest_ladder` replays the policy on a real series, each purchase seeing only the
history before it. Next to it, on the same realized demand: the **one-shot** plan (the planner's
level bought for a whole term and renewed at its end), the **recommenders' rule** (at each step,
top up to the 1 - r/P quantile of the last 30 days) and two hindsights: the best tranches on the
ladder's own purchase steps with the demand known (:func:`planner.optimize.lp.solve_schedule`),
and the best one-shot level of each term (what ``benchmarks/plan_bench.py`` calls hindsight).
Costs count what each period of the evaluated span pays: active tranches at the reserved price,
the rest on demand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.optimize import lp
from planner.optimize.demand_scenarios import build_scenarios
from planner.optimize.single_pool import plan_single_pool, pool_cost, recommender_rule

__all__ = ["ladder_tranche", "backtest_ladder", "schedule_cost"]


def ladder_tranche(scenarios: np.ndarray, active: np.ndarray, on_demand: float, reserved: float,
                   recent: np.ndarray | None = None) -> float:
    """Units of the tranche to buy now [units]: the plan's level for the coming term less the
    units earlier tranches still hold over the next step (never negative).

    Parameters
    ----------
    scenarios : numpy.ndarray
        Demand over the coming term, (scenarios, periods) [units].
    active : numpy.ndarray
        Units of earlier tranches active in each period until the next purchase [units].
    on_demand, reserved : float
        Prices [USD per unit-period].
    recent : numpy.ndarray, optional
        Recent history, for the single-pool plan's rule figures (not used for the level).
    """
    d = np.asarray(scenarios, float)
    level = plan_single_pool(d, d[0] if recent is None else recent, on_demand, reserved).reserved_units
    held = float(np.min(active)) if len(active) else 0.0
    return max(float(level) - held, 0.0)


def schedule_cost(demand: np.ndarray, activity: np.ndarray, tranches: np.ndarray, on_demand: float,
                  reserved: float) -> float:
    """Cost of tranches over a span [USD]: ``activity`` (tranches x periods, 1 where a tranche is
    active) times the units at the reserved price, the rest of ``demand`` (periods,) on demand."""
    level = np.asarray(tranches, float) @ np.asarray(activity, float)
    return float(reserved * level.sum() + on_demand * np.maximum(np.asarray(demand, float) - level, 0.0).sum())


def backtest_ladder(history: pd.DataFrame, start, periods: int, term: int, step: int, freq: str, on_demand_price: float,
                    reserved_price: float, n_paths: int = 100, method: str = "empirical", seed: int = 0) -> dict:
    """Replay the ladder, the one-shot plan, the recommenders' rule and the hindsights on a series.

    Parameters
    ----------
    history : pandas.DataFrame
        Long format ``unique_id, ds, y`` [units per period], regular; several series are added up.
    start : timestamp
        First period evaluated (the first purchase is made with the history before it).
    periods : int
        Periods evaluated from ``start``.
    term : int
        Periods of one commitment term.
    step : int
        Periods between tranches of the ladder and of the rule.
    freq : str
        pandas frequency.
    on_demand_price, reserved_price : float
        Prices [USD per unit-period].
    n_paths, method, seed
        Scenarios for each purchase (:func:`planner.optimize.demand_scenarios.build_scenarios`;
        ``empirical`` by default: windows of the last 30 and 7 days).

    Returns
    -------
    dict
        ``cost_usd`` per policy (``ladder``, ``one_shot``, ``rule``, ``on_demand``,
        ``hindsight`` on the ladder's steps, ``hindsight_one_shot``), ``vs_hindsight`` (cost /
        ``hindsight``), ``vs_hindsight_one_shot``, ``tranches`` per policy [units] and the
        purchase times ``starts``.
    """
    frame = history.assign(ds=pd.to_datetime(history["ds"]))
    pool = frame.groupby("ds", as_index=False)["y"].sum().sort_values("ds", ignore_index=True).assign(unique_id="pool")
    start = pd.Timestamp(start)
    first = int(np.searchsorted(pool["ds"].to_numpy(), start.to_datetime64()))
    if first == 0 or first + periods > len(pool):
        raise InputError(f"ladder backtest: need history before {start} and {periods} periods from it; the series "
                         f"has {first} before and {len(pool) - first} from it")
    if step < 1 or term < step:
        raise InputError(f"ladder backtest: expected 1 <= step <= term, got step {step} and term {term}")
    realized = pool["y"].to_numpy(float)[first:first + periods]
    buys, renewals = list(range(0, periods, step)), list(range(0, periods, term))

    def activity(times: list[int]) -> np.ndarray:
        act = np.zeros((len(times), periods))
        for i, t in enumerate(times):
            act[i, t:t + term] = 1.0
        return act

    ladder_act, shot_act = activity(buys), activity(renewals)
    ladder, rule, shot = np.zeros(len(buys)), np.zeros(len(buys)), np.zeros(len(renewals))
    cache: dict = {}
    for i, t in enumerate(buys):
        built = build_scenarios(pool.iloc[:first + t], term, freq, n_paths, seed, method=method,
                                on_demand_price=on_demand_price, reserved_price=reserved_price, cache=cache)
        ladder[i] = ladder_tranche(built.scenarios, _active_over(ladder[:i], buys[:i], t, term, step),
                                   on_demand_price, reserved_price, built.recent)
        held = float(_active_over(rule[:i], buys[:i], t, term, step).min())
        rule[i] = max(recommender_rule(built.recent, on_demand_price, reserved_price) - held, 0.0)
        if t in renewals:
            shot[renewals.index(t)] = plan_single_pool(built.scenarios, built.recent, on_demand_price,
                                                       reserved_price).reserved_units
    best = lp.solve_schedule(realized, ladder_act, on_demand_price, reserved_price)
    one_shot_best = 0.0
    for t in renewals:
        d = realized[t:t + term][None, :]
        level = plan_single_pool(d, d[0], on_demand_price, reserved_price, bins=10_000).reserved_units
        one_shot_best += float(pool_cost(level, d, on_demand_price, reserved_price)[0])
    costs = {"ladder": schedule_cost(realized, ladder_act, ladder, on_demand_price, reserved_price),
             "one_shot": schedule_cost(realized, shot_act, shot, on_demand_price, reserved_price),
             "rule": schedule_cost(realized, ladder_act, rule, on_demand_price, reserved_price),
             "on_demand": float(on_demand_price * realized.sum()),
             "hindsight": schedule_cost(realized, ladder_act, best, on_demand_price, reserved_price),
             "hindsight_one_shot": one_shot_best}
    return {"cost_usd": costs, "vs_hindsight": {k: v / costs["hindsight"] for k, v in costs.items()},
            "vs_hindsight_one_shot": {k: v / one_shot_best for k, v in costs.items()},
            "tranches": {"ladder": ladder, "rule": rule, "one_shot": shot, "hindsight": best},
            "starts": {"ladder": [pool["ds"].iloc[first + t] for t in buys],
                       "one_shot": [pool["ds"].iloc[first + t] for t in renewals]}}


def _active_over(tranches: np.ndarray, times: list[int], t: int, term: int, periods: int) -> np.ndarray:
    """Units of earlier tranches (bought at ``times``, each for ``term`` periods) active in each of
    the ``periods`` periods from ``t``."""
    out = np.zeros(periods)
    for units, bought in zip(tranches, times, strict=True):
        left = bought + term - t  # periods of that tranche still to run at t
        if left > 0:
            out[:min(left, periods)] += units
    return out
