"""The bad-input corpus: every command, fed the files and options a new user really has.

Each refusal exits 2 with one line on stderr that names the file, column, row or key, shows no
traceback and leaves nothing behind (no store, no output, no temporary file: the folder is as it
was). Where a mature tool would read the input (BOM and CRLF, gzip, a JSON-array spend log,
UTF-16 text), the command succeeds and the totals are checked against the fixture.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest

from planner.cli import main
from planner.store import Store

# ---------------------------------------------------------------------------------------------
# tiny fixtures

AZURE = "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\n2023-11-16 18:10:00,20,2\n"
FOCUS_COLS = ["ChargePeriodStart", "ChargeCategory", "BilledCost", "EffectiveCost", "ConsumedQuantity",
              "ConsumedUnit", "SkuPriceDetails"]
TOKENS_IN = '{"ModelId": "m1", "TokenDirection": "Input"}'
TOKENS_OUT = '{"ModelId": "m1", "TokenDirection": "Output"}'


def focus(rows: list[list[str]] | None = None, rename: dict[str, str] | None = None, drop: str = "") -> str:
    """A FOCUS CSV; by default two token rows (1,000,000 input, 200,000 output tokens, 7 USD)."""
    rows = rows or [["2025-01-01T00:00:00Z", "Usage", "5", "5", "1000000", "Tokens", TOKENS_IN],
                    ["2025-01-01T00:00:00Z", "Usage", "2", "2", "200000", "Tokens", TOKENS_OUT]]
    frame = pd.DataFrame(rows, columns=FOCUS_COLS).rename(columns=rename or {})
    return frame.drop(columns=[drop] if drop else []).to_csv(index=False)


def spend_log(n: int = 2, **over) -> list[dict]:
    """LiteLLM spend-log rows: request i has 100 (i+1) prompt and 10 (i+1) completion tokens."""
    rows = [{"request_id": f"r{i}", "startTime": f"2025-01-01T10:{i:02d}:00Z", "model": "gpt-4o",
             "prompt_tokens": 100 * (i + 1), "completion_tokens": 10 * (i + 1), "spend": 0.01 * (i + 1)}
            for i in range(n)]
    for key, value in over.items():
        rows[-1][key] = value
    return rows


def series_csv(n: int = 72, freq: str = "h", y: Callable[[int], object] = lambda i: 10 + i % 24,
               start: str = "2025-01-01") -> str:
    ds = pd.date_range(start, periods=n, freq=freq)
    return pd.DataFrame({"unique_id": "a", "ds": ds, "y": [y(i) for i in range(n)]}).to_csv(index=False)


def offset_series(n: int = 72) -> str:
    """Hourly UTC periods written as local times, +01:00 for the first half and +02:00 after (a
    daylight-saving change): the UTC grid is regular."""
    rows = []
    for i in range(n):
        hours = 1 if i < n // 2 else 2
        local = pd.Timestamp("2025-03-01") + pd.Timedelta(hours=i + hours)
        rows.append(f"a,{local:%Y-%m-%dT%H:%M:%S}+0{hours}:00,{10 + i % 24}\n")
    return "unique_id,ds,y\n" + "".join(rows)


def plan_yaml(api: str = "gpt-4o-mini", history: str = "hist.csv", extra: str = "", freq: str = "h",
              route: str = "") -> str:
    return f"""freq: {freq}
periods: 24
scenarios: 5
pools:
  - {{gpu_type: H100, cloud: aws}}
workloads:
  - name: chat
    demand: {{history: {history}}}
    tokens_per_request: {{input: 100, output: 10}}
    routes:
      - {{api: gpt-4o-mini}}
  - name: code
    demand: {{history: {history}}}
    tokens_per_request: {{input: 100, output: 10}}
    routes:
      - {{api: {api}}}
{route}{extra}"""


def scenario_yaml(model: str = "gpt-4o-mini", extra: str = "", demand: str = "requests_per_month: 1000") -> str:
    return f"""name: s
months: 2
{demand}
workloads:
  - name: chat
    share: 1
    input_tokens: {{mean: 100}}
    output_tokens: {{mean: 10}}
    model: {model}
{extra}"""


BOMB = "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9 if p else ['"lol"'] * 9) + "]\n"
               for p, c in zip(["", *"abcdefgh"], "abcdefghi", strict=True))
TAG = "x: !!python/object/apply:os.system ['echo owned']\n"
VMS = ("InstanceType,AcceleratorName,AcceleratorCount,vCPUs,MemoryGiB,Price,Region,GpuInfo,SpotPrice\n"
       "gpu_1x_h100,H100,1,26,200,2.49,us-east-1,,\n"
       "cpu_4x,,,4,16,0.10,us-east-1,,\n")


# ---------------------------------------------------------------------------------------------
# the harness


@dataclass
class Case:
    """``argv`` with ``{d}`` for the test folder; ``files`` name -> text or bytes; ``setup`` argv
    run first (e.g. an ingest that makes a store); ``expect`` substrings of the one error line,
    or ``check(folder, stdout, stderr)`` for a run that must succeed."""

    id: str
    argv: list[str]
    files: dict[str, str | bytes] = field(default_factory=dict)
    expect: tuple[str, ...] = ()
    check: Callable[[Path, str, str], None] | None = None
    setup: list[str] | None = None


def _store_total(folder: Path, metric: str, store: str = "s.duckdb") -> float:
    with Store(folder / store, read_only=True) as s:
        usage = s.usage()
    return float(usage.loc[usage["metric"] == metric, "value"].sum())


def _totals(**expected: float) -> Callable[[Path, str, str], None]:
    def check(folder: Path, out: str, err: str) -> None:
        for metric, value in expected.items():
            assert _store_total(folder, metric) == pytest.approx(value), metric
    return check


def _warns(text: str, **expected: float) -> Callable[[Path, str, str], None]:
    def check(folder: Path, out: str, err: str) -> None:
        assert text in err and err.count("\n") == 1, err
        _totals(**expected)(folder, out, err)
    return check


def _output_rows(name: str, rows: int) -> Callable[[Path, str, str], None]:
    def check(folder: Path, out: str, err: str) -> None:
        assert len(pd.read_csv(folder / name)) == rows
    return check


INGEST = ["ingest", "{d}/in", "--store", "{d}/s.duckdb"]


def ingest(name: str) -> list[str]:
    return ["ingest", f"{{d}}/{name}", "--store", "{d}/s.duckdb"]


SETUP_STORE = ["ingest", "{d}/azure.csv", "--store", "{d}/s.duckdb"]
FORECAST = ["forecast", "{d}/h.csv", "--horizon", "3", "--output", "{d}/f.csv"]
COMMIT = ["commit", "{d}/h.csv", "--horizon", "24", "--freq", "h", "--on-demand-price", "4", "--reserved-price", "2",
          "--output", "{d}/plan.json"]
PLAN = ["plan", "{d}/p.yaml", "--output", "{d}/out"]
SIMULATE = ["simulate", "{d}/s.yaml", "--output", "{d}/out", "--draws", "10"]
MONTHLY = ["monthly", "--month", "2025-01", "--store", "{d}/s.duckdb", "--output-dir", "{d}/reports"]
IMPORT = ["catalog", "import", "skypilot", "{d}/vms.csv", "--cloud", "lambda", "--catalog-dir", "{d}/catalog"]
FOCUS_GPU = [["2025-01-01T00:00:00Z", "Usage", "10", "10", "2", "Hours", '{"GpuCount": "eight", "GpuType": "H100"}']]
BUDGET = ["budget", "status", "--budgets", "{d}/b.yaml", "--store", "{d}/s.duckdb"]
SETUP_SPEND = ["ingest", "{d}/spend.json", "--store", "{d}/s.duckdb"]
ANOMALIES = ["anomalies", "--metric", "requests", "--freq", "h", "--store", "{d}/s.duckdb"]


def budgets(item: str = "{name: a, amount_usd: 5, period: month}") -> str:
    return f"budgets:\n  - {item}\n"


def opencost(**over) -> str:
    """One allocation of the OpenCost /allocation response, fields replaced by ``over``."""
    alloc = {"name": "ns1", "properties": {"namespace": "ns1"}, "start": "2025-01-01T00:00:00Z",
             "end": "2025-01-02T00:00:00Z", "gpuHours": 8, "gpuCost": 20, "totalCost": 25, **over}
    return json.dumps({"code": 200, "data": [{"ns1": alloc}]})


OUTCOMES = "ts,feature,outcome,count\n2025-01-01T10:00:00Z,support,resolved_ticket,3\n"

CASES = [
    # --- ingest: known formats with a missing or misspelt column name it, with the closest found
    Case("focus-misspelt-quantity", INGEST, {"in": focus(rename={"ConsumedQuantity": "ConsumedQuantiy"})},
         ("in: missing required FOCUS column 'ConsumedQuantity' (found 'ConsumedQuantiy')",)),
    Case("focus-missing-effective-cost", INGEST, {"in": focus(drop="EffectiveCost")},
         ("in: missing required FOCUS column 'EffectiveCost'",)),
    Case("focus-misspelt-signature", INGEST, {"in": focus(rename={"ChargePeriodStart": "ChargePeriodStrat"})},
         ("missing required FOCUS column 'ChargePeriodStart' (found 'ChargePeriodStrat')",)),
    Case("focus-misspelt-optional", INGEST, {"in": focus(rename={"SkuPriceDetails": "SkuPriceDetail"})},
         ("missing FOCUS column 'SkuPriceDetails' (found 'SkuPriceDetail')",)),
    Case("focus-gpu-count-text", INGEST, {"in": focus(FOCUS_GPU)},
         ("'SkuPriceDetails' key 'GpuCount' must be a GPU count >= 0 at row 1 (found 'eight')",)),
    Case("focus-token-row-empty-quantity", INGEST,
         {"in": focus([["2025-01-01T00:00:00Z", "Usage", "5", "5", "", "Tokens", TOKENS_IN]])},
         ("column 'ConsumedQuantity' is empty at row 1 (Tokens usage)",)),
    Case("focus-euro", INGEST, {"in": focus().replace("ConsumedQuantity", "BillingCurrency,ConsumedQuantity", 1)
                                .replace("Usage,5,5,", "Usage,5,5,EUR,").replace("Usage,2,2,", "Usage,2,2,USD,")},
         ("column 'BillingCurrency' is 'EUR' at row 1",)),
    Case("focus-bad-json", INGEST,
         {"in": focus([["2025-01-01T00:00:00Z", "Usage", "5", "5", "1", "Tokens", "{ModelId: m1"]])},
         ("column 'SkuPriceDetails' is not valid JSON at row 1",)),
    Case("focus-nan-cost", INGEST,
         {"in": focus([["2025-01-01T00:00:00Z", "Usage", "5", "NaN", "1", "Tokens", TOKENS_IN]])},
         ("column 'EffectiveCost' must be numeric at row 1 (found 'NaN')",)),
    Case("focus-inf-cost", INGEST,
         {"in": focus([["2025-01-01T00:00:00Z", "Usage", "inf", "5", "1", "Tokens", TOKENS_IN]])},
         ("column 'BilledCost' is infinite at row 1",)),
    Case("litellm-missing-prompt-tokens", ingest("in.json"),
         {"in.json": json.dumps([{k: v for k, v in r.items() if k != "prompt_tokens"} for r in spend_log()])},
         ("missing required LiteLLM column 'prompt_tokens'",)),
    Case("litellm-conflicting-duplicate", ingest("in.json"),
         {"in.json": json.dumps(spend_log(2, request_id="r0"))},
         ("request_id 'r0' appears at rows 1, 2 with conflicting values",)),
    Case("litellm-jsonl-broken-line", ingest("in.jsonl"),
         {"in.jsonl": json.dumps(spend_log(1)[0]) + "\n{\"request_id\": \n"},
         ("in.jsonl: line 2 is not valid JSON",)),
    Case("litellm-array-item-not-object", ingest("in.json"), {"in.json": json.dumps([spend_log(1)[0], [1, 2]])},
         ("in.json: JSON array item 2 is a list",)),
    Case("litellm-truncated-array", ingest("in.json"), {"in.json": json.dumps(spend_log(2), indent=2)[:-30]},
         ("in.json: not valid JSON at line",)),
    Case("litellm-negative-spend", ingest("in.json"), {"in.json": json.dumps(spend_log(2, spend=-1))},
         ("column 'spend' is negative at row 2",)),
    Case("litellm-hourly", [*INGEST, "--freq", "hourly"], {"in": json.dumps(spend_log())},
         ("--freq: unknown frequency 'hourly'; expected one of h",)),
    # --- ingest: traces and tables, wrong values
    Case("azure-negative", INGEST, {"in": AZURE.replace(",20,", ",-20,")},
         ("in: column 'ContextTokens' is negative at row 2 (found '-20')",)),
    Case("azure-text-count", INGEST, {"in": AZURE.replace(",20,", ",twenty,")},
         ("column 'ContextTokens' must be numeric at row 2 (found 'twenty')",)),
    Case("azure-bad-time", INGEST, {"in": AZURE.replace("2023-11-16 18:10:00", "yesterday")},
         ("column 'TIMESTAMP' has unparseable timestamps at row 2 (found 'yesterday')",)),
    Case("azure-mixed-zones", INGEST, {"in": AZURE.replace("18:10:00", "18:10:00Z")},
         ("column 'TIMESTAMP' mixes time zones: row 2 with a UTC offset, row 1 without",)),
    Case("azure-far-future", INGEST, {"in": AZURE.replace("2023-11-16 18:10:00", "2200-01-01 00:00:00")},
         ("column 'TIMESTAMP' is in the future at row 2 (found '2200-01-01 00:00:00'",)),
    Case("azure-out-of-range-year", INGEST, {"in": AZURE.replace("2023-11-16 18:10:00", "9999-12-31 00:00:00")},
         ("column 'TIMESTAMP' has unparseable timestamps at row 2",)),
    Case("azure-extra-field", INGEST, {"in": AZURE + "2023-11-16 18:20:00,5,1,7\n"},
         ("in: row 3 has 4 fields, more than the header's 3 columns",)),
    Case("azure-every-row-longer", INGEST, {"in": AZURE.replace(",1\n", ",1,x\n").replace(",2\n", ",2,y\n")},
         ("in: row 1 has more fields than the header's 3 columns",)),
    Case("azure-repeated-column", INGEST, {"in": "TIMESTAMP,ContextTokens,GeneratedTokens,ContextTokens\n"
                                                 "2023-11-16 18:00:00,10,1,11\n"},
         ("in: column 'ContextTokens' appears twice in the header (columns 2 and 4)",)),
    Case("mooncake-without-start", INGEST,
         {"in": '{"timestamp": 0, "input_length": 10, "output_length": 1}\n'},
         ("column 'timestamp' holds relative offsets in ms; give a start timestamp (start=... / --start)",)),
    Case("mooncake-bad-start", [*INGEST, "--start", "yesterday"],
         {"in": '{"timestamp": 0, "input_length": 10, "output_length": 1}\n'},
         ("in: start 'yesterday' is not a timestamp",)),
    Case("nixtla-without-metric", INGEST, {"in": series_csv(3)},
         ("Nixtla long format (unique_id, ds, y): say what y measures with --metric",)),
    Case("nixtla-conflicting-duplicate", [*INGEST, "--metric", "gpu_hours"],
         {"in": "unique_id,ds,y\na,2025-01-01,1\na,2025-01-01,2\n"},
         ("duplicate key", "with conflicting values at rows 1, 2")),
    Case("nixtla-missing-unique-id", [*INGEST, "--metric", "gpu_hours"], {"in": "ds,y\n2025-01-01,1\n"},
         ("missing required Nixtla column 'unique_id'",)),
    Case("unrecognised", INGEST, {"in": "day,tok\n2025-01-01,5\n"},
         ("in: not a recognised usage format", "'day', 'tok'", "--format {azure,mooncake,focus,litellm,opencost,outcomes,nixtla}",
          "--mapping FILE")),
    Case("table-misspelt-mapping-column", [*INGEST, "--time-col", "day", "--metric-col", "input_tokens=tok_in"],
         {"in": "day,tok_inn\n2025-01-01,5\n"}, ("in: missing column 'tok_in' (found 'tok_inn')",)),
    Case("table-unknown-metric", [*INGEST, "--time-col", "day", "--metric-col", "tokens=tok"],
         {"in": "day,tok\n2025-01-01,5\n"}, ("unknown metric(s) ['tokens'] in the mapping",)),
    Case("table-unknown-dimension", [*INGEST, "--set", "tema=search"], {"in": AZURE},
         ("unknown dimension 'tema'",)),
    Case("mapping-unknown-key", [*INGEST, "--mapping", "{d}/m.yaml"], {"in": AZURE, "m.yaml": "time_column: day\n"},
         ("m.yaml: unknown key(s) ['time_column']",)),
    Case("mapping-python-tag", [*INGEST, "--mapping", "{d}/m.yaml"], {"in": AZURE, "m.yaml": TAG},
         ("m.yaml: not valid YAML", "python/object/apply"),),
    Case("mapping-alias-bomb", [*INGEST, "--mapping", "{d}/m.yaml"], {"in": AZURE, "m.yaml": BOMB},
         ("m.yaml: refused: its aliases expand to more than 100,000 values",)),
    Case("good-then-bad-file", ["ingest", "{d}/azure.csv", "{d}/in", "--store", "{d}/s.duckdb"],
         {"azure.csv": AZURE, "in": AZURE.replace(",20,", ",-20,")}, ("in: column 'ContextTokens' is negative",)),
    # --- ingest: what the file is, told from its bytes
    Case("zero-bytes", INGEST, {"in": ""}, ("in: empty file (0 bytes); expected CSV, JSON, JSON lines or Parquet",)),
    Case("blank-space-only", INGEST, {"in": " \n\n"}, ("in: empty file (only blank space)",)),
    Case("header-only", INGEST, {"in": AZURE.splitlines()[0] + "\n"}, ("in: empty file (a header but no data rows)",)),
    Case("empty-json-array", ingest("in.json"), {"in.json": "[]"}, ("in.json: empty file (no records)",)),
    Case("directory", ["ingest", "{d}/adir", "--store", "{d}/s.duckdb"], {"adir/x.csv": AZURE},
         ("adir: is a directory, expected a file",)),
    Case("missing-file", INGEST, {}, ("in: no such file",)),
    Case("latin-1", INGEST, {"in": ("TIMESTAMP,ContextTokens,GeneratedTokens,note\n"
                                    "2023-11-16 18:00:00,10,1,café\n").encode("latin-1")},
         ("in: not UTF-8 text: byte 0xe9 at line 2 cannot be decoded; is it latin-1 or Windows-1252?",)),
    Case("binary", INGEST, {"in": bytes(range(256)) * 4}, ("in: wrong file type (no suffix) (binary content)",)),
    Case("excel-workbook", ["ingest", "{d}/in.xlsx", "--store", "{d}/s.duckdb"], {"in.xlsx": b"PK\x03\x04" + b"\0" * 60},
         ("in.xlsx: wrong file type .xlsx (a zip archive, e.g. an Excel workbook)",)),
    Case("corrupt-gzip", ["ingest", "{d}/in.csv.gz", "--store", "{d}/s.duckdb"], {"in.csv.gz": b"\x1f\x8b" + b"x" * 40},
         ("in.csv.gz: not a valid gzip file",)),
    Case("corrupt-parquet", ["ingest", "{d}/in.parquet", "--store", "{d}/s.duckdb"],
         {"in.parquet": b"PAR1" + b"\0" * 40}, ("in.parquet: cannot be read as Parquet",)),
    # --- ingest: inputs a mature tool reads, with their totals
    Case("ok-bom-crlf", INGEST, {"in": ("\ufeff" + AZURE.replace("\n", "\r\n")).encode()},
         check=_totals(requests=2, input_tokens=30, output_tokens=3)),
    Case("ok-gzip-csv-trace", ["ingest", "{d}/in.csv.gz", "--store", "{d}/s.duckdb"],
         {"in.csv.gz": gzip.compress(AZURE.encode())}, check=_totals(requests=2, input_tokens=30)),
    Case("ok-gzip-without-suffix", INGEST, {"in": gzip.compress(AZURE.encode())}, check=_totals(requests=2)),
    Case("ok-json-array-spend-log", ["ingest", "{d}/in.json", "--store", "{d}/s.duckdb"],
         {"in.json": json.dumps(spend_log(3), indent=2)},
         check=_totals(requests=3, input_tokens=600, output_tokens=60, cost_usd=0.06)),
    Case("ok-json-lines-named-json", ["ingest", "{d}/in.json", "--store", "{d}/s.duckdb"],
         {"in.json": "\n".join(json.dumps(r) for r in spend_log(2))}, check=_totals(requests=2, input_tokens=300)),
    Case("ok-gzip-mooncake", [*INGEST, "--start", "2024-06-01T00:00:00Z"],
         {"in": gzip.compress(b'{"timestamp": 0, "input_length": 10, "output_length": 1}\n'
                              b'{"timestamp": 5000, "input_length": 20, "output_length": 2}\n')},
         check=_totals(requests=2, input_tokens=30, output_tokens=3)),
    Case("ok-utf16-tab-separated", INGEST, {"in": AZURE.replace(",", "\t").replace("\n", "\r\n").encode("utf-16")},
         check=_totals(requests=2, input_tokens=30)),
    Case("ok-semicolons", INGEST, {"in": AZURE.replace(",", ";")}, check=_totals(requests=2, output_tokens=3)),
    Case("ok-parquet-named-file-holding-csv", ["ingest", "{d}/in.parquet", "--store", "{d}/s.duckdb"],
         {"in.parquet": AZURE}, check=_warns("in.parquet: named .parquet but holds CSV; read as CSV", requests=2)),
    Case("ok-focus-non-ai-rows-counted", INGEST,
         {"in": focus([["2025-01-01T00:00:00Z", "Usage", "5", "5", "1000000", "Tokens", TOKENS_IN],
                       ["2025-01-01T00:00:00Z", "Purchase", "100", "0", "", "", ""],
                       ["2025-01-01T00:00:00Z", "Usage", "3", "3", "50", "GB-Mo", ""],
                       ["2025-01-01T00:00:00Z", "Tax", "1", "1", "", "", ""]])},
         check=_warns("3 of 4 rows carry cost only (no token or GPU usage): 1 Purchase, 1 Tax, 1 Usage in 'GB-Mo'",
                      input_tokens=1_000_000, cost_usd=9, billed_cost_usd=109)),
    Case("ok-litellm-exact-repeat", ["ingest", "{d}/in.json", "--store", "{d}/s.duckdb"],
         {"in.json": json.dumps([*spend_log(2), spend_log(2)[1]])},
         check=_warns("1 of 3 rows are left out: 1 exact repeats of a request_id", requests=2, input_tokens=300)),
    # --- usage
    Case("usage-summary-by-metric", ["usage", "summary", "--by", "team,metric", "--store", "{d}/s.duckdb"],
         {"azure.csv": AZURE}, setup=SETUP_STORE,
         check=lambda d, out, err: ("input_tokens" in out and "metric" in out.splitlines()[0]) or pytest.fail(out)),
    Case("usage-summary-unknown-dim", ["usage", "summary", "--by", "teem", "--store", "{d}/s.duckdb"],
         {"azure.csv": AZURE}, ("by 'teem': not a usage dimension (did you mean 'team'?)",), setup=SETUP_STORE),
    Case("usage-series-hourly", ["usage", "series", "--metric", "requests", "--freq", "hourly", "--output",
                                 "{d}/series.csv", "--store", "{d}/s.duckdb"], {"azure.csv": AZURE},
         ("--freq: unknown frequency 'hourly'; expected one of h",), setup=SETUP_STORE),
    Case("usage-series-unknown-metric", ["usage", "series", "--metric", "tokens", "--output", "{d}/series.csv",
                                         "--store", "{d}/s.duckdb"], {"azure.csv": AZURE},
         ("unknown metric(s) ['tokens']",), setup=SETUP_STORE),
    Case("usage-series-by-metric", ["usage", "series", "--metric", "requests", "--by", "metric", "--output",
                                    "{d}/series.csv", "--store", "{d}/s.duckdb"], {"azure.csv": AZURE},
         ("by 'metric': not a usage dimension",), setup=SETUP_STORE),
    # --- forecast: the same validated series reader as commit and plan
    Case("forecast-mixed-zones", FORECAST, {"h.csv": "unique_id,ds,y\na,2025-01-01T00:00:00Z,1\na,2025-01-02,2\n"},
         ("h.csv: column 'ds' mixes time zones: row 1 with a UTC offset, row 2 without",)),
    Case("forecast-missing-y", FORECAST, {"h.csv": "unique_id,ds,value\na,2025-01-01,1\n"},
         ("h.csv: missing required long-format column 'y'",)),
    Case("forecast-conflicting-duplicate", FORECAST,
         {"h.csv": "unique_id,ds,y\na,2025-01-01,1\na,2025-01-02,2\na,2025-01-02,3\n"},
         ("h.csv: series 'a' at 2025-01-02 00:00:00 appears at rows 2, 3 with different 'y'",)),
    Case("forecast-inf", FORECAST, {"h.csv": "unique_id,ds,y\na,2025-01-01,1\na,2025-01-02,inf\n"},
         ("h.csv: column 'y' is infinite at row 2",)),
    Case("forecast-text", FORECAST, {"h.csv": "unique_id,ds,y\na,2025-01-01,1\na,2025-01-02,lots\n"},
         ("h.csv: column 'y' must be numeric at row 2 (found 'lots')",)),
    Case("forecast-far-future", FORECAST, {"h.csv": "unique_id,ds,y\na,2025-01-01,1\na,2190-01-02,2\n"},
         ("h.csv: column 'ds' is in the future at row 2",)),
    Case("forecast-empty-id", FORECAST, {"h.csv": "unique_id,ds,y\na,2025-01-01,1\n,2025-01-02,2\n"},
         ("h.csv: column 'unique_id' is empty at row 2",)),
    Case("forecast-hourly", [*FORECAST, "--freq", "hourly"], {"h.csv": series_csv()},
         ("--freq: unknown frequency 'hourly'; expected one of h",)),
    Case("forecast-zero-horizon", ["forecast", "{d}/h.csv", "--horizon", "0", "--output", "{d}/f.csv"],
         {"h.csv": series_csv()}, ("--horizon must be >= 1",)),
    Case("forecast-directory", ["forecast", "{d}/adir", "--horizon", "3", "--output", "{d}/f.csv"], {"adir/h.csv": "x"},
         ("adir: is a directory, expected a file",)),
    Case("forecast-header-only", FORECAST, {"h.csv": "unique_id,ds,y\n"}, ("h.csv: empty file (a header but no data rows)",)),
    Case("ok-forecast-utc-offsets", FORECAST,
         {"h.csv": offset_series()},
         check=_output_rows("f.csv", 3)),
    # --- commit
    Case("commit-negative", COMMIT, {"h.csv": "unique_id,ds,y\na,2025-01-01,1\na,2025-01-02,-3\n"},
         ("h.csv: column 'y' is negative at row 2 (found '-3')",)),
    Case("commit-empty-value", COMMIT, {"h.csv": "unique_id,ds,y\na,2025-01-01,1\na,2025-01-02,\n"},
         ("h.csv: column 'y' is empty at row 2",)),
    Case("commit-nan-price", [*COMMIT[:6], "--on-demand-price", "nan", *COMMIT[8:]], {"h.csv": series_csv()},
         ("--on-demand-price nan: expected a finite price >= 0",)),
    Case("commit-negative-price", [*COMMIT[:8], "--reserved-price", "-1", *COMMIT[10:]], {"h.csv": series_csv()},
         ("--reserved-price -1: expected a finite price >= 0",)),
    Case("commit-hourly", [*COMMIT[:4], "--freq", "hourly", *COMMIT[6:]], {"h.csv": series_csv()},
         ("--freq: unknown frequency 'hourly'",)),
    Case("commit-missing-ds", COMMIT, {"h.csv": "unique_id,date,y\na,2025-01-01,1\n"},
         ("h.csv: missing required long-format column 'ds'",)),
    Case("commit-latin-1", COMMIT, {"h.csv": "unique_id,ds,y\ncafé,2025-01-01,1\n".encode("latin-1")},
         ("h.csv: not UTF-8 text: byte 0xe9 at line 2",)),
    # --- plan and compare: every name and price checked before any demand is forecast
    Case("plan-typo-model", PLAN, {"p.yaml": plan_yaml(api="gpt-4oo"), "hist.csv": series_csv()},
         ("p.yaml: workloads[1].routes[0].api: unknown API model 'gpt-4oo'", "'gpt-4o'")),
    Case("compare-typo-model", ["compare", "{d}/p.yaml", "--output", "{d}/out"],
         {"p.yaml": plan_yaml(api="gpt-4oo"), "hist.csv": series_csv()},
         ("p.yaml: workloads[1].routes[0].api: unknown API model 'gpt-4oo'",)),
    Case("plan-unknown-key", PLAN, {"p.yaml": plan_yaml().replace("    routes:\n      - {api: gpt-4o-mini}",
                                                                  "    rutes:\n      - {api: gpt-4o-mini}"),
                                    "hist.csv": series_csv()},
         ("p.yaml: unknown key workloads[0].rutes (did you mean 'routes'?)",)),
    Case("plan-python-tag", PLAN, {"p.yaml": TAG}, ("p.yaml: not valid YAML",)),
    Case("plan-alias-bomb", PLAN, {"p.yaml": BOMB}, ("p.yaml: refused: its aliases expand",)),
    Case("plan-negative-history", PLAN, {"p.yaml": plan_yaml(), "hist.csv": series_csv(y=lambda i: -1 if i == 5 else 3)},
         ("hist.csv: column 'y' is negative at row 6", "(named in", "p.yaml: workloads[0].demand)")),
    Case("plan-missing-history", PLAN, {"p.yaml": plan_yaml(history="nope.csv")},
         ("nope.csv: no such file (named in", "workloads[0].demand)")),
    Case("plan-history-directory", PLAN, {"p.yaml": plan_yaml(history="adir"), "adir/x.csv": "x"},
         ("adir: is a directory, expected a file (named in",)),
    Case("plan-hourly", PLAN, {"p.yaml": plan_yaml(freq="hourly"), "hist.csv": series_csv()},
         ("p.yaml: freq 'hourly': not a pandas frequency; use h, D, W-MON, MS, QS",)),
    Case("plan-negative-price", PLAN, {"p.yaml": plan_yaml().replace("{gpu_type: H100, cloud: aws}",
                                                                     "{gpu_type: H100, on_demand_usd_per_gpu_hour: -1}"),
                                       "hist.csv": series_csv()},
         ("p.yaml: pools[0].on_demand_usd_per_gpu_hour: expected a value >= 0, got -1",)),
    Case("plan-nan-price", PLAN, {"p.yaml": plan_yaml().replace("{gpu_type: H100, cloud: aws}",
                                                                "{gpu_type: H100, on_demand_usd_per_gpu_hour: .nan}"),
                                  "hist.csv": series_csv()},
         ("pool H100", "on_demand price must be a finite number >= 0 [USD/GPU-h], got nan")),
    Case("plan-selfhost-without-pool", PLAN,
         {"p.yaml": plan_yaml(api="gpt-4o").replace("      - {api: gpt-4o}\n",
                                                    "      - {api: gpt-4o}\n      - {selfhost: llama-8b, gpu_type: B200}\n"),
          "hist.csv": series_csv()},
         ("p.yaml: workloads[1].routes[1].gpu_type: 'B200' is not among the pools ['H100@aws']",)),
    Case("plan-provisioned-typo", PLAN,
         {"p.yaml": plan_yaml(api="gpt-4o").replace("      - {api: gpt-4o}\n", "      - {provisioned: ptuu}\n")
          + "provisioned:\n  - {name: ptu, model: gpt-4o, tokens_per_minute_per_unit: 2500, usd_per_unit_hour: 1}\n",
          "hist.csv": series_csv()},
         ("p.yaml: workloads[1].routes[0].provisioned: 'ptuu' is not among the provisioned commitments ['ptu'] "
          "(did you mean 'ptu'?)",)),
    Case("plan-lever-typo", PLAN, {"p.yaml": plan_yaml().replace(
        "    routes:\n      - {api: gpt-4o-mini}\n  - name: code",
        "    levers: {prompt_cahce: {requests_per_ttl: 10}}\n    routes:\n      - {api: gpt-4o-mini}\n  - name: code"),
        "hist.csv": series_csv()},
         ("p.yaml: unknown key workloads[0].levers.prompt_cahce (did you mean 'prompt_cache'?)",)),
    Case("plan-lever-selfhost", PLAN, {"p.yaml": plan_yaml().replace(
        "    routes:\n      - {api: gpt-4o-mini}\n  - name: code",
        "    levers: {selfhost: {model_class: llama-8b, gpu_type: H100}}\n    routes:\n      - {api: gpt-4o-mini}\n"
        "  - name: code"), "hist.csv": series_csv()},
         ("p.yaml: workloads[0].levers.selfhost: self-hosting is a route the plan chooses; give it under routes",)),
    Case("plan-lever-cache-without-prefix", PLAN, {"p.yaml": plan_yaml().replace(
        "    routes:\n      - {api: gpt-4o-mini}\n  - name: code",
        "    levers: {prompt_cache: {requests_per_ttl: 10}}\n    routes:\n      - {api: gpt-4o-mini}\n  - name: code"),
        "hist.csv": series_csv()},
         ("p.yaml: workloads[0].levers.prompt_cache: give system_prompt_tokens, the prefix it caches",)),
    Case("plan-lever-set-unknown-workload", PLAN, {"p.yaml": plan_yaml(
        extra="lever_sets:\n  - {name: x, levers: {chta: {batch_share: 0.2}}}\n"), "hist.csv": series_csv()},
         ("p.yaml: lever_sets[0].levers: no workload named 'chta'",)),
    Case("plan-route-demand-missing-column", PLAN, {"p.yaml": plan_yaml(history="x").replace(
        "demand: {history: x}", "demand: {route_demand: rd.csv}", 1),
        "rd.csv": "workload,route,period,scenario,input_tokens,output_tokens\nchat,,2025-01-01,0,1,1\n",
        "x": series_csv()},
         ("rd.csv: missing required route-demand column 'cached_input_tokens'", "(named in")),
    Case("plan-unknown-offer", PLAN, {"p.yaml": plan_yaml(api="gpt-4o").replace("      - {api: gpt-4o}\n",
                                                                               "      - {provisioned: ptu}\n")
                                      + "provisioned:\n  - {name: ptu, model: gpt-4o, offer: azure, term: 1m}\n",
                                      "hist.csv": series_csv()},
         ("p.yaml: provisioned[0]: no provisioned-throughput offer 'azure'; offers: ['azure-global', 'bedrock']",)),
    Case("plan-bedrock-without-price", PLAN, {"p.yaml": plan_yaml(api="gpt-4o").replace("      - {api: gpt-4o}\n",
                                                                                       "      - {provisioned: ptu}\n")
                                              + "provisioned:\n  - {name: ptu, model: claude, offer: bedrock, term: 6m}\n",
                                              "hist.csv": series_csv()},
         ("p.yaml: provisioned[0]: missing key tokens_per_minute_per_unit (the catalog's bedrock offer has none for claude)",)),
    Case("plan-after-horizon", PLAN, {"p.yaml": plan_yaml(extra="after_horizon: {decline: 3}\n"), "hist.csv": series_csv()},
         ("p.yaml: after_horizon: expected hold, forecast, none or {decline_pct_per_month: X}",)),
    Case("plan-empty-config", PLAN, {"p.yaml": ""}, ("p.yaml: expected a mapping of plan configuration keys",)),
    Case("plan-config-directory", ["plan", "{d}/cfg", "--output", "{d}/out"], {"cfg/p.yaml": "x: 1\n"},
         ("cfg: is a directory, expected a YAML file",)),
    Case("plan-latin-1", PLAN, {"p.yaml": "name: caf\xe9\n".encode("latin-1")}, ("p.yaml: not UTF-8 text",)),
    # --- simulate
    Case("simulate-typo-model", SIMULATE, {"s.yaml": scenario_yaml("gpt-4oo")},
         ("s.yaml: workloads[0]: unknown model 'gpt-4oo'",)),
    Case("simulate-unknown-key", SIMULATE, {"s.yaml": scenario_yaml(extra="grwoth_pct_per_month: 5\n")},
         ("s.yaml: unknown key grwoth_pct_per_month (did you mean 'growth_pct_per_month'?)",)),
    Case("simulate-python-tag", SIMULATE, {"s.yaml": TAG}, ("s.yaml: not valid YAML",)),
    Case("simulate-alias-bomb", SIMULATE, {"s.yaml": BOMB}, ("s.yaml: refused: its aliases expand",)),
    Case("simulate-negative-series", SIMULATE,
         {"s.yaml": scenario_yaml(demand="requests_series: {file: r.csv}"),
          "r.csv": series_csv(3, "MS", y=lambda i: -5 if i == 1 else 1000)},
         ("r.csv: column 'y' is negative at row 2", "requests_series.file")),
    Case("simulate-series-missing-column", SIMULATE,
         {"s.yaml": scenario_yaml(demand="requests_series: {file: r.csv}"), "r.csv": "unique_id,month,y\na,2025-01,1\n"},
         ("r.csv: missing required long-format column 'ds'",)),
    Case("simulate-trace-missing-column", SIMULATE,
         {"s.yaml": scenario_yaml().replace("{mean: 100}", "{trace: t.csv}"), "t.csv": "TIMESTAMP,Context\nx,1\n"},
         ("t.csv: missing required trace column 'ContextTokens'",)),
    Case("simulate-zero-draws", [*SIMULATE[:-1], "0"], {"s.yaml": scenario_yaml()}, ("--draws must be >= 1",)),
    # --- report: refused before a notebook runs
    Case("report-unknown-notebook", ["report", "monthly_forcast", "--output-dir", "{d}/reports"], {},
         ("no report notebook named 'monthly_forcast'",)),
    Case("report-unknown-parameter", ["report", "monthly_forecast", "-p", "horizont", "3", "--output-dir", "{d}/reports"],
         {}, ("monthly_forecast: unknown parameter 'horizont'",)),
    Case("report-wrong-type", ["report", "monthly_forecast", "-p", "horizon", "soon", "--output-dir", "{d}/reports"],
         {}, ("monthly_forecast: parameter 'horizon' expects int, got 'soon'",)),
    Case("report-parameter-twice", ["report", "monthly_forecast", "-p", "horizon", "3", "-p", "horizon", "4",
                                    "--output-dir", "{d}/reports"], {}, ("parameter 'horizon' given twice",)),
    # --- monthly: usage files are read before the store is opened
    Case("monthly-bad-month", [*MONTHLY[:2], "2025-13", *MONTHLY[3:]], {}, ("month '2025-13': expected YYYY-MM",)),
    Case("monthly-misspelt-focus", [*MONTHLY, "--usage", "{d}/in"],
         {"in": focus(rename={"ConsumedQuantity": "ConsumedQuantiy"})},
         ("in: missing required FOCUS column 'ConsumedQuantity' (found 'ConsumedQuantiy')",)),
    Case("monthly-usage-directory", [*MONTHLY, "--usage", "{d}/adir"], {"adir/x.csv": AZURE},
         ("adir: is a directory, expected a file",)),
    Case("monthly-hourly", [*MONTHLY, "--freq", "hourly"], {}, ("--freq: unknown frequency 'hourly'",)),
    # --- budget status: the budgets file is checked before the store is read
    Case("budgets-unknown-key", BUDGET, {"b.yaml": budgets("{name: a, amount_usd: 5, period: month, ownr: x}"),
                                         "spend.json": json.dumps(spend_log())},
         ("b.yaml: unknown key budgets[0].ownr (did you mean 'owner'?)",), setup=SETUP_SPEND),
    Case("budgets-weekly", BUDGET, {"b.yaml": budgets("{name: a, amount_usd: 5, period: weekly}"),
                                    "spend.json": json.dumps(spend_log())},
         ("b.yaml: budgets[0].period: 'weekly'", "expected one of ['month', 'quarter', 'year']"), setup=SETUP_SPEND),
    Case("budgets-zero-amount", BUDGET, {"b.yaml": budgets("{name: a, amount_usd: 0, period: month}"),
                                         "spend.json": json.dumps(spend_log())},
         ("b.yaml: budgets[0].amount_usd: expected an amount > 0 USD, got 0",), setup=SETUP_SPEND),
    Case("budgets-negative-threshold", BUDGET,
         {"b.yaml": budgets("{name: a, amount_usd: 5, period: month, thresholds: [-80]}"),
          "spend.json": json.dumps(spend_log())},
         ("b.yaml: budgets[0].thresholds[0]: expected a value >= 0, got -80",), setup=SETUP_SPEND),
    Case("budgets-missing-amount", BUDGET, {"b.yaml": budgets("{name: a, period: month}"),
                                            "spend.json": json.dumps(spend_log())},
         ("b.yaml: budgets[0]: missing key 'amount_usd'",), setup=SETUP_SPEND),
    Case("budgets-same-name-twice", BUDGET,
         {"b.yaml": budgets() + "  - {name: a, amount_usd: 9, period: year}\n", "spend.json": json.dumps(spend_log())},
         ("b.yaml: budgets[1].name: 'a' is the name of an earlier budget",), setup=SETUP_SPEND),
    Case("budgets-scope-typo", BUDGET,
         {"b.yaml": budgets("{name: a, amount_usd: 5, period: month, scope: {teem: search}}"),
          "spend.json": json.dumps(spend_log())},
         ("b.yaml: budgets[0].scope.teem: unknown key (did you mean 'team'?)",), setup=SETUP_SPEND),
    Case("budgets-scope-matches-nothing", BUDGET,
         {"b.yaml": budgets("{name: a, amount_usd: 5, period: month, scope: {model: gpt-4oo}}"),
          "spend.json": json.dumps(spend_log())},
         ("budget 'a': no priced spend in its scope (model gpt-4oo)", "(did you mean 'gpt-4o'?)"), setup=SETUP_SPEND),
    Case("budgets-nothing-priced", BUDGET, {"b.yaml": budgets(), "azure.csv": AZURE},
         ("budget 'a': no priced spend in its scope (all spend); the usage has no cost_usd",), setup=SETUP_STORE),
    Case("budgets-python-tag", BUDGET, {"b.yaml": TAG}, ("b.yaml: not valid YAML",)),
    Case("budgets-alias-bomb", BUDGET, {"b.yaml": BOMB}, ("b.yaml: refused: its aliases expand",)),
    Case("budgets-not-a-list", BUDGET, {"b.yaml": "budgets: {name: a}\n"}, ("b.yaml: budgets: expected a non-empty list",)),
    Case("budget-post-without-alerts", [*BUDGET, "--post", "http://127.0.0.1:9/x"], {"b.yaml": budgets()},
         ("--post needs --alerts DIR",)),
    Case("budget-post-not-http", [*BUDGET, "--alerts", "{d}/al", "--post", "ftp://x/y"],
         {"b.yaml": budgets(), "spend.json": json.dumps(spend_log())},
         ("--post 'ftp://x/y': expected an http:// or https:// webhook URL",), setup=SETUP_SPEND),
    Case("budget-pagerduty-without-routing-key",
         [*BUDGET, "--alerts", "{d}/al", "--post", "https://events.pagerduty.com/v2/enqueue"],
         {"b.yaml": budgets(), "spend.json": json.dumps(spend_log())},
         ("--post to PagerDuty: budget(s) ['a'] have no routing key",), setup=SETUP_SPEND),
    Case("budget-bad-as-of", [*BUDGET, "--as-of", "yesterday"], {"b.yaml": budgets(), "spend.json": json.dumps(spend_log())},
         ("--as-of: column '--as-of' has unparseable timestamps",), setup=SETUP_SPEND),
    Case("budget-level-100", [*BUDGET, "--level", "100"], {"b.yaml": budgets()}, ("--level must be between 50 and 99",)),
    Case("monthly-bad-budgets", [*MONTHLY, "--budgets", "{d}/b.yaml"], {"b.yaml": budgets("{name: a, amount_usd: 5}")},
         ("b.yaml: budgets[0]: missing key 'period'",)),
    Case("report-bad-shared-costs", ["report", "showback", "-p", "shared_costs_file", "{d}/c.yaml", "-p", "store_path",
                                     "{d}/s.duckdb", "--output-dir", "{d}/reports"],
         {"c.yaml": "shared_costs:\n  - {name: pool, users: {model: m}}\n", "azure.csv": AZURE},
         ("c.yaml: shared_costs[0]: give the cost in one way",), setup=SETUP_STORE),
    # --- outcome counts
    Case("outcomes-negative-count", INGEST, {"in": OUTCOMES.replace(",3\n", ",-3\n")},
         ("in: column 'count' is negative at row 1 (found '-3')",)),
    Case("outcomes-empty-name", INGEST, {"in": OUTCOMES.replace(",resolved_ticket,", ",,")},
         ("in: column 'outcome' is empty at row 1",)),
    Case("outcomes-bad-name", INGEST, {"in": OUTCOMES.replace("resolved_ticket", "42 tickets")},
         ("outcome name '42 tickets': expected letters, digits and '_', starting with a letter",)),
    Case("outcomes-misspelt-dimension", INGEST, {"in": OUTCOMES.replace("feature", "featur")},
         ("in: missing column 'feature' (found 'featur')",)),
    Case("ok-outcomes", INGEST, {"in": OUTCOMES + "2025-01-01T10:30:00Z,support,Resolved ticket,4\n"},
         check=lambda d, out, err: _store_total(d, "outcome:resolved_ticket") == 7 or pytest.fail(out)),
    # --- OpenCost allocation exports
    Case("opencost-null-total", ingest("in.json"), {"in.json": opencost(totalCost=None)},
         ("in.json: totalCost is empty (null: OpenCost writes NaN as null) at data[0].ns1",)),
    Case("opencost-window-backwards", ingest("in.json"), {"in.json": opencost(end="2024-12-31T00:00:00Z")},
         ("in.json: the window ends before it starts at data[0].ns1",)),
    Case("opencost-negative-gpu-hours", ingest("in.json"), {"in.json": opencost(gpuHours=-2)},
         ("in.json: column 'gpuHours' is negative at row 1",)),
    Case("opencost-no-window", ingest("in.json"), {"in.json": opencost(start=None)},
         ("in.json: data[0].ns1 has no window start",)),
    Case("opencost-api-error", ingest("in.json"), {"in.json": json.dumps({"code": 500, "message": "boom", "data": [],
                                                                          "totalCost": 0, "gpuHours": 0})},
         ("in.json: the API answered code 500 (boom); expected 200",)),
    Case("opencost-export-labels-not-json", INGEST,
         {"in": 'Date,Namespace,ControllerName,Labels,GPUCost,TotalCost\n2025-01-01,ns,c,"team=x",1,2\n'},
         ("in: column 'Labels' is not a JSON object at row 1",)),
    Case("opencost-csv-without-end", INGEST, {"in": "namespace,start,totalCost\nns,2025-01-01T00:00:00Z,5\n"},
         ("in: missing required OpenCost column 'end'",)),
    Case("ok-opencost-json", ingest("in.json"), {"in.json": opencost()},
         check=_totals(gpu_hours=8, cost_usd=25)),
    # --- anomalies
    Case("anomalies-level-100", [*ANOMALIES, "--level", "100"], {"azure.csv": AZURE},
         ("--level must be between 50 and 99 %",), setup=SETUP_STORE),
    Case("anomalies-negative-window", [*ANOMALIES, "--window", "-3"], {"azure.csv": AZURE},
         ("--window must be >= 1 period",), setup=SETUP_STORE),
    Case("anomalies-hourly", [*ANOMALIES[:3], "--freq", "hourly", *ANOMALIES[5:]], {"azure.csv": AZURE},
         ("--freq: unknown frequency 'hourly'",), setup=SETUP_STORE),
    Case("anomalies-unknown-metric", ["anomalies", "--metric", "tokens", "--store", "{d}/s.duckdb"], {"azure.csv": AZURE},
         ("--metric: unknown metric(s) ['tokens']",), setup=SETUP_STORE),
    Case("anomalies-too-short", ANOMALIES, {"azure.csv": AZURE},
         ("no series is long enough to score",), setup=SETUP_STORE),
    Case("anomalies-zero-min-periods", [*ANOMALIES, "--min-periods", "0"], {"azure.csv": AZURE},
         ("--min-periods must be >= 1",), setup=SETUP_STORE),
    # --- catalog import
    Case("import-missing-columns", IMPORT, {"vms.csv": "InstanceType,AcceleratorName,Price\nx,H100,1\n"},
         ("vms.csv: missing required SkyPilot column 'AcceleratorCount'",)),
    Case("import-text-price", IMPORT, {"vms.csv": VMS.replace("2.49", "cheap")},
         ("vms.csv: column 'Price' must be a number at row 1 (found 'cheap')",)),
    Case("import-negative-price", IMPORT, {"vms.csv": VMS.replace("2.49", "-2.49")},
         ("vms.csv: column 'Price' is negative at row 1",)),
    Case("import-inf-price", IMPORT, {"vms.csv": VMS.replace("2.49", "inf")},
         ("vms.csv: column 'Price' must be a number at row 1 (found 'inf')",)),
    Case("import-latin-1", IMPORT, {"vms.csv": VMS.replace("us-east-1,,\ncpu", "s\xe3o-paulo,,\ncpu").encode("latin-1")},
         ("vms.csv: not UTF-8 text",)),
    Case("import-directory", [*IMPORT[:3], "{d}/adir", *IMPORT[4:]], {"adir/vms.csv": VMS},
         ("adir: is a directory, expected a file",)),
    Case("import-empty", IMPORT, {"vms.csv": ""}, ("vms.csv: empty file (0 bytes)",)),
    Case("import-no-gpu-rows", IMPORT, {"vms.csv": VMS.splitlines()[0] + "\n" + VMS.splitlines()[2] + "\n"},
         ("vms.csv: no GPU rows",)),
    Case("ok-import-gzip", IMPORT, {"vms.csv": gzip.compress(VMS.encode())},
         check=lambda d, out, err: ("1 lambda offerings imported" in out and "1 CPU-only rows" in out
                                    and (d / "catalog" / "gpu_offerings.csv").is_file()) or pytest.fail(out)),
]


def _listing(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys) -> None:
    for name, content in case.files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    argv = [a.replace("{d}", str(tmp_path)) for a in case.argv]
    if case.setup:
        assert main([a.replace("{d}", str(tmp_path)) for a in case.setup]) == 0
    before = _listing(tmp_path)
    capsys.readouterr()
    code = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    if case.check is not None:
        assert code == 0, err
        case.check(tmp_path, out, err)
        return
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"planner {argv[0]}: error: "), err
    for text in case.expect:
        assert text in lines[0], lines[0]
    assert _listing(tmp_path) == before  # no store, output, report or temporary file left behind


def test_corpus_size() -> None:
    assert len(CASES) >= 60
    assert {c.argv[0] for c in CASES} >= {"ingest", "usage", "forecast", "commit", "plan", "compare", "simulate",
                                          "report", "monthly", "catalog", "budget", "anomalies"}
