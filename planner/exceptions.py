"""Every error and warning planner raises.

All errors derive from :class:`PlannerError`; the CLI prints its message on one line and exits
with status 2 for :class:`InputError` and its subclasses (the user's input is wrong) and with
status 1 otherwise. Messages name the file, column, row(s) or key and what was expected.
"""

from __future__ import annotations

__all__ = [
    "PlannerError",
    "InputError",
    "CatalogError",
    "ScenarioError",
    "PathError",
    "StoreError",
    "ForecastError",
    "InfeasibleError",
    "SolverError",
    "ReportError",
    "DeliveryError",
    "PlannerWarning",
]


class PlannerError(Exception):
    """Base class of every planner error."""


class InputError(PlannerError, ValueError):
    """A user file, DataFrame or argument is not of the expected form.

    The message names the file (or object), the column, the row(s) or key, and what was expected.
    """


class CatalogError(InputError):
    """A catalog file (prices, GPU offerings, throughput) is malformed or lacks an entry."""


class ScenarioError(InputError):
    """A scenario file breaks its schema; the message names the key path."""


class PathError(InputError):
    """A path the user gave cannot be used as asked: it is missing, of the wrong kind (a file where a
    folder is expected or the reverse), or unsafe to write (the working folder, a folder of the user's
    files, one of the command's inputs). The message names the path and says what to do."""


class StoreError(PlannerError):
    """The DuckDB store cannot be opened, read or written."""


class ForecastError(PlannerError):
    """A forecast cannot be produced for the given series and settings."""


class InfeasibleError(InputError):
    """An optimization model has no feasible solution; names the constraint groups in conflict."""


class SolverError(PlannerError):
    """A solver failed; names the solver and the fallback tried."""


class ReportError(PlannerError):
    """A report notebook failed to execute or render."""


class DeliveryError(PlannerError):
    """An alert could not be delivered to a webhook (timeout, refused, an HTTP error); names the URL's
    host and what it answered."""


class PlannerWarning(UserWarning):
    """A result is produced, but something in the input deserves the user's attention."""
