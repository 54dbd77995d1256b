"""The M4 scorer of the benchmark suite reproduces the competition's published figures."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import m4
from planner.forecast.metrics import interval_score

pytestmark = pytest.mark.skipif(not (m4.M4_DIR / "Hourly-train.csv").is_file(),
                                reason=f"{m4.M4_DIR} not found: clone planner beside the project's shared/ folder")


@pytest.mark.parametrize(("freq", "smape", "mase", "n2_smape", "n2_mase"), [
    ("hourly", 13.912, 1.193, 18.383, 2.395),
    ("weekly", 9.161, 2.777, 9.161, 2.777),
])
def test_seasonal_naive_and_naive2_reproduce_the_published_scores(freq, smape, mase, n2_smape, n2_mase):
    train, test = m4.load(freq)
    f = m4.FREQS[freq]
    assert len(train) == (414 if freq == "hourly" else 359)
    season = 24 if freq == "hourly" else 1
    sn = m4.score(train, test, {u: m4.snaive(x, f.h, season) for u, x in train.items()}, f.m)
    n2 = m4.score(train, test, {u: m4.naive2(x, f.h, f.m) for u, x in train.items()}, f.m)
    assert (round(sn["smape"], 3), round(sn["mase"], 3)) == (smape, mase)
    assert (round(n2["smape"], 3), round(n2["mase"], 3)) == (n2_smape, n2_mase)
    published, _ = m4.leaderboard(freq)
    row = published[published["method_id"] == "sNaive"].iloc[0]
    assert round(m4.owa(sn["smape"], sn["mase"], n2["smape"], n2["mase"]), 4) == pytest.approx(row["owa"], abs=1e-4)


def test_msis_is_the_interval_score_scaled_and_rank_counts_better_entries():
    y, lo, hi = np.array([1.0, 5.0, 10.0]), np.array([0.0, 6.0, 8.0]), np.array([2.0, 7.0, 9.0])
    # widths 2, 1, 1; penalties 40 * 1 below and 40 * 1 above
    assert interval_score(y, lo, hi, 0.95, scale=2.0) == pytest.approx((2 + 41 + 41) / 3 / 2)
    train, test = {"a": np.arange(10.0)}, {"a": y}
    s = m4.score(train, test, {"a": (lo + hi) / 2}, 1, {"a": lo}, {"a": hi})
    assert s["msis"] == pytest.approx(interval_score(y, lo, hi, 0.95, 1.0))
    assert s["coverage_95"] == pytest.approx(1 / 3)
    import pandas as pd
    assert m4.rank(0.5, pd.Series([0.4, 0.6, np.nan, 0.45])) == "3 of 4"
