"""The series a report forecasts: named readably, and only those that are current.

:func:`build_series` turns the usage table into Nixtla long format (through
:func:`planner.usage.to_series`) the way every report and the monthly job need it:

- **Names.** A series is named by its ``by`` values and metric (``m-large/requests``). Rows that
  carry none of the ``by`` dimensions are named by their source instead of an empty part
  (``azure_trace (no model)/requests``, not ``/requests``), and rows of different sources without
  those dimensions stay apart rather than being added up.
- **Current data only.** A series (or one source's rows of it) whose last period is long before
  the rest's (more than :data:`STALE_AFTER` and more than two periods) is left out with a note
  naming it, its last period and how far behind it is; so is one of a single period far after the
  rest. "The rest" ends at the latest last period among the parts (series x source) of two or
  more periods.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.report.words import names
from planner.usage import to_series
from planner.usage.schema import DIMENSIONS

__all__ = ["STALE_AFTER", "SeriesSet", "build_series", "series_labels", "usage_series", "how_long"]

#: A series ending more than this (and more than two periods) before the others is left out.
STALE_AFTER = pd.Timedelta(days=7)


@dataclass
class SeriesSet:
    """What :func:`build_series` made.

    Attributes
    ----------
    series : pandas.DataFrame
        ``unique_id, ds, y`` of the series kept (at most ``max_series``), in the metric's unit.
    info : pandas.DataFrame
        One row per series kept: ``unique_id, label, metric, sources, models, first, last,
        periods, total``.
    left_out : pandas.DataFrame
        ``unique_id, source, last, reason`` of the series (or a source's part of a series) left
        out as not current.
    notes : list of str
        One sentence per series left out (or smaller series dropped by ``max_series``).
    """

    series: pd.DataFrame
    info: pd.DataFrame
    left_out: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def series_labels(usage: pd.DataFrame, by: Sequence[str]) -> pd.Series:
    """The name part of each usage row's series: its ``by`` values joined by ``/``.

    An empty value becomes ``(no <dimension>)``; a row with none of the ``by`` values is named by its
    source, ``<source> (no <dims>)``. With no ``by`` every row is labelled ``""``.
    """
    by = list(by)
    if not by:
        return pd.Series("", index=usage.index, dtype=object)
    bad = [b for b in by if b not in (*DIMENSIONS, "source")]
    if bad:
        raise InputError(f"unknown dimension(s) {bad}; expected some of {['source', *DIMENSIONS]}")
    values = usage[by].astype(str)
    empty = values.eq("")
    label = None
    for b in by:
        part = values[b].where(~empty[b], f"(no {b})")
        label = part if label is None else label + "/" + part
    none = empty.all(axis=1)
    if none.any():
        label = label.where(~none, usage["source"].astype(str) + f" (no {', '.join(by)})")
    return label.astype(object)


def how_long(delta: pd.Timedelta) -> str:
    """``delta`` in words: ``14 months``, ``13 days``, ``5 hours``."""
    days = delta / pd.Timedelta(days=1)
    if days >= 60:
        return f"{round(days / 30.44):,} months"
    if days >= 2:
        return f"{round(days):,} days"
    hours = delta / pd.Timedelta(hours=1)
    return f"{round(hours):,} hours" if hours >= 2 else f"{round(hours * 60):,} minutes"


def _periods_back(ts: pd.Timestamp, freq: str, n: int) -> pd.Timestamp:
    try:
        return ts - n * pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise InputError(f"unknown frequency {freq!r}; expected a pandas frequency such as h, D, W-MON, MS") from None


def build_series(usage: pd.DataFrame, metrics: Sequence[str], by: Sequence[str] = (), freq: str = "D",
                 max_series: int = 8, history_periods: int = 0, keep_stale: bool = False) -> SeriesSet:
    """Series of the usage table, named readably, the stale ones left out.

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage table.
    metrics : sequence of str
        Metrics to make series of.
    by : sequence of str
        Dimensions splitting the series.
    freq : str
        pandas frequency of the periods.
    max_series : int
        Keep the largest series (by total); 0 keeps all.
    history_periods : int
        Cut each series to its last ``history_periods`` periods (0: all).
    keep_stale : bool
        Keep series that are not current (for scoring an old forecast against what happened).

    Returns
    -------
    SeriesSet

    Raises
    ------
    InputError
        No rows for the metrics, unknown metric, dimension or frequency.
    """
    rows = usage[usage["metric"].isin(list(metrics))]
    if rows.empty:
        raise InputError(f"the usage table has no rows for metric(s) {list(metrics)}")
    by = list(by)
    label = series_labels(rows, by)
    uid = (label + "/" + rows["metric"]) if by else rows["metric"].astype(object)
    rows = rows.assign(unique_id=uid.to_numpy(), label=label.to_numpy())
    left = _not_current(rows, freq) if not keep_stale else pd.DataFrame(columns=["unique_id", "source", "last", "reason"])
    notes = [f"{r.reason}: left out of the forecast" for r in left.itertuples()]
    if len(left):
        gone = pd.MultiIndex.from_frame(left[["unique_id", "source"]])
        rows = rows[~pd.MultiIndex.from_frame(rows[["unique_id", "source"]]).isin(gone)]
    if rows.empty:
        raise InputError(f"no current series of {list(metrics)}: {'; '.join(notes)}")
    named = rows.drop(columns=["unique_id", "label"])
    if by:
        named[by[0]] = rows["label"]
    series = to_series(named, list(metrics), by=by[:1], freq=freq)
    info = rows.groupby("unique_id").agg(label=("label", "first"), metric=("metric", "first"),
                                         sources=("source", lambda v: sorted(set(v))),
                                         models=("model", lambda v: sorted(set(v) - {""})))
    shape = series.groupby("unique_id").agg(first=("ds", "min"), last=("ds", "max"),
                                            periods=("ds", "size"), total=("y", "sum"))
    info = info.join(shape, how="inner").reset_index().sort_values("total", ascending=False)
    if max_series > 0 and len(info) > max_series:
        dropped = info["unique_id"].iloc[max_series:].tolist()
        notes.append(f"{len(dropped)} smaller series not shown (max_series {max_series}): {names(dropped, 5)}")
        info = info.head(max_series)
    series = series[series["unique_id"].isin(info["unique_id"])]
    if history_periods > 0:
        series = series.groupby("unique_id", group_keys=False).tail(history_periods)
    return SeriesSet(series.reset_index(drop=True), info.reset_index(drop=True), left.reset_index(drop=True), notes)


def _not_current(rows: pd.DataFrame, freq: str) -> pd.DataFrame:
    """Parts (series x source) ending long before the rest, or with one period long after it."""
    parts = rows.groupby(["unique_id", "source"]).agg(last=("ts", "max"), periods=("ts", "nunique")).reset_index()
    several = parts[parts["periods"] >= 2]
    ref = (several if len(several) else parts)["last"].max()
    early = min(_periods_back(ref, freq, 2), ref - STALE_AFTER)
    late = max(_periods_back(ref, freq, -2), ref + STALE_AFTER)
    sources = parts.groupby("unique_id")["source"].nunique()
    out = []
    for r in parts.itertuples():
        what = f"series {r.unique_id}" if sources[r.unique_id] == 1 else f"source {r.source} of series {r.unique_id}"
        if r.last < early:
            out.append((r.unique_id, r.source, r.last, f"{what} ends {r.last:%Y-%m-%d %H:%M}, "
                        f"{how_long(ref - r.last)} before the rest (which end {ref:%Y-%m-%d %H:%M})"))
        elif r.last > late:
            out.append((r.unique_id, r.source, r.last, f"{what} has {r.periods} period(s), the last "
                        f"{r.last:%Y-%m-%d %H:%M}, {how_long(r.last - ref)} after the rest (which end {ref:%Y-%m-%d %H:%M})"))
    return pd.DataFrame(out, columns=["unique_id", "source", "last", "reason"])


def usage_series(usage: pd.DataFrame, metrics: Sequence[str], by: Sequence[str] = (), freq: str = "D",
                 max_series: int = 8, history_periods: int = 0, keep_stale: bool = False) -> pd.DataFrame:
    """The ``series`` of :func:`build_series`; its notes are issued as :class:`PlannerWarning`."""
    built = build_series(usage, metrics, by=by, freq=freq, max_series=max_series,
                         history_periods=history_periods, keep_stale=keep_stale)
    for note in built.notes:
        warnings.warn(note, PlannerWarning, stacklevel=2)
    return built.series
