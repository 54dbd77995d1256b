"""Budgets: spent to date, forecast to the period's end, exhaustion date, thresholds crossed.

A budgets file (YAML) names each budget's scope, period, amount and who is told::

    budgets:
      - name: search-llm               # letters, digits, '.', '_', '-'; unique
        amount_usd: 50000              # [USD] per period
        period: month                  # month, quarter or year (calendar)
        scope: {team: search}          # source or usage dimensions, a value or a list; none: all spend
        thresholds: [80, 100]          # [% of amount_usd]; default 80 and 100
        owner: ana@example.com         # who answers for it (said in every alert)
        channel: "#search-finops"      # where alerts go (said in every alert)
        pagerduty_routing_key: R0...   # the PagerDuty integration key of its alerts (optional)

Spend comes from :func:`planner.finops.spend.spend_of` (the data's ``cost_usd``, else tokens
priced by your prices file or the price catalog, each named). For each budget
(:func:`budget_status`):

- ``as_of`` (exclusive) is the instant spend is counted to: the option, else the end of the
  latest data in its scope (last period start + the data's step, at most a day);
- its **period** is the calendar month, quarter or year holding the instant before ``as_of``;
  **spent** is the spend from the period's start to ``as_of``;
- the **forecast** to the period's end comes from :func:`planner.forecast.forecast` on the
  scope's daily spend (the whole history before the data's last full day), with sample paths:
  over each path the rest of the period is summed (the day the data ends in counts for the part
  of it still to come: each day's value x the share of the day after the data's end); the
  forecast is the median of those totals and its interval their ``level`` % range (so it is the
  interval of the total, not a sum of daily bounds);
- the **exhaustion date** is the instant cumulative spend reaches the amount: in the actuals
  when it already has (spend taken as even within each of the data's periods), else on the
  median of the cumulative paths (even within each day), else none before the period's end;
  ``exhaustion_earliest`` is the same on the upper ``level`` % bound of the cumulative paths;
- each **threshold** (``t %`` of the amount) is ``crossed`` (spent >= t % x amount: when, from the
  actuals), ``expected`` (the forecast reaches it by the period's end: when),
  ``possible`` (only the interval's upper bound does) or ``not expected``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd

from planner._yaml import check_schema, load_mapping
from planner.exceptions import ForecastError, InputError
from planner.finops.spend import SCOPE_KEYS, Spend, scope_text, select
from planner.report.words import metric_noun
from planner.usage._io import close_match

__all__ = ["Budget", "BudgetStatus", "read_budgets", "budget_status", "period_bounds", "PERIODS",
           "DEFAULT_THRESHOLDS", "STATES"]

#: Budget periods and their pandas period alias.
PERIODS = {"month": "M", "quarter": "Q", "year": "Y"}
#: Alert thresholds when a budget names none [% of the amount].
DEFAULT_THRESHOLDS = (80.0, 100.0)
#: Threshold states, most urgent first.
STATES = ("crossed", "expected", "possible", "not expected")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_NUMBER = (int, float)
_SCHEMA = {"budgets": [{"name": str, "amount_usd": _NUMBER, "period": str, "scope": {"*": (str, list)},
                        "thresholds": [_NUMBER], "owner": str, "channel": str, "pagerduty_routing_key": str}]}


@dataclass(frozen=True)
class Budget:
    """One budget of a budgets file (see the module docstring).

    Attributes
    ----------
    name : str
    amount_usd : float
        Budget per period [USD].
    period : {"month", "quarter", "year"}
    scope : dict
        ``{key: [values]}`` over :data:`planner.finops.spend.SCOPE_KEYS`; empty: all spend.
    thresholds : tuple of float
        [% of ``amount_usd``], ascending.
    owner, channel, pagerduty_routing_key : str
    """

    name: str
    amount_usd: float
    period: str
    scope: dict = field(default_factory=dict)
    thresholds: tuple[float, ...] = DEFAULT_THRESHOLDS
    owner: str = ""
    channel: str = ""
    pagerduty_routing_key: str = ""


def read_budgets(path: str | Path) -> list[Budget]:
    """Read and check a budgets file.

    Raises
    ------
    InputError
        Unreadable or not YAML (plain YAML only, no alias bombs), an unknown key, a missing name,
        amount or period, an amount <= 0, a period other than month / quarter / year, a threshold
        <= 0, a scope key that is not the source or a usage dimension, two budgets of one name;
        the message names the file and the key path.
    """
    data = load_mapping(path, "budgets")
    if "budgets" not in data:
        raise InputError(f"{path}: missing key 'budgets' (a list of budgets with name, amount_usd and period)")
    check_schema(data, _SCHEMA, str(path), "")
    out, seen = [], set()
    for i, item in enumerate(data["budgets"]):
        at = f"{path}: budgets[{i}]"
        for key in ("name", "amount_usd", "period"):
            if key not in item:
                raise InputError(f"{at}: missing key {key!r}")
        name = item["name"]
        if not _NAME.fullmatch(name):
            raise InputError(f"{at}.name: {name!r}: expected letters, digits, '.', '_' or '-' (it names alert files)")
        if name in seen:
            raise InputError(f"{at}.name: {name!r} is the name of an earlier budget; expected each name once")
        seen.add(name)
        if not item["amount_usd"] > 0:
            raise InputError(f"{at}.amount_usd: expected an amount > 0 USD, got {item['amount_usd']}")
        if item["period"] not in PERIODS:
            near = close_match(item["period"], PERIODS, cutoff=0.6)
            raise InputError(f"{at}.period: {item['period']!r}{f' (did you mean {near!r}?)' if near else ''}; "
                             f"expected one of {list(PERIODS)}")
        scope = {}
        for key, value in (item.get("scope") or {}).items():
            if key not in SCOPE_KEYS:
                near = close_match(key, SCOPE_KEYS, cutoff=0.6)
                raise InputError(f"{at}.scope.{key}: unknown key{f' (did you mean {near!r}?)' if near else ''}; "
                                 f"expected some of {list(SCOPE_KEYS)}")
            values = [value] if isinstance(value, str) else value
            if not values or not all(isinstance(v, str) and v for v in values):
                raise InputError(f"{at}.scope.{key}: expected a name or a non-empty list of names, got {value!r}")
            scope[key] = list(values)
        thresholds = tuple(sorted(float(t) for t in item.get("thresholds", DEFAULT_THRESHOLDS)))
        if any(t <= 0 for t in thresholds) or len(set(thresholds)) != len(thresholds):
            raise InputError(f"{at}.thresholds: expected distinct percentages > 0, got {item['thresholds']}")
        out.append(Budget(name, float(item["amount_usd"]), item["period"], scope, thresholds,
                          item.get("owner", ""), item.get("channel", ""), item.get("pagerduty_routing_key", "")))
    return out


def period_bounds(period: str, instant: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp, str]:
    """Start, end (exclusive) and label (``2025-01``, ``2025-Q1``, ``2025``) of the calendar
    ``period`` (month, quarter, year) holding ``instant``."""
    p = pd.Period(pd.Timestamp(instant), freq=PERIODS[period])
    label = {"month": f"{p.start_time:%Y-%m}", "quarter": f"{p.year}-Q{p.quarter}", "year": f"{p.year}"}[period]
    return pd.Timestamp(p.start_time), pd.Timestamp((p + 1).start_time), label


@dataclass
class BudgetStatus:
    """What :func:`budget_status` found.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per budget: ``budget, scope, period, period_start, period_end, data_until, as_of,
        amount_usd, spent_usd, spent_pct, forecast_usd`` (spent + forecast of the rest of the
        period), ``forecast_lo_usd, forecast_hi_usd`` (its ``level`` % interval),
        ``exhaustion, exhaustion_earliest, state`` (the most urgent threshold state),
        ``crossed`` and ``expected`` (thresholds, text), ``owner, channel``.
    thresholds : pandas.DataFrame
        One row per budget and threshold: ``budget, period, threshold_pct, threshold_usd, state,
        when`` (crossed on, or expected on), ``owner, channel, pagerduty_routing_key``.
    burn : pandas.DataFrame
        Cumulative spend per day of each budget's period: ``budget, ds, actual_usd`` (to the
        data's end), ``forecast_usd, lo_usd, hi_usd`` (after it) [USD].
    prices : pandas.DataFrame
        :attr:`planner.finops.spend.Spend.prices` of the spend counted.
    notes : list of str
    level : int
    """

    table: pd.DataFrame
    thresholds: pd.DataFrame
    burn: pd.DataFrame
    prices: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    level: int = 80

    @property
    def crossed(self) -> bool:
        """True when any budget has crossed a threshold (``planner budget status`` exits 3)."""
        return bool((self.thresholds["state"] == "crossed").any())


class _Plan(NamedTuple):
    """One budget's inputs to the status: its scoped spend rows, the data's end, the period, daily spend."""

    budget: Budget
    rows: pd.DataFrame
    until: pd.Timestamp
    end: pd.Timestamp
    p_start: pd.Timestamp
    p_end: pd.Timestamp
    label: str
    daily: pd.Series


def budget_status(spend: Spend, budgets: Sequence[Budget], as_of: str | pd.Timestamp | None = None,
                  level: int = 80, n_paths: int = 400, seed: int = 0, what: str = "budgets") -> BudgetStatus:
    """Spent to date, forecast to the period's end, exhaustion and thresholds of each budget.

    Parameters
    ----------
    spend : Spend
        :func:`planner.finops.spend.spend_of` of the usage.
    budgets : sequence of Budget
        :func:`read_budgets`.
    as_of : str or pandas.Timestamp, optional
        Count spend before this instant (naive UTC) and report the period holding the instant
        before it; default: each budget's latest data.
    level : int
        Interval of the forecast [%].
    n_paths : int
        Sample paths the interval and the earliest exhaustion are read from.
    seed : int
        Seed of the paths.
    what : str
        The budgets file, for messages.

    Returns
    -------
    BudgetStatus

    Raises
    ------
    InputError
        A budget whose scope holds no usage (the message lists the values there are), or no
        priced spend.
    """
    rows = spend.rows
    cut = pd.Timestamp(as_of) if as_of is not None else None
    plans, notes = [], []
    for b in budgets:
        mine = select(rows, b.scope)
        if mine.empty:
            raise InputError(f"{what}: budget {b.name!r}: no priced spend in its scope ({scope_text(b.scope)}); "
                             f"{_what_there_is(rows, spend, b.scope)}")
        if cut is not None:
            mine = mine[mine["ts"] < cut]
            if mine.empty:
                raise InputError(f"{what}: budget {b.name!r}: no spend in its scope before --as-of {cut}")
        until = _data_end(mine)
        end = cut if cut is not None else until
        p_start, p_end, label = period_bounds(b.period, end - pd.Timedelta(1, "ns"))
        daily = mine.groupby(mine["ts"].dt.floor("D"))["usd"].sum()
        plans.append(_Plan(b, mine, until, end, p_start, p_end, label, daily))
    fc, paths, fc_notes = _forecast(plans, level, n_paths, seed)
    notes += fc_notes
    table, thresholds, burn = [], [], []
    for plan in plans:
        b, mine, until, end, p_start, p_end, label = plan[:7]
        in_period = mine[(mine["ts"] >= p_start) & (mine["ts"] < end)]
        spent = float(in_period["usd"].sum())
        segments = _future_segments(b.name, max(until, p_start), p_end, fc, paths)
        remaining, lo, hi = _remaining(segments, level)
        actual_cross = {t: _actual_crossing(in_period, t / 100 * b.amount_usd, until) for t in (*b.thresholds, 100.0)}
        point_cross = {t: _crossing(segments, spent, t / 100 * b.amount_usd, "point") for t in (*b.thresholds, 100.0)}
        high_cross = _crossing(segments, spent, b.amount_usd, "hi", level)
        exhausted = _reached(spent, b.amount_usd)
        exhaustion = actual_cross[100.0] if exhausted else point_cross[100.0]
        earliest = actual_cross[100.0] if exhausted else high_cross
        states = []
        for t in b.thresholds:
            need = t / 100 * b.amount_usd
            if _reached(spent, need):
                state, when = "crossed", actual_cross[t]
            elif remaining is not None and spent + remaining >= need:
                state, when = "expected", point_cross[t]
            elif hi is not None and spent + hi >= need:
                state, when = "possible", pd.NaT
            else:
                state, when = "not expected", pd.NaT
            states.append(state)
            thresholds.append((b.name, label, t, need, state, when, b.owner, b.channel, b.pagerduty_routing_key))
        if remaining is None:
            notes.append(f"budget {b.name}: no forecast of the rest of {label} (the scope's daily spend history is too "
                         "short to forecast)")
        crossed = [t for t, s in zip(b.thresholds, states, strict=True) if s == "crossed"]
        expected = [t for t, s in zip(b.thresholds, states, strict=True) if s == "expected"]
        table.append({
            "budget": b.name, "scope": scope_text(b.scope), "period": label, "period_start": p_start,
            "period_end": p_end, "data_until": until, "as_of": end, "amount_usd": b.amount_usd, "spent_usd": spent,
            "spent_pct": 100 * spent / b.amount_usd,
            "forecast_usd": spent + remaining if remaining is not None else np.nan,
            "forecast_lo_usd": spent + lo if lo is not None else np.nan,
            "forecast_hi_usd": spent + hi if hi is not None else np.nan,
            "exhaustion": exhaustion, "exhaustion_earliest": earliest,
            "state": next((s for s in STATES if s in states), "not expected"),
            "crossed": ", ".join(f"{t:g} %" for t in crossed), "expected": ", ".join(f"{t:g} %" for t in expected),
            "owner": b.owner, "channel": b.channel})
        burn.append(_burn(b.name, in_period, p_start, until, spent, segments, level))
        gaps = select(spend.unpriced_rows, b.scope) if len(spend.unpriced_rows) else spend.unpriced_rows
        gaps = gaps[(gaps["ts"] >= p_start) & (gaps["ts"] < end)] if len(gaps) else gaps
        if len(gaps):
            parts = sorted({f"{metric_noun(r.metric)} of {r.model or r.source}" for r in gaps.itertuples()})
            notes.append(f"budget {b.name}: {len(parts)} part(s) of its scope in {label} have no USD figure and are not "
                         f"counted: {', '.join(parts[:6])}{' ...' if len(parts) > 6 else ''} (give a price with --prices)")
        coarse = _coarse_sources(mine)
        if coarse:
            notes.append(f"budget {b.name}: spend of {', '.join(coarse)} comes in periods longer than a day; each is "
                         "counted on its first day")
    used = set().union(*(set(p.rows["source"]) for p in plans)) if plans else set()
    prices = spend.prices[spend.prices["source"].isin(used)].reset_index(drop=True)
    return BudgetStatus(pd.DataFrame(table),
                        pd.DataFrame(thresholds, columns=["budget", "period", "threshold_pct", "threshold_usd", "state",
                                                          "when", "owner", "channel", "pagerduty_routing_key"]),
                        pd.concat(burn, ignore_index=True), prices, list(dict.fromkeys(notes)), level)


def _reached(value: float, amount: float) -> bool:
    """``value >= amount``, up to rounding (a sum of hourly shares of a daily amount)."""
    return bool(value >= amount - 1e-9 * max(1.0, abs(amount)))


def _what_there_is(rows: pd.DataFrame, spend: Spend, scope: Mapping) -> str:
    """A hint for an empty scope: the values each key has in the priced spend, or why it is unpriced."""
    if not scope or rows.empty:
        why = "; ".join(spend.notes()[:2])
        return ("the usage has no cost_usd and no token priced by your prices or the price catalog"
                + (f" ({why})" if why else ""))
    for key, values in scope.items():
        there = sorted(set(rows[key]) - {""})
        wrong = [v for v in values if v not in there]
        if wrong:
            near = close_match(wrong[0], there, cutoff=0.6)
            unpriced = spend.unpriced
            if len(unpriced) and key in ("source", "model") and wrong[0] in set(unpriced[key]):
                why = unpriced[unpriced[key] == wrong[0]]["detail"].iloc[0]
                return f"{key} {wrong[0]!r} has usage but no USD figure: {why}"
            return (f"{key} {wrong[0]!r} is not in the priced spend{f' (did you mean {near!r}?)' if near else ''}; "
                    f"there are {there[:8]}")
    return "the scope's keys match no row together"


def _data_end(rows: pd.DataFrame) -> pd.Timestamp:
    """The end of the latest data: last period start + the step of its source (at most a day)."""
    last = rows["ts"].max()
    src = rows.loc[rows["ts"] == last, "source"].iloc[0]
    ts = pd.DatetimeIndex(sorted(set(rows.loc[rows["source"] == src, "ts"])))
    step = pd.Series(ts).diff().dropna()
    step = step[step > pd.Timedelta(0)].min() if len(step) else pd.Timedelta(days=1)
    return last + min(step, pd.Timedelta(days=1))


def _coarse_sources(rows: pd.DataFrame) -> list[str]:
    out = []
    for src, g in rows.groupby("source"):
        ts = pd.Series(sorted(set(g["ts"])))
        if len(ts) > 1 and ts.diff().dropna().min() > pd.Timedelta(days=1):
            out.append(src)
    return out


def _forecast(plans, level: int, n_paths: int, seed: int):
    """One forecast of every budget's daily spend; (forecast, paths, notes)."""
    from planner.forecast import forecast
    from planner.report.notes import capture

    series, horizon = [], 1
    for p in plans:
        first_open = p.until.floor("D")  # the day the data ends in (partly or not at all spent)
        hist = p.daily[p.daily.index < first_open]
        if len(hist) < 3 or p.p_end <= p.until:
            continue
        full = hist.reindex(pd.date_range(hist.index.min(), first_open - pd.Timedelta(days=1), freq="D"), fill_value=0)
        series.append(pd.DataFrame({"unique_id": p.budget.name, "ds": full.index, "y": full.to_numpy(float)}))
        horizon = max(horizon, len(pd.date_range(first_open, p.p_end, freq="D", inclusive="left")) + 1)
    empty = pd.DataFrame(columns=["unique_id", "ds", "forecast"]), pd.DataFrame(columns=["unique_id", "ds", "sample", "y"])
    if not series:
        return *empty, []
    with capture() as warned, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            result = forecast(pd.concat(series, ignore_index=True), h=horizon, freq="D", level=(level,),
                              n_paths=n_paths, seed=seed, n_jobs=1)
        except (ForecastError, InputError) as exc:
            return *empty, [f"no forecast of the budgets' spend: {exc}"]
    return result.forecast, result.paths, [f"spend forecast: {w}" for w in warned]


def _future_segments(name: str, until: pd.Timestamp, p_end: pd.Timestamp, fc: pd.DataFrame,
                     paths: pd.DataFrame) -> pd.DataFrame | None:
    """The rest of the period after ``until`` (the data's end, or the period's start when the data
    ends before it) as segments of days: ``start, end, share`` (of the day
    still to come), ``point`` [USD] and one column per sample path [USD], or None without a forecast."""
    if until >= p_end:
        return pd.DataFrame(columns=["start", "end", "share", "point"])
    mine = fc[(fc["unique_id"] == name)] if len(fc) else fc
    if mine.empty:
        return None
    days = pd.date_range(until.floor("D"), p_end, freq="D", inclusive="left")
    point = mine.set_index("ds")["forecast"].reindex(days)
    if point.isna().any():
        return None
    starts = pd.DatetimeIndex([max(d, until) for d in days])
    ends = pd.DatetimeIndex([min(d + pd.Timedelta(days=1), p_end) for d in days])
    share = np.asarray((ends - starts) / pd.Timedelta(days=1), dtype=float)
    out = pd.DataFrame({"start": starts, "end": ends, "share": share, "point": point.to_numpy(float) * share})
    mp = paths[paths["unique_id"] == name] if len(paths) else paths
    if len(mp):
        wide = mp.pivot_table(index="ds", columns="sample", values="y").reindex(days)
        out = pd.concat([out, pd.DataFrame(wide.to_numpy(float) * out["share"].to_numpy()[:, None],
                                           columns=[f"p{c}" for c in wide.columns])], axis=1)
    return out


def _path_columns(segments: pd.DataFrame) -> list[str]:
    return [c for c in segments.columns if c.startswith("p") and c != "point"]


def _cumulative(segments: pd.DataFrame, spent: float, q: float) -> np.ndarray:
    """Cumulative spend at the end of each segment: the ``q`` quantile of the cumulative sample paths
    (the point forecast when there are no paths)."""
    cols = _path_columns(segments)
    if not cols:
        return spent + np.cumsum(segments["point"].to_numpy(float))
    return np.quantile(spent + np.cumsum(segments[cols].to_numpy(float), axis=0), q, axis=1)


def _remaining(segments: pd.DataFrame | None, level: int) -> tuple[float | None, float | None, float | None]:
    """The rest of the period: the median of its total over the sample paths (the point forecast
    without paths) and the ``level`` % interval of that total."""
    if segments is None:
        return None, None, None
    if segments.empty:
        return 0.0, 0.0, 0.0
    a = (100 - level) / 200
    mid, lo, hi = (float(_cumulative(segments, 0.0, q)[-1]) for q in (0.5, a, 1 - a))
    return mid, lo, hi


def _crossing(segments: pd.DataFrame | None, spent: float, amount: float, which: str, level: int = 80) -> pd.Timestamp:
    """When cumulative spend (the median of the cumulative paths, or their upper ``level`` % bound)
    reaches ``amount``, spend even within each segment; NaT when it does not."""
    if segments is None or segments.empty or _reached(spent, amount):
        return pd.NaT
    cum = _cumulative(segments, spent, 0.5 if which == "point" else 1 - (100 - level) / 200)
    before = np.concatenate([[spent], cum[:-1]])
    per = cum - before
    hit = np.flatnonzero(cum >= amount - 1e-9 * max(1.0, abs(amount)))
    if not len(hit):
        return pd.NaT
    i = hit[0]
    frac = min(max((amount - before[i]) / per[i], 0.0), 1.0) if per[i] > 0 else 0.0
    start, end = segments["start"].iloc[i], segments["end"].iloc[i]
    return pd.Timestamp(start + (end - start) * float(frac)).round("s")


def _actual_crossing(rows: pd.DataFrame, amount: float, until: pd.Timestamp) -> pd.Timestamp:
    """When the actual cumulative spend of the period reached ``amount`` (spend even within each of
    the data's periods); NaT when it has not."""
    if rows.empty:
        return pd.NaT
    per = rows.groupby("ts")["usd"].sum().sort_index()
    cum = per.cumsum()
    hit = np.flatnonzero(cum.to_numpy() >= amount - 1e-9 * max(1.0, abs(amount)))
    if not len(hit):
        return pd.NaT
    i = hit[0]
    starts = per.index
    step = pd.Series(starts).diff().dropna()
    step = min(step[step > pd.Timedelta(0)].min() if len(step) else pd.Timedelta(days=1), pd.Timedelta(days=1))
    start = starts[i]
    end = min(start + step, until)
    before = cum.iloc[i - 1] if i else 0.0
    frac = min(max((amount - before) / per.iloc[i], 0.0), 1.0) if per.iloc[i] > 0 else 0.0
    return pd.Timestamp(start + (end - start) * float(frac)).round("s")


def _burn(name: str, in_period: pd.DataFrame, p_start: pd.Timestamp, until: pd.Timestamp, spent: float,
          segments: pd.DataFrame | None, level: int) -> pd.DataFrame:
    """Cumulative spend per day of the period: actuals to the data's end, then the forecast and its band."""
    daily = in_period.groupby(in_period["ts"].dt.floor("D"))["usd"].sum()
    days = pd.date_range(p_start, until, freq="D", inclusive="left")
    actual = daily.reindex(days, fill_value=0).cumsum()
    ends = [min(d + pd.Timedelta(days=1), until) for d in days]
    out = pd.DataFrame({"budget": name, "ds": [p_start, *ends], "actual_usd": [0.0, *actual.to_numpy(float)],
                        "forecast_usd": np.nan, "lo_usd": np.nan, "hi_usd": np.nan})
    if segments is not None and len(segments):
        a = (100 - level) / 200
        cum, lo, hi = (_cumulative(segments, spent, q) for q in (0.5, a, 1 - a))
        ahead = pd.DataFrame({"budget": name, "ds": pd.DatetimeIndex(segments["end"]), "actual_usd": np.nan,
                              "forecast_usd": cum, "lo_usd": lo, "hi_usd": hi})
        start = pd.DataFrame({"budget": [name], "ds": [until], "actual_usd": [np.nan], "forecast_usd": [spent],
                              "lo_usd": [spent], "hi_usd": [spent]})
        out = pd.concat([out, start, ahead], ignore_index=True)
    return out
