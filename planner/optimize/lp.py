"""Every PuLP call of planner: build and solve the linear programs, check statuses.

HiGHS is the default solver; CBC is the fallback. PuLP does not raise on an infeasible model:
the status is checked here and turned into :class:`planner.exceptions.InfeasibleError` (naming
the constraint groups) or :class:`planner.exceptions.SolverError` (naming the solvers tried).
"""

from __future__ import annotations

import numpy as np
import pulp

from planner.exceptions import InfeasibleError, SolverError

__all__ = ["solve_single_pool", "solve_schedule", "CapacityLP", "solve_capacity", "SOLVERS", "GROUPS", "KINDS"]

#: Solvers tried in order.
SOLVERS = ("HiGHS", "PULP_CBC_CMD")


class _HiGHS(pulp.HiGHS):
    """PuLP's HiGHS interface with the model passed in bulk.

    PuLP 3.3 adds columns and rows one call at a time and sorts every variable by name three
    times per solve; on the full-size plan (260,000 variables) that was about 6 s of the solve.
    Here columns go in one ``addCols`` and rows in one ``addRows`` in the order the model was
    built, and values and duals are read back in that order. Same model, same solver, same
    solution (``tests/test_optimize_capacity.py`` checks it against PuLP's own path).

    The dual simplex prices with Devex rather than HiGHS's default (dual steepest edge): on the
    full-size plan (``benchmarks/plan_size_bench.py``, 260,000 variables) it takes more
    iterations (105,000 against 89,000) but each is cheaper, 15 s against 25 s on the same
    machine and load, with the same optimum.
    """

    def createAndConfigureSolver(self, lp):  # noqa: N802 (PuLP's name)
        super().createAndConfigureSolver(lp)
        lp.solverModel.setOptionValue("simplex_dual_edge_weight_strategy", 1)  # Devex

    def buildSolverModel(self, lp):  # noqa: N802 (PuLP's name)
        import highspy

        inf = highspy.kHighsInf
        variables = lp._variables
        sign = -1.0 if lp.sense == pulp.LpMaximize else 1.0
        for i, v in enumerate(variables):
            v.index = i
        cost = np.zeros(len(variables))
        for v, c in lp.objective.items():
            cost[v.index] = sign * c
        lower = np.array([-inf if v.lowBound is None else v.lowBound for v in variables], float)
        upper = np.array([inf if v.upBound is None else v.upBound for v in variables], float)
        lp.solverModel.addCols(len(variables), cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
                               np.zeros(0))
        if self.mip:
            whole = np.array([v.index for v in variables if v.cat == pulp.LpInteger], np.int32)
            if len(whole):
                lp.solverModel.changeColsIntegrality(len(whole), whole,
                                                     np.full(len(whole), highspy.HighsVarType.kInteger))
        starts, index, value, row_lo, row_up = [], [], [], [], []
        for i, con in enumerate(lp._constraints.values()):
            con.index = i
            starts.append(len(index))
            for v, c in con.items():
                if c != 0:
                    index.append(v.index)
                    value.append(c)
            lo, up = con.getLb(), con.getUb()
            row_lo.append(-inf if lo is None else lo)
            row_up.append(inf if up is None else up)
        lp.solverModel.addRows(len(row_lo), np.array(row_lo, float), np.array(row_up, float), len(index),
                               np.array(starts, np.int32), np.array(index, np.int32), np.array(value, float))

    def findSolutionValues(self, lp):  # noqa: N802 (PuLP's name)
        variables, sorted_ = lp._variables, lp.variables
        lp.variables = lambda: variables  # values are read in the model's own order
        try:
            return super().findSolutionValues(lp)
        finally:
            lp.variables = sorted_

    def actualSolve(self, lp):  # noqa: N802 (PuLP's name)
        self.createAndConfigureSolver(lp)
        self.buildSolverModel(lp)
        self.callSolver(lp)
        status, sol_status = self.findSolutionValues(lp)
        for var in lp._variables:
            var.modified = False
        for con in lp._constraints.values():
            con.modified = False
        lp.assignStatus(status, sol_status)
        return status


def _solve(problem: pulp.LpProblem, groups: str) -> str:
    tried = []
    for name in SOLVERS:
        try:
            solver = _HiGHS(msg=False) if name == "HiGHS" else pulp.getSolver(name, msg=False)
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
    r = _new(problem, "reserved", lowBound=0, cat="Integer" if integer else "Continuous")
    use_spot = spot is not None and spot_max_share > 0
    cost = reserved * periods * r
    for k, (d, w) in enumerate(zip(demand, weight, strict=True)):
        o = _new(problem, f"on_demand_{k}", lowBound=0)
        capacity = r + o
        if use_spot:
            p = _new(problem, f"spot_{k}", lowBound=0)
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


def solve_schedule(demand: np.ndarray, activity: np.ndarray, on_demand: float, reserved: float) -> np.ndarray:
    """The cheapest tranches on a purchase grid with the demand known (hindsight for a ladder).

    Minimise ``sum_i reserved x_i a_i + on_demand sum_t o_t`` subject to ``sum_i x_i A_it + o_t
    >= d_t`` (``cover``), x, o >= 0, where ``A`` (tranches x periods) is 1 where tranche i is
    active and ``a_i`` its active periods.

    Parameters
    ----------
    demand : numpy.ndarray
        Realized demand per period [units].
    activity : numpy.ndarray
        (tranches, periods) 1 where a tranche bought at that step is active.
    on_demand, reserved : float
        Prices [USD per unit-period].

    Returns
    -------
    numpy.ndarray
        Units of each tranche [units].
    """
    problem = pulp.LpProblem("schedule", pulp.LpMinimize)
    act = np.asarray(activity, float)
    x = [_new(problem, f"x_{i}", lowBound=0) for i in range(act.shape[0])]
    cost = [(xi, reserved * float(act[i].sum())) for i, xi in enumerate(x)]
    for t, d in enumerate(np.asarray(demand, float)):
        o = _new(problem, f"o_{t}", lowBound=0)
        cost.append((o, on_demand))
        _add(problem, [(o, 1.0)] + [(x[i], 1.0) for i in np.flatnonzero(act[:, t])], pulp.LpConstraintGE, float(d),
             f"cover_{t}")
    problem.setObjective(_affine(cost))
    _solve(problem, "cover (demand >= 0 must be served)")
    return np.array([float(xi.value() or 0.0) for xi in x])


#: Constraint groups of the capacity model that can conflict, as named in errors.
GROUPS = {
    "balance": "demand balance (every token of a must-serve workload routed)",
    "min_share": "min_share (a tier's minimum share of a workload)",
    "max_gpus": "pool max_gpus (GPUs available in a pool)",
    "spot_cap": "spot cap (spot share of a pool)",
    "max_units": "provisioned max_units",
    "service_level": "service_level (share of demand served per scenario)",
    "min_accuracy": "min_accuracy (expected accuracy of a workload's calls)",
}


def _new(problem: pulp.LpProblem, name: str, lowBound: float | None = None, upBound: float | None = None,  # noqa: N803
         cat: str = "Continuous") -> pulp.LpVariable:
    """A variable of ``problem``, registered with it at once (PuLP 3.3's ``add_variable`` leaves
    that to the constraints that use it)."""
    var = problem.add_variable(name, lowBound=lowBound, upBound=upBound, cat=cat)
    problem._register_variable(var)
    return var


def _affine(terms: list) -> pulp.LpAffineExpression:
    return pulp.LpAffineExpression(terms)


def _add(problem: pulp.LpProblem, terms: list, sense: int, rhs: float, name: str) -> None:
    """Add a named constraint. Every variable here comes from :func:`_new` (registered with the
    problem already), so PuLP's per-term re-registration in ``addConstraint`` is skipped."""
    problem._constraints[name] = pulp.LpConstraint(_affine(terms), sense=sense, rhs=rhs, name=name)


KINDS = ("api", "selfhost", "provisioned")


class CapacityLP:
    """The two-stage capacity model over aggregated cells, built once and solved as often as needed.

    First stage (shared by every scenario): reserved units ``R[pool, term, start block]`` (sold
    units of ``Pool.gpus_per_unit`` GPUs, bought in the horizon's blocks), provisioned-throughput
    units ``C[commitment]`` (bought at the first block for their term) and the self-hosting
    switch ``Y``. Recourse in each cell (block, scenario, slice; tail blocks after the horizon
    included): on-demand ``O`` and spot ``S`` GPUs per pool, the share ``x`` of each stream's
    tokens on each route that serves it, and the unserved share ``u``. Constraints:

    - ``bal``: sum of route shares + unserved share = 1 per stream and cell;
    - ``cap``: reserved GPUs active in the block (units x GPUs per unit x the share of the block
      the term covers) + O + (1 - interruption) S >= GPUs needed by the self-hosted shares
      (output tokens/h / tokens per GPU-h; whole replicas in MILP mode) + direct GPU demand;
    - ``spot``: S <= share x (reserved + O + S); ``max``: reserved + O + S <= max_gpus;
    - ``ptu``: weighted tokens/min on a commitment's routes (input + cached-input weight x cached
      + output weight x output) <= active units x tokens/min per unit;
    - ``min`` share per tier of each workload (its streams' tokens together; a bound where one
      stream's tier has one route), a route's ``max_share`` (a bound); ``acc``: the calls of each
      workload answered right, sum of calls x share x (route accuracy - min_accuracy) >= 0;
      ``x_selfhost <= Y`` when self-hosting has a fixed cost; ``sl``: unserved tokens <= (1 -
      service level) x demand per workload and scenario.

    Objective: ``(1 - lam) E[cost] + lam CVaR_alpha[cost]`` (Rockafellar-Uryasev) with cost =
    first-stage cost + the scenario's recourse cost [USD]. An API route that costs more than
    another uncapped API route of the same tier and at least its accuracy in a cell is left out
    there (it can never be chosen), which keeps the model smaller without changing its optimum.
    Terms the evidence rule withholds (:meth:`PlanProblem.withheld`) are held at 0 unless a
    solve fixes or frees them explicitly.

    Parameters
    ----------
    problem : planner.optimize.problem.PlanProblem
    cells : planner.optimize.aggregate.Cells
    skip : frozenset
        Constraint groups (keys of :data:`GROUPS`) left out (used to find conflicting groups).
    """

    def __init__(self, problem, cells, skip: frozenset = frozenset()) -> None:
        import time

        from planner.optimize.aggregate import (
            commitment_window,
            reservation_window,
            route_coefficients,
        )

        t0 = time.perf_counter()
        self.problem, self.cells, self.skip = problem, cells, skip
        m = self.model = pulp.LpProblem("capacity", pulp.LpMinimize)
        P, W, C_, ST = problem.pools, problem.workloads, problem.provisioned, problem.streams
        B, K, n_cells = len(cells.blocks), len(cells.scenarios), len(cells.hours)
        n_routes = max(len(w.routes) for w in W) if W else 0
        pool_index = {p.name: g for g, p in enumerate(P)}
        commitment_index = {c.name: i for i, c in enumerate(C_)}
        withheld = problem.withheld()
        self.first_cost: list = []
        self.reserve, self.withheld_keys = {}, set()
        active = [[[] for _ in range(B)] for _ in P]  # (var, GPUs it adds in the block)
        for g, pool in enumerate(P):
            for term, price in pool.reserved.items():
                for b in range(cells.n_horizon):
                    on, hours, _ = reservation_window(problem, cells, term, b)
                    var = _new(m, f"R_{g}_{term}_{b}", lowBound=0)
                    self.reserve[(g, term, b)] = var
                    if (pool.name, term) in withheld:
                        self.withheld_keys.add((g, term, b))
                    self.first_cost.append((var, price * pool.gpus_per_unit * hours))
                    for bb in np.flatnonzero(on > 0):
                        active[g][bb].append((var, pool.gpus_per_unit * float(on[bb])))
        self.units, self.withheld_units, ptu_on = [], set(), []
        for i, c in enumerate(C_):
            on, hours, _ = commitment_window(problem, cells, c.term)
            var = _new(m, f"C_{i}", lowBound=0)
            self.units.append(var)
            ptu_on.append(on)
            if c.term and (f"provisioned {c.name}", c.term) in withheld:
                self.withheld_units.add(i)
            self.first_cost.append((var, c.usd_per_unit_hour * hours))
        self.y = None
        if problem.selfhost_fixed_usd_per_month > 0 and any(r.kind == "selfhost" for w in W for r in w.routes):
            self.y = _new(m, "Y", lowBound=0, upBound=1)
            self.first_cost.append((self.y, problem.selfhost_fixed_usd_per_month * cells.window_hours / (365.25 * 24 / 12)))
        self.OD = np.empty((n_cells, len(P)), object)
        self.S = np.full((n_cells, len(P)), None, object)
        self.X = np.full((n_cells, len(ST), n_routes), None, object)
        self.U = np.full((n_cells, len(ST)), None, object)
        self.N = np.full((n_cells, len(ST), n_routes), None, object)
        self.kind_vars: dict = {k: [] for k in KINDS}
        api_cost, self.need_coef, tpm = route_coefficients(problem, cells)
        weights = np.array([[c.cached_input_weight, c.output_token_weight] for c in C_]).reshape(len(C_), 2)
        keep = _undominated(problem, api_cost)  # (cells, streams, routes) routes worth a variable
        self.recourse = recourse = [[] for _ in range(K)]  # unweighted (var, coef) per scenario
        lam = problem.cvar_weight
        served: dict = {}  # (workload, scenario) -> (unserved terms, demand)
        for c in range(n_cells):
            b, k, h = int(cells.block[c]), int(cells.scenario[c]), float(cells.hours[c])
            gpu_terms = [[] for _ in P]  # GPUs needed (negative on the capacity row)
            ptu_terms = [[] for _ in C_]
            groups: dict = {}  # workload -> [(tiers, tokens/h)], accuracy terms
            for j, st in enumerate(ST):
                wl = W[st.workload]
                tok = float(tpm[c, j]) * 60.0  # tokens per hour
                if tok <= 0:
                    continue
                row, tiers = [], {}
                acc_terms = groups.setdefault(st.workload, ([], []))[1]
                for r_i, acc in zip(st.routes, st.accuracy, strict=True):
                    if not keep[c, j, r_i]:
                        continue
                    r = wl.routes[r_i]
                    x = _new(m, f"x_{j}_{r_i}_{c}", lowBound=0, upBound=r.max_share)
                    self.X[c, j, r_i] = x
                    self.kind_vars[r.kind].append(x)
                    row.append((x, 1.0))
                    if r.tier:
                        tiers.setdefault(r.tier, []).append(x)
                    if wl.min_accuracy is not None:
                        acc_terms.append((x, float(cells.requests[c, j]) * (acc - wl.min_accuracy)))
                    if r.kind == "api":
                        recourse[k].append((x, float(api_cost[c, j, r_i])))
                    elif r.kind == "selfhost":
                        g = pool_index[r.pool]
                        need = float(self.need_coef[c, j, r_i])
                        if problem.integer:
                            n = _new(m, f"n_{j}_{r_i}_{c}", lowBound=0)
                            self.N[c, j, r_i] = n
                            _add(m, [(n, float(r.gpus_per_replica)), (x, -need)], pulp.LpConstraintGE, 0.0,
                                 f"rep_{j}_{r_i}_{c}")
                            gpu_terms[g].append((n, -float(r.gpus_per_replica)))
                        else:
                            gpu_terms[g].append((x, -need))
                        if self.y is not None:
                            _add(m, [(x, 1.0), (self.y, -1.0)], pulp.LpConstraintLE, 0.0, f"on_{j}_{r_i}_{c}")
                    else:
                        i = commitment_index[r.commitment]
                        inp, cached, out = (float(v) for v in cells.tokens[c, j])
                        cw = weights[i, 0] if r.cache_applies else 1.0
                        weighted = (inp + cw * cached + weights[i, 1] * out) / 60.0
                        ptu_terms[i].append((x, weighted))
                if wl.unserved_usd_per_million_tokens is not None or "balance" in skip:
                    u = _new(m, f"u_{j}_{c}", lowBound=0, upBound=1)
                    self.U[c, j] = u
                    row.append((u, 1.0))
                    recourse[k].append((u, h * tok / 1e6 * (wl.unserved_usd_per_million_tokens or 0.0)))
                    terms, total = served.get((st.workload, k), ([], 0.0))
                    terms.append((u, h * tok))
                    served[(st.workload, k)] = (terms, total + h * tok)
                _add(m, row, pulp.LpConstraintEQ, 1.0, f"bal_{j}_{c}")
                groups[st.workload][0].append((tiers, tok))
            for jw, (parts, acc_terms) in groups.items():
                wl = W[jw]
                if "min_share" not in skip:
                    for tier, share in wl.min_share.items():
                        if share <= 0:
                            continue
                        if len(parts) == 1:
                            xs = parts[0][0].get(tier, [])
                            if len(xs) == 1:  # one route: a bound, not a row
                                xs[0].lowBound = share
                            else:
                                _add(m, [(x, 1.0) for x in xs], pulp.LpConstraintGE, share, f"min_{jw}_{tier}_{c}")
                        else:  # the workload's streams together, weighted by their tokens
                            total = sum(tok for _, tok in parts)
                            terms = [(x, tok / total) for tiers, tok in parts for x in tiers.get(tier, [])]
                            _add(m, terms, pulp.LpConstraintGE, share, f"min_{jw}_{tier}_{c}")
                if wl.min_accuracy is not None and "min_accuracy" not in skip and acc_terms:
                    scale = max(abs(v) for _, v in acc_terms) or 1.0
                    _add(m, [(x, v / scale) for x, v in acc_terms], pulp.LpConstraintGE, 0.0, f"acc_{jw}_{c}")
            for i, terms in enumerate(ptu_terms):
                if terms:
                    _add(m, terms + [(self.units[i], -C_[i].tokens_per_minute_per_unit * float(ptu_on[i][b]))],
                         pulp.LpConstraintLE, 0.0, f"ptu_{i}_{c}")
            for g, pool in enumerate(P):
                o = _new(m, f"o_{g}_{c}", lowBound=0)
                self.OD[c, g] = o
                recourse[k].append((o, h * pool.on_demand))
                cap = [(o, 1.0)] + active[g][b]
                total = cap
                if pool.spot is not None and pool.spot_max_share > 0:
                    s = _new(m, f"s_{g}_{c}", lowBound=0)
                    self.S[c, g] = s
                    recourse[k].append((s, h * pool.spot))
                    if "spot_cap" not in skip and pool.spot_max_share < 1:
                        _add(m, [(s, 1.0 - pool.spot_max_share)] + [(v, -pool.spot_max_share * a) for v, a in cap],
                             pulp.LpConstraintLE, 0.0, f"spot_{g}_{c}")
                    total = cap + [(s, 1.0)]
                    cap = cap + [(s, 1.0 - pool.spot_interruption)]
                if pool.max_gpus is not None and "max_gpus" not in skip:
                    _add(m, total, pulp.LpConstraintLE, float(pool.max_gpus), f"max_{g}_{c}")
                _add(m, cap + gpu_terms[g], pulp.LpConstraintGE, float(cells.gpus[c, g]), f"cap_{g}_{c}")
        if problem.service_level is not None and "service_level" not in skip:
            for (j, k), (terms, total) in served.items():
                _add(m, terms, pulp.LpConstraintLE, (1 - problem.service_level) * total, f"sl_{j}_{k}")
        self.eta, self.z = None, []
        if lam > 0:
            self.eta = _new(m, "eta")
            for k in range(K):
                z = _new(m, f"z_{k}", lowBound=0)
                self.z.append(z)
                _add(m, [(z, 1.0), (self.eta, 1.0)] + [(v, -coef) for v, coef in self.first_cost + recourse[k]],
                     pulp.LpConstraintGE, 0.0, f"cvar_{k}")
        m.setObjective(self._objective(lam))
        self.bounds = {x.name: (x.lowBound, x.upBound) for xs in self.kind_vars.values() for x in xs}
        self.pool_index = pool_index
        self.build_s = time.perf_counter() - t0

    def _objective(self, lam: float) -> pulp.LpAffineExpression:
        """``(1 - lam) E[cost] + lam CVaR`` as an affine expression."""
        cells, problem = self.cells, self.problem
        objective = [(v, (1 - lam) * coef) for v, coef in self.first_cost] if lam < 1 else []
        objective += [(v, (1 - lam) * float(cells.weights[k]) * coef) for k in range(len(self.recourse))
                      for v, coef in self.recourse[k]] if lam < 1 else []
        if lam > 0 and self.eta is not None:
            objective.append((self.eta, lam))
            objective += [(z, lam * float(cells.weights[k]) / (1 - problem.cvar_alpha)) for k, z in enumerate(self.z)]
        return _affine(objective)

    def solve(self, fixed: dict | None = None, kinds: tuple = KINDS, integer: bool | None = None,
              diagnose: bool = True) -> dict:
        """Solve with some first-stage decisions held and some route kinds barred.

        Parameters
        ----------
        fixed : dict, optional
            ``reserve`` {(pool index, term, block): units}, ``provisioned`` {commitment index:
            units}, ``selfhost_on`` 0 or 1. Without a key its decisions are optimized (terms the
            evidence rule withholds held at 0); with it, reservations or commitments it does not
            list are 0 and a listed value of None is optimized (a withheld term too).
        kinds : tuple of str
            Route kinds allowed (e.g. ``("api",)`` for the all-API baseline).
        integer : bool, optional
            Override ``problem.integer`` (whole units, replicas and the switch).
        diagnose : bool
            On infeasibility, re-solve without each constraint group to name the ones in conflict.

        Returns
        -------
        dict
            ``reserve`` {(g, term, b): units}, ``provisioned`` [units], ``selfhost_on``; over cells
            ``on_demand`` and ``spot`` (cells, pools) [GPUs], ``share`` (cells, streams, routes),
            ``unserved`` (cells, streams) [share], ``need`` (cells, pools) [GPUs]; duals
            ``capacity_dual`` (cells, pools) [USD per GPU over the cell] and ``balance_dual``
            (cells, streams) [USD per whole cell demand], both already weighted by the
            scenario's probability: the change of the objective (expected cost, or the
            risk-adjusted objective when ``cvar_weight`` > 0) per unit (NaN in MILP mode);
            ``scenario_cost`` [USD] (with ``cvar_weight`` 1, the recourse re-optimized for
            expected cost with the first stage held, so each scenario's cost is its own optimum),
            ``first_stage_cost`` [USD], ``objective``, ``solver``, ``variables``, ``constraints``,
            ``build_s``, ``solve_s``.
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
            value = fixed["reserve"].get(key, 0.0) if "reserve" in fixed else (0.0 if key in self.withheld_keys else None)
            hold(var, value, cat)
        for i, var in enumerate(self.units):
            if "provisioned" in fixed:
                value = fixed["provisioned"].get(i, 0.0)
            else:
                value = 0.0 if i in self.withheld_units else None
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
        objective = float(pulp.value(m.objective) or 0.0)
        if problem.cvar_weight >= 1:  # CVaR alone leaves the recourse outside the tail undetermined: price it
            held = {v: (v.lowBound, v.upBound, v.cat) for v in [*self.reserve.values(), *self.units]
                    + ([self.y] if self.y is not None else [])}
            for v in held:
                v.lowBound = v.upBound = float(v.value() or 0.0)
                v.cat = "Continuous"
            m.setObjective(self._objective(0.0))
            try:
                _solve(m, groups)
            finally:
                m.setObjective(self._objective(problem.cvar_weight))
                for v, (lo, up, c_) in held.items():
                    v.lowBound, v.upBound, v.cat = lo, up, c_
        solve_s = time.perf_counter() - t0
        val = np.vectorize(lambda v: np.nan if v is None else (v.value() or 0.0), otypes=[float])
        share = val(self.X)
        n_cells, n_pools = len(cells.hours), len(problem.pools)
        need = np.zeros((n_cells, n_pools))
        for j, st in enumerate(problem.streams):
            wl = problem.workloads[st.workload]
            for r_i in st.routes:
                r = wl.routes[r_i]
                if r.kind == "selfhost":
                    g = self.pool_index[r.pool]
                    if problem.integer:
                        need[:, g] += np.nan_to_num(val(self.N[:, j, r_i])) * r.gpus_per_replica
                    else:
                        need[:, g] += np.nan_to_num(share[:, j, r_i]) * self.need_coef[:, j, r_i]
        if integer:
            cap_dual = np.full((n_cells, n_pools), np.nan)
            bal_dual = np.full((n_cells, len(problem.streams)), np.nan)
        else:
            def dual(name: str) -> float:
                con = m.get_constraint_by_name(name)
                return np.nan if con is None else (con.pi or 0.0)

            cap_dual = np.array([[dual(f"cap_{g}_{c}") for g in range(n_pools)] for c in range(n_cells)]).reshape(n_cells, n_pools)
            bal_dual = np.array([[dual(f"bal_{j}_{c}") for j in range(len(problem.streams))]
                                 for c in range(n_cells)]).reshape(n_cells, len(problem.streams))
        first = sum(coef * (v.value() or 0.0) for v, coef in self.first_cost)
        scenario_cost = np.array([first + sum(coef * (v.value() or 0.0) for v, coef in terms) for terms in self.recourse])
        return {
            "reserve": {key: float(v.value() or 0.0) for key, v in self.reserve.items()},
            "provisioned": [float(v.value() or 0.0) for v in self.units],
            "selfhost_on": float(self.y.value() or 0.0) if self.y is not None else 1.0,
            "on_demand": val(self.OD), "spot": np.nan_to_num(val(self.S)), "share": share,
            "unserved": np.nan_to_num(val(self.U)), "need": need, "capacity_dual": cap_dual, "balance_dual": bal_dual,
            "scenario_cost": scenario_cost, "first_stage_cost": first, "objective": objective,
            "solver": solver, "variables": m.numVariables(), "constraints": m.numConstraints(),
            "build_s": self.build_s, "solve_s": solve_s,
        }


def _undominated(problem, api_cost: np.ndarray) -> np.ndarray:
    """Which (cell, stream, route) deserve a variable: every route a stream may use, except an
    uncapped API route that costs more in the cell than another uncapped API route of its tier
    with at least its accuracy (ties: the earlier route stays)."""
    keep = np.zeros(api_cost.shape, bool)
    for j, st in enumerate(problem.streams):
        wl = problem.workloads[st.workload]
        keep[:, j, list(st.routes)] = True
        apis = [(r_i, a) for r_i, a in zip(st.routes, st.accuracy, strict=True)
                if wl.routes[r_i].kind == "api" and wl.routes[r_i].max_share >= 1]
        quality = wl.min_accuracy is not None
        for r_i, a in apis:
            for other, b in apis:
                if other == r_i or wl.routes[other].tier != wl.routes[r_i].tier or (quality and b < a):
                    continue
                cheaper = (api_cost[:, j, other] < api_cost[:, j, r_i]) | \
                    ((api_cost[:, j, other] == api_cost[:, j, r_i]) & (other < r_i))
                keep[:, j, r_i] &= ~cheaper
    return keep


def solve_capacity(problem, cells, fixed: dict | None = None, kinds: tuple = KINDS, integer: bool | None = None) -> dict:
    """Build :class:`CapacityLP` and solve it once (see :meth:`CapacityLP.solve`)."""
    return CapacityLP(problem, cells).solve(fixed, kinds, integer)


def _feasible_without(problem, cells, skip, fixed, kinds, integer) -> bool:
    try:
        CapacityLP(problem, cells, frozenset(skip)).solve(fixed, kinds, integer, diagnose=False)
    except InfeasibleError:
        return False
    return True
