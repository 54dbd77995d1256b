"""Request-level LLM traces, aggregated to periods.

Two public formats are read: the Azure LLM inference trace (``TIMESTAMP, ContextTokens,
GeneratedTokens``; Splitwise, ISCA 2024) and the Mooncake trace (JSON lines with ``timestamp``
in milliseconds from the trace start, ``input_length``, ``output_length``, ``hash_ids``;
Mooncake, FAST 2025). Each request adds 1 to ``requests``, its context length to
``input_tokens`` and its generated length to ``output_tokens`` of the period it starts in.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import (
    check_freq,
    note_rows,
    numeric,
    parse_time,
    read_frame,
    require_columns,
)
from planner.usage.schema import finalize

__all__ = ["read_azure_trace", "read_mooncake_trace", "aggregate_requests"]


def aggregate_requests(
    ts: pd.Series,
    input_tokens: pd.Series,
    output_tokens: pd.Series,
    freq: str,
    dims: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Aggregate one row per request into periods of ``freq``.

    Parameters
    ----------
    ts : pandas.Series
        Request start times (naive UTC).
    input_tokens, output_tokens : pandas.Series
        Tokens per request [tokens].
    freq : str
        pandas frequency of the periods, e.g. ``"min"``, ``"h"``, ``"D"``.
    dims : pandas.DataFrame, optional
        Dimension columns per request (same index).

    Returns
    -------
    pandas.DataFrame
        Long frame ``ts, <dims>, metric, value`` with ``requests`` [requests],
        ``input_tokens`` and ``output_tokens`` [tokens] per period.
    """
    check_freq(freq)
    try:
        period = ts.dt.floor(freq)
    except ValueError:
        raise InputError(f"freq {freq!r}: not a fixed-length pandas frequency for request times; use e.g. "
                         "15min, h or D (calendar periods such as MS come later, from to_series)") from None
    wide = pd.DataFrame(
        {"ts": period, "requests": 1.0, "input_tokens": input_tokens, "output_tokens": output_tokens}
    )
    keys = ["ts"]
    if dims is not None:
        wide = pd.concat([wide, dims], axis=1)
        keys += list(dims.columns)
    sums = wide.groupby(keys, as_index=False).sum()
    return sums.melt(id_vars=keys, var_name="metric", value_name="value")


def read_azure_trace(
    path: str | Path,
    freq: str = "h",
    source: str = "azure_trace",
    constants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read an Azure LLM inference trace into the usage table.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (or Parquet) with ``TIMESTAMP`` (naive, taken as UTC), ``ContextTokens`` [tokens]
        and ``GeneratedTokens`` [tokens], one row per request.
    freq : str
        Period of the aggregation (pandas frequency), default hourly.
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row; ``product`` defaults to the file's stem.

    Returns
    -------
    pandas.DataFrame
        Usage table with ``requests``, ``input_tokens`` and ``output_tokens``.
    """
    return _read_trace(path, ("TIMESTAMP", "ContextTokens", "GeneratedTokens"), None, None, freq, source,
                       constants, "Azure trace")


def read_mooncake_trace(
    path: str | Path,
    start: str | pd.Timestamp | None = None,
    freq: str = "h",
    source: str = "mooncake_trace",
    constants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a Mooncake JSON-lines trace into the usage table.

    Parameters
    ----------
    path : str or pathlib.Path
        JSON lines with ``timestamp`` [ms since the trace start], ``input_length`` [tokens] and
        ``output_length`` [tokens]; ``hash_ids`` (prefix blocks) are not usage and are ignored
        here (the simulator replays them).
    start : str or pandas.Timestamp
        Wall-clock time of ``timestamp == 0`` (UTC). The published trace does not give it, so it
        is needed: without it the reader raises an error that asks for it.
    freq : str
        Period of the aggregation (pandas frequency), default hourly.
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row; ``product`` defaults to the file's stem.

    Returns
    -------
    pandas.DataFrame
        Usage table with ``requests``, ``input_tokens`` and ``output_tokens``.
    """
    return _read_trace(path, ("timestamp", "input_length", "output_length"), "ms", start, freq, source,
                       constants, "Mooncake trace")


def _read_trace(path, columns, unit, origin, freq, source, constants, label) -> pd.DataFrame:
    """Read one row per request (time, input tokens, output tokens columns) and aggregate."""
    what = str(path)
    check_freq(freq, f"{what}: freq")
    raw = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    require_columns(raw, list(columns), what, label=label)
    time_col, in_col, out_col = columns
    ts = parse_time(raw[time_col], what, time_col, unit=unit, origin=origin)
    usage = aggregate_requests(ts, numeric(raw, in_col, what), numeric(raw, out_col, what), freq)
    out = finalize(usage, source, {"product": Path(path).stem, **(constants or {})}, what)
    return note_rows(out, what, len(raw), {}, "")
