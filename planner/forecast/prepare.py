"""Validate long-format series and describe each one for the forecaster.

Checks the Nixtla contract (``unique_id, ds, y``), infers one frequency, puts every series on a
regular grid, and classifies each series: transform (log for positive series, so multiplicative
growth and seasonality become additive), seasonal periods (from the frequency, kept only where
the history holds two full periods and the data shows the cycle), intermittent, constant or
short. Gaps and outages are filled by interpolation with a warning naming them; a last period that
has not closed yet, or that is far below every comparable earlier period (an export taken before
the period ended), is left out with a warning naming it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.forecast.spaces import to_model_space
from planner.periods import WEEKDAYS, check_freq

__all__ = ["SeriesInfo", "prepare", "infer_freq", "season_candidates"]

#: Share of zeros from which a series is treated as intermittent (Croston-type models).
INTERMITTENT_ZERO_SHARE = 0.3
#: Autocorrelation at the seasonal lag (of the differenced series) below which a cycle is ignored.
MIN_SEASONAL_ACF = 0.1
#: Zeros in a series that is otherwise positive are read as outages or missing data (not demand)
#: when they are at most this share of the history and the positive values' median is at least
#: :data:`MIN_OUTAGE_LEVEL` (a count that large is essentially never 0 by chance: P = e^-10 for a
#: Poisson mean of 10). Otherwise zeros are taken as real.
MAX_OUTAGE_SHARE = 0.1
MIN_OUTAGE_LEVEL = 10.0
#: In such a series a value under this share of the median around it (two natural seasons) is an
#: outage too: a fall to a hundredth of the level for an hour is a logging hole, not demand, and
#: in log space it would widen every interval of the series a hundredfold.
OUTAGE_SHARE_OF_LEVEL = 0.01
#: A last period below this share of every comparable earlier one is read as partial (exported
#: before it closed) and left out.
PARTIAL_SHARE = 0.5


@dataclass
class SeriesInfo:
    """What the forecaster knows about one series.

    Attributes
    ----------
    unique_id : str
    n : int
        Periods of history after regularization.
    transform : {"log", "log1p", "none"}
        Space the models work in; forecasts are back-transformed.
    seasons : tuple of int
        Seasonal periods offered to the models, longest last: the frequency's natural one when
        the history holds two, longer ones only where the data shows them.
    kind : {"regular", "intermittent", "constant"}
    notes : list of str
        Warnings raised for this series (gaps filled, outage, short history...).
    """

    unique_id: str
    n: int
    transform: str
    seasons: tuple[int, ...]
    kind: str
    notes: list[str] = field(default_factory=list)


def infer_freq(df: pd.DataFrame, what: str = "input") -> str:
    """Infer one pandas frequency for all series from their most common time step.

    Weekly steps give ``W-<day>`` for the weekday most timestamps fall on (``2W-<day>`` for
    two-week steps...); steps of 28-31 days give ``MS`` when every timestamp is the first of a
    month, ``ME`` when every one is the last; 89-92 days give ``QS`` / ``QE`` for calendar
    quarters (``QS-FEB``, ``QE-NOV``... for quarters shifted by one or two months); 365-366 days
    give ``YS`` / ``YE``; anything else the fixed step (``h``, ``D``, ``15min``...).

    Raises
    ------
    InputError
        A single period per series, or monthly / quarterly / yearly steps whose timestamps are
        not all period starts or all period ends (naming one that is neither).
    """
    steps = df.groupby("unique_id")["ds"].diff().dropna()
    if steps.empty:
        raise InputError(f"{what}: cannot infer a frequency from a single period per series; pass freq")
    step = steps.mode().iloc[0]
    ds = pd.DatetimeIndex(df["ds"])
    weeks = step >= pd.Timedelta(days=7) and step % pd.Timedelta(days=7) == pd.Timedelta(0)
    for lo, hi, name in ((28, 31, "M"), (89, 92, "Q"), (365, 366, "Y")):
        if pd.Timedelta(days=lo) <= step <= pd.Timedelta(days=hi):
            try:
                return _calendar_freq(ds, name, what)
            except InputError:
                if not weeks:  # 28 or 91 days may be 4 or 13 weeks
                    raise
    if weeks:
        k = step.days // 7
        day = WEEKDAYS[int(pd.Series(ds.weekday).mode().iloc[0])]
        return f"{k if k > 1 else ''}W-{day}"
    offset = pd.tseries.frequencies.to_offset(step)
    return offset.freqstr


def _calendar_freq(ds: pd.DatetimeIndex, name: str, what: str) -> str:
    """``MS``/``ME``, ``QS``/``QE`` (with the quarters' anchor month) or ``YS``/``YE`` for timestamps
    that are all period starts or all period ends."""
    period = {"M": "month", "Q": "quarter", "Y": "year"}[name]
    midnight = ds == ds.normalize()
    starts, ends = midnight & (ds.day == 1), midnight & ds.is_month_end
    side = "S" if starts.all() else "E" if ends.all() else ""
    if not side:
        odd = ds[~(starts | ends)]
        odd = odd[0] if len(odd) else ds[~starts][0]
        raise InputError(f"{what}: {period}ly steps, but timestamp {odd} is not the first day of a month like "
                         f"the others, nor are all the last; label every period by its first day ({name}S) or "
                         f"its last ({name}E), or pass freq")
    if name == "M":
        return f"M{side}"
    phase = set(((ds.month - 1) % (3 if name == "Q" else 12)).tolist())
    if len(phase) > 1:
        raise InputError(f"{what}: {period}ly steps, but the timestamps fall in months {sorted(set(ds.month))} that "
                         f"do not start or end {period}s of one calendar; pass freq")
    m = phase.pop()   # 0-based month of the first (S) or last (E) month of every period, modulo 3 or 12
    if name == "Q":   # QS-JAN: quarters starting Jan, Apr...; QE-DEC: quarters ending Mar, Jun...
        anchor = _MONTHS[m] if side == "S" else _MONTHS[(m + 9) % 12]
        return f"Q{side}" if anchor == ("JAN" if side == "S" else "DEC") else f"Q{side}-{anchor}"
    anchor = _MONTHS[m]
    return f"Y{side}" if anchor == ("JAN" if side == "S" else "DEC") else f"Y{side}-{anchor}"


_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


def season_candidates(freq: str) -> tuple[int, ...]:
    """Seasonal periods a frequency implies [periods]: per day and per week for sub-daily data, 7 for
    daily, 52 for weekly, 12 for monthly, 4 for quarterly, none for yearly; a multiple of the
    frequency (``2W-MON``, ``2MS``) divides the yearly cycle when it can (26, 6)."""
    offset = pd.tseries.frequencies.to_offset(freq)
    name = offset.name
    try:
        step = pd.Timedelta(offset)
    except ValueError:
        step = None
    if step is not None and step < pd.Timedelta(days=1):
        per_day = int(round(pd.Timedelta(days=1) / step))
        return (per_day, per_day * 7) if per_day > 1 else (7,)
    if step is not None and step == pd.Timedelta(days=1):
        return (7,)
    per_year = 52 if name.startswith("W") else 12 if name in ("MS", "ME", "M", "BMS", "BME") \
        else 4 if name.startswith(("QS", "QE", "BQ")) else 0
    n = abs(offset.n)
    return (per_year // n,) if per_year and per_year % n == 0 and per_year // n > 1 else ()


def prepare(
    df: pd.DataFrame,
    freq: str | None = None,
    what: str = "input",
    id_col: str = "unique_id",
    time_col: str = "ds",
    target_col: str = "y",
) -> tuple[pd.DataFrame, str, dict[str, SeriesInfo]]:
    """Validate and regularize series; describe each.

    Parameters
    ----------
    df : pandas.DataFrame
        Long format: id, time and target columns.
    freq : str, optional
        pandas frequency; inferred from the most common step when omitted.
    what : str
        Name of the input, for error messages.
    id_col, time_col, target_col : str
        Column names.

    Returns
    -------
    frame : pandas.DataFrame
        ``unique_id, ds, y`` on a regular grid, gaps filled, sorted.
    freq : str
        The frequency used.
    info : dict of str to SeriesInfo
        Per-series description.
    """
    missing = [c for c in (id_col, time_col, target_col) if c not in df.columns]
    if missing:
        raise InputError(f"{what}: the following columns are missing: {missing} (found {list(df.columns)[:8]})")
    frame = df[[id_col, time_col, target_col]].rename(columns={id_col: "unique_id", time_col: "ds", target_col: "y"})
    if frame.empty:
        raise InputError(f"{what}: no rows")
    frame["unique_id"] = frame["unique_id"].astype(str)
    if not pd.api.types.is_datetime64_any_dtype(frame["ds"]):
        parsed = pd.to_datetime(frame["ds"], errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0]) + 1
            raise InputError(f"{what}: column {time_col!r} has an unparseable timestamp at row {row} "
                             f"(found {frame['ds'].iloc[row - 1]!r})")
        frame["ds"] = parsed
    if getattr(frame["ds"].dt, "tz", None) is not None:
        frame["ds"] = frame["ds"].dt.tz_convert("UTC").dt.tz_localize(None)
    y = pd.to_numeric(frame["y"], errors="coerce")
    bad = (y.isna() & frame["y"].notna()).to_numpy() | np.isinf(y.to_numpy(dtype=float, na_value=0))
    if bad.any():
        row = int(np.flatnonzero(bad)[0]) + 1
        raise InputError(f"{what}: column {target_col!r} must be numeric at row {row} (found {frame['y'].iloc[row - 1]!r})")
    frame["y"] = y.astype(float)
    dup = frame.duplicated(["unique_id", "ds"], keep=False).to_numpy()
    if dup.any():
        rows = ", ".join(str(i + 1) for i in np.flatnonzero(dup)[:4])
        raise InputError(f"{what}: duplicate ({id_col}, {time_col}) at rows {rows}; expected one row per series and period")
    frame = frame.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    if freq is None:
        freq = infer_freq(frame, what)
    else:
        try:   # any pandas frequency describes a grid; the error names planner's aliases
            pd.tseries.frequencies.to_offset(freq)
        except ValueError:
            check_freq(freq, f"{what}: freq")
    parts, info = [], {}
    now = pd.Timestamp.now(tz="UTC").tz_localize(None)
    for uid, g in frame.groupby("unique_id", sort=True):
        series, notes = _regularize(g, freq, what)
        series = _drop_partial(series, freq, now, notes)
        parts.append(series)
        info[uid] = _describe(uid, series["y"].to_numpy(), freq, notes)
    for i in info.values():
        for note in i.notes:
            warnings.warn(f"{what}: series {i.unique_id!r}: {note}", PlannerWarning, stacklevel=3)
    return pd.concat(parts, ignore_index=True), freq, info


def _regularize(g: pd.DataFrame, freq: str, what: str) -> tuple[pd.DataFrame, list[str]]:
    uid = g["unique_id"].iloc[0]
    grid = pd.date_range(g["ds"].iloc[0], g["ds"].iloc[-1], freq=freq)
    notes = []
    if len(g) == len(grid) and (g["ds"].to_numpy() == grid.to_numpy()).all():  # already regular
        y = pd.Series(g["y"].to_numpy(), index=grid)
    else:
        off_grid = ~g["ds"].isin(grid)
        if off_grid.any():
            raise InputError(f"{what}: series {uid!r} has timestamps off the {freq} grid, e.g. "
                             f"{g['ds'][off_grid].iloc[0]}; aggregate to the frequency first or pass the right --freq")
        y = g.set_index("ds")["y"].reindex(grid)
    n_missing = int(y.isna().sum())
    if n_missing:
        first_gap = y.index[y.isna()][0]
        notes.append(f"{n_missing} missing periods (first {first_gap}) filled by interpolation")
    values = y.to_numpy(dtype=float, copy=True)
    known = values[np.isfinite(values)]
    if len(known) and (known > 0).mean() >= 1 - MAX_OUTAGE_SHARE and np.median(known[known > 0]) >= MIN_OUTAGE_LEVEL:
        natural = season_candidates(freq)
        window = max(7, 2 * (natural[0] if natural else 1))
        level = pd.Series(np.where(values > 0, values, np.nan)).rolling(window, center=True, min_periods=1).median()
        hole = (values == 0) | (values < OUTAGE_SHARE_OF_LEVEL * level.to_numpy())
        runs = _runs(hole)
        if runs and hole.mean() <= MAX_OUTAGE_SHARE:
            a, b = runs[0]
            notes.append(f"{sum(b - a for a, b in runs)} zero or near-zero periods (under "
                         f"{OUTAGE_SHARE_OF_LEVEL:.0%} of the level around them) in a series that is otherwise "
                         f"positive and large (first {grid[a]} to {grid[b - 1]}) read as outages or missing data: "
                         "interpolated for fitting")
            for a, b in runs:
                values[a:b] = np.nan
    if np.isnan(values).any():
        values = pd.Series(values, index=grid).interpolate(limit_direction="both").to_numpy()
    return pd.DataFrame({"unique_id": uid, "ds": grid, "y": values}), notes


def _drop_partial(series: pd.DataFrame, freq: str, now: pd.Timestamp, notes: list[str]) -> pd.DataFrame:
    """Leave out a last period that has not closed yet, or one far below every comparable period.

    A period whose start is past and whose end is still ahead of ``now`` (UTC) is running: its
    value is a part of the period's. A last value under :data:`PARTIAL_SHARE` of every one of
    the same phase in the previous (up to four) natural seasons -- or, without two of them, of
    each of the previous four periods -- reads as an export taken before the period closed.
    Either way the period is dropped, with a note naming it; short or non-positive series are
    left as they are.
    """
    if len(series) < 5:
        return series
    y = series["y"].to_numpy(dtype=float)
    last = series["ds"].iloc[-1]
    offset = pd.tseries.frequencies.to_offset(freq)
    if last <= now < last + offset:
        notes.append(f"the last period {last} has not closed yet (it ends {last + offset}): left out as partial")
        return series.iloc[:-1]
    natural = season_candidates(freq)
    s = natural[0] if natural else 1
    same_phase = y[-1 - s * np.arange(1, 5)[s * np.arange(1, 5) < len(y)]]
    comparable = same_phase if len(same_phase) >= 2 else y[-5:-1]
    if y[-1] >= 0 and (comparable > 0).all() and y[-1] < PARTIAL_SHARE * comparable.min():
        notes.append(f"the last period {last} ({y[-1]:,.4g}) is under {PARTIAL_SHARE:.0%} of every comparable "
                     f"earlier period (lowest {comparable.min():,.4g}): read as a period exported before it closed "
                     "and left out")
        return series.iloc[:-1]
    return series


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _describe(uid: str, y: np.ndarray, freq: str, notes: list[str]) -> SeriesInfo:
    n = len(y)
    if np.nanstd(y) == 0:
        notes.append("constant series: forecast is that constant, intervals have zero width")
        return SeriesInfo(uid, n, "none", (), "constant", notes)
    if (y < 0).any():
        transform = "none"
    elif (y > 0).all():
        transform = "log"
    else:
        transform = "log1p"
    if (y == 0).mean() >= INTERMITTENT_ZERO_SHARE:
        notes.append(f"{(y == 0).mean():.0%} zero periods: intermittent-demand models (Croston SBA, IMAPA, ADIDA)")
        return SeriesInfo(uid, n, "none", (), "intermittent", notes)
    z = to_model_space(y, transform)
    seasons = []
    for i, s in enumerate(season_candidates(freq)):
        if n < 2 * s:
            notes.append(f"history of {n} periods is shorter than two seasons of {s}: that cycle is not modelled")
            continue
        if i == 0:  # the frequency's natural cycle is always offered; the backtest decides
            seasons.append(s)
            continue
        d = np.diff(z)
        if len(d) > s and np.std(d) > 0 and np.corrcoef(d[:-s], d[s:])[0, 1] >= MIN_SEASONAL_ACF:
            seasons.append(s)
    return SeriesInfo(uid, n, transform, tuple(seasons), "regular", notes)
