"""Shared fixtures: paths of the bundled real samples."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
#: The project's shared real data, beside the clone (as in CI); holds files that may not be vendored.
#: ``$PLANNER_SHARED_DATA`` points elsewhere (e.g. from a git worktree whose parent has no shared/).
SHARED_DATA = Path(os.environ.get("PLANNER_SHARED_DATA") or ROOT.parent / "shared" / "data")


@pytest.fixture
def samples() -> Path:
    """The folder of bundled real sample data."""
    return SAMPLES


@pytest.fixture(autouse=True)
def _isolated_store(tmp_path, monkeypatch):
    """Never touch the user's real store or catalog folder from a test."""
    monkeypatch.setenv("PLANNER_STORE", str(tmp_path / "default-store.duckdb"))
    monkeypatch.setenv("PLANNER_CATALOG_DIR", str(tmp_path / "user-catalog"))


@pytest.fixture
def lambda_vms() -> Path:
    """SkyPilot's Lambda vms.csv from ../shared/data (its catalog states no license: not vendored)."""
    path = SHARED_DATA / "prices" / "skypilot_lambda_vms.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found: clone planner beside the project's shared/ folder to run this test")
    return path
