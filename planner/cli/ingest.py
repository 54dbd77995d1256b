"""``planner ingest``: read usage files and add them to the store in one transaction."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from tqdm import tqdm

from planner._yaml import load_mapping
from planner.cli._common import add_store_option, parse_pairs, store_path
from planner.exceptions import InputError
from planner.outputs import check_file
from planner.store import Batch, Store
from planner.usage import FORMATS, read_usage
from planner.usage._io import check_freq, file_digest

__all__ = ["register"]

_MAPPING_KEYS = {
    "format", "source", "time_col", "time_unit", "start", "freq", "metrics", "dims", "constants",
    "aggregate", "metric", "id_dim", "namespace_teams", "cost",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``ingest`` subcommand."""
    p = subparsers.add_parser(
        "ingest",
        help="read usage files into the store",
        description="Read usage exports (Azure/Mooncake traces, FOCUS, LiteLLM spend logs, OpenCost / Kubecost "
        "allocation exports, outcome counts, Nixtla long format, or any CSV/Parquet with a column mapping) and add "
        "them to the store. All "
        "files land in one transaction; a file already ingested is skipped; an overlapping "
        "period replaces the stored rows of the same series instead of doubling them.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="usage file(s): .csv, .parquet, .json, .jsonl")
    p.add_argument("--format", default="auto", choices=["auto", *FORMATS], help="reader (default: detect from the header)")
    p.add_argument("--mapping", metavar="YAML", help="YAML file with reader options (time_col, metrics, dims, constants, start, ...)")
    p.add_argument("--source", help="source name stored with the rows (default: the reader's)")
    p.add_argument("--freq", help="aggregate request-level rows to this pandas frequency (default h)")
    p.add_argument("--start", help="wall-clock UTC time of offset 0 for relative timestamps")
    p.add_argument("--time-col", help="time column (table format)")
    p.add_argument("--time-unit", help="unit of numeric time offsets: s, ms, h, D")
    p.add_argument("--metric-col", action="append", metavar="METRIC=COLUMN", help="metric column (table format), repeatable")
    p.add_argument("--dim-col", action="append", metavar="DIM=COLUMN", help="dimension column (table format), repeatable")
    p.add_argument("--set", action="append", metavar="DIM=VALUE", help="dimension value for every row, repeatable")
    p.add_argument("--metric", help="metric measured by y (nixtla format), e.g. gpu_hours")
    p.add_argument("--id-dim", help="dimension receiving unique_id (nixtla format, default product)")
    p.add_argument("--aggregate", action="store_true", default=None, help="rows are events to sum (table format)")
    p.add_argument("--dry-run", action="store_true", help="read and validate only; write nothing")
    add_store_option(p)
    p.set_defaults(handler=_run)


def _options(args: argparse.Namespace) -> dict:
    opts: dict = {}
    if args.mapping:
        opts.update(_read_mapping(args.mapping))
    flags = {
        "source": args.source, "freq": args.freq, "start": args.start, "time_col": args.time_col,
        "time_unit": args.time_unit, "metric": args.metric, "id_dim": args.id_dim,
        "aggregate": args.aggregate,
    }
    opts.update({k: v for k, v in flags.items() if v is not None})
    for key, option, value in (("metrics", "--metric-col", args.metric_col), ("dims", "--dim-col", args.dim_col),
                               ("constants", "--set", args.set)):
        if value:
            opts[key] = {**opts.get(key, {}), **parse_pairs(value, option)}
    return opts


def _read_mapping(path: str) -> dict:
    data = load_mapping(path, "mapping")
    unknown = sorted(set(data) - _MAPPING_KEYS)
    if unknown:
        raise InputError(f"{path}: unknown key(s) {unknown}; expected some of {sorted(_MAPPING_KEYS)}")
    for key in ("metrics", "dims", "constants"):
        if key in data and not isinstance(data[key], dict):
            raise InputError(f"{path}: key {key!r} must be a mapping NAME: COLUMN")
    return data


def _run(args: argparse.Namespace) -> int:
    check_freq(args.freq, "--freq")
    opts = _options(args)
    fmt = opts.pop("format", args.format) if args.format == "auto" else args.format
    if fmt not in ("auto", *FORMATS):
        raise InputError(f"{args.mapping}: format: {fmt!r} is not one of auto, {', '.join(FORMATS)}")
    if not args.dry_run:
        check_file(store_path(args), args.files, option="--store", example="planner.duckdb")
    batches = []
    for path in tqdm(args.files, desc="reading", unit="file", file=sys.stderr, disable=None, leave=False):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            usage = read_usage(path, fmt, **opts)
        for w in caught:
            if issubclass(w.category, UserWarning):
                print(f"planner ingest: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
        name = usage.attrs.get("format", fmt)
        batches.append(Batch(usage, file_digest(path), str(Path(path)), name))
        read = usage.attrs.get("rows_read")
        skipped = sum(usage.attrs.get("rows_skipped", {}).values())
        rows = f"{read:,} file row{'s' * (read != 1)}{f' ({skipped:,} without usage, see warning)' if skipped else ''}" \
            " -> " if read is not None else ""
        print(f"read {path} ({name}): {rows}{len(usage):,} usage rows, {usage['ts'].min()} .. {usage['ts'].max()}")
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    with Store(args.store) as store:
        result = store.ingest(batches)
        path = store.path
    for skipped in result.skipped:
        print(f"skipped {skipped}: already ingested (store unchanged for this file)")
    print(f"store {path}: {result.rows_added} rows added, {result.rows_replaced} replaced")
    return 0
