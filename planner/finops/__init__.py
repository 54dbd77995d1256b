"""The FinOps loop: budgets and burn, alerts, spend anomalies, showback, cost per outcome.

Reads usage (:mod:`planner.usage`), forecasts (:mod:`planner.forecast`, its public API) and
prices (:mod:`planner.report.pricing`); never the optimizer's internals.
"""
