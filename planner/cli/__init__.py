"""The ``planner`` command: a thin layer over the library.

Each subcommand lives in its own module of this package and exposes
``register(subparsers) -> None``; the module is listed in :data:`COMMANDS`. Handlers return an
exit status (``planner budget status`` returns 3 when a budget threshold is crossed). :class:`planner.exceptions.InputError` becomes one line on stderr and status 2; any
other :class:`planner.exceptions.PlannerError` becomes one line and status 1. A closed stdout
(``planner catalog show prices | head``) ends the command quietly with status 141.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from planner import __version__
from planner.exceptions import InputError, PlannerError

__all__ = ["main", "COMMANDS"]

#: Subcommand modules of :mod:`planner.cli`, in the order ``planner --help`` lists them.
COMMANDS: tuple[str, ...] = ("ingest", "usage", "catalog", "forecast", "commit", "plan", "simulate", "report",
                             "monthly", "budget", "anomalies")


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
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # a reader that went away is noticed here, not at interpreter exit
        return status
    except BrokenPipeError:
        return _reader_gone()
    except InputError as exc:
        print(f"planner {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except PlannerError as exc:
        print(f"planner {args.command}: error: {_one_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"planner {args.command}: interrupted", file=sys.stderr)
        return 130


def _reader_gone() -> int:
    """Stop quietly when the reader of stdout went away (``planner ... | head``), as Unix tools do:
    no message, status 141 (128 + SIGPIPE), and no second error when Python flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # stdout without a file descriptor (e.g. captured)
        pass
    return 141


def _format_warning(message, category, filename, lineno, line=None) -> str:
    return f"planner: warning: {' '.join(str(message).split())}\n"


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split())
