"""Capacity and procurement optimization (LP/MILP with PuLP and HiGHS).

:func:`plan_single_pool` sizes one pool's reservation against forecast scenarios and compares it
with all-on-demand and the cloud recommenders' rule; :func:`pool_cost` prices any reservation
exactly on the scenarios; :func:`compare_commitments` lays options side by side for procurement.
Every PuLP call lives in :mod:`planner.optimize.lp`.
"""

from planner.optimize.backtest import backtest_plan
from planner.optimize.compare import compare_commitments, scenarios_from_history
from planner.optimize.single_pool import CommitPlan, plan_single_pool, pool_cost, recommender_rule

__all__ = ["CommitPlan", "plan_single_pool", "pool_cost", "recommender_rule", "compare_commitments",
           "scenarios_from_history", "backtest_plan"]
