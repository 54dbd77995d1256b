"""The store: idempotent re-ingest, overlap replaces, failures leave it as it was, snapshots."""

from __future__ import annotations

import pandas as pd
import pytest

from planner.exceptions import InputError, PathError
from planner.store import Batch, Store, default_store_path
from planner.usage import DIMENSIONS, read_azure_trace
from planner.usage._io import file_digest


def _usage(days: pd.DatetimeIndex, value: float, metric: str = "requests", team: str = "a") -> pd.DataFrame:
    frame = pd.DataFrame({"ts": days, "source": "s", "metric": metric, "value": value})
    for d in DIMENSIONS:
        frame[d] = ""
    frame["team"] = team
    return frame


def test_same_file_twice_leaves_store_unchanged(tmp_path, samples):
    path = samples / "azure_llm_2023_code.csv"
    batch = Batch(read_azure_trace(path), file_digest(path), str(path), "azure")
    with Store(tmp_path / "s.duckdb") as store:
        first = store.ingest([batch])
        before = store.usage()
        log_before = store.ingests()
        second = store.ingest([batch])
        assert first.rows_added == len(batch.usage) and not second.changed
        assert second.skipped == [str(path)]
        pd.testing.assert_frame_equal(store.usage(), before)
        assert len(store.ingests()) == len(log_before)


def test_overlap_replaces_instead_of_doubling(tmp_path):
    jan = pd.date_range("2025-01-01", periods=10, freq="D")
    later = pd.date_range("2025-01-06", periods=10, freq="D")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([Batch(_usage(jan, 1.0), "d1")])
        result = store.ingest([Batch(_usage(later, 2.0), "d2")])
        usage = store.usage()
    assert result.rows_replaced == 5 and result.rows_added == 10
    assert len(usage) == 15
    assert usage["value"].sum() == 5 * 1.0 + 10 * 2.0


def test_overlap_keeps_series_not_in_the_batch(tmp_path):
    days = pd.date_range("2025-01-01", periods=5, freq="D")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([Batch(pd.concat([_usage(days, 1.0, team="a"), _usage(days, 3.0, team="b")]), "d1")])
        store.ingest([Batch(_usage(days, 2.0, team="a"), "d2")])
        totals = store.usage().groupby("team")["value"].sum()
    assert totals.to_dict() == {"a": 10.0, "b": 15.0}


def test_failed_ingest_leaves_store_as_it_was(tmp_path):
    days = pd.date_range("2025-01-01", periods=5, freq="D")
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([Batch(_usage(days, 1.0), "d1")])
        before = store.usage()
        good = Batch(_usage(days, 9.0), "d2")
        empty = Batch(_usage(days, 1.0).iloc[:0], "d3", "empty.csv")
        with pytest.raises(InputError, match="empty.csv: no usage rows"):
            store.ingest([good, empty])
        pd.testing.assert_frame_equal(store.usage(), before)
        assert len(store.ingests()) == 1
        bad = _usage(days, 1.0).assign(metric="tokens")
        with pytest.raises(InputError, match="unknown metric"):
            store.ingest([Batch(bad, "d4")])
        pd.testing.assert_frame_equal(store.usage(), before)


def test_snapshots_roundtrip(tmp_path):
    table = pd.DataFrame({"unique_id": ["x"], "ds": pd.to_datetime(["2025-01-01"]), "forecast": [1.5]})
    with Store(tmp_path / "s.duckdb") as store:
        sid = store.save_snapshot("forecast", {"forecast": table}, {"horizon": 30}, label="2025-01")
        meta, tables = store.load_snapshot(sid)
        assert meta["settings"] == {"horizon": 30} and meta["label"] == "2025-01"
        pd.testing.assert_frame_equal(tables["forecast"], table)
        assert store.snapshots("forecast")["snapshot_id"].tolist() == [sid]
        with pytest.raises(InputError, match="no snapshot with id 99"):
            store.load_snapshot(99)
        again = store.save_snapshot("forecast", {"forecast": table}, {"horizon": 31}, label="2025-01", replace=True)
        kept = store.snapshots("forecast")
        assert kept["snapshot_id"].tolist() == [again] and store.load_snapshot(again)[0]["settings"] == {"horizon": 31}
        store.save_snapshot("forecast", {"forecast": table}, label="2025-01")
        assert len(store.snapshots("forecast")) == 2  # without replace, runs accumulate


def test_store_location(monkeypatch, tmp_path):
    monkeypatch.setenv("PLANNER_STORE", str(tmp_path / "x.duckdb"))
    assert default_store_path() == tmp_path / "x.duckdb"
    monkeypatch.delenv("PLANNER_STORE")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_store_path() == tmp_path / "planner" / "planner.duckdb"
    with pytest.raises(PathError, match="no store here yet"):
        Store(tmp_path / "missing.duckdb", read_only=True)


def test_dataframe_batch_digest_is_content_based(tmp_path):
    days = pd.date_range("2025-01-01", periods=3, freq="D")
    assert Batch.of(_usage(days, 1.0)).digest == Batch.of(_usage(days, 1.0)).digest
    assert Batch.of(_usage(days, 1.0)).digest != Batch.of(_usage(days, 2.0)).digest
    with Store(tmp_path / "s.duckdb") as store:
        store.ingest([Batch.of(_usage(days, 1.0))])
        assert store.ingest([Batch.of(_usage(days, 1.0))]).skipped == ["dataframe"]
