"""Forecaster: exact cases, calibrated coverage, non-negativity, paths, hard cases, CLI contract."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.exceptions import InputError, PlannerWarning
from planner.forecast import Forecaster, forecast
from planner.forecast.metrics import conformal_quantile


def _frame(values, freq="D", uid="s", start="2024-01-01"):
    return pd.DataFrame({"unique_id": uid, "ds": pd.date_range(start, periods=len(values), freq=freq), "y": values})


def test_pure_seasonal_series_is_forecast_exactly():
    week = np.array([10, 12, 15, 14, 13, 6, 5], dtype=float)
    df = _frame(np.tile(week, 20))
    r = forecast(df, h=14)
    assert np.allclose(r.forecast["forecast"], np.tile(week, 2), rtol=1e-6)
    assert r.backtest["mase"].iloc[0] == pytest.approx(0.0, abs=1e-6)
    assert r.settings["freq"] == "D"


def test_coverage_on_noisy_seasonal_series_is_near_nominal():
    rng = np.random.default_rng(1)
    n, frames = 400, []
    for i in range(12):
        level = 1000 * (1 + i)
        y = level * np.exp(0.2 * np.sin(2 * np.pi * np.arange(n) / 7) + rng.normal(0, 0.1, n))
        frames.append(_frame(y, uid=f"s{i}"))
    df = pd.concat(frames)
    train = df.groupby("unique_id").head(n - 28)
    test = df.groupby("unique_id").tail(28)
    r = forecast(train, h=28, n_jobs=1)
    m = test.merge(r.forecast, on=["unique_id", "ds"])
    cov80 = ((m["y"] >= m["lo-80"]) & (m["y"] <= m["hi-80"])).mean()
    cov95 = ((m["y"] >= m["lo-95"]) & (m["y"] <= m["hi-95"])).mean()
    assert 0.70 <= cov80 <= 0.90
    assert 0.88 <= cov95 <= 0.99
    assert (r.backtest["mase_vs_seasonal_naive"] < 1.0).mean() >= 0.5  # noise model beats the naive copy


def test_growth_is_followed_and_intervals_never_negative():
    t = np.arange(120)
    y = 50 * 1.03 ** t * (1 + 0.1 * np.sin(2 * np.pi * t / 7))  # 3 %/day, ~23 %/week
    r = forecast(_frame(y), h=14)
    assert r.forecast["forecast"].iloc[-1] > y[-1]  # keeps growing
    bounds = r.forecast[["lo-95", "lo-80", "forecast", "hi-80", "hi-95"]].to_numpy()
    assert (bounds >= 0).all() and (np.diff(bounds, axis=1) >= -1e-9).all()


def test_paths_match_intervals_and_are_correlated():
    rng = np.random.default_rng(2)
    y = 100 + np.cumsum(rng.normal(0, 3, 300))
    r = forecast(_frame(np.maximum(y, 1)), h=20, n_paths=3000)
    m = r.paths.merge(r.forecast, on=["unique_id", "ds"])
    for col, p in (("lo-80", 0.1), ("hi-80", 0.9), ("lo-95", 0.025), ("hi-95", 0.975)):
        assert (m["y"] <= m[col]).mean() == pytest.approx(p, abs=0.01)
    wide = r.paths.pivot(index="sample", columns="ds", values="y").to_numpy()
    assert np.corrcoef(wide[:, 10], wide[:, 11])[0, 1] > 0.3  # a path that runs high stays high
    assert set(r.paths.columns) == {"unique_id", "ds", "sample", "y"}


def test_hard_cases_warn_and_still_forecast():
    rng = np.random.default_rng(3)
    intermittent = np.where(rng.random(200) < 0.6, 0.0, rng.poisson(5, 200).astype(float))
    with_gap = _frame(np.arange(60, dtype=float) + 10, uid="gap").drop(index=[20, 21, 22])
    outage = np.full(100, 50.0) + rng.normal(0, 1, 100)
    outage[40:45] = 0
    frames = [_frame(intermittent, uid="sparse"), with_gap, _frame(np.full(30, 7.0), uid="flat"),
              _frame(outage, uid="outage"), _frame(np.arange(8, dtype=float) + 1, uid="short")]
    with pytest.warns(PlannerWarning) as record:
        r = forecast(pd.concat(frames), h=7, n_jobs=1)
    text = " ".join(str(w.message) for w in record)
    for expected in ("intermittent", "3 missing periods", "constant series", "outage", "too few to backtest"):
        assert expected in text
    models = r.forecast.groupby("unique_id")["model"].first()
    from planner.forecast.candidates import intermittent_models

    assert models["flat"] == "Constant" and models["sparse"] in {"Ensemble", *(m.alias for m in intermittent_models())}
    assert (r.forecast.loc[r.forecast["unique_id"] == "flat", "forecast"] == 7.0).all()
    assert r.forecast.groupby("unique_id").size().eq(7).all()
    assert (r.forecast[["forecast", "lo-95"]] >= 0).all().all()


def test_a_series_every_candidate_fails_on_falls_back_to_naive_with_a_warning(monkeypatch):
    import planner.forecast.engine as engine

    class Failing:
        alias = "Failing"

        def new(self):
            return self

        def fit(self, y, X=None):
            raise RuntimeError("cannot fit")

    monkeypatch.setattr(engine, "regular_models", lambda *args: [Failing()])
    y = 100 + 10 * np.sin(np.arange(60) * 2 * np.pi / 7)
    with pytest.warns(PlannerWarning, match="'s': every candidate model failed on its backtest; using the Naive"):
        r = forecast(_frame(y), h=5, n_jobs=1)
    assert (r.forecast["model"] == "Naive (short history)").all()
    assert r.forecast["forecast"].to_numpy() == pytest.approx(np.full(5, y[-1]))
    assert r.backtest.loc[0, "windows"] == 0


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"unique_id": ["a"], "ds": ["2024-01-01"]}), r"missing: \['y'\]"),
        (pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01", "soon"], "y": [1, 2]}), "unparseable timestamp at row 2"),
        (pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01", "2024-01-02"], "y": [1, "x"]}), "must be numeric at row 2"),
        (pd.DataFrame({"unique_id": ["a", "a"], "ds": ["2024-01-01", "2024-01-01"], "y": [1, 2]}), "duplicate"),
    ],
)
def test_bad_input(frame, message):
    with pytest.raises(InputError, match=message):
        Forecaster(h=3).fit(frame)


def test_bad_settings():
    df = _frame(np.arange(30, dtype=float))
    with pytest.raises(InputError, match="horizon"):
        Forecaster(h=0).fit(df)
    with pytest.raises(InputError, match="levels"):
        Forecaster(h=3, level=(80, 120)).fit(df)
    with pytest.raises(InputError, match="unknown frequency"):
        Forecaster(h=3).fit(df, freq="fortnightly")


def test_cli_contract(tmp_path, capsys):
    rng = np.random.default_rng(4)
    df = pd.concat([_frame(100 + rng.normal(0, 5, 60), uid="a"), _frame(50 + rng.normal(0, 2, 60), uid="b")])
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    df.to_csv(src, index=False)
    assert main(["forecast", str(src), "--horizon", "10", "--output", str(out), "--level", "90"]) == 0
    result = pd.read_csv(out)
    assert list(result.columns) == ["unique_id", "ds", "forecast", "lo-90", "hi-90", "model"]
    assert len(result) == 20
    assert main(["forecast", str(src), "--horizon", "10", "--output", str(out)]) == 0
    assert list(pd.read_csv(out).columns) == ["unique_id", "ds", "forecast", "lo-80", "hi-80", "lo-95", "hi-95", "model"]
    bad = tmp_path / "bad.csv"
    bad.write_text("unique_id,ds,y\na,2024-01-01,1\na,2024-01-02,oops\n")
    capsys.readouterr()
    assert main(["forecast", str(bad), "--horizon", "3", "--output", str(tmp_path / "x.csv")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("planner forecast: error:") and "bad.csv" in err[-1] and "row 2" in err[-1]
    assert not (tmp_path / "x.csv").exists()


def test_cli_saves_the_run_in_the_store(tmp_path):
    from planner.store import Store

    src, store = tmp_path / "in.csv", tmp_path / "s.duckdb"
    _frame(np.arange(40, dtype=float) + 5).to_csv(src, index=False)
    assert main(["forecast", str(src), "--horizon", "5", "--output", str(tmp_path / "o.csv"),
                 "--save", "--label", "2025-02", "--store", str(store)]) == 0
    with Store(store) as s:
        meta, tables = s.load_snapshot(int(s.snapshots("forecast")["snapshot_id"].iloc[-1]))
    assert meta["label"] == "2025-02" and meta["settings"]["h"] == 5 and meta["settings"]["input"] == str(src)
    assert len(tables["forecast"]) == 5 and "mase" in tables["backtest"].columns


@pytest.mark.parametrize(("freq", "n"), [("MS", 8), ("D", 5), ("D", 2), ("h", 30), ("W-MON", 60), ("15min", 300)])
def test_any_frequency_and_short_histories_give_finite_forecasts(freq, n):
    y = 100 + np.arange(n, dtype=float) + np.random.default_rng(n).normal(0, 2, n)
    with pytest.warns(PlannerWarning) if n < 40 else _no_error():
        r = forecast(_frame(y, freq=freq), h=6)
    values = r.forecast[["forecast", "lo-80", "hi-80", "lo-95", "hi-95"]].to_numpy()
    assert np.isfinite(values).all() and len(values) == 6
    assert (np.diff(r.forecast["ds"]) > np.timedelta64(0)).all()


def _no_error():
    import contextlib

    return contextlib.nullcontext()


def test_lone_zero_in_a_large_series_is_missing_data_but_small_counts_keep_their_zeros():
    rng = np.random.default_rng(6)
    big = 5e6 * np.exp(rng.normal(0, 0.1, 200))
    big[[50, 120]] = 0.0
    with pytest.warns(PlannerWarning, match="2 zero or near-zero periods .* read as outages"):
        r = forecast(_frame(big, uid="big"), h=14)
    assert r.forecast["lo-95"].min() > 1e6 and r.forecast["hi-95"].max() < 2e7
    small = rng.poisson(3, 200).astype(float)
    small[small == 0] = 1.0
    small[[10, 90]] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlannerWarning)
        forecast(_frame(small, uid="small"), h=7)


def test_a_partial_last_period_is_left_out_with_a_warning_naming_it():
    t = np.arange(24 * 14)
    y = 1000 * (1 + 0.5 * np.sin(2 * np.pi * t / 24))
    y[-1] *= 0.3                                         # the export stopped 20 minutes into the hour
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2024-03-04", periods=len(t), freq="h"), "y": y})
    last = df["ds"].iloc[-1]
    with pytest.warns(PlannerWarning, match=f"the last period {last} .* under 50% of every comparable"):
        r = forecast(df, h=6, n_jobs=1)
    assert r.forecast["ds"].iloc[0] == last              # forecast from the last whole hour on
    today = pd.Timestamp.now(tz="UTC").tz_localize(None).normalize()
    days = pd.DataFrame({"unique_id": "d", "ds": pd.date_range(end=today, periods=60, freq="D"),
                         "y": 100 + np.arange(60) % 7})
    with pytest.warns(PlannerWarning, match=f"the last period {today} has not closed yet"):
        r = forecast(days, h=3, n_jobs=1)
    assert r.forecast["ds"].iloc[0] == today
    whole = df.assign(y=1000 * (1 + 0.5 * np.sin(2 * np.pi * t / 24)))
    r = forecast(whole, h=6, n_jobs=1)
    assert r.forecast["ds"].iloc[0] == last + pd.Timedelta(hours=1)


def test_a_series_that_varies_never_gets_a_zero_width_band():
    """A step-like GPU count flat through every backtest window still moved before them."""
    n = 24 * 23
    y = np.full(n, 40.0)
    for a in (24 * 2, 24 * 6, 24 * 9):
        y[a:a + 30] = 48.0                                    # steps in the first half only
    df = pd.DataFrame({"unique_id": "step", "ds": pd.date_range("2024-05-01", periods=n, freq="h"), "y": y})
    fc = forecast(df, h=168, n_jobs=1).forecast
    z = np.log(y)
    lag24 = np.abs(z[24:] - z[:-24])
    expected = 40 * (np.exp(conformal_quantile(lag24, 0.8)) - np.exp(-conformal_quantile(lag24, 0.8)))
    assert (fc["hi-80"] - fc["lo-80"]).to_numpy() == pytest.approx(np.full(168, expected))
    assert expected > 10                                      # 40 -> 48 steps: a band of about +-7 GPUs


def test_a_one_day_history_gets_a_finite_band_no_wider_than_its_day():
    """24 hours of a daily cycle forecast a month ahead: the band stays within what the day showed."""
    t = np.arange(24)
    y = 1e6 * (1 + 0.8 * np.sin(2 * np.pi * t / 24))              # 0.2 M to 1.8 M tokens an hour
    df = pd.DataFrame({"unique_id": "new", "ds": pd.date_range("2025-01-06", periods=24, freq="h"), "y": y})
    with pytest.warns(PlannerWarning, match="24 periods are too few to backtest 720 periods ahead"):
        fc = forecast(df, h=720, n_jobs=1).forecast
    assert np.isfinite(fc[["forecast", "lo-95", "hi-95"]].to_numpy()).all()
    assert fc["hi-95"].max() <= y[-1] * y.max() / y.min() + 1e-6  # the last value times the day's widest ratio
    assert (fc["hi-95"] > fc["lo-95"]).all()
