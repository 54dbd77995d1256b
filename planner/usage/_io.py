"""File reading and column checks shared by the usage readers.

Every check raises :class:`planner.exceptions.InputError` whose message names the file, the
column, the 1-based data row(s) (the header is not counted) and what was expected.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError

__all__ = [
    "rows_text",
    "read_frame",
    "require_columns",
    "parse_time",
    "numeric",
    "file_digest",
]

#: Cell texts read as empty: FOCUS exports write ``null`` for a null value.
_NULLS = ["", "null", "NULL"]
_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def rows_text(mask: np.ndarray, limit: int = 5) -> str:
    """Format the 1-based row numbers where ``mask`` is true, e.g. ``'rows 3, 7'``."""
    idx = np.flatnonzero(np.asarray(mask)) + 1
    shown = ", ".join(str(i) for i in idx[:limit])
    more = f" and {len(idx) - limit} more" if len(idx) > limit else ""
    return f"row{'s' if len(idx) > 1 else ''} {shown}{more}"


def file_digest(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_frame(path: str | Path, kinds: Iterable[str] = ("csv", "parquet")) -> pd.DataFrame:
    """Read a CSV, Parquet, JSON array or JSON-lines file into a DataFrame.

    Parameters
    ----------
    path : str or pathlib.Path
        The file. Its format comes from the suffix (``.csv``, ``.parquet``/``.pq``, ``.json``,
        ``.jsonl``/``.ndjson``; ``.gz`` allowed after ``.csv``/``.jsonl``).
    kinds : iterable of str
        Formats the caller accepts, e.g. ``("csv", "parquet")``.

    Returns
    -------
    pandas.DataFrame
        The rows as read; strings stay strings (no type guessing for CSV).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file")
    kind = _kind(path)
    kinds = tuple(kinds)
    if kind not in kinds:
        raise InputError(
            f"{path}: wrong file type {''.join(path.suffixes) or '(no suffix)'}; "
            f"expected {' or '.join(kinds)}"
        )
    if path.stat().st_size == 0:
        raise InputError(f"{path}: empty file")
    try:
        if kind == "csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=_NULLS)
        elif kind == "parquet":
            frame = pd.read_parquet(path)
        elif kind == "jsonl":
            frame = pd.read_json(path, lines=True, dtype=False)
        else:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            if isinstance(data, dict):
                data = next((v for v in data.values() if isinstance(v, list)), [data])
            frame = pd.DataFrame(data)
    except InputError:
        raise
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text {kind} file (cannot decode as UTF-8)") from None
    except Exception as exc:  # parser errors of pandas/pyarrow/json, re-raised with the file name
        msg = " ".join(str(exc).split())[:200]
        raise InputError(f"{path}: cannot be read as {kind}: {msg}") from None
    if frame.empty:
        raise InputError(f"{path}: empty file (a header but no data rows)")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.reset_index(drop=True)


def _kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    return {
        ".csv": "csv",
        ".tsv": "csv",
        ".parquet": "parquet",
        ".pq": "parquet",
        ".json": "json",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
    }.get(last, last.lstrip(".") or "unknown")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str, hint: str = "") -> None:
    """Raise naming the missing columns of ``frame`` (and what was found)."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        found = list(frame.columns)[:12]
        raise InputError(
            f"{what}: the following columns are missing: {missing} (found {found}){hint}"
        )


def parse_time(
    values: pd.Series,
    what: str,
    column: str,
    unit: str | None = None,
    origin: str | pd.Timestamp | None = None,
) -> pd.Series:
    """Parse a timestamp column to naive UTC.

    Strings with an offset (``Z``, ``+02:00``) are converted to UTC; strings without one are taken
    as UTC. A column that mixes both is refused (the naive ones are ambiguous). Numbers are
    offsets in ``unit`` from ``origin`` (``unit`` in ``s``, ``ms``, ``us``, ``ns``, ``m``, ``h``,
    ``D``; ``origin`` a timestamp, or ``"unix"`` for epoch times).

    Parameters
    ----------
    values : pandas.Series
        The raw column.
    what, column : str
        File and column name, for error messages.
    unit : str, optional
        Unit of numeric offsets; when given, the column must be numeric.
    origin : str or pandas.Timestamp, optional
        Start of numeric offsets; required with ``unit``.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` without time zone.
    """
    if unit is not None:
        nums = pd.to_numeric(values, errors="coerce")
        bad = nums.isna().to_numpy()
        if bad.any():
            raise InputError(
                f"{what}: column {column!r} must hold numeric time offsets in {unit} at "
                f"{rows_text(bad)} (found {values[bad].iloc[0]!r})"
            )
        if origin is None:
            raise InputError(
                f"{what}: column {column!r} holds relative offsets in {unit}; give a start "
                "timestamp (start=... / --start) or origin='unix'"
            )
        try:
            if str(origin) == "unix":
                out = pd.to_datetime(nums, unit=unit, origin="unix")
            else:
                out = pd.Timestamp(origin) + pd.to_timedelta(nums, unit=unit)
        except (ValueError, OverflowError) as exc:
            raise InputError(f"{what}: column {column!r}: {exc}") from None
        return _naive(pd.Series(out, index=values.index))
    if pd.api.types.is_datetime64_any_dtype(values):
        return _naive(values)
    text = values.astype("string").str.strip()
    missing = text.isna() | (text == "")
    if missing.any():
        raise InputError(
            f"{what}: column {column!r} is empty at {rows_text(missing.to_numpy())}; "
            "expected a timestamp such as 2025-01-31T14:00:00Z"
        )
    has_tz = text.str.contains(_TZ_SUFFIX).to_numpy(dtype=bool)
    if has_tz.any() and not has_tz.all():
        raise InputError(
            f"{what}: column {column!r} mixes time zones: {rows_text(has_tz)} with a UTC offset, "
            f"{rows_text(~has_tz)} without; give every timestamp an offset or none"
        )
    parsed = pd.to_datetime(text, errors="coerce", utc=bool(has_tz.all()), format="ISO8601")
    if parsed.isna().any():
        parsed = pd.to_datetime(text, errors="coerce", utc=bool(has_tz.all()), format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        raise InputError(
            f"{what}: column {column!r} has unparseable timestamps at {rows_text(bad)} "
            f"(found {text[bad].iloc[0]!r}); expected ISO 8601 such as 2025-01-31T14:00:00Z"
        )
    return _naive(parsed)


def _naive(ts: pd.Series) -> pd.Series:
    if getattr(ts.dt, "tz", None) is not None:
        ts = ts.dt.tz_convert("UTC").dt.tz_localize(None)
    return ts.astype("datetime64[ns]")


def numeric(
    frame: pd.DataFrame,
    column: str,
    what: str,
    nonnegative: bool = True,
    missing: str = "error",
) -> pd.Series:
    """Return ``frame[column]`` as float, raising on text, and on negatives if ``nonnegative``.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table.
    column : str
        Column to convert.
    what : str
        File name, for error messages.
    nonnegative : bool
        Refuse values below zero (counts of tokens, requests, hours).
    missing : {"error", "zero", "keep"}
        What empty cells mean: an error, zero, or left as NaN for the caller.

    Returns
    -------
    pandas.Series
        float64 values.
    """
    raw = frame[column]
    nums = pd.to_numeric(raw, errors="coerce").astype("float64")
    empty = raw.isna().to_numpy() | (raw.astype("string").str.strip() == "").fillna(True).to_numpy()
    text = nums.isna().to_numpy() & ~empty
    if text.any():
        raise InputError(
            f"{what}: column {column!r} must be numeric at {rows_text(text)} "
            f"(found {raw[text].iloc[0]!r})"
        )
    if empty.any():
        if missing == "error":
            raise InputError(f"{what}: column {column!r} is empty at {rows_text(empty)}")
        if missing == "zero":
            nums = nums.fillna(0.0)
    if not np.isfinite(nums.dropna()).all():
        bad = ~np.isfinite(nums.to_numpy()) & ~np.isnan(nums.to_numpy())
        raise InputError(f"{what}: column {column!r} is infinite at {rows_text(bad)}")
    if nonnegative and (nums < 0).any():
        bad = (nums < 0).to_numpy()
        raise InputError(
            f"{what}: column {column!r} is negative at {rows_text(bad)} "
            f"(found {raw[bad].iloc[0]!r}); expected a count >= 0"
        )
    return nums
