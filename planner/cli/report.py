"""``planner report``: run a report notebook and write its executed copy and HTML page."""

from __future__ import annotations

import argparse

from planner.cli._common import print_table
from planner.exceptions import InputError

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``report`` subcommand."""
    p = subparsers.add_parser(
        "report",
        help="render a planning report (notebook -> HTML)",
        description="Run a bundled report notebook (or a .ipynb of your own) with papermill and write the "
        "executed .ipynb and a self-contained HTML page (no code, charts as inline SVG) into "
        "OUTPUT_DIR/YYYY-MM-DD/. Path parameters (*_file, *_files, *_path, *_dir) and $PLANNER_STORE are "
        "resolved against the current folder and must exist. A failing notebook still writes its executed "
        "copy showing the error; the command then exits 1.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="notebook name, e.g. monthly_forecast, or a .ipynb file")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"),
                   help="notebook parameter, repeatable; lists as YAML, e.g. -p metrics '[requests]'")
    p.add_argument("--output-dir", default="reports", metavar="DIR", help="folder of the dated report folders (default reports)")
    p.add_argument("--date", metavar="NAME",
                   help="name of the dated folder, one folder name such as 2025-01-31 (default today's UTC date); "
                   "it must be new, empty or written by planner before")
    p.add_argument("--list", action="store_true", help="list the notebooks and their parameters")
    p.add_argument("--copy", nargs=2, metavar=("NAME", "DIR"),
                   help="copy the bundled notebook NAME (or all) into DIR for you to edit; run the copy with "
                   "`planner report DIR/NAME.ipynb` or open it in JupyterLab")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from planner.report import copy_notebook, list_notebooks, render_report

    if args.list:
        print_table(list_notebooks())
        return 0
    if args.copy:
        for path in copy_notebook(*args.copy):
            print(f"wrote {path}")
        return 0
    if not args.name:
        raise InputError("give a notebook NAME (see `planner report --list`)")
    params: dict[str, str] = {}
    for key, value in args.parameter or ():
        if key in params:
            raise InputError(f"parameter {key!r} given twice")
        params[key] = value
    report = render_report(args.name, params, args.output_dir, date=args.date)
    print(f"wrote {report.html} and {report.notebook.name} ({report.seconds:.1f} s)")
    return 0
