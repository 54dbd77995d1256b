"""The bundled report notebooks, their parameters, and the paths those parameters name.

The notebooks ship inside the package (``planner/notebooks/``) so an installed or editable
``planner`` finds them through :mod:`importlib.resources`. They are templates: a user edits a copy
(:func:`copy_notebook`, ``planner report --copy NAME DIR``), never the packaged files.

Parameters are read from the ``parameters``-tagged cell the way papermill's Python translator
reads them (same pattern, same types), without importing papermill, so a bad parameter is refused
before anything slow starts.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from planner.exceptions import InputError

__all__ = ["notebook_path", "list_notebooks", "notebook_parameters", "coerce_parameters",
           "resolve_path_parameters", "copy_notebook", "PATH_SUFFIXES"]

#: Parameter names ending so name input paths: resolved against the caller's working directory
#: and checked to exist before a notebook runs (``*_dir`` must be a folder, the others files).
PATH_SUFFIXES = ("_file", "_files", "_path", "_dir")

#: papermill's pattern for one parameter line (``papermill.translators.PythonTranslator``).
_PARAMETER = re.compile(
    r"^(?P<target>\w[\w_]*)\s*(:\s*[\"']?(?P<annotation>\w[\w_\[\],\s]*)[\"']?\s*)?=\s*(?P<value>.*?)"
    r"(\s*#\s*(type:\s*(?P<type_comment>[^\s]*)\s*)?(?P<help>.*))?$"
)


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


def _parameter_lines(path: Path) -> list[dict[str, str]]:
    """The parameters of a notebook's ``parameters`` cell, read as papermill reads them: one
    assignment per line (``name: type = default  # help``); blank and comment lines skipped, a
    line with more than one ``=`` skipped, continuation lines joined to the assignment above."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{path}: not a readable notebook: {' '.join(str(exc).split())[:200]}") from None
    cells = [c for c in nb.get("cells", []) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if not cells:
        return []
    source = cells[0].get("source", "")
    source = "".join(source) if isinstance(source, list) else str(source)
    groups: list[list[str]] = [[]]
    for line in source.splitlines():
        if not line.strip() or line.strip().startswith("#"):
            continue
        if line.count("=") > 0:
            groups.append([])
            if line.count("=") > 1:
                continue
        groups[-1].append(line)
    found = []
    for group in groups:
        if not group:
            continue
        flat = "".join(ln[:ln.index("#")].strip() if "#" in ln else ln.strip() for ln in group[:-1])
        match = _PARAMETER.match(flat + group[-1].strip())
        if match is None or match["target"] is None:
            continue
        found.append({"name": match["target"].strip(),
                      "type": str(match["annotation"] or match["type_comment"] or None).strip(),
                      "default": str(match["value"]).strip(), "help": str(match["help"] or "").strip()})
    return found


def notebook_parameters(name: str) -> pd.DataFrame:
    """Return the parameters of a notebook, read from its ``parameters``-tagged cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``type`` (the annotation, as papermill infers it), ``default`` (the
        source text) and ``help`` (the comment beside the parameter).
    """
    return pd.DataFrame(_parameter_lines(notebook_path(name)), columns=["name", "type", "default", "help"])


def copy_notebook(name: str, folder: str | Path) -> list[Path]:
    """Copy a bundled notebook (or ``"all"`` of them) into ``folder`` for a user to edit.

    The packaged notebooks are the templates ``planner report`` runs; a copy is the user's own
    (run it with ``planner report PATH.ipynb`` or open it in JupyterLab, where it reads the same
    defaults). An existing file is never replaced.

    Returns
    -------
    list of pathlib.Path
        The files written.

    Raises
    ------
    InputError
        Unknown notebook, ``folder`` is a file, or a copy is already there.
    """
    sources = [notebook_path(n) for n in (_names() if name == "all" else [name])]
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; expected a folder to copy the notebook into")
    targets = [folder / src.name for src in sources]
    there = [str(t) for t in targets if t.exists() or t.is_symlink()]
    if there:
        raise InputError(f"{', '.join(there)}: already exists; planner does not replace it (remove it or "
                         "choose another folder)")
    folder.mkdir(parents=True, exist_ok=True)
    for src, target in zip(sources, targets, strict=True):
        tmp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(src, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    return targets


def resolve_path_parameters(name: str, params: Mapping[str, object], cwd: str | Path | None = None,
                            ) -> dict[str, object]:
    """Make every path parameter absolute and check it exists, before the notebook runs.

    A notebook runs in a folder of its own, so a path typed relative to the caller's folder must
    be resolved here. Parameters whose name ends in one of :data:`PATH_SUFFIXES` are paths (a
    ``list`` of them for ``*_files``); each non-empty one is resolved against ``cwd`` (default:
    the current working directory) and must exist: a folder for ``*_dir``, a file otherwise.

    Raises
    ------
    InputError
        A path that is not there; the message names the parameter and the path.
    """
    base = Path(cwd) if cwd is not None else Path.cwd()
    out = dict(params)
    for key, value in params.items():
        if not key.endswith(PATH_SUFFIXES) or value in ("", None, []):
            continue
        many = isinstance(value, list | tuple)
        items = list(value) if many else [value]
        resolved = []
        for item in items:
            if not isinstance(item, str | os.PathLike):
                raise InputError(f"{name}: parameter {key!r} expects a path, got {item!r}")
            path = Path(item).expanduser()
            path = path if path.is_absolute() else base / path
            want_dir = key.endswith("_dir")
            if not (path.is_dir() if want_dir else path.is_file()):
                what = "folder" if want_dir else ("file" if not path.is_dir() else "file (found a folder)")
                raise InputError(f"{name}: parameter {key!r}: {item}: no such {what}"
                                 f"{f' (looked in {base})' if not Path(item).is_absolute() else ''}")
            resolved.append(str(path.resolve()))
        out[key] = resolved if many else resolved[0]
    return out


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
