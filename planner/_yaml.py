"""Reading a YAML file that must hold a mapping, with one-line errors naming the file."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from planner.exceptions import InputError

__all__ = ["load_mapping", "check_schema"]


def load_mapping(path: str | Path, what: str, error: type[InputError] = InputError) -> dict:
    """Return the mapping in a YAML file; raise ``error`` naming the file when it is unreadable,
    not YAML, or not a mapping at the top level (``what`` names the expected content)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping of {what} keys at the top level")
    return data


def check_schema(value: Any, schema: Any, file: str, where: str, error: type[InputError] = InputError) -> None:
    """Check ``value`` against ``schema``; raise ``error`` naming ``file`` and the key path.

    A schema is a type, a tuple of types, a dict of key -> schema (unknown keys are errors; a
    dict ``{"*": schema}`` takes any key), or a one-item list of a schema (a non-empty list of
    such items). Numbers must be >= 0.
    """
    if isinstance(schema, dict) and schema is not dict:
        if not isinstance(value, Mapping):
            raise error(f"{file}: {where or 'top level'}: expected a mapping, got {type(value).__name__}")
        for key, sub in value.items():
            path = f"{where}.{key}" if where else str(key)
            if "*" in schema:
                check_schema(sub, schema["*"], file, path, error)
                continue
            if key not in schema:
                raise error(f"{file}: unknown key {path}; expected one of {sorted(schema)}")
            check_schema(sub, schema[key], file, path, error)
    elif isinstance(schema, list):
        if not isinstance(value, list) or not value:
            raise error(f"{file}: {where}: expected a non-empty list")
        for i, item in enumerate(value):
            check_schema(item, schema[0], file, f"{where}[{i}]", error)
    else:
        types = schema if isinstance(schema, tuple) else (schema,)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            names = " or ".join(t.__name__ for t in types)
            raise error(f"{file}: {where}: expected {names}, got {value!r}")
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
            raise error(f"{file}: {where}: expected a value >= 0, got {value}")
