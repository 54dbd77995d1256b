"""Declared (judgmental) adjustments on top of the statistical forecast.

Each driver turns into a multiplier and an addend per forecast row (``q' = q * mult + add`` for the
point, every interval bound and every sample path), applied in order. The result keeps the
statistical forecast in ``statistical`` and each driver's effect on the point forecast in its own
column, so a reader sees the statistical and the judgmental parts apart.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.forecast.result import ForecastResult

__all__ = ["Driver", "growth", "step", "s_curve", "shift", "apply_drivers"]


@dataclass(frozen=True)
class Driver:
    """One adjustment. Build it with :func:`growth`, :func:`step`, :func:`s_curve` or :func:`shift`.

    Attributes
    ----------
    kind : str
        ``growth``, ``step``, ``s_curve`` or ``shift``.
    series : str
        ``unique_id`` it applies to (``"*"`` for all; for ``shift`` the source series).
    start : pandas.Timestamp
        First period affected.
    params : dict
        The kind's parameters.
    label : str
        Column name of its effect in the forecast table.
    """

    kind: str
    series: str
    start: pd.Timestamp
    params: dict
    label: str


def growth(pct_per_month: float, start: str, series: str = "*", label: str = "") -> Driver:
    """Compound growth of ``pct_per_month`` [%/month] from ``start`` (multiplies the forecast)."""
    return Driver("growth", series, pd.Timestamp(start), {"pct_per_month": float(pct_per_month)},
                  label or f"growth {pct_per_month:+g}%/month from {start}")


def step(start: str, amount: float = 0.0, pct: float = 0.0, series: str = "*", label: str = "") -> Driver:
    """A launch or loss from ``start``: add ``amount`` [units of y per period] and/or ``pct`` [%]."""
    parts = [f"{amount:+g}" if amount else "", f"{pct:+g}%" if pct else ""]
    return Driver("step", series, pd.Timestamp(start), {"amount": float(amount), "pct": float(pct)},
                  label or f"step {' '.join(p for p in parts if p)} from {start}")


def s_curve(start: str, level: float, midpoint: str, width_days: float, series: str = "*", label: str = "") -> Driver:
    """Adoption that adds up to ``level`` [units of y per period] along a logistic curve.

    The addend is ``level / (1 + exp(-(t - midpoint) / width))`` from ``start`` on, t in days.
    """
    if width_days <= 0:
        raise InputError(f"s_curve width_days must be > 0, got {width_days}")
    return Driver("s_curve", series, pd.Timestamp(start),
                  {"level": float(level), "midpoint": pd.Timestamp(midpoint), "width_days": float(width_days)},
                  label or f"adoption up to {level:g} (midpoint {midpoint})")


def shift(share: float, source: str, target: str, start: str, label: str = "") -> Driver:
    """Move ``share`` [0-1] of ``source``'s forecast to ``target`` from ``start`` (e.g. a migration)."""
    if not 0 <= share <= 1:
        raise InputError(f"shift share must be within [0, 1], got {share}")
    return Driver("shift", source, pd.Timestamp(start), {"share": float(share), "target": target},
                  label or f"move {share:.0%} of {source} to {target} from {start}")


def apply_drivers(result: ForecastResult, drivers: Sequence[Driver]) -> ForecastResult:
    """Apply drivers to a forecast (point, intervals and paths).

    Parameters
    ----------
    result : ForecastResult
        The statistical forecast.
    drivers : sequence of Driver
        Applied in order.

    Returns
    -------
    ForecastResult
        A new result: ``forecast`` gains ``statistical`` and one effect column per driver;
        ``drivers`` lists them.
    """
    fc = result.forecast.copy()
    paths = result.paths.copy()
    values = [c for c in fc.columns if c == "forecast" or c.startswith(("lo-", "hi-"))]
    fc.insert(fc.columns.get_loc("forecast"), "statistical", fc["forecast"])
    ids = set(fc["unique_id"])
    for d in drivers:
        for name in [d.series, d.params.get("target")]:
            if name not in (None, "*") and name not in ids:
                raise InputError(f"driver {d.label!r}: unknown series {name!r}; known: {sorted(ids)[:10]}")
        mult, add = _effect(d, fc)
        before = fc["forecast"].to_numpy().copy()
        fc[values] = fc[values].to_numpy() * mult[:, None] + add[:, None]
        fc[d.label] = fc["forecast"].to_numpy() - before
        if not paths.empty:
            key = paths.merge(fc[["unique_id", "ds"]].assign(_m=mult, _a=add), on=["unique_id", "ds"], how="left")
            paths["y"] = paths["y"].to_numpy() * key["_m"].fillna(1).to_numpy() + key["_a"].fillna(0).to_numpy()
    table = pd.DataFrame([{"label": d.label, "kind": d.kind, "series": d.series, "start": d.start,
                           **{k: v for k, v in d.params.items()}} for d in drivers])
    return dataclasses.replace(result, forecast=fc, paths=paths, drivers=table,
                               settings={**result.settings, "drivers": [d.label for d in drivers]})


def _effect(d: Driver, fc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    n = len(fc)
    mult, add = np.ones(n), np.zeros(n)
    active = (fc["ds"] >= d.start).to_numpy()
    if d.series != "*":
        active &= (fc["unique_id"] == d.series).to_numpy()
    days = ((fc["ds"] - d.start).dt.total_seconds() / 86400).to_numpy()
    if d.kind == "growth":
        mult = np.where(active, (1 + d.params["pct_per_month"] / 100) ** (np.maximum(days, 0) / 30.4375), 1.0)
    elif d.kind == "step":
        mult = np.where(active, 1 + d.params["pct"] / 100, 1.0)
        add = np.where(active, d.params["amount"], 0.0)
    elif d.kind == "s_curve":
        t = ((fc["ds"] - d.params["midpoint"]).dt.total_seconds() / 86400).to_numpy()
        add = np.where(active, d.params["level"] / (1 + np.exp(-t / d.params["width_days"])), 0.0)
    elif d.kind == "shift":
        moved = np.where(active, fc["forecast"].to_numpy() * d.params["share"], 0.0)
        mult = np.where(active, 1 - d.params["share"], 1.0)
        by_time = pd.Series(moved, index=fc["ds"].to_numpy()).groupby(level=0).sum()
        to_target = (fc["unique_id"] == d.params["target"]).to_numpy()
        add = np.where(to_target, fc["ds"].map(by_time).fillna(0).to_numpy(), 0.0)
    return mult, add
