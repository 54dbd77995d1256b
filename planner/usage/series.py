"""From the usage table to forecastable series and readable summaries."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from planner.exceptions import InputError
from planner.periods import check_freq, period_label
from planner.usage._io import close_match
from planner.usage.schema import DIMENSIONS, METRICS, is_metric, metric_unit, validate_usage

__all__ = ["to_series", "summarize"]


def to_series(
    usage: pd.DataFrame,
    metric: str | Sequence[str],
    by: Sequence[str] = (),
    freq: str = "D",
    fill_value: float | None = 0.0,
    sep: str = "/",
) -> pd.DataFrame:
    """Aggregate the usage table to Nixtla long format, one series per dimension values x metric.

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage table.
    metric : str or sequence of str
        Metric(s) to keep; each becomes its own series.
    by : sequence of str
        Dimensions (or ``"source"``) that split the series, e.g. ``("team", "model")``.
    freq : str
        Period grain: ``"h"`` (or ``"<n>h"``, ``"<n>min"``), ``"D"``, ``"W-MON"`` … ``"W-SUN"``
        (weeks starting that day), ``"MS"`` / ``"ME"`` (calendar months), ``"QS"`` / ``"QE"``
        (calendar quarters). Each period is labelled by the point of that frequency's pandas grid
        it contains: its first instant, except ``ME`` / ``QE`` (00:00 of the last day); see
        :mod:`planner.periods`. A first or last period the data covers only in part holds the sum
        of what is there.
    fill_value : float or None
        Value for periods with no rows between a series' first and last period (0: nothing was
        used). ``None`` leaves them out so the forecaster sees the gap.
    sep : str
        Separator of the parts of ``unique_id``.

    Returns
    -------
    pandas.DataFrame
        Columns ``unique_id`` (``"<by values>/<metric>"``), ``ds`` (period label, above) and ``y``
        in the metric's unit (the sum over the period), sorted by ``unique_id, ds``.

    Raises
    ------
    InputError
        An unknown metric, dimension or frequency (the message lists the accepted aliases).
    """
    freq = check_freq(freq)
    validate_usage(usage)
    metrics = [metric] if isinstance(metric, str) else list(metric)
    unknown = [m for m in metrics if not is_metric(m)]
    if unknown:
        raise InputError(f"unknown metric(s) {unknown}; expected one of {list(METRICS)}")
    by = _check_by(by, metric_ok=False)
    check_freq(freq)
    rows = usage[usage["metric"].isin(metrics)]
    if rows.empty:
        raise InputError(f"the usage table has no rows for metric(s) {metrics}")
    ds = period_label(rows["ts"], freq)
    keys = [*by, "metric"]
    uid = rows[keys].astype(str).agg(sep.join, axis=1) if keys else rows["metric"]
    out = (
        pd.DataFrame({"unique_id": uid.to_numpy(), "ds": ds.to_numpy(), "y": rows["value"].to_numpy()})
        .groupby(["unique_id", "ds"], as_index=False)["y"].sum()
    )
    if fill_value is not None:
        out = out.groupby("unique_id", group_keys=False)[["unique_id", "ds", "y"]].apply(
            lambda g: _complete(g, freq, fill_value)
        )
    return out.sort_values(["unique_id", "ds"]).reset_index(drop=True)


def _check_by(by: Sequence[str], metric_ok: bool) -> list[str]:
    """``by`` without repeats (and without ``metric``, always a key, where ``metric_ok``); an unknown
    name is an error naming the closest dimension."""
    allowed = ["source", *DIMENSIONS]
    out: list[str] = []
    for name in by:
        if name == "metric" and metric_ok:
            continue
        if name not in allowed:
            near = close_match(name, allowed, cutoff=0.6)
            raise InputError(f"by {name!r}: not a usage dimension{f' (did you mean {near!r}?)' if near else ''}; "
                             f"expected some of {', '.join(allowed)}")
        if name not in out:
            out.append(name)
    return out


def _complete(group: pd.DataFrame, freq: str, fill_value: float) -> pd.DataFrame:
    full = pd.date_range(group["ds"].min(), group["ds"].max(), freq=freq)
    if len(full) == len(group):
        return group
    out = group.set_index("ds").reindex(full)
    out["unique_id"] = group["unique_id"].iloc[0]
    out["y"] = out["y"].fillna(fill_value)
    return out.rename_axis("ds").reset_index()[["unique_id", "ds", "y"]]


def summarize(usage: pd.DataFrame, by: Sequence[str] = ("source",)) -> pd.DataFrame:
    """Summarize the usage table per ``by`` x metric.

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage table.
    by : sequence of str
        Columns to group by, e.g. ``("source",)`` or ``("team", "model")``: ``source`` or
        dimensions (``metric`` is always a key; naming it changes nothing).

    Returns
    -------
    pandas.DataFrame
        Columns ``*by, metric, unit, first, last, periods, total, mean_per_period``: the first
        and last period start, the number of distinct periods with data, the total in the
        metric's unit and total / periods. Periods are whatever the source reported (an hour
        for aggregated traces, a charge period for FOCUS rows).
    """
    validate_usage(usage)
    keys = [*_check_by(by, metric_ok=True), "metric"]
    g = usage.groupby(keys, as_index=False).agg(
        first=("ts", "min"), last=("ts", "max"), periods=("ts", "nunique"), total=("value", "sum")
    )
    g["mean_per_period"] = g["total"] / g["periods"]
    g.insert(len(keys), "unit", g["metric"].map(metric_unit))
    return g
