"""GPU hardware specs: memory per device and memory bandwidth, with their datasheet sources."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError

__all__ = ["load_gpu_specs", "gpu_spec"]


def load_gpu_specs(path: str | Path | None = None) -> pd.DataFrame:
    """``gpu_type, architecture, memory_gb`` [GB per device], ``memory_bandwidth_gb_s`` [GB/s], ``source``."""
    return _specs(resolve("gpu_specs.csv", path)).copy()


@lru_cache(maxsize=8)
def _specs(path: Path) -> pd.DataFrame:
    frame = read_csv(path, ["gpu_type", "architecture", "memory_gb", "source"], ["memory_gb", "memory_bandwidth_gb_s"])
    if "memory_bandwidth_gb_s" not in frame.columns:
        frame["memory_bandwidth_gb_s"] = float("nan")
    if frame["memory_gb"].isna().any():
        raise CatalogError(f"{path}: column 'memory_gb' is empty for {frame.loc[frame['memory_gb'].isna(), 'gpu_type'].tolist()}")
    return frame


def gpu_spec(gpu_type: str, path: str | Path | None = None) -> dict:
    """One GPU type's row of :func:`load_gpu_specs` (names as ``planner.usage`` emits them: ``H100``, ``A100-80GB``)."""
    from planner.catalog.gpus import normalise_gpu

    specs = _specs(resolve("gpu_specs.csv", path))
    hit = specs[specs["gpu_type"].str.lower() == normalise_gpu(gpu_type).lower()]
    if hit.empty:
        raise CatalogError(f"no GPU spec for gpu_type={gpu_type!r}; known: {sorted(specs['gpu_type'])}")
    return hit.iloc[0].to_dict()
