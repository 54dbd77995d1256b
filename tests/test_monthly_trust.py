"""No stale data, no invented prices, paths that work from anywhere (issue 15, parts 3-5).

Each test is a case a new user measured on planner: a monthly job for a month after the last
usage, a 2023 trace mixed into 2025 data, placeholder unit prices and budgets, GPU prices per
"unit-period" that made hourly and daily data cost different amounts, a relative
``$PLANNER_STORE`` or list parameter that failed inside the notebook, and notebooks that could not
run on their defaults (or whose folder was the package's templates).
"""

from __future__ import annotations

import json
import re
import shutil
import time
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from planner.catalog import catalog_origin
from planner.cli import main
from planner.exceptions import InputError
from planner.report import notebook_parameters, render_report, tables
from planner.store import Batch, Store
from planner.usage.schema import COLUMNS, DIMENSIONS

# The modules this issue added are imported inside the tests, so that each test runs (and fails)
# on the code from before them rather than the whole file failing to import.

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"


def _usage(rows: list[dict]) -> pd.DataFrame:
    """A usage table from dicts of ``ts, source, metric, value`` and any dimensions."""
    frame = pd.DataFrame(rows)
    for dim in DIMENSIONS:
        frame[dim] = frame[dim].fillna("") if dim in frame else ""
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame["value"] = frame["value"].astype(float)
    return frame[list(COLUMNS)]


def _hourly(source: str, metric: str, start: str, hours: int, value, **dims) -> list[dict]:
    ts = pd.date_range(start, periods=hours, freq="h")
    values = np.broadcast_to(np.asarray(value, dtype=float), ts.shape)
    return [{"ts": t, "source": source, "metric": metric, "value": v, **dims} for t, v in zip(ts, values, strict=True)]


def _html_text(html: str) -> str:
    text = re.sub(r"<(svg|style|script)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", text).replace("&#39;", "'").replace("&amp;", "&").split())


@pytest.fixture(scope="module")
def mixed_store(tmp_path_factory) -> Path:
    """The demo's mix: ServeGen's two weeks of January 2025 and the Azure trace of November 2023."""
    path = tmp_path_factory.mktemp("mixed") / "planner.duckdb"
    assert main(["ingest", str(SAMPLES / "servegen_hourly_by_model.csv"), "--mapping",
                 str(SAMPLES / "servegen.mapping.yaml"), "--store", str(path)]) == 0
    assert main(["ingest", str(SAMPLES / "azure_llm_2023_code.csv"), "--store", str(path)]) == 0
    return path


# -- part 3: a month with no usage, series far behind the rest ------------------------------------------
def test_monthly_job_for_a_month_after_the_last_usage_is_refused(mixed_store, tmp_path, capsys):
    # the README's cron line run today on a store whose data ends in January 2025
    out = tmp_path / "reports"
    code = main(["monthly", "--month", "2026-11", "--store", str(mixed_store), "--metric", "requests",
                 "--output-dir", str(out)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "the store's latest requests usage is 2025-01-19 23:00 (source servegen); --month 2026-11 has none" in err
    assert not out.exists()
    with Store(mixed_store, read_only=True) as store:
        assert store.snapshots("forecast").empty


def test_a_month_that_stops_early_or_is_thin_is_refused_unless_allowed():
    from planner.report.freshness import month_coverage

    # daily usage January-March 2025, then April only to the 3rd
    ts = pd.date_range("2025-01-01", "2025-04-03", freq="D")
    usage = _usage([{"ts": t, "source": "gw", "metric": "requests", "value": 100.0} for t in ts])
    with pytest.raises(InputError, match=r"month 2025-04 looks incomplete: usage for 2025-04 ends 2025-04-03 00:00, "
                                         r"27 days before the month's end.*latest requests usage is 2025-04-03 00:00"):
        month_coverage(usage, "2025-04", ["requests"])
    notes = month_coverage(usage, "2025-04", ["requests"], allow_incomplete=True)
    assert any("accepted as incomplete" in n for n in notes)
    # a whole month at a quarter of the level of the months before it: thin, though it runs to its end
    thin = usage.assign(value=np.where(usage["ts"] >= "2025-03-01", 25.0, 100.0))
    with pytest.raises(InputError, match=r"requests for 2025-03 totals 775, 26% of the median of the 2 month\(s\) before \(2,950\)"):
        month_coverage(thin, "2025-03", ["requests"])
    assert month_coverage(usage, "2025-03", ["requests"]) == []  # a complete month passes without a note


def test_a_month_whose_usage_is_only_in_a_series_left_out_is_refused():
    from planner.report.freshness import month_coverage, series_reach_month
    from planner.report.series import build_series

    # model a runs daily to February's end; one row of model b on 2025-03-25 holds March's usage
    ts = pd.date_range("2025-01-01", "2025-02-28", freq="D")
    rows = [{"ts": t, "source": "gw", "model": "a", "metric": "requests", "value": 100.0} for t in ts]
    usage = _usage([*rows, {"ts": "2025-03-25", "source": "gw", "model": "b", "metric": "requests", "value": 5000.0}])
    assert month_coverage(usage, "2025-03", ["requests"]) == ["usage for 2025-03 ends 2025-03-25 00:00, 6 days "
                                                              "before the month's end"]
    built = build_series(usage, ["requests"], by=["model"], freq="D")
    assert built.left_out["unique_id"].tolist() == ["b/requests"]
    with pytest.raises(InputError, match="the current series end 2025-02-28 00:00, before month 2025-03"):
        series_reach_month(built.series, "2025-03")


def test_monthly_job_refuses_a_month_that_stops_early(tmp_path, capsys):
    store = tmp_path / "s.duckdb"
    ts = pd.date_range("2025-01-01", "2025-02-03 23:00", freq="h")
    with Store(store) as s:
        s.ingest([Batch.of(_usage([{"ts": t, "source": "gw", "model": "m", "metric": "requests", "value": 5.0}
                                   for t in ts]))])
    code = main(["monthly", "--month", "2025-02", "--store", str(store), "--metric", "requests", "--freq", "h",
                 "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "ends 2025-02-03 23:00, 25 days before the month's end" in err and "--allow-incomplete" in err
    assert not (tmp_path / "r").exists()


def test_series_are_named_by_their_source_and_stale_ones_are_left_out(mixed_store):
    from planner.report.series import build_series

    with Store(mixed_store, read_only=True) as store:
        usage = store.usage(metrics=["requests"])
    built = build_series(usage, ["requests"], by=["model"], freq="h", max_series=8)
    assert sorted(built.info["unique_id"]) == ["m-large/requests", "m-mid/requests", "m-small/requests"]
    left = built.left_out.set_index("unique_id")["reason"]
    # never an empty-looking id such as '/requests': the trace without a model is named by its source
    assert left["azure_trace (no model)/requests"].startswith(
        "series azure_trace (no model)/requests ends 2023-11-16 19:00, 14 months before the rest")
    # ServeGen's deepseek-r1 served one day, the first of the two weeks
    assert "ends 2025-01-06 23:00, 13 days before the rest" in left["deepseek-r1/requests"]
    assert not any(uid.startswith("/") or "//" in uid for uid in built.series["unique_id"].unique())
    # without `by` one total: the 2023 source's rows are left out of it, not zero-filled across 14 months
    total = build_series(usage, ["requests"], by=[], freq="h")
    assert total.info["first"].iloc[0] == pd.Timestamp("2025-01-06") and total.info["periods"].iloc[0] == 336
    assert total.notes[0].startswith("source azure_trace of series requests ends 2023-11-16 19:00")


def test_empty_dimension_parts_are_named():
    from planner.report.series import build_series

    usage = _usage(_hourly("gw", "requests", "2025-01-01", 48, 1.0, team="a")
                   + _hourly("gw", "requests", "2025-01-01", 48, 2.0, model="m"))
    ids = sorted(build_series(usage, ["requests"], by=["team", "model"], freq="h").info["unique_id"])
    assert ids == ["(no team)/m/requests", "a/(no model)/requests"]


# -- part 4: prices from the user, the data or a named catalog entry; no invented budget --------------------
def _priced_usage() -> pd.DataFrame:
    """Two weeks, hourly: a LiteLLM model with its real cost, a gateway's gpt-4o with tokens only,
    and a model the price catalog does not know."""
    hours = 14 * 24
    rows = (_hourly("litellm", "output_tokens", "2025-03-01", hours, 1000.0, model="claude-x")
            + _hourly("litellm", "cost_usd", "2025-03-01", hours, 0.05, model="claude-x")
            + _hourly("gateway", "output_tokens", "2025-03-01", hours, 2000.0, model="gpt-4o")
            + _hourly("gateway", "output_tokens", "2025-03-01", hours, 500.0, model="in-house-7b"))
    return _usage(rows)


def test_spend_rates_use_the_data_cost_then_the_catalog_and_never_a_default():
    from planner.report.pricing import PriceFile, spend_rates
    from planner.report.series import build_series

    usage = _priced_usage()
    q = usage[usage["metric"] == "output_tokens"]
    cost = usage[usage["metric"] == "cost_usd"]
    built = build_series(q, ["output_tokens"], by=["model"], freq="h")
    rates = spend_rates(built.info, q, ["model"], cost).set_index("unique_id")
    # LiteLLM's own cost: 0.05 USD per 1,000 output tokens
    assert rates.loc["claude-x/output_tokens", "usd_per_unit"] == pytest.approx(0.05 / 1000)
    assert rates.loc["claude-x/output_tokens", "basis"] == "cost_usd in the data"
    assert "USD 16.80 of cost_usd over 336,000 output tokens" in rates.loc["claude-x/output_tokens", "detail"]
    # gpt-4o from the packaged LiteLLM catalog, with the entry's own source and the catalog version
    gpt = rates.loc["gpt-4o/output_tokens"]
    assert gpt["usd_per_unit"] == pytest.approx(10e-6) and gpt["basis"] == "price catalog"
    assert f"price catalog entry 'gpt-4o' ({catalog_origin('litellm_model_prices.json')}" in gpt["detail"]
    assert "https://developers.openai.com/api/docs/pricing" in gpt["detail"]
    # a model no catalog knows has no USD figure, and says why
    other = rates.loc["in-house-7b/output_tokens"]
    assert np.isnan(other["usd_per_unit"]) and "unknown API model 'in-house-7b'" in other["detail"]
    # your own prices win
    mine = PriceFile(Path("p.yaml"), {"output_tokens": {"in-house-7b": 1e-6, "*": 2e-6}})
    yours = spend_rates(built.info, q, ["model"], cost, prices=mine).set_index("unique_id")["usd_per_unit"]
    assert yours.to_dict() == {"claude-x/output_tokens": 2e-6, "gpt-4o/output_tokens": 2e-6,
                               "in-house-7b/output_tokens": 1e-6}


def test_spend_is_counted_once_per_series_when_several_metrics_are_forecast():
    from planner.report.pricing import spend_rates
    from planner.report.series import build_series

    usage = _usage(_hourly("litellm", "input_tokens", "2025-03-01", 48, 3000.0, model="claude-x")
                   + _hourly("litellm", "output_tokens", "2025-03-01", 48, 1000.0, model="claude-x")
                   + _hourly("litellm", "cost_usd", "2025-03-01", 48, 0.05, model="claude-x"))
    q = usage[usage["metric"] != "cost_usd"]
    built = build_series(q, ["input_tokens", "output_tokens"], by=["model"], freq="h")
    rates = spend_rates(built.info, q, ["model"], usage[usage["metric"] == "cost_usd"]).set_index("unique_id")
    counted = rates["basis"].value_counts().to_dict()
    assert counted == {"cost_usd in the data": 1, "counted elsewhere": 1}
    # the one rate prices the whole cost: 48 h x 0.05 USD
    priced = rates[rates["basis"] == "cost_usd in the data"].iloc[0]
    qty = 48 * (3000.0 if priced.name.startswith("claude-x/input") else 1000.0)
    assert priced["usd_per_unit"] * qty == pytest.approx(48 * 0.05)


def test_budget_burn_prices_each_series_and_leaves_out_those_without_a_price():
    ds = pd.date_range("2025-01-01", periods=3, freq="D")
    fc = pd.concat([pd.DataFrame({"unique_id": u, "ds": ds, "forecast": 10.0, "lo-95": 5.0, "hi-95": 20.0})
                    for u in ("a", "b")])
    burn = tables.budget_burn(fc, unit_price_usd={"a": 2.0})  # b has no USD figure
    assert burn["cum_usd"].tolist() == [20.0, 40.0, 60.0] and burn["cum_hi_usd"].iloc[-1] == 120.0


@pytest.fixture(scope="module")
def priced_store(tmp_path_factory) -> tuple[Path, int]:
    """:func:`_priced_usage` in a store, with a forecast snapshot of 24 hours at each series' last value."""
    from planner.report.series import build_series

    path = tmp_path_factory.mktemp("priced") / "planner.duckdb"
    usage = _priced_usage()
    built = build_series(usage, ["output_tokens"], by=["model"], freq="h")
    last = built.series.groupby("unique_id").tail(1)
    fc = pd.concat([pd.DataFrame({"unique_id": r.unique_id, "ds": pd.date_range(r.ds, periods=25, freq="h")[1:],
                                  "forecast": r.y, "lo-80": 0.9 * r.y, "hi-80": 1.1 * r.y, "lo-95": 0.8 * r.y,
                                  "hi-95": 1.2 * r.y}) for r in last.itertuples()])
    with Store(path) as store:
        store.ingest([Batch.of(usage)])
        sid = store.save_snapshot("forecast", {"forecast": fc.assign(model="last value"),
                                               "backtest": pd.DataFrame({"unique_id": ["x"]})}, label="2025-03")
    return path, sid


@pytest.mark.slow
def test_monthly_report_prices_spend_from_the_data_and_the_catalog_without_a_budget(priced_store, tmp_path):
    path, sid = priced_store
    report = render_report("monthly_forecast", {"store_path": str(path), "metrics": "[output_tokens]", "by": "[model]",
                                                "freq": "h", "forecast_snapshot": str(sid)}, tmp_path, date="d")
    text = _html_text(report.html.read_text())
    # 24 h of claude-x at 1,000 tokens x 0.05 USD per 1,000 + gpt-4o at 2,000 tokens x 10 USD per million
    expected = 24 * 1000 * 0.05 / 1000 + 24 * 2000 * 10e-6
    assert f"USD {expected:,.2f}" in text and "2 of 3 series priced" in text
    assert "cost_usd over 336,000 output tokens in your data" in text
    assert "price catalog entry 'gpt-4o'" in text and "unknown API model 'in-house-7b'" in text
    assert "No budgets file was given" in text and "Crossed or expected on" not in text
    for placeholder in ("50,000", "2e-06", "0.000002"):
        assert placeholder not in text


@pytest.mark.slow
def test_monthly_report_shows_your_budgets_file(priced_store, tmp_path):
    path, sid = priced_store
    budgets = tmp_path / "budgets.yaml"
    budgets.write_text("budgets:\n  - {name: ai, amount_usd: 20, period: month}\n")
    report = render_report("monthly_forecast", {"store_path": str(path), "metrics": "[output_tokens]", "by": "[model]",
                                                "freq": "h", "forecast_snapshot": str(sid),
                                                "budgets_file": str(budgets)}, tmp_path, date="d")
    text = _html_text(report.html.read_text())
    # 1.2 (claude-x's cost_usd) + 0.48 (gpt-4o at its catalog price) USD a day for 14 days: 23.52 USD, over 20;
    # 80 % (16 USD) reached after 16 / 0.07 = 228.57 hours, on 2025-03-10 12:34
    assert "USD 23.52" in text and "No budgets file was given" not in text
    assert "ai 2025-03 80 % USD 16.00 crossed 2025-03-10 12:34" in text
    assert "2 thresholds crossed (ai 80 % and ai 100 %)" in text


def test_capacity_prices_come_from_the_gpu_catalog_or_the_user_and_scale_with_the_period():
    from planner.report.pricing import capacity_prices

    cat = capacity_prices("node_hours", gpu_type="A100-80GB", cloud="aws", gpus_per_unit=8)
    assert cat.on_demand_usd_per_gpu_hour == pytest.approx(4.1171) and cat.reserved_usd_per_gpu_hour == pytest.approx(2.6761)
    assert any(f"GPU catalog entry A100-80GB on aws (p4de.24xlarge): {catalog_origin('gpu_offerings.csv')}" in s
               for s in cat.sources)
    hourly, daily = cat.per_unit_period("h"), cat.per_unit_period("D")
    assert daily["on_demand"] == pytest.approx(24 * hourly["on_demand"]) == pytest.approx(24 * 8 * 4.1171)
    with pytest.raises(InputError, match="no GPU prices"):
        capacity_prices("node_hours")
    with pytest.raises(InputError, match="gpus_per_unit"):
        capacity_prices("node_hours", gpu_type="A100-80GB")
    with pytest.raises(InputError, match="periods of different lengths"):
        capacity_prices("gpu_hours", on_demand_usd_per_gpu_hour=4, reserved_usd_per_gpu_hour=2).per_unit_period("MS")


def test_price_file_is_checked(tmp_path):
    from planner.report.pricing import read_price_file

    good = tmp_path / "p.yaml"
    good.write_text("unit_prices: {requests: {m-large: 0.002}}\ncapacity: {gpu_type: H100, cloud: aws}\n")
    assert read_price_file(good).unit_prices == {"requests": {"m-large": 0.002}}
    bad = tmp_path / "bad.yaml"
    bad.write_text("unit_prices: {requets: {m-large: 0.002}}\n")
    with pytest.raises(InputError, match=r"unknown metric\(s\) \['requets'\]"):
        read_price_file(bad)
    bad.write_text("capacity: {gpu_type: H100, on_demand_usd_per_gpu_hour: -1}\n")
    with pytest.raises(InputError, match="capacity.on_demand_usd_per_gpu_hour: expected a value >= 0"):
        read_price_file(bad)
    assert read_price_file(ROOT / "plans" / "demo_prices.yaml").capacity["gpu_type"] == "A100-80GB"


def test_commitment_comparison_is_skipped_without_gpu_prices_or_current_gpu_demand():
    from planner.report.monthly import _commitment_blocker
    from planner.report.pricing import PriceFile

    usage = _usage(_hourly("cluster", "gpu_hours", "2025-03-01", 31 * 24, 10.0))
    end = pd.Timestamp("2025-04-01")
    assert _commitment_blocker({"gpu_hours": usage}, "2025-03", end, None, False).startswith("no GPU prices")
    prices = PriceFile(Path("p.yaml"), capacity={"gpu_type": "H100"})
    assert _commitment_blocker({"gpu_hours": usage}, "2025-03", end, prices, False) == ""
    assert "periods of different lengths" in _commitment_blocker({"gpu_hours": usage}, "2025-03", end, prices,
                                                                 False, freq="MS")
    stale = _commitment_blocker({"gpu_hours": usage}, "2026-03", pd.Timestamp("2026-04-01"), prices, False)
    assert "latest gpu_hours usage is 2025-03-31 23:00 (source cluster); month 2026-03 has none" in stale


def test_commitment_report_without_gpu_prices_exits_2_before_running(mixed_store, tmp_path, capsys):
    # it used to run on placeholder prices of 2.5 and 1.6 USD per unit-period
    code = main(["report", "commitment_comparison", "-p", "store_path", str(mixed_store),
                 "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("planner report: error: commitment_comparison: no GPU prices: give gpu_type")
    assert not (tmp_path / "r").exists()


def _gpu_history(tmp_path: Path, freq: str) -> Path:
    """60 days at 10 GPUs busy every hour, as GPU-hours per hour or per day."""
    ds = pd.date_range("2025-01-01", periods=60 * 24, freq="h")
    frame = pd.DataFrame({"unique_id": "pool", "ds": ds, "y": 10.0})
    if freq == "D":
        frame = frame.set_index("ds").resample("D")["y"].sum().reset_index().assign(unique_id="pool")
    path = tmp_path / f"gpus_{freq}.csv"
    frame[["unique_id", "ds", "y"]].to_csv(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("freq", ["h", "D"])
def test_hourly_and_daily_history_of_the_same_usage_cost_the_same(tmp_path, freq):
    report = render_report("commitment_comparison", {
        "history_file": str(_gpu_history(tmp_path, freq)), "metric": "gpu_hours", "freq": freq, "by": "[product]",
        "horizon_days": "30", "on_demand_usd_per_gpu_hour": "4", "reserved_usd_per_gpu_hour": "2"}, tmp_path, date="d")
    text = _html_text(report.html.read_text())
    # 10 GPUs x 720 h: all on-demand 10 x 4 x 720 = 28,800 USD; all reserved 14,400 USD (either period),
    # a 1-year term of 10 GPUs at 2 USD/GPU-h commits 10 x 2 x 8,760 = 175,200 USD
    assert "USD 28,800" in text
    assert ("Buy 1-year reservations for 10 GPUs from 2025-03-02: expected USD 14,400 over 30 days, 50 % less than "
            "all on-demand. The reservations commit USD 175,200 over their 1-year term") in text
    assert "your option on_demand_usd_per_gpu_hour" in text


@pytest.mark.slow
def test_monthly_job_prices_gpus_from_the_catalog_entry_it_names(tmp_path, capsys):
    store = tmp_path / "s.duckdb"
    rng = np.random.default_rng(3)
    hours = 59 * 24  # February and March 2025
    with Store(store) as s:
        s.ingest([Batch.of(_usage(_hourly("cluster", "gpu_hours", "2025-02-01", hours,
                                          10 + rng.normal(0, 0.5, hours), gpu_type="A100-80GB")))])
    prices = tmp_path / "prices.yaml"
    prices.write_text("capacity: {gpu_type: A100-80GB, cloud: aws}\n")
    code = main(["monthly", "--month", "2025-03", "--store", str(store), "--metric", "gpu_hours", "--by", "gpu_type",
                 "--freq", "D", "--horizon", "7", "--prices", str(prices), "--output-dir", str(tmp_path / "r")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert ("price: commitment_comparison: GPU catalog entry A100-80GB on aws (p4de.24xlarge): "
            f"{catalog_origin('gpu_offerings.csv')}") in out
    assert "price: A100-80GB/gpu_hours: no USD figure" in out  # GPU-hours of the forecast have no token price
    html = _html_text((tmp_path / "r" / "2025-03" / "commitment_comparison.html").read_text())
    assert "on-demand USD 4.117 per GPU-hour: the catalog entry A100-80GB on aws (p4de.24xlarge)" in html
    assert "Over 30 days" in html  # April, the month after the one closed


# -- part 5: paths from anywhere, notebooks that run on their defaults, copies to edit ----------------------
@pytest.mark.slow
def test_readme_relative_store_and_the_mixed_demo_store(mixed_store, tmp_path, monkeypatch, capsys):
    # `export PLANNER_STORE=out/demo/planner.duckdb` then `planner report monthly_forecast -p metrics '[requests]'`
    (tmp_path / "out" / "demo").mkdir(parents=True)
    shutil.copy(mixed_store, tmp_path / "out" / "demo" / "planner.duckdb")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLANNER_STORE", "out/demo/planner.duckdb")
    code = main(["report", "monthly_forecast", "-p", "metrics", "[requests]", "-p", "horizon", "24",
                 "-p", "history_periods", "72", "--output-dir", "reports", "--date", "d"])
    assert code == 0, capsys.readouterr().err
    text = _html_text((tmp_path / "reports" / "d" / "monthly_forecast.html").read_text())
    assert "Series azure_trace (no model)/requests ends 2023-11-16 19:00, 14 months before the rest" in text
    assert "left out of the forecast" in text
    assert not re.search(r"(^|[\s'(])/requests", text)  # no series named '/requests'
    assert "2023-11-17" not in text  # nothing forecast from the 2023 trace


def test_path_parameters_are_resolved_here_and_checked_before_the_notebook_runs(tmp_path, monkeypatch, capsys):
    from planner.report import resolve_path_parameters

    monkeypatch.chdir(ROOT)
    got = resolve_path_parameters("whatif_scenarios", {"scenario_files": ["scenarios/baseline.yaml"], "draws": 5})
    assert got == {"scenario_files": [str(ROOT / "scenarios" / "baseline.yaml")], "draws": 5}
    t0 = time.perf_counter()
    code = main(["report", "whatif_scenarios", "-p", "scenario_files", "[scenarios/baseline.yaml, scenarios/nope.yaml]",
                 "--output-dir", str(tmp_path / "r")])
    seconds = time.perf_counter() - t0
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "parameter 'scenario_files': scenarios/nope.yaml: no such file" in err and str(ROOT) in err
    assert seconds < 1.0 and not (tmp_path / "r").exists()  # refused before a kernel starts


@pytest.mark.parametrize(("params", "needle"), [
    ({"store_path": "nowhere/planner.duckdb"}, "parameter 'store_path': nowhere/planner.duckdb: no such file"),
    ({"usage_files": "[a.csv]"}, "parameter 'usage_files': a.csv: no such file"),
])
def test_missing_input_paths_exit_2_naming_the_parameter(params, needle, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = [x for k, v in params.items() for x in ("-p", k, v)]
    assert main(["report", "monthly_forecast", *args]) == 2
    assert needle in capsys.readouterr().err


def test_a_store_that_is_not_there_is_named_before_the_notebook_runs(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PLANNER_STORE", "typo/planner.duckdb")
    assert main(["report", "monthly_forecast", "--output-dir", "r"]) == 2
    err = capsys.readouterr().err
    assert f"no store at {tmp_path / 'typo' / 'planner.duckdb'} ($PLANNER_STORE)" in err
    assert not (tmp_path / "r").exists()


def test_notebook_defaults_fall_back_to_the_demo_store_or_say_what_to_give(tmp_path, monkeypatch):
    from planner.report import defaults as report_defaults

    monkeypatch.delenv("PLANNER_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    demo = tmp_path / "checkout"
    (demo / "out" / "demo").mkdir(parents=True)
    (demo / "out" / "demo" / "planner.duckdb").write_bytes(b"")
    (demo / "plans").mkdir()
    (demo / "plans" / "demo_prices.yaml").write_text("capacity: {gpu_type: H100}\n")
    monkeypatch.setattr(report_defaults, "checkout", lambda: demo)
    path, note = report_defaults.store("")
    assert path == str(demo / "out" / "demo" / "planner.duckdb") and "showing the demo store" in note
    assert report_defaults.demo_prices(note) == str(demo / "plans" / "demo_prices.yaml")
    assert report_defaults.store("mine.duckdb") == (str(Path("mine.duckdb").resolve()), "")
    monkeypatch.setattr(report_defaults, "checkout", lambda: None)  # an installed package: no demo
    with pytest.raises(InputError, match=r"no store given and none at .*: set store_path, set \$PLANNER_STORE, or "
                                         r"run `make demo`"):
        report_defaults.store("")
    # the checkout this suite runs from has its example plan and scenarios
    monkeypatch.undo()
    assert report_defaults.plan_config()[0] == str(ROOT / "plans" / "servegen.yaml")
    assert [Path(f).name for f in report_defaults.scenario_files()[0]][0] == "baseline.yaml"


@pytest.mark.slow
def test_notebook_opened_with_its_defaults_runs_from_another_folder(priced_store, tmp_path, monkeypatch):
    """As JupyterLab runs it: no parameters given, another working folder, the default store."""
    import papermill as pm

    from planner.report import copy_notebook

    path, _ = priced_store
    data = tmp_path / "data"
    (data / "planner").mkdir(parents=True)
    shutil.copy(path, data / "planner" / "planner.duckdb")
    monkeypatch.delenv("PLANNER_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    copied = copy_notebook("monthly_forecast", tmp_path / "mine")[0]
    (tmp_path / "elsewhere").mkdir()
    nb = pm.execute_notebook(str(copied), str(tmp_path / "run.ipynb"), kernel_name="python3",
                             cwd=str(tmp_path / "elsewhere"), progress_bar=False,
                             parameters={"horizon": 6, "history_periods": 72})
    text = "\n".join(str(o.get("data", {}).get(kind, "")) for c in nb.cells for o in c.get("outputs", [])
                     for kind in ("text/markdown", "text/html"))
    assert "(the default store)" in text and "price catalog entry 'gpt-4o'" in text


def test_copy_gives_an_editable_copy_and_never_replaces_one(tmp_path, capsys):
    assert main(["report", "--copy", "monthly_forecast", str(tmp_path / "nb")]) == 0
    copied = tmp_path / "nb" / "monthly_forecast.ipynb"
    assert str(copied) in capsys.readouterr().out
    packaged = ROOT / "planner" / "notebooks" / "monthly_forecast.ipynb"
    assert copied.read_bytes() == packaged.read_bytes() and not copied.is_symlink()
    assert list(notebook_parameters(str(copied))["name"]) == list(notebook_parameters("monthly_forecast")["name"])
    copied.write_text(copied.read_text().replace("Monthly forecast report", "My report"))
    assert main(["report", "--copy", "monthly_forecast", str(tmp_path / "nb")]) == 2
    assert "already exists" in capsys.readouterr().err and "My report" in copied.read_text()
    assert "Monthly forecast report" in packaged.read_text()
    assert main(["report", "--copy", "all", str(tmp_path / "every")]) == 0
    assert sorted(p.name for p in (tmp_path / "every").iterdir()) == sorted(
        p.name for p in (ROOT / "planner" / "notebooks").glob("*.ipynb"))


def test_parameters_are_read_as_papermill_reads_them():
    import papermill as pm

    for name in ("monthly_forecast", "commitment_comparison", "capacity_plan", "whatif_scenarios", "showback"):
        ours = notebook_parameters(name).set_index("name")
        theirs = pm.inspect_notebook(str(ROOT / "planner" / "notebooks" / f"{name}.ipynb"))
        assert list(ours.index) == list(theirs)
        for key, p in theirs.items():
            assert (ours.loc[key, "type"], ours.loc[key, "default"], ours.loc[key, "help"]) == (
                p["inferred_type_name"], p["default"], p["help"])


def test_packaged_notebooks_have_no_placeholder_price_or_budget():
    for name in ("monthly_forecast", "commitment_comparison"):
        params = notebook_parameters(name).set_index("name")["default"]
        priced = [k for k in params.index if k.endswith(("_usd", "_price", "_usd_per_gpu_hour"))]
        assert priced and all(float(params[k]) == 0.0 for k in priced), params[priced]
    nb = nbformat.read(ROOT / "planner" / "notebooks" / "commitment_comparison.ipynb", as_version=4)
    assert "2.5" not in json.dumps([c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])])
