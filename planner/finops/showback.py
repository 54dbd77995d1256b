"""Showback: cost and tokens by team, product and feature, week by week, shared costs allocated.

**Direct cost** is :func:`planner.finops.spend.spend_of` of the usage (the data's ``cost_usd``,
else priced tokens, each price named), counted where its rows say (their ``team``, ``product``,
``feature``...). **Shared costs** are those a team does not run alone, a self-hosted GPU pool or
a provisioned-throughput commitment, named in a shared-costs file (YAML)::

    shared_costs:
      - name: h100-pool
        kind: self-hosted GPU pool          # words shown in the report
        cost_scope: {source: opencost, team: platform}   # the spend rows that are this cost, or:
        # usd_per_week: 12000               # your own figure [USD per week], or usd_per_month
        users: {model: llama-3.3-70b}       # the usage that runs on it
        share_by: tokens                    # tokens (input + cached + cache-write + output) or requests

Each week, a shared cost ``C`` (its ``cost_scope`` spend that week, or ``usd_per_week``, or
``usd_per_month`` x the week's days in each month / that month's days) is allocated to the
groups that used it by their share of it: ``allocated_g = C x tokens_g / sum of tokens`` over
the ``users`` rows of that week, so the allocations add up to ``C``. The spend rows of a
``cost_scope`` leave the direct cost (they are counted once, allocated), and so do the priced
rows of its ``users`` (their tokens are paid by the shared cost, not per token). A week with a
shared cost but no usage to share it by keeps it ``unallocated`` and says so.

:func:`cost_per_outcome` divides each group's cost by its outcome counts
(``outcome:<name>`` metrics, :func:`planner.usage.read_outcomes`) per period.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from planner._yaml import check_schema, load_mapping
from planner.exceptions import InputError
from planner.finops.spend import SCOPE_KEYS, Spend, scope_text, select
from planner.periods import check_freq, period_label
from planner.report import format as fmt
from planner.report.series import series_labels
from planner.report.words import metric_noun
from planner.usage._io import close_match
from planner.usage.schema import DIMENSIONS, OUTCOME_PREFIX

__all__ = ["SharedCost", "read_shared_costs", "Showback", "showback", "cost_per_outcome", "TOKEN_METRICS",
           "week_start"]

#: Metrics that count as tokens in showback and in token shares.
TOKEN_METRICS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens")
_NUMBER = (int, float)
_SCHEMA = {"shared_costs": [{"name": str, "kind": str, "cost_scope": {"*": (str, list)}, "usd_per_week": _NUMBER,
                             "usd_per_month": _NUMBER, "users": {"*": (str, list)}, "share_by": str}]}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._ -]*")


@dataclass(frozen=True)
class SharedCost:
    """One shared cost of a shared-costs file (see the module docstring).

    Attributes
    ----------
    name, kind : str
    cost_scope : dict
        Spend rows that are this cost (empty when it is a fixed amount).
    usd_per_week, usd_per_month : float
        Your figure [USD]; 0 when the cost comes from ``cost_scope``.
    users : dict
        The usage that shares it.
    share_by : {"tokens", "requests"}
    """

    name: str
    kind: str = "shared cost"
    cost_scope: dict = field(default_factory=dict)
    usd_per_week: float = 0.0
    usd_per_month: float = 0.0
    users: dict = field(default_factory=dict)
    share_by: str = "tokens"

    def origin(self) -> str:
        """Where the amount comes from, in words."""
        if self.cost_scope:
            return f"the spend of {scope_text(self.cost_scope)} in your data"
        if self.usd_per_week:
            return f"your figure of USD {self.usd_per_week:,.2f} a week"
        return f"your figure of USD {self.usd_per_month:,.2f} a month, spread evenly over its days"

    def rule(self) -> str:
        """The allocation rule, in one sentence."""
        what = "tokens (input, cached, cache-write and output)" if self.share_by == "tokens" else "requests"
        return (f"{self.name} ({self.kind}): {self.origin()}, split each week among the users of "
                f"{scope_text(self.users)} by their share of its {what} that week.")


def _scope(value: Mapping, at: str) -> dict:
    out = {}
    for key, v in value.items():
        if key not in SCOPE_KEYS:
            near = close_match(key, SCOPE_KEYS, cutoff=0.6)
            raise InputError(f"{at}.{key}: unknown key{f' (did you mean {near!r}?)' if near else ''}; expected some "
                             f"of {list(SCOPE_KEYS)}")
        values = [v] if isinstance(v, str) else v
        if not values or not all(isinstance(x, str) and x for x in values):
            raise InputError(f"{at}.{key}: expected a name or a non-empty list of names, got {v!r}")
        out[key] = list(values)
    return out


def read_shared_costs(path: str | Path) -> list[SharedCost]:
    """Read and check a shared-costs file.

    Raises
    ------
    InputError
        Not YAML, an unknown key, a cost given in none or in several ways (``cost_scope``,
        ``usd_per_week``, ``usd_per_month``), no ``users``, ``share_by`` other than tokens or
        requests, two costs of one name; the message names the file and the key path.
    """
    data = load_mapping(path, "shared costs")
    if "shared_costs" not in data:
        raise InputError(f"{path}: missing key 'shared_costs' (a list with name, users and a cost)")
    check_schema(data, _SCHEMA, str(path), "")
    out, seen = [], set()
    for i, item in enumerate(data["shared_costs"]):
        at = f"{path}: shared_costs[{i}]"
        if "name" not in item or not _NAME.fullmatch(item["name"]):
            raise InputError(f"{at}.name: expected a name (letters, digits, blanks, '.', '_', '-')")
        if item["name"] in seen:
            raise InputError(f"{at}.name: {item['name']!r} is the name of an earlier shared cost")
        seen.add(item["name"])
        given = [k for k in ("cost_scope", "usd_per_week", "usd_per_month") if k in item]
        if len(given) != 1:
            raise InputError(f"{at}: give the cost in one way: cost_scope (spend in your data), usd_per_week or "
                             f"usd_per_month (your figure); found {given or 'none'}")
        if "users" not in item:
            raise InputError(f"{at}: missing key 'users' (the usage the cost is shared by, e.g. {{model: llama-70b}})")
        share_by = item.get("share_by", "tokens")
        if share_by not in ("tokens", "requests"):
            raise InputError(f"{at}.share_by: {share_by!r}; expected tokens or requests")
        for key in ("usd_per_week", "usd_per_month"):
            if key in item and not item[key] > 0:
                raise InputError(f"{at}.{key}: expected an amount > 0 USD, got {item[key]}")
        out.append(SharedCost(item["name"], item.get("kind", "shared cost"),
                              _scope(item.get("cost_scope", {}), f"{at}.cost_scope"),
                              float(item.get("usd_per_week", 0.0)), float(item.get("usd_per_month", 0.0)),
                              _scope(item["users"], f"{at}.users"), share_by))
    return out


def week_start(ts: pd.Series, week: str = "W-MON") -> pd.Series:
    """The label of the week each timestamp is in: the 00:00 of its first day (:mod:`planner.periods`)."""
    return period_label(ts, check_freq(week, "week"))


@dataclass
class Showback:
    """What :func:`showback` made.

    Attributes
    ----------
    weekly : pandas.DataFrame
        ``week, group, <by...>, direct_usd, shared_usd, total_usd, tokens`` per week and group, every
        week of the data.
    change : pandas.DataFrame
        The report week against the week before, per group: ``group, <by...>, total_usd,
        previous_usd, change_usd, change_pct, tokens, previous_tokens, tokens_change_pct``,
        largest ``|change_usd|`` first (the top movers).
    allocations : pandas.DataFrame
        ``week, shared_cost, group, <by...>, quantity, share, allocated_usd`` (``group``
        ``unallocated`` when no usage shared it that week).
    shared : pandas.DataFrame
        ``week, shared_cost, kind, cost_usd, allocated_usd, unallocated_usd, rule``.
    week, previous : pandas.Timestamp
        The report week and the one before it.
    by : list of str
    notes : list of str
    unpriced : pandas.DataFrame
        Usage of the two weeks without a USD figure, not paid by a shared cost: ``source, model,
        metric, quantity, detail``.
    """

    weekly: pd.DataFrame
    change: pd.DataFrame
    allocations: pd.DataFrame
    shared: pd.DataFrame
    week: pd.Timestamp
    previous: pd.Timestamp
    by: list[str]
    notes: list[str] = field(default_factory=list)
    unpriced: pd.DataFrame = field(default_factory=pd.DataFrame)


def showback(usage: pd.DataFrame, spend: Spend, shared: Sequence[SharedCost] = (),
             by: Sequence[str] = ("team", "product", "feature"), week: str | pd.Timestamp | None = None,
             week_freq: str = "W-MON") -> Showback:
    """Weekly cost and tokens per group, with shared costs allocated by usage share.

    Parameters
    ----------
    usage : pandas.DataFrame
        The usage table (tokens, requests; the rows :func:`planner.finops.spend.spend_of` priced).
    spend : Spend
        ``spend_of(usage, prices)``.
    shared : sequence of SharedCost
        :func:`read_shared_costs`.
    by : sequence of str
        Dimensions a group is named by (``team/product/feature``; empty values ``(no team)``).
    week : str or pandas.Timestamp, optional
        A day in the report week; default the last week the data covers whole (the last week with
        data when none is whole, with a note).
    week_freq : str
        ``W-MON`` (weeks from Monday) … ``W-SUN``.

    Returns
    -------
    Showback
    """
    by = [b for b in by if b in DIMENSIONS]
    if not by:
        raise InputError(f"showback: by: expected some of {list(DIMENSIONS)}")
    notes: list[str] = []
    direct = spend.rows.copy()
    tokens = usage[usage["metric"].isin(TOKEN_METRICS)]
    for s in shared:
        if s.cost_scope:
            direct = direct[~_in(direct, s.cost_scope)]
        direct = direct[~_in(direct, s.users)]
    direct = direct.assign(week=week_start(direct["ts"], week_freq), group=_group(direct, by))
    tok = tokens.assign(week=week_start(tokens["ts"], week_freq), group=_group(tokens, by))
    keys = ["week", "group", *by]
    cost = direct.groupby(keys, as_index=False)["usd"].sum().rename(columns={"usd": "direct_usd"})
    counted = tok.groupby(keys, as_index=False)["value"].sum().rename(columns={"value": "tokens"})
    alloc_rows, shared_rows = [], []
    weeks = sorted(set(cost["week"]) | set(counted["week"]))
    for s in shared:
        amounts = _shared_amounts(s, spend.rows, weeks, week_freq)
        users = select(usage, s.users)
        users = users[users["metric"].isin(TOKEN_METRICS if s.share_by == "tokens" else ("requests",))]
        users = users.assign(week=week_start(users["ts"], week_freq), group=_group(users, by))
        per = users.groupby(keys, as_index=False)["value"].sum()
        for w, c in amounts.items():
            mine = per[per["week"] == w]
            total = float(mine["value"].sum())
            if total > 0:
                share = mine["value"] / total
                for r, sh in zip(mine.itertuples(index=False), share, strict=True):
                    alloc_rows.append((w, s.name, r.group, *[getattr(r, b) for b in by], float(r.value), float(sh),
                                       c * float(sh)))
                allocated = c
            else:
                alloc_rows.append((w, s.name, "unallocated", *[""] * len(by), 0.0, np.nan, c))
                allocated = 0.0
                if c:
                    notes.append(f"{s.name}: USD {c:,.2f} in the week of {w:%Y-%m-%d} has no usage of "
                                 f"{scope_text(s.users)} to share it by: left unallocated")
            shared_rows.append((w, s.name, s.kind, c, allocated, c - allocated, s.rule()))
    allocations = pd.DataFrame(alloc_rows, columns=["week", "shared_cost", "group", *by, "quantity", "share",
                                                    "allocated_usd"])
    shared_table = pd.DataFrame(shared_rows, columns=["week", "shared_cost", "kind", "cost_usd", "allocated_usd",
                                                      "unallocated_usd", "rule"])
    given = allocations[allocations["group"] != "unallocated"]
    shared_cost = given.groupby(keys, as_index=False)["allocated_usd"].sum().rename(columns={"allocated_usd": "shared_usd"})
    weekly = cost.merge(shared_cost, on=keys, how="outer").merge(counted, on=keys, how="outer")
    weekly[["direct_usd", "shared_usd", "tokens"]] = weekly[["direct_usd", "shared_usd", "tokens"]].fillna(0.0)
    weekly["total_usd"] = weekly["direct_usd"] + weekly["shared_usd"]
    weekly = weekly[[*keys, "direct_usd", "shared_usd", "total_usd", "tokens"]].sort_values(
        ["week", "total_usd"], ascending=[True, False]).reset_index(drop=True)
    if weekly.empty:
        raise InputError("showback: no cost and no tokens in the usage")
    this, previous = _report_week(usage, weekly, week, week_freq, notes)
    change = _change(weekly, this, previous, by)
    gaps = spend.unpriced_rows
    for s in shared:  # the users' tokens are paid by the shared cost
        gaps = gaps[~_in(gaps, s.users)] if len(gaps) else gaps
    unpriced = []
    if len(gaps):
        gaps = gaps[(gaps["ts"] >= previous) & (gaps["ts"] < this + pd.Timedelta(days=7))]
        for (src, model, metric), g in gaps.groupby(["source", "model", "metric"]):
            why = spend.unpriced.query("source == @src and model == @model and metric == @metric")["detail"]
            detail = why.iloc[0] if len(why) else "no price"
            unpriced.append((src, model, metric, float(g["value"].sum()), detail))
            notes.append(f"{src} {metric_noun(metric)} of {model or 'no model'} in these two weeks "
                         f"({fmt.count(g['value'].sum(), metric_noun(metric))}) have no USD figure and are not counted: "
                         f"{detail}")
    return Showback(weekly, change, allocations, shared_table, this, previous, by, notes,
                    pd.DataFrame(unpriced, columns=["source", "model", "metric", "quantity", "detail"]))


def _in(frame: pd.DataFrame, scope: Mapping) -> np.ndarray:
    return frame.index.isin(select(frame, scope).index)


def _group(frame: pd.DataFrame, by: Sequence[str]) -> np.ndarray:
    return series_labels(frame, by).to_numpy()


def _shared_amounts(s: SharedCost, rows: pd.DataFrame, weeks: list, week_freq: str) -> dict:
    """The shared cost in each week [USD]."""
    if s.cost_scope:
        mine = select(rows, s.cost_scope)
        per = mine.groupby(week_start(mine["ts"], week_freq))["usd"].sum()
        return {w: float(v) for w, v in per.items()}
    out = {}
    for w in weeks:
        if s.usd_per_week:
            out[w] = s.usd_per_week
        else:
            days = pd.date_range(w, periods=7, freq="D")
            out[w] = float(sum(s.usd_per_month / d.days_in_month for d in days))
    return out


def _report_week(usage: pd.DataFrame, weekly: pd.DataFrame, week, week_freq: str, notes: list[str]):
    if week is not None:
        this = week_start(pd.Series([pd.Timestamp(week)]), week_freq).iloc[0]
    else:
        end = usage["ts"].max()
        ts = pd.Series(sorted(set(usage["ts"])))
        gap = ts.diff().dropna()
        end = end + (gap[gap > pd.Timedelta(0)].min() if len(gap) else pd.Timedelta(hours=1))
        whole = [w for w in sorted(set(weekly["week"])) if w + pd.Timedelta(days=7) <= end]
        this = whole[-1] if whole else weekly["week"].max()
        if not whole:
            notes.append(f"no week is covered whole by the data (it ends {end:%Y-%m-%d %H:%M}): showing the week of "
                         f"{this:%Y-%m-%d} as far as it goes")
    return this, this - pd.Timedelta(days=7)


def _change(weekly: pd.DataFrame, this, previous, by: Sequence[str]) -> pd.DataFrame:
    keys = ["group", *by]
    now = weekly[weekly["week"] == this].set_index(keys)[["total_usd", "tokens"]]
    before = weekly[weekly["week"] == previous].set_index(keys)[["total_usd", "tokens"]]
    both = now.join(before.rename(columns={"total_usd": "previous_usd", "tokens": "previous_tokens"}), how="outer")
    both = both.fillna(0.0).reset_index()
    both["change_usd"] = both["total_usd"] - both["previous_usd"]
    both["change_pct"] = np.where(both["previous_usd"] > 0, 100 * both["change_usd"] / both["previous_usd"].where(
        both["previous_usd"] > 0, 1.0), np.nan)
    both["tokens_change_pct"] = np.where(both["previous_tokens"] > 0, 100 * (both["tokens"] / both["previous_tokens"].where(
        both["previous_tokens"] > 0, 1.0) - 1), np.nan)
    order = both["change_usd"].abs().sort_values(ascending=False).index
    cols = [*keys, "total_usd", "previous_usd", "change_usd", "change_pct", "tokens", "previous_tokens",
            "tokens_change_pct"]
    return both.loc[order, cols].reset_index(drop=True)


def cost_per_outcome(weekly: pd.DataFrame, usage: pd.DataFrame, by: Sequence[str] = ("feature",),
                     week_freq: str = "W-MON") -> pd.DataFrame:
    """Cost per useful outcome per group and week.

    Parameters
    ----------
    weekly : pandas.DataFrame
        :attr:`Showback.weekly` of a showback made with the same ``by`` (direct + allocated cost).
    usage : pandas.DataFrame
        Usage with ``outcome:<name>`` rows.
    by : sequence of str
        The dimensions of ``weekly``'s groups.

    Returns
    -------
    pandas.DataFrame
        ``week, group, <by...>, outcome, outcomes, total_usd, usd_per_outcome`` [USD/outcome]
        (NaN where a group had outcomes but no priced cost, or cost but no outcomes: ``outcomes`` 0).
        Empty when the usage holds no outcome.
    """
    rows = usage[usage["metric"].astype(str).str.startswith(OUTCOME_PREFIX)]
    cols = ["week", "group", *by, "outcome", "outcomes", "total_usd", "usd_per_outcome"]
    if rows.empty:
        return pd.DataFrame(columns=cols)
    rows = rows.assign(week=week_start(rows["ts"], week_freq), group=_group(rows, by),
                       outcome=rows["metric"].str.removeprefix(OUTCOME_PREFIX))
    keys = ["week", "group", *by]
    counts = rows.groupby([*keys, "outcome"], as_index=False)["value"].sum().rename(columns={"value": "outcomes"})
    out = counts.merge(weekly[[*keys, "total_usd"]], on=keys, how="left")
    out["usd_per_outcome"] = np.where(out["outcomes"] > 0, out["total_usd"] / out["outcomes"].where(out["outcomes"] > 0, 1),
                                      np.nan)
    return out[cols].sort_values(["outcome", "group", "week"]).reset_index(drop=True)
