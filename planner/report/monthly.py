"""The monthly planning run: ingest new usage, forecast, save snapshots, render the reports.

:func:`load_usage` and :func:`usage_series` (:mod:`planner.report.series`) are also what the
notebooks call, so a report and the scheduled run read the same data the same way; the run
refuses a month without current data (:func:`planner.report.freshness.month_coverage`) and prices
only from the user's prices file, the data's own cost or a named catalog entry
(:mod:`planner.report.pricing`).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from planner.exceptions import ForecastError, InputError
from planner.outputs import check_folder, claim_folder
from planner.report.series import build_series, usage_series  # noqa: F401 (notebooks import it here)
from planner.store import Batch, Store
from planner.usage import read_usage
from planner.usage._io import file_digest

__all__ = ["load_usage", "usage_series", "forecast_tables", "latest_snapshot", "month_bounds",
           "month_end", "run_monthly", "MonthlyRun"]


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the first instant of ``month`` (``YYYY-MM``) and of the month after it."""
    try:
        start = pd.Timestamp(pd.Period(month, freq="M").start_time)
    except (ValueError, TypeError):
        raise InputError(f"month {month!r}: expected YYYY-MM, e.g. 2025-01") from None
    if len(month) != 7:
        raise InputError(f"month {month!r}: expected YYYY-MM, e.g. 2025-01")
    return start, start + pd.offsets.MonthBegin(1)


def month_end(month: str) -> pd.Timestamp | None:
    """The first instant after ``month`` (``YYYY-MM``), or None for ``""``: the end of the data a
    report labelled ``month`` reads."""
    return month_bounds(month)[1] if month else None


def load_usage(store_path: str = "", usage_files: Sequence[str] = (), sources: Sequence[str] = (),
               metrics: Sequence[str] = (), end: pd.Timestamp | str | None = None,
               allow_empty: bool = False) -> pd.DataFrame:
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
    allow_empty : bool
        Return an empty table instead of raising when nothing matches.
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
    if usage.empty and not allow_empty:
        raise InputError(
            f"no usage rows for sources {list(sources) or 'any'} and metrics {list(metrics) or 'any'}"
            f"{' before ' + str(end) if end is not None else ''}"
        )
    return usage.reset_index(drop=True)


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
    """What :func:`run_monthly` did: snapshot ids, report files, what it skipped (and why), notes
    on the data (series left out, a month that stops early), where each price came from, the
    budgets' :class:`planner.finops.budgets.BudgetStatus` (with ``budgets_file``) and the alerts
    written (new, already written by an earlier run)."""

    month: str
    ingested_rows: int = 0
    snapshots: dict[str, int] = field(default_factory=dict)
    reports: dict[str, Path] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    prices: list[str] = field(default_factory=list)
    budgets: object = None
    alerts: tuple[list, list] = ((), ())


def run_monthly(month: str, usage_files: Sequence[str] = (), store_path: str = "",
                output_dir: str | Path = "reports", metrics: Sequence[str] = ("output_tokens",),
                by: Sequence[str] = ("model",), freq: str = "D", horizon: int = 0,
                max_series: int = 8, sources: Sequence[str] = (),
                report_parameters: dict | None = None, plan_config: str | Path = "",
                prices_file: str | Path = "", budgets_file: str | Path = "",
                allow_incomplete: bool = False) -> MonthlyRun:
    """Run the month-end job for ``month`` (``YYYY-MM``, the month just closed).

    1. ingest ``usage_files`` into the store (one transaction; files already in are skipped;
       formats detected from the header -- files that need a column mapping go through
       ``planner ingest --mapping`` first);
    2. check the month has current data (:func:`planner.report.freshness.month_coverage`): a
       month without usage, or (unless ``allow_incomplete``) one whose data stops before its middle
       or totals under half the median earlier month, is refused naming the latest data;
    3. forecast the current series (:func:`planner.report.series.build_series`: series ending
       long before the rest are left out with a note) from usage up to the end of ``month`` over
       the next month (``horizon`` periods; 0 = up to the end of the month after ``month``) and
       save the forecast as a ``"forecast"`` snapshot labelled ``month`` (the forecaster's
       warnings in its settings' ``notes``, which the report lists);
    4. with ``plan_config`` (a ``planner plan`` configuration), solve the capacity plan, save it
       as a ``"plan"`` snapshot labelled ``month`` (its warnings in the summary's ``notes``), write its tables to
       ``<output_dir>/<month>/plan/`` and render ``capacity_plan`` from them;
    5. with ``budgets_file``, the status of each budget at the end of ``month``
       (:func:`planner.finops.budgets.budget_status`) and the payloads of its crossed and expected
       thresholds in ``<output_dir>/<month>/alerts/`` (:func:`planner.finops.alerts.write_alerts`:
       an alert already there from an earlier run is not written again);
    6. render ``monthly_forecast`` (spend priced as :func:`planner.report.pricing.spend_rates`
       says; the budget section with ``budgets_file``) and, when the store holds current GPU demand
       (``gpu_hours`` or ``node_hours``) and ``prices_file`` has a ``capacity`` entry,
       ``commitment_comparison`` on it into ``<output_dir>/<month>/``.

    Parameters
    ----------
    prices_file : str or pathlib.Path
        Your prices (:func:`planner.report.pricing.read_price_file`); "" for none.
    budgets_file : str or pathlib.Path
        Your budgets (:func:`planner.finops.budgets.read_budgets`); "" for none.
    allow_incomplete : bool
        Report a month whose data is thin or stops early (with a note) instead of refusing it.

    Raises
    ------
    InputError
        Bad month or prices file, unreadable usage, a month without (enough) current usage, a
        store that does not exist (without ``usage_files``), an output folder holding files
        planner did not write.
    ReportError
        A report notebook failed (its executed copy is written).
    """
    from planner.finops.budgets import read_budgets
    from planner.report.freshness import month_coverage, series_reach_month
    from planner.report.notes import capture
    from planner.report.pricing import (
        CAPACITY_METRICS,
        capacity_prices,
        read_price_file,
        spend_rates,
    )
    from planner.report.render import render_report

    start, end = month_bounds(month)
    prices = read_price_file(prices_file) if prices_file else None
    budgets = read_budgets(budgets_file) if budgets_file else []
    run = MonthlyRun(month)
    month_dir = Path(output_dir) / month
    reports = [f"{n}.{ext}" for n in ("monthly_forecast", "capacity_plan", "commitment_comparison")
               for ext in ("ipynb", "html")]
    check_folder(month_dir, option="--output-dir", names=[*reports, *(["plan"] if plan_config else []),
                                                          *(["alerts"] if budgets else [])])
    if budgets:
        check_folder(month_dir / "alerts", inputs=[budgets_file], option="--output-dir", names=[])
    if plan_config:
        check_folder(month_dir / "plan", inputs=[plan_config], option="--output-dir")
    batches = []
    for f in usage_files:  # read (and refuse) every file before the store is opened or created
        usage = read_usage(str(f))
        batches.append(Batch(usage, file_digest(str(f)), str(f), usage.attrs["format"]))
    with Store(store_path or None, create=bool(usage_files)) as store:
        if batches:
            run.ingested_rows = store.ingest(batches).rows_added
        store_file = str(store.path.resolve())
        every = store.usage(metrics=list(metrics), sources=list(sources) or None)
        if every.empty:
            raise InputError(f"{store_file}: no {list(metrics)} usage"
                             f"{' from sources ' + str(list(sources)) if sources else ''}")
        run.notes += month_coverage(every, month, metrics, what="--month", allow_incomplete=allow_incomplete)
        usage = every[every["ts"] < end]
        built = build_series(usage, metrics, by=by, freq=freq, max_series=max_series)
        run.notes += built.notes
        series_reach_month(built.series, month, "--month")
        series = built.series
        last = series["ds"].max()
        h = horizon or max(1, len(pd.date_range(last, end + pd.offsets.MonthBegin(1), freq=freq,
                                                inclusive="neither")))
        cost = store.usage(end=end, metrics=["cost_usd"], sources=list(sources) or None)
        rates = spend_rates(built.info, usage, by, cost, prices=prices)
        run.prices += [f"{r.unique_id}: {r.detail}" for r in rates.itertuples()]
        with capture(reemit=True) as forecast_notes:
            result = _forecast(series, h, freq)
        result.settings.update({"metrics": list(metrics), "by": list(by), "sources": list(sources),
                                "history_end": str(last), "notes": forecast_notes})
        run.snapshots["forecast"] = result.save(store, label=month)  # a rerun replaces the month's run
        capacity = {m: store.usage(metrics=[m]) for m in CAPACITY_METRICS}
        capacity = {m: u for m, u in capacity.items() if not u.empty}
        if plan_config:
            from planner.optimize import plan

            with capture(reemit=True) as plan_notes:
                capacity_plan = plan(plan_config)
            capacity_plan.summary["notes"] = plan_notes  # shown by the capacity_plan report
            run.snapshots["plan"] = capacity_plan.save(store, label=month)
            claim_folder(month_dir, "planner monthly", ["plan"])
            plan_dir = capacity_plan.to_dir(month_dir / "plan", "planner monthly", inputs=[plan_config],
                                            option="--output-dir")
        if budgets:
            from planner.finops.budgets import budget_status
            from planner.finops.spend import spend_of

            run.budgets = budget_status(spend_of(store.usage(end=end), prices), budgets, as_of=end,
                                        what=str(budgets_file))
            run.notes += run.budgets.notes
    if budgets:
        from planner.finops.alerts import alerts_from, write_alerts

        claim_folder(month_dir, "planner monthly", ["alerts"])
        run.alerts = write_alerts(alerts_from(run.budgets), month_dir / "alerts", "planner monthly")
    extra = {"prices_file": str(Path(prices_file).resolve())} if prices_file else {}
    budget_param = {"budgets_file": str(Path(budgets_file).resolve())} if budgets_file else {}
    params = {"store_path": store_file, "metrics": list(metrics), "by": list(by), "freq": freq,
              "horizon": h, "max_series": max_series, "month": month, "sources": list(sources),
              "forecast_snapshot": run.snapshots["forecast"], "allow_incomplete": allow_incomplete, **extra,
              **budget_param, **(report_parameters or {})}
    run.reports["monthly_forecast"] = render_report("monthly_forecast", params, output_dir, date=month).html
    if plan_config:
        run.reports["capacity_plan"] = render_report("capacity_plan", {"output_dir": str(plan_dir.resolve())},
                                                     output_dir, date=month).html
    why = _commitment_blocker(capacity, month, end, prices, allow_incomplete, freq)
    if why:
        run.skipped["commitment_comparison"] = why
    else:
        metric = next(iter(capacity))
        run.prices += [f"commitment_comparison: {line}" for line in capacity_prices(metric, prices=prices).sources]
        days = (end + pd.offsets.MonthBegin(1) - end).days
        run.reports["commitment_comparison"] = render_report(
            "commitment_comparison", {"store_path": store_file, "month": month, "metric": metric, "freq": freq,
                                      "horizon_days": float(days), "allow_incomplete": allow_incomplete, **extra},
            output_dir, date=month).html
    return run


def _commitment_blocker(capacity: dict[str, pd.DataFrame], month: str, end: pd.Timestamp, prices,
                        allow_incomplete: bool, freq: str = "h") -> str:
    """Why the month's commitment comparison cannot be made ("" when it can)."""
    from planner.report.freshness import month_coverage
    from planner.report.pricing import CAPACITY_METRICS, capacity_prices

    if importlib.util.find_spec("planner.optimize") is None or \
            not hasattr(importlib.import_module("planner.optimize"), "compare_commitments"):
        return "planner.optimize.compare_commitments is not in this version"
    if not capacity:
        return f"no GPU demand ({' or '.join(CAPACITY_METRICS)}) in the store before {end.date()} to size commitments on"
    metric, usage = next(iter(capacity.items()))
    try:
        month_coverage(usage, month, [metric], what="month", allow_incomplete=allow_incomplete)
    except InputError as exc:
        return str(exc)
    if prices is None or not prices.capacity:
        return ("no GPU prices: give --prices FILE with a capacity entry (gpu_type and cloud priced from the "
                "GPU catalog, gpus_per_unit, or your own USD per GPU-hour)")
    try:
        capacity_prices(metric, prices=prices).per_unit_period(freq)
    except InputError as exc:
        return str(exc)
    return ""
