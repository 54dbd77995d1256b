"""Simulator speed: 10,000 Monte Carlo draws of the 12-month baseline scenario, and requests/s.

Each draw samples ``sample_requests`` request token lengths per workload (resampled from the real
Azure traces in the baseline), so simulated requests = draws x workloads x sample_requests.

    .venv/bin/python benchmarks/simulate_bench.py
"""

from __future__ import annotations

import time
from pathlib import Path

from planner.simulate import load_scenario, simulate

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    print("| scenario | draws | months | simulated requests | seconds | requests/s |\n|---|---|---|---|---|---|")
    for name in ("baseline", "threshold_router", "prompt_caching"):
        scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml")
        simulate(scenario, draws=10)  # warm the trace and router caches
        draws, per = 10_000, 500
        t0 = time.perf_counter()
        simulate(scenario, draws=draws, sample_requests=per)
        seconds = time.perf_counter() - t0
        n = draws * per * len(scenario["workloads"])
        print(f"| {name} | {draws:,} | {scenario.get('months', 12)} | {n:,} | {seconds:.2f} | {n / seconds:,.0f} |")


if __name__ == "__main__":
    main()
