"""Validate long-format series and describe each one for the forecaster.

Checks the Nixtla contract (``unique_id, ds, y``), infers one frequency, puts every series on a
regular grid, and classifies each series: transform (log for positive series, so multiplicative
growth and seasonality become additive), seasonal periods (from the frequency, kept only where
the history holds two full periods and the data shows the cycle), intermittent, constant or
short. Gaps and outages are filled by interpolation with a warning naming them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.forecast.spaces import to_model_space

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
    """Infer one pandas frequency for all series from their most common time step."""
    steps = df.groupby("unique_id")["ds"].diff().dropna()
    if steps.empty:
        raise InputError(f"{what}: cannot infer a frequency from a single period per series; pass freq")
    step = steps.mode().iloc[0]
    if step % pd.Timedelta(days=7) == pd.Timedelta(0):
        return f"{step.days // 7}W-{df['ds'].iloc[0].strftime('%a').upper()}".lstrip("1")
    if step >= pd.Timedelta(days=28) and step <= pd.Timedelta(days=31):
        return "MS" if (df["ds"].dt.day == 1).all() else "ME"
    if step >= pd.Timedelta(days=89) and step <= pd.Timedelta(days=92):
        return "QS"
    offset = pd.tseries.frequencies.to_offset(step)
    return offset.freqstr


def season_candidates(freq: str) -> tuple[int, ...]:
    """Seasonal periods a frequency implies: per day and per week for sub-daily data, 7 for daily,
    52 for weekly, 12 for monthly, 4 for quarterly."""
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
    if name.startswith("W"):
        return (52,)
    if name in ("MS", "ME", "M", "BMS", "BME"):
        return (12,)
    if name.startswith("Q"):
        return (4,)
    return ()


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
    try:
        pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise InputError(f"{what}: unknown frequency {freq!r}; expected e.g. h, D, W-MON, MS") from None
    parts, info = [], {}
    for uid, g in frame.groupby("unique_id", sort=True):
        series, notes = _regularize(g, freq, what)
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
        runs = _runs(values == 0)
        if runs:
            a, b = runs[0]
            notes.append(f"{sum(b - a for a, b in runs)} zero periods in a series that is otherwise positive and "
                         f"large (first {grid[a]} to {grid[b - 1]}) read as outages or missing data: "
                         "interpolated for fitting")
            for a, b in runs:
                values[a:b] = np.nan
    if np.isnan(values).any():
        values = pd.Series(values, index=grid).interpolate(limit_direction="both").to_numpy()
    return pd.DataFrame({"unique_id": uid, "ds": grid, "y": values}), notes


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
