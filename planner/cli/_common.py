"""Helpers shared by CLI subcommands: the ``--store`` option, key=value parsing, table output.

Outputs are written with :mod:`planner.outputs` (never over a user's files).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd

from planner.exceptions import InputError
from planner.outputs import write_file, write_folder

__all__ = ["add_store_option", "atomic_path", "atomic_dir", "human", "parse_pairs", "print_table", "store_path"]


def add_store_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--store PATH`` (default ``$PLANNER_STORE`` or the user data folder)."""
    parser.add_argument(
        "--store",
        metavar="PATH",
        help="DuckDB store file (default: $PLANNER_STORE, else ~/.local/share/planner/planner.duckdb)",
    )


def parse_pairs(pairs: Sequence[str] | None, option: str) -> dict[str, str]:
    """Parse ``["a=b", "c=d"]`` given to ``option`` into a dict, naming a malformed item."""
    out: dict[str, str] = {}
    for item in pairs or ():
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"{option} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def print_table(frame: pd.DataFrame, fmt: str = "table") -> None:
    """Print a DataFrame as an aligned table or CSV on stdout."""
    if fmt == "csv":
        print(frame.to_csv(index=False), end="")
        return
    with pd.option_context("display.width", 200, "display.max_columns", 50, "display.max_rows", 500):
        print(frame.to_string(index=False, float_format=human))


def human(value: float) -> str:
    """Format a number for people: ``1.106T``, ``27.5M``, ``3,141``, ``0.577``."""
    if value != value:  # NaN
        return "-"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    for size, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M")):
        if abs(value) >= size:
            return f"{value / size:,.4g}{suffix}"
    return f"{value:,.0f}" if abs(value) >= 1000 or value == int(value) else f"{value:.4g}"


def atomic_path(target: str | Path, inputs: Sequence[str | Path] = ()) -> AbstractContextManager[Path]:
    """:func:`planner.outputs.write_file` (kept for older callers; new code calls it directly)."""
    return write_file(target, inputs)


def atomic_dir(target: str | Path, command: str = "planner",
               inputs: Sequence[str | Path] = ()) -> AbstractContextManager[Path]:
    """:func:`planner.outputs.write_folder` (kept for older callers; new code calls it directly).

    Unlike before, an existing folder is replaced only when planner wrote it (see :mod:`planner.outputs`).
    """
    return write_folder(target, command, inputs)


def store_path(args: argparse.Namespace) -> Path:
    """The store file a command uses: ``--store``, else :func:`planner.store.default_store_path`."""
    from planner.store import default_store_path

    return Path(args.store).expanduser() if getattr(args, "store", None) else default_store_path()
