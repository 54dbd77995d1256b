"""The bundled report notebooks and their parameters (papermill's inspection).

The notebooks ship inside the package (``planner/notebooks/``) so an installed or editable
``planner`` finds them through :mod:`importlib.resources`; ``notebooks/`` at the repository root
is a link to the same folder, so there is one copy.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from planner.exceptions import InputError

__all__ = ["notebook_path", "list_notebooks", "notebook_parameters", "coerce_parameters"]


def _folder() -> Path:
    return Path(str(resources.files("planner") / "notebooks"))


def _names() -> list[str]:
    return sorted(p.stem for p in _folder().glob("*.ipynb"))


def notebook_path(name: str) -> Path:
    """Return the file of the bundled notebook ``name`` (with or without ``.ipynb``), or ``name``
    itself when it is the path of an existing ``.ipynb`` file (a notebook of your own).

    Raises
    ------
    InputError
        No bundled notebook has that name; the message lists the names there are.
    """
    if name.endswith(".ipynb") and Path(name).is_file():
        return Path(name).resolve()
    stem = name.removesuffix(".ipynb")
    path = _folder() / f"{stem}.ipynb"
    if not path.is_file():
        raise InputError(f"no report notebook named {name!r}; expected one of {_names()}")
    return path


def notebook_parameters(name: str) -> pd.DataFrame:
    """Return the parameters of a bundled notebook, read from its ``parameters``-tagged cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``type`` (as papermill infers it from the default), ``default`` (the
        source text) and ``help`` (the comment beside the parameter).
    """
    import papermill as pm

    with contextlib.redirect_stdout(io.StringIO()):
        found = pm.inspect_notebook(str(notebook_path(name)))
    rows = [
        {"name": p["name"], "type": p["inferred_type_name"], "default": p["default"], "help": p["help"]}
        for p in found.values()
    ]
    return pd.DataFrame(rows, columns=["name", "type", "default", "help"])


def list_notebooks() -> pd.DataFrame:
    """Return every bundled notebook with its parameters: columns ``notebook`` and those of
    :func:`notebook_parameters`."""
    frames = [notebook_parameters(n).assign(notebook=n) for n in _names()]
    if not frames:
        return pd.DataFrame(columns=["notebook", "name", "type", "default", "help"])
    out = pd.concat(frames, ignore_index=True)
    return out[["notebook", "name", "type", "default", "help"]]


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def coerce_parameters(name: str, raw: Mapping[str, object]) -> dict[str, object]:
    """Check parameters given for notebook ``name`` and convert text values to the declared types.

    A text value is converted to the type of the parameter's default: ``int``, ``float``,
    ``bool`` (true/false/yes/no/1/0), ``list`` or ``dict`` (YAML / JSON text, e.g.
    ``'[a, b]'``), ``str`` as given. A parameter whose default is ``None`` takes YAML text.

    Raises
    ------
    InputError
        An unknown parameter name, or a value that is not of the parameter's type; the message
        names the parameter and the expected type.
    """
    table = notebook_parameters(name).set_index("name")
    out: dict[str, object] = {}
    for key, value in raw.items():
        if key not in table.index:
            raise InputError(
                f"{name}: unknown parameter {key!r}; expected one of {list(table.index)}"
            )
        kind = str(table.loc[key, "type"]).split("[")[0].strip().lower()
        out[key] = _coerce(name, key, kind, value)
    return out


def _coerce(notebook: str, key: str, kind: str, value: object) -> object:
    if not isinstance(value, str):
        return value
    text = value.strip()
    try:
        if kind == "int":
            return int(text)
        if kind == "float":
            return float(text)
        if kind == "bool":
            if text.lower() in _TRUE | _FALSE:
                return text.lower() in _TRUE
            raise ValueError(text)
        if kind in ("list", "dict", "tuple", "none"):
            parsed = yaml.safe_load(text) if text else None
            if kind == "list" and isinstance(parsed, str | int | float):
                parsed = [parsed]
            if kind in ("list", "tuple") and not isinstance(parsed, list):
                raise ValueError(text)
            if kind == "dict" and not isinstance(parsed, dict):
                raise ValueError(text)
            return parsed
    except (ValueError, yaml.YAMLError):
        raise InputError(
            f"{notebook}: parameter {key!r} expects {kind}, got {value!r}"
        ) from None
    return value
