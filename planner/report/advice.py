"""The one sentence a report advises with, where it has a decision to make.

- :func:`commitment_advice`: which GPU reservations to buy, from a commitment comparison;
- :func:`plan_advice`: what a capacity plan buys and what it is expected to cost and save;
- :func:`scenario_advice`: which what-if scenario costs least, against the baseline.

Each sentence names the figures it rests on (expected cost, saving against the alternative,
whole-term obligation), all formatted by :mod:`planner.report.format`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.report import format as fmt
from planner.report import words
from planner.report.pricing import CapacityPrices
from planner.report.series import how_long

__all__ = ["commitment_advice", "plan_advice", "purchase_names", "scenario_advice", "HOURS_PER_YEAR", "MIN_UNITS"]

#: Hours in one year of a reservation term [h] (365 days).
HOURS_PER_YEAR = 8760.0

#: Reservations of fewer GPUs than this are not advised (GPUs are reserved whole) [GPUs].
MIN_UNITS = 0.5


def _versus(saving_pct: float, what: str) -> str:
    """``8 % less than <what>`` / ``3 % more than <what>`` / ``the same as <what>`` (``about the
    same as`` when the difference rounds to 0 %)."""
    if saving_pct != 0 and fmt.pct(abs(saving_pct)) == "0 %":
        return f"about the same as {what}"
    if saving_pct > 0:
        return f"{fmt.pct(saving_pct)} less than {what}"
    if saving_pct < 0:
        return f"{fmt.pct(-saving_pct)} more than {what}"
    return f"the same as {what}"


def commitment_advice(options: pd.DataFrame, prices: CapacityPrices, start: pd.Timestamp | str,
                   horizon_days: float) -> str:
    """One sentence saying what to buy: the option of
    :func:`planner.report.commitments.commitment_options` with the lowest
    expected cost, its start, expected cost over the horizon and saving against all on-demand,
    and what its reservations commit over their whole term.

    The whole-term commitment is reserved GPUs x reserved USD per GPU-hour x
    :data:`HOURS_PER_YEAR` x the term's years [USD]; the comparison itself charges only the hours
    of the horizon.

    Parameters
    ----------
    options : pandas.DataFrame
        The table of :func:`planner.report.commitments.commitment_options`.
    prices : CapacityPrices
        The prices the options were computed with (GPU type and cloud named in the sentence).
    start : pandas.Timestamp or str
        First period of the horizon.
    horizon_days : float
        Time the options were compared over [days].

    Returns
    -------
    str
        E.g. ``Buy 24 A100-80GB 1-year reservations on AWS from 2025-02-01: expected USD 1.2 M
        over 30 days, 8 % less than all on-demand. ...``
    """
    best = options.loc[options["expected_cost_usd"].idxmin()]
    over = f"over {fmt.number(horizon_days)} days"
    if not best["reserved_units"] > 0:
        return (f"Reserve nothing: all on-demand is the cheapest option, expected "
                f"{fmt.usd(best['expected_cost_usd'], compact=True)} {over}.")
    gpus = float(best["reserved_gpus"])
    where = f" on {words.cloud_name(prices.cloud)}" if prices.cloud else ""
    what = (f"{fmt.count(gpus)} {prices.gpu_type} {best['term']} reservations{where}" if prices.gpu_type else
            f"{best['term']} reservations for {fmt.count(gpus, 'GPUs')}{where}")
    if prices.metric == "node_hours" and prices.gpus_per_unit != 1:
        what += f" ({fmt.count(best['reserved_units'], 'nodes')} of {fmt.number(prices.gpus_per_unit)} GPUs)"
    versus = _versus(float(best["savings_vs_on_demand_pct"]), "all on-demand")
    years = 3 if best["term"] == "3-year" else 1
    term_usd = gpus * float(best["reserved_usd_per_gpu_hour"]) * HOURS_PER_YEAR * years
    return (f"Buy {what} from {fmt.date(start)}: expected {fmt.usd(best['expected_cost_usd'], compact=True)} "
            f"{over}, {versus}. The reservations commit {fmt.usd(term_usd, compact=True)} over their "
            f"{best['term']} term; the comparison charges only the {fmt.number(horizon_days)} days compared.")


def _sold(units: float, unit: str, gpu: str = "") -> str:
    """``3 H100 8-GPU instances (p5.48xlarge)``: a count of a provider's sold unit, made plural."""
    name, paren, rest = str(unit).partition(" (")
    if float(units) != 1 and not name.endswith("s"):
        name += "s"
    return f"{fmt.count(units)} {gpu + ' ' if gpu else ''}{name}{paren}{rest}"


def purchase_names(purchases: pd.DataFrame) -> tuple[list[str], list[str]]:
    """What a plan's ``purchases`` table buys, in words, one phrase per pool and term, and the
    reservations of fewer than :data:`MIN_UNITS` GPUs left out (a continuous plan's fractions).

    ``purchases`` has ``what, kind, pool, term, start, units, unit, gpus`` (reserved rows: ``pool``
    a GPU pool ``<gpu>@<cloud>``, ``units`` sold units of ``unit``, ``gpus`` the GPUs in them).

    Returns
    -------
    (list of str, list of str)
        E.g. ``["3 H100 8-GPU instances (p5.48xlarge) on 1-year reservations on AWS from
        2025-01-20 (1 more from 2025-01-27)", "2,415 units (PTU of 2,500 tokens/min) of
        provisioned gpt-4o-ptu (gpt-4o) on a 1-month term from 2025-01-20"]`` (reservations of
        single GPUs as ``24 H100 1-year reservations on AWS from ...``) and e.g.
        ``["0.000767 GPUs of H100 on AWS"]``.
    """
    parts, small = [], []
    reserved = purchases[purchases["kind"] == "reserved"]
    for (pool, term), rows in reserved.groupby(["pool", "term"], sort=False):
        gpu, _, cloud = str(pool).partition("@")
        rows = rows.sort_values("start")
        whole, tiny = rows[rows["gpus"] >= MIN_UNITS], rows[rows["gpus"] < MIN_UNITS]
        if len(tiny):
            small.append(f"{fmt.count(tiny['gpus'].sum(), 'GPUs')} of {words.pool_name(pool)}")
        if whole.empty:
            continue
        first, *later = list(whole.itertuples())
        where = f"{' on ' + words.cloud_name(cloud) if cloud else ''} from {fmt.date(first.start)}"
        if str(first.unit) == "GPU":
            text = f"{fmt.count(first.gpus)} {gpu} {words.term_name(term)} reservations{where}"
            more = [f"{fmt.count(r.gpus)} more from {fmt.date(r.start)}" for r in later]
        else:  # in the provider's sold units
            text = f"{_sold(first.units, first.unit, gpu)} on {words.term_name(term)} reservations{where}"
            more = [f"{fmt.count(r.units)} more from {fmt.date(r.start)}" for r in later]
        if more:
            text += " (" + ", ".join(more) + ")"
        parts.append(text)
    for r in purchases[purchases["kind"] != "reserved"].itertuples():
        term = f" on a {words.term_name(r.term)} term" if r.term and r.term == r.term and r.term != "hourly" else ", hourly"
        parts.append(f"{fmt.count(r.units)} units ({r.unit}) of {r.what}{term} from {fmt.date(r.start)}")
    return parts, small


def plan_advice(purchases: pd.DataFrame, baselines: pd.DataFrame, horizon: dict, window: dict | None = None,
                horizon_cost_usd: float | None = None) -> str:
    """One sentence saying what a capacity plan buys, what it is expected to cost and save, and
    what its commitments oblige over their whole terms.

    Parameters
    ----------
    purchases : pandas.DataFrame
        The plan's ``purchases`` table (:func:`purchase_names`; ``obligation_usd`` the whole
        term's commitment, ``in_horizon_usd`` the part of it inside the horizon [USD]).
    baselines : pandas.DataFrame
        The plan's ``baselines`` table (``option, expected_cost_usd, plan_saves_pct``; the first
        row is the plan, and an ``all on-demand`` row when there is one).
    horizon : dict
        The plan summary's ``horizon`` (``start``, ``hours``).
    window : dict, optional
        The plan summary's ``window`` (``months``) when the plan's costs cover its commitments'
        whole terms: the baselines' costs are then over the window, and ``horizon_cost_usd``
        (the summary's ``expected_horizon_cost_usd`` [USD]) is the part inside the horizon.
    horizon_cost_usd : float, optional
        See ``window``.

    Reservations of fewer than :data:`MIN_UNITS` GPUs are named apart instead of advised.

    Returns
    -------
    str
        E.g. ``Buy 2,415 units (PTU of 2,500 tokens/min) of provisioned gpt-4o-ptu (gpt-4o) on a
        1-month term from 2025-01-20: expected USD 1.66 M over the plan's 14 days and USD 138 M
        over the 36.2 months its commitments are priced on, about the same as all on-demand. The
        commitments oblige USD 639,941 over their whole terms, USD 289,006 of it inside the
        plan's 14 days.``
    """
    plan_cost = float(baselines["expected_cost_usd"].iloc[0])
    span = how_long(pd.Timedelta(hours=float(horizon["hours"])))
    od = baselines[baselines["option"].str.startswith("all on-demand")]
    versus = ""
    if len(od):
        versus = ", " + _versus(float(od["plan_saves_pct"].iloc[0]), "all on-demand")
    if window is not None and horizon_cost_usd is not None:
        cost = (f"expected {fmt.usd(horizon_cost_usd, compact=True)} over the plan's {span} and "
                f"{fmt.usd(plan_cost, compact=True)} over the {fmt.number(window['months'])} months its commitments "
                f"are priced on{versus}")
    else:
        cost = f"expected {fmt.usd(plan_cost, compact=True)} over the plan's {span}{versus}"
    if purchases.empty:
        return f"Commit to nothing: on-demand, spot and API capacity is the cheapest plan, {cost}."
    parts, small = purchase_names(purchases)
    sentence = (f"Buy {words.names(parts, most=len(parts))}: {cost}." if parts else
                f"Reserve no whole GPU: {cost}.")
    if small:
        sentence += (f" Reservations under {fmt.number(MIN_UNITS)} GPU ({words.names(small, most=len(small))}) are "
                     "left out of this advice (GPUs are reserved whole): serve that demand on demand, or round it up "
                     "to a whole GPU.")
    obliged = float(purchases["obligation_usd"].sum())
    if obliged > 0:
        sentence += (f" The commitments oblige {fmt.usd(obliged, compact=True)} over their whole terms, "
                     f"{fmt.usd(purchases['in_horizon_usd'].sum(), compact=True)} of it inside the plan's {span}.")
    return sentence


def scenario_advice(summary: pd.DataFrame, months: int) -> str:
    """One sentence naming the what-if scenario with the lowest expected cost, against the baseline.

    Parameters
    ----------
    summary : pandas.DataFrame
        :meth:`planner.simulate.Comparison.summary`, one row per scenario (``scenario`` as index or
        column; the first row is the baseline): ``cost_mean_usd, cost_p5_usd, cost_p95_usd``
        [USD over the horizon], optionally ``accuracy`` [0-1] and ``task_completion_<workload>``
        [0-1].
    months : int
        Months the costs cover.

    Returns
    -------
    str
        E.g. ``Of the 3 scenarios, cascade_routing costs least: expected USD 217,738 over 12 months
        (90 % range USD 209,424 to USD 226,236), 27 % less than the baseline (USD 299,010).``
    """
    table = summary.reset_index() if "scenario" not in summary.columns else summary.reset_index(drop=True)
    over = f"over {fmt.count(months, 'months')}"
    base = table.iloc[0]
    baseline = "the baseline" if str(base["scenario"]).lower() == "baseline" else f"the baseline {base['scenario']}"
    best = table.loc[table["cost_mean_usd"].idxmin()]
    if best["scenario"] == base["scenario"] or len(table) == 1:
        others = ("no other scenario is" if len(table) == 1 else "the other scenario is not" if len(table) == 2
                  else f"none of the other {len(table) - 1:,} scenarios is")
        return f"Keep {baseline}: {others} expected to cost less than its {fmt.usd(base['cost_mean_usd'])} {over}."
    saving = 100 * (1 - best["cost_mean_usd"] / base["cost_mean_usd"]) if base["cost_mean_usd"] else 0.0
    text = (f"Of the {fmt.count(len(table), 'scenarios')}, {best['scenario']} costs least: expected "
            f"{fmt.usd(best['cost_mean_usd'])} {over} (90 % range {fmt.usd(best['cost_p5_usd'])} to "
            f"{fmt.usd(best['cost_p95_usd'])}), {_versus(saving, baseline)} ({fmt.usd(base['cost_mean_usd'])}).")
    ties = table[(table["scenario"] != best["scenario"])
                 & np.isclose(table["cost_mean_usd"], best["cost_mean_usd"], rtol=0.005)]["scenario"].tolist()
    if ties:
        text += f" {words.names(ties)} {'costs' if len(ties) == 1 else 'cost'} about the same."
    if "accuracy" in table.columns and not fmt.missing(best["accuracy"]):
        text += f" Its measured accuracy is {fmt.share(best['accuracy'])}."
    for col in [c for c in table.columns if c.startswith("task_completion_")]:
        if not fmt.missing(best[col]) and best[col] < 1:
            text += f" It completes {fmt.share(best[col])} of {col.removeprefix('task_completion_')} tasks."
    return text
