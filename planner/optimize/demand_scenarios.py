"""Demand scenarios for one pool's reservation: recent demand, plus forecast paths that earn a place.

All periods of a commitment share one reserved level, so its cost depends only on the
distribution of per-period demand over the horizon (:mod:`planner.optimize.single_pool`). Methods:

``"auto"`` (the planner's default)
    Empirical scenarios in two equal parts: contiguous windows of the last 30 days (the data the
    cloud recommenders' rule uses) and windows of the last 7 days (the current regime): a
    recency-weighted empirical distribution that follows a level shift faster than the rule while
    keeping half its weight on the rule's own data. The forecaster's sample paths join as a third
    equal part only when an inner backtest on the history shows that they clearly lower realized
    cost (:func:`forecast_gate`): they carry trend that windows of the past cannot, but their tails
    can be miscalibrated for a reservation quantile (bursty series with gaps).
``"mix"``
    Forecast paths mixed with random windows of the last 30 days (``recent_weight`` of them).
``"forecast"``
    Forecast paths only.
``"empirical"``
    The two empirical parts of ``"auto"``, never the forecast.

The inner backtest only ever sees the history it is given: origins lie ``k * horizon`` periods
before its end, and each is judged on the periods between it and that end.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner.exceptions import InputError, PlannerError
from planner.optimize.single_pool import plan_single_pool, pool_cost

__all__ = ["ScenarioSet", "GateResult", "build_scenarios", "forecast_gate", "recent_windows", "pool_series",
           "METHODS", "GATE_T"]

METHODS = ("auto", "mix", "forecast", "empirical")
#: Paired t statistic of the inner backtest's cost change the forecast paths must be below to enter:
#: -2 asks for a clear win (about two standard errors over the origins), so the plan stays with
#: recent history unless the forecast shows it helps. 0 lets them in whenever they lowered realized
#: cost on average: on the holdout series of ``benchmarks/plan_bench.py --extended`` that did
#: better (ServeGen m-large 1.198x against 1.244x hindsight, Philly with 24 h commitments 1.024x
#: against 1.033x), but on the benchmark cutoffs its worst case against the rule moved with the
#: seed of the paths (+0.9 % to +1.2 %, against +0.7 % at any seed with -2).
GATE_T = -2.0
RULE_DAYS = 30  # the recommenders' rule looks at the last 30 days
REGIME_DAYS = 7  # the recent-regime part: the last week, inside the rule's 30 days


@dataclass
class GateResult:
    """The inner backtest deciding whether forecast paths join the scenarios.

    ``relative_change`` is, per origin, realized cost with the paths / without them - 1 [-]
    (negative: the paths helped); ``t_stat`` its paired t statistic; ``include`` the decision.
    """

    include: bool
    origins: list = field(default_factory=list)
    relative_change: list = field(default_factory=list)
    t_stat: float = float("nan")
    threshold: float = GATE_T

    def to_dict(self) -> dict:
        """JSON-ready dict."""
        return {"include": self.include, "origins": [str(o) for o in self.origins],
                "relative_change": [float(x) for x in self.relative_change],
                "t_stat": float(self.t_stat) if np.isfinite(self.t_stat) else None,
                "threshold": float(self.threshold)}


@dataclass
class ScenarioSet:
    """Demand scenarios for a pool, with how they were built.

    ``scenarios`` is (scenarios, horizon) [units]; ``recent`` the last 30 days [units] for the
    recommenders' rule; ``model`` the forecast model ("" when none ran); ``paths`` the forecast's
    sample paths (paths x horizon) [units], also when the inner backtest left them out.
    """

    scenarios: np.ndarray
    recent: np.ndarray
    model: str
    method: str
    forecast_included: bool
    gate: GateResult | None = None
    paths: np.ndarray | None = None

    def settings(self) -> dict:
        """What to record in a plan's settings."""
        out = {"scenario_method": self.method, "forecast_included": self.forecast_included, "forecast_model": self.model}
        if self.gate is not None:
            out["forecast_gate"] = self.gate.to_dict()
        return out


def pool_series(history: pd.DataFrame, what: str = "history") -> pd.DataFrame:
    """Validate a long-format history and add its series up into one pool (``unique_id`` "pool").

    Raises :class:`~planner.exceptions.InputError` naming the column and row of the first bad value.
    """
    missing = [c for c in ("unique_id", "ds", "y") if c not in history.columns]
    if missing:
        raise InputError(f"{what}: the following columns are missing: {missing}")
    ds = pd.to_datetime(history["ds"], errors="coerce", format="mixed")
    y = pd.to_numeric(history["y"], errors="coerce")
    for col, bad in (("ds", ds.isna()), ("y", y.isna() | (y < 0))):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            expected = "a timestamp" if col == "ds" else "a number >= 0 (demand is never negative)"
            raise InputError(f"{what}: column {col!r} at row {row + 1} is {history[col].iloc[row]!r}; expected {expected}")
    frame = history.assign(ds=ds, y=y)
    pool = frame.groupby("ds", as_index=False)["y"].sum().assign(unique_id="pool")
    return pool[["unique_id", "ds", "y"]]


def recent_windows(values: np.ndarray, horizon: int, n: int) -> np.ndarray:
    """``n`` contiguous windows of ``horizon`` periods, starts evenly spread, wrapping around [units].

    For ``horizon <= len(values)`` every value appears floor or ceil of ``n * horizon / len(values)``
    times, so the windows carry the empirical distribution of ``values`` (exactly when that ratio
    is whole).
    """
    v = np.asarray(values, float)
    if v.size == 0:
        raise InputError("recent_windows: no history to draw windows from")
    starts = np.floor(np.arange(n) * v.size / n).astype(int)
    return v[(starts[:, None] + np.arange(horizon)[None, :]) % v.size]


def _recent(pool: pd.DataFrame, days: int) -> np.ndarray:
    """Demand of the last ``days`` days (at least the last period) [units]."""
    last = pool["ds"].max()
    values = pool.loc[pool["ds"] > last - pd.Timedelta(days=days), "y"].to_numpy()
    return values if len(values) else pool["y"].to_numpy()[-1:]


def _empirical(pool: pd.DataFrame, horizon: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    rule_days = _recent(pool, RULE_DAYS)
    regime = _recent(pool, REGIME_DAYS)
    return np.vstack([recent_windows(rule_days, horizon, n), recent_windows(regime, horizon, n)]), rule_days


def _paths(pool: pd.DataFrame, horizon: int, freq: str, n_paths: int, seed: int,
           cache: dict | None = None) -> tuple[np.ndarray, str]:
    """Forecast sample paths (n_paths x horizon) [units] and the model; ``cache`` keyed by the data itself."""
    from planner.forecast import forecast

    key = None
    if cache is not None:
        digest = hashlib.sha256(pool["ds"].to_numpy().astype("datetime64[ns]").tobytes()
                                + pool["y"].to_numpy(float).tobytes()).hexdigest()
        key = (digest, horizon, freq, n_paths, seed)
        if key in cache:
            return cache[key]
    result = forecast(pool, h=horizon, freq=freq, n_paths=n_paths, seed=seed)
    paths = result.paths.pivot(index="sample", columns="ds", values="y").to_numpy()
    out = (paths, str(result.forecast["model"].iloc[0]))
    if key is not None:
        cache[key] = out
    return out


def forecast_gate(pool: pd.DataFrame, horizon: int, freq: str, on_demand_price: float, reserved_price: float,
                  spot_price: float | None = None, spot_max_share: float = 0.0, spot_interruption: float = 0.0,
                  n_paths: int = 100, seed: int = 0, inner_origins: int = 4, threshold: float = GATE_T,
                  cache: dict | None = None) -> GateResult:
    """Inner backtest: do the forecast paths lower the realized cost of the empirical plan?

    At origins ``k * horizon`` periods before the end of ``pool`` (k = 1 .. ``inner_origins``, each
    with at least ``horizon`` periods of history before it), plan on the empirical scenarios
    with and without the forecast paths (both built from the history up to the origin only), and
    price both plans on the ``horizon`` periods that followed. The paths are kept when the paired
    t statistic of the relative cost change is below ``threshold`` (-2: they helped clearly; 0: they
    lowered cost on average).

    Parameters
    ----------
    pool : pandas.DataFrame
        One series ``unique_id, ds, y`` [units per period], regular, sorted (:func:`pool_series`).
    horizon : int
        Periods of the commitment.
    freq : str
        pandas frequency.
    on_demand_price, reserved_price, spot_price : float
        Prices [USD per unit-period] the plans are made and priced with.
    spot_max_share, spot_interruption : float
        Spot cap and interruption share [0-1].
    n_paths, seed : int
        Forecast paths per origin and their seed.
    inner_origins : int
        Origins to try (fewer when the history is short).
    threshold : float
        Paired t statistic the change must be below [-].
    cache : dict, optional
        Forecasts already made, keyed by a digest of the history they saw (a backtest passes one
        dict to all its cutoffs, whose inner origins coincide).

    Returns
    -------
    GateResult
        ``include`` False when fewer than two origins could be judged.
    """
    spot = {"spot": spot_price, "spot_max_share": spot_max_share, "spot_interruption": spot_interruption}
    n = len(pool)
    origins, change = [], []
    for k in range(1, inner_origins + 1):
        end = n - k * horizon
        if end < horizon:
            break
        past, realized = pool.iloc[:end], pool["y"].to_numpy()[end:end + horizon][None, :]
        try:
            paths, _ = _paths(past, horizon, freq, n_paths, seed, cache)
        except PlannerError:
            continue
        emp, rule_days = _empirical(past, horizon, n_paths)
        costs = []
        for scen in (emp, np.vstack([emp, paths])):
            plan = plan_single_pool(scen, rule_days, on_demand_price, reserved_price, **spot)
            costs.append(pool_cost(plan.reserved_units, realized, on_demand_price, reserved_price, **spot)[0])
        origins.append(past["ds"].iloc[-1])
        change.append(costs[1] / costs[0] - 1 if costs[0] > 0 else 0.0)
    d = np.array(change)
    if len(d) < 2:
        return GateResult(False, origins, change, float("nan"), threshold)
    sd = d.std(ddof=1)
    t = d.mean() / (sd / np.sqrt(len(d))) if sd > 0 else (-np.inf if d.mean() < 0 else 0.0)
    return GateResult(bool(t < threshold), origins, change, float(t), threshold)


def build_scenarios(history: pd.DataFrame, horizon: int, freq: str, n_paths: int = 100, seed: int = 0,
                    what: str = "history", method: str = "auto", recent_weight: float = 0.5,
                    on_demand_price: float | None = None, reserved_price: float | None = None,
                    spot_price: float | None = None, spot_max_share: float = 0.0, spot_interruption: float = 0.0,
                    inner_origins: int = 4, gate_t: float = GATE_T, cache: dict | None = None) -> ScenarioSet:
    """Demand scenarios for one pool from its history (see the module docstring for the methods).

    Parameters
    ----------
    history : pandas.DataFrame
        Long format ``unique_id, ds, y`` [units per period]; several series are added up.
    horizon : int
        Periods ahead.
    freq : str
        pandas frequency.
    n_paths : int
        Forecast paths, and windows per empirical part.
    seed : int
        Seed of the paths and of the ``"mix"`` windows.
    what : str
        Name of the input (e.g. its file), for error messages.
    method : str
        One of :data:`METHODS`.
    recent_weight : float
        ``"mix"`` only: share of scenarios drawn from the last 30 days, in [0, 1).
    on_demand_price, reserved_price, spot_price : float, optional
        Prices [USD per unit-period]; ``"auto"`` needs the first two for its inner backtest.
    spot_max_share, spot_interruption : float
        Spot cap and interruption share [0-1].
    inner_origins : int
        ``"auto"`` only: origins of the inner backtest (:func:`forecast_gate`).
    gate_t : float
        ``"auto"`` only: the t statistic the forecast must beat there (:data:`GATE_T`; 0 keeps the
        paths whenever they lowered realized cost on average).
    cache : dict, optional
        Forecasts already made (see :func:`forecast_gate`).

    Returns
    -------
    ScenarioSet
    """
    if method not in METHODS:
        raise InputError(f"scenario method must be one of {list(METHODS)}, got {method!r}")
    if not 0 <= recent_weight < 1:
        raise InputError(f"recent_weight must be within [0, 1), got {recent_weight}")
    if horizon < 1 or n_paths < 1:
        raise InputError(f"horizon and n_paths must be >= 1, got {horizon} and {n_paths}")
    pool = pool_series(history, what).sort_values("ds", ignore_index=True)
    recent = _recent(pool, RULE_DAYS)
    if method == "mix":
        paths, model = _paths(pool, horizon, freq, n_paths, seed)
        n_recent = int(round(n_paths * recent_weight / (1 - recent_weight)))
        if n_recent:
            rng = np.random.default_rng(seed + 1)
            idx = (rng.integers(0, len(recent), n_recent)[:, None] + np.arange(horizon)[None, :]) % len(recent)
            paths = np.vstack([paths, recent[idx]])
        return ScenarioSet(paths, recent, model, method, True, paths=paths[:n_paths])
    if method == "forecast":
        paths, model = _paths(pool, horizon, freq, n_paths, seed)
        return ScenarioSet(paths, recent, model, method, True, paths=paths)
    emp, _ = _empirical(pool, horizon, n_paths)
    if method == "empirical":
        return ScenarioSet(emp, recent, "", method, False)
    if on_demand_price is None or reserved_price is None:
        raise InputError("scenario method 'auto' needs on_demand_price and reserved_price for its inner backtest "
                         "(or use method='mix', 'forecast' or 'empirical')")
    gate = forecast_gate(pool, horizon, freq, on_demand_price, reserved_price, spot_price, spot_max_share,
                         spot_interruption, n_paths, seed, inner_origins, gate_t, cache)
    paths, model = _paths(pool, horizon, freq, n_paths, seed, cache)
    scenarios = np.vstack([emp, paths]) if gate.include else emp
    return ScenarioSet(scenarios, recent, model, method, gate.include, gate, paths)
