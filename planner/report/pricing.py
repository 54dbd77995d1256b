"""Where every USD figure of a report comes from: the user's prices, the data's own cost, or a
catalog entry named with its source -- never an invented default.

- :func:`read_price_file` reads the prices file ``planner monthly --prices`` takes (the reports'
  ``prices_file`` parameter)::

      unit_prices:              # [USD per unit of the metric], per metric and series label
        requests: {m-large: 0.0021, "*": 0.001}       # "*": every other series of that metric
      capacity:                 # GPU demand (gpu_hours, node_hours) of the commitment comparison
        gpu_type: A100-80GB     # priced from the GPU catalog (planner catalog show gpus)
        cloud: aws
        gpus_per_unit: 8        # GPUs in one unit of the metric (node_hours: a node's GPUs)
        # on_demand_usd_per_gpu_hour: 4.10   # your own prices instead of the catalog's
        # reserved_usd_per_gpu_hour: 2.60    # 1-year; reserved_3y_usd_per_gpu_hour: 3-year

- :func:`spend_rates` says, per forecast series, what one unit costs and why.
- :func:`capacity_prices` prices GPU capacity per GPU-hour and turns it into the price of one unit
  of demand for one period of any length.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner._yaml import check_schema, load_mapping
from planner.exceptions import CatalogError, InputError
from planner.report.format import number
from planner.report.series import series_labels
from planner.usage import METRICS

__all__ = ["PriceFile", "read_price_file", "spend_rates", "CapacityPrices", "capacity_prices",
           "hours_per_period", "as_mapping", "CAPACITY_METRICS", "TOKEN_PRICE_FIELDS"]

#: Metrics that measure GPU capacity over time, on which commitments are sized.
CAPACITY_METRICS = ("gpu_hours", "node_hours")

#: Token metric -> the price catalog's field pricing it [USD/token].
TOKEN_PRICE_FIELDS = {
    "input_tokens": "input_usd_per_token",
    "output_tokens": "output_usd_per_token",
    "cached_input_tokens": "cache_read_usd_per_token",
    "cache_write_tokens": "cache_write_usd_per_token",
}

_NUMBER = (int, float)
_CAPACITY_KEYS = {"gpu_type": str, "cloud": str, "gpus_per_unit": _NUMBER, "on_demand_usd_per_gpu_hour": _NUMBER,
                  "reserved_usd_per_gpu_hour": _NUMBER, "reserved_3y_usd_per_gpu_hour": _NUMBER}
_SCHEMA = {"unit_prices": {"*": {"*": _NUMBER}}, "capacity": _CAPACITY_KEYS}


@dataclass(frozen=True)
class PriceFile:
    """A user's prices file (:func:`read_price_file`).

    Attributes
    ----------
    path : pathlib.Path
        The file.
    unit_prices : dict
        ``{metric: {series label or "*": USD per unit}}``.
    capacity : dict
        The ``capacity`` entry (keys of :func:`capacity_prices`).
    """

    path: Path
    unit_prices: dict = field(default_factory=dict)
    capacity: dict = field(default_factory=dict)


def read_price_file(path: str | Path) -> PriceFile:
    """Read and check a prices file (YAML; the module docstring shows its form).

    Raises
    ------
    InputError
        Unreadable or not YAML, an unknown key, a metric that does not exist, a price that is not a
        number >= 0; the message names the file and the key path.
    """
    data = load_mapping(path, "prices")
    check_schema(data, _SCHEMA, str(path), "")
    unknown = [m for m in data.get("unit_prices", {}) if m not in METRICS]
    if unknown:
        raise InputError(f"{path}: unit_prices: unknown metric(s) {unknown}; expected some of {list(METRICS)}")
    return PriceFile(Path(path), {m: dict(v) for m, v in data.get("unit_prices", {}).items()},
                     dict(data.get("capacity", {})))


# -- spend of the forecast series -------------------------------------------------------------------
def spend_rates(info: pd.DataFrame, usage: pd.DataFrame, by: Sequence[str], cost: pd.DataFrame | None = None,
                unit_price_usd: float = 0.0, prices: PriceFile | None = None,
                catalog_path: str | Path | None = None) -> pd.DataFrame:
    """What one unit of each forecast series costs, and where that figure comes from.

    For each series (a row of ``info``, :attr:`planner.report.series.SeriesSet.info`), the first
    of these that applies:

    1. **your price**: ``prices.unit_prices[metric][label]`` (or ``[metric]["*"]``), else
       ``unit_price_usd`` when > 0;
    2. **the metric is USD** (``cost_usd`` and the other ``*_usd`` metrics): 1 USD per unit;
    3. **cost_usd in the data**: where the series' own rows (same source and ``by`` values) carry
       ``cost_usd``, the spend per unit is ``sum(cost_usd) / sum(metric)`` over the periods that
       hold both -- the data's effective price, so the projection is the forecast quantity times
       what that quantity has cost. When several metrics of the same label are forecast, the spend
       is counted once, on the first of them;
    4. **price catalog**: a token metric of a series of one model in the price catalog
       (:func:`planner.catalog.model_price`), at that entry's price for this kind of token;
    5. otherwise **no USD figure**, and ``detail`` says why.

    Parameters
    ----------
    info : pandas.DataFrame
        ``unique_id, label, metric, sources, models`` per forecast series.
    usage : pandas.DataFrame
        The usage rows the series were built from (for the quantities behind ``cost_usd``).
    by : sequence of str
        The dimensions the series were split by.
    cost : pandas.DataFrame, optional
        ``cost_usd`` usage rows of the same sources and periods.
    unit_price_usd : float
        Your price of one unit of every series [USD/unit]; 0: none given.
    prices : PriceFile, optional
        Your prices file.
    catalog_path : str or pathlib.Path, optional
        A price catalog file instead of the packaged one.

    Returns
    -------
    pandas.DataFrame
        ``unique_id, usd_per_unit`` [USD/unit] (NaN: no USD figure), ``basis`` (``your price``,
        ``the metric is USD``, ``cost_usd in the data``, ``price catalog``, ``counted elsewhere``,
        ``none``) and ``detail`` (one sentence naming the price's origin).
    """
    if unit_price_usd < 0:
        raise InputError(f"unit_price_usd must be >= 0, got {unit_price_usd}")
    cost_by_label = _cost_per_period(cost, by) if cost is not None and len(cost) else None
    qty = usage.assign(_label=series_labels(usage, by).to_numpy()) if len(usage) else usage
    counted: dict[str, str] = {}
    rows = []
    for r in info.itertuples():
        rows.append((r.unique_id, *_rate(r, qty, cost_by_label, counted, unit_price_usd, prices, catalog_path)))
    return pd.DataFrame(rows, columns=["unique_id", "usd_per_unit", "basis", "detail"])


def _cost_per_period(cost: pd.DataFrame, by: Sequence[str]) -> pd.DataFrame:
    lab = cost.assign(_label=series_labels(cost, by).to_numpy())
    return lab.groupby(["_label", "source", "ts"], as_index=False)["value"].sum()


def _rate(r, qty: pd.DataFrame, cost: pd.DataFrame | None, counted: dict[str, str], unit_price_usd: float,
          prices: PriceFile | None, catalog_path) -> tuple[float, str, str]:
    unit = _noun(r.metric)
    own = (prices.unit_prices.get(r.metric, {}) if prices is not None else {})
    for key in (r.label, "*"):
        if key in own:
            return (float(own[key]), "your price",
                    f"USD {_per_million(float(own[key]), unit)}: {prices.path} unit_prices.{r.metric}.{key}")
    if unit_price_usd > 0:
        return unit_price_usd, "your price", f"USD {_per_million(unit_price_usd, unit)}: your unit_price_usd"
    if METRICS.get(r.metric) == "USD":
        return 1.0, "the metric is USD", f"{r.metric} is already in USD (from the data)"
    if cost is not None:
        if r.label in counted:
            return 0.0, "counted elsewhere", f"spend of {r.label or 'the total'} is counted on {counted[r.label]}"
        mine = cost[(cost["_label"] == r.label) & cost["source"].isin(r.sources)]
        if len(mine):
            q = qty[(qty["_label"] == r.label) & (qty["metric"] == r.metric) & qty["source"].isin(r.sources)]
            q = q.groupby(["source", "ts"], as_index=False)["value"].sum()
            both = mine.merge(q, on=["source", "ts"], suffixes=("_usd", "_qty"))
            if len(both) and both["value_qty"].sum() > 0:
                usd, amount = both["value_usd"].sum(), both["value_qty"].sum()
                counted[r.label] = r.unique_id
                return (usd / amount, "cost_usd in the data",
                        f"USD {usd:,.2f} of cost_usd over {amount:,.0f} {unit} in your data "
                        f"({both['ts'].min():%Y-%m-%d} to {both['ts'].max():%Y-%m-%d}, source "
                        f"{', '.join(sorted(set(both['source'])))}): USD {_per_million(usd / amount, unit)}")
    return _catalog_rate(r, unit, catalog_path)


def _catalog_rate(r, unit: str, catalog_path) -> tuple[float, str, str]:
    from planner.catalog import catalog_origin, model_price

    field_ = TOKEN_PRICE_FIELDS.get(r.metric)
    why = "its data carries no cost_usd"
    if field_ is None:
        return np.nan, "none", f"no USD figure: {why}, and the price catalog prices tokens, not {r.metric}"
    if len(r.models) != 1:
        return np.nan, "none", (f"no USD figure: {why}, and it mixes {len(r.models)} models" if r.models else
                                f"no USD figure: {why}, and its rows name no model to look up in the price catalog")
    model = r.models[0]
    try:
        entry = model_price(model, catalog_path)
    except CatalogError as exc:
        return np.nan, "none", f"no USD figure: {why}, and {str(exc).replace('; close matches: []', '')}"
    price = entry.get(field_)
    if price is None or not np.isfinite(price):
        return np.nan, "none", f"no USD figure: {why}, and the catalog entry {model!r} gives no {field_}"
    return (float(price), "price catalog",
            f"price catalog entry {model!r} ({catalog_origin('litellm_model_prices.json', catalog_path)}; source "
            f"{entry['source']}): USD {_per_million(float(price), unit)}")


def _noun(metric: str) -> str:
    """``output_tokens`` -> ``output tokens``; other metrics by their unit (``requests``, ``GPU-h``)."""
    return metric.replace("_", " ") if metric.endswith("_tokens") else METRICS.get(metric, "units")


def _one(unit: str) -> str:
    return unit[:-1] if unit.endswith("s") else unit


def _per_million(usd_per_unit: float, unit: str) -> str:
    """``10 per million output tokens`` below a cent a unit, else ``0.05 per request`` (no e-notation)."""
    if usd_per_unit < 0.01:
        return f"{number(usd_per_unit * 1e6, 4)} per million {unit}"
    return f"{number(usd_per_unit, 4)} per {_one(unit)}"


# -- GPU capacity -----------------------------------------------------------------------------------
def hours_per_period(freq: str) -> float:
    """Length of one period of ``freq`` [h]: 1 for ``h``, 24 for ``D``, 168 for ``W-MON``.

    Raises
    ------
    InputError
        An unknown frequency, or one whose periods differ in length (months, quarters).
    """
    try:
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise InputError(f"unknown frequency {freq!r}; expected a pandas frequency such as h, D, W-MON") from None
    if offset.name.startswith("W"):
        return 168.0 * offset.n
    try:
        return pd.Timedelta(offset) / pd.Timedelta(hours=1)
    except ValueError:
        raise InputError(f"frequency {freq!r} has periods of different lengths; GPU capacity is priced per hour, "
                         "so use a fixed period (h, D, W-MON)") from None


@dataclass(frozen=True)
class CapacityPrices:
    """GPU prices for one pool, per GPU-hour, and where they come from.

    Attributes
    ----------
    metric : str
        ``gpu_hours`` or ``node_hours``: one unit of it is one GPU-hour or one node-hour.
    gpus_per_unit : float
        GPUs in one unit of the metric [GPUs].
    on_demand_usd_per_gpu_hour, reserved_usd_per_gpu_hour : float
        On-demand and 1-year reserved prices [USD/GPU-h].
    reserved_3y_usd_per_gpu_hour : float or None
        3-year reserved price [USD/GPU-h], when known.
    sources : list of str
        One sentence per figure's origin.
    gpu_type, cloud : str
        The GPU type and cloud priced ("" when your own prices name none).
    """

    metric: str
    gpus_per_unit: float
    on_demand_usd_per_gpu_hour: float
    reserved_usd_per_gpu_hour: float
    reserved_3y_usd_per_gpu_hour: float | None
    sources: list[str]
    gpu_type: str = ""
    cloud: str = ""

    def per_unit_period(self, freq: str) -> dict[str, float | None]:
        """Prices of one unit of capacity (a GPU, or a node of ``gpus_per_unit`` GPUs) held for one
        period of ``freq`` [USD/unit-period] = USD/GPU-h x ``gpus_per_unit`` x hours per period, so
        hourly and daily data of the same usage cost the same.

        Returns
        -------
        dict
            ``on_demand``, ``reserved``, ``reserved_3y`` (None when unknown).
        """
        k = self.gpus_per_unit * hours_per_period(freq)
        return {"on_demand": self.on_demand_usd_per_gpu_hour * k, "reserved": self.reserved_usd_per_gpu_hour * k,
                "reserved_3y": None if self.reserved_3y_usd_per_gpu_hour is None else self.reserved_3y_usd_per_gpu_hour * k}


def capacity_prices(metric: str, gpu_type: str = "", cloud: str = "", gpus_per_unit: float = 0.0,
                    on_demand_usd_per_gpu_hour: float = 0.0, reserved_usd_per_gpu_hour: float = 0.0,
                    reserved_3y_usd_per_gpu_hour: float = 0.0, prices: PriceFile | None = None,
                    catalog_path: str | Path | None = None) -> CapacityPrices:
    """Price GPU capacity from your options, your prices file's ``capacity`` entry, or the GPU catalog.

    Options given here win over the file's entry; a price not given by either comes from the GPU
    catalog's offering for ``gpu_type`` (on ``cloud``, else the cheapest on-demand one). Nothing
    is assumed: without a GPU type or your own on-demand and reserved prices there are no prices.

    Parameters
    ----------
    metric : str
        ``gpu_hours`` (a unit is one GPU-hour) or ``node_hours`` (a unit is a node-hour).
    gpu_type, cloud : str
        The catalog offering (``planner catalog show gpus``).
    gpus_per_unit : float
        GPUs in one unit of ``metric`` [GPUs]; 0: 1 for ``gpu_hours``, required for ``node_hours``.
    on_demand_usd_per_gpu_hour, reserved_usd_per_gpu_hour, reserved_3y_usd_per_gpu_hour : float
        Your prices [USD/GPU-h]; 0: not given.
    prices : PriceFile, optional
        Your prices file.

    Raises
    ------
    InputError
        Another metric, no GPU count per node, no prices, a GPU type or cloud not in the catalog,
        or a reserved price above the on-demand one.
    """
    if metric not in CAPACITY_METRICS:
        raise InputError(f"a commitment comparison prices GPU capacity: metric must be one of "
                         f"{list(CAPACITY_METRICS)}, got {metric!r}")
    given = {k: v for k, v in (prices.capacity if prices is not None else {}).items()}
    where = {k: f"{prices.path} capacity.{k}" for k in given} if prices is not None else {}
    for key, value in (("gpu_type", gpu_type), ("cloud", cloud), ("gpus_per_unit", gpus_per_unit),
                       ("on_demand_usd_per_gpu_hour", on_demand_usd_per_gpu_hour),
                       ("reserved_usd_per_gpu_hour", reserved_usd_per_gpu_hour),
                       ("reserved_3y_usd_per_gpu_hour", reserved_3y_usd_per_gpu_hour)):
        if value not in ("", 0, 0.0, None):
            if isinstance(value, int | float) and value < 0:
                raise InputError(f"{key} must be >= 0, got {value}")
            given[key], where[key] = value, f"your option {key}"
    od = float(given.get("on_demand_usd_per_gpu_hour") or 0)
    res = float(given.get("reserved_usd_per_gpu_hour") or 0)
    res3 = float(given.get("reserved_3y_usd_per_gpu_hour") or 0) or None
    if not given.get("gpu_type") and not (od and res):
        raise InputError("no GPU prices: give gpu_type (and cloud) to price from the GPU catalog "
                         "(`planner catalog show gpus`), or your own on_demand_usd_per_gpu_hour and "
                         "reserved_usd_per_gpu_hour, as options or in a prices file's capacity entry"
                         f"{'' if metric == 'gpu_hours' else ', with gpus_per_unit (the GPUs in one node)'}; "
                         "planner assumes no price")
    sources = []
    units = float(given.get("gpus_per_unit") or 0)
    one = {"node_hours": "node"}.get(metric, "unit")
    if units <= 0:
        if metric != "gpu_hours":
            raise InputError(f"{metric}: give gpus_per_unit, the GPUs in one node, to price node-hours per GPU-hour "
                             "(planner assumes no node size)")
        units = 1.0
        sources.append("1 GPU per unit: a unit of gpu_hours is one GPU-hour")
    else:
        sources.append(f"{number(units, 4)} GPU{'s' if units != 1 else ''} per {one}: {where['gpus_per_unit']}")
    gpu, where_cloud = str(given.get("gpu_type") or ""), str(given.get("cloud") or "")
    if given.get("gpu_type") and not (od and res and res3):
        from planner.catalog import catalog_origin, gpu_offer

        offer = gpu_offer(str(given["gpu_type"]), str(given["cloud"]) if given.get("cloud") else None, catalog_path)
        gpu, where_cloud = str(offer["gpu_type"]), str(offer["cloud"])
        entry = f"{offer['gpu_type']} on {offer['cloud']} ({offer['instance_type']})"
        sources.append(f"GPU catalog entry {entry}: {catalog_origin('gpu_offerings.csv', catalog_path)}; "
                       f"source {offer['source']}")
        if not od:
            od = float(offer["on_demand_usd_per_gpu_hour"])
            sources.append(f"on-demand USD {number(od, 4)} per GPU-hour: the catalog entry {entry}")
        if not res:
            res = float(offer["reserved_1y_usd_per_gpu_hour"])
            sources.append(f"1-year reserved USD {number(res, 4)} per GPU-hour: the catalog entry {entry}, "
                           f"{offer['reserved_1y_discount']:.0%} off its on-demand price")
        if res3 is None and np.isfinite(offer["reserved_3y_usd_per_gpu_hour"]):
            res3 = float(offer["reserved_3y_usd_per_gpu_hour"])
            sources.append(f"3-year reserved USD {number(res3, 4)} per GPU-hour: the catalog entry {entry}, "
                           f"{offer['reserved_3y_discount']:.0%} off its on-demand price")
    if not (od and res):
        raise InputError("no GPU prices: give both on_demand_usd_per_gpu_hour and reserved_usd_per_gpu_hour, "
                         "or a gpu_type to price the missing one from the GPU catalog; planner assumes no price")
    for key, value, what in (("on_demand_usd_per_gpu_hour", od, "on-demand"),
                             ("reserved_usd_per_gpu_hour", res, "1-year reserved"),
                             ("reserved_3y_usd_per_gpu_hour", res3, "3-year reserved")):
        if key in where and key in given:
            sources.append(f"{what} USD {number(value, 4)} per GPU-hour: {where[key]}")
    if res > od:
        raise InputError(f"reserved price USD {res:g}/GPU-h is above the on-demand USD {od:g}/GPU-h; "
                         "a reservation would never pay")
    return CapacityPrices(metric, units, od, res, res3, sources, gpu, where_cloud)


def as_mapping(rates: pd.DataFrame) -> Mapping[str, float]:
    """``{unique_id: usd_per_unit}`` of the series that have a USD figure."""
    priced = rates.dropna(subset=["usd_per_unit"])
    return dict(zip(priced["unique_id"], priced["usd_per_unit"], strict=True))
