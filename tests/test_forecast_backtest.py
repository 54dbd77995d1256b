"""Backtest windows at the asked horizon, one fit per model, combination weights, per-lead calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsforecast.models import AutoETS, SeasonalNaive

from planner.forecast import Forecaster, forecast
from planner.forecast.backtest import fit_forward, refit
from planner.forecast.calibrate import apply, band_of, calibrate
from planner.forecast.combine import combine, members
from planner.forecast.fallback import short_history
from planner.forecast.metrics import conformal_quantile
from planner.forecast.windows import WindowPlan, window_plan


@pytest.mark.parametrize(("n", "h", "w", "min_train"), [(730, 90, 3, 14), (1095, 365, 3, 14), (336, 24, 3, 48),
                                                         (408, 168, 3, 48), (100, 7, 5, 14), (60, 200, 3, 14)])
def test_windows_forecast_the_asked_horizon_and_fit_on_at_least_half_the_history(n, h, w, min_train):
    plan = window_plan(n, h, w, min_train)
    floor = max(min_train, -(-n // 2))
    assert len(plan.origins) == w and plan.origins[-1] + plan.h == n
    assert plan.origins[0] >= floor and 1 <= plan.step <= max(plan.h, 1)
    assert plan.h == (h if n - floor - h >= w - 1 else n - floor - (w - 1))
    assert list(plan.origins) == sorted(set(plan.origins))


def test_windows_tile_the_end_when_the_history_is_long_and_overlap_when_not():
    assert window_plan(730, 90, 3, 14) == WindowPlan(90, (460, 550, 640))
    assert window_plan(1095, 365, 3, 14) == WindowPlan(365, (548, 639, 730))   # a year ahead: overlapping
    assert window_plan(20, 30, 3, 14) == WindowPlan(4, (14, 15, 16))           # shrunk, one period apart
    assert window_plan(10, 5, 3, 14) == WindowPlan(0, ())


def test_seasonal_naive_windows_and_refit_are_the_last_season_before_each_origin():
    rng = np.random.default_rng(0)
    y = rng.normal(10, 1, 60)
    plan = window_plan(60, 5, 3, 14)
    fits = fit_forward(y, [SeasonalNaive(season_length=7, alias="SN")], plan)
    expected = np.array([y[c - 7:c - 2] for c in plan.origins])
    assert fits["SN"][1] == pytest.approx(expected)
    _, final = refit(SeasonalNaive(season_length=7, alias="SN"), y, 4, (80,))
    assert final["mean"] == pytest.approx(y[-7:-3])
    assert (final["lo-80"] < final["mean"]).all() and (final["hi-80"] > final["mean"]).all()


def test_a_model_that_cannot_fit_drops_out():
    class Broken(SeasonalNaive):
        def fit(self, y, X=None):
            raise ValueError("cannot fit")

    y = np.linspace(1, 2, 40)
    out = fit_forward(y, [Broken(season_length=7, alias="broken"), AutoETS(model="ANN", alias="ets")],
                      window_plan(40, 3, 2, 14))
    assert set(out) == {"ets"}
    assert refit(Broken(season_length=7, alias="broken"), y, 3, (80,)) is None


def test_weights_fall_with_the_fourth_power_and_far_candidates_drop_out():
    chosen, w = members({"A": 1.0, "B": 1.2, "C": 2.0, "D": 1.7})
    raw = np.array([1.0, 1.2 ** -4, 1.7 ** -4])          # C: 2 ** -4 = 0.0625 < 0.1 of the best
    assert chosen == ("A", "B", "D") and w == pytest.approx(tuple(raw / raw.sum()))
    assert members({"A": 0.0, "SeasonalNaive": 0.0, "B": 1.0}, prefer="SeasonalNaive") == (("SeasonalNaive",), (1.0,))
    both = combine([{"mean": np.array([0.0]), "lo-80": np.array([-1.0]), "hi-80": np.array([1.0])},
                    {"mean": np.array([6.0]), "lo-80": np.array([4.0]), "hi-80": np.array([8.0])}], (0.25, 0.75))
    assert both["mean"][0] == pytest.approx(4.5) and both["hi-80"][0] - both["mean"][0] == pytest.approx(1.75)


def test_flat_calibration_per_band_is_the_conformal_quantile_of_the_errors_there():
    rng = np.random.default_rng(1)
    w, h = 40, 8
    lead_sd = np.array([1, 1, 2, 2, 3, 3, 4, 4], dtype=float)
    point = np.zeros((w, h))
    actual = rng.normal(0, 1, (w, h)) * lead_sd
    hw = {80: rng.uniform(0.01, 100, (w, h))}      # model widths unrelated to the errors: flat must win
    c = calibrate(actual, point, hw, "none", (80,))
    assert c.method == "flat" and list(band_of(8, 8, 40)) == [0, 0, 1, 1, 2, 2, 3, 3]
    expected = np.maximum.accumulate([conformal_quantile(np.abs(actual[:, 2 * b:2 * b + 2]).ravel(), 0.8)
                                      for b in range(4)])
    assert c.factors[80] == pytest.approx(expected)
    assert 0.7 <= c.coverage[80] <= 0.9
    # past the backtest horizon the last band's width grows like a random walk's
    out = apply(c, np.zeros(32), {80: np.ones(32)}, "none")
    assert out["hi-80"][:8] == pytest.approx(expected[band_of(8, 8, 40)])
    assert out["hi-80"][31] == pytest.approx(expected[-1] * np.sqrt(32 / 8))


def test_series_with_zeros_are_calibrated_on_the_original_values():
    """log1p errors of a 0 against a level of 8 would be 2.2 in log space: exp'd, a band 10x the level."""
    point = np.log1p(np.full((3, 6), 8.0))
    actual = np.log1p(np.array([[8, 8, 0, 8, 8, 8], [8, 9, 8, 7, 8, 0], [8, 8, 8, 8, 8, 8]], dtype=float))
    c = calibrate(actual, point, {95: np.full((3, 6), 0.1)}, "log1p", (95,))
    out = apply(c, np.log1p(np.full(6, 8.0)), {95: np.full(6, 0.1)}, "log1p")
    assert c.space == "original" and (out["hi-95"] <= 16 + 1e-9).all() and (out["lo-95"] >= 0).all()


def test_a_short_history_gets_bands_no_wider_than_its_own_changes():
    y = np.array([100.0, 120, 90, 110, 100, 130, 95, 105])           # one "day" of 8 periods
    out = short_history(y, "log", 1, 720, (80, 95))
    z = np.log(y)
    widest = np.max(np.abs(z[:, None] - z[None, :]))                  # the largest log-change it holds
    assert np.isfinite(out["hi-95"]).all() and out["hi-95"].max() <= y[-1] * np.exp(widest) + 1e-9
    assert out["forecast"] == pytest.approx(np.full(720, y[-1]))
    assert (np.diff(out["hi-95"]) >= -1e-9).all() and (out["hi-80"] <= out["hi-95"] + 1e-9).all()
    seasonal = short_history(np.tile([1.0, 5.0, 3.0], 3), "log", 3, 6, (80,))
    assert seasonal["forecast"] == pytest.approx([1, 5, 3, 1, 5, 3])
    assert seasonal["hi-80"] == pytest.approx(seasonal["forecast"])   # it repeats exactly: no width


@pytest.mark.slow
def test_intervals_cover_at_the_far_end_of_the_horizon():
    """Random walks: errors grow with the lead; per-lead calibration keeps coverage in the last quarter."""
    rng = np.random.default_rng(7)
    n, h, k = 260, 40, 60
    frames, truth = [], []
    for i in range(k):
        y = 1000 + np.cumsum(rng.normal(0, 10, n + h))
        ds = pd.date_range("2024-01-01", periods=n + h, freq="D")
        frames.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds[:n], "y": y[:n]}))
        truth.append(pd.DataFrame({"unique_id": f"s{i}", "ds": ds[n:], "actual": y[n:]}))
    fc = forecast(pd.concat(frames), h=h, freq="D", n_jobs=1).forecast.merge(pd.concat(truth))
    last_q = fc.groupby("unique_id").tail(h // 4)
    for frame, lo, hi in ((fc, 0.72, 0.9), (last_q, 0.68, 0.92)):
        inside = (frame["actual"] >= frame["lo-80"]) & (frame["actual"] <= frame["hi-80"])
        assert lo <= inside.mean() <= hi


def test_predict_for_another_horizon_uses_the_same_refitted_members():
    rng = np.random.default_rng(4)
    t = np.arange(200)
    y = 100 * np.exp(0.002 * t + 0.2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.05, 200))
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=200, freq="D"), "y": y})
    fc = Forecaster(h=14, n_jobs=1).fit(df)
    short, long = fc.predict().forecast, fc.predict(h=28).forecast
    assert len(long) == 28 and fc.choice_["s"].h_bt == 14
    assert short["forecast"].to_numpy() == pytest.approx(long["forecast"].to_numpy()[:14], rel=1e-9)
    # statsforecast's seasonal ETS variance differs in the 6th digit with the horizon asked
    assert short["hi-95"].to_numpy() == pytest.approx(long["hi-95"].to_numpy()[:14], rel=1e-3)


def test_no_half_width_exceeds_the_backtests_largest_error_at_those_leads():
    """An undamped trend's variance grows without bound past the backtest: the band may not."""
    rng = np.random.default_rng(3)
    w, h = 30, 10
    actual = rng.normal(0, 0.1, (w, h))
    hw = {95: np.full((w, h), 0.2)}
    c = calibrate(actual, np.zeros((w, h)), hw, "log", (95,))
    exploding = {95: np.geomspace(0.2, 200.0, 40)}            # the model's own width past the backtest
    out = apply(c, np.zeros(40), exploding, "log")
    growth = np.sqrt(np.maximum(1, np.arange(1, 41) / h))
    assert (np.log(out["hi-95"]) <= c.ceiling[band_of(h, 40, w)] * growth + 1e-12).all()
    assert c.ceiling[-1] == pytest.approx(np.abs(actual).max())
