"""How a report shows numbers and tables to a reader: units, thousands separators, no index.

Pure functions from values to text; every report notebook formats through them, so a figure reads
the same everywhere and never in e-notation:

>>> usd(1545000), usd(1_210_000, compact=True), usd(0.0123), usd(-12.5), usd(float("nan"))
('USD 1,545,000', 'USD 1.21 M', 'USD 0.0123', '-USD 12.50', '–')
>>> tokens(12_100_000), count(148, "GPUs"), count(1, "GPUs"), pct(8.08), share(0.8382)
('12.1 M tokens', '148 GPUs', '1 GPU', '8.1 %', '84 %')

:func:`table` turns a DataFrame into an HTML table without its index, with the columns you name
under the labels you give and each column formatted as you say.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.report.words import metric_noun

__all__ = ["DASH", "missing", "number", "usd", "price", "tokens", "count", "pct", "share", "points", "date",
           "amount", "escape", "label", "table", "Table"]

#: What a missing value (NaN, None, NaT, inf) is shown as.
DASH = "–"

#: Suffixes of large amounts: million, billion, trillion.
_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"))

def missing(x: object) -> bool:
    """True for None, NaN, NaT, infinities and empty text: values shown as :data:`DASH`."""
    if x is None or x is pd.NaT:
        return True
    if isinstance(x, str):
        return x.strip() == ""
    try:
        return not math.isfinite(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return bool(pd.isna(x)) if np.ndim(x) == 0 else False


def number(x: float, digits: int = 3) -> str:
    """A number with thousands separators and ``digits`` significant digits below 10^(digits-1).

    Whole numbers and numbers of ``digits`` or more integer digits have no decimals
    (``1,545,000``, ``149``); smaller ones keep ``digits`` significant digits, trailing zeros
    dropped (``10.4``, ``0.847``, ``0.000123``). Never e-notation; :data:`DASH` when missing.
    """
    if missing(x):
        return DASH
    v = float(x)
    a = abs(v)
    if a == 0:
        return "0"
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    text = f"{v:,.{decimals}f}"
    if decimals:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _scaled(v: float) -> str | None:
    """``1.55 M``-style text for |v| >= 1 million, else None."""
    for scale, suffix in _SCALES:
        if abs(v) >= scale:
            return f"{number(v / scale)} {suffix}"
    return None


def usd(x: float, compact: bool = False) -> str:
    """An amount in US dollars: ``USD 1,545,000``, ``USD 12.50``, ``USD 0.0123``, ``-USD 40``.

    Amounts of 100 and more are whole dollars; from 1 to 100 they show cents; below 1 they show
    cents, or three significant digits when cents would hide the amount (prices per token or
    request). With ``compact``, amounts of a million and more are in millions, billions or
    trillions with three significant digits (``USD 1.55 M``, ``USD 7.36 B``). The sign comes
    before the currency.
    """
    if missing(x):
        return DASH
    v = float(x)
    a = abs(v)
    sign = "-" if v < 0 else ""
    if a == 0:
        return "USD 0"
    big = _scaled(a) if compact else None
    if big is not None:
        text = big
    elif round(a, 2) >= 100:
        text = f"{a:,.0f}"
    elif a >= 1 or abs(round(a, 2) - a) < 1e-9 * a:
        text = f"{a:,.2f}"
    else:
        text = number(a, 3)
        if "." in text and len(text.split(".")[1]) < 2:
            text = f"{a:.2f}"
    return f"{sign}USD {text}"


def price(x: float, per: str, digits: int = 4) -> str:
    """A unit price with ``digits`` significant digits: ``USD 4.117 per GPU-hour``."""
    if missing(x):
        return DASH
    v = float(x)
    return f"{'-' if v < 0 else ''}USD {number(abs(v), digits)} per {per}"


def count(x: float, unit: str = "", singular: str | None = None) -> str:
    """A quantity with its unit: ``148 GPUs``, ``10.4 GPUs``, ``47.8 M requests``, ``1 GPU``.

    Whole quantities below a million show every digit; fractional ones three significant digits;
    a million and more are in millions (``M``), billions (``B``) or trillions (``T``). Exactly
    one takes ``singular`` (default: the singular of the unit's last word: ``1 GPU``, ``1 prefix``,
    ``1 demand scenario``, ``1 series``).
    """
    if missing(x):
        return DASH
    v = float(x)
    big = _scaled(v)
    if big is not None:
        text = big
    elif abs(v - round(v)) < 1e-9 * max(1.0, abs(v)):
        text = f"{round(v):,}"
    else:
        text = number(v)
    if not unit:
        return text
    if text == "1":
        unit = _singular(unit) if singular is None else singular
    return f"{text} {unit}"


def _singular(unit: str) -> str:
    """``GPUs`` -> ``GPU``, ``prefixes`` -> ``prefix``, ``strategies`` -> ``strategy``; a unit whose
    last word is not an English plural (``series``, ``GPU-h``) as it is."""
    head, _, last = unit.rpartition(" ")
    if last == "series" or not last.endswith("s") or last.endswith("ss"):
        return unit
    if last.endswith("ies"):
        last = last[:-3] + "y"
    elif last.endswith(("xes", "ches", "shes", "sses")):
        last = last[:-2]
    else:
        last = last[:-1]
    return f"{head} {last}" if head else last


def tokens(x: float) -> str:
    """A number of tokens: ``12.1 M tokens``, ``95,000 tokens``."""
    return count(x, "tokens")


def pct(x: float, signed: bool = False) -> str:
    """A percentage given in percent: ``16 %`` from 10 up, ``8.1 %`` below; ``+5.2 %`` if ``signed``."""
    if missing(x):
        return DASH
    v = float(x)
    text = f"{v:,.0f}" if abs(v) >= 9.95 else f"{v:.1f}".removesuffix(".0")
    if text == "-0":
        text = "0"
    return f"{'+' if signed and v > 0 and text != '0' else ''}{text} %"


def share(x: float, signed: bool = False) -> str:
    """A fraction shown as a percentage: ``share(0.8382) == "84 %"``."""
    return DASH if missing(x) else pct(100 * float(x), signed=signed)


def points(x: float) -> str:
    """A difference of percentages in percentage points, signed: ``+150 pp``, ``-3.5 pp``."""
    if missing(x):
        return DASH
    text = pct(float(x), signed=True).removesuffix(" %")
    return f"{text} pp"


def amount(x: float, metric: str) -> str:
    """An amount of a usage metric: ``usd`` for USD metrics, else :func:`count` with its noun
    (``12.1 M output tokens``, ``336 GPU-hours``)."""
    noun = metric_noun(metric)
    return usd(x) if noun == "USD" else count(x, noun, singular=noun.removesuffix("s"))


def date(x: object) -> str:
    """A date, with the time of day when it is not midnight: ``2025-01-20``, ``2025-01-20 13:00``."""
    if missing(x):
        return DASH
    try:
        ts = pd.Timestamp(x)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return str(x)
    return f"{ts:%Y-%m-%d}" if ts == ts.normalize() else f"{ts:%Y-%m-%d %H:%M}"


_UNIT_SUFFIXES = (("_usd_per_gpu_hour", " (USD/GPU-h)"), ("_usd", " (USD)"), ("_pct", " (%)"), ("_gpus", " GPUs"),
                  ("_tokens", " tokens"), ("_days", " (days)"), ("_months", " (months)"), ("_hours", " (h)"))


def label(column: str) -> str:
    """A readable column label from a snake_case name, for columns a table was not given a label for:
    ``expected_cost_usd`` -> ``Expected cost (USD)``, ``plan_saves_pct`` -> ``Plan saves (%)``."""
    text = str(column)
    for suffix, unit in _UNIT_SUFFIXES:
        if text.endswith(suffix) and text != suffix.lstrip("_"):
            text = text[: -len(suffix)] + unit
            break
    text = text.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def escape(text: object) -> str:
    """``text`` made safe inside HTML (``<``, ``>``, ``&``; quotes are left as they are)."""
    return html.escape(str(text), quote=False)


# -- tables -----------------------------------------------------------------------------------------
Format = str | Callable[[object], str]

#: Cells of a column whose longest text is longer than this [characters] may wrap.
_WRAP_AFTER = 30

_FORMATS: dict[str, Callable[[object], str]] = {
    "usd": usd,
    "usd_compact": lambda v: usd(v, compact=True),  # type: ignore[arg-type]
    "tokens": tokens,  # type: ignore[dict-item]
    "pct": pct,  # type: ignore[dict-item]
    "share": share,  # type: ignore[dict-item]
    "date": date,
    "number": number,  # type: ignore[dict-item]
    "text": lambda v: DASH if missing(v) else str(v),
    "yes/no": lambda v: DASH if missing(v) else ("yes" if bool(v) else "no"),
}


def _formatter(fmt: Format | None, values: pd.Series) -> tuple[Callable[[object], str], bool]:
    """The function formatting one column, and whether the column is numeric (right-aligned)."""
    if callable(fmt):
        return fmt, pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values)
    if fmt is None:
        if pd.api.types.is_bool_dtype(values):
            fmt = "yes/no"
        elif pd.api.types.is_numeric_dtype(values):
            fmt = "number"
        elif pd.api.types.is_datetime64_any_dtype(values):
            fmt = "date"
        else:
            fmt = "text"
    if fmt.startswith("count:"):
        unit = fmt.split(":", 1)[1]
        return (lambda v: count(v, unit)), True  # type: ignore[arg-type]
    if fmt.startswith("price:"):
        per = fmt.split(":", 1)[1]
        return (lambda v: price(v, per)), True  # type: ignore[arg-type]
    if fmt not in _FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {[*_FORMATS, 'count:UNIT', 'price:UNIT']} "
                         "or a function")
    return _FORMATS[fmt], fmt not in ("text", "yes/no", "date")


@dataclass(frozen=True)
class Table:
    """A formatted table: the text of every cell, the column labels and their alignment.

    Displayed in a notebook as an HTML table with no index column.

    Attributes
    ----------
    frame : pandas.DataFrame
        The cells as text, columns named by their labels, a plain 0..n-1 index (never shown).
    numeric : tuple of bool
        Per column, whether it holds figures (right-aligned).
    wrap : tuple of bool
        Per column, whether its text may wrap (long text); other cells stay on one line.
    """

    frame: pd.DataFrame
    numeric: tuple[bool, ...]
    wrap: tuple[bool, ...] = ()

    def to_html(self) -> str:
        """The table as HTML: a header row of labels and one row per record, no index."""
        wrap = self.wrap or (False,) * len(self.numeric)
        kinds = [f'class="{"wrap" if w else "nowrap"}" style="text-align: {"right" if r else "left"}"'
                 for r, w in zip(self.numeric, wrap, strict=True)]

        def cell(tag: str, text: str, kind: str) -> str:
            return f"<{tag} {kind}>{escape(text)}</{tag}>"

        head = "".join(cell("th", c, k) for c, k in zip(self.frame.columns, kinds, strict=True))
        rows = "".join("<tr>" + "".join(cell("td", v, k) for v, k in zip(row, kinds, strict=True)) + "</tr>"
                       for row in self.frame.itertuples(index=False, name=None))
        return (f'<table class="planner-table"><thead><tr>{head}</tr></thead>'
                f"<tbody>{rows}</tbody></table>")

    def _repr_html_(self) -> str:
        return self.to_html()

    def __len__(self) -> int:
        return len(self.frame)


def table(df: pd.DataFrame, columns: Mapping[str, str] | None = None,
          formats: Mapping[str, Format] | None = None) -> Table:
    """A DataFrame as a table a reader can use: no index, labelled and formatted columns.

    Parameters
    ----------
    df : pandas.DataFrame
        The data. A named index (or several levels) becomes ordinary leading columns first; a
        plain 0..n-1 index is dropped.
    columns : mapping, optional
        ``{column: label}``: the columns shown, in this order, under these labels. Without it every
        column is shown under :func:`label` of its name.
    formats : mapping, optional
        ``{column: format}``, a format being ``"usd"``, ``"usd_compact"``, ``"tokens"``,
        ``"pct"`` (values in percent), ``"share"`` (fractions 0-1), ``"date"``, ``"number"``,
        ``"text"``, ``"yes/no"``, ``"count:UNIT"`` (e.g. ``"count:GPUs"``), ``"price:UNIT"``
        (e.g. ``"price:GPU-hour"``) or a function of one value returning text. Columns without
        one are formatted by type: numbers by :func:`number`, datetimes by :func:`date`, booleans
        yes/no, the rest as text; missing values are :data:`DASH` throughout. Formats of columns
        that are not shown are ignored.

    Returns
    -------
    Table

    Raises
    ------
    KeyError
        A column named in ``columns`` that ``df`` does not have.
    """
    if not isinstance(df.index, pd.RangeIndex) or any(n is not None for n in df.index.names):
        df = df.reset_index(drop=all(n is None for n in df.index.names))
    else:
        df = df.reset_index(drop=True)
    wanted = dict(columns) if columns is not None else {c: label(c) for c in df.columns}
    unknown = [c for c in wanted if c not in df.columns]
    if unknown:
        raise KeyError(f"table: no column(s) {unknown}; the frame has {list(df.columns)}")
    cells, numeric, wrap = {}, [], []
    for col, lab in wanted.items():
        fmt, right = _formatter((formats or {}).get(col), df[col])
        cells[lab] = [fmt(v) for v in df[col].tolist()]
        numeric.append(right)
        wrap.append(max((len(v) for v in cells[lab]), default=0) > _WRAP_AFTER)
    return Table(pd.DataFrame(cells, columns=list(wanted.values())), tuple(numeric), tuple(wrap))
