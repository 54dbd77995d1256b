"""Shared fixtures: paths of the bundled real samples."""

from __future__ import annotations

from pathlib import Path

import pytest

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture
def samples() -> Path:
    """The folder of bundled real sample data."""
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Never touch the user's real store or catalog folder from a test."""
    monkeypatch.setenv("PLANNER_STORE", str(tmp_path / "default-store.duckdb"))
