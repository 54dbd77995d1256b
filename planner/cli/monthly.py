"""``planner monthly``: the scheduled month-end run (ingest, forecast, snapshot, reports)."""

from __future__ import annotations

import argparse
import sys

from planner.cli._common import add_store_option

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``monthly`` subcommand."""
    p = subparsers.add_parser(
        "monthly",
        help="month-end run: ingest, forecast, save snapshots, render reports",
        description="Ingest new usage files (if given), check that MONTH has current usage (a month without "
        "usage, or one that stops before its middle or totals under half the median month, exits 2 naming the "
        "latest data), forecast the next month from the current series up to the end of MONTH (series ending "
        "long before the rest are left out with a note), save the forecast as a snapshot in the store, and "
        "render monthly_forecast (and commitment_comparison when the store holds current GPU demand and --prices "
        "prices it) into OUTPUT_DIR/MONTH/; with --plan, also solve that capacity plan, save it as a plan "
        "snapshot and render capacity_plan. Spend comes from your --prices, else the data's cost_usd, else the "
        "price catalog entry of the series' model; each price's origin is printed. No price or budget is assumed: "
        "--budgets adds the budget section and writes the alerts of crossed or expected thresholds.",
    )
    p.add_argument("--month", required=True, metavar="YYYY-MM", help="the month just closed")
    p.add_argument("--usage", action="append", default=[], metavar="FILE", help="usage file to ingest first, repeatable")
    p.add_argument("--metric", action="append", metavar="METRIC", help="metric to forecast, repeatable (default output_tokens)")
    p.add_argument("--by", default="model", help="comma-separated dimensions splitting the series (default model)")
    p.add_argument("--source", action="append", default=[], help="only usage from this source, repeatable")
    p.add_argument("--freq", default="D", help="pandas frequency of the series (default D)")
    p.add_argument("--horizon", type=int, default=0, help="periods to forecast (default: to the end of next month)")
    p.add_argument("--max-series", type=int, default=8, help="largest series forecast (default 8)")
    p.add_argument("--output-dir", default="reports", metavar="DIR", help="report folder (default reports)")
    p.add_argument("--prices", metavar="FILE", default="",
                   help="your prices YAML: unit_prices per metric and series (used before the data's cost_usd "
                   "and the price catalog) and a capacity entry (gpu_type and cloud priced from the GPU catalog, "
                   "gpus_per_unit, or your own USD per GPU-hour) for the commitment comparison; see "
                   "plans/demo_prices.yaml")
    p.add_argument("--budgets", metavar="FILE", default="",
                   help="your budgets YAML (see data/samples/budgets.yaml): the report's budget section, and the "
                   "payloads of crossed or expected thresholds in OUTPUT_DIR/MONTH/alerts/ (each alert once)")
    p.add_argument("--allow-incomplete", action="store_true",
                   help="report a month whose data stops before its middle or totals under half the median month "
                   "(refused by default); a month without usage is always refused")
    p.add_argument("--plan", metavar="CONFIG", default="",
                   help="also solve this `planner plan` configuration, save it as the month's plan snapshot and "
                   "render capacity_plan")
    add_store_option(p)
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.report.monthly import run_monthly
    from planner.usage._io import check_freq

    check_freq(args.freq, "--freq")
    run = run_monthly(
        args.month, usage_files=args.usage, store_path=args.store or "", output_dir=args.output_dir,
        metrics=args.metric or ["output_tokens"], by=[b.strip() for b in args.by.split(",") if b.strip()],
        freq=args.freq, horizon=args.horizon, max_series=args.max_series, sources=args.source,
        plan_config=args.plan, prices_file=args.prices, budgets_file=args.budgets,
        allow_incomplete=args.allow_incomplete,
    )
    for note in run.notes:
        print(f"planner monthly: note: {note}", file=sys.stderr)
    if args.usage:
        print(f"ingested {run.ingested_rows} rows")
    for kind, sid in run.snapshots.items():
        print(f"saved {kind} snapshot {sid} ({run.month})")
    for path in run.reports.values():
        print(f"wrote {path}")
    for line in run.prices:
        print(f"price: {line}")
    for name, why in run.skipped.items():
        print(f"skipped {name}: {why}")
    if run.budgets is not None:
        for r in run.budgets.thresholds.itertuples():
            if r.state in ("crossed", "expected"):
                print(f"budget {r.budget} ({r.period}): {r.threshold_pct:g} % {r.state}")
        new, already = run.alerts
        for a in new:
            print(f"alert {a.key}: written to {args.output_dir}/{run.month}/alerts/")
        for a in already:
            print(f"alert {a.key}: already written by an earlier run (not written again)")
    return 0
