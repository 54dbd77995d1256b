"""File reading and column checks shared by the usage readers.

Every check raises :class:`planner.exceptions.InputError` whose message names the file, the
column, the 1-based data row(s) (the header is not counted) and what was expected. Files are read
by :func:`planner.usage._files.read_frame` (format told from the content).
"""

from __future__ import annotations

import difflib
import hashlib
import re
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.usage._files import peek_columns, read_frame, sniff

__all__ = [
    "rows_text",
    "read_frame",
    "peek_columns",
    "sniff",
    "close_match",
    "require_columns",
    "misspelt_columns",
    "check_freq",
    "parse_time",
    "numeric",
    "note_rows",
    "file_digest",
    "FUTURE_SLACK",
    "FREQ_HINT",
]

_TZ_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
#: A history may reach this far past the current time (clocks, time zones); later is an error.
FUTURE_SLACK = pd.Timedelta(days=7)
#: The frequencies named when a frequency is not understood.
FREQ_HINT = "use h, D, W-MON, MS, QS"


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


def close_match(name: str, candidates: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The candidate most like ``name`` (case-insensitive, :mod:`difflib` ratio >= ``cutoff``), or None."""
    pool = {str(c).lower(): str(c) for c in candidates}
    hit = difflib.get_close_matches(name.lower(), list(pool), n=1, cutoff=cutoff)
    return pool[hit[0]] if hit else None


def _missing_text(name: str, columns: list[str], taken: set[str], label: str) -> str:
    near = close_match(name, [c for c in columns if c not in taken])
    shown = ", ".join(columns[:5]) + (", ..." if len(columns) > 5 else "")
    found = f"found {near!r}" if near else f"no close name among the {len(columns)} columns found: {shown}"
    return f"missing {'required ' if label else ''}{label + ' ' if label else ''}column {name!r} ({found})"


def require_columns(frame: pd.DataFrame | Iterable[str], columns: Iterable[str], what: str, hint: str = "",
                    label: str = "", known: Iterable[str] = ()) -> None:
    """Raise naming the first missing column and the closest column found, e.g.
    ``missing required FOCUS column 'ConsumedQuantity' (found 'ConsumedQuantiy')``.

    Parameters
    ----------
    frame : pandas.DataFrame or iterable of str
        The table, or its column names.
    columns : iterable of str
        Columns that must be present.
    what : str
        File name, for the message.
    hint : str
        Appended to the message.
    label : str
        The format's name (``FOCUS``, ``LiteLLM``), said in the message.
    known : iterable of str
        Real columns of the format: never offered as a misspelling of another.
    """
    present = list(frame.columns) if isinstance(frame, pd.DataFrame) else list(frame)
    wanted = list(columns)
    missing = [c for c in wanted if c not in present]
    if missing:
        taken = set(wanted) | set(known)
        raise InputError(f"{what}: {_missing_text(missing[0], present, taken, label)}"
                         f"{f' and {len(missing) - 1} more {missing[1:]}' if len(missing) > 1 else ''}{hint}")


def misspelt_columns(frame: pd.DataFrame, optional: Iterable[str], what: str, label: str = "",
                     known: Iterable[str] = ()) -> None:
    """Refuse a file where an optional column the reader uses is absent but a column close to
    its name is present (``ConsumedQuantiy``): read as written, its rows would be dropped or
    zero without a word."""
    present = list(frame.columns)
    taken = set(optional) | set(known)
    for name in optional:
        if name in present:
            continue
        near = close_match(name, [c for c in present if c not in taken])
        if near is not None:
            raise InputError(f"{what}: missing {label + ' ' if label else ''}column {name!r} (found {near!r}); "
                             f"rename the column to {name!r}")


def check_freq(freq: str | None, what: str = "freq") -> str | None:
    """:func:`planner.periods.check_freq`, letting ``None`` (no resampling) through."""
    from planner.periods import check_freq as check

    return None if freq is None else check(freq, what)


def note_rows(frame: pd.DataFrame, what: str, rows_read: int, skipped: Mapping[str, int], action: str) -> pd.DataFrame:
    """Record how the input rows were used on ``frame.attrs`` and warn about rows left out.

    ``frame.attrs["rows_read"]`` is the number of data rows in the file and
    ``frame.attrs["rows_skipped"]`` maps a kind of row to how many were left out; with any left
    out, one :class:`planner.exceptions.PlannerWarning` says ``"{what}: {n} of {rows_read} rows
    {action}: {count} {kind}, ..."``.
    """
    skipped = {k: int(v) for k, v in skipped.items() if v}
    frame.attrs["rows_read"] = int(rows_read)
    frame.attrs["rows_skipped"] = skipped
    if skipped:
        total = sum(skipped.values())
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in skipped.items())
        warnings.warn(f"{what}: {total:,} of {rows_read:,} rows {action}: {kinds}", PlannerWarning, stacklevel=3)
    return frame


def parse_time(
    values: pd.Series,
    what: str,
    column: str,
    unit: str | None = None,
    origin: str | pd.Timestamp | None = None,
    future: bool = False,
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
    future : bool
        Allow times later than now + :data:`FUTURE_SLACK` (forecasts); a history refuses them.

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` without time zone.
    """
    out = _parse_time(values, what, column, unit, origin)
    if not future and len(out):
        limit = pd.Timestamp.now(tz="UTC").tz_localize(None) + FUTURE_SLACK
        late = (out > limit).to_numpy()
        if late.any():
            raise InputError(
                f"{what}: column {column!r} is in the future at {rows_text(late)} (found "
                f"{str(out[late].iloc[0])!r}, after {limit:%Y-%m-%d}); a usage history cannot be later than now"
            )
    return out


def _parse_time(values, what, column, unit, origin) -> pd.Series:
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
            start = "unix" if str(origin) == "unix" else pd.Timestamp(origin)
        except ValueError:
            raise InputError(f"{what}: start {str(origin)!r} is not a timestamp; expected e.g. "
                             "2025-01-31T00:00:00Z") from None
        try:
            if isinstance(start, str):
                out = pd.to_datetime(nums, unit=unit, origin="unix")
            else:
                out = start + pd.to_timedelta(nums, unit=unit)
        except (ValueError, OverflowError, pd.errors.OutOfBoundsDatetime) as exc:
            raise InputError(f"{what}: column {column!r}: {' '.join(str(exc).split())}") from None
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
