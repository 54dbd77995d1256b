"""What a failed report shows its reader: the step that failed, why, and what to do.

papermill writes a failed notebook with its own red banners and the raw traceback in the failing
cell, followed by the empty sections that never ran. :func:`explain_failure` turns that notebook
into a page that says which step stopped, the error in one line, what to do about it, and keeps
the traceback (and the parameters of the run) folded in a ``<details>`` block below.

A code cell names its step in its metadata (``{"planner": {"step": "Reading the usage"}}``);
otherwise the step is the section (markdown heading) the cell belongs to.
"""

from __future__ import annotations

import html
import re

__all__ = ["explain_failure", "failed_step", "what_to_do"]

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

#: Error class -> what the reader should do.
_ADVICE = {
    "input": "Correct the input or parameter named in the message, then run the report again.",
    "InfeasibleError": "The plan's limits cannot all be met: relax the constraints the message names "
                       "(or give more capacity), then run the report again.",
    "ForecastError": "The forecaster could not produce this forecast: check the series the message names "
                     "(its length and frequency) or change the horizon, then run the report again.",
    "StoreError": "The store could not be read: check the store path; if another planner command is "
                  "writing to it, wait for it to finish and run the report again.",
    "SolverError": "The solver failed: run the report again; if it fails the same way, report it with "
                   "the technical details below.",
}
_INPUT_ERRORS = {"InputError", "CatalogError", "ScenarioError", "PathError", "FileNotFoundError",
                 "IsADirectoryError", "NotADirectoryError", "PermissionError"}
_UNEXPECTED = ("planner did not expect this error: run the report again, and if it fails the same way, "
               "report it with the technical details below.")


def what_to_do(ename: str) -> str:
    """The advice shown for an error of class ``ename``."""
    if ename in _INPUT_ERRORS:
        return _ADVICE["input"]
    return _ADVICE.get(ename, _UNEXPECTED)


def _tags(cell) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def _step(cells: list, index: int) -> str:
    """The step of ``cells[index]``: its own ``planner.step``, else its section's heading."""
    own = cells[index].get("metadata", {}).get("planner", {}).get("step")
    if own:
        return str(own)
    for cell in reversed(cells[:index]):
        if cell.get("cell_type") == "markdown":
            m = re.search(r"^#{2,6}\s+(.+)$", cell.get("source", ""), re.M)
            if m:
                return m.group(1).strip()
    return "Preparing the report"


def _failing(cells: list) -> int | None:
    return next((i for i, c in enumerate(cells) if c.get("cell_type") == "code"
                 and any(o.get("output_type") == "error" for o in c.get("outputs", []))), None)


def failed_step(nb) -> str | None:
    """The step (see the module docstring) of the cell that failed in an executed notebook, or None."""
    at = _failing(list(nb.cells))
    return None if at is None else _step(list(nb.cells), at)


def explain_failure(nb) -> bool:
    """Rewrite a failed executed notebook (in place) to explain its failure; False if none failed.

    The cells before the failing one stay as they ran (papermill's banners are removed); the
    failing cell's error becomes an HTML block naming the step, the error, and what to do, with
    the traceback and the run's parameters folded below; the cells after it, which never ran,
    are dropped.
    """
    cells = list(nb.cells)
    at = _failing(cells)
    if at is None:
        return False
    cell = cells[at]
    error = next(o for o in cell["outputs"] if o.get("output_type") == "error")
    ename, evalue = str(error.get("ename", "Error")), " ".join(str(error.get("evalue", "")).split())
    trace = _ANSI.sub("", "\n".join(error.get("traceback", [])))
    params = "\n".join(c.get("source", "") for c in cells if "injected-parameters" in _tags(c)).strip()
    body = (
        "<h2>This report could not be completed</h2>"
        f"<p><strong>Step that failed:</strong> {html.escape(_step(cells, at), quote=False)}</p>"
        f"<p><strong>Problem:</strong> {html.escape(evalue or ename, quote=False)}</p>"
        f"<p><strong>What to do:</strong> {html.escape(what_to_do(ename), quote=False)}</p>"
        "<p>The sections after this step were not produced.</p>"
        "<details><summary>Technical details (traceback)</summary>"
        f"<p>Error type: {html.escape(ename, quote=False)}</p><pre>{html.escape(trace, quote=False)}</pre>"
        + (f"<p>Parameters of this run:</p><pre>{html.escape(params, quote=False)}</pre>" if params else "")
        + "</details>"
    )
    kept = [o for o in cell["outputs"] if o.get("output_type") != "error"]
    cell["outputs"] = [*kept, {"output_type": "display_data", "metadata": {},
                               "data": {"text/html": f'<div class="planner-error">{body}</div>'}}]
    cell.setdefault("metadata", {}).setdefault("tags", [])
    cell["metadata"]["tags"] = [t for t in cell["metadata"]["tags"] if t != "remove-cell"]
    nb.cells = [c for c in cells[: at + 1] if "papermill-error-cell-tag" not in _tags(c)]
    return True
