"""The whole forecast of a Dask, Spark or Ray DataFrame: planner's own forecaster on whole series.

Series are forecast independently (each one's models, weights, calibration and sample paths
depend on its own history only: :mod:`planner.forecast.paths` seeds every series apart), so the
frame is split into partitions that each hold whole series and :class:`planner.forecast.Forecaster`
runs on every partition where the data lives. The partitions' forecasts, sample paths, backtest
tables and warnings are collected into one :class:`ForecastResult` of pandas frames, equal to
the pandas run on the same series with the same seed.

- **Dask**: a frame indexed by ``unique_id`` with known divisions (``set_index("unique_id")``,
  ``from_pandas(..., sort=True)``) already keeps every series in one partition and is used as
  it is; any other Dask frame is first shuffled on ``unique_id``. One task per partition.
- **Spark, Ray** (or pandas with a Fugue ``engine``): Fugue's ``transform`` partitioned by
  ``unique_id`` (coarse: many whole series per call), each call returning its part of the result.

The collected result lives on the client: ``h`` rows per series, plus ``n_paths x h`` with paths.
"""

from __future__ import annotations

import math
import pickle
import threading
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from planner.exceptions import InputError
from planner.forecast.result import ForecastResult

__all__ = ["forecast_distributed", "is_distributed", "npartitions_for"]

#: Series per partition :func:`npartitions_for` aims at: enough work per task that the
#: forecaster's per-call setup (a few ms) is small next to it (60 ms per daily series of 730 days).
SERIES_PER_PARTITION = 250
#: ``warnings.catch_warnings`` (here and inside the forecaster) swaps process-wide state, so the
#: partitions given to threads of one worker process run one at a time (use worker processes).
_LOCK = threading.Lock()


def is_distributed(df: Any) -> bool:
    """True for a Dask, Spark or Ray DataFrame (anything but pandas)."""
    module = type(df).__module__.split(".")[0]
    return module in ("dask", "dask_expr", "pyspark", "ray")


def npartitions_for(n_series: int, workers: int) -> int:
    """Partitions for ``n_series`` on ``workers``: at least 4 per worker (so a slow partition does not
    leave the others idle), at most :data:`SERIES_PER_PARTITION` series each, never more than series."""
    return max(1, min(n_series, max(4 * workers, math.ceil(n_series / SERIES_PER_PARTITION))))


def forecast_distributed(df: Any, h: int, freq: str | None = None, level: Sequence[int] = (80, 95),
                         n_paths: int = 0, seed: int = 0, n_windows: int = 3, engine: Any = None,
                         what: str = "input") -> ForecastResult:
    """Forecast a distributed long-format frame; the same :class:`ForecastResult` as pandas.

    Parameters
    ----------
    df : dask.dataframe.DataFrame, pyspark.sql.DataFrame or ray.data.Dataset
        ``unique_id, ds, y`` (``unique_id`` may be a Dask frame's index). A pandas frame with a
        Fugue ``engine`` runs on that engine.
    h : int
        Horizon [periods].
    freq : str, optional
        pandas frequency; inferred from the first rows (first partition) when omitted. Pass it
        when the series do not all share one step.
    level : sequence of int
        Interval levels [%].
    n_paths : int
        Sample paths per series (0 for none).
    seed : int
        Seed of the sample paths (a series' paths equal the pandas run's with the same seed).
    n_windows : int
        Backtest windows.
    engine : optional
        Fugue engine for Spark / Ray (e.g. a ``SparkSession``); by default the one ``df`` belongs
        to. Dask frames run on the current Dask scheduler (a ``distributed.Client`` if one is
        active).
    what : str
        Name of the input, for messages and warnings.

    Returns
    -------
    ForecastResult
        ``forecast`` (sorted by ``unique_id, ds``), ``paths``, ``backtest`` (sorted by
        ``unique_id``) as pandas frames; ``settings`` as the pandas run's plus ``engine`` and
        ``partitions``. Warnings raised on the workers (gaps, short histories...) are raised again
        here.

    Raises
    ------
    InputError
        As the pandas run, raised on a worker; an error naming a row counts rows within that
        partition and says so (validate with :func:`planner.forecast.prepare.prepare` first for
        the rows of the whole input, as ``planner forecast --engine dask`` does).
    """
    levels = list(level)
    if freq is None:
        freq = _infer_freq(df, what)
    kwargs = {"h": int(h), "freq": freq, "level": levels, "n_windows": n_windows, "n_paths": int(n_paths),
              "seed": int(seed), "what": what}
    module = type(df).__module__.split(".")[0]
    if module in ("dask", "dask_expr"):
        parts, name = _on_dask(df, kwargs), "dask"
    else:
        parts, name = _on_fugue(df, kwargs, engine), module if module != "pandas" else f"fugue {engine}"
    parts = [p for p in parts if p is not None]
    if not parts:
        raise InputError(f"{what}: no rows")
    for message, category in (w for p in parts for w in p["warnings"]):
        warnings.warn(message, category, stacklevel=2)
    fc = pd.concat([p["forecast"] for p in parts], ignore_index=True)
    fc = fc.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)
    paths = pd.concat([p["paths"] for p in parts], ignore_index=True) if n_paths else parts[0]["paths"]
    if n_paths:  # series in the pandas order; each series' rows stay as drawn (sample-major)
        paths = paths.sort_values("unique_id", kind="stable").reset_index(drop=True)
    backtest = pd.concat([p["backtest"] for p in parts], ignore_index=True)
    backtest = backtest.sort_values("unique_id", kind="stable").reset_index(drop=True)
    settings = {**parts[0]["settings"], "n_series": sum(p["settings"]["n_series"] for p in parts),
                "engine": name, "partitions": len(parts)}
    return ForecastResult(fc, paths, backtest, settings,
                          created_at=datetime.now(UTC).replace(tzinfo=None))


def _forecast_part(part: pd.DataFrame, h: int, freq: str, level: list[int], n_windows: int, n_paths: int,
                   seed: int, what: str, partition: int | None = None) -> dict | None:
    """Forecast the whole series of one partition (on a worker); ``None`` for an empty partition.

    An input error that names a row counts rows within the partition, and says so."""
    from planner.forecast.engine import Forecaster

    if part.index.name == "unique_id":
        part = part.reset_index()
    if part.empty:
        return None
    with _LOCK, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = Forecaster(h, level, n_windows, n_jobs=1).fit(part[["unique_id", "ds", "y"]], freq, what) \
                .predict(h, n_paths, seed)
        except InputError as exc:
            if " row" not in str(exc):
                raise
            where = f"partition {partition}" if partition is not None else "its partition"
            raise type(exc)(f"{exc} (rows counted within {where}, sorted by unique_id)") from None
    seen, notes = set(), []
    for w in caught:
        if issubclass(w.category, UserWarning) and str(w.message) not in seen:
            seen.add(str(w.message))
            notes.append((str(w.message), w.category))
    return {"forecast": r.forecast, "paths": r.paths, "backtest": r.backtest, "settings": r.settings,
            "warnings": notes}


def _on_dask(df: Any, kwargs: dict) -> list[dict | None]:
    import dask

    if not (df.index.name == "unique_id" and df.known_divisions):
        if "unique_id" not in df.columns:
            raise InputError(f"{kwargs['what']}: the following columns are missing: ['unique_id']")
        df = df.shuffle(on="unique_id", npartitions=df.npartitions)
    tasks = [dask.delayed(_forecast_part)(part, **kwargs, partition=i) for i, part in enumerate(df.to_delayed())]
    return list(dask.compute(*tasks))


def _on_fugue(df: Any, kwargs: dict, engine: Any) -> list[dict | None]:
    from fugue import transform

    def _payload(part: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame({"payload": [pickle.dumps(_forecast_part(part, **kwargs))]})

    out = transform(df, _payload, schema="payload:binary", partition={"by": "unique_id", "algo": "coarse"},
                    engine=engine, as_local=True)
    return [pickle.loads(b) for b in pd.DataFrame(out)["payload"]]


def _infer_freq(df: Any, what: str) -> str:
    from planner.forecast.prepare import infer_freq

    module = type(df).__module__.split(".")[0]
    if module in ("dask", "dask_expr"):
        head = df.get_partition(0).head(5000, npartitions=1)
        head = head.reset_index() if head.index.name == "unique_id" else head
    elif hasattr(df, "toPandas"):  # Spark
        head = df.limit(5000).toPandas()
    elif hasattr(df, "to_pandas"):  # Ray Dataset
        head = df.limit(5000).to_pandas()
    else:
        head = df.head(5000)
    head = pd.DataFrame(head)
    missing = [c for c in ("unique_id", "ds") if c not in head.columns]
    if missing:
        raise InputError(f"{what}: the following columns are missing: {missing} (found {list(head.columns)[:8]})")
    head["ds"] = pd.to_datetime(head["ds"])
    return infer_freq(head.sort_values(["unique_id", "ds"]), what)
