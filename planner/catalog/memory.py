"""Memory fit: do a model's weights and KV cache fit the GPUs of a replica, and how large a batch fits.

Pure functions over a :class:`planner.catalog.models.ModelShape` (or its name), in decimal bytes
(1 GB = 1e9 bytes, as GPU datasheets state memory):

* weights [bytes] = quantized parameters x bytes per parameter of the precision + the embeddings
  and output head in 16 bits, for the precisions that quantize only the linear layers of the
  transformer blocks (FP8, INT8, AWQ/GPTQ INT4, FP4 -- as the quantized checkpoints' model cards
  state); GGUF files quantize every tensor, so there the whole count is multiplied.
* KV cache per token [bytes] = 2 x layers x kv_heads x head_dim x bytes per KV element for
  grouped-query attention; layers x (kv_lora_rank + rope_head_dim) x bytes for DeepSeek's latent
  attention. E.g. Llama-3.1-8B in BF16: 2 x 32 x 8 x 128 x 2 = 131,072 bytes.
* a replica of ``n`` GPUs fits when ``weights + kv_per_token x context x batch <= n x memory x
  memory_utilization`` (vLLM's default ``gpu_memory_utilization`` is 0.9); tensor parallelism
  splits both evenly. Activations and CUDA graphs live in the share left over.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from planner.exceptions import InputError

__all__ = ["BITS_PER_WEIGHT", "FitResult", "bytes_per_parameter", "weight_bytes", "kv_bytes_per_token", "fit",
           "min_gpus", "max_batch", "TP_DEGREES"]

#: Bits stored per quantized weight [bits]. 16-bit formats 16; FP8/INT8 8; AWQ/GPTQ INT4 with a
#: 16-bit scale per group of 128 weights 4 + 16/128 = 4.125; NVFP4 4-bit values with an FP8 scale
#: per 16 = 4.5; GGUF Q8_0 blocks of 32 int8 plus one FP16 scale 8.5 (ggml block_q8_0); GGUF
#: Q4_K_M 4.85, the mean of the published file sizes of Llama 3 8B (4.58 GiB) and 70B (39.59 GiB)
#: per parameter (4.90 and 4.82 bits); GGUF F16 16.
BITS_PER_WEIGHT = {
    "bf16": 16.0, "fp16": 16.0, "fp8": 8.0, "int8": 8.0, "int8-gptq": 8.0, "int4-gptq": 4.125, "int4-awq": 4.125,
    "fp4": 4.5, "gguf-q8_0": 8.5, "gguf-q4_k_m": 4.85, "gguf-f16": 16.0,
}
#: Tensor-parallel degrees a replica may use [GPUs].
TP_DEGREES = (1, 2, 4, 8, 16, 32, 64, 128)
_GGUF = ("gguf-",)


def _shape(model):
    from planner.catalog.models import model_shape

    return model_shape(model) if isinstance(model, str) else model


def bytes_per_parameter(precision: str) -> float:
    """Bytes stored per quantized weight [bytes] (:data:`BITS_PER_WEIGHT` / 8)."""
    key = str(precision).lower()
    if key not in BITS_PER_WEIGHT:
        raise InputError(f"unknown precision {precision!r}; known: {sorted(BITS_PER_WEIGHT)}")
    return BITS_PER_WEIGHT[key] / 8.0


def weight_bytes(model, precision: str) -> float:
    """Weights of ``model`` in ``precision`` [bytes].

    Parameters
    ----------
    model : str or ModelShape
        A catalog model (name or alias) or its shape.
    precision : str
        A key of :data:`BITS_PER_WEIGHT`.

    Returns
    -------
    float
        ``params x bytes`` for 16-bit and GGUF formats; ``(params - embeddings) x bytes +
        embeddings x 2`` for formats that keep the embeddings and output head in 16 bits.
        Llama-3.1-8B in BF16: 8,030,261,248 x 2 = 16.06e9.
    """
    shape = _shape(model)
    per = bytes_per_parameter(precision)
    if per >= 2.0 or str(precision).lower().startswith(_GGUF):
        return shape.params * per
    emb = min(shape.embedding_params, shape.params)
    return (shape.params - emb) * per + emb * 2.0


def kv_bytes_per_token(model, kv_bytes: float = 2.0) -> float:
    """KV cache of one token across all layers [bytes/token].

    ``2 x layers x kv_heads x head_dim x kv_bytes`` (keys and values), or for latent attention
    ``layers x (kv_lora_rank + rope_head_dim) x kv_bytes``. ``kv_bytes`` is 2 for a BF16/FP16
    cache, 1 for FP8.
    """
    shape = _shape(model)
    if kv_bytes <= 0:
        raise InputError(f"kv_bytes must be > 0, got {kv_bytes}")
    if shape.kv_lora_rank:
        return float(shape.layers * (shape.kv_lora_rank + shape.rope_head_dim) * kv_bytes)
    return float(2 * shape.layers * shape.kv_heads * shape.head_dim * kv_bytes)


def default_kv_bytes(precision: str) -> float:
    """KV element size a precision's engines use by default [bytes]: 1 for FP8/FP4 (TensorRT-LLM sets
    an FP8 KV cache with FP8 quantization), else 2."""
    return 1.0 if str(precision).lower() in ("fp8", "fp4") else 2.0


@dataclass(frozen=True)
class FitResult:
    """Memory arithmetic of one replica.

    Attributes
    ----------
    gpus : int
        GPUs of the replica [GPU].
    weights_bytes, kv_bytes_per_token, usable_bytes : float
        Weights [bytes], KV cache per token [bytes/token], ``gpus x memory x utilization`` [bytes].
    max_batch : int
        Sequences of ``context_tokens`` whose KV cache fits next to the weights [sequences].
    fits : bool
        ``max_batch >= batch`` asked.
    """

    gpus: int
    weights_bytes: float
    kv_bytes_per_token: float
    usable_bytes: float
    max_batch: int
    fits: bool


def fit(model, precision: str, gpu_type: str, gpus: int, context_tokens: float, batch: int = 1,
        memory_utilization: float = 0.9, kv_bytes: float | None = None) -> FitResult:
    """Whether ``batch`` sequences of ``context_tokens`` [tokens] fit a replica of ``gpus`` GPUs.

    Parameters
    ----------
    model : str or ModelShape
    precision : str
    gpu_type : str
        A type of ``gpu_specs.csv`` (memory per GPU [GB]).
    gpus : int
        GPUs per replica [GPU].
    context_tokens : float
        Input + output tokens held per sequence [tokens].
    batch : int
        Concurrent sequences [sequences].
    memory_utilization : float
        Share of each GPU's memory the engine may use, in (0, 1].
    kv_bytes : float, optional
        KV element size [bytes]; default :func:`default_kv_bytes` of the precision.
    """
    from planner.catalog.hardware import gpu_spec

    if not gpus >= 1 or not context_tokens >= 0 or batch < 0 or not 0 < memory_utilization <= 1:
        raise InputError("fit: expected gpus >= 1, context_tokens >= 0, batch >= 0 and memory_utilization in (0, 1]")
    usable = gpus * float(gpu_spec(gpu_type)["memory_gb"]) * 1e9 * memory_utilization
    weights = weight_bytes(model, precision)
    per_token = kv_bytes_per_token(model, default_kv_bytes(precision) if kv_bytes is None else kv_bytes)
    room = usable - weights
    per_seq = per_token * max(context_tokens, 1.0)
    most = int(math.floor(room / per_seq)) if room > 0 else 0
    return FitResult(gpus, weights, per_token, usable, most, room > 0 and most >= batch)


def min_gpus(model, precision: str, gpu_type: str, context_tokens: float, batch: int = 1,
             memory_utilization: float = 0.9, kv_bytes: float | None = None) -> int:
    """Fewest GPUs of :data:`TP_DEGREES` whose replica holds the weights and ``batch`` contexts [GPU].

    Raises :class:`InputError` naming the weights, the KV cache and the memory when even the
    largest degree does not fit. E.g. Llama-3.1-70B in BF16 (141.1 GB of weights) needs 2 x 80 GB
    GPUs; in INT4 (38 GB) one.
    """
    for n in TP_DEGREES:
        result = fit(model, precision, gpu_type, n, context_tokens, batch, memory_utilization, kv_bytes)
        if result.fits:
            return n
    from planner.catalog.hardware import gpu_spec

    shape = _shape(model)
    mem = float(gpu_spec(gpu_type)["memory_gb"])
    need = result.weights_bytes + result.kv_bytes_per_token * max(context_tokens, 1.0) * batch
    raise InputError(
        f"{shape.model} in {precision} does not fit on up to {TP_DEGREES[-1]} x {gpu_type}: weights "
        f"{result.weights_bytes / 1e9:,.1f} GB + KV cache {result.kv_bytes_per_token * max(context_tokens, 1.0) * batch / 1e9:,.1f} GB "
        f"({batch} x {context_tokens:,.0f} tokens) = {need / 1e9:,.1f} GB, against {mem:g} GB x {memory_utilization:g} per GPU")


def max_batch(model, precision: str, gpu_type: str, gpus: int, context_tokens: float,
              memory_utilization: float = 0.9, kv_bytes: float | None = None) -> int:
    """Sequences of ``context_tokens`` [tokens] whose KV cache fits next to the weights [sequences].

    Raises :class:`InputError` naming the numbers when not even one fits.
    """
    result = fit(model, precision, gpu_type, gpus, context_tokens, 1, memory_utilization, kv_bytes)
    if not result.fits:
        shape = _shape(model)
        raise InputError(
            f"{shape.model} in {precision} does not fit on {gpus} x {gpu_type}: weights {result.weights_bytes / 1e9:,.1f} GB + "
            f"KV cache {result.kv_bytes_per_token * max(context_tokens, 1.0) / 1e9:,.2f} GB for one {context_tokens:,.0f}-token "
            f"sequence > {result.usable_bytes / 1e9:,.1f} GB usable ({gpus} x GPU memory x {memory_utilization:g})")
    return result.max_batch
