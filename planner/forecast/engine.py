"""The forecaster: rolling-origin backtest, per-series model choice, calibrated intervals.

For each group of alike series (same transform, seasons and feasible backtest horizon) every
candidate of :mod:`planner.forecast.candidates` is backtested over ``n_windows`` rolling origins:
parameters estimated once, before the first origin, and reused through ``forward`` for the later
origins and for the final forecast (:mod:`planner.forecast.backtest`; intermittent series go
through statsforecast's ``cross_validation``). Many series are spread over processes. Each
regular series is forecast by a weighted mean, in the model space, of all its candidates, the
weights falling with the :data:`WEIGHT_POWER` power of each one's backtest MASE relative to the best
(a candidate beyond :data:`OUTLIER_FACTOR` times the best is left out). Picking the best few
forecasts worse on the real hourly series, whose few short windows rank models poorly; equal
weights forecast worse on growing daily series, where models without a trend lag (figures in
the README, from ``benchmarks/forecast_bench.py``).
Intermittent series keep their single best candidate. Interval half-widths (in the model space)
are scaled by the split-conformal quantile of ``|actual - point| / half-width`` over the
backtest, so the intervals have the empirical coverage asked for; the coverage reported is
leave-one-window-out, so it is measured on windows the calibration did not see.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from tqdm import tqdm

from planner.exceptions import ForecastError, InputError, PlannerWarning
from planner.forecast.backtest import (
    finish,
    fit_forward,
    origins,
    parallel_map,
    rolling_origin_many,
)
from planner.forecast.candidates import BASELINE, intermittent_models, regular_models
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

__all__ = ["Forecaster", "forecast"]

_MIN_TRAIN = 10


#: A candidate whose backtest MASE exceeds this multiple of the best candidate's is left out of
#: the combination (a fit gone astray); every other candidate is in it.
OUTLIER_FACTOR = 10.0
#: Combination weights fall with this power of a candidate's backtest MASE relative to the best:
#: a candidate 20 % worse than the best gets about half its weight, one twice as bad 1/16.
WEIGHT_POWER = 4


@dataclass
class _Choice:
    model: str
    h_bt: int
    scale: float
    c: dict                      # level -> conformal factor or half-width; "method": scaled | flat
    rho: float                   # lag-1 correlation of standardized errors, for paths
    metrics: dict
    members: tuple[str, ...] = ()  # the ensemble's models, when model == "Ensemble"
    weights: tuple[float, ...] = ()  # their weights, adding up to 1


class Forecaster:
    """Forecast many series with per-series model selection and calibrated intervals.

    Parameters
    ----------
    h : int
        Horizon [periods] the backtest targets (``predict`` may ask for another).
    level : sequence of int
        Interval levels [%], e.g. ``(80, 95)``.
    n_windows : int
        Rolling-origin backtest windows (at least 2: coverage is measured leave-one-window-out).
    n_jobs : int
        Processes for statsforecast (-1: all cores).
    progress : bool
        Show a progress bar on stderr.

    Examples
    --------
    >>> fc = Forecaster(h=30).fit(series)          # doctest: +SKIP
    >>> result = fc.predict(n_paths=100)           # doctest: +SKIP
    """

    def __init__(self, h: int = 30, level: Sequence[int] = (80, 95), n_windows: int = 3,
                 n_jobs: int = -1, progress: bool = False) -> None:
        self.h = h
        self.level = tuple(level)
        self.n_windows = n_windows
        self.n_jobs = n_jobs
        self.progress = progress

    # -- fit -----------------------------------------------------------------------------------
    def fit(self, df: pd.DataFrame, freq: str | None = None, what: str = "input") -> Forecaster:
        """Validate the series, backtest the candidates and choose a model per series.

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
        self.final_: dict[str, dict] = {}
        groups = self._groups()
        bar = tqdm(total=len(frame["unique_id"].unique()), desc="backtesting", unit="series",
                   disable=not self.progress, file=None)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module="statsforecast")
            for (kind, transform, seasons, h_bt), ids in groups.items():
                if kind == "constant":
                    for uid in ids:
                        self.choice_[uid] = _Choice("Constant", 0, 1.0, {lv: 0.0 for lv in self.level}, 0.0, {})
                elif h_bt < 1:
                    for uid in ids:
                        n = self.info_[uid].n
                        self._fallback(uid, BASELINE if n > self._natural() else "Naive",
                                       f"{what}: series {uid!r}: {n} periods are too few to backtest")
                else:
                    self._backtest(kind, transform, seasons, h_bt, ids)
                    for uid in ids:
                        if self.choice_[uid] is None:
                            self._fallback(uid, "Naive", f"{what}: series {uid!r}: every candidate model failed "
                                                         "on its backtest")
                bar.update(len(ids))
        bar.close()
        return self

    def _fallback(self, uid: str, model: str, reason: str) -> None:
        """Forecast ``uid`` with ``model`` fitted on its whole history, intervals uncalibrated; warn why."""
        self.choice_[uid] = _Choice(model, 0, 1.0, {lv: 1.0 for lv in self.level}, 0.5, {})
        name = "seasonal naive" if model == BASELINE else "naive (last value)"
        warnings.warn(f"{reason}; using the {name} forecast with uncalibrated intervals", PlannerWarning,
                      stacklevel=3)

    def _groups(self) -> dict[tuple, list[str]]:
        groups: dict[tuple, list[str]] = {}
        for uid, info in self.info_.items():
            h_bt = self._backtest_h(info)
            while h_bt < 1 and len(info.seasons) > 1:
                warnings.warn(f"series {uid!r}: {info.n} periods leave no room to backtest a season of "
                              f"{info.seasons[-1]}; that cycle is not modelled", PlannerWarning, stacklevel=3)
                info.seasons = info.seasons[:-1]
                h_bt = self._backtest_h(info)
            key = (info.kind, info.transform, info.seasons, max(h_bt, 0))
            groups.setdefault(key, []).append(uid)
        return groups

    def _natural(self) -> int:
        natural = season_candidates(self.freq_)
        return natural[0] if natural else 1

    def _backtest_h(self, info: SeriesInfo) -> int:
        min_train = max(_MIN_TRAIN, 2 * max(info.seasons or (self._natural(),)))
        return min(self.h, (info.n - min_train) // self.n_windows)

    def _sf(self, models: list, n_series: int):
        from statsforecast import StatsForecast

        return StatsForecast(models=models, freq=self.freq_, n_jobs=self.n_jobs if n_series >= 20 else 1)

    def _backtest(self, kind: str, transform: str, seasons: tuple[int, ...], h_bt: int, ids: list[str]) -> None:
        data = self.history_[self.history_["unique_id"].isin(ids)]
        if kind != "intermittent":
            self._backtest_regular(data, transform, seasons, h_bt, ids)
            return
        for uid, g, train, names in self._intermittent_windows(data, h_bt, ids):
            self.choice_[uid] = _choose(g, train, names, kind, transform, 1, h_bt, self.level)

    def _intermittent_windows(self, data: pd.DataFrame, h_bt: int, ids: list[str]):
        """Backtest intermittent series with statsforecast (refit at every origin: the models are cheap)."""
        models = intermittent_models()
        try:
            cv = self._sf(models, len(ids)).cross_validation(df=data, h=h_bt, n_windows=self.n_windows,
                                                             step_size=h_bt, refit=True)
        except Exception as exc:  # statsforecast raises bare errors; name the group
            raise ForecastError(f"backtest failed for series {ids[:3]}...: {exc}") from exc
        cv = cv.sort_values(["unique_id", "cutoff", "ds"])
        first_cut = cv.groupby("unique_id")["cutoff"].min()
        for uid, g in cv.groupby("unique_id", sort=False):
            train = data.loc[(data["unique_id"] == uid) & (data["ds"] <= first_cut[uid]), "y"].to_numpy()
            yield uid, g, train, [m.alias for m in models]

    def _backtest_regular(self, data: pd.DataFrame, transform: str, seasons: tuple[int, ...], h_bt: int,
                          ids: list[str]) -> None:
        """Backtest and choose for regular series in the model space, each candidate fitted once per
        series (:mod:`planner.forecast.backtest`), many series over processes; the chosen models'
        final forecasts for ``h`` are kept for :meth:`predict`."""
        models = regular_models(seasons, self._natural(), transform)
        season = seasons[0] if seasons else self._natural()
        ys = {uid: g.to_numpy(dtype=float) for uid, g in data.groupby("unique_id", sort=False)["y"]}
        tasks = [(ys[uid], models, transform, season, h_bt, self.n_windows, int(self.h), self.level) for uid in ids]
        for uid, result in zip(ids, parallel_map(_regular_series, tasks, self.n_jobs), strict=True):
            self.choice_[uid], self.final_[uid] = result or (None, None)

    # -- predict -------------------------------------------------------------------------------
    def predict(self, h: int | None = None, n_paths: int = 0, seed: int = 0) -> ForecastResult:
        """Forecast ``h`` periods from the end of each history with the models chosen in :meth:`fit`.

        Regular series reuse the parameters fitted before the first backtest origin (their
        forecasts for the ``h`` of the backtest are already computed); intermittent series and
        histories too short to backtest are fitted on their whole history.

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
        parts = []
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning)
            warnings.filterwarnings("ignore", category=UserWarning, module="statsforecast")
            for key, ids in self._final_groups().items():
                parts.append(self._final(key, ids, h))
        fc = pd.concat(parts, ignore_index=True).sort_values(["unique_id", "ds"]).reset_index(drop=True)
        paths = sample_paths(fc, self.level, {u: c.rho for u, c in self.choice_.items()}, n_paths, seed) \
            if n_paths > 0 else pd.DataFrame(columns=["unique_id", "ds", "sample", "y"])
        settings = {"h": h, "freq": self.freq_, "level": list(self.level), "n_windows": self.n_windows,
                    "n_series": len(self.choice_), "n_paths": n_paths, "seed": seed}
        return ForecastResult(fc, paths, self._backtest_table(), settings)

    def _final_groups(self) -> dict[tuple, list[str]]:
        groups: dict[tuple, list[str]] = {}
        for uid, choice in self.choice_.items():
            info = self.info_[uid]
            key = (info.kind, info.transform, info.seasons, choice.model, choice.members, choice.h_bt > 0)
            groups.setdefault(key, []).append(uid)
        return groups

    def _final(self, key: tuple, ids: list[str], h: int) -> pd.DataFrame:
        kind, transform, seasons, model, members, backtested = key
        data = self.history_[self.history_["unique_id"].isin(ids)]
        levels = list(self.level)
        if model == "Constant":
            last = data.groupby("unique_id")["y"].last()
            future = _future_index(data, self.freq_, h)
            out = future.assign(forecast=future["unique_id"].map(last))
            for lv in levels:
                out[f"lo-{lv}"] = out[f"hi-{lv}"] = out["forecast"]
            return out.assign(model="Constant")
        if kind == "intermittent" or not backtested:
            raw = self._final_statsforecast(kind, seasons, model, members, data, transform, h)
        else:
            raw = self._final_regular(seasons, members or (model,), data, transform, h)
        raw = raw.reset_index() if "unique_id" not in raw.columns else raw
        if members:
            raw = _add_ensemble(raw, members, self.level,
                                np.array([self.choice_[u].weights for u in raw["unique_id"]]).T)
        out = raw[["unique_id", "ds"]].copy()
        point = raw[model].to_numpy()
        c = raw["unique_id"].map(lambda u: self.choice_[u].c)
        for lv in levels:
            factor = c.map(lambda d, lv=lv: d[lv]).to_numpy(dtype=float)
            if kind == "intermittent":
                lo, hi = point - factor, point + factor
            else:
                hw = (raw[f"{model}-hi-{lv}"].to_numpy() - raw[f"{model}-lo-{lv}"].to_numpy()) / 2
                flat = c.map(lambda d: d.get("method") == "flat").to_numpy(dtype=bool)
                hw = np.where(flat, 1.0, hw)
                lo, hi = point - factor * hw, point + factor * hw
            out[f"lo-{lv}"], out[f"hi-{lv}"] = _backward(lo, transform), _backward(hi, transform)
        out["forecast"] = _backward(point, transform)
        _nest(out, levels)
        nonneg = self.history_.groupby("unique_id")["y"].min().ge(0)
        mask = out["unique_id"].map(nonneg).to_numpy()
        value_cols = ["forecast", *[f"{s}-{lv}" for lv in levels for s in ("lo", "hi")]]
        out.loc[mask, value_cols] = out.loc[mask, value_cols].clip(lower=0)
        return out.assign(model=model)[["unique_id", "ds", *value_cols, "model"]]

    def _final_statsforecast(self, kind, seasons, model, members, data, transform, h) -> pd.DataFrame:
        """Fit the chosen model on the whole history (intermittent series and short-history fallbacks)."""
        levels = list(self.level)
        candidates = intermittent_models() if kind == "intermittent" else regular_models(seasons, self._natural(), transform)
        wanted = members or (model,)
        if model == "Naive" and all(m.alias != "Naive" for m in candidates):
            from statsforecast.models import Naive

            candidates = [*candidates, Naive(alias="Naive")]
        chosen = [m for m in candidates if m.alias in wanted]
        z = data.assign(y=_forward(data["y"].to_numpy(), transform))
        try:
            return self._sf(chosen, data["unique_id"].nunique()).forecast(
                df=z, h=h, level=None if kind == "intermittent" else levels)
        except Exception as exc:
            raise ForecastError(f"{model} failed on series {list(data['unique_id'].unique()[:3])}: {exc}") from exc

    def _final_regular(self, seasons, wanted, data, transform, h) -> pd.DataFrame:
        """The chosen models' forecasts from the end of the history, with the parameters fitted at
        the first backtest origin: kept from :meth:`fit` for its ``h``, recomputed for another."""
        future = _future_index(data, self.freq_, h)
        ids = list(future["unique_id"].unique())
        if h != int(self.h):
            models = [m for m in regular_models(seasons, self._natural(), transform) if m.alias in wanted]
            ys = {uid: _forward(g.to_numpy(dtype=float), transform) for uid, g in data.groupby("unique_id")["y"]}
            finals = {}
            for h_bt in sorted({self.choice_[u].h_bt for u in ids}):
                sub = [u for u in ids if self.choice_[u].h_bt == h_bt]
                res = rolling_origin_many([ys[u] for u in sub], models, h_bt, self.n_windows, h, self.level, self.n_jobs)
                finals.update({u: {m: r[m]["final"] for m in wanted if r.get(m) is not None}
                               for u, r in zip(sub, res, strict=True)})
        else:
            finals = {u: self.final_[u] for u in ids}
        missing = [u for u in ids if set(finals[u]) != set(wanted)]
        if missing:
            raise ForecastError(f"{'+'.join(wanted)} failed on the whole history of series {missing[:3]}")
        cols = {}
        for m in wanted:
            cols[m] = np.concatenate([finals[u][m]["mean"] for u in ids])
            for lv in self.level:
                for side in ("lo", "hi"):
                    cols[f"{m}-{side}-{lv}"] = np.concatenate([finals[u][m][f"{side}-{lv}"] for u in ids])
        return future.assign(**cols)

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
            rows.append(row)
        cols = ["unique_id", "model", "members", "backtest_h", "windows", "mase", "seasonal_naive_mase", "mase_vs_seasonal_naive",
                "smape", "scaled_pinball", *[f"coverage_{lv}" for lv in self.level], "weights"]
        return pd.DataFrame(rows).reindex(columns=cols)


def _regular_series(task: tuple) -> tuple[_Choice, dict] | None:
    """One regular series: backtest every candidate, choose, calibrate; the chosen models' final forecasts.

    Intervals (which cost more than a forecast) are computed for the combination's members and
    seasonal naive only. ``None`` when every candidate fails.
    """
    y, models, transform, season, h_bt, n_windows, h, level = task
    z = _forward(y, transform)
    fits = fit_forward(z, models, h_bt, n_windows)
    if not fits:
        return None
    cuts = origins(len(z), h_bt, n_windows)
    train, actual = y[: cuts[0]], _backward(z[cuts[0]:], transform)
    scale = naive_scale(train, season)
    scores = {m: mase(actual, _backward(mean, transform), scale) for m, (_, mean) in fits.items()}
    finished = {}
    for m in dict.fromkeys((*_members(scores), *([BASELINE] if BASELINE in scores else []))):
        finished[m] = finish(*fits[m], z, h_bt, n_windows, h, level)
        if finished[m] is None:  # cannot forecast from the end of the history: choose without it
            return _regular_series((y, [c for c in models if c.alias != m], transform, season, h_bt, n_windows,
                                    h, level))
    cols = {"y": z[cuts[0]:], "cutoff": np.repeat(cuts, h_bt)}
    for m, res in finished.items():
        cols.update({m if k == "mean" else f"{m}-{k}": v for k, v in res["cv"].items()})
    choice = _choose(pd.DataFrame(cols), train, list(scores), "regular", transform, season, h_bt, level,
                     scores)
    return choice, {m: finished[m]["final"] for m in (choice.members or (choice.model,))}


def _members(scores: dict[str, float]) -> tuple[str, ...]:
    """The models a regular series' forecast is made of, in candidate order: every candidate whose
    backtest MASE is within :data:`OUTLIER_FACTOR` of the best; the best alone (seasonal naive on
    ties) when that leaves one."""
    best = min(scores, key=lambda m: (round(scores[m], 12), m != BASELINE))
    members = tuple(m for m in scores if scores[m] <= OUTLIER_FACTOR * scores[best])
    return members if len(members) > 1 else (best,)


def _weights(scores: list[float]) -> tuple[float, ...]:
    """Combination weights from backtest MASE: ``(mase / best) ** -WEIGHT_POWER``, adding up to 1."""
    x = np.asarray(scores, dtype=float)
    best = x.min()
    w = (x / best) ** -WEIGHT_POWER if best > 0 else (x == 0).astype(float)
    return tuple(float(v) for v in w / w.sum())


def _choose(g: pd.DataFrame, train: np.ndarray, names: list[str], kind: str, transform: str, season: int,
            h_bt: int, level: tuple[int, ...], scores: dict | None = None) -> _Choice:
    """Score the candidates of one series on its backtest, form the ensemble, calibrate the intervals."""
    intermittent = kind == "intermittent"
    scale = naive_scale(train, season)
    y = _backward(g["y"].to_numpy(), transform)
    if scores is None:
        scores = {m: mase(y, _backward(g[m].to_numpy(), transform), scale) for m in names}
    scores = dict(scores)
    members: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()
    if intermittent:
        best = min(names, key=lambda m: (round(scores[m], 12), m != BASELINE))
    else:
        ranked = _members(scores)
        if len(ranked) > 1:
            members, weights = ranked, _weights([scores[m] for m in ranked])
            g = _add_ensemble(g, members, level, weights)
            scores["Ensemble"] = mase(y, _backward(g["Ensemble"].to_numpy(), transform), scale)
        best = "Ensemble" if members else ranked[0]
    windows = g["cutoff"].to_numpy()
    if intermittent:
        c, rho, bands = _calibrate_abs(g, best, windows, level)
    else:
        c, rho, bands = _calibrate_scaled(g, best, windows, transform, level)
    metrics = {"mase": scores[best], "seasonal_naive_mase": scores[BASELINE],
               "smape": smape(y, _backward(g[best].to_numpy(), transform))}
    quantiles = {}
    for lv, (lo, hi) in bands.items():
        metrics[f"coverage_{lv}"] = coverage(y, lo, hi)
        quantiles[(1 - lv / 100) / 2], quantiles[1 - (1 - lv / 100) / 2] = lo, hi
    metrics["scaled_pinball"] = scaled_pinball(y, quantiles, scale)
    return _Choice(best, h_bt, scale, c, rho, metrics, members, weights)


def _calibrate_scaled(g: pd.DataFrame, model: str, windows: np.ndarray, transform: str, level: tuple[int, ...]):
    """Conformal calibration in the model space, choosing per series between two widths.

    ``scaled``: the model's half-width times the conformal quantile of |z - point| / half-width
    (keeps the model's growth over the horizon). ``flat``: the conformal quantile of |z - point|
    at every step. The one with the lower leave-one-window-out interval score wins; the
    returned factors are keyed by level plus ``"method"``.
    """
    z, point = g["y"].to_numpy(), g[model].to_numpy()
    err = np.abs(z - point)
    options = {}
    for method in ("scaled", "flat"):
        c, bands, score = {}, {}, 0.0
        for lv in level:
            hw = (g[f"{model}-hi-{lv}"].to_numpy() - g[f"{model}-lo-{lv}"].to_numpy()) / 2
            hw = np.where(hw > 0, hw, np.nan) if method == "scaled" else np.ones_like(z)
            ratio = err / hw
            c[lv] = conformal_quantile(ratio, lv / 100)
            lo, hi = np.empty_like(z), np.empty_like(z)
            for w in np.unique(windows):
                mask = windows == w
                cw = conformal_quantile(ratio[~mask], lv / 100)
                lo[mask] = point[mask] - cw * np.nan_to_num(hw[mask])
                hi[mask] = point[mask] + cw * np.nan_to_num(hw[mask])
            alpha = 1 - lv / 100
            score += np.mean(hi - lo + 2 / alpha * (np.maximum(lo - z, 0) + np.maximum(z - hi, 0)))
            bands[lv] = (_backward(lo, transform), _backward(hi, transform))
        options[method] = (score, c, bands)
    method = min(options, key=lambda m: options[m][0])
    _, c, bands = options[method]
    c["method"] = method
    lv0 = level[0]
    hw0 = (g[f"{model}-hi-{lv0}"].to_numpy() - g[f"{model}-lo-{lv0}"].to_numpy()) / 2
    u = (z - point) / (np.where(hw0 > 0, hw0, 1.0) if method == "scaled" else 1.0)
    return c, _lag1(u, windows), bands


def _calibrate_abs(g: pd.DataFrame, model: str, windows: np.ndarray, level: tuple[int, ...]):
    """Intermittent series: constant half-widths from absolute backtest errors."""
    err = g["y"].to_numpy() - g[model].to_numpy()
    point = g[model].to_numpy()
    c, bands = {}, {}
    for lv in level:
        c[lv] = conformal_quantile(np.abs(err), lv / 100)
        lo, hi = np.empty_like(point), np.empty_like(point)
        for w in np.unique(windows):
            mask = windows == w
            q = conformal_quantile(np.abs(err[~mask]), lv / 100)
            lo[mask], hi[mask] = np.maximum(point[mask] - q, 0), point[mask] + q
        bands[lv] = (lo, hi)
    return c, _lag1(err, windows), bands


def forecast(df: pd.DataFrame, h: int, freq: str | None = None, level: Sequence[int] = (80, 95),
             n_paths: int = 0, seed: int = 0, n_windows: int = 3, n_jobs: int = -1,
             progress: bool = False) -> ForecastResult:
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

    Returns
    -------
    ForecastResult
        ``forecast``, ``paths``, ``backtest``, ``settings``.
    """
    from planner.forecast.distributed import forecast_distributed, is_distributed

    if is_distributed(df):
        return forecast_distributed(df, h, freq, level, n_paths, seed, n_windows)
    return Forecaster(h, level, n_windows, n_jobs, progress).fit(df, freq).predict(h, n_paths, seed)


def _add_ensemble(frame: pd.DataFrame, members: tuple[str, ...], levels, weights) -> pd.DataFrame:
    """Add ``Ensemble`` columns: the members' weighted mean point and half-width, in the model space.

    ``weights`` has one entry per member, or one row per member and one column per row of ``frame``.
    """
    w = np.asarray(weights, dtype=float)
    w = w[:, None] if w.ndim == 1 else w
    point = np.sum(w * [frame[m].to_numpy(dtype=float) for m in members], axis=0)
    cols = {"Ensemble": point}
    for lv in levels:
        hw = np.sum(w * [frame[f"{m}-hi-{lv}"].to_numpy(dtype=float) - frame[f"{m}-lo-{lv}"].to_numpy(dtype=float)
                         for m in members], axis=0) / 2
        cols[f"Ensemble-lo-{lv}"], cols[f"Ensemble-hi-{lv}"] = point - hw, point + hw
    base = frame.drop(columns=[c for c in cols if c in frame.columns])
    return pd.concat([base, pd.DataFrame(cols, index=frame.index)], axis=1)


def _nest(out: pd.DataFrame, levels: list[int]) -> None:
    """Widen bounds so that lo-95 <= lo-80 <= forecast <= hi-80 <= hi-95; the point never moves."""
    inner_lo = inner_hi = out["forecast"].to_numpy(dtype=float)
    for lv in sorted(levels):
        inner_lo = np.minimum(out[f"lo-{lv}"].to_numpy(dtype=float), inner_lo)
        inner_hi = np.maximum(out[f"hi-{lv}"].to_numpy(dtype=float), inner_hi)
        out[f"lo-{lv}"], out[f"hi-{lv}"] = inner_lo, inner_hi


def _lag1(u: np.ndarray, windows: np.ndarray) -> float:
    pairs = [(u[windows == w][:-1], u[windows == w][1:]) for w in np.unique(windows)]
    a = np.concatenate([p[0] for p in pairs])
    b = np.concatenate([p[1] for p in pairs])
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return 0.5
    return float(np.clip(np.corrcoef(a[ok], b[ok])[0, 1], 0.0, 0.98))


def _future_index(data: pd.DataFrame, freq: str, h: int) -> pd.DataFrame:
    last = data.groupby("unique_id")["ds"].max()
    return pd.concat([pd.DataFrame({"unique_id": uid, "ds": pd.date_range(t, periods=h + 1, freq=freq)[1:]})
                      for uid, t in last.items()], ignore_index=True)


