"""Period aggregation for the capacity LP: blocks of periods, each summarised by a few time slices.

A year of hourly demand times every option and scenario is millions of LP variables. Reserved
capacity is constant within a block (reservations start at block starts), so inside a block only
how demand is distributed over hours matters, not their order. For each block and scenario the
periods are ranked by load (each stream's and pool's demand relative to its block mean, added
up) and grouped into ``slices`` slices of equal hours along that load-duration curve. Each slice
keeps the total tokens, calls and GPU-hours of its periods (so API cost is exact) and their mean
rate per hour. Variation inside a slice is averaged away, which makes the aggregated model a
relaxation: its cost is never above the full model's. On 4 weeks of hourly demand with 20
scenarios (``tests/test_optimize_capacity.py``), 8 slices per week put the objective 0.1 % below
the full model's and the reservations they choose cost 0.003 % more than the full optimum.
Equal-hour slices beat slices refined towards the peak (1 %, 2 %, 4 % ... of the hours): those
were 2 % off with 8 slices, because the reservation level sits at the 1 - reserved/on-demand
quantile, mid-curve, where they are coarse.

**After the horizon** (``charge_full_term``): *tail blocks* continue the demand to the end of the
longest term that can be bought in the horizon's last block. Their boundaries are the horizon's
end, the end of each term counted from the horizon's start, every three months when the level
changes (``decline``, ``forecast``) and the window's end. Each tail block repeats, per scenario,
``TAIL_SLICES`` (4) load-duration slices of the horizon's last week (its last ``max(168 h, last
block)`` hours), scaled to the
block's hours and by the continuation level (:func:`continuation_factor`). A commitment is active
in a tail block for the share of the block its term covers (:func:`reservation_window`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from planner.exceptions import InputError
from planner.optimize.problem import PlanProblem

__all__ = ["Cells", "aggregate", "route_coefficients", "reservation_window", "commitment_window",
           "continuation_months", "continuation_factor", "period_hours", "TAIL_STEP_MONTHS", "TEMPLATE_HOURS",
           "TAIL_SLICES"]

_TOKENS = ("input_tokens", "cached_input_tokens", "output_tokens")
#: Tail blocks are at most this long when the continuation level changes (decline, forecast) [months].
TAIL_STEP_MONTHS = 3
#: The continuation repeats at least this many of the horizon's last hours [h] (a week: every weekday).
TEMPLATE_HOURS = 168
#: Load-duration slices of the continuation's template per scenario (at most the horizon's).
TAIL_SLICES = 4
_MONTH = pd.Timedelta(days=365.25 / 12)


@dataclass
class Cells:
    """The aggregated demand: one cell per (block, scenario, slice).

    Attributes
    ----------
    periods : pandas.DatetimeIndex
        The horizon's periods.
    period_hours : numpy.ndarray
        Length of each period [h].
    blocks : pandas.DatetimeIndex
        First instant of each block: the horizon's blocks, then the tail blocks after it.
    block_ends : pandas.DatetimeIndex
        End of each block (exclusive).
    block_hours : numpy.ndarray
        Length of each block [h].
    n_horizon : int
        Blocks inside the horizon (the rest are tail blocks).
    scenarios : list
        Scenario labels; ``weights`` their probabilities (adding up to 1).
    block, scenario : numpy.ndarray
        Each cell's block and scenario index.
    hours : numpy.ndarray
        Each cell's duration [h].
    tokens : numpy.ndarray
        (cells, streams, 3) input, cached input and output token rates [tokens/h].
    requests : numpy.ndarray
        (cells, streams) model calls [calls/h] (NaN where the demand gives none).
    gpus : numpy.ndarray
        (cells, pools) GPUs busy on direct demand [GPUs].
    """

    periods: pd.DatetimeIndex
    period_hours: np.ndarray
    blocks: pd.DatetimeIndex
    block_ends: pd.DatetimeIndex
    block_hours: np.ndarray
    n_horizon: int
    scenarios: list
    weights: np.ndarray
    block: np.ndarray
    scenario: np.ndarray
    hours: np.ndarray
    tokens: np.ndarray
    requests: np.ndarray
    gpus: np.ndarray

    @property
    def horizon_hours(self) -> float:
        """Hours in the horizon [h]."""
        return float(self.period_hours.sum())

    @property
    def window_hours(self) -> float:
        """Hours of the modelled window: the horizon and the tail after it [h]."""
        return float(self.block_hours.sum())

    @property
    def in_horizon(self) -> np.ndarray:
        """Whether each cell lies inside the horizon (not in a tail block)."""
        return self.block < self.n_horizon

    @property
    def window_end(self) -> pd.Timestamp:
        """End of the modelled window."""
        return self.block_ends[-1]


def period_hours(periods: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Length of each period [h]: the time to the next period of ``freq``."""
    offset = to_offset(freq)
    return np.asarray(((periods + offset) - periods) / pd.Timedelta(hours=1), float)


def _slice(load: np.ndarray, quantities: np.ndarray, hours: np.ndarray, slices: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Group a run of periods per scenario into load-duration slices of equal hours.

    ``load`` is (loads, K, T) [per hour], ``quantities`` (Q, K, T) totals per period, ``hours``
    (T,). Returns each kept cell's scenario index and its (Q, cells) sums.
    """
    K, T = quantities.shape[1], quantities.shape[2]
    n_slots = T if slices is None or T <= slices else slices
    if n_slots == T:
        slot = np.broadcast_to(np.arange(T), (K, T))
        order = slot
    else:
        mean = load.mean(axis=2, keepdims=True)
        score = np.divide(load, mean, out=np.zeros_like(load), where=mean > 0).sum(axis=0)  # (K, T)
        order = np.argsort(-score, axis=1, kind="stable")
        h_sorted = hours[order]
        share_before = (np.cumsum(h_sorted, axis=1) - h_sorted) / hours.sum()
        tops = np.linspace(1.0 / n_slots, 1.0, n_slots)
        slot = np.minimum(np.searchsorted(tops, share_before, side="right"), n_slots - 1)
    Q = quantities.shape[0]
    q = np.take_along_axis(quantities, np.broadcast_to(order, (Q, K, T)), axis=2)
    cell = (np.arange(K)[:, None] * n_slots + slot).ravel()  # (K*T,)
    n_cells = K * n_slots
    index = (np.arange(Q)[:, None] * n_cells + cell[None, :]).ravel()
    sums = np.bincount(index, weights=q.reshape(Q, -1).ravel(), minlength=Q * n_cells).reshape(Q, n_cells)
    keep = sums[-1] > 0  # the last quantity is the hours
    return np.repeat(np.arange(K), n_slots)[keep], sums[:, keep]


def continuation_months(problem: PlanProblem) -> float:
    """Months from the horizon's last period to the window's end (the longest term bought in the
    horizon's last block), from the problem's terms; 0 without ``charge_full_term``."""
    if not problem.charge_full_term:
        return 0.0
    months = [problem.terms[t] for p in problem.pools for t in p.reserved]
    months += [problem.terms[c.term] for c in problem.provisioned if c.term]
    return float(max(months, default=0))


def continuation_factor(problem: PlanProblem, names: list[str], n_scenarios: int, start_month: float,
                        end_month: float) -> np.ndarray:
    """Mean level of demand over months ``start_month``..``end_month`` after the horizon, as a
    multiple of the horizon's last week, per name (workload or pool) and scenario (names x scenarios) [-].

    ``hold``: 1. ``decline``: the mean of ``(1 - d) ** t`` over the months (d the monthly decline).
    ``forecast``: the mean of ``problem.continuation``'s factors whose month lies in the span (the
    nearest month when none does).
    """
    out = np.ones((len(names), n_scenarios))
    if problem.after_horizon == "decline" and problem.decline_pct_per_month > 0:
        q = 1 - problem.decline_pct_per_month / 100
        t0, t1 = start_month, end_month
        out *= (q ** t1 - q ** t0) / (np.log(q) * (t1 - t0)) if t1 > t0 else q ** t0
    elif problem.after_horizon == "forecast" and problem.continuation is not None and len(problem.continuation):
        table = problem.continuation
        for i, name in enumerate(names):
            rows = table[table["name"] == name]
            if rows.empty:
                continue
            months = np.sort(rows["month"].unique())
            inside = months[(months >= start_month) & (months < end_month)]
            if not len(inside):
                inside = months[[int(np.argmin(np.abs(months - (start_month + end_month) / 2)))]]
            mean = rows[rows["month"].isin(inside)].groupby("scenario")["factor"].mean()
            values = mean.reindex(range(n_scenarios)).to_numpy(float)
            out[i] = np.where(np.isfinite(values), values, np.nanmean(values) if np.isfinite(values).any() else 1.0)
    return out


def aggregate(problem: PlanProblem, slices: int | None = 8) -> Cells:
    """Aggregate a problem's demand into cells (``slices=None`` keeps every period as a cell).

    Parameters
    ----------
    problem : PlanProblem
        A validated problem.
    slices : int or None
        Load-duration slices per block and scenario.

    Returns
    -------
    Cells
    """
    if slices is not None and slices < 1:
        raise InputError(f"{problem.source}: slices must be >= 1 (or None for every period), got {slices}")
    if not problem.streams and len(problem.demand):
        problem.validate()
    demand, gpu_demand = problem.demand, problem.gpu_demand
    stamps = [pd.to_datetime(f[c]).unique() for f, c in ((demand, "period"), (gpu_demand, "ds")) if len(f)]
    if not stamps:
        raise InputError(f"{problem.source}: no demand periods; give workload or pool demand")
    periods = pd.DatetimeIndex(np.unique(np.concatenate([np.asarray(s, "datetime64[ns]") for s in stamps])))
    scenarios = sorted(set(pd.unique(demand["scenario"])) | set(pd.unique(gpu_demand["scenario"])))
    streams = problem.streams
    keys = pd.MultiIndex.from_tuples([(problem.workloads[s.workload].name, s.route) for s in streams])
    pools = [p.name for p in problem.pools]
    T, K, S, G = len(periods), len(scenarios), len(streams), len(pools)
    tokens = np.zeros((S, K, T, 3))
    requests = np.zeros((S, K, T))
    no_requests = np.zeros(S, bool)
    if len(demand):  # rows added up per (stream, scenario, period) with one bincount per column
        s = keys.get_indexer(pd.MultiIndex.from_arrays([demand["workload"].to_numpy(), demand["route"].to_numpy()]))
        k = pd.Index(scenarios).get_indexer(demand["scenario"])
        t = periods.get_indexer(pd.DatetimeIndex(pd.to_datetime(demand["period"])))
        flat = (s * K + k) * T + t
        for i, col in enumerate(_TOKENS):
            tokens[..., i] = np.bincount(flat, weights=demand[col].to_numpy(float), minlength=S * K * T).reshape(S, K, T)
        req = demand["requests"].to_numpy(float)
        no_requests[np.unique(s[np.isnan(req)])] = True
        requests[:] = np.bincount(flat, weights=np.nan_to_num(req), minlength=S * K * T).reshape(S, K, T)
    gpus = np.zeros((G, K, T))
    if len(gpu_demand):
        g_ = gpu_demand.assign(ds=pd.to_datetime(gpu_demand["ds"])).groupby(["pool", "scenario", "ds"])["gpus"].sum()
        idx = g_.index
        gpus[pd.Index(pools).get_indexer(idx.get_level_values(0)), pd.Index(scenarios).get_indexer(idx.get_level_values(1)),
             periods.get_indexer(idx.get_level_values(2))] = g_.to_numpy(float)
    hours = period_hours(periods, problem.freq)
    starts = pd.date_range(periods[0] - to_offset(problem.block), periods[-1], freq=problem.block)
    starts = starts[starts <= periods[-1]]
    block_of = np.searchsorted(starts, periods, side="right") - 1
    used, block_of = np.unique(block_of, return_inverse=True)
    blocks = [max(starts[b], periods[0]) for b in used]
    horizon_end = periods[-1] + to_offset(problem.freq)
    ends = blocks[1:] + [horizon_end]
    block_hours = list(np.bincount(block_of, weights=hours))
    if problem.weights is None:
        weights = np.full(K, 1.0 / K)
    else:
        weights = problem.weights.reindex(scenarios).fillna(0).to_numpy(float)
        if (weights < 0).any() or weights.sum() <= 0:
            raise InputError(f"{problem.source}: scenario weights must be >= 0 and not all 0")
        weights = weights / weights.sum()
    load = np.concatenate([tokens.sum(axis=3) / hours[None, None, :], gpus], axis=0)  # (S + G, K, T) per hour
    quantities = np.concatenate([tokens.transpose(0, 3, 1, 2).reshape(S * 3, K, T),  # tokens
                                 requests,  # calls
                                 gpus * hours[None, None, :],  # GPU-hours
                                 np.broadcast_to(hours, (1, K, T))], axis=0)  # hours
    parts = []
    for b in range(len(blocks)):
        members = np.flatnonzero(block_of == b)
        scen, sums = _slice(load[:, :, members], quantities[:, :, members], hours[members], slices)
        parts.append((np.full(len(scen), b), scen, sums))
    n_horizon = len(blocks)
    months = continuation_months(problem)
    if months > 0:
        window_end = blocks[-1] + pd.DateOffset(months=int(np.ceil(months)))
        if window_end > horizon_end:
            cut = horizon_end - pd.Timedelta(hours=max(TEMPLATE_HOURS, block_hours[-1]))
            members = np.flatnonzero(periods >= cut)
            t_scen, t_sums = _slice(load[:, :, members], quantities[:, :, members], hours[members],
                                    None if slices is None else max(1, min(slices, TAIL_SLICES)))
            template_hours = hours[members].sum()
            names = [problem.workloads[st.workload].name for st in streams] + pools
            for start, end in _tail_blocks(problem, blocks[0], horizon_end, window_end):
                span = (end - start) / pd.Timedelta(hours=1)
                factor = continuation_factor(problem, names, K, (start - horizon_end) / _MONTH,
                                             (end - horizon_end) / _MONTH)  # (S + G, K)
                f = np.ones((len(quantities), len(t_scen)))
                f[: S * 3] = np.repeat(factor[:S], 3, axis=0)[:, t_scen]
                f[S * 3: S * 4] = factor[:S][:, t_scen]
                f[S * 4: S * 4 + G] = factor[S:][:, t_scen]
                parts.append((np.full(len(t_scen), len(blocks)), t_scen, t_sums * f * span / template_hours))
                blocks.append(start)
                ends.append(end)
                block_hours.append(span)
    block_c = np.concatenate([p[0] for p in parts])
    scen_c = np.concatenate([p[1] for p in parts])
    sums = np.concatenate([p[2] for p in parts], axis=1)
    cell_hours = sums[-1]
    cell_tokens = (sums[: S * 3] / cell_hours).reshape(S, 3, -1).transpose(2, 0, 1)
    cell_requests = (sums[S * 3: S * 4] / cell_hours).T
    cell_requests[:, no_requests] = np.nan
    cell_gpus = (sums[S * 4: S * 4 + G] / cell_hours).T
    return Cells(periods=periods, period_hours=hours, blocks=pd.DatetimeIndex(blocks), block_ends=pd.DatetimeIndex(ends),
                 block_hours=np.asarray(block_hours, float), n_horizon=n_horizon, scenarios=scenarios, weights=weights,
                 block=block_c, scenario=scen_c, hours=cell_hours, tokens=cell_tokens,
                 requests=cell_requests.reshape(len(cell_hours), S), gpus=cell_gpus.reshape(len(cell_hours), G))


def _tail_blocks(problem: PlanProblem, first: pd.Timestamp, horizon_end: pd.Timestamp,
                 window_end: pd.Timestamp) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """(start, end) of each tail block between the horizon's end and the window's end."""
    cuts = {horizon_end, window_end}
    months = {problem.terms[t] for p in problem.pools for t in p.reserved}
    months |= {problem.terms[c.term] for c in problem.provisioned if c.term}
    cuts |= {first + pd.DateOffset(months=m) for m in months}
    if problem.after_horizon != "hold":
        t = horizon_end
        while t < window_end:
            t = t + pd.DateOffset(months=TAIL_STEP_MONTHS)
            cuts.add(t)
    cuts = sorted(c for c in cuts if horizon_end <= c <= window_end)
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def route_coefficients(problem: PlanProblem, cells: Cells) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell, stream and route: API cost of the whole cell's demand [USD], GPUs a self-hosted
    route needs to serve all of it [GPUs], and the stream's token rate [tokens/min].

    Returns
    -------
    api_cost : numpy.ndarray
        (cells, streams, routes) [USD]; 0 for other route kinds.
    gpus : numpy.ndarray
        (cells, streams, routes) [GPUs]; 0 for other route kinds.
    tokens_per_minute : numpy.ndarray
        (cells, streams) input + cached input + output [tokens/min].
    """
    n_routes = max((len(w.routes) for w in problem.workloads), default=0)
    streams = problem.streams
    api = np.zeros((len(cells.hours), len(streams), n_routes))
    gpus = np.zeros_like(api)
    for j, st in enumerate(streams):
        wl = problem.workloads[st.workload]
        inp, cached, out = (cells.tokens[:, j, i] for i in range(3))
        for r_i in st.routes:
            r = wl.routes[r_i]
            if r.kind == "api":
                api[:, j, r_i] = cells.hours * (inp * r.usd_per_input_token + cached * r.usd_per_cached_input_token
                                                + out * r.usd_per_output_token)
            elif r.kind == "selfhost":
                gpus[:, j, r_i] = out / r.output_tokens_per_gpu_hour
    return api, gpus, cells.tokens.sum(axis=2) / 60.0


def _activity(cells: Cells, start: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    """Share of each block inside [start, end) [-]: whole horizon blocks (a horizon block counts
    when it starts inside), the covered share of tail blocks."""
    on = np.zeros(len(cells.blocks))
    h = cells.n_horizon
    on[:h] = np.asarray((cells.blocks[:h] >= start) & (cells.blocks[:h] < end), float)
    if len(cells.blocks) > h:
        lo = np.maximum(cells.blocks[h:].asi8, start.value)
        hi = np.minimum(cells.block_ends[h:].asi8, end.value)
        span = cells.block_ends[h:].asi8 - cells.blocks[h:].asi8
        on[h:] = np.clip(hi - lo, 0, None) / span
    return on


def reservation_window(problem: PlanProblem, cells: Cells, term: str, block: int) -> tuple[np.ndarray, float, float]:
    """Share of each block a reservation of ``term`` bought at ``block`` covers [-], the hours it is
    charged [h] (the whole term with ``charge_full_term``, else the part inside the horizon) and
    the term's hours [h]."""
    start = cells.blocks[block]
    end = start + pd.DateOffset(months=problem.terms[term])
    on = _activity(cells, start, end)
    term_hours = (end - start) / pd.Timedelta(hours=1)
    inside = float((on[:cells.n_horizon] * cells.block_hours[:cells.n_horizon]).sum())
    charged = term_hours if problem.charge_full_term else min(term_hours, inside)
    return on, charged, term_hours


def commitment_window(problem: PlanProblem, cells: Cells, term: str) -> tuple[np.ndarray, float, float]:
    """Like :func:`reservation_window` for a provisioned-throughput commitment bought at the first
    block; without a ``term`` (hourly units) it covers, and is charged for, the whole window."""
    if term:
        return reservation_window(problem, cells, term, 0)
    on = np.ones(len(cells.blocks))
    return on, cells.window_hours, cells.window_hours
