"""Candidate statsforecast models per kind of series (the speed budget lives here).

Seasonal series get seasonal naive (also at their longest season, e.g. 168 hours); ETS(A,N,A)
in the model space (log for positive series) for seasons up to :data:`MAX_ETS_SEASON`, and for
longer ones (weekly data's 52) the unadjusted naive and Theta forecasts instead; the mean of the
last two seasons on the original values (:class:`planner.forecast.spaces.InOriginalSpace`); and,
on the seasonally adjusted series of :mod:`planner.forecast.deseason` (every season of the
series removed, which replaces MSTL), ETS(A,N,N), ETS(A,Ad,N), ETS(A,A,N) (an undamped trend: in
log space, steady multiplicative growth) and Theta (SES with drift). Non-seasonal series get
naive, seasonal naive, ETS(A,Ad,N), ETS(A,N,N) and DynamicOptimizedTheta.

Measured on this machine (2026-12-02), one core, 730 daily points, one fit: seasonal naive
0.7 ms, ETS(A,N,A) 15.7 ms, seasonal mean 0.3 ms, adjusted ETS(A,N,N) 1.9 ms, ETS(A,Ad,N)
10.8 ms, ETS(A,A,N) 8.0 ms, Theta 2.8 ms. ETS(A,Ad,A), DynamicOptimizedTheta on seasonal data
and MSTL cost 65-70 ms each, unrestricted AutoETS 0.5 s, AutoCES and AutoARIMA 1-2.5 s on weekly
series, so they are left out. ETS(A,N,A) on the original values was a candidate until the
benchmark suite's tuning half showed it changed little (M4 Hourly OWA 0.482 with it, 0.485
without) for a fifth of the time.
"""

from __future__ import annotations

__all__ = ["regular_models", "intermittent_models", "BASELINE"]

#: Alias of the seasonal-naive benchmark every series is compared with.
BASELINE = "SeasonalNaive"
#: Longest season a seasonal ETS candidate is offered for (one state per phase: R's ``ets``
#: refuses seasons over 24 too). On the tuning half of M4 Weekly, ETS(A,N,A) with a season of 52
#: cost 0.09 OWA (0.893 with it, 0.803 without); for such seasons the unadjusted naive and Theta
#: forecasts are candidates instead (0.803 -> 0.778).
MAX_ETS_SEASON = 24


def regular_models(seasons: tuple[int, ...], natural: int = 1, transform: str = "none") -> list:
    """Candidates for a regular series (in the transformed space).

    Parameters
    ----------
    seasons : tuple of int
        Seasonal periods detected in the series (may be empty).
    natural : int
        The frequency's natural season (24 for hourly, 7 for daily...): the seasonal-naive
        reference is always a candidate, so every series is compared with it.
    transform : {"log", "log1p", "none"}
        The series' model space; some candidates run on the original values
        (:class:`planner.forecast.spaces.InOriginalSpace`).
    """
    from statsforecast.models import AutoETS, DynamicOptimizedTheta, Naive, SeasonalNaive

    from planner.forecast.deseason import Deseasonalized, SeasonalMean, ThetaSES
    from planner.forecast.spaces import InOriginalSpace

    reference = SeasonalNaive(season_length=natural, alias=BASELINE) if natural > 1 else Naive(alias=BASELINE)
    if not seasons:
        models = [reference]
        if natural > 1:
            models.append(Naive(alias="Naive"))
        return [
            *models,
            AutoETS(model="AAN", damped=True, alias="ETS_AAdN"),
            AutoETS(model="ANN", alias="ETS_ANN"),
            DynamicOptimizedTheta(alias="DOTheta"),
        ]
    s = seasons[0]
    longest = [SeasonalNaive(season_length=seasons[-1], alias="SeasonalNaiveLong")] if len(seasons) > 1 else []
    seasonal_ets = s <= MAX_ETS_SEASON
    models = [
        reference if natural == s else SeasonalNaive(season_length=s, alias=BASELINE),
        *longest,
        # a season too long for seasonal ETS (weekly data's 52) is estimated from few cycles: the
        # unadjusted naive and Theta forecasts are candidates too
        *([AutoETS(season_length=s, model="ANA", alias="ETS_ANA")] if seasonal_ets else
          [Naive(alias="Naive"), ThetaSES()]),
        Deseasonalized(AutoETS(model="ANN"), seasons, alias="DS_ETS_ANN"),
        Deseasonalized(AutoETS(model="AAN", damped=True), seasons, alias="DS_ETS_AAdN"),
        Deseasonalized(AutoETS(model="AAN", damped=False), seasons, alias="DS_ETS_AAN"),
        Deseasonalized(ThetaSES(), seasons, alias="DS_Theta"),
    ]
    if transform == "none":
        return [*models, SeasonalMean(s, 2, alias="SeasonalMean2")]
    return [
        *models,
        InOriginalSpace(SeasonalMean(s, 2), transform, alias="SeasonalMean2_orig"),
    ]


def intermittent_models() -> list:
    """Candidates for intermittent (many-zero) series, in the original space: naive, Croston SBA,
    IMAPA, ADIDA, simple exponential smoothing and the historic mean."""
    from statsforecast.models import ADIDA, IMAPA, AutoETS, CrostonSBA, HistoricAverage, Naive

    return [Naive(alias=BASELINE), CrostonSBA(alias="CrostonSBA"), IMAPA(alias="IMAPA"), ADIDA(alias="ADIDA"),
            AutoETS(model="ANN", alias="ETS_ANN"), HistoricAverage(alias="HistoricAverage")]
