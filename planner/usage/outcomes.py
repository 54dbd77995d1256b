"""Outcome counts: what the AI spend produced (resolved tickets, merged pull requests, bookings).

A CSV, Parquet or JSON table with ``ts`` (when), ``outcome`` (its name, e.g. ``resolved_ticket``)
and ``count`` (how many, >= 0), and any of the usage dimensions (``team``, ``product``,
``feature``, ``user``, ``model``, ``provider``, ``gpu_type``, ``region``) as columns. Each row
becomes the metric ``outcome:<name>`` [outcomes] (:func:`planner.usage.schema.outcome_metric`:
the name lower-cased, blanks as ``_``). Rows are events or period counts: rows of the same
period (``ts`` floored to ``freq``), dimensions and outcome are added up. An empty ``outcome``
or ``count``, a negative or fractional-looking text count, and a column named almost like a
dimension (``teams``) are errors naming the column and rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import (
    check_freq,
    misspelt_columns,
    note_rows,
    numeric,
    parse_time,
    read_frame,
    require_columns,
    rows_text,
)
from planner.usage.schema import DIMENSIONS, finalize, outcome_metric

__all__ = ["read_outcomes", "OUTCOME_COLUMNS"]

#: Columns an outcomes file must have.
OUTCOME_COLUMNS: tuple[str, ...] = ("ts", "outcome", "count")


def read_outcomes(path: str | Path, freq: str = "h", source: str = "outcomes",
                  constants: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read an outcomes file into the usage table.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (see the module docstring).
    freq : str
        Period the rows are added up to (default hourly; a file of daily counts stays daily).
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row.

    Returns
    -------
    pandas.DataFrame
        Usage table of ``outcome:<name>`` metrics [outcomes].
    """
    what = str(path)
    freq = check_freq(freq, f"{what}: freq")
    raw = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    require_columns(raw, OUTCOME_COLUMNS, what, label="outcomes", known=DIMENSIONS)
    misspelt_columns(raw, DIMENSIONS, what, known=OUTCOME_COLUMNS)
    ts = parse_time(raw["ts"], what, "ts")
    count = numeric(raw, "count", what)
    name = raw["outcome"].astype("string").str.strip()
    empty = (name.isna() | (name == "")).to_numpy()
    if empty.any():
        raise InputError(f"{what}: column 'outcome' is empty at {rows_text(empty)}; expected an outcome name "
                         "such as resolved_ticket")
    metrics = {n: outcome_metric(n, f"{what}: column 'outcome'") for n in pd.unique(name)}
    long = pd.DataFrame({"ts": ts.dt.floor(freq), "metric": name.map(metrics).to_numpy(), "value": count})
    for dim in DIMENSIONS:
        if dim in raw.columns:
            long[dim] = raw[dim].fillna("").astype(str)
    out = finalize(long, source, constants, what)
    return note_rows(out, what, len(raw), {}, "are left out")
