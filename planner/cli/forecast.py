"""``planner forecast INPUT --horizon H --output OUT [--freq F] [--level 80 --level 95]
[--paths N --paths-output FILE] [--drivers FILE] [--hierarchy org,team,product]
[--engine dask --workers N]``."""

from __future__ import annotations

import argparse
import sys
import warnings
from contextlib import ExitStack
from pathlib import Path

import pandas as pd

from planner.cli._common import add_store_option, print_table, store_path
from planner.exceptions import InputError, PathError
from planner.outputs import check_file, write_file
from planner.periods import ACCEPTED, check_freq

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` subcommand."""
    p = subparsers.add_parser(
        "forecast",
        help="forecast long-format series (unique_id, ds, y)",
        description="Forecast every series of INPUT (CSV or Parquet, columns unique_id, ds, y) H periods "
        "ahead. Each series is forecast by a combination of seasonal naive, ETS, Theta and seasonal-mean "
        "candidates (Croston-type ones for intermittent series) weighted by their MASE on a rolling-origin "
        "backtest of the whole horizon, refitted on the whole history; intervals are calibrated per band of "
        "lead times on that backtest. A history too short to backtest a third of H gets seasonal naive with "
        "intervals from its own changes, and a warning. OUT is CSV: unique_id, ds, "
        "forecast, lo-L, hi-L per level, model (then statistical and one column per driver with --drivers).",
    )
    p.add_argument("input", metavar="INPUT", help="CSV or Parquet with unique_id, ds, y (or the --hierarchy columns)")
    p.add_argument("--horizon", type=int, required=True, metavar="H", help="periods to forecast")
    p.add_argument("--output", required=True, metavar="OUT", help="CSV file to write")
    p.add_argument("--freq", help=f"frequency of INPUT ({ACCEPTED}); inferred when omitted")
    p.add_argument("--level", type=int, action="append", metavar="L", help="interval level in %%, repeatable (default 80 and 95)")
    p.add_argument("--backtest", metavar="CSV", help="also write the per-series backtest accuracy here")
    p.add_argument("--paths", type=int, metavar="N", help="also draw N sample paths per series (needs --paths-output)")
    p.add_argument("--paths-output", metavar="FILE", help="CSV of the sample paths: unique_id, ds, sample, y")
    p.add_argument("--seed", type=int, default=0, help="seed of the sample paths (default 0)")
    p.add_argument("--drivers", metavar="YAML", help="apply growth, step, s_curve and shift drivers from this file; "
                   "OUT then keeps the statistical forecast and each driver's effect in their own columns")
    p.add_argument("--hierarchy", metavar="COLS", help="comma-separated columns from the top, e.g. org,team,product: "
                   "INPUT holds one bottom-level series per combination (unique_id is then ignored); every "
                   "node is forecast and reconciled (MinTrace) so children add up to their parents")
    p.add_argument("--engine", choices=["pandas", "dask"], default="pandas",
                   help="pandas (default: processes on this machine) or dask (a local Dask cluster)")
    p.add_argument("--workers", type=int, metavar="N", help="Dask workers of the local cluster (default 2)")
    p.add_argument("--save", action="store_true", help="also save the run (forecast, backtest, settings) in the store")
    p.add_argument("--label", default="", help="label of the saved run, e.g. the month planned")
    add_store_option(p)
    p.set_defaults(handler=_run)


def _check_options(args: argparse.Namespace) -> None:
    if args.horizon < 1:
        raise InputError(f"--horizon must be >= 1, got {args.horizon}")
    if args.freq is not None:
        try:   # any pandas frequency describes the grid of INPUT; the error names planner's aliases
            pd.tseries.frequencies.to_offset(args.freq)
        except ValueError:
            check_freq(args.freq, "--freq")
    if (args.paths is None) != (args.paths_output is None):
        raise InputError("--paths N and --paths-output FILE go together")
    if args.paths is not None and args.paths < 1:
        raise InputError(f"--paths must be >= 1, got {args.paths}")
    if args.seed < 0:
        raise InputError(f"--seed must be >= 0, got {args.seed}")
    if args.workers is not None and args.engine != "dask":
        raise InputError("--workers applies to --engine dask only")
    if args.workers is not None and args.workers < 1:
        raise InputError(f"--workers must be >= 1, got {args.workers}")
    if args.hierarchy is not None and args.engine == "dask":
        raise InputError("--hierarchy runs on the pandas engine; drop --engine dask")
    if args.hierarchy is not None and args.drivers:
        raise InputError("--drivers with --hierarchy would break the reconciled sums; apply drivers to the "
                         "bottom-level series first, or forecast without --hierarchy")


def _run(args: argparse.Namespace) -> int:
    from planner.usage import read_series
    from planner.usage._io import read_frame

    _check_options(args)
    levels = sorted(set(args.level or [80, 95]))
    n_paths = args.paths or 0
    inputs = [args.input, *([args.drivers] if args.drivers else []), *([store_path(args)] if args.save else [])]
    if args.save:
        check_file(store_path(args), [args.input], option="--store", example="planner.duckdb")
    outputs = [(args.output, "--output"), (args.backtest, "--backtest"), (args.paths_output, "--paths-output")]
    seen: dict[Path, str] = {}
    for target, option in outputs:
        if target:
            path = check_file(target, inputs, option=option).resolve()
            if path in seen:
                raise PathError(f"{option} {target}: is also the {seen[path]} file; give each its own file")
            seen[path] = option
    frame = read_frame(args.input) if args.hierarchy is not None else read_series(args.input)
    hierarchy = _hierarchy_columns(args.hierarchy, frame, args.input) if args.hierarchy is not None else None
    drivers = []
    if args.drivers:
        from planner.forecast.driver_file import read_drivers

        if "unique_id" not in frame.columns:
            raise InputError(f"{args.input}: the following columns are missing: ['unique_id']")
        drivers = read_drivers(args.drivers, set(frame["unique_id"].astype(str)))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", module=r"(distributed|dask|tornado|bokeh)(\.|$)")
        if hierarchy:
            result = _forecast_hierarchy(frame, hierarchy, args, levels, n_paths)
        elif args.engine == "dask":
            result = _forecast_dask(frame, args, levels, n_paths)
        else:
            from planner.forecast import Forecaster

            result = Forecaster(h=args.horizon, level=levels, progress=True).fit(frame, args.freq, what=args.input) \
                .predict(args.horizon, n_paths, args.seed)
    for w in caught:
        if issubclass(w.category, UserWarning):
            print(f"planner forecast: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    if drivers:
        from planner.forecast import apply_drivers

        result = apply_drivers(result, drivers)
    cols = ["unique_id", "ds", "forecast", *[f"{s}-{lv}" for lv in levels for s in ("lo", "hi")], "model"]
    if drivers:
        cols += ["statistical", *[d.label for d in drivers]]
    tables = {"--output": result.forecast[cols], "--backtest": result.backtest, "--paths-output": result.paths}
    with ExitStack() as stack:   # every file lands, or none
        for target, option in outputs:
            if target:
                tables[option].to_csv(stack.enter_context(write_file(target, inputs, option=option)), index=False)
    if args.save:
        from planner.store import Store

        result.settings["input"] = str(args.input)
        with Store(args.store) as store:
            sid = result.save(store, args.label)
        print(f"saved forecast run {sid} in {store.path}")
    bt = result.backtest
    ratio = bt["mase_vs_seasonal_naive"].mean()
    n_series = result.forecast["unique_id"].nunique()
    if n_series <= 20:
        print_table(result.summary())
    if drivers:
        print("drivers (each one's effect on the forecast summed over the horizon, apart from the statistical "
              "forecast) [units of y]:")
        print_table(_driver_table(result, drivers))
    if hierarchy:
        nodes = result.settings["hierarchy"]
        print(f"reconciled {n_series} nodes ({', '.join(f'{k}: {len(v)}' for k, v in nodes.items())}) with "
              f"{result.settings['reconciliation']}")
    print(f"wrote {args.output}: {n_series} series x {args.horizon} periods ({result.settings['freq']}); "
          f"backtest MASE vs seasonal naive {ratio:.2f} on average")
    if args.paths_output:
        print(f"wrote {args.paths_output}: {n_paths} sample paths per series ({len(result.paths):,} rows)")
    return 0


def _forecast_dask(frame: pd.DataFrame, args: argparse.Namespace, levels: list[int], n_paths: int):
    """The whole result on a local Dask cluster of ``--workers`` processes (one thread each)."""
    import logging

    try:
        import dask.dataframe as dd
        from distributed import Client, LocalCluster
    except ImportError:
        raise InputError("--engine dask needs Dask: pip install 'planner[dask]'") from None
    from planner.forecast.distributed import forecast_distributed, npartitions_for

    if "unique_id" not in frame.columns:
        raise InputError(f"{args.input}: the following columns are missing: ['unique_id'] "
                         f"(found {list(frame.columns)[:8]})")
    from planner.forecast.prepare import prepare

    with warnings.catch_warnings():  # the input's checks, with its own row numbers; the workers warn
        warnings.simplefilter("ignore")
        prepare(frame, args.freq, args.input)
    workers = args.workers or 2
    frame = frame.assign(unique_id=frame["unique_id"].astype(str)).set_index("unique_id")
    ddf = dd.from_pandas(frame, npartitions=npartitions_for(frame.index.nunique(), workers), sort=True)
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster):
        return forecast_distributed(ddf, args.horizon, args.freq, levels, n_paths, args.seed, what=args.input)


def _hierarchy_columns(text: str, frame: pd.DataFrame, path: str) -> list[str]:
    """Validate ``--hierarchy``'s columns and their values in INPUT; return them, top first."""
    cols = [c.strip() for c in text.split(",") if c.strip()]
    if not cols or len(set(cols)) < len(cols):
        raise InputError(f"--hierarchy: expected distinct comma-separated column names, got {text!r}")
    missing = [c for c in [*cols, "ds", "y"] if c not in frame.columns]
    if missing:
        raise InputError(f"{path}: the following columns are missing: {missing} (found {list(frame.columns)[:8]}); "
                         "--hierarchy names columns of INPUT")
    for c in cols:
        values = frame[c]
        bad = values.isna() | values.astype(str).str.strip().eq("") | values.astype(str).str.contains("/")
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 1
            raise InputError(f"{path}: column {c!r} at row {row} (found {values.iloc[row - 1]!r}): expected a "
                             "non-empty name without '/' (node ids join the names with '/')")
    return cols


def _forecast_hierarchy(frame: pd.DataFrame, cols: list[str], args: argparse.Namespace, levels: list[int],
                        n_paths: int):
    from planner.forecast import forecast_hierarchy
    from planner.forecast.prepare import prepare
    from planner.usage._io import rows_text

    bottom = frame[[*cols, "ds", "y"]].copy()
    bottom[cols] = bottom[cols].astype(str)
    ids = bottom[cols].agg("/".join, axis=1)
    dup = pd.DataFrame({"id": ids, "ds": bottom["ds"].astype(str)}).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputError(f"{args.input}: more than one row per ({', '.join(cols)}, ds) at {rows_text(dup)}; "
                         "expected one row per bottom-level series and period (sum them first, or add the "
                         "column that tells them apart to --hierarchy)")
    with warnings.catch_warnings():  # the Nixtla checks only (timestamps, numbers, regular periods); the
        warnings.simplefilter("ignore")  # forecast warns about the nodes themselves
        prepare(bottom.assign(unique_id=ids), args.freq, args.input)
    bottom["ds"] = pd.to_datetime(bottom["ds"], format="mixed")
    bottom["y"] = pd.to_numeric(bottom["y"])
    spec = [cols[: i + 1] for i in range(len(cols))]
    return forecast_hierarchy(bottom, spec, args.horizon, freq=args.freq, level=levels, n_paths=n_paths,
                              seed=args.seed, progress=True)


def _driver_table(result, drivers) -> pd.DataFrame:
    """Each driver's effect on the forecast summed over the horizon and series [units of y], then the
    statistical and the final totals. A shift moves demand between series: its net effect is 0."""
    fc = result.forecast
    total = float(fc["statistical"].sum())
    rows = []
    for d in drivers:
        target = f" -> {d.params['target']}" if d.kind == "shift" else ""
        effect = float(fc[d.label].sum())
        start = d.start.strftime("%Y-%m-%d" if d.start == d.start.normalize() else "%Y-%m-%d %H:%M")
        rows.append({"driver": d.label, "kind": d.kind, "series": ("all" if d.series == "*" else d.series) + target,
                     "from": start, "sum over horizon": 0.0 if abs(effect) <= 1e-9 * abs(total) else effect})
    rows.append({"driver": "statistical forecast", "kind": "", "series": "all", "from": "",
                 "sum over horizon": total})
    rows.append({"driver": "forecast with drivers", "kind": "", "series": "all", "from": "",
                 "sum over horizon": float(fc["forecast"].sum())})
    return pd.DataFrame(rows)
