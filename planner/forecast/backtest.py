"""Rolling-origin backtest that fits each model once before the first origin.

For one series and one statsforecast model, the model is fitted on the history before the first
origin of its :class:`planner.forecast.windows.WindowPlan`; the later origins reuse those
parameters through the model's ``forward`` (the states are filtered on the longer history, the
parameters are not re-estimated), so every origin is forecast with parameters that did not see
what followed it, and the optimizers (ETS, Theta) run once per model and series. The models a
series' forecast is made of are then refitted on the whole history for the final forecast
(:func:`refit`). Many series are spread over processes (:func:`parallel_map`).
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from planner.forecast.windows import WindowPlan

__all__ = ["fit_forward", "refit", "parallel_map"]

#: Series below which the work stays in this process (starting workers costs more).
MIN_SERIES_FOR_PROCESSES = 20
#: Chunks per worker process: small chunks keep the workers busy to the end.
CHUNKS_PER_WORKER = 16


def _finite(d: dict) -> bool:
    return all(np.isfinite(np.asarray(v, dtype=float)).all() for v in d.values())


def fit_forward(z: np.ndarray, models: Sequence, plan: WindowPlan) -> dict[str, tuple]:
    """Fit each model before the first origin; its point forecasts from every origin.

    Parameters
    ----------
    z : numpy.ndarray
        The series in its model space, oldest first.
    models : sequence of statsforecast models
        Models with ``new``, ``fit``, ``predict`` and ``forward``, keyed by ``alias``.
    plan : WindowPlan
        The origins and the backtest horizon.

    Returns
    -------
    dict
        ``alias -> (fitted model, array of shape (windows, plan.h) of point forecasts)``; a model
        whose fit fails or forecasts a non-finite value is left out.
    """
    z = np.ascontiguousarray(z, dtype=float)
    cuts, h = plan.origins, plan.h
    out = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for model in models:
            try:
                fitted = model.new().fit(y=z[: cuts[0]])
                means = [fitted.predict(h=h)["mean"], *(fitted.forward(y=z[:c], h=h)["mean"] for c in cuts[1:])]
            except Exception:  # a model that cannot fit this series drops out of its combination
                continue
            mean = np.asarray(means, dtype=float)
            if np.isfinite(mean).all():
                out[model.alias] = (fitted, mean)
    return out


def refit(model, z: np.ndarray, h: int, level: Sequence[int]) -> tuple[object, dict] | None:
    """Fit ``model`` on the whole series; its forecast of ``h`` periods with intervals.

    Returns ``(fitted model, {"mean", "lo-L", "hi-L": arrays of h})``, or ``None`` when the fit or
    the forecast fails or is not finite.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fitted = model.new().fit(y=np.ascontiguousarray(z, dtype=float))
            fc = fitted.predict(h=h, level=list(level))
    except Exception:
        return None
    fc = {k: np.asarray(v, dtype=float) for k, v in fc.items()}
    return (fitted, fc) if _finite(fc) else None


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
