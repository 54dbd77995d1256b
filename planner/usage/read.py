"""One entry point over every usage reader: :func:`read_usage` with format detection."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from planner.exceptions import InputError
from planner.usage.focus import read_focus
from planner.usage.litellm import read_litellm
from planner.usage.tabular import read_nixtla, read_table
from planner.usage.traces import read_azure_trace, read_mooncake_trace

__all__ = ["FORMATS", "detect_format", "read_usage"]

#: Format name -> reader function.
FORMATS: dict[str, Callable[..., pd.DataFrame]] = {
    "azure": read_azure_trace,
    "mooncake": read_mooncake_trace,
    "focus": read_focus,
    "litellm": read_litellm,
    "nixtla": read_nixtla,
    "table": read_table,
}

_SIGNATURES: tuple[tuple[str, frozenset[str]], ...] = (
    ("azure", frozenset({"TIMESTAMP", "ContextTokens", "GeneratedTokens"})),
    ("mooncake", frozenset({"timestamp", "input_length", "output_length"})),
    ("focus", frozenset({"ChargePeriodStart", "ChargeCategory", "EffectiveCost"})),
    ("litellm", frozenset({"startTime", "prompt_tokens", "completion_tokens"})),
    ("nixtla", frozenset({"unique_id", "ds", "y"})),
)


def detect_format(path: str | Path) -> str:
    """Name the format of a usage file from its header (or first JSON record).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.

    Returns
    -------
    str
        A key of :data:`FORMATS`, or ``"table"`` when no known signature matches (a column
        mapping is then needed).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    columns = _header(path)
    for name, needed in _SIGNATURES:
        if needed <= columns:
            return name
    return "table"


def _header(path: Path) -> set[str]:
    suffix = "".join(s.lower() for s in path.suffixes if s.lower() != ".gz")
    try:
        if suffix.endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            return set(pq.read_schema(path).names)
        with open(path, encoding="utf-8") as fh:
            first = fh.readline().strip()
        if suffix.endswith((".jsonl", ".ndjson", ".json")):
            first = first.lstrip("[").rstrip(",")
            return set(json.loads(first)) if first.startswith("{") else set()
        return {c.strip().strip('"') for c in first.split(",")}
    except (OSError, ValueError, UnicodeDecodeError):
        return set()


def read_usage(path: str | Path, format: str = "auto", **options: Any) -> pd.DataFrame:
    """Read any supported usage file into the canonical usage table.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    format : str
        ``"auto"`` (detect from the header) or a key of :data:`FORMATS`.
    **options
        Passed to the reader (``source``, ``constants``, ``freq``, ``start``, mapping options).

    Returns
    -------
    pandas.DataFrame
        The usage table (see :mod:`planner.usage.schema`).
    """
    name = detect_format(path) if format == "auto" else format
    if name not in FORMATS:
        raise InputError(f"{path}: unknown format {format!r}; expected auto or one of {list(FORMATS)}")
    if name == "table" and "metrics" not in options:
        raise InputError(
            f"{path}: not a recognised usage format (Azure trace, Mooncake, FOCUS, LiteLLM, "
            "Nixtla unique_id/ds/y); give a column mapping (time_col and metrics, or --mapping FILE)"
        )
    reader = FORMATS[name]
    try:
        return reader(path, **options)
    except TypeError as exc:
        if "argument" in str(exc):
            raise InputError(f"{path}: option not accepted by the {name} reader: {exc}") from None
        raise
