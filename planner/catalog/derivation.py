"""Derived throughput rows: the two stated rules and their errors measured on published pairs.

Where a combination has no published figure, the throughput catalog carries a row marked
``derived`` with the rule that made it (``rule`` column). Two rules, each tested on rows that have
both sides published (:func:`twin_errors`, :func:`bandwidth_errors`):

* **twin** -- a model with the same shape as a published one (``architecture`` in
  ``model_shapes.csv``: Llama 3 / 3.1 / 3.3 / the R1 distills of one size, Qwen2.5 and its distills,
  DeepSeek-V3 and R1) serves at the same tokens/s on the same engine, precision and GPUs. Measured
  on the 164 TensorRT-LLM v0.13 points published for both Llama 3 and Llama 3.1 (8B and 70B):
  median error 0.3 %, 90th percentile 2.6 %, largest 5.8 %.
* **bandwidth** -- between GPUs of one architecture (``gpu_specs.csv``), output tokens/s scales as
  ``(bandwidth_target / bandwidth_source) ** alpha``. ``alpha`` = 0.687 is the median of
  ``log(ratio) / log(bandwidth ratio)`` over the H100/H200 pairs of the models in one half of a
  fixed split (SHA-256 of the model name, even); on the pairs of the other half (114 points) the
  rule's error is median 13.4 %, 90th percentile 32.0 %, largest 88 %. A derived row is written
  only where the model, precision and context of the source row also fit the target GPU's memory
  (:func:`planner.catalog.memory.fit`).

A third candidate, scaling BF16 from FP8 by the median published ratio (0.51 on H100), was
measured and left out: on held-out models its error reaches 92 % at the 90th percentile (BF16
falls off a cliff where its larger weights leave little KV cache), so BF16 rows are only used
where published.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

__all__ = ["ALPHA", "TARGET_GPUS", "twin_errors", "bandwidth_pairs", "fit_alpha", "bandwidth_errors", "derive_rows"]

#: Bandwidth exponent (see the module docstring; :func:`fit_alpha` recomputes it).
ALPHA = 0.687
#: GPU types the bandwidth rule writes rows for, and the ones it may take them from.
TARGET_GPUS = {"A100-40GB": ("A100-80GB",), "L4": ("L40S",), "H200": ("H100",), "H100": ("H200",)}
_GROUP = ["engine", "engine_version", "precision", "gpu_type", "gpus_per_replica", "concurrency", "input_tokens", "output_tokens"]


def _fit_half(model: str) -> bool:
    return int(hashlib.sha256(model.encode()).hexdigest(), 16) % 2 == 0


def _measured(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["derived"].astype(str).str.lower().eq("true")]


def twin_errors(table: pd.DataFrame, pairs: tuple[tuple[str, str], ...] = (("llama-3-8b", "llama-3.1-8b"),
                                                                         ("llama-3-70b", "llama-3.1-70b"))) -> np.ndarray:
    """|tokens/s of one twin / the other - 1| over the points both publish [-]."""
    m = _measured(table)
    errors = []
    for a, b in pairs:
        left = m[m["model"] == a].set_index(_GROUP)["output_tokens_per_s"]
        right = m[m["model"] == b].set_index(_GROUP)["output_tokens_per_s"]
        both = left.index.intersection(right.index)
        errors.extend(np.abs(left.loc[both].to_numpy() / right.loc[both].to_numpy() - 1.0))
    return np.asarray(errors)


def bandwidth_pairs(table: pd.DataFrame, specs: pd.DataFrame, source: str = "H100", target: str = "H200") -> pd.DataFrame:
    """Points published on both GPUs: ``model, log_ratio, log_bw_ratio`` (natural logs)."""
    m = _measured(table)
    bw = specs.set_index("gpu_type")["memory_bandwidth_gb_s"]
    keys = ["engine", "engine_version", "model", "precision", "gpus_per_replica", "concurrency", "input_tokens", "output_tokens"]
    s = m[m["gpu_type"] == source].set_index(keys)["output_tokens_per_s"]
    t = m[m["gpu_type"] == target].set_index(keys)["output_tokens_per_s"]
    both = s.index.intersection(t.index)
    out = pd.DataFrame({"model": both.get_level_values("model"),
                        "log_ratio": np.log(t.loc[both].to_numpy() / s.loc[both].to_numpy())})
    out["log_bw_ratio"] = float(np.log(bw[target] / bw[source]))
    return out


def fit_alpha(pairs: pd.DataFrame) -> float:
    """Median of ``log_ratio / log_bw_ratio`` over the pairs whose model is in the fit half [-]."""
    fit = pairs[pairs["model"].map(_fit_half)]
    return float(np.median(fit["log_ratio"] / fit["log_bw_ratio"]))


def bandwidth_errors(pairs: pd.DataFrame, alpha: float = ALPHA) -> np.ndarray:
    """Relative errors of the bandwidth rule on the held-out half of ``pairs`` [-]."""
    test = pairs[~pairs["model"].map(_fit_half)]
    return np.abs(np.exp(alpha * test["log_bw_ratio"] - test["log_ratio"]).to_numpy() - 1.0)


def _summary(errors: np.ndarray) -> str:
    return (f"median {np.median(errors) * 100:.1f} %, 90th percentile {np.quantile(errors, 0.9) * 100:.1f} % "
            f"over {len(errors)} published pairs")


def derive_rows(measured: pd.DataFrame, models: pd.DataFrame, specs: pd.DataFrame, alpha: float = ALPHA) -> pd.DataFrame:
    """Rows the twin and bandwidth rules add to the published ``measured`` rows.

    The twin rule runs first on published rows; the bandwidth rule then on published and twin rows
    (a row is never derived twice by the same rule). No row is derived where a published one
    exists for the same engine, model, precision, GPU type, GPUs per replica and load.
    """
    from planner.catalog.memory import fit

    measured = _measured(measured).copy()
    cfg = ["engine", "model", "precision", "gpu_type", "gpus_per_replica", "concurrency"]
    have = set(map(tuple, measured[cfg].astype(str).to_numpy()))
    arch = models.set_index("model")["architecture"]
    twin_err = _summary(twin_errors(measured))
    rows = []
    order = measured.sort_values(["source_date", "model"], ascending=False)
    for target, family in arch.items():
        twins = [m for m, a in arch.items() if a == family and m != target]
        src = order[order["model"].isin(twins)]
        done = set()
        for r in src.itertuples(index=False):
            key = (r.engine, target, r.precision, r.gpu_type, str(r.gpus_per_replica), str(r.concurrency))
            point = (*key, r.engine_version, str(r.input_tokens), str(r.output_tokens))
            if key in have or point in done:
                continue
            done.add(point)
            row = r._asdict()
            row.update(model=target, derived="true", rule=f"twin:{r.model}",
                       source=f"derived by the twin rule from {r.model} (same config.json shape as {target}; rule error "
                              f"{twin_err}) -- {r.source}")
            rows.append(row)
    twins = pd.DataFrame(rows, columns=measured.columns)
    have |= set(map(tuple, twins[cfg].astype(str).to_numpy()))
    bw = specs.set_index("gpu_type")["memory_bandwidth_gb_s"]
    pool = pd.concat([measured, twins], ignore_index=True)
    pool = pool[pool["concurrency"].astype(str) == "max"]
    pairs = bandwidth_pairs(measured, specs)
    bw_err = _summary(bandwidth_errors(pairs, alpha))
    out = []
    for target, sources in TARGET_GPUS.items():
        if target not in bw.index or not np.isfinite(bw[target]):
            continue
        for r in pool[pool["gpu_type"].isin(sources)].itertuples(index=False):
            key = (r.engine, r.model, r.precision, target, str(r.gpus_per_replica), str(r.concurrency))
            if key in have:
                continue
            context = float(np.nansum([r.input_tokens, r.output_tokens]))
            if not fit(r.model, r.precision, target, int(r.gpus_per_replica), context).fits:
                continue
            factor = float((bw[target] / bw[r.gpu_type]) ** alpha)
            row = r._asdict()
            row.update(gpu_type=target, output_tokens_per_s=round(float(r.output_tokens_per_s) * factor, 2),
                       derived="true", rule=f"bandwidth:{r.gpu_type}^{alpha:g}" + (f"+{r.rule}" if r.rule else ""),
                       source=f"derived by the bandwidth rule from {r.gpu_type} x ({bw[target]:g}/{bw[r.gpu_type]:g} GB/s)^{alpha:g} "
                              f"= x{factor:.3f} (rule error {bw_err}) -- {r.source}")
            out.append(row)
    return pd.concat([twins, pd.DataFrame(out, columns=measured.columns)], ignore_index=True)
