"""How a report names things: clouds, GPU pools, routes, terms, models, metrics, frequencies, lists.

Pure functions from the identifiers planner uses inside (``H100@aws``, ``selfhost:llama-70b@H100@aws``,
``W-MON``, ``output_tokens``) to the words a reader sees (``H100 on AWS``, ``self-hosted llama-70b,
H100 on AWS``, ``weekly``, ``output tokens``).
"""

from __future__ import annotations

import re

__all__ = ["outcome_noun", "cloud_name", "pool_name", "route_name", "term_name", "model_name", "metric_noun", "frequency",
           "period_name", "capital", "names"]

_CLOUDS = {"aws": "AWS", "gcp": "GCP", "azure": "Azure", "lambda": "Lambda", "oci": "OCI", "ibm": "IBM",
           "runpod": "RunPod", "coreweave": "CoreWeave", "nebius": "Nebius", "vast": "Vast.ai"}


_FREQ_WORDS = {"h": ("hourly", "hour"), "min": ("every minute", "minute"), "D": ("daily", "day"),
               "W": ("weekly", "week"), "MS": ("monthly", "month"), "ME": ("monthly", "month"),
               "M": ("monthly", "month"), "QS": ("quarterly", "quarter"), "QE": ("quarterly", "quarter"),
               "Q": ("quarterly", "quarter"), "YS": ("yearly", "year"), "YE": ("yearly", "year")}


def _freq_parts(freq: str) -> tuple[int, str, str]:
    m = re.fullmatch(r"(\d*)([A-Za-z]+)(?:-[A-Z]{3})?", str(freq).strip())
    if not m or m.group(2) not in _FREQ_WORDS:
        return 1, str(freq), "period"
    n = int(m.group(1) or 1)
    adverb, noun = _FREQ_WORDS[m.group(2)]
    return n, adverb, noun


def frequency(freq: str) -> str:
    """A pandas frequency in words: ``h`` -> ``hourly``, ``W-MON`` -> ``weekly``, ``6h`` -> ``every 6 hours``."""
    n, adverb, noun = _freq_parts(freq)
    return adverb if n == 1 else f"every {n} {noun}s"


def period_name(freq: str) -> str:
    """What one period of ``freq`` is called: ``hour``, ``day``, ``week``, ``6-hour period``."""
    n, _, noun = _freq_parts(freq)
    return noun if n == 1 else f"{n}-{noun} period"


def model_name(model: object, members: object = None) -> str:
    """A forecast model's name for a reader: ``Ensemble`` with its members -> ``combination of 8
    models``, ``SeasonalNaive`` -> ``seasonal naive``, ``Naive`` -> ``naive (last value)``."""
    if model is None or model != model:  # None or NaN
        return "–"
    text = str(model)
    if text == "Ensemble":
        n = len([m for m in str(members).split("+") if m]) if isinstance(members, str) else 0
        return f"combination of {n} models" if n else "combination of models"
    return {"SeasonalNaive": "seasonal naive", "Naive": "naive (last value)"}.get(text, text)


_METRIC_NOUNS = {"gpu_hours": "GPU-hours", "node_hours": "node-hours", "cache_storage_token_hours": "token-hours"}


def metric_noun(metric: str) -> str:
    """What a usage metric counts, in words: ``output_tokens`` -> ``output tokens``, ``gpu_hours``
    -> ``GPU-hours``, ``requests`` -> ``requests``, a ``*_usd`` metric -> ``USD``."""
    if metric in _METRIC_NOUNS:
        return _METRIC_NOUNS[metric]
    if metric.startswith("outcome:"):
        return outcome_noun(metric)
    if metric.endswith("_usd") or metric == "usd":
        return "USD"
    return metric.replace("_", " ")


def outcome_noun(metric: str, one: bool = False) -> str:
    """An outcome metric in words: ``outcome:resolved_ticket`` -> ``resolved tickets`` (``resolved
    ticket`` with ``one``)."""
    name = str(metric).removeprefix("outcome:").replace("_", " ")
    if one or name.endswith("s"):
        return name
    return name[:-1] + "ies" if name.endswith("y") and name[-2:-1] not in "aeiou" else name + "s"


def cloud_name(cloud: str) -> str:
    """``aws`` -> ``AWS``, ``lambda`` -> ``Lambda``; other names as given."""
    return _CLOUDS.get(str(cloud).lower(), str(cloud))


def pool_name(pool: str) -> str:
    """A GPU pool ``H100@aws`` as ``H100 on AWS``."""
    gpu, _, cloud = str(pool).partition("@")
    return f"{gpu} on {cloud_name(cloud)}" if cloud else gpu


def route_name(route: str) -> str:
    """A plan's route in words: ``api:gpt-4o (batch)`` -> ``API gpt-4o (batch)``,
    ``selfhost:llama-70b@H100@aws`` -> ``self-hosted llama-70b, H100 on AWS``,
    ``selfhost:llama-3.3-70b/fp8/tensorrt-llm@H100@aws`` -> ``self-hosted llama-3.3-70b (FP8,
    tensorrt-llm), H100 on AWS``,
    ``provisioned:gpt-4o-ptu`` -> ``provisioned throughput gpt-4o-ptu``."""
    kind, _, rest = str(route).partition(":")
    if not rest:
        return str(route)
    if kind == "api":
        return f"API {rest}"
    if kind == "selfhost":
        model, _, pool = rest.partition("@")
        model, _, how = model.partition("/")     # selfhost:<model>/<precision>/<engine>@<pool>
        precision, _, engine = how.partition("/")
        detail = f" ({', '.join(x for x in (precision.upper(), engine) if x)})" if how else ""
        return f"self-hosted {model}{detail}, {pool_name(pool)}" if pool else f"self-hosted {model}{detail}"
    if kind == "provisioned":
        return f"provisioned throughput {rest}"
    return str(route)


def term_name(term: str) -> str:
    """A commitment term ``1y`` / ``3y`` / ``1m`` / ``6m`` as ``1-year`` / ``3-year`` / ``1-month``
    / ``6-month``; other terms as given."""
    m = re.fullmatch(r"(\d+)([ym])", str(term))
    return f"{m.group(1)}-{'year' if m.group(2) == 'y' else 'month'}" if m else str(term)


def capital(text: object) -> str:
    """``text`` with its first letter upper-case and the rest as it is: ``all API`` -> ``All API``."""
    text = str(text)
    return text[:1].upper() + text[1:]


def names(items: list[str] | tuple[str, ...], most: int = 3) -> str:
    """``a, b and c``; beyond ``most`` items ``a, b, c and 9 more``."""
    items = [str(i) for i in items]
    if len(items) <= 1:
        return "".join(items)
    if len(items) <= most:
        return f"{', '.join(items[:-1])} and {items[-1]}"
    return f"{', '.join(items[:most])} and {len(items) - most} more"
