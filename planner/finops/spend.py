"""Spend in USD from the usage table, each figure saying where its price came from.

:func:`spend_of` turns usage rows into USD rows:

1. a **source that carries cost_usd** (FOCUS, LiteLLM, OpenCost exports) is counted by its
   ``cost_usd`` rows, with their dimensions; its token and GPU rows add nothing (they are what the
   cost paid for);
2. every other source's rows are priced per model and metric by
   :func:`planner.report.pricing.spend_rates`: your prices file (``unit_prices.<metric>.<model>``,
   or ``"*"``), else the price catalog entry of the model for token metrics (named with its
   source); spend = quantity x that price;
3. rows that neither gives a price (requests of a model the catalog does not have, GPU-hours
   without your price) have **no USD figure**; :attr:`Spend.unpriced` says which and why.
   Outcome counts are never priced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.report.pricing import TOKEN_PRICE_FIELDS, PriceFile, spend_rates
from planner.report.series import series_labels
from planner.usage.schema import DIMENSIONS, METRICS, OUTCOME_PREFIX

__all__ = ["Spend", "spend_of", "select", "scope_text", "SCOPE_KEYS"]

#: Keys a scope may filter on: the source and every usage dimension.
SCOPE_KEYS: tuple[str, ...] = ("source", *DIMENSIONS)
_KEYS = ["ts", "source", *DIMENSIONS]


@dataclass
class Spend:
    """USD rows of a usage table (:func:`spend_of`).

    Attributes
    ----------
    rows : pandas.DataFrame
        ``ts, source, <dimensions>, usd`` [USD], one row per period and dimension values.
    prices : pandas.DataFrame
        Where each priced part came from: ``source, model, metric, usd_per_unit, basis, detail``
        (``basis`` ``cost_usd in the data``, ``your price``, ``price catalog``).
    unpriced : pandas.DataFrame
        The parts without a USD figure: ``source, model, metric, quantity, detail``.
    unpriced_rows : pandas.DataFrame
        Their usage rows (``ts, source, <dimensions>, metric, value``), to tell which scope they fall in.
    """

    rows: pd.DataFrame
    prices: pd.DataFrame
    unpriced: pd.DataFrame = field(default_factory=pd.DataFrame)
    unpriced_rows: pd.DataFrame = field(default_factory=pd.DataFrame)

    def notes(self) -> list[str]:
        """One sentence per part without a USD figure."""
        return [f"{r.source} {r.metric} of {r.model or 'no model'}: {r.detail}" for r in self.unpriced.itertuples()]


def spend_of(usage: pd.DataFrame, prices: PriceFile | None = None,
             catalog_path: str | Path | None = None) -> Spend:
    """The spend [USD] of every usage row that can be priced (see the module docstring).

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage table.
    prices : PriceFile, optional
        Your prices (:func:`planner.report.pricing.read_price_file`).
    catalog_path : str or pathlib.Path, optional
        A price catalog file instead of the packaged one.

    Returns
    -------
    Spend
    """
    with_cost = set(usage.loc[usage["metric"] == "cost_usd", "source"])
    own = usage[usage["source"].isin(with_cost) & (usage["metric"] == "cost_usd")]
    parts = [own[_KEYS].assign(usd=own["value"].to_numpy(float))]
    price_rows = [(s, "", "cost_usd", 1.0, "cost_usd in the data", f"cost_usd of source {s} in your data")
                  for s in sorted(with_cost)]
    unpriced, left = [], usage.iloc[:0]
    rest = usage[~usage["source"].isin(with_cost) & _priceable(usage["metric"], prices)]
    if len(rest):
        labels = series_labels(rest, ["model"])
        info = (rest.assign(label=labels.to_numpy())
                .groupby(["source", "label", "metric"], as_index=False)
                .agg(model=("model", "first"), quantity=("value", "sum")))
        info["unique_id"] = info["source"] + "|" + info["label"] + "|" + info["metric"]
        info["sources"] = [[s] for s in info["source"]]
        info["models"] = [[m] if m else [] for m in info["model"]]
        rates = spend_rates(info, rest, ["model"], None, prices=prices, catalog_path=catalog_path)
        info = info.merge(rates, on="unique_id")
        key = rest["source"] + "|" + labels + "|" + rest["metric"]
        rate = key.map(dict(zip(info["unique_id"], info["usd_per_unit"], strict=True)))
        priced = rate.notna().to_numpy()
        parts.append(rest.loc[priced, _KEYS].assign(usd=(rest["value"] * rate)[priced].to_numpy(float)))
        left = rest[~priced]
        for r in info.itertuples():
            if np.isfinite(r.usd_per_unit):
                price_rows.append((r.source, r.model, r.metric, float(r.usd_per_unit), r.basis, r.detail))
            else:
                unpriced.append((r.source, r.model, r.metric, float(r.quantity), r.detail))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows.groupby(_KEYS, as_index=False, sort=True)["usd"].sum()
    return Spend(rows, pd.DataFrame(price_rows, columns=["source", "model", "metric", "usd_per_unit", "basis", "detail"]),
                 pd.DataFrame(unpriced, columns=["source", "model", "metric", "quantity", "detail"]),
                 left[[*_KEYS, "metric", "value"]].reset_index(drop=True))


def _priceable(metric: pd.Series, prices: PriceFile | None) -> pd.Series:
    """Token metrics (the catalog prices them) and metrics your prices file prices; never outcomes or USD."""
    yours = set(prices.unit_prices) if prices is not None else set()
    usd = {m for m, unit in METRICS.items() if unit == "USD"}
    return (metric.isin(set(TOKEN_PRICE_FIELDS) | yours) & ~metric.isin(usd)
            & ~metric.astype(str).str.startswith(OUTCOME_PREFIX))


def select(frame: pd.DataFrame, scope: Mapping[str, str | Sequence[str]] | None) -> pd.DataFrame:
    """The rows of a usage or spend frame inside ``scope`` (``{key: value or [values]}``, keys from
    :data:`SCOPE_KEYS`); all rows for an empty scope."""
    mask = np.ones(len(frame), dtype=bool)
    for key, value in (scope or {}).items():
        if key not in SCOPE_KEYS:
            raise InputError(f"scope: unknown key {key!r}; expected some of {list(SCOPE_KEYS)}")
        values = [value] if isinstance(value, str) else [str(v) for v in value]
        mask &= frame[key].isin(values).to_numpy()
    return frame[mask]


def scope_text(scope: Mapping[str, str | Sequence[str]] | None) -> str:
    """``team search, model gpt-4o or o3`` (``all spend`` for no scope)."""
    if not scope:
        return "all spend"
    parts = []
    for key, value in scope.items():
        values = [value] if isinstance(value, str) else list(value)
        parts.append(f"{key} {' or '.join(str(v) for v in values)}")
    return ", ".join(parts)
