"""Seasonal profiles in closed form; seasonally adjusted models keep the phases."""

from __future__ import annotations

import numpy as np
import pytest
from statsforecast.models import AutoETS

from planner.forecast.deseason import Deseasonalized, seasonal_profile


def test_profile_of_a_trending_sine_is_the_sine():
    t = np.arange(100)
    shape = np.sin(2 * np.pi * np.arange(7) / 7)
    y = shape[t % 7] + 0.01 * t
    assert seasonal_profile(y, 7) == pytest.approx(shape - shape.mean(), abs=1e-9)
    assert (seasonal_profile(y[:10], 7) == 0).all()  # less than two seasons: no profile


def test_adjusted_model_forecasts_a_pure_seasonal_series_in_phase():
    week = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 0.0, 6.0])
    y = 10 + np.tile(week, 12)[:80]  # ends mid-week
    m = Deseasonalized(AutoETS(model="ANN"), (7,), alias="ds").fit(y[:60])
    ahead = m.forward(y, h=7)["mean"]
    assert ahead == pytest.approx(10 + week[np.arange(80, 87) % 7], abs=1e-3)


def test_seasonal_mean_matches_statsforecast_and_its_sigma_is_the_rule_error():
    from statsforecast.models import SeasonalWindowAverage

    from planner.forecast.deseason import SeasonalMean

    rng = np.random.default_rng(3)
    y = 10 + np.tile([1.0, 5.0, 2.0, 8.0], 6) + rng.normal(0, 0.5, 24)
    m = SeasonalMean(4, 2).fit(y[:16])
    ref = SeasonalWindowAverage(season_length=4, window_size=2).fit(y[:20]).predict(h=6)["mean"]
    fc = m.forward(y[:20], h=6, level=[80])
    assert fc["mean"] == pytest.approx(ref)
    assert fc["mean"][:4] == pytest.approx((y[12:16] + y[16:20]) / 2)
    errors = y[8:16] - (y[0:8] + y[4:12]) / 2  # the rule's in-sample errors on the fitted history
    half = 1.2815515655446004 * np.sqrt(np.mean(errors ** 2))
    assert fc["hi-80"] - fc["mean"] == pytest.approx(np.full(6, half))
    with pytest.raises(ValueError, match="needs 12 points"):
        SeasonalMean(4, 2).fit(y[:11])
    with pytest.raises(ValueError, match="needs 8 points to forecast, got 7"):
        m.forward(y[:7], h=2)


def test_original_space_model_maps_its_forecast_to_the_log_space():
    from statsforecast.models import RandomWalkWithDrift, SeasonalNaive

    from planner.forecast.spaces import InOriginalSpace

    y = np.tile([100.0, 400.0, 200.0], 5) * np.linspace(1, 1.5, 15)
    wrapped = InOriginalSpace(SeasonalNaive(season_length=3), "log", alias="sn").fit(np.log(y[:12]))
    fc = wrapped.forward(np.log(y), h=3, level=[95])
    raw = SeasonalNaive(season_length=3).fit(y).predict(h=3, level=[95])
    assert fc["mean"] == pytest.approx(np.log(y[-3:]))
    upper = np.log(y[-3:] + (raw["hi-95"] - raw["lo-95"]) / 2)  # the mapped upper bound is exact
    assert fc["hi-95"] == pytest.approx(upper)
    assert fc["hi-95"] - fc["mean"] == pytest.approx(fc["mean"] - fc["lo-95"])
    falling = np.r_[np.full(12, 100.0), np.full(3, 1.0)]  # drifts below zero on the original scale
    drift = InOriginalSpace(RandomWalkWithDrift(), "log", alias="rwd").fit(np.log(falling))
    with pytest.raises(ValueError, match="forecast <= 0"):
        drift.predict(h=30)


def test_every_candidate_backtests_on_a_seasonal_and_a_flat_series():
    """A candidate without a working ``fit``/``forward`` would drop out of every series unseen."""
    from planner.forecast.backtest import fit_forward
    from planner.forecast.candidates import regular_models
    from planner.forecast.windows import window_plan

    rng = np.random.default_rng(0)
    t = np.arange(24 * 20)
    y = 50 * np.exp(0.002 * t + 0.3 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.05, len(t)))
    for transform, z in (("log", np.log(y)), ("none", y)):
        models = regular_models((24,), 24, transform)
        assert set(fit_forward(z, models, window_plan(len(z), 24, 3, 48))) == {m.alias for m in models}
    flat = regular_models((), 7, "log")
    assert set(fit_forward(np.log(y[:200]), flat, window_plan(200, 14, 3, 14))) == {m.alias for m in flat}
