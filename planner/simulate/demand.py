"""Per-route demand: the one frame the simulator writes and the optimizer reads.

The levers of a workload (semantic cache, agent fan-out, routing split / cascade / threshold
router, prompt trimming, output caps, provider prompt caching) turn its requests into model calls
per route with tokens by kind. The result is the **per-route demand frame**
(:data:`ROUTE_DEMAND_COLUMNS`), one row per workload, route, period and scenario:

``workload``
    The workload's name.
``route``
    Where the levers send the calls: the model a routing lever names (``gpt-4o``), or ``""``
    when the workload has no routing lever (the optimizer then chooses among all its routes).
``period``
    Period start (naive UTC timestamp).
``scenario``
    Scenario (a forecast sample path, or a Monte Carlo draw).
``input_tokens``
    Input tokens billed at the input price [tokens per period]: the prompt outside the cached
    prefix, plus the prefix tokens written to the prompt cache.
``cached_input_tokens``
    Input tokens read from the prompt cache [tokens per period].
``output_tokens``
    Output tokens [tokens per period].
``requests``
    Model calls on the route [calls per period].
``accuracy``
    Expected share of those calls answered right [-]: replayed on per-query correctness for a
    threshold router (each side's own accuracy), or the workload's declared ``accuracy``; NaN
    when unknown.

:func:`route_demand` computes it from request paths; :func:`planner.simulate.simulate` uses the
same functions for its Monte Carlo draws (``SimulationResult.route_demand``, the
``route_demand.csv`` of ``planner simulate``); :func:`read_route_demand` reads it back with the
checks every input gets, and :func:`planner.optimize.load_problem` plans on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.simulate import agents, caching, routing

__all__ = ["ROUTE_DEMAND_COLUMNS", "TOKEN_COLUMNS", "LeverRoute", "lever_routes", "draw_lengths", "lever_calls",
           "call_tokens", "cache_multipliers", "min_cacheable", "route_demand", "check_route_demand", "read_route_demand", "threshold_quality"]

#: Columns of the per-route demand frame, in order.
ROUTE_DEMAND_COLUMNS = ("workload", "route", "period", "scenario", "input_tokens", "cached_input_tokens",
                        "output_tokens", "requests", "accuracy")
#: Token columns of the frame [tokens per period].
TOKEN_COLUMNS = ("input_tokens", "cached_input_tokens", "output_tokens")


@dataclass(frozen=True)
class LeverRoute:
    """One route the levers send calls to: ``route`` (a model name, or ``""``), the share of the
    workload's calls that reach it [-] (a cascade's stages add up to more than 1: every stage
    reached is called) and the accuracy of its answers [-] (NaN when unknown)."""

    route: str
    call_share: float
    accuracy: float = float("nan")


def lever_routes(workload: Mapping) -> list[LeverRoute]:
    """Where a workload's calls go: its ``model``, its ``routing`` (split, cascade or threshold
    router), or one route ``""`` without either.

    A threshold router's two routes carry the accuracy replayed on per-query correctness
    (:func:`threshold_quality`): the strong model's on the queries it is sent, the weak model's
    on the rest. Other routes carry the workload's declared ``accuracy`` (NaN without one).
    """
    declared = float(workload.get("accuracy", np.nan))
    if "model" in workload:
        return [LeverRoute(str(workload["model"]), 1.0, declared)]
    if "routing" not in workload:
        return [LeverRoute("", 1.0, declared)]
    kind, spec = next(iter(workload["routing"].items()))
    if kind == "split":
        return [LeverRoute(str(m), float(s), declared) for m, s in spec.items()]
    if kind == "cascade":
        reach = np.cumprod([1.0, *spec["escalation"]])
        return [LeverRoute(str(m), float(r), declared) for m, r in zip(spec["models"], reach, strict=True)]
    p = float(spec["strong_share"])
    _, strong_side, weak_side, _ = threshold_quality(spec["data"], spec.get("benchmark"), p)
    return [LeverRoute(str(spec["strong"]), p, strong_side), LeverRoute(str(spec["weak"]), 1 - p, weak_side)]


@lru_cache(maxsize=16)
def threshold_quality(data: str, benchmark: str | None, strong_share: float) -> tuple[float, float, float, pd.DataFrame]:
    """A domain router learned on half the prompts, replayed on the other half at ``strong_share``.

    Returns
    -------
    tuple
        ``(accuracy, strong_side, weak_side, curve)``: the router's accuracy interpolated on its
        cost-quality curve [-], the strong model's accuracy on the queries sent to it and the weak
        model's on the others [-] (:func:`planner.simulate.routing.split_accuracy`), and the curve.
    """
    frame = routing.load_correctness(data, benchmark, drop_contaminated=True)
    train = frame.sample(frac=0.5, random_state=0)
    test = frame.drop(train.index)
    scores = routing.domain_scores(train, test)
    curve = routing.router_curve(scores, test["weak_correct"], test["strong_correct"])
    acc = float(np.interp(strong_share, curve["strong_share"], curve["accuracy"]))
    strong_side, weak_side, _ = routing.split_accuracy(scores, test["weak_correct"], test["strong_correct"], strong_share)
    return acc, strong_side, weak_side, curve


def draw_lengths(workload: Mapping, rng: np.random.Generator, draws: int,
                 sample_requests: int = 500) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per draw: mean input and output tokens per call after trimming and output caps [tokens],
    and the semantic cache's hit rate [-].

    ``sample_requests`` token lengths per draw come from the workload's ``input_tokens`` and
    ``output_tokens`` (lognormal with ``mean`` and ``cv``, or resampled from a ``trace``); the
    hit rate is drawn uniformly within ``semantic_cache.hit_rate`` when that is a range.
    """
    inp = _lengths(workload["input_tokens"], rng, draws, sample_requests, "ContextTokens")
    out = _lengths(workload["output_tokens"], rng, draws, sample_requests, "GeneratedTokens")
    inp = np.maximum(inp - workload.get("trim_system_tokens", 0), 1.0)
    if "max_output_tokens" in workload:
        out = np.minimum(out, workload["max_output_tokens"])
    hit = _hit_rate(workload.get("semantic_cache", {}).get("hit_rate", 0), rng, draws)
    return inp.mean(axis=1), out.mean(axis=1), hit


def lever_calls(workload: Mapping, requests: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Model calls [calls per period] from requests (draws x periods): the semantic cache answers
    ``hit`` (per draw) of them, and an agent makes E[min(N, step limit)] calls per task
    (:func:`planner.simulate.agents.calls_per_task`)."""
    fan_out = 1.0
    if "agent" in workload:
        fan_out = agents.calls_per_task(workload["agent"].get("calls_per_task", 1.0),
                                        workload["agent"].get("step_limit", np.inf))
    return np.asarray(requests, float) * fan_out * (1 - np.asarray(hit, float))[:, None]


def call_tokens(workload: Mapping, mean_input: np.ndarray, mean_output: np.ndarray,
                min_cacheable_tokens: float = 0.0, cached_input: float = 0.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tokens per call by kind [tokens]: input billed at the input price, read from the prompt
    cache, and output.

    With ``prompt_cache`` and a prefix (``system_prompt_tokens`` less ``trim_system_tokens``) of
    at least ``min_cacheable_tokens``, the prefix is split into reads and writes
    (:func:`planner.simulate.caching.prefix_split`); writes stay in the input tokens. Without it,
    ``cached_input`` tokens per call (a figure the user measured) are the cache reads.
    """
    mean_input, mean_output = np.asarray(mean_input, float), np.asarray(mean_output, float)
    prefix = max(workload.get("system_prompt_tokens", 0) - workload.get("trim_system_tokens", 0), 0)
    if "prompt_cache" in workload and prefix > 0 and prefix >= min_cacheable_tokens:
        reads, writes = caching.prefix_split(prefix, workload["prompt_cache"].get("requests_per_ttl", 1))
        return np.maximum(mean_input - prefix, 0) + writes, np.full_like(mean_input, reads), mean_output
    cached = np.minimum(float(cached_input), mean_input)
    return mean_input - cached, cached, mean_output


def min_cacheable(model: str) -> float:
    """The model's minimum cacheable prefix [tokens] from the price catalog (0 for ``""``)."""
    if not model:
        return 0.0
    from planner import catalog

    value = catalog.model_price(model).get("min_cacheable_tokens", 0.0)
    return float(value) if value == value and value is not None else 0.0


def cache_multipliers(price: Mapping, ttl: str = "5m") -> tuple[float, float]:
    """Prompt-cache write and read prices of a model relative to its input price [-]: its own
    catalog prices when it has them, else its provider's rules (:func:`planner.catalog.cache_rules`)."""
    from planner import catalog

    rules = catalog.cache_rules(price["provider"], price["model"])
    one_hour = ttl == "1h"
    base = price["input_usd_per_token"]
    read = price["cache_read_usd_per_token"] / base if np.isfinite(price["cache_read_usd_per_token"]) \
        else rules["read_multiplier"]
    own_write = price["cache_write_1h_usd_per_token"] if one_hour else price["cache_write_usd_per_token"]
    write = own_write / base if np.isfinite(own_write) else \
        (rules["write_multiplier_1h"] if one_hour and np.isfinite(rules["write_multiplier_1h"]) else rules["write_multiplier"])
    return float(write), float(read)


def route_demand(requests: pd.DataFrame, workload: Mapping, name: str | None = None, seed: int = 0,
                 sample_requests: int = 500, cached_input: float = 0.0) -> pd.DataFrame:
    """The per-route demand frame of one workload from its request paths.

    Parameters
    ----------
    requests : pandas.DataFrame
        ``period, scenario, requests`` [requests per period] (e.g. forecast sample paths).
    workload : mapping
        The workload's levers in the scenario schema (:mod:`planner.simulate.scenario`): token
        lengths ``input_tokens`` / ``output_tokens`` and any of ``model``, ``routing``,
        ``system_prompt_tokens``, ``trim_system_tokens``, ``max_output_tokens``,
        ``prompt_cache``, ``semantic_cache``, ``accuracy``, ``agent``.
    name : str, optional
        The workload's name (default ``workload["name"]``).
    seed : int
        Seed of the token-length and hit-rate draws, one draw per scenario in sorted order.
    sample_requests : int
        Requests sampled per scenario for the token lengths (no effect when their ``cv`` is 0).
    cached_input : float
        Tokens per call already read from a prompt cache [tokens] (without a ``prompt_cache`` lever).

    Returns
    -------
    pandas.DataFrame
        :data:`ROUTE_DEMAND_COLUMNS`, sorted by route, scenario and period.
    """
    name = str(name if name is not None else workload.get("name", ""))
    wide = requests.pivot_table(index="scenario", columns="period", values="requests", aggfunc="sum").sort_index()
    scenarios, periods = wide.index.to_numpy(), pd.DatetimeIndex(wide.columns)
    values = wide.to_numpy(float)
    if np.isnan(values).any():
        raise InputError(f"workload {name}: the request paths do not cover every period in every scenario")
    rng = np.random.default_rng(seed)
    mean_in, mean_out, hit = draw_lengths(workload, rng, len(scenarios), sample_requests)
    calls = lever_calls(workload, values, hit)
    frames = []
    for lr in lever_routes(workload):
        inp, cached, out = call_tokens(workload, mean_in, mean_out, min_cacheable(lr.route), cached_input)
        c = calls * lr.call_share
        frames.append(_frame(name, lr.route, periods, scenarios, c, inp, cached, out, lr.accuracy))
    return pd.concat(frames, ignore_index=True)


def _frame(workload: str, route: str, periods, scenarios, calls: np.ndarray, inp: np.ndarray, cached: np.ndarray,
           out: np.ndarray, accuracy: float) -> pd.DataFrame:
    """Long rows of one route: ``calls`` (scenarios x periods), tokens per call per scenario."""
    k, t = calls.shape
    return pd.DataFrame({
        "workload": workload, "route": route, "period": np.tile(np.asarray(periods), k),
        "scenario": np.repeat(np.asarray(scenarios), t),
        "input_tokens": (calls * inp[:, None]).ravel(), "cached_input_tokens": (calls * cached[:, None]).ravel(),
        "output_tokens": (calls * out[:, None]).ravel(), "requests": calls.ravel(), "accuracy": accuracy})


def check_route_demand(frame: pd.DataFrame, what: str = "route demand") -> pd.DataFrame:
    """Validate a per-route demand frame; return it with typed columns.

    ``requests`` and ``accuracy`` may be missing (then NaN); every other column of
    :data:`ROUTE_DEMAND_COLUMNS` must be there. Counts must be numbers >= 0, ``accuracy`` a
    share in [0, 1] or empty, ``period`` a timestamp, and a (workload, route, period, scenario)
    given once. Raises :class:`~planner.exceptions.InputError` naming the column and rows.
    """
    from planner.usage._io import numeric, require_columns, rows_text

    require_columns(frame, [c for c in ROUTE_DEMAND_COLUMNS if c not in ("requests", "accuracy")], what,
                    label="route-demand")
    out = pd.DataFrame({"workload": frame["workload"].astype(str), "route": frame["route"].fillna("").astype(str)})
    period = pd.to_datetime(frame["period"], errors="coerce", format="mixed")
    if period.isna().any():
        bad = period.isna().to_numpy()
        raise InputError(f"{what}: column 'period' must be a timestamp at {rows_text(bad)} (found "
                         f"{frame['period'][bad].iloc[0]!r}); a scenario gives dates with start: (e.g. start: 2026-01)")
    out["period"] = period.dt.tz_localize(None) if period.dt.tz is not None else period
    out["scenario"] = frame["scenario"]
    for col in (*TOKEN_COLUMNS, "requests"):
        out[col] = numeric(frame, col, what, missing="error") if col in frame.columns else np.nan
    acc = numeric(frame, "accuracy", what, missing="keep") if "accuracy" in frame.columns else pd.Series(np.nan, frame.index)
    bad = (acc > 1).to_numpy()
    if bad.any():
        raise InputError(f"{what}: column 'accuracy' must be a share in [0, 1] at {rows_text(bad)}")
    out["accuracy"] = acc
    dup = out.duplicated(["workload", "route", "period", "scenario"], keep=False).to_numpy()
    if dup.any():
        raise InputError(f"{what}: {rows_text(dup)} repeat a workload, route, period and scenario; give each once")
    return out.reset_index(drop=True)


def read_route_demand(path: str | Path, what: str | None = None, what_if: str | None = None) -> pd.DataFrame:
    """Read a per-route demand file (e.g. the ``route_demand.csv`` of ``planner simulate``) with
    :func:`check_route_demand`.

    A file of several what-if scenarios (a ``what_if`` column, as ``planner simulate --compare``
    writes) needs ``what_if`` to pick one.
    """
    from planner.usage._io import read_frame

    what = what or str(path)
    frame = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    if "what_if" in frame.columns:
        names = sorted(frame["what_if"].astype(str).unique())
        if what_if is None and len(names) > 1:
            raise InputError(f"{what}: holds the what-if scenarios {names}; name one (what_if)")
        if what_if is not None:
            if what_if not in names:
                raise InputError(f"{what}: no what-if scenario {what_if!r}; it holds {names}")
            frame = frame[frame["what_if"].astype(str) == what_if]
    elif what_if is not None:
        raise InputError(f"{what}: has no what_if column to pick {what_if!r} from")
    return check_route_demand(frame.reset_index(drop=True), what)


def _hit_rate(spec, rng: np.random.Generator, draws: int) -> np.ndarray:
    if isinstance(spec, dict):
        return rng.uniform(spec.get("low", 0.0), spec.get("high", 0.0), draws)
    return np.full(draws, float(spec))


def _lengths(spec: Mapping, rng: np.random.Generator, draws: int, n: int, column: str) -> np.ndarray:
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
    from planner.exceptions import ScenarioError
    from planner.usage._io import numeric, read_frame, require_columns

    try:
        frame = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
        require_columns(frame, [column], path, label="trace")
        return numeric(frame, column, path).to_numpy(dtype=float)
    except InputError as exc:
        raise ScenarioError(f"{exc} (a token-length trace of the scenario)") from None
