"""The embedded store: one DuckDB file holding ingested usage and forecast / plan snapshots.

Location: the ``path`` argument, else ``$PLANNER_STORE``, else
``$XDG_DATA_HOME/planner/planner.duckdb`` (``~/.local/share/planner/planner.duckdb``).

Ingest rules, so nothing ingested is lost or doubled:

- Every :meth:`Store.ingest` call is one transaction: all its files land, or none.
- A file already ingested under the same source (same SHA-256 of its bytes) is skipped.
- A batch replaces, for each series it contains (source, dimensions and metric), the stored
  rows of that series from the batch's first to its last period. Re-ingesting a corrected
  export therefore replaces the old figures, and overlapping exports do not double; series the
  batch does not contain are kept.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from planner.exceptions import InputError, PathError, StoreError
from planner.outputs import make_parents, remove_made
from planner.usage.schema import COLUMNS, DIMENSIONS, validate_usage

__all__ = ["Store", "Batch", "IngestResult", "default_store_path", "STORE_ENV", "LOCK_TIMEOUT_ENV"]

#: Environment variable naming the store file.
STORE_ENV = "PLANNER_STORE"

_SCHEMA_VERSION = 1
_SERIES = ("source", *DIMENSIONS, "metric")
_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS usage (
    ts TIMESTAMP NOT NULL, source VARCHAR NOT NULL,
    {", ".join(f"{d} VARCHAR NOT NULL" for d in DIMENSIONS)},
    metric VARCHAR NOT NULL, value DOUBLE NOT NULL, ingest_id INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS ingests (
    ingest_id INTEGER PRIMARY KEY, created_at TIMESTAMP NOT NULL, source VARCHAR NOT NULL,
    file VARCHAR, digest VARCHAR NOT NULL, format VARCHAR, first_ts TIMESTAMP, last_ts TIMESTAMP,
    rows_added BIGINT NOT NULL, rows_replaced BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    snapshot_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, label VARCHAR,
    created_at TIMESTAMP NOT NULL, settings VARCHAR
);
CREATE TABLE IF NOT EXISTS snapshot_tables (
    snapshot_id INTEGER NOT NULL, name VARCHAR NOT NULL, data BLOB NOT NULL
);
"""


def default_store_path() -> Path:
    """Return the store file used when no path is given (see module docstring)."""
    if os.environ.get(STORE_ENV):
        return Path(os.environ[STORE_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "planner" / "planner.duckdb"


@dataclass(frozen=True)
class Batch:
    """One ingested unit: a usage table and where it came from.

    Attributes
    ----------
    usage : pandas.DataFrame
        Usage table (:mod:`planner.usage.schema`).
    digest : str
        SHA-256 of the file (or of the table's content) for duplicate detection.
    file : str
        File name, or a label for an in-memory table.
    format : str
        Reader format name.
    """

    usage: pd.DataFrame
    digest: str
    file: str = ""
    format: str = ""

    @classmethod
    def of(cls, usage: pd.DataFrame, label: str = "dataframe") -> Batch:
        """Make a batch from an in-memory usage table; its digest hashes the table's content."""
        content = pd.util.hash_pandas_object(usage[list(COLUMNS)], index=False).to_numpy()
        return cls(usage, hashlib.sha256(content.tobytes()).hexdigest(), label, "dataframe")


@dataclass(frozen=True)
class IngestResult:
    """What one :meth:`Store.ingest` call changed.

    Attributes
    ----------
    rows_added : int
        Rows inserted.
    rows_replaced : int
        Stored rows removed because a batch covered the same series and periods.
    skipped : list of str
        Files skipped because they were already ingested under the same source.
    ingest_ids : list of int
        Ids of the new ingest records.
    """

    rows_added: int = 0
    rows_replaced: int = 0
    skipped: list[str] = field(default_factory=list)
    ingest_ids: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """True when the store's usage table changed."""
        return bool(self.rows_added or self.rows_replaced)


class Store:
    """A planner store in one DuckDB file.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        The file; created with its parent folders when missing (and ``create``). Defaults to
        :func:`default_store_path`.
    read_only : bool
        Open without the right to write (the file must exist).
    create : bool
        Create the file when it is missing; with False a missing store is an error, as for
        ``read_only``.
    lock_timeout : float, optional
        How long to wait for another process's lock on the file [s]; default
        ``$PLANNER_LOCK_TIMEOUT``, else 10 s. DuckDB lets one process write a file at a time.

    Notes
    -----
    A store that this object created is removed again (with the folders created for it) when the
    ``with`` block raises, so a failing command leaves no new empty store behind.

    Examples
    --------
    >>> with Store("/tmp/p.duckdb") as store:  # doctest: +SKIP
    ...     store.ingest([Batch(usage, digest)])
    """

    def __init__(self, path: str | Path | None = None, read_only: bool = False, create: bool = True,
                 lock_timeout: float | None = None) -> None:
        self.path = Path(path).expanduser() if path else default_store_path()
        if self.path.is_dir():
            raise PathError(f"{self.path}: is a folder; the store is a file, e.g. {self.path / 'planner.duckdb'}")
        if (read_only or not create) and not self.path.exists():
            raise PathError(f"{self.path}: no store here yet; run `planner ingest` first, or check the path "
                            f"(--store or ${STORE_ENV})")
        self._made: list[Path] = []
        self._created = False
        if not read_only and not self.path.exists():
            self._made = make_parents(self.path.parent, "--store")
            self._created = True
        try:
            self._con = _connect(self.path, read_only, _lock_timeout(lock_timeout))
            if not read_only:
                _q(self._con, _DDL)
                _q(
                    self._con,
                    "INSERT INTO meta VALUES ('schema_version', ?) ON CONFLICT DO NOTHING",
                    [str(_SCHEMA_VERSION)],
                )
        except BaseException as exc:
            self._remove_created()
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"{self.path}: cannot open the store: {exc}") from None
            raise

    def close(self) -> None:
        """Close the database file."""
        self._con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        self.close()
        if exc_type is not None:
            self._remove_created()

    def _remove_created(self) -> None:
        """Remove the file (and folders) this object created; nothing when it opened an existing one."""
        if not self._created:
            return
        for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
            leftover.unlink(missing_ok=True)
        remove_made(self._made)
        self._created = False

    # -- usage ---------------------------------------------------------------------------------
    def ingest(self, batches: Iterable[Batch]) -> IngestResult:
        """Write batches in one transaction (see the module docstring for the rules).

        Parameters
        ----------
        batches : iterable of Batch
            Validated usage tables with their digests.

        Returns
        -------
        IngestResult
            Rows added and replaced, files skipped.
        """
        batches = list(batches)
        for b in batches:
            validate_usage(b.usage, what=b.file or "usage")
        added = replaced = 0
        skipped: list[str] = []
        ids: list[int] = []
        con = self._con
        try:
            _q(con, "BEGIN TRANSACTION")
            for b in batches:
                if b.usage.empty:
                    raise InputError(f"{b.file or 'usage'}: no usage rows to ingest")
                sources = sorted(b.usage["source"].unique())
                seen = con.execute(
                    "SELECT count(*) FROM ingests WHERE digest = ? AND source IN ("
                    + ",".join("?" * len(sources)) + ")",
                    [b.digest, *sources],
                ).fetchall()[0][0]
                if seen:
                    skipped.append(b.file or b.digest[:12])
                    continue
                ingest_id = con.execute("SELECT coalesce(max(ingest_id), 0) + 1 FROM ingests").fetchall()[0][0]
                rows = b.usage[list(COLUMNS)].assign(ingest_id=ingest_id)
                first, last = rows["ts"].min(), rows["ts"].max()
                con.register("_batch", rows)
                _q(con, f"CREATE OR REPLACE TEMP TABLE _keys AS SELECT DISTINCT {', '.join(_SERIES)} FROM _batch")
                match = " AND ".join(f"u.{c} = k.{c}" for c in _SERIES)
                n_old = con.execute(
                    f"SELECT count(*) FROM usage u JOIN _keys k ON {match} WHERE u.ts BETWEEN ? AND ?",
                    [first, last],
                ).fetchall()[0][0]
                _q(
                    con,
                    f"DELETE FROM usage u USING _keys k WHERE {match} AND u.ts BETWEEN ? AND ?",
                    [first, last],
                )
                _q(con, f"INSERT INTO usage SELECT {', '.join(COLUMNS)}, ingest_id FROM _batch")
                con.unregister("_batch")
                _q(
                    con,
                    "INSERT INTO ingests VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [ingest_id, _now(), ",".join(sources), b.file, b.digest, b.format,
                     first, last, len(rows), n_old],
                )
                added += len(rows)
                replaced += n_old
                ids.append(ingest_id)
            _q(con, "COMMIT")
        except BaseException as exc:
            _q(con, "ROLLBACK")
            if isinstance(exc, duckdb.Error):
                raise StoreError(f"{self.path}: ingest failed, nothing was written: {exc}") from None
            raise
        return IngestResult(added, replaced, skipped, ids)

    def usage(
        self,
        start: str | pd.Timestamp | None = None,
        end: str | pd.Timestamp | None = None,
        sources: Sequence[str] | None = None,
        metrics: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Return stored usage as a usage table, optionally filtered.

        Parameters
        ----------
        start, end : str or pandas.Timestamp, optional
            Keep periods with ``start <= ts < end`` (naive UTC).
        sources, metrics : sequence of str, optional
            Keep only these sources / metrics.

        Returns
        -------
        pandas.DataFrame
            The usage table, sorted by time.
        """
        where, params = ["TRUE"], []
        if start is not None:
            where.append("ts >= ?")
            params.append(pd.Timestamp(start))
        if end is not None:
            where.append("ts < ?")
            params.append(pd.Timestamp(end))
        for col, values in (("source", sources), ("metric", metrics)):
            if values:
                where.append(f"{col} IN ({','.join('?' * len(values))})")
                params.extend(values)
        sql = f"SELECT {', '.join(COLUMNS)} FROM usage WHERE {' AND '.join(where)} ORDER BY ts, {', '.join(_SERIES)}"
        frame = self._con.execute(sql, params).df()
        frame["ts"] = frame["ts"].astype("datetime64[ns]")
        return frame

    def ingests(self) -> pd.DataFrame:
        """Return the ingest log: one row per file ingested, with rows added and replaced."""
        return self._con.execute("SELECT * FROM ingests ORDER BY ingest_id").df()

    # -- snapshots -----------------------------------------------------------------------------
    def save_snapshot(
        self,
        kind: str,
        tables: Mapping[str, pd.DataFrame],
        settings: Mapping[str, object] | None = None,
        label: str = "",
        replace: bool = False,
    ) -> int:
        """Save a forecast or plan run: its tables and settings, with the time.

        Parameters
        ----------
        kind : str
            E.g. ``"forecast"`` or ``"plan"``.
        tables : mapping of str to pandas.DataFrame
            Named result tables (stored as Parquet).
        settings : mapping, optional
            JSON-serializable inputs and settings of the run.
        label : str
            Free text, e.g. the month planned.
        replace : bool
            Remove earlier snapshots of the same kind and (non-empty) label in the same
            transaction, so re-running a month's job leaves one snapshot for it.

        Returns
        -------
        int
            The snapshot id.
        """
        con = self._con
        try:
            _q(con, "BEGIN TRANSACTION")
            if replace and label:
                old = "SELECT snapshot_id FROM snapshots WHERE kind = ? AND label = ?"
                _q(con, f"DELETE FROM snapshot_tables WHERE snapshot_id IN ({old})", [kind, label])
                _q(con, "DELETE FROM snapshots WHERE kind = ? AND label = ?", [kind, label])
            sid = con.execute("SELECT coalesce(max(snapshot_id), 0) + 1 FROM snapshots").fetchall()[0][0]
            _q(
                con,
                "INSERT INTO snapshots VALUES (?, ?, ?, ?, ?)",
                [sid, kind, label, _now(), json.dumps(dict(settings or {}), default=str)],
            )
            for name, table in tables.items():
                buf = io.BytesIO()
                table.to_parquet(buf, index=False)
                _q(con, "INSERT INTO snapshot_tables VALUES (?, ?, ?)", [sid, name, buf.getvalue()])
            _q(con, "COMMIT")
        except BaseException:
            _q(con, "ROLLBACK")
            raise
        return int(sid)

    def snapshots(self, kind: str | None = None) -> pd.DataFrame:
        """List saved snapshots (newest last), optionally of one kind."""
        sql = "SELECT snapshot_id, kind, label, created_at, settings FROM snapshots"
        params = []
        if kind:
            sql += " WHERE kind = ?"
            params.append(kind)
        return self._con.execute(sql + " ORDER BY snapshot_id", params).df()

    def load_snapshot(self, snapshot_id: int) -> tuple[dict, dict[str, pd.DataFrame]]:
        """Return ``(meta, tables)`` of a saved snapshot; ``meta`` has kind, label, time, settings."""
        found = _q(
            self._con, "SELECT kind, label, created_at, settings FROM snapshots WHERE snapshot_id = ?", [snapshot_id]
        )
        if not found:
            raise InputError(f"{self.path}: no snapshot with id {snapshot_id}")
        row = found[0]
        meta = {"kind": row[0], "label": row[1], "created_at": row[2], "settings": json.loads(row[3] or "{}")}
        tables = {
            name: pd.read_parquet(io.BytesIO(data))
            for name, data in self._con.execute(
                "SELECT name, data FROM snapshot_tables WHERE snapshot_id = ?", [snapshot_id]
            ).fetchall()
        }
        return meta, tables


#: Environment variable: seconds a command waits for another process's lock on the store (default 10).
LOCK_TIMEOUT_ENV = "PLANNER_LOCK_TIMEOUT"


def _lock_timeout(given: float | None) -> float:
    if given is not None:
        return float(given)
    text = os.environ.get(LOCK_TIMEOUT_ENV, "")
    try:
        return float(text) if text else 10.0
    except ValueError:
        raise InputError(f"${LOCK_TIMEOUT_ENV} {text!r}: expected seconds, e.g. 30") from None


def _connect(path: Path, read_only: bool, timeout: float) -> duckdb.DuckDBPyConnection:
    """Open ``path``, retrying while another process holds its lock, for up to ``timeout`` [s]."""
    deadline = time.monotonic() + timeout
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() + pause > deadline:
                holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(exc))
                who = f"process {holder[2]} ({holder[1]})" if holder else "another process"
                raise StoreError(
                    f"{path}: the store is in use by {who}; waited {timeout:g} s for it to finish. Try again "
                    f"when it is done, or wait longer with ${LOCK_TIMEOUT_ENV}=SECONDS") from None
            time.sleep(pause)
            pause = min(pause * 2, 0.5)


def _q(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[object] | None = None) -> list:
    """Run one statement and consume its result (DuckDB wants every result fetched)."""
    return con.execute(sql, params or []).fetchall()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
