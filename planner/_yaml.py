"""Reading a YAML file that must hold a mapping, with one-line errors naming the file.

Only plain YAML is read (``yaml.SafeLoader``: a ``!!python/object`` tag is an error), and a
document whose aliases would expand to more than :data:`MAX_NODES` values (a "billion laughs"
alias bomb) is refused before anything walks it.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from planner.exceptions import InputError

__all__ = ["load_mapping", "check_schema", "MAX_NODES"]

#: Most values (scalars, lists, mappings) a configuration may hold once aliases are expanded.
MAX_NODES = 100_000


class _AliasBomb(yaml.YAMLError):
    pass


class _Loader(yaml.SafeLoader):
    """SafeLoader that counts the values a document expands to (aliases included) before
    constructing it, in time linear in the document's size."""

    def compose_document(self):  # noqa: ANN201 (PyYAML's signature)
        node = super().compose_document()
        sizes: dict[int, int] = {}

        def size(n: yaml.Node) -> int:
            if id(n) in sizes:
                return sizes[id(n)]
            sizes[id(n)] = 1  # a recursive alias counts once
            if isinstance(n, yaml.SequenceNode):
                total = 1 + sum(size(c) for c in n.value)
            elif isinstance(n, yaml.MappingNode):
                total = 1 + sum(size(k) + size(v) for k, v in n.value)
            else:
                total = 1
            sizes[id(n)] = min(total, MAX_NODES + 1)
            return sizes[id(n)]

        if node is not None and size(node) > MAX_NODES:
            raise _AliasBomb(f"its aliases expand to more than {MAX_NODES:,} values (an alias bomb?)")
        return node


def load_mapping(path: str | Path, what: str, error: type[InputError] = InputError) -> dict:
    """Return the mapping in a YAML file; raise ``error`` naming the file when it is unreadable,
    not YAML, or not a mapping at the top level (``what`` names the expected content)."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_Loader)  # noqa: S506 (a SafeLoader subclass)
    except IsADirectoryError:
        raise error(f"{path}: is a directory, expected a YAML file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read the {what}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        raise error(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start:exc.start + 1].hex()} cannot be "
                    "decoded); save it as UTF-8") from None
    except _AliasBomb as exc:
        raise error(f"{path}: refused: {exc}") from None
    except yaml.YAMLError as exc:
        raise error(f"{path}: not valid YAML: {' '.join(str(exc).split())}") from None
    except RecursionError:
        raise error(f"{path}: refused: nested too deeply") from None
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
                near = difflib.get_close_matches(str(key), [str(k) for k in schema], n=1, cutoff=0.6)
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise error(f"{file}: unknown key {path}{hint}; expected one of {sorted(schema)}")
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
