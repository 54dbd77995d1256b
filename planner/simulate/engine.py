"""Thin orchestrator: a scenario in, Monte Carlo costs, tokens and quality out.

For every draw the uncertain inputs are sampled (token lengths of ``sample_requests`` requests
per workload, from a distribution or resampled from a trace; the semantic-cache hit rate within
its range); the levers are applied with the topic modules' pure functions; and every month's cost
is computed per route (API model) and token kind. Results keep every intermediate table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import pandas as pd

from planner import catalog
from planner.simulate import agents, caching, routing
from planner.simulate import selfhost as _selfhost

__all__ = ["SimulationResult", "Comparison", "simulate", "compare", "sensitivity", "monthly_requests"]

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
        (means over draws) [tokens], and ``gpu_hours`` [GPU-h] for self-hosted routes: the
        optimizer's per-route demand.
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
    volume = monthly_requests(scenario)
    months = len(volume)
    cost_parts, token_rows, curves, savings, hosted = [], [], [], [], []
    completion = {}
    correct, judged, judged_cost = np.zeros(draws), np.zeros(draws), np.zeros(draws)
    for w in scenario["workloads"]:
        inp = _lengths(w["input_tokens"], rng, draws, sample_requests, "ContextTokens")
        out = _lengths(w["output_tokens"], rng, draws, sample_requests, "GeneratedTokens")
        trim = w.get("trim_system_tokens", 0)
        prefix = max(w.get("system_prompt_tokens", 0) - trim, 0)
        inp = np.maximum(inp - trim, 1.0)
        if "max_output_tokens" in w:
            out = np.minimum(out, w["max_output_tokens"])
        mean_in, mean_out = inp.mean(axis=1), out.mean(axis=1)  # (draws,)
        hit = _hit_rate(w.get("semantic_cache", {}).get("hit_rate", 0), rng, draws)
        fan_out = 1.0
        if "agent" in w:
            mean_calls, limit = w["agent"].get("calls_per_task", 1.0), w["agent"].get("step_limit", np.inf)
            fan_out = agents.calls_per_task(mean_calls, limit)
            completion[w["name"]] = agents.completion_rate(mean_calls, limit)
        served = volume[None, :] * w["share"] * fan_out * (1 - hit)[:, None]  # (draws, months) model calls
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
            _judge(w, accuracy, served, cost_parts, correct, judged, judged_cost, curves, scenario["name"])
            continue
        for model, call_share, acc in _routes(w):
            price = catalog.model_price(model)
            mult = _prefix_multiplier(w, price, prefix)
            savings.append({"workload": w["name"], "route": model, "prefix_tokens": prefix, "prefix_cost_multiplier": mult})
            b = w.get("batch_share", 0.0)
            p_in = _blend(price["input_usd_per_token"], price["batch_input_usd_per_token"], b)
            p_out = _blend(price["output_usd_per_token"], price["batch_output_usd_per_token"], b)
            calls = served * call_share
            plain_in = np.maximum(mean_in - prefix, 0)[:, None]
            costs = {
                "input": calls * plain_in * p_in,
                "cached_input": calls * prefix * mult * p_in,
                "output": calls * mean_out[:, None] * p_out,
            }
            costs["input"] = costs["input"] + lookup * (costs["input"] + costs["cached_input"] + costs["output"])
            for kind, c in costs.items():
                cost_parts.append((w["name"], model, kind, c))
            token_rows.append(pd.DataFrame({
                "month": np.arange(1, months + 1), "workload": w["name"], "route": model,
                "requests": calls.mean(axis=0),
                "input_tokens": (calls * (plain_in + (prefix if mult == 1 else 0))).mean(axis=0),
                "cached_input_tokens": (calls * (prefix if mult != 1 else 0)).mean(axis=0),
                "output_tokens": (calls * mean_out[:, None]).mean(axis=0),
            }))
            if acc is not None:
                accuracy = acc
        _judge(w, accuracy, served, cost_parts, correct, judged, judged_cost, curves, scenario["name"])
    quality = (correct, judged, judged_cost)
    result = _result(scenario["name"], months, draws, cost_parts, token_rows, curves, savings, quality, volume)
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
    if "requests_series" not in scenario:
        months = int(scenario.get("months", 12))
        growth = 1 + scenario.get("growth_pct_per_month", 0) / 100
        return scenario["requests_per_month"] * growth ** np.arange(months)
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
    return monthly.to_numpy(dtype=float)[:months]


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


def _routes(w: dict) -> list[tuple[str, float, tuple | None]]:
    """(model, share of the workload's requests that call it, (accuracy, curve) or None)."""
    if "model" in w:
        return [(w["model"], 1.0, None)]
    kind, spec = next(iter(w["routing"].items()))
    if kind == "split":
        return [(m, float(s), None) for m, s in spec.items()]
    if kind == "cascade":
        reach = np.cumprod([1.0, *spec["escalation"]])  # every stage that is reached is called
        return [(m, float(r), None) for m, r in zip(spec["models"], reach, strict=True)]
    p = float(spec["strong_share"])
    acc, curve = _threshold_quality(spec["data"], spec.get("benchmark"), p)
    return [(spec["strong"], p, (acc, curve)), (spec["weak"], 1 - p, None)]


@lru_cache(maxsize=8)
def _threshold_quality(data: str, benchmark: str | None, strong_share: float) -> tuple[float, pd.DataFrame]:
    """Accuracy of a domain router (learned on half the prompts) at ``strong_share``, on the other half."""
    frame = routing.load_correctness(data, benchmark, drop_contaminated=True)
    train = frame.sample(frac=0.5, random_state=0)
    test = frame.drop(train.index)
    curve = routing.router_curve(routing.domain_scores(train, test), test["weak_correct"], test["strong_correct"])
    acc = float(np.interp(strong_share, curve["strong_share"], curve["accuracy"]))
    return acc, curve


def _prefix_multiplier(w: dict, price: dict, prefix: float) -> float:
    if "prompt_cache" not in w or prefix <= 0:
        return 1.0
    rules = catalog.cache_rules(price["provider"], price["model"])
    one_hour = w["prompt_cache"].get("ttl", "5m") == "1h"
    base = price["input_usd_per_token"]
    read = price["cache_read_usd_per_token"] / base if np.isfinite(price["cache_read_usd_per_token"]) else rules["read_multiplier"]
    own_write = price["cache_write_1h_usd_per_token"] if one_hour else price["cache_write_usd_per_token"]
    write = own_write / base if np.isfinite(own_write) else \
        (rules["write_multiplier_1h"] if one_hour and np.isfinite(rules["write_multiplier_1h"]) else rules["write_multiplier"])
    return caching.prefix_cost_multiplier(prefix, w["prompt_cache"].get("requests_per_ttl", 1), write, read,
                                          price["min_cacheable_tokens"])


def _blend(price: float, batch_price: float, share: float) -> float:
    """Per-token price with ``share`` of traffic on the batch API (0.5x when the catalog has no batch price)."""
    batch = batch_price if np.isfinite(batch_price) else price * 0.5
    return price * (1 - share) + batch * share


def _hit_rate(spec, rng: np.random.Generator, draws: int) -> np.ndarray:
    if isinstance(spec, dict):
        return rng.uniform(spec.get("low", 0.0), spec.get("high", 0.0), draws)
    return np.full(draws, float(spec))


def _lengths(spec: dict, rng: np.random.Generator, draws: int, n: int, column: str) -> np.ndarray:
    """Token lengths of ``n`` sampled requests per draw [tokens]: lognormal(mean, cv) or a trace resampled."""
    if "trace" in spec:
        values = _trace_column(spec["trace"], column)
        return values[rng.integers(0, len(values), (draws, n))]
    mean, cv = float(spec["mean"]), float(spec.get("cv", 0.0))
    if cv == 0:
        return np.full((draws, n), mean)
    sigma2 = np.log1p(cv * cv)
    return rng.lognormal(np.log(mean) - sigma2 / 2, np.sqrt(sigma2), (draws, n))


@lru_cache(maxsize=16)
def _trace_column(path: str, column: str) -> np.ndarray:
    """Token lengths of a request trace's ``column`` [tokens], through the validated reader."""
    from planner.exceptions import InputError, ScenarioError
    from planner.usage._io import numeric, read_frame, require_columns

    try:
        frame = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
        require_columns(frame, [column], path, label="trace")
        return numeric(frame, column, path).to_numpy(dtype=float)
    except InputError as exc:
        raise ScenarioError(f"{exc} (a token-length trace of the scenario)") from None
