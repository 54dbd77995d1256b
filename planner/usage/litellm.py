"""LiteLLM proxy spend logs (an export of its ``LiteLLM_SpendLogs`` table, CSV/JSON/Parquet).

One row per request. Columns used: ``startTime``, ``model``, ``prompt_tokens``,
``completion_tokens`` (required); ``spend`` [USD], ``request_id``, ``team_id``, ``user``,
``end_user``, ``custom_llm_provider``, ``request_tags``, ``metadata`` (JSON: ``user_api_key_team_alias``,
``user_api_key_alias``, ``additional_usage_values``/``usage_object`` with cache counts) and the
top-level ``cache_read_input_tokens`` / ``cache_creation_input_tokens`` where present.

LiteLLM's ``prompt_tokens`` counts every input token, cached ones included (OpenAI's
convention, which LiteLLM applies to all providers), so ``input_tokens`` = ``prompt_tokens`` -
cache reads - cache writes. A ``request_id`` that appears twice is kept once when both rows are
equal (one warning counts them, ``attrs["rows_skipped"]`` on the result) and refused when they
differ. Every other row is one request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import (
    check_freq,
    misspelt_columns,
    note_rows,
    numeric,
    parse_time,
    read_frame,
    require_columns,
    rows_text,
)
from planner.usage.schema import finalize
from planner.usage.traces import aggregate_requests

__all__ = ["read_litellm"]

_CACHE_READ = ("cache_read_input_tokens", "cached_tokens")
_CACHE_WRITE = ("cache_creation_input_tokens",)
_REQUIRED = ("startTime", "model", "prompt_tokens", "completion_tokens")
_USED = ("spend", "request_id", "team_id", "user", "end_user", "custom_llm_provider", "request_tags", "metadata",
         *_CACHE_READ, *_CACHE_WRITE)
#: Columns of LiteLLM's ``LiteLLM_SpendLogs`` table: real names, never taken for a misspelling.
SPEND_LOG_COLUMNS = (
    "request_id", "call_type", "api_key", "spend", "total_tokens", "prompt_tokens", "completion_tokens",
    "startTime", "endTime", "completionStartTime", "model", "model_id", "model_group", "custom_llm_provider",
    "api_base", "user", "metadata", "cache_hit", "cache_key", "request_tags", "team_id", "organization_id",
    "end_user", "requester_ip_address", "messages", "response", "session_id", "status", "proxy_server_request",
    "mcp_namespaced_tool_name", "agent_id", *_CACHE_READ, *_CACHE_WRITE,
)


def read_litellm(
    path: str | Path,
    freq: str = "h",
    source: str = "litellm",
    constants: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a LiteLLM spend-log export into the usage table, aggregated to ``freq``.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV, JSON (array of rows) or Parquet export of ``LiteLLM_SpendLogs``.
    freq : str
        Period of the aggregation (pandas frequency), default hourly.
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row.

    Returns
    -------
    pandas.DataFrame
        Usage table with ``requests``, ``input_tokens``, ``cached_input_tokens``,
        ``cache_write_tokens``, ``output_tokens`` [tokens] and ``cost_usd`` [USD] per model, team,
        user and feature (first request tag).
    """
    what = str(path)
    check_freq(freq, f"{what}: freq")
    raw = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    require_columns(raw, _REQUIRED, what, label="LiteLLM", known=SPEND_LOG_COLUMNS)
    misspelt_columns(raw, _USED, what, label="LiteLLM", known=SPEND_LOG_COLUMNS)
    keep = _dedupe(raw, what)
    meta = _per_distinct(raw, "metadata", lambda v, i: _as_dict(v, what, "metadata", i), {})
    ts = parse_time(raw["startTime"], what, "startTime")
    prompt = numeric(raw, "prompt_tokens", what, missing="zero")
    output = numeric(raw, "completion_tokens", what, missing="zero")
    read = _cache_count(raw, meta, _CACHE_READ, what)
    write = _cache_count(raw, meta, _CACHE_WRITE, what)
    uncached = prompt - read - write
    if (uncached < 0).any():
        bad = (uncached < 0).to_numpy()
        raise InputError(
            f"{what}: cache tokens exceed 'prompt_tokens' at {rows_text(bad)}; expected "
            "prompt_tokens to include cache reads and writes"
        )
    dims = pd.DataFrame(index=raw.index)
    dims["model"] = raw["model"].fillna("").astype(str)
    dims["provider"] = _col(raw, "custom_llm_provider")
    team_alias = pd.Series([str(m.get("user_api_key_team_alias") or "") for m in meta], index=raw.index)
    dims["team"] = team_alias.where(team_alias != "", _col(raw, "team_id"))
    user = _col(raw, "user")
    dims["user"] = user.where(user != "", _col(raw, "end_user"))
    dims["feature"] = _per_distinct(raw, "request_tags", lambda v, i: _first_tag(v, what, i), "")
    extra = pd.DataFrame({"ts": ts.dt.floor(freq), **{c: dims[c] for c in dims},
                          "cached_input_tokens": read, "cache_write_tokens": write})
    if "spend" in raw.columns:
        extra["cost_usd"] = numeric(raw, "spend", what, missing="zero")
    ts, uncached, output, dims, extra = ts[keep], uncached[keep], output[keep], dims[keep], extra[keep]
    counts = aggregate_requests(ts, uncached, output, freq, dims)
    keys = ["ts", *dims.columns]
    extra = extra.groupby(keys, as_index=False).sum().melt(id_vars=keys, var_name="metric", value_name="value")
    out = finalize(pd.concat([counts, extra], ignore_index=True), source, constants, what)
    return note_rows(out, what, len(raw), {"exact repeats of a request_id": int((~keep).sum())},
                     "are left out")


def _per_distinct(raw: pd.DataFrame, column: str, parse, default) -> list:
    """Apply ``parse(value, row_index)`` once per distinct cell text of ``column``."""
    if column not in raw.columns:
        return [default] * len(raw)
    values = raw[column]
    if values.map(type).isin([list, dict, np.ndarray]).any():  # JSON/Parquet gave objects
        return [parse(v, i) for i, v in enumerate(values)]
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    first_row = pd.Series(np.arange(len(codes))).groupby(codes).first()
    parsed = [parse(u, int(first_row[k])) for k, u in enumerate(uniques)] + [default]
    return [parsed[c] for c in codes]


def _col(raw: pd.DataFrame, name: str) -> pd.Series:
    if name not in raw.columns:
        return pd.Series("", index=raw.index)
    return raw[name].fillna("").astype(str).replace({"None": "", "nan": ""})


def _dedupe(raw: pd.DataFrame, what: str) -> np.ndarray:
    """Rows to keep: all but the exact repeats of a ``request_id``; differing repeats are refused."""
    keep = np.ones(len(raw), dtype=bool)
    if "request_id" not in raw.columns:
        return keep
    dup = raw["request_id"].duplicated(keep=False) & raw["request_id"].notna()
    if not dup.any():
        return keep
    text = raw.astype(str)
    conflicting = text[dup].groupby(raw["request_id"][dup]).nunique().gt(1).any(axis=1)
    if conflicting.any():
        rid = conflicting[conflicting].index[0]
        rows = rows_text((raw["request_id"] == rid).to_numpy())
        raise InputError(
            f"{what}: request_id {rid!r} appears at {rows} with conflicting values; "
            "expected one row per request"
        )
    return (~raw["request_id"].duplicated(keep="first") | raw["request_id"].isna()).to_numpy()


def _as_dict(value, what: str, column: str, i: int) -> dict:
    if isinstance(value, dict):
        return value
    if value is None or (isinstance(value, float) and np.isnan(value)) or str(value).strip() in ("", "{}"):
        return {}
    try:
        parsed = json.loads(value)
    except (TypeError, ValueError):
        raise InputError(f"{what}: column {column!r} is not valid JSON at row {i + 1}") from None
    return parsed if isinstance(parsed, dict) else {}


def _first_tag(value, what: str, i: int) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return str(value[0]) if len(value) else ""
    text = str(value).strip()
    if not text or text == "[]":
        return ""
    try:
        tags = json.loads(text)
    except ValueError:
        raise InputError(f"{what}: column 'request_tags' is not a JSON list at row {i + 1}") from None
    return str(tags[0]) if isinstance(tags, list) and tags else ""


def _cache_count(raw: pd.DataFrame, meta: list[dict], keys: tuple[str, ...], what: str) -> pd.Series:
    for key in keys:
        if key in raw.columns:
            return numeric(raw, key, what, missing="zero")
    values = []
    for m in meta:
        extra = m.get("additional_usage_values") or {}
        usage = m.get("usage_object") or {}
        details = usage.get("prompt_tokens_details") or {}
        found = next((src[k] for src in (extra, usage, details) for k in keys if src.get(k) is not None), 0)
        try:
            value = float(found or 0)
        except (TypeError, ValueError):
            value = float("nan")
        if not np.isfinite(value) or value < 0:
            raise InputError(f"{what}: column 'metadata' key {keys[0]!r} must be a token count >= 0 at row "
                             f"{len(values) + 1} (found {found!r})")
        values.append(value)
    return pd.Series(values, index=raw.index, dtype="float64")
