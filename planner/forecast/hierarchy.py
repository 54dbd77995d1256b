"""Forecasts that add up: team -> product -> org, model -> provider -> total.

:func:`forecast_hierarchy` aggregates bottom-level series along a hierarchy (hierarchicalforecast
``aggregate``), forecasts every node with :func:`planner.forecast.forecast` and reconciles with
hierarchicalforecast's MinTrace (structural weights by default, non-negative). Token counts are
huge and the non-negative MinTrace quadratic program fails on large values, so everything is
divided by the largest history value first and multiplied back after. The point forecast and
every sample path go through the same reconciliation and add up exactly; each interval bound is
projected the same way (bounds of a sum are not sums of bounds, so these are an approximation,
re-nested after projection; use the paths for exact probabilistic statements).
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence

import pandas as pd

from planner.exceptions import ForecastError, InputError
from planner.forecast.engine import _nest, forecast
from planner.forecast.result import ForecastResult

__all__ = ["forecast_hierarchy", "hierarchy_sums"]


def forecast_hierarchy(
    df: pd.DataFrame,
    spec: Sequence[Sequence[str]],
    h: int,
    freq: str | None = None,
    level: Sequence[int] = (80, 95),
    method: str = "wls_struct",
    n_paths: int = 0,
    seed: int = 0,
    **kwargs,
) -> ForecastResult:
    """Forecast every node of a hierarchy so that children add up to their parents.

    Parameters
    ----------
    df : pandas.DataFrame
        Bottom-level rows: one column per hierarchy level (e.g. ``org, team, product``), ``ds``
        and ``y``.
    spec : sequence of sequence of str
        Levels from the top, e.g. ``[["org"], ["org", "team"], ["org", "team", "product"]]``;
        node ids join the values with ``/`` (``acme/search/autocomplete``).
    h : int
        Horizon [periods].
    freq : str, optional
        pandas frequency; inferred when omitted.
    level : sequence of int
        Interval levels [%].
    method : str
        MinTrace method without in-sample residuals: ``"wls_struct"`` or ``"ols"``.
    n_paths : int
        Sample paths per node (reconciled too).
    seed : int
        Seed of the sample paths.
    **kwargs
        Passed to :func:`planner.forecast.forecast`.

    Returns
    -------
    ForecastResult
        Coherent ``forecast`` (and ``paths``) for every node; ``backtest`` of the base forecasts;
        ``settings["hierarchy"]`` lists the nodes per level.
    """
    from hierarchicalforecast.core import HierarchicalReconciliation
    from hierarchicalforecast.methods import MinTrace
    from hierarchicalforecast.utils import aggregate

    if method not in ("wls_struct", "ols"):
        raise InputError(f"unknown reconciliation method {method!r}; expected 'wls_struct' or 'ols'")
    columns = sorted({c for lv in spec for c in lv})
    missing = [c for c in [*columns, "ds", "y"] if c not in df.columns]
    if missing:
        raise InputError(f"hierarchy input: the following columns are missing: {missing}")
    bottom = df[[*columns, "ds", "y"]].copy()
    bottom[columns] = bottom[columns].astype(str)
    bottom["ds"] = pd.to_datetime(bottom["ds"])
    y_df, s_df, tags = aggregate(bottom, [list(lv) for lv in spec])
    base = forecast(y_df, h, freq=freq, level=level, n_paths=n_paths, seed=seed, **kwargs)
    scale = float(y_df["y"].abs().max()) or 1.0
    values = [c for c in base.forecast.columns if c == "forecast" or c.startswith(("lo-", "hi-"))]
    reconcile = HierarchicalReconciliation(reconcilers=[MinTrace(method=method, nonnegative=True)])

    def _reconcile(wide: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
        scaled = wide.assign(**{c: wide[c] / scale for c in cols})
        try:
            with warnings.catch_warnings():  # qpsolvers' notes on matrix formats, not the user's concern
                warnings.simplefilter("ignore")
                out = reconcile.reconcile(Y_hat_df=scaled, S_df=s_df, tags=tags)
        except Exception as exc:  # the QP solver's own errors carry no context
            raise ForecastError(f"MinTrace ({method}) reconciliation failed: {exc}") from exc
        rec = {c: next(k for k in out.columns if k.startswith(f"{c}/")) for c in cols}
        return wide[["unique_id", "ds"]].merge(
            out[["unique_id", "ds", *rec.values()]].rename(columns={v: k for k, v in rec.items()}),
            on=["unique_id", "ds"]).assign(**{c: lambda d, c=c: d[c] * scale for c in cols})

    fc = _reconcile(base.forecast[["unique_id", "ds", *values]], values)
    _nest(fc, list(level))
    fc[values] = fc[values].clip(lower=0)
    fc = fc.merge(base.forecast[["unique_id", "ds", "model"]], on=["unique_id", "ds"])
    paths = base.paths
    if n_paths:
        wide = base.paths.pivot_table(index=["unique_id", "ds"], columns="sample", values="y").reset_index()
        wide.columns = ["unique_id", "ds", *[f"p{c}" for c in wide.columns[2:]]]
        cols = [c for c in wide.columns if c.startswith("p")]
        rec = _reconcile(wide, cols).melt(id_vars=["unique_id", "ds"], var_name="sample", value_name="y")
        rec["sample"] = rec["sample"].str[1:].astype(int)
        paths = rec.sort_values(["unique_id", "sample", "ds"]).reset_index(drop=True)
    nodes = {k: list(map(str, v)) for k, v in tags.items()}
    return dataclasses.replace(base, forecast=fc, paths=paths,
                               settings={**base.settings, "hierarchy": nodes, "reconciliation": f"MinTrace {method}"})


def hierarchy_sums(forecast_df: pd.DataFrame, column: str = "forecast") -> pd.DataFrame:
    """Check coherence: for every parent node, its value minus the sum of its direct children.

    Node ids are ``/``-joined paths, so a node's children are the ids one level deeper that start
    with it. Returns ``unique_id, ds, gap`` (0 everywhere for a coherent forecast) [units of y].
    """
    ids = forecast_df["unique_id"].unique()
    depth = {u: u.count("/") for u in ids}
    rows = []
    pivot = forecast_df.pivot(index="ds", columns="unique_id", values=column)
    for parent in ids:
        children = [u for u in ids if depth[u] == depth[parent] + 1 and u.startswith(parent + "/")]
        if children:
            gap = pivot[parent] - pivot[children].sum(axis=1)
            rows.append(pd.DataFrame({"unique_id": parent, "ds": pivot.index, "gap": gap.to_numpy()}))
    if not rows:
        return pd.DataFrame(columns=["unique_id", "ds", "gap"])
    return pd.concat(rows, ignore_index=True)
