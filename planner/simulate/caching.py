"""Caching levers: provider prompt caching (prefix reuse) and semantic caching (deflection).

Prompt caching (Anthropic, OpenAI, Gemini): the first request with a cacheable prefix writes it
(``write_multiplier`` x the input price), later requests within the cache's time-to-live read it
(``read_multiplier`` x); a prefix shorter than the provider's minimum is never cached. Multipliers
and minimums come from :func:`planner.catalog.cache_rules`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from planner.exceptions import InputError

__all__ = [
    "prefix_cost_multiplier",
    "hit_probability",
    "expected_prefix_multiplier",
    "replay_prefix_cache",
    "semantic_cache_multiplier",
    "batch_multiplier",
    "prefix_split",
    "cached_read_price",
]


def prefix_cost_multiplier(prefix_tokens: float, requests_per_ttl: float, write_multiplier: float,
                           read_multiplier: float, min_cacheable_tokens: float) -> float:
    """Input cost of a shared prefix with caching, relative to no caching [-].

    ``requests_per_ttl`` requests share the prefix within one cache lifetime: one writes it, the
    others read it, so the multiplier is (write + (n - 1) read) / n. A prefix below the
    provider's minimum cacheable length costs 1 (no discount, no write fee).

    Parameters
    ----------
    prefix_tokens : float
        Cacheable prefix length [tokens].
    requests_per_ttl : float
        Requests sharing the prefix per cache lifetime [requests], >= 1.
    write_multiplier, read_multiplier : float
        Prices of writing and reading the cache [x input price].
    min_cacheable_tokens : float
        Provider minimum [tokens].
    """
    if prefix_tokens < 0 or requests_per_ttl < 1:
        raise InputError(f"prefix_tokens must be >= 0 and requests_per_ttl >= 1, got {prefix_tokens}, {requests_per_ttl}")
    if prefix_tokens < min_cacheable_tokens:
        return 1.0
    n = float(requests_per_ttl)
    return (write_multiplier + (n - 1) * read_multiplier) / n


def hit_probability(rate_per_s: np.ndarray | float, ttl_s: float) -> np.ndarray | float:
    """Probability that a request finds its prefix cached [-].

    With Poisson arrivals of ``rate_per_s`` [requests/s] per prefix and a TTL refreshed by every
    use, the prefix is cached when the previous request came less than ``ttl_s`` [s] ago:
    P = 1 - exp(-rate x ttl).
    """
    return 1.0 - np.exp(-np.asarray(rate_per_s, float) * ttl_s)


def expected_prefix_multiplier(hit: np.ndarray | float, write_multiplier: float, read_multiplier: float) -> np.ndarray | float:
    """Expected prefix cost per request with hit probability ``hit`` [-]: hit x read + (1 - hit) x write."""
    hit = np.asarray(hit, float)
    return hit * read_multiplier + (1 - hit) * write_multiplier


def replay_prefix_cache(timestamps_s: Sequence[float], hash_ids: Sequence[Sequence[int]],
                        input_tokens: Sequence[float], ttl_s: float, block_tokens: int = 512) -> np.ndarray:
    """Replay real prefix reuse: cached input tokens per request [tokens].

    Each request's prompt is a chain of prefix blocks (Mooncake's ``hash_ids``, one per
    ``block_tokens`` tokens; equal ids are the same content). A request reads from the cache the
    longest leading run of its blocks that were used by any request within ``ttl_s`` before it,
    then every one of its blocks counts as used now.

    Returns
    -------
    numpy.ndarray
        Cached tokens per request, at most its input length [tokens].
    """
    ts = np.asarray(timestamps_s, float)
    order = np.argsort(ts, kind="stable")
    last_used: dict[int, float] = {}
    cached = np.zeros(len(ts))
    for i in order:
        t = ts[i]
        blocks = hash_ids[i]
        k = 0
        for b in blocks:
            seen = last_used.get(b)
            if seen is None or t - seen > ttl_s:
                break
            k += 1
        cached[i] = min(k * block_tokens, float(input_tokens[i]))
        for b in blocks:
            last_used[b] = t
    return cached


def semantic_cache_multiplier(hit_rate: np.ndarray | float, lookup_cost_share: float = 0.0) -> np.ndarray | float:
    """Cost of requests behind a semantic cache relative to none [-].

    A hit is answered from the cache and costs only the lookup (``lookup_cost_share`` of a
    request's cost, e.g. an embedding call); a miss costs the request plus the lookup.
    """
    hit = np.asarray(hit_rate, float)
    if np.any((hit < 0) | (hit > 1)):
        raise InputError("semantic cache hit rate must be within [0, 1]")
    return (1 - hit) + lookup_cost_share


def batch_multiplier(batch_share: float, discount_multiplier: float = 0.5) -> float:
    """Token cost when ``batch_share`` of the traffic uses a batch API at ``discount_multiplier`` [-]."""
    if not 0 <= batch_share <= 1:
        raise InputError(f"batch share must be within [0, 1], got {batch_share}")
    return 1 - batch_share + batch_share * discount_multiplier


def prefix_split(prefix_tokens: float, requests_per_ttl: float) -> tuple[float, float]:
    """A cached prefix per request split into cache reads and cache writes [tokens].

    Of ``requests_per_ttl`` (n) requests sharing the prefix within one cache lifetime one writes
    it and n - 1 read it: per request, ``prefix x (n - 1) / n`` tokens are read from the cache
    and ``prefix / n`` written (billed as input, plus the write premium). Their prices give
    :func:`prefix_cost_multiplier` exactly (see :func:`cached_read_price`).
    """
    if prefix_tokens < 0 or requests_per_ttl < 1:
        raise InputError(f"prefix_tokens must be >= 0 and requests_per_ttl >= 1, got {prefix_tokens}, {requests_per_ttl}")
    n = float(requests_per_ttl)
    return prefix_tokens * (n - 1) / n, prefix_tokens / n


def cached_read_price(input_usd_per_token: float, write_multiplier: float, read_multiplier: float,
                      requests_per_ttl: float) -> float:
    """Price of one cache-read token with the write premium spread over the reads [USD/token].

    With the written tokens billed at the input price, ``input x (read + (write - 1) / (n - 1))``
    per read token makes the prefix cost ``input x (write + (n - 1) read) / n`` per request, i.e.
    :func:`prefix_cost_multiplier` (n = ``requests_per_ttl`` > 1; with n = 1 nothing is read and
    caching only adds the write fee).
    """
    if requests_per_ttl <= 1:
        raise InputError(f"requests_per_ttl {requests_per_ttl:g}: with one request per cache lifetime nothing is read "
                         "from the cache; expected more than 1")
    return input_usd_per_token * (read_multiplier + (write_multiplier - 1) / (requests_per_ttl - 1))
