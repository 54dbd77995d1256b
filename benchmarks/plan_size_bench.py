"""Full-size capacity plan: solve time, model size and aggregation error.

A year of hourly token demand for 8 workloads (synthetic: level, growth, daily and weekly shape
varying by workload, 50 scenarios of correlated noise), 6 GPU types from the catalog (1-year and
3-year reserved, on-demand, spot where the catalog has it), 5 routes per workload (two API models,
the API model's batch price, two self-hosted models on different GPU types) and a provisioned-
throughput commitment. Reservations may start each month; each month and scenario is summarised
by ``--slices`` load-duration slices. Commitments are charged for their whole term, so the demand
of each scenario's last month is held to the end of a 3-year term bought in December (two tail
blocks of 4 slices after the year).

    .venv/bin/python benchmarks/plan_size_bench.py [--slices 8] [--scenarios 50] [--baselines] [--error]

``--error`` measures the aggregation error: with 10 scenarios, the objective at 4, 6, 8 and 12
slices against 24 slices, and the cost of each one's commitments when priced on 24 slices.
The machine is shared: the 1-minute load average is printed before and after each timing.
``benchmarks/plan_bench.py`` prints the same table after its backtests.
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
import pandas as pd

from planner import catalog
from planner.optimize import PlanProblem, Pool, ProvisionedThroughput, Route, Workload, plan

GPUS = [("H100", "aws"), ("H200", "aws"), ("A100-80GB", "aws"), ("A100-40GB", "aws"), ("B200", "aws"), ("A10", "lambda")]
SELFHOST = [("llama-8b", "H100"), ("llama-70b", "H200"), ("llama-70b", "H100"), ("llama-8b", "H200")]
APIS = ["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5"]


def problem(n_scenarios: int, hours: int = 8760, seed: int = 0) -> PlanProblem:
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2026-01-01", periods=hours, freq="h")
    t = np.arange(hours)
    pools = []
    for gpu, cloud in GPUS:
        o = catalog.gpu_offer(gpu, cloud)
        spot = o["spot_usd_per_gpu_hour"]
        pools.append(Pool(o["gpu_type"], o["on_demand_usd_per_gpu_hour"],
                          {"1y": o["reserved_1y_usd_per_gpu_hour"], "3y": o["reserved_3y_usd_per_gpu_hour"]},
                          spot=None if spot != spot else spot, spot_max_share=0.5 if spot == spot else 0.0,
                          spot_interruption=0.2, cloud=cloud))
    ptu = ProvisionedThroughput("ptu-gpt-4o", "gpt-4o", tokens_per_minute_per_unit=50_000, usd_per_unit_hour=4.0)
    workloads, frames = [], []
    for j in range(8):
        api, small = catalog.model_price(APIS[j % 4]), catalog.model_price(APIS[(j + 1) % 4])
        m1, g1 = SELFHOST[j % 4]
        m2, g2 = SELFHOST[(j + 1) % 4]
        tp1, tp2 = catalog.throughput(m1, g1), catalog.throughput(m2, g2)
        routes = (
            Route(f"api:{APIS[j % 4]}", "api", "frontier", api["input_usd_per_token"], api["cache_read_usd_per_token"],
                  api["output_usd_per_token"]),
            Route(f"api:{APIS[j % 4]} (batch)", "api", "frontier", api["batch_input_usd_per_token"],
                  api["cache_read_usd_per_token"] / 2, api["batch_output_usd_per_token"]),
            Route(f"api:{APIS[(j + 1) % 4]}", "api", "small", small["input_usd_per_token"],
                  small["cache_read_usd_per_token"], small["output_usd_per_token"]),
            Route(f"selfhost:{m1}@{g1}", "selfhost", "open", pool=f"{g1}@aws",
                  output_tokens_per_gpu_hour=tp1.output_tokens_per_gpu_hour * 0.7, gpus_per_replica=tp1.gpus_per_replica),
            Route(f"selfhost:{m2}@{g2}", "selfhost", "open", pool=f"{g2}@aws",
                  output_tokens_per_gpu_hour=tp2.output_tokens_per_gpu_hour * 0.7, gpus_per_replica=tp2.gpus_per_replica),
        )
        if j == 0:
            routes = routes[:4] + (Route("provisioned:ptu-gpt-4o", "provisioned", "frontier", commitment=ptu.name),)
        workloads.append(Workload(f"workload-{j}", routes, {"frontier": 0.2}, unserved_usd_per_million_tokens=500.0))
        level = 10 ** rng.uniform(7, 9)  # output tokens per hour
        growth = rng.uniform(0.0, 2.0)  # x per year
        shape = (1 + 0.5 * np.sin(2 * np.pi * (t - 14) / 24)) * (1 - 0.25 * (ds.dayofweek >= 5))
        for k in range(n_scenarios):
            drift = np.cumsum(rng.normal(0, 0.01, hours // 24 + 1)).repeat(24)[:hours]
            out = level * (1 + growth * t / hours) * shape * np.exp(drift + rng.normal(0, 0.15, hours))
            frames.append(pd.DataFrame({"workload": f"workload-{j}", "ds": ds, "scenario": k,
                                        "input_tokens": 3 * out, "cached_input_tokens": out, "output_tokens": out}))
    return PlanProblem(pools, workloads, pd.concat(frames, ignore_index=True), provisioned=[ptu], block="MS",
                       cvar_weight=0.2, source="full-size benchmark")


def measure(n_scenarios: int = 50, slices: int = 8, baselines: bool = False) -> dict:
    """Build and solve the full-size model once; with ``baselines`` also run ``plan()`` (rounding to
    whole units and 3 more solves)."""
    from planner.optimize import lp
    from planner.optimize.aggregate import aggregate

    t0 = time.perf_counter()
    prob = problem(n_scenarios)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.validate()
        data_s = time.perf_counter() - t0
        load = [os.getloadavg()[0]]
        t1 = time.perf_counter()
        cells = aggregate(prob, slices)
        aggregate_s = time.perf_counter() - t1
        solution = lp.CapacityLP(prob, cells).solve()
        load.append(os.getloadavg()[0])
        out = {"scenarios": n_scenarios, "slices": slices, "cells": len(cells.hours),
               "tail_cells": int((~cells.in_horizon).sum()), "variables": solution["variables"],
               "constraints": solution["constraints"], "aggregate_s": aggregate_s, "build_s": solution["build_s"],
               "solve_s": solution["solve_s"], "data_s": data_s, "solver": solution["solver"], "load": load,
               "expected_cost_usd": float(cells.weights @ solution["scenario_cost"])}
        if baselines:
            t2 = time.perf_counter()
            result = plan(prob, slices=slices)
            out["plan_s"] = time.perf_counter() - t2
            out["savings_vs_on_demand_pct"] = result.summary["savings"]["all on-demand (no commitments)"]["pct"]
            out["rounding_cost_pct"] = 100 * result.summary["rounding_cost_usd"] / result.summary["expected_cost_usd"]
    out["peak_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def aggregation_error(n_scenarios: int = 10, fine: int = 24, coarse: tuple = (4, 6, 8, 12)) -> list[dict]:
    """Objective and decision error of ``coarse`` slices against ``fine`` slices [share]."""
    from planner.optimize import lp
    from planner.optimize.aggregate import aggregate

    prob = problem(n_scenarios)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prob.validate()
        model = lp.CapacityLP(prob, aggregate(prob, fine))
        best = model.solve()
        rows = []
        for n in coarse:
            sol = lp.CapacityLP(prob, aggregate(prob, n)).solve()
            held = model.solve(fixed={"reserve": sol["reserve"], "provisioned": dict(enumerate(sol["provisioned"]))})
            rows.append({"slices": n, "objective": sol["objective"] / best["objective"] - 1,
                         "decision": held["objective"] / best["objective"] - 1})
    return rows


def print_measure(m: dict) -> None:
    print(f"full-size capacity plan: {len(GPUS)} GPU types (1y, 3y reserved, on-demand, spot), 8 workloads x 5 routes, "
          f"{m['scenarios']} scenarios, a year of hours in 12 monthly blocks x {m['slices']} slices, whole terms "
          f"({m['tail_cells']:,} cells after the year)")
    print("| cells | variables | constraints | aggregate s | build s | solve s (PuLP -> HiGHS) | model s (all three) | peak MiB "
          "| load before / after |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = m["aggregate_s"] + m["build_s"] + m["solve_s"]
    print(f"| {m['cells']:,} | {m['variables']:,} | {m['constraints']:,} | {m['aggregate_s']:.1f} | {m['build_s']:.1f} | "
          f"{m['solve_s']:.1f} | {total:.1f} | {m['peak_mib']:,.0f} | {m['load'][0]:.1f} / {m['load'][1]:.1f} |")
    extra = (f"; plan() with whole units and its 3 baselines {m['plan_s']:.1f} s, saves "
             f"{m['savings_vs_on_demand_pct']:.1f}% vs all on-demand, rounding to whole units costs "
             f"{m['rounding_cost_pct']:.3f}%") if "plan_s" in m else ""
    print(f"target: model <= 20 s; solver {m['solver']}; demand generated and validated in {m['data_s']:.1f} s{extra}")


def print_error(rows: list[dict]) -> None:
    print("\naggregation error (10 scenarios; against 24 slices):")
    print("| slices | objective | its commitments priced on 24 slices |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r['slices']} | {100 * r['objective']:+.4f}% | {100 * r['decision']:+.4f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slices", type=int, default=8)
    parser.add_argument("--scenarios", type=int, default=50)
    parser.add_argument("--baselines", action="store_true", help="also time plan() with its three baseline solves")
    parser.add_argument("--error", action="store_true", help="also measure the aggregation error (10 scenarios)")
    args = parser.parse_args()
    print_measure(measure(args.scenarios, args.slices, args.baselines))
    if args.error:
        print_error(aggregation_error())


if __name__ == "__main__":
    main()
