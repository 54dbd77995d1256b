"""Seasonal profiles in closed form; seasonally adjusted models keep the phases."""

from __future__ import annotations

import numpy as np
import pytest
from statsforecast.models import AutoETS

from planner.forecast.deseason import Deseasonalized, seasonal_profile


def test_profile_of_a_trending_sine_is_the_sine():
    t = np.arange(100)
    shape = np.sin(2 * np.pi * np.arange(7) / 7)
    y = shape[t % 7] + 0.01 * t
    assert seasonal_profile(y, 7) == pytest.approx(shape - shape.mean(), abs=1e-9)
    assert (seasonal_profile(y[:10], 7) == 0).all()  # less than two seasons: no profile


def test_adjusted_model_forecasts_a_pure_seasonal_series_in_phase():
    week = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 0.0, 6.0])
    y = 10 + np.tile(week, 12)[:80]  # ends mid-week
    m = Deseasonalized(AutoETS(model="ANN"), (7,), alias="ds").fit(y[:60])
    ahead = m.forward(y, h=7)["mean"]
    assert ahead == pytest.approx(10 + week[np.arange(80, 87) % 7], abs=1e-3)
