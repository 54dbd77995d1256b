"""The M4 competition's data and scoring, for the Hourly and Weekly frequencies.

Data: the official train/test split in ``../shared/data/m4/`` (Makridakis, Spiliotis &
Assimakopoulos, "The M4 Competition: 100,000 time series and 61 forecasting methods",
International Journal of Forecasting 36(1), 2020). Scoring as the organizers' R code
(Mcompetitions/M4-methods) does it:

- sMAPE [%] = mean over the horizon of ``200 |y - f| / (|y| + |f|)``, averaged over series;
- MASE = mean |y - f| over the horizon / mean |x_t - x_{t-m}| in sample (``m`` = 24 hourly,
  1 weekly), averaged over series;
- OWA = (sMAPE / sMAPE of Naive2 + MASE / MASE of Naive2) / 2, on the set's averages;
- MSIS (95 %) = mean of ``(U - L) + 40 (L - y)[y < L] + 40 (y - U)[y > U]`` / the MASE scale,
  averaged over series; ACD = |coverage of the 95 % interval - 0.95|.

Naive2 is the naive forecast of the series seasonally adjusted by classical multiplicative
decomposition when the 90 % autocorrelation test at lag ``m`` finds seasonality (only hourly
here). :func:`naive2` reproduces the published Naive2 figures and :func:`snaive` those of
seasonal naive (``tests/test_m4_scoring.py``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["M4_DIR", "FREQS", "load", "snaive", "naive2", "score", "owa", "leaderboard", "rank"]

M4_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "m4"


@dataclass(frozen=True)
class Freq:
    """One M4 frequency: file prefix, horizon, MASE season and a pandas grid for timestamps."""

    name: str
    h: int
    m: int
    pandas_freq: str
    start: str


FREQS = {
    "hourly": Freq("Hourly", 48, 24, "h", "2020-01-06 00:00"),
    "weekly": Freq("Weekly", 13, 1, "W-MON", "1990-01-01"),
}


def _read_wide(path: Path) -> dict[str, np.ndarray]:
    out = {}
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        for row in reader:
            out[row[0]] = np.array([float(v) for v in row[1:] if v != ""], dtype=float)
    return out


def load(freq: str, m4_dir: Path = M4_DIR) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Train and test values per series id of one frequency (``"hourly"`` or ``"weekly"``)."""
    f = FREQS[freq]
    return _read_wide(m4_dir / f"{f.name}-train.csv"), _read_wide(m4_dir / f"{f.name}-test.csv")


def long_format(train: dict[str, np.ndarray], freq: str) -> pd.DataFrame:
    """The training series as Nixtla long format on a regular grid (M4 publishes no timestamps:
    every series starts at :attr:`Freq.start`)."""
    f = FREQS[freq]
    frames = [pd.DataFrame({"unique_id": uid, "ds": pd.date_range(f.start, periods=len(y), freq=f.pandas_freq),
                            "y": y}) for uid, y in train.items()]
    return pd.concat(frames, ignore_index=True)


def snaive(x: np.ndarray, h: int, m: int) -> np.ndarray:
    """Seasonal naive: the last season repeated [units of x]."""
    last = x[-m:] if m > 1 else x[-1:]
    return np.resize(last, h) if m > 1 else np.repeat(x[-1], h)


def _seasonal(x: np.ndarray, m: int) -> bool:
    """The M4 seasonality test: |acf(m)| above the 90 % limit (needs 3 seasons of history)."""
    n = len(x)
    if m <= 1 or n < 3 * m:
        return False
    d = x - x.mean()
    den = np.sum(d * d)
    acf = np.array([np.sum(d[: n - k] * d[k:]) / den for k in range(1, m + 1)])
    limit = 1.645 / np.sqrt(n) * np.sqrt(1 + 2 * np.sum(acf[: m - 1] ** 2))
    return bool(abs(acf[m - 1]) > limit)


def _seasonal_indices(x: np.ndarray, m: int) -> np.ndarray:
    """R's ``decompose(type = "multiplicative")`` seasonal figure, by position in the cycle."""
    n = len(x)
    w = np.full(m + 1, 1.0 / m) if m % 2 == 0 else np.full(m, 1.0 / m)
    if m % 2 == 0:
        w[0] = w[-1] = 0.5 / m
    half = len(w) // 2
    trend = np.full(n, np.nan)
    trend[half: n - half] = np.convolve(x, w, mode="valid")
    ratio = x / trend
    pos = np.arange(n) % m
    figure = np.array([np.nanmean(ratio[pos == k]) for k in range(m)])
    return figure / figure.mean()


def naive2(x: np.ndarray, h: int, m: int) -> np.ndarray:
    """M4's Naive2: naive on the seasonally adjusted series, reseasonalized [units of x]."""
    if not _seasonal(x, m):
        return np.repeat(x[-1], h)
    figure = _seasonal_indices(x, m)
    pos = np.arange(len(x)) % m
    adjusted = x / figure[pos]
    future = (np.arange(len(x), len(x) + h)) % m
    return adjusted[-1] * figure[future]


def score(train: dict[str, np.ndarray], test: dict[str, np.ndarray], point: dict[str, np.ndarray], m: int,
          lo95: dict[str, np.ndarray] | None = None, hi95: dict[str, np.ndarray] | None = None) -> dict[str, float]:
    """sMAPE [%], MASE and, given the 95 % bounds, MSIS and coverage, averaged over series."""
    smapes, mases, msis, cover = [], [], [], []
    for uid, y in test.items():
        f = np.asarray(point[uid], dtype=float)
        x = train[uid]
        scale = np.mean(np.abs(x[m:] - x[:-m]))
        smapes.append(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))
        mases.append(np.mean(np.abs(y - f)) / scale)
        if lo95 is not None and hi95 is not None:
            lo, hi = np.asarray(lo95[uid], float), np.asarray(hi95[uid], float)
            msis.append(np.mean((hi - lo) + 40 * np.maximum(lo - y, 0) + 40 * np.maximum(y - hi, 0)) / scale)
            cover.append(np.mean((y >= lo) & (y <= hi)))
    out = {"smape": float(np.mean(smapes)), "mase": float(np.mean(mases))}
    if msis:
        out.update(msis=float(np.mean(msis)), coverage_95=float(np.mean(cover)),
                   acd_95=abs(float(np.mean(cover)) - 0.95))
    return out


def owa(smape: float, mase: float, naive2_smape: float, naive2_mase: float) -> float:
    """Overall weighted average relative to Naive2 [-]."""
    return 0.5 * (smape / naive2_smape + mase / naive2_mase)


def leaderboard(freq: str, m4_dir: Path = M4_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published point scores (sMAPE, MASE, OWA) and interval scores (MSIS, ACD) of one frequency."""
    points = pd.read_csv(m4_dir / "m4_point_scores_weekly_hourly.csv")
    intervals = pd.read_csv(m4_dir / "m4_interval_scores_weekly_hourly.csv")
    p = points[["method_id", "team", f"{freq}_smape", f"{freq}_mase", f"{freq}_owa"]]
    i = intervals[["method_id", "team", f"{freq}_msis", f"{freq}_acd95"]]
    return (p.rename(columns=lambda c: c.replace(f"{freq}_", "")),
            i.rename(columns=lambda c: c.replace(f"{freq}_", "")))


def rank(value: float, published: pd.Series) -> str:
    """``'k of n'``: where ``value`` would rank among the published entries (lower is better)."""
    published = published.dropna()
    return f"{int((published < value).sum()) + 1} of {len(published) + 1}"
