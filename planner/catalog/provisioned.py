"""Provisioned-throughput offers: price per unit-hour by commitment term, throughput per unit.

One row per offer (``azure-global``, ``bedrock``), model and term (``""`` for hourly units
without a commitment, ``1m``, ``6m``, ``1y``), each citing its source. A ``*`` model row gives
an offer's terms where the provider publishes no throughput per unit: the user's configuration
then supplies ``tokens_per_minute_per_unit`` and ``usd_per_unit_hour`` (its contract price, which
always overrides the catalog's).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError

__all__ = ["PROVISIONED_COLUMNS", "load_provisioned", "provisioned_offer"]

#: Columns of the provisioned-throughput catalog.
PROVISIONED_COLUMNS = ["offer", "model", "term", "usd_per_unit_hour", "input_tokens_per_minute_per_unit",
                       "output_token_weight", "cached_input_weight", "min_units", "unit_increment", "source"]


def load_provisioned(path: str | Path | None = None) -> pd.DataFrame:
    """The provisioned-throughput catalog (:data:`PROVISIONED_COLUMNS`): prices [USD per unit-hour],
    throughput [input tokens/min per unit], weights [-], ``min_units`` and ``unit_increment`` [units]."""
    return _table(resolve("provisioned_throughput.csv", path)).copy()


@lru_cache(maxsize=4)
def _table(path: Path) -> pd.DataFrame:
    frame = read_csv(path, PROVISIONED_COLUMNS[:3] + ["source"], PROVISIONED_COLUMNS[3:9])
    frame["term"] = frame["term"].fillna("").astype(str)
    for col in PROVISIONED_COLUMNS:
        if col not in frame.columns:
            frame[col] = float("nan")
    return frame[PROVISIONED_COLUMNS].reset_index(drop=True)


def provisioned_offer(offer: str, model: str, term: str = "", path: str | Path | None = None) -> dict:
    """One offer's row for ``model`` and ``term`` (a ``*`` row when the offer lists no such model).

    Raises :class:`~planner.exceptions.CatalogError` naming the offers, or the models and terms
    an offer has, when there is no such row.
    """
    table = _table(resolve("provisioned_throughput.csv", path))
    rows = table[table["offer"] == offer]
    if rows.empty:
        raise CatalogError(f"no provisioned-throughput offer {offer!r}; offers: {sorted(table['offer'].unique())}")
    hit = rows[(rows["model"] == model) & (rows["term"] == term)]
    if hit.empty:
        hit = rows[(rows["model"] == "*") & (rows["term"] == term)]
    if hit.empty:
        combos = sorted({f"{m} {t or 'hourly'}" for m, t in zip(rows["model"], rows["term"], strict=True)})
        raise CatalogError(f"offer {offer!r} has no {model} {term or 'hourly'} row; it has: {combos}")
    return hit.iloc[0].to_dict()
