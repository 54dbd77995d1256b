"""Writing outputs without destroying a user's files.

Every file or folder planner writes goes through this module:

- A **file** is written to a temporary sibling and moved onto its name (:func:`write_file`) only
  when the writing succeeded; a file that is one of the command's inputs is refused.
- A **folder** written as a whole (:func:`write_folder`) is built in a temporary sibling and
  swapped into place. An existing folder is replaced only when it is *planner-owned*: it holds a
  marker file :data:`MARKER` naming the command that wrote it, and nothing but the entries that
  marker lists. A non-empty folder holding anything else -- the user's files -- is refused, and so
  are the working folder, its ancestors and any folder holding one of the command's inputs.
- A folder that collects several outputs (a dated report folder, :func:`claim_folder`) is created
  with a marker; files are added to it one by one, and only entries it does not hold yet or that
  planner wrote before are replaced.

Every refusal is a :class:`planner.exceptions.PathError` (exit status 2 in the CLI): one line
naming the path and saying what to do. Checks run before any work, so a refused command has
written nothing; :func:`check_file` and :func:`check_folder` make the same checks without writing.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from planner import __version__
from planner.exceptions import PathError

__all__ = ["MARKER", "check_file", "check_folder", "write_file", "write_folder", "claim_folder",
           "safe_component", "make_parents", "remove_made"]

#: Name of the file marking a folder as written by planner (JSON: command, version, entries).
MARKER = ".planner-output"

PathLike = str | os.PathLike[str]

_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def safe_component(name: str, option: str = "--date") -> str:
    """Return ``name`` when it is one safe folder name (no ``/``, ``..`` or leading dot).

    Raises
    ------
    PathError
        ``name`` would reach outside the folder it is put in, or is hidden.
    """
    if not _COMPONENT.fullmatch(name or "") or name in (".", ".."):
        raise PathError(f"{option} {name!r}: expected a date such as 2025-01-31 or one folder name "
                        "(letters, digits, '.', '_', '-'; no '/' and no leading dot)")
    return name


def check_file(target: PathLike, inputs: Iterable[PathLike] = (), option: str = "--output",
               example: str = "out.csv") -> Path:
    """Check that ``target`` may be written as a file; write nothing.

    Parameters
    ----------
    target : str or path
        The file to write.
    inputs : iterable of str or path
        Files the command reads; ``target`` must be none of them.
    option : str
        How the user named ``target`` (e.g. ``--output``), for the message.
    example : str
        A file name to suggest when ``target`` is a folder.

    Returns
    -------
    pathlib.Path
        ``target`` as a path.

    Raises
    ------
    PathError
        ``target`` is a folder, is one of ``inputs``, or a parent of it is a file.
    """
    path = Path(target).expanduser()
    if path.is_dir():
        raise PathError(f"{option} {path}: is a folder; give a file name, e.g. {path / example}")
    for given in inputs:
        if _same(path, given):
            raise PathError(f"{option} {path}: is one of the command's inputs ({given}); "
                            "write the output to another file")
    _check_parents(path, option)
    return path


def check_folder(target: PathLike, inputs: Iterable[PathLike] = (), option: str = "--output",
                 names: Sequence[str] | None = None) -> Path:
    """Check that ``target`` may be written as a folder; write nothing.

    Parameters
    ----------
    target : str or path
        The folder.
    inputs : iterable of str or path
        Files the command reads; ``target`` must not be one of them nor hold one.
    option : str
        How the user named ``target``, for the message.
    names : sequence of str, optional
        ``None``: ``target`` is replaced as a whole, so it must be new, empty or planner-owned and
        hold nothing planner did not write. Otherwise the entries to add to ``target``: it must be
        new, empty or planner-owned, and each name must be absent or written by planner before.

    Returns
    -------
    pathlib.Path
        ``target`` as a path.

    Raises
    ------
    PathError
        ``target`` is a file, a symbolic link, the working folder or one of its ancestors, holds one
        of ``inputs``, or holds files planner did not write (see above).
    """
    path = Path(target).expanduser()
    if path.is_symlink():
        raise PathError(f"{option} {path}: is a symbolic link; give the folder it points to, or a new folder")
    if path.exists() and not path.is_dir():
        raise PathError(f"{option} {path}: is a file, not a folder; choose a new or empty folder")
    _check_parents(path, option)
    real = path.resolve()
    if names is None and _within(Path.cwd().resolve(), real):
        raise PathError(f"{option} {path}: is the working folder or one of its ancestors, which planner "
                        "never replaces; choose a new or empty folder, e.g. out/")
    for given in inputs:
        if names is None and _within(Path(given).expanduser().resolve(), real):
            raise PathError(f"{option} {path}: holds the command's input {given}; choose a new or empty folder")
        if names is not None and any(_same(path / n, given) for n in names):
            raise PathError(f"{option} {path}: would replace the command's input {given}; choose another folder")
    if not path.is_dir():
        return path
    entries = {p.name for p in path.iterdir()}
    if not entries:
        return path
    owned = _read_marker(path)
    if owned is None:
        example = sorted(entries)[0]
        raise PathError(f"{option} {path}: folder holds files planner did not write (e.g. {example!r}; no "
                        f"{MARKER} marker); choose a new or empty folder")
    if names is None:
        foreign = sorted(entries - {MARKER} - set(owned))
        if foreign:
            raise PathError(f"{option} {path}: folder holds files planner did not write there "
                            f"({', '.join(map(repr, foreign[:3]))}); move them away or choose a new or empty folder")
    else:
        clash = sorted(n for n in names if n in entries and n not in owned)
        if clash:
            raise PathError(f"{option} {path}: would replace {', '.join(map(repr, clash))}, which planner did not "
                            "write; move it away or choose another folder")
    return path


@contextmanager
def write_file(target: PathLike, inputs: Iterable[PathLike] = (), option: str = "--output") -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only if the block succeeds.

    :func:`check_file` runs first. Missing parent folders are created, and removed again when the
    block raises, so a failed command leaves nothing behind. The file gets the permissions of a
    newly created file (umask), not the temporary file's owner-only mode.
    """
    inputs = list(inputs)
    path = check_file(target, inputs, option)
    made = make_parents(path.parent, option)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        remove_made(made)
        raise PathError(f"{option} {path}: cannot write in {path.parent}: {exc.strerror}") from None
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        check_file(path, inputs, option)
        os.chmod(tmp_path, 0o666 & ~_umask())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        remove_made(made)
        raise


@contextmanager
def write_folder(target: PathLike, command: str, inputs: Iterable[PathLike] = (),
                 option: str = "--output") -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; it takes ``target``'s place if the block succeeds.

    :func:`check_folder` runs first (and again before the swap). The new folder holds the marker
    :data:`MARKER` listing what it holds, so a later run may replace it. An existing
    planner-owned ``target`` is swapped for the new folder in one step where the system allows it
    (Linux ``renameat2``), else by two renames; the old content is then deleted.

    Parameters
    ----------
    target : str or path
        The folder to write.
    command : str
        What writes it, e.g. ``"planner simulate"``, recorded in the marker.
    inputs : iterable of str or path
        Files the command reads (see :func:`check_folder`).
    option : str
        How the user named ``target``, for messages.
    """
    inputs = list(inputs)
    path = check_folder(target, inputs, option)
    made = make_parents(path.parent, option)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    except OSError as exc:
        remove_made(made)
        raise PathError(f"{option} {path}: cannot write in {path.parent}: {exc.strerror}") from None
    try:
        yield tmp
        check_folder(path, inputs, option)
        _write_marker(tmp, command, sorted(p.name for p in tmp.iterdir() if p.name != MARKER))
        os.chmod(tmp, 0o777 & ~_umask())
        if path.is_dir() and any(path.iterdir()):
            _swap(tmp, path)  # tmp now holds the old content, deleted below
        else:
            if path.is_dir():
                path.rmdir()
            tmp.rename(path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        remove_made(made)
        raise
    shutil.rmtree(tmp, ignore_errors=True)


def claim_folder(target: PathLike, command: str, names: Sequence[str], inputs: Iterable[PathLike] = (),
                 option: str = "--output-dir") -> Path:
    """Make ``target`` a planner-owned folder that ``names`` may be written into; return it.

    :func:`check_folder` with ``names`` runs first; the folder (and missing parents) is created
    with the marker, and ``names`` are added to the marker's list. Write each entry with
    :func:`write_file` or :func:`write_folder`.
    """
    path = check_folder(target, inputs, option, names=list(names))
    made = make_parents(path, option)
    try:
        owned = _read_marker(path) or []
        _write_marker(path, command, sorted(set(owned) | set(names)))
    except BaseException:
        remove_made(made)
        raise
    return path


def make_parents(folder: Path, option: str = "--output") -> list[Path]:
    """Create ``folder`` and its missing parents; return the folders created, deepest first.

    Raises
    ------
    PathError
        A parent exists and is a file.
    """
    _check_parents(folder / "_", option)
    missing = []
    for p in (folder, *folder.parents):
        if p.exists():
            break
        missing.append(p)
    for p in reversed(missing):
        try:
            p.mkdir()
        except FileExistsError:
            if not p.is_dir():
                raise PathError(f"{option}: {p} is a file, not a folder") from None
        except OSError as exc:
            remove_made([q for q in missing if q.exists()])
            raise PathError(f"{option}: cannot create folder {p}: {exc.strerror}") from None
    return missing


def remove_made(made: Sequence[Path]) -> None:
    """Remove the folders :func:`make_parents` created (deepest first), if they are still empty."""
    for p in made:
        try:
            p.rmdir()
        except OSError:
            return


def _check_parents(path: Path, option: str) -> None:
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise PathError(f"{option} {path}: {parent} is a file, not a folder")
            return


def _same(a: PathLike, b: PathLike) -> bool:
    pa, pb = Path(a).expanduser(), Path(b).expanduser()
    if pa.exists() and pb.exists():
        return os.path.samefile(pa, pb)
    return pa.resolve() == pb.resolve()


def _within(inner: Path, outer: Path) -> bool:
    return inner == outer or outer in inner.parents


def _read_marker(folder: Path) -> list[str] | None:
    """The entries the marker of ``folder`` lists, or None when ``folder`` has no marker."""
    marker = folder / MARKER
    if not marker.is_file():
        return None
    try:
        entries = json.loads(marker.read_text(encoding="utf-8")).get("entries", [])
    except (ValueError, AttributeError, OSError):
        return []
    return [e for e in entries if isinstance(e, str)]


def _write_marker(folder: Path, command: str, entries: list[str]) -> None:
    text = json.dumps({"written_by": command, "planner_version": __version__,
                       "written_at": datetime.now(UTC).isoformat(timespec="seconds"), "entries": entries},
                      indent=1) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f"{MARKER}.", suffix=".tmp", dir=folder)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o666 & ~_umask())
    os.replace(tmp, folder / MARKER)


def _swap(new: Path, old: Path) -> None:
    """Exchange two folders: atomically with Linux ``renameat2(RENAME_EXCHANGE)``, else two renames."""
    if _exchange(new, old):
        return
    aside = Path(tempfile.mkdtemp(prefix=f".{old.name}.", suffix=".old", dir=old.parent))
    aside.rmdir()
    old.rename(aside)
    try:
        new.rename(old)
    except BaseException:
        aside.rename(old)
        raise
    aside.rename(new)


def _exchange(a: Path, b: Path) -> bool:
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EPERM, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _umask() -> int:
    """The process umask, read without changing it where Linux allows."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
