"""Every PuLP call of planner: build and solve the linear programs, check statuses.

HiGHS is the default solver; CBC is the fallback. PuLP does not raise on an infeasible model:
the status is checked here and turned into :class:`planner.exceptions.InfeasibleError` (naming
the constraint groups) or :class:`planner.exceptions.SolverError` (naming the solvers tried).
"""

from __future__ import annotations

import numpy as np
import pulp

from planner.exceptions import InfeasibleError, SolverError

__all__ = ["solve_single_pool", "SOLVERS"]

#: Solvers tried in order.
SOLVERS = ("HiGHS", "PULP_CBC_CMD")


def _solve(problem: pulp.LpProblem, groups: str) -> str:
    tried = []
    for name in SOLVERS:
        try:
            solver = pulp.getSolver(name, msg=False)
        except pulp.PulpSolverError as exc:
            tried.append(f"{name} ({exc})")
            continue
        if not solver.available():
            tried.append(f"{name} (not installed)")
            continue
        try:
            status = problem.solve(solver)
        except pulp.PulpSolverError as exc:
            tried.append(f"{name} ({' '.join(str(exc).split())[:120]})")
            continue
        text = pulp.LpStatus[status]
        if text == "Optimal":
            return name
        if text == "Infeasible":
            raise InfeasibleError(f"the model is infeasible: constraint groups {groups} cannot all hold")
        if text == "Unbounded":
            raise SolverError(f"solver {name} reports the model unbounded; a price is probably negative or missing")
        tried.append(f"{name} (status {text})")
    raise SolverError(f"no solver succeeded: tried {', '.join(tried)}")


def solve_single_pool(demand: np.ndarray, weight: np.ndarray, periods: float, on_demand: float, reserved: float,
                      spot: float | None = None, spot_max_share: float = 0.0, spot_interruption: float = 0.0,
                      integer: bool = False) -> dict:
    """Choose reserved units for one pool against weighted demand realizations.

    Minimise ``reserved x periods x R + sum_k w_k (on_demand x o_k + spot x p_k)`` subject to
    ``R + o_k + (1 - interruption) p_k >= d_k`` (``cover``) and ``p_k <= spot_max_share x d_k``
    (``spot_cap``), all variables >= 0. The weights ``w_k`` add up to the number of periods, so
    each realization stands for its share of scenario-periods.

    Parameters
    ----------
    demand : numpy.ndarray
        Demand realizations d_k [units, e.g. GPUs busy in a period].
    weight : numpy.ndarray
        Expected periods each realization stands for [periods].
    periods : float
        Periods in the commitment [periods].
    on_demand, reserved, spot : float
        Prices [USD per unit-period].
    spot_max_share, spot_interruption : float
        Spot availability cap and the share of spot capacity lost to interruptions [0-1].
    integer : bool
        Reserve whole units (MILP).

    Returns
    -------
    dict
        ``reserved_units``, ``objective`` [USD], ``solver``, ``cover_duals`` (marginal cost of one
        more unit of demand at each realization [USD per unit-period], from the LP).
    """
    problem = pulp.LpProblem("single_pool", pulp.LpMinimize)
    r = problem.add_variable("reserved", lowBound=0, cat="Integer" if integer else "Continuous")
    use_spot = spot is not None and spot_max_share > 0
    cost = reserved * periods * r
    for k, (d, w) in enumerate(zip(demand, weight, strict=True)):
        o = problem.add_variable(f"on_demand_{k}", lowBound=0)
        capacity = r + o
        if use_spot:
            p = problem.add_variable(f"spot_{k}", lowBound=0)
            capacity = capacity + (1 - spot_interruption) * p
            problem += (p <= spot_max_share * float(d), f"spot_cap_{k}")
            cost = cost + float(w) * spot * p
        problem += (capacity >= float(d), f"cover_{k}")
        cost = cost + float(w) * on_demand * o
    problem += cost
    solver = _solve(problem, "cover (demand >= 0 must be served) and spot_cap")
    duals = np.array([problem.get_constraint_by_name(f"cover_{k}").pi or 0.0 for k in range(len(demand))]) \
        if not integer else np.full(len(demand), np.nan)
    return {"reserved_units": float(r.value() or 0.0), "objective": float(pulp.value(problem.objective)),
            "solver": solver, "cover_duals": duals}
