"""The monthly planning run: ingest new usage, forecast, save snapshots, render the reports.

:func:`load_usage` and :func:`usage_series` are also what the notebooks call, so a report and
the scheduled run read the same data the same way.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.exceptions import ForecastError, InputError
from planner.outputs import check_folder, claim_folder
from planner.store import Batch, Store
from planner.usage import read_usage, to_series
from planner.usage._io import file_digest

__all__ = ["load_usage", "usage_series", "forecast_tables", "latest_snapshot", "month_bounds",
           "run_monthly", "MonthlyRun"]


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first instant of ``month`` (``YYYY-MM``) and of the month after it."""
    try:
        start = pd.Timestamp(pd.Period(month, freq="M").start_time)
    except (ValueError, TypeError):
        raise InputError(f"month {month!r}: expected YYYY-MM, e.g. 2025-01") from None
    if len(month) != 7:
        raise InputError(f"month {month!r}: expected YYYY-MM, e.g. 2025-01")
    return start, start + pd.offsets.MonthBegin(1)


def load_usage(store_path: str = "", usage_files: Sequence[str] = (), sources: Sequence[str] = (),
               metrics: Sequence[str] = (), end: pd.Timestamp | str | None = None) -> pd.DataFrame:
    """Read the usage table from files (when given) or else from the store.

    Parameters
    ----------
    store_path : str
        Store file; ``""`` uses ``$PLANNER_STORE`` or the default store.
    usage_files : sequence of str
        Usage files (any format :func:`planner.usage.read_usage` detects); read instead of the store.
    sources, metrics : sequence of str
        Keep only these sources / metrics (empty: all).
    end : str or pandas.Timestamp, optional
        Keep periods before this instant (naive UTC).
    """
    if usage_files:
        usage = pd.concat([read_usage(str(f)) for f in usage_files], ignore_index=True)
        if sources:
            usage = usage[usage["source"].isin(list(sources))]
        if metrics:
            usage = usage[usage["metric"].isin(list(metrics))]
        if end is not None:
            usage = usage[usage["ts"] < pd.Timestamp(end)]
    else:
        with Store(store_path or None, read_only=True) as store:
            usage = store.usage(end=end, sources=list(sources) or None, metrics=list(metrics) or None)
    if usage.empty:
        raise InputError(
            f"no usage rows for sources {list(sources) or 'any'} and metrics {list(metrics) or 'any'}"
            f"{' before ' + str(end) if end is not None else ''}"
        )
    return usage.reset_index(drop=True)


def usage_series(usage: pd.DataFrame, metrics: Sequence[str], by: Sequence[str] = (), freq: str = "D",
                 max_series: int = 8, history_periods: int = 0) -> pd.DataFrame:
    """Nixtla series of the ``max_series`` largest series (by total), each cut to its last
    ``history_periods`` periods (0: all)."""
    series = to_series(usage, list(metrics), by=list(by), freq=freq)
    totals = series.groupby("unique_id")["y"].sum().sort_values(ascending=False)
    keep = totals.index[:max_series] if max_series > 0 else totals.index
    series = series[series["unique_id"].isin(keep)]
    if history_periods > 0:
        series = series.groupby("unique_id", group_keys=False).tail(history_periods)
    return series.reset_index(drop=True)


def forecast_tables(series: pd.DataFrame, horizon: int, freq: str) -> dict[str, pd.DataFrame]:
    """Forecast with :func:`planner.forecast.forecast` (80 and 95 % intervals).

    Returns
    -------
    dict
        The result's tables (``forecast``, ``backtest``), as a forecast snapshot holds them.
    """
    return _forecast(series, horizon, freq).tables()


def _forecast(series: pd.DataFrame, horizon: int, freq: str):
    try:
        from planner.forecast import forecast
    except ImportError as exc:
        raise ForecastError(f"planner.forecast is not available in this installation: {exc}") from None
    if horizon < 1:
        raise InputError(f"horizon must be >= 1 period, got {horizon}")
    return forecast(series, h=horizon, freq=freq, level=(80, 95))


def latest_snapshot(store: Store, kind: str, before_label: str | None = None,
                    ) -> tuple[int, dict, dict[str, pd.DataFrame]] | None:
    """The newest snapshot of ``kind`` (whose label sorts before ``before_label`` if given)."""
    snaps = store.snapshots(kind)
    if before_label is not None:
        snaps = snaps[snaps["label"].fillna("") < before_label]
    if snaps.empty:
        return None
    sid = int(snaps["snapshot_id"].iloc[-1])
    meta, tables = store.load_snapshot(sid)
    return sid, meta, tables


@dataclass
class MonthlyRun:
    """What :func:`run_monthly` did: snapshot ids, report files and what it skipped (and why)."""

    month: str
    ingested_rows: int = 0
    snapshots: dict[str, int] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


#: Usage metrics that measure capacity, on which commitments are sized.
_CAPACITY_METRICS = ("gpu_hours", "node_hours")


def run_monthly(month: str, usage_files: Sequence[str] = (), store_path: str = "",
                output_dir: str | Path = "reports", metrics: Sequence[str] = ("output_tokens",),
                by: Sequence[str] = ("model",), freq: str = "D", horizon: int = 0,
                max_series: int = 8, sources: Sequence[str] = (),
                report_parameters: dict | None = None, plan_config: str | Path = "") -> MonthlyRun:
    """Run the month-end job for ``month`` (``YYYY-MM``, the month just closed).

    1. ingest ``usage_files`` into the store (one transaction; files already in are skipped;
       formats detected from the header -- files that need a column mapping go through
       ``planner ingest --mapping`` first);
    2. forecast the series from usage up to the end of ``month`` over the next month
       (``horizon`` periods; 0 = up to the end of the month after ``month``) and save the
       forecast as a ``"forecast"`` snapshot labelled ``month``;
    3. with ``plan_config`` (a ``planner plan`` configuration), solve the capacity plan, save it
       as a ``"plan"`` snapshot labelled ``month``, write its tables to
       ``<output_dir>/<month>/plan/`` and render ``capacity_plan`` from them;
    4. render ``monthly_forecast`` and, when the store holds GPU demand (``gpu_hours`` or
       ``node_hours``), ``commitment_comparison`` on it into ``<output_dir>/<month>/``.

    Nothing is ingested before every usage file has been read; a store that does not exist is
    created only when ``usage_files`` are given, and removed again when the run fails before its
    reports are rendered. ``<output_dir>/<month>/`` must be new, empty or written by planner before
    (:mod:`planner.outputs`).

    Raises
    ------
    InputError
        Bad month, unreadable usage, no usage before the end of the month, a store that does not
        exist (without ``usage_files``), an output folder holding files planner did not write.
    ReportError
        A report notebook failed (its executed copy is written).
    """
    from planner.report.render import render_report

    start, end = month_bounds(month)
    run = MonthlyRun(month)
    month_dir = Path(output_dir) / month
    reports = [f"{n}.{ext}" for n in ("monthly_forecast", "capacity_plan", "commitment_comparison")
               for ext in ("ipynb", "html")]
    check_folder(month_dir, option="--output-dir", names=[*reports, *(["plan"] if plan_config else [])])
    if plan_config:
        check_folder(month_dir / "plan", inputs=[plan_config], option="--output-dir")
    batches = []
    for f in usage_files:  # read (and refuse) every file before the store is opened or created
        usage = read_usage(str(f))
        batches.append(Batch(usage, file_digest(str(f)), str(f), usage.attrs["format"]))
    with Store(store_path or None, create=bool(usage_files)) as store:
        if batches:
            run.ingested_rows = store.ingest(batches).rows_added
        store_file = str(store.path)
        usage = store.usage(end=end, metrics=list(metrics), sources=list(sources) or None)
        if usage.empty:
            raise InputError(f"{store_file}: no {list(metrics)} usage before {end.date()}")
        series = usage_series(usage, metrics, by=by, freq=freq, max_series=max_series)
        last = series["ds"].max()
        h = horizon or max(1, len(pd.date_range(last, end + pd.offsets.MonthBegin(1), freq=freq,
                                                inclusive="neither")))
        result = _forecast(series, h, freq)
        result.settings.update({"metrics": list(metrics), "by": list(by), "sources": list(sources),
                                "history_end": str(last)})
        run.snapshots["forecast"] = result.save(store, label=month)  # a rerun replaces the month's run
        capacity = [m for m in _CAPACITY_METRICS if not store.usage(end=end, metrics=[m]).empty]
        if plan_config:
            from planner.optimize import plan

            capacity_plan = plan(plan_config)
            run.snapshots["plan"] = capacity_plan.save(store, label=month)
            claim_folder(month_dir, "planner monthly", ["plan"])
            plan_dir = capacity_plan.to_dir(month_dir / "plan", "planner monthly", inputs=[plan_config],
                                            option="--output-dir")
    params = {"store_path": store_file, "metrics": list(metrics), "by": list(by), "freq": freq,
              "horizon": h, "max_series": max_series, "month": month, "sources": list(sources),
              "forecast_snapshot": run.snapshots["forecast"], **(report_parameters or {})}
    run.reports["monthly_forecast"] = render_report("monthly_forecast", params, output_dir, date=month).html
    if plan_config:
        run.reports["capacity_plan"] = render_report("capacity_plan", {"output_dir": str(plan_dir.resolve())},
                                                     output_dir, date=month).html
    if importlib.util.find_spec("planner.optimize") is None or \
            not hasattr(importlib.import_module("planner.optimize"), "compare_commitments"):
        run.skipped["commitment_comparison"] = "planner.optimize.compare_commitments is not in this version"
    elif not capacity:
        run.skipped["commitment_comparison"] = (f"no GPU demand ({' or '.join(_CAPACITY_METRICS)}) in the store "
                                                f"before {end.date()} to size commitments on")
    else:
        run.reports["commitment_comparison"] = render_report(
            "commitment_comparison", {"store_path": store_file, "month": month, "metric": capacity[0], "freq": freq},
            output_dir, date=month).html
    return run
