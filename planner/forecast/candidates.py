"""Candidate statsforecast models per kind of series (the speed budget lives here).

Measured on this machine, one core, 730 daily points, h=90, one fit at the first of 3 backtest
origins plus the forwards of :mod:`planner.forecast.backtest` (3 windows and the final forecast
with 80/95 intervals): SeasonalNaive about 1 ms per series, ETS(A,N,A) 27 ms; the seasonally
adjusted models of :mod:`planner.forecast.deseason` ETS(A,N,N) 3 ms, ETS(A,Ad,N) 19 ms, Theta
(SES with drift) 6 ms. The seasonal candidates used before cost ETS(A,Ad,A) about 70 ms,
DynamicOptimizedTheta 65 ms (its forward re-runs the decomposition) and MSTL 70 ms. Seasonal
series get seasonal naive, ETS(A,N,A) (the one whose seasonal states adapt) and the three
adjusted models, with every season of the series removed (this replaces MSTL). Unrestricted
AutoETS costs 0.5 s and is left out.
"""

from __future__ import annotations

__all__ = ["regular_models", "intermittent_models", "BASELINE"]

#: Alias of the seasonal-naive benchmark every series is compared with.
BASELINE = "SeasonalNaive"


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
    models = [
        reference if natural == s else SeasonalNaive(season_length=s, alias=BASELINE),
        AutoETS(season_length=s, model="ANA", alias="ETS_ANA"),
        Deseasonalized(AutoETS(model="ANN"), seasons, alias="DS_ETS_ANN"),
        Deseasonalized(AutoETS(model="AAN", damped=True), seasons, alias="DS_ETS_AAdN"),
        Deseasonalized(ThetaSES(), seasons, alias="DS_Theta"),
    ]
    if transform == "none":
        return [*models, SeasonalMean(s, 2, alias="SeasonalMean2")]
    return [
        *models,
        InOriginalSpace(AutoETS(season_length=s, model="ANA"), transform, alias="ETS_ANA_orig"),
        InOriginalSpace(SeasonalMean(s, 2), transform, alias="SeasonalMean2_orig"),
    ]


def intermittent_models() -> list:
    """Candidates for intermittent (many-zero) series, in the original space."""
    from statsforecast.models import ADIDA, IMAPA, CrostonSBA, Naive

    return [Naive(alias=BASELINE), CrostonSBA(alias="CrostonSBA"), IMAPA(alias="IMAPA"), ADIDA(alias="ADIDA")]
