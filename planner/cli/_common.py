"""Helpers shared by CLI subcommands: the ``--store`` option, key=value parsing, table output."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from planner.exceptions import InputError

__all__ = ["add_store_option", "atomic_path", "atomic_dir", "human", "parse_pairs", "print_table"]


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


@contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only if the block succeeds.

    Nothing is left behind when the block raises, so a failed command writes no partial file.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; it replaces ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
