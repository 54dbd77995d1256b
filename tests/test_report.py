"""Reports: notebook inspection, parameter checks, papermill runs, HTML export, charts, tables.

The monthly_forecast notebook runs here without :mod:`planner.forecast` by showing a forecast
snapshot saved in the store (a seasonal-naive forecast from statsforecast, computed in the
fixture); the notebooks that need the optimizer or the simulator skip until those are installed.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.exceptions import InputError, ReportError
from planner.report import (
    charts,
    coerce_parameters,
    list_notebooks,
    notebook_parameters,
    render_report,
    tables,
)
from planner.report.monthly import month_bounds
from planner.store import Store

ROOT = Path(__file__).resolve().parents[1]
PACKAGED = ROOT / "planner" / "notebooks"
NAMES = ["capacity_plan", "commitment_comparison", "monthly_forecast", "showback", "whatif_scenarios"]


# -- the notebooks as files -----------------------------------------------------------------------
def test_bundled_notebooks_are_listed_with_typed_documented_parameters():
    listed = list_notebooks()
    assert sorted(listed["notebook"].unique()) == NAMES
    assert listed["type"].isin(["str", "int", "float", "bool", "list", "dict"]).all(), listed
    assert (listed["help"].str.len() > 10).all(), listed[listed["help"].str.len() <= 10]


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_line_is_parsed_and_outputs_are_stripped(name):
    nb = nbformat.read(PACKAGED / f"{name}.ipynb", as_version=4)
    assert nb.metadata.kernelspec.name == "python3"
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    assigned = [ln.split(":")[0] for ln in tagged[0].source.splitlines() if re.match(r"^\w+\s*:", ln)]
    # papermill skips lines it cannot parse (e.g. '=' or '(' in a comment): all must be there
    assert list(notebook_parameters(name)["name"]) == assigned
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{name}: outputs not stripped"
            assert "os.getcwd" not in cell.source and "Path.cwd" not in cell.source


def test_no_folder_of_the_checkout_is_a_link_to_the_templates():
    # opening notebooks/ in JupyterLab used to edit the templates `planner report` runs
    for path in ROOT.iterdir():
        if path.name.startswith(".") or path.name in ("out", "reports"):
            continue
        assert not (path.is_symlink() and path.resolve() == PACKAGED.resolve()), path


# -- parameters ---------------------------------------------------------------------------------
def test_coerce_parameters_converts_text_to_the_declared_types():
    got = coerce_parameters("monthly_forecast", {
        "horizon": "12", "unit_price_usd": "2.5e3", "metrics": "[requests, output_tokens]", "by": "model",
        "freq": "D",
    })
    assert got == {"horizon": 12, "unit_price_usd": 2500.0, "metrics": ["requests", "output_tokens"],
                   "by": ["model"], "freq": "D"}


@pytest.mark.parametrize(("raw", "needle"), [
    ({"horizon": "twelve"}, "'horizon' expects int"),
    ({"unit_price_usd": "lots"}, "'unit_price_usd' expects float"),
    ({"metrics": "{a: 1}"}, "'metrics' expects list"),
    ({"horizn": "3"}, "unknown parameter 'horizn'"),
])
def test_bad_parameters_name_the_parameter(raw, needle):
    with pytest.raises(InputError, match=re.escape(needle)):
        coerce_parameters("monthly_forecast", raw)


def test_cli_bad_parameter_exits_2_and_writes_nothing(tmp_path, capsys):
    code = main(["report", "monthly_forecast", "-p", "horizon", "x", "--output-dir", str(tmp_path / "r")])
    err = capsys.readouterr().err
    assert code == 2 and "'horizon'" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "r").exists()
    assert main(["report", "no_such_report"]) == 2


def test_cli_list_shows_notebooks_and_parameters(capsys):
    assert main(["report", "--list"]) == 0
    out = capsys.readouterr().out
    for name in NAMES:
        assert name in out
    assert "budgets_file" in out and "your budgets YAML" in out and "budget_usd" not in out


# -- running the monthly report ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def store_with_snapshots(tmp_path_factory, samples_dir=ROOT / "data" / "samples"):
    """ServeGen hourly requests in a store, plus two seasonal-naive forecasts saved as snapshots:
    one labelled 2024-12 made from the first 8 days (scored against days 9-10), one labelled
    2025-01 from all 14 days (the one the report shows)."""
    from statsforecast import StatsForecast
    from statsforecast.models import SeasonalNaive

    from planner.report.monthly import usage_series

    path = tmp_path_factory.mktemp("store") / "p.duckdb"
    assert main(["ingest", str(samples_dir / "servegen_hourly_by_model.csv"), "--mapping",
                 str(samples_dir / "servegen.mapping.yaml"), "--store", str(path)]) == 0
    with Store(path) as store:
        series = usage_series(store.usage(metrics=["requests"]), ["requests"], by=["model"], freq="h", max_series=2)
        sf = StatsForecast(models=[SeasonalNaive(season_length=24)], freq="h")
        ids = {}
        for label, cut in (("2024-12", pd.Timestamp("2025-01-14")), ("2025-01", None)):
            hist = series if cut is None else series[series["ds"] < cut]
            fc = sf.forecast(df=hist, h=48, level=[80, 95])
            fc.columns = [c.replace("SeasonalNaive-", "").replace("SeasonalNaive", "forecast") for c in fc.columns]
            ids[label] = store.save_snapshot("forecast", {"forecast": fc.assign(model="SeasonalNaive"),
                                                          "backtest": pd.DataFrame({"unique_id": ["x"]})}, label=label)
    return path, ids, series


@pytest.fixture(scope="module")
def monthly_report(store_with_snapshots, tmp_path_factory):
    path, ids, _ = store_with_snapshots
    out = tmp_path_factory.mktemp("reports")
    report = render_report("monthly_forecast", {
        "store_path": str(path), "metrics": "[requests]", "by": "[model]", "freq": "h", "max_series": "2",
        "month": "2025-01", "forecast_snapshot": str(ids["2025-01"]), "unit_price_usd": "0.001",
        "growth_window": "24",
    }, out, date="2025-02-01")
    return report


@pytest.mark.slow
def test_monthly_report_writes_executed_notebook_and_offline_html(monthly_report):
    assert monthly_report.notebook == monthly_report.notebook.parent / "monthly_forecast.ipynb"
    assert monthly_report.html.parent.name == "2025-02-01"
    nb = nbformat.read(monthly_report.notebook, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors == []
    html = monthly_report.html.read_text()
    assert html.count("<svg") >= 4
    assert "charts.history_chart(" not in html and "import pandas" not in html  # no code cells
    assert not re.search(r"<script[^>]+src=\"https?:", html) and "cdnjs" not in html
    # the earlier snapshot was scored on the 48 hours it forecast, for both series
    assert "scored on 96 observed periods" in html


@pytest.mark.slow
def test_monthly_report_budget_figures_match_the_tables(monthly_report, store_with_snapshots):
    path, ids, _ = store_with_snapshots
    with Store(path, read_only=True) as store:
        _, tabs = store.load_snapshot(ids["2025-01"])
    burn = tables.budget_burn(tabs["forecast"], unit_price_usd=0.001)
    expected = f"USD {burn['cum_usd'].iloc[-1]:,.0f}"
    assert expected in monthly_report.html.read_text()


@pytest.mark.slow
def test_failing_report_keeps_its_executed_copy_and_exits_1(store_with_snapshots, tmp_path, capsys, monkeypatch):
    path, _, _ = store_with_snapshots
    monkeypatch.chdir(tmp_path)  # notebooks must not depend on the working directory
    code = main(["report", "monthly_forecast", "-p", "store_path", str(path), "-p", "metrics", "[gpu_hours]",
                 "--output-dir", "out", "--date", "d"])
    err = capsys.readouterr().err
    assert code == 1 and len(err.strip().splitlines()) == 1
    assert "InputError" in err and "gpu_hours" in err
    assert "monthly_forecast: reading the usage and building the series failed (cell" in err  # the step, named
    executed = tmp_path / "out" / "d" / "monthly_forecast.ipynb"
    nb = json.loads(executed.read_text())
    assert any(o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", []))
    page = _visible_text((tmp_path / "out" / "d" / "monthly_forecast.html").read_text())
    assert "Step that failed: Reading the usage and building the series" in page
    assert "Problem: no usage rows for sources any and metrics ['gpu_hours']" in page
    assert "What to do: Correct the input or parameter named in the message" in page
    assert "Traceback" not in page and "Usage history" not in page  # folded; sections that never ran left out


def test_render_report_raises_report_error_for_a_failing_notebook(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x: int = 1  # a number"),
                                         nbformat.v4.new_code_cell("raise RuntimeError('boom')")])
    nb.cells[0].metadata["tags"] = ["parameters"]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    src = tmp_path / "mine.ipynb"
    nbformat.write(nb, src)
    with pytest.raises(ReportError, match="RuntimeError: boom"):
        render_report(str(src), {"x": "2"}, tmp_path / "out", date="d")
    assert (tmp_path / "out" / "d" / "mine.ipynb").is_file()


@pytest.mark.slow
def test_html_report_renders_in_headless_chromium(monthly_report, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        pytest.skip("chromium is not installed (Debian: apt-get install -y chromium; .ci/run installs it)")
    proc = subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", monthly_report.html.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert dom.count("<svg") >= 4
    # each chart drew marks (lines/areas as <path>), not an empty frame
    assert dom.count('class="mark-line') >= 2
    for bad in ("Traceback", "MaxRowsError", "Javascript Error", "Error:"):
        assert bad not in dom


# -- charts ---------------------------------------------------------------------------------------
def test_coarsen_keeps_means_and_fits_the_row_budget():
    ds = pd.date_range("2025-01-01", periods=24 * 400, freq="h")
    frame = pd.DataFrame({"unique_id": "a", "ds": ds, "y": np.arange(len(ds), dtype=float)})
    small = charts.coarsen(frame, max_rows=500)
    # hourly (9,600 rows) does not fit, daily (400) does: each value is the mean of its day's hours
    assert len(small) == 400
    assert small["y"].iloc[0] == pytest.approx(11.5) and small["y"].iloc[-1] == pytest.approx(9600 - 12.5)
    assert small["ds"].iloc[1] == pd.Timestamp("2025-01-02")
    assert charts.coarsen(frame.head(10)) is not None and len(charts.coarsen(frame.head(10))) == 10


def test_charts_over_5000_rows_render_to_svg():
    import vl_convert as vlc

    ds = pd.date_range("2025-01-01", periods=24 * 365, freq="h")
    hist = pd.DataFrame({"unique_id": "a", "ds": ds, "y": 1.0})
    fc = pd.DataFrame({"unique_id": "a", "ds": pd.date_range(ds[-1], periods=24 * 300, freq="h"),
                       "forecast": 1.0, "lo-80": 0.5, "hi-80": 1.5})
    svg = vlc.vegalite_to_svg(charts.forecast_chart(hist, fc).to_dict())
    assert svg.startswith("<svg")
    assert charts.history_chart(hist).to_dict()  # altair would raise MaxRowsError past 5,000 rows


# -- tables ---------------------------------------------------------------------------------------
def _fc(values, lo, hi, uid="a", start="2025-01-01"):
    ds = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame({"unique_id": uid, "ds": ds, "forecast": values, "lo-80": lo, "hi-80": hi,
                         "lo-95": lo, "hi-95": hi})


def test_forecast_vs_actual_scores_totals_errors_and_coverage():
    fc = _fc([10.0, 10.0, 10.0, 10.0], [8.0] * 4, [12.0] * 4)
    actual = pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2025-01-02", periods=5, freq="D"),
                           "y": [10.0, 5.0, 20.0, 7.0, 99.0]})
    got = tables.forecast_vs_actual(fc, actual).iloc[0]
    # matched days 2-4: actual 10 + 5 + 20 = 35, forecast 30
    assert got["periods"] == 3 and got["actual"] == 35 and got["forecast"] == 30
    assert got["error_pct"] == pytest.approx(100 * (30 - 35) / 35)
    assert got["mape_pct"] == pytest.approx(100 * (0 + 1 + 0.5) / 3)
    assert got["inside_80_pct"] == pytest.approx(100 / 3)


def test_budget_burn_adds_the_series_spend_period_by_period():
    fc = pd.concat([_fc([100.0] * 10, [50.0] * 10, [200.0] * 10, "a"), _fc([50.0] * 10, [0.0] * 10, [100.0] * 10, "b")])
    burn = tables.budget_burn(fc, unit_price_usd=2.0, spent_usd=100.0)
    assert burn["cum_usd"].tolist() == [100 + 300 * k for k in range(1, 11)]
    # upper band: (200 + 100) x 2 a period, from 100 already spent
    assert burn["cum_hi_usd"].tolist() == [100 + 600 * k for k in range(1, 11)]
    assert not hasattr(tables, "budget_runout")  # budgets are planner.finops.budgets: one path


def test_growth_changes_flags_a_series_that_starts_growing():
    ds = pd.date_range("2025-01-01", periods=30, freq="D")
    flat = pd.DataFrame({"unique_id": "flat", "ds": ds, "y": 100.0})
    y = np.r_[np.full(20, 100.0), np.full(10, 150.0)]
    jump = pd.DataFrame({"unique_id": "jump", "ds": ds, "y": y})
    got = tables.growth_changes(pd.concat([flat, jump]), window=10, threshold_pct=20).set_index("unique_id")
    assert got.loc["jump", "recent_growth_pct"] == pytest.approx(50.0)
    assert got.loc["jump", "earlier_growth_pct"] == pytest.approx(0.0)
    assert bool(got.loc["jump", "changed"]) and not bool(got.loc["flat", "changed"])


def test_month_bounds():
    assert month_bounds("2025-02") == (pd.Timestamp("2025-02-01"), pd.Timestamp("2025-03-01"))
    with pytest.raises(InputError, match="YYYY-MM"):
        month_bounds("Feb 2025")


# -- what needs the forecaster, the optimizer or the simulator --------------------------------------
@pytest.mark.slow
def test_monthly_job_ingests_forecasts_snapshots_and_renders(tmp_path, samples):
    pytest.importorskip("planner.forecast", reason="planner.forecast (issue 3) is not on this branch yet")
    store = tmp_path / "m.duckdb"
    assert main(["ingest", str(samples / "servegen_hourly_by_model.csv"), "--mapping",
                 str(samples / "servegen.mapping.yaml"), "--store", str(store)]) == 0
    args = ["monthly", "--month", "2025-01", "--store", str(store), "--metric", "requests",
            "--freq", "h", "--horizon", "24", "--max-series", "2", "--output-dir", str(tmp_path / "r")]
    assert main(args) == 0
    assert main(args) == 0  # a rerun of the month replaces its snapshot
    html = (tmp_path / "r" / "2025-01" / "monthly_forecast.html").read_text()
    # the forecaster's warnings travel with the snapshot into the report, said once for both series
    assert re.search(r"2 series \(m-mid/requests and m-small/requests\): \d+ or \d+ zero or near-zero periods "
                     r"\(under 1% of the level around them\) in a series that is otherwise positive and large read as "
                     r"outages or missing data", _visible_text(html))
    assert unreadable(html) == []
    with Store(store, read_only=True) as s:
        snaps = s.snapshots("forecast")
        assert snaps["label"].tolist() == ["2025-01"]
        _, tabs = s.load_snapshot(int(snaps["snapshot_id"].iloc[0]))
    assert tabs["forecast"].groupby("unique_id").size().tolist() == [24, 24]


@pytest.mark.slow
def test_monthly_job_with_a_capacity_plan(tmp_path, samples):
    store = tmp_path / "p.duckdb"
    config = tmp_path / "plan.yaml"
    config.write_text(json.dumps({  # JSON is YAML
        "freq": "h", "periods": 24, "block": "D", "scenarios": 3, "pools": [{"gpu_type": "H100", "cloud": "aws"}],
        "workloads": [{"name": "mid", "tokens_per_request": {"input": 325, "output": 52},
                       "demand": {"usage": str(samples / "servegen_hourly_by_model.csv"),
                                  "mapping": str(samples / "servegen.mapping.yaml"), "metric": "requests",
                                  "where": {"model": "m-mid"}},
                       "routes": [{"api": "gpt-4o"}, {"selfhost": "llama-70b", "gpu_type": "H100"}]}]}))
    assert main(["ingest", str(samples / "servegen_hourly_by_model.csv"), "--mapping",
                 str(samples / "servegen.mapping.yaml"), "--store", str(store)]) == 0
    assert main(["monthly", "--month", "2025-01", "--store", str(store), "--metric", "requests", "--freq", "h",
                 "--horizon", "24", "--max-series", "1", "--plan", str(config), "--output-dir", str(tmp_path / "r")]) == 0
    month = tmp_path / "r" / "2025-01"
    assert (month / "capacity_plan.html").is_file() and (month / "plan" / "purchases.csv").is_file()
    html = (month / "capacity_plan.html").read_text()
    assert "What to buy" in html and unreadable(html) == []
    # the plan's warnings, raised while `planner monthly` solved it, are the report's data notes
    assert re.search(r"Data notes [^¶]*workloads\[0\]\.demand: \d+ zero or near-zero periods", _visible_text(html))
    with Store(store, read_only=True) as s:
        plans = s.snapshots("plan")
        assert plans["label"].tolist() == ["2025-01"]
        _, tabs = s.load_snapshot(int(plans["snapshot_id"].iloc[0]))
    assert set(tabs) >= {"purchases", "capacity", "routes", "baselines"}


@pytest.mark.slow
def test_monthly_report_forecasting_live(store_with_snapshots, tmp_path):
    pytest.importorskip("planner.forecast", reason="planner.forecast (issue 3) is not on this branch yet")
    path, _, _ = store_with_snapshots
    report = render_report("monthly_forecast", {
        "store_path": str(path), "metrics": "[requests]", "freq": "h", "horizon": "24", "max_series": "2",
        "history_periods": "168"}, tmp_path, date="d")
    nb = nbformat.read(report.notebook, as_version=4)
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    html = report.html.read_text()
    # history, forecast, backtest; no spend chart: ServeGen requests carry no cost and have no catalog price
    assert "seasonal-naive MASE" in html and html.count("<svg") >= 3
    assert "No USD figure" in html and "prices tokens, not requests" in html
    assert "No earlier forecast snapshot" in html  # month not given: nothing to score
    assert unreadable(html) == []


#: The reports that need the optimizer or the simulator, with small parameters for each.
LATER = {
    "commitment_comparison": ("planner.optimize", "compare_commitments", {
        "history_file": str(ROOT / "data" / "samples" / "philly_busy_nodes_hourly.csv"), "horizon_days": "7",
        "gpu_type": "A100-80GB", "cloud": "aws", "gpus_per_unit": "8"}),
    "capacity_plan": ("planner.optimize", "plan", {
        "config_file": str(ROOT / "plans" / "servegen.yaml"), "scenarios": "4", "periods": "48"}),
    "whatif_scenarios": ("planner.simulate", "load_scenario", {
        "scenario_files": json.dumps([str(ROOT / "scenarios" / n) for n in
                                      ("baseline.yaml", "prompt_caching.yaml", "threshold_router.yaml")]),
        "draws": "50"}),
}


@pytest.fixture(scope="module", params=sorted(LATER))
def later_report(request, tmp_path_factory):
    """Each report that needs the optimizer or the simulator, rendered once: (name, HTML text)."""
    module, function, params = LATER[request.param]
    if importlib.util.find_spec(module) is None or not hasattr(importlib.import_module(module), function):
        pytest.skip(f"{request.param} needs {module}.{function}, not in this version")
    report = render_report(request.param, params, tmp_path_factory.mktemp(request.param), date="d")
    return request.param, report.html.read_text()


@pytest.mark.slow
def test_notebooks_needing_later_modules(later_report):
    name, html = later_report
    assert html.count("<svg") >= 1
    advice = re.search(r'<p class="planner-recommendation">(.*?)</p>', html, re.S)
    assert advice, f"{name}: no recommendation sentence"
    expected = {"commitment_comparison": r"^Buy [\d,.]+ A100-80GB [13]-year reservations on AWS \([\d,.]+ nodes of 8 GPUs\) "
                                         r"from 2017-12-15 19:00: expected USD [\d,.]+( [MB])? over 7 days, \d+ % less than "
                                         r"all on-demand\.",
                # two weeks of history offer no 1- or 3-year GPU term (the evidence rule): the month of
                # provisioned throughput is what it buys, its costs over the window its term is priced on
                "capacity_plan": r"^Buy [\d,]+ units \(PTU of 2,500 tokens/min\) of provisioned gpt-4o-ptu \(gpt-4o\) on a "
                                 r"1-month term from 2025-01-20: expected USD [\d,.]+( [MB])? over the plan's 2 days and "
                                 r"USD [\d,.]+( [MB])? over the [\d.]+ months its commitments are priced on, .* all "
                                 r"on-demand\. The commitments oblige USD [\d,.]+( [MB])? over their whole terms",
                "whatif_scenarios": r"^Of the 3 scenarios, threshold_router costs least: expected USD [\d,]+ over 12 months"}
    assert re.search(expected[name], _visible_text(advice.group(1))), advice.group(1)
    text = _visible_text(html)
    if name == "commitment_comparison":  # the ladder replayed next to one purchase per term and hindsight
        assert "Buying in tranches" in text and re.search(r"Ladder \(4 tranches a term\) USD [\d,]+ \+?[\d.]+ %", text)
    if name == "capacity_plan":  # the terms withheld, in words, and the accuracy per workload
        assert "H100 on AWS 3-year: the history covers 14.0 days; a 3-year term needs 274 days" in text
        assert "Expected accuracy" in text and "Whole-term obligation" in text


# -- every report reads as finance would write it -----------------------------------------------------
_E_NOTATION = re.compile(r"\b\d+(?:\.\d+)?e[+-]?\d+\b", re.I)


def _visible_text(html: str) -> str:
    """What a reader sees, chart labels included: no tags, style sheets, scripts or folded details."""
    text = re.sub(r"<(style|script)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<details>.*?</details>", " ", text, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", text)).split())


def unreadable(html: str) -> list[str]:
    """What in a report page a finance reader should not see: e-notation, an index column (row
    headers, an unnamed first header, a first column counting 0, 1, 2, ...), snake_case column
    labels, NaN / None cells, internal tracker references ("issue 4")."""
    problems = [f"e-notation {m!r}" for m in _E_NOTATION.findall(_visible_text(html))]
    text = _visible_text(html)
    problems += [f"internal reference {m!r}" for m in re.findall(r"\bissue \d+", text, re.I)]
    problems += [f"{m!r} in the text" for m in re.findall(r"\b(?:NaN|nan|NaT)\b", text)]
    for table in re.findall(r"<table\b.*?</table>", html, re.S):
        head = re.search(r"<thead>(.*?)</thead>", table, re.S)
        headers = [_visible_text(h) for h in re.findall(r"<th\b[^>]*>(.*?)</th>", head.group(1), re.S)] if head else []
        body = re.search(r"<tbody>(.*?)</tbody>", table, re.S)
        rows = re.findall(r"<tr\b.*?</tr>", body.group(1), re.S) if body else []
        if body and "<th" in body.group(1):
            problems.append("index column: row headers in the body")
        if headers and headers[0] == "":
            problems.append("index column: an unnamed first header")
        first = [_visible_text(m.group(1)) for r in rows if (m := re.search(r"<t[dh]\b[^>]*>(.*?)</t[dh]>", r, re.S))]
        if len(first) >= 2 and first == [str(i) for i in range(len(first))]:
            problems.append("index column: a first column counting 0, 1, 2, ...")
        problems += [f"snake_case label {h!r}" for h in headers if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)]
        cells = [_visible_text(c) for c in re.findall(r"<td\b[^>]*>(.*?)</td>", table, re.S)]
        problems += [f"cell {c!r}" for c in cells if c.lower() in ("nan", "none", "nat", "inf", "-inf")]
    return problems


def test_the_readability_scan_finds_what_raw_pandas_output_shows():
    raw = pd.DataFrame({"cum_hi_usd": [1.545e15, np.nan], "what": ["a", None]}).to_html()
    found = unreadable(raw + "<p>see (issue 4)</p>")
    assert {"e-notation '1.545000e+15'", "index column: row headers in the body", "index column: an unnamed first header",
            "snake_case label 'cum_hi_usd'", "cell 'NaN'", "cell 'None'", "internal reference 'issue 4'",
            "'NaN' in the text"} <= set(found), found
    assert unreadable("<p>USD 1,545,000 and 12.1 M tokens</p>") == []


@pytest.mark.slow
def test_reports_read_like_finance_wrote_them(monthly_report, later_report):
    pages = {"monthly_forecast": monthly_report.html.read_text(), later_report[0]: later_report[1]}
    for name, html in pages.items():
        assert unreadable(html) == [], name
