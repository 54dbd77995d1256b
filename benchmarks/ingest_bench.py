"""Ingestion speed and memory at scale (synthetic rows; the formats are the real ones).

Prints, for a LiteLLM spend-log export and an Azure-format request trace of N requests each:
read + aggregate time, rows per second, peak Python memory (tracemalloc, a separate pass), and the time to write
the aggregated batch to a fresh DuckDB store.

    .venv/bin/python benchmarks/ingest_bench.py [--requests 1000000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from planner.store import Batch, Store
from planner.usage import read_azure_trace, read_litellm
from planner.usage._io import file_digest


def _litellm(n: int, rng: np.random.Generator) -> pd.DataFrame:
    start = pd.Timestamp("2025-01-01")
    ts = start + pd.to_timedelta(np.sort(rng.uniform(0, 30 * 86400, n)), unit="s")
    prompt = rng.lognormal(6.5, 1.0, n).astype(int) + 1
    cached = (prompt * rng.uniform(0, 0.6, n)).astype(int)
    teams = np.array(["search", "support", "code", "ads"])
    return pd.DataFrame({
        "request_id": np.arange(n).astype(str),
        "startTime": ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "model": rng.choice(["gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5"], n),
        "prompt_tokens": prompt,
        "completion_tokens": rng.lognormal(5, 1, n).astype(int),
        "cache_read_input_tokens": cached,
        "spend": prompt * 2.5e-6,
        "team_id": rng.choice(teams, n),
        "user": rng.choice([f"u{i}" for i in range(50)], n),
        "metadata": json.dumps({"user_api_key_alias": "k"}),
        "request_tags": '["chat"]',
    })


def _azure(n: int, rng: np.random.Generator) -> pd.DataFrame:
    ts = pd.Timestamp("2023-11-16") + pd.to_timedelta(np.sort(rng.uniform(0, 7 * 86400, n)), unit="s")
    return pd.DataFrame({
        "TIMESTAMP": ts.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "ContextTokens": rng.lognormal(7, 1, n).astype(int),
        "GeneratedTokens": rng.lognormal(4, 1, n).astype(int),
    })


def _measure(label: str, reader, path: Path, n: int, folder: Path) -> None:
    t0 = time.perf_counter()
    usage = reader(path)
    read_s = time.perf_counter() - t0
    tracemalloc.start()  # a second, traced pass: tracemalloc slows pandas, so it is not timed
    reader(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    t0 = time.perf_counter()
    with Store(folder / f"{label}.duckdb") as store:
        store.ingest([Batch(usage, file_digest(path), str(path), label)])
    write_s = time.perf_counter() - t0
    print(f"| {label} | {n:,} | {path.stat().st_size / 2**20:,.0f} | {read_s:.1f} | {n / read_s:,.0f} | "
          f"{peak / 2**20:,.0f} | {len(usage):,} | {write_s:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1_000_000)
    n = parser.parse_args().requests
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print("| format | requests | file MiB | read+aggregate s | requests/s | peak MiB | usage rows | store write s |")
        print("|---|---|---|---|---|---|---|---|")
        _litellm(n, rng).to_csv(folder / "spend.csv", index=False)
        _measure("litellm", read_litellm, folder / "spend.csv", n, folder)
        _azure(n, rng).to_csv(folder / "trace.csv", index=False)
        _measure("azure", read_azure_trace, folder / "trace.csv", n, folder)


if __name__ == "__main__":
    main()
