"""What a report's reader sees: numbers with units and separators, index-free tables, names in
words, data notes said once, one advice sentence per decision, and failed reports that explain.

Exact strings throughout: each is what a finance reader gets on the page.
"""

from __future__ import annotations

import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from planner.report import format as fmt
from planner.report import words


# -- numbers ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "expected"), [
    (1545000, "USD 1,545,000"),
    (154500.4, "USD 154,500"),
    (99.999, "USD 100"),           # rounds to whole dollars, not to "USD 100.00"
    (12.5, "USD 12.50"),
    (0.5, "USD 0.50"),
    (0.0123, "USD 0.0123"),        # below a cent: three significant digits, not "USD 0.01"
    (0.000002, "USD 0.000002"),    # a price per token, never 2e-06
    (0, "USD 0"),
    (-12.5, "-USD 12.50"),
    (-1545000, "-USD 1,545,000"),
    (float("nan"), "–"),
    (None, "–"),
    (float("inf"), "–"),
])
def test_usd(value, expected):
    assert fmt.usd(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    (1_210_000, "USD 1.21 M"), (1_200_000, "USD 1.2 M"), (7.355e9, "USD 7.36 B"), (2.5e12, "USD 2.5 T"),
    (422_821, "USD 422,821"), (-3.2e6, "-USD 3.2 M"),
])
def test_usd_compact(value, expected):
    assert fmt.usd(value, compact=True) == expected


@pytest.mark.parametrize(("call", "expected"), [
    (lambda: fmt.tokens(12_100_000), "12.1 M tokens"),
    (lambda: fmt.tokens(95_000), "95,000 tokens"),
    (lambda: fmt.tokens(2.687e11), "269 B tokens"),
    (lambda: fmt.count(148, "GPUs"), "148 GPUs"),
    (lambda: fmt.count(10.45, "GPUs"), "10.4 GPUs"),
    (lambda: fmt.count(1, "GPUs"), "1 GPU"),
    (lambda: fmt.count(1, "prefixes"), "1 prefix"),
    (lambda: fmt.count(1, "demand scenarios"), "1 demand scenario"),
    (lambda: fmt.count(1, "series"), "1 series"),
    (lambda: fmt.count(47_750_000, "requests"), "47.8 M requests"),
    (lambda: fmt.count(980_832), "980,832"),
    (lambda: fmt.count(np.nan, "GPUs"), "–"),
    (lambda: fmt.pct(8.08), "8.1 %"),
    (lambda: fmt.pct(15.88), "16 %"),
    (lambda: fmt.pct(-27.18, signed=True), "-27 %"),
    (lambda: fmt.pct(5.2, signed=True), "+5.2 %"),
    (lambda: fmt.pct(-0.01), "0 %"),
    (lambda: fmt.share(0.8382), "84 %"),
    (lambda: fmt.points(149.7), "+150 pp"),
    (lambda: fmt.number(0.8465), "0.847"),
    (lambda: fmt.number(1e-7), "0.0000001"),
    (lambda: fmt.number(-1234567.8), "-1,234,568"),
    (lambda: fmt.number(4.1171, 4), "4.117"),
    (lambda: fmt.price(2e-6, "token"), "USD 0.000002 per token"),
    (lambda: fmt.date(pd.Timestamp("2025-01-20")), "2025-01-20"),
    (lambda: fmt.date("2025-01-20 13:00:00"), "2025-01-20 13:00"),
    (lambda: fmt.date(pd.NaT), "–"),
    (lambda: fmt.amount(12.1e6, "output_tokens"), "12.1 M output tokens"),
    (lambda: fmt.amount(1, "requests"), "1 request"),
    (lambda: fmt.amount(1234.5, "cost_usd"), "USD 1,234"),
    (lambda: fmt.label("expected_cost_usd"), "Expected cost (USD)"),
    (lambda: fmt.label("expected_utilization"), "Expected utilization"),
])
def test_quantities_percentages_dates(call, expected):
    assert call() == expected


def test_no_format_writes_e_notation():
    values = [10.0 ** k * m for k in range(-9, 14) for m in (1, 1.5, 9.99)]
    for v in values:
        for text in (fmt.usd(v), fmt.usd(v, compact=True), fmt.count(v, "GPUs"), fmt.number(v), fmt.pct(v),
                     fmt.price(v, "token")):
            assert not re.search(r"\de[+-]?\d", text), (v, text)


# -- names ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("call", "expected"), [
    (lambda: words.pool_name("H100@aws"), "H100 on AWS"),
    (lambda: words.route_name("api:gpt-4o (batch)"), "API gpt-4o (batch)"),
    (lambda: words.route_name("selfhost:llama-70b@H100@aws"), "self-hosted llama-70b, H100 on AWS"),
    (lambda: words.route_name("selfhost:llama-3.3-70b/fp8/tensorrt-llm@H100@aws"),
     "self-hosted llama-3.3-70b (FP8, tensorrt-llm), H100 on AWS"),
    (lambda: words.route_name("provisioned:gpt-4o-ptu"), "provisioned throughput gpt-4o-ptu"),
    (lambda: words.term_name("3y"), "3-year"),
    (lambda: words.term_name("1m"), "1-month"),
    (lambda: words.model_name("Ensemble", "SeasonalNaive+ETS_ANA+Theta"), "combination of 3 models"),
    (lambda: words.model_name("Naive"), "naive (last value)"),
    (lambda: words.metric_noun("gpu_hours"), "GPU-hours"),
    (lambda: words.frequency("W-MON"), "weekly"),
    (lambda: words.frequency("6h"), "every 6 hours"),
    (lambda: words.period_name("h"), "hour"),
    (lambda: words.names(["a", "b"]), "a and b"),
    (lambda: words.names(list("abcdef")), "a, b, c and 3 more"),
    (lambda: words.capital("all API"), "All API"),
])
def test_names_in_words(call, expected):
    assert call() == expected


# -- tables -----------------------------------------------------------------------------------------
def test_table_has_no_index_and_labels_and_formats_each_column():
    frame = pd.DataFrame({"option": ["plan", "all on-demand"], "expected_cost_usd": [1317788.79, np.nan],
                          "expected_utilization": [0.8382, 1.0]}, index=[7, 3])
    got = fmt.table(frame, columns={"option": "Option", "expected_cost_usd": "Expected cost",
                                    "expected_utilization": "Utilization"},
                    formats={"expected_cost_usd": "usd", "expected_utilization": "share"})
    assert got.frame.to_dict("list") == {"Option": ["plan", "all on-demand"], "Expected cost": ["USD 1,317,789", "–"],
                                         "Utilization": ["84 %", "100 %"]}
    html = got.to_html()
    assert html == (
        '<table class="planner-table"><thead><tr>'
        '<th class="nowrap" style="text-align: left">Option</th>'
        '<th class="nowrap" style="text-align: right">Expected cost</th>'
        '<th class="nowrap" style="text-align: right">Utilization</th></tr></thead><tbody>'
        '<tr><td class="nowrap" style="text-align: left">plan</td><td class="nowrap" style="text-align: right">'
        'USD 1,317,789</td><td class="nowrap" style="text-align: right">84 %</td></tr>'
        '<tr><td class="nowrap" style="text-align: left">all on-demand</td><td class="nowrap" style="text-align: right">'
        '–</td><td class="nowrap" style="text-align: right">100 %</td></tr></tbody></table>')
    assert got._repr_html_() == html  # what a notebook displays


def test_table_keeps_a_named_index_as_a_column_and_labels_unnamed_columns_in_words():
    frame = pd.DataFrame({"cost_p95_usd": [3.1e5], "requests": [4.775e7], "ok": [True]},
                         index=pd.Index(["baseline"], name="scenario"))
    got = fmt.table(frame, formats={"cost_p95_usd": "usd", "requests": lambda v: fmt.count(v, "requests")})
    assert got.frame.to_dict("list") == {"Scenario": ["baseline"], "Cost p95 (USD)": ["USD 310,000"],
                                         "Requests": ["47.8 M requests"], "Ok": ["yes"]}
    with pytest.raises(KeyError, match=r"no column\(s\) \['nope'\]"):
        fmt.table(frame, columns={"nope": "Nope"})


def test_table_escapes_text():
    got = fmt.table(pd.DataFrame({"name": ["<b>x</b> & 'y'"]}))
    assert "&lt;b&gt;x&lt;/b&gt; &amp; 'y'" in got.to_html()


# -- data notes -------------------------------------------------------------------------------------
def test_notes_collapse_repeated_per_series_warnings_into_one_line_with_a_count():
    from planner.report.notes import collapse

    warned = [f"out/demo/x.csv: series '{s}': history of 24 periods is shorter than two seasons of {season}: "
              "that cycle is not modelled" for s in ("a/requests", "b/requests", "c/requests", "d/requests", "e/requests")
              for season in (24, 168)]
    warned += [
        "input: series 'm-mid/requests': 8 zero periods in a series that is otherwise positive and large (first "
        "2025-01-09 15:00:00 to 2025-01-09 15:00:00) read as outages or missing data: interpolated for fitting",
        "input: series 'm-small/requests': 1 zero periods in a series that is otherwise positive and large (first "
        "2025-01-16 06:00:00 to 2025-01-16 06:00:00) read as outages or missing data: interpolated for fitting",
        "series deepseek-r1/requests ends 2025-01-06 23:00, 13 days before the rest (which end 2025-01-19 23:00): "
        "left out of the forecast",
        "series mm-image/requests ends 2025-01-06 23:00, 13 days before the rest (which end 2025-01-19 23:00): "
        "left out of the forecast",
        "usage for 2025-01 ends 2025-01-19 23:00, 12 days before the month's end",
        "usage for 2025-01 ends 2025-01-19 23:00, 12 days before the month's end",  # a duplicated note
        "/work/somewhere/data/servegen.csv: 27 empty metric cells treated as missing data (not zero)",
        "llama-8b/H100/fp8: 138 tokens per request is outside the measured 256-4096",
    ]
    assert collapse(warned) == [
        "5 series (a/requests, b/requests, c/requests and 2 more): history of 24 periods is shorter than two seasons "
        "of 24 or 168: that cycle is not modelled",
        "2 series (m-mid/requests and m-small/requests): 1 or 8 zero periods in a series that is otherwise positive "
        "and large read as outages or missing data: interpolated for fitting",
        "2 series (deepseek-r1/requests and mm-image/requests) end 2025-01-06 23:00, 13 days before the rest (which "
        "end 2025-01-19 23:00): left out of the forecast",
        "Usage for 2025-01 ends 2025-01-19 23:00, 12 days before the month's end",
        "servegen.csv: 27 empty metric cells treated as missing data (not zero)",
        "llama-8b/H100/fp8: 138 tokens per request is outside the measured 256-4096",
    ]


def test_one_series_note_keeps_its_name_and_the_html_list_is_escaped():
    from planner.report.notes import collapse, notes_html

    assert collapse(["input: series 'pool': 18 zero periods (first 2017-10-26) read as outages"]) == [
        "pool: 18 zero periods (first 2017-10-26) read as outages"]
    assert notes_html([]) == ""
    assert notes_html(["a < b", "a < b"]) == (
        '<div class="planner-notes"><p><strong>Data notes</strong></p><ul><li>A &lt; b</li></ul></div>')


def test_capture_collects_warnings_and_can_raise_them_again():
    import warnings

    from planner.exceptions import PlannerWarning
    from planner.report.notes import capture

    with capture() as notes:
        warnings.warn("series 'a': short", PlannerWarning, stacklevel=1)
        warnings.warn("IProgress not found. Please update jupyter", UserWarning, stacklevel=1)
        warnings.warn("old API", DeprecationWarning, stacklevel=1)
    assert notes == ["series 'a': short"]
    with pytest.warns(PlannerWarning, match="again"), capture(reemit=True) as notes:
        warnings.warn("again", PlannerWarning, stacklevel=1)
    assert notes == ["again"]


# -- advice -----------------------------------------------------------------------------------------
def _options(best_term="1-year"):
    return pd.DataFrame({
        "option": ["All on-demand (nothing reserved)", "Planner's level", "Planner's level at the 3-year price"],
        "term": ["", "1-year", "3-year"], "reserved_units": [0.0, 3.0, 3.0], "reserved_gpus": [0.0, 24.0, 24.0],
        "reserved_usd_per_gpu_hour": [np.nan, 2.676, 1.853],
        "expected_cost_usd": [1_304_000.0, 1_200_000.0, 1_250_000.0 if best_term == "1-year" else 1_100_000.0],
        "savings_vs_on_demand_pct": [0.0, 8.0, 4.1 if best_term == "1-year" else 15.6],
    })


def test_commitment_advice_names_what_to_buy_when_and_what_it_commits():
    from planner.report.advice import commitment_advice
    from planner.report.pricing import CapacityPrices

    nodes = CapacityPrices("node_hours", 8.0, 4.117, 2.676, 1.853, [], "A100-80GB", "aws")
    assert commitment_advice(_options(), nodes, pd.Timestamp("2025-02-01"), 30) == (
        "Buy 24 A100-80GB 1-year reservations on AWS (3 nodes of 8 GPUs) from 2025-02-01: expected USD 1.2 M over "
        "30 days, 8 % less than all on-demand. The reservations commit USD 562,602 over their 1-year term; the "
        "comparison charges only the 30 days compared.")
    own = CapacityPrices("gpu_hours", 1.0, 4.0, 2.0, None, [])
    assert commitment_advice(_options("3-year"), own, "2025-03-02", 30).startswith(
        "Buy 3-year reservations for 24 GPUs from 2025-03-02: expected USD 1.1 M over 30 days, 16 % less than all "
        "on-demand. The reservations commit USD 1.17 M over their 3-year term")  # 24 x 1.853 x 8,760 x 3
    nothing = _options().assign(expected_cost_usd=[1000.0, 1200.0, 1300.0])
    assert commitment_advice(nothing, own, "2025-03-02", 7) == (
        "Reserve nothing: all on-demand is the cheapest option, expected USD 1,000 over 7 days.")


def test_plan_advice_groups_purchases_by_pool_and_term():
    from planner.report.advice import plan_advice

    purchases = pd.DataFrame({
        "what": ["H100@aws reserved 3y", "H100@aws reserved 3y", "A100-80GB@aws reserved 1y", "provisioned gpt-4o-ptu (gpt-4o)"],
        "kind": ["reserved", "reserved", "reserved", "provisioned"],
        "pool": ["H100@aws", "H100@aws", "A100-80GB@aws", "gpt-4o-ptu"], "term": ["3y", "3y", "1y", "1m"],
        "start": ["2025-01-20", "2025-01-27", "2025-01-20", "2025-01-20"], "units": [19.0, 1.0, 21.0, 2415.0],
        "unit": ["8-GPU instance (p5.48xlarge)"] * 2 + ["8-GPU instance (p4de.24xlarge)", "PTU of 2,500 tokens/min"],
        "gpus": [152.0, 8.0, 168.0, np.nan], "obligation_usd": [12_123_791.0, 638_094.0, 2_718_000.0, 639_941.0],
        "in_horizon_usd": [155_007.0, 4_080.0, 104_254.0, 289_006.0]})
    baselines = pd.DataFrame({"option": ["plan", "all on-demand (no commitments)"],
                              "expected_cost_usd": [131_778_900.0, 156_650_100.0], "plan_saves_pct": [0.0, 15.88]})
    horizon = {"start": "2025-01-20", "hours": 336.0}
    # costs over the window the commitments are priced on, the horizon's part named first
    assert plan_advice(purchases, baselines, horizon, {"months": 36.2}, 1_317_789.0) == (
        "Buy 19 H100 8-GPU instances (p5.48xlarge) on 3-year reservations on AWS from 2025-01-20 (1 more from "
        "2025-01-27), 21 A100-80GB 8-GPU instances (p4de.24xlarge) on 1-year reservations on AWS from 2025-01-20 and "
        "2,415 units (PTU of 2,500 tokens/min) of provisioned gpt-4o-ptu (gpt-4o) on a 1-month term from 2025-01-20: "
        "expected USD 1.32 M over the plan's 14 days and USD 132 M over the 36.2 months its commitments are priced on, "
        "16 % less than all on-demand. The commitments oblige USD 16.1 M over their whole terms, USD 552,347 of it "
        "inside the plan's 14 days.")
    assert plan_advice(purchases.iloc[:0], baselines.assign(plan_saves_pct=[0.0, 0.0225]), {"start": "2025-01-20",
                                                                                         "hours": 48.0}) == (
        "Commit to nothing: on-demand, spot and API capacity is the cheapest plan, expected USD 132 M over the plan's "
        "2 days, about the same as all on-demand.")


def test_scenario_advice_names_the_cheapest_ties_and_quality():
    from planner.report.advice import scenario_advice

    summary = pd.DataFrame({"scenario": ["baseline", "cheap", "same", "dear"],
                            "cost_mean_usd": [299_010.0, 106_180.0, 106_200.0, 666_043.0],
                            "cost_p5_usd": [287_603.0, 100_970.0, 100_990.0, 635_158.0],
                            "cost_p95_usd": [311_002.0, 111_505.0, 111_525.0, 698_635.0],
                            "accuracy": [np.nan, 0.746, np.nan, np.nan]}).set_index("scenario")
    assert scenario_advice(summary, 12) == (
        "Of the 4 scenarios, cheap costs least: expected USD 106,180 over 12 months (90 % range USD 100,970 to "
        "USD 111,505), 64 % less than the baseline (USD 299,010). same costs about the same. Its measured "
        "accuracy is 75 %.")
    assert scenario_advice(summary.iloc[[0, 3]], 12) == (
        "Keep the baseline: the other scenario is not expected to cost less than its USD 299,010 over 12 months.")
    assert scenario_advice(summary.iloc[[0, 3, 3]], 12).startswith("Keep the baseline: none of the other 2 scenarios is")
    mine = summary.iloc[[3, 1]].rename(index={"dear": "my_traffic"})
    assert scenario_advice(mine, 2).endswith("84 % less than the baseline my_traffic (USD 666,043). Its measured "
                                             "accuracy is 75 %.")


# -- a failed report --------------------------------------------------------------------------------
def _failed_notebook(step: str | None) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("<span>An Exception was encountered at 'In [3]'.</span>",
                                      metadata={"tags": ["papermill-error-cell-tag"]}),
        nbformat.v4.new_markdown_cell("# My report\n\nWhat it shows."),
        nbformat.v4.new_code_cell("# Parameters\nstore_path = '/x.duckdb'\n", metadata={"tags": ["injected-parameters"]}),
        nbformat.v4.new_markdown_cell("## Usage"),
        nbformat.v4.new_code_cell("load()", metadata={"tags": ["remove-cell"], **({"planner": {"step": step}} if step else {})},
                                  outputs=[nbformat.v4.new_output(
                                      "error", ename="InputError", evalue="no usage rows for metrics ['gpu_hours']",
                                      traceback=["\x1b[31mTraceback (most recent call last)\x1b[0m", "  File x.py"])]),
        nbformat.v4.new_markdown_cell("## Forecast"),
        nbformat.v4.new_code_cell("forecast()"),
    ])
    return nb


def test_a_failed_report_says_which_step_failed_and_what_to_do_with_the_traceback_folded(tmp_path):
    from planner.report.render import to_html

    path = tmp_path / "failed.ipynb"
    nbformat.write(_failed_notebook("Reading the usage"), path)
    html = to_html(path)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "This report could not be completed" in text
    assert "Step that failed: Reading the usage" in text
    assert "Problem: no usage rows for metrics ['gpu_hours']" in text
    assert "What to do: Correct the input or parameter named in the message, then run the report again." in text
    # the traceback (without terminal colours) and the run's parameters are folded in a <details> block
    details = re.search(r"<details>(.*?)</details>", html, re.S).group(1)
    assert "Traceback (most recent call last)" in details and "\x1b[" not in html
    assert "store_path = '/x.duckdb'" in details and "Error type: InputError" in details
    # no papermill banner, and none of the sections that never ran
    assert "An Exception was encountered" not in html and "Forecast" not in text


def test_a_failed_report_without_a_named_step_names_its_section():
    from planner.report.failure import explain_failure, what_to_do

    nb = _failed_notebook(None)
    assert explain_failure(nb) is True
    html = json.dumps([o.get("data", {}) for c in nb.cells for o in c.get("outputs", [])])
    assert "Step that failed:</strong> Usage" in html
    assert len(nb.cells) == 4  # title, parameters, section, failing cell: the banner and the cells after it dropped
    assert explain_failure(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])) is False
    assert what_to_do("KeyError").startswith("planner did not expect this error")
    assert what_to_do("InfeasibleError").startswith("The plan's limits cannot all be met")


def test_plan_advice_leaves_fractions_of_a_gpu_out():
    from planner.report.advice import plan_advice

    purchases = pd.DataFrame({
        "what": ["H100@aws reserved 3y", "H100@aws reserved 3y", "A100-80GB@aws reserved 3y"], "kind": "reserved",
        "pool": ["H100@aws", "H100@aws", "A100-80GB@aws"], "term": "3y", "start": ["2025-06-01", "2025-06-02", "2025-06-01"],
        "units": [0.000707, 0.0000602, 1067.0], "gpus": [0.000707, 0.0000602, 1067.0], "unit": "GPU",
        "in_horizon_usd": [0.736, 0.0581, 664_141.0], "obligation_usd": [57.6, 4.9, 51_992_753.0]})
    baselines = pd.DataFrame({"option": ["plan", "all on-demand (no commitments)"],
                              "expected_cost_usd": [1_031_021.0, 1_752_947.0], "plan_saves_pct": [0.0, 41.2]})
    assert plan_advice(purchases, baselines, {"start": "2025-06-01", "hours": 336.0}) == (
        "Buy 1,067 A100-80GB 3-year reservations on AWS from 2025-06-01: expected USD 1.03 M over the plan's 14 days, "
        "41 % less than all on-demand. Reservations under 0.5 GPU (0.000767 GPUs of H100 on AWS) are left out of this "
        "advice (GPUs are reserved whole): serve that demand on demand, or round it up to a whole GPU. The commitments "
        "oblige USD 52 M over their whole terms, USD 664,142 of it inside the plan's 14 days.")
