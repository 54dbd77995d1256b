"""Hierarchical forecasts add up, stay non-negative and survive token-sized values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InputError
from planner.forecast import forecast_hierarchy, hierarchy_sums

SPEC = [["org"], ["org", "team"], ["org", "team", "product"]]


def _bottom(scale: float = 3e11) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    t = np.arange(120)
    parts = []
    for team, product, k in (("search", "auto", 1.0), ("search", "chat", 1.7), ("ads", "copy", 3.3)):
        y = scale * k * np.exp(0.01 * t + 0.2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.1, 120))
        parts.append(pd.DataFrame({"org": "acme", "team": team, "product": product,
                                   "ds": pd.date_range("2025-01-01", periods=120), "y": y}))
    return pd.concat(parts, ignore_index=True)


def test_children_add_up_to_parents_for_points_and_paths():
    r = forecast_hierarchy(_bottom(), SPEC, h=14, n_paths=20)
    assert set(r.forecast["unique_id"]) == {"acme", "acme/search", "acme/ads", "acme/search/auto",
                                            "acme/search/chat", "acme/ads/copy"}
    top = r.forecast["forecast"].max()
    assert hierarchy_sums(r.forecast)["gap"].abs().max() <= 1e-9 * top
    one = r.paths[r.paths["sample"] == 7].rename(columns={"y": "forecast"})
    assert hierarchy_sums(one)["gap"].abs().max() <= 1e-9 * top
    bounds = r.forecast[["lo-95", "lo-80", "forecast", "hi-80", "hi-95"]].to_numpy()
    assert (bounds >= 0).all() and (np.diff(bounds, axis=1) >= 0).all()
    assert r.settings["hierarchy"]["org/team"] == ["acme/ads", "acme/search"]


def test_reconciliation_moves_incoherent_base_forecasts_little():
    r = forecast_hierarchy(_bottom(scale=1.0), SPEC, h=7, method="ols")
    top = r.forecast[r.forecast["unique_id"] == "acme"]["forecast"].to_numpy()
    parts = r.forecast[r.forecast["unique_id"].str.count("/") == 2].groupby("ds")["forecast"].sum().to_numpy()
    assert np.allclose(top, parts)


def test_bad_hierarchy_input():
    with pytest.raises(InputError, match=r"missing: \['region'\]"):
        forecast_hierarchy(_bottom(), [["region"]], h=3)
    with pytest.raises(InputError, match="unknown reconciliation method"):
        forecast_hierarchy(_bottom(), SPEC, h=3, method="mint_cov")
