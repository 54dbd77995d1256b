"""Checks made before a bundled report notebook starts, so a mistake it would stop on at once is a
one-line error (exit 2) instead of a failed report: the same library calls the notebook makes."""

from __future__ import annotations

from collections.abc import Mapping

import yaml

from planner.exceptions import InputError
from planner.report.notebooks import notebook_parameters, notebook_path

__all__ = ["precheck"]


def _value(defaults: Mapping[str, str], params: Mapping[str, object], key: str) -> object:
    if key in params:
        return params[key]
    try:
        return yaml.safe_load(defaults.get(key, "")) if key in defaults else None
    except yaml.YAMLError:
        return None


def precheck(name: str, params: Mapping[str, object]) -> None:
    """Check a bundled notebook's prices, budgets and shared-costs files, month and
    (``commitment_comparison``) GPU prices.

    Notebooks of your own (a ``.ipynb`` path) are not checked here.

    Raises
    ------
    InputError
        What the notebook would stop on, in the notebook's own words.
    """
    from planner.report.monthly import month_bounds
    from planner.report.pricing import capacity_prices, read_price_file

    source = notebook_path(name)
    if source.parent != notebook_path("monthly_forecast").parent:
        return
    defaults = dict(zip(*notebook_parameters(name)[["name", "default"]].to_numpy().T, strict=True))
    try:
        prices = read_price_file(params["prices_file"]) if params.get("prices_file") else None
        if params.get("budgets_file"):
            from planner.finops.budgets import read_budgets

            read_budgets(params["budgets_file"])
        if params.get("shared_costs_file"):
            from planner.finops.showback import read_shared_costs

            read_shared_costs(params["shared_costs_file"])
        if params.get("month"):
            month_bounds(str(params["month"]))
        if source.stem == "commitment_comparison":
            get = lambda key: _value(defaults, params, key)  # noqa: E731
            capacity_prices(str(get("metric")), str(get("gpu_type") or ""), str(get("cloud") or ""),
                            float(get("gpus_per_unit") or 0), float(get("on_demand_usd_per_gpu_hour") or 0),
                            float(get("reserved_usd_per_gpu_hour") or 0), prices=prices)
    except InputError as exc:
        raise type(exc)(f"{source.stem}: {exc}") from None
