"""Self-hosted serving throughput per engine x model x precision x GPU x GPUs per replica.

The catalog (``selfhost_throughput.csv``) holds published output tokens/s per replica at given
input/output lengths, each row citing its source and date: at maximum load (``concurrency`` =
``max``: requests queued without limit, the engines' offline/throughput benchmarks) or at a fixed
number of concurrent requests (``1``: one stream, as llama.cpp/Ollama and the batch-1 speed
benchmarks serve). Rows marked ``derived`` come from the rules of
:mod:`planner.catalog.derivation`, with the rule in ``rule``.

:func:`throughput` picks, among the configurations published for a model, GPU type and precision
(optionally an engine and GPUs per replica), the one with the most output tokens per GPU-hour at
the requested lengths -- published rows before derived ones -- estimates it at those lengths with
:class:`planner.catalog.lengths.LengthModel` (or, for one-stream rows with a published prompt rate,
``O / (I / prefill_rate + O / decode_rate)``), and applies the SLO derate to maximum-load ceilings:
the share of the ceiling usable at an interactive latency target (published: typically 0.3-0.6).
A fixed-concurrency row already is a latency operating point and is not derated.
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

__all__ = ["Throughput", "load_throughput", "throughput", "throughput_options", "DEFAULT_SLO_DERATE",
           "THROUGHPUT_COLUMNS", "ENGINES", "normalise_engine", "precision_matches"]

#: Share of the maximum-load ceiling usable at an interactive latency target (middle of 0.3-0.6).
DEFAULT_SLO_DERATE = 0.45
#: Columns of the throughput catalog.
THROUGHPUT_COLUMNS = [
    "engine", "engine_version", "model", "precision", "gpu_type", "gpus_per_replica", "input_tokens", "output_tokens",
    "concurrency", "output_tokens_per_s", "prefill_tokens_per_s", "per_user_output_tokens_per_s", "derived", "rule",
    "source", "source_url", "source_date",
]
#: Serving engines the catalog knows.
ENGINES = ("tensorrt-llm", "vllm", "sglang", "llama.cpp")
#: Other names for them. Ollama runs llama.cpp's kernels (its own figures are not published here).
_ENGINE_ALIASES = {"trt-llm": "tensorrt-llm", "trtllm": "tensorrt-llm", "tensorrt": "tensorrt-llm",
                   "tensorrt_llm": "tensorrt-llm", "ollama": "llama.cpp", "llamacpp": "llama.cpp", "llama-cpp": "llama.cpp"}
#: A precision asked for -> the stored precisions it matches. FP16 and BF16 have the same size and
#: tensor-core rate on A100/H100/L40S, so either serves for the other.
_PRECISIONS = {
    "bf16": ("bf16", "fp16"), "fp16": ("fp16", "bf16"), "int4": ("int4-gptq", "int4-awq"), "w4a16": ("int4-gptq", "int4-awq"),
    "awq": ("int4-awq",), "gptq": ("int4-gptq",), "int8": ("int8", "int8-gptq"), "w8a8": ("int8",), "nvfp4": ("fp4",),
    "q4_k_m": ("gguf-q4_k_m",), "gguf-q4": ("gguf-q4_k_m",), "q8_0": ("gguf-q8_0",), "gguf-q8": ("gguf-q8_0",),
}
_NUMERIC = ["gpus_per_replica", "input_tokens", "output_tokens", "output_tokens_per_s", "prefill_tokens_per_s",
            "per_user_output_tokens_per_s"]


@dataclass(frozen=True)
class Throughput:
    """Serving capacity of one replica.

    Attributes
    ----------
    output_tokens_per_s_ceiling : float
        Published figure at the requested lengths [tokens/s per replica]: the maximum-load ceiling,
        or the fixed-concurrency rate.
    output_tokens_per_s : float
        Usable rate: ceiling x SLO derate at maximum load, the published rate at a fixed
        concurrency [tokens/s per replica].
    gpus_per_replica : int
        GPUs one replica occupies [GPU].
    source : str
        Where the figures come from, how they were estimated at these lengths, and whether derived.
    engine, engine_version, model, precision : str
        The configuration chosen (``precision`` as published).
    concurrency : str
        ``max`` or the number of concurrent requests of the published figure.
    derived : bool
        The figure comes from a derivation rule, not a publication.
    """

    output_tokens_per_s_ceiling: float
    output_tokens_per_s: float
    gpus_per_replica: int
    source: str
    engine: str = ""
    engine_version: str = ""
    model: str = ""
    precision: str = ""
    concurrency: str = "max"
    derived: bool = False

    @property
    def output_tokens_per_gpu_hour(self) -> float:
        """Usable output tokens per GPU-hour [tokens/GPU-h]."""
        return self.output_tokens_per_s * 3600.0 / self.gpus_per_replica


def normalise_engine(name: str | None) -> str | None:
    """planner's engine name (``ollama`` -> ``llama.cpp``, ``trt-llm`` -> ``tensorrt-llm``); None stays None."""
    if name is None:
        return None
    key = str(name).strip().lower()
    key = _ENGINE_ALIASES.get(key, key)
    if key not in ENGINES:
        raise InputError(f"unknown engine {name!r}; known: {list(ENGINES)} (also ollama, trt-llm)")
    return key


def precision_matches(asked: str) -> tuple[str, ...]:
    """The stored precisions a requested one matches (``bf16`` -> bf16, fp16; ``int4`` -> AWQ, GPTQ)."""
    key = str(asked).strip().lower()
    return _PRECISIONS.get(key, (key,))


def load_throughput(path: str | Path | None = None) -> pd.DataFrame:
    """The throughput catalog, columns :data:`THROUGHPUT_COLUMNS` (tokens/s per replica).

    A file in the older form (``model_class`` instead of ``model``, no engine) is read with its
    model class as the model and an empty engine.
    """
    return _table(resolve("selfhost_throughput.csv", path)).copy()


@lru_cache(maxsize=8)
def _table(path: Path) -> pd.DataFrame:
    raw = pd.read_csv(path, comment="#", nrows=0)
    name_col = "model" if "model" in raw.columns else "model_class"
    cols = [name_col, "gpu_type", "precision", "gpus_per_replica", "output_tokens_per_s", "source"]
    frame = read_csv(path, cols, _NUMERIC)
    if name_col == "model_class":
        frame = frame.rename(columns={"model_class": "model"})
    for col in THROUGHPUT_COLUMNS:
        if col not in frame.columns:
            frame[col] = {"concurrency": "max", "derived": "false"}.get(col, float("nan") if col in _NUMERIC else "")
    for col in ("engine", "engine_version", "rule", "source_url", "source_date"):
        frame[col] = frame[col].fillna("").astype(str)
    frame["concurrency"] = frame["concurrency"].fillna("max").astype(str).str.strip().str.lower()
    frame["derived"] = frame["derived"].fillna("false").astype(str).str.lower()
    bad = frame["gpus_per_replica"].isna() | (frame["gpus_per_replica"] < 1)
    if bad.any():
        raise CatalogError(f"{path}: column 'gpus_per_replica' must be a whole number >= 1 at row {int(np.flatnonzero(bad)[0]) + 1}")
    frame["gpus_per_replica"] = frame["gpus_per_replica"].astype(int)
    if frame["output_tokens_per_s"].isna().any() or (frame["output_tokens_per_s"] <= 0).any():
        row = int(np.flatnonzero(frame["output_tokens_per_s"].isna() | (frame["output_tokens_per_s"] <= 0))[0]) + 1
        raise CatalogError(f"{path}: column 'output_tokens_per_s' must be a number > 0 at row {row}")
    loads = ~frame["concurrency"].str.fullmatch(r"max|\d+")
    if loads.any():
        raise CatalogError(f"{path}: column 'concurrency' must be 'max' or a whole number at row {int(np.flatnonzero(loads)[0]) + 1} "
                           f"(found {frame['concurrency'][loads].iloc[0]!r})")
    return frame[THROUGHPUT_COLUMNS].reset_index(drop=True)


_KEY = ["engine", "engine_version", "precision", "gpu_type", "gpus_per_replica", "concurrency", "derived"]


def _resolve_model(name: str, table: pd.DataFrame) -> str:
    from planner.catalog.models import resolve_model

    if name in set(table["model"]):
        return name
    try:
        return resolve_model(name)
    except CatalogError:
        known = sorted(set(table["model"]))
        raise CatalogError(f"no throughput figures for model {name!r}; known models: {known}") from None


@lru_cache(maxsize=512)
def _length_model(path: Path, model: str, key: tuple):
    from planner.catalog.lengths import LengthModel

    g = _group(path, model, key)
    pts = g.dropna(subset=["input_tokens", "output_tokens"])
    pts = pts.groupby(["input_tokens", "output_tokens"], as_index=False)["output_tokens_per_s"].mean()
    if len(pts) < 3:
        return None
    return LengthModel(pts["input_tokens"], pts["output_tokens"], pts["output_tokens_per_s"])


def _group(path: Path, model: str, key: tuple) -> pd.DataFrame:
    table = _table(path)
    g = table[table["model"] == model]
    for col, value in zip(_KEY, key, strict=True):
        g = g[g[col] == value]
    return g


def _estimate(path: Path, model: str, key: tuple, inp: float, out: float) -> tuple[float, str, bool]:
    """(tokens/s per replica, how, extrapolated) of one configuration at (inp, out)."""
    g = _group(path, model, key)
    exact = g[(g["input_tokens"] == inp) & (g["output_tokens"] == out)]
    if len(exact):
        return float(exact["output_tokens_per_s"].mean()), "published point", False
    if g["prefill_tokens_per_s"].notna().any():
        row = g.iloc[0]
        rate = out / (inp / row["prefill_tokens_per_s"] + out / row["output_tokens_per_s"])
        return float(rate), (f"one stream: O / (I / {row['prefill_tokens_per_s']:,.0f} + O / {row['output_tokens_per_s']:,.2f}) "
                             "tokens/s (published prompt and generation rates)"), False
    if g["output_tokens"].isna().all():
        row = g.iloc[0]
        return float(row["output_tokens_per_s"]), "single published point, used at any length", True
    lm = _length_model(path, model, key)
    if lm is not None:
        return lm(inp, out), "request-time model fitted to the published lengths", not lm.inside(inp, out)
    donor = _donor(path, model, key)
    pts = g.dropna(subset=["input_tokens", "output_tokens"])
    if donor is not None:
        from planner.catalog.lengths import transfer

        dm, dk = donor
        f = transfer(_length_model(path, dm, dk), pts["input_tokens"].to_numpy(), pts["output_tokens"].to_numpy(),
                     pts["output_tokens_per_s"].to_numpy())
        return f(inp, out), (f"length shape of {dm} on {dk[0]} {dk[1]} {dk[2]} {dk[4]} x {dk[3]} scaled to the {len(pts)} "
                             "published point(s)"), True
    dist = np.abs(np.log(pts["input_tokens"].clip(lower=1) / max(inp, 1))) + np.abs(np.log(pts["output_tokens"] / out))
    row = pts.iloc[int(np.argmin(dist.to_numpy()))]
    return float(row["output_tokens_per_s"]), f"nearest published point ({row['input_tokens']:.0f}/{row['output_tokens']:.0f})", True


def _donor(path: Path, model: str, key: tuple) -> tuple[str, tuple] | None:
    """A configuration with at least three published lengths whose shape a sparse one borrows.

    Another configuration of the same model first (same engine, then same GPU type, then the most
    points); else, of another model, the same engine and GPU type and the closest active parameters.
    """
    from planner.catalog.models import load_models

    table = _table(path)
    rows = table[(table["concurrency"] == key[5]) & table["output_tokens"].notna()]
    try:
        active = load_models().set_index("model")["active_params"]
    except CatalogError:
        active = pd.Series(dtype=float)
    best, best_score = None, None
    for k, g in rows.groupby(["model", *_KEY]):
        other, k = k[0], tuple(k[1:])
        if (other, k) == (model, key) or len(g) < 3 or _length_model(path, other, k) is None:
            continue
        size = abs(np.log(active.get(other, np.nan) / active.get(model, np.nan))) if other != model else 0.0
        score = (other == model, k[0] == key[0], k[3] == key[3], k[6] == "false", -size if np.isfinite(size) else -1e9, len(g))
        if best_score is None or score > best_score:
            best, best_score = (other, k), score
    return best


def throughput_options(model_class: str, gpu_type: str, precision: str = "fp8", input_tokens: float = 1000,
                       output_tokens: float = 1000, slo_derate: float = DEFAULT_SLO_DERATE, path: str | Path | None = None,
                       engine: str | None = None, gpus_per_replica: int | None = None) -> pd.DataFrame:
    """Every catalog configuration for the model, GPU type and precision, estimated at the lengths.

    Returns
    -------
    pandas.DataFrame
        One row per configuration: ``engine, engine_version, precision, gpus_per_replica,
        concurrency, derived, output_tokens_per_s_ceiling, output_tokens_per_s`` [tokens/s per
        replica], ``output_tokens_per_gpu_hour`` [tokens/GPU-h], ``extrapolated``, ``how``,
        ``source``, best first (published before derived, then most tokens per GPU-hour).
    """
    from planner.catalog.gpus import normalise_gpu

    if not 0 < slo_derate <= 1:
        raise InputError(f"slo_derate must be in (0, 1], got {slo_derate}")
    if input_tokens < 0 or output_tokens <= 0:
        raise InputError(f"input_tokens must be >= 0 and output_tokens > 0, got {input_tokens}, {output_tokens}")
    p = resolve("selfhost_throughput.csv", path)
    table = _table(p)
    model = _resolve_model(model_class, table)
    engine = normalise_engine(engine)
    gpu = normalise_gpu(gpu_type)
    rows = table[(table["model"] == model) & (table["gpu_type"].str.lower() == gpu.lower())
                 & table["precision"].str.lower().isin(precision_matches(precision))]
    if engine:
        rows = rows[rows["engine"] == engine]
    if gpus_per_replica is not None:
        rows = rows[rows["gpus_per_replica"] == int(gpus_per_replica)]
    if rows.empty:
        mine = table[table["model"] == model]
        combos = sorted({f"{r.engine or '-'}/{r.precision}/{r.gpus_per_replica}x{r.gpu_type}" for r in mine.itertuples()})
        asked = "/".join(x for x in (model, gpu, precision, engine, f"{gpus_per_replica} GPUs" if gpus_per_replica else None) if x)
        raise CatalogError(f"no throughput figures for {asked}; known for {model} (engine/precision/GPUs x type): {combos}")
    out = []
    for key, g in rows.groupby(_KEY):
        key = tuple(key)
        ceiling, how, extrapolated = _estimate(p, model, key, float(input_tokens), float(output_tokens))
        usable = ceiling * (slo_derate if key[5] == "max" else 1.0)
        first = g.iloc[0]
        load = "maximum load" if key[5] == "max" else f"{key[5]} concurrent request(s)"
        source = (f"{key[0] or 'engine not given'} {key[1]}".strip() + f", {key[2]} on {key[4]} x {key[3]} at {load}"
                  + (" [derived]" if key[6] == "true" else "") + f"; {how} at {input_tokens:.0f}/{output_tokens:.0f} tokens; "
                  f"{first['source']} ({first['source_url']}, {first['source_date']})")
        out.append({"engine": key[0], "engine_version": key[1], "precision": key[2], "gpus_per_replica": int(key[4]),
                    "concurrency": key[5], "derived": key[6] == "true", "output_tokens_per_s_ceiling": ceiling,
                    "output_tokens_per_s": usable, "output_tokens_per_gpu_hour": usable * 3600.0 / int(key[4]),
                    "extrapolated": extrapolated, "how": how, "source": source, "model": model})
    frame = pd.DataFrame(out)
    return frame.sort_values(["derived", "output_tokens_per_gpu_hour"], ascending=[True, False]).reset_index(drop=True)


def throughput(
    model_class: str,
    gpu_type: str,
    precision: str = "fp8",
    input_tokens: float = 1000,
    output_tokens: float = 1000,
    slo_derate: float = DEFAULT_SLO_DERATE,
    path: str | Path | None = None,
    engine: str | None = None,
    gpus_per_replica: int | None = None,
) -> Throughput:
    """Output tokens/s of one replica serving requests of the given lengths.

    Parameters
    ----------
    model_class : str
        A catalog model or alias, e.g. ``"llama-3.1-8b"``, ``"llama-70b"``, ``"Qwen/Qwen2.5-7B-Instruct"``.
    gpu_type : str
        E.g. ``"H100"``, ``"A100-80GB"``, ``"L40S"``.
    precision : str
        ``bf16`` (matches FP16 rows), ``fp8``, ``fp4``, ``int8``, ``int4`` (AWQ or GPTQ),
        ``int4-awq``, ``int4-gptq``, ``gguf-q4_k_m``, ``gguf-f16``.
    input_tokens, output_tokens : float
        Mean tokens per request [tokens].
    slo_derate : float
        Share of a maximum-load ceiling usable at the latency target, in (0, 1].
    path : str or pathlib.Path, optional
        A throughput CSV instead of the catalog's.
    engine : str, optional
        ``tensorrt-llm``, ``vllm``, ``sglang``, ``llama.cpp`` (``ollama``); default: the best published.
    gpus_per_replica : int, optional
        Only configurations of this many GPUs per replica.

    Returns
    -------
    Throughput
        The configuration with the most usable output tokens per GPU-hour, published before derived.
        Lengths outside the published ones' hull are extrapolated by the fitted request-time model,
        with a :class:`PlannerWarning`.
    """
    options = throughput_options(model_class, gpu_type, precision, input_tokens, output_tokens, slo_derate, path, engine,
                                 gpus_per_replica)
    best = options.iloc[0]
    if best["extrapolated"]:
        warnings.warn(
            f"{best['model']}/{gpu_type}/{precision}: {input_tokens:.0f}/{output_tokens:.0f} tokens per request is outside the "
            f"published lengths of {best['engine']} {best['engine_version']}; {best['how']}", PlannerWarning, stacklevel=2)
    return Throughput(float(best["output_tokens_per_s_ceiling"]), float(best["output_tokens_per_s"]), int(best["gpus_per_replica"]),
                      str(best["source"]), str(best["engine"]), str(best["engine_version"]), str(best["model"]),
                      str(best["precision"]), str(best["concurrency"]), bool(best["derived"]))
