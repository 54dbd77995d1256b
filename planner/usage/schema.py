"""The canonical usage table: one row per period, dimension values and metric.

Columns: ``ts`` (period start, naive UTC), ``source`` (the ingest source name), the
:data:`DIMENSIONS` (``""`` where the source does not have one), ``metric`` (a key of
:data:`METRICS`) and ``value`` (in the metric's unit).

Outcome counts (``resolved_ticket``, ``merged_pr``: what the AI spend is for) are metrics of their
own, ``outcome:<name>`` in the unit ``outcomes`` (:func:`is_metric`, :func:`metric_unit`); they are
read by :func:`planner.usage.read_outcomes`.

Token metrics are disjoint: ``input_tokens`` are uncached input tokens billed at the full input
price, ``cached_input_tokens`` were read from a provider's prompt cache, ``cache_write_tokens``
were written to it. Their sum is every input token of the requests.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from planner.exceptions import InputError
from planner.usage._io import rows_text as _rows

__all__ = ["DIMENSIONS", "METRICS", "COLUMNS", "KEY", "OUTCOME_PREFIX", "finalize", "empty_usage", "validate_usage",
           "is_metric", "metric_unit", "outcome_metric"]

#: Dimension columns of the usage table, in order.
DIMENSIONS: tuple[str, ...] = (
    "team", "product", "feature", "user", "model", "provider", "gpu_type", "region",
)

#: Known metrics and their units. Costs may be negative (credits, refunds); nothing else may.
METRICS: dict[str, str] = {
    "requests": "requests",
    "input_tokens": "tokens",
    "cached_input_tokens": "tokens",
    "cache_write_tokens": "tokens",
    "output_tokens": "tokens",
    "cache_storage_token_hours": "token-h",
    "gpu_hours": "GPU-h",
    "node_hours": "node-h",
    "cost_usd": "USD",
    "billed_cost_usd": "USD",
    "list_cost_usd": "USD",
}

#: Prefix of outcome metrics: ``outcome:resolved_ticket`` counts resolved tickets [outcomes].
OUTCOME_PREFIX = "outcome:"
_OUTCOME_NAME = re.compile(r"[a-z][a-z0-9_]*")

_SIGNED = frozenset({"cost_usd", "billed_cost_usd", "list_cost_usd"})

#: Every column of the usage table, in order.
COLUMNS: tuple[str, ...] = ("ts", "source", *DIMENSIONS, "metric", "value")

#: The columns that identify one value.
KEY: tuple[str, ...] = ("ts", "source", *DIMENSIONS, "metric")


def is_metric(name: str) -> bool:
    """True for a key of :data:`METRICS` and for an outcome metric ``outcome:<name>`` (``<name>`` in
    lower case letters, digits and ``_``, starting with a letter)."""
    name = str(name)
    if name in METRICS:
        return True
    return name.startswith(OUTCOME_PREFIX) and bool(_OUTCOME_NAME.fullmatch(name[len(OUTCOME_PREFIX):]))


def metric_unit(name: str) -> str:
    """The unit of a metric: ``tokens``, ``USD``, ``GPU-h`` ...; ``outcomes`` for ``outcome:<name>``."""
    return METRICS.get(name) or ("outcomes" if is_metric(name) else "units")


def outcome_metric(name: str, what: str = "outcome") -> str:
    """The metric ``outcome:<name>`` of an outcome name (``Resolved ticket`` -> ``outcome:resolved_ticket``).

    Raises
    ------
    InputError
        A name that is empty or does not start with a letter once lower-cased and blanks made ``_``.
    """
    text = re.sub(r"[\s\-]+", "_", str(name).strip().lower())
    if not _OUTCOME_NAME.fullmatch(text):
        raise InputError(f"{what}: outcome name {name!r}: expected letters, digits and '_', starting with a letter "
                         "(e.g. resolved_ticket)")
    return OUTCOME_PREFIX + text


def empty_usage() -> pd.DataFrame:
    """Return an empty usage table with the canonical columns and dtypes."""
    frame = pd.DataFrame({c: pd.Series(dtype="object") for c in COLUMNS})
    frame["ts"] = pd.Series(dtype="datetime64[ns]")
    frame["value"] = pd.Series(dtype="float64")
    return frame


def finalize(
    frame: pd.DataFrame,
    source: str,
    constants: Mapping[str, str] | None = None,
    what: str = "usage",
) -> pd.DataFrame:
    """Complete a reader's long frame into the canonical usage table.

    Missing dimensions become ``""``, ``constants`` set dimensions the file lacks, rows with the
    same key are summed (several requests or charges in one period), columns are ordered.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``ts``, ``metric``, ``value`` and any of :data:`DIMENSIONS`.
    source : str
        Source name stored with every row.
    constants : mapping of str to str, optional
        Dimension values for every row, e.g. ``{"team": "search"}``; they override the file.
    what : str
        Name of the input, for error messages.

    Returns
    -------
    pandas.DataFrame
        The usage table, sorted by key.
    """
    out = frame.copy()
    for dim, value in (constants or {}).items():
        if dim not in DIMENSIONS:
            raise InputError(f"{what}: unknown dimension {dim!r}; expected one of {list(DIMENSIONS)}")
        out[dim] = str(value)
    for dim in DIMENSIONS:
        out[dim] = _clean_text(out[dim]) if dim in out.columns else ""
    out["source"] = source
    out = out[list(COLUMNS)]
    validate_usage(out, what=what)
    keys = list(KEY)
    if out.duplicated(keys).any():
        out = out.groupby(keys, sort=False, as_index=False, dropna=False)["value"].sum()
    out = out.sort_values(keys, kind="stable")
    return out[list(COLUMNS)].reset_index(drop=True)


def _clean_text(values: pd.Series) -> np.ndarray:
    """Strings with surrounding blanks removed, ``""`` for missing; factorized for speed."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    stripped = np.append(pd.Index(uniques).astype(str).str.strip().to_numpy(dtype=object), "")
    return stripped[codes]


def validate_usage(frame: pd.DataFrame, what: str = "usage") -> None:
    """Check that ``frame`` is a usage table; raise :class:`InputError` naming what is wrong.

    Parameters
    ----------
    frame : pandas.DataFrame
        A usage table (see module docstring).
    what : str
        Name of the input, for error messages.
    """
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(f"{what}: the following columns are missing: {missing}")
    if not pd.api.types.is_datetime64_any_dtype(frame["ts"]):
        raise InputError(f"{what}: column 'ts' must hold timestamps, found {frame['ts'].dtype}")
    if getattr(frame["ts"].dt, "tz", None) is not None:
        raise InputError(f"{what}: column 'ts' must be naive UTC, found time zone {frame['ts'].dt.tz}")
    unknown = sorted(m for m in frame["metric"].unique() if not is_metric(m))
    if unknown:
        rows = _rows(frame["metric"].isin(unknown).to_numpy())
        raise InputError(
            f"{what}: unknown metric(s) {unknown} at {rows}; expected one of {list(METRICS)} or outcome:<name>"
        )
    values = pd.to_numeric(frame["value"], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(f"{what}: column 'value' must be a finite number at {_rows(bad)}")
    negative = (values < 0) & ~frame["metric"].isin(_SIGNED).to_numpy()
    if negative.any():
        raise InputError(
            f"{what}: negative {frame['metric'].to_numpy()[negative][0]} at {_rows(negative)}; "
            "token, request and hour counts must be >= 0"
        )

