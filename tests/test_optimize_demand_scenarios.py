"""Demand scenarios for a reservation: empirical windows, the forecast gate, no look-ahead."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InputError
from planner.optimize import backtest_plan, plan_single_pool, scenarios_from_history
from planner.optimize.demand_scenarios import (
    build_scenarios,
    forecast_gate,
    pool_series,
    recent_windows,
)


def _hourly(days: int, seed: int = 0, level: float = 100.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(24 * days)
    y = level + 20 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 5, t.size)
    return pd.DataFrame({"unique_id": "gpu", "ds": pd.date_range("2025-01-01", periods=t.size, freq="h"), "y": y})


def test_recent_windows_carry_the_empirical_distribution():
    values = np.arange(10, dtype=float)
    windows = recent_windows(values, horizon=4, n=5)  # 5 x 4 = 20 draws of 10 values: each exactly twice
    assert windows.shape == (5, 4)
    assert np.array_equal(np.bincount(windows.ravel().astype(int), minlength=10), np.full(10, 2))
    assert np.array_equal(windows[1], [2, 3, 4, 5]) and np.array_equal(windows[4], [8, 9, 0, 1])  # contiguous, wrapping
    for length, horizon, n in ((720, 24, 100), (168, 24, 100), (720, 168, 100), (50, 7, 3)):
        counts = np.bincount(recent_windows(np.arange(length), horizon, n).ravel().astype(int), minlength=length)
        ratio = n * horizon / length
        assert set(np.unique(counts)) <= {int(np.floor(ratio)), int(np.ceil(ratio))}
    with pytest.raises(InputError, match="no history"):
        recent_windows(np.array([]), 3, 2)


def test_empirical_plan_is_the_newsvendor_quantile_of_the_recency_weighted_mixture():
    frame = _hourly(40)
    built = build_scenarios(frame, horizon=24, freq="h", n_paths=5040, method="empirical")
    assert not built.forecast_included and built.model == ""
    y = frame["y"].to_numpy()
    month, week = y[-720:], y[-168:]
    assert np.array_equal(built.recent, month)
    # 5040 windows of 24: every month value 5040 * 24 / 720 times, every week value 5040 * 24 / 168
    pooled = np.concatenate([np.repeat(month, 168), np.repeat(week, 720)])
    assert np.array_equal(np.sort(built.scenarios.ravel()), np.sort(pooled))
    plan = plan_single_pool(built.scenarios, built.recent, 4.0, 2.6, bins=2000)
    weights = np.concatenate([np.full(720, 1 / 720), np.full(168, 1 / 168)])  # equal halves
    order = np.argsort(np.concatenate([month, week]))
    cdf = np.cumsum(weights[order]) / weights.sum()
    expected = np.concatenate([month, week])[order][np.searchsorted(cdf, 1 - 2.6 / 4.0)]
    assert plan.reserved_units == pytest.approx(expected, abs=0.3)  # 2000 bins of 241,920 values


def test_auto_needs_prices_and_known_method():
    frame = _hourly(10)
    with pytest.raises(InputError, match="'auto' needs on_demand_price and reserved_price"):
        build_scenarios(frame, 24, "h", 10, method="auto")
    with pytest.raises(InputError, match="scenario method must be one of"):
        build_scenarios(frame, 24, "h", 10, method="magic")
    with pytest.raises(InputError, match=r"the following columns are missing: \['y'\]"):
        pool_series(frame.drop(columns="y"))


def test_gate_keeps_the_forecast_when_it_clearly_helps():
    rng = np.random.default_rng(0)
    n = 120  # a steady trend: windows of the past lag behind, the forecast follows it
    trend = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2025-01-01", periods=n, freq="D"),
                          "y": 50 + 2.0 * np.arange(n) + rng.normal(0, 2, n)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = build_scenarios(trend, 14, "D", 30, on_demand_price=4.0, reserved_price=2.6)
    gate = built.gate
    assert built.forecast_included and gate.include and len(gate.origins) == 4
    assert all(c < 0 for c in gate.relative_change) and gate.t_stat < gate.threshold
    assert built.scenarios.shape == (90, 14) and built.paths.shape == (30, 14)  # 30 + 30 windows + 30 paths
    assert max(gate.origins) == trend["ds"].iloc[-1 - 14]  # the latest origin leaves one horizon to judge it on
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strict = build_scenarios(trend, 14, "D", 30, on_demand_price=4.0, reserved_price=2.6, gate_t=gate.t_stat - 1)
    assert not strict.forecast_included and strict.scenarios.shape == (60, 14)  # a bar it does not clear
    assert strict.gate.relative_change == pytest.approx(gate.relative_change)  # same evidence, other verdict
    # too little history to judge on two origins: the forecast stays out
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        short = forecast_gate(pool_series(trend.head(30)), 14, "D", 4.0, 2.6, n_paths=10)
    assert not short.include and len(short.origins) < 2 and short.to_dict()["t_stat"] is None  # valid JSON


def test_a_shared_forecast_cache_changes_nothing():
    frame = _hourly(9, seed=2)
    kw = {"horizon": 24, "freq": "h", "n_paths": 20, "on_demand_price": 4.0, "reserved_price": 2.6, "inner_origins": 3}
    cache: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = build_scenarios(frame, **kw)
        first = build_scenarios(frame, cache=cache, **kw)
        assert len(cache) == 4  # three inner origins + the end
        again = build_scenarios(frame, cache=cache, **kw)
        assert len(cache) == 4
        earlier = build_scenarios(frame.head(len(frame) - 24), cache=cache, **kw)  # its origins are cached
        assert len(cache) == 5  # one new inner origin only
    for built in (first, again):
        assert np.array_equal(built.scenarios, plain.scenarios) and built.gate.t_stat == plain.gate.t_stat
    assert earlier.gate.origins == plain.gate.origins[1:] + [frame["ds"].iloc[-24 * 4 - 1]]


def test_backtest_plan_does_not_look_past_the_cutoff():
    frame = _hourly(12, seed=1)
    cut = frame["ds"].iloc[-1] - pd.Timedelta(hours=24)
    changed = frame.copy()
    after = changed["ds"] > cut
    changed.loc[after, "y"] = changed.loc[after, "y"] * 3 + 50  # a different future
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = backtest_plan(frame, [cut], 24, "h", 4.0, 2.6, n_paths=20, inner_origins=3)
        b = backtest_plan(changed, [cut], 24, "h", 4.0, 2.6, n_paths=20, inner_origins=3)
    for col in ("planner_units", "rule_units", "forecast_included"):
        assert a[col].iloc[0] == b[col].iloc[0]
    assert b["hindsight_units"].iloc[0] > a["hindsight_units"].iloc[0]  # the future did change


def test_scenarios_from_history_defaults_to_the_mix():
    frame = _hourly(10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scen, recent, model = scenarios_from_history(frame, 24, "h", n_paths=20)
    assert scen.shape == (40, 24) and model  # 20 forecast paths + 20 windows of the last 30 days
    assert np.array_equal(recent, frame["y"].to_numpy())  # 10 days: all of it is "the last 30 days"
