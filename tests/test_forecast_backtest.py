"""Rolling-origin backtest with one fit per model: windows, exact seasonal-naive values, reuse."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsforecast.models import AutoETS, SeasonalNaive

from planner.forecast import Forecaster
from planner.forecast.backtest import origins, rolling_origin, rolling_origin_many


def test_origins_tile_the_end_of_the_history():
    assert origins(100, 7, 3) == [79, 86, 93]


def test_seasonal_naive_windows_and_final_are_the_last_season_before_each_origin():
    rng = np.random.default_rng(0)
    y = rng.normal(10, 1, 60)
    res = rolling_origin(y, [SeasonalNaive(season_length=7, alias="SN")], h=5, n_windows=3, h_final=4, level=(80,))
    cv, final = res["SN"]["cv"], res["SN"]["final"]
    expected = np.concatenate([y[c - 7:c - 2] for c in origins(60, 5, 3)])
    assert np.allclose(cv["mean"], expected)
    assert np.allclose(final["mean"], y[-7:-3])
    assert (cv["lo-80"] < cv["mean"]).all() and (cv["hi-80"] > cv["mean"]).all()


def test_failed_model_is_none_and_many_matches_one_by_one():
    y = np.linspace(1, 2, 30)
    class Broken(SeasonalNaive):
        def fit(self, y, X=None):
            raise ValueError("cannot fit")

    bad = Broken(season_length=7, alias="broken")
    assert rolling_origin(y, [bad, AutoETS(model="ANN", alias="ets")], h=3, n_windows=2, h_final=3)["broken"] is None
    ys = [y, y * 2, y + 1]
    many = rolling_origin_many(ys, [SeasonalNaive(season_length=7, alias="SN")], 3, 2, 3, n_jobs=1)
    for one, z in zip(many, ys, strict=True):
        assert np.allclose(one["SN"]["final"]["mean"], z[-7:-4])


def test_predict_for_another_horizon_reuses_the_same_fit():
    rng = np.random.default_rng(4)
    t = np.arange(200)
    y = 100 * np.exp(0.002 * t + 0.2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.05, 200))
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2024-01-01", periods=200, freq="D"), "y": y})
    df = pd.concat([df, df.tail(40).assign(unique_id="short")])  # a shorter backtest horizon (8)
    fc = Forecaster(h=14, n_jobs=1).fit(df)
    assert fc.choice_["short"].h_bt == 8 and fc.choice_["s"].h_bt == 14
    short, long = fc.predict().forecast, fc.predict(h=28).forecast
    assert len(long) == 56
    for uid in ("s", "short"):
        a = short.loc[short["unique_id"] == uid, "forecast"].to_numpy()
        b = long.loc[long["unique_id"] == uid, "forecast"].to_numpy()[:14]
        assert a == pytest.approx(b, rel=1e-9)


def test_every_candidate_but_an_outlier_is_combined_with_weights_from_its_backtest():
    from planner.forecast.engine import OUTLIER_FACTOR, _add_ensemble, _members, _weights

    assert _members({"SeasonalNaive": 1.0, "B": 0.5, "C": 0.9}) == ("SeasonalNaive", "B", "C")
    assert _members({"SeasonalNaive": 1.0, "B": 0.5, "C": 0.5 * OUTLIER_FACTOR + 1e-9}) == ("SeasonalNaive", "B")
    assert _members({"SeasonalNaive": 1.0, "B": 20.0}) == ("SeasonalNaive",)
    assert _members({"B": 2.0, "SeasonalNaive": 2.0, "C": 100.0}) == ("B", "SeasonalNaive")
    frame = pd.DataFrame({"A": [0.0], "A-lo-80": [-1.0], "A-hi-80": [1.0],
                          "SeasonalNaive": [6.0], "SeasonalNaive-lo-80": [4.0], "SeasonalNaive-hi-80": [8.0]})
    out = _add_ensemble(frame, ("A", "SeasonalNaive"), (80,), (0.25, 0.75))
    assert out["Ensemble"].iloc[0] == pytest.approx(4.5)
    assert out["Ensemble-hi-80"].iloc[0] - out["Ensemble"].iloc[0] == pytest.approx(0.25 * 1 + 0.75 * 2)
    w = _weights([1.0, 1.2, 2.0])  # (mase / best) ** -4, normalized
    raw = np.array([1.0, 1.2 ** -4, 2.0 ** -4])
    assert w == pytest.approx(tuple(raw / raw.sum())) and sum(w) == pytest.approx(1.0)
    assert _weights([0.0, 0.5]) == (1.0, 0.0)
