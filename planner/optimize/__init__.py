"""Capacity and procurement optimization (LP/MILP with PuLP and HiGHS).

:func:`plan` solves the multi-pool, multi-workload two-stage model (reserved GPUs by type and
term, on-demand and spot, API versus self-hosted routes, provisioned throughput, over forecast
scenarios with CVaR) and returns a :class:`Plan`; :func:`compare_plans` prices commitment options
on the same scenarios. :func:`plan_single_pool` sizes one pool's reservation (``planner commit``);
:func:`pool_cost` prices any reservation exactly on the scenarios; :func:`compare_commitments`
lays single-pool options side by side. Every PuLP call lives in :mod:`planner.optimize.lp`.
"""

from planner.optimize.backtest import backtest_plan
from planner.optimize.capacity import (
           LeverSetPlans,
           Plan,
           compare_lever_sets,
           compare_plans,
           plan,
           plan_lever_sets,
)
from planner.optimize.compare import compare_commitments, scenarios_from_history
from planner.optimize.problem import (
           PlanProblem,
           Pool,
           ProvisionedThroughput,
           Route,
           Stream,
           Workload,
           load_problem,
)
from planner.optimize.single_pool import CommitPlan, plan_single_pool, pool_cost, recommender_rule

__all__ = ["plan", "Plan", "compare_plans", "plan_lever_sets", "compare_lever_sets", "LeverSetPlans", "Stream", "PlanProblem", "Pool", "Route", "Workload", "ProvisionedThroughput",
           "load_problem", "CommitPlan", "plan_single_pool", "pool_cost", "recommender_rule", "compare_commitments",
           "scenarios_from_history", "backtest_plan"]
