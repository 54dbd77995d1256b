"""Forecast speed: 1,000 daily series of 730 points, h=90, 80/95 intervals, next to AutoETS.

1,000 synthetic daily series (level, growth and weekly shape varying by series, seeded) are
forecast by planner with model selection, calibration and refits, on two processes; then by plain
statsforecast AutoETS with n_jobs=2 in the same process (and Prophet on one core when installed:
``pip install -e '.[bench]'``). Printed: wall time, processor time (this process and its
workers), peak memory (largest resident set of this process or any worker) and the 1-minute load
average before and after (the machine is shared; processor time is the steadier figure).
Accuracy is measured by ``benchmarks/forecast_suite.py``.

    .venv/bin/python benchmarks/forecast_bench.py [--series N]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import pandas as pd

from planner.forecast import forecast


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


def _peak_mib() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(me, kids) / 1024


def speed(n_series: int = 1000) -> None:
    from statsforecast import StatsForecast
    from statsforecast.models import AutoETS

    df = synthetic(n_series)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        load0, t0, c0 = os.getloadavg()[0], time.perf_counter(), _cpu_s()
        r = forecast(df, h=90, freq="D", level=(80, 95), n_jobs=2)
        ours, cpu = time.perf_counter() - t0, _cpu_s() - c0
        peak = _peak_mib()
        print(f"| planner: candidates backtested at h=90, weighted combination refitted, calibrated per lead | {ours:.1f} | "
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
    parser.add_argument("--series", type=int, default=1000)
    args = parser.parse_args()
    print(f"| run ({args.series:,} daily series x 730, h=90) | wall s | CPU s | peak MiB | load before / after |\n"
          "|---|---|---|---|---|")
    speed(args.series)


if __name__ == "__main__":
    main()
