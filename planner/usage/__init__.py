"""Usage ingestion: readers for the exports people already have, into one canonical table.

See :mod:`planner.usage.schema` for the table. Readers: :func:`read_azure_trace`,
:func:`read_mooncake_trace`, :func:`read_focus`, :func:`read_litellm`, :func:`read_table`,
:func:`read_nixtla`, :func:`read_opencost` (Kubernetes GPU spend), :func:`read_outcomes` (outcome
counts); :func:`read_usage` picks one from the file's columns. :func:`read_series` reads a
long-format series file (forecast, commit and plan inputs). :func:`to_series` turns
the table into Nixtla long format for forecasting; :func:`summarize` describes it.
"""

from planner.usage.focus import read_focus
from planner.usage.litellm import read_litellm
from planner.usage.longformat import read_series
from planner.usage.opencost import read_opencost
from planner.usage.outcomes import read_outcomes
from planner.usage.read import FORMATS, detect_format, read_usage
from planner.usage.schema import COLUMNS, DIMENSIONS, METRICS, validate_usage
from planner.usage.series import summarize, to_series
from planner.usage.tabular import read_nixtla, read_table
from planner.usage.traces import read_azure_trace, read_mooncake_trace

__all__ = [
    "COLUMNS",
    "DIMENSIONS",
    "METRICS",
    "FORMATS",
    "detect_format",
    "read_usage",
    "read_azure_trace",
    "read_mooncake_trace",
    "read_focus",
    "read_litellm",
    "read_opencost",
    "read_outcomes",
    "read_table",
    "read_nixtla",
    "read_series",
    "validate_usage",
    "to_series",
    "summarize",
]
