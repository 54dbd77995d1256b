"""Altair chart builders for the reports: small data, rendered offline as SVG.

Every builder aggregates its input to at most :data:`MAX_ROWS` rows before handing it to altair
(which refuses more than 5,000 rows), and :func:`use_svg` makes notebooks display charts as SVG
through vl-convert, so a report needs no JavaScript and no network.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

__all__ = ["MAX_ROWS", "use_svg", "coarsen", "history_chart", "forecast_chart", "bar_chart", "line_chart",
           "spend_chart", "budget_chart", "value_axis", "LABEL_EXPR"]

#: Most rows a chart is given (altair's own limit is 5,000).
MAX_ROWS = 5000

#: Vega expression labelling an axis the way :mod:`planner.report.format` writes numbers: thousands
#: separators, millions / billions / trillions as ``M`` / ``B`` / ``T``, never e-notation.
LABEL_EXPR = (
    "abs(datum.value) >= 1e12 ? format(datum.value / 1e12, ',.3~r') + ' T'"
    " : abs(datum.value) >= 1e9 ? format(datum.value / 1e9, ',.3~r') + ' B'"
    " : abs(datum.value) >= 1e6 ? format(datum.value / 1e6, ',.3~r') + ' M'"
    " : format(datum.value, ',.4~r')"
)

_HISTORY, _FORECAST = "#4c78a8", "#f58518"


def value_axis(title: str | None) -> alt.Axis:
    """An axis for amounts and quantities: ``title`` and labels as :data:`LABEL_EXPR` writes them."""
    return alt.Axis(title=title, labelExpr=LABEL_EXPR)

_STEPS = ("h", "D", "W-MON", "MS", "QS", "YS")


def use_svg() -> None:
    """Display altair charts as static SVG (rendered by vl-convert, no CDN)."""
    alt.renderers.enable("svg")


def coarsen(frame: pd.DataFrame, max_rows: int = MAX_ROWS, x: str = "ds", y: Sequence[str] = ("y",),
            by: Sequence[str] = ("unique_id",)) -> pd.DataFrame:
    """Average ``y`` columns over coarser periods until the frame has at most ``max_rows`` rows.

    Tries hourly, daily, weekly, monthly, quarterly and yearly periods in turn; values are the
    mean per original period, so their unit does not change.

    Parameters
    ----------
    frame : pandas.DataFrame
        Long table with a datetime column ``x``, value columns ``y`` and key columns ``by``.
    max_rows : int
        Row budget.

    Returns
    -------
    pandas.DataFrame
        ``frame`` itself when small enough, else the averaged table with the same columns.
    """
    if len(frame) <= max_rows:
        return frame
    keys = [b for b in by if b in frame.columns]
    cols = [c for c in y if c in frame.columns]
    for step in _STEPS:
        period = frame[x].dt.to_period(step).dt.start_time if step != "h" else frame[x].dt.floor("h")
        out = frame.assign(**{x: period}).groupby([*keys, x], as_index=False)[cols].mean()
        if len(out) <= max_rows:
            return out
    raise ValueError(f"cannot reduce {len(frame)} rows below {max_rows}: too many series")


def line_chart(frame: pd.DataFrame, x: str, y: str, color: str | None = None, title: str = "",
               y_title: str | None = None, width: int = 640, height: int = 260, dates: bool = False) -> alt.Chart:
    """A line chart of ``y`` over ``x``, one line per ``color`` value (named in the legend by its
    values: give ``color`` a column of words); ``dates`` labels the time axis by day (``Mar 03``)
    for weekly or monthly points."""
    axis = alt.Axis(format="%b %d", labelAngle=0) if dates else alt.Axis()
    enc = {"x": alt.X(f"{x}:T", title=None, axis=axis), "y": alt.Y(f"{y}:Q", axis=value_axis(y_title or y))}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None, legend=alt.Legend(labelLimit=400))
    data = coarsen(frame, x=x, y=[y], by=[color] if color else [])
    chart = alt.Chart(data, title=title)
    chart = chart.mark_line(point=True) if dates else chart.mark_line()
    return chart.encode(**enc).properties(width=width, height=height)


def history_chart(series: pd.DataFrame, title: str = "", y_title: str = "") -> alt.Chart:
    """Usage history in Nixtla long format (``unique_id, ds, y``), one line per series."""
    return line_chart(series, "ds", "y", color="unique_id", title=title, y_title=y_title)


def forecast_chart(history: pd.DataFrame, forecast: pd.DataFrame, level: int = 80, title: str = "",
                   y_title: str = "", last: int | None = None, width: int = 640,
                   height: int = 220) -> alt.Chart:
    """History, point forecast and the ``level`` % interval band, faceted by series; one legend
    names them (``history``, ``forecast``, ``80 % interval``).

    Parameters
    ----------
    history : pandas.DataFrame
        ``unique_id, ds, y``.
    forecast : pandas.DataFrame
        ``unique_id, ds, forecast, lo-<level>, hi-<level>`` (the forecast contract).
    level : int
        Interval drawn as a band [%].
    last : int, optional
        Keep only the last ``last`` history periods of each series.
    """
    hist = history if last is None else history.groupby("unique_id", group_keys=False).tail(last)
    lo, hi = f"lo-{level}", f"hi-{level}"
    fc = forecast[["unique_id", "ds", "forecast", lo, hi]].rename(columns={lo: "lo", hi: "hi"})
    n = max(hist["unique_id"].nunique(), 1)
    budget = MAX_ROWS // 2
    hist = coarsen(hist, budget, y=["y"])
    fc = coarsen(fc, budget, y=["forecast", "lo", "hi"])
    names = ["history", "forecast", f"{level} % interval"]
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=names, range=[_HISTORY, _FORECAST, "#fdd0a2"]),
                      legend=alt.Legend(orient="top"))
    frames = []
    for uid in sorted(set(hist["unique_id"]) | set(fc["unique_id"])):
        h = hist[hist["unique_id"] == uid].assign(what=names[0])
        f = fc[fc["unique_id"] == uid]
        base = alt.Chart(h).encode(x=alt.X("ds:T", title=None))
        band = alt.Chart(f.assign(what=names[2])).mark_area(opacity=0.6).encode(
            x="ds:T", y=alt.Y("lo:Q", axis=value_axis(y_title)), y2="hi:Q", color=color)
        line = alt.Chart(f.assign(what=names[1])).mark_line().encode(x="ds:T", y="forecast:Q", color=color)
        past = base.mark_line().encode(y=alt.Y("y:Q", axis=value_axis(y_title)), color=color)
        frames.append((past + band + line).properties(
            title=str(uid), width=width, height=height if n == 1 else max(120, height // 2)))
    chart = alt.vconcat(*frames) if frames else alt.Chart(pd.DataFrame()).mark_point()
    return chart.properties(title=title) if title else chart


def bar_chart(frame: pd.DataFrame, x: str, y: str, color: str | None = None, title: str = "",
              horizontal: bool = True, width: int = 560, value_title: str | None = None) -> alt.Chart:
    """A bar chart of ``y`` per ``x`` category (horizontal by default: long labels fit); the value
    axis is titled ``value_title`` (none by default: say the unit in ``title``)."""
    data = frame.head(MAX_ROWS)
    cat = (alt.Y(f"{x}:N", sort="-x", title=None, axis=alt.Axis(labelLimit=320)) if horizontal else
           alt.X(f"{x}:N", sort="-y", title=None))
    val = (alt.X(f"{y}:Q", axis=value_axis(value_title)) if horizontal else
           alt.Y(f"{y}:Q", axis=value_axis(value_title)))
    enc = {"y": cat, "x": val} if horizontal else {"x": cat, "y": val}
    if color:
        enc["color"] = alt.Color(f"{color}:N", title=None)
    height = max(60, 22 * data[x].nunique()) if horizontal else 260
    return alt.Chart(data, title=title).mark_bar().encode(**enc).properties(width=width, height=height)


def spend_chart(burn: pd.DataFrame, title: str = "cumulative projected spend", width: int = 640,
                height: int = 260) -> alt.Chart:
    """Cumulative projected spend and its 95 % band; one legend names them (``projected spend``,
    ``95 % band``). Budgets have their own chart (:func:`budget_chart`).

    Parameters
    ----------
    burn : pandas.DataFrame
        :func:`planner.report.tables.budget_burn`: ``ds, cum_usd, cum_lo_usd, cum_hi_usd`` [USD].
    """
    data = coarsen(burn[["ds", "cum_usd", "cum_lo_usd", "cum_hi_usd"]], x="ds",
                   y=["cum_usd", "cum_lo_usd", "cum_hi_usd"], by=[])
    names = ["projected spend", "95 % band"]
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=names, range=[_HISTORY, "#c6dbef"]))
    axis = value_axis("USD")
    band = alt.Chart(data.assign(what=names[1])).mark_area(opacity=0.8).encode(
        x=alt.X("ds:T", title=None), y=alt.Y("cum_lo_usd:Q", axis=axis), y2="cum_hi_usd:Q", color=color)
    line = alt.Chart(data.assign(what=names[0])).mark_line().encode(x="ds:T", y=alt.Y("cum_usd:Q", axis=axis),
                                                                      color=color)
    return (band + line).properties(title=title, width=width, height=height)


def budget_chart(burn: pd.DataFrame, amount_usd: float, thresholds: Sequence[float] = (), level: int = 80,
                 title: str = "", width: int = 640, height: int = 240) -> alt.Chart:
    """One budget's period: cumulative spend so far, its forecast to the period's end with the
    ``level`` % band, the amount as a solid rule and each threshold as a dashed one.

    Parameters
    ----------
    burn : pandas.DataFrame
        One budget's rows of :attr:`planner.finops.budgets.BudgetStatus.burn`: ``ds, actual_usd,
        forecast_usd, lo_usd, hi_usd`` [USD].
    amount_usd : float
        The budget [USD].
    thresholds : sequence of float
        Alert thresholds [% of the amount]; 100 is the amount itself.
    """
    names = ["spent", "forecast", f"{level} % band", "budget"]
    color = alt.Color("what:N", title=None, scale=alt.Scale(domain=names, range=[_HISTORY, _FORECAST, "#fdd0a2",
                                                                                 "#d62728"]),
                      legend=alt.Legend(orient="top"))
    axis = value_axis("USD")
    actual = burn.dropna(subset=["actual_usd"]).assign(what=names[0])
    ahead = burn.dropna(subset=["forecast_usd"])
    layers = [alt.Chart(actual).mark_line().encode(x=alt.X("ds:T", title=None), y=alt.Y("actual_usd:Q", axis=axis),
                                                   color=color)]
    if len(ahead):
        layers.append(alt.Chart(ahead.assign(what=names[2])).mark_area(opacity=0.6).encode(
            x="ds:T", y=alt.Y("lo_usd:Q", axis=axis), y2="hi_usd:Q", color=color))
        layers.append(alt.Chart(ahead.assign(what=names[1])).mark_line().encode(
            x="ds:T", y=alt.Y("forecast_usd:Q", axis=axis), color=color))
    rules = pd.DataFrame({"usd": [amount_usd * t / 100 for t in thresholds if t != 100],
                          "what": names[3]})
    layers.append(alt.Chart(pd.DataFrame({"usd": [float(amount_usd)], "what": [names[3]]})).mark_rule().encode(
        y=alt.Y("usd:Q", axis=axis), color=color))
    if len(rules):
        layers.append(alt.Chart(rules).mark_rule(strokeDash=[4, 3], opacity=0.7).encode(
            y=alt.Y("usd:Q", axis=axis), color=color))
    return alt.layer(*layers).properties(title=title, width=width, height=height)
