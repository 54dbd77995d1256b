"""Thin orchestrator: a scenario in, Monte Carlo costs, tokens and quality out.

For every draw the uncertain inputs are sampled (token lengths of ``sample_requests`` requests
per workload, from a distribution or resampled from a trace; the semantic-cache hit rate within
its range); the levers are applied with the topic modules' pure functions; and every month's cost
is computed per route (API model) and token kind. Results keep every intermediate table.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from planner import catalog
from planner.simulate import agents, caching
from planner.simulate import selfhost as _selfhost
from planner.simulate.demand import (
    ROUTE_DEMAND_COLUMNS,
    cache_multipliers,
    call_tokens,
    draw_lengths,
    lever_calls,
    lever_routes,
    min_cacheable,
    threshold_quality,
)

__all__ = ["SimulationResult", "Comparison", "simulate", "compare", "sensitivity", "monthly_requests", "scenario_months"]

_PCT = (5, 50, 95)


@dataclass
class SimulationResult:
    """Everything one scenario's simulation produced.

    Attributes
    ----------
    name : str
    monthly : pandas.DataFrame
        ``month, workload, route, kind, mean, p5, p50, p95`` cost [USD] per month, where ``kind``
        is ``input``, ``cached_input`` (prefix reads and writes), ``output``, or ``gpu`` for a
        self-hosted route.
    tokens : pandas.DataFrame
        ``month, workload, route, input_tokens, cached_input_tokens, output_tokens, requests``
        (means over draws) [tokens], and ``gpu_hours`` [GPU-h] for self-hosted routes: a summary.
        The optimizer reads :meth:`route_demand`, every draw as a scenario.
    totals : numpy.ndarray
        Total cost over the horizon per draw [USD].
    summary : dict
        Cost mean and percentiles [USD], requests, cost per request [USD]; for workloads with a
        quality (a replayed threshold router, or a declared ``accuracy`` times a self-hosted
        precision's published recovery or the scenario's ``quality_penalty_pct``), their accuracy
        and cost per successful outcome [USD]
        (requests answered by the semantic cache are not judged).
    routing_curve : pandas.DataFrame
        Cost-quality curves of the scenario's threshold routers (empty if none).
    cache_savings : pandas.DataFrame
        Prompt-cache multiplier on the prefix per workload and route [-].
    selfhost : pandas.DataFrame
        One row per self-hosted workload: engine, precision, GPUs per replica, replica throughput
        [tokens/s], accuracy recovery and sources (:func:`planner.simulate.selfhost.describe`).
    """

    name: str
    monthly: pd.DataFrame
    tokens: pd.DataFrame
    totals: np.ndarray
    summary: dict
    routing_curve: pd.DataFrame = field(default_factory=pd.DataFrame)
    cache_savings: pd.DataFrame = field(default_factory=pd.DataFrame)
    selfhost: pd.DataFrame = field(default_factory=pd.DataFrame)
    route_arrays: list = field(default_factory=list, repr=False)  # (workload, route, calls, in, cached, out, accuracy)
    periods: pd.DatetimeIndex | None = None

    def route_demand(self, draws: int | None = None) -> pd.DataFrame:
        """The per-route demand frame (:data:`planner.simulate.demand.ROUTE_DEMAND_COLUMNS`): one
        row per workload, route, month and draw (``scenario``), tokens by kind [tokens per month],
        model calls and accuracy; ``draws`` keeps the first that many draws.

        ``period`` is each month's first day when the scenario has dates (a ``requests_series``
        or ``start:``), else the month number 1, 2, ... (which the optimizer refuses, asking for
        ``start:``).
        """
        from planner.simulate.demand import _frame

        periods = self.periods if self.periods is not None else np.arange(1, self.monthly["month"].max() + 1)
        frames = []
        for workload, route, calls, inp, cached, out, acc in self.route_arrays:
            n = calls.shape[0] if draws is None else min(draws, calls.shape[0])
            frames.append(_frame(workload, route, periods, np.arange(n), calls[:n], inp[:n], cached[:n], out[:n], acc))
        if not frames:
            return pd.DataFrame(columns=list(ROUTE_DEMAND_COLUMNS))
        return pd.concat(frames, ignore_index=True)[list(ROUTE_DEMAND_COLUMNS)]


@dataclass
class Comparison:
    """Scenarios side by side; the first one is the baseline."""

    results: list[SimulationResult]

    def summary(self) -> pd.DataFrame:
        """One row per scenario: costs [USD], cost per request and per success, change vs the first."""
        table = pd.DataFrame([r.summary for r in self.results]).set_index("scenario")
        base = table["cost_mean_usd"].iloc[0]
        table["change_vs_baseline_pct"] = (table["cost_mean_usd"] / base - 1) * 100 if base else np.nan
        return table

    @property
    def routing_curve(self) -> pd.DataFrame:
        """All threshold-router curves, labelled by scenario and workload."""
        curves = [r.routing_curve for r in self.results if not r.routing_curve.empty]
        return pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()

    @property
    def cache_savings(self) -> pd.DataFrame:
        """Prompt-cache multipliers of all scenarios."""
        tables = [r.cache_savings.assign(scenario=r.name) for r in self.results if not r.cache_savings.empty]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()

    @property
    def selfhost(self) -> pd.DataFrame:
        """The self-hosted routes of all scenarios: engine, precision, replica throughput, sources."""
        tables = [r.selfhost.assign(scenario=r.name) for r in self.results if not r.selfhost.empty]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def compare(scenarios: list[dict], draws: int = 1000, seed: int = 0) -> Comparison:
    """Simulate several scenarios with the same draws (common random numbers)."""
    return Comparison([simulate(s, draws=draws, seed=seed) for s in scenarios])


def simulate(scenario: dict, draws: int = 1000, seed: int = 0, sample_requests: int = 500) -> SimulationResult:
    """Simulate one validated scenario (see :func:`planner.simulate.load_scenario`).

    Parameters
    ----------
    scenario : dict
        The scenario.
    draws : int
        Monte Carlo draws.
    seed : int
        Random seed; the same seed gives the same draws in every scenario.
    sample_requests : int
        Requests sampled per workload and draw for the token-length distribution.

    Returns
    -------
    SimulationResult
    """
    rng = np.random.default_rng(seed)
    volume, periods = _monthly(scenario)
    months = len(volume)
    cost_parts, token_rows, curves, savings, route_arrays, hosted = [], [], [], [], [], []
    completion = {}
    correct, judged, judged_cost = np.zeros(draws), np.zeros(draws), np.zeros(draws)
    for w in scenario["workloads"]:
        mean_in, mean_out, hit = draw_lengths(w, rng, draws, sample_requests)  # (draws,)
        prefix = max(w.get("system_prompt_tokens", 0) - w.get("trim_system_tokens", 0), 0)
        if "agent" in w:
            completion[w["name"]] = agents.completion_rate(w["agent"].get("calls_per_task", 1.0),
                                                           w["agent"].get("step_limit", np.inf))
        served = lever_calls(w, np.broadcast_to(volume * w["share"], (draws, months)), hit)  # model calls
        lookup = w.get("semantic_cache", {}).get("lookup_cost_share", 0.0)
        accuracy = None
        if "accuracy" in w:  # declared task accuracy of the workload's model; a quantized self-hosted model may lower it
            factor = _selfhost.accuracy_multiplier(w["selfhost"])[0] if "selfhost" in w else 1.0
            accuracy = (w["accuracy"] * factor, None)
        if "selfhost" in w:
            spec = w["selfhost"]
            out_tokens = served * mean_out[:, None]
            tp = _selfhost.selfhost_throughput(spec, float(mean_in.mean()), float(mean_out.mean()))
            cost, hours = _selfhost.selfhost_cost(spec, float(mean_in.mean()), float(mean_out.mean()), out_tokens, tp=tp)
            route = _selfhost.route_name(spec, tp)
            hosted.append(_selfhost.describe(w["name"], spec, tp))
            cost_parts.append((w["name"], route, "gpu", cost))
            token_rows.append(pd.DataFrame({
                "month": np.arange(1, months + 1), "workload": w["name"], "route": route,
                "requests": served.mean(axis=0), "input_tokens": (served * mean_in[:, None]).mean(axis=0),
                "cached_input_tokens": 0.0, "output_tokens": out_tokens.mean(axis=0), "gpu_hours": hours.mean(axis=0)}))
            route_arrays.append((w["name"], route, served, mean_in, np.zeros(draws), mean_out,
                                 accuracy[0] if accuracy else np.nan))
            _judge(w, accuracy, served, cost_parts, correct, judged, judged_cost, curves, scenario["name"])
            continue
        for lr in lever_routes(w):
            model = lr.route
            price = catalog.model_price(model)
            mult = _prefix_multiplier(w, price, prefix)
            savings.append({"workload": w["name"], "route": model, "prefix_tokens": prefix, "prefix_cost_multiplier": mult})
            b = w.get("batch_share", 0.0)
            p_in = _blend(price["input_usd_per_token"], price["batch_input_usd_per_token"], b)
            p_out = _blend(price["output_usd_per_token"], price["batch_output_usd_per_token"], b)
            calls = served * lr.call_share
            plain_in = np.maximum(mean_in - prefix, 0)[:, None]
            costs = {
                "input": calls * plain_in * p_in,
                "cached_input": calls * prefix * mult * p_in,
                "output": calls * mean_out[:, None] * p_out,
            }
            costs["input"] = costs["input"] + lookup * (costs["input"] + costs["cached_input"] + costs["output"])
            for kind, c in costs.items():
                cost_parts.append((w["name"], model, kind, c))
            inp, cached, out = call_tokens(w, mean_in, mean_out, min_cacheable(model))
            token_rows.append(pd.DataFrame({
                "month": np.arange(1, months + 1), "workload": w["name"], "route": model,
                "requests": calls.mean(axis=0),
                "input_tokens": (calls * inp[:, None]).mean(axis=0),
                "cached_input_tokens": (calls * cached[:, None]).mean(axis=0),
                "output_tokens": (calls * out[:, None]).mean(axis=0),
            }))
            route_arrays.append((w["name"], model, calls, inp, cached, out, lr.accuracy))
        if "routing" in w and "threshold" in w["routing"]:
            spec = w["routing"]["threshold"]
            acc, _, _, curve = threshold_quality(spec["data"], spec.get("benchmark"), float(spec["strong_share"]))
            accuracy = (acc, curve)
        _judge(w, accuracy, served, cost_parts, correct, judged, judged_cost, curves, scenario["name"])
    quality = (correct, judged, judged_cost)
    result = _result(scenario["name"], months, draws, cost_parts, token_rows, curves, savings, quality, volume)
    result.route_arrays = route_arrays
    result.periods = periods
    result.selfhost = pd.DataFrame(hosted)
    for name, rate in completion.items():
        result.summary[f"task_completion_{name}"] = rate
    result.summary.update(_outcomes(scenario["workloads"], volume, cost_parts))
    return result


def _outcomes(workloads: list[dict], volume: np.ndarray, cost_parts: list) -> dict[str, float]:
    """Per outcome a scenario's workloads declare: ``outcomes_<name>`` = requests x ``success_rate``
    over the horizon [outcomes] and ``cost_per_<name>_usd`` = the mean cost of those workloads /
    their outcomes [USD/outcome]."""
    out: dict[str, float] = {}
    names = sorted({w["outcome"]["name"] for w in workloads if "outcome" in w})
    for name in names:
        mine = [w for w in workloads if w.get("outcome", {}).get("name") == name]
        count = float(sum(volume.sum() * w["share"] * w["outcome"]["success_rate"] for w in mine))
        cost = sum(float(c.sum(axis=1).mean()) for wl, _, _, c in cost_parts if wl in {w["name"] for w in mine})
        out[f"outcomes_{name}"] = count
        out[f"cost_per_{name}_usd"] = cost / count if count else float("nan")
    return out


def _judge(w, accuracy, served, cost_parts, correct, judged, judged_cost, curves, scenario_name) -> None:
    """Add a workload's successful outcomes (requests x accuracy) and its cost to the quality tally."""
    if accuracy is None:
        return
    acc_value, curve = accuracy
    correct += served.sum(axis=1) * acc_value
    judged += served.sum(axis=1)
    judged_cost += sum(c.sum(axis=1) for wl, _, _, c in cost_parts if wl == w["name"])
    if curve is not None:
        curves.append(curve.assign(label=f"{scenario_name}/{w['name']}"))


def monthly_requests(scenario: dict) -> np.ndarray:
    """Requests per month [requests]: constant with growth, or monthly sums of a series file.

    ``requests_series.file`` is long format (``unique_id, ds`` and ``y`` or a forecast's
    ``forecast`` column), e.g. the output of ``planner forecast``; ``unique_id`` picks one series.
    """
    return _monthly(scenario)[0]


def scenario_months(scenario: dict) -> pd.DatetimeIndex | None:
    """First day of each simulated month: from ``start:``, else the months of ``requests_series``;
    None when the scenario has neither (its months are then numbered)."""
    return _monthly(scenario)[1]


def _monthly(scenario: dict) -> tuple[np.ndarray, pd.DatetimeIndex | None]:
    if "requests_series" not in scenario:
        months = int(scenario.get("months", 12))
        growth = 1 + scenario.get("growth_pct_per_month", 0) / 100
        values = scenario["requests_per_month"] * growth ** np.arange(months)
        start = scenario.get("start")
        periods = pd.date_range(pd.Timestamp(start).to_period("M").to_timestamp(), periods=months, freq="MS") \
            if start is not None else None
        return values, periods
    spec = scenario["requests_series"]
    from planner.exceptions import InputError, ScenarioError
    from planner.usage import read_series
    from planner.usage._io import peek_columns

    try:
        value = "forecast" if "forecast" in peek_columns(spec["file"]) else "y"
        frame = read_series(spec["file"], target_col=value, history=False, nonnegative=True, missing="error")
    except InputError as exc:
        raise ScenarioError(f"{exc} (named in {scenario.get('_file', 'the scenario')}: requests_series.file)") from None
    ids = frame["unique_id"].astype(str).unique()
    uid = spec.get("unique_id", ids[0] if len(ids) == 1 else None)
    if uid not in set(ids):
        raise ScenarioError(f"{spec['file']}: requests_series.unique_id must be one of {list(ids)[:10]}")
    rows = frame[frame["unique_id"].astype(str) == uid]
    monthly = rows[value].groupby(rows["ds"].dt.to_period("M")).sum()
    months = int(scenario.get("months", len(monthly)))
    return monthly.to_numpy(dtype=float)[:months], monthly.index[:months].to_timestamp()


def sensitivity(scenario: dict, draws: int = 500, seed: int = 0) -> pd.DataFrame:
    """Tornado table: the change in expected cost when each lever of each workload is removed.

    Returns
    -------
    pandas.DataFrame
        ``workload, lever, cost_with_usd, cost_without_usd, saving_usd`` sorted by saving [USD].
    """
    levers = ("prompt_cache", "semantic_cache", "batch_share", "trim_system_tokens", "max_output_tokens", "agent")
    base = simulate(scenario, draws=draws, seed=seed).summary["cost_mean_usd"]
    rows = []
    for i, w in enumerate(scenario["workloads"]):
        for lever in levers:
            if lever not in w:
                continue
            variant = {**scenario, "workloads": [dict(x) for x in scenario["workloads"]]}
            del variant["workloads"][i][lever]
            without = simulate(variant, draws=draws, seed=seed).summary["cost_mean_usd"]
            rows.append({"workload": w["name"], "lever": lever, "cost_with_usd": base,
                         "cost_without_usd": without, "saving_usd": without - base})
    table = pd.DataFrame(rows, columns=["workload", "lever", "cost_with_usd", "cost_without_usd", "saving_usd"])
    return table.sort_values("saving_usd", ascending=False, key=abs).reset_index(drop=True)


def _result(name, months, draws, cost_parts, token_rows, curves, savings, quality, volume) -> SimulationResult:
    monthly_rows = []
    totals = np.zeros(draws)
    for workload, route, kind, c in cost_parts:
        totals += c.sum(axis=1)
        pct = np.percentile(c, _PCT, axis=0)
        monthly_rows.append(pd.DataFrame({
            "month": np.arange(1, months + 1), "workload": workload, "route": route, "kind": kind,
            "mean": c.mean(axis=0), "p5": pct[0], "p50": pct[1], "p95": pct[2]}))
    monthly = pd.concat(monthly_rows, ignore_index=True)
    tokens = pd.concat(token_rows, ignore_index=True)
    requests = float(volume.sum())
    summary = {
        "scenario": name,
        "cost_mean_usd": float(totals.mean()),
        "cost_p5_usd": float(np.percentile(totals, 5)),
        "cost_p95_usd": float(np.percentile(totals, 95)),
        "requests": requests,
        "cost_per_request_usd": float(totals.mean() / requests),
    }
    correct, judged, judged_cost = quality
    if judged.mean() > 0:
        # only workloads with a quality (a replayed router or a declared accuracy) are judged
        summary["accuracy"] = float(correct.mean() / judged.mean())
        summary["cost_per_success_usd"] = float(judged_cost.mean() / correct.mean())
    curve = pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()
    if not curve.empty:
        curve = curve[["label", *[c for c in curve.columns if c != "label"]]]
    return SimulationResult(name, monthly, tokens, totals, summary, curve, pd.DataFrame(savings).drop_duplicates())


def _prefix_multiplier(w: dict, price: dict, prefix: float) -> float:
    if "prompt_cache" not in w or prefix <= 0:
        return 1.0
    write, read = cache_multipliers(price, w["prompt_cache"].get("ttl", "5m"))
    return caching.prefix_cost_multiplier(prefix, w["prompt_cache"].get("requests_per_ttl", 1), write, read,
                                          price["min_cacheable_tokens"])


def _blend(price: float, batch_price: float, share: float) -> float:
    """Per-token price with ``share`` of traffic on the batch API (0.5x when the catalog has no batch price)."""
    batch = batch_price if np.isfinite(batch_price) else price * 0.5
    return price * (1 - share) + batch * share
