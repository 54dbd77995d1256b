"""``planner plan CONFIG --output DIR`` and ``planner compare CONFIG --output DIR``."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from planner.cli._common import print_table
from planner.outputs import check_folder, write_folder

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``plan`` and ``compare`` subcommands."""
    for name, help_, description in (
        ("plan", "solve a multi-pool capacity plan (GPUs by type and term, API vs self-host, provisioned throughput)",
         "Read a plan configuration (pools, workloads with routes, provisioned throughput, risk; demand histories "
         "are forecast with sample paths), solve the two-stage LP/MILP over the scenarios and write its tables "
         "(purchases, capacity, routes, cost, unserved, shadow_prices, scenarios, baselines) as CSV and "
         "summary.json into DIR."),
        ("compare", "price commitment options for procurement on the same scenarios",
         "Price commitment options (none, the planner's, one term only, the recommenders' rule, without "
         "provisioned throughput, and the configuration's compare entries) on the same forecast scenarios, "
         "re-optimizing the recourse for each; write compare.csv and summary.json into DIR."),
    ):
        p = subparsers.add_parser(name, help=help_, description=description)
        p.add_argument("config", metavar="CONFIG", help="plan configuration YAML (see planner.optimize.problem)")
        p.add_argument("--output", required=True, metavar="DIR",
                       help="folder to write: new, empty, or written by planner before (then replaced as a whole)")
        p.add_argument("--slices", type=int, metavar="N",
                       help="load-duration slices per block and scenario (default: the config's, else 8)")
        p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.exceptions import InputError
    from planner.optimize import compare_plans, plan

    if args.slices is not None and args.slices < 1:
        raise InputError(f"--slices must be >= 1, got {args.slices}")
    slices = {"slices": args.slices} if args.slices is not None else {}
    out = check_folder(args.output, inputs=[args.config])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = (plan if args.command == "plan" else compare_plans)(args.config, **slices)
    for w in caught:
        if issubclass(w.category, UserWarning):
            print(f"planner {args.command}: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    if args.command == "plan":
        result.to_dir(out, "planner plan", inputs=[args.config])
        print_table(result.purchases[["what", "start", "units", "commitment_usd", "expected_utilization",
                                      "breakeven_utilization"]])
        print()
        print_table(result.baselines)
        m = result.summary["model"]
        print(f"expected cost {result.summary['expected_cost_usd']:,.0f} USD (P95 {result.summary['p95_cost_usd']:,.0f}); "
              f"{m['variables']:,} variables, solved by {m['solver']} in {m['build_s'] + m['solve_s']:.1f} s")
    else:
        with write_folder(out, "planner compare", inputs=[args.config]) as tmp:
            result.to_csv(tmp / "compare.csv", index=False)
            (tmp / "summary.json").write_text(json.dumps({"config": str(args.config), "options": result.to_dict(orient="records")},
                                                         indent=2, default=str) + "\n", encoding="utf-8")
        print_table(result)
    print(f"wrote {out}/")
    return 0
