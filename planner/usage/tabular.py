"""Generic CSV/Parquet usage tables with a column mapping, and Nixtla long format.

A mapping says which column holds the time, which columns hold metrics and which hold
dimensions, e.g. ``time_col="date", metrics={"input_tokens": "tok_in"}, dims={"team": "org"}``.
Numeric time columns are offsets in ``time_unit`` from ``start``. Empty metric cells are missing
data and are dropped (with a warning), never read as zero. A pre-aggregated table must have one
row per time and dimensions: rows that repeat a key with different values are refused, exact
repeats are dropped with a warning, unless ``aggregate=True`` says the rows are events to sum.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.usage._io import (
    check_freq,
    note_rows,
    numeric,
    parse_time,
    read_frame,
    require_columns,
    rows_text,
)
from planner.usage.schema import DIMENSIONS, METRICS, finalize

__all__ = ["read_table", "read_nixtla"]


def read_table(
    path: str | Path,
    time_col: str,
    metrics: Mapping[str, str],
    dims: Mapping[str, str] | None = None,
    source: str = "table",
    constants: Mapping[str, str] | None = None,
    time_unit: str | None = None,
    start: str | pd.Timestamp | None = None,
    freq: str | None = None,
    aggregate: bool = False,
    label: str = "",
) -> pd.DataFrame:
    """Read a wide CSV/Parquet table into the usage table through a column mapping.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    time_col : str
        Column with the period start (timestamps, or numeric offsets with ``time_unit``).
    metrics : mapping of str to str
        Metric name (a key of :data:`planner.usage.METRICS`) -> column holding it.
    dims : mapping of str to str, optional
        Dimension name (one of :data:`planner.usage.DIMENSIONS`) -> column holding it.
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row.
    time_unit : str, optional
        Unit of numeric offsets in ``time_col`` (``s``, ``ms``, ``h``, ``D``...).
    start : str or pandas.Timestamp, optional
        Time of offset 0 (with ``time_unit``), or ``"unix"``.
    freq : str, optional
        Aggregate to this period (pandas frequency); implies summing rows within a period.
    aggregate : bool
        Rows are events: sum rows with the same key instead of refusing duplicates.
    label : str
        Name of the format in messages about missing columns (``Nixtla``).

    Returns
    -------
    pandas.DataFrame
        The usage table.
    """
    what = str(path)
    if not metrics:
        raise InputError(f"{what}: the mapping names no metric column; expected e.g. input_tokens=COLUMN")
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise InputError(f"{what}: unknown metric(s) {unknown} in the mapping; expected one of {list(METRICS)}")
    dims = dict(dims or {})
    bad_dims = sorted(set(dims) - set(DIMENSIONS))
    if bad_dims:
        raise InputError(f"{what}: unknown dimension(s) {bad_dims} in the mapping; expected one of {list(DIMENSIONS)}")
    check_freq(freq, f"{what}: freq")
    raw = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    require_columns(raw, [time_col, *metrics.values(), *dims.values()], what, label=label)
    ts = parse_time(raw[time_col], what, time_col, unit=time_unit, origin=start)
    if freq is not None:
        try:
            ts = ts.dt.floor(freq)
        except ValueError:
            raise InputError(f"{what}: freq {freq!r}: not a fixed-length pandas frequency; use e.g. 15min, h "
                             "or D") from None
        aggregate = True
    wide = pd.DataFrame({"ts": ts})
    for dim, col in dims.items():
        wide[dim] = raw[col].fillna("").astype(str)
    keys = ["ts", *dims]
    for metric, col in metrics.items():
        wide[metric] = numeric(raw, col, what, missing="keep")
    skipped = {}
    if not aggregate:
        repeats = wide.duplicated().to_numpy()
        wide = _check_duplicates(wide, keys, what)
        skipped[f"exact duplicates of an earlier row ({rows_text(repeats)})"] = int(repeats.sum())
    long = wide.melt(id_vars=keys, var_name="metric", value_name="value")
    empty = long["value"].isna()
    if empty.any():
        warnings.warn(
            f"{what}: {int(empty.sum())} empty metric cells treated as missing data (not zero)",
            PlannerWarning,
            stacklevel=2,
        )
        long = long[~empty]
    out = finalize(long, source, constants, what)
    return note_rows(out, what, len(raw), skipped, "are left out")


def read_nixtla(
    path: str | Path,
    metric: str,
    id_dim: str = "product",
    source: str = "series",
    constants: Mapping[str, str] | None = None,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> pd.DataFrame:
    """Read a Nixtla long-format file (``unique_id, ds, y``) as one metric.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV or Parquet.
    metric : str
        The metric ``y`` measures (a key of :data:`planner.usage.METRICS`), e.g. ``node_hours``.
    id_dim : str
        Dimension that receives ``unique_id``.
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row.
    id_col, time_col, target_col : str
        Column names, as in statsforecast.

    Returns
    -------
    pandas.DataFrame
        The usage table.
    """
    if metric not in METRICS:
        raise InputError(f"{path}: unknown metric {metric!r}; expected one of {list(METRICS)}")
    return read_table(path, time_col=time_col, metrics={metric: target_col}, dims={id_dim: id_col},
                      source=source, constants=constants, label="Nixtla")


def _check_duplicates(wide: pd.DataFrame, keys: list[str], what: str) -> pd.DataFrame:
    dup = wide.duplicated(keys, keep=False).to_numpy()
    if not dup.any():
        return wide
    exact = wide.duplicated(keep=False).to_numpy()
    conflict = dup & ~exact
    if conflict.any():
        first = wide[conflict].iloc[0]
        same = (wide[keys] == first[keys]).all(axis=1).to_numpy()
        raise InputError(
            f"{what}: duplicate key {dict((k, str(first[k])) for k in keys)} with conflicting "
            f"values at {rows_text(same)}; expected one row per time and dimensions "
            "(pass aggregate=True / --aggregate if the rows are events to sum)"
        )
    return wide.drop_duplicates().reset_index(drop=True)
