"""Where catalog files come from: an explicit path, the user catalog folder, or the package."""

from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import pandas as pd

from planner.exceptions import CatalogError

__all__ = ["CATALOG_ENV", "user_catalog_dir", "resolve", "read_csv", "catalog_origin"]

#: Environment variable naming the user catalog folder.
CATALOG_ENV = "PLANNER_CATALOG_DIR"


def user_catalog_dir() -> Path:
    """The user catalog folder: ``$PLANNER_CATALOG_DIR``, else ``~/.config/planner/catalog``."""
    if os.environ.get(CATALOG_ENV):
        return Path(os.environ[CATALOG_ENV]).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "planner" / "catalog"


def resolve(name: str, path: str | Path | None = None) -> Path:
    """Return the catalog file to read: ``path``, else the user folder's ``name``, else the packaged one."""
    if path is not None:
        path = Path(path).expanduser()
        if not path.is_file():
            raise CatalogError(f"{path}: no such catalog file")
        return path
    user = user_catalog_dir() / name
    if user.is_file():
        return user
    return Path(str(resources.files("planner.catalog") / "data" / name))


def catalog_origin(name: str, path: str | Path | None = None) -> str:
    """Where the catalog file ``name`` is read from, in words, with its version or date.

    ``"planner's packaged catalog 2026.11 (gpu_offerings.csv)"`` for the packaged file (the version
    in ``data/MANIFEST.md``), ``"catalog file PATH (modified YYYY-MM-DD)"`` for a user's file.
    """
    file = resolve(name, path)
    packaged = Path(str(resources.files("planner.catalog") / "data"))
    if file.parent == packaged:
        try:
            head = (packaged / "MANIFEST.md").read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError):
            head = ""
        found = re.search(r"version ([\w.-]+)", head)
        return f"planner's packaged catalog {found.group(1) if found else '(unversioned)'} ({name})"
    modified = datetime.fromtimestamp(file.stat().st_mtime, UTC).strftime("%Y-%m-%d")
    return f"catalog file {file} (modified {modified})"


def read_csv(path: Path, required: list[str], numeric: list[str], label: str = "catalog") -> pd.DataFrame:
    """Read a catalog CSV (``#`` comment lines allowed), checking columns and numbers.

    The file's kind, encoding and compression are told from its content as for usage files
    (:func:`planner.usage._files.sniff`). Raises :class:`CatalogError` naming the file, the
    column and the 1-based data row.
    """
    from planner.exceptions import InputError
    from planner.usage._io import require_columns, sniff

    try:
        fk = sniff(path, ("csv",))
        if fk.kind != "csv":
            raise CatalogError(f"{path}: wrong file type: the content is {fk.label}; expected CSV")
        frame = pd.read_csv(path, comment="#", dtype=str, keep_default_na=False, na_values=[""],
                            encoding=fk.encoding, compression="gzip" if fk.gzip else None)
        frame.columns = [str(c).strip() for c in frame.columns]
        require_columns(frame, required, str(path), label=label)
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start:exc.start + 1].hex()} cannot be "
                           "decoded; is it latin-1 or Windows-1252?); save it as UTF-8") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        if isinstance(exc, InputError):
            raise CatalogError(str(exc)) from None
        raise CatalogError(f"{path}: cannot be read as CSV: {' '.join(str(exc).split())[:200]}") from None
    if frame.empty:
        raise CatalogError(f"{path}: no rows")
    for col in numeric:
        if col not in frame.columns:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        bad = (values.isna() & frame[col].notna()) | values.isin([float("inf"), float("-inf")])
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0]) + 1
            raise CatalogError(f"{path}: column {col!r} must be a number at row {row} (found {frame[col][bad].iloc[0]!r})")
        if (values < 0).any():
            row = int((values < 0).to_numpy().nonzero()[0][0]) + 1
            raise CatalogError(f"{path}: column {col!r} is negative at row {row}; prices and rates must be >= 0")
        frame[col] = values
    return frame
