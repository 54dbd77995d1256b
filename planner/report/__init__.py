"""Planning reports: notebooks run with papermill and exported to self-contained HTML.

:func:`list_notebooks` and :func:`notebook_parameters` describe the bundled notebooks;
:func:`render_report` runs one and writes ``<dir>/<date>/<name>.ipynb`` and ``.html``.
Chart builders are in :mod:`planner.report.charts`; the tables the monthly report shows
(forecast against actuals, budget burn, growth changes) in :mod:`planner.report.tables`; the
scheduled monthly run in :mod:`planner.report.monthly`. What the reader sees is written by
:mod:`planner.report.format` (amounts, quantities, index-free tables), :mod:`planner.report.words`
(names of pools, routes, models, frequencies), :mod:`planner.report.notes` (the "Data notes" list),
:mod:`planner.report.advice` (the one sentence of advice) and :mod:`planner.report.failure` (what a
failed report says).
"""

from planner.report.notebooks import (
    coerce_parameters,
    copy_notebook,
    list_notebooks,
    notebook_parameters,
    notebook_path,
    resolve_path_parameters,
)
from planner.report.render import Report, render_report, to_html

__all__ = [
    "list_notebooks",
    "notebook_parameters",
    "notebook_path",
    "coerce_parameters",
    "resolve_path_parameters",
    "copy_notebook",
    "render_report",
    "to_html",
    "Report",
]
