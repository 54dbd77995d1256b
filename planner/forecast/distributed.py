"""The same forecast on a Dask, Spark or Ray DataFrame, through Fugue (statsforecast's backend).

Series are independent, so the frame is split by ``unique_id`` (whole series per partition) and
:func:`planner.forecast.forecast` runs on each partition where the data lives; the result is a
frame of the same engine. Backtest tables and sample paths stay on the pandas path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

__all__ = ["forecast_distributed", "is_distributed"]


def is_distributed(df: Any) -> bool:
    """True for a Dask, Spark or Ray DataFrame (anything but pandas)."""
    module = type(df).__module__.split(".")[0]
    return module in ("dask", "dask_expr", "pyspark", "ray")


def forecast_distributed(df: Any, h: int, freq: str | None = None, level: Sequence[int] = (80, 95),
                         n_windows: int = 3, engine: Any = None) -> Any:
    """Forecast a distributed long-format frame; returns the forecast table on the same engine.

    Parameters
    ----------
    df : dask.dataframe.DataFrame, pyspark.sql.DataFrame or ray.data.Dataset
        ``unique_id, ds, y``.
    h : int
        Horizon [periods].
    freq : str, optional
        pandas frequency; inferred from the first rows when omitted.
    level : sequence of int
        Interval levels [%].
    n_windows : int
        Backtest windows.
    engine : optional
        Fugue engine (e.g. a ``distributed.Client``); by default the one ``df`` belongs to.

    Returns
    -------
    Same type as ``df``
        ``unique_id, ds, forecast, lo-L, hi-L..., model``.
    """
    from fugue import transform

    from planner.forecast.engine import forecast
    from planner.forecast.prepare import infer_freq

    levels = sorted(level)
    if freq is None:
        if type(df).__module__.startswith(("dask", "dask_expr")):
            head = df.head(5000, npartitions=-1)
        elif hasattr(df, "limit"):  # Spark
            head = df.limit(5000).toPandas()
        else:  # Ray Dataset
            head = df.limit(5000).to_pandas()
        head = pd.DataFrame(head)
        head["ds"] = pd.to_datetime(head["ds"])
        freq = infer_freq(head.sort_values(["unique_id", "ds"]))
    bounds = ",".join(f"`{s}-{lv}`:double" for lv in levels for s in ("lo", "hi"))
    schema = f"unique_id:str,ds:datetime,forecast:double,{bounds},model:str"

    def _run(part: pd.DataFrame) -> pd.DataFrame:
        out = forecast(part, h, freq=freq, level=levels, n_windows=n_windows, n_jobs=1).forecast
        return out[["unique_id", "ds", "forecast", *[f"{s}-{lv}" for lv in levels for s in ("lo", "hi")], "model"]]

    return transform(df, _run, schema=schema, partition={"by": "unique_id", "algo": "coarse"}, engine=engine)
