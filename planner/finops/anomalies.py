"""Spend and usage anomalies: recent actuals scored against the forecaster's intervals.

For each series (Nixtla long format ``unique_id, ds, y``), the last ``window`` periods are scored
in blocks of ``refit_every`` periods: the forecaster (:class:`planner.forecast.Forecaster`, its
public ``fit`` / ``predict``) is fitted on the history before the block and forecasts the block,
so every period is judged against an interval made without it (one to ``refit_every`` periods
ahead). Periods found above the interval are replaced by their forecast in the history the next
block is fitted on, so a spike, a step up or runaway growth is not learnt as normal and is still
reported from the period it began; periods below it are kept, so the forecast follows a real
decline (an outage's zeros are read as such by the forecaster).

A period is **outside** when its actual leaves the ``level`` % interval *and* is at least
``1 + min_change`` times the point forecast (above) or at most the forecast / ``(1 + min_change)``
(below): the interval says the change is unlikely, the size floor says it matters. A run of at least ``min_periods``
consecutive periods outside on the same side is an anomaly (runs one period apart are one), named
by its shape:

- **spike**: above the interval, and back inside within ``spike_max`` periods;
- **drop**: below the interval (an outage, a broken pipeline, a lost customer);
- **level shift**: above or below for longer than ``spike_max`` periods, or still outside at
  the end of the window after ``min_periods`` periods at a steady ratio to the forecast;
- **runaway growth**: still above at the end of the window and growing against the forecast:
  the ratio of actual to forecast rose by at least :data:`GROWTH_RATIO` over the run.

Each anomaly states its size: the observed and expected totals over the run and their
difference [unit of the series] (and [USD] with a price per unit), the interval it left (at its
first period) and since when.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.exceptions import ForecastError, InputError
from planner.periods import check_freq

__all__ = ["AnomalyResult", "detect_anomalies", "KINDS", "GROWTH_RATIO", "DEFAULT_LEVEL", "DEFAULT_MIN_CHANGE",
           "season_length"]

#: The kinds of anomaly, in the order the report lists them.
KINDS = ("spike", "drop", "level shift", "runaway growth")
#: Ratio of actual to forecast must grow by this factor over a run still open at the window's end
#: for it to be runaway growth [-].
GROWTH_RATIO = 1.5
#: Interval level a period must leave [%].
DEFAULT_LEVEL = 99
#: Smallest change from the point forecast that counts [-]: 1.0 is at least twice the forecast, or at
#: most half of it.
DEFAULT_MIN_CHANGE = 1.0

_SEASONS = {"h": 24, "D": 7, "W": 52, "MS": 12, "ME": 12, "QS": 4, "QE": 4}
_COLUMNS = ["unique_id", "kind", "since", "until", "periods", "ongoing", "observed", "expected", "excess",
            "excess_pct", "peak_ratio", "interval_lo", "interval_hi", "excess_usd"]


def season_length(freq: str) -> int:
    """Periods in one cycle of ``freq``: 24 for hourly, 7 for daily, 52 weekly, 12 monthly, 4 quarterly."""
    freq = check_freq(freq)
    base = freq.lstrip("0123456789")
    return _SEASONS.get("W" if base.startswith("W-") else base, 24 if base in ("min", "s") else 1)


@dataclass
class AnomalyResult:
    """What :func:`detect_anomalies` found.

    Attributes
    ----------
    anomalies : pandas.DataFrame
        One row per anomaly: ``unique_id, kind, since, until`` (first and last period outside),
        ``periods``, ``ongoing`` (still outside at the window's end), ``observed`` and
        ``expected`` totals over the run [unit of the series], ``excess`` = observed - expected,
        ``excess_pct`` = 100 excess / expected, ``peak_ratio`` (the largest actual / forecast of an
        anomaly above, the smallest of one below), ``interval_lo`` and ``interval_hi`` (the
        interval at ``since``) and ``excess_usd`` (excess x the series' price [USD]; NaN without
        one). Largest ``|excess_usd|`` (else ``|excess_pct|``) first.
    scored : pandas.DataFrame
        Every scored period: ``unique_id, ds, y, forecast, lo, hi, side`` (+1 above the
        interval, -1 below, 0 inside or too small a change) and ``anomaly`` (part of a reported run).
    settings : dict
        ``window, refit_every, level, min_change, min_periods, spike_max, freq, scored_from``.
    notes : list of str
        Series left out (too short) and the forecaster's warnings, once each.
    """

    anomalies: pd.DataFrame
    scored: pd.DataFrame
    settings: dict
    notes: list[str] = field(default_factory=list)


def detect_anomalies(series: pd.DataFrame, window: int, freq: str | None = None, level: int = DEFAULT_LEVEL,
                     min_change: float = DEFAULT_MIN_CHANGE, min_periods: int = 2, refit_every: int = 0,
                     spike_max: int = 0, usd_per_unit: Mapping[str, float] | None = None,
                     n_jobs: int = 1) -> AnomalyResult:
    """Score the last ``window`` periods of each series against one-block-ahead forecast intervals.

    Parameters
    ----------
    series : pandas.DataFrame
        ``unique_id, ds, y`` on a regular grid (``planner usage series`` output), any unit.
    window : int
        Periods scored at the end of each series [periods].
    freq : str, optional
        Frequency of the series; inferred when omitted.
    level : int
        Interval a period must leave [%], 50-99.
    min_change : float
        Smallest change from the point forecast that counts [-]: a period above must be at least
        ``1 + min_change`` times the forecast, one below at most the forecast / ``(1 + min_change)``
        (1.0: twice, or half).
    min_periods : int
        Consecutive periods outside that make an anomaly [periods].
    refit_every : int
        Periods forecast from each fit [periods]; 0: one cycle of the frequency (24 hours, 7 days),
        at most ``window``.
    spike_max : int
        Longest run above the interval still called a spike [periods]; 0: one cycle.
    usd_per_unit : mapping, optional
        ``unique_id -> USD per unit of y`` (:func:`planner.report.pricing.spend_rates`), for
        ``excess_usd``.
    n_jobs : int
        Processes of the forecaster.

    Returns
    -------
    AnomalyResult

    Raises
    ------
    InputError
        A window or option out of range, missing columns, or no series long enough to score
        (each needs at least two cycles, or 2 x ``refit_every`` periods, before the window).
    """
    from planner.forecast import Forecaster
    from planner.forecast.prepare import infer_freq
    from planner.report.notes import capture

    missing = [c for c in ("unique_id", "ds", "y") if c not in series.columns]
    if missing:
        raise InputError(f"series: the following columns are missing: {missing}")
    if int(window) != window or window < 1:
        raise InputError(f"--window must be a whole number of periods >= 1, got {window}")
    if not 50 <= level < 100:
        raise InputError(f"--level must be between 50 and 99 %, got {level}")
    if min_change < 0:
        raise InputError(f"--min-change must be >= 0, got {min_change}")
    if min_periods < 1:
        raise InputError(f"--min-periods must be >= 1, got {min_periods}")
    frame = series[["unique_id", "ds", "y"]].copy()
    frame["ds"] = pd.to_datetime(frame["ds"])
    frame = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    freq = check_freq(freq) if freq else infer_freq(frame, "series")
    cycle = season_length(freq)
    block = int(refit_every) if refit_every else min(cycle, int(window))
    if block < 1:
        raise InputError(f"--refit-every must be >= 1 period, got {refit_every}")
    spike_max = int(spike_max) if spike_max else max(cycle, min_periods)
    need = max(2 * cycle, 2 * block, 10)
    notes: list[str] = []
    keep = []
    for uid, g in frame.groupby("unique_id", sort=False):
        if len(g) < window + need:
            notes.append(f"series {uid!r}: {len(g):,} periods, fewer than the {window:,} scored plus {need:,} of "
                         "history to fit on: not scored")
        else:
            keep.append(uid)
    if not keep:
        raise InputError(f"no series is long enough to score: each needs {need:,} periods of history before the "
                         f"{window:,} scored; {'; '.join(notes[:3])}")
    frame = frame[frame["unique_id"].isin(keep)]
    start = frame.groupby("unique_id")["ds"].transform(lambda d: d.iloc[-window])
    clean = frame.assign(y=frame["y"].astype(float))
    scored_parts = []
    position = frame.groupby("unique_id").cumcount() - frame.groupby("unique_id")["ds"].transform("size") + window
    for first in range(0, int(window), block):
        last = min(first + block, int(window))
        hist_mask = position < first
        target = (position >= first) & (position < last)
        hist = clean[hist_mask]
        with capture() as warned, warnings.catch_warnings():
            warnings.simplefilter("ignore", category=RuntimeWarning)
            try:
                fitted = Forecaster(h=last - first, level=(level,), n_jobs=n_jobs).fit(hist, freq=freq, what="history")
                fc = fitted.predict(h=last - first + 1).forecast
            except ForecastError as exc:
                raise ForecastError(f"anomaly scoring: the forecast of the history before {hist['ds'].max()} "
                                    f"failed: {exc}") from None
        notes += warned
        actual = frame[target]
        got = actual.merge(fc[["unique_id", "ds", "forecast", f"lo-{level}", f"hi-{level}"]],
                           on=["unique_id", "ds"], how="left")
        got = got.rename(columns={f"lo-{level}": "lo", f"hi-{level}": "hi"})
        side = _side(got, min_change)
        got["side"] = side
        scored_parts.append(got)
        replace = clean.index[target.to_numpy()][side > 0]
        clean.loc[replace, "y"] = got.loc[side > 0, "forecast"].to_numpy()
    scored = pd.concat(scored_parts, ignore_index=True).sort_values(["unique_id", "ds"]).reset_index(drop=True)
    rows, flagged = [], np.zeros(len(scored), dtype=bool)
    for uid, g in scored.groupby("unique_id", sort=False):
        for run in _runs(g["side"].to_numpy(), min_periods):
            idx = g.index[run[0]: run[1]]
            flagged[idx] = True
            rows.append(_describe(uid, scored.loc[idx], run[1] == len(g), spike_max, min_periods))
    scored["anomaly"] = flagged
    anomalies = pd.DataFrame(rows, columns=_COLUMNS[:-1])
    rates = dict(usd_per_unit or {})
    anomalies["excess_usd"] = [e * rates[u] if u in rates else np.nan
                               for u, e in zip(anomalies["unique_id"], anomalies["excess"], strict=True)]
    order = anomalies["excess_usd"].abs().fillna(-1) * 1e6 + anomalies["excess_pct"].abs().fillna(0) / 1e3
    anomalies = anomalies.loc[order.sort_values(ascending=False).index].reset_index(drop=True)
    settings = {"window": int(window), "refit_every": block, "level": int(level), "min_change": float(min_change),
                "min_periods": int(min_periods), "spike_max": spike_max, "freq": freq,
                "scored_from": str(start.min())}
    from planner.report.notes import collapse

    return AnomalyResult(anomalies, scored, settings, collapse(notes))


def _side(got: pd.DataFrame, min_change: float) -> np.ndarray:
    """+1 above the interval and at least ``1 + min_change`` times the forecast, -1 below it and at most
    the forecast / ``(1 + min_change)``, else 0."""
    y, f = got["y"].to_numpy(float), got["forecast"].to_numpy(float)
    lo, hi = got["lo"].to_numpy(float), got["hi"].to_numpy(float)
    known = np.isfinite(f)
    above = known & (y > hi) & (y >= (1 + min_change) * f) & (y > f)
    below = known & (y < lo) & (y * (1 + min_change) <= f) & (y < f)
    return np.where(above, 1, np.where(below, -1, 0))


def _runs(side: np.ndarray, min_periods: int, gap: int = 1) -> list[tuple[int, int]]:
    """``(start, stop)`` of runs of one nonzero value, runs of the same side at most ``gap`` periods
    apart joined (one period back inside an interval does not end a shift), at least
    ``min_periods`` long."""
    raw, i, n = [], 0, len(side)
    while i < n:
        if side[i] == 0:
            i += 1
            continue
        j = i
        while j < n and side[j] == side[i]:
            j += 1
        if raw and side[raw[-1][0]] == side[i] and i - raw[-1][1] <= gap and not (side[raw[-1][1]: i] == -side[i]).any():
            raw[-1] = (raw[-1][0], j)
        else:
            raw.append((i, j))
        i = j
    return [(a, b) for a, b in raw if b - a >= min_periods]


def _describe(uid: str, run: pd.DataFrame, ongoing: bool, spike_max: int, min_periods: int) -> tuple:
    """One anomaly's row: its kind, span and size."""
    y, f = run["y"].to_numpy(float), run["forecast"].to_numpy(float)
    above = bool(run["side"].iloc[0] > 0)
    ratio = np.where(f > 0, y / np.where(f > 0, f, 1.0), np.nan)
    n = len(run)
    if above and ongoing and n >= max(4, min_periods) and _growing(ratio):
        kind = "runaway growth"
    elif n > spike_max or (ongoing and n > max(min_periods, 2) and not above):
        kind = "level shift"
    else:
        kind = "spike" if above else "drop"
    observed, expected = float(y.sum()), float(f.sum())
    excess = observed - expected
    peak = np.nanmax(ratio) if above else np.nanmin(ratio)
    return (uid, kind, run["ds"].iloc[0], run["ds"].iloc[-1], n, ongoing, observed, expected, excess,
            100 * excess / expected if expected else np.nan, float(peak) if np.isfinite(peak) else np.nan,
            float(run["lo"].iloc[0]), float(run["hi"].iloc[0]))


def _growing(ratio: np.ndarray) -> bool:
    """The ratio of actual to forecast rose by :data:`GROWTH_RATIO` over the run (fitted log slope)."""
    ok = np.isfinite(ratio) & (ratio > 0)
    if ok.sum() < 4:
        return False
    t = np.arange(len(ratio))[ok]
    slope = np.polyfit(t, np.log(ratio[ok]), 1)[0]
    return bool(slope * (t[-1] - t[0]) >= np.log(GROWTH_RATIO))
