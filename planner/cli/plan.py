"""``planner plan CONFIG --output DIR`` and ``planner compare CONFIG --output DIR``."""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings

import pandas as pd

from planner.cli._common import print_table
from planner.outputs import check_folder, write_folder

__all__ = ["register"]

#: Columns of the purchases table printed on the console.
_BUY = ["what", "start", "units", "unit", "obligation_usd", "in_horizon_usd", "expected_utilization",
        "breakeven_utilization", "breakeven_months"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plan`` and ``compare`` subcommands."""
    for name, help_, description in (
        ("plan", "solve a multi-pool capacity plan (GPUs by type and term, API vs self-host, provisioned throughput)",
         "Read a plan configuration (pools, workloads with routes and levers, provisioned throughput, risk; demand "
         "histories are forecast with sample paths), solve the two-stage LP/MILP over the scenarios, commitments "
         "priced over their whole term, and write its tables (purchases, capacity, routes, workloads, cost, unserved, "
         "shadow_prices, scenarios, baselines) as CSV and summary.json into DIR. With lever_sets in the configuration, "
         "one plan per lever set in DIR/<lever set>/ and lever_sets.csv side by side."),
        ("compare", "price commitment options for procurement on the same scenarios",
         "Price commitment options (none, the planner's, one term only, the recommenders' rule, without "
         "provisioned throughput, and the configuration's compare entries) on the same forecast scenarios, "
         "re-optimizing the recourse for each; write compare.csv and summary.json into DIR (one block of options "
         "per lever set when the configuration has lever_sets)."),
    ):
        p = subparsers.add_parser(name, help=help_, description=description)
        p.add_argument("config", metavar="CONFIG", help="plan configuration YAML (see planner.optimize.config)")
        p.add_argument("--output", required=True, metavar="DIR",
                       help="folder to write: new, empty, or written by planner before (then replaced as a whole)")
        p.add_argument("--slices", type=int, metavar="N",
                       help="load-duration slices per block and scenario (default: the config's, else 8)")
        p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.exceptions import InputError
    from planner.optimize import compare_lever_sets, compare_plans, plan, plan_lever_sets
    from planner.optimize.config import lever_set_names

    if args.slices is not None and args.slices < 1:
        raise InputError(f"--slices must be >= 1, got {args.slices}")
    slices = {"slices": args.slices} if args.slices is not None else {}
    out = check_folder(args.output, inputs=[args.config])
    sets = lever_set_names(args.config)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if args.command == "plan":
            result = plan_lever_sets(args.config, **slices) if sets else plan(args.config, **slices)
        else:
            result = compare_lever_sets(args.config, **slices) if sets else compare_plans(args.config, **slices)
    seen = set()
    for w in caught:
        message = " ".join(str(w.message).split())
        if issubclass(w.category, UserWarning) and message not in seen:
            seen.add(message)
            print(f"planner {args.command}: warning: {message}", file=sys.stderr)
    if args.command == "plan" and sets:
        with write_folder(out, "planner plan", inputs=[args.config]) as tmp:
            summary = result.summary()
            summary.to_csv(tmp / "lever_sets.csv", index=False)
            for name, p in result.plans.items():
                folder = tmp / _folder_name(name)
                folder.mkdir()
                p.write(folder)
        first = next(iter(result.plans.values()))
        _print_window(first.summary)
        print_table(summary.drop(columns=["buy"]))
        for name, p in result.plans.items():
            print(f"\nlever set {name!r}: {_accuracy_text(p.summary)}")
            _print_purchases(p)
        print(f"wrote {out}/ ({len(result.plans)} lever sets: {', '.join(_folder_name(n) for n in result.plans)}/)")
        return 0
    if args.command == "plan":
        result.to_dir(out, "planner plan", inputs=[args.config])
        _print_window(result.summary)
        _print_purchases(result)
        print()
        print_table(result.baselines)
        s, m = result.summary, result.summary["model"]
        print(f"accuracy: {_accuracy_text(s)}")
        print(f"expected cost {s['expected_cost_usd']:,.0f} USD over the window (P95 {s['p95_cost_usd']:,.0f}), "
              f"{s['expected_horizon_cost_usd']:,.0f} USD of it in the {s['horizon']['days']:,.1f}-day horizon; "
              f"obligations {s['obligation_usd']:,.0f} USD; {m['variables']:,} variables, solved by {m['solver']} "
              f"in {m['build_s'] + m['solve_s']:.1f} s")
    else:
        with write_folder(out, "planner compare", inputs=[args.config]) as tmp:
            result.to_csv(tmp / "compare.csv", index=False)
            (tmp / "summary.json").write_text(json.dumps({"config": str(args.config), "options": result.to_dict(orient="records")},
                                                         indent=2, default=str) + "\n", encoding="utf-8")
        shown = result.drop(columns=[c for c in ("evidence",) if c in result.columns])
        print_table(shown)
        notes = result.loc[result["evidence"] != "", ["option", "evidence"]] if "evidence" in result.columns else []
        for row in getattr(notes, "itertuples", lambda **_: [])(index=False):
            print(f"{row.option}: {row.evidence}")
    print(f"wrote {out}/")
    return 0


def _folder_name(name: str) -> str:
    """A lever set's folder: its name in lower case, runs of other characters as ``-``."""
    return re.sub(r"[^a-z0-9._]+", "-", name.lower()).strip("-.") or "lever-set"


def _print_window(summary: dict) -> None:
    h, w = summary["horizon"], summary["window"]
    print(f"horizon {h['days']:,.1f} days from {h['start'][:16]} ({h['periods']} periods of {h['freq']}); costs over "
          f"the window to {w['end'][:10]} ({w['months']:,.1f} months; after the horizon: {w['after_horizon']})")
    rule = summary["evidence_rule"]
    for text in rule["withheld"]:
        print(f"not offered: {text} (min_history_share {rule['min_history_share']:g})")
    if not rule["applied"]:
        print("term evidence not checked: the problem gives no history length (history_days)")


def _print_purchases(result) -> None:
    if result.purchases.empty:
        print("what to buy: no commitment (on-demand, spot and API only)")
        return
    print("what to buy (sold units; obligation_usd is the whole term's commitment):")
    table = result.purchases[_BUY].copy()
    table["start"] = pd.to_datetime(table["start"]).dt.date
    print_table(table)


def _accuracy_text(summary: dict) -> str:
    parts = [f"{w} {a:.3f}" if a == a else f"{w} unknown" for w, a in summary["accuracy"].items()]
    return "expected accuracy " + ", ".join(parts) if parts else "no workloads"
