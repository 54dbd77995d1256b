"""Multi-pool capacity plans: what to buy, the mix per period, costs, risk and savings.

:func:`plan` solves the two-stage model of :func:`planner.optimize.lp.solve_capacity` over the
aggregated scenarios (:mod:`planner.optimize.aggregate`) and returns a :class:`Plan` whose tables
a person reads without the code. The same first-stage decisions held fixed give the baselines:
all on-demand (nothing committed), all API (no self-hosting, no provisioned throughput) and the
cloud recommenders' rule (reserve the 1 - reserved/on-demand quantile of the last 30 days of GPU
use, one-year term). :func:`compare_plans` prices commitment options on the same scenarios for
procurement.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.optimize import lp
from planner.optimize.aggregate import Cells, aggregate, reservation_window, route_coefficients
from planner.optimize.problem import PlanProblem, load_problem
from planner.outputs import write_folder

__all__ = ["Plan", "plan", "compare_plans"]

_CONFIG = "config"  # slices as the configuration says (8 when it says nothing)


@dataclass
class Plan:
    """A capacity plan and its tables.

    Attributes
    ----------
    purchases : pandas.DataFrame
        What to buy: ``what, kind, term, start, units, unit, usd_per_unit_hour, commitment_usd``
        (charged inside the horizon, the cost the plan optimizes), ``term_commitment_usd`` (the
        whole term's obligation), ``expected_utilization, breakeven_utilization, breakeven_months``.
        Unless ``charge_full_term``, a reservation is charged for its hours inside the horizon,
        so a 3-year term (cheaper per hour) wins whenever reserving pays: the plan does not see
        demand after the horizon. Compare ``planner: 1y reservations only`` in
        :func:`compare_plans`, or set ``charge_full_term``.
    capacity : pandas.DataFrame
        Per block and pool, mean GPUs: ``period, pool, reserved_gpus, on_demand_gpus, spot_gpus,
        used_gpus, reserved_utilization`` (expected over scenarios).
    routes : pandas.DataFrame
        Per block, workload and route: ``tokens`` (expected), ``share``, ``api_cost_usd``.
    cost : pandas.DataFrame
        Expected cost by category [USD] and its share.
    unserved : pandas.DataFrame
        Per block and workload: expected and worst-scenario unserved tokens, share of demand.
    shadow_prices : pandas.DataFrame
        Per block: marginal cost of one more GPU-hour per pool [USD/GPU-h] and of one more
        million tokens per workload [USD per million tokens] (expected over scenarios; with
        ``cvar_weight`` > 0, the marginal change of the risk-adjusted objective).
    scenarios : pandas.DataFrame
        ``scenario, weight, cost_usd``.
    baselines : pandas.DataFrame
        The plan next to all-on-demand, all-API and the recommenders' rule on the same scenarios.
    summary : dict
        Headline figures, solver, model size and timings.
    """

    purchases: pd.DataFrame
    capacity: pd.DataFrame
    routes: pd.DataFrame
    cost: pd.DataFrame
    unserved: pd.DataFrame
    shadow_prices: pd.DataFrame
    scenarios: pd.DataFrame
    baselines: pd.DataFrame
    summary: dict = field(default_factory=dict)

    #: Table attributes, in the order they are written.
    TABLES = ("purchases", "capacity", "routes", "cost", "unserved", "shadow_prices", "scenarios", "baselines")

    @property
    def mix(self) -> pd.DataFrame:
        """``period, option, units`` [GPUs]: reserved, on-demand and spot GPUs per block (all pools)."""
        long = self.capacity.melt(id_vars=["period", "pool"], value_vars=["reserved_gpus", "on_demand_gpus", "spot_gpus"],
                                  var_name="option", value_name="units")
        long["option"] = long["option"].str.replace("_gpus", "").str.replace("_", "-")
        return long.groupby(["period", "option"], as_index=False)["units"].sum()

    def tables(self) -> dict[str, pd.DataFrame]:
        """The plan's tables by name (e.g. for :meth:`planner.store.Store.save_snapshot`)."""
        return {name: getattr(self, name) for name in self.TABLES}

    def to_dir(self, path: str | Path, command: str = "Plan.to_dir", inputs: Sequence[str | Path] = (),
               option: str = "--output") -> Path:
        """Write every table as CSV and ``summary.json`` into the folder ``path``; return it.

        The folder is written as a whole with :func:`planner.outputs.write_folder`: it must be new,
        empty or written by planner before (a folder of other files, or holding one of ``inputs``,
        is refused with :class:`planner.exceptions.PathError`); ``command`` is recorded in its marker.
        """
        with write_folder(path, command, inputs, option) as out:
            for name, table in self.tables().items():
                table.to_csv(out / f"{name}.csv", index=False)
            (out / "summary.json").write_text(json.dumps(self.summary, indent=2, default=str) + "\n",
                                              encoding="utf-8")
        return Path(path)

    def save(self, store, label: str = "", replace: bool = True) -> int:
        """Save the plan as a ``plan`` snapshot in a :class:`planner.store.Store`; return its id."""
        return store.save_snapshot("plan", self.tables(), self.summary, label, replace)


def plan(config: str | Path | dict | PlanProblem, slices: int | None | str = _CONFIG,
         overrides: dict | None = None) -> Plan:
    """Solve a capacity plan from a ``planner plan`` YAML file, its mapping, or a :class:`PlanProblem`.

    Parameters
    ----------
    config : str, pathlib.Path, dict or PlanProblem
        The plan configuration (see :mod:`planner.optimize.problem`).
    slices : int or None
        Load-duration slices per block and scenario (default: the config's ``slices``, else 8);
        None keeps every period (no aggregation).
    overrides : dict, optional
        Top-level configuration keys to replace (e.g. ``{"scenarios": 10}``).

    Returns
    -------
    Plan
    """
    problem, options = _problem(config, overrides)
    cells = aggregate(problem, options.get("slices", 8) if slices == _CONFIG else slices)
    model = lp.CapacityLP(problem, cells)
    solution = model.solve()
    duals = solution
    if problem.integer:  # duals come from the LP with the whole-unit decisions held
        duals = model.solve(fixed=_first_stage(solution), integer=False)
    none = {"reserve": {}, "provisioned": {}}
    baselines = {"all on-demand (no commitments)": model.solve(fixed=none)}
    if _api_only_possible(problem):
        baselines["all API (no self-hosting or provisioned throughput)"] = model.solve(fixed=none, kinds=("api",))
    rule = _rule_reserve(problem, cells, baselines["all on-demand (no commitments)"])
    if rule:
        baselines["recommenders' rule (30-day quantile, 1-year)"] = model.solve(fixed={"reserve": rule, "provisioned": {}})
    return _build_plan(problem, cells, solution, duals, baselines, options)


def compare_plans(config: str | Path | dict | PlanProblem, slices: int | None | str = _CONFIG,
                  overrides: dict | None = None, user_options: list[dict] | None = None) -> pd.DataFrame:
    """Price commitment options on the same scenarios (``planner compare CONFIG``).

    Options: none (all on-demand); the planner's optimum; the optimum with one term only (each
    term the pools offer); the recommenders' rule; without provisioned throughput (when any is
    offered); and the config's ``compare`` entries (``{name, reserve: {pool: {term: GPUs}},
    provisioned: {name: units}}``, bought at the first block). Recourse (on-demand, spot, API
    and routing) is re-optimized for each option. ``user_options`` (same form) replace the
    config's ``compare`` entries.

    Returns
    -------
    pandas.DataFrame
        One row per option: ``option, reserved_gpus, provisioned_units, expected_cost_usd,
        p90_cost_usd, p95_cost_usd, savings_vs_on_demand_usd, savings_vs_on_demand_pct,
        expected_utilization, stranded_cost_usd, breakeven_months``.
    """
    problem, options = _problem(config, overrides)
    cells = aggregate(problem, options.get("slices", 8) if slices == _CONFIG else slices)
    free = {key: None for key in _reserve_keys(problem, cells)}
    runs = {"none (all on-demand)": {"reserve": {}, "provisioned": {}}, "planner: all options": {}}
    for term in sorted({t for p in problem.pools for t in p.reserved}):
        runs[f"planner: {term} reservations only"] = {"reserve": {k: None for k in free if k[1] == term}}
    if problem.provisioned:
        runs["planner: no provisioned throughput"] = {"provisioned": {}}
    model = lp.CapacityLP(problem, cells)
    solved = {name: model.solve(fixed=fixed) for name, fixed in runs.items()}
    rule = _rule_reserve(problem, cells, solved["none (all on-demand)"])
    if rule:
        solved["recommenders' rule (30-day quantile, 1-year)"] = model.solve(fixed={"reserve": rule, "provisioned": {}})
    pools = {p.name: g for g, p in enumerate(problem.pools)}
    names = {c.name: i for i, c in enumerate(problem.provisioned)}
    for i, spec in enumerate(options.get("compare", []) if user_options is None else user_options):
        reserve, units = {}, {}
        for pool, terms in (spec.get("reserve") or {}).items():
            if pool not in pools:
                raise InputError(f"{problem.source}: compare[{i}].reserve: unknown pool {pool!r}; known {sorted(pools)}")
            for term, gpus in (terms or {}).items():
                if term not in problem.pools[pools[pool]].reserved:
                    raise InputError(f"{problem.source}: compare[{i}].reserve.{pool}: pool has no term {term!r}")
                reserve[(pools[pool], term, 0)] = float(gpus)
        for name, n in (spec.get("provisioned") or {}).items():
            if name not in names:
                raise InputError(f"{problem.source}: compare[{i}].provisioned: unknown commitment {name!r}")
            units[names[name]] = float(n)
        solved[spec.get("name", f"option {i + 1}")] = model.solve(fixed={"reserve": reserve, "provisioned": units})
    base = solved["none (all on-demand)"]["scenario_cost"]
    rows = []
    for name, sol in solved.items():
        cost = sol["scenario_cost"]
        stats = _utilization(problem, cells, sol)
        expected = float(cells.weights @ cost)
        od = float(cells.weights @ base)
        rows.append({
            "option": name, "reserved_gpus": sum(sol["reserve"].values()), "provisioned_units": sum(sol["provisioned"]),
            "expected_cost_usd": expected, "p90_cost_usd": _quantile(cost, cells.weights, 0.90),
            "p95_cost_usd": _quantile(cost, cells.weights, 0.95), "savings_vs_on_demand_usd": od - expected,
            "savings_vs_on_demand_pct": (1 - expected / od) * 100 if od else 0.0,
            "expected_utilization": stats["utilization"], "stranded_cost_usd": stats["stranded_usd"],
            "breakeven_months": stats["breakeven_months"],
        })
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------


def _problem(config, overrides: dict | None = None) -> tuple[PlanProblem, dict]:
    if isinstance(config, PlanProblem):
        return config.validate(), {"name": config.source, "slices": 8, "compare": []}
    return load_problem(config, overrides)


def _api_only_possible(problem: PlanProblem) -> bool:
    """Whether an all-API baseline exists and differs from the plan: every workload can be
    served by API (or left unserved at a price), every required tier has an API route, and some
    route is not an API."""
    for w in problem.workloads:
        api_tiers = {r.tier for r in w.routes if r.kind == "api"}
        if not api_tiers and w.unserved_usd_per_million_tokens is None:
            return False
        if any(share > 0 and tier not in api_tiers for tier, share in w.min_share.items()):
            return False
    return any(r.kind != "api" for w in problem.workloads for r in w.routes)


def _first_stage(solution: dict) -> dict:
    return {"reserve": dict(solution["reserve"]), "provisioned": dict(enumerate(solution["provisioned"])),
            "selfhost_on": solution["selfhost_on"]}


def _reserve_keys(problem: PlanProblem, cells: Cells) -> list[tuple]:
    return [(g, term, b) for g, p in enumerate(problem.pools) for term in p.reserved for b in range(len(cells.blocks))]


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][min(np.searchsorted(cum, q * cum[-1]), len(values) - 1)])


def _rule_reserve(problem: PlanProblem, cells: Cells, on_demand: dict) -> dict:
    """The recommenders' rule per pool, as a 1-year (shortest term) reservation from the first block.

    It reads the pool's last 30 days of history when the problem has one, else the first 30 days
    of GPU use when everything runs on-demand (what a recommender sees after a month).
    """
    out = {}
    first_month = cells.blocks[cells.block] < cells.periods[0] + pd.Timedelta(days=30)
    for g, pool in enumerate(problem.pools):
        if not pool.reserved:
            continue
        term = min(pool.reserved, key=lambda t: problem.terms[t])
        price = pool.reserved[term]
        if price >= pool.on_demand:
            continue
        q = 1 - price / pool.on_demand
        hist = problem.history[problem.history["pool"] == pool.name] if len(problem.history) else pd.DataFrame()
        if len(hist):
            units = float(np.quantile(hist["gpus"].to_numpy(float), q))
        else:
            use = on_demand["need"][:, g] + cells.gpus[:, g]
            weight = cells.weights[cells.scenario] * cells.hours
            units = _quantile(use[first_month], weight[first_month], q)
        if units > 0:
            out[(g, term, 0)] = float(np.ceil(units) if problem.integer else units)
    return out


def _utilization(problem: PlanProblem, cells: Cells, sol: dict) -> dict:
    """Expected utilization of reserved GPUs, stranded cost [USD] and break-even months."""
    reserved = _active(problem, cells, sol)  # (blocks, pools)
    r_cells = reserved[cells.block]  # (cells, pools)
    use = sol["need"] + cells.gpus
    weight = (cells.weights[cells.scenario] * cells.hours)[:, None]
    used = (np.minimum(use, r_cells) * weight).sum()
    committed = (r_cells * weight).sum()
    price_cells = _active(problem, cells, sol, priced=True)[cells.block]
    stranded = float(((r_cells - np.minimum(use, r_cells)) * price_cells * weight).sum())
    util = used / committed if committed > 0 else float("nan")
    od = np.array([p.on_demand for p in problem.pools])
    ratio = float((price_cells * r_cells * weight).sum() / max((od[None, :] * r_cells * weight).sum(), 1e-12)) \
        if committed > 0 else float("nan")
    months = [problem.terms[t] for (g, t, b), v in sol["reserve"].items() if v > 0]
    term_months = float(np.mean(months)) if months else float("nan")
    return {"utilization": util, "stranded_usd": stranded,
            "breakeven_months": term_months * ratio / util if committed > 0 and util > 0 else float("nan")}


def _active(problem: PlanProblem, cells: Cells, sol: dict, priced: bool = False) -> np.ndarray:
    """Reserved GPUs active in each block and pool (blocks, pools); with ``priced`` their mean
    reserved price [USD/GPU-h] instead."""
    units_ = np.zeros((len(cells.blocks), len(problem.pools)))
    spend = np.zeros_like(units_)
    for (g, term, b), units in sol["reserve"].items():
        if units > 0:
            on, _, _ = reservation_window(problem, cells, term, b)
            units_[on, g] += units
            spend[on, g] += units * problem.pools[g].reserved[term]
    if not priced:
        return units_
    return np.divide(spend, units_, out=np.zeros_like(spend), where=units_ > 0)


def _build_plan(problem: PlanProblem, cells: Cells, sol: dict, duals: dict, baselines: dict, options: dict) -> Plan:
    P, W = problem.pools, problem.workloads
    w_cell = cells.weights[cells.scenario]
    hw = (w_cell * cells.hours)  # expected hours each cell stands for
    periods = cells.blocks
    active = _active(problem, cells, sol)
    use = sol["need"] + cells.gpus

    # purchases
    rows = []
    stats = _utilization(problem, cells, sol)
    for (g, term, b), units in sorted(sol["reserve"].items()):
        if units <= 1e-6:
            continue
        pool = P[g]
        price = pool.reserved[term]
        on, hours, term_hours = reservation_window(problem, cells, term, b)
        in_cells = on[cells.block]
        r_c = active[cells.block, g]
        share = np.divide(units, r_c, out=np.zeros_like(r_c), where=r_c > 0)  # this purchase's share of reserved
        used = (np.minimum(use[:, g], r_c) * share * hw)[in_cells].sum()
        held = (units * hw[in_cells]).sum()
        util = used / held if held > 0 else float("nan")
        rows.append({"what": f"{pool.name} reserved {term}", "kind": "reserved", "term": term, "start": periods[b],
                     "units": units, "unit": "GPUs", "usd_per_unit_hour": price, "commitment_usd": units * price * hours,
                     "term_commitment_usd": units * price * term_hours,
                     "expected_utilization": util, "breakeven_utilization": price / pool.on_demand if pool.on_demand else np.nan,
                     "breakeven_months": problem.terms[term] * price / (pool.on_demand * util) if util > 0 else np.nan})
    api_cost, _, tpm = route_coefficients(problem, cells)
    for c, units in zip(problem.provisioned, sol["provisioned"], strict=True):
        if units <= 1e-6:
            continue
        routes = [(j, r_i) for j, wl in enumerate(W) for r_i, r in enumerate(wl.routes) if r.commitment == c.name]
        used = sum((np.nan_to_num(sol["share"][:, j, r_i]) * tpm[:, j] * hw).sum() for j, r_i in routes)
        held = units * c.tokens_per_minute_per_unit * hw.sum()
        rows.append({"what": f"provisioned {c.name} ({c.model})", "kind": "provisioned", "term": "horizon",
                     "start": periods[0], "units": units, "unit": f"x {c.tokens_per_minute_per_unit:g} tokens/min",
                     "usd_per_unit_hour": c.usd_per_unit_hour, "commitment_usd": units * c.usd_per_unit_hour * cells.horizon_hours,
                     "term_commitment_usd": units * c.usd_per_unit_hour * cells.horizon_hours,
                     "expected_utilization": used / held if held else np.nan, "breakeven_utilization": np.nan,
                     "breakeven_months": np.nan})
    purchases = pd.DataFrame(rows, columns=["what", "kind", "term", "start", "units", "unit", "usd_per_unit_hour",
                                            "commitment_usd", "term_commitment_usd", "expected_utilization", "breakeven_utilization",
                                            "breakeven_months"])

    # capacity per block and pool (expected mean GPUs over the block's hours)
    def per_block(values: np.ndarray) -> np.ndarray:  # (cells, n) -> (blocks, n) expected means over the hours
        return _per_block(values * hw[:, None], cells) / cells.block_hours[:, None]

    r_cells = active[cells.block]
    used_reserved = per_block(np.minimum(use, r_cells))
    od, spot, used = per_block(sol["on_demand"]), per_block(sol["spot"]), per_block(use)
    cap_rows = []
    for b, start in enumerate(periods):
        for g, pool in enumerate(P):
            cap_rows.append({"period": start, "pool": pool.name, "reserved_gpus": active[b, g],
                             "on_demand_gpus": od[b, g], "spot_gpus": spot[b, g], "used_gpus": used[b, g],
                             "reserved_utilization": used_reserved[b, g] / active[b, g] if active[b, g] > 0 else np.nan})
    capacity = pd.DataFrame(cap_rows)

    # routes per block
    share = np.nan_to_num(sol["share"])
    tokens_cell = tpm * 60.0 * cells.hours[:, None]  # tokens per cell and workload
    route_rows = []
    for j, wl in enumerate(W):
        for r_i, r in enumerate(wl.routes):
            tok = np.zeros(len(periods))
            cost = np.zeros(len(periods))
            np.add.at(tok, cells.block, share[:, j, r_i] * tokens_cell[:, j] * w_cell)
            np.add.at(cost, cells.block, share[:, j, r_i] * api_cost[:, j, r_i] * w_cell)
            total = np.zeros(len(periods))
            np.add.at(total, cells.block, tokens_cell[:, j] * w_cell)
            for b, start in enumerate(periods):
                route_rows.append({"period": start, "workload": wl.name, "route": r.name, "kind": r.kind, "tier": r.tier,
                                   "tokens": tok[b], "share": tok[b] / total[b] if total[b] else 0.0, "api_cost_usd": cost[b]})
    routes = pd.DataFrame(route_rows)

    # cost by category (expected)
    first = {"reserved": float(purchases.loc[purchases["kind"] == "reserved", "commitment_usd"].sum()),
             "provisioned throughput": float(purchases.loc[purchases["kind"] == "provisioned", "commitment_usd"].sum())}
    fixed = sol["first_stage_cost"] - sum(first.values())
    unserved = np.nan_to_num(sol["unserved"])
    penalty = np.array([w.unserved_usd_per_million_tokens or 0.0 for w in W])
    od_price = np.array([p.on_demand for p in P])
    spot_price = np.array([p.spot or 0.0 for p in P])
    categories = {
        **first,
        "self-hosting fixed": max(fixed, 0.0),
        "on-demand GPUs": float((sol["on_demand"] * od_price * hw[:, None]).sum()),
        "spot GPUs": float((sol["spot"] * spot_price * hw[:, None]).sum()),
        "API tokens": float((share * api_cost * w_cell[:, None, None]).sum()),
        "unserved (penalty)": float((unserved * tokens_cell / 1e6 * penalty[None, :] * w_cell[:, None]).sum()),
    }
    total_cost = sum(categories.values())
    cost = pd.DataFrame({"category": list(categories), "expected_usd": list(categories.values())})
    cost["share"] = cost["expected_usd"] / total_cost if total_cost else 0.0

    # unserved tokens
    un_rows = []
    for j, wl in enumerate(W):
        exp, dem = np.zeros(len(periods)), np.zeros(len(periods))
        worst = np.zeros((len(periods), len(cells.scenarios)))
        np.add.at(exp, cells.block, unserved[:, j] * tokens_cell[:, j] * w_cell)
        np.add.at(dem, cells.block, tokens_cell[:, j] * w_cell)
        np.add.at(worst, (cells.block, cells.scenario), unserved[:, j] * tokens_cell[:, j])
        for b, start in enumerate(periods):
            un_rows.append({"period": start, "workload": wl.name, "expected_tokens": exp[b],
                            "share_of_demand": exp[b] / dem[b] if dem[b] else 0.0, "worst_scenario_tokens": worst[b].max()})
    unserved_table = pd.DataFrame(un_rows)

    # shadow prices
    sp_rows = []
    cap_dual = _per_block(duals["capacity_dual"], cells)
    bal_dual = _per_block(duals["balance_dual"], cells)
    demand_m = np.zeros((len(periods), len(W)))
    np.add.at(demand_m, cells.block, tokens_cell * w_cell[:, None] / 1e6)
    for b, start in enumerate(periods):
        for g, pool in enumerate(P):
            sp_rows.append({"period": start, "resource": pool.name, "value": cap_dual[b, g] / cells.block_hours[b],
                            "unit": "USD per GPU-hour"})
        for j, wl in enumerate(W):
            sp_rows.append({"period": start, "resource": wl.name,
                            "value": bal_dual[b, j] / demand_m[b, j] if demand_m[b, j] else np.nan,
                            "unit": "USD per million tokens"})
    shadow = pd.DataFrame(sp_rows)

    scen_cost = sol["scenario_cost"]
    scenarios = pd.DataFrame({"scenario": cells.scenarios, "weight": cells.weights, "cost_usd": scen_cost})
    expected = float(cells.weights @ scen_cost)
    base_rows = [{"option": "plan", "expected_cost_usd": expected, "p95_cost_usd": _quantile(scen_cost, cells.weights, 0.95)}]
    for name, b_sol in baselines.items():
        c = b_sol["scenario_cost"]
        base_rows.append({"option": name, "expected_cost_usd": float(cells.weights @ c),
                          "p95_cost_usd": _quantile(c, cells.weights, 0.95)})
    base = pd.DataFrame(base_rows)
    base["plan_saves_usd"] = base["expected_cost_usd"] - expected
    base["plan_saves_pct"] = np.where(base["expected_cost_usd"] > 0, base["plan_saves_usd"] / base["expected_cost_usd"] * 100, 0.0)
    alpha = problem.cvar_alpha
    tail = scen_cost >= _quantile(scen_cost, cells.weights, alpha)
    summary = {
        "name": options.get("name", problem.source),
        "expected_cost_usd": expected,
        "p95_cost_usd": _quantile(scen_cost, cells.weights, 0.95),
        f"cvar_{round(alpha * 100)}_cost_usd": float(np.average(scen_cost[tail], weights=cells.weights[tail])),
        "savings": {row.option: {"usd": row.plan_saves_usd, "pct": row.plan_saves_pct} for row in base.iloc[1:].itertuples()},
        "reserved_gpus": {P[g].name: float(sum(v for (gg, _, _), v in sol["reserve"].items() if gg == g))
                          for g in range(len(P))},
        "expected_reserved_utilization": stats["utilization"],
        "stranded_cost_usd": stats["stranded_usd"],
        "unserved_tokens_expected": float(unserved_table["expected_tokens"].sum()),
        "horizon": {"start": str(cells.periods[0]), "periods": len(cells.periods), "freq": problem.freq,
                    "hours": cells.horizon_hours, "blocks": len(periods), "block": problem.block},
        "scenarios": len(cells.scenarios),
        "model": {"cells": len(cells.hours), "variables": sol["variables"], "constraints": sol["constraints"],
                  "solver": sol["solver"], "build_s": round(sol["build_s"], 3), "solve_s": round(sol["solve_s"], 3),
                  "integer": problem.integer, "cvar_weight": problem.cvar_weight, "cvar_alpha": alpha,
                  "service_level": problem.service_level, "charge_full_term": problem.charge_full_term},
    }
    return Plan(purchases, capacity, routes, cost, unserved_table, shadow, scenarios, base, summary)


def _per_block(values: np.ndarray, cells: Cells) -> np.ndarray:
    """Add (cells, n) values up per block -> (blocks, n); NaN counts as 0."""
    out = np.zeros((len(cells.blocks), values.shape[1]))
    np.add.at(out, cells.block, np.nan_to_num(values))
    return out
