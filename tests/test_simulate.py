"""Scenario files and the Monte Carlo simulator: schema errors, closed forms, invariants, CLI."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import catalog
from planner.cli import main
from planner.exceptions import ScenarioError
from planner.simulate import compare, load_scenario, simulate

ROOT = Path(__file__).resolve().parents[1]


def _write(tmp_path: Path, name: str, data: dict) -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def _simple(**workload) -> dict:
    base = {"name": "w", "share": 1.0, "input_tokens": {"mean": 1000}, "output_tokens": {"mean": 200},
            "model": "gpt-4o"}
    return {"name": "s", "months": 3, "requests_per_month": 1_000_000, "workloads": [{**base, **workload}]}


def test_constant_lengths_match_the_closed_form(tmp_path):
    r = simulate(load_scenario(_write(tmp_path, "s.yaml", _simple())), draws=20)
    p = catalog.model_price("gpt-4o")
    per_request = 1000 * p["input_usd_per_token"] + 200 * p["output_usd_per_token"]
    assert r.summary["cost_mean_usd"] == pytest.approx(3 * 1_000_000 * per_request)
    assert r.tokens["input_tokens"].sum() == pytest.approx(3e9)
    assert r.summary["cost_p5_usd"] == pytest.approx(r.summary["cost_p95_usd"])  # nothing uncertain


def test_levers_match_their_formulas(tmp_path):
    p = catalog.model_price("gpt-4o")
    base = simulate(load_scenario(_write(tmp_path, "a.yaml", _simple(system_prompt_tokens=0))), draws=10).summary["cost_mean_usd"]
    batch = simulate(load_scenario(_write(tmp_path, "b.yaml", _simple(batch_share=1.0))), draws=10).summary["cost_mean_usd"]
    assert batch == pytest.approx(base * 0.5)
    cached = load_scenario(_write(tmp_path, "c.yaml", _simple(system_prompt_tokens=800, prompt_cache={"requests_per_ttl": 10})))
    assert simulate(cached, draws=10).summary["cost_mean_usd"] == pytest.approx(base)  # 800 < 1,024: nothing
    cached["workloads"][0]["system_prompt_tokens"] = 2000
    cached["workloads"][0]["input_tokens"] = {"mean": 3000}
    r = simulate(cached, draws=10)
    read = p["cache_read_usd_per_token"] / p["input_usd_per_token"]
    assert r.cache_savings["prefix_cost_multiplier"].iloc[0] == pytest.approx((1 + 9 * read) / 10)
    semantic = simulate(load_scenario(_write(tmp_path, "d.yaml", _simple(semantic_cache={"hit_rate": 0.2}))), draws=10)
    assert semantic.summary["cost_mean_usd"] == pytest.approx(base * 0.8)
    capped = simulate(load_scenario(_write(tmp_path, "e.yaml", _simple(max_output_tokens=100))), draws=10)
    assert capped.summary["cost_mean_usd"] == pytest.approx(base - 3e6 * 100 * p["output_usd_per_token"])


def test_cascade_pays_every_stage_it_reaches(tmp_path):
    s = _simple()
    del s["workloads"][0]["model"]
    s["workloads"][0]["routing"] = {"cascade": {"models": ["gpt-4o-mini", "gpt-4o"], "escalation": [0.25]}}
    r = simulate(load_scenario(_write(tmp_path, "s.yaml", s)), draws=5)
    calls = r.tokens.groupby("route")["requests"].sum()
    assert calls["gpt-4o-mini"] == pytest.approx(3e6) and calls["gpt-4o"] == pytest.approx(0.75e6)


def test_more_demand_never_costs_less_and_common_draws(tmp_path):
    low = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    high = {**low, "requests_per_month": low["requests_per_month"] * 1.1, "name": "high"}
    c = compare([low, high], draws=200)
    totals = [r.totals for r in c.results]
    assert (totals[1] >= totals[0]).all()  # same draws, more demand
    assert c.summary()["change_vs_baseline_pct"].iloc[1] == pytest.approx(10.0, abs=1e-6)


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_example_scenario_runs(path):
    r = simulate(load_scenario(path), draws=50)
    assert r.summary["cost_mean_usd"] > 0 and np.isfinite(r.monthly["p95"]).all()


def test_threshold_router_quality_is_replayed():
    r = simulate(load_scenario(ROOT / "scenarios" / "threshold_router.yaml"), draws=20)
    assert 0.681 < r.summary["accuracy"] < 0.806  # between weak and strong on MMLU
    assert set(r.routing_curve.columns) >= {"label", "strong_share", "accuracy", "oracle_accuracy"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.update(colour="blue"), r"unknown key colour"),
        (lambda s: s["workloads"][0].update(prompt_cache={"request_per_ttl": 3}), r"unknown key workloads\[0\]\.prompt_cache\.request_per_ttl"),
        (lambda s: s["workloads"][0].update(share=0.6), r"share add up to 0.6; expected 1"),
        (lambda s: s["workloads"][0].update(batch_share=-0.1), r"workloads\[0\]\.batch_share: expected a value >= 0"),
        (lambda s: s["workloads"][0].update(model="gpt-5o"), r"unknown model 'gpt-5o'"),
        (lambda s: s["workloads"][0].update(system_prompt_tokens=5000), r"longer than the mean prompt"),
        (lambda s: s.update(months="twelve"), r"months: expected int, got 'twelve'"),
        (lambda s: s["workloads"][0].update(routing={"split": {"gpt-4o": 1.0}}), r"exactly one of model, routing or selfhost"),
    ],
)
def test_bad_scenarios_name_the_key(tmp_path, change, message):
    s = _simple()
    change(s)
    with pytest.raises(ScenarioError, match=message):
        load_scenario(_write(tmp_path, "bad.yaml", s))


def test_extends_merges_workloads_by_name(tmp_path):
    _write(tmp_path, "base.yaml", {**_simple(), "workloads": [
        {"name": "a", "share": 0.5, "input_tokens": {"mean": 100}, "output_tokens": {"mean": 10}, "model": "gpt-4o"},
        {"name": "b", "share": 0.5, "input_tokens": {"mean": 100}, "output_tokens": {"mean": 10}, "model": "gpt-4o"}]})
    child = load_scenario(_write(tmp_path, "child.yaml", {"extends": "base.yaml", "name": "child",
                                                          "workloads": [{"name": "b", "routing": {"split": {"gpt-4o-mini": 1.0}}}]}))
    a, b = child["workloads"]
    assert a["model"] == "gpt-4o" and "model" not in b and b["routing"] == {"split": {"gpt-4o-mini": 1.0}}
    _write(tmp_path, "loop.yaml", {"extends": "loop.yaml"})
    with pytest.raises(ScenarioError, match="extends itself"):
        load_scenario(tmp_path / "loop.yaml")


def test_cli_writes_tables_or_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["simulate", str(ROOT / "scenarios" / "baseline.yaml"), "--compare",
                 str(ROOT / "scenarios" / "batch_shift.yaml"), "--output", str(out), "--draws", "100"]) == 0
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["baseline", "batch_shift"] and summary["change_vs_baseline_pct"].iloc[1] < 0
    assert {"summary.md", "monthly_costs.csv", "route_tokens.csv", "sensitivity.csv"} <= {p.name for p in out.iterdir()}
    tornado = pd.read_csv(out / "sensitivity.csv")
    assert tornado.loc[tornado["scenario"] == "batch_shift", "lever"].tolist() == ["batch_share"]
    bad = _write(tmp_path, "bad.yaml", {**_simple(), "colour": 1})
    assert main(["simulate", str(bad), "--output", str(tmp_path / "none")]) == 2
    assert "unknown key colour" in capsys.readouterr().err and not (tmp_path / "none").exists()


def test_agent_fan_out_closed_form():
    from scipy.stats import poisson

    from planner.simulate import agents

    assert agents.calls_per_task(6) == 6.0
    n = 1 + np.arange(0, 200)
    pmf = poisson.pmf(n - 1, 5)
    assert agents.calls_per_task(6, 8) == pytest.approx(float((np.minimum(n, 8) * pmf).sum()))
    assert agents.completion_rate(6, 8) == pytest.approx(float(pmf[n <= 8].sum()))
    assert agents.calls_per_task(1, 1) == 1.0


def test_selfhost_fleet_is_sized_for_the_peak(tmp_path):
    from planner.simulate import selfhost

    tp = catalog.throughput("llama-8b", "H100", input_tokens=1000, output_tokens=200).output_tokens_per_s
    month = 730 * 3600
    assert selfhost.replicas_needed(np.array([0.0]), tp)[0] == 1  # always one replica up
    tokens = np.array([tp * 0.7 * month / 2 * 3.5])  # mean rate = 3.5 replicas' worth at the peak
    assert selfhost.replicas_needed(tokens, tp, peak_to_mean=2.0, utilization=0.7)[0] == 4
    s = _simple(selfhost={"model_class": "llama-8b", "gpu_type": "H100"})
    del s["workloads"][0]["model"]
    r = simulate(load_scenario(_write(tmp_path, "s.yaml", s)), draws=5)
    price = catalog.gpu_offer("H100")["on_demand_usd_per_gpu_hour"]
    assert r.tokens["gpu_hours"].iloc[0] == pytest.approx(730.0)
    assert r.summary["cost_mean_usd"] == pytest.approx(3 * 730 * price)
    s["workloads"][0]["selfhost"]["gpu_type"] = "A100"
    # A100 (40 GB, no FP8 on Ampere): the message names what is known for the model instead
    with pytest.raises(ScenarioError, match=r"no throughput figures for llama-3.1-8b/A100-40GB/fp8; known for llama-3.1-8b.*"
                                            r"tensorrt-llm/fp16/1xA100-40GB"):
        load_scenario(_write(tmp_path, "bad.yaml", s))


def test_demand_from_a_forecast_file(tmp_path):
    ds = pd.date_range("2026-01-01", periods=90, freq="D")
    pd.DataFrame({"unique_id": "chat/requests", "ds": ds, "forecast": 1000.0}).to_csv(tmp_path / "f.csv", index=False)
    s = _simple()
    del s["requests_per_month"], s["months"]
    s["requests_series"] = {"file": "f.csv"}
    r = simulate(load_scenario(_write(tmp_path, "s.yaml", s)), draws=5)
    assert r.summary["requests"] == pytest.approx(90_000) and len(r.tokens) == 3
    s["requests_per_month"] = 5
    with pytest.raises(ScenarioError, match="exactly one of requests_per_month or requests_series"):
        load_scenario(_write(tmp_path, "t.yaml", s))


def test_sensitivity_ranks_levers_by_saving(tmp_path):
    from planner.simulate import sensitivity

    s = load_scenario(_write(tmp_path, "s.yaml", _simple(batch_share=0.5, max_output_tokens=100)))
    table = sensitivity(s, draws=10)
    assert list(table["lever"]) == ["batch_share", "max_output_tokens"] or list(table["lever"]) == ["max_output_tokens", "batch_share"]
    assert (table["saving_usd"] > 0).all()
    assert table["saving_usd"].abs().is_monotonic_decreasing


def test_declared_accuracy_and_quantization_penalty(tmp_path):
    api = simulate(load_scenario(_write(tmp_path, "a.yaml", _simple(accuracy=0.8))), draws=5).summary
    assert api["accuracy"] == pytest.approx(0.8)
    assert api["cost_per_success_usd"] == pytest.approx(api["cost_mean_usd"] / (3e6 * 0.8))
    s = _simple(accuracy=0.8, selfhost={"model_class": "llama-8b", "gpu_type": "H100", "quality_penalty_pct": 5})
    del s["workloads"][0]["model"]
    own = simulate(load_scenario(_write(tmp_path, "b.yaml", s)), draws=5).summary
    assert own["accuracy"] == pytest.approx(0.76)
