"""The multi-pool capacity problem: GPU pools, workloads with routes, provisioned throughput, demand.

A :class:`PlanProblem` holds everything :func:`planner.optimize.plan` needs, with units in every
name: prices [USD/GPU-h], [USD/token], throughput [tokens/GPU-h], demand [tokens per period] or
[GPUs busy on average in a period]. Build one directly from DataFrames, or from a YAML file with
:func:`load_problem` (the ``planner plan CONFIG`` file, schema and example in
:mod:`planner.optimize.config`).

Demand is the simulator's **per-route demand frame** (:data:`planner.simulate.demand.ROUTE_DEMAND_COLUMNS`):
``workload, route, period, scenario, input_tokens, cached_input_tokens, output_tokens, requests,
accuracy``. ``route`` is where the workload's levers send the calls (a routing lever's model, or
``""``); each distinct (workload, route) is a **stream** the optimizer serves with the routes of
its workload that serve it (:func:`serves`).

**Commitments over their whole term.** By default (``charge_full_term``) every reservation and
provisioned-throughput commitment is charged for its whole term, and the demand is continued past
the horizon to the end of the longest term (``after_horizon``: ``hold`` keeps each scenario's
last week; ``decline`` lowers it by ``decline_pct_per_month``; ``forecast`` follows per-scenario
levels from the forecaster's long-horizon paths), so a commitment is judged on the demand of its
whole term. **Evidence rule**: a term of L months is offered only when the history behind the
demand it would serve covers at least ``min_history_share`` x L (default 0.25: three months of
history for a 1-year term, nine for a 3-year term); otherwise the plan names the term and the
history it would need (:meth:`PlanProblem.term_evidence`).

Every error names the file and key path (:class:`planner.exceptions.InputError`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.usage._io import FREQ_HINT

__all__ = ["Pool", "Route", "Workload", "ProvisionedThroughput", "PlanProblem", "Stream", "TermEvidence", "serves",
           "route_accuracy", "load_problem", "TERMS", "AFTER_HORIZON", "MIN_HISTORY_SHARE", "DEMAND_COLUMNS"]

#: Commitment terms [months] planner knows by name.
TERMS = {"1m": 1, "6m": 6, "1y": 12, "3y": 36}
#: How demand continues past the horizon for commitments charged over their whole term.
AFTER_HORIZON = ("hold", "decline", "forecast")
#: Evidence rule: a term is offered when the history covers at least this share of it [-].
MIN_HISTORY_SHARE = 0.25
#: Default price of unserved demand: this many times the workload's most expensive route.
UNSERVED_MULTIPLE = 10.0
#: Columns of :attr:`PlanProblem.demand` (the per-route demand frame).
DEMAND_COLUMNS = ("workload", "route", "period", "scenario", "input_tokens", "cached_input_tokens", "output_tokens",
                  "requests", "accuracy")
_TOKENS = DEMAND_COLUMNS[4:7]
_DAYS_PER_MONTH = 365.25 / 12


@dataclass(frozen=True)
class Pool:
    """GPUs of one type (on one cloud) bought reserved by term, on-demand or spot.

    Prices are [USD/GPU-h]; ``reserved`` maps a term name (``1y``, ``3y``) to its price.
    ``spot_max_share`` caps spot at that share of the pool's capacity in any period;
    ``spot_interruption`` is the share of spot GPU-hours lost (only the rest counts as capacity).
    ``max_gpus`` caps the pool's GPUs in any period (None: no cap). Reservations are bought in
    sold units of ``gpus_per_unit`` GPUs (an 8-GPU instance: 8), named ``unit``.
    """

    gpu_type: str
    on_demand: float
    reserved: Mapping[str, float]
    spot: float | None = None
    spot_max_share: float = 0.0
    spot_interruption: float = 0.0
    cloud: str = ""
    max_gpus: float | None = None
    gpus_per_unit: int = 1
    unit: str = "GPU"

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
    route for minimum-share limits; ``max_share`` caps the share of a stream it may take
    (e.g. the part of the traffic that tolerates a batch API's delay). ``accuracy_recovery`` is
    the published accuracy of a self-hosted route's precision relative to the unquantized model
    (:func:`planner.catalog.precision_recovery`; 1 for API and provisioned routes and unquantized
    precisions, NaN where none is published); a workload's ``min_accuracy_recovery`` drops the
    routes below it.

    ``model`` is the model the route runs (an API model, the commitment's model, the self-hosted
    model class); ``serves`` lists the lever routes (streams) it may take besides its own model's
    (:func:`serves`); ``accuracy`` is a declared share of calls answered right [-]. A route's
    accuracy on a stream is the stream's own (replayed) accuracy where the route runs the stream's
    model, else its declared ``accuracy``, else, on the stream ``""``, the workload's declared
    accuracy (NaN: unknown); all three are figures for the unquantized model, so a self-hosted
    route's accuracy on a stream is that figure times its ``accuracy_recovery``
    (:func:`route_accuracy`). ``cache_applies`` is False where a prompt-cache lever's prefix is
    below the route model's cacheable minimum (its cached tokens then count as input against
    provisioned throughput).
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
    model: str = ""
    serves: tuple[str, ...] = ()
    accuracy: float = float("nan")
    cache_applies: bool = True
    accuracy_recovery: float = 1.0


@dataclass(frozen=True)
class Workload:
    """A task class with its allowed routes and limits.

    ``min_share`` maps a tier to the share of the workload's tokens that must go to routes of
    that tier in every period. ``min_accuracy`` is the least expected accuracy [-] of its calls in
    every period (the request-weighted mean of the routes' accuracies). ``unserved_usd_per_million_tokens``
    prices demand left unserved (None: every token must be served, and a shortfall makes the
    model infeasible).
    """

    name: str
    routes: tuple[Route, ...]
    min_share: Mapping[str, float] = field(default_factory=dict)
    unserved_usd_per_million_tokens: float | None = None
    min_accuracy: float | None = None


@dataclass(frozen=True)
class ProvisionedThroughput:
    """A provisioned-throughput API commitment: units of ``tokens_per_minute_per_unit`` [tokens/min]
    at ``usd_per_unit_hour`` [USD per unit-hour].

    ``term`` names its commitment term (``1m``, ``1y``; a key of :data:`TERMS`) or is ``""`` for
    hourly units without a term (kept, and charged, over the whole modelled window). Tokens count
    against the units' throughput as input + ``cached_input_weight`` x cached input +
    ``output_token_weight`` x output (Azure: cached input 0, an output token as 4 input tokens).
    Units are sold from ``min_units`` in steps of ``unit_increment``; ``source`` cites the price.
    """

    name: str
    model: str
    tokens_per_minute_per_unit: float
    usd_per_unit_hour: float
    max_units: float | None = None
    term: str = ""
    min_units: float = 0.0
    unit_increment: float = 1.0
    output_token_weight: float = 1.0
    cached_input_weight: float = 1.0
    source: str = ""


@dataclass(frozen=True)
class Stream:
    """Demand of one workload that its levers send to one route label (the LP's unit of demand).

    ``routes`` are indices into the workload's routes that serve it; ``accuracy`` the accuracy of
    each of them on this stream [-] (NaN unknown); ``label`` names it in tables.
    """

    workload: int
    route: str
    routes: tuple[int, ...]
    accuracy: tuple[float, ...]
    label: str


@dataclass(frozen=True)
class TermEvidence:
    """The evidence rule for one commitment term: offered when ``history_days`` >= ``needed_days``."""

    what: str
    term: str
    history_days: float
    needed_days: float

    @property
    def allowed(self) -> bool:
        """Whether the history covers the share of the term the rule asks for."""
        return self.history_days >= self.needed_days - 1e-9

    def text(self) -> str:
        """One line for people, e.g. ``H100@aws 3y: history 14.7 days, the rule asks 274 days``."""
        return (f"{self.what} {self.term}: the history covers {self.history_days:,.1f} days; a {self.term} term needs "
                f"{self.needed_days:,.0f} days")


def route_accuracy(route: Route, base: float) -> float:
    """A route's expected accuracy on a stream [-]: ``base`` x ``accuracy_recovery``.

    ``base`` is the unquantized model's share of calls answered right on the stream (replayed,
    or declared on the route or the workload; see :class:`Route`); ``accuracy_recovery`` is the
    published quantized / unquantized accuracy of a self-hosted route's precision
    (:func:`planner.catalog.precision_recovery`, 1 for API and provisioned routes). Where no
    recovery is published (NaN) the figure is left as declared -- the simulator's rule
    (:func:`planner.simulate.selfhost.accuracy_multiplier`) -- and
    :meth:`PlanProblem.validate` warns when a ``min_accuracy`` relies on it. E.g. a declared 0.66
    served in FP8 at recovery 0.9953 counts as 0.66 x 0.9953 = 0.6569.
    """
    recovery = route.accuracy_recovery
    return float(base) * (float(recovery) if np.isfinite(recovery) else 1.0)


def serves(route: Route, stream: str, model: str | None = None) -> bool:
    """Whether ``route`` may take the calls the levers send to ``stream``.

    Every route serves the stream ``""`` (no routing lever). A labelled stream (a model name) is
    served by the routes that list it in ``serves``; routes without ``serves`` take it when they
    run that model (an API route of the model, its batch price included; a provisioned commitment
    of the model), and self-hosted routes take every stream. ``model`` replaces ``route.model``
    (a provisioned route runs its commitment's model).
    """
    if stream == "":
        return True
    if route.serves:
        return stream in route.serves
    if route.kind == "selfhost":
        return True
    return (route.model if model is None else model) == stream


@dataclass
class PlanProblem:
    """Pools, workloads, commitments and demand scenarios for :func:`planner.optimize.plan`.

    Attributes
    ----------
    pools, workloads, provisioned : list
        :class:`Pool`, :class:`Workload`, :class:`ProvisionedThroughput`.
    demand : pandas.DataFrame
        The per-route demand frame :data:`DEMAND_COLUMNS` [tokens per period, calls per period];
        ``ds`` is read as ``period``, a missing ``route`` as ``""``, missing ``requests`` and
        ``accuracy`` as unknown.
    gpu_demand : pandas.DataFrame
        ``pool, ds, scenario, gpus`` [GPUs busy on average in the period]: work that needs GPUs
        of a pool directly (training, batch jobs); may be empty.
    weights : pandas.Series, optional
        Scenario -> probability weight (equal when None).
    freq : str
        pandas frequency of the periods.
    block : str
        pandas frequency at whose starts reservations may begin and the plan is reported.
    terms : dict
        Term name -> length [months].
    charge_full_term : bool
        Charge every commitment for its whole term and continue demand past the horizon to the
        end of the longest term (default); False charges only the hours inside the horizon and
        sees no demand after it.
    after_horizon : str
        ``hold``, ``decline`` (by ``decline_pct_per_month`` [%/month]) or ``forecast`` (levels in
        ``continuation``): demand after the horizon, as a multiple of each scenario's last week.
    continuation : pandas.DataFrame, optional
        For ``forecast``: ``name`` (workload or pool), ``scenario``, ``month`` (months after the
        horizon's end, 0.5, 1.5, ...), ``factor`` [-].
    min_history_share : float
        Evidence rule: a term is offered when ``history_days`` covers this share of it [-].
    history_days : mapping, optional
        Workload or pool name -> days of history behind its demand. None: the rule is not applied
        (said in the plan's summary).
    whole_units : bool
        Round reservations to sold units (``Pool.gpus_per_unit``) and provisioned throughput to
        its increments after the LP, then re-optimize the recourse (default True).
    selfhost_fixed_usd_per_month : float
        Cost of running self-hosting at all (on/off; binary in MILP mode) [USD/month].
    integer : bool
        Whole units, provisioned units and replicas (MILP).
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
    charge_full_term: bool = True
    after_horizon: str = "hold"
    decline_pct_per_month: float = 0.0
    continuation: pd.DataFrame | None = None
    min_history_share: float = MIN_HISTORY_SHARE
    history_days: Mapping[str, float] | None = None
    whole_units: bool = True
    selfhost_fixed_usd_per_month: float = 0.0
    integer: bool = False
    cvar_alpha: float = 0.9
    cvar_weight: float = 0.0
    service_level: float | None = None
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["pool", "ds", "gpus"]))
    source: str = "problem"
    streams: list[Stream] = field(default_factory=list, init=False, repr=False)

    def validate(self) -> PlanProblem:
        """Check prices, shares, names and demand; raise :class:`InputError` naming what is wrong."""
        self.validate_config()
        self._validate_demand()
        self.streams = self._streams()
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
            if int(p.gpus_per_unit) != p.gpus_per_unit or p.gpus_per_unit < 1:
                raise InputError(f"{at}: pool {p.name}: gpus_per_unit must be a whole number >= 1, got {p.gpus_per_unit}")
        commitments = {c.name: c for c in self.provisioned}
        for c in self.provisioned:
            if c.tokens_per_minute_per_unit <= 0 or c.usd_per_unit_hour < 0:
                raise InputError(f"{at}: provisioned {c.name}: expected tokens_per_minute_per_unit > 0 and "
                                 f"usd_per_unit_hour >= 0, got {c.tokens_per_minute_per_unit}, {c.usd_per_unit_hour}")
            if c.term and c.term not in self.terms:
                raise InputError(f"{at}: provisioned {c.name}: unknown term {c.term!r}; known {sorted(self.terms)}")
            if c.unit_increment <= 0 or c.min_units < 0:
                raise InputError(f"{at}: provisioned {c.name}: expected unit_increment > 0 and min_units >= 0")
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
            if w.min_accuracy is not None and not 0 <= w.min_accuracy <= 1:
                raise InputError(f"{where}: min_accuracy must be a share in [0, 1], got {w.min_accuracy}")
            for r in w.routes:
                if np.isfinite(r.accuracy) and not 0 <= r.accuracy <= 1:
                    raise InputError(f"{where}: route {r.name}: accuracy must be a share in [0, 1], got {r.accuracy}")
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
        if self.after_horizon not in AFTER_HORIZON:
            raise InputError(f"{at}: after_horizon: expected one of {list(AFTER_HORIZON)}, got {self.after_horizon!r}")
        if not 0 <= self.decline_pct_per_month < 100:
            raise InputError(f"{at}: after_horizon: decline_pct_per_month must be in [0, 100), got {self.decline_pct_per_month}")
        if self.after_horizon == "forecast" and self.charge_full_term and self.continuation is None:
            raise InputError(f"{at}: after_horizon forecast needs the long-horizon levels (continuation); "
                             "give histories, or use hold or decline")
        if not 0 <= self.min_history_share <= 1:
            raise InputError(f"{at}: min_history_share must be a share in [0, 1], got {self.min_history_share}")
        return self

    def _validate_demand(self) -> None:
        from pandas.tseries.frequencies import to_offset

        at = self.source
        pools = {p.name: p for p in self.pools}
        names = [w.name for w in self.workloads]
        demand = self.demand
        if "period" not in demand.columns and "ds" in demand.columns:
            demand = demand.rename(columns={"ds": "period"})
        need = ["workload", "period", "scenario", *_TOKENS]
        missing = [c for c in need if c not in demand.columns]
        if missing:
            raise InputError(f"{at}: demand: the following columns are missing: {missing}")
        demand = demand.copy()
        if "route" not in demand.columns:
            demand["route"] = ""
        demand["route"] = demand["route"].fillna("").astype(str)
        for col in ("requests", "accuracy"):
            if col not in demand.columns:
                demand[col] = np.nan
        for col in (*_TOKENS, "requests"):
            values = pd.to_numeric(demand[col], errors="coerce")
            bad = (values.isna() & demand[col].notna()) | (values < 0)
            if col != "requests":
                bad = bad | values.isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0])
                raise InputError(f"{at}: demand: column {col!r} at row {row + 1} is {demand[col].iloc[row]!r}; "
                                 "expected a count >= 0")
            demand[col] = values.astype(float)
        demand["accuracy"] = pd.to_numeric(demand["accuracy"], errors="coerce").astype(float)
        unknown = set(demand["workload"]) - set(names)
        if unknown:
            raise InputError(f"{at}: demand names workloads {sorted(unknown)} that are not defined")
        self.demand = demand[list(DEMAND_COLUMNS)]
        missing = [c for c in ("pool", "ds", "scenario", "gpus") if c not in self.gpu_demand.columns]
        if missing:
            raise InputError(f"{at}: gpu_demand: the following columns are missing: {missing}")
        stamps = pd.to_datetime(pd.concat([c for c in (self.demand["period"], self.gpu_demand["ds"]) if len(c)]
                                          or [pd.Series([], dtype="datetime64[ns]")]), errors="coerce")
        if stamps.isna().any():
            raise InputError(f"{at}: demand: column 'period' holds a value that is not a timestamp")
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

    def _streams(self) -> list[Stream]:
        """The (workload, route) streams of the demand, each with the routes that serve it and
        their accuracy on it; raises naming a stream no route serves or a route whose accuracy a
        ``min_accuracy`` needs but nobody gave."""
        at = self.source
        commitments = {c.name: c.model for c in self.provisioned}
        index = {w.name: j for j, w in enumerate(self.workloads)}
        d = self.demand
        weight = d["requests"].where(d["requests"].notna(), d[list(_TOKENS)].sum(axis=1))
        known = d["accuracy"].notna()
        acc = (d["accuracy"].where(known, 0.0) * weight).groupby([d["workload"], d["route"]]).sum()
        acc_w = weight.where(known, 0.0).groupby([d["workload"], d["route"]]).sum()
        out = []
        for (name, route), total in acc_w.items():
            j = index[name]
            wl = self.workloads[j]
            stream_acc = float(acc[(name, route)] / total) if total > 0 else float("nan")
            served, accuracy = [], []
            for r_i, r in enumerate(wl.routes):
                model = r.model or (commitments.get(r.commitment, "") if r.kind == "provisioned" else "")
                if not serves(r, route, model):
                    continue
                served.append(r_i)
                if route != "" and model == route and np.isfinite(stream_acc):
                    base = stream_acc  # measured on these very calls (a replayed router)
                elif np.isfinite(r.accuracy):
                    base = float(r.accuracy)
                elif route == "":
                    base = stream_acc  # the workload's declared accuracy (lever), or unknown
                else:
                    base = float("nan")
                accuracy.append(route_accuracy(r, base))
            label = name if route == "" else f"{name} [{route}]"
            if not served:
                raise InputError(f"{at}: workload {name}: no route serves the calls its levers send to {route!r}; add a "
                                 f"route of that model, or list {route!r} in a route's serves")
            if wl.min_accuracy is not None:
                unknown = [wl.routes[r_i].name for r_i, a in zip(served, accuracy, strict=True) if not np.isfinite(a)]
                if unknown:
                    raise InputError(f"{at}: workload {name}: min_accuracy needs the accuracy of every route that may serve "
                                     f"{label!r}; route {unknown[0]} has none (declare accuracy on the route)")
                if d.loc[(d["workload"] == name) & (d["route"] == route), "requests"].isna().any():
                    raise InputError(f"{at}: workload {name}: min_accuracy needs the demand's requests column")
                unscaled = sorted({wl.routes[r_i].name for r_i in served if wl.routes[r_i].kind == "selfhost"
                                   and not np.isfinite(wl.routes[r_i].accuracy_recovery)})
                if unscaled:
                    warnings.warn(f"{at}: workload {name}: min_accuracy counts {', '.join(unscaled)} at the declared "
                                  "accuracy: no published accuracy recovery for its precision", PlannerWarning, stacklevel=3)
            out.append(Stream(j, route, tuple(served), tuple(accuracy), label))
        return out

    # -- commitment terms ------------------------------------------------------------------------
    def term_evidence(self) -> list[TermEvidence]:
        """The evidence rule for every pool term and provisioned-throughput term (empty when
        ``history_days`` is None, i.e. not known)."""
        if self.history_days is None:
            return []
        days = dict(self.history_days)
        out = []
        for pool in self.pools:
            users = [w.name for w in self.workloads if any(r.kind == "selfhost" and r.pool == pool.name for r in w.routes)]
            if len(self.gpu_demand) and (self.gpu_demand["pool"] == pool.name).any():
                users.append(pool.name)
            have = min((days.get(u, 0.0) for u in users), default=0.0)
            for term in pool.reserved:
                out.append(TermEvidence(pool.name, term, have, self.min_history_share * self.terms[term] * _DAYS_PER_MONTH))
        for c in self.provisioned:
            if not c.term:
                continue
            users = [w.name for w in self.workloads if any(r.commitment == c.name for r in w.routes)]
            have = min((days.get(u, 0.0) for u in users), default=0.0)
            out.append(TermEvidence(f"provisioned {c.name}", c.term, have,
                                    self.min_history_share * self.terms[c.term] * _DAYS_PER_MONTH))
        return out

    def withheld(self) -> set[tuple[str, str]]:
        """(pool or ``provisioned NAME``, term) pairs the evidence rule does not offer."""
        return {(e.what, e.term) for e in self.term_evidence() if not e.allowed}


from planner.optimize.config import load_problem  # noqa: E402  (re-exported: the YAML loader builds this module's types)
