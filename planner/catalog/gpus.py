"""GPU offerings: on-demand, spot and reserved prices per GPU-hour, and the SkyPilot importer."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError

__all__ = ["GPU_COLUMNS", "DEFAULT_RESERVED_DISCOUNT", "RESERVED_DISCOUNT", "load_gpus", "gpu_offer", "import_skypilot",
           "normalise_gpu", "reserved_discount"]

#: Columns of the GPU offerings table.
GPU_COLUMNS = [
    "gpu_type", "cloud", "region", "instance_type", "gpus_per_instance", "on_demand_usd_per_gpu_hour",
    "spot_usd_per_gpu_hour", "spot_availability", "spot_interruption_rate", "reserved_1y_discount",
    "reserved_3y_discount", "reserved_1y_usd_per_gpu_hour", "reserved_3y_usd_per_gpu_hour", "source",
]
_NUMERIC = GPU_COLUMNS[4:13]

#: Reserved discounts off on-demand used where a catalog gives none: 1 year 35 % (middle of the
#: typical 20-50 % for H100 1-year reservations), 3 years 55 % (below the AWS Savings Plans maxima
#: of 66 % / 72 %). Spot assumptions for imported offerings: half the wanted capacity obtainable,
#: 20 % of spot GPU-hours lost to interruptions.
DEFAULT_RESERVED_DISCOUNT = {"1y": 0.35, "3y": 0.55}
#: Reserved / committed-use discounts by cloud, with where each comes from. gcp: Google Cloud's own 1-year and
#: 3-year committed-use prices of a2-highgpu-1g against its on-demand price (Cloud Billing Catalog API via
#: Cyclenerd/google-cloud-pricing-cost-calculator, 2026-02-12): 1 - 1743.06/2766.80 and 1 - 968.40/2766.80 per
#: month. azure, lambda: no per-SKU reservation price was read, so the defaults (Azure states reservations save up
#: to 72 %).
RESERVED_DISCOUNT = {
    "aws": {"1y": 0.35, "3y": 0.55, "source": "planner default: typical H100 1-year reservations 20-50 % off; AWS Savings "
            "Plans up to 66 % (Compute) / 72 % (EC2 Instance)"},
    "gcp": {"1y": 0.37, "3y": 0.65, "source": "Google Cloud committed-use prices of a2-highgpu-1g (Cloud Billing Catalog "
            "API via Cyclenerd/google-cloud-pricing-cost-calculator, 2026-02-12)"},
    "azure": {"1y": 0.35, "3y": 0.55, "source": "planner default (no per-SKU Azure reservation price read; Azure states "
              "reservations save up to 72 %)"},
    "lambda": {"1y": 0.35, "3y": 0.55, "source": "planner default (no Lambda reservation price read)"},
}
_SPOT_AVAILABILITY, _SPOT_INTERRUPTION = 0.5, 0.2


def reserved_discount(cloud: str) -> dict:
    """``{"1y": share, "3y": share, "source": text}`` for a cloud (the defaults for an unknown one) [-]."""
    return RESERVED_DISCOUNT.get(str(cloud).strip().lower(),
                                 {**DEFAULT_RESERVED_DISCOUNT, "source": "planner default discounts (35 % / 55 %)"})

#: SkyPilot/cloud accelerator names -> planner GPU type names (the ones planner.usage emits).
_GPU_ALIASES = {"a100": "A100-40GB", "a100-40gb": "A100-40GB", "a100-80gb": "A100-80GB",
                "h100-80gb": "H100", "h100-sxm": "H100", "h100-mega-80gb": "H100", "rtxa6000": "A6000",
                "a6000": "A6000", "a10g": "A10G", "a10": "A10", "l4": "L4", "v100": "V100", "h200": "H200",
                "b200": "B200", "gh200": "GH200", "h100": "H100"}


def _normalise(names: pd.Series) -> pd.Series:
    """Map accelerator names to planner GPU types (``A100`` -> ``A100-40GB``, ...); others kept."""
    return names.map(lambda n: _GPU_ALIASES.get(str(n).strip().lower(), n) if pd.notna(n) else n)


def normalise_gpu(name: str) -> str:
    """planner's GPU type for an accelerator name (``A100`` -> ``A100-40GB``, ``h100-sxm`` -> ``H100``)."""
    return _normalise(pd.Series([name])).iloc[0]


def load_gpus(path: str | Path | None = None) -> pd.DataFrame:
    """GPU offerings, one row per cloud and instance type.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A ``gpu_offerings.csv`` instead of the catalog's.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GPU_COLUMNS`: prices in [USD/GPU-h], ``spot_availability`` and
        ``spot_interruption_rate`` in [0, 1], discounts in [0, 1], ``source``.
    """
    return _gpus(resolve("gpu_offerings.csv", path)).copy()


@lru_cache(maxsize=8)
def _gpus(path: Path) -> pd.DataFrame:
    frame = read_csv(path, GPU_COLUMNS[:6] + ["source"], _NUMERIC)
    frame["gpu_type"] = _normalise(frame["gpu_type"])
    for col in GPU_COLUMNS:
        if col not in frame.columns:
            frame[col] = float("nan")
    for kind in ("1y", "3y"):
        price, disc = f"reserved_{kind}_usd_per_gpu_hour", f"reserved_{kind}_discount"
        frame[disc] = frame[disc].fillna(frame["cloud"].map(lambda c, k=kind: reserved_discount(c)[k]))
        frame[price] = frame[price].fillna(frame["on_demand_usd_per_gpu_hour"] * (1 - frame[disc]))
    return frame[GPU_COLUMNS].reset_index(drop=True)


def gpu_offer(gpu_type: str, cloud: str | None = None, path: str | Path | None = None) -> dict:
    """The cheapest on-demand offering of a GPU type (optionally on one cloud).

    Returns
    -------
    dict
        One row of :func:`load_gpus`.
    """
    gpus = _gpus(resolve("gpu_offerings.csv", path))
    wanted = _normalise(pd.Series([gpu_type])).iloc[0]
    hit = gpus[gpus["gpu_type"].str.lower() == wanted.lower()]
    if cloud is not None:
        hit = hit[hit["cloud"].str.lower() == cloud.lower()]
    if hit.empty:
        raise CatalogError(
            f"no GPU offering for gpu_type={gpu_type!r}{f', cloud={cloud!r}' if cloud else ''}; "
            f"known GPU types: {sorted(gpus['gpu_type'].unique())}, clouds: {sorted(gpus['cloud'].unique())}"
        )
    return hit.sort_values("on_demand_usd_per_gpu_hour").iloc[0].to_dict()


def import_skypilot(vms_csv: str | Path, cloud: str) -> pd.DataFrame:
    """Turn a SkyPilot catalog v8 ``vms.csv`` into GPU offerings.

    Each GPU instance type becomes one row with the median on-demand and spot price across the
    regions listed, divided by the GPUs per instance; CPU-only rows and instance types with no
    on-demand price are left out and counted in ``attrs["rows_skipped"]`` of the result. GCP's
    catalog lists attachable GPUs as rows without an instance type: they become ``(attachable)`` rows
    whose price is the GPU's alone (the host VM is billed apart), as their ``source`` says. An
    H100 on an instance type naming PCIe becomes ``H100-PCIe``. Reserved prices use the cloud's
    :data:`RESERVED_DISCOUNT` and spot rows the default availability (0.5) and interruption (0.2)
    assumptions; the ``source`` column says so.

    Parameters
    ----------
    vms_csv : str or pathlib.Path
        ``InstanceType, AcceleratorName, AcceleratorCount, vCPUs, MemoryGiB, Price, Region,
        GpuInfo, SpotPrice`` with prices in [USD/h] per instance.
    cloud : str
        Cloud name to record, e.g. ``"aws"``, ``"lambda"``.

    Returns
    -------
    pandas.DataFrame
        Rows in the :func:`load_gpus` form.
    """
    path = Path(vms_csv)
    frame = read_csv(path, ["InstanceType", "AcceleratorName", "AcceleratorCount", "Price", "Region", "SpotPrice"],
                     ["AcceleratorCount", "Price", "SpotPrice"], label="SkyPilot")
    is_gpu = frame["AcceleratorName"].notna() & (frame["AcceleratorCount"] > 0)
    gpu = frame[is_gpu].copy()
    attachable = gpu["InstanceType"].isna()
    gpu.loc[attachable, "InstanceType"] = "(attachable " + gpu.loc[attachable, "AcceleratorName"].astype(str) + " x" + \
        gpu.loc[attachable, "AcceleratorCount"].astype(int).astype(str) + ")"
    if gpu.empty:
        raise CatalogError(f"{path}: no GPU rows (AcceleratorName and AcceleratorCount are empty everywhere)")
    if gpu["Price"].isna().all():
        raise CatalogError(f"{path}: column 'Price' is empty for every GPU row")
    grouped = gpu.groupby(["InstanceType", "AcceleratorName", "AcceleratorCount"], as_index=False).agg(
        price=("Price", "median"), spot=("SpotPrice", "median"), regions=("Region", "nunique"))
    gpu_type = _normalise(grouped["AcceleratorName"])
    pcie = (gpu_type == "H100") & grouped["InstanceType"].str.contains("pcie", case=False)
    out = pd.DataFrame({
        "gpu_type": gpu_type.where(~pcie, "H100-PCIe"),
        "cloud": cloud,
        "region": "median",
        "instance_type": grouped["InstanceType"],
        "gpus_per_instance": grouped["AcceleratorCount"].astype(int),
        "on_demand_usd_per_gpu_hour": grouped["price"] / grouped["AcceleratorCount"],
        "spot_usd_per_gpu_hour": grouped["spot"] / grouped["AcceleratorCount"],
    })
    has_spot = out["spot_usd_per_gpu_hour"].notna()
    out["spot_availability"] = has_spot.map({True: _SPOT_AVAILABILITY, False: float("nan")})
    out["spot_interruption_rate"] = has_spot.map({True: _SPOT_INTERRUPTION, False: float("nan")})
    discount = reserved_discount(cloud)
    for kind in ("1y", "3y"):
        out[f"reserved_{kind}_discount"] = discount[kind]
        out[f"reserved_{kind}_usd_per_gpu_hour"] = out["on_demand_usd_per_gpu_hour"] * (1 - discount[kind])
    out["source"] = [
        f"SkyPilot catalog v8 import of {path.name} ({n} regions)"
        + ("; GPU price only, the host VM is billed apart" if inst.startswith("(attachable") else "")
        + f"; reserved = {discount['1y']:.0%} / {discount['3y']:.0%} off ({discount['source']}), spot = default assumptions"
        for n, inst in zip(grouped["regions"], grouped["InstanceType"], strict=True)
    ]
    unpriced = out["on_demand_usd_per_gpu_hour"].isna()
    out = out[~unpriced][GPU_COLUMNS].sort_values(["gpu_type", "instance_type"]).reset_index(drop=True)
    out.attrs["rows_read"] = len(frame)
    out.attrs["rows_skipped"] = {k: int(v) for k, v in {
        "CPU-only rows": (~is_gpu).sum(),
        "GPU rows of instance types with no on-demand price in any region":
            gpu["InstanceType"].isin(grouped.loc[unpriced.to_numpy(), "InstanceType"]).sum(),
    }.items() if v}
    return out

