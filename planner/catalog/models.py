"""Open-model shapes from their published configs: layers, heads, KV heads, head size, experts, parameters.

The shapes (``model_shapes.csv``) come from each model's Hugging Face ``config.json``; parameter
counts are computed from them by :func:`parameter_count` (a closed form, checked against the model
cards in the tests) except where the file gives ``params`` (DeepSeek's MLA layout, from its card).
Model names are planner's short names (``llama-3.1-8b``); aliases (``llama-8b``, the Hugging Face
id) resolve to them.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pandas as pd

from planner.catalog._files import read_csv, resolve
from planner.exceptions import CatalogError

__all__ = ["ModelShape", "load_models", "model_shape", "resolve_model", "parameter_count"]

_INT = ["layers", "hidden", "attention_heads", "kv_heads", "head_dim", "intermediate", "vocab", "tied_embeddings",
        "qkv_bias", "experts", "experts_per_token", "moe_intermediate", "kv_lora_rank", "rope_head_dim"]


@dataclass(frozen=True)
class ModelShape:
    """One model's shape.

    Attributes
    ----------
    model, hf_id, architecture : str
        planner's name, the Hugging Face id, and the shape family shared by fine-tunes of one base.
    layers, hidden, attention_heads, kv_heads, head_dim, intermediate, vocab : int
        ``num_hidden_layers``, ``hidden_size``, ``num_attention_heads``, ``num_key_value_heads``,
        head size, ``intermediate_size``, ``vocab_size`` [-].
    tied_embeddings, qkv_bias : bool
        Input and output embeddings shared; biases on the q, k, v projections (Qwen2).
    experts, experts_per_token, moe_intermediate : int
        Mixture of experts (0 for a dense model) [-].
    kv_lora_rank, rope_head_dim : int
        Multi-head latent attention (DeepSeek): the cached latent and rotary sizes per token and
        layer; 0 for grouped-query attention [-].
    params : float
        Total parameters [-].
    active_params : float
        Parameters used per token (equal to ``params`` for a dense model) [-].
    source : str
    """

    model: str
    hf_id: str
    architecture: str
    layers: int
    hidden: int
    attention_heads: int
    kv_heads: int
    head_dim: int
    intermediate: int
    vocab: int
    tied_embeddings: bool
    qkv_bias: bool
    experts: int
    experts_per_token: int
    moe_intermediate: int
    kv_lora_rank: int
    rope_head_dim: int
    params: float
    active_params: float
    source: str

    @property
    def embedding_params(self) -> float:
        """Input embedding plus output head [-]: ``vocab x hidden`` once if tied, else twice."""
        return float(self.vocab * self.hidden * (1 if self.tied_embeddings else 2))


def parameter_count(layers: int, hidden: int, attention_heads: int, kv_heads: int, head_dim: int, intermediate: int,
                    vocab: int, tied_embeddings: bool = False, qkv_bias: bool = False, experts: int = 0,
                    experts_per_token: int = 0, moe_intermediate: int = 0) -> tuple[float, float]:
    """Total and per-token parameters of a decoder-only transformer [-].

    Per layer: attention ``hidden x (heads x head_dim)`` for q and o, ``hidden x (kv_heads x head_dim)``
    for k and v (plus their biases when ``qkv_bias``); a SwiGLU feed-forward ``3 x hidden x
    intermediate``, or for a mixture of experts ``experts x 3 x hidden x moe_intermediate`` plus a
    ``hidden x experts`` router (``experts_per_token`` of them active); two RMS norms of ``hidden``.
    Plus the embeddings (``vocab x hidden``, twice unless tied) and a final norm. E.g. Llama-3.1-8B
    (32 layers, 4,096 hidden, 32/8 heads of 128, 14,336, vocab 128,256) has 8,030,261,248.

    Returns
    -------
    tuple of float
        ``(total, active)`` parameters.
    """
    q = attention_heads * head_dim
    kv = kv_heads * head_dim
    attn = 2 * hidden * q + 2 * hidden * kv + ((q + 2 * kv) if qkv_bias else 0)
    norms = 2 * hidden
    if experts:
        expert = 3 * hidden * moe_intermediate
        ffn_total = experts * expert + hidden * experts
        ffn_active = experts_per_token * expert + hidden * experts
    else:
        ffn_total = ffn_active = 3 * hidden * intermediate
    emb = vocab * hidden * (1 if tied_embeddings else 2) + hidden
    return (float(layers * (attn + ffn_total + norms) + emb), float(layers * (attn + ffn_active + norms) + emb))


def load_models(path: str | Path | None = None) -> pd.DataFrame:
    """The model-shape catalog (``model_shapes.csv``), with ``params``/``active_params`` filled [-]."""
    return _models(resolve("model_shapes.csv", path)).copy()


@lru_cache(maxsize=8)
def _models(path: Path) -> pd.DataFrame:
    frame = read_csv(path, ["model", "hf_id", "architecture", *_INT, "source"], [*_INT, "params", "active_params"])
    if frame["model"].duplicated().any():
        raise CatalogError(f"{path}: model {frame.loc[frame['model'].duplicated(), 'model'].iloc[0]!r} appears twice")
    for col in _INT:
        if frame[col].isna().any():
            row = int(frame[col].isna().to_numpy().nonzero()[0][0]) + 1
            raise CatalogError(f"{path}: column {col!r} is empty at row {row}; expected a whole number")
        frame[col] = frame[col].astype(int)
    computed = frame.apply(lambda r: parameter_count(
        r.layers, r.hidden, r.attention_heads, r.kv_heads, r.head_dim, r.intermediate, r.vocab, bool(r.tied_embeddings),
        bool(r.qkv_bias), r.experts, r.experts_per_token, r.moe_intermediate), axis=1)
    if "params" not in frame.columns:
        frame["params"] = float("nan")
    if "active_params" not in frame.columns:
        frame["active_params"] = float("nan")
    frame["params_computed"] = frame["params"].isna()
    frame["params"] = frame["params"].fillna(computed.str[0])
    frame["active_params"] = frame["active_params"].fillna(computed.str[1])
    if "aliases" not in frame.columns:
        frame["aliases"] = ""
    frame["aliases"] = frame["aliases"].fillna("")
    return frame


def resolve_model(name: str, path: str | Path | None = None) -> str:
    """planner's model name for ``name`` (itself, an alias such as ``llama-8b``, or a Hugging Face id).

    Raises :class:`CatalogError` naming close matches when the name is unknown.
    """
    table = _models(resolve("model_shapes.csv", path))
    lookup = {m.lower(): m for m in table["model"]}
    for model, aliases in zip(table["model"], table["aliases"], strict=True):
        for alias in str(aliases).split(";"):
            if alias.strip():
                lookup.setdefault(alias.strip().lower(), model)
    key = str(name).strip().lower()
    if key in lookup:
        return lookup[key]
    close = difflib.get_close_matches(key, sorted(lookup), n=3, cutoff=0.5)
    raise CatalogError(f"unknown model {name!r}; close matches: {close}; known models: {sorted(table['model'])}")


def model_shape(name: str, path: str | Path | None = None) -> ModelShape:
    """The shape of one model (any alias accepted)."""
    table = _models(resolve("model_shapes.csv", path))
    row = table[table["model"] == resolve_model(name, path)].iloc[0]
    return ModelShape(
        model=row["model"], hf_id=row["hf_id"], architecture=row["architecture"],
        **{c: int(row[c]) for c in _INT if c not in ("tied_embeddings", "qkv_bias")},
        tied_embeddings=bool(row["tied_embeddings"]), qkv_bias=bool(row["qkv_bias"]),
        params=float(row["params"]), active_params=float(row["active_params"]), source=str(row["source"]))
