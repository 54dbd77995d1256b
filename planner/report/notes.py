"""A report's "Data notes": every warning and note about its data, each said once, in few lines.

The forecaster and the readers warn per series ("series 'm-a/requests': history of 24 periods is
shorter than two seasons of 24: that cycle is not modelled"); a report of twelve series would
repeat that twelve times. :func:`collapse` says it once with a count and the series' names:

>>> collapse(["input: series 'a': history of 24 periods is shorter than two seasons of 24",
...           "input: series 'b': history of 24 periods is shorter than two seasons of 168",
...           "usage for 2025-01 ends 2025-01-19 23:00"])
['2 series (a and b): history of 24 periods is shorter than two seasons of 24 or 168', 'Usage for 2025-01 ends 2025-01-19 23:00']

:func:`capture` collects the warnings raised while a block runs, and :func:`notes_html` shows the
list.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterable, Iterator

from planner.report.format import escape
from planner.report.words import names

__all__ = ["collapse", "capture", "notes_html"]

#: "<input>: series '<id>': <note>" (the forecaster, the series readers) and "series '<id>': <note>".
_QUOTED = re.compile(r"^(?:(?P<what>[^']+?): )?series '(?P<uid>[^']+)': (?P<rest>.+)$", re.S)
#: "series <id> ends ..." / "series <id> has ..." (series left out as not current).
_BARE = re.compile(r"^series (?P<uid>.+?) (?P<verb>ends|has) (?P<rest>.+)$", re.S)
#: A number, a date or a date and time: one token of a note.
_NUM = re.compile(r"\d[\d,]*(?:\.\d+)?(?:[-:]\d+)*(?: \d\d:\d\d(?::\d\d)?)?")
_PAREN = re.compile(r"\s*\([^()]*\)")
#: An absolute path: shown by its file name.
_PATH = re.compile(r"(?<![\w.~-])/(?:[^\s/:'\"]+/)+([^\s/:'\"]+)")
#: Warnings that are about the notebook machinery, not the data.
_IGNORED = re.compile(r"IProgress not found|ipywidgets")
_PLURAL = {"ends": "end", "has": "have"}


def _clean(message: str) -> str:
    return _PATH.sub(r"\1", " ".join(str(message).split()))


def _shape(rest: str) -> str:
    return _NUM.sub("#", _PAREN.sub(" (…)", rest))


def _merge(rests: list[str]) -> str:
    """One text for notes of the same shape: parenthesised details that differ are left out, and
    numbers that differ are given as ``A or B`` (two values) or ``A to B`` (more)."""
    if len(set(rests)) == 1:
        return rests[0]
    parens = [_PAREN.findall(r) for r in rests]
    if len({len(p) for p in parens}) == 1:
        drop = {i for i in range(len(parens[0])) if len({p[i] for p in parens}) > 1}
        rests = [_drop(r, drop) for r in rests]
    nums = [_NUM.findall(r) for r in rests]
    if len({len(n) for n in nums}) != 1:
        return rests[0]
    merged = []
    for i in range(len(nums[0])):
        values = list(dict.fromkeys(n[i] for n in nums))
        if len(values) == 1:
            merged.append(values[0])
            continue
        try:
            ordered = sorted(values, key=lambda v: float(v.replace(",", "")))
        except ValueError:  # dates: a range from the earliest to the latest
            ordered = sorted(values)
        merged.append(" or ".join(ordered) if len(ordered) == 2 else f"{ordered[0]} to {ordered[-1]}")
    parts = _NUM.split(rests[0])
    return "".join(p + (merged[i] if i < len(merged) else "") for i, p in enumerate(parts))


def _drop(text: str, drop: set[int]) -> str:
    """``text`` without its parenthesised parts whose positions are in ``drop``."""
    out, start = [], 0
    for j, m in enumerate(_PAREN.finditer(text)):
        out.append(text[start:m.start()] + ("" if j in drop else m.group(0)))
        start = m.end()
    return "".join(out) + text[start:]


def collapse(messages: Iterable[str], most: int = 3) -> list[str]:
    """The notes to show: repeats removed, per-series notes of one kind merged into one line.

    Parameters
    ----------
    messages : iterable of str
        Warnings and notes in the order they were raised.
    most : int
        Series named in a merged line before "and N more".

    Returns
    -------
    list of str
        One line per distinct note in the order each was first seen (capitalised when it starts
        with a word, not a name). Per-series
        notes that say the same thing about several series (up to their numbers) become one line
        ``N series (a, b, c and 9 more): <note>``; the name of the input they came from is left
        out, and absolute paths are shortened to file names.
    """
    groups: dict[tuple, list[tuple[str, str, str]]] = {}
    for message in dict.fromkeys(_clean(m) for m in messages if str(m).strip()):
        quoted, bare = _QUOTED.match(message), _BARE.match(message)
        if quoted:
            key = ("quoted", _shape(quoted["rest"]))
            groups.setdefault(key, []).append((quoted["uid"], quoted["rest"], ""))
        elif bare:
            key = ("bare", bare["verb"], _shape(bare["rest"]))
            groups.setdefault(key, []).append((bare["uid"], bare["rest"], bare["verb"]))
        else:
            groups.setdefault(("plain", message), []).append(("", message, ""))
    lines = []
    for key, members in groups.items():
        uids = list(dict.fromkeys(m[0] for m in members))
        rest = _merge([m[1] for m in members])
        if key[0] == "plain":
            line = rest
        elif key[0] == "quoted":
            line = f"{uids[0]}: {rest}" if len(uids) == 1 else f"{len(uids)} series ({names(uids, most)}): {rest}"
        else:
            verb = members[0][2]
            line = (f"series {uids[0]} {verb} {rest}" if len(uids) == 1 else
                    f"{len(uids)} series ({names(uids, most)}) {_PLURAL[verb]} {rest}")
        first = line.split(" ", 1)[0]
        lines.append(line[:1].upper() + line[1:] if first.isalpha() and first.islower() else line)
    return list(dict.fromkeys(lines))


@contextlib.contextmanager
def capture(reemit: bool = False) -> Iterator[list[str]]:
    """Collect the messages of the warnings raised inside the block (user warnings only).

    The list yielded is filled when the block ends. With ``reemit`` the warnings are raised again
    afterwards, so a command line still prints them.
    """
    found: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
    kept = [w for w in caught if issubclass(w.category, UserWarning) and not _IGNORED.search(str(w.message))]
    found.extend(str(w.message) for w in kept)
    if reemit:
        for w in kept:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def notes_html(notes: Iterable[str], title: str = "Data notes") -> str:
    """The notes as a short HTML list under ``title`` ("" when there are none), after :func:`collapse`."""
    lines = collapse(notes)
    if not lines:
        return ""
    items = "".join(f"<li>{escape(n)}</li>" for n in lines)
    return f'<div class="planner-notes"><p><strong>{escape(title)}</strong></p><ul>{items}</ul></div>'
