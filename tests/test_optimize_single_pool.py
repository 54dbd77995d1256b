"""Single-pool reservation: newsvendor closed form, brute force, invariants, errors, CLI contract."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.exceptions import InputError
from planner.optimize import plan_single_pool, pool_cost, recommender_rule


@pytest.fixture(scope="module")
def demand():
    return np.random.default_rng(0).gamma(5, 20, (40, 300))


@pytest.mark.parametrize(("od", "res"), [(4.0, 2.6), (4.0, 1.0), (10.0, 9.0)])
def test_newsvendor_quantile(demand, od, res):
    small = demand[:10, :100]
    plan = plan_single_pool(small, small[0], od, res, bins=10_000)  # 1,000 values, no binning: exact
    assert plan.reserved_units == pytest.approx(np.quantile(small, 1 - res / od), abs=0.5)
    assert plan.breakeven_utilization == pytest.approx(res / od)
    assert plan.marginal_cost_usd_per_unit_period == pytest.approx(res, rel=1e-6)  # newsvendor: E[marginal] = r


def test_equals_brute_force_with_spot_and_binning(demand):
    grid = np.linspace(0, 200, 2001)
    for spot in (None, 1.2):
        kw = {"spot": spot, "spot_max_share": 0.3, "spot_interruption": 0.1} if spot else {}
        best = grid[np.argmin([pool_cost(g, demand, 4.0, 2.6, **kw).mean() for g in grid])]
        plan = plan_single_pool(demand, demand[0], 4.0, 2.6, bins=400, **kw)
        assert plan.reserved_units == pytest.approx(best, abs=1.0)  # 400 bins of 12,000 values
        assert plan.expected_cost_usd <= pool_cost(best, demand, 4.0, 2.6, **kw).mean() * 1.001


def test_invariants(demand):
    base = plan_single_pool(demand, demand[0], 4.0, 2.6)
    more = plan_single_pool(demand * 1.1, demand[0], 4.0, 2.6)
    assert more.expected_cost_usd >= base.expected_cost_usd  # more demand never costs less
    assert plan_single_pool(demand, demand[0], 4.0, 4.0).reserved_units == pytest.approx(0.0, abs=1e-9)
    assert plan_single_pool(demand, demand[0], 4.0, 5.0).reserved_units == pytest.approx(0.0, abs=1e-9)
    spot = plan_single_pool(demand, demand[0], 4.0, 2.6, spot=0.5, spot_max_share=0.2)
    assert spot.expected_cost_usd <= base.expected_cost_usd  # a cheaper option can only help
    capped = pool_cost(0.0, demand, 4.0, 2.6, spot=0.5, spot_max_share=0.2)
    assert capped.mean() == pytest.approx(0.5 * 0.2 * demand.sum(axis=1).mean() + 4.0 * 0.8 * demand.sum(axis=1).mean())
    whole = plan_single_pool(demand, demand[0], 4.0, 2.6, integer=True)
    assert whole.reserved_units == round(whole.reserved_units)
    assert base.expected_cost_usd <= base.all_on_demand_cost_usd and base.expected_cost_usd <= base.recommender_rule_cost_usd + 1e-6


def test_recommender_rule_is_the_history_quantile():
    history = np.arange(1, 101, dtype=float)
    assert recommender_rule(history, 4.0, 1.0) == pytest.approx(np.quantile(history, 0.75))
    assert recommender_rule(history, 4.0, 4.0) == 0.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"on_demand": -1.0}, "on-demand price must be a finite number >= 0"),
    ({"spot": -0.1, "spot_max_share": 0.2}, "spot price must be"),
    ({"spot": 1.0, "spot_max_share": 1.5}, "spot max share must be within"),
])
def test_bad_inputs(demand, kwargs, message):
    args = {"on_demand": 4.0, "reserved": 2.6, **kwargs}
    with pytest.raises(InputError, match=message):
        plan_single_pool(demand, demand[0], **args)


def test_cli_contract(tmp_path, samples, capsys):
    hist = pd.read_csv(samples / "philly_busy_nodes_hourly.csv").tail(24 * 21)
    src, out = tmp_path / "h.csv", tmp_path / "plan.json"
    hist.to_csv(src, index=False)
    assert main(["commit", str(src), "--horizon", "168", "--freq", "h", "--on-demand-price", "4.0",
                 "--reserved-price", "2.6", "--spot-price", "1.2", "--spot-max-share", "0.3",
                 "--scenarios", "30", "--output", str(out)]) == 0
    plan = json.loads(out.read_text())
    for key in ("reserved_units", "expected_cost_usd", "savings_vs_on_demand_usd", "savings_vs_recommender_rule_usd",
                "breakeven_utilization", "spot_units_per_period", "spot_cost_usd", "on_demand_cost_usd",
                "marginal_cost_usd_per_unit_period", "scenario_costs_usd"):
        assert key in plan
    # with spot offered below on-demand, the plan says how much spot it buys and what that costs
    assert plan["spot_units_per_period"] > 0 and plan["spot_cost_usd"] == pytest.approx(
        1.2 * plan["spot_units_per_period"] * 168, rel=1e-9)
    assert plan["expected_cost_usd"] == pytest.approx(plan["reserved_cost_usd"] + plan["on_demand_cost_usd"]
                                                      + plan["spot_cost_usd"], rel=1e-9)
    assert plan["settings"]["spot_usd_per_unit_period"] == 1.2
    settings = plan["settings"]
    assert settings["scenario_method"] == "auto" and settings["forecast_model"]  # the forecaster ran
    # 30 windows of the last 30 days + 30 of the last week (+ 30 forecast paths when the gate keeps them)
    assert plan["horizon_periods"] == 168 and plan["scenarios"] == (90 if settings["forecast_included"] else 60)
    assert len(settings["forecast_gate"]["origins"]) == 2  # 21 days: two earlier weekly origins to judge on
    assert plan["expected_cost_usd"] <= plan["all_on_demand_cost_usd"]
    bad = tmp_path / "bad.csv"
    bad.write_text("unique_id,ds,y\na,2025-01-01,1\na,2025-01-02,-3\n")
    assert main(["commit", str(bad), "--horizon", "3", "--freq", "D", "--on-demand-price", "4",
                 "--reserved-price", "2", "--output", str(tmp_path / "none.json")]) == 2
    assert "bad.csv: column 'y' is negative at row 2 (found '-3')" in capsys.readouterr().err and not (tmp_path / "none.json").exists()


def test_compare_commitments_on_shared_scenarios(demand):
    from planner.optimize import compare_commitments

    table = compare_commitments(demand, horizon=300, freq="h", on_demand_price=4.0, reserved_price=2.6,
                                quantities=[50.0, 150.0], reserved_price_long=1.8, recent=demand[0])
    assert table["option"].tolist()[:2] == ["none (all on-demand)", "planner (scenario-based)"]
    cost = table.set_index("option")["expected_cost_usd"]
    assert cost["planner (scenario-based)"] <= cost.drop(["planner at the longer term's price"]).min() + 1e-6
    assert cost["planner at the longer term's price"] < cost["planner (scenario-based)"]  # cheaper term
    none = table.iloc[0]
    assert none["savings_vs_on_demand_usd"] == 0 and np.isnan(none["expected_utilization"])
    mine = table.set_index("option").loc["your quantity 150"]
    used = np.minimum(demand, 150).sum() / demand.shape[0]
    assert mine["expected_utilization"] == pytest.approx(used / (150 * 300))
    assert mine["stranded_cost_usd"] == pytest.approx(2.6 * (150 * 300 - used))
    assert mine["breakeven_periods"] == pytest.approx(300 * 2.6 / (4.0 * mine["expected_utilization"]))


def test_backtest_hindsight_is_the_floor(samples):
    from planner.optimize import backtest_plan

    philly = pd.read_csv(samples / "philly_busy_nodes_hourly.csv", parse_dates=["ds"])
    cut = philly["ds"].max() - pd.Timedelta(hours=48)
    bt = backtest_plan(philly, [cut], 48, "h", on_demand_price=4.0, reserved_price=2.6, n_paths=30)
    row = bt.iloc[0]
    for name in ("planner", "rule", "on_demand"):
        assert row[f"{name}_vs_hindsight"] >= 1 - 1e-9  # nobody beats hindsight on realized demand
    assert row["on_demand_cost_usd"] == pytest.approx(4.0 * philly[philly["ds"] > cut]["y"].head(48).sum())
    with pytest.raises(InputError, match="only 0 periods after cutoff"):
        backtest_plan(philly, [philly["ds"].max()], 48, "h", 4.0, 2.6)
