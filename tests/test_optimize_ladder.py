"""Laddered buying: the tranche rule, the hindsight schedule's closed form, and the backtest."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InputError
from planner.optimize import lp, plan_single_pool
from planner.optimize.ladder import backtest_ladder, ladder_tranche, schedule_cost


def test_tranche_tops_up_to_the_plans_level():
    scen = np.random.default_rng(0).gamma(5, 20, (50, 48))
    level = plan_single_pool(scen, scen[0], 4.0, 2.6).reserved_units
    assert ladder_tranche(scen, np.zeros(12), 4.0, 2.6) == pytest.approx(level)
    assert ladder_tranche(scen, np.full(12, level - 10.0), 4.0, 2.6) == pytest.approx(10.0)
    assert ladder_tranche(scen, np.full(12, level + 5.0), 4.0, 2.6) == 0.0  # never sells back
    # what expires before the next step does not count
    held = np.r_[np.full(6, level), np.zeros(6)]
    assert ladder_tranche(scen, held, 4.0, 2.6) == pytest.approx(level)


def test_hindsight_schedule_is_the_newsvendor_quantile_for_one_tranche():
    demand = np.random.default_rng(1).uniform(0, 100, 400)
    best = lp.solve_schedule(demand, np.ones((1, 400)), 4.0, 1.0)
    q = np.sort(demand)
    assert q[int(0.75 * 400) - 1] - 1e-6 <= best[0] <= q[int(0.75 * 400)] + 1e-6  # F^-1(1 - 1/4)
    assert schedule_cost(demand, np.ones((1, 400)), best, 4.0, 1.0) <= schedule_cost(demand, np.ones((1, 400)),
                                                                                       best + 1, 4.0, 1.0)


def _series(values, start="2025-01-01"):
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range(start, periods=len(values), freq="h"), "y": values})


def test_backtest_on_steady_demand_matches_hindsight_and_buys_once_per_term():
    frame = _series(np.full(24 * 40, 30.0))
    start = frame["ds"].iloc[-96]
    result = backtest_ladder(frame, start, 96, 48, 12, "h", 4.0, 2.6)
    costs = result["cost_usd"]
    assert costs["ladder"] == pytest.approx(costs["hindsight"]) and costs["one_shot"] == pytest.approx(costs["hindsight"])
    assert costs["on_demand"] > costs["hindsight"]
    ladder = result["tranches"]["ladder"]
    assert ladder[0] == pytest.approx(30.0) and ladder[4] == pytest.approx(30.0)  # renewed when the first expires
    assert np.allclose(np.delete(ladder, [0, 4]), 0.0)


def test_no_policy_beats_hindsight_on_the_same_steps():
    """Demand halves inside the span: every policy buys on the ladder's steps (the one-shot's
    renewals are among them), so none costs less than the best tranches there with the demand known."""
    rng = np.random.default_rng(2)
    values = np.r_[np.full(24 * 30, 40.0), np.full(24 * 10, 20.0)] * rng.lognormal(0, 0.1, 24 * 40)
    frame = _series(values)
    start = frame["ds"].iloc[-24 * 12]
    result = backtest_ladder(frame, start, 24 * 12, 72, 24, "h", 4.0, 2.6)
    assert all(v >= 1 - 1e-9 for v in result["vs_hindsight"].values())
    assert result["cost_usd"]["hindsight"] <= result["cost_usd"]["hindsight_one_shot"] + 1e-6
    with pytest.raises(InputError, match="expected 1 <= step <= term"):
        backtest_ladder(frame, start, 24, 12, 24, "h", 4.0, 2.6)
