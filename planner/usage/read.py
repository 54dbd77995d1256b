"""One entry point over every usage reader: :func:`read_usage` with format detection.

The file's kind (CSV, JSON array, JSON lines, Parquet, any of them gzip-compressed) is told from
its content; its usage format from its columns (:data:`SIGNATURES`). A file that has most of a
format's signature, or all of it with a misspelt name, is read by that format's reader, whose
error names the missing column and the closest one found. A file that matches no format is
refused with the list of formats and the ``--format`` flag.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import close_match, peek_columns, sniff
from planner.usage.focus import read_focus
from planner.usage.litellm import read_litellm
from planner.usage.opencost import is_opencost, read_opencost
from planner.usage.outcomes import read_outcomes
from planner.usage.tabular import read_nixtla, read_table
from planner.usage.traces import read_azure_trace, read_mooncake_trace

__all__ = ["FORMATS", "SIGNATURES", "detect_format", "resolve_format", "read_usage"]

#: Format name -> reader function.
FORMATS: dict[str, Callable[..., pd.DataFrame]] = {
    "azure": read_azure_trace,
    "mooncake": read_mooncake_trace,
    "focus": read_focus,
    "litellm": read_litellm,
    "opencost": read_opencost,
    "outcomes": read_outcomes,
    "nixtla": read_nixtla,
    "table": read_table,
}

#: Format name -> the columns that identify it.
SIGNATURES: dict[str, tuple[str, ...]] = {
    "azure": ("TIMESTAMP", "ContextTokens", "GeneratedTokens"),
    "mooncake": ("timestamp", "input_length", "output_length"),
    "focus": ("ChargePeriodStart", "ChargeCategory", "EffectiveCost"),
    "litellm": ("startTime", "prompt_tokens", "completion_tokens"),
    "opencost": ("namespace", "start", "end", "totalCost"),
    "outcomes": ("ts", "outcome", "count"),
    "nixtla": ("unique_id", "ds", "y"),
}
_SIGNATURE_COLUMNS = frozenset(c for cols in SIGNATURES.values() for c in cols)
_MAPPING_HINT = "a column mapping (--mapping FILE, or --time-col and --metric-col METRIC=COLUMN)"


def detect_format(path: str | Path) -> str:
    """Name the usage format of a file from its columns (the header, or the first JSON record).

    Parameters
    ----------
    path : str or pathlib.Path
        The file; CSV, JSON array, JSON lines or Parquet, gzip-compressed or not, told by content.

    Returns
    -------
    str
        A key of :data:`FORMATS`, or ``"table"`` when no signature matches exactly (a column
        mapping is then needed).
    """
    if sniff(path).kind in ("json", "jsonl") and is_opencost(path):  # the allocation API's nested response
        return "opencost"
    listed = peek_columns(path)
    columns = set(listed)
    if is_opencost(path, listed):  # any letter case, the CSV exporter's Date / TotalCost
        return "opencost"
    for name, needed in SIGNATURES.items():
        if set(needed) <= columns:
            return name
    return "table"


def _near_format(columns: set[str]) -> str | None:
    """The format whose signature the columns nearly have: all of it with misspelt names, or all
    but one column of it."""
    spare = [c for c in columns if c not in _SIGNATURE_COLUMNS]
    best, best_score = None, 0
    for name, needed in SIGNATURES.items():
        present = [c for c in needed if c in columns]
        close = [c for c in needed if c not in columns and close_match(c, spare)]
        if present and (len(present) + len(close) == len(needed) or len(present) >= len(needed) - 1):
            score = 2 * len(present) + len(close)
            if score > best_score:
                best, best_score = name, score
    return best


def resolve_format(path: str | Path, format: str = "auto", mapped: bool = False) -> str:
    """The reader to use for ``path``: ``format``, or the detected one.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    format : str
        ``"auto"`` or a key of :data:`FORMATS`.
    mapped : bool
        A column mapping is given: the file is read as a ``table``.

    Returns
    -------
    str
        A key of :data:`FORMATS`.
    """
    if format != "auto":
        if format not in FORMATS:
            near = close_match(format, FORMATS, cutoff=0.6)
            raise InputError(f"{path}: unknown format {format!r}{f' (did you mean {near!r}?)' if near else ''}; "
                             f"expected auto or one of {list(FORMATS)}")
        return format
    if mapped:
        return "table"
    name = detect_format(path)
    if name != "table":
        return name
    columns = peek_columns(path)
    near = _near_format(set(columns))
    if near is not None:
        return near
    shown = ", ".join(repr(c) for c in columns[:8]) + (" ..." if len(columns) > 8 else "")
    formats = "; ".join(f"{n} ({', '.join(cols)})" for n, cols in SIGNATURES.items())
    raise InputError(f"{path}: not a recognised usage format: its columns {shown} match none of {formats}; "
                     f"name the format with --format {{{','.join(SIGNATURES)}}} or give {_MAPPING_HINT}")


def read_usage(path: str | Path, format: str = "auto", **options: Any) -> pd.DataFrame:
    """Read any supported usage file into the canonical usage table.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    format : str
        ``"auto"`` (detect from the columns) or a key of :data:`FORMATS`.
    **options
        Passed to the reader (``source``, ``constants``, ``freq``, ``start``, mapping options);
        an option the reader does not take is an error.

    Returns
    -------
    pandas.DataFrame
        The usage table (see :mod:`planner.usage.schema`); ``attrs["format"]`` names the reader,
        ``attrs["rows_read"]`` and ``attrs["rows_skipped"]`` account for the file's rows.
    """
    name = resolve_format(path, format, mapped="metrics" in options)
    if name == "table" and "metrics" not in options:
        raise InputError(f"{path}: the table format needs {_MAPPING_HINT}")
    if name == "nixtla" and "metric" not in options:
        raise InputError(f"{path}: Nixtla long format (unique_id, ds, y): say what y measures with --metric "
                         "(metric= in Python), e.g. gpu_hours")
    reader = FORMATS[name]
    params = inspect.signature(reader).parameters
    unused = sorted(k for k in options if k not in params)
    if unused:
        raise InputError(f"{path}: option(s) {unused} do not apply to the {name} format")
    usage = reader(path, **options)
    usage.attrs["format"] = name
    return usage
