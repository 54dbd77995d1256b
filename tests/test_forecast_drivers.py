"""Drivers (judgmental adjustments) and long horizons from hourly data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InputError
from planner.forecast import (
    ForecastResult,
    apply_drivers,
    disaggregate,
    forecast_long,
    growth,
    intraday_profile,
    s_curve,
    shift,
    step,
)


def _flat_result(ids=("a", "b"), days=60, value=100.0, n_paths=0) -> ForecastResult:
    ds = pd.date_range("2025-01-01", periods=days, freq="D")
    fc = pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "forecast": value, "lo-80": value * 0.9,
                                  "hi-80": value * 1.1, "model": "x"}) for u in ids], ignore_index=True)
    paths = pd.DataFrame(columns=["unique_id", "ds", "sample", "y"])
    if n_paths:
        paths = pd.concat([fc[["unique_id", "ds"]].assign(sample=s, y=value) for s in range(n_paths)], ignore_index=True)
    return ForecastResult(fc, paths, pd.DataFrame(), {})


def test_growth_compounds_monthly_and_scales_intervals():
    r = apply_drivers(_flat_result(), [growth(10, start="2025-01-01", series="a")])
    a = r.forecast[r.forecast["unique_id"] == "a"].set_index("ds")
    t = (pd.Timestamp("2025-02-28") - pd.Timestamp("2025-01-01")).days / 30.4375
    assert a.loc["2025-02-28", "forecast"] == pytest.approx(100 * 1.1 ** t)
    assert a.loc["2025-02-28", "hi-80"] / a.loc["2025-02-28", "forecast"] == pytest.approx(1.1)
    assert (r.forecast.loc[r.forecast["unique_id"] == "b", "forecast"] == 100).all()
    assert (r.forecast["statistical"] == 100).all()
    label = r.drivers["label"].iloc[0]
    assert np.allclose(r.forecast["statistical"] + r.forecast[label], r.forecast["forecast"])


def test_step_s_curve_and_shift_conserve_what_they_should():
    r = apply_drivers(_flat_result(n_paths=3), [
        step("2025-01-15", amount=50, series="a"),
        s_curve("2025-01-01", level=40, midpoint="2025-02-01", width_days=5, series="b"),
        shift(0.25, source="a", target="b", start="2025-02-15"),
    ])
    f = r.forecast.set_index(["unique_id", "ds"])["forecast"]
    assert f[("a", pd.Timestamp("2025-01-14"))] == 100 and f[("a", pd.Timestamp("2025-01-15"))] == 150
    assert f[("b", pd.Timestamp("2025-02-01"))] == pytest.approx(100 + 20)
    day = pd.Timestamp("2025-02-20")
    assert f[("a", day)] == pytest.approx(150 * 0.75)
    assert f[("a", day)] + f[("b", day)] == pytest.approx(150 + 100 + 40 / (1 + np.exp(-19 / 5)))
    paths = r.paths.groupby(["unique_id", "ds"])["y"].mean()
    assert paths[("a", day)] == pytest.approx(f[("a", day)])
    assert list(r.drivers["kind"]) == ["step", "s_curve", "shift"]
    with pytest.raises(InputError, match="unknown series 'zzz'"):
        apply_drivers(_flat_result(), [growth(5, "2025-01-01", series="zzz")])


def test_long_horizon_hours_add_up_to_days_and_keep_the_peak():
    rng = np.random.default_rng(0)
    hours = pd.date_range("2025-01-06", periods=24 * 42, freq="h")
    shape = 1 + 0.8 * np.exp(-(((hours.hour - 20) / 3) ** 2))  # one evening peak
    y = 1000 * shape * (1 + 0.02 * rng.standard_normal(len(hours)))
    hourly = pd.DataFrame({"unique_id": "svc", "ds": hours, "y": y})
    daily, fine = forecast_long(hourly, days=60)
    assert len(daily.forecast) == 60 and len(fine) == 60 * 24
    sums = fine.groupby(fine["ds"].dt.floor("D"))["forecast"].sum()
    assert np.allclose(sums.to_numpy(), daily.forecast["forecast"].to_numpy())
    peak_hour = fine.loc[fine.groupby(fine["ds"].dt.floor("D"))["forecast"].idxmax(), "ds"].dt.hour
    assert peak_hour.mode().iloc[0] == pd.Series(y, index=hours).groupby(hours.hour).mean().idxmax()
    prof = intraday_profile(hourly)
    assert np.allclose(prof.groupby(["unique_id", "weekday"])["share"].sum(), 1.0)
    with pytest.raises(InputError, match="no intraday profile"):
        disaggregate(daily.forecast.assign(unique_id="other"), prof)
