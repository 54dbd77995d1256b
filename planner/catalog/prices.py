"""API model prices (LiteLLM price-file format) and provider prompt-cache rules.

Prices are USD per token as in LiteLLM's ``model_prices_and_context_window.json``; drop in a
newer LiteLLM file as ``litellm_model_prices.json`` in the user catalog folder to refresh.
"""

from __future__ import annotations

import difflib
import fnmatch
import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError

__all__ = ["load_prices", "model_price", "cache_rules", "load_cache_rules"]

_FIELDS = {
    "input_usd_per_token": "input_cost_per_token",
    "output_usd_per_token": "output_cost_per_token",
    "cache_read_usd_per_token": "cache_read_input_token_cost",
    "cache_write_usd_per_token": "cache_creation_input_token_cost",
    "cache_write_1h_usd_per_token": "cache_creation_input_token_cost_above_1hr",
    "batch_input_usd_per_token": "input_cost_per_token_batches",
    "batch_output_usd_per_token": "output_cost_per_token_batches",
    "max_input_tokens": "max_input_tokens",
}
_MODES = ("chat", "completion", "responses")


def load_cache_rules(path: str | Path | None = None) -> pd.DataFrame:
    """Provider prompt-cache rules, one row per family and model pattern.

    Returns
    -------
    pandas.DataFrame
        ``family, providers, model_pattern, min_cacheable_tokens`` [tokens],
        ``write_multiplier``, ``write_multiplier_1h``, ``read_multiplier`` [x input price],
        ``ttl_s``, ``ttl_1h_s`` [s], ``source``.
    """
    return _cache_rules(resolve("cache_rules.csv", path)).copy()


@lru_cache(maxsize=8)
def _cache_rules(path: Path) -> pd.DataFrame:
    numeric = ["min_cacheable_tokens", "write_multiplier", "write_multiplier_1h", "read_multiplier", "ttl_s", "ttl_1h_s"]
    return read_csv(path, ["family", "providers", "model_pattern", *numeric[:3], "read_multiplier", "ttl_s", "source"], numeric)


def cache_rules(provider: str, model: str = "", path: str | Path | None = None) -> dict:
    """Prompt-cache rules for a provider (LiteLLM provider name or family) and model.

    Parameters
    ----------
    provider : str
        E.g. ``"anthropic"``, ``"openai"``, ``"bedrock"``, ``"gemini"``.
    model : str
        Model name, matched against the rows' ``model_pattern`` (Gemini Pro vs Flash).
    path : str or pathlib.Path, optional
        A cache-rules CSV instead of the catalog's.

    Returns
    -------
    dict
        ``family, min_cacheable_tokens`` [tokens], ``write_multiplier``, ``write_multiplier_1h``,
        ``read_multiplier`` [x input price], ``ttl_s`` [s], ``source``. A provider without rules
        gets ``family="none"`` and multipliers of 1 (no discount).
    """
    rules = _cache_rules(resolve("cache_rules.csv", path))
    provider = provider.lower()
    # Bedrock and Vertex serve several vendors: only Claude models follow Anthropic's rules there.
    for row in rules.itertuples():
        providers = row.providers.split(";")
        if provider != row.family and provider not in providers:
            continue
        if row.family == "anthropic" and provider != "anthropic" and "claude" not in model.lower() \
                and "anthropic" not in model.lower():
            continue
        if fnmatch.fnmatch(model.lower(), row.model_pattern):
            return {k: getattr(row, k) for k in ("family", "min_cacheable_tokens", "write_multiplier",
                                                  "write_multiplier_1h", "read_multiplier", "ttl_s", "source")}
    return {"family": "none", "min_cacheable_tokens": np.inf, "write_multiplier": 1.0,
            "write_multiplier_1h": np.nan, "read_multiplier": 1.0, "ttl_s": 0.0,
            "source": f"no prompt-cache rules for provider {provider!r}: no discount assumed"}


def load_prices(path: str | Path | None = None) -> pd.DataFrame:
    """API model prices, one row per text model.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A LiteLLM-format price JSON instead of the catalog's.

    Returns
    -------
    pandas.DataFrame
        ``model, provider, mode``, prices [USD/token] ``input_usd_per_token``,
        ``output_usd_per_token``, ``cache_read_usd_per_token``, ``cache_write_usd_per_token``,
        ``cache_write_1h_usd_per_token``, ``batch_input_usd_per_token``,
        ``batch_output_usd_per_token`` (NaN where the file gives none: no discount is invented),
        ``min_cacheable_tokens`` [tokens] (the model's own, else its provider's rule),
        ``max_input_tokens`` [tokens], ``source``.
    """
    return _prices(resolve("litellm_model_prices.json", path)).copy()


@lru_cache(maxsize=8)
def _prices(path: Path) -> pd.DataFrame:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{path}: not a LiteLLM price JSON: {' '.join(str(exc).split())[:200]}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: expected a JSON object keyed by model name")
    rows = []
    for model, entry in data.items():
        if not isinstance(entry, dict) or entry.get("mode") not in _MODES:
            continue
        row = {"model": model, "provider": str(entry.get("litellm_provider", "")), "mode": entry["mode"]}
        for ours, theirs in _FIELDS.items():
            value = entry.get(theirs)
            if value is not None and not isinstance(value, (int, float)):
                raise CatalogError(f"{path}: key {model}.{theirs} must be a number, found {value!r}")
            row[ours] = float(value) if value is not None else np.nan
        if not np.isfinite(row["input_usd_per_token"]) or not np.isfinite(row["output_usd_per_token"]):
            continue
        if row["input_usd_per_token"] < 0 or row["output_usd_per_token"] < 0:
            raise CatalogError(f"{path}: key {model}: negative price")
        own_min = entry.get("prompt_cache_min_tokens")
        row["min_cacheable_tokens"] = float(own_min) if own_min is not None else \
            cache_rules(row["provider"], model)["min_cacheable_tokens"]
        row["source"] = str(entry.get("source") or f"LiteLLM price file {path.name}")
        rows.append(row)
    if not rows:
        raise CatalogError(f"{path}: no text model with input and output token prices")
    return pd.DataFrame(rows).sort_values("model").reset_index(drop=True)


def model_price(model: str, path: str | Path | None = None) -> dict:
    """Prices of one API model (a row of :func:`load_prices`), by its LiteLLM name.

    Raises
    ------
    CatalogError
        When the model is unknown; the message names close matches.
    """
    prices = _prices(resolve("litellm_model_prices.json", path))
    hit = prices[prices["model"] == model]
    if hit.empty:
        close = difflib.get_close_matches(model, prices["model"].tolist(), n=5, cutoff=0.5)
        raise CatalogError(f"unknown API model {model!r} in the price catalog; close matches: {close}")
    return hit.iloc[0].to_dict()
