"""``planner forecast INPUT --horizon H --output OUT [--freq F] [--level 80 --level 95]``."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from planner.cli._common import add_store_option, print_table, store_path
from planner.exceptions import InputError, PathError
from planner.outputs import check_file, write_file

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``forecast`` subcommand."""
    p = subparsers.add_parser(
        "forecast",
        help="forecast long-format series (unique_id, ds, y)",
        description="Forecast every series of INPUT (CSV or Parquet, columns unique_id, ds, y) H periods "
        "ahead. Each series is forecast by a combination of seasonal naive, ETS, Theta and seasonal-mean "
        "candidates weighted by their rolling-origin backtest MASE (the best Croston-type model for "
        "intermittent series); intervals are calibrated on the backtest. OUT is CSV: unique_id, ds, "
        "forecast, lo-L, hi-L per level, model.",
    )
    p.add_argument("input", metavar="INPUT", help="CSV or Parquet with unique_id, ds, y")
    p.add_argument("--horizon", type=int, required=True, metavar="H", help="periods to forecast")
    p.add_argument("--output", required=True, metavar="OUT", help="CSV file to write")
    p.add_argument("--freq", help="pandas frequency (h, D, W-MON, MS...); inferred when omitted")
    p.add_argument("--level", type=int, action="append", metavar="L", help="interval level in %%, repeatable (default 80 and 95)")
    p.add_argument("--backtest", metavar="CSV", help="also write the per-series backtest accuracy here")
    p.add_argument("--save", action="store_true", help="also save the run (forecast, backtest, settings) in the store")
    p.add_argument("--label", default="", help="label of the saved run, e.g. the month planned")
    add_store_option(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.forecast import Forecaster
    from planner.usage import read_series
    from planner.usage._io import check_freq

    if args.horizon < 1:
        raise InputError(f"--horizon must be >= 1, got {args.horizon}")
    check_freq(args.freq, "--freq")
    levels = sorted(set(args.level or [80, 95]))
    inputs = [args.input, *([store_path(args)] if args.save else [])]
    if args.save:
        check_file(store_path(args), [args.input], option="--store", example="planner.duckdb")
    check_file(args.output, inputs)
    if args.backtest:
        if check_file(args.backtest, inputs, option="--backtest").resolve() == Path(args.output).resolve():
            raise PathError(f"--backtest {args.backtest}: is also the --output file; give each its own file")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = read_series(args.input)
        result = Forecaster(h=args.horizon, level=levels, progress=True).fit(frame, args.freq, what=args.input) \
            .predict(args.horizon)
    for w in caught:
        if issubclass(w.category, UserWarning):
            print(f"planner forecast: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    cols = ["unique_id", "ds", "forecast", *[f"{s}-{lv}" for lv in levels for s in ("lo", "hi")], "model"]
    with write_file(args.output, inputs) as tmp:
        result.forecast[cols].to_csv(tmp, index=False)
    if args.backtest:
        with write_file(args.backtest, inputs, option="--backtest") as tmp:
            result.backtest.to_csv(tmp, index=False)
    if args.save:
        from planner.store import Store

        result.settings["input"] = str(args.input)
        with Store(args.store) as store:
            sid = result.save(store, args.label)
        print(f"saved forecast run {sid} in {store.path}")
    bt = result.backtest
    ratio = bt["mase_vs_seasonal_naive"].mean()
    if len(bt) <= 20:
        print_table(result.summary())
    print(f"wrote {args.output}: {bt.shape[0]} series x {args.horizon} periods ({result.settings['freq']}); "
          f"backtest MASE vs seasonal naive {ratio:.2f} on average")
    return 0
