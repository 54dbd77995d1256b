"""Drivers from a YAML file: the validated schema behind ``planner forecast --drivers FILE``.

Example::

    drivers:
      - kind: growth                 # compound growth of the forecast
        pct_per_month: 5             # [%/month], may be negative
        start: 2025-03-01
        series: m-large/input_tokens # optional: one unique_id; default every series
      - kind: step                   # a launch or a loss
        start: 2025-04-01
        amount: 2.0e6                # [units of y per period] added (optional)
        pct: -10                     # [%] applied (optional; at least one of amount, pct)
      - kind: s_curve                # adoption adding up to `level` along a logistic curve
        start: 2025-03-01
        level: 5.0e6                 # [units of y per period]
        midpoint: 2025-06-01
        width_days: 14               # [days] > 0
        label: new region            # optional: the column name of its effect
      - kind: shift                  # move a share of one series to another
        share: 0.3                   # [0-1]
        source: m-large/input_tokens
        target: m-mid/input_tokens
        start: 2025-05-01

Each item becomes one :class:`planner.forecast.Driver` (:func:`growth`, :func:`step`,
:func:`s_curve`, :func:`shift`), applied in the file's order. Unknown keys, missing keys, wrong
types, unknown series and repeated labels raise :class:`InputError` naming the file and the key
path (``drivers[1].pct_per_month``).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Collection
from pathlib import Path

import pandas as pd

from planner._yaml import load_mapping
from planner.exceptions import InputError
from planner.forecast.drivers import Driver, growth, s_curve, shift, step

__all__ = ["read_drivers", "KINDS", "RESERVED_COLUMNS"]

_NUMBER, _TEXT, _DATE = "number", "text", "date"
#: Keys of each driver kind: name -> (type, required).
KINDS: dict[str, dict[str, tuple[str, bool]]] = {
    "growth": {"pct_per_month": (_NUMBER, True), "start": (_DATE, True), "series": (_TEXT, False),
               "label": (_TEXT, False)},
    "step": {"start": (_DATE, True), "amount": (_NUMBER, False), "pct": (_NUMBER, False),
             "series": (_TEXT, False), "label": (_TEXT, False)},
    "s_curve": {"start": (_DATE, True), "level": (_NUMBER, True), "midpoint": (_DATE, True),
                "width_days": (_NUMBER, True), "series": (_TEXT, False), "label": (_TEXT, False)},
    "shift": {"share": (_NUMBER, True), "source": (_TEXT, True), "target": (_TEXT, True),
              "start": (_DATE, True), "label": (_TEXT, False)},
}
#: Forecast-table columns a driver label may not take.
RESERVED_COLUMNS = ("unique_id", "ds", "forecast", "statistical", "model")


def read_drivers(path: str | Path, series: Collection[str] | None = None) -> list[Driver]:
    """Read and validate a driver file.

    Parameters
    ----------
    path : str or Path
        YAML file with a top-level ``drivers:`` list (see the module docstring).
    series : collection of str, optional
        The ``unique_id`` values a driver may name; checked when given.

    Returns
    -------
    list of Driver
        In the file's order.

    Raises
    ------
    InputError
        One line naming the file and the key path, and what was expected.
    """
    file = str(path)
    data = load_mapping(path, "drivers")
    extra = sorted(set(data) - {"drivers"})
    if extra:
        raise InputError(f"{file}: unknown key {extra[0]}; expected one of ['drivers']")
    items = data.get("drivers")
    if not isinstance(items, list) or not items:
        raise InputError(f"{file}: drivers: expected a non-empty list of drivers (kind: growth, step, s_curve or shift)")
    out: list[Driver] = []
    labels: dict[str, str] = {}
    for i, item in enumerate(items):
        where = f"drivers[{i}]"
        d = _driver(item, file, where, series)
        if d.label in RESERVED_COLUMNS or d.label.startswith(("lo-", "hi-")):
            raise InputError(f"{file}: {where}.label: {d.label!r} is a forecast column; choose another label")
        if d.label in labels:
            raise InputError(f"{file}: {where}: label {d.label!r} is already used by {labels[d.label]}; "
                             "give one of them a label")
        labels[d.label] = where
        out.append(d)
    return out


def _driver(item: object, file: str, where: str, series: Collection[str] | None) -> Driver:
    if not isinstance(item, dict):
        raise InputError(f"{file}: {where}: expected a mapping with a kind (growth, step, s_curve or shift), "
                         f"got {item!r}")
    kind = item.get("kind")
    if kind not in KINDS:
        raise InputError(f"{file}: {where}.kind: expected one of {list(KINDS)}, got {kind!r}")
    spec = KINDS[kind]
    for key in item:
        if key != "kind" and key not in spec:
            raise InputError(f"{file}: unknown key {where}.{key} for a {kind} driver; expected one of "
                             f"{sorted(['kind', *spec])}")
    for key, (_, required) in spec.items():
        if required and key not in item:
            raise InputError(f"{file}: {where}: missing key {key!r} for a {kind} driver")
    v = {key: _value(item[key], spec[key][0], file, f"{where}.{key}") for key in item if key != "kind"}
    for key in ("series", "source", "target"):
        if key in v and series is not None and v[key] not in series:
            known = ", ".join(sorted(series)[:5]) + (" ..." if len(series) > 5 else "")
            raise InputError(f"{file}: {where}.{key}: unknown series {v[key]!r}; the input has {known}")
    label = v.get("label", "")
    try:
        if kind == "growth":
            return growth(v["pct_per_month"], v["start"], v.get("series", "*"), label)
        if kind == "step":
            if "amount" not in v and "pct" not in v:
                raise InputError("needs amount [units of y per period] and/or pct [%]")
            return step(v["start"], v.get("amount", 0.0), v.get("pct", 0.0), v.get("series", "*"), label)
        if kind == "s_curve":
            return s_curve(v["start"], v["level"], v["midpoint"], v["width_days"], v.get("series", "*"), label)
        if v["source"] == v["target"]:
            raise InputError(f"source and target are the same series {v['source']!r}")
        return shift(v["share"], v["source"], v["target"], v["start"], label)
    except InputError as exc:  # the builders' own range checks, given the key path
        raise InputError(f"{file}: {where}: {exc}") from None


def _value(value: object, kind: str, file: str, where: str) -> float | str:
    if kind == _NUMBER:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise InputError(f"{file}: {where}: expected a number, got {value!r}")
        return float(value)
    if kind == _TEXT:
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{file}: {where}: expected a non-empty string, got {value!r}")
        return value.strip()
    if isinstance(value, _dt.date):   # YAML reads 2025-03-01 as a date
        ts = pd.Timestamp(value)
    else:
        try:
            ts = pd.Timestamp(str(value)) if isinstance(value, str) else None
        except ValueError:
            ts = None
        if ts is None or ts is pd.NaT:
            raise InputError(f"{file}: {where}: expected a date like 2025-03-01, got {value!r}")
    if ts.tzinfo is not None:
        ts = ts.tz_convert("UTC").tz_localize(None)
    return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")
