"""``planner simulate SCENARIO.yaml [--compare OTHER.yaml ...] --output DIR``."""

from __future__ import annotations

import argparse

from planner.cli._common import print_table
from planner.outputs import check_folder, write_folder

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``simulate`` subcommand."""
    p = subparsers.add_parser(
        "simulate",
        help="simulate what-if scenarios (routing, caching, batching, trimming, caps)",
        description="Monte Carlo simulation of a scenario file and, side by side, of the scenarios given "
        "with --compare (the first is the baseline). Writes summary.csv, monthly_costs.csv (cost per month, "
        "route and token kind with percentiles), route_demand.csv (the per-route demand frame the optimizer reads: "
        "workload, route, period, scenario, tokens by kind, requests, accuracy; the first --demand-draws draws as "
        "scenarios), route_tokens.csv (mean tokens per route per month), cache_savings.csv, routing_curve.csv, "
        "sensitivity.csv (each lever's saving, tornado-style) and summary.md into DIR.",
    )
    p.add_argument("scenario", metavar="SCENARIO.yaml")
    p.add_argument("--compare", nargs="+", default=[], metavar="OTHER.yaml", help="more scenarios to compare")
    p.add_argument("--output", required=True, metavar="DIR", help="folder to write: new, empty, or written by planner before (then replaced as a whole)")
    p.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--demand-draws", type=int, default=50, metavar="N",
                   help="draws written to route_demand.csv as scenarios, per scenario file (default 50)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import pandas as pd

    from planner.exceptions import InputError
    from planner.simulate import compare, load_scenario, sensitivity

    for flag, value in (("--draws", args.draws), ("--demand-draws", args.demand_draws)):
        if value < 1:
            raise InputError(f"{flag} must be >= 1, got {value}")
    files = [args.scenario, *args.compare]
    out = check_folder(args.output, inputs=files)
    scenarios = [load_scenario(f) for f in files]
    result = compare(scenarios, draws=args.draws, seed=args.seed)
    with write_folder(out, "planner simulate", inputs=files) as tmp:
        summary = result.summary()
        summary.to_csv(tmp / "summary.csv")
        for name, attr in (("monthly_costs", "monthly"), ("route_tokens", "tokens")):
            pd.concat([getattr(r, attr).assign(scenario=r.name) for r in result.results]).to_csv(tmp / f"{name}.csv", index=False)
        pd.concat([r.route_demand(args.demand_draws).assign(what_if=r.name) for r in result.results],
                  ignore_index=True).to_csv(tmp / "route_demand.csv", index=False)
        result.cache_savings.to_csv(tmp / "cache_savings.csv", index=False)
        result.routing_curve.to_csv(tmp / "routing_curve.csv", index=False)
        tables = [sensitivity(s, draws=min(args.draws, 500), seed=args.seed).assign(scenario=s["name"])
                  for s in scenarios]
        tables = [t for t in tables if not t.empty]  # a scenario without levers has no rows
        tornado = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(
            columns=["workload", "lever", "cost_with_usd", "cost_without_usd", "saving_usd", "scenario"])
        tornado.to_csv(tmp / "sensitivity.csv", index=False)
        (tmp / "summary.md").write_text(_markdown(summary, args))
        hosted = _selfhost_table(result)
        if len(hosted):
            hosted.to_csv(tmp / "selfhost_routes.csv", index=False)
    print_table(summary.reset_index())
    if len(hosted):
        print("\nself-hosted routes (engine, precision and replica throughput from the throughput catalog; "
              "sources in selfhost_routes.csv):")
        print_table(hosted.drop(columns=["throughput_source", "quality_source"]))
    print(f"wrote {out}/ ({len(scenarios)} scenarios x {args.draws} draws)")
    return 0


def _selfhost_table(result):
    """Each self-hosted route's configuration with its cost per million output tokens [USD]."""
    table = result.selfhost
    if table.empty:
        return table
    costs, tokens = [], []
    for r in table.itertuples():
        res = next(x for x in result.results if x.name == r.scenario)
        costs.append(res.monthly.query("workload == @r.workload and route == @r.route")["mean"].sum())
        tokens.append(res.tokens.query("workload == @r.workload and route == @r.route")["output_tokens"].sum())
    table = table.assign(cost_mean_usd=costs, usd_per_million_output_tokens=[c / t * 1e6 if t else float("nan")
                                                                             for c, t in zip(costs, tokens, strict=True)])
    first = ["scenario", "workload", "engine", "precision", "gpu_type", "gpus_per_replica", "load",
             "output_tokens_per_s_per_replica", "derived", "accuracy_recovery", "cost_mean_usd", "usd_per_million_output_tokens"]
    return table[first + [c for c in table.columns if c not in first]]


def _markdown(summary, args) -> str:
    lines = [f"# Scenario comparison ({args.draws} draws, seed {args.seed})", "",
             "| scenario | " + " | ".join(summary.columns) + " |", "|---" * (len(summary.columns) + 1) + "|"]
    for name, row in summary.iterrows():
        lines.append(f"| {name} | " + " | ".join(f"{v:,.4g}" for v in row.to_numpy()) + " |")
    return "\n".join(lines) + "\n"
