"""Forecast accuracy on the shipped real series and speed on 1,000 synthetic series.

Accuracy: nested rolling origin. At each of the last ``--windows`` origins (one day apart for
hourly data) planner is fitted on the history before the origin (its own model choice and
calibration included) and forecasts ``--horizon`` periods; so is plain statsforecast AutoETS and
the SeasonalNaive reference (season 24). MASE uses the seasonal-naive in-sample scale of the
training data. Series: ServeGen requests and input/output tokens for m-small, m-mid, m-large
(day 0 taken as Monday 2025-01-06) and Philly busy nodes, all hourly.

Speed: 1,000 synthetic daily series of 730 points (level, growth and weekly shape varying by
series, seeded), h=90, levels 80/95, with model selection; wall time, processor time (this
process and its workers), peak memory (largest resident set of this process or any worker) and
the 1-minute load average before and after, next to plain AutoETS with n_jobs=2.

Accuracy on seeded synthetic hourly series instead (growth, cycles, bursts, outages; see
``synthetic_hourly``): ``--synthetic-hourly``; on 60 daily series drawn like the speed run's at
h=90 (the long-horizon regime, where models without a trend lag): ``--synthetic-daily``. Prophet
is timed on the speed run when installed (``pip install -e '.[bench]'``).

    .venv/bin/python benchmarks/forecast_bench.py [--skip-speed] [--skip-accuracy]
        [--synthetic-hourly | --synthetic-daily] [--windows N]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from planner.forecast import forecast
from planner.forecast.metrics import naive_scale

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


def real_series() -> pd.DataFrame:
    sg = pd.read_csv(SAMPLES / "servegen_hourly_by_model.csv")
    sg = sg[sg["model"].isin(["m-small", "m-mid", "m-large"])]
    ds = pd.Timestamp("2025-01-06") + pd.to_timedelta(sg["t_offset_s"], unit="s")
    frames = [pd.DataFrame({"unique_id": sg["model"] + "/" + name, "ds": ds, "y": sg[col]})
              for name, col in (("requests", "requests_gapfilled"), ("input_tokens", "input_tokens_est_scaled_gapfilled"),
                                ("output_tokens", "output_tokens_est_scaled_gapfilled"))]
    frames.append(pd.read_csv(SAMPLES / "philly_busy_nodes_hourly.csv", parse_dates=["ds"]))
    df = pd.concat(frames, ignore_index=True)
    # statsforecast's plain models need complete series: fill the few empty hours for everyone alike.
    df["y"] = df.groupby("unique_id")["y"].transform(lambda s: s.interpolate(limit_direction="both"))
    return df.dropna()


def _baselines(train: pd.DataFrame, h: int, freq: str, season: int) -> pd.DataFrame:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS, SeasonalNaive

    sf = StatsForecast(models=[SeasonalNaive(season_length=season), AutoETS(season_length=season)], freq=freq,
                       n_jobs=1 if train["unique_id"].nunique() < 20 else 2)
    return sf.forecast(df=train, h=h, level=[80, 95])


def accuracy(h: int, windows: int) -> pd.DataFrame:
    rows = []
    for df in _datasets(real_series()):
        rows += _windows(df, h, windows)
    return _table(rows)


def _datasets(df: pd.DataFrame) -> list[pd.DataFrame]:
    """Series that share a timeline (same last timestamp) are evaluated at the same origins."""
    last = df.groupby("unique_id")["ds"].transform("max")
    return [g for _, g in df.groupby(last)]


def _windows(df: pd.DataFrame, h: int, windows: int, freq: str = "h", season: int = 24) -> list[dict]:
    rows = []
    last = df["ds"].max()
    step = pd.Timedelta(1, unit=freq)
    for w in range(windows, 0, -1):
        origin = last - step * h * w
        train, test = df[df["ds"] <= origin], df[(df["ds"] > origin) & (df["ds"] <= origin + step * h)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours = forecast(train, h=h, freq=freq, n_jobs=1 if train["unique_id"].nunique() < 20 else 2).forecast
            base = _baselines(train, h, freq, season)
        m = test.merge(ours, on=["unique_id", "ds"]).merge(base, on=["unique_id", "ds"])
        for uid, g in m.groupby("unique_id"):
            scale = naive_scale(train.loc[train["unique_id"] == uid, "y"].to_numpy(), season)
            y = g["y"].to_numpy()
            row = {"unique_id": uid, "origin": origin, "model": g["model"].iloc[0]}
            for name, point, lo80, hi80, lo95, hi95 in (
                ("planner", "forecast", "lo-80", "hi-80", "lo-95", "hi-95"),
                ("autoets", "AutoETS", "AutoETS-lo-80", "AutoETS-hi-80", "AutoETS-lo-95", "AutoETS-hi-95"),
                ("snaive", "SeasonalNaive", "SeasonalNaive-lo-80", "SeasonalNaive-hi-80", "SeasonalNaive-lo-95",
                 "SeasonalNaive-hi-95"),
            ):
                row[f"{name}_ae"] = np.mean(np.abs(y - g[point])) / scale
                row[f"{name}_in80"] = np.mean((y >= g[lo80]) & (y <= g[hi80]))
                row[f"{name}_in95"] = np.mean((y >= g[lo95]) & (y <= g[hi95]))
            rows.append(row)
    return rows


def _table(rows: list[dict]) -> pd.DataFrame:
    per = pd.DataFrame(rows).groupby("unique_id").agg(
        model=("model", lambda s: "/".join(sorted(set(s)))),
        **{c: (c, "mean") for c in rows[0] if c not in ("unique_id", "origin", "model")})
    out = pd.DataFrame({
        "planner model(s)": per["model"],
        "MASE planner": per["planner_ae"], "MASE AutoETS": per["autoets_ae"], "MASE SNaive": per["snaive_ae"],
        "planner/SNaive": per["planner_ae"] / per["snaive_ae"], "AutoETS/SNaive": per["autoets_ae"] / per["snaive_ae"],
        "cov80 planner": per["planner_in80"], "cov95 planner": per["planner_in95"],
        "cov80 AutoETS": per["autoets_in80"], "cov95 AutoETS": per["autoets_in95"],
    })
    return out


def synthetic(n_series: int = 1000, n: int = 730, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    ds = pd.date_range("2023-01-01", periods=n, freq="D")
    level = rng.lognormal(8, 2, n_series)
    growth = rng.normal(0.5, 0.8, n_series) / 365          # -30 %..+130 % a year
    amp = rng.uniform(0, 0.4, n_series)
    phase = rng.uniform(0, 2 * np.pi, n_series)
    noise = rng.uniform(0.02, 0.25, n_series)
    y = level[:, None] * np.exp(growth[:, None] * t + amp[:, None] * np.sin(2 * np.pi * t / 7 + phase[:, None])
                                + rng.normal(0, 1, (n_series, n)) * noise[:, None])
    return pd.DataFrame({"unique_id": np.repeat([f"s{i:04d}" for i in range(n_series)], n),
                         "ds": np.tile(ds, n_series), "y": y.reshape(-1)})


def synthetic_hourly(n_series: int = 24, weeks: int = 5, seed: int = 123) -> pd.DataFrame:
    """Hourly series of the kind the product meets but the shipped data does not cover alone.

    Growth between 0.5x and 10x a year, a daily cycle of random amplitude and phase, a weekend
    dip, AR(1) noise, 1 % of hours with bursts of 2-5x, and an outage (zeros for 2-7 hours) in
    every third series; seeded.
    """
    rng = np.random.default_rng(seed)
    n = 24 * 7 * weeks
    t = np.arange(n)
    frames = []
    for i in range(n_series):
        growth = np.log(rng.uniform(0.5, 10)) / (24 * 365)
        daily = rng.uniform(0.1, 0.8) * np.sin(2 * np.pi * t / 24 + rng.uniform(0, 6))
        weekend = rng.uniform(0, 0.4) * (((t // 24) % 7) >= 5)
        noise = rng.normal(0, rng.uniform(0.05, 0.3), n)
        ar = np.zeros(n)
        for k in range(1, n):
            ar[k] = 0.8 * ar[k - 1] + noise[k]
        y = rng.lognormal(8, 1) * np.exp(growth * t + daily - weekend + ar * 0.5)
        bursts = rng.random(n) < 0.01
        y[bursts] *= rng.uniform(2, 5, bursts.sum())
        if i % 3 == 0:
            a = rng.integers(100, n - 100)
            y[a:a + rng.integers(2, 8)] = 0
        frames.append(pd.DataFrame({"unique_id": f"h{i:02d}", "ds": pd.date_range("2025-03-03", periods=n, freq="h"),
                                    "y": y}))
    return pd.concat(frames, ignore_index=True)


def _peak_mib() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(me, kids) / 1024


def speed() -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    df = synthetic()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), _cpu_s()
        r = forecast(df, h=90, freq="D", level=(80, 95), n_jobs=2)
        ours, cpu = time.perf_counter() - t0, _cpu_s() - c0
        peak = _peak_mib()
        print(f"| planner: 8 candidates backtested on 3 windows, weighted combination, calibrated 80/95 | {ours:.1f} | "
              f"{cpu:.1f} | {peak:,.0f} | {load0:.1f} / {os.getloadavg()[0]:.1f} |")
        print("final models:", r.backtest["model"].value_counts().to_dict())
        load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), _cpu_s()
        StatsForecast(models=[AutoETS(season_length=7)], freq="D", n_jobs=2).forecast(df=df, h=90, level=[80, 95])
        ets, cpu = time.perf_counter() - t0, _cpu_s() - c0
        print(f"| statsforecast AutoETS, n_jobs=2, no selection | {ets:.1f} | {cpu:.1f} | "
              f"{_peak_mib():,.0f} (cumulative max) | {load0:.1f} / {os.getloadavg()[0]:.1f} |")
        _prophet(df)


def _prophet(df: pd.DataFrame) -> None:
    """Prophet on the same series, one core, its default 80 % interval only (a second level costs a
    second predict)."""
    try:
        import logging

        from prophet import Prophet
    except ImportError:
        print("| Prophet | not installed: pip install -e '.[bench]' | | | |")
        return
    for name in ("cmdstanpy", "prophet"):
        logging.getLogger(name).disabled = True  # one line per fit otherwise
    load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), _cpu_s()
    for _, g in df.groupby("unique_id", sort=False):
        m = Prophet(interval_width=0.8).fit(g[["ds", "y"]])
        m.predict(m.make_future_dataframe(periods=90, include_history=False))
    wall, cpu = time.perf_counter() - t0, _cpu_s() - c0
    print(f"| Prophet 1 core, 80 % interval only, no selection | {wall:.1f} | {cpu:.1f} | "
          f"{_peak_mib():,.0f} (cumulative max) | {load0:.1f} / {os.getloadavg()[0]:.1f} |")


def _cpu_s() -> float:
    """Processor time of this process and its finished workers [s] (less load-sensitive than wall time)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--horizon", type=int, default=24)
    parser.add_argument("--windows", type=int, default=3)
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--synthetic-hourly", action="store_true",
                        help="accuracy on synthetic hourly series (synthetic_hourly) instead of the shipped ones")
    parser.add_argument("--synthetic-daily", action="store_true",
                        help="accuracy on 60 daily series drawn like the speed run's (growth -30 %% to +130 %% a "
                             "year), h=90 from 2 origins "
                             "90 days apart (--horizon and --windows are ignored)")
    args = parser.parse_args()
    if not args.skip_accuracy:
        if args.synthetic_daily:
            table = _table(_windows(synthetic(60), 90, 2, "D", 7))
        elif args.synthetic_hourly:
            table = _table(_windows(synthetic_hourly(), args.horizon, args.windows))
        else:
            table = accuracy(args.horizon, args.windows)
        with pd.option_context("display.width", 250, "display.max_columns", 20, "display.precision", 3):
            print(table.to_markdown(floatfmt=".3f") if _has_tabulate() else table.to_string())
        print(f"\nmean planner/SNaive MASE ratio: {table['planner/SNaive'].mean():.3f}; "
              f"mean MASE planner {table['MASE planner'].mean():.3f} vs SNaive {table['MASE SNaive'].mean():.3f} "
              f"({table['MASE planner'].mean() / table['MASE SNaive'].mean():.3f}x); "
              f"worst series ratio {table['planner/SNaive'].max():.3f}; "
              f"AutoETS {table['AutoETS/SNaive'].mean():.3f} mean, {table['AutoETS/SNaive'].max():.3f} worst; "
              f"coverage 80 {table['cov80 planner'].mean():.3f}, 95 {table['cov95 planner'].mean():.3f} "
              f"(AutoETS {table['cov80 AutoETS'].mean():.3f}, {table['cov95 AutoETS'].mean():.3f})")
    if not args.skip_speed:
        print("\n| run (1,000 daily series x 730, h=90) | wall s | CPU s | peak MiB | load before / after |\n"
              "|---|---|---|---|---|")
        speed()


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    main()
