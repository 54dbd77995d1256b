"""What a report notebook reads when it is opened with its empty defaults (e.g. in JupyterLab).

``planner report`` always names its inputs (the store from ``--store``-like resolution, paths made
absolute), so these fallbacks serve interactive use: the demo store ``out/demo/planner.duckdb``
that ``make demo`` builds and the example files of the planner checkout, found from the package's
own location (never from the notebook's working folder). When there is nothing to fall back to,
each function raises one :class:`InputError` sentence saying what to give.
"""

from __future__ import annotations

import os
from pathlib import Path

import planner
from planner.exceptions import InputError
from planner.store import STORE_ENV, default_store_path

__all__ = ["checkout", "DEMO_STORE", "DEMO_PRICES", "store", "plan_config", "scenario_files", "demo_prices"]

#: The demo store ``make demo`` builds, relative to the checkout.
DEMO_STORE = Path("out") / "demo" / "planner.duckdb"
#: The prices file the demo's monthly job uses, relative to the checkout.
DEMO_PRICES = Path("plans") / "demo_prices.yaml"
_DEMO_PLAN = Path("plans") / "servegen.yaml"
_DEMO_SCENARIOS = ("baseline.yaml", "prompt_caching.yaml", "cascade_routing.yaml")


def checkout() -> Path | None:
    """The planner checkout this package runs from (the folder holding ``pyproject.toml`` beside
    ``planner/``), or None for an installed package."""
    root = Path(planner.__file__).resolve().parents[1]
    return root if (root / "pyproject.toml").is_file() and (root / "planner").is_dir() else None


def _demo(relative: Path) -> Path | None:
    root = checkout()
    return root / relative if root is not None and (root / relative).exists() else None


def store(store_path: str = "") -> tuple[str, str]:
    """The store a notebook reads, and a note saying which one when it was not given.

    ``store_path`` when given; else ``$PLANNER_STORE``; else the default store when it exists;
    else the checkout's demo store.

    Returns
    -------
    path : str
        Absolute path of the store file.
    note : str
        ``""`` when ``store_path`` was given, else a sentence naming the store used.

    Raises
    ------
    InputError
        No store given and none to fall back to.
    """
    if store_path:
        return str(Path(store_path).expanduser().resolve()), ""
    if os.environ.get(STORE_ENV):
        path = default_store_path().resolve()
        return str(path), f"Store {path} (from ${STORE_ENV})."
    default = default_store_path()
    if default.is_file():
        return str(default), f"Store {default} (the default store)."
    demo = _demo(DEMO_STORE)
    if demo is not None:
        return str(demo), f"No store given and none at {default}: showing the demo store {demo} (built by `make demo`)."
    raise InputError(f"no store given and none at {default}: set store_path, set ${STORE_ENV}, or run "
                     "`make demo` in the planner checkout to build the demo store")


def demo_prices(store_note: str) -> str:
    """The demo prices file when the demo store is being shown (``store_note`` from :func:`store`), else ``""``."""
    found = _demo(DEMO_PRICES)
    return str(found) if found is not None and "demo store" in store_note else ""


def plan_config(config_file: str = "", output_dir: str = "") -> tuple[str, str]:
    """The plan configuration a notebook solves (``config_file``, else the checkout's
    ``plans/servegen.yaml``) and a note when it fell back; ``("", "")`` when ``output_dir`` is given.

    Raises
    ------
    InputError
        Neither given and no checkout to fall back to.
    """
    if output_dir or config_file:
        return config_file, ""
    demo = _demo(_DEMO_PLAN)
    if demo is None:
        raise InputError("give config_file (a `planner plan` configuration) or output_dir (a finished "
                         "`planner plan` run)")
    return str(demo), f"No configuration given: solving the example {demo}."


def scenario_files(files: list | tuple = ()) -> tuple[list[str], str]:
    """Scenario files a notebook compares (``files``, else three of the checkout's examples) and
    a note when it fell back.

    Raises
    ------
    InputError
        None given and no checkout to fall back to.
    """
    if files:
        return [str(f) for f in files], ""
    root = checkout()
    found = [root / "scenarios" / n for n in _DEMO_SCENARIOS] if root is not None else []
    if not found or not all(f.is_file() for f in found):
        raise InputError("give scenario_files: a list of scenario YAML files, the first the baseline")
    return [str(f) for f in found], f"No scenario files given: comparing the examples {', '.join(f.name for f in found)}."
