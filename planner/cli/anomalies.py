"""``planner anomalies``: recent usage or spend scored against the forecaster's intervals."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from planner.cli._common import add_store_option, print_table
from planner.exceptions import InputError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``anomalies`` subcommand."""
    from planner.finops.anomalies import DEFAULT_LEVEL, DEFAULT_MIN_CHANGE

    p = subparsers.add_parser(
        "anomalies", help="spikes, drops, level shifts and runaway growth in recent usage or spend",
        description="Score the last --window periods of each series (--metric by --by at --freq) against the "
        "forecaster's intervals, refitted every cycle (24 hours, 7 days) on the history before it. A period is "
        f"outside when it leaves the --level interval (default {DEFAULT_LEVEL} %%) and is at least 1 + --min-change "
        f"times the forecast (default {1 + DEFAULT_MIN_CHANGE:g}x) or at most the forecast / (1 + --min-change); "
        "--min-periods such periods in a row are an anomaly: a spike, a drop, a level shift or runaway growth, "
        "with its size in the metric's unit and in USD (the data's cost_usd, your --prices or the price catalog), "
        "the interval it left, and since when.")
    p.add_argument("--metric", action="append", required=True, metavar="METRIC",
                   help="metric scored, repeatable (cost_usd for spend; output_tokens, gpu_hours ...)")
    p.add_argument("--by", default="", help="comma-separated dimensions splitting the series, e.g. team,model")
    p.add_argument("--freq", default="D", help="period of the series: h or D (default D)")
    p.add_argument("--window", type=int, default=0, metavar="N",
                   help="recent periods scored (default: 7 days: 168 hourly or 7 daily periods)")
    p.add_argument("--source", action="append", default=[], help="only usage from this source, repeatable")
    p.add_argument("--usage", action="append", default=[], metavar="FILE", help="usage file read instead of the store")
    p.add_argument("--prices", metavar="FILE", default="", help="your prices YAML, for the USD size of anomalies")
    p.add_argument("--level", type=int, default=DEFAULT_LEVEL, help=f"interval left [%%] (default {DEFAULT_LEVEL})")
    p.add_argument("--min-change", type=float, default=DEFAULT_MIN_CHANGE,
                   help=f"smallest change from the forecast, as a share of it (default {DEFAULT_MIN_CHANGE:g}: twice or half)")
    p.add_argument("--min-periods", type=int, default=2, help="periods in a row outside (default 2)")
    p.add_argument("--max-series", type=int, default=50, help="largest series scored (default 50; 0: all)")
    p.add_argument("--output", metavar="CSV", help="also write the anomalies as CSV")
    p.add_argument("--format", choices=["table", "csv"], default="table")
    add_store_option(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.finops.anomalies import detect_anomalies
    from planner.outputs import check_file, write_file
    from planner.periods import check_freq
    from planner.report import format as fmt
    from planner.report.monthly import load_usage
    from planner.report.pricing import as_mapping, read_price_file, spend_rates
    from planner.report.series import build_series
    from planner.usage.schema import is_metric, metric_unit

    freq = check_freq(args.freq, "--freq")
    unknown = [m for m in args.metric if not is_metric(m)]
    if unknown:
        raise InputError(f"--metric: unknown metric(s) {unknown}")
    if args.window < 0:
        raise InputError(f"--window must be >= 1 period, got {args.window}")
    prices = read_price_file(args.prices) if args.prices else None
    by = [b.strip() for b in args.by.split(",") if b.strip()]
    if args.output:
        check_file(args.output, [*args.usage, args.prices] if args.prices else args.usage)
    window = args.window or _default_window(freq)
    usage = load_usage(args.store or "", args.usage, args.source, [*args.metric, "cost_usd"])
    built = build_series(usage[usage["metric"].isin(args.metric)], args.metric, by=by, freq=freq,
                         max_series=args.max_series)
    cost = usage[usage["metric"] == "cost_usd"]
    rates = as_mapping(spend_rates(built.info, usage, by, cost, prices=prices))
    result = detect_anomalies(built.series, window=window, freq=freq, level=args.level, min_change=args.min_change,
                              min_periods=args.min_periods, usd_per_unit=rates)
    for note in [*built.notes, *result.notes]:
        print(f"planner anomalies: note: {note}", file=sys.stderr)
    found = result.anomalies
    if args.output:
        with write_file(args.output, args.usage) as tmp:
            found.to_csv(tmp, index=False)
    if args.format == "csv":
        print_table(found, "csv")
        return 0
    scored = result.scored["unique_id"].nunique()
    print(f"{len(found):,} anomal{'y' if len(found) == 1 else 'ies'} in {scored:,} series, the last "
          f"{window:,} periods ({fmt.date(result.scored['ds'].min())} to {fmt.date(result.scored['ds'].max())}); "
          f"outside the {args.level} % interval and at least x{1 + args.min_change:g} (or /{1 + args.min_change:g}) "
          f"the forecast for {args.min_periods}+ periods")
    if len(found):
        unit = {u: metric_unit(u.rsplit("/", 1)[-1]) for u in found["unique_id"]}
        shown = pd.DataFrame({
            "series": found["unique_id"], "kind": found["kind"], "since": found["since"].map(fmt.date),
            "until": [("ongoing" if o else fmt.date(u)) for u, o in zip(found["until"], found["ongoing"], strict=True)],
            "periods": found["periods"],
            "excess": [_amount(e, unit[u]) for u, e in zip(found["unique_id"], found["excess"], strict=True)],
            "excess_pct": found["excess_pct"].map(lambda v: fmt.pct(v, signed=True)),
            "excess_usd": found["excess_usd"].map(fmt.usd),
            "interval_left": [f"{_amount(lo, unit[u])} to {_amount(hi, unit[u])}" for u, lo, hi in
                              zip(found["unique_id"], found["interval_lo"], found["interval_hi"], strict=True)]})
        print_table(shown)
    if args.output:
        print(f"wrote {args.output}")
    return 0


def _default_window(freq: str) -> int:
    """Seven days of periods of a fixed ``freq`` (168 hourly, 7 daily); 8 periods of longer ones."""
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except ValueError:
        return 8
    return max(1, int(pd.Timedelta(days=7) / step))


def _amount(x: float, unit: str) -> str:
    from planner.report import format as fmt

    return fmt.usd(x) if unit == "USD" else fmt.count(x, unit)
