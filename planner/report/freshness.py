"""Is there current data for the month a job reports on?

:func:`month_coverage` is what ``planner monthly`` (and the monthly report, given a ``month``)
checks before forecasting: a month with no usage, or with far less than the history's, is not
reported as if it were the month just closed.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from planner.exceptions import InputError

__all__ = ["MIN_SHARE_OF_MEDIAN", "month_coverage", "latest_usage", "series_reach_month"]

#: A month whose total is below this share of the median earlier month's is refused.
MIN_SHARE_OF_MEDIAN = 0.5


def latest_usage(usage: pd.DataFrame) -> str:
    """``2025-01-19 23:00 (source servegen)``: the last period of a usage table and its source(s)."""
    last = usage["ts"].max()
    sources = sorted(set(usage.loc[usage["ts"] == last, "source"]))
    return f"{last:%Y-%m-%d %H:%M} (source {', '.join(sources)})"


def _covered_until(usage: pd.DataFrame) -> pd.Timestamp | None:
    """The end of the last period the usage covers: per source, its last period start plus its
    typical step (the median gap between its distinct period starts); None when no source has two
    periods (the length of its rows' periods is then unknown)."""
    ends = []
    for _, rows in usage.groupby("source"):
        ts = pd.Series(sorted(rows["ts"].unique()))
        if len(ts) >= 2:
            ends.append(ts.iloc[-1] + ts.diff().dropna().median())
    return max(ends) if ends else None


def month_coverage(usage: pd.DataFrame, month: str, metrics: Sequence[str] = (), what: str = "month",
                   allow_incomplete: bool = False, where: str = "the store's") -> list[str]:
    """Check that ``usage`` holds current data for ``month`` before a job reports on it.

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage table of the metrics and sources the job uses (all periods, or up to the end of
        the month).
    month : str
        ``YYYY-MM``.
    metrics : sequence of str
        Metrics whose totals are compared (default: every metric in ``usage``).
    what : str
        How the month was given, for messages (e.g. ``"--month"``).
    where : str
        Whose usage it is, for messages (``"the store's"``, ``"the usage files'"``).
    allow_incomplete : bool
        Accept a month whose data is thin or stops early (the refusal becomes a note); a month
        with no usage at all is refused regardless.

    Returns
    -------
    list of str
        Notes to show with the report (e.g. that the month's data stops before its end).

    Raises
    ------
    InputError
        The month has no usage; or, unless ``allow_incomplete``: its data ends before the middle
        of the month (it covers less than half of it), or a metric's total for the month is below
        :data:`MIN_SHARE_OF_MEDIAN` of the median total of the earlier months (the first month of
        the history left out when two or more others remain). The message says what the latest
        data is.
    """
    from planner.report.monthly import month_bounds

    start, end = month_bounds(month)
    label = f"{what} {month}"
    kind = f"{', '.join(metrics)} " if metrics else ""
    before = usage[usage["ts"] < end]
    if before.empty:
        span = f"; the usage runs from {usage['ts'].min():%Y-%m-%d} to {usage['ts'].max():%Y-%m-%d}" if len(usage) else ""
        raise InputError(f"no {kind}usage before the end of {month}{span}; {label} has none")
    inside = before[before["ts"] >= start]
    if inside.empty:
        after = usage[usage["ts"] >= end]
        if len(after):
            raise InputError(f"{where} {kind}usage before {month} ends {latest_usage(before)} and resumes "
                             f"{after['ts'].min():%Y-%m-%d %H:%M}; {label} has none")
        raise InputError(f"{where} latest {kind}usage is {latest_usage(before)}; {label} has none")
    problems, notes = [], []
    until = _covered_until(before)
    if until is not None and end - until >= pd.Timedelta(days=1):
        gap = end - until
        text = (f"usage for {month} ends {inside['ts'].max():%Y-%m-%d %H:%M}, "
                f"{_days(gap)} before the month's end")
        (problems if until < start + (end - start) / 2 else notes).append(text)
    month_of = before["ts"].dt.to_period("M")
    this = pd.Period(month, freq="M")
    for metric in (list(metrics) or sorted(before["metric"].unique())):
        totals = before[before["metric"] == metric].groupby(month_of)["value"].sum()
        earlier = totals[totals.index < this]
        if len(earlier) >= 3:
            earlier = earlier.iloc[1:]  # the first month of a history is usually partial
        now = float(totals.get(this, 0.0))
        if len(earlier) and now < MIN_SHARE_OF_MEDIAN * float(earlier.median()):
            problems.append(f"{metric} for {month} totals {now:,.0f}, {now / float(earlier.median()):.0%} of the "
                            f"median of the {len(earlier)} month(s) before ({float(earlier.median()):,.0f})")
    if problems and not allow_incomplete:
        raise InputError(f"{label} looks incomplete: {'; '.join(problems)}; {where} latest {kind}usage is "
                         f"{latest_usage(before)} (pass allow_incomplete / --allow-incomplete to report it anyway)")
    return [*(f"{p} (accepted as incomplete)" for p in problems), *notes]


def _days(delta: pd.Timedelta) -> str:
    days = delta / pd.Timedelta(days=1)
    if days >= 1.5:
        return f"{round(days)} days"
    return f"{round(delta / pd.Timedelta(hours=1))} hours"


def series_reach_month(series: pd.DataFrame, month: str, what: str = "month") -> None:
    """Refuse when the current series (after stale ones were left out) all end before ``month``.

    Raises
    ------
    InputError
        The month's usage is only in series that were left out (e.g. a single billing row).
    """
    from planner.report.monthly import month_bounds

    start, _ = month_bounds(month)
    last = series["ds"].max()
    if last < start:
        raise InputError(f"the current series end {last:%Y-%m-%d %H:%M}, before {what} {month}: its usage is only in "
                         "series left out as not current (see the notes)")
