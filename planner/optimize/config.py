"""The ``planner plan CONFIG`` file: schema and loader (:func:`load_problem`).

Example (``plans/servegen.yaml`` and ``plans/servegen_levers.yaml`` are complete ones)::

    freq: h
    periods: 720                 # horizon [periods] when demand is forecast from history
    block: W-MON                 # reservations start, and the plan is reported, per block
    scenarios: 50                # forecast sample paths
    after_horizon: hold          # demand after the horizon: hold | forecast | none | {decline_pct_per_month: 3}
    min_history_share: 0.25      # a term is offered when the history covers this share of it
    risk: {cvar_alpha: 0.9, cvar_weight: 0.3}
    pools:
      - {gpu_type: H100, cloud: aws, max_gpus: 512}       # sold as the catalog's 8-GPU instances
    workloads:
      - name: chat
        demand: {history: requests.csv, unique_id: m-mid/requests}   # requests per period
        tokens_per_request: {input: 1500, output: 300}
        min_share: {frontier: 0.2}
        min_accuracy: 0.7
        levers:                                           # the simulator's levers (scenario schema)
          system_prompt_tokens: 800
          prompt_cache: {requests_per_ttl: 10}
          routing: {threshold: {data: routellm_correctness.csv, benchmark: mmlu, strong: gpt-4o,
                                weak: gpt-4o-mini, strong_share: 0.3}}
        routes:
          - {api: gpt-4o, tier: frontier}
          - {api: gpt-4o-mini}
          - {selfhost: llama-8b, gpu_type: H100, engine: vllm, precision: fp8, serves: [gpt-4o-mini], accuracy: 0.66}
          - {provisioned: gpt-4o-ptu, tier: frontier}
    provisioned:
      - {name: gpt-4o-ptu, model: gpt-4o, offer: azure-global, term: 1m}   # priced from the catalog
    lever_sets:                  # priced side by side by planner plan / planner compare
      - {name: as today}
      - {name: prompt caching, levers: {chat: {prompt_cache: {requests_per_ttl: 10}}}}
      - {name: from a scenario file, scenario: ../scenarios/threshold_router.yaml}

A workload's levers are its ``levers:`` over those of the workloads of the same name in a
``scenario: FILE`` (the what-if scenario schema, :mod:`planner.simulate.scenario`); a lever set
adds its own (a ``scenario:`` file, then ``levers:`` by workload name) over the workload's, key by
key. Every error names the file and key path (:class:`planner.exceptions.InputError`).
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from planner._yaml import check_schema, load_mapping
from planner.exceptions import CatalogError, InputError, PlannerWarning
from planner.optimize.problem import (
    TERMS,
    UNSERVED_MULTIPLE,
    PlanProblem,
    Pool,
    ProvisionedThroughput,
    Route,
    Workload,
)
from planner.usage._io import close_match

__all__ = ["SCHEMA", "load_problem", "lever_set_names"]

_NUM = (int, float)
_DEMAND = {"history": str, "unique_id": str, "scale": _NUM, "paths": str, "usage": str, "mapping": str,
           "metric": str, "where": {"*": (str, *_NUM)}, "route_demand": str, "workload": str, "what_if": str,
           "history_days": _NUM}


def _lever_schema() -> dict:
    from planner.simulate.scenario import LEVERS

    return dict(LEVERS)


#: Schema of a ``planner plan`` configuration file.
SCHEMA: dict = {
    "name": str, "description": str, "freq": str, "periods": int, "start": (str, datetime.date, datetime.datetime),
    "block": str, "slices": int, "scenarios": int, "seed": int, "integer": bool, "charge_full_term": bool,
    "after_horizon": (str, dict), "min_history_share": _NUM, "whole_units": bool,
    "selfhost_fixed_usd_per_month": _NUM, "terms": {"*": int},
    "risk": {"cvar_alpha": _NUM, "cvar_weight": _NUM, "service_level": _NUM},
    "pools": [{
        "gpu_type": str, "cloud": str, "on_demand_usd_per_gpu_hour": _NUM, "reserved_usd_per_gpu_hour": {"*": _NUM},
        "spot_usd_per_gpu_hour": _NUM, "spot_max_share": _NUM, "spot_interruption": _NUM, "max_gpus": _NUM,
        "terms": list, "demand": _DEMAND, "gpus_per_unit": int, "instance_type": str,
    }],
    "workloads": [{
        "name": str, "demand": _DEMAND,
        "tokens_per_request": {"input": _NUM, "cached_input": _NUM, "output": _NUM},
        "min_share": {"*": _NUM}, "unserved_usd_per_million_tokens": _NUM, "must_serve": bool,
        "min_accuracy": _NUM, "min_accuracy_recovery": _NUM, "levers": dict, "scenario": str,
        "routes": [{
            "api": str, "batch": bool, "tier": str, "selfhost": str, "gpu_type": str, "cloud": str, "engine": str,
            "gpus_per_replica": int, "precision": str, "slo_derate": _NUM, "utilization": _NUM, "provisioned": str,
            "input_tokens": _NUM, "output_tokens": _NUM, "output_tokens_per_gpu_hour": _NUM, "max_share": _NUM,
            "accuracy": _NUM, "serves": list,
        }],
    }],
    "provisioned": [{"name": str, "model": str, "tokens_per_minute_per_unit": _NUM, "usd_per_unit_hour": _NUM,
                     "max_units": _NUM, "offer": str, "term": str, "min_units": _NUM, "unit_increment": _NUM,
                     "output_token_weight": _NUM, "cached_input_weight": _NUM}],
    "compare": [{"name": str, "reserve": {"*": {"*": _NUM}}, "provisioned": {"*": _NUM}}],
    "lever_sets": [{"name": str, "description": str, "scenario": str, "levers": {"*": dict}}],
}
#: Lever keys a plan refuses, with why.
_PLAN_REFUSES = {
    "selfhost": "self-hosting is a route the plan chooses; give it under routes",
    "share": "a workload's demand comes from its own demand spec, not a share of a scenario's volume",
}


def lever_set_names(config: str | Path | Mapping) -> list[str]:
    """Names of the configuration's ``lever_sets`` (empty when it has none)."""
    data = dict(config) if isinstance(config, Mapping) else load_mapping(config, "plan configuration", InputError)
    return [str(s.get("name", f"lever set {i + 1}")) for i, s in enumerate(data.get("lever_sets") or [])
            if isinstance(s, Mapping)]


def load_problem(config: str | Path | Mapping, overrides: Mapping | None = None, lever_set: str | None = None,
                 cache: dict | None = None) -> tuple[PlanProblem, dict]:
    """Build a :class:`PlanProblem` from a ``planner plan`` YAML file (or the same mapping).

    A demand is a ``history`` file in long format ``unique_id, ds, y`` (``unique_id`` selects a
    series; several are added up), or a ``usage`` export read by :func:`planner.usage.read_usage`
    (with an optional reader ``mapping`` file, the ``metric`` to plan for and ``where`` dimension
    filters), or a ``paths`` file (``ds, sample, y``, e.g. saved forecast paths) used as the
    scenarios directly, or a ``route_demand`` file (the per-route demand frame, e.g. the
    ``route_demand.csv`` of ``planner simulate``; ``workload`` picks its rows). Workload demand
    counts requests per period; the workload's levers turn it into calls per route with tokens
    by kind (:func:`planner.simulate.demand.route_demand`, from ``tokens_per_request`` unless the
    levers give token lengths); pool demand counts GPUs busy per period. Histories are forecast
    ``periods`` ahead with ``scenarios`` sample paths by :func:`planner.forecast.forecast`, so
    every workload and pool shares the scenario index; forecasts from histories that end at
    different times are laid on one horizon by position (from ``start`` when given), with a
    warning. A history's span in days is the evidence the term rule reads; a ``paths`` or
    ``route_demand`` file declares its own (``history_days``, else none).

    Parameters
    ----------
    config : str, pathlib.Path or mapping
        The YAML file (relative paths inside it are relative to it) or its mapping (relative to
        the working directory).
    overrides : mapping, optional
        Top-level keys replacing the file's (e.g. ``{"scenarios": 10, "periods": 48}``).
    lever_set : str, optional
        Apply the levers of the configuration's lever set of this name.
    cache : dict, optional
        Forecasts already made for this configuration (lever sets share one).

    Returns
    -------
    problem : PlanProblem
    options : dict
        Settings that are not part of the problem: ``slices``, ``compare`` options, ``name``,
        ``lever_set`` and the ``levers`` applied per workload.
    """
    from planner import catalog

    if isinstance(config, Mapping):
        data, file, base = dict(config), "config", Path.cwd()
    else:
        file, base = str(config), Path(config).resolve().parent
        data = load_mapping(config, "plan configuration", InputError)
    data.update(overrides or {})
    check_schema(data, SCHEMA, file, "", InputError)
    for key in ("pools", "workloads"):
        if key not in data:
            raise InputError(f"{file}: missing key {key}")
    if data.get("slices", 8) < 1:
        raise InputError(f"{file}: slices: expected an integer >= 1, got {data['slices']}")
    terms = {**TERMS, **{str(k): int(v) for k, v in (data.get("terms") or {}).items()}}
    freq = data.get("freq", "h")
    periods, n_scen, seed = data.get("periods", 0), data.get("scenarios", 50), data.get("seed", 0)
    full_term, after, decline = _after_horizon(data, file)
    series_cache: dict = {} if cache is None else cache
    chosen = _lever_set(data, lever_set, file)

    def scenarios(spec: dict, at: str) -> pd.DataFrame:  # ds, scenario, y
        return _demand_paths(spec, base, file, at, freq, periods, n_scen, seed, series_cache)

    pools = [_pool(spec, f"pools[{i}]", file, terms) for i, spec in enumerate(data["pools"])]
    by_type = {}
    for p in pools:
        by_type.setdefault(p.gpu_type.lower(), p.name)
        by_type[p.name.lower()] = p.name
    provisioned = [_provisioned(spec, f"provisioned[{i}]", file, terms, catalog)
                   for i, spec in enumerate(data.get("provisioned") or [])]
    workloads, lever_specs = [], []
    for i, spec in enumerate(data["workloads"]):
        at = f"workloads[{i}]"
        for key in ("name", "demand", "tokens_per_request", "routes"):
            if key not in spec:
                raise InputError(f"{file}: {at}: missing key {key}")
        levers = _levers(spec, chosen, base, file, at)
        lever_specs.append(levers)
        means = _mean_lengths(levers, spec["tokens_per_request"])
        routes = tuple(_route(r, f"{file}: {at}.routes[{j}]", by_type, means, provisioned, levers)
                       for j, r in enumerate(spec["routes"]))
        if "min_accuracy_recovery" in spec:
            routes = _recovery_floor(routes, float(spec["min_accuracy_recovery"]), f"{file}: {at}")
        if "prompt_cache" in levers:
            _warn_uncached(routes, levers, f"{file}: {at}")
        if "batch_share" in levers and not any(r.name.endswith("(batch)") for r in routes):
            raise InputError(f"{file}: {at}: levers.batch_share needs a route with batch: true to send that share to")
        penalty = None if spec.get("must_serve") else spec.get("unserved_usd_per_million_tokens")
        if penalty is None and not spec.get("must_serve"):
            penalty = UNSERVED_MULTIPLE * _max_route_cost_per_million(routes, means, pools)
        workloads.append(Workload(spec["name"], routes, {str(k): float(v) for k, v in (spec.get("min_share") or {}).items()},
                                  penalty, spec.get("min_accuracy")))
    risk = data.get("risk") or {}
    problem = PlanProblem(
        pools=pools, workloads=workloads, provisioned=provisioned, demand=pd.DataFrame(columns=["workload", "period",
        "scenario", "input_tokens", "cached_input_tokens", "output_tokens"]),
        freq=freq, block=data.get("block", "MS"), terms=terms, charge_full_term=full_term, after_horizon=after,
        decline_pct_per_month=decline, min_history_share=float(data.get("min_history_share", 0.25)),
        whole_units=data.get("whole_units", True),
        selfhost_fixed_usd_per_month=float(data.get("selfhost_fixed_usd_per_month", 0.0)),
        integer=data.get("integer", False), cvar_alpha=float(risk.get("cvar_alpha", 0.9)),
        cvar_weight=float(risk.get("cvar_weight", 0.0)), service_level=risk.get("service_level"), source=file)
    if after == "forecast":
        problem.continuation = pd.DataFrame(columns=["name", "scenario", "month", "factor"])  # filled below
    problem.validate_config()  # every name and price before the (slow) demand forecasts
    gpu_rows = [scenarios(spec["demand"], f"pools[{i}].demand").rename(columns={"y": "gpus"}).assign(pool=pool.name)
                for i, (pool, spec) in enumerate(zip(pools, data["pools"], strict=True)) if "demand" in spec]
    demand_rows, days = [], {}
    for i, (spec, levers) in enumerate(zip(data["workloads"], lever_specs, strict=True)):
        at = f"workloads[{i}].demand"
        demand_rows.append(_workload_demand(spec, levers, base, file, at, scenarios, seed + 7919 * i))
        days[spec["name"]] = _history_days(spec["demand"], base, series_cache)
    for pool, spec in zip(pools, data["pools"], strict=True):
        if "demand" in spec:
            days[pool.name] = _history_days(spec["demand"], base, series_cache)
    frames = _align([*[d.rename(columns={"period": "ds"}) for d in demand_rows], *gpu_rows], data.get("start"), freq, file)
    demand_rows, gpu_rows = frames[:len(demand_rows)], frames[len(demand_rows):]
    problem.demand = pd.concat(demand_rows, ignore_index=True).rename(columns={"ds": "period"})
    if gpu_rows:
        problem.gpu_demand = pd.concat(gpu_rows, ignore_index=True)
    problem.history_days = days
    hist = [h.assign(pool=p.name, gpus=h["gpus"] * float(spec["demand"].get("scale", 1.0)))
            for p, spec in zip(pools, data["pools"], strict=True) if "demand" in spec
            for h in [series_cache.get(("recent", _key(spec["demand"], base)))] if h is not None]
    if hist:
        problem.history = pd.concat(hist, ignore_index=True)
    if after == "forecast" and full_term:
        problem.continuation = _continuation(problem, data, base, file, series_cache, n_scen, seed)
    options = {"name": data.get("name", Path(file).stem), "slices": data.get("slices", 8),
               "compare": data.get("compare") or [], "lever_set": lever_set or "",
               "levers": {w.name: levers for w, levers in zip(workloads, lever_specs, strict=True) if levers}}
    return problem.validate(), options


# -- levers ----------------------------------------------------------------------------------------

def _lever_set(data: dict, name: str | None, file: str) -> dict | None:
    if name is None:
        return None
    sets = data.get("lever_sets") or []
    names = [str(s.get("name", f"lever set {i + 1}")) for i, s in enumerate(sets)]
    if name not in names:
        raise InputError(f"{file}: lever_sets: no lever set named {name!r}; known {names}")
    chosen = dict(sets[names.index(name)])
    unknown = set(chosen.get("levers") or {}) - {w.get("name") for w in data["workloads"]}
    if unknown:
        raise InputError(f"{file}: lever_sets[{names.index(name)}].levers: no workload named {sorted(unknown)[0]!r}; "
                         f"workloads: {[w.get('name') for w in data['workloads']]}")
    chosen["_at"] = f"lever_sets[{names.index(name)}]"
    return chosen


def _scenario_levers(path: Path, workload: str, file: str, at: str) -> dict:
    """The levers of ``workload`` in a what-if scenario file (empty when it has no such workload)."""
    from planner.exceptions import ScenarioError
    from planner.simulate import load_scenario
    from planner.simulate.scenario import LEVERS

    try:
        scenario = load_scenario(path)
    except ScenarioError as exc:
        raise InputError(f"{exc} (named in {file}: {at})") from None
    for w in scenario["workloads"]:
        if w["name"] == workload:
            return {k: v for k, v in w.items() if k in LEVERS or k == "selfhost"}
    return {}


def _levers(spec: dict, chosen: dict | None, base: Path, file: str, at: str) -> dict:
    """The levers applied to one workload: its scenario file's, its own, then the lever set's."""
    from planner.simulate.scenario import check_levers

    name = spec["name"]
    levers: dict = {}
    if "scenario" in spec:
        levers.update(_scenario_levers(base / spec["scenario"], name, file, f"{at}.scenario"))
    own = dict(spec.get("levers") or {})
    where = f"{at}.levers"
    if chosen is not None:
        if "scenario" in chosen:
            levers.update(_scenario_levers(base / chosen["scenario"], name, file, f"{chosen['_at']}.scenario"))
        extra = (chosen.get("levers") or {}).get(name) or {}
        own.update(extra)
        if extra:
            where = f"{chosen['_at']}.levers.{name}"
    for key, why in _PLAN_REFUSES.items():
        if key in own:
            raise InputError(f"{file}: {where}.{key}: {why}")
    check_schema(own, _lever_schema(), file, where, InputError)
    levers.update(own)
    if "selfhost" in levers:
        raise InputError(f"{file}: {at}: the scenario's workload {name!r} is self-hosted; {_PLAN_REFUSES['selfhost']}")
    for key in [k for k in ("threshold",) if isinstance(levers.get("routing"), dict) and k in levers["routing"]]:
        data = levers["routing"][key].get("data")
        if isinstance(data, str) and not Path(data).is_absolute():
            levers["routing"] = {key: {**levers["routing"][key], "data": str((base / data).resolve())}}
    for key in ("input_tokens", "output_tokens"):
        trace = (levers.get(key) or {}).get("trace")
        if isinstance(trace, str) and not Path(trace).is_absolute():
            levers[key] = {**levers[key], "trace": str((base / trace).resolve())}
    if not levers:
        return {}
    try:
        check_levers(levers, file, where, InputError)
    except InputError as exc:
        raise InputError(str(exc)) from None
    if (levers.get("semantic_cache") or {}).get("lookup_cost_share"):
        raise InputError(f"{file}: {where}.semantic_cache.lookup_cost_share: the plan prices tokens and GPU-hours, not "
                         "a lookup's share of each request; leave it out (the simulator prices it)")
    if "prompt_cache" in levers:
        if levers["prompt_cache"].get("requests_per_ttl", 1) <= 1:
            raise InputError(f"{file}: {where}.prompt_cache.requests_per_ttl: with one request per cache lifetime "
                             "nothing is read from the cache; expected more than 1")
        if spec["tokens_per_request"].get("cached_input", 0):
            raise InputError(f"{file}: {at}.tokens_per_request.cached_input: the prompt_cache lever decides the cached "
                             "tokens; drop cached_input or the lever")
        if levers.get("system_prompt_tokens", 0) <= 0:
            raise InputError(f"{file}: {where}.prompt_cache: give system_prompt_tokens, the prefix it caches")
    return levers


def _lever_workload(spec: dict, levers: dict) -> dict:
    """The workload in the simulator's schema: the plan's token lengths unless the levers give theirs."""
    tpr = spec["tokens_per_request"]
    w = {"name": spec["name"],
         "input_tokens": {"mean": float(tpr.get("input", 0)) + float(tpr.get("cached_input", 0))},
         "output_tokens": {"mean": float(tpr.get("output", 0))}}
    w.update(levers)
    return w


def _mean_lengths(levers: dict, tpr: dict) -> dict:
    """Mean tokens per call after the levers (for throughput look-ups and the unserved price):
    ``input`` (prompt, cached part included), ``cached_input``, ``output`` [tokens]."""
    from planner.simulate.demand import _trace_column

    def mean(key: str, column: str, default: float) -> float:
        spec = levers.get(key)
        if not spec:
            return default
        return float(spec["mean"]) if "mean" in spec else float(_trace_column(spec["trace"], column).mean())

    inp = mean("input_tokens", "ContextTokens", float(tpr.get("input", 0)) + float(tpr.get("cached_input", 0)))
    out = mean("output_tokens", "GeneratedTokens", float(tpr.get("output", 0)))
    inp = max(inp - levers.get("trim_system_tokens", 0), 1.0)
    if "max_output_tokens" in levers:
        out = min(out, float(levers["max_output_tokens"]))
    cached = float(tpr.get("cached_input", 0))
    if "prompt_cache" in levers:
        cached = _prefix(levers) * (1 - 1 / levers["prompt_cache"].get("requests_per_ttl", 1))
    return {"input": inp - cached, "cached_input": cached, "output": out}


def _workload_demand(spec: dict, levers: dict, base: Path, file: str, at: str, scenarios, seed: int) -> pd.DataFrame:
    """The workload's per-route demand frame (before alignment): levers applied to its request paths,
    or the rows of a route-demand file."""
    from planner.simulate.demand import read_route_demand, route_demand

    d = spec["demand"]
    if "route_demand" in d:
        if levers:
            raise InputError(f"{file}: {at}: a route_demand file already has its levers applied; drop levers/scenario")
        for key in ("history", "paths", "usage"):
            if key in d:
                raise InputError(f"{file}: {at}: give exactly one of history, usage, paths or route_demand")
        path = base / d["route_demand"]
        try:
            frame = read_route_demand(path, what_if=d.get("what_if"))
        except InputError as exc:
            raise InputError(f"{exc} (named in {file}: {at}.route_demand)") from None
        name = d.get("workload", spec["name"])
        rows = frame[frame["workload"] == name]
        if rows.empty:
            raise InputError(f"{path}: no rows of workload {name!r} (named in {file}: {at}); workloads: "
                             f"{sorted(frame['workload'].unique())[:10]}")
        scale = float(d.get("scale", 1.0))
        rows = rows.assign(workload=spec["name"], **{c: rows[c] * scale for c in
                                                     ("input_tokens", "cached_input_tokens", "output_tokens", "requests")})
        return rows.reset_index(drop=True)
    paths = scenarios(d, at)
    requests = pd.DataFrame({"period": paths["ds"], "scenario": paths["scenario"], "requests": paths["y"]})
    cached = float(spec["tokens_per_request"].get("cached_input", 0))
    return route_demand(requests, _lever_workload(spec, levers), spec["name"], seed=seed, cached_input=cached)


# -- pools and commitments ----------------------------------------------------------------------------

def _pool(spec: dict, at: str, file: str, terms: dict) -> Pool:
    from planner import catalog

    if "gpu_type" not in spec:
        raise InputError(f"{file}: {at}: missing key gpu_type")
    try:
        offer = catalog.gpu_offer(spec["gpu_type"], spec.get("cloud"))
    except InputError as exc:
        if "on_demand_usd_per_gpu_hour" not in spec:
            raise InputError(f"{file}: {at}: {exc}; or give on_demand_usd_per_gpu_hour") from None
        offer = {}
    if "instance_type" in spec:  # one offering of the type, e.g. the 8-GPU instance rather than the cheapest
        table = catalog.load_gpus()
        rows = table[(table["instance_type"] == spec["instance_type"]) & (table["gpu_type"] == offer.get("gpu_type"))]
        if spec.get("cloud"):
            rows = rows[rows["cloud"] == spec["cloud"]]
        if rows.empty:
            known = sorted(table.loc[table["gpu_type"] == offer.get("gpu_type"), "instance_type"].unique())
            raise InputError(f"{file}: {at}.instance_type: no {spec['instance_type']!r} offering of {spec['gpu_type']} in "
                             f"the GPU catalog; known: {known}")
        offer = rows.iloc[0].to_dict()
    od = float(spec.get("on_demand_usd_per_gpu_hour", offer.get("on_demand_usd_per_gpu_hour", np.nan)))
    given = spec.get("reserved_usd_per_gpu_hour") or {}
    wanted = spec.get("terms", [t for t in ("1y", "3y") if t in terms])
    reserved = {}
    for t in wanted:
        if t in given:
            reserved[t] = float(given[t])
        elif f"reserved_{t}_usd_per_gpu_hour" in offer:
            reserved[t] = float(offer[f"reserved_{t}_usd_per_gpu_hour"])
        else:
            raise InputError(f"{file}: {at}.reserved_usd_per_gpu_hour: no price for term {t!r}")
    spot = _number(spec.get("spot_usd_per_gpu_hour", offer.get("spot_usd_per_gpu_hour")))
    per_unit = int(spec.get("gpus_per_unit", _number(offer.get("gpus_per_instance"), 1) or 1))
    instance = offer.get("instance_type") if "gpus_per_unit" not in spec else None
    unit = "GPU" if per_unit == 1 else f"{per_unit}-GPU instance" + (f" ({instance})" if instance else "")
    return Pool(
        gpu_type=offer.get("gpu_type", spec["gpu_type"]), cloud=spec.get("cloud", ""), on_demand=od,
        reserved=reserved, spot=spot,
        spot_max_share=_number(spec.get("spot_max_share", offer.get("spot_availability") if spot is not None else 0), 0.0),
        spot_interruption=_number(spec.get("spot_interruption", offer.get("spot_interruption_rate")), 0.0),
        max_gpus=spec.get("max_gpus"), gpus_per_unit=per_unit, unit=unit)


def _provisioned(spec: dict, at: str, file: str, terms: dict, catalog) -> ProvisionedThroughput:
    """A provisioned-throughput commitment: the catalog's offer (``offer``, ``model``, ``term``)
    with any of its figures replaced by the configuration's (a contract price overrides)."""
    for key in ("name", "model"):
        if key not in spec:
            raise InputError(f"{file}: {at}: missing key {key}")
    term = str(spec.get("term", ""))
    if term and term not in terms:
        raise InputError(f"{file}: {at}.term: unknown term {term!r}; known {sorted(terms)}")
    row: dict = {}
    if "offer" in spec:
        try:
            row = catalog.provisioned_offer(spec["offer"], spec["model"], term)
        except CatalogError as exc:
            raise CatalogError(f"{file}: {at}: {exc}") from None
    tpm = _number(spec.get("tokens_per_minute_per_unit", row.get("input_tokens_per_minute_per_unit")))
    price = _number(spec.get("usd_per_unit_hour", row.get("usd_per_unit_hour")))
    for key, value in (("tokens_per_minute_per_unit", tpm), ("usd_per_unit_hour", price)):
        if value is None:
            where = f" (the catalog's {spec['offer']} offer has none for {spec['model']})" if "offer" in spec else ""
            raise InputError(f"{file}: {at}: missing key {key}{where}")
    source = "your configuration" if "usd_per_unit_hour" in spec else str(row.get("source", ""))
    return ProvisionedThroughput(
        spec["name"], spec["model"], float(tpm), float(price), spec.get("max_units"), term,
        float(spec.get("min_units", _number(row.get("min_units"), 0.0))),
        float(spec.get("unit_increment", _number(row.get("unit_increment"), 1.0))),
        float(spec.get("output_token_weight", _number(row.get("output_token_weight"), 1.0))),
        float(spec.get("cached_input_weight", _number(row.get("cached_input_weight"), 1.0))), source)


def _after_horizon(data: dict, file: str) -> tuple[bool, str, float]:
    """(charge_full_term, after_horizon, decline_pct_per_month) from the configuration."""
    spec = data.get("after_horizon", "hold")
    full = data.get("charge_full_term", True)
    if isinstance(spec, dict):
        unknown = set(spec) - {"decline_pct_per_month"}
        if unknown or "decline_pct_per_month" not in spec:
            raise InputError(f"{file}: after_horizon: expected hold, forecast, none or {{decline_pct_per_month: X}}, "
                             f"got {spec!r}")
        value = spec["decline_pct_per_month"]
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value < 100:
            raise InputError(f"{file}: after_horizon.decline_pct_per_month: expected a number in [0, 100), got {value!r}")
        return full, "decline", float(value)
    if spec == "none":
        if data.get("charge_full_term"):
            raise InputError(f"{file}: after_horizon none sees no demand after the horizon; it cannot charge whole terms "
                             "(drop charge_full_term)")
        return False, "hold", 0.0
    if spec not in ("hold", "forecast"):
        raise InputError(f"{file}: after_horizon: expected hold, forecast, none or {{decline_pct_per_month: X}}, got {spec!r}")
    return full, spec, 0.0


def _route(spec: dict, at: str, pools: dict, tokens: dict, provisioned: list[ProvisionedThroughput],
           levers: dict | None = None) -> Route:
    """One route of a workload; ``at`` is ``FILE: workloads[i].routes[j]``, named in every error
    (catalog look-ups included), before any demand is forecast. ``tokens`` are the mean tokens per
    call after the levers [tokens] (``input`` without the cached part, ``cached_input``, ``output``);
    ``levers`` set the cached-input price (``prompt_cache``) and the batch routes' share
    (``batch_share``). A self-hosted route is named ``selfhost:<model>/<precision>/<engine>@<pool>``
    from the throughput catalog's configuration (``engine``, ``gpus_per_replica`` pick one) and
    carries its precision's published ``accuracy_recovery``."""
    from planner import catalog

    levers = levers or {}
    from planner.catalog.throughput import DEFAULT_SLO_DERATE

    commitments = [c.name for c in provisioned]
    kinds = [k for k in ("api", "selfhost", "provisioned") if k in spec]
    if len(kinds) != 1:
        raise InputError(f"{at}: give exactly one of api, selfhost or provisioned")
    kind, tier, cap = kinds[0], spec.get("tier", ""), float(spec.get("max_share", 1.0))
    if cap > 1:
        raise InputError(f"{at}.max_share: expected a share in [0, 1], got {cap:g}")
    accuracy = float(spec.get("accuracy", np.nan))
    if accuracy > 1:
        raise InputError(f"{at}.accuracy: expected a share of calls answered right, between 0 and 1")
    serves_ = tuple(str(s) for s in spec.get("serves") or ())
    common = {"tier": tier, "serves": serves_, "accuracy": accuracy}
    if kind == "api":
        try:
            price = catalog.model_price(spec["api"])
        except CatalogError as exc:
            raise CatalogError(f"{at}.api: {exc}") from None
        batch = spec.get("batch", False)

        def per(kind_: str) -> float:
            value = price.get(f"batch_{kind_}_usd_per_token" if batch else f"{kind_}_usd_per_token")
            if value is None or value != value:
                if batch:
                    raise InputError(f"{at}: {spec['api']} has no batch price in the catalog; drop batch: true")
                return float("nan")
            return float(value)

        inp, out = per("input"), per("output")
        cached = price.get("cache_read_usd_per_token")
        cached = float(cached) * (0.5 if batch else 1.0) if cached == cached and cached is not None else inp
        if "prompt_cache" in levers:
            cached = _cached_price(price, levers, inp)
        if batch and "batch_share" in levers:
            cap = float(levers["batch_share"])
        return Route(f"api:{spec['api']}{' (batch)' if batch else ''}", "api", usd_per_input_token=inp,
                     usd_per_cached_input_token=cached, usd_per_output_token=out, max_share=cap, model=spec["api"],
                     **common)
    if kind == "provisioned":
        if spec["provisioned"] not in commitments:
            near = close_match(spec["provisioned"], commitments, cutoff=0.6)
            raise InputError(f"{at}.provisioned: {spec['provisioned']!r} is not among the provisioned commitments "
                             f"{commitments}{f' (did you mean {near!r}?)' if near else ''}")
        model = provisioned[commitments.index(spec["provisioned"])].model
        applies = True
        if "prompt_cache" in levers:
            try:
                minimum = catalog.model_price(model).get("min_cacheable_tokens", 0)
            except CatalogError:
                minimum = 0
            applies = _prefix(levers) >= (minimum if minimum == minimum and minimum is not None else 0)
        return Route(f"provisioned:{spec['provisioned']}", "provisioned", commitment=spec["provisioned"], max_share=cap,
                     model=model, cache_applies=applies, **common)
    gpu = spec.get("gpu_type")
    if gpu is None:
        raise InputError(f"{at}: missing key gpu_type for the selfhost route")
    pool = pools.get(f"{gpu}@{spec['cloud']}".lower() if spec.get("cloud") else gpu.lower())
    if pool is None:
        pool = catalog.gpus._normalise(pd.Series([gpu])).iloc[0]
        pool = pools.get(pool.lower(), pool)
    if pool not in pools.values():
        known = sorted(set(pools.values()))
        near = close_match(str(gpu), known, cutoff=0.6)
        raise InputError(f"{at}.gpu_type: {gpu!r} is not among the pools {known}"
                         f"{f' (did you mean {near!r}?)' if near else ''}; add a pool of that GPU type")
    name, model, recovery = f"selfhost:{spec['selfhost']}@{pool}", spec["selfhost"], float("nan")
    if "output_tokens_per_gpu_hour" in spec:
        per_gpu_hour, gpus_per_replica = float(spec["output_tokens_per_gpu_hour"]), 1
    else:
        # with a prompt-cache lever the engine's prefix cache skips the cached prefix's prefill (no minimum)
        prefill = tokens.get("input", 0) + (0.0 if "prompt_cache" in levers else tokens.get("cached_input", 0))
        try:
            tp = catalog.throughput(spec["selfhost"], gpu, spec.get("precision", "fp8"),
                                    input_tokens=spec.get("input_tokens", prefill),
                                    output_tokens=spec.get("output_tokens", tokens.get("output", 1)) or 1,
                                    slo_derate=spec.get("slo_derate", DEFAULT_SLO_DERATE), engine=spec.get("engine"),
                                    gpus_per_replica=spec.get("gpus_per_replica"))
        except InputError as exc:
            raise type(exc)(f"{at}.selfhost: {exc}") from None
        per_gpu_hour, gpus_per_replica = tp.output_tokens_per_gpu_hour, tp.gpus_per_replica
        name, model = f"selfhost:{tp.model}/{tp.precision}/{tp.engine or 'engine?'}@{pool}", tp.model
        found = catalog.precision_recovery(tp.model, spec.get("precision", "fp8"))
        recovery = found.recovery if found else float("nan")
    utilization = spec.get("utilization", 0.7)
    if not 0 < utilization <= 1:
        raise InputError(f"{at}.utilization: expected a share in (0, 1], got {utilization}")
    return Route(name, "selfhost", pool=pool, output_tokens_per_gpu_hour=per_gpu_hour * utilization,
                 gpus_per_replica=gpus_per_replica, max_share=cap, model=model, accuracy_recovery=recovery, **common)


def _recovery_floor(routes: tuple[Route, ...], floor: float, at: str) -> tuple[Route, ...]:
    """The routes a workload's ``min_accuracy_recovery`` keeps: those whose published accuracy
    recovery is not below ``floor`` [-]; routes with none published are kept, with a warning."""
    kept = tuple(r for r in routes if not r.accuracy_recovery < floor)
    unknown = [r.name for r in kept if r.accuracy_recovery != r.accuracy_recovery]
    if unknown:
        warnings.warn(f"{at}.min_accuracy_recovery: no published accuracy recovery for {unknown}; they are kept",
                      PlannerWarning, stacklevel=3)
    if not kept:
        raise InputError(f"{at}.min_accuracy_recovery: {floor:g} leaves no route; every route's published "
                         "accuracy recovery is below it")
    return kept


def _cached_price(price: dict, levers: dict, input_price: float) -> float:
    """Price of a cache-read token on an API route with the ``prompt_cache`` lever [USD/token]:
    the read price with the write premium spread over the reads
    (:func:`planner.simulate.caching.cached_read_price`), scaled like the route's input price
    (batch); the input price itself when the prefix is below the model's cacheable minimum."""
    from planner.simulate import caching
    from planner.simulate.demand import cache_multipliers

    prefix = _prefix(levers)
    minimum = price.get("min_cacheable_tokens", 0)
    if prefix < (minimum if minimum == minimum and minimum is not None else 0):
        return input_price
    write, read = cache_multipliers(price, levers["prompt_cache"].get("ttl", "5m"))
    base = float(price["input_usd_per_token"])
    effective = caching.cached_read_price(base, write, read, levers["prompt_cache"].get("requests_per_ttl", 1))
    return effective * (input_price / base if base > 0 else 1.0)


def _warn_uncached(routes: tuple[Route, ...], levers: dict, at: str) -> None:
    """Warn when a prompt-cache lever's prefix is below the cacheable minimum of every API and
    provisioned route of the workload (it then only speeds up self-hosted prefill)."""
    from planner import catalog

    prefix, short = _prefix(levers), []
    for r in routes:
        if r.kind == "selfhost" or not r.model:
            continue
        minimum = catalog.model_price(r.model).get("min_cacheable_tokens", 0)
        minimum = minimum if minimum == minimum and minimum is not None else 0
        if prefix >= minimum:
            return
        short.append(f"{r.model} {minimum:,.0f}")
    if short:
        warnings.warn(f"{at}.levers.prompt_cache: the {prefix:,.0f}-token prefix is below the cacheable minimum of every "
                      f"API route ({', '.join(sorted(set(short)))} tokens): no API discount; self-hosted routes skip its "
                      "prefill", PlannerWarning, stacklevel=4)


def _prefix(levers: dict) -> float:
    """The cacheable prefix of the levers [tokens]: the system prompt less what trimming removes."""
    return float(max(levers.get("system_prompt_tokens", 0) - levers.get("trim_system_tokens", 0), 0))


def _max_route_cost_per_million(routes: tuple[Route, ...], tokens: dict, pools: list[Pool]) -> float:
    """The workload's most expensive route [USD per million tokens of its mix] (for the unserved price)."""
    total = sum(tokens.get(k, 0) for k in ("input", "cached_input", "output")) or 1.0
    od = {p.name: p.on_demand for p in pools}
    costs = [1.0]
    for r in routes:
        if r.kind == "api":
            per_request = (tokens.get("input", 0) * r.usd_per_input_token + tokens.get("cached_input", 0)
                           * r.usd_per_cached_input_token + tokens.get("output", 0) * r.usd_per_output_token)
            costs.append(per_request / total * 1e6)
        elif r.kind == "selfhost" and r.pool in od:
            costs.append(od[r.pool] / r.output_tokens_per_gpu_hour * tokens.get("output", 0) / total * 1e6)
    return float(max(costs))


# -- demand --------------------------------------------------------------------------------------------

def _number(value, default: float | None = None) -> float | None:
    """``value`` as a float, or ``default`` when it is missing or NaN (an empty catalog cell)."""
    return default if value is None or value != value else float(value)


def _key(spec: dict, base: Path) -> tuple:
    name = spec.get("history", spec.get("paths", spec.get("usage", spec.get("route_demand", ""))))
    return (str((base / name).resolve()), spec.get("unique_id"), spec.get("metric"), str(spec.get("where")))


def _history_days(spec: dict, base: Path, cache: dict) -> float:
    """Days of history behind a demand spec: a history's span, else the declared ``history_days`` (0)."""
    if "history_days" in spec:
        return float(spec["history_days"])
    return float(cache.get(("days", _key(spec, base)), 0.0))


def _history(spec: dict, base: Path, file: str, at: str, freq: str) -> tuple[Path, pd.DataFrame]:
    """The demand spec's series as ``unique_id, ds, y`` (a long-format file or a usage export)."""
    from planner.usage import read_series, to_series
    from planner.usage._io import sniff

    path = Path(_key(spec, base)[0])
    if "usage" in spec and "metric" not in spec:
        raise InputError(f"{file}: {at}: give the metric to plan for with usage (e.g. metric: requests)")
    opts = load_mapping(base / spec["mapping"], "mapping") if "mapping" in spec else {}
    try:
        sniff(path)
        if "usage" in spec:
            usage = _read_usage_once(path, opts)
        else:
            id_col = "sample" if "paths" in spec else "unique_id"
            frame = read_series(path, id_col=id_col, history="paths" not in spec, nonnegative=True, missing="error")
    except InputError as exc:
        raise InputError(f"{exc} (named in {file}: {at})") from None
    if "usage" not in spec:
        return path, frame
    for dim, value in (spec.get("where") or {}).items():
        if dim not in usage.columns:
            raise InputError(f"{file}: {at}.where: {dim!r} is not a usage dimension")
        usage = usage[usage[dim] == str(value)]
    series = to_series(usage, spec["metric"], freq=freq)
    if series.empty:
        raise InputError(f"{file}: {at}: no {spec['metric']!r} usage in {path} matches {spec.get('where') or {}}")
    return path, series


_USAGE_CACHE: dict = {}


def _read_usage_once(path: Path, opts: dict) -> pd.DataFrame:
    """Read a usage export once per load (several workloads often share one export)."""
    from planner.usage import read_usage

    key = (str(path), path.stat().st_mtime, repr(sorted(opts.items())))
    if key not in _USAGE_CACHE:
        _USAGE_CACHE.clear()
        _USAGE_CACHE[key] = read_usage(path, opts.pop("format", "auto"), **opts)
    return _USAGE_CACHE[key]


def _demand_paths(spec: dict, base: Path, file: str, at: str, freq: str, periods: int, n_scen: int, seed: int,
                  cache: dict) -> pd.DataFrame:
    """Scenarios ``ds, scenario, y`` for one demand spec (forecast paths of its history, or a paths file)."""
    from planner.forecast import forecast

    if sum(k in spec for k in ("history", "paths", "usage", "route_demand")) != 1:
        raise InputError(f"{file}: {at}: give exactly one of history, usage, paths or route_demand")
    if "route_demand" in spec:
        raise InputError(f"{file}: {at}.route_demand: a route-demand file is workload demand (tokens per route), not "
                         "GPU demand of a pool")
    key = _key(spec, base)
    scale = float(spec.get("scale", 1.0))
    if key in cache:
        out = cache[key]
        return out.assign(y=out["y"] * scale)
    path, frame = _history(spec, base, file, at, freq)
    if spec.get("unique_id") is not None:
        if "unique_id" not in frame.columns or not (frame["unique_id"] == spec["unique_id"]).any():
            known = sorted(frame["unique_id"].unique())[:10] if "unique_id" in frame.columns else []
            raise InputError(f"{path}: no series {spec['unique_id']!r} (named in {file}: {at}.unique_id); known: {known}")
        frame = frame[frame["unique_id"] == spec["unique_id"]]
    if frame.empty:
        raise InputError(f"{path}: no rows to plan on (named in {file}: {at})")
    if "paths" in spec:
        out = frame.groupby(["sample", "ds"], as_index=False)["y"].sum().rename(columns={"sample": "scenario"})
    else:
        if periods <= 0:
            raise InputError(f"{file}: periods: give the horizon [periods] to forecast {at}")
        pool = frame.groupby("ds", as_index=False)["y"].sum().assign(unique_id=at)
        result = forecast(pool[["unique_id", "ds", "y"]], h=periods, freq=freq, n_paths=n_scen, seed=seed)
        out = result.paths.rename(columns={"sample": "scenario"})[["ds", "scenario", "y"]]
        recent = pool[pool["ds"] > pool["ds"].max() - pd.Timedelta(days=30)]
        cache[("recent", key)] = pd.DataFrame({"ds": recent["ds"], "gpus": recent["y"]})
        step = pd.tseries.frequencies.to_offset(freq)
        span = (pool["ds"].max() + step) - pool["ds"].min()
        cache[("days", key)] = span / pd.Timedelta(days=1)
        cache[("history", key)] = pool[["ds", "y"]]
    cache[key] = out
    return out.assign(y=out["y"] * scale)


def _continuation(problem: PlanProblem, data: dict, base: Path, file: str, cache: dict, n_scen: int,
                  seed: int) -> pd.DataFrame:
    """Per workload / pool and scenario: demand in each month after the horizon as a multiple of its
    level over the horizon, from the forecaster's daily sample paths of the history
    (``after_horizon: forecast``).

    Each history's daily totals (whole days only) are forecast ``horizon + window`` days ahead
    with ``scenarios`` paths (:func:`planner.forecast.forecast`); path k's mean over each month
    after the horizon, over its mean over the horizon's days, scales scenario k's last week.
    """
    from planner.forecast import forecast
    from planner.optimize.aggregate import continuation_months

    months = continuation_months(problem)
    horizon_days = max(int(np.ceil(len(pd.unique(problem.demand["period"])) * _period_days(problem.freq))), 1)
    rows = []
    specs = [(w["name"], w["demand"], f"workloads[{i}].demand") for i, w in enumerate(data["workloads"])]
    specs += [(p.name, s["demand"], f"pools[{i}].demand") for i, (p, s) in enumerate(zip(problem.pools, data["pools"],
                                                                                         strict=True)) if "demand" in s]
    for name, spec, at in specs:
        hist = cache.get(("history", _key(spec, base)))
        if hist is None:
            raise InputError(f"{file}: after_horizon forecast needs a history to forecast {at}; give a history or usage "
                             "demand, or use hold or decline")
        daily = hist.set_index("ds")["y"].resample("D")
        counts, sums = daily.count(), daily.sum()
        full = counts >= counts.max()
        series = pd.DataFrame({"unique_id": name, "ds": sums.index[full], "y": sums[full].to_numpy()})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlannerWarning)
            paths = forecast(series, h=horizon_days + int(np.ceil(months * 30.44)), freq="D", n_paths=n_scen,
                             seed=seed).paths
        wide = paths.pivot(index="sample", columns="ds", values="y").to_numpy()
        level = wide[:, :horizon_days].mean(axis=1)
        for m in range(int(np.ceil(months))):
            lo, hi = horizon_days + int(m * 30.44), horizon_days + int((m + 1) * 30.44)
            factor = np.divide(wide[:, lo:hi].mean(axis=1), level, out=np.ones_like(level), where=level > 0)
            rows.append(pd.DataFrame({"name": name, "scenario": np.arange(len(factor)), "month": m + 0.5,
                                      "factor": factor}))
    return pd.concat(rows, ignore_index=True)


def _period_days(freq: str) -> float:
    step = pd.tseries.frequencies.to_offset(freq)
    start = pd.Timestamp("2026-01-01")
    return ((start + step) - start) / pd.Timedelta(days=1)


def _align(frames: list[pd.DataFrame], start, freq: str, file: str) -> list[pd.DataFrame]:
    """Lay every scenario frame on one horizon by position: from ``start``, else from the latest
    first period among them (histories that end at different times are forecast from their own
    ends); warns when a frame is moved."""
    firsts = [f["ds"].min() for f in frames]
    try:
        origin = pd.Timestamp(str(start)) if start else max(firsts)
    except ValueError:
        raise InputError(f"{file}: start: expected a timestamp such as 2026-01-01, got {start!r}") from None
    out = []
    for f, first in zip(frames, firsts, strict=True):
        if first != origin:
            warnings.warn(f"{file}: demand forecast from {first} is laid on the plan horizon from {origin} "
                          "(by position)", PlannerWarning, stacklevel=3)
            stamps = np.sort(f["ds"].unique())
            position = np.searchsorted(stamps, f["ds"].to_numpy())
            f = f.assign(ds=pd.date_range(origin, periods=len(stamps), freq=freq)[position])
        out.append(f)
    return out
