"""``planner commit HISTORY --horizon H --freq F --on-demand-price P --reserved-price R
[--spot-price S --spot-max-share X] --output PLAN.json``."""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings

from planner.exceptions import InputError
from planner.outputs import check_file, write_file

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``commit`` subcommand."""
    p = subparsers.add_parser(
        "commit",
        help="size a reservation for one GPU pool from its demand history",
        description="Forecast HISTORY (long format unique_id, ds, y: e.g. GPUs busy per period; several series "
        "are added up into one pool) H periods ahead with sample paths, build demand scenarios from recent "
        "history (plus the forecast paths when an inner backtest on HISTORY shows they lower realized cost), "
        "and choose the reserved units that "
        "minimise the expected cost of reserved + on-demand (+ spot) capacity over those scenarios. PLAN.json "
        "compares the plan with all-on-demand and the cloud recommenders' rule (the 1 - R/P quantile of the "
        "last 30 days). Prices are USD per unit and period.",
    )
    p.add_argument("history", metavar="HISTORY")
    p.add_argument("--horizon", type=int, required=True, metavar="H", help="periods the reservation covers")
    p.add_argument("--freq", required=True, metavar="F", help="pandas frequency of HISTORY, e.g. h or D")
    p.add_argument("--on-demand-price", type=float, required=True, metavar="P")
    p.add_argument("--reserved-price", type=float, required=True, metavar="R")
    p.add_argument("--spot-price", type=float, metavar="S")
    p.add_argument("--spot-max-share", type=float, default=0.0, metavar="X", help="spot at most this share of demand")
    p.add_argument("--spot-interruption", type=float, default=0.0, help="share of spot capacity lost to interruptions")
    p.add_argument("--scenarios", type=int, default=100,
                   help="forecast sample paths, and windows per half of recent history (default 100)")
    p.add_argument("--scenario-method", choices=("auto", "mix", "forecast", "empirical"), default="auto",
                   help="auto (default): windows of the last 30 and 7 days, plus the forecast paths when an inner "
                   "backtest shows they clearly help; mix: forecast paths mixed with windows of the last 30 days "
                   "(--recent-weight); forecast: paths only; empirical: never the forecast")
    p.add_argument("--forecast-gate-t", type=float, default=-2.0, metavar="T",
                   help="with auto: the paired t statistic of the cost change the forecast paths must beat in the "
                   "inner backtest to enter (default -2: a clear win; 0: they lowered cost on average)")
    p.add_argument("--recent-weight", type=float, default=0.5,
                   help="with --scenario-method mix: share of scenarios drawn from the last 30 days (default 0.5)")
    p.add_argument("--integer", action="store_true", help="reserve whole units")
    p.add_argument("--output", required=True, metavar="PLAN.json")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.optimize import plan_single_pool
    from planner.optimize.demand_scenarios import build_scenarios
    from planner.usage import read_series
    from planner.usage._io import check_freq

    if args.horizon < 1 or args.scenarios < 2:
        raise InputError("--horizon must be >= 1 and --scenarios >= 2")
    check_freq(args.freq, "--freq")
    for flag, price in (("--on-demand-price", args.on_demand_price), ("--reserved-price", args.reserved_price),
                        ("--spot-price", args.spot_price)):
        if price is not None and not (math.isfinite(price) and price >= 0):
            raise InputError(f"{flag} {price:g}: expected a finite price >= 0 [USD per unit and period]")
    if args.spot_max_share and args.spot_price is None:
        raise InputError("--spot-max-share needs --spot-price")
    check_file(args.output, [args.history])
    raw = read_series(args.history, nonnegative=True, missing="error")
    if "unique_id" in raw.columns and raw["unique_id"].nunique() > 1:
        print(f"planner commit: note: adding up {raw['unique_id'].nunique()} series into one pool", file=sys.stderr)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        built = build_scenarios(raw, args.horizon, args.freq, args.scenarios, what=args.history,
                                method=args.scenario_method, recent_weight=args.recent_weight,
                                on_demand_price=args.on_demand_price, reserved_price=args.reserved_price,
                                spot_price=args.spot_price, spot_max_share=args.spot_max_share,
                                spot_interruption=args.spot_interruption, gate_t=args.forecast_gate_t)
    seen = set()
    for w in caught:  # the inner backtest forecasts several times: say each warning once
        message = " ".join(str(w.message).split())
        if issubclass(w.category, UserWarning) and message not in seen:
            seen.add(message)
            print(f"planner commit: warning: {message}", file=sys.stderr)
    plan = plan_single_pool(built.scenarios, built.recent, args.on_demand_price, args.reserved_price, args.spot_price,
                            args.spot_max_share, args.spot_interruption, integer=args.integer,
                            settings={"history": args.history, "freq": args.freq, "horizon_periods": args.horizon,
                                      "on_demand_usd_per_unit_period": args.on_demand_price,
                                      "reserved_usd_per_unit_period": args.reserved_price,
                                      "spot_usd_per_unit_period": args.spot_price, "spot_max_share": args.spot_max_share,
                                      "spot_interruption": args.spot_interruption,
                                      "recent_weight": args.recent_weight, **built.settings()})
    if plan.distinct_scenario_costs < plan.scenarios:
        plan.settings["scenario_note"] = (
            f"{plan.distinct_scenario_costs} distinct scenario costs among {plan.scenarios}: a commitment's cost depends "
            "only on the values of demand in its horizon, and windows of the same recent days (the last 7 and 30 days, "
            "wrapped around when the horizon is longer) hold the same values; they weight recent history by design")
    with write_file(args.output, [args.history]) as tmp:
        tmp.write_text(json.dumps(plan.to_dict(), indent=2))
    spot = (f"; spot {plan.spot_units_per_period:,.2f} units per period on average ({plan.spot_cost_usd:,.0f} USD)"
            if args.spot_price is not None else "")
    print(f"reserve {plan.reserved_units:,.2f} units for {args.horizon} periods: expected cost {plan.expected_cost_usd:,.0f} USD "
          f"(P95 {plan.p95_cost_usd:,.0f}; reserved {plan.reserved_cost_usd:,.0f}, on-demand {plan.on_demand_cost_usd:,.0f}"
          f"{spot}); saves {plan.savings_vs_on_demand_pct:.1f}% vs all on-demand and "
          f"{plan.savings_vs_recommender_rule_pct:.1f}% vs the recommenders' rule ({plan.recommender_rule_units:,.2f} units); "
          f"break-even utilization {plan.breakeven_utilization:.0%}, expected {plan.expected_utilization:.0%}")
    gate = built.gate
    if gate is not None and len(gate.origins) < 2:
        print(f"forecast paths ({built.model}) left out: {len(gate.origins)} earlier origin(s) for the inner backtest, "
              "it needs 2 (a longer history)")
    elif gate is not None:
        verdict = "entered" if built.forecast_included else "left out"
        print(f"forecast paths ({built.model}) {verdict}: inner backtest on {len(gate.origins)} earlier origins, "
              f"t = {gate.t_stat:.2f} (kept when below {gate.threshold:g})")
    print(f"wrote {args.output}")
    return 0
