"""Period grains: the frequency aliases planner accepts and how a period is labelled.

One convention for every grain: a period is labelled by the point of the pandas grid of its
frequency (``pd.date_range(..., freq=F)``) that it contains, so every series lies on that grid.

========================  ========================================  =================================
alias                     period                                    label ``ds``
========================  ========================================  =================================
``h``, ``<n>h``           an hour (n hours) from 00:00              its first instant
``min``, ``<n>min``       a minute (n minutes)                      its first instant
``D``                     a calendar day                            00:00 of the day
``W-MON`` … ``W-SUN``     seven days **starting** on that weekday   00:00 of that first day
``MS``                    a calendar month                          00:00 of its first day
``ME``                    a calendar month                          00:00 of its last day
``QS``                    a calendar quarter (Jan, Apr, Jul, Oct)   00:00 of its first day
``QE``                    a calendar quarter                        00:00 of its last day
========================  ========================================  =================================

Weeks start on the day their alias names: ``W-MON`` is Monday to Sunday, labelled by the Monday;
``W-SUN`` is Sunday to Saturday, labelled by the Sunday. (pandas' own ``resample("W-SUN")`` puts
Monday to Sunday under the Sunday that ends it; planner does not.) Only ``ME`` and ``QE`` are
labelled by a day inside the period other than its first: their grid is month and quarter ends.
A first or last period may hold only part of its calendar span when the data starts or ends inside
it; its value is then the sum of what is there.
"""

from __future__ import annotations

import re

import pandas as pd

from planner.exceptions import InputError

__all__ = ["ACCEPTED", "WEEKDAYS", "check_freq", "period_label"]

#: Weekday abbreviations of the ``W-<DAY>`` aliases, Monday first (``Timestamp.weekday()`` order).
WEEKDAYS: tuple[str, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
#: The accepted aliases, as named in error messages.
ACCEPTED = "h (or <n>h), <n>min, <n>s, D, W-MON … W-SUN (weeks starting that day), MS, ME, QS, QE"

_TICK = re.compile(r"^(\d*)(s|min|h)$|^()(D)$")
_ANCHORED = {*(f"W-{d}" for d in WEEKDAYS), "MS", "ME", "QS", "QE"}
_HINTS = {"W": "say which day the week starts: W-MON … W-SUN", "M": "use MS (month start) or ME (month end)",
          "Q": "use QS (quarter start) or QE (quarter end)"}


def check_freq(freq: str, what: str = "freq") -> str:
    """Return ``freq`` in the form planner uses, or raise naming the accepted aliases.

    Parameters
    ----------
    freq : str
        A period alias: ``h``, ``<n>h``, ``<n>min``, ``<n>s``, ``D``, ``W-MON`` … ``W-SUN``,
        ``MS``, ``ME``, ``QS`` or ``QE`` (``H`` is read as ``h``).
    what : str
        The option or argument it came from, for the message (e.g. ``"--freq"``).

    Returns
    -------
    str
        The alias (``H`` -> ``h``; ``1h`` -> ``h``).

    Raises
    ------
    InputError
        One line: the value found and the accepted aliases.
    """
    text = str(freq).strip()
    if text in _ANCHORED:
        return text
    m = _TICK.match(text[:-1] + "h" if text.endswith("H") else text)
    if m and m.group(1) != "0":
        n, unit = (m.group(1), m.group(2)) if m.group(2) else ("", "D")
        return f"{'' if n in ('', '1') else n}{unit}"
    hint = _HINTS.get(text.upper().lstrip("0123456789"), "")
    raise InputError(f"{what}: unknown frequency {freq!r}; expected one of {ACCEPTED}" + (f" ({hint})" if hint else ""))


def period_label(ts: pd.Series, freq: str) -> pd.Series:
    """The label of the period each timestamp falls in (see the module docstring).

    Parameters
    ----------
    ts : pandas.Series of datetime64
        Timestamps (naive UTC).
    freq : str
        An alias accepted by :func:`check_freq`.

    Returns
    -------
    pandas.Series of datetime64
        ``ds`` per row, same index.
    """
    freq = check_freq(freq)
    if _TICK.match(freq):
        return ts.dt.floor(freq)
    offset = pd.tseries.frequencies.to_offset(freq)
    days = ts.dt.normalize()
    unique = pd.DatetimeIndex(days.unique()).dropna()
    if freq in ("ME", "QE"):   # roll forward to the period's last day (on-grid days stay)
        labels = (unique - pd.Timedelta(days=1)) + offset
    else:                      # roll back to the period's first day (on-grid days stay)
        labels = (unique + pd.Timedelta(days=1)) - offset
    return days.map(pd.Series(labels, index=unique)).astype(ts.dtype)
