"""``planner catalog``: show the catalogs, import a SkyPilot GPU catalog into the user folder."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from planner import catalog
from planner.cli._common import print_table
from planner.exceptions import InputError
from planner.outputs import check_file, write_file

__all__ = ["register"]

_TABLES = {
    "prices": (catalog.load_prices, ["model", "provider", "input_usd_per_token", "output_usd_per_token",
                                     "cache_read_usd_per_token", "cache_write_usd_per_token",
                                     "batch_input_usd_per_token", "batch_output_usd_per_token", "min_cacheable_tokens"]),
    "gpus": (catalog.load_gpus, ["gpu_type", "cloud", "instance_type", "gpus_per_instance", "on_demand_usd_per_gpu_hour",
                                 "spot_usd_per_gpu_hour", "reserved_1y_usd_per_gpu_hour", "reserved_3y_usd_per_gpu_hour"]),
    "throughput": (catalog.load_throughput, ["engine", "model", "precision", "gpu_type", "gpus_per_replica", "input_tokens",
                                             "output_tokens", "concurrency", "output_tokens_per_s", "derived", "source_date"]),
    "models": (catalog.load_models, ["model", "hf_id", "architecture", "params", "active_params", "layers", "kv_heads",
                                     "head_dim", "vocab"]),
    "quality": (catalog.load_quality, ["model", "precision", "checkpoint", "metric", "baseline_score", "quantized_score",
                                       "recovery", "source_date"]),
    "gpu-specs": (catalog.load_gpu_specs, ["gpu_type", "architecture", "memory_gb", "memory_bandwidth_gb_s"]),
    "cache-rules": (catalog.load_cache_rules, ["family", "providers", "model_pattern", "min_cacheable_tokens",
                                               "write_multiplier", "write_multiplier_1h", "read_multiplier", "ttl_s"]),
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``catalog`` subcommand with ``show`` and ``import``."""
    p = subparsers.add_parser("catalog", help="show or refresh the price, GPU, throughput, model and quality catalogs")
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    s = sub.add_parser("show", help="print a catalog")
    s.add_argument("table", choices=list(_TABLES))
    s.add_argument("--filter", help="keep rows whose text contains this (case-insensitive; comma-separated terms must all match, "
                                    "e.g. vllm,A100)")
    s.add_argument("--all-columns", action="store_true", help="print every column, sources included")
    s.add_argument("--format", choices=["table", "csv"], default="table")
    s.set_defaults(handler=_show)
    i = sub.add_parser("import", help="import a SkyPilot catalog v8 vms.csv into the user catalog folder")
    i.add_argument("kind", choices=["skypilot"])
    i.add_argument("file", help="SkyPilot vms.csv")
    i.add_argument("--cloud", required=True, help="cloud name to record, e.g. aws, gcp, lambda")
    i.add_argument("--catalog-dir", help="user catalog folder (default $PLANNER_CATALOG_DIR or ~/.config/planner/catalog)")
    i.set_defaults(handler=_import)


def _show(args: argparse.Namespace) -> int:
    load, columns = _TABLES[args.table]
    table = load()
    if args.filter:
        text = table.astype(str).agg(" ".join, axis=1).str.lower()
        keep = pd.Series(True, index=table.index)
        for term in (t.strip().lower() for t in args.filter.split(",") if t.strip()):
            keep &= text.str.contains(term, regex=False)
        table = table[keep]
        if table.empty:
            raise InputError(f"no {args.table} row matches {args.filter!r}")
    if not (args.all_columns or args.format == "csv"):
        table = table[columns]
    per_token = [c for c in table.columns if c.endswith("_usd_per_token")]
    table = table.assign(**{c: table[c] * 1e6 for c in per_token})
    table = table.rename(columns={c: c.replace("_usd_per_token", "_usd_per_mtok") for c in per_token})
    print_table(table, args.format)
    return 0


def _import(args: argparse.Namespace) -> int:
    folder = Path(args.catalog_dir).expanduser() if args.catalog_dir else catalog.user_catalog_dir()
    target = check_file(folder / "gpu_offerings.csv", [args.file], option="--catalog-dir")
    new = catalog.import_skypilot(args.file, args.cloud)
    current = catalog.load_gpus(target if target.is_file() else None)
    kept = current[current["cloud"].str.lower() != args.cloud.lower()]
    merged = pd.concat([kept, new], ignore_index=True).sort_values(["cloud", "gpu_type", "instance_type"])
    with write_file(target, [args.file], option="--catalog-dir") as tmp:
        merged.to_csv(tmp, index=False)
    replaced = len(current) - len(kept)
    skipped = new.attrs.get("rows_skipped", {})
    left_out = f"; of {new.attrs.get('rows_read', 0):,} rows read, left out: " + \
        ", ".join(f"{n:,} {kind}" for kind, n in skipped.items()) if skipped else ""
    print(f"{target}: {len(new)} {args.cloud} offerings imported ({replaced} replaced), {len(merged)} in all{left_out}")
    return 0
