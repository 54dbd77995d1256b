"""Accuracy of quantized models: published recovery (quantized score / unquantized score) per model and precision."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError

__all__ = ["Recovery", "load_quality", "precision_recovery", "UNQUANTIZED"]

#: Precisions that are the baseline itself (recovery 1 by definition).
UNQUANTIZED = ("bf16", "fp16", "gguf-f16")


@dataclass(frozen=True)
class Recovery:
    """A precision's published accuracy relative to the unquantized model.

    Attributes
    ----------
    recovery : float
        Mean published ``quantized / baseline`` accuracy over the catalog's rows [-].
    source : str
        The rows' metrics and sources.
    published : bool
        False for an unquantized precision (recovery 1 by definition, nothing to publish).
    """

    recovery: float
    source: str
    published: bool = True


def load_quality(path: str | Path | None = None) -> pd.DataFrame:
    """``quant_quality.csv``: ``model, precision, checkpoint, metric, baseline_score, quantized_score,
    recovery`` [-] (filled where both scores are given), ``source, source_url, source_date``."""
    return _quality(resolve("quant_quality.csv", path)).copy()


@lru_cache(maxsize=8)
def _quality(path: Path) -> pd.DataFrame:
    frame = read_csv(path, ["model", "precision", "metric", "source"], ["baseline_score", "quantized_score", "recovery"])
    for col in ("baseline_score", "quantized_score", "recovery"):
        if col not in frame.columns:
            frame[col] = np.nan
    lower_better = frame["metric"].str.contains("perplexity", case=False)
    computed = frame["quantized_score"] / frame["baseline_score"]
    frame["recovery"] = frame["recovery"].where(frame["recovery"].notna() | lower_better, computed)
    bad = frame["recovery"].notna() & ((frame["recovery"] <= 0) | (frame["recovery"] > 1.2))
    if bad.any():
        raise CatalogError(f"{path}: recovery at row {int(np.flatnonzero(bad)[0]) + 1} is {frame['recovery'][bad].iloc[0]:g}; "
                           "expected a share near 1 (quantized / unquantized accuracy)")
    return frame


def precision_recovery(model: str, precision: str, path: str | Path | None = None) -> Recovery | None:
    """Published accuracy recovery of ``model`` quantized to ``precision``, or None when none is published.

    Unquantized precisions return recovery 1. The model name may be an alias (``llama-8b``).
    """
    from planner.catalog.models import resolve_model
    from planner.catalog.throughput import precision_matches

    key = str(precision).lower()
    if key in UNQUANTIZED:
        return Recovery(1.0, f"{precision} is the unquantized baseline", published=False)
    table = _quality(resolve("quant_quality.csv", path))
    try:
        name = resolve_model(model)
    except CatalogError:
        name = model
    rows = table[(table["model"] == name) & table["precision"].str.lower().isin(precision_matches(key))
                 & table["recovery"].notna()]
    if rows.empty:
        return None
    text = "; ".join(f"{r.checkpoint}: {r.metric} {r.recovery:.4f} ({r.source_url}, {r.source_date})" for r in rows.itertuples())
    return Recovery(float(rows["recovery"].mean()), text)
