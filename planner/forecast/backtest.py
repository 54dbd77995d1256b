"""Rolling-origin backtest that fits each model once and reuses the fit for every later origin.

For one series and one statsforecast model, the model is fitted on the history before the
first origin; the later origins and the final forecast from the end of the history reuse those
parameters through the model's ``forward`` (the states are filtered on the longer history, the
parameters are not re-estimated). This is statsforecast's ``cross_validation(refit=False)`` plus
the final forecast, without the second full fit the final forecast used to cost: the optimizers
(ETS, Theta) run once per model and series. Interval widths are computed once, from the end of
the history, and laid around every window's point forecast (computing them costs more than a
forecast); the calibration in :mod:`planner.forecast.engine` rescales them on the backtest
errors anyway. Many series are spread over processes.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

__all__ = ["origins", "fit_forward", "finish", "rolling_origin", "rolling_origin_many", "parallel_map"]

#: Series below which the work stays in this process (starting workers costs more).
MIN_SERIES_FOR_PROCESSES = 20
#: Chunks per worker process: small chunks keep the workers busy to the end.
CHUNKS_PER_WORKER = 16


def origins(n: int, h: int, n_windows: int) -> list[int]:
    """Lengths of the training history at each backtest origin, earliest first [periods].

    The windows of ``h`` periods tile the last ``h * n_windows`` periods of a history of ``n``.
    """
    return [n - h * (n_windows - i) for i in range(n_windows)]


def fit_forward(y: np.ndarray, models: Sequence, h: int, n_windows: int) -> dict[str, tuple]:
    """Fit each model before the first origin; point forecasts at every origin.

    Returns
    -------
    dict
        ``alias -> (fitted model, point forecasts of the n_windows * h backtest periods)``; models
        whose fit fails or gives non-finite forecasts are left out.
    """
    y = np.ascontiguousarray(y, dtype=float)
    cuts = origins(len(y), h, n_windows)
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model in models:
            try:
                fitted = model.new().fit(y=y[: cuts[0]])
                means = [fitted.predict(h=h)["mean"], *(fitted.forward(y=y[:c], h=h)["mean"] for c in cuts[1:])]
            except Exception:  # a model that cannot fit this series drops out of its choice
                continue
            mean = np.concatenate(means).astype(float)
            if np.isfinite(mean).all():
                out[model.alias] = (fitted, mean)
    return out


def finish(fitted, mean: np.ndarray, y: np.ndarray, h: int, n_windows: int, h_final: int,
           level: Sequence[int] = ()) -> dict | None:
    """Intervals of the backtest windows and the final forecast from the end of ``y``.

    The interval widths over the horizon come from the forecast at the end of the history and
    are laid around every window's point forecast. ``None`` when that forecast fails.
    """
    kw = {"level": list(level)} if level else {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            last = fitted.forward(y=np.ascontiguousarray(y, dtype=float), h=max(h, h_final), **kw)
    except Exception:
        return None
    last = {k: np.asarray(v, dtype=float) for k, v in last.items()}
    cv = {"mean": mean}
    for lv in level:
        hw = np.tile((last[f"hi-{lv}"][:h] - last[f"lo-{lv}"][:h]) / 2, n_windows)
        cv[f"lo-{lv}"], cv[f"hi-{lv}"] = mean - hw, mean + hw
    final = {k: v[:h_final] for k, v in last.items()} if h_final > 0 else {}
    ok = all(np.isfinite(v).all() for v in (*cv.values(), *final.values()))
    return {"cv": cv, "final": final} if ok else None


def rolling_origin(y: np.ndarray, models: Sequence, h: int, n_windows: int, h_final: int,
                   level: Sequence[int] = ()) -> dict[str, dict | None]:
    """Backtest forecasts and the final forecast of each model for one series.

    Parameters
    ----------
    y : numpy.ndarray
        The series (in the model space), oldest first.
    models : sequence of statsforecast models
        Models with ``fit``, ``predict`` and ``forward``; keyed by ``alias`` in the output.
    h : int
        Backtest horizon [periods]; ``n_windows`` windows of ``h`` tile the end of ``y``.
    n_windows : int
        Backtest origins.
    h_final : int
        Horizon of the final forecast from the end of ``y`` [periods] (0 for none).
    level : sequence of int
        Interval levels [%] (empty for point forecasts only).

    Returns
    -------
    dict
        ``alias -> {"cv": {key: array of n_windows * h}, "final": {key: array of h_final}}`` with
        keys ``mean``, ``lo-L``, ``hi-L`` (the backtest bounds are the point forecast plus or minus
        the final forecast's half-widths for steps 1..h); ``None`` for a model whose fit failed or
        gave non-finite forecasts.
    """
    fits = fit_forward(y, models, h, n_windows)
    return {m.alias: finish(*fits[m.alias], y, h, n_windows, h_final, level) if m.alias in fits else None
            for m in models}


def _chunk(args: tuple) -> list:
    fn, items = args
    return [fn(item) for item in items]


def parallel_map(fn, items: Sequence, n_jobs: int = -1) -> list:
    """``[fn(item) for item in items]`` over ``n_jobs`` processes (-1: all cores), in order.

    ``fn`` must be a module-level function; few items stay in this process.
    """
    workers = (os.cpu_count() or 1) if n_jobs == -1 else max(1, n_jobs)
    if workers == 1 or len(items) < MIN_SERIES_FOR_PROCESSES:
        return _chunk((fn, items))
    n_chunks = min(len(items), CHUNKS_PER_WORKER * workers)
    bounds = np.linspace(0, len(items), n_chunks + 1).astype(int)
    chunks = [(fn, list(items[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return [r for part in pool.map(_chunk, chunks) for r in part]


def _one(task: tuple) -> dict:
    return rolling_origin(*task)


def rolling_origin_many(ys: Sequence[np.ndarray], models: Sequence, h: int, n_windows: int, h_final: int,
                        level: Sequence[int] = (), n_jobs: int = -1) -> list[dict]:
    """:func:`rolling_origin` for many series, over ``n_jobs`` processes (-1: all cores).

    Returns one result per series, in the order of ``ys``.
    """
    return parallel_map(_one, [(y, models, h, n_windows, h_final, level) for y in ys], n_jobs)
