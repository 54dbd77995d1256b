"""What a file holds, told from its bytes, and reading it whole into a DataFrame.

Every command that reads a table goes through :func:`read_frame`. The format comes from the
content, not the name: gzip (magic ``1f 8b``, any inner format), Parquet (``PAR1``), a JSON array
or object (first character ``[`` or ``{`` spanning lines), JSON lines (one object per line), or
delimited text (CSV; tab, ``;`` or ``|`` when the header holds no comma). Text is UTF-8, with or
without a byte-order mark, or UTF-16 (with a BOM, or told from its NUL bytes); CRLF line ends are
fine. Anything else is refused with one :class:`planner.exceptions.InputError` that names the file
and says what was found and what was expected.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import warnings
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.exceptions import InputError, PlannerWarning

__all__ = ["FileKind", "KIND_LABELS", "sniff", "read_frame", "peek_columns"]

#: Readable name of each kind, for messages.
KIND_LABELS: dict[str, str] = {
    "csv": "CSV", "json": "a JSON array", "jsonl": "JSON lines", "parquet": "Parquet",
}
#: Cell texts read as empty: FOCUS exports write ``null`` for a null value.
NULLS = ["", "null", "NULL"]
_SUFFIX_KIND = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet",
                ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
_HEAD = 1 << 16


@dataclass(frozen=True)
class FileKind:
    """What :func:`sniff` found: ``kind`` (csv, json, jsonl, parquet), ``gzip`` compression,
    the text ``encoding`` and the CSV delimiter ``sep``."""

    kind: str
    gzip: bool = False
    encoding: str = "utf-8"
    sep: str = ","

    @property
    def label(self) -> str:
        """``'gzip-compressed CSV'``, ``'Parquet'`` ..."""
        return ("gzip-compressed " if self.gzip else "") + KIND_LABELS[self.kind]


def _expected(kinds: Iterable[str]) -> str:
    names = list(dict.fromkeys({"csv": "CSV", "json": "JSON", "jsonl": "JSON lines", "parquet": "Parquet"}.get(k, k)
                               for k in kinds))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def sniff(path: str | Path, kinds: Iterable[str] = ("csv", "json", "jsonl", "parquet")) -> FileKind:
    """Tell the format of ``path`` from its first bytes.

    Parameters
    ----------
    path : str or pathlib.Path
        The file.
    kinds : iterable of str
        Formats the caller accepts; only used to say what was expected when the file is none.

    Returns
    -------
    FileKind
    """
    path = Path(path)
    if path.is_dir():
        raise InputError(f"{path}: is a directory, expected a file")
    if not path.exists():
        raise InputError(f"{path}: no such file")
    try:
        with open(path, "rb") as fh:
            head = fh.read(_HEAD)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if not head:
        raise InputError(f"{path}: empty file (0 bytes); expected {_expected(kinds)}")
    compressed = head[:2] == b"\x1f\x8b"
    if compressed:
        try:
            with gzip.open(path, "rb") as fh:
                head = fh.read(_HEAD)
        except (OSError, EOFError, zlib.error) as exc:
            raise InputError(f"{path}: not a valid gzip file ({exc})") from None
        if not head:
            raise InputError(f"{path}: empty file (a gzip archive holding 0 bytes); expected {_expected(kinds)}")
    if head[:4] == b"PAR1":
        return FileKind("parquet", compressed)
    what = path.suffix or "(no suffix)"
    if head[:4] == b"PK\x03\x04":
        raise InputError(f"{path}: wrong file type {what} (a zip archive, e.g. an Excel workbook); "
                         f"expected {_expected(kinds)}: save it as CSV")
    encoding, text = _decode_head(path, head, kinds)
    body = text.lstrip()
    if not body:
        raise InputError(f"{path}: empty file (only blank space); expected {_expected(kinds)}")
    if body[0] == "[":
        return FileKind("json", compressed, encoding)
    if body[0] == "{":
        first = body.split("\n", 1)[0].strip()
        try:
            one_line = isinstance(json.loads(first), dict)
        except ValueError:
            one_line = False
        return FileKind("jsonl" if one_line else "json", compressed, encoding)
    header = body.split("\n", 1)[0]
    sep = "\t" if path.suffix.lower() == ".tsv" else ","
    if "," not in header:
        counts = {s: header.count(s) for s in ("\t", ";", "|")}
        best = max(counts, key=counts.get)
        sep = best if counts[best] else sep
    return FileKind("csv", compressed, encoding, sep)


def _decode_head(path: Path, head: bytes, kinds: Iterable[str]) -> tuple[str, str]:
    """The encoding of a text file (from its BOM or NUL bytes) and its first characters."""
    if head.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    elif b"\x00" in head:
        odd, even = head[1::2].count(0), head[0::2].count(0)
        if odd > len(head) // 4 and even == 0:
            encoding = "utf-16-le"
        elif even > len(head) // 4 and odd == 0:
            encoding = "utf-16-be"
        else:
            raise InputError(f"{path}: wrong file type {path.suffix or '(no suffix)'} (binary content); "
                             f"expected {_expected(kinds)}")
    else:
        encoding = "utf-8"
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(head)
    return encoding, text


def _open(path: Path, fk: FileKind) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if fk.gzip else open(path, "rb")  # noqa: SIM115 (closed by the caller)


def _text(path: Path, fk: FileKind) -> str:
    with _open(path, fk) as fh:
        data = fh.read()
    try:
        return data.decode(fk.encoding)
    except UnicodeDecodeError as exc:
        raise _decode_error(path, data, exc, fk) from None


def _decode_error(path: Path, data: bytes, exc: UnicodeDecodeError, fk: FileKind) -> InputError:
    line = data[: exc.start].count(b"\n") + 1
    byte = data[exc.start: exc.start + 1].hex()
    hint = "; is it latin-1 or Windows-1252? save it as UTF-8" if fk.encoding.startswith("utf-8") else ""
    return InputError(f"{path}: not {fk.encoding.upper().replace('-SIG', '')} text: byte 0x{byte} at line {line} "
                      f"cannot be decoded{hint}")


def read_frame(path: str | Path, kinds: Iterable[str] = ("csv", "parquet")) -> pd.DataFrame:
    """Read a CSV, Parquet, JSON array or JSON-lines file (any of them gzip-compressed) whole.

    Parameters
    ----------
    path : str or pathlib.Path
        The file. Its format is told from its content (:func:`sniff`); a suffix that says
        otherwise (``.parquet`` holding CSV text) gives a warning, not a wrong reading.
    kinds : iterable of str
        Formats the caller accepts, e.g. ``("csv", "parquet")``; ``json`` and ``jsonl`` accept
        each other.

    Returns
    -------
    pandas.DataFrame
        The rows as read, index 0..n-1; CSV cells stay strings (no type guessing), blank and
        ``null`` cells are missing. Column names are stripped of surrounding blanks.
    """
    path = Path(path)
    kinds = tuple(kinds)
    fk = sniff(path, kinds)
    accepted = set(kinds) | ({"json", "jsonl"} if {"json", "jsonl"} & set(kinds) else set())
    if fk.kind not in accepted:
        raise InputError(f"{path}: wrong file type: the content is {fk.label}; expected {_expected(kinds)}")
    named = _SUFFIX_KIND.get(next((s.lower() for s in reversed(path.suffixes) if s.lower() != ".gz"), ""))
    if named is not None and {named, fk.kind} not in ({"json", "jsonl"}, {named}):
        warnings.warn(f"{path}: named {''.join(path.suffixes)} but holds {fk.label}; read as {fk.label}",
                      PlannerWarning, stacklevel=2)
    if fk.kind == "csv":
        frame = _read_csv(path, fk)
    elif fk.kind == "parquet":
        frame = _read_parquet(path, fk)
    else:
        frame = _read_json(path, fk)
    if frame.empty:
        shape = "a header but no data rows" if fk.kind == "csv" else "no records"
        raise InputError(f"{path}: empty file ({shape})")
    frame.columns = [str(c).strip() for c in frame.columns]
    _refuse_repeated_columns(path, list(frame.columns))
    return frame.reset_index(drop=True)


def _read_csv(path: Path, fk: FileKind) -> pd.DataFrame:
    header = _csv_header(path, fk)
    _refuse_repeated_columns(path, header)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            with _open(path, fk) as fh:
                return pd.read_csv(fh, dtype=str, keep_default_na=False, na_values=NULLS, sep=fk.sep,
                                   encoding=fk.encoding, index_col=False)
    except UnicodeDecodeError as exc:
        with _open(path, fk) as fh:
            raise _decode_error(path, fh.read(), exc, fk) from None
    except pd.errors.ParserWarning:
        raise InputError(f"{path}: {_long_row(path, fk, len(header))} has more fields than the header's "
                         f"{len(header)} columns; check the delimiter and the quoting") from None
    except (ValueError, pd.errors.ParserError, csv.Error) as exc:
        fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if fields:
            want, line, saw = (int(g) for g in fields.groups())
            raise InputError(f"{path}: row {line - 1} has {saw} fields, more than the header's {want} columns; "
                             "check the delimiter and the quoting") from None
        raise InputError(f"{path}: cannot be read as CSV: {' '.join(str(exc).split())[:200]}") from None


def _csv_header(path: Path, fk: FileKind) -> list[str]:
    with _open(path, fk) as fh:
        head = fh.read(_HEAD)
    text = codecs.getincrementaldecoder(fk.encoding)(errors="replace").decode(head)
    first = next(csv.reader(io.StringIO(text.lstrip("\r\n")), delimiter=fk.sep), [])
    return [c.strip() for c in first]


def _long_row(path: Path, fk: FileKind, width: int) -> str:
    rows = csv.reader(io.StringIO(_text(path, fk)), delimiter=fk.sep)
    next(rows, None)
    for i, row in enumerate(rows, 1):
        if len(row) > width and any(c.strip() for c in row[width:]):
            return f"row {i}"
    return "a row"


def _refuse_repeated_columns(path: Path, columns: list[str]) -> None:
    seen: dict[str, int] = {}
    for i, name in enumerate(columns, 1):
        if name in seen and name:
            raise InputError(f"{path}: column {name!r} appears twice in the header (columns {seen[name]} and {i}); "
                             "expected each column once")
        seen[name] = i


def _read_parquet(path: Path, fk: FileKind) -> pd.DataFrame:
    try:
        if fk.gzip:
            with _open(path, fk) as fh:
                return pd.read_parquet(io.BytesIO(fh.read()))
        return pd.read_parquet(path)
    except Exception as exc:  # pyarrow's errors are not one class
        raise InputError(f"{path}: cannot be read as Parquet: {' '.join(str(exc).split())[:200]}") from None


def _read_json(path: Path, fk: FileKind) -> pd.DataFrame:
    text = _text(path, fk)
    if fk.kind == "json":
        try:
            data = json.loads(text)
        except ValueError as exc:
            if exc.msg != "Extra data" or not text.lstrip().startswith("{"):  # else: one object per line,
                # the first line longer than the sniffed head
                raise InputError(f"{path}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
            fk = FileKind("jsonl", fk.gzip, fk.encoding)
    if fk.kind == "jsonl":
        records = []
        for i, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except ValueError as exc:
                raise InputError(f"{path}: line {i} is not valid JSON ({exc.msg}); expected one object per line") from None
            if not isinstance(item, dict):
                raise InputError(f"{path}: line {i} is a JSON {type(item).__name__}, expected an object per line")
            records.append(item)
    else:
        if isinstance(data, dict):
            data = next((v for v in data.values() if isinstance(v, list)), [data])
        bad = next((i for i, item in enumerate(data) if not isinstance(item, dict)), None)
        if bad is not None:
            raise InputError(f"{path}: JSON array item {bad + 1} is a {type(data[bad]).__name__}; "
                             "expected one object per row")
        records = data
    return pd.DataFrame.from_records(records)


def peek_columns(path: str | Path) -> list[str]:
    """The column names of a table file without reading all of it (the first JSON record's keys).

    Raises :class:`InputError` as :func:`sniff` does (no such file, directory, empty, binary).
    """
    path = Path(path)
    fk = sniff(path)
    if fk.kind == "csv":
        return _csv_header(path, fk)
    if fk.kind == "parquet" and not fk.gzip:
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(path).names)
        except Exception as exc:  # pyarrow's errors are not one class
            raise InputError(f"{path}: cannot be read as Parquet: {' '.join(str(exc).split())[:200]}") from None
    if fk.kind in ("json", "jsonl"):
        with _open(path, fk) as fh:
            head = fh.read(_HEAD)
        text = codecs.getincrementaldecoder(fk.encoding)(errors="replace").decode(head).lstrip()
        try:
            first, _ = json.JSONDecoder().raw_decode(text.lstrip("[").lstrip())
            if isinstance(first, dict) and not (fk.kind == "json" and text.startswith("{")):
                return [str(k).strip() for k in first]
        except ValueError:
            pass
    return list(read_frame(path, kinds=(fk.kind,)).columns)
