"""Self-hosted serving throughput per model class x GPU type x precision.

The catalog holds measured ceilings (output tokens/s per replica at maximum load) at a few
input/output lengths. :func:`throughput` interpolates between them piecewise-linearly in
log(tokens/s) over log(input + output tokens per request) and applies an SLO derate, the share of
the ceiling usable at a latency target (published: typically 0.3-0.6).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError, InputError, PlannerWarning

__all__ = ["Throughput", "load_throughput", "throughput", "DEFAULT_SLO_DERATE"]

#: Share of the maximum-load ceiling usable at an interactive latency target (middle of 0.3-0.6).
DEFAULT_SLO_DERATE = 0.45


@dataclass(frozen=True)
class Throughput:
    """Serving capacity of one replica.

    Attributes
    ----------
    output_tokens_per_s_ceiling : float
        Ceiling at maximum load [tokens/s per replica].
    output_tokens_per_s : float
        Ceiling x SLO derate [tokens/s per replica].
    gpus_per_replica : int
        GPUs one replica occupies [GPU].
    source : str
        Where the figures come from (and whether they were derived or interpolated).
    """

    output_tokens_per_s_ceiling: float
    output_tokens_per_s: float
    gpus_per_replica: int
    source: str

    @property
    def output_tokens_per_gpu_hour(self) -> float:
        """Derated output tokens per GPU-hour [tokens/GPU-h]."""
        return self.output_tokens_per_s * 3600.0 / self.gpus_per_replica


def load_throughput(path: str | Path | None = None) -> pd.DataFrame:
    """The throughput catalog: ``model_class, gpu_type, precision, gpus_per_replica,
    input_tokens, output_tokens, output_tokens_per_s`` [tokens/s per replica], ``derived``, ``source``."""
    return _table(resolve("selfhost_throughput.csv", path)).copy()


@lru_cache(maxsize=8)
def _table(path: Path) -> pd.DataFrame:
    cols = ["model_class", "gpu_type", "precision", "gpus_per_replica", "input_tokens", "output_tokens",
            "output_tokens_per_s", "source"]
    frame = read_csv(path, cols, ["gpus_per_replica", "input_tokens", "output_tokens", "output_tokens_per_s"])
    frame["gpus_per_replica"] = frame["gpus_per_replica"].astype(int)
    if "derived" not in frame.columns:
        frame["derived"] = "false"
    return frame


def throughput(
    model_class: str,
    gpu_type: str,
    precision: str = "fp8",
    input_tokens: float = 1000,
    output_tokens: float = 1000,
    slo_derate: float = DEFAULT_SLO_DERATE,
    path: str | Path | None = None,
) -> Throughput:
    """Output tokens/s of one replica serving requests of the given lengths.

    Parameters
    ----------
    model_class : str
        E.g. ``"llama-8b"``, ``"llama-70b"``.
    gpu_type : str
        E.g. ``"H100"``.
    precision : str
        ``"fp8"`` or ``"bf16"``.
    input_tokens, output_tokens : float
        Mean tokens per request [tokens].
    slo_derate : float
        Share of the ceiling usable at the latency target, in (0, 1].
    path : str or pathlib.Path, optional
        A throughput CSV instead of the catalog's.

    Returns
    -------
    Throughput
        Ceiling and derated tokens/s per replica and GPUs per replica. Lengths outside the
        measured range are clamped to its ends, with a :class:`PlannerWarning`.
    """
    if not 0 < slo_derate <= 1:
        raise InputError(f"slo_derate must be in (0, 1], got {slo_derate}")
    if input_tokens < 0 or output_tokens <= 0:
        raise InputError(f"input_tokens must be >= 0 and output_tokens > 0, got {input_tokens}, {output_tokens}")
    table = _table(resolve("selfhost_throughput.csv", path))
    rows = table[(table["model_class"] == model_class) & (table["gpu_type"].str.lower() == gpu_type.lower())
                 & (table["precision"].str.lower() == precision.lower())]
    if rows.empty:
        combos = sorted({f"{r.model_class}/{r.gpu_type}/{r.precision}" for r in table.itertuples()})
        raise CatalogError(f"no throughput figures for {model_class}/{gpu_type}/{precision}; known: {combos}")
    rows = rows.assign(length=rows["input_tokens"] + rows["output_tokens"]).sort_values("length")
    length = float(input_tokens + output_tokens)
    lo, hi = rows["length"].min(), rows["length"].max()
    if not lo <= length <= hi:
        warnings.warn(
            f"{model_class}/{gpu_type}/{precision}: {length:.0f} tokens per request is outside the measured "
            f"{lo:.0f}-{hi:.0f}; using the nearest measured throughput",
            PlannerWarning, stacklevel=2,
        )
    ceiling = float(np.exp(np.interp(np.log(length), np.log(rows["length"]), np.log(rows["output_tokens_per_s"]))))
    derived = rows["derived"].astype(str).str.lower().eq("true").any()
    source = f"{rows['source'].iloc[0]}; interpolated at {input_tokens:.0f}/{output_tokens:.0f} tokens"
    return Throughput(ceiling, ceiling * slo_derate, int(rows["gpus_per_replica"].iloc[0]),
                      source + ("; includes derived figures" if derived else ""))
