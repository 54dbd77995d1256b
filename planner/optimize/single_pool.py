"""One GPU pool: how much to reserve for the next H periods, against forecast scenarios.

The forecaster's sample paths (:func:`planner.forecast.forecast` with ``n_paths``) are the
scenarios. All periods of the commitment share one reserved level, so only the distribution of
demand over scenario-periods matters: it is summarised by ``bins`` equal-weight quantiles
(a load-duration curve) for the LP, and every plan is then priced exactly on every scenario.

With on-demand price P and reserved price r per unit-period and no spot, the optimum is the
newsvendor quantile: reserve F^-1(1 - r / P) of the scenario-period demand distribution F. The
cloud recommenders' rule applies the same quantile to the last 30 days of history instead.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from planner.exceptions import InputError
from planner.optimize import lp

__all__ = ["CommitPlan", "plan_single_pool", "pool_cost", "pool_cost_parts", "recommender_rule"]


@dataclass
class CommitPlan:
    """A reservation recommendation for one pool, with its costs on the scenarios.

    Every name carries its unit: ``_usd`` totals over the horizon [USD] (means over scenarios
    unless P90/P95), ``_units`` in demand units (e.g. GPUs), ``_units_per_period`` mean units per
    period, ``_usd_per_unit_period`` prices [USD per unit and period] (per GPU-hour for hourly data
    in GPUs), ``_periods`` counts of periods. ``spot_units_per_period`` and ``spot_cost_usd`` are
    the spot bought per period on average and its cost (0 without spot), likewise on-demand.
    """

    reserved_units: float
    expected_cost_usd: float
    p90_cost_usd: float
    p95_cost_usd: float
    reserved_cost_usd: float
    on_demand_units_per_period: float
    on_demand_cost_usd: float
    spot_units_per_period: float
    spot_cost_usd: float
    all_on_demand_cost_usd: float
    recommender_rule_units: float
    recommender_rule_cost_usd: float
    savings_vs_on_demand_usd: float
    savings_vs_on_demand_pct: float
    savings_vs_recommender_rule_usd: float
    savings_vs_recommender_rule_pct: float
    breakeven_utilization: float
    expected_utilization: float
    stranded_cost_usd: float
    marginal_cost_usd_per_unit_period: float
    horizon_periods: int
    scenarios: int
    distinct_scenario_costs: int
    solver: str
    settings: dict = field(default_factory=dict)
    scenario_costs_usd: list = field(default_factory=list)

    def to_dict(self) -> dict:
        """JSON-ready dict (the ``PLAN.json`` of ``planner commit``)."""
        return asdict(self)


def pool_cost_parts(reserved_units: float, demand: np.ndarray, on_demand: float, reserved: float,
                    spot: float | None = None, spot_max_share: float = 0.0,
                    spot_interruption: float = 0.0) -> dict[str, np.ndarray]:
    """Per scenario: the cost of a reservation [USD] by part, and the recourse it buys [unit-periods].

    ``demand`` is (scenarios, periods). Unmet demand goes to spot (up to the cap, when spot's
    price per usable unit is below on-demand) and the rest to on-demand.

    Returns
    -------
    dict
        ``reserved_usd``, ``spot_units``, ``spot_usd``, ``on_demand_units``, ``on_demand_usd``,
        ``total_usd`` (arrays over scenarios; units summed over the periods).
    """
    d = np.asarray(demand, float)
    residual = np.maximum(d - reserved_units, 0.0)
    spot_units = np.zeros(d.shape[0])
    if spot is not None and spot_max_share > 0 and spot / (1 - spot_interruption) < on_demand:
        bought = np.minimum(spot_max_share * d, residual / (1 - spot_interruption))
        residual = residual - bought * (1 - spot_interruption)
        spot_units = bought.sum(axis=1)
    reserved_usd = np.full(d.shape[0], reserved * reserved_units * d.shape[1])
    od_units = residual.sum(axis=1)
    spot_usd = (spot or 0.0) * spot_units
    od_usd = on_demand * od_units
    return {"reserved_usd": reserved_usd, "spot_units": spot_units, "spot_usd": spot_usd, "on_demand_units": od_units,
            "on_demand_usd": od_usd, "total_usd": reserved_usd + spot_usd + od_usd}


def pool_cost(reserved_units: float, demand: np.ndarray, on_demand: float, reserved: float,
              spot: float | None = None, spot_max_share: float = 0.0, spot_interruption: float = 0.0) -> np.ndarray:
    """Exact cost of a reservation on each scenario, with the cheapest recourse per period [USD]
    (:func:`pool_cost_parts`)."""
    return pool_cost_parts(reserved_units, demand, on_demand, reserved, spot, spot_max_share, spot_interruption)["total_usd"]


def recommender_rule(history: np.ndarray, on_demand: float, reserved: float) -> float:
    """The cloud recommenders' rule: the (1 - reserved / on-demand) quantile of recent history."""
    if reserved >= on_demand:
        return 0.0
    return float(np.quantile(np.asarray(history, float), 1 - reserved / on_demand))


def plan_single_pool(scenarios: np.ndarray, recent_history: np.ndarray, on_demand: float, reserved: float,
                     spot: float | None = None, spot_max_share: float = 0.0, spot_interruption: float = 0.0,
                     bins: int = 400, integer: bool = False, settings: dict | None = None) -> CommitPlan:
    """Plan one pool's reservation against demand scenarios.

    Parameters
    ----------
    scenarios : numpy.ndarray
        Demand per scenario and period, shape (scenarios, periods) [units].
    recent_history : numpy.ndarray
        The last 30 days of demand for the recommenders' rule [units].
    on_demand, reserved, spot : float
        Prices [USD per unit-period]; ``spot`` None for no spot.
    spot_max_share, spot_interruption : float
        Spot cap and interruption share [0-1].
    bins : int
        Quantile bins of the load-duration curve in the LP.
    integer : bool
        Reserve whole units.
    settings : dict, optional
        Recorded in the plan.

    Returns
    -------
    CommitPlan
    """
    d = np.asarray(scenarios, float)
    if d.ndim != 2 or d.size == 0:
        raise InputError("scenarios must be a non-empty (scenarios x periods) array")
    if (d < 0).any() or not np.isfinite(d).all():
        raise InputError("demand scenarios must be finite and >= 0")
    for name, price in (("on-demand", on_demand), ("reserved", reserved), ("spot", spot if spot is not None else 0.0)):
        if price < 0 or not np.isfinite(price):
            raise InputError(f"{name} price must be a finite number >= 0, got {price}")
    if not 0 <= spot_max_share <= 1 or not 0 <= spot_interruption < 1:
        raise InputError("spot max share must be within [0, 1] and the interruption share within [0, 1)")
    n_scen, periods = d.shape
    values = np.sort(d.ravel())
    if len(values) > bins:  # equal-weight load-duration curve: bin means keep the total exact
        edges = np.linspace(0, len(values), bins + 1).astype(int)
        levels = np.array([values[a:b].max() for a, b in zip(edges[:-1], edges[1:], strict=True)])
        weights = np.diff(edges) / n_scen
    else:
        levels, weights = values, np.full(len(values), 1.0 / n_scen)
    solution = lp.solve_single_pool(levels, weights, periods, on_demand, reserved, spot, spot_max_share,
                                    spot_interruption, integer)
    units = solution["reserved_units"]
    parts = pool_cost_parts(units, d, on_demand, reserved, spot, spot_max_share, spot_interruption)
    costs = parts["total_usd"]
    od = pool_cost(0.0, d, on_demand, reserved, None)
    rule_units = recommender_rule(recent_history, on_demand, reserved)
    rule = pool_cost(rule_units, d, on_demand, reserved, spot, spot_max_share, spot_interruption)
    used = np.minimum(d, units).sum() / (units * d.size) if units > 0 else float("nan")
    duals = solution["cover_duals"]
    return CommitPlan(
        reserved_units=units,
        expected_cost_usd=float(costs.mean()),
        p90_cost_usd=float(np.percentile(costs, 90)),
        p95_cost_usd=float(np.percentile(costs, 95)),
        reserved_cost_usd=float(parts["reserved_usd"].mean()),
        on_demand_units_per_period=float(parts["on_demand_units"].mean() / periods),
        on_demand_cost_usd=float(parts["on_demand_usd"].mean()),
        spot_units_per_period=float(parts["spot_units"].mean() / periods),
        spot_cost_usd=float(parts["spot_usd"].mean()),
        all_on_demand_cost_usd=float(od.mean()),
        recommender_rule_units=rule_units,
        recommender_rule_cost_usd=float(rule.mean()),
        savings_vs_on_demand_usd=float(od.mean() - costs.mean()),
        savings_vs_on_demand_pct=float((1 - costs.mean() / od.mean()) * 100) if od.mean() else 0.0,
        savings_vs_recommender_rule_usd=float(rule.mean() - costs.mean()),
        savings_vs_recommender_rule_pct=float((1 - costs.mean() / rule.mean()) * 100) if rule.mean() else 0.0,
        breakeven_utilization=float(reserved / on_demand) if on_demand else float("nan"),
        expected_utilization=float(used),
        stranded_cost_usd=float(reserved * (units * d.size - np.minimum(d, units).sum()) / n_scen),
        marginal_cost_usd_per_unit_period=float(np.nanmean(duals / weights)) if np.isfinite(duals).all() else float("nan"),
        horizon_periods=periods,
        scenarios=n_scen,
        distinct_scenario_costs=int(len(np.unique(np.round(costs, 6)))),
        solver=solution["solver"],
        settings=dict(settings or {}),
        scenario_costs_usd=[float(c) for c in costs],
    )
