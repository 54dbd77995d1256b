"""Every grain: usage sums per period against independent pandas sums, the label convention,
frequency inference and the seasons each grain allows, the CLI's answer to an unknown alias."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.exceptions import InputError, PlannerWarning
from planner.forecast import Forecaster
from planner.forecast.prepare import infer_freq, season_candidates
from planner.periods import check_freq, period_label
from planner.usage import to_series
from planner.usage.schema import DIMENSIONS

WEEKLY = [f"W-{d}" for d in ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")]


def _usage() -> pd.DataFrame:
    """Hourly usage of two teams from Wednesday 2024-11-13 13:00 to Wednesday 2025-08-13 09:00
    (every week, month and quarter at the edges is partial), with a gap of 10 days in March."""
    ts = pd.date_range("2024-11-13 13:00", "2025-08-13 09:00", freq="h")
    ts = ts[(ts < "2025-03-04") | (ts >= "2025-03-14")]
    rng = np.random.default_rng(0)
    frames = [pd.DataFrame({"ts": ts, "team": team, "value": rng.integers(0, 1000, len(ts)).astype(float)})
              for team in ("a", "b")]
    usage = pd.concat(frames, ignore_index=True).assign(source="test", metric="requests")
    for d in DIMENSIONS:
        if d != "team":
            usage[d] = ""
    return usage


def _independent(usage: pd.DataFrame, rule: str, **kw) -> pd.DataFrame:
    """Sums per team and period by pandas' resampler, empty periods inside the span as 0."""
    out = usage.set_index("ts").groupby("team")["value"].resample(rule, **kw).sum().reset_index()
    out["unique_id"] = out["team"] + "/requests"
    return out.rename(columns={"ts": "ds", "value": "y"})[["unique_id", "ds", "y"]]


@pytest.mark.parametrize(
    ("freq", "rule", "kw"),
    [("h", "h", {}), ("D", "D", {}), ("MS", "MS", {}), ("ME", "ME", {}), ("QS", "QS", {}), ("QE", "QE", {})]
    + [(w, w, {"closed": "left", "label": "left"}) for w in WEEKLY],
)
def test_to_series_sums_every_grain_like_pandas(freq, rule, kw):
    usage = _usage()
    got = to_series(usage, "requests", by=["team"], freq=freq)
    expected = _independent(usage, rule, **kw)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert got["y"].sum() == usage["value"].sum()  # nothing lost at the partial edges
    assert got.groupby("unique_id")["ds"].apply(  # every series lies on the frequency's own grid
        lambda d: (d.to_numpy() == pd.date_range(d.min(), d.max(), freq=freq).to_numpy()).all()).all()


def test_labels_follow_one_convention():
    ts = pd.Series(pd.to_datetime(["2025-01-01 05:00", "2025-01-05 23:00", "2025-01-06 00:00", "2025-03-31 23:00"]))
    # Wednesday, Sunday, Monday, Monday
    assert period_label(ts, "W-MON").tolist() == pd.to_datetime(["2024-12-30", "2024-12-30", "2025-01-06",
                                                                  "2025-03-31"]).tolist()
    # weeks starting Sunday, labelled by that Sunday (pandas' resample would use the Sunday ending them)
    assert period_label(ts, "W-SUN").tolist() == pd.to_datetime(["2024-12-29", "2025-01-05", "2025-01-05",
                                                                  "2025-03-30"]).tolist()
    assert period_label(ts, "MS").tolist() == pd.to_datetime(["2025-01-01"] * 3 + ["2025-03-01"]).tolist()
    assert period_label(ts, "ME").tolist() == pd.to_datetime(["2025-01-31"] * 3 + ["2025-03-31"]).tolist()
    assert period_label(ts, "QS").tolist() == pd.to_datetime(["2025-01-01"] * 4).tolist()
    assert period_label(ts, "QE").tolist() == pd.to_datetime(["2025-03-31"] * 4).tolist()
    assert period_label(ts, "6h").tolist() == pd.to_datetime(["2025-01-01 00:00", "2025-01-05 18:00", "2025-01-06 00:00",
                                                               "2025-03-31 18:00"]).tolist()


@pytest.mark.parametrize("bad", ["hourly", "weekly", "W", "M", "fortnight", "2W-MON", "ms"])
def test_unknown_frequency_names_the_accepted_aliases(bad):
    with pytest.raises(InputError, match=r"unknown frequency .*expected one of h .*W-MON … W-SUN.*MS, ME, QS, QE"):
        check_freq(bad)
    with pytest.raises(InputError, match="unknown frequency"):
        to_series(_usage().head(5), "requests", freq=bad)
    assert check_freq("H") == "h" and check_freq("1h") == "h" and check_freq("15min") == "15min"


@pytest.mark.parametrize(
    ("freq", "n", "season"),
    [*((w, 110, 52) for w in WEEKLY), ("MS", 30, 12), ("ME", 30, 12), ("QS", 13, 4), ("QE", 13, 4),
     ("QS-FEB", 13, 4), ("QE-NOV", 13, 4), ("D", 60, 7), ("h", 400, 24), ("2W-TUE", 60, 26)],
)
def test_infer_freq_and_seasons_of_every_grain(freq, n, season):
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2021-01-01", periods=n, freq=freq), "y": 1.0})
    got = infer_freq(df)
    assert pd.tseries.frequencies.to_offset(got) == pd.tseries.frequencies.to_offset(freq)
    assert season_candidates(got)[0] == season


@pytest.mark.parametrize(
    ("ds", "message"),
    [(pd.date_range("2021-01-15", periods=12, freq="MS") + pd.Timedelta(days=14), "not the first day of a month"),
     (pd.DatetimeIndex(["2021-01-01", "2021-04-01", "2021-06-30", "2021-10-01"]), "not the first day")],
)
def test_infer_freq_refuses_calendar_steps_off_period_bounds(ds, message):
    with pytest.raises(InputError, match=message):
        infer_freq(pd.DataFrame({"unique_id": "s", "ds": ds, "y": 1.0}))


# a season ahead is backtested when the first fit holds two seasons and the windows a third of the
# horizon: 160 weeks for 52 (110 weeks forecast a year ahead as seasonal naive: test below)
@pytest.mark.parametrize(("freq", "n", "season"), [("W-THU", 160, 52), ("ME", 30, 12), ("QS", 16, 4)])
def test_forecast_models_the_season_a_grain_allows_when_the_history_holds_two(freq, n, season):
    t = np.arange(n)
    y = 1000 * np.exp(0.01 * t + 0.3 * np.sin(2 * np.pi * t / season))
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2020-01-01", periods=n, freq=freq), "y": y})
    fc = Forecaster(h=season, n_jobs=1).fit(df)
    assert fc.freq_ == freq and fc.info_["s"].seasons == (season,)
    r = fc.predict()
    assert r.forecast["ds"].tolist() == pd.date_range(df["ds"].iloc[-1], periods=season + 1, freq=freq)[1:].tolist()
    # a pure multiplicative season with growth: next season is this one grown, within a few %
    ratio = r.forecast["forecast"].to_numpy() / (y[-season:] * np.exp(0.01 * season))
    assert np.abs(ratio - 1).max() < 0.05
    short = df.head(2 * season - 1)
    assert Forecaster(h=2, n_jobs=1).fit(short).info_["s"].seasons == ()


def test_two_years_of_weeks_forecast_a_year_ahead_repeat_the_last_year_with_a_warning():
    t = np.arange(110)
    y = 1000 * np.exp(0.01 * t + 0.3 * np.sin(2 * np.pi * t / 52))
    df = pd.DataFrame({"unique_id": "s", "ds": pd.date_range("2020-01-02", periods=110, freq="W-THU"), "y": y})
    with pytest.warns(PlannerWarning, match="110 periods are too few to backtest 52 periods ahead"):
        r = Forecaster(h=52, n_jobs=1).fit(df).predict()
    assert r.forecast["forecast"].to_numpy() == pytest.approx(y[-52:])


def test_usage_series_cli_writes_weekly_and_monthly_sums(tmp_path, capsys):
    usage = _usage()
    src = tmp_path / "hourly.csv"
    usage[usage["team"] == "a"].assign(unique_id="a").rename(columns={"ts": "ds", "value": "y"})[
        ["unique_id", "ds", "y"]].to_csv(src, index=False)
    store = tmp_path / "s.duckdb"
    assert main(["ingest", str(src), "--format", "nixtla", "--metric", "requests", "--id-dim", "team",
                 "--store", str(store)]) == 0
    for freq, rule, kw in (("W-MON", "W-MON", {"closed": "left", "label": "left"}), ("MS", "MS", {})):
        out = tmp_path / f"{freq}.csv"
        assert main(["usage", "series", "--metric", "requests", "--by", "team", "--freq", freq,
                     "--output", str(out), "--store", str(store)]) == 0
        got = pd.read_csv(out, parse_dates=["ds"])
        expected = _independent(usage[usage["team"] == "a"], rule, **kw)
        pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    capsys.readouterr()
    out = tmp_path / "weekly.csv"
    assert main(["usage", "series", "--metric", "requests", "--freq", "weekly", "--output", str(out),
                 "--store", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--freq: unknown frequency 'weekly'" in err[0] and "W-MON … W-SUN" in err[0]
    assert not out.exists()
