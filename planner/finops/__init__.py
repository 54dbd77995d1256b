"""The FinOps loop: budgets and burn, alerts, spend anomalies, showback, cost per outcome.

Reads usage (:mod:`planner.usage`), forecasts (:mod:`planner.forecast`, its public API) and
prices (:mod:`planner.report.pricing`); never the optimizer's internals.

- :func:`spend_of` (:mod:`planner.finops.spend`): USD of every usage row, each price named;
- :func:`read_budgets`, :func:`budget_status` (:mod:`planner.finops.budgets`);
- :func:`alerts_from`, :func:`write_alerts`, :func:`post_alert` (:mod:`planner.finops.alerts`):
  Slack, PagerDuty Events v2 and plain JSON payloads, each alert once;
- :func:`detect_anomalies` (:mod:`planner.finops.anomalies`);
- :func:`read_shared_costs`, :func:`showback`, :func:`cost_per_outcome` (:mod:`planner.finops.showback`).
"""

from planner.finops.alerts import Alert, alerts_from, post_alert, write_alerts
from planner.finops.anomalies import AnomalyResult, detect_anomalies
from planner.finops.budgets import Budget, BudgetStatus, budget_status, read_budgets
from planner.finops.showback import (
    SharedCost,
    Showback,
    cost_per_outcome,
    read_shared_costs,
    showback,
)
from planner.finops.spend import Spend, spend_of

__all__ = [
    "Spend", "spend_of",
    "Budget", "BudgetStatus", "read_budgets", "budget_status",
    "Alert", "alerts_from", "write_alerts", "post_alert",
    "AnomalyResult", "detect_anomalies",
    "SharedCost", "Showback", "read_shared_costs", "showback", "cost_per_outcome",
]
