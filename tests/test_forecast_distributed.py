"""The same forecast on a Dask LocalCluster gives the pandas result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from planner.forecast import forecast

dd = pytest.importorskip("dask.dataframe", reason="dask is in the dev extra")
distributed = pytest.importorskip("distributed")


@pytest.mark.slow
def test_dask_local_cluster_matches_pandas():
    rng = np.random.default_rng(5)
    t = np.arange(120)
    df = pd.concat([pd.DataFrame({"unique_id": f"s{i}", "ds": pd.date_range("2025-01-01", periods=120),
                                  "y": 100 * (i + 1) * np.exp(0.2 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 0.1, 120))})
                    for i in range(6)], ignore_index=True)
    expected = forecast(df, h=7, n_jobs=1).forecast
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        result = forecast(dd.from_pandas(df, npartitions=3), h=7)
        got = result.forecast.compute()
    assert result.settings["engine"].startswith("dask")
    got = got.sort_values(["unique_id", "ds"]).reset_index(drop=True)
    got["ds"] = pd.to_datetime(got["ds"])
    pd.testing.assert_frame_equal(got[expected.columns], expected, check_dtype=False, rtol=1e-6)
