"""FinOps FOCUS 1.2 cost-and-usage exports.

Every row contributes its ``EffectiveCost`` (amortized) to ``cost_usd``, its ``BilledCost`` to
``billed_cost_usd`` and, when present, its ``ListCost`` to ``list_cost_usd``. Usage rows add:

- AI token rows (``ConsumedUnit`` "Tokens"): ``SkuPriceDetails`` JSON ``TokenDirection``
  (Input/Output) and ``TokenCacheAction`` (Uncached/Write/Read) choose ``input_tokens``,
  ``cache_write_tokens``, ``cached_input_tokens`` or ``output_tokens``; without them the
  ``SkuMeter`` text ("Cache Read Input Tokens", ...) decides. ``model`` is ``ModelId``.
- Prompt-cache storage (``ConsumedUnit`` "Token-Hours"): ``cache_storage_token_hours``.
- GPU rows (hour units on a GPU instance): ``gpu_hours`` = ``ConsumedQuantity`` [h] x GPUs per
  instance. A row is a GPU row when ``SkuPriceDetails`` names a GPU count/type or its instance
  type is in :data:`GPU_INSTANCES` (extend with the ``gpu_instances`` argument).

Each row is dated by ``ChargePeriodStart``; ``team``, ``product`` and ``feature`` come from the
``Tags`` JSON when it has such keys. Currency must be USD (``BillingCurrency``).

Every row is accounted for: a token or GPU usage row whose quantity is empty or unreadable is an
error naming the column and rows; rows that are not AI usage (purchases, taxes, storage, CPU
hours) add their cost and nothing else, and one warning counts them by kind
(``attrs["rows_skipped"]`` on the result). A missing column the reader uses, with a column of a
close name present (``ConsumedQuantiy``), is an error naming both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import (
    misspelt_columns,
    note_rows,
    numeric,
    parse_time,
    read_frame,
    require_columns,
    rows_text,
)
from planner.usage.schema import finalize

__all__ = ["read_focus", "GPU_INSTANCES", "FOCUS_REQUIRED", "FOCUS_COLUMNS"]

#: FOCUS columns this reader cannot do without (all mandatory in FOCUS 1.2).
FOCUS_REQUIRED: tuple[str, ...] = ("ChargePeriodStart", "ChargeCategory", "BilledCost", "EffectiveCost")
#: Optional columns the reader uses when present.
FOCUS_USED: tuple[str, ...] = ("ConsumedQuantity", "ConsumedUnit", "ListCost", "SkuPriceDetails", "Tags",
                               "BillingCurrency", "SkuMeter", "ResourceType", "ServiceProviderName", "RegionId")
#: Columns of FOCUS 1.2 (and the AI columns of the FOCUS sample exports): real names, never taken
#: for a misspelling of another.
FOCUS_COLUMNS: tuple[str, ...] = (
    "AvailabilityZone", "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType",
    "BillingCurrency", "BillingPeriodEnd", "BillingPeriodStart", "CapacityReservationId",
    "CapacityReservationStatus", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargeFrequency",
    "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory", "CommitmentDiscountId",
    "CommitmentDiscountName", "CommitmentDiscountQuantity", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "CommitmentDiscountUnit", "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice",
    "EffectiveCost", "HostProviderName", "InvoiceId", "InvoiceIssuerName", "ListCost", "ListUnitPrice",
    "PricingCategory", "PricingCurrency", "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice", "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId",
    "RegionName", "ResourceId", "ResourceName", "ResourceType", "ServiceCategory", "ServiceName",
    "ServiceProviderName", "ServiceSubcategory", "SkuId", "SkuMeter", "SkuPriceDetails", "SkuPriceId",
    "SubAccountId", "SubAccountName", "SubAccountType", "Tags", "CredentialId", "PrincipalId", "RequesterDetails",
)

#: GPU instance types -> (GPU type, GPUs per instance), from the providers' instance pages.
GPU_INSTANCES: dict[str, tuple[str, int]] = {
    "p4d.24xlarge": ("A100-40GB", 8),
    "p4de.24xlarge": ("A100-80GB", 8),
    "p5.48xlarge": ("H100", 8),
    "p5e.48xlarge": ("H200", 8),
    "p5en.48xlarge": ("H200", 8),
    "p6-b200.48xlarge": ("B200", 8),
    "g5.xlarge": ("A10G", 1),
    "g5.12xlarge": ("A10G", 4),
    "g5.48xlarge": ("A10G", 8),
    "g6.xlarge": ("L4", 1),
    "g6.12xlarge": ("L4", 4),
    "g6.48xlarge": ("L4", 8),
    "Standard_ND96asr_v4": ("A100-40GB", 8),
    "Standard_ND96amsr_A100_v4": ("A100-80GB", 8),
    "Standard_ND96isr_H100_v5": ("H100", 8),
    "Standard_NC24ads_A100_v4": ("A100-80GB", 1),
    "a2-highgpu-1g": ("A100-40GB", 1),
    "a2-highgpu-8g": ("A100-40GB", 8),
    "a2-ultragpu-8g": ("A100-80GB", 8),
    "a3-highgpu-8g": ("H100", 8),
    "g2-standard-4": ("L4", 1),
}

_HOUR_UNITS = {"hour", "hours", "hr", "hrs", "h", "instance-hours", "instance hours"}
_TAG_DIMS = {"team": "team", "product": "product", "application": "product", "feature": "feature"}
_GPU_COUNT_KEYS = ("GpuCount", "GPUCount", "AcceleratorCount", "GpuQuantity")
_GPU_TYPE_KEYS = ("GpuType", "GPUType", "AcceleratorType", "AcceleratorName", "Gpu", "GPU")
_INSTANCE_KEYS = ("InstanceType", "VmSize", "MachineType")


def read_focus(
    path: str | Path,
    source: str = "focus",
    constants: Mapping[str, str] | None = None,
    gpu_instances: Mapping[str, tuple[str, int]] | None = None,
) -> pd.DataFrame:
    """Read a FOCUS 1.2 cost-and-usage export (CSV or Parquet) into the usage table.

    Parameters
    ----------
    path : str or pathlib.Path
        The export. Extra columns and missing optional columns are fine; a missing column of
        :data:`FOCUS_REQUIRED` is an error that names it.
    source : str
        Source name stored with the rows.
    constants : mapping, optional
        Dimension values for every row.
    gpu_instances : mapping, optional
        More instance types -> ``(gpu_type, gpus_per_instance)`` for recognising GPU rows.

    Returns
    -------
    pandas.DataFrame
        Usage table with cost metrics [USD] for every row and token / GPU-hour metrics for usage
        rows.
    """
    what = str(path)
    raw = read_frame(path)
    known = [*FOCUS_COLUMNS, *(c for c in raw.columns if c.lower().startswith("x_"))]
    require_columns(raw, FOCUS_REQUIRED, what, label="FOCUS", known=known)
    consumed = "ConsumedQuantity" in raw.columns or "ConsumedUnit" in raw.columns
    if consumed:
        require_columns(raw, ["ConsumedQuantity", "ConsumedUnit"], what, label="FOCUS", known=known)
    misspelt_columns(raw, FOCUS_USED, what, label="FOCUS", known=known)
    if "BillingCurrency" in raw.columns:
        other = raw["BillingCurrency"].fillna("USD").str.upper().ne("USD").to_numpy()
        if other.any():
            raise InputError(
                f"{what}: column 'BillingCurrency' is {raw['BillingCurrency'][other].iloc[0]!r} at "
                f"{rows_text(other)}; planner works in USD"
            )
    n = len(raw)
    ts = parse_time(raw["ChargePeriodStart"], what, "ChargePeriodStart")
    details = _json_column(raw, "SkuPriceDetails", what)
    tags = _json_column(raw, "Tags", what)
    dims = pd.DataFrame(index=raw.index)
    dims["model"] = [str(d.get("ModelId", "") or "") for d in details]
    for col, dim in (("ServiceProviderName", "provider"), ("RegionId", "region")):
        dims[dim] = raw[col].fillna("") if col in raw.columns else ""
    for key, dim in _TAG_DIMS.items():
        values = [str(t.get(key, "")) for t in tags]
        if any(values):
            dims[dim] = values
    parts = [
        _metric(ts, dims, "cost_usd", numeric(raw, "EffectiveCost", what, nonnegative=False, missing="zero")),
        _metric(ts, dims, "billed_cost_usd", numeric(raw, "BilledCost", what, nonnegative=False, missing="zero")),
    ]
    if "ListCost" in raw.columns:
        parts.append(_metric(ts, dims, "list_cost_usd", numeric(raw, "ListCost", what, nonnegative=False, missing="zero")))
    category = raw["ChargeCategory"].fillna("").astype(str).str.strip()
    usage = category.str.lower().eq("usage").to_numpy()
    used = np.zeros(n, dtype=bool)
    unit = pd.Series("", index=raw.index)
    if consumed:
        qty = numeric(raw, "ConsumedQuantity", what, missing="keep")
        unit = raw["ConsumedUnit"].fillna("").astype(str).str.strip()
        lower = unit.str.lower()
        tokens = usage & lower.eq("tokens").to_numpy()
        storage = usage & lower.isin(["token-hours", "token hours"]).to_numpy()
        hours = usage & lower.isin(_HOUR_UNITS).to_numpy()
        gpu = np.zeros(n, dtype=bool)
        if hours.any():
            gpu_type, gpus = _gpu_info(raw, details, {**GPU_INSTANCES, **(gpu_instances or {})}, n, what)
            gpu = hours & (gpus > 0)
        used = tokens | storage | gpu
        empty = used & qty.isna().to_numpy()
        if empty.any():
            raise InputError(
                f"{what}: column 'ConsumedQuantity' is empty at {rows_text(empty)} "
                f"({unit[empty].iloc[0]} usage); expected the quantity consumed"
            )
        if tokens.any():
            kinds = _token_metrics(raw, details, tokens, what)
            parts.append(_metric(ts[tokens], dims[tokens], kinds[tokens], qty[tokens]))
        if storage.any():
            parts.append(_metric(ts[storage], dims[storage], "cache_storage_token_hours", qty[storage]))
        if gpu.any():
            gdims = dims[gpu].assign(gpu_type=gpu_type[gpu])
            parts.append(_metric(ts[gpu], gdims, "gpu_hours", qty[gpu] * gpus[gpu]))
    out = finalize(pd.concat(parts, ignore_index=True), source, constants, what)
    return note_rows(out, what, n, _cost_only(category, usage, used, unit, consumed),
                     "carry cost only (no token or GPU usage)")


def _cost_only(category: pd.Series, usage: np.ndarray, used: np.ndarray, unit: pd.Series,
               consumed: bool) -> dict[str, int]:
    """Count the rows that give no usage metric, by kind (``Purchase``, ``Usage in 'GB-Mo'``)."""
    counts: dict[str, int] = {}
    for cat, k in category[~usage].replace("", "(no ChargeCategory)").value_counts(sort=False).items():
        counts[str(cat)] = int(k)
    rest = usage & ~used
    if not consumed:
        counts["Usage without ConsumedQuantity/ConsumedUnit columns"] = int(rest.sum())
        return counts
    for u, k in unit[rest].value_counts(sort=False).items():
        if not u:
            kind = "Usage without a ConsumedUnit"
        elif u.lower() in _HOUR_UNITS:
            kind = f"Usage in {u!r} without a GPU"
        else:
            kind = f"Usage in {u!r}"
        counts[kind] = counts.get(kind, 0) + int(k)
    return counts


def _metric(ts: pd.Series, dims: pd.DataFrame, metric, value: pd.Series) -> pd.DataFrame:
    out = dims.copy()
    out["ts"] = ts.to_numpy()
    out["metric"] = metric if isinstance(metric, str) else np.asarray(metric)
    out["value"] = np.asarray(value, dtype=float)
    return out


def _json_column(raw: pd.DataFrame, column: str, what: str) -> list[dict]:
    if column not in raw.columns:
        return [{} for _ in range(len(raw))]
    out: list[dict] = []
    for i, text in enumerate(raw[column]):
        if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
            out.append({})
            continue
        if isinstance(text, dict):
            out.append(text)
            continue
        try:
            value = json.loads(text)
        except (TypeError, ValueError):
            raise InputError(
                f"{what}: column {column!r} is not valid JSON at row {i + 1} (found {str(text)[:60]!r})"
            ) from None
        out.append(value if isinstance(value, dict) else {})
    return out


def _token_metrics(raw: pd.DataFrame, details: list[dict], mask: np.ndarray, what: str) -> np.ndarray:
    meters = raw["SkuMeter"].fillna("").str.lower() if "SkuMeter" in raw.columns else pd.Series("", index=raw.index)
    kinds = np.full(len(raw), "", dtype=object)
    for i in np.flatnonzero(mask):
        d = details[i]
        direction = str(d.get("TokenDirection", "")).lower()
        action = str(d.get("TokenCacheAction", "")).lower()
        meter = meters.iloc[i]
        if not direction:
            direction = "output" if "output" in meter else "input" if "input" in meter else ""
        if not action:
            action = "read" if "read" in meter else "write" if "write" in meter else "uncached"
        if direction == "output":
            kinds[i] = "output_tokens"
        elif direction == "input":
            kinds[i] = {"read": "cached_input_tokens", "write": "cache_write_tokens"}.get(action, "input_tokens")
        else:
            raise InputError(
                f"{what}: cannot tell the token direction at row {i + 1}: 'SkuPriceDetails' has no "
                "TokenDirection and 'SkuMeter' names neither input nor output"
            )
    return kinds


def _gpu_info(raw, details, instances, n, what):
    gpu_type = np.full(n, "", dtype=object)
    gpus = np.zeros(n)
    resource_type = raw["ResourceType"].fillna("") if "ResourceType" in raw.columns else pd.Series("", index=raw.index)
    for i, d in enumerate(details):
        instance = next((str(d[k]) for k in _INSTANCE_KEYS if d.get(k)), "") or str(resource_type.iloc[i])
        key = next((k for k in _GPU_COUNT_KEYS if d.get(k) not in (None, "")), None)
        kind = next((str(d[k]) for k in _GPU_TYPE_KEYS if d.get(k)), "")
        count = None
        if key is not None:
            try:
                count = float(d[key])
            except (TypeError, ValueError):
                count = float("nan")
            if not np.isfinite(count) or count < 0:
                raise InputError(f"{what}: column 'SkuPriceDetails' key {key!r} must be a GPU count >= 0 at row "
                                 f"{i + 1} (found {d[key]!r})")
        if instance in instances:
            kind = kind or instances[instance][0]
            count = count if count is not None else instances[instance][1]
        if count is not None or kind:
            gpu_type[i] = kind
            gpus[i] = float(count) if count is not None else 1.0
    return gpu_type, gpus
