"""Agent fan-out: calls per task with a step limit, and tasks cut off by it.

A task takes N model calls, N = 1 + Poisson(mean - 1). A step limit L stops a task after L calls:
it pays min(N, L) calls and completes only when N <= L.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import poisson

from planner.exceptions import InputError

__all__ = ["calls_per_task", "completion_rate"]


def calls_per_task(mean_calls: float, step_limit: float = np.inf) -> float:
    """Expected calls per task, E[min(N, L)] [calls/task]."""
    if mean_calls < 1:
        raise InputError(f"calls_per_task must be >= 1, got {mean_calls}")
    if not np.isfinite(step_limit):
        return float(mean_calls)
    limit = int(step_limit)
    if limit < 1:
        raise InputError(f"step_limit must be >= 1, got {step_limit}")
    k = np.arange(0, limit)  # N - 1 = k; P(min(N, L) >= j) summed over j = 1..L
    survive = poisson.sf(k - 1, mean_calls - 1)  # P(N - 1 >= k) = P(N >= k + 1)
    return float(survive.sum())


def completion_rate(mean_calls: float, step_limit: float = np.inf) -> float:
    """Share of tasks that finish within the step limit, P(N <= L) [-]."""
    if not np.isfinite(step_limit):
        return 1.0
    return float(poisson.cdf(int(step_limit) - 1, mean_calls - 1))
