"""The ``planner`` command: a thin layer over the library.

Each subcommand lives in its own module of this package and exposes
``register(subparsers) -> None``; the module is listed in :data:`COMMANDS`. Handlers return an
exit status. :class:`planner.exceptions.InputError` becomes one line on stderr and status 2; any
other :class:`planner.exceptions.PlannerError` becomes one line and status 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from planner import __version__
from planner.exceptions import InputError, PlannerError

__all__ = ["main", "COMMANDS"]

#: Subcommand modules of :mod:`planner.cli`, in the order ``planner --help`` lists them.
COMMANDS: tuple[str, ...] = ("ingest", "usage", "catalog", "forecast", "commit", "plan", "simulate", "report",
                             "monthly")


def build_parser() -> argparse.ArgumentParser:
    """Return the ``planner`` argument parser with every subcommand registered."""
    parser = argparse.ArgumentParser(
        prog="planner",
        description="AI capacity planning: ingest usage, forecast demand, plan GPU and API "
        "commitments, simulate what-ifs, render reports.",
    )
    parser.add_argument("--version", action="version", version=f"planner {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"planner.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit status (0 ok, 1 failure, 2 bad input)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = _format_warning
    try:
        return int(args.handler(args) or 0)
    except InputError as exc:
        print(f"planner {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except PlannerError as exc:
        print(f"planner {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"planner {args.command}: interrupted", file=sys.stderr)
        return 130


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"planner: warning: {' '.join(str(message).split())}\n"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
