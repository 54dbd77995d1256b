"""Reading a YAML file that must hold a mapping, with one-line errors naming the file."""

from __future__ import annotations

from pathlib import Path

import yaml

from planner.exceptions import InputError

__all__ = ["load_mapping"]


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
