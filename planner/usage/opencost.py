"""Kubernetes GPU spend: OpenCost (and Kubecost) allocation exports.

Three shapes are read, told from the content:

- **the allocation API's JSON** as ``GET /allocation`` (``/allocation/compute``, Kubecost's
  ``/model/allocation``) returns it: ``{"code": 200, "data": [{"<name>": {allocation}, ...}, ...]}``,
  one set per ``step``; a bare set or list of allocations is read too. Each allocation carries
  ``properties`` (``cluster``, ``node``, ``namespace``, ``controller``, ``controllerKind``,
  ``pod``, ``container``, ``labels``, ``annotations``), ``window`` / ``start`` / ``end``
  (RFC 3339), ``gpuHours``, ``gpuCost``, ``cpuCost``, ``ramCost`` ... and ``totalCost``
  (OpenCost ``core/pkg/opencost/allocation_json.go``; a NaN figure is written as ``null``);
- **a CSV (or Parquet) of those allocations**, one row per allocation with the same field names
  (``start``, ``end``, ``namespace``, ``controller``, ``pod``, ``gpuHours``, ``gpuCost``,
  ``totalCost``; ``properties.``/``window.`` prefixes and any letter case are accepted; labels as
  a JSON ``labels`` column or ``label_<key>`` / ``labels.<key>`` columns);
- **OpenCost's CSV exporter** file (``Date, Namespace, ControllerKind, ControllerName, Pod,
  Container, Labels, ..., GPUs, ..., GPUCost, TotalCost``; one day per row). It gives the mean
  GPU count while the pod ran (``GPUs``) but not how long it ran, so its GPU-hours cannot be
  told: only ``cost_usd`` is read from it, with a warning.

Each allocation gives ``gpu_hours`` [GPU-h] (``gpuHours``) and ``cost_usd`` [USD] (``totalCost``,
or ``gpuCost`` with ``cost="gpu"``), dated by its window start. Dimensions come from
``dims``: each usage dimension from the first of its sources that is set, a source being an
allocation property (``namespace``, ``controller``, ``controllerKind``, ``pod``, ``container``,
``cluster``, ``node``, ``name``) or ``label:<key>`` / ``annotation:<key>``. By default
``team`` is the ``team`` label, else the namespace (renamed by ``namespace_teams`` when given),
and ``product`` the ``app`` label, else the controller. OpenCost's ``__idle__`` (capacity nobody
requested) and ``__unallocated__`` entries keep that name as their team.

A window whose end is not after its start, a missing or ``null`` figure, a negative
``gpuHours`` and an allocation without a window are errors naming the allocation (or row).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError, PlannerWarning
from planner.usage._files import sniff
from planner.usage._io import note_rows, numeric, parse_time, read_frame, rows_text
from planner.usage.schema import DIMENSIONS, finalize

__all__ = ["read_opencost", "is_opencost", "DEFAULT_DIMS", "PROPERTIES"]

#: Allocation properties a dimension may come from.
PROPERTIES = ("namespace", "controller", "controllerKind", "pod", "container", "cluster", "node", "name")
#: Where each dimension comes from by default: the first source that is set.
DEFAULT_DIMS: dict[str, tuple[str, ...]] = {"team": ("label:team", "namespace"),
                                            "product": ("label:app", "controller")}
_COSTS = {"total": "totalcost", "gpu": "gpucost"}
_SHOWN = {"totalcost": "totalCost", "gpucost": "gpuCost", "gpuhours": "gpuHours"}
#: normalised column name -> field
_ALIASES = {"windowstart": "start", "startdate": "start", "windowend": "end", "enddate": "end",
            "controllername": "controller", "gpuhours": "gpuhours", "gpucost": "gpucost", "totalcost": "totalcost",
            "controllerkind": "controllerkind", "gpus": "gpus", "date": "date"}


def _norm(column: str) -> str:
    text = re.sub(r"^(properties|window)[._]", "", str(column).strip(), flags=re.I)
    return re.sub(r"[^a-z0-9]", "", text.lower())


def is_opencost(path: str | Path, columns: Sequence[str] = ()) -> bool:
    """True when ``path`` looks like an OpenCost / Kubecost allocation export (see the module docstring)."""
    fk = sniff(path)
    if fk.kind in ("json", "jsonl"):
        import gzip

        opener = gzip.open if fk.gzip else open
        with opener(path, "rb") as fh:
            head = fh.read(1 << 16).decode(fk.encoding, errors="replace")
        return '"totalCost"' in head and ('"gpuHours"' in head or '"properties"' in head)
    names = {_ALIASES.get(_norm(c), _norm(c)) for c in columns}
    return "totalcost" in names and "namespace" in names and bool(names & {"start", "date"})


def read_opencost(path: str | Path, source: str = "opencost", dims: Mapping[str, Sequence[str] | str] | None = None,
                  namespace_teams: Mapping[str, str] | None = None, cost: str = "total",
                  constants: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Read an OpenCost / Kubecost allocation export into ``gpu_hours`` and ``cost_usd`` usage rows.

    Parameters
    ----------
    path : str or pathlib.Path
        The allocation API's JSON response, a CSV / Parquet of allocations, or OpenCost's CSV export.
    source : str
        Source name stored with the rows.
    dims : mapping, optional
        ``{dimension: source or [sources]}`` (see the module docstring); replaces
        :data:`DEFAULT_DIMS` for the dimensions it names.
    namespace_teams : mapping, optional
        ``{namespace: team}``: the team of a namespace when ``team`` comes from the namespace.
    cost : {"total", "gpu"}
        ``cost_usd`` is the allocation's ``totalCost`` (every resource it used) or its ``gpuCost``.
    constants : mapping, optional
        Dimension values for every row.

    Returns
    -------
    pandas.DataFrame
        The usage table (``gpu_hours`` [GPU-h], ``cost_usd`` [USD]).
    """
    what = str(path)
    if cost not in _COSTS:
        raise InputError(f"{what}: cost {cost!r}: expected one of {list(_COSTS)}")
    plan = _dims_plan(dims, what)
    frame, origin = _records(path, what)
    if "totalcost" not in frame.columns:
        shown = ", ".join(repr(c) for c in list(frame.columns)[:8] if not c.startswith("_"))
        raise InputError(f"{what}: missing required OpenCost column 'totalCost' (the allocation's total cost); "
                         f"found {shown}")
    named = frame.rename(columns=_SHOWN)
    if "start" in frame.columns:
        start = parse_time(frame["start"], what, "start")
        if "end" not in frame.columns:
            raise InputError(f"{what}: missing required OpenCost column 'end' (the allocation window's end)")
        end = parse_time(frame["end"], what, "end")
        bad = (end <= start).to_numpy()
        if bad.any():
            raise InputError(f"{what}: the window ends before it starts at {_where(frame, bad, origin)} "
                             f"(start {start[bad].iloc[0]}, end {end[bad].iloc[0]}); expected end after start")
    elif "date" in frame.columns:
        start = parse_time(frame["date"], what, "Date")
    else:
        raise InputError(f"{what}: missing required OpenCost column 'start' (or the CSV export's 'Date')")
    _refuse_nulls(frame, ["totalcost", *(["gpucost"] if cost == "gpu" else [])], what, origin)
    value = numeric(named, _SHOWN[_COSTS[cost]], what, nonnegative=False)
    parts = [pd.DataFrame({"ts": start, "metric": "cost_usd", "value": value})]
    if "gpuhours" in frame.columns:
        _refuse_nulls(frame, ["gpuhours"], what, origin)
        parts.append(pd.DataFrame({"ts": start, "metric": "gpu_hours", "value": numeric(named, "gpuHours", what)}))
    else:
        warnings.warn(f"{what}: no gpuHours in this export ("
                      f"{'the CSV exporter gives the mean GPU count while a pod ran, not how long' if 'gpus' in frame.columns else 'no such column'}"
                      "): only cost_usd is read; export /allocation as JSON for GPU-hours", PlannerWarning, stacklevel=2)
    labels = _labels(frame, what, origin)
    values = {dim: _dimension(frame, labels, sources, dim == "team" and namespace_teams) for dim, sources in plan.items()}
    if namespace_teams and "team" in values:
        unmapped = sorted(set(frame["namespace"].dropna().astype(str)) - set(namespace_teams) - {""}) \
            if "namespace" in frame.columns else []
        if unmapped:
            warnings.warn(f"{what}: namespace(s) {unmapped[:5]} are not in namespace_teams: their team is the namespace "
                          "name", PlannerWarning, stacklevel=2)
    long = pd.concat([p.assign(**values) for p in parts], ignore_index=True)
    out = finalize(long, source, constants, what)
    return note_rows(out, what, len(frame), {}, "are left out")


def _dims_plan(dims, what: str) -> dict[str, tuple[str, ...]]:
    plan = dict(DEFAULT_DIMS)
    for dim, sources in (dims or {}).items():
        if dim not in DIMENSIONS:
            raise InputError(f"{what}: dims: unknown dimension {dim!r}; expected some of {list(DIMENSIONS)}")
        items = (sources,) if isinstance(sources, str) else tuple(sources)
        for item in items:
            if not (item in PROPERTIES or re.fullmatch(r"(label|annotation):.+", str(item))):
                raise InputError(f"{what}: dims.{dim}: {item!r} is not an allocation property {list(PROPERTIES)} nor "
                                 "label:<key> / annotation:<key>")
        plan[dim] = items
    return plan


def _records(path, what: str) -> tuple[pd.DataFrame, str]:
    """The allocations as a frame with normalised column names, and how to name a row in messages."""
    fk = sniff(path, ("json", "csv", "parquet"))
    if fk.kind in ("json", "jsonl"):
        return _json_records(path, what), "allocation"
    raw = read_frame(path, kinds=("csv", "parquet"))
    frame = raw.rename(columns=lambda c: _ALIASES.get(_norm(c), _norm(c)))
    label_cols = {c: re.sub(r"^(properties\.)?(labels?[._])", "", c, flags=re.I) for c in raw.columns
                  if re.match(r"^(properties\.)?labels?[._].", c, flags=re.I)}
    if label_cols:
        frame["_labels"] = [{k: str(v) for k, v in zip(label_cols.values(), row, strict=True) if pd.notna(v) and v != ""}
                            for row in raw[list(label_cols)].itertuples(index=False, name=None)]
    return frame, "row"


def _json_records(path, what: str) -> pd.DataFrame:
    import gzip

    fk = sniff(path)
    opener = gzip.open if fk.gzip else open
    with opener(path, "rb") as fh:
        text = fh.read().decode(fk.encoding)
    try:
        doc = json.loads(text)
    except ValueError as exc:
        try:  # JSON lines: one allocation (or one set) per line
            doc = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            raise InputError(f"{what}: not valid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    if isinstance(doc, dict) and "code" in doc and doc.get("code") not in (200, "200"):
        raise InputError(f"{what}: the API answered code {doc.get('code')!r} ({doc.get('message', '')}); expected 200")
    data = doc.get("data", doc) if isinstance(doc, dict) else doc
    sets = data if isinstance(data, list) else [data]
    rows = []
    for i, item in enumerate(sets):
        if isinstance(item, dict) and _is_allocation(item):
            allocations = [(item.get("name", f"[{i}]"), item)]
        elif isinstance(item, dict):
            allocations = list(item.items())
        else:
            raise InputError(f"{what}: data[{i}] is a JSON {type(item).__name__}; expected a set of allocations")
        for name, alloc in allocations:
            if alloc is None:
                continue  # an empty step
            if not isinstance(alloc, dict):
                raise InputError(f"{what}: data[{i}].{name}: expected an allocation object, got {type(alloc).__name__}")
            props = alloc.get("properties") or {}
            window = alloc.get("window") or {}
            rows.append({"_where": f"data[{i}].{name}", "name": alloc.get("name", name),
                         "start": alloc.get("start") or window.get("start"), "end": alloc.get("end") or window.get("end"),
                         **{_norm(k): v for k, v in props.items() if not isinstance(v, (dict, list))},
                         "_labels": {**(props.get("labels") or {})},
                         "_annotations": {**(props.get("annotations") or {})},
                         **{_norm(k): alloc[k] for k in ("gpuHours", "gpuCost", "totalCost") if k in alloc}})
    if not rows:
        raise InputError(f"{what}: empty file (no allocations)")
    frame = pd.DataFrame(rows)
    for key in ("start", "end"):
        missing = frame[key].isna().to_numpy()
        if missing.any():
            raise InputError(f"{what}: {frame['_where'][missing].iloc[0]} has no window {key}; expected RFC 3339 "
                             "times in 'start' / 'end' or 'window'")
    return frame


def _is_allocation(item: dict) -> bool:
    return "totalCost" in item and ("properties" in item or "window" in item or "start" in item)


def _where(frame: pd.DataFrame, mask: np.ndarray, origin: str) -> str:
    if "_where" in frame.columns:
        return str(frame["_where"][mask].iloc[0])
    return rows_text(mask)


def _refuse_nulls(frame: pd.DataFrame, columns: list[str], what: str, origin: str) -> None:
    for col in columns:
        if col not in frame.columns:
            continue
        empty = frame[col].isna().to_numpy()
        if empty.any():
            field = _SHOWN[col]
            raise InputError(f"{what}: {field} is empty (null: OpenCost writes NaN as null) at "
                             f"{_where(frame, empty, origin)}; expected a number")


def _labels(frame: pd.DataFrame, what: str, origin: str) -> list[dict]:
    if "_labels" in frame.columns:
        return [d if isinstance(d, dict) else {} for d in frame["_labels"]]
    if "labels" not in frame.columns:
        return [{} for _ in range(len(frame))]
    out = []
    for i, text in enumerate(frame["labels"]):
        if text is None or (isinstance(text, float) and np.isnan(text)) or str(text).strip() == "":
            out.append({})
            continue
        try:
            parsed = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            raise InputError(f"{what}: column 'Labels' is not a JSON object at row {i + 1}") from None
        if not isinstance(parsed, dict):
            raise InputError(f"{what}: column 'Labels' is not a JSON object at row {i + 1}")
        out.append({str(k): str(v) for k, v in parsed.items()})
    return out


def _dimension(frame: pd.DataFrame, labels: list[dict], sources: Sequence[str], teams) -> np.ndarray:
    """The first non-empty source per allocation; a namespace renamed by ``teams``."""
    annotations = frame["_annotations"] if "_annotations" in frame.columns else [{}] * len(frame)
    out = np.full(len(frame), "", dtype=object)
    for source in reversed(list(sources)):
        if source.startswith("label:"):
            values = np.array([str(d.get(source[6:], "")) for d in labels], dtype=object)
        elif source.startswith("annotation:"):
            values = np.array([str((d or {}).get(source[11:], "")) for d in annotations], dtype=object)
        else:
            col = _norm(source)
            if col not in frame.columns:
                continue
            values = frame[col].fillna("").astype(str).to_numpy(dtype=object)
            if source == "namespace" and teams:
                values = np.array([teams.get(v, v) for v in values], dtype=object)
        out = np.where(values != "", values, out)
    if "name" in frame.columns:
        special = frame["name"].astype(str).isin(["__idle__", "__unallocated__", "__unmounted__"]).to_numpy()
        out = np.where(special & (out == ""), frame["name"].astype(str).to_numpy(), out)
    return out
