"""Where a series' rolling-origin backtest puts its forecast origins.

The backtest forecasts the horizon actually asked for wherever the history allows: ``n_windows``
windows of ``h`` periods end at the end of the history and start ``step`` periods apart, ``step``
at most ``h`` (windows tile the end of the history when it is long) and smaller when the history
is short next to ``h`` (windows then overlap, and each lead time still has ``n_windows``
errors). The first origin leaves at least half of the history (and ``min_train`` periods) for
fitting, so parameters are never estimated on a sliver of the series. Only when even that is
impossible does the backtest horizon shrink below ``h``.
"""

from __future__ import annotations

__all__ = ["WindowPlan", "window_plan"]

from dataclasses import dataclass


@dataclass(frozen=True)
class WindowPlan:
    """Backtest windows of one series.

    Attributes
    ----------
    h : int
        Periods forecast from each origin [periods] (0: the history is too short to backtest).
    origins : tuple of int
        Length of the history at each origin, earliest first [periods].
    """

    h: int
    origins: tuple[int, ...]

    @property
    def step(self) -> int:
        """Periods between consecutive origins."""
        return self.origins[1] - self.origins[0] if len(self.origins) > 1 else self.h


def window_plan(n: int, h: int, n_windows: int, min_train: int, max_windows: int | None = None) -> WindowPlan:
    """The backtest windows of a history of ``n`` periods for a horizon of ``h``.

    Parameters
    ----------
    n : int
        Periods of history.
    h : int
        Horizon asked for [periods].
    n_windows : int
        Origins (at least 1).
    min_train : int
        Fewest periods a model is fitted on.
    max_windows : int, optional
        Use up to this many origins (at least ``n_windows``) where the history has room for them
        without windows overlapping by more than they must: short horizons get more origins, so
        the backtest holds enough errors per lead to calibrate on.

    Returns
    -------
    WindowPlan
        ``h`` equals the asked horizon when ``n - h - (n_windows - 1) >= max(min_train, ceil(n / 2))``;
        otherwise the longest horizon that leaves that much for fitting, with origins one period
        apart; ``WindowPlan(0, ())`` when not even one period can be backtested.

    Examples
    --------
    >>> window_plan(730, 90, 3, 14)          # tiled at the end
    WindowPlan(h=90, origins=(460, 550, 640))
    >>> window_plan(1095, 365, 3, 14)        # overlapping, first fit on half the history
    WindowPlan(h=365, origins=(548, 639, 730))
    >>> window_plan(730, 7, 3, 14, max_windows=9)
    WindowPlan(h=7, origins=(667, 674, 681, 688, 695, 702, 709, 716, 723))
    """
    floor = max(int(min_train), -(-int(n) // 2))
    w = max(1, int(n_windows))
    room = n - floor - h
    if room >= w - 1:
        if max_windows and max_windows > w:
            w = max(w, min(int(max_windows), room // h + 1 if room >= h * (w - 1) else w))
        h_bt, step = h, (min(h, room // (w - 1)) if w > 1 else 0)
    else:
        h_bt, step = n - floor - (w - 1), 1
    if h_bt < 1:
        return WindowPlan(0, ())
    return WindowPlan(int(h_bt), tuple(int(n - h_bt - step * (w - 1 - i)) for i in range(w)))
