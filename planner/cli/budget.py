"""``planner budget status``: spend against budgets, the thresholds crossed, and their alerts."""

from __future__ import annotations

import argparse
import os
import sys

import pandas as pd

from planner.cli._common import add_store_option, print_table
from planner.exceptions import InputError

__all__ = ["register", "ROUTING_KEY_ENV", "EXIT_CROSSED"]

#: Environment variable with the PagerDuty routing key of budgets whose file names none.
ROUTING_KEY_ENV = "PLANNER_PAGERDUTY_ROUTING_KEY"
#: Exit status when a threshold has been crossed.
EXIT_CROSSED = 3


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``budget`` subcommand with ``status``."""
    p = subparsers.add_parser("budget", help="spend against budgets: status, thresholds, alerts")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s = sub.add_parser(
        "status", help="spent to date, forecast to the period's end, thresholds crossed (exit 3 when one is)",
        description="For each budget of --budgets: spent to date in its period (month, quarter or year), the "
        "forecast to the period's end with its interval, when the budget runs out, and each threshold crossed, "
        "expected to be crossed (by the point forecast) or possible (by the interval's upper bound). Spend is the "
        "data's cost_usd where the source carries it, else tokens priced by --prices or the price catalog (each "
        "price named). With --alerts DIR, every crossed or expected threshold writes Slack, PagerDuty Events v2 "
        "and plain JSON payloads into DIR, once: a re-run does not alert twice; --post URL also sends them. "
        "Exit status 0 when no threshold is crossed, 3 when one is, 2 for bad input, 1 when posting fails.")
    s.add_argument("--budgets", required=True, metavar="FILE", help="budgets YAML (see data/samples/budgets.yaml)")
    s.add_argument("--usage", action="append", default=[], metavar="FILE",
                   help="usage file read instead of the store, repeatable")
    s.add_argument("--prices", metavar="FILE", default="", help="your prices YAML (unit_prices per metric and model)")
    s.add_argument("--as-of", metavar="TIME", help="count spend before this UTC time (default: the latest data of "
                   "each budget's scope)")
    s.add_argument("--level", type=int, default=80, help="forecast interval [%%] (default 80)")
    s.add_argument("--alerts", metavar="DIR", help="folder of alert payloads (planner's own; new alerts only)")
    s.add_argument("--post", metavar="URL", help="also POST each new alert to this webhook (needs --alerts)")
    s.add_argument("--post-format", default="auto", choices=["auto", "slack", "pagerduty", "event"],
                   help="payload posted (default: slack for hooks.slack.com, pagerduty for events.pagerduty.com, "
                   "else the plain event)")
    s.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds to wait for the webhook (default 10)")
    s.add_argument("--format", choices=["table", "csv"], default="table")
    add_store_option(s)
    s.set_defaults(handler=_status)


def _status(args: argparse.Namespace) -> int:
    from planner.finops import alerts as al
    from planner.finops.budgets import budget_status, read_budgets
    from planner.finops.spend import spend_of
    from planner.outputs import check_folder
    from planner.report.monthly import load_usage
    from planner.report.pricing import read_price_file

    budgets = read_budgets(args.budgets)
    prices = read_price_file(args.prices) if args.prices else None
    if args.post and not args.alerts:
        raise InputError("--post needs --alerts DIR: the folder records what was sent, so a re-run does not alert twice")
    if not 50 <= args.level < 100:
        raise InputError(f"--level must be between 50 and 99 %, got {args.level}")
    if args.timeout <= 0:
        raise InputError(f"--timeout must be > 0 seconds, got {args.timeout:g}")
    as_of = _time(args.as_of) if args.as_of else None
    fmt_post = al.payload_format(al.check_url(args.post), args.post_format) if args.post else ""
    routing = os.environ.get(ROUTING_KEY_ENV, "")
    if fmt_post == "pagerduty":
        missing = [b.name for b in budgets if not (b.pagerduty_routing_key or routing)]
        if missing:
            raise InputError(f"--post to PagerDuty: budget(s) {missing} have no routing key; give "
                             f"pagerduty_routing_key in {args.budgets} or set ${ROUTING_KEY_ENV}")
    if args.alerts:
        check_folder(args.alerts, inputs=[args.budgets, *args.usage], option="--alerts", names=[])
    usage = load_usage(args.store or "", args.usage)
    status = budget_status(spend_of(usage, prices), budgets, as_of=as_of, level=args.level, what=args.budgets)
    for note in status.notes:
        print(f"planner budget: note: {note}", file=sys.stderr)
    if args.format == "csv":
        print_table(_shown(status), "csv")
    else:
        _print(status)
    if args.alerts:
        alerts = al.alerts_from(status)

        def deliver(alert: al.Alert) -> None:
            body = {"slack": al.slack_payload, "event": al.event_payload}.get(fmt_post)
            al.post_alert(args.post, body(alert) if body else al.pagerduty_payload(alert, routing), args.timeout)

        new, already = al.write_alerts(alerts, args.alerts, routing_key=routing,
                                       deliver=deliver if args.post else None)
        for a in new:
            print(f"alert {a.key}: wrote {args.alerts}/{a.key}.{{slack,pagerduty,event}}.json"
                  + (f", posted to {args.post}" if args.post else ""))
        for a in already:
            print(f"alert {a.key}: already written by an earlier run (not sent again)")
        if not alerts:
            print("no alerts: no threshold crossed or expected to be")
    return EXIT_CROSSED if status.crossed else 0


def _time(text: str) -> pd.Timestamp:
    from planner.usage._io import parse_time

    return parse_time(pd.Series([text]), "--as-of", "--as-of", future=True).iloc[0]


def _shown(status) -> pd.DataFrame:
    t = status.table
    return t[["budget", "scope", "period", "as_of", "amount_usd", "spent_usd", "spent_pct", "forecast_usd",
              "forecast_lo_usd", "forecast_hi_usd", "exhaustion", "exhaustion_earliest", "state", "crossed", "expected",
              "owner", "channel"]]


def _print(status) -> None:
    from planner.report import format as fmt

    level = status.level
    for r in status.table.itertuples():
        print(f"{r.budget} ({r.scope}), {r.period}: {fmt.usd(r.spent_usd)} spent of {fmt.usd(r.amount_usd)} "
              f"({fmt.pct(r.spent_pct)}) up to the data's end, {r.data_until:%Y-%m-%d %H:%M}")
        if pd.notna(r.forecast_usd):
            print(f"  forecast to {fmt.date(r.period_end - pd.Timedelta(days=1))}: {fmt.usd(r.forecast_usd)} "
                  f"({level} % interval {fmt.usd(r.forecast_lo_usd)} to {fmt.usd(r.forecast_hi_usd)})")
        else:
            print("  forecast: none (see the note)")
        runs = (f"ran out {fmt.date(r.exhaustion)}" if r.spent_usd >= r.amount_usd else
                f"runs out {fmt.date(r.exhaustion)}" if pd.notna(r.exhaustion) else
                "not expected to run out this period")
        if pd.isna(r.exhaustion) and pd.notna(r.exhaustion_earliest):
            runs += f" (at the interval's upper bound: {fmt.date(r.exhaustion_earliest)})"
        print(f"  {runs}")
        mine = status.thresholds[status.thresholds["budget"] == r.budget]
        for t in mine.itertuples():
            when = f" on {fmt.date(t.when)}" if pd.notna(t.when) else ""
            print(f"  threshold {t.threshold_pct:g} % ({fmt.usd(t.threshold_usd)}): {t.state}{when}")
    priced = status.prices
    for p in priced.itertuples():
        print(f"price: {p.source} {p.metric}{' of ' + p.model if p.model else ''}: {p.detail}")
