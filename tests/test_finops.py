"""The FinOps loop: budgets, alerts, anomalies, showback, cost per outcome, OpenCost exports.

Every figure asserted has a closed form: spent to date is a sum of the fixture's rows, the
exhaustion date of a constant burn is ``as_of + (amount - spent) / rate``, allocations by token
share add up to the shared cost, an OpenCost export's totals are the independent sum of its
JSON, a re-run writes no alert twice.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from planner.cli import main
from planner.exceptions import DeliveryError, InputError
from planner.finops import alerts as al
from planner.finops.anomalies import detect_anomalies
from planner.finops.budgets import Budget, budget_status, period_bounds, read_budgets
from planner.finops.showback import SharedCost, cost_per_outcome, read_shared_costs, showback
from planner.finops.spend import spend_of
from planner.store import Batch, Store
from planner.usage import read_usage
from planner.usage.schema import COLUMNS, DIMENSIONS, is_metric, metric_unit, outcome_metric

# -- fixtures --------------------------------------------------------------------------------------


def _usage(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for dim in DIMENSIONS:
        frame[dim] = frame[dim].fillna("") if dim in frame else ""
    frame["ts"] = pd.to_datetime(frame["ts"])
    frame["value"] = frame["value"].astype(float)
    return frame[list(COLUMNS)]


def _hourly(source: str, metric: str, start: str, hours: int, value: float, **dims) -> list[dict]:
    return [{"ts": t, "source": source, "metric": metric, "value": value, **dims}
            for t in pd.date_range(start, periods=hours, freq="h")]


def _burn(rate_per_day: float = 100.0, start: str = "2024-12-01", end: str = "2025-01-20 23:00") -> pd.DataFrame:
    """A constant spend of ``rate_per_day`` USD a day as hourly LiteLLM cost rows of team search."""
    hours = len(pd.date_range(start, end, freq="h"))
    return _usage(_hourly("litellm", "cost_usd", start, hours, rate_per_day / 24, team="search", model="gpt-4o"))


def _store(tmp_path: Path, usage: pd.DataFrame, name: str = "s.duckdb") -> Path:
    path = tmp_path / name
    with Store(path) as store:
        store.ingest([Batch.of(usage)])
    return path


# -- budgets ----------------------------------------------------------------------------------------


def test_spent_to_date_forecast_and_exhaustion_of_a_constant_burn():
    # 100 USD a day; the data ends 2025-01-21 00:00: 20 days of January spent, 11 to come
    status = budget_status(spend_of(_burn()), [Budget("search", 3000.0, "month", {"team": ["search"]}),
                                               Budget("all", 2500.0, "month")])
    t = status.table.set_index("budget")
    assert t.loc["search", "spent_usd"] == pytest.approx(2000.0)
    assert t.loc["search", "data_until"] == pd.Timestamp("2025-01-21")
    assert t.loc["search", "forecast_usd"] == pytest.approx(3100.0)   # + 11 days x 100
    # exhaustion = as_of + (amount - spent) / rate
    assert t.loc["search", "exhaustion"] == pd.Timestamp("2025-01-21") + pd.Timedelta(days=10)
    assert t.loc["all", "exhaustion"] == pd.Timestamp("2025-01-26")
    th = status.thresholds.set_index(["budget", "threshold_pct"])
    assert th.loc[("search", 80.0), "state"] == "expected" and th.loc[("search", 80.0), "when"] == pd.Timestamp("2025-01-25")
    # 80 % of 2,500 = 2,000 = what was spent: crossed at the last hour's end
    assert th.loc[("all", 80.0), "state"] == "crossed"
    assert th.loc[("all", 80.0), "when"] == pd.Timestamp("2025-01-21")
    assert status.crossed


def test_a_spent_budget_ran_out_when_the_actuals_reached_it():
    status = budget_status(spend_of(_burn()), [Budget("small", 1050.0, "month")])
    row = status.table.iloc[0]
    # 1,050 USD at 100 a day from 2025-01-01: after 10.5 days
    assert row["exhaustion"] == pd.Timestamp("2025-01-11 12:00")
    assert row["state"] == "crossed" and row["crossed"] == "80 %, 100 %"


def test_as_of_picks_the_period_and_cuts_the_data():
    status = budget_status(spend_of(_burn()), [Budget("q", 10_000.0, "quarter")], as_of="2025-01-11")
    row = status.table.iloc[0]
    assert row["period"] == "2025-Q1" and row["spent_usd"] == pytest.approx(1000.0)
    # the rest of the quarter: 2025-01-11 to 2025-04-01, 80 days at 100
    assert row["forecast_usd"] == pytest.approx(1000.0 + 80 * 100.0)
    assert period_bounds("year", pd.Timestamp("2025-07-04"))[2] == "2025"
    assert period_bounds("quarter", pd.Timestamp("2025-07-04"))[:2] == (pd.Timestamp("2025-07-01"),
                                                                        pd.Timestamp("2025-10-01"))


def test_forecast_interval_of_a_noisy_burn_holds_the_median():
    rng = np.random.default_rng(0)
    hours = pd.date_range("2024-11-01", "2025-01-15 23:00", freq="h")
    rows = [{"ts": t, "source": "litellm", "metric": "cost_usd", "value": v, "team": "a"}
            for t, v in zip(hours, 4 + rng.gamma(4, 0.5, len(hours)), strict=True)]
    row = budget_status(spend_of(_usage(rows)), [Budget("a", 10_000.0, "month")]).table.iloc[0]
    assert row["forecast_lo_usd"] < row["forecast_usd"] < row["forecast_hi_usd"]
    # about 6 USD an hour for the 16.5 days left
    assert row["forecast_usd"] - row["spent_usd"] == pytest.approx(6 * 24 * 16, rel=0.15)


def test_a_scope_without_spend_names_what_there_is():
    with pytest.raises(InputError, match=r"budget 'x': no priced spend in its scope \(team serch\).*did you mean 'search'"):
        budget_status(spend_of(_burn()), [Budget("x", 10.0, "month", {"team": ["serch"]})])


def test_tokens_without_cost_are_priced_by_the_catalog_and_named():
    usage = _usage(_hourly("gateway", "output_tokens", "2025-03-01", 48, 1_000_000, model="gpt-4o")
                   + _hourly("gateway", "output_tokens", "2025-03-01", 48, 10, model="in-house-7b"))
    spend = spend_of(usage)
    # gpt-4o output: 10 USD per million in the packaged catalog
    assert spend.rows["usd"].sum() == pytest.approx(48 * 10.0)
    assert spend.prices.iloc[0]["basis"] == "price catalog" and "gpt-4o" in spend.prices.iloc[0]["detail"]
    assert list(spend.unpriced["model"]) == ["in-house-7b"]


def test_budgets_file_defaults_and_refusals(tmp_path):
    good = tmp_path / "b.yaml"
    good.write_text("budgets:\n  - {name: a, amount_usd: 10, period: month, scope: {team: [x, y]}}\n")
    (b,) = read_budgets(good)
    assert b.thresholds == (80.0, 100.0) and b.scope == {"team": ["x", "y"]}
    bad = tmp_path / "bad.yaml"
    bad.write_text("budgets:\n  - {name: a, amount_usd: 10, period: monthly}\n")
    with pytest.raises(InputError, match=r"budgets\[0\].period: 'monthly' \(did you mean 'month'\?\)"):
        read_budgets(bad)


# -- budget status on the command line, alerts, posting ---------------------------------------------

BUDGETS = """budgets:
  - name: search
    amount_usd: 2500
    period: month
    scope: {team: search}
    owner: ana@example.com
    channel: "#search-finops"
    pagerduty_routing_key: R0123456789abcdef0123456789abcde
"""


@pytest.fixture
def burn_store(tmp_path) -> tuple[Path, Path]:
    (tmp_path / "budgets.yaml").write_text(BUDGETS)
    return _store(tmp_path, _burn()), tmp_path / "budgets.yaml"


def test_budget_status_exits_3_when_a_threshold_is_crossed_and_0_otherwise(burn_store, tmp_path, capsys):
    store, budgets = burn_store
    assert main(["budget", "status", "--budgets", str(budgets), "--store", str(store)]) == 3
    out = capsys.readouterr().out
    assert "USD 2,000 spent of USD 2,500 (80 %)" in out and "threshold 80 % (USD 2,000): crossed" in out
    assert "runs out 2025-01-26" in out
    big = tmp_path / "big.yaml"
    big.write_text(BUDGETS.replace("2500", "100000"))
    assert main(["budget", "status", "--budgets", str(big), "--store", str(store)]) == 0
    assert "not expected to run out this period" in capsys.readouterr().out


def test_alerts_are_written_once_across_reruns(burn_store, tmp_path, capsys):
    store, budgets = burn_store
    argv = ["budget", "status", "--budgets", str(budgets), "--store", str(store), "--alerts", str(tmp_path / "al")]
    assert main(argv) == 3
    files = sorted(p.name for p in (tmp_path / "al").iterdir())
    # 80 % crossed, 100 % expected: three payloads each, and planner's marker
    assert files == [".planner-output", *sorted(f"search.2025-01.{t}.{k}.json" for t in ("80pct.crossed", "100pct.expected")
                                                for k in ("slack", "pagerduty", "event"))]
    stamps = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "al").iterdir() if p.suffix == ".json"}
    capsys.readouterr()
    assert main(argv) == 3
    out = capsys.readouterr().out
    assert out.count("already written by an earlier run") == 2 and "wrote" not in out
    assert stamps == {p.name: p.stat().st_mtime_ns for p in (tmp_path / "al").iterdir() if p.suffix == ".json"}
    pd_body = json.loads((tmp_path / "al" / "search.2025-01.80pct.crossed.pagerduty.json").read_text())
    _check_pagerduty(pd_body)
    assert pd_body["routing_key"] == "R0123456789abcdef0123456789abcde" and pd_body["payload"]["severity"] == "error"
    assert pd_body["dedup_key"] == "planner/search/2025-01/80pct"


def test_alerts_refuse_a_folder_of_other_files(burn_store, tmp_path, capsys):
    store, budgets = burn_store
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    code = main(["budget", "status", "--budgets", str(budgets), "--store", str(store), "--alerts", str(tmp_path / "mine")])
    assert code == 2 and "folder holds files planner did not write" in capsys.readouterr().err
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt"]


def _check_slack(body: dict) -> None:
    assert isinstance(body["text"], str) and body["text"]
    assert body["blocks"][0]["type"] == "section" and body["blocks"][0]["text"]["type"] == "mrkdwn"


def _check_pagerduty(body: dict) -> None:
    assert set(body) >= {"routing_key", "event_action", "dedup_key", "payload"}
    assert body["event_action"] == "trigger" and body["routing_key"]
    p = body["payload"]
    assert p["summary"] and len(p["summary"]) <= 1024 and p["source"]
    assert p["severity"] in ("critical", "error", "warning", "info")
    pd.Timestamp(p["timestamp"])  # ISO 8601


class _Hook(BaseHTTPRequestHandler):
    received: list = []
    status = 200
    delay = 0.0

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(type(self).delay)
        type(self).received.append((self.path, self.headers["Content-Type"], json.loads(body)))
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"ok" if type(self).status < 400 else b"invalid_payload")

    def log_message(self, *args):
        pass


@pytest.fixture
def hook():
    """A local webhook on a free port: yields (url, handler class); stopped after the test."""
    handler = type("Hook", (_Hook,), {"received": [], "status": 200, "delay": 0.0})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", handler
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.mark.parametrize("fmt_", ["slack", "pagerduty"])
def test_post_sends_each_new_alert_once_in_the_format_asked(burn_store, tmp_path, hook, fmt_, capsys):
    store, budgets = burn_store
    url, handler = hook
    argv = ["budget", "status", "--budgets", str(budgets), "--store", str(store), "--alerts", str(tmp_path / "al"),
            "--post", url, "--post-format", fmt_]
    assert main(argv) == 3
    assert len(handler.received) == 2 and all(r[0] == "/hook" and r[1] == "application/json" for r in handler.received)
    for _, _, body in handler.received:
        (_check_slack if fmt_ == "slack" else _check_pagerduty)(body)
    assert "crossed 80 %" in json.dumps(handler.received[0][2]) or "crossed 80 %" in json.dumps(handler.received[1][2])
    assert main(argv) == 3
    assert len(handler.received) == 2  # nothing sent twice


def test_a_failed_post_is_a_clear_error_and_is_retried_next_run(burn_store, tmp_path, hook, capsys):
    store, budgets = burn_store
    url, handler = hook
    handler.status = 500
    argv = ["budget", "status", "--budgets", str(budgets), "--store", str(store), "--alerts", str(tmp_path / "al"),
            "--post", url, "--post-format", "slack"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "HTTP 500" in err and "invalid_payload" in err and "0 of 2 new alert(s) were sent" in err
    assert not list((tmp_path / "al").glob("*.json"))
    handler.status = 200
    assert main(argv) == 3
    # the failed attempt reached the hook once; the re-run sent both
    assert len(handler.received) == 3 and len(list((tmp_path / "al").glob("*.json"))) == 6


def test_post_times_out_with_a_clear_error(hook):
    url, handler = hook
    handler.delay = 1.5
    with pytest.raises(DeliveryError, match=r"no answer within 0.3 s"):
        al.post_alert(url, {"text": "x"}, timeout=0.3)


def test_post_to_nowhere_names_the_host():
    with pytest.raises(DeliveryError, match=r"--post http://127.0.0.1:9: cannot connect"):
        al.post_alert("http://127.0.0.1:9/x", {"text": "x"}, timeout=2)
    with pytest.raises(InputError, match="expected an http:// or https:// webhook URL"):
        al.post_alert("file:///etc/passwd", {})


def test_payload_format_follows_the_host():
    assert al.payload_format("https://hooks.slack.com/services/T/B/X") == "slack"
    assert al.payload_format("https://events.pagerduty.com/v2/enqueue") == "pagerduty"
    assert al.payload_format("https://example.org/hook") == "event"


@pytest.mark.slow
def test_monthly_with_budgets_writes_the_budget_section_and_the_alerts(tmp_path, capsys):
    store = _store(tmp_path, _burn(start="2024-12-01", end="2025-01-31 23:00"))
    (tmp_path / "b.yaml").write_text(BUDGETS)
    argv = ["monthly", "--month", "2025-01", "--metric", "cost_usd", "--by", "team", "--freq", "D", "--horizon", "3",
            "--budgets", str(tmp_path / "b.yaml"), "--store", str(store), "--output-dir", str(tmp_path / "r")]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "budget search (2025-01): 80 % crossed" in out and "budget search (2025-01): 100 % crossed" in out
    alerts = sorted(p.name for p in (tmp_path / "r" / "2025-01" / "alerts").glob("*.slack.json"))
    assert alerts == ["search.2025-01.100pct.crossed.slack.json", "search.2025-01.80pct.crossed.slack.json"]
    html = (tmp_path / "r" / "2025-01" / "monthly_forecast.html").read_text()
    # 31 days x 100 USD; 2,500 reached after 25 days
    assert "USD 3,100" in html and "2025-01-26" in html and "search.2025-01" not in html


# -- anomalies --------------------------------------------------------------------------------------


def _seasonal(n: int = 24 * 16, seed: int = 0, level: float = 1000.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = level * (1 + 0.4 * np.sin(2 * np.pi * t / 24)) * np.exp(rng.normal(0, 0.05, n))
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2025-01-01", periods=n, freq="h"), "y": y})


def test_a_quiet_series_has_no_anomaly():
    got = detect_anomalies(_seasonal(), window=48, freq="h")
    assert got.anomalies.empty and len(got.scored) == 48


def test_an_injected_spike_is_found_with_its_time_and_size():
    s = _seasonal()
    hit = s.index[-30:-27]  # three hours, 30 to 28 before the end
    injected = s.loc[hit, "y"].sum() * 2  # tripled: twice the hours' value added
    s.loc[hit, "y"] *= 3
    got = detect_anomalies(s, window=48, freq="h", usd_per_unit={"a": 0.01}).anomalies
    assert len(got) == 1
    a = got.iloc[0]
    assert a["kind"] == "spike" and a["since"] == s.loc[hit[0], "ds"] and a["periods"] == 3 and not a["ongoing"]
    assert a["excess"] == pytest.approx(injected, rel=0.15)
    assert a["excess_usd"] == pytest.approx(a["excess"] * 0.01)
    assert a["interval_hi"] < s.loc[hit[0], "y"]


def test_drop_level_shift_and_runaway_growth_are_named():
    drop, shift, grow = _seasonal(seed=1), _seasonal(seed=2), _seasonal(seed=3)
    drop.loc[drop.index[-20:-16], "y"] *= 0.1
    shift.loc[shift.index[-40:], "y"] *= 3
    grow.loc[grow.index[-30:], "y"] *= 1.08 ** np.arange(1, 31)
    frame = pd.concat([drop.assign(unique_id="drop"), shift.assign(unique_id="shift"), grow.assign(unique_id="grow")])
    got = detect_anomalies(frame, window=48, freq="h").anomalies.set_index("unique_id")
    assert got.loc["drop", "kind"] == "drop" and got.loc["drop", "since"] == drop["ds"].iloc[-20]
    assert got.loc["shift", "kind"] == "level shift" and bool(got.loc["shift", "ongoing"])
    assert got.loc["shift", "since"] == shift["ds"].iloc[-40]
    assert got.loc["grow", "kind"] == "runaway growth"


def test_anomalies_command_scores_the_store(tmp_path, capsys):
    s = _seasonal()
    s.loc[s.index[-10:-7], "y"] *= 4
    usage = _usage([{"ts": r.ds, "source": "gw", "metric": "output_tokens", "value": r.y, "model": "gpt-4o"}
                    for r in s.itertuples()])
    store = _store(tmp_path, usage)
    code = main(["anomalies", "--metric", "output_tokens", "--by", "model", "--freq", "h", "--window", "48",
                 "--store", str(store), "--output", str(tmp_path / "a.csv")])
    out = capsys.readouterr().out
    assert code == 0 and "1 anomaly in 1 series" in out and "gpt-4o/output_tokens" in out and "spike" in out
    found = pd.read_csv(tmp_path / "a.csv")
    # priced at gpt-4o's catalog output price, 10 USD per million tokens
    assert found["excess_usd"].iloc[0] == pytest.approx(found["excess"].iloc[0] * 10e-6)


# -- showback and cost per outcome -----------------------------------------------------------------


def _teams() -> pd.DataFrame:
    """Two weeks (from Monday 2025-03-03): a GPU pool's cost in OpenCost rows of team platform, the
    llama tokens of teams search and chat served by it, and gpt-4o tokens of chat priced by the catalog."""
    rows = []
    for day in pd.date_range("2025-03-03", periods=14, freq="D"):
        rows.append({"ts": day, "source": "opencost", "metric": "cost_usd", "value": 240.0, "team": "platform"})
        week2 = day >= pd.Timestamp("2025-03-10")
        rows += [{"ts": day, "source": "gw", "metric": "output_tokens", "value": 3e6 if not week2 else 6e6,
                  "team": "search", "model": "llama-3.3-70b"},
                 {"ts": day, "source": "gw", "metric": "output_tokens", "value": 1e6, "team": "chat",
                  "model": "llama-3.3-70b"},
                 {"ts": day, "source": "gw", "metric": "output_tokens", "value": 1e5, "team": "chat", "model": "gpt-4o"}]
    return _usage(rows)


def test_shared_pool_is_allocated_by_token_share_and_adds_up():
    usage = _teams()
    pool = SharedCost("h100-pool", "self-hosted GPU pool", cost_scope={"source": ["opencost"]},
                      users={"model": ["llama-3.3-70b"]})
    sb = showback(usage, spend_of(usage), [pool], by=["team"])
    a = sb.allocations.set_index(["week", "group"])["allocated_usd"]
    w1, w2 = pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-10")
    # 7 x 240 = 1,680 USD a week; week 1 tokens 3:1, week 2 6:1
    assert a[(w1, "search")] == pytest.approx(1680 * 3 / 4) and a[(w1, "chat")] == pytest.approx(1680 / 4)
    assert a[(w2, "search")] == pytest.approx(1680 * 6 / 7)
    assert sb.allocations.groupby("week")["allocated_usd"].sum().tolist() == pytest.approx([1680.0, 1680.0])
    weekly = sb.weekly.set_index(["week", "group"])
    # the pool's own rows are not also counted as platform's direct cost; chat's gpt-4o is, at 10 USD / M
    assert ("platform" not in sb.weekly["group"].tolist())
    assert weekly.loc[(w1, "chat"), "direct_usd"] == pytest.approx(7 * 1e5 * 10e-6)
    assert weekly["total_usd"].sum() == pytest.approx(2 * 1680 + 14 * 1e5 * 10e-6)
    assert sb.week == w2 and sb.previous == w1
    moves = sb.change.set_index("group")["change_usd"]
    # the pool's cost moved from chat to search; chat's gpt-4o cost stayed
    assert moves["search"] == pytest.approx(1680 * (6 / 7 - 3 / 4)) and moves["chat"] == pytest.approx(-moves["search"])


def test_a_fixed_monthly_commitment_is_spread_over_its_days(tmp_path):
    path = tmp_path / "shared.yaml"
    path.write_text("shared_costs:\n  - name: ptu\n    kind: provisioned throughput\n    usd_per_month: 3100\n"
                    "    users: {model: llama-3.3-70b}\n")
    (ptu,) = read_shared_costs(path)
    usage = _teams()
    sb = showback(usage, spend_of(usage), [ptu], by=["team"])
    # March has 31 days: 100 USD a day, 700 a week
    assert sb.shared["cost_usd"].tolist() == pytest.approx([700.0, 700.0])
    assert "split each week among the users of model llama-3.3-70b by their share of its tokens" in ptu.rule()
    bad = tmp_path / "bad.yaml"
    bad.write_text("shared_costs:\n  - {name: x, usd_per_week: 5, usd_per_month: 9, users: {model: m}}\n")
    with pytest.raises(InputError, match="give the cost in one way"):
        read_shared_costs(bad)


def test_a_week_without_users_leaves_the_shared_cost_unallocated():
    usage = _teams()
    pool = SharedCost("pool", cost_scope={"source": ["opencost"]}, users={"model": ["nobody"]})
    sb = showback(usage, spend_of(usage), [pool], by=["team"])
    assert (sb.allocations["group"] == "unallocated").all() and sb.shared["unallocated_usd"].sum() == pytest.approx(3360)
    assert any("left unallocated" in n for n in sb.notes)


def test_outcomes_file_and_cost_per_outcome(tmp_path):
    f = tmp_path / "outcomes.csv"
    f.write_text("ts,feature,outcome,count\n2025-03-03T10:00:00Z,support,Resolved ticket,30\n"
                 "2025-03-04T11:00:00Z,support,resolved_ticket,20\n2025-03-11T00:00:00Z,support,resolved_ticket,80\n")
    out = read_usage(f)
    assert out.attrs["format"] == "outcomes" and set(out["metric"]) == {"outcome:resolved_ticket"}
    assert out["value"].sum() == 130 and is_metric("outcome:resolved_ticket") and metric_unit("outcome:x") == "outcomes"
    assert outcome_metric("Merged PR") == "outcome:merged_pr"
    cost = _usage([{"ts": d, "source": "litellm", "metric": "cost_usd", "value": 10.0, "feature": "support"}
                   for d in pd.date_range("2025-03-03", periods=14, freq="D")])
    usage = pd.concat([cost, out], ignore_index=True)
    sb = showback(usage, spend_of(usage), by=["feature"])
    got = cost_per_outcome(sb.weekly, usage, by=["feature"]).set_index("week")
    # 70 USD a week: 70 / 50 in the first, 70 / 80 in the second
    assert got.loc["2025-03-03", "usd_per_outcome"] == pytest.approx(1.4)
    assert got.loc["2025-03-10", "usd_per_outcome"] == pytest.approx(70 / 80)


@pytest.mark.slow
def test_showback_report_reads_like_finance_wrote_it(tmp_path):
    from test_report import _visible_text, unreadable

    from planner.report import render_report

    usage = _teams()
    tickets = _usage([{"ts": d, "source": "tickets", "metric": "outcome:resolved_ticket", "value": 100.0, "team": "search"}
                      for d in pd.date_range("2025-03-03", periods=14, freq="D")])
    store = _store(tmp_path, pd.concat([usage, tickets], ignore_index=True))
    shared = tmp_path / "shared.yaml"
    shared.write_text("shared_costs:\n  - name: h100-pool\n    kind: self-hosted GPU pool\n"
                      "    cost_scope: {source: opencost}\n    users: {model: llama-3.3-70b}\n")
    report = render_report("showback", {"store_path": str(store), "shared_costs_file": str(shared),
                                        "outcome_by": "[team]"}, tmp_path / "r", date="w")
    html = report.html.read_text()
    assert unreadable(html) == []
    text = _visible_text(html)
    assert "Week of 2025-03-10 to 2025-03-16 : USD 1,687" in text  # 1,680 + 7 x 100,000 gpt-4o tokens at 10 USD per million
    assert "h100-pool (self-hosted GPU pool): the spend of source opencost in your data" in html
    assert "USD 1,440" in html  # search's share of week 2: 1,680 x 6 / 7
    # cost per resolved ticket: 1,440 USD / 700 tickets in week 2, 1,260 / 700 in week 1
    assert "2025-03-10 search resolved tickets 700 USD 1,440 USD 2.06" in text
    assert "2025-03-03 search resolved tickets 700 USD 1,260 USD 1.80" in text


# -- the OpenCost reader ---------------------------------------------------------------------------


def _allocation(name: str, ns: str, start: str, end: str, gpu_hours: float, gpu_cost: float, total: float,
                labels: dict | None = None, controller: str = "") -> dict:
    """One allocation as OpenCost's AllocationJSON writes it (core/pkg/opencost/allocation_json.go)."""
    return {"name": name, "properties": {"cluster": "c1", "namespace": ns, "controller": controller,
                                         "controllerKind": "deployment", "pod": f"{name}-7d9f", "labels": labels or {}},
            "window": {"start": start, "end": end}, "start": start, "end": end, "minutes": 1440.0,
            "cpuCores": 4.0, "cpuCoreHours": 96.0, "cpuCost": 2.1, "gpuCount": gpu_hours / 24, "gpuHours": gpu_hours,
            "gpuCost": gpu_cost, "gpuCostAdjustment": 0.0, "ramBytes": 1.7e10, "ramCost": 0.9, "pvCost": 0.0,
            "networkCost": 0.0, "loadBalancerCost": 0.0, "sharedCost": 0.0, "externalCost": 0.0,
            "totalCost": total, "totalEfficiency": 0.7}


def _opencost_response() -> dict:
    days = [("2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z"), ("2025-03-02T00:00:00Z", "2025-03-03T00:00:00Z")]
    data = []
    for i, (a, b) in enumerate(days):
        data.append({
            "search-inference": _allocation("search-inference", "search-inference", a, b, 96.0 + i, 250.5, 265.25,
                                            {"team": "search", "app": "ranker"}, "vllm-70b"),
            "chat": _allocation("chat", "chat", a, b, 24.0, 60.0, 70.0 + i, {}, "web"),
            "__idle__": {**_allocation("__idle__", "", a, b, 10.0, 25.0, 40.0), "properties": {}},
        })
    return {"code": 200, "data": data}


def test_opencost_allocation_json_ingests_gpu_hours_and_cost_per_team(tmp_path):
    doc = _opencost_response()
    path = tmp_path / "allocation.json"
    path.write_text(json.dumps(doc))
    usage = read_usage(path, namespace_teams={"chat": "chatbots"})
    assert usage.attrs["format"] == "opencost"
    got = usage.pivot_table(index="team", columns="metric", values="value", aggfunc="sum")
    # the independent sum: straight from the JSON, team by the label, else the namespace renamed
    team = {"search-inference": "search", "chat": "chatbots", "__idle__": "__idle__"}
    for metric, field in (("gpu_hours", "gpuHours"), ("cost_usd", "totalCost")):
        expect = {}
        for step in doc["data"]:
            for name, alloc in step.items():
                expect[team[name]] = expect.get(team[name], 0.0) + alloc[field]
        assert got[metric].to_dict() == pytest.approx(expect)
    assert set(usage.loc[usage["team"] == "search", "product"]) == {"ranker"}
    assert set(usage.loc[usage["team"] == "chatbots", "product"]) == {"web"}  # no app label: the controller
    assert sorted(usage["ts"].unique()) == [pd.Timestamp("2025-03-01"), pd.Timestamp("2025-03-02")]


def test_opencost_csv_of_allocations_and_the_exporter_file(tmp_path):
    flat = tmp_path / "flat.csv"
    flat.write_text("name,properties.namespace,properties.controller,properties.labels.team,window.start,window.end,"
                    "gpuHours,gpuCost,totalCost\n"
                    "a,ns1,c1,search,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,8,20,25\n"
                    "b,ns2,c2,,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z,4,10,11.5\n")
    u = read_usage(flat)
    assert u.attrs["format"] == "opencost"
    assert u.groupby(["team", "metric"])["value"].sum().to_dict() == {
        ("ns2", "cost_usd"): 11.5, ("ns2", "gpu_hours"): 4.0, ("search", "cost_usd"): 25.0, ("search", "gpu_hours"): 8.0}
    export = tmp_path / "export.csv"
    export.write_text('Date,Namespace,ControllerKind,ControllerName,Pod,Container,Labels,GPUs,GPUCost,TotalCost\n'
                      '2025-03-01,chat,deployment,web,web-1,c,"{""team"":""chatbots""}",1,60,70\n')
    with pytest.warns(UserWarning, match="no gpuHours in this export"):
        e = read_usage(export, cost="gpu")
    assert e.attrs["format"] == "opencost" and e[["team", "metric", "value"]].values.tolist() == [["chatbots", "cost_usd", 60.0]]


# -- what-if: cost per outcome --------------------------------------------------------------------


def test_whatif_cost_per_outcome_where_a_scenario_declares_a_success_rate(tmp_path):
    from planner import simulate

    f = tmp_path / "s.yaml"
    f.write_text("name: s\nmonths: 2\nrequests_per_month: 1000\nworkloads:\n  - name: support\n    share: 1\n"
                 "    input_tokens: {mean: 1000}\n    output_tokens: {mean: 100}\n    model: gpt-4o\n"
                 "    outcome: {name: resolved_ticket, success_rate: 0.25}\n")
    summary = simulate.compare([simulate.load_scenario(f)], draws=20).summary().iloc[0]
    # 2,000 requests x 0.25 = 500 tickets
    assert summary["outcomes_resolved_ticket"] == pytest.approx(500)
    assert summary["cost_per_resolved_ticket_usd"] == pytest.approx(summary["cost_mean_usd"] / 500)
    f.write_text(f.read_text().replace("0.25", "1.5"))
    with pytest.raises(InputError, match="outcome.success_rate: expected a share of requests"):
        simulate.load_scenario(f)
