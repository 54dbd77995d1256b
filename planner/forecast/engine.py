"""The forecaster: rolling-origin backtest at the asked horizon, combination, per-lead calibration.

For each regular series every candidate of :mod:`planner.forecast.candidates` is backtested over
the windows of :func:`planner.forecast.windows.window_plan` (the horizon asked, wherever the
history allows): fitted once before the first origin and moved through the later origins with
``forward`` (:mod:`planner.forecast.backtest`). The series is forecast by a weighted mean, in the
model space, of the candidates close to the best on that backtest (:mod:`planner.forecast.combine`),
each member refitted on the whole history for the final forecast. Intervals are calibrated per
band of lead times on the backtest errors (:mod:`planner.forecast.calibrate`), so coverage holds
at the far end of the horizon as well as on average. Histories too short to backtest get the
seasonal naive (or naive) forecast with intervals from the history's own changes
(:mod:`planner.forecast.fallback`), intermittent series Croston-type models, constant series
their constant. Many series are spread over processes.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from planner.exceptions import ForecastError, InputError, PlannerWarning
from planner.forecast import calibrate as cal
from planner.forecast.backtest import fit_forward, parallel_map, refit
from planner.forecast.candidates import BASELINE, intermittent_models, regular_models
from planner.forecast.combine import MIN_WEIGHT, WEIGHT_POWER, combine, members
from planner.forecast.fallback import short_history
from planner.forecast.metrics import (
    conformal_quantile,
    coverage,
    mase,
    naive_scale,
    scaled_pinball,
    smape,
)
from planner.forecast.paths import sample_paths
from planner.forecast.prepare import SeriesInfo, prepare, season_candidates
from planner.forecast.result import ForecastResult
from planner.forecast.spaces import from_model_space as _backward
from planner.forecast.spaces import to_model_space as _forward
from planner.forecast.windows import WindowPlan, window_plan

__all__ = ["Forecaster", "forecast"]

_MIN_TRAIN = 10
#: Short horizons get more backtest windows (up to :data:`MAX_WINDOWS`, where the history has room
#: for them end to end) so that the backtest holds about this many errors to choose and calibrate on.
BACKTEST_ERRORS = 60
MAX_WINDOWS = 12


@dataclass
class _Choice:
    """What was chosen for one series, and how it scored on its backtest."""

    model: str                       # "Ensemble", a candidate, "Constant", or a fallback's name
    h_bt: int
    calibration: cal.Calibration | None = None
    rho: float = 0.5
    metrics: dict = field(default_factory=dict)
    members: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    fitted: dict = field(default_factory=dict)    # member -> model refitted on the whole history
    final: dict = field(default_factory=dict)     # the fit horizon's forecast, original values
    abs_half: dict = field(default_factory=dict)  # intermittent: level -> (reach below, reach above)


class Forecaster:
    """Forecast many series with combinations chosen and intervals calibrated on each one's backtest.

    Parameters
    ----------
    h : int
        Horizon [periods] the backtest targets (``predict`` may ask for another).
    level : sequence of int
        Interval levels [%], e.g. ``(80, 95)``.
    n_windows : int
        Rolling-origin backtest windows (at least 2: coverage is measured leave-one-window-out).
    n_jobs : int
        Processes (-1: all cores).
    progress : bool
        Show a progress bar on stderr.
    weight_power : float
        Combination weights fall with this power of backtest MASE relative to the best
        (:data:`planner.forecast.combine.WEIGHT_POWER`).
    min_weight : float
        Candidates below this share of the best one's weight are left out
        (:data:`planner.forecast.combine.MIN_WEIGHT`).

    Examples
    --------
    >>> fc = Forecaster(h=30).fit(series)          # doctest: +SKIP
    >>> result = fc.predict(n_paths=100)           # doctest: +SKIP
    """

    def __init__(self, h: int = 30, level: Sequence[int] = (80, 95), n_windows: int = 3,
                 n_jobs: int = -1, progress: bool = False, weight_power: float = WEIGHT_POWER,
                 min_weight: float = MIN_WEIGHT) -> None:
        self.h = h
        self.level = tuple(level)
        self.n_windows = n_windows
        self.n_jobs = n_jobs
        self.progress = progress
        self.weight_power = weight_power
        self.min_weight = min_weight

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, freq: str | None = None, what: str = "input") -> Forecaster:
        """Validate the series, backtest the candidates, combine and calibrate per series.

        Parameters
        ----------
        df : pandas.DataFrame
            Long format ``unique_id, ds, y``.
        freq : str, optional
            pandas frequency; inferred when omitted.
        what : str
            Name of the input, for messages.

        Returns
        -------
        Forecaster
            ``self``, with ``freq_``, ``info_`` (per-series :class:`SeriesInfo`), ``choice_``
            and ``history_`` set.
        """
        if int(self.h) != self.h or self.h < 1:
            raise InputError(f"horizon must be a whole number of periods >= 1, got {self.h}")
        if not self.level or any(not 0 < lv < 100 for lv in self.level):
            raise InputError(f"levels must be between 0 and 100 (exclusive), got {list(self.level)}")
        if self.n_windows < 2:
            raise InputError(f"n_windows must be at least 2, got {self.n_windows}")
        frame, self.freq_, self.info_ = prepare(df, freq, what)
        self.history_ = frame
        self.choice_: dict[str, _Choice] = {}
        ys = {uid: g.to_numpy(dtype=float) for uid, g in frame.groupby("unique_id", sort=False)["y"]}
        bar = tqdm(total=len(ys), desc="backtesting", unit="series", disable=not self.progress, file=None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module="statsforecast")
            for (kind, transform, seasons), ids in self._groups(what).items():
                if kind == "constant":
                    for uid in ids:
                        self.choice_[uid] = _Choice("Constant", 0)
                elif kind == "intermittent":
                    self._fit_intermittent(frame[frame["unique_id"].isin(ids)], ids, what)
                else:
                    self._fit_regular(ys, transform, seasons, ids, what)
                bar.update(len(ids))
        bar.close()
        return self

    def _natural(self) -> int:
        natural = season_candidates(self.freq_)
        return natural[0] if natural else 1

    def _plan(self, info: SeriesInfo) -> WindowPlan:
        min_train = max(_MIN_TRAIN, 2 * info.seasons[0]) if info.seasons else _MIN_TRAIN
        most = max(self.n_windows, min(MAX_WINDOWS, -(-BACKTEST_ERRORS // int(self.h))))
        return window_plan(info.n, int(self.h), self.n_windows, min_train, most)

    def _groups(self, what: str) -> dict[tuple, list[str]]:
        """Series by (kind, transform, seasons); a season the backtest cannot see twice before its
        first origin is dropped (with a warning), so every modelled cycle is also validated."""
        groups: dict[tuple, list[str]] = {}
        for uid, info in self.info_.items():
            while len(info.seasons) > 1 and self._plan(info).origins and \
                    self._plan(info).origins[0] < 2 * info.seasons[-1]:
                warnings.warn(f"{what}: series {uid!r}: {info.n} periods leave no room to backtest a season of "
                              f"{info.seasons[-1]}; that cycle is not modelled", PlannerWarning, stacklevel=3)
                info.seasons = info.seasons[:-1]
            groups.setdefault((info.kind, info.transform, info.seasons), []).append(uid)
        return groups

    def _fit_regular(self, ys: dict, transform: str, seasons: tuple[int, ...], ids: list[str], what: str) -> None:
        models = regular_models(seasons, self._natural(), transform)
        season = seasons[0] if seasons else self._natural()
        tasks = [(ys[uid], models, transform, season, self._plan(self.info_[uid]), int(self.h), self.level,
                  self.weight_power, self.min_weight) for uid in ids]
        for uid, choice in zip(ids, parallel_map(_regular_series, tasks, self.n_jobs), strict=True):
            if choice is None:
                choice = _short_choice(1, 1)
                self._warn_short(uid, "every candidate model failed on its backtest", choice, what)
            elif not choice.fitted:
                self._warn_short(uid, f"{self.info_[uid].n} periods are too few to backtest {self.h} periods "
                                 "ahead (the backtest reaches less than a third of it)", choice, what)
            self.choice_[uid] = choice

    def _warn_short(self, uid: str, reason: str, choice: _Choice, what: str) -> None:
        warnings.warn(f"{what}: series {uid!r}: {reason}; using the {choice.model} forecast with intervals from "
                      "the history's own changes (not backtested)", PlannerWarning, stacklevel=5)

    def _fit_intermittent(self, data: pd.DataFrame, ids: list[str], what: str) -> None:
        """Croston-type models backtested with statsforecast (refit at every origin: they are cheap,
        and have no ``forward``), combined per series by :func:`_intermittent_choice`."""
        from statsforecast import StatsForecast

        by_h: dict[int, list[str]] = {}
        for uid in ids:
            n = self.info_[uid].n
            by_h.setdefault(min(int(self.h), (n - 2 * _MIN_TRAIN) // self.n_windows), []).append(uid)
        models = intermittent_models()
        for h_bt, group in by_h.items():
            part = data[data["unique_id"].isin(group)]
            if h_bt < 1:
                for uid in group:
                    self.choice_[uid] = _short_choice(self.info_[uid].n, 1)
                    self._warn_short(uid, f"{self.info_[uid].n} periods are too few to backtest", self.choice_[uid],
                                     what)
                continue
            sf = StatsForecast(models=models, freq=self.freq_, n_jobs=self.n_jobs if len(group) >= 20 else 1)
            try:
                cv = sf.cross_validation(df=part, h=h_bt, n_windows=self.n_windows, step_size=h_bt, refit=True)
            except Exception as exc:  # statsforecast raises bare errors; name the group
                raise ForecastError(f"backtest failed for series {group[:3]}...: {exc}") from exc
            cv = cv.sort_values(["unique_id", "cutoff", "ds"])
            for uid, g in cv.groupby("unique_id", sort=False):
                first = g["cutoff"].min()
                train = part.loc[(part["unique_id"] == uid) & (part["ds"] <= first), "y"].to_numpy()
                self.choice_[uid] = _intermittent_choice(g, train, [m.alias for m in models], h_bt, self.level,
                                                         self.weight_power, self.min_weight)

    # -- predict -------------------------------------------------------------------------------
    def predict(self, h: int | None = None, n_paths: int = 0, seed: int = 0) -> ForecastResult:
        """Forecast ``h`` periods from the end of each history with what :meth:`fit` chose.

        Parameters
        ----------
        h : int, optional
            Horizon [periods]; defaults to the ``h`` the backtest targeted.
        n_paths : int
            Sample paths per series (0 for none).
        seed : int
            Seed of the sample paths.

        Returns
        -------
        ForecastResult
        """
        if not hasattr(self, "choice_"):
            raise ForecastError("call fit() before predict()")
        h = int(self.h if h is None else h)
        if h < 1:
            raise InputError(f"horizon must be >= 1, got {h}")
        last = self.history_.groupby("unique_id")["ds"].max()
        ys = {uid: g.to_numpy(dtype=float) for uid, g in self.history_.groupby("unique_id", sort=False)["y"]}
        intermittent = [u for u, c in self.choice_.items() if c.abs_half]
        parts = [self._final_intermittent(intermittent, h)] if intermittent else []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            for uid, choice in self.choice_.items():
                if choice.abs_half:
                    continue
                values = _final_values(choice, ys[uid], self.info_[uid], h, self.level, self._natural())
                ds = pd.date_range(last[uid], periods=h + 1, freq=self.freq_)[1:]
                parts.append(pd.DataFrame({"unique_id": uid, "ds": ds, **values, "model": choice.model}))
        fc = pd.concat(parts, ignore_index=True).sort_values(["unique_id", "ds"]).reset_index(drop=True)
        value_cols = ["forecast", *[f"{s}-{lv}" for lv in self.level for s in ("lo", "hi")]]
        _nest(fc, list(self.level))
        nonneg = self.history_.groupby("unique_id")["y"].min().ge(0)
        mask = fc["unique_id"].map(nonneg).to_numpy()
        fc.loc[mask, value_cols] = fc.loc[mask, value_cols].clip(lower=0)
        fc = fc[["unique_id", "ds", *value_cols, "model"]]
        paths = sample_paths(fc, self.level, {u: c.rho for u, c in self.choice_.items()}, n_paths, seed) \
            if n_paths > 0 else pd.DataFrame(columns=["unique_id", "ds", "sample", "y"])
        settings = {"h": h, "freq": self.freq_, "level": list(self.level), "n_windows": self.n_windows,
                    "n_series": len(self.choice_), "n_paths": n_paths, "seed": seed,
                    "weight_power": self.weight_power, "min_weight": self.min_weight}
        return ForecastResult(fc, paths, self._backtest_table(), settings)

    def _final_intermittent(self, ids: list[str], h: int) -> pd.DataFrame:
        """Intermittent series: the members fitted on the whole history and combined with their
        backtest weights, bounds at constant offsets from the point."""
        from statsforecast import StatsForecast

        data = self.history_[self.history_["unique_id"].isin(ids)]
        try:
            raw = StatsForecast(models=intermittent_models(), freq=self.freq_, n_jobs=1).forecast(df=data, h=h)
        except Exception as exc:
            raise ForecastError(f"intermittent models failed on series {ids[:3]}: {exc}") from exc
        raw = raw.reset_index() if "unique_id" not in raw.columns else raw
        parts = []
        for uid, g in raw.groupby("unique_id", sort=False):
            ch = self.choice_[uid]
            names, weights = ch.members or (ch.model,), ch.weights or (1.0,)
            point = sum(w * g[m].to_numpy(dtype=float) for m, w in zip(names, weights, strict=True))
            out = g[["unique_id", "ds"]].assign(forecast=point, model=ch.model)
            for lv in self.level:
                below, above = ch.abs_half[lv]
                out[f"lo-{lv}"], out[f"hi-{lv}"] = np.maximum(point - below, 0), point + above
            parts.append(out)
        return pd.concat(parts, ignore_index=True)

    def _backtest_table(self) -> pd.DataFrame:
        rows = []
        for uid, ch in self.choice_.items():
            row = {"unique_id": uid, "model": ch.model, "backtest_h": ch.h_bt,
                   "windows": self.n_windows if ch.metrics else 0, **ch.metrics}
            if ch.metrics:
                base = ch.metrics["seasonal_naive_mase"]
                row["mase_vs_seasonal_naive"] = ch.metrics["mase"] / base if base > 0 else np.nan
            row["members"] = "+".join(ch.members)
            row["weights"] = "/".join(f"{w:.3g}" for w in ch.weights)
            row["interval_method"] = f"{ch.calibration.method}, {ch.calibration.space} space" if ch.calibration else ""
            rows.append(row)
        cols = ["unique_id", "model", "members", "backtest_h", "windows", "mase", "seasonal_naive_mase",
                "mase_vs_seasonal_naive", "smape", "scaled_pinball", *[f"coverage_{lv}" for lv in self.level],
                "weights", "interval_method"]
        return pd.DataFrame(rows).reindex(columns=cols)


def _regular_series(task: tuple) -> _Choice | None:
    """One regular series: backtest every candidate, combine, refit the members, calibrate.

    ``None`` when every candidate fails; a short-history choice when the backtest cannot reach a
    third of the horizon (a trend fitted on a day and extrapolated over a month is not a forecast).
    """
    y, models, transform, season, plan, h, level, power, min_weight = task
    if 3 * plan.h < h:   # the backtest cannot reach a third of the horizon: no trend is validated that far
        return _short_choice(len(y), season)
    z = _forward(y, transform)
    fits = fit_forward(z, models, plan)
    by_alias = {m.alias: m for m in models}
    actual = np.array([z[c: c + plan.h] for c in plan.origins])
    y_act = _backward(actual, transform)
    scale = naive_scale(y[: plan.origins[0]], season)
    while fits:
        scores = {m: mase(y_act, _backward(mean, transform), scale) for m, (_, mean) in fits.items()}
        chosen, weights = members(scores, power, min_weight, prefer=BASELINE)
        finals, fitted = [], {}
        for m in chosen:
            rf = refit(by_alias[m], z, max(h, plan.h), level)
            if rf is None:   # cannot forecast from the end of the history: combine without it
                break
            fitted[m], fc = rf
            finals.append(fc)
        else:
            break
        del fits[m]
    else:
        return None
    # every window's point forecast with the half-widths of the refitted model's first plan.h leads
    # (computing each window's own intervals costs as much as the refit; calibration rescales them)
    windows = [{"mean": fits[m][1], **{k: fits[m][1] + (v[: plan.h] - fc["mean"][: plan.h])
                                          for k, v in fc.items() if k != "mean"}}
               for m, fc in zip(chosen, finals, strict=True)]
    finals = [{k: v[:h] for k, v in fc.items()} for fc in finals]
    bt = combine(windows, weights)
    half = {lv: (bt[f"hi-{lv}"] - bt[f"lo-{lv}"]) / 2 for lv in level}
    calib = cal.calibrate(actual, bt["mean"], half, transform, level)
    final = _calibrated(combine(finals, weights), calib, transform, level, y, season)
    name = "Ensemble" if len(chosen) > 1 else chosen[0]
    point = _backward(bt["mean"], transform)
    quantiles = {}
    for lv, (lo, hi) in calib.bands.items():
        quantiles[(1 - lv / 100) / 2], quantiles[1 - (1 - lv / 100) / 2] = lo, hi
    metrics = {"mase": mase(y_act, point, scale), "seasonal_naive_mase": scores.get(BASELINE, np.nan),
               "smape": smape(y_act, point), "scaled_pinball": scaled_pinball(y_act, quantiles, scale),
               **{f"coverage_{lv}": c for lv, c in calib.coverage.items()}}
    calib.bands = {}   # the backtest's bands are only needed for the metrics above
    return _Choice(name, plan.h, calib, calib.rho, metrics, chosen if len(chosen) > 1 else (), weights
                   if len(chosen) > 1 else (), fitted, final)


def _calibrated(fc: dict, calib: cal.Calibration, transform: str, level: Sequence[int], y: np.ndarray,
                season: int) -> dict[str, np.ndarray]:
    """The combined forecast ``fc`` (model space) with calibrated bounds (original values).

    Where the backtest saw no error at all at some leads (its windows held a flat stretch of a
    series that has moved before: a step-like GPU count), calibration would give those leads no
    width; they get the width of the history's own changes over the same lags instead
    (:func:`planner.forecast.fallback.short_history`), so a series that varies never gets a band
    of zero width.
    """
    half = {lv: (fc[f"hi-{lv}"] - fc[f"lo-{lv}"]) / 2 for lv in level}
    out = {"forecast": _backward(fc["mean"], transform), **cal.apply(calib, fc["mean"], half, transform)}
    flat = calib.ceiling[cal.band_of(calib.h, len(fc["mean"]), calib.n_windows)] <= 0
    if flat.any():
        own = short_history(y, transform, season, len(flat), level)
        for lv in level:
            width = own[f"hi-{lv}"] - own[f"lo-{lv}"]
            lo, hi = out[f"lo-{lv}"], out[f"hi-{lv}"]
            out[f"lo-{lv}"] = np.where(flat, np.minimum(lo, out["forecast"] - width / 2), lo)
            out[f"hi-{lv}"] = np.where(flat, np.maximum(hi, out["forecast"] + width / 2), hi)
    return out


def _final_values(choice: _Choice, y: np.ndarray, info: SeriesInfo, h: int, level: Sequence[int],
                  natural: int) -> dict[str, np.ndarray]:
    """Forecast and bounds of one non-intermittent series for ``h`` periods, original values."""
    if choice.model == "Constant":
        return {"forecast": np.full(h, y[-1]), **{f"{s}-{lv}": np.full(h, y[-1]) for lv in level for s in ("lo", "hi")}}
    if not choice.fitted:   # too short to backtest, or every candidate failed
        season = 1 if choice.model.startswith("Naive") else info.seasons[0] if info.seasons else natural
        return short_history(y, info.transform, season, h, level)
    if len(choice.final["forecast"]) == h:
        return choice.final
    finals = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for m in choice.members or (choice.model,):
            finals.append({k: np.asarray(v, float) for k, v in choice.fitted[m].predict(h=h, level=list(level)).items()})
    season = info.seasons[0] if info.seasons else natural
    return _calibrated(combine(finals, choice.weights or (1.0,)), choice.calibration, info.transform, level, y, season)


def _short_choice(n: int, season: int) -> _Choice:
    """The choice for a history of ``n`` periods too short to backtest (see :mod:`planner.forecast.fallback`)."""
    return _Choice("SeasonalNaive (short history)" if season > 1 and n > season else "Naive (short history)", 0)


def _intermittent_choice(g: pd.DataFrame, train: np.ndarray, names: list[str], h_bt: int,
                         level: Sequence[int], power: float, min_weight: float) -> _Choice:
    """Combine the intermittent candidates by their backtest MASE (as regular series are); the
    bounds lie at the combination's signed error quantiles (:func:`_offsets`), so a series that is
    mostly 0 keeps 0 inside its band."""
    scale = naive_scale(train, 1)
    y = g["y"].to_numpy()
    scores = {m: mase(y, g[m].to_numpy(), scale) for m in names}
    chosen, weights = members(scores, power, min_weight, prefer=BASELINE)
    point = sum(w * g[m].to_numpy(dtype=float) for m, w in zip(chosen, weights, strict=True))
    windows = g["cutoff"].to_numpy()
    err = y - point
    half, quantiles, metrics = {}, {}, {"mase": mase(y, point, scale), "seasonal_naive_mase": scores[BASELINE],
                                        "smape": smape(y, point)}
    zeros = float(np.mean(train == 0))
    for lv in level:
        half[lv] = _offsets(err, lv, zeros)
        lo, hi = np.empty_like(point), np.empty_like(point)
        for w in np.unique(windows):
            mask = windows == w
            below, above = _offsets(err[~mask], lv, zeros)
            lo[mask], hi[mask] = np.maximum(point[mask] - below, 0), point[mask] + above
        metrics[f"coverage_{lv}"] = coverage(y, lo, hi)
        quantiles[(1 - lv / 100) / 2], quantiles[1 - (1 - lv / 100) / 2] = lo, hi
    metrics["scaled_pinball"] = scaled_pinball(y, quantiles, scale)
    signed = (y - point).reshape(-1, h_bt)
    several = len(chosen) > 1
    return _Choice("Ensemble" if several else chosen[0], h_bt, None, cal._lag1(signed), metrics,
                   chosen if several else (), weights if several else (), abs_half=half)


def _offsets(err: np.ndarray, lv: int, zeros: float) -> tuple[float, float]:
    """How far below and above the point an interval at ``lv`` [%] reaches: the conformal
    quantiles of the signed errors on each side, at ``1 - (1 - lv / 100) / 2`` (never negative).
    When at least the lower tail's share of the history (``zeros``) is 0, the interval reaches
    down to 0 (the lower quantile of such a series is 0) and up to the errors' ``lv`` quantile, so
    that ``[0, hi]`` holds ``lv`` of the outcomes."""
    tail = (1 - lv / 100) / 2
    if zeros >= tail:
        return np.inf, max(conformal_quantile(err, lv / 100), 0.0)
    return max(conformal_quantile(-err, 1 - tail), 0.0), max(conformal_quantile(err, 1 - tail), 0.0)


def forecast(df: pd.DataFrame, h: int, freq: str | None = None, level: Sequence[int] = (80, 95),
             n_paths: int = 0, seed: int = 0, n_windows: int = 3, n_jobs: int = -1,
             progress: bool = False, **settings) -> ForecastResult:
    """Forecast every series of a long-format frame ``h`` periods ahead.

    Parameters
    ----------
    df : pandas.DataFrame, or a Dask / Spark / Ray DataFrame
        ``unique_id, ds, y`` (Nixtla long format), any regular frequency. A distributed frame is
        forecast where it lives, whole series per partition (:mod:`planner.forecast.distributed`),
        and gives the same result as pandas (``n_jobs`` and ``progress`` do not apply).
    h : int
        Horizon [periods].
    freq : str, optional
        pandas frequency; inferred when omitted.
    level : sequence of int
        Interval levels [%].
    n_paths : int
        Sample paths per series for scenario planning (0 for none).
    seed : int
        Seed of the sample paths.
    n_windows : int
        Backtest windows.
    n_jobs : int
        Processes (-1: all cores).
    progress : bool
        Progress bar on stderr.
    **settings
        ``weight_power``, ``min_weight`` of :class:`Forecaster`.

    Returns
    -------
    ForecastResult
        ``forecast``, ``paths``, ``backtest``, ``settings``.
    """
    from planner.forecast.distributed import forecast_distributed, is_distributed

    if is_distributed(df):
        return forecast_distributed(df, h, freq, level, n_paths, seed, n_windows)
    return Forecaster(h, level, n_windows, n_jobs, progress, **settings).fit(df, freq).predict(h, n_paths, seed)


def _nest(out: pd.DataFrame, levels: list[int]) -> None:
    """Widen bounds so that lo-95 <= lo-80 <= forecast <= hi-80 <= hi-95; the point never moves."""
    inner_lo = inner_hi = out["forecast"].to_numpy(dtype=float)
    for lv in sorted(levels):
        inner_lo = np.minimum(out[f"lo-{lv}"].to_numpy(dtype=float), inner_lo)
        inner_hi = np.maximum(out[f"hi-{lv}"].to_numpy(dtype=float), inner_hi)
        out[f"lo-{lv}"], out[f"hi-{lv}"] = inner_lo, inner_hi
