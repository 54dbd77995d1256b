"""Reading a long-format series file (Nixtla ``unique_id, ds, y``) whole or not at all.

The one validated path for every command that reads series from a file: ``planner forecast``,
``planner commit``, the histories and forecast paths of a ``planner plan`` configuration and the
request series of a scenario, so the same bad file gets the same message everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import note_rows, numeric, parse_time, read_frame, require_columns, rows_text

__all__ = ["read_series"]


def read_series(
    path: str | Path,
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
    history: bool = True,
    nonnegative: bool = False,
    missing: str = "keep",
    what: str | None = None,
) -> pd.DataFrame:
    """Read and check a long-format file (CSV, Parquet or JSON, gzip allowed).

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    id_col, time_col, target_col : str
        Column names, as in statsforecast (``sample`` for the id of forecast paths).
    history : bool
        The file is a history: a time later than now (past :data:`planner.usage._io.FUTURE_SLACK`)
        is an error. False for forecasts.
    nonnegative : bool
        Refuse negative values (demand, GPU counts).
    missing : {"keep", "error"}
        Empty target cells are kept as NaN (gaps, for the forecaster) or refused.
    what : str, optional
        Name of the input in messages (default the path).

    Returns
    -------
    pandas.DataFrame
        The three columns: id as text, time as naive UTC ``datetime64[ns]``, target as float,
        in file order. A time given with UTC offsets is converted to UTC. Rows that repeat an
        (id, time) pair exactly are dropped with a warning; repeats with different values are
        refused.
    """
    what = what or str(path)
    raw = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    require_columns(raw, [id_col, time_col, target_col], what, label="long-format")
    ids = raw[id_col].astype("string").str.strip()
    empty = ids.isna() | (ids == "")
    if empty.any():
        raise InputError(f"{what}: column {id_col!r} is empty at {rows_text(empty.to_numpy())}; expected a series id")
    frame = pd.DataFrame({
        id_col: ids.astype(str).to_numpy(),
        time_col: parse_time(raw[time_col], what, time_col, future=not history).to_numpy(),
        target_col: numeric(raw, target_col, what, nonnegative=nonnegative, missing=missing).to_numpy(),
    })
    keys = [id_col, time_col]
    dup = frame.duplicated(keys, keep=False).to_numpy()
    repeats = frame.duplicated().to_numpy()
    conflict = dup & ~frame.duplicated(keep=False).to_numpy()
    if conflict.any():
        first = frame[conflict].iloc[0]
        same = ((frame[id_col] == first[id_col]) & (frame[time_col] == first[time_col])).to_numpy()
        raise InputError(f"{what}: series {first[id_col]!r} at {first[time_col]} appears at {rows_text(same)} with "
                         f"different {target_col!r}; expected one row per series and period")
    if repeats.any():
        frame = frame[~repeats].reset_index(drop=True)
    return note_rows(frame, what, len(raw), {f"exact duplicates of an earlier row ({rows_text(repeats)})":
                                             int(repeats.sum())}, "are left out")
