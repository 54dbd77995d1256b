"""One planning loop: levers feed the plan through the per-route demand frame; quality as a
constraint; commitments priced over their whole term in sold units; the evidence rule for terms;
provisioned throughput with real terms; CVaR at weight 1."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import catalog
from planner.cli import main
from planner.exceptions import InputError, PlannerWarning
from planner.optimize import PlanProblem, Pool, Route, Workload, lp, plan
from planner.optimize.aggregate import aggregate
from planner.optimize.problem import load_problem
from planner.simulate import routing
from planner.simulate.demand import ROUTE_DEMAND_COLUMNS, route_demand, threshold_quality


def _paths(tmp_path, hours=24 * 14, scenarios=4, level=2_000.0, seed=0, start="2026-01-05"):
    """Ready request paths ``ds, sample, y`` [requests per hour] written to a file."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=hours, freq="h")
    t = np.arange(hours)
    rows = [pd.DataFrame({"ds": ds, "sample": k,
                          "y": level * (1 + 0.5 * np.sin(2 * np.pi * t / 24)) * rng.lognormal(0, 0.2, hours)})
            for k in range(scenarios)]
    path = tmp_path / "paths.csv"
    pd.concat(rows).to_csv(path, index=False)
    return path


ROUTER = {"threshold": {"data": None, "benchmark": "mmlu", "strong": "gpt-4o", "weak": "gpt-4o-mini",
                        "strong_share": 0.3}}


def _config(tmp_path, samples, levers=None, **extra):
    router = {"threshold": {**ROUTER["threshold"], "data": str(samples / "routellm_correctness.csv")}}
    wl = {"name": "chat", "demand": {"paths": str(_paths(tmp_path)), "history_days": 14},
          "tokens_per_request": {"input": 1500, "output": 200},
          "routes": [{"api": "gpt-4o", "tier": "frontier"}, {"api": "gpt-4o-mini"},
                     {"selfhost": "llama-8b", "gpu_type": "H100", "serves": ["gpt-4o-mini"], "accuracy": 0.694}]}
    if levers is not None:
        wl["levers"] = {k: (router if v == "router" else v) for k, v in levers.items()}
    config = {"freq": "h", "block": "W-MON", "slices": 4,
              "pools": [{"gpu_type": "H100", "cloud": "aws", "instance_type": "p5.48xlarge"}], "workloads": [wl],
              **extra}
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


CACHE_AND_ROUTER = {"system_prompt_tokens": 1200, "prompt_cache": {"requests_per_ttl": 10}, "routing": "router"}


def test_lp_demand_per_route_is_the_simulators_frame(tmp_path, samples):
    """The optimizer reads exactly the frame the simulator computes from the same request paths,
    and the plan serves every token of each route's demand."""
    config = _config(tmp_path, samples, CACHE_AND_ROUTER)
    problem, options = load_problem(config)
    paths = pd.read_csv(tmp_path / "paths.csv", parse_dates=["ds"])
    requests = pd.DataFrame({"period": paths["ds"], "scenario": paths["sample"].astype(str), "requests": paths["y"]})
    lever = {"input_tokens": {"mean": 1500.0}, "output_tokens": {"mean": 200.0},
             **{k: v for k, v in yaml.safe_load(config.read_text())["workloads"][0]["levers"].items()}}
    frame = route_demand(requests, lever, "chat", seed=0)
    assert list(problem.demand.columns) == list(ROUTE_DEMAND_COLUMNS)
    key = ["route", "scenario", "period"]
    got = problem.demand.sort_values(key).reset_index(drop=True)
    want = frame.sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got[list(ROUTE_DEMAND_COLUMNS)], want[list(ROUTE_DEMAND_COLUMNS)], check_dtype=False)
    # the router splits calls 30/70 and caching reads 1,200 x 9/10 tokens per call from the cache
    calls = frame.groupby("route")["requests"].sum()
    assert calls["gpt-4o"] / calls.sum() == pytest.approx(0.3)
    assert (frame["cached_input_tokens"] / frame["requests"]).to_numpy() == pytest.approx(1080.0)
    assert ((frame["input_tokens"] + frame["cached_input_tokens"]) / frame["requests"]).to_numpy() == pytest.approx(1500.0)
    # the LP's tokens per route, over the horizon and the scenarios, are the frame's (aggregation keeps totals)
    result = plan(config)
    served = result.routes.groupby("demand_route")["tokens"].sum()
    expected = frame.assign(tokens=frame[["input_tokens", "cached_input_tokens", "output_tokens"]].sum(axis=1)) \
        .groupby("route")["tokens"].sum() / frame["scenario"].nunique()
    assert result.summary["unserved_tokens_expected"] == pytest.approx(0.0, abs=1.0)
    assert served.to_dict() == pytest.approx(expected.to_dict(), rel=1e-9)


def test_engine_and_plan_share_one_lever_path(samples):
    """``planner simulate``'s per-route frame for a workload is route_demand of its requests with the same draws."""
    from planner.simulate import simulate
    from planner.simulate.engine import monthly_requests

    scenario = {"name": "s", "months": 3, "start": "2026-01", "requests_per_month": 1e6, "growth_pct_per_month": 5,
                "workloads": [{"name": "chat", "share": 1.0, "input_tokens": {"mean": 1500, "cv": 0.5},
                               "output_tokens": {"mean": 200, "cv": 0.8}, "max_output_tokens": 300,
                               "system_prompt_tokens": 1200, "prompt_cache": {"requests_per_ttl": 10},
                               "semantic_cache": {"hit_rate": {"low": 0.1, "high": 0.2}},
                               "routing": {"threshold": {**ROUTER["threshold"],
                                                         "data": str(samples / "routellm_correctness.csv")}}}]}
    draws = 6
    sim = simulate(scenario, draws=draws, seed=3).route_demand()
    months = pd.date_range("2026-01-01", periods=3, freq="MS")
    volume = monthly_requests(scenario)
    requests = pd.DataFrame({"period": np.tile(months, draws), "scenario": np.repeat(np.arange(draws), 3),
                             "requests": np.tile(volume, draws)})
    own = route_demand(requests, scenario["workloads"][0], "chat", seed=3)
    key = ["route", "scenario", "period"]
    pd.testing.assert_frame_equal(sim.sort_values(key).reset_index(drop=True), own.sort_values(key).reset_index(drop=True),
                                  check_dtype=False)


def test_plan_reads_the_simulators_route_demand_file(tmp_path, samples, capsys):
    """What ``planner simulate`` writes as route_demand.csv, ``planner plan`` plans on."""
    scenario = tmp_path / "s.yaml"
    scenario.write_text(yaml.safe_dump({"name": "s", "months": 4, "start": "2026-01", "requests_per_month": 2e6,
                                        "workloads": [{"name": "chat", "share": 1.0, "input_tokens": {"mean": 800},
                                                       "output_tokens": {"mean": 150}, "model": "gpt-4o-mini"}]}))
    assert main(["simulate", str(scenario), "--output", str(tmp_path / "sim"), "--draws", "20",
                 "--demand-draws", "5"]) == 0
    written = pd.read_csv(tmp_path / "sim" / "route_demand.csv")
    assert set(ROUTE_DEMAND_COLUMNS) <= set(written.columns) and written["scenario"].nunique() == 5
    config = tmp_path / "p.yaml"
    config.write_text(yaml.safe_dump({
        "freq": "MS", "block": "MS", "min_history_share": 0,
        "pools": [{"gpu_type": "H100", "cloud": "aws", "instance_type": "p5.48xlarge"}],
        "workloads": [{"name": "chat", "tokens_per_request": {"input": 800, "output": 150},
                       "demand": {"route_demand": str(tmp_path / "sim" / "route_demand.csv")},
                       "routes": [{"api": "gpt-4o-mini"}, {"selfhost": "llama-8b", "gpu_type": "H100"}]}]}))
    problem, _ = load_problem(config)
    assert problem.demand["output_tokens"].sum() == pytest.approx(written["output_tokens"].sum())
    assert main(["plan", str(config), "--output", str(tmp_path / "plan")]) == 0
    capsys.readouterr()


def test_min_accuracy_is_honoured_with_the_closed_form_mix(tmp_path):
    """Two API routes, 0.6 and 0.9 right: a 0.8 floor puts exactly 2/3 of the calls on the better one."""
    rng = np.random.default_rng(1)
    ds = pd.date_range("2026-01-05", periods=48, freq="h")
    req = rng.uniform(100, 200, (2, 48))
    demand = pd.DataFrame({"workload": "qa", "route": "", "period": np.tile(ds, 2), "scenario": np.repeat([0, 1], 48),
                           "input_tokens": req.ravel() * 500, "cached_input_tokens": 0.0,
                           "output_tokens": req.ravel() * 100, "requests": req.ravel(), "accuracy": np.nan})
    cheap = Route("api:cheap", "api", usd_per_input_token=1e-7, usd_per_output_token=4e-7, accuracy=0.6)
    good = Route("api:good", "api", usd_per_input_token=2e-6, usd_per_output_token=8e-6, accuracy=0.9)

    def run(floor):
        wl = Workload("qa", (cheap, good), min_accuracy=floor)
        return plan(PlanProblem([Pool("H100", 7.0, {"1y": 4.5})], [wl], demand, charge_full_term=False))

    free, held = run(None), run(0.8)
    assert free.workloads.loc[0, "expected_accuracy"] == pytest.approx(0.6)
    assert held.workloads.loc[0, "expected_accuracy"] == pytest.approx(0.8, abs=1e-9)
    shares = held.routes.groupby("route")["requests"].sum() / held.routes["requests"].sum()
    assert shares["api:good"] == pytest.approx(2 / 3, abs=1e-9)
    assert held.summary["expected_cost_usd"] > free.summary["expected_cost_usd"]
    assert held.summary["accuracy"] == {"qa": pytest.approx(0.8)}


def test_accuracy_recovery_scales_a_selfhosted_routes_accuracy_in_the_closed_form_mix():
    """A cheap self-hosted route declared 0.8 right (the unquantized model) at a published recovery
    of 0.75 counts as 0.6; against an API route 0.9 right, a 0.8 floor then needs
    (0.8 - 0.6) / (0.9 - 0.6) = 2/3 of the calls on the API. At recovery 1 the self-hosted route
    meets the floor alone; with none published it counts as declared, and the plan warns."""
    ds = pd.date_range("2026-01-05", periods=48, freq="h")
    req = np.random.default_rng(2).uniform(100, 200, 48)
    demand = pd.DataFrame({"workload": "qa", "route": "", "period": ds, "scenario": 0, "input_tokens": req * 500,
                           "cached_input_tokens": 0.0, "output_tokens": req * 100, "requests": req, "accuracy": np.nan})
    api = Route("api:good", "api", usd_per_input_token=2e-6, usd_per_output_token=8e-6, accuracy=0.9)

    def run(recovery):
        hosted = Route("selfhost:m/fp8/vllm@H100", "selfhost", pool="H100", output_tokens_per_gpu_hour=1e7,
                       accuracy=0.8, accuracy_recovery=recovery)
        wl = Workload("qa", (api, hosted), min_accuracy=0.8)
        result = plan(PlanProblem([Pool("H100", 7.0, {})], [wl], demand, charge_full_term=False), slices=None)
        return result, result.routes.groupby("route")["requests"].sum() / result.routes["requests"].sum()

    scaled, shares = run(0.75)
    assert shares["api:good"] == pytest.approx(2 / 3, abs=1e-9)
    assert scaled.routes.groupby("route")["accuracy"].first()["selfhost:m/fp8/vllm@H100"] == pytest.approx(0.6)
    assert scaled.summary["accuracy"]["qa"] == pytest.approx(0.8)
    unscaled, shares = run(1.0)
    assert shares["api:good"] == pytest.approx(0.0, abs=1e-9)
    assert unscaled.summary["accuracy"]["qa"] == pytest.approx(0.8)
    with pytest.warns(PlannerWarning, match=r"min_accuracy counts selfhost:m/fp8/vllm@H100 at the declared accuracy"):
        _, shares = run(float("nan"))
    assert shares["api:good"] == pytest.approx(0.0, abs=1e-9)


def test_min_accuracy_recovery_drops_routes_below_it(tmp_path, samples):
    """``min_accuracy_recovery`` keeps the routes whose published recovery is not below it; a floor
    no route meets is refused with its key path."""
    config = yaml.safe_load(_config(tmp_path, samples).read_text())
    config["workloads"][0]["routes"][2].update({"selfhost": "llama-3.1-8b", "engine": "tensorrt-llm", "precision": "fp8"})
    config["workloads"][0]["min_accuracy_recovery"] = 0.99
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(config))
    problem, _ = load_problem(path)
    names = [r.name for r in problem.workloads[0].routes]
    assert names[-1] == "selfhost:llama-3.1-8b/fp8/tensorrt-llm@H100@aws" and len(names) == 3  # 0.9953 >= 0.99
    config["workloads"][0]["min_accuracy_recovery"] = 0.999
    path.write_text(yaml.safe_dump(config))
    problem, _ = load_problem(path)
    assert [r.kind for r in problem.workloads[0].routes] == ["api", "api"]  # the API routes' recovery is 1
    config["workloads"][0]["routes"] = config["workloads"][0]["routes"][2:]
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(InputError, match=r"workloads\[0\]\.min_accuracy_recovery: 0\.999 leaves no route"):
        load_problem(path)


def test_threshold_router_streams_carry_their_replayed_accuracy(tmp_path, samples):
    """Under the router each side carries its own replayed accuracy; together they are the router's."""
    result = plan(_config(tmp_path, samples, {"routing": "router"}))
    frame = routing.load_correctness(samples / "routellm_correctness.csv", "mmlu", drop_contaminated=True)
    train = frame.sample(frac=0.5, random_state=0)
    test = frame.drop(train.index)
    strong, weak, _ = routing.split_accuracy(routing.domain_scores(train, test), test["weak_correct"],
                                             test["strong_correct"], 0.3)
    acc = result.routes.groupby(["demand_route", "route"])["accuracy"].first()
    assert acc[("gpt-4o", "api:gpt-4o")] == pytest.approx(strong)
    assert acc[("gpt-4o-mini", "api:gpt-4o-mini")] == pytest.approx(weak)
    hosted = next(r for r in result.routes["route"].unique() if r.startswith("selfhost:"))
    assert hosted.startswith("selfhost:llama-3.1-8b/fp8/") and hosted.endswith("@H100@aws")
    # declared on the route (the unquantized model's), times FP8's published recovery
    recovery = catalog.precision_recovery("llama-3.1-8b", "fp8").recovery
    assert 0.99 < recovery < 1
    assert acc[("gpt-4o-mini", hosted)] == pytest.approx(0.694 * recovery)
    assert ("gpt-4o", hosted) not in acc.index  # it serves only the weak side
    router_acc, _, _, _ = threshold_quality(str(samples / "routellm_correctness.csv"), "mmlu", 0.3)
    assert 0.3 * strong + 0.7 * weak == pytest.approx(router_acc, abs=2e-4)


def _const(hours=24 * 14, gpus=20.3, tpg=1e6, start="2026-01-05"):
    ds = pd.date_range(start, periods=hours, freq="h")
    out = np.full(hours, gpus * tpg)
    return pd.DataFrame({"workload": "w", "period": ds, "scenario": 0, "input_tokens": 0.0, "cached_input_tokens": 0.0,
                         "output_tokens": out})


def _one_pool(demand, **kw):
    pool = Pool("H100", 10.0, {"1y": 6.0, "3y": 4.0}, gpus_per_unit=8, unit="8-GPU instance", cloud="aws")
    route = Route("selfhost", "selfhost", pool="H100@aws", output_tokens_per_gpu_hour=1e6)
    return PlanProblem([pool], [Workload("w", (route,))], demand, block="W-MON", **kw)


def test_whole_term_obligation_in_sold_units():
    """Constant demand of 20.3 GPUs held after the horizon: 3 whole 8-GPU instances on the cheaper
    3-year term, charged for all 36 months, the obligation printed in full."""
    result = plan(_one_pool(_const()), slices=None)
    bought = result.purchases
    assert list(bought["term"]) == ["3y"] and bought["units"].iloc[0] == 3 and bought["gpus"].iloc[0] == 24
    start = pd.Timestamp(bought["start"].iloc[0])  # week 1 or 2: with demand held either covers as many hours
    term_hours = (start + pd.DateOffset(months=36) - start) / pd.Timedelta(hours=1)
    assert bought["obligation_usd"].iloc[0] == pytest.approx(24 * 4.0 * term_hours)
    inside = (pd.Timestamp("2026-01-19") - start) / pd.Timedelta(hours=1)
    assert bought["in_horizon_usd"].iloc[0] == pytest.approx(24 * 4.0 * inside)
    assert result.summary["window"]["end"][:10] == "2029-01-12"  # a 3-year term bought in the last week ends there
    assert result.summary["rounding_cost_usd"] >= -1e-6  # the LP relaxation is a lower bound
    fractional = plan(_one_pool(_const(), whole_units=False), slices=None)
    assert fractional.purchases["gpus"].sum() == pytest.approx(20.3, rel=1e-6)
    # only the horizon's share charged (the old default): the same 3-year term looks 36 x cheaper
    inside = plan(_one_pool(_const(), charge_full_term=False, whole_units=False), slices=None)
    assert inside.purchases["obligation_usd"].iloc[0] == pytest.approx(fractional.purchases["obligation_usd"].iloc[0])
    assert inside.summary["window"]["months"] < 0.5


def test_declining_demand_shortens_or_drops_the_term():
    """A 10 %/month decline after the horizon makes a 3-year term a poor buy: the plan holds less of it."""
    held = plan(_one_pool(_const(), whole_units=False), slices=None)
    decline = plan(_one_pool(_const(), whole_units=False, after_horizon="decline", decline_pct_per_month=10.0),
                   slices=None)
    three = lambda p: p.purchases.loc[p.purchases["term"] == "3y", "gpus"].sum()  # noqa: E731
    assert three(decline) < three(held)
    assert decline.summary["expected_cost_usd"] < held.summary["expected_cost_usd"]  # less demand to pay for


def test_evidence_rule_withholds_terms_the_history_does_not_cover():
    """Two weeks of history: no 1- or 3-year term (they need 91 and 274 days at the default 0.25);
    nine months of declared history allow both."""
    short = plan(_one_pool(_const(), history_days={"w": 14.0}), slices=None)
    assert short.purchases.empty
    withheld = short.summary["evidence_rule"]["withheld"]
    assert any("3y" in w and "274 days" in w for w in withheld) and any("1y" in w and "91 days" in w for w in withheld)
    long = plan(_one_pool(_const(), history_days={"w": 275.0}), slices=None)
    assert set(long.purchases["term"]) == {"3y"}
    lax = plan(_one_pool(_const(), history_days={"w": 14.0}, min_history_share=0.0), slices=None)
    assert not lax.purchases.empty


@pytest.mark.slow
def test_example_plan_buys_no_3y_term_from_two_weeks_and_prints_obligations(capsys, tmp_path):
    """``planner plan plans/servegen.yaml``: two weeks of ServeGen history, no 3-year term, and the
    whole obligation next to every purchase."""
    from pathlib import Path

    config = Path(__file__).resolve().parents[1] / "plans" / "servegen.yaml"
    assert main(["plan", str(config), "--output", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    assert "not offered: H100@aws 3y: the history covers 14.0 days; a 3y term needs 274 days" in text
    purchases = pd.read_csv(tmp_path / "out" / "purchases.csv")
    assert "3y" not in set(purchases["term"])
    assert purchases["obligation_usd"].notna().all()
    for row in purchases.itertuples():
        assert f"{row.obligation_usd:,.0f}" in text or f"{row.obligation_usd / 1e6:,.4g}M" in text
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["window"]["charge_full_term"] and summary["horizon"]["days"] == pytest.approx(14.0)


def test_provisioned_throughput_from_the_catalog_with_its_terms(tmp_path, samples):
    """Azure's 1-month PTU price from the catalog (260 USD per PTU-month), bought from 15 units in
    steps of 5; a contract price replaces it; cached tokens do not count against the units."""
    config = yaml.safe_load(_config(tmp_path, samples).read_text())
    config["workloads"][0]["routes"].append({"provisioned": "ptu", "tier": "frontier"})
    config["workloads"][0]["min_share"] = {"frontier": 0.5}  # half on gpt-4o: the API or the provisioned units
    config["provisioned"] = [{"name": "ptu", "model": "gpt-4o", "offer": "azure-global", "term": "1m"}]
    path = tmp_path / "ptu.yaml"
    path.write_text(yaml.safe_dump(config))
    problem, _ = load_problem(path)
    ptu = problem.provisioned[0]
    assert ptu.usd_per_unit_hour == pytest.approx(260 / 730, rel=1e-5)
    assert (ptu.min_units, ptu.unit_increment, ptu.output_token_weight, ptu.cached_input_weight) == (15, 5, 4, 0)
    assert "260 USD per PTU-month" in ptu.source
    config["provisioned"][0]["usd_per_unit_hour"] = 0.1  # a negotiated price
    path.write_text(yaml.safe_dump(config))
    result = plan(path)
    bought = result.purchases.query("kind == 'provisioned'")
    assert len(bought) == 1
    units = bought["units"].iloc[0]
    assert units >= 15 and units % 5 == 0
    start = pd.Timestamp(bought["start"].iloc[0])
    month_hours = (start + pd.DateOffset(months=1) - start) / pd.Timedelta(hours=1)
    assert bought["obligation_usd"].iloc[0] == pytest.approx(units * 0.1 * month_hours)


def test_cvar_weight_one_still_prices_every_scenario():
    """With all weight on CVaR the recourse outside the tail is re-optimized for expected cost: each
    scenario's cost is its own optimum given the commitments (not one number for all)."""
    rng = np.random.default_rng(3)
    ds = pd.date_range("2026-01-05", periods=72, freq="h")
    rows = [pd.DataFrame({"workload": "w", "period": ds, "scenario": k, "input_tokens": 0.0, "cached_input_tokens": 0.0,
                          "output_tokens": rng.uniform(5, 30, 72) * 1e6 * (1 + k / 5)}) for k in range(8)]
    demand = pd.concat(rows)
    route = Route("selfhost", "selfhost", pool="H100", output_tokens_per_gpu_hour=1e6)
    kw = {"charge_full_term": False, "whole_units": False, "cvar_alpha": 0.75}
    averse = PlanProblem([Pool("H100", 7.0, {"1y": 4.5})], [Workload("w", (route,))], demand, cvar_weight=1.0, **kw)
    result = plan(averse, slices=None)
    costs = result.scenarios["cost_usd"].to_numpy()
    assert len(np.unique(np.round(costs, 2))) == 8
    assert result.summary["expected_cost_usd"] == pytest.approx(costs.mean())
    neutral = PlanProblem([Pool("H100", 7.0, {"1y": 4.5})], [Workload("w", (route,))], demand, cvar_weight=0.0, **kw)
    neutral.validate()
    reserve = {(0, "1y", b): result.purchases.loc[result.purchases["start"] == s, "units"].sum()
               for b, s in enumerate(aggregate(neutral, None).blocks)}
    priced = lp.solve_capacity(neutral, aggregate(neutral, None), fixed={"reserve": reserve, "provisioned": {}})
    assert costs == pytest.approx(priced["scenario_cost"], rel=1e-7)


def test_lever_sets_side_by_side_on_the_cli(tmp_path, samples, capsys):
    """``planner plan`` with lever sets writes one plan per set and prints cost, accuracy and what to buy."""
    config = yaml.safe_load(_config(tmp_path, samples).read_text())
    config["lever_sets"] = [{"name": "as today"}, {"name": "caching + router",
                                                   "levers": {"chat": {k: (ROUTER | {"threshold": {
                                                       **ROUTER["threshold"], "data": str(samples / "routellm_correctness.csv")}})
                                                       if v == "router" else v for k, v in CACHE_AND_ROUTER.items()}}}]
    config["workloads"][0]["routes"][0]["accuracy"] = 0.806
    config["workloads"][0]["routes"][1]["accuracy"] = 0.681
    config["workloads"][0]["min_accuracy"] = 0.74
    path = tmp_path / "sets.yaml"
    path.write_text(yaml.safe_dump(config))
    assert main(["plan", str(path), "--output", str(tmp_path / "out")]) == 0
    text = capsys.readouterr().out
    table = pd.read_csv(tmp_path / "out" / "lever_sets.csv").set_index("lever_set")
    assert list(table.index) == ["as today", "caching + router"]
    assert {"horizon_cost_usd", "window_cost_usd", "obligation_usd", "accuracy chat", "buy"} <= set(table.columns)
    assert (tmp_path / "out" / "as-today" / "purchases.csv").is_file()
    assert (tmp_path / "out" / "caching-router" / "workloads.csv").is_file()
    assert "lever set 'caching + router': expected accuracy chat 0." in text
    # at 74 % right, mixing gpt-4o with the self-hosted 8B model needs 41 % of calls on gpt-4o; the router
    # reaches it with its 30 % of hard calls on gpt-4o and the small model on the easy rest, which costs less
    assert table["accuracy chat"].to_numpy() == pytest.approx([0.74, 0.74], abs=1e-9)
    assert table.loc["caching + router", "horizon_cost_usd"] < table.loc["as today", "horizon_cost_usd"]
    assert main(["compare", str(path), "--output", str(tmp_path / "cmp")]) == 0
    compare = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert list(compare["lever_set"].unique()) == ["as today", "caching + router"]
    assert "H100@aws reserved GPUs" in compare.columns and "reserved_gpus" not in compare.columns


def test_after_horizon_forecast_scales_each_scenario_by_its_long_path(tmp_path, samples):
    """``after_horizon: forecast``: each scenario's last week continues at the level of the
    forecaster's daily path of the same index, month by month, to the end of the longest term."""
    config = {"freq": "h", "periods": 48, "block": "D", "scenarios": 4, "slices": 2, "min_history_share": 0,
              "after_horizon": "forecast",
              "pools": [{"gpu_type": "H100", "cloud": "aws", "instance_type": "p5.48xlarge", "terms": ["1y"]}],
              "workloads": [{"name": "w", "tokens_per_request": {"input": 100, "output": 1e5},
                             "demand": {"history": str(samples / "philly_busy_nodes_hourly.csv")},
                             "routes": [{"selfhost": "llama-8b", "gpu_type": "H100"}]}]}
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump(config))
    problem, _ = load_problem(path)
    table = problem.continuation
    assert set(table["name"]) == {"w"} and table["scenario"].nunique() == 4
    assert table["month"].max() == pytest.approx(11.5)  # months to the end of a 1-year term bought on the last day
    assert table["factor"].std() > 0  # the paths differ by scenario and month
    result = plan(path)
    assert "forecaster's long-horizon paths" in result.summary["window"]["after_horizon"]
    config["workloads"][0]["demand"] = {"paths": str(_paths(tmp_path)), "history_days": 30}
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(InputError, match=r"after_horizon forecast needs a history to forecast workloads\[0\]\.demand"):
        load_problem(path)
