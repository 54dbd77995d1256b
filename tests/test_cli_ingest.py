"""``planner ingest`` and ``planner usage``: exit codes, one-line errors, nothing partial."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from planner.cli import main
from planner.store import Store


def test_ingest_twice_then_summary(tmp_path, samples, capsys):
    store = tmp_path / "s.duckdb"
    files = [str(samples / "azure_llm_2023_code.csv"), str(samples / "focus" / "multi_model_usage.csv")]
    assert main(["ingest", *files, "--store", str(store)]) == 0
    with Store(store) as s:
        before = s.usage()
    assert main(["ingest", *files, "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert out.count("already ingested") == 2 and "0 rows added, 0 replaced" in out
    with Store(store) as s:
        pd.testing.assert_frame_equal(s.usage(), before)
    assert main(["usage", "summary", "--store", str(store), "--by", "source,model"]) == 0
    summary = capsys.readouterr().out
    assert "azure_trace" in summary and "solora-atlas-5.5" in summary


def test_ingest_mapping_and_series_export(tmp_path, samples, capsys):
    store, out = tmp_path / "s.duckdb", tmp_path / "series.csv"
    assert main(["ingest", str(samples / "servegen_hourly_by_model.csv"),
                 "--mapping", str(samples / "servegen.mapping.yaml"), "--store", str(store)]) == 0
    assert main(["usage", "series", "--metric", "requests", "--by", "model", "--freq", "D",
                 "--output", str(out), "--store", str(store)]) == 0
    series = pd.read_csv(out)
    raw = pd.read_csv(samples / "servegen_hourly_by_model.csv")
    assert series["y"].sum() == pytest.approx(raw["requests_gapfilled"].sum())
    assert set(series["unique_id"]) == {f"{m}/requests" for m in raw["model"].unique()}


def test_bad_file_exits_2_and_writes_nothing(tmp_path, samples, capsys):
    store = tmp_path / "s.duckdb"
    bad = tmp_path / "bad.csv"
    bad.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:00:00,10,1\n2023-11-16 18:00:01,-5,1\n")
    code = main(["ingest", str(samples / "azure_llm_2023_code.csv"), str(bad), "--store", str(store)])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "bad.csv: column 'ContextTokens' is negative at row 2" in err
    assert not store.exists()  # the good file before it was not written either


def test_failing_series_export_leaves_no_file(tmp_path, samples, capsys):
    store, out = tmp_path / "s.duckdb", tmp_path / "series.csv"
    assert main(["ingest", str(samples / "azure_llm_2023_code.csv"), "--store", str(store)]) == 0
    assert main(["usage", "series", "--metric", "requests", "--freq", "fortnight",
                 "--output", str(out), "--store", str(store)]) == 2
    assert not out.exists() and not list(tmp_path.glob(".series.csv*"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--mapping", "MISSING.yaml"], "cannot read the mapping"),
        (["--format", "nixtla"], "say what y measures with --metric"),
        (["--start", "2025-01-01"], "option(s) ['start'] do not apply to the azure format"),
    ],
)
def test_option_errors(tmp_path, samples, capsys, args, message):
    code = main(["ingest", str(samples / "azure_llm_2023_code.csv"), *args, "--store", str(tmp_path / "s.duckdb")])
    assert code == 2 and message in capsys.readouterr().err


def test_console_entry_point_has_no_traceback(tmp_path):
    missing = tmp_path / "nope.csv"
    proc = subprocess.run([sys.executable, "-m", "planner", "ingest", str(missing), "--store", str(tmp_path / "s.duckdb")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"planner ingest: error: {missing}: no such file"
