"""Multi-pool capacity model: closed forms, brute force, aggregation error, invariants, risk, errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InfeasibleError, InputError
from planner.optimize import (
    PlanProblem,
    Pool,
    ProvisionedThroughput,
    Route,
    Workload,
    compare_plans,
    lp,
    plan,
)
from planner.optimize.aggregate import aggregate

TPG = 1e6  # output tokens per GPU-hour of the self-hosted route


def _demand(hours=24 * 14, scenarios=5, level=1e7, seed=0, growth=0.0, start="2026-01-05"):
    rng = np.random.default_rng(seed)
    ds = pd.date_range(start, periods=hours, freq="h")
    t = np.arange(hours)
    frames = []
    for k in range(scenarios):
        out = level * (1 + 0.5 * np.sin(2 * np.pi * t / 24)) * rng.lognormal(0, 0.25, hours) * (1 + growth * t / hours)
        frames.append(pd.DataFrame({"workload": "chat", "ds": ds, "scenario": k, "input_tokens": 3 * out,
                                    "cached_input_tokens": 0.0, "output_tokens": out}))
    return pd.concat(frames, ignore_index=True)


def _selfhost(pool="H100", **kw):
    return Route("selfhost", "selfhost", "open", pool=pool, output_tokens_per_gpu_hour=TPG, **kw)


def _api(inp=2.5e-6, out=1e-5, **kw):
    return Route("api", "api", kw.pop("tier", "frontier"), usd_per_input_token=inp, usd_per_output_token=out, **kw)


def _problem(demand, routes, pool=None, **kw):
    """One pool, one workload; by default priced inside the horizon with fractional GPUs (the closed
    forms below), unless the test asks for whole terms or sold units."""
    pool = pool or Pool("H100", on_demand=7.0, reserved={"1y": 4.5})
    unserved = kw.pop("unserved", None)
    min_share = kw.pop("min_share", {})
    kw = {"charge_full_term": False, "whole_units": False, **kw}
    return PlanProblem([pool], [Workload("chat", tuple(routes), min_share, unserved)], demand, **kw)


def test_newsvendor_quantile_and_its_shadow_price():
    demand = _demand()
    result = plan(_problem(demand, [_selfhost()]), slices=None)  # every hour is a cell: exact
    need = np.sort(demand["output_tokens"].to_numpy() / TPG)
    q = 1 - 4.5 / 7.0
    lo, hi = need[int(np.floor(q * len(need))) - 1], need[int(np.ceil(q * len(need)))]
    assert lo - 1e-6 <= result.purchases["units"].sum() <= hi + 1e-6
    # KKT: the expected marginal value of a GPU over the block equals the reserved price
    gpu = result.shadow_prices[result.shadow_prices["unit"] == "USD per GPU-hour"]
    assert gpu["value"].iloc[0] == pytest.approx(4.5, rel=1e-6)
    assert result.purchases["breakeven_utilization"].iloc[0] == pytest.approx(4.5 / 7.0)


def test_equals_brute_force_with_an_api_alternative_and_spot():
    demand = _demand(hours=24 * 7, scenarios=4)
    pool = Pool("H100", on_demand=7.0, reserved={"1y": 4.5}, spot=3.0, spot_max_share=0.3, spot_interruption=0.2)
    api = _api(inp=0.0, out=6e-6, tier="")  # 6 USD per GPU-hour of output: cheaper than on-demand
    result = plan(_problem(demand, [_selfhost(), api], pool=pool), slices=None)
    d = demand.pivot(index="scenario", columns="ds", values="output_tokens").to_numpy() / TPG  # GPUs needed

    def cost(r):  # closed-form recourse per hour: reserved first, then spot (capped), then the cheaper of API / OD
        rest = np.maximum(d - r, 0)
        # spot: at most 0.3 of the pool's capacity (r + od + s); 1 spot GPU serves 0.8; spot is the cheapest
        # per served GPU (3.0 / 0.8 = 3.75), then API at 6.0; API needs no capacity so od is never bought.
        spot = np.minimum(rest / 0.8, 0.3 / 0.7 * r)
        rest = rest - 0.8 * spot
        return 4.5 * r * d.shape[1] + (3.0 * spot + 6.0 * rest).sum(axis=1).mean()

    grid = np.linspace(0, d.max(), 4001)
    best = min(cost(r) for r in grid)
    assert result.summary["expected_cost_usd"] == pytest.approx(best, rel=2e-4)
    assert result.summary["expected_cost_usd"] <= best + 1e-6


def test_aggregation_is_a_relaxation_with_small_error():
    demand = _demand(hours=24 * 28, scenarios=20, growth=0.3)
    pool = Pool("H100", on_demand=7.0, reserved={"1y": 4.5}, spot=2.5, spot_max_share=0.3, spot_interruption=0.2)
    problem = _problem(demand, [_selfhost(), _api()], pool=pool, block="W-MON")
    full_cells = aggregate(problem, None)
    full = lp.solve_capacity(problem, full_cells)
    agg_cells = aggregate(problem, 8)
    assert len(agg_cells.hours) == 4 * 20 * 8  # 4 weeks from Monday 2026-01-05 x 20 scenarios x 8 slices
    agg = lp.solve_capacity(problem, agg_cells)
    assert agg["objective"] <= full["objective"] * (1 + 1e-9)  # averaging within slices relaxes the model
    assert agg["objective"] >= full["objective"] * 0.99
    held = lp.solve_capacity(problem, full_cells, fixed={"reserve": agg["reserve"]})
    assert held["objective"] <= full["objective"] * 1.001  # the aggregated decision is near-optimal on the full model
    # totals survive aggregation exactly
    assert (agg_cells.tokens[:, 0, 2] * agg_cells.hours).sum() == pytest.approx(demand["output_tokens"].sum())


def test_invariants():
    demand = _demand()
    base = plan(_problem(demand, [_selfhost(), _api()]))
    more = plan(_problem(demand.assign(output_tokens=demand["output_tokens"] * 1.2), [_selfhost(), _api()]))
    assert more.summary["expected_cost_usd"] >= base.summary["expected_cost_usd"]  # more demand never costs less
    pricey = plan(_problem(demand, [_selfhost(), _api()], pool=Pool("H100", on_demand=7.0, reserved={"1y": 7.0})))
    assert pricey.purchases.empty  # nothing reserved when reserved >= on-demand
    assert base.summary["expected_cost_usd"] <= base.baselines["expected_cost_usd"].min() + 1e-6
    # spot cap: spot <= share x capacity in every block
    pool = Pool("H100", on_demand=7.0, reserved={"1y": 4.5}, spot=1.0, spot_max_share=0.25)
    spot = plan(_problem(demand, [_selfhost()], pool=pool))
    cap = spot.capacity
    assert (cap["spot_gpus"] <= 0.25 * (cap["reserved_gpus"] + cap["on_demand_gpus"] + cap["spot_gpus"]) + 1e-6).all()
    assert spot.summary["expected_cost_usd"] <= plan(_problem(demand, [_selfhost()])).summary["expected_cost_usd"]


def test_min_share_and_route_tiers():
    demand = _demand()
    result = plan(_problem(demand, [_selfhost(), _api()], min_share={"frontier": 0.4}))
    shares = result.routes.groupby("route")["tokens"].sum() / result.routes["tokens"].sum()
    assert shares["api"] >= 0.4 - 1e-9
    free = plan(_problem(demand, [_selfhost(), _api()]))
    assert free.summary["expected_cost_usd"] <= result.summary["expected_cost_usd"]


def test_provisioned_throughput_pays_only_below_the_api_price():
    demand = _demand(hours=24 * 7, scenarios=3)
    tokens_per_hour = 4 * 1e7  # input + output at the demand's level
    api = _api(inp=2.5e-6, out=1e-5, tier="")
    usd_per_token_api = (3 * 2.5e-6 + 1e-5) / 4

    def run(price_per_token):
        ptu = ProvisionedThroughput("ptu", "m", tokens_per_minute_per_unit=1e5,
                                    usd_per_unit_hour=price_per_token * 1e5 * 60)
        wl = Workload("chat", (api, Route("ptu", "provisioned", commitment="ptu")))
        return plan(PlanProblem([Pool("H100", 7.0, {"1y": 4.5})], [wl], demand, provisioned=[ptu],
                                charge_full_term=False, whole_units=False))

    cheap, dear = run(0.5 * usd_per_token_api), run(1.01 * usd_per_token_api)
    assert dear.purchases.empty
    bought = cheap.purchases.query("kind == 'provisioned'")
    assert len(bought) == 1 and bought["units"].iloc[0] * 1e5 > 0.3 * tokens_per_hour / 60
    assert cheap.summary["expected_cost_usd"] < dear.summary["expected_cost_usd"]


def _cvar(result, alpha):
    """Mean cost of the worst 1 - alpha of equally weighted scenarios (an integer count here)."""
    costs = np.sort(result.scenarios["cost_usd"].to_numpy())
    return costs[int(round(alpha * len(costs))):].mean()


def test_cvar_trades_expected_cost_for_tail_cost():
    demand = _demand(scenarios=10, seed=3)
    demand.loc[demand["scenario"] >= 8, "output_tokens"] *= 2.5  # two stress scenarios: the worst 20 %
    neutral = plan(_problem(demand, [_selfhost()]))
    averse = plan(_problem(demand, [_selfhost()], cvar_weight=1.0, cvar_alpha=0.8))
    assert averse.summary["expected_cost_usd"] >= neutral.summary["expected_cost_usd"] - 1e-6
    assert _cvar(averse, 0.8) <= _cvar(neutral, 0.8) + 1e-6
    assert averse.purchases["units"].sum() > neutral.purchases["units"].sum()


def test_unserved_is_priced_and_reported_and_service_level_caps_it():
    demand = _demand()
    pool = Pool("H100", on_demand=7.0, reserved={"1y": 4.5}, max_gpus=8)
    short = plan(_problem(demand, [_selfhost()], pool=pool, unserved=10.0))  # 40 USD per GPU-hour of work: serve up to the cap
    assert short.summary["unserved_tokens_expected"] > 0
    assert short.unserved["share_of_demand"].max() > 0
    assert (short.capacity["reserved_gpus"] + short.capacity["on_demand_gpus"] <= 8 + 1e-6).all()
    need = demand["output_tokens"].to_numpy() / TPG
    lost = np.maximum(need - 8, 0) * 4  # 4 tokens in total per output token, in GPU-equivalents
    assert short.summary["unserved_tokens_expected"] == pytest.approx(lost.sum() * TPG / 5, rel=1e-3)
    with pytest.raises(InfeasibleError, match="max_gpus"):
        plan(_problem(demand, [_selfhost()], pool=pool))  # must serve, but the pool is capped
    capped = plan(_problem(demand, [_selfhost(), _api()], pool=pool, unserved=1.0, service_level=0.999))
    assert capped.unserved["expected_tokens"].sum() <= 0.001 * 4 * demand["output_tokens"].sum() / 5 + 1


def test_fixed_selfhost_cost_switches_self_hosting_off():
    demand = _demand(hours=24 * 7, scenarios=2)
    routes = [_selfhost(), _api(inp=0.0, out=8e-6)]
    cheap = plan(_problem(demand, routes, selfhost_fixed_usd_per_month=10.0, integer=True))
    dear = plan(_problem(demand, routes, selfhost_fixed_usd_per_month=1e6, integer=True))
    assert cheap.routes.query("kind == 'selfhost'")["tokens"].sum() > 0
    assert dear.routes.query("kind == 'selfhost'")["tokens"].sum() == pytest.approx(0.0, abs=1e-3)
    assert all(float(u).is_integer() for u in cheap.purchases["units"])  # whole GPUs in MILP mode


def test_bad_inputs_name_what_is_wrong():
    demand = _demand(hours=48, scenarios=1)
    with pytest.raises(InputError, match="min_share adds up to 1.5"):
        plan(_problem(demand, [_selfhost(), _api()], min_share={"frontier": 0.9, "open": 0.6}))
    with pytest.raises(InputError, match="reserved 1y price must be a finite number >= 0"):
        plan(_problem(demand, [_selfhost()], pool=Pool("H100", 7.0, {"1y": -1.0})))
    with pytest.raises(InputError, match="not among the pools"):
        plan(_problem(demand, [_selfhost(pool="B200")]))
    with pytest.raises(InputError, match="column 'output_tokens' at row 3"):
        plan(_problem(demand.assign(output_tokens=[1.0, 2.0, -1.0] + [1.0] * 45), [_selfhost()]))
    with pytest.raises(InputError, match="closer than freq 'D'"):
        plan(_problem(demand, [_selfhost()], freq="D"))  # hourly rows declared daily would inflate hours 24x
    with pytest.raises(InputError, match="block 'fortnightly': not a pandas frequency; use h, D, W-MON, MS, QS"):
        plan(_problem(demand, [_selfhost()], block="fortnightly"))
    with pytest.raises(InputError, match="slices must be >= 1"):
        plan(_problem(demand, [_selfhost()]), slices=0)
    problem = _problem(demand, [_selfhost(), _api()], min_share={"open": 0.5})
    with pytest.raises(InfeasibleError, match="barred but carries a minimum share"):
        lp.solve_capacity(problem, aggregate(problem), kinds=("api",))


def test_compare_plans_on_the_same_scenarios():
    demand = _demand(hours=24 * 14, scenarios=6)
    pool = Pool("H100", on_demand=7.0, reserved={"1y": 4.5, "3y": 3.2})
    table = compare_plans(_problem(demand, [_selfhost(), _api()], pool=pool))
    by = table.set_index("option")
    assert by.loc["none (all on-demand)", "H100 reserved GPUs"] == 0
    assert by.loc["none (all on-demand)", "savings_vs_on_demand_usd"] == 0
    best = by.loc["planner: all options", "expected_cost_usd"]
    assert (table["expected_cost_usd"] >= best - 1e-6).all()  # the optimum is the cheapest option
    assert (table["p95_cost_usd"] >= table["expected_cost_usd"] - 1e-6).all() or len(table) == 0
    assert by.loc["planner: 3y reservations only", "expected_cost_usd"] <= by.loc[
        "planner: 1y reservations only", "expected_cost_usd"]  # cheaper per hour inside the horizon


# -- configuration files and the CLI -----------------------------------------------------------------
def _config(tmp_path, samples, **extra):
    import yaml

    config = {
        "freq": "h", "periods": 48, "block": "D", "scenarios": 4, "slices": 4,
        "pools": [{"gpu_type": "H100", "cloud": "aws", "instance_type": "p5.48xlarge"},
                  {"gpu_type": "A100-80GB", "cloud": "aws",
                   "demand": {"history": str(samples / "philly_busy_nodes_hourly.csv")}}],
        "workloads": [{
            "name": "mid", "tokens_per_request": {"input": 325, "output": 52},
            "demand": {"usage": str(samples / "servegen_hourly_by_model.csv"),
                       "mapping": str(samples / "servegen.mapping.yaml"), "metric": "requests", "where": {"model": "m-mid"}},
            "min_share": {"frontier": 0.2},
            "routes": [{"api": "gpt-4o", "tier": "frontier"}, {"selfhost": "llama-70b", "gpu_type": "H100"},
                       {"provisioned": "ptu", "tier": "frontier"}]}],
        "provisioned": [{"name": "ptu", "model": "gpt-4o", "tokens_per_minute_per_unit": 2500, "usd_per_unit_hour": 1.0}],
        "compare": [{"name": "mine", "reserve": {"H100@aws": {"1y": 50}}}],
        **extra,
    }
    path = tmp_path / "plan.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@pytest.mark.slow
def test_plan_and_compare_cli_on_real_samples(tmp_path, samples, capsys):
    from planner.cli import main

    config = _config(tmp_path, samples)
    assert main(["plan", str(config), "--output", str(tmp_path / "plan")]) == 0
    assert "laid on the plan horizon" in capsys.readouterr().err  # Philly (2017) and ServeGen (2025) histories
    written = {p.name for p in (tmp_path / "plan").iterdir()}
    assert {"purchases.csv", "capacity.csv", "routes.csv", "cost.csv", "unserved.csv", "shadow_prices.csv",
            "scenarios.csv", "baselines.csv", "summary.json"} <= written
    routes = pd.read_csv(tmp_path / "plan" / "routes.csv")
    frontier = routes[routes["tier"] == "frontier"].groupby("period")["share"].sum()
    assert (frontier >= 0.2 - 1e-6).all()  # the minimum share holds in every block
    import json

    summary = json.loads((tmp_path / "plan" / "summary.json").read_text())
    assert summary["horizon"]["periods"] == 48 and summary["scenarios"] == 4
    assert summary["savings"]["all on-demand (no commitments)"]["usd"] >= -1e-6
    assert main(["compare", str(config), "--output", str(tmp_path / "cmp")]) == 0
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv").set_index("option")
    assert table.loc["mine", "H100@aws reserved GPUs"] == 56  # 50 GPUs asked: 7 whole 8-GPU instances
    allowed = table[table["evidence"].isna()]  # options the evidence rule allows (no note)
    assert allowed["expected_cost_usd"].min() == pytest.approx(table.loc["planner: all options", "expected_cost_usd"])
    # two weeks of ServeGen and 74 days of Philly history cover neither term: the planner commits nothing,
    # and the terms are priced as what-ifs with the history they would need
    assert table.loc["planner: all options", "obligation_usd"] == 0
    assert "a 3y term needs 274 days" in table.loc["planner: 3y reservations only", "evidence"]


def test_bad_config_exits_2_and_writes_nothing(tmp_path, samples, capsys):
    from planner.cli import main

    config = _config(tmp_path, samples, pools=[{"gpu_type": "H100", "cloud": "aws", "spot_max_share": 2}])
    out = tmp_path / "never"
    assert main(["plan", str(config), "--output", str(out)]) == 2
    assert "spot_max_share must be in [0, 1]" in capsys.readouterr().err and not out.exists()
    bad = tmp_path / "typo.yaml"
    bad.write_text("pools: [{gpu_type: H100}]\nworkloads: [{name: a, routez: []}]\n")
    assert main(["compare", str(bad), "--output", str(out)]) == 2
    assert "unknown key workloads[0].routez" in capsys.readouterr().err and not out.exists()
    typo = _config(tmp_path, samples, pools=[{"gpu_type": "H100", "cloud": "aws", "reserved_usd_per_gpu_hour": {"1y": "cheap"}}])
    assert main(["plan", str(typo), "--output", str(out)]) == 2
    assert "pools[0].reserved_usd_per_gpu_hour.1y: expected int or float, got 'cheap'" in capsys.readouterr().err
    missing = _config(tmp_path, samples, workloads=[{
        "name": "x", "tokens_per_request": {"output": 1}, "demand": {"history": "nope.csv"}, "routes": [{"api": "gpt-4o"}]}])
    assert main(["plan", str(missing), "--output", str(out)]) == 2
    assert "nope.csv: no such file" in capsys.readouterr().err and not out.exists()


def test_typo_model_is_named_with_its_key_path_before_any_forecast(tmp_path, samples, monkeypatch):
    """A misspelt model in the second workload is found before the first demand is forecast."""
    import planner.forecast
    from planner.optimize.problem import load_problem

    def no_forecast(*args, **kwargs):
        raise AssertionError("demand was forecast before the configuration's names were checked")

    monkeypatch.setattr(planner.forecast, "forecast", no_forecast)
    good = {"name": "a", "tokens_per_request": {"input": 10, "output": 1},
            "demand": {"history": str(samples / "philly_busy_nodes_hourly.csv")}, "routes": [{"api": "gpt-4o"}]}
    config = _config(tmp_path, samples, workloads=[good, {**good, "name": "b", "routes": [{"api": "gpt-4o-mini"},
                                                                                             {"api": "gpt-4oo"}]}])
    with pytest.raises(InputError, match=r"workloads\[1\]\.routes\[1\]\.api: unknown API model 'gpt-4oo' in the "
                                         r"price catalog; close matches: \['gpt-4o'"):
        load_problem(config)


def test_bulk_highs_transfer_matches_pulps_own():
    """The bulk model transfer to HiGHS gives PuLP's own solution, duals included (MILP too)."""
    import pulp

    demand = _demand(hours=48, scenarios=3)
    pool = Pool("H100", on_demand=7.0, reserved={"1y": 4.5}, spot=3.0, spot_max_share=0.3, spot_interruption=0.2)
    for integer in (False, True):
        problem = _problem(demand, [_selfhost(), _api(inp=0.0, out=6e-6, tier="")], pool=pool, integer=integer)
        problem.validate()
        model = lp.CapacityLP(problem, aggregate(problem, 4))
        ours = model.solve()  # sets bounds and integrality, then solves through the bulk transfer
        pis = [c.pi for c in model.model.constraints.values()]
        model.model.solve(pulp.HiGHS(msg=False))  # the same model through PuLP's own HiGHS interface
        assert ours["objective"] == pytest.approx(pulp.value(model.model.objective), rel=1e-9)
        if not integer:
            assert pis == pytest.approx([c.pi for c in model.model.constraints.values()], rel=1e-7, abs=1e-9)
