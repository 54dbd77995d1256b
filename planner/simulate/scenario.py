"""Scenario files: a validated YAML schema with ``extends:`` inheritance.

A scenario describes demand (requests per month and growth) and workloads (share of traffic,
token lengths, the model or routing, and the levers). Unknown keys, wrong types, shares that do
not sum to 1, negative values, unknown models and prefixes longer than the prompt raise
:class:`planner.exceptions.ScenarioError` naming the file, the key path and the expected form.

Example::

    name: baseline
    months: 12
    requests_per_month: 2_000_000
    growth_pct_per_month: 5
    workloads:
      - name: chat
        share: 0.7
        input_tokens: {mean: 1200, cv: 1.0}
        output_tokens: {mean: 250, cv: 0.8}
        model: gpt-4o
        system_prompt_tokens: 800
      - name: code
        share: 0.3
        input_tokens: {trace: ../data/samples/azure_llm_2023_code.csv}
        output_tokens: {trace: ../data/samples/azure_llm_2023_code.csv}
        routing: {split: {gpt-4o: 0.5, gpt-4o-mini: 0.5}}

A self-hosted workload replaces ``model`` by ``selfhost: {model: llama-3.1-8b, engine: vllm,
precision: fp8, gpu_type: H100}`` (engine, precision and GPU type from the throughput catalog;
``planner catalog show throughput --filter llama-3.1-8b`` lists what is known).
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from planner._yaml import check_schema, load_mapping
from planner.exceptions import ScenarioError

__all__ = ["load_scenario", "SCHEMA", "LEVERS", "check_levers"]

_NUM = (int, float)
#: How a workload is served: exactly one of these; a derived file naming one drops the base's other.
_SERVED_BY = {"model", "routing", "selfhost"}
_RANGE = {"low": _NUM, "high": _NUM}
_LENGTH = {"mean": _NUM, "cv": _NUM, "trace": str}
#: The schema: a key maps to a type, a tuple of types, a nested dict, or a one-item list of a schema.
SCHEMA: dict = {
    "name": str, "description": str, "extends": str, "months": int, "start": (str, datetime.date),
    "requests_per_month": _NUM, "growth_pct_per_month": _NUM,
    "requests_series": {"file": str, "unique_id": str},
    "workloads": [{
        "name": str, "share": _NUM, "input_tokens": _LENGTH, "output_tokens": _LENGTH,
        "model": str,
        "routing": {
            "split": dict,
            "cascade": {"models": list, "escalation": list},
            "threshold": {"data": str, "benchmark": str, "strong": str, "weak": str, "strong_share": _NUM},
        },
        "system_prompt_tokens": _NUM, "trim_system_tokens": _NUM, "max_output_tokens": _NUM,
        "prompt_cache": {"requests_per_ttl": _NUM, "ttl": str},
        "semantic_cache": {"hit_rate": (*_NUM, dict), "lookup_cost_share": _NUM},
        "batch_share": _NUM, "accuracy": _NUM, "outcome": {"name": str, "success_rate": _NUM},
        "agent": {"calls_per_task": _NUM, "step_limit": _NUM},
        "selfhost": {"model": str, "model_class": str, "engine": str, "gpu_type": str, "precision": str,
                     "gpus_per_replica": int, "cloud": str, "slo_derate": _NUM, "utilization": _NUM,
                     "throughput_multiplier": _NUM, "peak_to_mean": _NUM, "min_replicas": int,
                     "quality_penalty_pct": _NUM},
    }],
}


def load_scenario(path: str | Path) -> dict:
    """Read, merge (``extends:``) and validate a scenario file.

    Parameters
    ----------
    path : str or pathlib.Path
        YAML file. ``extends:`` names a base file (relative to this one); keys given here replace
        the base's, ``workloads`` entries replace the base entry of the same ``name`` key by key.

    Returns
    -------
    dict
        The validated scenario; relative file paths inside it are made absolute.
    """
    path = Path(path)
    data = _read(path, seen=())
    check_schema(data, SCHEMA, str(path), "", ScenarioError)
    _semantics(data, str(path))
    data.setdefault("name", path.stem)
    data["_file"] = str(path)
    return data


def _read(path: Path, seen: tuple) -> dict:
    if path.resolve() in seen:
        raise ScenarioError(f"{path}: extends itself (through {[str(p) for p in seen]})")
    data = load_mapping(path, "scenario", ScenarioError)
    for wl in data.get("workloads") or []:
        for key in ("input_tokens", "output_tokens"):
            spec = wl.get(key) if isinstance(wl, dict) else None
            if isinstance(spec, dict) and isinstance(spec.get("trace"), str):
                spec["trace"] = str((path.parent / spec["trace"]).resolve())
        routing = wl.get("routing") if isinstance(wl, dict) else None
        if isinstance(routing, dict) and isinstance(routing.get("threshold"), dict) and \
                isinstance(routing["threshold"].get("data"), str):
            routing["threshold"]["data"] = str((path.parent / routing["threshold"]["data"]).resolve())
    series = data.get("requests_series")
    if isinstance(series, dict) and isinstance(series.get("file"), str):
        series["file"] = str((path.parent / series["file"]).resolve())
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    base = _read(path.parent / base_name, (*seen, path.resolve()))
    return _merge(base, data)


def _merge(base: dict, over: dict) -> dict:
    out = {**base}
    for key, value in over.items():
        if key == "workloads" and isinstance(value, list) and isinstance(base.get("workloads"), list):
            # base workloads are kept in order; a derived entry with the same name is merged into
            # its base entry key by key, a new name is appended
            merged = [dict(w) if isinstance(w, dict) else w for w in base["workloads"]]
            index = {w.get("name"): i for i, w in enumerate(merged) if isinstance(w, dict)}
            for w in value:
                if isinstance(w, dict) and w.get("name") in index:
                    i = index[w["name"]]
                    given = _SERVED_BY & set(w)
                    base_w = {k: v for k, v in merged[i].items() if not (given and k in _SERVED_BY - given)}
                    merged[i] = _merge(base_w, w)
                else:
                    merged.append(w)
            out[key] = merged
        elif isinstance(value, dict) and isinstance(base.get(key), dict) and key not in ("split",):
            out[key] = _merge(base[key], value)
        else:
            out[key] = value
    return out


def _semantics(data: dict, file: str) -> None:
    if "workloads" not in data:
        raise ScenarioError(f"{file}: missing key workloads")
    if ("requests_per_month" in data) == ("requests_series" in data):
        raise ScenarioError(f"{file}: give exactly one of requests_per_month or requests_series")
    if "start" in data:
        if "requests_series" in data:
            raise ScenarioError(f"{file}: start: the months of requests_series are dated already; give start only "
                                "with requests_per_month")
        try:
            import pandas as pd

            data["start"] = str(pd.Timestamp(str(data["start"])).to_period("M").to_timestamp().date())
        except ValueError:
            raise ScenarioError(f"{file}: start: expected a month such as 2026-01, got {data['start']!r}") from None
    workloads = data["workloads"]
    total = sum(w.get("share", 0) for w in workloads)
    if abs(total - 1) > 1e-6:
        raise ScenarioError(f"{file}: workloads[*].share add up to {total:g}; expected 1")
    for i, w in enumerate(workloads):
        at = f"workloads[{i}]"
        for key in ("name", "share", "input_tokens", "output_tokens"):
            if key not in w:
                raise ScenarioError(f"{file}: {at}: missing key {key}")
        if sum(k in w for k in ("model", "routing", "selfhost")) != 1:
            raise ScenarioError(f"{file}: {at}: give exactly one of model, routing or selfhost")
        check_levers(w, file, at, ScenarioError)


#: The lever keys of a workload (everything of the schema's workload but its name, share and selfhost).
LEVERS: dict = {k: v for k, v in SCHEMA["workloads"][0].items() if k not in ("name", "share", "selfhost")}


def check_levers(w: dict, file: str, at: str, error: type[ScenarioError] = ScenarioError) -> None:
    """Check one workload's levers (token lengths, model or routing, prompt and semantic caches,
    batch share, trimming, caps, accuracy, agent); raise ``error`` naming ``file: at.key``."""
    from planner import catalog

    known = set(catalog.load_prices()["model"])
    for key in ("input_tokens", "output_tokens"):
        spec = w.get(key)
        if spec is not None and "trace" not in spec and "mean" not in spec:
            raise error(f"{file}: {at}.{key}: give mean (and cv) or trace")
    if "model" in w and "routing" in w:
        raise error(f"{file}: {at}: give model or routing, not both")
    if "selfhost" in w:
        _check_selfhost(w["selfhost"], file, f"{at}.selfhost")
        models = []
    else:
        models = [w["model"]] if "model" in w else _routing_models(w["routing"], file, at) if "routing" in w else []
    agent = w.get("agent", {})
    if agent and (agent.get("calls_per_task", 1) < 1 or agent.get("step_limit", 1) < 1):
        raise error(f"{file}: {at}.agent: expected calls_per_task >= 1 and step_limit >= 1")
    for m in models:
        if m not in known:
            import difflib

            close = difflib.get_close_matches(m, sorted(known), n=3, cutoff=0.6)
            raise error(f"{file}: {at}: unknown model {m!r}; close matches in the price catalog: {close}")
    prompt = (w.get("input_tokens") or {}).get("mean")
    prefix = w.get("system_prompt_tokens", 0)
    if prompt is not None and prefix > prompt:
        raise error(f"{file}: {at}.system_prompt_tokens: {prefix:g} is longer than the mean prompt "
                    f"({prompt:g} input tokens); expected a prefix within the prompt")
    if w.get("accuracy", 0) > 1:
        raise error(f"{file}: {at}.accuracy: expected a share of tasks done right, between 0 and 1")
    outcome = w.get("outcome")
    if outcome is not None:
        if "name" not in outcome or "success_rate" not in outcome:
            raise error(f"{file}: {at}.outcome: expected name and success_rate (useful outcomes per "
                        "request, e.g. {name: resolved_ticket, success_rate: 0.35})")
        if not re.fullmatch(r"[a-z][a-z0-9_]*", outcome["name"]):
            raise error(f"{file}: {at}.outcome.name: {outcome['name']!r}: expected lower-case letters, "
                        "digits and '_', e.g. resolved_ticket")
        if not 0 < outcome["success_rate"] <= 1:
            raise error(f"{file}: {at}.outcome.success_rate: expected a share of requests between 0 "
                        f"(exclusive) and 1, got {outcome['success_rate']}")
    if w.get("batch_share", 0) > 1:
        raise error(f"{file}: {at}.batch_share: expected a share between 0 and 1")
    ttl = w.get("prompt_cache", {}).get("ttl", "5m")
    if ttl not in ("5m", "1h"):
        raise error(f"{file}: {at}.prompt_cache.ttl: expected 5m or 1h, got {ttl!r}")
    hit = w.get("semantic_cache", {}).get("hit_rate", 0)
    low, high = (hit.get("low", 0), hit.get("high", 0)) if isinstance(hit, dict) else (hit, hit)
    if not 0 <= low <= high <= 1:
        raise error(f"{file}: {at}.semantic_cache.hit_rate: expected 0 <= low <= high <= 1")


def _check_selfhost(spec: dict, file: str, at: str) -> None:
    """The model, engine, precision and GPU type name a configuration the throughput catalog knows."""
    from planner import catalog
    from planner.exceptions import CatalogError, InputError

    if "model" in spec and "model_class" in spec:
        raise ScenarioError(f"{file}: {at}: give model or model_class (an older name for it), not both")
    for key in ("model", "gpu_type"):
        if key not in spec and not (key == "model" and "model_class" in spec):
            raise ScenarioError(f"{file}: {at}: missing key {key}")
    if not 0 < spec.get("utilization", 0.7) <= 1 or not 0 < spec.get("slo_derate", 0.45) <= 1:
        raise ScenarioError(f"{file}: {at}: utilization and slo_derate must be in (0, 1]")
    if "quality_penalty_pct" in spec and not 0 <= spec["quality_penalty_pct"] <= 100:
        raise ScenarioError(f"{file}: {at}.quality_penalty_pct: expected a percentage between 0 and 100")
    model = spec.get("model", spec.get("model_class"))
    try:
        catalog.throughput_options(model, spec["gpu_type"], spec.get("precision", "fp8"), engine=spec.get("engine"),
                                   gpus_per_replica=spec.get("gpus_per_replica"))
    except (CatalogError, InputError) as exc:
        raise ScenarioError(f"{file}: {at}: {exc}") from None
    if spec.get("cloud"):
        try:
            catalog.gpu_offer(spec["gpu_type"], cloud=spec["cloud"])
        except CatalogError as exc:
            raise ScenarioError(f"{file}: {at}.cloud: {exc}") from None


def _routing_models(routing: dict, file: str, at: str) -> list[str]:
    if len(routing) != 1:
        raise ScenarioError(f"{file}: {at}.routing: give exactly one of split, cascade, threshold")
    kind, spec = next(iter(routing.items()))
    if kind == "split":
        shares = list(spec.values())
        if any(not isinstance(s, (int, float)) or s < 0 for s in shares) or abs(sum(shares) - 1) > 1e-6:
            raise ScenarioError(f"{file}: {at}.routing.split: expected model: share pairs adding up to 1")
        return list(spec)
    if kind == "cascade":
        models, esc = spec.get("models", []), spec.get("escalation", [])
        if len(models) < 2 or len(esc) != len(models) - 1 or any(not 0 <= e <= 1 for e in esc):
            raise ScenarioError(f"{file}: {at}.routing.cascade: expected n >= 2 models and n - 1 escalation "
                                "rates between 0 and 1")
        return list(models)
    for key in ("data", "strong", "weak", "strong_share"):
        if key not in spec:
            raise ScenarioError(f"{file}: {at}.routing.threshold: missing key {key}")
    if spec["strong_share"] > 1:
        raise ScenarioError(f"{file}: {at}.routing.threshold.strong_share: expected a share between 0 and 1")
    return [spec["strong"], spec["weak"]]
