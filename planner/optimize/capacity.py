"""Multi-pool capacity plans: what to buy, the mix per period, costs, quality, risk and savings.

:func:`plan` solves the two-stage model of :class:`planner.optimize.lp.CapacityLP` over the
aggregated scenarios (:mod:`planner.optimize.aggregate`) and returns a :class:`Plan` whose tables
a person reads without the code. Commitments are bought in the units providers sell: the LP's
reservations are rounded to whole units (8-GPU instances by default) and provisioned throughput
to its increments, then the recourse is re-optimized on them (the rounding's cost is reported).
The same first-stage decisions held fixed give the baselines: all on-demand (nothing committed),
all API (no self-hosting, no provisioned throughput) and the cloud recommenders' rule (reserve
the 1 - reserved/on-demand quantile of the last 30 days of GPU use, one-year term).
:func:`compare_plans` prices commitment options on the same scenarios for procurement;
:func:`plan_lever_sets` and :func:`compare_lever_sets` do both for each of a configuration's
lever sets.
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
from planner.optimize.aggregate import (
    Cells,
    aggregate,
    commitment_window,
    reservation_window,
    route_coefficients,
)
from planner.optimize.problem import PlanProblem, load_problem
from planner.outputs import write_folder

__all__ = ["Plan", "LeverSetPlans", "plan", "compare_plans", "plan_lever_sets", "compare_lever_sets", "buy_text"]

_CONFIG = "config"  # slices as the configuration says (8 when it says nothing)
_RULE = "recommenders' rule (30-day quantile, 1-year)"
_NONE = "all on-demand (no commitments)"


@dataclass
class Plan:
    """A capacity plan and its tables.

    Attributes
    ----------
    purchases : pandas.DataFrame
        What to buy: ``what, kind, pool, term, start, end, units, unit, gpus, usd_per_unit_hour``
        (per GPU-hour for GPU pools, per unit-hour for provisioned throughput), ``obligation_usd``
        (the whole term's commitment; 0 for hourly units without a term), ``in_horizon_usd`` (the
        part of it inside the plan horizon), ``expected_utilization`` (over the term, the demand
        continued after the horizon included), ``breakeven_utilization, breakeven_months``.
    capacity : pandas.DataFrame
        Per horizon block and pool, mean GPUs: ``period, pool, reserved_gpus, on_demand_gpus,
        spot_gpus, used_gpus, reserved_utilization`` (expected over scenarios).
    routes : pandas.DataFrame
        Per horizon block, workload, stream (``demand_route``: where its levers send the calls,
        ``""`` for all) and route: ``tokens``, ``requests`` (expected), ``share`` of the stream,
        ``accuracy`` of the route on it, ``api_cost_usd``.
    workloads : pandas.DataFrame
        Per workload over the horizon: ``requests``, ``tokens``, ``expected_accuracy`` (of its
        served calls; NaN where a route's is unknown), ``min_accuracy``, ``unserved_share``.
    cost : pandas.DataFrame
        Expected cost by category over the modelled window [USD], split into ``in_horizon_usd``
        and ``after_horizon_usd``, and its share.
    unserved : pandas.DataFrame
        Per horizon block and workload: expected and worst-scenario unserved tokens, share of demand.
    shadow_prices : pandas.DataFrame
        Per horizon block: marginal cost of one more GPU-hour per pool [USD/GPU-h] and of one
        more million tokens per stream [USD per million tokens] (expected over scenarios; with
        ``cvar_weight`` > 0, the marginal change of the risk-adjusted objective).
    scenarios : pandas.DataFrame
        ``scenario, weight, cost_usd`` over the window.
    baselines : pandas.DataFrame
        The plan next to all-on-demand, all-API and the recommenders' rule on the same scenarios.
    summary : dict
        Headline figures: the window, expected cost (window and horizon), obligations, reserved
        GPUs per pool, terms the evidence rule withholds, accuracy per workload, solver, model
        size and timings.
    """

    purchases: pd.DataFrame
    capacity: pd.DataFrame
    routes: pd.DataFrame
    workloads: pd.DataFrame
    cost: pd.DataFrame
    unserved: pd.DataFrame
    shadow_prices: pd.DataFrame
    scenarios: pd.DataFrame
    baselines: pd.DataFrame
    summary: dict = field(default_factory=dict)

    #: Table attributes, in the order they are written.
    TABLES = ("purchases", "capacity", "routes", "workloads", "cost", "unserved", "shadow_prices", "scenarios",
              "baselines")

    @property
    def mix(self) -> pd.DataFrame:
        """``period, pool, option, gpus``: reserved, on-demand and spot GPUs per block and pool."""
        long = self.capacity.melt(id_vars=["period", "pool"], value_vars=["reserved_gpus", "on_demand_gpus", "spot_gpus"],
                                  var_name="option", value_name="gpus")
        long["option"] = long["option"].str.replace("_gpus", "").str.replace("_", "-")
        return long

    def tables(self) -> dict[str, pd.DataFrame]:
        """The plan's tables by name (e.g. for :meth:`planner.store.Store.save_snapshot`)."""
        return {name: getattr(self, name) for name in self.TABLES}

    def write(self, folder: Path) -> None:
        """Write every table as CSV and ``summary.json`` into an existing ``folder`` (no checks:
        :meth:`to_dir` is the safe way to write a user's folder)."""
        for name, table in self.tables().items():
            table.to_csv(folder / f"{name}.csv", index=False)
        (folder / "summary.json").write_text(json.dumps(self.summary, indent=2, default=str) + "\n", encoding="utf-8")

    def to_dir(self, path: str | Path, command: str = "Plan.to_dir", inputs: Sequence[str | Path] = (),
               option: str = "--output") -> Path:
        """Write every table as CSV and ``summary.json`` into the folder ``path``; return it.

        The folder is written as a whole with :func:`planner.outputs.write_folder`: it must be new,
        empty or written by planner before (a folder of other files, or holding one of ``inputs``,
        is refused with :class:`planner.exceptions.PathError`); ``command`` is recorded in its marker.
        """
        with write_folder(path, command, inputs, option) as out:
            self.write(out)
        return Path(path)

    def save(self, store, label: str = "", replace: bool = True) -> int:
        """Save the plan as a ``plan`` snapshot in a :class:`planner.store.Store`; return its id."""
        return store.save_snapshot("plan", self.tables(), self.summary, label, replace)


@dataclass
class LeverSetPlans:
    """One :class:`Plan` per lever set of a configuration, in its order."""

    plans: dict[str, Plan]

    def summary(self) -> pd.DataFrame:
        """One row per lever set: expected cost in the horizon [USD], expected and P95 cost over the
        window [USD], obligations [USD], expected accuracy per workload [-] and what to buy."""
        rows = []
        for name, p in self.plans.items():
            s = p.summary
            row = {"lever_set": name, "horizon_cost_usd": s["expected_horizon_cost_usd"],
                   "window_cost_usd": s["expected_cost_usd"], "window_p95_usd": s["p95_cost_usd"],
                   "obligation_usd": s["obligation_usd"]}
            row.update({f"accuracy {w}": a for w, a in s["accuracy"].items()})
            row["buy"] = buy_text(p.purchases)
            rows.append(row)
        return pd.DataFrame(rows)


def buy_text(purchases: pd.DataFrame) -> str:
    """What a plan buys in one line, e.g. ``2 x 8-GPU instance (p5.48xlarge) H100@aws 1y from 2025-01-20``."""
    if purchases.empty:
        return "no commitment: on-demand, spot and API"
    parts = []
    for r in purchases.itertuples():
        term = r.term if r.term != "hourly" else "hourly"
        parts.append(f"{r.units:,.4g} x {r.unit} {r.pool} {term} from {pd.Timestamp(r.start).date()}")
    return "; ".join(parts)


def plan(config: str | Path | dict | PlanProblem, slices: int | None | str = _CONFIG,
         overrides: dict | None = None, lever_set: str | None = None, cache: dict | None = None) -> Plan:
    """Solve a capacity plan from a ``planner plan`` YAML file, its mapping, or a :class:`PlanProblem`.

    Parameters
    ----------
    config : str, pathlib.Path, dict or PlanProblem
        The plan configuration (see :mod:`planner.optimize.config`).
    slices : int or None
        Load-duration slices per block and scenario (default: the config's ``slices``, else 8);
        None keeps every period (no aggregation).
    overrides : dict, optional
        Top-level configuration keys to replace (e.g. ``{"scenarios": 10}``).
    lever_set : str, optional
        Apply the configuration's lever set of this name.
    cache : dict, optional
        Forecasts already made for this configuration (shared by lever sets).

    Returns
    -------
    Plan
    """
    problem, options = _problem(config, overrides, lever_set, cache)
    cells = aggregate(problem, options.get("slices", 8) if slices == _CONFIG else slices)
    model = lp.CapacityLP(problem, cells)
    solution, relaxed = _solve_whole(model, problem, cells)
    duals = solution
    if problem.integer:  # duals come from the LP with the whole-unit decisions held
        duals = model.solve(fixed=_first_stage(solution), integer=False)
    none = {"reserve": {}, "provisioned": {}}
    baselines = {_NONE: model.solve(fixed=none)}
    if _api_only_possible(problem):
        baselines["all API (no self-hosting or provisioned throughput)"] = model.solve(fixed=none, kinds=("api",))
    rule = _rule_reserve(problem, cells, baselines[_NONE])
    if rule:
        baselines[_RULE] = model.solve(fixed={"reserve": rule, "provisioned": {}})
    return _build_plan(problem, cells, solution, duals, baselines, options, relaxed)


def plan_lever_sets(config: str | Path | dict, slices: int | None | str = _CONFIG,
                    overrides: dict | None = None) -> LeverSetPlans:
    """:func:`plan` for each of the configuration's ``lever_sets`` on the same forecasts."""
    from planner.optimize.config import lever_set_names

    names = lever_set_names(config)
    if not names:
        raise InputError(f"{config}: lever_sets: the configuration has none; give lever_sets or use plan()")
    cache: dict = {}
    return LeverSetPlans({name: plan(config, slices, overrides, name, cache) for name in names})


def compare_lever_sets(config: str | Path | dict, slices: int | None | str = _CONFIG,
                       overrides: dict | None = None) -> pd.DataFrame:
    """:func:`compare_plans` for each of the configuration's ``lever_sets`` (a ``lever_set`` column first)."""
    from planner.optimize.config import lever_set_names

    cache: dict = {}
    tables = [compare_plans(config, slices, overrides, lever_set=name, cache=cache).assign(lever_set=name)
              for name in lever_set_names(config)]
    table = pd.concat(tables, ignore_index=True)
    return table[["lever_set", *[c for c in table.columns if c != "lever_set"]]]


def compare_plans(config: str | Path | dict | PlanProblem, slices: int | None | str = _CONFIG,
                  overrides: dict | None = None, user_options: list[dict] | None = None,
                  lever_set: str | None = None, cache: dict | None = None) -> pd.DataFrame:
    """Price commitment options on the same scenarios (``planner compare CONFIG``).

    Options: none (all on-demand); the planner's optimum; the optimum with one term only (each
    term the pools offer; a term the evidence rule withholds is priced as a what-if, said in
    ``evidence``); the recommenders' rule; without provisioned throughput (when any is offered);
    and the config's ``compare`` entries (``{name, reserve: {pool: {term: GPUs}}, provisioned:
    {name: units}}``, bought at the first block, GPUs rounded up to whole units). Optimized
    options are rounded to whole units like the plan. Recourse (on-demand, spot, API and
    routing) is re-optimized for each option. ``user_options`` (same form) replace the config's
    ``compare`` entries.

    Returns
    -------
    pandas.DataFrame
        One row per option: ``option, evidence, horizon_days, window_months, expected_cost_usd, p90_cost_usd,
        p95_cost_usd, savings_vs_on_demand_usd, savings_vs_on_demand_pct, obligation_usd,
        stranded_cost_usd``, then per pool ``<pool> reserved GPUs`` (the most active in a horizon
        block), ``<pool> utilization``, ``<pool> breakeven_months`` and per commitment
        ``<name> units``: pools and commitments are never added together.
    """
    problem, options = _problem(config, overrides, lever_set, cache)
    cells = aggregate(problem, options.get("slices", 8) if slices == _CONFIG else slices)
    evidence = {(e.what, e.term): e for e in problem.term_evidence()}
    free = {key: None for key in _reserve_keys(problem, cells)}
    runs = {"none (all on-demand)": ({"reserve": {}, "provisioned": {}}, ""), "planner: all options": ({}, "")}
    for term in sorted({t for p in problem.pools for t in p.reserved}, key=lambda t: problem.terms[t]):
        short = [evidence[(p.name, term)] for p in problem.pools if term in p.reserved
                 and (p.name, term) in evidence and not evidence[(p.name, term)].allowed]
        note = "what-if, not recommended: " + "; ".join(e.text() for e in short) if short else ""
        runs[f"planner: {term} reservations only"] = ({"reserve": {k: None for k in free if k[1] == term}}, note)
    if problem.provisioned:
        runs["planner: no provisioned throughput"] = ({"provisioned": {}}, "")
    model = lp.CapacityLP(problem, cells)
    solved, notes = {}, {}
    for name, (fixed, note) in runs.items():
        solved[name] = _solve_whole(model, problem, cells, fixed)[0] if "reserve" not in fixed or \
            any(v is None for v in fixed["reserve"].values()) else model.solve(fixed=fixed)
        notes[name] = note
    rule = _rule_reserve(problem, cells, solved["none (all on-demand)"])
    if rule:
        solved[_RULE] = model.solve(fixed={"reserve": rule, "provisioned": {}})
        notes[_RULE] = "the rule buys 1-year terms whatever the history"
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
                reserve[(pools[pool], term, 0)] = float(np.ceil(float(gpus) / problem.pools[pools[pool]].gpus_per_unit))
        for name, n in (spec.get("provisioned") or {}).items():
            if name not in names:
                raise InputError(f"{problem.source}: compare[{i}].provisioned: unknown commitment {name!r}")
            units[names[name]] = float(n)
        label = spec.get("name", f"option {i + 1}")
        solved[label] = model.solve(fixed={"reserve": reserve, "provisioned": units})
        notes[label] = "your option"
    base = solved["none (all on-demand)"]["scenario_cost"]
    od = float(cells.weights @ base)
    months = cells.window_hours / (365.25 * 24 / 12)
    rows = []
    for name, sol in solved.items():
        cost = sol["scenario_cost"]
        expected = float(cells.weights @ cost)
        stats = _pool_stats(problem, cells, sol)
        row = {"option": name, "evidence": notes.get(name, ""), "horizon_days": cells.horizon_hours / 24,
               "window_months": months, "expected_cost_usd": expected,
               "p90_cost_usd": _quantile(cost, cells.weights, 0.90), "p95_cost_usd": _quantile(cost, cells.weights, 0.95),
               "savings_vs_on_demand_usd": od - expected, "savings_vs_on_demand_pct": (1 - expected / od) * 100 if od else 0.0,
               "obligation_usd": _obligation(problem, cells, sol),
               "stranded_cost_usd": float(sum(s["stranded_usd"] for s in stats.values()))}
        for pool in problem.pools:
            s = stats[pool.name]
            row[f"{pool.name} reserved GPUs"] = s["peak_gpus"]
            row[f"{pool.name} utilization"] = s["utilization"]
            row[f"{pool.name} breakeven_months"] = s["breakeven_months"]
        for c, u in zip(problem.provisioned, sol["provisioned"], strict=True):
            row[f"{c.name} units"] = u
        rows.append(row)
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------------------------


def _problem(config, overrides: dict | None = None, lever_set: str | None = None,
             cache: dict | None = None) -> tuple[PlanProblem, dict]:
    if isinstance(config, PlanProblem):
        if lever_set is not None:
            raise InputError("lever sets come from a configuration file; a PlanProblem carries its demand already")
        return config.validate(), {"name": config.source, "slices": 8, "compare": [], "lever_set": "", "levers": {}}
    return load_problem(config, overrides, lever_set, cache)


def _solve_whole(model: lp.CapacityLP, problem: PlanProblem, cells: Cells, fixed: dict | None = None) -> tuple[dict, dict]:
    """Solve, then (``whole_units``, not MILP) round the commitments to sold units and re-solve the
    recourse on them. Returns (solution, the LP's own solution)."""
    relaxed = model.solve(fixed=fixed)
    if not problem.whole_units or problem.integer:
        return relaxed, relaxed
    rounded = _whole_units(problem, cells, relaxed)
    same = all(abs(rounded["reserve"].get(k, 0.0) - v) < 1e-9 for k, v in relaxed["reserve"].items()) and \
        all(abs(rounded["provisioned"][i] - v) < 1e-9 for i, v in enumerate(relaxed["provisioned"]))
    if same:
        return relaxed, relaxed
    return model.solve(fixed=rounded), relaxed


def _whole_units(problem: PlanProblem, cells: Cells, sol: dict) -> dict:
    """The solution's commitments in sold units: each pool and term's cumulative reservations over
    the blocks rounded to whole units (so small tranches add up instead of vanishing), and
    provisioned units rounded to their increment (0 below half the minimum, else at least it)."""
    reserve = {}
    for g, pool in enumerate(problem.pools):
        for term in pool.reserved:
            keys = [(g, term, b) for b in range(cells.n_horizon)]
            cum = np.cumsum([sol["reserve"].get(k, 0.0) for k in keys])
            whole = np.diff(np.concatenate([[0.0], np.maximum.accumulate(np.round(cum))]))
            reserve.update({k: float(v) for k, v in zip(keys, whole, strict=True)})
    provisioned = {}
    for i, (c, units) in enumerate(zip(problem.provisioned, sol["provisioned"], strict=True)):
        if units < max(c.min_units / 2, c.unit_increment / 2):
            provisioned[i] = 0.0
        else:
            provisioned[i] = float(max(c.min_units, c.unit_increment * np.round(units / c.unit_increment)))
            if c.max_units is not None:
                provisioned[i] = min(provisioned[i], float(c.max_units))
    return {"reserve": reserve, "provisioned": provisioned, "selfhost_on": sol["selfhost_on"]}


def _api_only_possible(problem: PlanProblem) -> bool:
    """Whether an all-API baseline exists and differs from the plan: every stream can be served by
    API (or left unserved at a price), every required tier has an API route, and some route is
    not an API."""
    for st in problem.streams:
        w = problem.workloads[st.workload]
        api_tiers = {w.routes[r].tier for r in st.routes if w.routes[r].kind == "api"}
        if not api_tiers and w.unserved_usd_per_million_tokens is None:
            return False
        if any(share > 0 and tier not in api_tiers for tier, share in w.min_share.items()):
            return False
    return any(r.kind != "api" for w in problem.workloads for r in w.routes)


def _first_stage(solution: dict) -> dict:
    return {"reserve": dict(solution["reserve"]), "provisioned": dict(enumerate(solution["provisioned"])),
            "selfhost_on": solution["selfhost_on"]}


def _reserve_keys(problem: PlanProblem, cells: Cells) -> list[tuple]:
    return [(g, term, b) for g, p in enumerate(problem.pools) for term in p.reserved for b in range(cells.n_horizon)]


def _quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    return float(values[order][min(np.searchsorted(cum, q * cum[-1]), len(values) - 1)])


def _rule_reserve(problem: PlanProblem, cells: Cells, on_demand: dict) -> dict:
    """The recommenders' rule per pool, as a 1-year (shortest term) reservation from the first block,
    in whole units (nearest).

    It reads the pool's last 30 days of history when the problem has one, else the first 30 days
    of GPU use when everything runs on-demand (what a recommender sees after a month).
    """
    out = {}
    first_month = (cells.blocks[cells.block] < cells.periods[0] + pd.Timedelta(days=30)) & cells.in_horizon
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
            gpus = float(np.quantile(hist["gpus"].to_numpy(float), q))
        else:
            use = on_demand["need"][:, g] + cells.gpus[:, g]
            weight = cells.weights[cells.scenario] * cells.hours
            gpus = _quantile(use[first_month], weight[first_month], q)
        units = gpus / pool.gpus_per_unit
        units = float(np.ceil(units)) if problem.integer else float(np.round(units)) if problem.whole_units else units
        if units > 0:
            out[(g, term, 0)] = units
    return out


def _active(problem: PlanProblem, cells: Cells, sol: dict, priced: bool = False) -> np.ndarray:
    """Reserved GPUs active in each block and pool (blocks, pools); with ``priced`` their mean
    reserved price [USD/GPU-h] instead."""
    gpus = np.zeros((len(cells.blocks), len(problem.pools)))
    spend = np.zeros_like(gpus)
    for (g, term, b), units in sol["reserve"].items():
        if units > 0:
            on, _, _ = reservation_window(problem, cells, term, b)
            n = units * problem.pools[g].gpus_per_unit
            gpus[:, g] += n * on
            spend[:, g] += n * on * problem.pools[g].reserved[term]
    if not priced:
        return gpus
    return np.divide(spend, gpus, out=np.zeros_like(spend), where=gpus > 0)


def _pool_stats(problem: PlanProblem, cells: Cells, sol: dict) -> dict:
    """Per pool over the window: expected utilization of reserved GPUs, stranded cost [USD],
    break-even months and the most reserved GPUs active in a horizon block."""
    reserved = _active(problem, cells, sol)  # (blocks, pools)
    r_cells = reserved[cells.block]  # (cells, pools)
    use = sol["need"] + cells.gpus
    weight = (cells.weights[cells.scenario] * cells.hours)[:, None]
    price_cells = _active(problem, cells, sol, priced=True)[cells.block]
    used = (np.minimum(use, r_cells) * weight).sum(axis=0)
    committed = (r_cells * weight).sum(axis=0)
    stranded = ((r_cells - np.minimum(use, r_cells)) * price_cells * weight).sum(axis=0)
    out = {}
    for g, pool in enumerate(problem.pools):
        util = used[g] / committed[g] if committed[g] > 0 else float("nan")
        ratio = float((price_cells[:, g] * r_cells[:, g] * weight[:, 0]).sum() / (pool.on_demand * committed[g])) \
            if committed[g] > 0 and pool.on_demand > 0 else float("nan")
        months = [problem.terms[t] for (gg, t, b), v in sol["reserve"].items() if v > 0 and gg == g]
        term_months = float(np.mean(months)) if months else float("nan")
        out[pool.name] = {"utilization": float(util), "stranded_usd": float(stranded[g]),
                          "breakeven_months": term_months * ratio / util if committed[g] > 0 and util > 0 else float("nan"),
                          "peak_gpus": float(reserved[:cells.n_horizon, g].max()) if cells.n_horizon else 0.0}
    return out


def _obligation(problem: PlanProblem, cells: Cells, sol: dict) -> float:
    """Whole-term obligations of a solution's commitments [USD] (hourly units carry none)."""
    total = 0.0
    for (g, term, b), units in sol["reserve"].items():
        if units > 0:
            _, _, term_hours = reservation_window(problem, cells, term, b)
            pool = problem.pools[g]
            total += units * pool.gpus_per_unit * pool.reserved[term] * term_hours
    for c, units in zip(problem.provisioned, sol["provisioned"], strict=True):
        if units > 0 and c.term:
            _, _, term_hours = commitment_window(problem, cells, c.term)
            total += units * c.usd_per_unit_hour * term_hours
    return float(total)


def _build_plan(problem: PlanProblem, cells: Cells, sol: dict, duals: dict, baselines: dict, options: dict,
                relaxed: dict) -> Plan:
    P, W, ST = problem.pools, problem.workloads, problem.streams
    w_cell = cells.weights[cells.scenario]
    hw = (w_cell * cells.hours)  # expected hours each cell stands for
    H = cells.n_horizon
    inside = cells.in_horizon
    periods = cells.blocks[:H]
    active = _active(problem, cells, sol)
    use = sol["need"] + cells.gpus

    # purchases
    rows = []
    for (g, term, b), units in sorted(sol["reserve"].items()):
        if units <= 1e-6:
            continue
        pool = P[g]
        price = pool.reserved[term]
        on, _, term_hours = reservation_window(problem, cells, term, b)
        gpus = units * pool.gpus_per_unit
        frac = on[cells.block]
        r_c = active[cells.block, g]
        share = np.divide(gpus * frac, r_c, out=np.zeros_like(r_c), where=r_c > 0)  # this purchase's share of reserved
        used = (np.minimum(use[:, g], r_c) * share * hw).sum()
        held = (gpus * frac * hw).sum()
        util = used / held if held > 0 else float("nan")
        in_horizon = gpus * price * float((on[:H] * cells.block_hours[:H]).sum())
        rows.append({"what": f"{pool.name} reserved {term}", "kind": "reserved", "pool": pool.name, "term": term,
                     "start": cells.blocks[b], "end": cells.blocks[b] + pd.DateOffset(months=problem.terms[term]),
                     "units": units, "unit": pool.unit, "gpus": gpus, "usd_per_unit_hour": price,
                     "obligation_usd": gpus * price * term_hours, "in_horizon_usd": in_horizon,
                     "expected_utilization": util,
                     "breakeven_utilization": price / pool.on_demand if pool.on_demand else np.nan,
                     "breakeven_months": problem.terms[term] * price / (pool.on_demand * util) if util > 0 else np.nan})
    api_cost, _, tpm = route_coefficients(problem, cells)
    for c, units in zip(problem.provisioned, sol["provisioned"], strict=True):
        if units <= 1e-6:
            continue
        on, charged, term_hours = commitment_window(problem, cells, c.term)
        used = 0.0
        for j, st in enumerate(ST):
            wl = W[st.workload]
            for r_i in st.routes:
                if wl.routes[r_i].commitment == c.name:
                    inp, cached, out = (cells.tokens[:, j, k] for k in range(3))
                    cw = c.cached_input_weight if wl.routes[r_i].cache_applies else 1.0
                    weighted = (inp + cw * cached + c.output_token_weight * out) / 60.0
                    used += (np.nan_to_num(sol["share"][:, j, r_i]) * weighted * hw).sum()
        held = (units * c.tokens_per_minute_per_unit * on[cells.block] * hw).sum()
        rows.append({"what": f"provisioned {c.name} ({c.model})", "kind": "provisioned", "pool": c.name,
                     "term": c.term or "hourly", "start": cells.blocks[0],
                     "end": cells.blocks[0] + pd.DateOffset(months=problem.terms[c.term]) if c.term else cells.window_end,
                     "units": units, "unit": f"PTU of {c.tokens_per_minute_per_unit:,.0f} tokens/min", "gpus": np.nan,
                     "usd_per_unit_hour": c.usd_per_unit_hour,
                     "obligation_usd": units * c.usd_per_unit_hour * term_hours if c.term else 0.0,
                     "in_horizon_usd": units * c.usd_per_unit_hour * float((on[:H] * cells.block_hours[:H]).sum()),
                     "expected_utilization": used / held if held else np.nan, "breakeven_utilization": np.nan,
                     "breakeven_months": np.nan})
    purchases = pd.DataFrame(rows, columns=["what", "kind", "pool", "term", "start", "end", "units", "unit", "gpus",
                                            "usd_per_unit_hour", "obligation_usd", "in_horizon_usd", "expected_utilization",
                                            "breakeven_utilization", "breakeven_months"])

    # capacity per horizon block and pool (expected mean GPUs over the block's hours)
    def per_block(values: np.ndarray) -> np.ndarray:  # (cells, n) -> (horizon blocks, n) expected means
        return _per_block(values * hw[:, None], cells)[:H] / cells.block_hours[:H, None]

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

    # routes per horizon block
    share = np.nan_to_num(sol["share"])
    tokens_cell = tpm * 60.0 * cells.hours[:, None]  # tokens per cell and stream
    requests_cell = np.nan_to_num(cells.requests) * cells.hours[:, None]
    route_rows = []
    for j, st in enumerate(ST):
        wl = W[st.workload]
        total = np.zeros(len(cells.blocks))
        np.add.at(total, cells.block, tokens_cell[:, j] * w_cell)
        for r_i, acc in zip(st.routes, st.accuracy, strict=True):
            r = wl.routes[r_i]
            tok, req, cost = (np.zeros(len(cells.blocks)) for _ in range(3))
            np.add.at(tok, cells.block, share[:, j, r_i] * tokens_cell[:, j] * w_cell)
            np.add.at(req, cells.block, share[:, j, r_i] * requests_cell[:, j] * w_cell)
            np.add.at(cost, cells.block, share[:, j, r_i] * api_cost[:, j, r_i] * w_cell)
            for b, start in enumerate(periods):
                route_rows.append({"period": start, "workload": wl.name, "demand_route": st.route, "route": r.name,
                                   "kind": r.kind, "tier": r.tier, "tokens": tok[b], "requests": req[b],
                                   "share": tok[b] / total[b] if total[b] else 0.0, "accuracy": acc,
                                   "api_cost_usd": cost[b]})
    routes = pd.DataFrame(route_rows)

    # quality per workload (horizon)
    acc_rows, accuracy = [], {}
    unserved = np.nan_to_num(sol["unserved"])
    for jw, wl in enumerate(W):
        mine = [j for j, st in enumerate(ST) if st.workload == jw]
        good = calls = tokens = lost = 0.0
        unknown = False
        for j in mine:
            st = ST[j]
            req = requests_cell[:, j] * w_cell * inside
            tokens += float((tokens_cell[:, j] * w_cell * inside).sum())
            lost += float((unserved[:, j] * tokens_cell[:, j] * w_cell * inside).sum())
            for r_i, acc in zip(st.routes, st.accuracy, strict=True):
                n = float((share[:, j, r_i] * req).sum())
                if n > 0 and not np.isfinite(acc):
                    unknown = True
                good += n * (acc if np.isfinite(acc) else 0.0)
                calls += n
        value = good / calls if calls > 0 and not unknown else float("nan")
        accuracy[wl.name] = value
        acc_rows.append({"workload": wl.name, "requests": calls, "tokens": tokens, "expected_accuracy": value,
                         "min_accuracy": wl.min_accuracy if wl.min_accuracy is not None else np.nan,
                         "unserved_share": lost / tokens if tokens else 0.0})
    workloads = pd.DataFrame(acc_rows)

    # cost by category (expected), in and after the horizon
    od_price = np.array([p.on_demand for p in P])
    spot_price = np.array([p.spot or 0.0 for p in P])
    penalty = np.array([W[st.workload].unserved_usd_per_million_tokens or 0.0 for st in ST])
    reserved_cost = float(purchases.loc[purchases["kind"] == "reserved", "obligation_usd"].sum()) \
        if problem.charge_full_term else float(purchases.loc[purchases["kind"] == "reserved", "in_horizon_usd"].sum())
    ptu_rows = purchases[purchases["kind"] == "provisioned"]
    ptu_cost = _first_ptu_cost(problem, cells, sol)
    fixed = sol["first_stage_cost"] - reserved_cost - ptu_cost

    def split(values: np.ndarray) -> tuple[float, float]:  # per-cell expected USD -> (in horizon, after)
        return float(values[inside].sum()), float(values[~inside].sum())

    recourse = {
        "on-demand GPUs": split((sol["on_demand"] * od_price * hw[:, None]).sum(axis=1)),
        "spot GPUs": split((sol["spot"] * spot_price * hw[:, None]).sum(axis=1)),
        "API tokens": split((share * api_cost).sum(axis=(1, 2)) * w_cell),
        "unserved (penalty)": split((unserved * tokens_cell / 1e6 * penalty[None, :]).sum(axis=1) * w_cell),
    }
    res_in = float(purchases.loc[purchases["kind"] == "reserved", "in_horizon_usd"].sum())
    ptu_in = float(ptu_rows["in_horizon_usd"].sum())
    fixed_in = max(fixed, 0.0) * cells.horizon_hours / cells.window_hours if cells.window_hours else 0.0
    categories = {"reserved": (res_in, reserved_cost - res_in),
                  "provisioned throughput": (ptu_in, ptu_cost - ptu_in),
                  "self-hosting fixed": (fixed_in, max(fixed, 0.0) - fixed_in), **recourse}
    cost = pd.DataFrame({"category": list(categories),
                         "expected_usd": [a + b for a, b in categories.values()],
                         "in_horizon_usd": [a for a, _ in categories.values()],
                         "after_horizon_usd": [b for _, b in categories.values()]})
    total_cost = cost["expected_usd"].sum()
    cost["share"] = cost["expected_usd"] / total_cost if total_cost else 0.0

    # unserved tokens (horizon)
    un_rows = []
    for jw, wl in enumerate(W):
        mine = [j for j, st in enumerate(ST) if st.workload == jw]
        exp, dem = np.zeros(len(cells.blocks)), np.zeros(len(cells.blocks))
        worst = np.zeros((len(cells.blocks), len(cells.scenarios)))
        for j in mine:
            np.add.at(exp, cells.block, unserved[:, j] * tokens_cell[:, j] * w_cell)
            np.add.at(dem, cells.block, tokens_cell[:, j] * w_cell)
            np.add.at(worst, (cells.block, cells.scenario), unserved[:, j] * tokens_cell[:, j])
        for b, start in enumerate(periods):
            un_rows.append({"period": start, "workload": wl.name, "expected_tokens": exp[b],
                            "share_of_demand": exp[b] / dem[b] if dem[b] else 0.0, "worst_scenario_tokens": worst[b].max()})
    unserved_table = pd.DataFrame(un_rows, columns=["period", "workload", "expected_tokens", "share_of_demand",
                                                    "worst_scenario_tokens"])

    # shadow prices (horizon)
    sp_rows = []
    cap_dual = _per_block(duals["capacity_dual"], cells)
    bal_dual = _per_block(duals["balance_dual"], cells)
    demand_m = np.zeros((len(cells.blocks), len(ST)))
    np.add.at(demand_m, cells.block, tokens_cell * w_cell[:, None] / 1e6)
    for b, start in enumerate(periods):
        for g, pool in enumerate(P):
            sp_rows.append({"period": start, "resource": pool.name, "value": cap_dual[b, g] / cells.block_hours[b],
                            "unit": "USD per GPU-hour"})
        for j, st in enumerate(ST):
            sp_rows.append({"period": start, "resource": st.label,
                            "value": bal_dual[b, j] / demand_m[b, j] if demand_m[b, j] else np.nan,
                            "unit": "USD per million tokens"})
    shadow = pd.DataFrame(sp_rows)

    scen_cost = sol["scenario_cost"]
    scenarios = pd.DataFrame({"scenario": cells.scenarios, "weight": cells.weights, "cost_usd": scen_cost})
    expected = float(cells.weights @ scen_cost)
    base_rows = [{"option": "plan", "expected_cost_usd": expected, "p95_cost_usd": _quantile(scen_cost, cells.weights, 0.95),
                  "obligation_usd": _obligation(problem, cells, sol)}]
    for name, b_sol in baselines.items():
        c = b_sol["scenario_cost"]
        base_rows.append({"option": name, "expected_cost_usd": float(cells.weights @ c),
                          "p95_cost_usd": _quantile(c, cells.weights, 0.95), "obligation_usd": _obligation(problem, cells, b_sol)})
    base = pd.DataFrame(base_rows)
    base["plan_saves_usd"] = base["expected_cost_usd"] - expected
    base["plan_saves_pct"] = np.where(base["expected_cost_usd"] > 0, base["plan_saves_usd"] / base["expected_cost_usd"] * 100, 0.0)
    alpha = problem.cvar_alpha
    tail = scen_cost >= _quantile(scen_cost, cells.weights, alpha)
    stats = _pool_stats(problem, cells, sol)
    evidence = problem.term_evidence()
    month_h = 365.25 * 24 / 12
    summary = {
        "name": options.get("name", problem.source),
        "lever_set": options.get("lever_set", ""),
        "levers": {w: sorted(v) for w, v in (options.get("levers") or {}).items()},
        "expected_cost_usd": expected,
        "expected_horizon_cost_usd": float(cost["in_horizon_usd"].sum()),
        "p95_cost_usd": _quantile(scen_cost, cells.weights, 0.95),
        f"cvar_{round(alpha * 100)}_cost_usd": float(np.average(scen_cost[tail], weights=cells.weights[tail])),
        "obligation_usd": float(purchases["obligation_usd"].sum()),
        "savings": {row.option: {"usd": row.plan_saves_usd, "pct": row.plan_saves_pct} for row in base.iloc[1:].itertuples()},
        "reserved": {p.name: {"gpus": stats[p.name]["peak_gpus"], "unit": p.unit,
                              "units": stats[p.name]["peak_gpus"] / p.gpus_per_unit,
                              "utilization": stats[p.name]["utilization"], "stranded_cost_usd": stats[p.name]["stranded_usd"],
                              "breakeven_months": stats[p.name]["breakeven_months"],
                              "obligation_usd": float(purchases.loc[purchases["pool"] == p.name, "obligation_usd"].sum())}
                     for p in P},
        "provisioned_units": {c.name: float(u) for c, u in zip(problem.provisioned, sol["provisioned"], strict=True)},
        "accuracy": accuracy,
        "unserved_tokens_expected": float(unserved_table["expected_tokens"].sum()),
        "horizon": {"start": str(cells.periods[0]), "periods": len(cells.periods), "freq": problem.freq,
                    "hours": cells.horizon_hours, "days": cells.horizon_hours / 24, "blocks": H, "block": problem.block},
        "window": {"start": str(cells.blocks[0]), "end": str(cells.window_end), "months": cells.window_hours / month_h,
                   "charge_full_term": problem.charge_full_term, "after_horizon": _after_text(problem)},
        "evidence_rule": {"min_history_share": problem.min_history_share,
                          "history_days": dict(problem.history_days) if problem.history_days is not None else None,
                          "withheld": [e.text() for e in evidence if not e.allowed],
                          "applied": problem.history_days is not None},
        "rounding_cost_usd": float(cells.weights @ sol["scenario_cost"] - cells.weights @ relaxed["scenario_cost"]),
        "scenarios": len(cells.scenarios),
        "model": {"cells": len(cells.hours), "tail_cells": int((~inside).sum()), "variables": sol["variables"],
                  "constraints": sol["constraints"], "solver": sol["solver"], "build_s": round(sol["build_s"], 3),
                  "solve_s": round(sol["solve_s"] + (relaxed["solve_s"] if relaxed is not sol else 0.0), 3),
                  "integer": problem.integer, "whole_units": problem.whole_units, "cvar_weight": problem.cvar_weight,
                  "cvar_alpha": alpha, "service_level": problem.service_level},
    }
    return Plan(purchases, capacity, routes, workloads, cost, unserved_table, shadow, scenarios, base, summary)


def _after_text(problem: PlanProblem) -> str:
    if not problem.charge_full_term:
        return "none: commitments charged for their hours inside the horizon, no demand after it"
    if problem.after_horizon == "decline":
        return f"the last week's demand, declining {problem.decline_pct_per_month:g} %/month"
    if problem.after_horizon == "forecast":
        return "the last week's demand, scaled per scenario by the forecaster's long-horizon paths"
    return "the last week's demand held"


def _first_ptu_cost(problem: PlanProblem, cells: Cells, sol: dict) -> float:
    """First-stage cost of the provisioned-throughput units [USD] (as the LP charges them)."""
    total = 0.0
    for c, units in zip(problem.provisioned, sol["provisioned"], strict=True):
        _, charged, _ = commitment_window(problem, cells, c.term)
        total += units * c.usd_per_unit_hour * charged
    return float(total)


def _per_block(values: np.ndarray, cells: Cells) -> np.ndarray:
    """Add (cells, n) values up per block -> (blocks, n); NaN counts as 0."""
    out = np.zeros((len(cells.blocks), values.shape[1]))
    np.add.at(out, cells.block, np.nan_to_num(values))
    return out
