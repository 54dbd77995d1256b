"""``planner usage``: look at what the store holds."""

from __future__ import annotations

import argparse

from planner.cli._common import add_store_option, print_table, store_path
from planner.exceptions import InputError
from planner.outputs import check_file, write_file
from planner.periods import ACCEPTED, check_freq
from planner.store import Store
from planner.usage import METRICS, summarize, to_series
from planner.usage.schema import is_metric

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``usage`` subcommand with ``summary``, ``series`` and ``log``."""
    p = subparsers.add_parser("usage", help="summarize or export stored usage")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    s = sub.add_parser("summary", help="totals per source (or other dimensions) and metric")
    s.add_argument("--by", default="source", help="comma-separated columns to group by (default source)")
    s.add_argument("--source", action="append", help="only this source, repeatable")
    s.add_argument("--format", choices=["table", "csv"], default="table")
    add_store_option(s)
    s.set_defaults(handler=_summary)

    e = sub.add_parser("series", help="export Nixtla long format (unique_id, ds, y) for forecasting")
    e.add_argument("--metric", action="append", required=True, help="metric, repeatable")
    e.add_argument("--by", default="", help="comma-separated dimensions splitting the series")
    e.add_argument("--freq", default="D", help=f"period grain (default D): {ACCEPTED}; each period is labelled "
                   "by its first day (ME, QE: by their last)")
    e.add_argument("--source", action="append", help="only this source, repeatable")
    e.add_argument("--output", required=True, help="CSV file to write")
    add_store_option(e)
    e.set_defaults(handler=_series)

    g = sub.add_parser("log", help="the ingest log: files, periods, rows added and replaced")
    add_store_option(g)
    g.set_defaults(handler=_log)


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _load(args: argparse.Namespace, metrics=None):
    with Store(args.store, read_only=True) as store:
        usage = store.usage(sources=args.source, metrics=metrics)
    if usage.empty:
        raise InputError(f"the store has no usage rows{' for ' + str(args.source) if args.source else ''}")
    return usage


def _summary(args: argparse.Namespace) -> int:
    print_table(summarize(_load(args), by=_split(args.by)), args.format)
    return 0


def _series(args: argparse.Namespace) -> int:
    freq = check_freq(args.freq, "--freq")
    unknown = [m for m in args.metric if not is_metric(m)]
    if unknown:
        raise InputError(f"--metric: unknown metric(s) {unknown}; expected some of {', '.join(METRICS)} or outcome:<name>")
    check_file(args.output, [store_path(args)])
    series = to_series(_load(args, args.metric), args.metric, by=_split(args.by), freq=freq)
    with write_file(args.output, [store_path(args)]) as tmp:
        series.to_csv(tmp, index=False)
    print(f"wrote {args.output}: {series['unique_id'].nunique()} series, {len(series)} rows")
    return 0


def _log(args: argparse.Namespace) -> int:
    with Store(args.store, read_only=True) as store:
        print_table(store.ingests())
    return 0
