"""Run a report notebook with papermill and export it to a self-contained HTML page.

The notebook runs in a fresh ``python3`` kernel whose working directory is a scratch folder (so
a notebook cannot depend on where it is called from) and whose ``PYTHONPATH`` starts with the
folder of the running :mod:`planner` (so the report uses the same library as the caller). The
HTML has no code cells, charts are inline SVG, and it loads nothing from the network.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import planner
from planner.exceptions import InputError, ReportError
from planner.outputs import check_folder, claim_folder, safe_component, write_file
from planner.report.checks import precheck
from planner.report.failure import explain_failure, failed_step
from planner.report.notebooks import (
    coerce_parameters,
    notebook_parameters,
    notebook_path,
    resolve_path_parameters,
)
from planner.store import STORE_ENV, default_store_path

__all__ = ["Report", "render_report", "to_html"]

#: Tag of cells whose input stays hidden (every input is hidden) -- and of cells removed entirely.
REMOVE_TAG = "remove-cell"


@dataclass(frozen=True)
class Report:
    """What :func:`render_report` wrote.

    Attributes
    ----------
    notebook : pathlib.Path
        The executed notebook (``.ipynb``), outputs included.
    html : pathlib.Path
        The HTML page (no code, charts as inline SVG).
    seconds : float
        Wall time of execution and export [s].
    parameters : dict
        The parameters the notebook ran with.
    """

    notebook: Path
    html: Path
    seconds: float
    parameters: dict


def render_report(
    name: str,
    parameters: Mapping[str, object] | None = None,
    output_dir: str | Path = "reports",
    date: str | None = None,
    timeout: int = 600,
) -> Report:
    """Execute the bundled notebook ``name`` and write ``<output_dir>/<date>/<name>.{ipynb,html}``.

    Parameters
    ----------
    name : str
        A bundled notebook (see :func:`planner.report.list_notebooks`).
    parameters : mapping, optional
        Values for the notebook's ``parameters`` cell; text values are converted to the declared
        types (see :func:`planner.report.coerce_parameters`) and paths made absolute
        (:func:`planner.report.notebooks.resolve_path_parameters`). A notebook with a
        ``store_path`` parameter that is not given reads ``$PLANNER_STORE`` or the default store.
    output_dir : str or pathlib.Path
        Folder receiving the dated folder.
    date : str, optional
        Name of the dated folder (one folder name, e.g. ``2025-01-31``); default today's UTC date
        ``YYYY-MM-DD``. The folder must be new, empty or written by planner before
        (:mod:`planner.outputs`); other files in it are left alone.
    timeout : int
        Limit per cell [s].

    Returns
    -------
    Report
        Paths of the executed notebook and the HTML page.

    Raises
    ------
    InputError
        Unknown notebook or parameter, a value of the wrong type, a path parameter (``*_file``,
        ``*_files``, ``*_path``, ``*_dir``; relative ones are resolved against the current
        folder) that is not there, or no store to read; a ``date`` that is not one folder name,
        or a dated folder holding files planner did not write (nothing is written).
    ReportError
        The notebook failed: its executed copy, showing the error, is still written to
        ``<name>.ipynb`` (and ``<name>.html``) and the message names the failing step and cell.
    """
    source = notebook_path(name)
    params = resolve_path_parameters(name, coerce_parameters(name, dict(parameters or {})))
    params = _with_store(name, params)
    precheck(name, params)
    folder = Path(output_dir) / safe_component(date or datetime.now(UTC).strftime("%Y-%m-%d"))
    names = [f"{source.stem}.ipynb", f"{source.stem}.html"]
    check_folder(folder, inputs=[source], option="--output-dir", names=names)  # before the notebook runs
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="planner-report-") as tmp:
        tmp_path = Path(tmp)
        executed = tmp_path / names[0]
        workdir = tmp_path / "cwd"
        workdir.mkdir()
        error = _execute(source, executed, params, workdir, timeout)
        html = tmp_path / names[1]
        if executed.is_file():
            if error is not None:
                import nbformat

                step = failed_step(nbformat.read(str(executed), as_version=4))
                step = step or "the report"
                lead = step[:1].lower() + step[1:] if step[1:2].islower() else step
                error = f"{lead} failed ({error})"
            html.write_text(to_html(executed), encoding="utf-8")
        made = [m for m in (executed, html) if m.is_file()]
        targets = []
        if made:
            claim_folder(folder, "planner report", [m.name for m in made], inputs=[source], option="--output-dir")
        for m in made:
            with write_file(folder / m.name, option="--output-dir") as part:
                shutil.copyfile(m, part)
            targets.append(folder / m.name)
    if error is not None:
        where = f"; executed copy in {targets[0]}" if targets else ""
        raise ReportError(f"{source.stem}: {error}{where}")
    return Report(folder / executed.name, folder / html.name, time.perf_counter() - t0, params)


#: Parameters that name data read instead of the store.
_INSTEAD_OF_STORE = ("usage_files", "history_file")


def _with_store(name: str, params: dict) -> dict:
    """Name the store explicitly (absolute) when a notebook reads one and none was given.

    The store is then ``$PLANNER_STORE`` (relative to the caller's folder) or the default one,
    and it must exist: a report is not run on a store that is not there, and the notebook's own
    fallback to the demo store (for interactive use) does not apply to ``planner report``.
    """
    if params.get("store_path") or "store_path" not in set(notebook_parameters(name)["name"]):
        return params
    if any(params.get(k) for k in _INSTEAD_OF_STORE):
        return params
    path = default_store_path().resolve()
    if not path.is_file():
        origin = f"${STORE_ENV}" if os.environ.get(STORE_ENV) else "the default store"
        raise InputError(f"{name}: no store at {path} ({origin}); run `planner ingest` first, set "
                         f"${STORE_ENV}, or give -p store_path PATH")
    return {**params, "store_path": str(path)}


def _execute(source: Path, output: Path, params: dict, workdir: Path, timeout: int) -> str | None:
    """Run papermill; return None on success or a one-line description of the failure."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    logging.getLogger("papermill").setLevel(logging.WARNING)
    with _kernel_env(), contextlib.redirect_stdout(io.StringIO()):
        try:
            pm.execute_notebook(
                str(source),
                str(output),
                parameters=params,
                kernel_name="python3",
                cwd=str(workdir),
                progress_bar=False,
                execution_timeout=timeout,
                extra_arguments=["--IPKernelApp.log_level=ERROR"],
            )
        except PapermillExecutionError as exc:
            return f"cell {exc.exec_count} raised {exc.ename}: {' '.join(str(exc.evalue).split())}"
        except Exception as exc:  # kernel died, timeout, missing kernel
            return f"execution failed: {type(exc).__name__}: {' '.join(str(exc).split())}"
    return None


@contextlib.contextmanager
def _kernel_env() -> Iterator[None]:
    """Make the kernel import the same :mod:`planner` as this process, and see the same store
    (a relative ``$PLANNER_STORE`` is made absolute: the kernel runs in another folder)."""
    root = str(Path(planner.__file__).resolve().parents[1])
    saved = {k: os.environ.get(k) for k in ("PYTHONPATH", STORE_ENV, "PYDEVD_DISABLE_FILE_VALIDATION")}
    os.environ["PYTHONPATH"] = os.pathsep.join([root, *([saved["PYTHONPATH"]] if saved["PYTHONPATH"] else [])])
    if saved[STORE_ENV]:
        os.environ[STORE_ENV] = str(Path(saved[STORE_ENV]).expanduser().resolve())
    os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def to_html(notebook: str | Path) -> str:
    """Export an executed notebook to one self-contained HTML page.

    Code cells' inputs and prompts are left out; cells tagged ``remove-cell`` (and papermill's
    injected-parameters cell) are dropped; script and style sheet links to the network are
    removed, so the page shows the same offline. A failed notebook shows the step that failed,
    the error and what to do, with the traceback folded below
    (:func:`planner.report.failure.explain_failure`).

    Parameters
    ----------
    notebook : str or pathlib.Path
        The executed ``.ipynb``.

    Returns
    -------
    str
        The HTML text.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    nb = nbformat.read(str(notebook), as_version=4)
    explain_failure(nb)
    nb.cells = [
        c for c in nb.cells
        if not {REMOVE_TAG, "injected-parameters"} & set(c.get("metadata", {}).get("tags", []))
        or c.get("outputs") and any(o.get("output_type") == "error" for o in c["outputs"])
    ]
    config = Config()
    config.TemplateExporter.exclude_input = True
    config.TemplateExporter.exclude_input_prompt = True
    config.TemplateExporter.exclude_output_prompt = True
    config.HTMLExporter.template_file = str(Path(__file__).with_name("report.html.j2"))
    exporter = HTMLExporter(config=config, template_name="lab")
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            _inline_svg(out)
    title = next((m.group(1).strip() for c in nb.cells if c.get("cell_type") == "markdown"
                  for m in [re.search(r"^#\s+(.+)$", c.get("source", ""), re.M)] if m), Path(notebook).stem)
    body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
    return body


def _inline_svg(output: dict) -> None:
    """Show an SVG output as inline ``<svg>`` markup rather than a base64 ``<img>``."""
    data = output.get("data", {})
    svg = data.get("image/svg+xml")
    if svg and "text/html" not in data:
        text = "".join(svg) if isinstance(svg, list) else svg
        text = re.sub(r"^\s*<\?xml[^>]*>\s*(<!DOCTYPE[^>]*>)?", "", text)
        data["text/html"] = f'<div class="planner-chart">{text}</div>'
