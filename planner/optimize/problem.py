"""The multi-pool capacity problem: GPU pools, workloads with routes, provisioned throughput, demand.

A :class:`PlanProblem` holds everything :func:`planner.optimize.plan` needs, with units in every
name: prices [USD/GPU-h], [USD/token], throughput [tokens/GPU-h], demand [tokens per period] or
[GPUs busy on average in a period]. Build one directly from DataFrames, or from a YAML file with
:func:`load_problem` (the ``planner plan CONFIG`` file)::

    freq: h
    periods: 720                 # horizon [periods] when demand is forecast from history
    block: W-MON                 # reservations start, and the plan is reported, per block
    scenarios: 50                # forecast sample paths
    risk: {cvar_alpha: 0.9, cvar_weight: 0.3}
    pools:
      - {gpu_type: H100, cloud: aws, max_gpus: 512}
    workloads:
      - name: chat
        demand: {history: requests.csv, unique_id: m-mid/requests}   # requests per period
        tokens_per_request: {input: 1500, cached_input: 500, output: 300}
        min_share: {frontier: 0.2}
        routes:
          - {api: gpt-4o, tier: frontier}
          - {selfhost: llama-70b, gpu_type: H100, engine: tensorrt-llm, precision: fp8, utilization: 0.7}
          - {provisioned: gpt-4o-ptu, tier: frontier}
    provisioned:
      - {name: gpt-4o-ptu, model: gpt-4o, tokens_per_minute_per_unit: 2500, usd_per_unit_hour: 1.0}

Every error names the file and key path (:class:`planner.exceptions.InputError`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner._yaml import check_schema, load_mapping
from planner.exceptions import CatalogError, InputError
from planner.usage._io import FREQ_HINT, close_match

__all__ = ["Pool", "Route", "Workload", "ProvisionedThroughput", "PlanProblem", "load_problem", "TERMS"]

#: Reservation terms [months] planner knows by name.
TERMS = {"1y": 12, "3y": 36}
#: Default price of unserved demand: this many times the workload's most expensive route.
UNSERVED_MULTIPLE = 10.0


@dataclass(frozen=True)
class Pool:
    """GPUs of one type (on one cloud) bought reserved by term, on-demand or spot.

    Prices are [USD/GPU-h]; ``reserved`` maps a term name (``1y``, ``3y``) to its price.
    ``spot_max_share`` caps spot at that share of the pool's capacity in any period;
    ``spot_interruption`` is the share of spot GPU-hours lost (only the rest counts as capacity).
    ``max_gpus`` caps the pool's GPUs in any period (None: no cap).
    """

    gpu_type: str
    on_demand: float
    reserved: Mapping[str, float]
    spot: float | None = None
    spot_max_share: float = 0.0
    spot_interruption: float = 0.0
    cloud: str = ""
    max_gpus: float | None = None

    @property
    def name(self) -> str:
        """``gpu_type`` or ``gpu_type@cloud``."""
        return f"{self.gpu_type}@{self.cloud}" if self.cloud else self.gpu_type


@dataclass(frozen=True)
class Route:
    """One way to serve a workload.

    ``kind`` is ``api`` (prices per token [USD/token]; batch prices already applied),
    ``selfhost`` (on ``pool`` at ``output_tokens_per_gpu_hour`` [tokens/GPU-h], after the SLO
    derate and the utilization target -- in a configuration, a given ``output_tokens_per_gpu_hour``
    is the sustained figure before the ``utilization`` target; whole replicas of
    ``gpus_per_replica`` in MILP mode) or
    ``provisioned`` (a :class:`ProvisionedThroughput` commitment by name). ``tier`` labels the
    route for minimum-share limits; ``max_share`` caps the share of the workload it may take
    (e.g. the part of the traffic that tolerates a batch API's delay). ``accuracy_recovery`` is
    the published accuracy of a self-hosted route's precision relative to the unquantized model
    (:func:`planner.catalog.precision_recovery`; 1 for API routes and unquantized precisions, NaN
    where none is published); a workload's ``min_accuracy_recovery`` drops the routes below it.
    """

    name: str
    kind: str
    tier: str = ""
    usd_per_input_token: float = 0.0
    usd_per_cached_input_token: float = 0.0
    usd_per_output_token: float = 0.0
    pool: str = ""
    output_tokens_per_gpu_hour: float = 0.0
    gpus_per_replica: int = 1
    commitment: str = ""
    max_share: float = 1.0
    accuracy_recovery: float = 1.0


@dataclass(frozen=True)
class Workload:
    """A task class with its allowed routes and limits.

    ``min_share`` maps a tier to the share of the workload's tokens that must go to routes of
    that tier in every period. ``unserved_usd_per_million_tokens`` prices demand left unserved
    (None: every token must be served, and a shortfall makes the model infeasible).
    """

    name: str
    routes: tuple[Route, ...]
    min_share: Mapping[str, float] = field(default_factory=dict)
    unserved_usd_per_million_tokens: float | None = None


@dataclass(frozen=True)
class ProvisionedThroughput:
    """A provisioned-throughput API commitment: units of ``tokens_per_minute_per_unit`` [tokens/min]
    (input + cached input + output) bought for the whole horizon at ``usd_per_unit_hour``."""

    name: str
    model: str
    tokens_per_minute_per_unit: float
    usd_per_unit_hour: float
    max_units: float | None = None


@dataclass
class PlanProblem:
    """Pools, workloads, commitments and demand scenarios for :func:`planner.optimize.plan`.

    Attributes
    ----------
    pools, workloads, provisioned : list
        :class:`Pool`, :class:`Workload`, :class:`ProvisionedThroughput`.
    demand : pandas.DataFrame
        ``workload, ds, scenario, input_tokens, cached_input_tokens, output_tokens``
        [tokens per period].
    gpu_demand : pandas.DataFrame
        ``pool, ds, scenario, gpus`` [GPUs busy on average in the period]: work that needs GPUs
        of a pool directly (training, batch jobs); may be empty.
    weights : pandas.Series, optional
        Scenario -> probability weight (equal when None).
    freq : str
        pandas frequency of ``ds``.
    block : str
        pandas frequency at whose starts reservations may begin and the plan is reported.
    terms : dict
        Term name -> length [months] for the pools' reserved prices.
    charge_full_term : bool
        Charge a reservation for its whole term even where it runs past the horizon (default:
        only the part inside the horizon, i.e. the horizon's share of the commitment).
    selfhost_fixed_usd_per_month : float
        Cost of running self-hosting at all (on/off; binary in MILP mode) [USD/month].
    integer : bool
        Whole GPUs, provisioned units and replicas (MILP).
    cvar_alpha, cvar_weight : float
        Objective ``(1 - cvar_weight) E[cost] + cvar_weight CVaR_alpha[cost]``.
    service_level : float, optional
        Share of each workload's demand that must be served in every scenario.
    history : pandas.DataFrame
        ``pool, ds, gpus`` recent GPU usage for the recommenders' rule (may be empty).
    source : str
        Where the problem came from (a file name), for messages.
    """

    pools: list[Pool]
    workloads: list[Workload]
    demand: pd.DataFrame
    provisioned: list[ProvisionedThroughput] = field(default_factory=list)
    gpu_demand: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["pool", "ds", "scenario", "gpus"]))
    weights: pd.Series | None = None
    freq: str = "h"
    block: str = "MS"
    terms: Mapping[str, int] = field(default_factory=lambda: dict(TERMS))
    charge_full_term: bool = False
    selfhost_fixed_usd_per_month: float = 0.0
    integer: bool = False
    cvar_alpha: float = 0.9
    cvar_weight: float = 0.0
    service_level: float | None = None
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["pool", "ds", "gpus"]))
    source: str = "problem"

    def validate(self) -> PlanProblem:
        """Check prices, shares, names and demand; raise :class:`InputError` naming what is wrong."""
        self.validate_config()
        self._validate_demand()
        return self

    def validate_config(self) -> PlanProblem:
        """Check everything but the demand (prices, shares, names, frequencies): what
        :func:`load_problem` checks before it forecasts any demand."""
        at = self.source
        pools = {p.name: p for p in self.pools}
        if len(pools) != len(self.pools):
            raise InputError(f"{at}: pools: two pools share a name; give each gpu_type@cloud once")
        for p in self.pools:
            prices = {"on_demand": p.on_demand, "spot": p.spot or 0.0,
                      **{f"reserved {t}": v for t, v in p.reserved.items()}}
            for key, v in prices.items():
                if not np.isfinite(v) or v < 0:
                    raise InputError(f"{at}: pool {p.name}: {key} price must be a finite number >= 0 [USD/GPU-h], got {v}")
            unknown = set(p.reserved) - set(self.terms)
            if unknown:
                raise InputError(f"{at}: pool {p.name}: unknown reservation terms {sorted(unknown)}; known {sorted(self.terms)}")
            if not 0 <= p.spot_max_share <= 1 or not 0 <= p.spot_interruption < 1:
                raise InputError(f"{at}: pool {p.name}: spot_max_share must be in [0, 1] and spot_interruption in [0, 1)")
        commitments = {c.name: c for c in self.provisioned}
        for c in self.provisioned:
            if c.tokens_per_minute_per_unit <= 0 or c.usd_per_unit_hour < 0:
                raise InputError(f"{at}: provisioned {c.name}: expected tokens_per_minute_per_unit > 0 and "
                                 f"usd_per_unit_hour >= 0, got {c.tokens_per_minute_per_unit}, {c.usd_per_unit_hour}")
        names = [w.name for w in self.workloads]
        if len(set(names)) != len(names):
            raise InputError(f"{at}: workloads: names must be unique, got {names}")
        for w in self.workloads:
            where = f"{at}: workload {w.name}"
            if not w.routes:
                raise InputError(f"{where}: no routes; give at least one api, selfhost or provisioned route")
            tiers = {r.tier for r in w.routes}
            for tier, share in w.min_share.items():
                if not 0 <= share <= 1:
                    raise InputError(f"{where}: min_share {tier}: {share:g} is not a share in [0, 1]; "
                                     "constraint groups min_share and demand balance (shares add up to 1) conflict")
                if share > 0 and tier not in tiers:
                    raise InputError(f"{where}: min_share {tier}: no route has tier {tier!r} (tiers: {sorted(tiers - {''})})")
            if sum(w.min_share.values()) > 1 + 1e-9:
                raise InputError(f"{where}: min_share adds up to {sum(w.min_share.values()):g} > 1; constraint groups "
                                 f"min_share {sorted(w.min_share)} and demand balance conflict")
            if w.unserved_usd_per_million_tokens is not None and w.unserved_usd_per_million_tokens < 0:
                raise InputError(f"{where}: unserved_usd_per_million_tokens must be >= 0")
            for r in w.routes:
                if r.kind == "api":
                    costs = (r.usd_per_input_token, r.usd_per_cached_input_token, r.usd_per_output_token)
                    if any(not np.isfinite(c) or c < 0 for c in costs):
                        raise InputError(f"{where}: route {r.name}: token prices must be >= 0 [USD/token], got {costs}")
                elif r.kind == "selfhost":
                    if r.pool not in pools:
                        raise InputError(f"{where}: route {r.name} runs on pool {r.pool!r}, which is not among the pools "
                                         f"{sorted(pools)}; constraint groups route and pool capacity conflict")
                    if pools[r.pool].max_gpus == 0:
                        raise InputError(f"{where}: route {r.name} needs pool {r.pool}, whose max_gpus is 0: "
                                         "constraint groups route and pool capacity conflict")
                    if r.output_tokens_per_gpu_hour <= 0:
                        raise InputError(f"{where}: route {r.name}: output_tokens_per_gpu_hour must be > 0")
                elif r.kind == "provisioned":
                    if r.commitment not in commitments:
                        raise InputError(f"{where}: route {r.name} names provisioned commitment {r.commitment!r}; "
                                         f"known: {sorted(commitments)}")
                else:
                    raise InputError(f"{where}: route {r.name}: kind must be api, selfhost or provisioned, got {r.kind!r}")
        from pandas.tseries.frequencies import to_offset

        for key in ("freq", "block"):
            try:
                to_offset(getattr(self, key))
            except ValueError:
                raise InputError(f"{at}: {key} {getattr(self, key)!r}: not a pandas frequency; {FREQ_HINT}") from None
        if not 0 < self.cvar_alpha < 1 or not 0 <= self.cvar_weight <= 1:
            raise InputError(f"{at}: risk: expected 0 < cvar_alpha < 1 and 0 <= cvar_weight <= 1")
        if self.service_level is not None and not 0 <= self.service_level <= 1:
            raise InputError(f"{at}: risk.service_level must be a share in [0, 1]")
        if self.selfhost_fixed_usd_per_month < 0:
            raise InputError(f"{at}: selfhost_fixed_usd_per_month must be >= 0")
        return self

    def _validate_demand(self) -> None:
        from pandas.tseries.frequencies import to_offset

        at = self.source
        pools = {p.name: p for p in self.pools}
        names = [w.name for w in self.workloads]
        need = ["workload", "ds", "scenario", "input_tokens", "cached_input_tokens", "output_tokens"]
        missing = [c for c in need if c not in self.demand.columns]
        if missing:
            raise InputError(f"{at}: demand: the following columns are missing: {missing}")
        for col in need[3:]:
            values = pd.to_numeric(self.demand[col], errors="coerce")
            bad = values.isna() | (values < 0)
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"{at}: demand: column {col!r} at row {row + 1} is {self.demand[col].iloc[row]!r}; "
                                 "expected a token count >= 0")
        unknown = set(self.demand["workload"]) - set(names)
        if unknown:
            raise InputError(f"{at}: demand names workloads {sorted(unknown)} that are not defined")
        missing = [c for c in ("pool", "ds", "scenario", "gpus") if c not in self.gpu_demand.columns]
        if missing:
            raise InputError(f"{at}: gpu_demand: the following columns are missing: {missing}")
        stamps = pd.to_datetime(pd.concat([c for c in (self.demand["ds"], self.gpu_demand["ds"]) if len(c)]
                                          or [pd.Series([], dtype="datetime64[ns]")]), errors="coerce")
        if stamps.isna().any():
            raise InputError(f"{at}: demand: column 'ds' holds a value that is not a timestamp")
        grid = pd.DatetimeIndex(stamps.unique()).sort_values()
        if len(grid) > 1 and (grid[1:] < grid[:-1] + to_offset(self.freq)).any():
            raise InputError(f"{at}: demand periods are closer than freq {self.freq!r} (e.g. {grid[0]} and "
                             f"{grid[1]}); give the frequency of the demand")
        if len(self.gpu_demand):
            unknown = set(self.gpu_demand["pool"]) - set(pools)
            if unknown:
                raise InputError(f"{at}: gpu_demand names pools {sorted(unknown)}; known {sorted(pools)}")
            if (pd.to_numeric(self.gpu_demand["gpus"], errors="coerce").fillna(-1) < 0).any():
                raise InputError(f"{at}: gpu_demand: column 'gpus' must be a number >= 0 [GPUs]")


# ---------------------------------------------------------------------------------------------
# YAML configuration

_NUM = (int, float)
_DEMAND = {"history": str, "unique_id": str, "scale": _NUM, "paths": str, "usage": str, "mapping": str,
           "metric": str, "where": {"*": (str, *_NUM)}}
#: Schema of a ``planner plan`` configuration file.
SCHEMA: dict = {
    "name": str, "description": str, "freq": str, "periods": int, "start": str, "block": str, "slices": int,
    "scenarios": int, "seed": int, "integer": bool, "charge_full_term": bool,
    "selfhost_fixed_usd_per_month": _NUM, "terms": {"*": int},
    "risk": {"cvar_alpha": _NUM, "cvar_weight": _NUM, "service_level": _NUM},
    "pools": [{
        "gpu_type": str, "cloud": str, "on_demand_usd_per_gpu_hour": _NUM, "reserved_usd_per_gpu_hour": {"*": _NUM},
        "spot_usd_per_gpu_hour": _NUM, "spot_max_share": _NUM, "spot_interruption": _NUM, "max_gpus": _NUM,
        "terms": list, "demand": _DEMAND,
    }],
    "workloads": [{
        "name": str, "demand": _DEMAND,
        "tokens_per_request": {"input": _NUM, "cached_input": _NUM, "output": _NUM},
        "min_share": {"*": _NUM}, "unserved_usd_per_million_tokens": _NUM, "must_serve": bool,
        "min_accuracy_recovery": _NUM,
        "routes": [{
            "api": str, "batch": bool, "tier": str, "selfhost": str, "gpu_type": str, "cloud": str, "engine": str,
            "gpus_per_replica": int, "precision": str, "slo_derate": _NUM, "utilization": _NUM, "provisioned": str,
            "input_tokens": _NUM, "output_tokens": _NUM, "output_tokens_per_gpu_hour": _NUM, "max_share": _NUM,
        }],
    }],
    "provisioned": [{"name": str, "model": str, "tokens_per_minute_per_unit": _NUM, "usd_per_unit_hour": _NUM,
                     "max_units": _NUM}],
    "compare": [{"name": str, "reserve": {"*": {"*": _NUM}}, "provisioned": {"*": _NUM}}],
}


def load_problem(config: str | Path | Mapping, overrides: Mapping | None = None) -> tuple[PlanProblem, dict]:
    """Build a :class:`PlanProblem` from a ``planner plan`` YAML file (or the same mapping).

    A demand is a ``history`` file in long format ``unique_id, ds, y`` (``unique_id`` selects a
    series; several are added up), or a ``usage`` export read by :func:`planner.usage.read_usage`
    (with an optional reader ``mapping`` file, the ``metric`` to plan for and ``where`` dimension
    filters), or a ``paths`` file (``ds, sample, y``, e.g. saved forecast paths) used as the
    scenarios directly. Workload demand counts requests per period, turned into tokens with
    ``tokens_per_request``; pool demand counts GPUs busy per period. Histories are forecast
    ``periods`` ahead with ``scenarios`` sample paths by :func:`planner.forecast.forecast`, so
    every workload and pool shares the scenario index; forecasts from histories that end at
    different times are laid on one horizon by position (from ``start`` when given), with a
    warning.

    Parameters
    ----------
    config : str, pathlib.Path or mapping
        The YAML file (relative paths inside it are relative to it) or its mapping (relative to
        the working directory).
    overrides : mapping, optional
        Top-level keys replacing the file's (e.g. ``{"scenarios": 10, "periods": 48}``).

    Returns
    -------
    problem : PlanProblem
    options : dict
        Settings that are not part of the problem: ``slices``, ``compare`` options, ``name``.
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
    series_cache: dict = {}

    def scenarios(spec: dict, at: str) -> pd.DataFrame:  # ds, scenario, y
        return _demand_paths(spec, base, file, at, freq, periods, n_scen, seed, series_cache)

    pools = []
    for i, spec in enumerate(data["pools"]):
        at = f"pools[{i}]"
        if "gpu_type" not in spec:
            raise InputError(f"{file}: {at}: missing key gpu_type")
        try:
            offer = catalog.gpu_offer(spec["gpu_type"], spec.get("cloud"))
        except InputError as exc:
            if "on_demand_usd_per_gpu_hour" not in spec:
                raise InputError(f"{file}: {at}: {exc}; or give on_demand_usd_per_gpu_hour") from None
            offer = {}
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
        pools.append(Pool(
            gpu_type=offer.get("gpu_type", spec["gpu_type"]), cloud=spec.get("cloud", ""), on_demand=od,
            reserved=reserved, spot=spot,
            spot_max_share=_number(spec.get("spot_max_share", offer.get("spot_availability") if spot is not None else 0), 0.0),
            spot_interruption=_number(spec.get("spot_interruption", offer.get("spot_interruption_rate")), 0.0),
            max_gpus=spec.get("max_gpus")))
    by_type = {}
    for p in pools:
        by_type.setdefault(p.gpu_type.lower(), p.name)
        by_type[p.name.lower()] = p.name
    provisioned = []
    for i, spec in enumerate(data.get("provisioned") or []):
        for key in ("name", "model", "tokens_per_minute_per_unit", "usd_per_unit_hour"):
            if key not in spec:
                raise InputError(f"{file}: provisioned[{i}]: missing key {key}")
        provisioned.append(ProvisionedThroughput(spec["name"], spec["model"], float(spec["tokens_per_minute_per_unit"]),
                                                 float(spec["usd_per_unit_hour"]), spec.get("max_units")))
    workloads = []
    for i, spec in enumerate(data["workloads"]):
        at = f"workloads[{i}]"
        for key in ("name", "demand", "tokens_per_request", "routes"):
            if key not in spec:
                raise InputError(f"{file}: {at}: missing key {key}")
        routes = tuple(_route(r, f"{file}: {at}.routes[{j}]", by_type, spec["tokens_per_request"],
                              [c.name for c in provisioned])
                       for j, r in enumerate(spec["routes"]))
        if "min_accuracy_recovery" in spec:
            floor = float(spec["min_accuracy_recovery"])
            routes = tuple(r for r in routes if not r.accuracy_recovery < floor)
            unknown = [r.name for r in routes if r.accuracy_recovery != r.accuracy_recovery]
            if unknown:
                import warnings

                from planner.exceptions import PlannerWarning

                warnings.warn(f"{file}: {at}.min_accuracy_recovery: no published accuracy recovery for {unknown}; "
                              "they are kept", PlannerWarning, stacklevel=2)
            if not routes:
                raise InputError(f"{file}: {at}.min_accuracy_recovery: {floor:g} leaves no route; every route's published "
                                 "accuracy recovery is below it")
        penalty = None if spec.get("must_serve") else spec.get("unserved_usd_per_million_tokens")
        if penalty is None and not spec.get("must_serve"):
            penalty = UNSERVED_MULTIPLE * _max_route_cost_per_million(routes, spec["tokens_per_request"], pools)
        workloads.append(Workload(spec["name"], routes, {str(k): float(v) for k, v in (spec.get("min_share") or {}).items()},
                                  penalty))
    risk = data.get("risk") or {}
    problem = PlanProblem(
        pools=pools, workloads=workloads, provisioned=provisioned,
        demand=pd.DataFrame(columns=["workload", "ds", "scenario", "input_tokens", "cached_input_tokens", "output_tokens"]),
        freq=freq, block=data.get("block", "MS"), terms=terms, charge_full_term=data.get("charge_full_term", False),
        selfhost_fixed_usd_per_month=float(data.get("selfhost_fixed_usd_per_month", 0.0)),
        integer=data.get("integer", False), cvar_alpha=float(risk.get("cvar_alpha", 0.9)),
        cvar_weight=float(risk.get("cvar_weight", 0.0)), service_level=risk.get("service_level"), source=file)
    problem.validate_config()  # every name and price before the (slow) demand forecasts
    gpu_rows = [scenarios(spec["demand"], f"pools[{i}].demand").rename(columns={"y": "gpus"}).assign(pool=pool.name)
                for i, (pool, spec) in enumerate(zip(pools, data["pools"], strict=True)) if "demand" in spec]
    demand_rows = []
    for i, spec in enumerate(data["workloads"]):
        tpr = spec["tokens_per_request"]
        paths = scenarios(spec["demand"], f"workloads[{i}].demand")
        demand_rows.append(pd.DataFrame({
            "workload": spec["name"], "ds": paths["ds"], "scenario": paths["scenario"],
            "input_tokens": paths["y"] * tpr.get("input", 0), "cached_input_tokens": paths["y"] * tpr.get("cached_input", 0),
            "output_tokens": paths["y"] * tpr.get("output", 0)}))
    frames = _align([*demand_rows, *gpu_rows], data.get("start"), freq, file)
    demand_rows, gpu_rows = frames[:len(demand_rows)], frames[len(demand_rows):]
    problem.demand = pd.concat(demand_rows, ignore_index=True)
    if gpu_rows:
        problem.gpu_demand = pd.concat(gpu_rows, ignore_index=True)
    hist = [h.assign(pool=p.name, gpus=h["gpus"] * float(spec["demand"].get("scale", 1.0)))
            for p, spec in zip(pools, data["pools"], strict=True) if "demand" in spec
            for h in [series_cache.get(("recent", _key(spec["demand"], base)))] if h is not None]
    if hist:
        problem.history = pd.concat(hist, ignore_index=True)
    options = {"name": data.get("name", Path(file).stem), "slices": data.get("slices", 8),
               "compare": data.get("compare") or []}
    return problem.validate(), options


def _number(value, default: float | None = None) -> float | None:
    """``value`` as a float, or ``default`` when it is missing or NaN (an empty catalog cell)."""
    return default if value is None or value != value else float(value)


def _key(spec: dict, base: Path) -> tuple:
    name = spec.get("history", spec.get("paths", spec.get("usage", "")))
    return (str((base / name).resolve()), spec.get("unique_id"), spec.get("metric"), str(spec.get("where")))


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

    if sum(k in spec for k in ("history", "paths", "usage")) != 1:
        raise InputError(f"{file}: {at}: give exactly one of history, usage or paths")
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
    cache[key] = out
    return out.assign(y=out["y"] * scale)


def _align(frames: list[pd.DataFrame], start: str | None, freq: str, file: str) -> list[pd.DataFrame]:
    """Lay every scenario frame on one horizon by position: from ``start``, else from the latest
    first period among them (histories that end at different times are forecast from their own
    ends); warns when a frame is moved."""
    import warnings

    from planner.exceptions import PlannerWarning

    firsts = [f["ds"].min() for f in frames]
    try:
        origin = pd.Timestamp(start) if start else max(firsts)
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


def _route(spec: dict, at: str, pools: dict, tokens: dict, commitments: list[str]) -> Route:
    """One route of a workload; ``at`` is ``FILE: workloads[i].routes[j]``, named in every error
    (catalog look-ups included), before any demand is forecast."""
    from planner import catalog
    from planner.catalog.throughput import DEFAULT_SLO_DERATE

    kinds = [k for k in ("api", "selfhost", "provisioned") if k in spec]
    if len(kinds) != 1:
        raise InputError(f"{at}: give exactly one of api, selfhost or provisioned")
    kind, tier, cap = kinds[0], spec.get("tier", ""), float(spec.get("max_share", 1.0))
    if cap > 1:
        raise InputError(f"{at}.max_share: expected a share in [0, 1], got {cap:g}")
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
        return Route(f"api:{spec['api']}{' (batch)' if batch else ''}", "api", tier, inp, cached, out, max_share=cap)
    if kind == "provisioned":
        if spec["provisioned"] not in commitments:
            near = close_match(spec["provisioned"], commitments, cutoff=0.6)
            raise InputError(f"{at}.provisioned: {spec['provisioned']!r} is not among the provisioned commitments "
                             f"{commitments}{f' (did you mean {near!r}?)' if near else ''}")
        return Route(f"provisioned:{spec['provisioned']}", "provisioned", tier, commitment=spec["provisioned"],
                     max_share=cap)
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
    name, recovery = f"selfhost:{spec['selfhost']}@{pool}", float("nan")
    if "output_tokens_per_gpu_hour" in spec:
        per_gpu_hour, gpus_per_replica = float(spec["output_tokens_per_gpu_hour"]), 1
    else:
        try:
            tp = catalog.throughput(spec["selfhost"], gpu, spec.get("precision", "fp8"),
                                    input_tokens=spec.get("input_tokens", tokens.get("input", 0) + tokens.get("cached_input", 0)),
                                    output_tokens=spec.get("output_tokens", tokens.get("output", 1)) or 1,
                                    slo_derate=spec.get("slo_derate", DEFAULT_SLO_DERATE), engine=spec.get("engine"),
                                    gpus_per_replica=spec.get("gpus_per_replica"))
        except InputError as exc:
            raise type(exc)(f"{at}.selfhost: {exc}") from None
        per_gpu_hour, gpus_per_replica = tp.output_tokens_per_gpu_hour, tp.gpus_per_replica
        name = f"selfhost:{tp.model}/{tp.precision}/{tp.engine or 'engine?'}@{pool}"
        found = catalog.precision_recovery(tp.model, spec.get("precision", "fp8"))
        recovery = found.recovery if found else float("nan")
    utilization = spec.get("utilization", 0.7)
    if not 0 < utilization <= 1:
        raise InputError(f"{at}.utilization: expected a share in (0, 1], got {utilization}")
    return Route(name, "selfhost", tier, pool=pool, output_tokens_per_gpu_hour=per_gpu_hour * utilization,
                 gpus_per_replica=gpus_per_replica, max_share=cap, accuracy_recovery=recovery)


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
