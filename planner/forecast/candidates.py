"""Candidate statsforecast models per kind of series (the speed budget lives here).

Measured on this machine, one core, 730 daily points, h=90, 3 backtest windows: SeasonalNaive
about 3 ms per series, ETS(A,N,A) 23 ms, ETS(A,Ad,A) about 60 ms, DynamicOptimizedTheta 34 ms,
MSTL 46 ms; unrestricted AutoETS costs 0.5 s and is left out.
"""

from __future__ import annotations

__all__ = ["regular_models", "intermittent_models", "BASELINE"]

#: Alias of the seasonal-naive benchmark every series is compared with.
BASELINE = "SeasonalNaive"


def regular_models(seasons: tuple[int, ...], natural: int = 1) -> list:
    """Candidates for a regular series (in the transformed space).

    Parameters
    ----------
    seasons : tuple of int
        Seasonal periods detected in the series (may be empty).
    natural : int
        The frequency's natural season (24 for hourly, 7 for daily...): the seasonal-naive
        reference is always a candidate, so every series is compared with it.
    """
    from statsforecast.models import MSTL, AutoETS, DynamicOptimizedTheta, Naive, SeasonalNaive

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
        AutoETS(season_length=s, model="AAA", damped=True, alias="ETS_AAdA"),
        DynamicOptimizedTheta(season_length=s, alias="DOTheta"),
    ]
    if len(seasons) > 1:
        models.append(MSTL(season_length=list(seasons), trend_forecaster=AutoETS(model="AAN", damped=True),
                           alias="MSTL"))
    return models


def intermittent_models() -> list:
    """Candidates for intermittent (many-zero) series, in the original space."""
    from statsforecast.models import ADIDA, IMAPA, CrostonSBA, Naive

    return [Naive(alias=BASELINE), CrostonSBA(alias="CrostonSBA"), IMAPA(alias="IMAPA"), ADIDA(alias="ADIDA")]
