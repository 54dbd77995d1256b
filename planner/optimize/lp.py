"""Every PuLP call of planner: build and solve the linear programs, check statuses.

HiGHS is the default solver; CBC is the fallback. PuLP does not raise on an infeasible model:
the status is checked here and turned into :class:`planner.exceptions.InfeasibleError` (naming
the constraint groups) or :class:`planner.exceptions.SolverError` (naming the solvers tried).
"""

from __future__ import annotations

import numpy as np
import pulp

from planner.exceptions import InfeasibleError, SolverError

__all__ = ["solve_single_pool", "CapacityLP", "solve_capacity", "SOLVERS", "GROUPS", "KINDS"]

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


#: Constraint groups of the capacity model that can conflict, as named in errors.
GROUPS = {
    "balance": "demand balance (every token of a must-serve workload routed)",
    "min_share": "min_share (a tier's minimum share of a workload)",
    "max_gpus": "pool max_gpus (GPUs available in a pool)",
    "spot_cap": "spot cap (spot share of a pool)",
    "max_units": "provisioned max_units",
    "service_level": "service_level (share of demand served per scenario)",
}


def _affine(terms: list) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


def _add(problem: pulp.LpProblem, terms: list, sense: int, rhs: float, name: str) -> None:
    problem.addConstraint(pulp.LpConstraint(_affine(terms), sense=sense, rhs=rhs, name=name))


KINDS = ("api", "selfhost", "provisioned")


class CapacityLP:
    """The two-stage capacity model over aggregated cells, built once and solved as often as needed.

    First stage (shared by every scenario): reserved GPUs ``R[pool, term, start block]``,
    provisioned-throughput units ``C[commitment]`` and the self-hosting switch ``Y``. Recourse in
    each cell (block, scenario, slice): on-demand ``O`` and spot ``S`` GPUs per pool, the share
    ``x`` of each workload's tokens on each route, and the unserved share ``u``. Constraints:

    - ``bal``: sum of route shares + unserved share = 1 per workload and cell;
    - ``cap``: reserved active in the block + O + (1 - interruption) S >= GPUs needed by the
      self-hosted shares (output tokens/h / tokens per GPU-h; whole replicas in MILP mode) +
      direct GPU demand;
    - ``spot``: S <= share x (reserved + O + S); ``max``: reserved + O + S <= max_gpus;
    - ``ptu``: tokens/min on a commitment's routes <= units x tokens/min per unit;
    - ``min`` share per tier (a bound where the tier has one route), a route's ``max_share`` (a
      bound); ``x_selfhost <= Y`` when self-hosting
      has a fixed cost; ``sl``: unserved tokens <= (1 - service level) x demand per workload
      and scenario.

    Objective: ``(1 - lam) E[cost] + lam CVaR_alpha[cost]`` (Rockafellar-Uryasev) with cost =
    first-stage cost + the scenario's recourse cost [USD]. An API route that costs more than
    another uncapped API route of the same tier in a cell is left out there (it can never be
    chosen), which keeps the model smaller without changing its optimum.

    Parameters
    ----------
    problem : planner.optimize.problem.PlanProblem
    cells : planner.optimize.aggregate.Cells
    skip : frozenset
        Constraint groups (keys of :data:`GROUPS`) left out (used to find conflicting groups).
    """

    def __init__(self, problem, cells, skip: frozenset = frozenset()) -> None:
        import time

        from planner.optimize.aggregate import reservation_window, route_coefficients

        t0 = time.perf_counter()
        self.problem, self.cells, self.skip = problem, cells, skip
        m = self.model = pulp.LpProblem("capacity", pulp.LpMinimize)
        P, W, C_ = problem.pools, problem.workloads, problem.provisioned
        B, K, n_cells = len(cells.blocks), len(cells.scenarios), len(cells.hours)
        n_routes = max(len(w.routes) for w in W) if W else 0
        pool_index = {p.name: g for g, p in enumerate(P)}
        commitment_index = {c.name: i for i, c in enumerate(C_)}
        self.first_cost: list = []
        self.reserve, active = {}, [[[] for _ in range(B)] for _ in P]
        for g, pool in enumerate(P):
            for term, price in pool.reserved.items():
                for b in range(B):
                    on, hours, _ = reservation_window(problem, cells, term, b)
                    var = m.add_variable(f"R_{g}_{term}_{b}", lowBound=0)
                    self.reserve[(g, term, b)] = var
                    self.first_cost.append((var, price * hours))
                    for bb in np.flatnonzero(on):
                        active[g][bb].append(var)
        self.units = []
        for i, c in enumerate(C_):
            var = m.add_variable(f"C_{i}", lowBound=0)
            self.units.append(var)
            self.first_cost.append((var, c.usd_per_unit_hour * cells.horizon_hours))
        self.y = None
        if problem.selfhost_fixed_usd_per_month > 0 and any(r.kind == "selfhost" for w in W for r in w.routes):
            self.y = m.add_variable("Y", lowBound=0, upBound=1)
            self.first_cost.append((self.y, problem.selfhost_fixed_usd_per_month * cells.horizon_hours / (365.25 * 24 / 12)))
        self.OD = np.empty((n_cells, len(P)), object)
        self.S = np.full((n_cells, len(P)), None, object)
        self.X = np.full((n_cells, len(W), n_routes), None, object)
        self.U = np.full((n_cells, len(W)), None, object)
        self.N = np.full((n_cells, len(W), n_routes), None, object)
        self.kind_vars: dict = {k: [] for k in KINDS}
        api_cost, self.need_coef, tpm = route_coefficients(problem, cells)
        self.recourse = recourse = [[] for _ in range(K)]  # unweighted (var, coef) per scenario
        lam = problem.cvar_weight
        served: dict = {}  # (j, k) -> (unserved terms, demand)
        for c in range(n_cells):
            b, k, h = int(cells.block[c]), int(cells.scenario[c]), float(cells.hours[c])
            gpu_terms = [[] for _ in P]  # GPUs needed (negative on the capacity row)
            ptu_terms = [[] for _ in C_]
            for j, wl in enumerate(W):
                tok = float(tpm[c, j]) * 60.0  # tokens per hour
                if tok <= 0:
                    continue
                row, tiers = [], {}
                cheapest = {}
                for r_i, r in enumerate(wl.routes):
                    if r.kind == "api" and r.max_share >= 1:
                        best = cheapest.get(r.tier)
                        if best is None or api_cost[c, j, r_i] < api_cost[c, j, best]:
                            cheapest[r.tier] = r_i
                for r_i, r in enumerate(wl.routes):
                    if r.kind == "api" and r.max_share >= 1 and cheapest[r.tier] != r_i:
                        continue
                    x = m.add_variable(f"x_{j}_{r_i}_{c}", lowBound=0, upBound=r.max_share)
                    self.X[c, j, r_i] = x
                    self.kind_vars[r.kind].append(x)
                    row.append((x, 1.0))
                    if r.tier:
                        tiers.setdefault(r.tier, []).append((x, 1.0))
                    if r.kind == "api":
                        recourse[k].append((x, float(api_cost[c, j, r_i])))
                    elif r.kind == "selfhost":
                        g = pool_index[r.pool]
                        need = float(self.need_coef[c, j, r_i])
                        if problem.integer:
                            n = m.add_variable(f"n_{j}_{r_i}_{c}", lowBound=0)
                            self.N[c, j, r_i] = n
                            _add(m, [(n, float(r.gpus_per_replica)), (x, -need)], pulp.LpConstraintGE, 0.0,
                                 f"rep_{j}_{r_i}_{c}")
                            gpu_terms[g].append((n, -float(r.gpus_per_replica)))
                        else:
                            gpu_terms[g].append((x, -need))
                        if self.y is not None:
                            _add(m, [(x, 1.0), (self.y, -1.0)], pulp.LpConstraintLE, 0.0, f"on_{j}_{r_i}_{c}")
                    else:
                        ptu_terms[commitment_index[r.commitment]].append((x, float(tpm[c, j])))
                if wl.unserved_usd_per_million_tokens is not None or "balance" in skip:
                    u = m.add_variable(f"u_{j}_{c}", lowBound=0, upBound=1)
                    self.U[c, j] = u
                    row.append((u, 1.0))
                    recourse[k].append((u, h * tok / 1e6 * (wl.unserved_usd_per_million_tokens or 0.0)))
                    terms, total = served.get((j, k), ([], 0.0))
                    terms.append((u, h * tok))
                    served[(j, k)] = (terms, total + h * tok)
                _add(m, row, pulp.LpConstraintEQ, 1.0, f"bal_{j}_{c}")
                if "min_share" not in skip:
                    for tier, share in wl.min_share.items():
                        if share > 0 and len(tiers.get(tier, [])) == 1:  # one route: a bound, not a row
                            tiers[tier][0][0].lowBound = share
                        elif share > 0:
                            _add(m, tiers.get(tier, []), pulp.LpConstraintGE, share, f"min_{j}_{tier}_{c}")
            for i, terms in enumerate(ptu_terms):
                if terms:
                    _add(m, terms + [(self.units[i], -C_[i].tokens_per_minute_per_unit)], pulp.LpConstraintLE, 0.0,
                         f"ptu_{i}_{c}")
            for g, pool in enumerate(P):
                o = m.add_variable(f"o_{g}_{c}", lowBound=0)
                self.OD[c, g] = o
                recourse[k].append((o, h * pool.on_demand))
                cap = [(o, 1.0)] + [(r, 1.0) for r in active[g][b]]
                total = cap
                if pool.spot is not None and pool.spot_max_share > 0:
                    s = m.add_variable(f"s_{g}_{c}", lowBound=0)
                    self.S[c, g] = s
                    recourse[k].append((s, h * pool.spot))
                    if "spot_cap" not in skip and pool.spot_max_share < 1:
                        _add(m, [(s, 1.0 - pool.spot_max_share)] + [(v, -pool.spot_max_share) for v, _ in cap],
                             pulp.LpConstraintLE, 0.0, f"spot_{g}_{c}")
                    total = cap + [(s, 1.0)]
                    cap = cap + [(s, 1.0 - pool.spot_interruption)]
                if pool.max_gpus is not None and "max_gpus" not in skip:
                    _add(m, total, pulp.LpConstraintLE, float(pool.max_gpus), f"max_{g}_{c}")
                _add(m, cap + gpu_terms[g], pulp.LpConstraintGE, float(cells.gpus[c, g]), f"cap_{g}_{c}")
        if problem.service_level is not None and "service_level" not in skip:
            for (j, k), (terms, total) in served.items():
                _add(m, terms, pulp.LpConstraintLE, (1 - problem.service_level) * total, f"sl_{j}_{k}")
        objective = [(v, (1 - lam) * coef) for v, coef in self.first_cost]
        objective += [(v, (1 - lam) * float(cells.weights[k]) * coef) for k in range(K) for v, coef in recourse[k]]
        if lam > 0:
            eta = m.add_variable("eta")
            objective.append((eta, lam))
            for k in range(K):
                z = m.add_variable(f"z_{k}", lowBound=0)
                objective.append((z, lam * float(cells.weights[k]) / (1 - problem.cvar_alpha)))
                _add(m, [(z, 1.0), (eta, 1.0)] + [(v, -coef) for v, coef in self.first_cost + recourse[k]],
                     pulp.LpConstraintGE, 0.0, f"cvar_{k}")
        m.setObjective(_affine(objective))
        self.bounds = {x.name: (x.lowBound, x.upBound) for xs in self.kind_vars.values() for x in xs}
        self.pool_index = pool_index
        self.build_s = time.perf_counter() - t0

    def solve(self, fixed: dict | None = None, kinds: tuple = KINDS, integer: bool | None = None,
              diagnose: bool = True) -> dict:
        """Solve with some first-stage decisions held and some route kinds barred.

        Parameters
        ----------
        fixed : dict, optional
            ``reserve`` {(pool index, term, block): GPUs}, ``provisioned`` {commitment index:
            units}, ``selfhost_on`` 0 or 1. Without a key its decisions are optimized; with it,
            reservations or commitments it does not list are 0 and a listed value of None is
            optimized.
        kinds : tuple of str
            Route kinds allowed (e.g. ``("api",)`` for the all-API baseline).
        integer : bool, optional
            Override ``problem.integer`` (whole GPUs, units, replicas and the switch).
        diagnose : bool
            On infeasibility, re-solve without each constraint group to name the ones in conflict.

        Returns
        -------
        dict
            ``reserve`` {(g, term, b): GPUs}, ``provisioned`` [units], ``selfhost_on``; over cells
            ``on_demand`` and ``spot`` (cells, pools) [GPUs], ``share`` (cells, workloads, routes),
            ``unserved`` (cells, workloads) [share], ``need`` (cells, pools) [GPUs]; duals
            ``capacity_dual`` (cells, pools) [USD per GPU over the cell] and ``balance_dual``
            (cells, workloads) [USD per whole cell demand], both already weighted by the
            scenario's probability: the change of the objective (expected cost, or the
            risk-adjusted objective when ``cvar_weight`` > 0) per unit (NaN in MILP mode);
            ``scenario_cost`` [USD], ``first_stage_cost`` [USD], ``objective``, ``solver``,
            ``variables``, ``constraints``, ``build_s``, ``solve_s``.
        """
        import time

        fixed = fixed or {}
        problem, cells, m = self.problem, self.cells, self.model
        integer = problem.integer if integer is None else integer
        cat = "Integer" if integer else "Continuous"

        def hold(var, value, free_cat: str, up: float | None = None) -> None:
            if value is None:
                var.lowBound, var.upBound, var.cat = 0, up, free_cat
            else:
                var.lowBound = var.upBound = float(value)
                var.cat = "Continuous"

        for key, var in self.reserve.items():
            hold(var, fixed["reserve"].get(key, 0.0) if "reserve" in fixed else None, cat)
        for i, var in enumerate(self.units):
            value = fixed["provisioned"].get(i, 0.0) if "provisioned" in fixed else None
            hold(var, 0.0 if "provisioned" not in kinds else value, cat,
                 problem.provisioned[i].max_units if "max_units" not in self.skip else None)
        if self.y is not None:
            hold(self.y, 0.0 if "selfhost" not in kinds else fixed.get("selfhost_on"), "Integer" if integer else "Continuous", 1)
        for kind, xs in self.kind_vars.items():
            for var in xs:
                low, up = self.bounds[var.name]
                if kind not in kinds and low > 0:
                    raise InfeasibleError(f"{problem.source}: a {kind} route is barred but carries a minimum share of "
                                          f"{low:g} ({var.name}): constraint groups {GROUPS['min_share']} and the "
                                          "allowed routes conflict")
                var.lowBound, var.upBound = (low, up) if kind in kinds else (0, 0)
        for n in self.N.ravel():
            if n is not None:
                n.cat = cat
        for wl in problem.workloads:
            if wl.unserved_usd_per_million_tokens is None and "balance" not in self.skip and \
                    not any(r.kind in kinds for r in wl.routes):
                raise InfeasibleError(f"{problem.source}: workload {wl.name} has no allowed route ({', '.join(kinds)}) "
                                      "and must be served: constraint groups route and demand balance conflict")
        t0 = time.perf_counter()
        groups = " and ".join(GROUPS[g] for g in GROUPS if g not in self.skip)
        try:
            solver = _solve(m, groups)
        except InfeasibleError:
            if not diagnose:
                raise
            culprits = [g for g in GROUPS if g not in self.skip and g != "balance"
                        and _feasible_without(problem, cells, self.skip | {g}, fixed, kinds, integer)]
            named = ", ".join(GROUPS[g] for g in culprits) or "pool capacity and the fixed commitments"
            raise InfeasibleError(f"{problem.source}: the capacity model is infeasible: constraint groups {named} "
                                  f"conflict with {GROUPS['balance']}; relax them or give the workloads an unserved "
                                  "price (unserved_usd_per_million_tokens)") from None
        solve_s = time.perf_counter() - t0
        val = np.vectorize(lambda v: np.nan if v is None else (v.value() or 0.0), otypes=[float])
        share = val(self.X)
        n_cells, n_pools = len(cells.hours), len(problem.pools)
        need = np.zeros((n_cells, n_pools))
        for j, wl in enumerate(problem.workloads):
            for r_i, r in enumerate(wl.routes):
                if r.kind == "selfhost":
                    g = self.pool_index[r.pool]
                    if problem.integer:
                        need[:, g] += np.nan_to_num(val(self.N[:, j, r_i])) * r.gpus_per_replica
                    else:
                        need[:, g] += np.nan_to_num(share[:, j, r_i]) * self.need_coef[:, j, r_i]
        if integer:
            cap_dual = np.full((n_cells, n_pools), np.nan)
            bal_dual = np.full((n_cells, len(problem.workloads)), np.nan)
        else:
            def dual(name: str) -> float:
                con = m.get_constraint_by_name(name)
                return np.nan if con is None else (con.pi or 0.0)

            cap_dual = np.array([[dual(f"cap_{g}_{c}") for g in range(n_pools)] for c in range(n_cells)]).reshape(n_cells, n_pools)
            bal_dual = np.array([[dual(f"bal_{j}_{c}") for j in range(len(problem.workloads))]
                                 for c in range(n_cells)]).reshape(n_cells, len(problem.workloads))
        first = sum(coef * (v.value() or 0.0) for v, coef in self.first_cost)
        scenario_cost = np.array([first + sum(coef * (v.value() or 0.0) for v, coef in terms) for terms in self.recourse])
        return {
            "reserve": {key: float(v.value() or 0.0) for key, v in self.reserve.items()},
            "provisioned": [float(v.value() or 0.0) for v in self.units],
            "selfhost_on": float(self.y.value() or 0.0) if self.y is not None else 1.0,
            "on_demand": val(self.OD), "spot": np.nan_to_num(val(self.S)), "share": share,
            "unserved": np.nan_to_num(val(self.U)), "need": need, "capacity_dual": cap_dual, "balance_dual": bal_dual,
            "scenario_cost": scenario_cost, "first_stage_cost": first, "objective": float(pulp.value(m.objective) or 0.0),
            "solver": solver, "variables": m.numVariables(), "constraints": m.numConstraints(),
            "build_s": self.build_s, "solve_s": solve_s,
        }


def solve_capacity(problem, cells, fixed: dict | None = None, kinds: tuple = KINDS, integer: bool | None = None) -> dict:
    """Build :class:`CapacityLP` and solve it once (see :meth:`CapacityLP.solve`)."""
    return CapacityLP(problem, cells).solve(fixed, kinds, integer)


def _feasible_without(problem, cells, skip, fixed, kinds, integer) -> bool:
    try:
        CapacityLP(problem, cells, frozenset(skip)).solve(fixed, kinds, integer, diagnose=False)
    except InfeasibleError:
        return False
    return True
