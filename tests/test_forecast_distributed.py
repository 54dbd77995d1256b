"""The whole forecast on a Dask LocalCluster (and through Fugue) equals the pandas result."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from planner.exceptions import InputError, PlannerWarning
from planner.forecast import forecast
from planner.forecast.distributed import forecast_distributed, npartitions_for

dd = pytest.importorskip("dask.dataframe", reason="dask is in the dask extra")
distributed = pytest.importorskip("distributed")


def _series() -> pd.DataFrame:
    """Seven small daily series of different kinds: seasonal with growth, one with a gap, one
    intermittent, one constant, one too short to backtest."""
    rng = np.random.default_rng(5)
    t = np.arange(120)
    frames = [pd.DataFrame({"unique_id": f"s{i}", "ds": pd.date_range("2025-01-01", periods=120),
                            "y": 100 * (i + 1) * np.exp(0.004 * i * t + 0.2 * np.sin(2 * np.pi * t / 7)
                                                        + rng.normal(0, 0.1, 120))}) for i in range(3)]
    frames[1] = frames[1].drop(index=[40, 41])
    frames.append(pd.DataFrame({"unique_id": "sparse", "ds": pd.date_range("2025-01-01", periods=90),
                                "y": np.where(rng.random(90) < 0.6, 0.0, rng.poisson(4, 90))}))
    frames.append(pd.DataFrame({"unique_id": "flat", "ds": pd.date_range("2025-02-01", periods=40), "y": 7.0}))
    frames.append(pd.DataFrame({"unique_id": "short", "ds": pd.date_range("2025-04-01", periods=9),
                                "y": np.arange(9.0) + 3}))
    return pd.concat(frames, ignore_index=True).sample(frac=1, random_state=0)  # rows in no order


def _pandas(df: pd.DataFrame, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        r = forecast(df, h=7, n_jobs=1, n_paths=20, seed=3, **kw)
    return r, sorted({str(w.message) for w in caught if issubclass(w.category, PlannerWarning)})


def _assert_same(got, expected) -> None:
    pd.testing.assert_frame_equal(got.forecast, expected.forecast)
    pd.testing.assert_frame_equal(got.paths, expected.paths)
    bt = expected.backtest.sort_values("unique_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got.backtest, bt)
    assert {k: v for k, v in got.settings.items() if k not in ("engine", "partitions")} == expected.settings


@pytest.mark.slow
def test_dask_local_cluster_gives_the_pandas_result_paths_and_backtest_included():
    df = _series()
    expected, expected_warnings = _pandas(df)
    assert expected.paths["sample"].nunique() == 20 and expected.backtest["mase"].notna().sum() >= 3
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        # rows of one series spread over partitions: shuffled on unique_id first
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            got = forecast(dd.from_pandas(df, npartitions=3), h=7, n_paths=20, seed=3)
        # indexed by unique_id with known divisions: the partitions are used as they are
        indexed = dd.from_pandas(df.set_index("unique_id"), npartitions=npartitions_for(6, 2), sort=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PlannerWarning)
            got_indexed = forecast_distributed(indexed, h=7, n_paths=20, seed=3)
    _assert_same(got, expected)
    _assert_same(got_indexed, expected)
    assert got.settings["engine"] == "dask" and got_indexed.settings["partitions"] == 6
    # the workers' warnings (gap, intermittent, constant, too short) reach the caller
    assert sorted({str(w.message) for w in caught if issubclass(w.category, PlannerWarning)}) == expected_warnings
    assert any("2 missing periods" in m for m in expected_warnings)


def test_fugue_path_of_spark_and_ray_gives_the_pandas_result():
    df = _series()
    expected, _ = _pandas(df, freq="D")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlannerWarning)
        got = forecast_distributed(df, h=7, freq="D", n_paths=20, seed=3, engine="native")
    _assert_same(got, expected)


def test_a_series_paths_do_not_depend_on_the_other_series():
    df = _series()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlannerWarning)
        alone = forecast(df[df["unique_id"] == "s2"], h=7, n_paths=5, seed=1).paths
        together = forecast(df, h=7, n_paths=5, seed=1, n_jobs=1).paths
    pd.testing.assert_frame_equal(together[together["unique_id"] == "s2"].reset_index(drop=True), alone)


@pytest.mark.slow
def test_bad_input_on_a_worker_is_the_pandas_error():
    df = _series()
    df.loc[df.index[0], "ds"] = pd.Timestamp("2025-01-03 12:00")
    with pytest.raises(InputError, match="off the D grid"):
        forecast(df, h=3, freq="D")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as cluster, \
            distributed.Client(cluster):
        with pytest.raises(InputError, match="off the D grid"):
            forecast(dd.from_pandas(df, npartitions=2), h=3, freq="D")
        bad = _series().astype({"y": object})
        bad.loc[bad["unique_id"] == "s2", "y"] = "n/a"
        with pytest.raises(InputError, match=r"must be numeric at row 1 .*\(rows counted within partition \d, sorted"):
            forecast(dd.from_pandas(bad.set_index("unique_id"), npartitions=3, sort=True), h=3, freq="D")


def test_partitions_keep_every_worker_busy_and_tasks_small():
    assert npartitions_for(6, 2) == 6 and npartitions_for(100, 2) == 8
    assert npartitions_for(100_000, 2) == 400 and npartitions_for(1, 4) == 1
