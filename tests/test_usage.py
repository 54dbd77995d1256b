"""Usage readers: totals equal independent sums over the raw files; bad input names the spot."""

from __future__ import annotations

import csv
import gzip
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InputError, PlannerWarning
from planner.usage import (
    COLUMNS,
    detect_format,
    read_azure_trace,
    read_focus,
    read_litellm,
    read_mooncake_trace,
    read_nixtla,
    read_table,
    read_usage,
    summarize,
    to_series,
)


def _total(usage: pd.DataFrame, metric: str) -> float:
    return float(usage.loc[usage["metric"] == metric, "value"].sum())


def test_azure_trace_totals_and_hours(samples):
    path = samples / "azure_llm_2023_code.csv"
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    usage = read_azure_trace(path)
    assert list(usage.columns) == list(COLUMNS)
    assert _total(usage, "requests") == len(rows) == 8819
    assert _total(usage, "input_tokens") == sum(int(r["ContextTokens"]) for r in rows)
    assert _total(usage, "output_tokens") == sum(int(r["GeneratedTokens"]) for r in rows)
    at_18 = sum(r["TIMESTAMP"].startswith("2023-11-16 18") for r in rows)
    req = usage[usage["metric"] == "requests"].set_index("ts")["value"]
    assert req[pd.Timestamp("2023-11-16 18:00")] == at_18
    assert set(usage["product"]) == {"azure_llm_2023_code"}


def test_trace_minute_frequency_keeps_totals(samples):
    usage = read_azure_trace(samples / "azure_llm_2023_conv.csv", freq="min")
    assert _total(usage, "requests") == 19366
    assert usage["ts"].nunique() > 50


def test_mooncake_needs_start_and_sums(tmp_path):
    lines = [{"timestamp": 0, "input_length": 100, "output_length": 5, "hash_ids": [0]},
             {"timestamp": 3_599_999, "input_length": 50, "output_length": 7, "hash_ids": [0, 1]},
             {"timestamp": 3_600_000, "input_length": 10, "output_length": 1, "hash_ids": [2]}]
    path = tmp_path / "trace.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    with pytest.raises(InputError, match="start"):
        read_mooncake_trace(path, start=None)
    usage = read_mooncake_trace(path, start="2024-06-01T00:00:00")
    inp = usage[usage["metric"] == "input_tokens"].set_index("ts")["value"]
    assert inp.to_dict() == {pd.Timestamp("2024-06-01 00:00"): 150.0, pd.Timestamp("2024-06-01 01:00"): 10.0}


def test_focus_token_directions_and_cost(samples):
    path = samples / "focus" / "ai_prompt_caching_a.csv"
    with open(path) as fh:
        rows = list(csv.DictReader(fh))
    expected: dict[str, float] = {}
    for r in rows:
        d = json.loads(r["SkuPriceDetails"])
        key = {("Input", "Uncached"): "input_tokens", ("Input", "Read"): "cached_input_tokens",
               ("Input", "Write"): "cache_write_tokens"}.get((d["TokenDirection"], d.get("TokenCacheAction")), "output_tokens")
        expected[key] = expected.get(key, 0.0) + float(r["ConsumedQuantity"])
    usage = read_focus(path)
    for metric, value in expected.items():
        assert _total(usage, metric) == pytest.approx(value)
    assert _total(usage, "cost_usd") == pytest.approx(sum(float(r["EffectiveCost"]) for r in rows))
    assert set(usage.loc[usage["metric"] == "input_tokens", "model"]) == {"solora-reasoning-pro"}


def test_focus_multi_model_and_storage(samples):
    usage = read_focus(samples / "focus" / "multi_model_usage.csv")
    per_model = usage[usage["metric"] == "input_tokens"].groupby("model")["value"].sum()
    assert per_model.sum() == 13_000_000
    assert len(per_model) >= 2
    storage = read_focus(samples / "focus" / "ai_prompt_caching_b.csv")
    assert _total(storage, "cache_storage_token_hours") > 0


def test_focus_null_cells_and_commitments(samples):
    usage = read_focus(samples / "focus" / "commitment_discount_usage_scenario_2.csv")
    assert set(usage["metric"]) >= {"cost_usd", "billed_cost_usd"}


def test_focus_gpu_rows_become_gpu_hours(tmp_path):
    path = tmp_path / "focus.csv"
    pd.DataFrame({
        "ChargePeriodStart": ["2025-03-01T00:00:00Z", "2025-03-01T01:00:00Z", "2025-03-01T00:00:00Z"],
        "ChargeCategory": ["Usage", "Usage", "Usage"],
        "BilledCost": [58.89, 58.89, 1.0], "EffectiveCost": [40.0, 40.0, 1.0],
        "ConsumedQuantity": [1, 1, 3], "ConsumedUnit": ["Hours", "Hours", "Hours"],
        "ResourceType": ["p5.48xlarge", "p5.48xlarge", "m5.large"],
        "Tags": ['{"team": "search"}', '{"team": "search"}', ""],
    }).to_csv(path, index=False)
    usage = read_focus(path)
    gpu = usage[usage["metric"] == "gpu_hours"]
    assert gpu["value"].sum() == 16.0  # 2 instance-hours x 8 H100
    assert set(gpu["gpu_type"]) == {"H100"} and set(gpu["team"]) == {"search"}
    assert _total(usage, "cost_usd") == pytest.approx(81.0)


def test_focus_missing_mandatory_column(tmp_path):
    path = tmp_path / "f.csv"
    pd.DataFrame({"ChargePeriodStart": ["2025-01-01"], "ChargeCategory": ["Usage"], "BilledCost": [1]}).to_csv(path, index=False)
    with pytest.raises(InputError, match=r"f\.csv.*EffectiveCost"):
        read_focus(path)


def _litellm_rows():
    return [
        {"request_id": "a", "startTime": "2025-02-01T10:05:00Z", "model": "gpt-4o", "prompt_tokens": 1000,
         "completion_tokens": 100, "spend": 0.0035, "team_id": "t1", "user": "u1",
         "metadata": json.dumps({"user_api_key_team_alias": "search",
                                 "additional_usage_values": {"cache_read_input_tokens": 400}}),
         "request_tags": '["autocomplete"]'},
        {"request_id": "b", "startTime": "2025-02-01T10:40:00Z", "model": "gpt-4o", "prompt_tokens": 200,
         "completion_tokens": 20, "spend": 0.0007, "team_id": "t1", "user": "u1", "metadata": "{}",
         "request_tags": "[]"},
        {"request_id": "c", "startTime": "2025-02-01T11:00:00Z", "model": "claude-sonnet-4-5", "prompt_tokens": 50,
         "completion_tokens": 5, "spend": 0.0002, "team_id": "t2", "user": "", "metadata": "{}",
         "request_tags": "[]"},
    ]


def test_litellm_spend_log(tmp_path):
    rows = _litellm_rows()
    path = tmp_path / "spend.csv"
    pd.DataFrame(rows + [rows[1]]).to_csv(path, index=False)  # an exact repeat of request b
    usage = read_litellm(path)
    assert _total(usage, "requests") == 3
    assert _total(usage, "cached_input_tokens") == 400
    assert _total(usage, "input_tokens") == 1000 - 400 + 200 + 50
    assert _total(usage, "cost_usd") == pytest.approx(0.0044)
    search = usage[(usage["team"] == "search") & (usage["metric"] == "requests")]
    assert search["value"].sum() == 1 and set(search["feature"]) == {"autocomplete"}
    assert set(usage.loc[usage["team"] == "t1", "metric"]) >= {"requests"}


def test_litellm_conflicting_request_id(tmp_path):
    rows = _litellm_rows()
    bad = dict(rows[0], prompt_tokens=999)
    path = tmp_path / "spend.json"
    path.write_text(json.dumps(rows + [bad]))
    with pytest.raises(InputError, match=r"request_id 'a'.*rows 1, 4.*conflicting"):
        read_litellm(path)


def test_nixtla_and_duplicates(samples, tmp_path):
    path = samples / "philly_busy_nodes_hourly.csv"
    raw = pd.read_csv(path)
    usage = read_nixtla(path, metric="node_hours")
    assert _total(usage, "node_hours") == pytest.approx(raw["y"].sum())
    dup = tmp_path / "dup.csv"
    raw.head(3).pipe(lambda d: pd.concat([d, d.iloc[[1]]])).to_csv(dup, index=False)
    with pytest.warns(PlannerWarning, match="exact duplicate"):
        assert len(read_nixtla(dup, metric="node_hours")) == 3
    conflict = raw.head(3).pipe(lambda d: pd.concat([d, d.iloc[[1]].assign(y=1.0)]))
    conflict.to_csv(dup, index=False)
    with pytest.raises(InputError, match=r"dup\.csv: duplicate key .*rows 2, 4"):
        read_nixtla(dup, metric="node_hours")


def test_servegen_mapping_keeps_gaps_missing(samples):
    raw = pd.read_csv(samples / "servegen_hourly_by_model.csv")
    with pytest.warns(PlannerWarning, match="missing data"):
        usage = read_table(samples / "servegen_hourly_by_model.csv", time_col="t_offset_s", time_unit="s",
                           start="2025-01-06", dims={"model": "model"},
                           metrics={"requests": "requests_gapfilled"}, source="servegen")
    assert len(usage) == raw["requests_gapfilled"].notna().sum()
    assert _total(usage, "requests") == pytest.approx(raw["requests_gapfilled"].sum())
    assert usage["ts"].max() == pd.Timestamp("2025-01-06") + pd.Timedelta(seconds=int(raw["t_offset_s"].max()))


def test_to_series_sums_and_fills(samples):
    usage = read_azure_trace(samples / "azure_llm_2023_code.csv", freq="min")
    series = to_series(usage, "requests", by=["product"], freq="5min")
    assert list(series.columns) == ["unique_id", "ds", "y"]
    assert series["y"].sum() == 8819
    assert (series["ds"].diff().dropna() == pd.Timedelta("5min")).all()
    daily = to_series(usage, ["requests", "input_tokens"], freq="D")
    assert set(daily["unique_id"]) == {"requests", "input_tokens"}


def test_to_series_zero_fill_vs_gaps():
    usage = pd.DataFrame({
        "ts": pd.to_datetime(["2025-01-01", "2025-01-03"]), "source": "s", "metric": "requests",
        "value": [5.0, 7.0], **{d: "" for d in ["team", "product", "feature", "user", "model", "provider", "gpu_type", "region"]},
    })
    assert to_series(usage, "requests")["y"].tolist() == [5.0, 0.0, 7.0]
    assert to_series(usage, "requests", fill_value=None)["y"].tolist() == [5.0, 7.0]
    with pytest.raises(InputError, match="freq: unknown frequency .fortnight.; expected one of h"):
        to_series(usage, "requests", freq="fortnight")


def test_summary_counts_periods(samples):
    usage = read_nixtla(samples / "philly_busy_nodes_hourly.csv", metric="node_hours")
    s = summarize(usage).iloc[0]
    raw = pd.read_csv(samples / "philly_busy_nodes_hourly.csv")
    assert s["periods"] == raw["ds"].nunique() == 1771
    assert s["mean_per_period"] == pytest.approx(raw["y"].mean())
    assert s["unit"] == "node-h"


@pytest.mark.parametrize(
    ("content", "pattern"),
    [
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\nyesterday,5,1\n",
         r"bad\.csv: column 'TIMESTAMP' has unparseable timestamps at row 2 \(found 'yesterday'\)"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16T18:00:00Z,10,1\n2023-11-16 18:00:01,5,1\n",
         r"mixes time zones: row 1 with a UTC offset, row 2 without"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\n2023-11-16 18:00:01,-5,1\n",
         r"column 'ContextTokens' is negative at row 2"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,ten,1\n",
         r"column 'ContextTokens' must be numeric at row 1 \(found 'ten'\)"),
        ("TIMESTAMP,ContextTokens\n2023-11-16 18:00:00,10\n", r"missing required Azure trace column 'GeneratedTokens'"),
        ("TIMESTAMP,ContextTokens,GeneratedTokens\n", r"empty file"),
    ],
)
def test_bad_trace_input_names_the_spot(tmp_path, content, pattern):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(InputError, match=pattern):
        read_azure_trace(path)


def test_wrong_file_type_and_empty(tmp_path):
    path = tmp_path / "usage.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match=r"wrong file type \.xlsx \(a zip archive, e\.g\. an Excel workbook\); expected CSV, Parquet, JSON or JSON lines"):
        read_table(path, time_col="t", metrics={"requests": "r"})
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="empty file"):
        read_usage(empty, format="azure")


def test_unknown_metric_and_unrecognised_format(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("day,tok\n2025-01-01,5\n")
    assert detect_format(path) == "table"
    with pytest.raises(InputError, match="not a recognised usage format"):
        read_usage(path)
    with pytest.raises(InputError, match=r"unknown metric\(s\) \['tokens'\]"):
        read_table(path, time_col="day", metrics={"tokens": "tok"})


def test_parquet_roundtrip(tmp_path, samples):
    raw = pd.read_csv(samples / "philly_busy_nodes_hourly.csv", parse_dates=["ds"])
    path = tmp_path / "philly.parquet"
    raw.to_parquet(path)
    assert detect_format(path) == "nixtla"
    usage = read_usage(path, metric="gpu_hours")
    assert _total(usage, "gpu_hours") == pytest.approx(raw["y"].sum())


def test_no_warning_on_clean_input(samples):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_azure_trace(samples / "azure_llm_2023_code.csv")
    assert np.isfinite(read_focus(samples / "focus" / "multi_model_usage.csv")["value"]).all()


def _focus_sample(tmp_path, samples, rename=None, drop=None):
    raw = pd.read_csv(samples / "focus" / "multi_model_usage.csv", dtype=str, keep_default_na=False)
    path = tmp_path / "focus.csv"
    raw.rename(columns=rename or {}).drop(columns=drop or []).to_csv(path, index=False)
    return raw, path


def test_focus_misspelt_quantity_is_named_not_dropped(tmp_path, samples):
    """The real sample with one column misspelt used to lose all its tokens without a word."""
    raw, path = _focus_sample(tmp_path, samples, rename={"ConsumedQuantity": "ConsumedQuantiy"})
    with pytest.raises(InputError, match=r"missing required FOCUS column 'ConsumedQuantity' \(found 'ConsumedQuantiy'\)"):
        read_usage(path)
    usage = read_usage(samples / "focus" / "multi_model_usage.csv")
    qty = raw["ConsumedQuantity"].astype(float)
    output = raw["SkuPriceDetails"].str.contains('"TokenDirection":"Output"')
    assert _total(usage, "output_tokens") == qty[output].sum() == 2_500_000
    inputs = sum(_total(usage, m) for m in ("input_tokens", "cached_input_tokens", "cache_write_tokens"))
    assert inputs == qty[~output].sum() == 13_000_000
    assert usage.attrs["rows_read"] == len(raw) and usage.attrs["rows_skipped"] == {}


def test_focus_missing_required_column_is_named(tmp_path, samples):
    _, path = _focus_sample(tmp_path, samples, drop=["EffectiveCost"])
    with pytest.raises(InputError, match=r"focus\.csv: missing required FOCUS column 'EffectiveCost'"):
        read_usage(path)


def test_focus_rows_without_usage_are_counted(samples):
    with pytest.warns(PlannerWarning, match=r"2 of 2 rows carry cost only \(no token or GPU usage\): "
                                            r"1 Usage in 'Hour' without a GPU, 1 Usage without a ConsumedUnit"):
        usage = read_usage(samples / "focus" / "commitment_discount_usage_scenario_3.csv")
    assert usage.attrs["rows_skipped"] == {"Usage in 'Hour' without a GPU": 1, "Usage without a ConsumedUnit": 1}
    assert _total(usage, "cost_usd") == pytest.approx(1.0)  # 0.75 + 0.25: their cost still counts


def _spend_rows():
    return [{"request_id": "a", "startTime": "2025-01-01T10:00:00Z", "model": "gpt-4o", "prompt_tokens": 100,
             "completion_tokens": 10, "spend": 0.5},
            {"request_id": "b", "startTime": "2025-01-01T11:00:00Z", "model": "gpt-4o", "prompt_tokens": 300,
             "completion_tokens": 30, "spend": 1.5}]


@pytest.mark.parametrize(
    ("name", "content", "fmt"),
    [
        ("spend.json", json.dumps(_spend_rows(), indent=2).encode(), "litellm"),
        ("spend.json", "\n".join(json.dumps(r) for r in _spend_rows()).encode(), "litellm"),
        ("spend.log", gzip.compress(json.dumps(_spend_rows()).encode()), "litellm"),
        ("trace.csv", "\ufeffTIMESTAMP,ContextTokens,GeneratedTokens\r\n2023-11-16 18:00:00,10,1\r\n".encode(), "azure"),
        ("trace.csv.gz", gzip.compress(b"TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\n"), "azure"),
        ("trace.txt", "TIMESTAMP\tContextTokens\tGeneratedTokens\n2023-11-16 18:00:00\t10\t1\n".encode("utf-16"),
         "azure"),
    ],
    ids=["json-array-pretty", "json-lines", "gzip-json-no-suffix", "bom-crlf-csv", "gzip-csv", "utf16-tsv"],
)
def test_format_is_told_by_content(tmp_path, name, content, fmt):
    path = tmp_path / name
    path.write_bytes(content)
    assert detect_format(path) == fmt
    usage = read_usage(path)
    assert usage.attrs["format"] == fmt
    tokens = 400 if fmt == "litellm" else 10
    assert _total(usage, "input_tokens") == tokens


def test_parquet_named_file_holding_csv_is_read_with_a_warning(tmp_path):
    path = tmp_path / "trace.parquet"
    path.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\n")
    with pytest.warns(PlannerWarning, match=r"named \.parquet but holds CSV"):
        assert _total(read_usage(path), "requests") == 1


def test_unrecognised_format_lists_the_formats_and_the_flag(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("day,tok\n2025-01-01,5\n")
    with pytest.raises(InputError) as err:
        read_usage(path)
    message = str(err.value)
    for text in ("not a recognised usage format", "azure (TIMESTAMP, ContextTokens, GeneratedTokens)",
                 "litellm (startTime, prompt_tokens, completion_tokens)", "--format {azure,mooncake,focus,litellm,opencost,outcomes,nixtla}"):
        assert text in message


def test_zero_byte_and_directory_say_what_they_are(tmp_path):
    empty = tmp_path / "e.csv"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match=r"e\.csv: empty file \(0 bytes\)"):
        detect_format(empty)
    with pytest.raises(InputError, match="is a directory, expected a file"):
        read_usage(tmp_path)


def test_mooncake_without_start_asks_for_it(tmp_path):
    path = tmp_path / "trace.jsonl"
    path.write_text('{"timestamp": 0, "input_length": 10, "output_length": 1}\n')
    with pytest.raises(InputError, match=r"give a start timestamp \(start=\.\.\. / --start\)"):
        read_usage(path)


def test_summary_by_metric_is_the_metric_key(samples):
    usage = read_azure_trace(samples / "azure_llm_2023_code.csv")
    pd.testing.assert_frame_equal(summarize(usage, by=["product", "metric"]), summarize(usage, by=["product"]))
    with pytest.raises(InputError, match=r"by 'teem': not a usage dimension \(did you mean 'team'\?\)"):
        summarize(usage, by=["teem"])


def test_json_lines_with_a_long_first_record(tmp_path):
    rows = _spend_rows()
    rows[0]["messages"] = "x" * 100_000  # longer than the head the format is told from
    path = tmp_path / "spend.json"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    assert detect_format(path) == "litellm"
    assert _total(read_usage(path), "input_tokens") == 400
