"""Time the whole forecast (backtest, combination, calibrated 80/95, optional paths) of many daily
series on a local Dask cluster, at two worker counts, and project what N workers would take.

The series (730 days, drawn like ``forecast_bench.synthetic``: growth -30 % to +130 % a year,
weekly cycle, noise) are generated on the workers, partition by partition, indexed by
``unique_id`` with known divisions, so nothing is shuffled and the client never holds the input.
Each run is ``planner.forecast.distributed.forecast_distributed`` end to end: generating the
partitions, forecasting them, and collecting the ``ForecastResult`` on the client.

1. Calibration: ``--calibrate`` series at every worker count of ``--workers`` (1 and 2 here),
   and the pandas ``Forecaster`` in this process (one core) for the same series.
2. The main run: ``--series`` series at the largest worker count, or the largest count the
   calibration predicts to fit in ``--budget-min`` minutes (rounded down to 1,000s).

The cost per series is wall time x workers / series [ms per worker]; the projection for W
workers is ``series x cost(1 worker) / (W x efficiency)``, with the parallel efficiency measured
at the largest worker count (``cost(1) / cost(W_max)``), assumed to hold for more workers.
The 1-minute load average is printed before and after each run (other jobs share this machine).

    python benchmarks/forecast_scale.py --series 100000 --budget-min 30      # the full run
    python benchmarks/forecast_scale.py --series 200 --calibrate 200         # a quick check
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cloudpickle  # noqa: E402
import forecast_bench  # noqa: E402  (the synthetic daily series of the speed benchmark)

from planner.forecast import Forecaster  # noqa: E402
from planner.forecast.distributed import forecast_distributed, npartitions_for  # noqa: E402

N_DAYS, HORIZON, LEVELS = 730, 90, (80, 95)
cloudpickle.register_pickle_by_value(forecast_bench)  # the workers need not find benchmarks/ on their path


def _partition(start: int, count: int) -> pd.DataFrame:
    """Series ``start .. start+count-1``, indexed by ``unique_id`` ``s000000``..., seeded by ``start``."""
    df = forecast_bench.synthetic(count, N_DAYS, seed=start)
    number = df["unique_id"].str[1:].astype(int) + start
    return df.assign(unique_id="s" + number.astype(str).str.zfill(7)).set_index("unique_id")


def series_frame(n_series: int, workers: int):
    """A Dask frame of ``n_series`` synthetic daily series, generated where it is computed."""
    import dask.dataframe as dd

    k = npartitions_for(n_series, workers)
    edges = np.linspace(0, n_series, k + 1).round().astype(int)
    starts, counts = edges[:-1].tolist(), np.diff(edges).tolist()
    divisions = [f"s{s:07d}" for s in starts] + [f"s{n_series - 1:07d}"]
    meta = _partition(0, 1).iloc[:0]
    return dd.from_map(_partition, starts, counts, meta=meta, divisions=divisions, enforce_metadata=False)


def _load() -> float:
    return os.getloadavg()[0]


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_dask(n_series: int, workers: int, n_paths: int) -> dict:
    """One end-to-end run on a fresh local cluster of ``workers`` processes (one thread each)."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.run(_warm_up)  # imports (statsforecast takes 1-3 s) are not per-series cost
        cpu0 = sum(client.run(_cpu_s).values()) + _cpu_s()
        load0, t0 = _load(), time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = forecast_distributed(series_frame(n_series, workers), HORIZON, "D", LEVELS, n_paths=n_paths)
        wall = time.perf_counter() - t0
        cpu = sum(client.run(_cpu_s).values()) + _cpu_s() - cpu0
        worker_mib = max(client.run(_worker_peak_mib).values())
    assert r.forecast["unique_id"].nunique() == n_series and len(r.forecast) == n_series * HORIZON
    return {"engine": f"dask, {workers} worker{'s' if workers > 1 else ''}", "workers": workers,
            "series": n_series, "wall_s": wall, "cpu_s": cpu, "partitions": r.settings["partitions"],
            "client_mib": _peak_mib(), "worker_mib": worker_mib, "load": (load0, _load())}


def run_pandas(n_series: int) -> dict:
    """The same series through the pandas Forecaster in this process, one core."""
    df = series_frame(n_series, 1).compute().reset_index()
    load0, t0, cpu0 = _load(), time.perf_counter(), _cpu_s()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        Forecaster(HORIZON, LEVELS, n_jobs=1).fit(df, "D").predict()
    return {"engine": "pandas, 1 process", "workers": 1, "series": n_series, "wall_s": time.perf_counter() - t0,
            "cpu_s": _cpu_s() - cpu0, "partitions": 1, "client_mib": _peak_mib(), "worker_mib": float("nan"), "load": (load0, _load())}


def _warm_up() -> None:
    import statsforecast  # noqa: F401

    import planner.forecast.engine  # noqa: F401


def _cpu_s() -> float:
    """Processor time of this process [s]."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def _worker_peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _row(r: dict) -> str:
    per = r["wall_s"] * r["workers"] / r["series"] * 1000
    return (f"| {r['engine']} | {r['series']:,} | {r['partitions']:,} | {r['wall_s']:,.1f} | {per:.1f} | "
            f"{r['cpu_s'] / r['series'] * 1000:.1f} | {r['series'] / r['wall_s']:,.1f} | {r['client_mib']:,.0f} / {r['worker_mib']:,.0f} | "
            f"{r['load'][0]:.1f} / {r['load'][1]:.1f} |")


def _duration(seconds: float) -> str:
    return f"{seconds / 3600:,.1f} h" if seconds >= 7200 else f"{seconds / 60:,.1f} min" if seconds >= 120 \
        else f"{seconds:,.0f} s"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000, help="series of the main run (default 100,000)")
    parser.add_argument("--calibrate", type=int, default=1000, help="series of the calibration runs (default 1,000)")
    parser.add_argument("--workers", default="1,2", help="worker counts of the calibration (default 1,2)")
    parser.add_argument("--budget-min", type=float, default=30.0, help="time budget of the main run [min]")
    parser.add_argument("--paths", type=int, default=0, help="sample paths per series (default 0)")
    parser.add_argument("--no-pandas", action="store_true", help="skip the pandas reference run")
    args = parser.parse_args()
    counts = sorted({int(w) for w in args.workers.split(",")})
    print(f"{N_DAYS} daily points per series, h={HORIZON}, levels {LEVELS}, {args.paths} paths per series; "
          f"{os.cpu_count()} cores\n")
    print("| run | series | partitions | wall s | wall ms per series x workers | CPU ms per series | series/s | "
          "peak MiB client / worker | load before / after |\n|---|---|---|---|---|---|---|---|---|")
    rows = []
    if not args.no_pandas:
        rows.append(run_pandas(args.calibrate))
        print(_row(rows[-1]), flush=True)
    cal = {}
    for w in counts:
        rows.append(run_dask(args.calibrate, w, args.paths))
        cal[w] = rows[-1]["wall_s"] * w / args.calibrate   # [s per series per worker]
        print(_row(rows[-1]), flush=True)
    top = counts[-1]
    per_series_wall = cal[top] / top
    fits = int(0.9 * args.budget_min * 60 / per_series_wall) // 1000 * 1000
    n_main = min(args.series, max(fits, args.calibrate))
    if n_main > args.calibrate:
        print(f"| (main run: {n_main:,} series predicted to take {_duration(n_main * per_series_wall)}) |"
              " | | | | | | | |", flush=True)
        rows.append(run_dask(n_main, top, args.paths))
        print(_row(rows[-1]), flush=True)
        cal[top] = rows[-1]["wall_s"] * top / n_main
    efficiency = cal[counts[0]] / cal[top] if top > counts[0] else 1.0
    c1 = cal[counts[0]]
    print(f"\nparallel efficiency at {top} workers: {efficiency:.2f} (cost per series per worker "
          f"{c1 * 1000:.1f} ms at {counts[0]}, {cal[top] * 1000:.1f} ms at {top})")
    print(f"projected wall time for {args.series:,} series (x {c1 * 1000:.1f} ms / (W x {efficiency:.2f})):")
    for w in sorted({1, top, 8, 32, 100}):
        t = args.series * c1 / (w * (efficiency if w > 1 else 1.0))
        print(f"  {w:>3} workers: {_duration(t)}" + (" (measured)" if w == top and n_main == args.series else ""))
    if n_main < args.series:
        print(f"({args.series:,} series do not fit in {args.budget_min:g} min on {top} workers here; "
              f"the main run used {n_main:,})")


if __name__ == "__main__":
    main()
