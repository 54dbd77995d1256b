"""Report wall time and HTML size on the bundled sample data (targets: <= 60 s, <= 5 MB each).

Builds a fresh store from data/samples (as `make demo` does), then renders each report with the
parameters the monthly job and the README use. A report whose library module (planner.forecast,
planner.optimize, planner.simulate) is not installed is listed as skipped.

    .venv/bin/python benchmarks/report_bench.py
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
import tempfile
import time
from pathlib import Path

from planner.cli import main
from planner.exceptions import PlannerError
from planner.report import render_report

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


def _store(path: Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["ingest", str(SAMPLES / "servegen_hourly_by_model.csv"), "--mapping",
                     str(SAMPLES / "servegen.mapping.yaml"), "--store", str(path)]) == 0
        assert main(["ingest", str(SAMPLES / "philly_busy_nodes_hourly.csv"), "--metric", "node_hours",
                     "--source", "philly", "--id-dim", "product", "--store", str(path)]) == 0


def main_bench() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        store = tmp / "bench.duckdb"
        _store(store)
        cases = {
            "monthly_forecast": ("planner.forecast", {
                "store_path": str(store), "metrics": ["output_tokens"], "by": ["model"], "freq": "h",
                "horizon": 168, "month": "2025-01"}),
            "monthly_forecast[philly]": ("planner.forecast", {
                "store_path": str(store), "metrics": ["node_hours"], "by": ["product"], "freq": "h",
                "horizon": 720, "month": "2017-12", "allow_incomplete": True,  # the trace stops on 2017-12-15
                "unit_price_usd": 2.0}),  # the benchmark's own price
            "commitment_comparison": ("planner.optimize", {
                "history_file": str(SAMPLES / "philly_busy_nodes_hourly.csv"), "horizon_days": 30.0,
                "prices_file": str(ROOT / "plans" / "demo_prices.yaml")}),
            "capacity_plan": ("planner.optimize", {"config_file": str(ROOT / "plans" / "servegen.yaml")}),
            "whatif_scenarios": ("planner.simulate", {
                "scenario_files": [str(p) for p in sorted((ROOT / "scenarios").glob("*.yaml"))[:3]]}),
        }
        print(f"{'report':24} {'seconds':>8} {'html MB':>8} {'svg':>4}  status")
        rows = []
        for name, (module, params) in cases.items():
            if importlib.util.find_spec(module) is None:
                print(f"{name:24} {'-':>8} {'-':>8} {'-':>4}  skipped: {module} not installed")
                continue
            t0 = time.perf_counter()
            try:
                report = render_report(name.split("[")[0], params, tmp / "out", date=name)
                status = "ok"
                html = report.html
            except PlannerError as exc:
                status = f"FAILED: {exc}"
                html = tmp / "out" / name / f"{name.split('[')[0]}.html"
            seconds = time.perf_counter() - t0
            size = html.stat().st_size / 1e6 if html.is_file() else float("nan")
            svgs = html.read_text().count("<svg") if html.is_file() else 0
            print(f"{name:24} {seconds:8.1f} {size:8.2f} {svgs:4d}  {status}")
            rows.append({"report": name, "seconds": round(seconds, 2), "html_mb": round(size, 3), "status": status})
        print(json.dumps(rows))


if __name__ == "__main__":
    main_bench()
