"""The forecasting development benchmark: public and seeded series at every grain, both halves.

One table, set x method, for planner next to statsforecast's SeasonalNaive, AutoETS, AutoTheta
and MSTL run in the same process on the same training data:

- ``rel MASE``: mean MASE of the method / mean MASE of seasonal naive over the set's series and
  origins (MASE scaled by the in-sample seasonal-naive error at the grain's natural season:
  24 hourly, 7 daily, 52 weekly, 12 monthly; M4 sets use M4's own, 24 hourly and 1 weekly);
- ``sMAPE`` [%]; ``pinball``: mean pinball loss over the 2.5, 10, 50, 90 and 97.5 % quantiles
  (the 80 / 95 % bounds and the point) / the MASE scale;
- ``cov80`` / ``cov95``: share of actuals inside the intervals, overall and in the last quarter
  of the horizon (``q4``);
- ``total``: median over series of forecast total / actual total over the horizon;
- ``wild``: series whose hi-95 somewhere exceeds 20x both the mean of the last season of history
  and the point forecast there;
- ``s``: wall time of the method on the set (peers: when first computed; they are cached in
  ``benchmarks/.cache/`` because they do not change while planner does).

Sets (``SETS``): M4 Hourly (414, h=48) and Weekly (359, h=13) on the official split, scored the
M4 way too (sMAPE, MASE, OWA against Naive2, MSIS and 95 % coverage, and the rank each would
take among the published entries); the shipped real series at their own grain and coarser
(ServeGen per model hourly; Philly hourly and daily; Helios Earth GPU demand hourly and daily;
M4 Hourly summed to days); seeded synthetic families with known truth (multiplicative growth
2x-10x a year with weekly and yearly cycles, level shifts and outages, daily at h=365 and hourly
at h=720; the daily family summed to weeks and months; intermittent daily series).

**Tuning discipline.** Every series belongs to the tuning or the confirmation half by a hash
of its base id (the same series at another grain stays in its half), fixed before any result
was looked at: choose on ``--half tune``, confirm on ``--half confirm``.

    .venv/bin/python benchmarks/forecast_suite.py [--half tune|confirm|both] [--sets a,b]
        [--methods planner,AutoETS,...] [--planner KEY=VALUE ...]
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import m4  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data" / "samples"
CACHE = ROOT / "benchmarks" / ".cache" / "suite"
#: Bump when a set's series or a peer's settings change, so cached peer forecasts are redone.
SUITE_VERSION = "1"
PEERS = ("SeasonalNaive", "AutoETS", "AutoTheta", "MSTL")
LEVELS = (80, 95)
NATURAL = {"h": 24, "D": 7, "W-MON": 52, "MS": 12}


@dataclass
class Case:
    """One forecast origin of a set: history, what followed, horizon."""

    train: pd.DataFrame
    test: pd.DataFrame
    origin: str


@dataclass
class BenchSet:
    name: str
    freq: str
    h: int
    cases: list[Case]
    m4: str = ""                       # "hourly" / "weekly": also score the M4 way
    mstl_seasons: tuple[int, ...] = ()


def half_of(base_id: str) -> str:
    """``"tune"`` or ``"confirm"``, from the SHA-256 of the series' base id (fixed in advance)."""
    return "tune" if int(hashlib.sha256(base_id.encode()).hexdigest(), 16) % 2 == 0 else "confirm"


# -- sets ----------------------------------------------------------------------------------------
def _origins(df: pd.DataFrame, freq: str, h: int, n: int, step: int | None = None) -> list[Case]:
    """``n`` origins per series, ``step`` periods apart (default ``h``), counted from each series'
    own end: the last origin leaves ``h`` periods of truth."""
    df = df.sort_values(["unique_id", "ds"], ignore_index=True)
    from_end = df.groupby("unique_id").cumcount(ascending=False).to_numpy()
    cases = []
    for k in range(n, 0, -1):
        cut = (k - 1) * (step or h) + h
        test = df[(from_end < cut) & (from_end >= cut - h)]
        cases.append(Case(df[from_end >= cut], test, f"end-{cut}"))
    return cases


def _sum_to(df: pd.DataFrame, freq: str, base: str) -> pd.DataFrame:
    """Sum a long frame of ``base`` periods to ``freq`` periods labelled by their start; periods
    the data does not cover whole (at the start or end) are dropped."""
    g = df.groupby(["unique_id", pd.Grouper(key="ds", freq=freq, label="left", closed="left")])["y"]
    out = g.agg(["sum", "size"]).reset_index()
    off = pd.tseries.frequencies.to_offset(freq)
    whole = ((out["ds"] + off) - out["ds"]) / pd.Timedelta(pd.tseries.frequencies.to_offset(base))
    return out[out["size"] == whole].rename(columns={"sum": "y"})[["unique_id", "ds", "y"]]


def servegen() -> pd.DataFrame:
    sg = pd.read_csv(SAMPLES / "servegen_hourly_by_model.csv")
    sg = sg[sg["model"].isin(["m-small", "m-mid", "m-large"])]
    ds = pd.Timestamp("2025-01-06") + pd.to_timedelta(sg["t_offset_s"], unit="s")
    frames = [pd.DataFrame({"unique_id": sg["model"].to_numpy() + "/" + name, "ds": ds, "y": sg[col].to_numpy()})
              for name, col in (("requests", "requests_gapfilled"),
                                ("input_tokens", "input_tokens_est_scaled_gapfilled"),
                                ("output_tokens", "output_tokens_est_scaled_gapfilled"))]
    df = pd.concat(frames, ignore_index=True)
    df["y"] = df.groupby("unique_id")["y"].transform(lambda s: s.interpolate(limit_direction="both"))
    return df


def philly() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "philly_busy_nodes_hourly.csv", parse_dates=["ds"])


def helios() -> pd.DataFrame:
    return pd.read_csv(SAMPLES / "helios_earth_gpus_hourly.csv", parse_dates=["ds"])


def synthetic_daily(per_growth: int = 10, years: int = 3, h: int = 365, seed: int = 0) -> pd.DataFrame:
    """Daily series growing 2x, 3x, 5x and 10x a year (``per_growth`` each), with truth for ``h`` days.

    log y = log level + log(growth) t / 365 + weekly profile (amplitude 5-30 %) + yearly sine
    (0-30 %) + AR(1) noise (phi 0.3-0.8, sd 3-15 %); every third series has a level shift
    (x0.6-1.5) somewhere in its history, every fourth an outage of 1-3 zero days.
    """
    n = 365 * years + h
    t = np.arange(n)
    frames = []
    for growth in (2, 3, 5, 10):
        for k in range(per_growth):
            rng = np.random.default_rng([seed, growth, k])
            week = rng.normal(0, 1, 7)
            week = rng.uniform(0.05, 0.3) * week / np.abs(week).max()
            yearly = rng.uniform(0, 0.3) * np.sin(2 * np.pi * t / 365.25 + rng.uniform(0, 2 * np.pi))
            phi, sd = rng.uniform(0.3, 0.8), rng.uniform(0.03, 0.15)
            e = rng.normal(0, sd, n)
            ar = np.zeros(n)
            for i in range(1, n):
                ar[i] = phi * ar[i - 1] + e[i]
            log_y = np.log(rng.lognormal(10, 2)) + np.log(growth) * t / 365 + week[t % 7] + yearly + ar
            if k % 3 == 0:
                at = rng.integers(200, 365 * years - 60)
                log_y[at:] += np.log(rng.uniform(0.6, 1.5))
            y = np.exp(log_y)
            if k % 4 == 1:
                at = rng.integers(100, 365 * years - 30)
                y[at: at + rng.integers(1, 4)] = 0.0
            frames.append(pd.DataFrame({"unique_id": f"g{growth}x_{k:02d}",
                                        "ds": pd.date_range("2022-01-03", periods=n, freq="D"), "y": y}))
    return pd.concat(frames, ignore_index=True)


def synthetic_hourly(per_growth: int = 4, days: int = 120, h: int = 720, seed: int = 0) -> pd.DataFrame:
    """Hourly series growing 2x-10x a year with daily and weekly cycles, bursts and outages.

    A smooth random daily profile (amplitude 10-80 %), a weekend dip (0-40 %), AR(1) noise
    (phi 0.7-0.95, sd 3-10 %), 0.5 % of hours bursting 2-4x, every third series an outage of
    2-8 zero hours; history ``days`` days and ``h`` hours of truth.
    """
    n = 24 * days + h
    t = np.arange(n)
    frames = []
    for growth in (2, 3, 5, 10):
        for k in range(per_growth):
            rng = np.random.default_rng([seed, 1000 + growth, k])
            prof = sum(rng.normal(0, 1) * np.sin(2 * np.pi * j * (t % 24) / 24 + rng.uniform(0, 6))
                       for j in (1, 2, 3))
            prof = rng.uniform(0.1, 0.8) * prof / np.abs(prof).max()
            weekend = rng.uniform(0, 0.4) * (((t // 24) % 7) >= 5)
            phi, sd = rng.uniform(0.7, 0.95), rng.uniform(0.03, 0.1)
            e = rng.normal(0, sd, n)
            ar = np.zeros(n)
            for i in range(1, n):
                ar[i] = phi * ar[i - 1] + e[i]
            y = np.exp(np.log(rng.lognormal(8, 1.5)) + np.log(growth) * t / (24 * 365) + prof - weekend + ar)
            bursts = rng.random(n) < 0.005
            y[bursts] *= rng.uniform(2, 4, bursts.sum())
            if k % 3 == 0:
                at = rng.integers(200, 24 * days - 100)
                y[at: at + rng.integers(2, 9)] = 0.0
            frames.append(pd.DataFrame({"unique_id": f"hg{growth}x_{k:02d}",
                                        "ds": pd.date_range("2025-01-06", periods=n, freq="h"), "y": y}))
    return pd.concat(frames, ignore_index=True)


def synthetic_intermittent(n_series: int = 30, days: int = 421, seed: int = 0) -> pd.DataFrame:
    """Daily counts that are mostly zero: demand on 5-50 % of days, sizes lognormal (median 1-50)."""
    frames = []
    for k in range(n_series):
        rng = np.random.default_rng([seed, 7, k])
        on = rng.random(days) < rng.uniform(0.05, 0.5)
        size = np.round(rng.lognormal(np.log(rng.uniform(1, 50)), 0.6, days))
        frames.append(pd.DataFrame({"unique_id": f"int_{k:02d}", "ds": pd.date_range("2024-01-01", periods=days,
                                                                                      freq="D"), "y": on * size}))
    return pd.concat(frames, ignore_index=True)


def _m4_set(freq: str) -> BenchSet:
    train, test = m4.load(freq)
    f = m4.FREQS[freq]
    tr = m4.long_format(train, freq)
    last = tr.groupby("unique_id")["ds"].max()
    off = pd.tseries.frequencies.to_offset(f.pandas_freq)
    te = pd.concat([pd.DataFrame({"unique_id": u, "ds": pd.date_range(last[u] + off, periods=f.h, freq=f.pandas_freq),
                                  "y": y}) for u, y in test.items()], ignore_index=True)
    seasons = (24, 168) if freq == "hourly" else (52,)
    return BenchSet(f"m4_{freq}", f.pandas_freq, f.h, [Case(tr, te, "official")], m4=freq, mstl_seasons=seasons)


def build_sets(names: list[str] | None = None) -> list[BenchSet]:
    """The suite's sets (only ``names`` when given)."""
    makers = {
        "m4_hourly": lambda: _m4_set("hourly"),
        "m4_weekly": lambda: _m4_set("weekly"),
        "m4_hourly_D": lambda: BenchSet("m4_hourly_D", "D", 2,
                                        _origins(_sum_to(m4.long_format(m4.load("hourly")[0], "hourly"), "D", "h"),
                                                 "D", 2, 3), mstl_seasons=(7,)),
        "servegen_h": lambda: BenchSet("servegen_h", "h", 24, _origins(servegen(), "h", 24, 3), mstl_seasons=(24,)),
        "philly_h": lambda: BenchSet("philly_h", "h", 168, _origins(philly(), "h", 168, 3), mstl_seasons=(24, 168)),
        "philly_D": lambda: BenchSet("philly_D", "D", 14, _origins(_sum_to(philly(), "D", "h"), "D", 14, 3),
                                     mstl_seasons=(7,)),
        "helios_h": lambda: BenchSet("helios_h", "h", 168, _origins(helios(), "h", 168, 2), mstl_seasons=(24,)),
        "helios_D": lambda: BenchSet("helios_D", "D", 7, _origins(_sum_to(helios(), "D", "h"), "D", 7, 2),
                                     mstl_seasons=(7,)),
        "syn_daily": lambda: BenchSet("syn_daily", "D", 365, _origins(synthetic_daily(), "D", 365, 1),
                                      mstl_seasons=(7, 365)),
        "syn_daily_W": lambda: BenchSet("syn_daily_W", "W-MON", 52,
                                        _origins(_sum_to(synthetic_daily(), "W-MON", "D"), "W-MON", 52, 1),
                                        mstl_seasons=(52,)),
        "syn_daily_MS": lambda: BenchSet("syn_daily_MS", "MS", 12,
                                         _origins(_sum_to(synthetic_daily(), "MS", "D"), "MS", 12, 1),
                                         mstl_seasons=(12,)),
        "syn_hourly": lambda: BenchSet("syn_hourly", "h", 720, _origins(synthetic_hourly(), "h", 720, 1),
                                       mstl_seasons=(24, 168)),
        "syn_hourly_D": lambda: BenchSet("syn_hourly_D", "D", 30,
                                         _origins(_sum_to(synthetic_hourly(), "D", "h"), "D", 30, 1),
                                         mstl_seasons=(7,)),
        "syn_intermittent": lambda: BenchSet("syn_intermittent", "D", 28,
                                             _origins(synthetic_intermittent(), "D", 28, 2), mstl_seasons=(7,)),
    }
    return [makers[n]() for n in (names or list(makers))]


# -- methods -------------------------------------------------------------------------------------
def _peer_models(name: str, bs: BenchSet, n_min: int):
    from statsforecast.models import MSTL, AutoETS, AutoTheta, Naive, SeasonalNaive

    season = NATURAL[bs.freq] if bs.m4 != "weekly" else 52
    seasonal = n_min >= 2 * season
    if name == "SeasonalNaive":
        return SeasonalNaive(season_length=season) if n_min > season else Naive(alias="SeasonalNaive")
    if name == "AutoETS":
        return AutoETS(season_length=season if seasonal else 1)
    if name == "AutoTheta":
        return AutoTheta(season_length=season if seasonal else 1)
    seasons = [s for s in bs.mstl_seasons if n_min >= 2 * s] or [season if seasonal else 1]
    return MSTL(season_length=seasons, trend_forecaster=AutoETS(model="ZZN"), alias="MSTL") if seasons != [1] \
        else AutoETS(model="ZZN", alias="MSTL")


def peer_forecast(name: str, bs: BenchSet, case: Case) -> tuple[pd.DataFrame, float]:
    """A statsforecast peer's forecast of one case (cached), and its wall time [s]."""
    from statsforecast import StatsForecast
    from statsforecast.models import Naive

    path = CACHE / SUITE_VERSION / bs.name / f"{case.origin.replace(':', '').replace(' ', 'T')}_{name}.parquet"
    if path.is_file():
        out = pd.read_parquet(path)
        return out.drop(columns="_seconds"), float(out["_seconds"].iloc[0])
    lengths = case.train.groupby("unique_id").size()
    parts, t0 = [], time.perf_counter()
    # series too short for the season get the non-seasonal variant: group by what fits
    for n_min, ids in lengths.groupby(lengths.apply(lambda n: _length_class(n, bs))).groups.items():
        model = _peer_models(name, bs, n_min)
        model.alias = name
        sf = StatsForecast(models=[model], freq=bs.freq, n_jobs=2 if len(ids) >= 20 else 1,
                           fallback_model=Naive(alias=name))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parts.append(sf.forecast(df=case.train[case.train["unique_id"].isin(ids)], h=bs.h, level=list(LEVELS)))
    out = pd.concat(parts, ignore_index=True)
    seconds = time.perf_counter() - t0
    out = out.rename(columns=lambda c: "forecast" if c == name else c.replace(f"{name}-", "") if c.startswith(name) else c)
    path.parent.mkdir(parents=True, exist_ok=True)
    out.assign(_seconds=seconds).to_parquet(path)
    return out, seconds


def _length_class(n: int, bs: BenchSet) -> int:
    """The shortest history length of the class of series a peer treats alike (seasons that fit)."""
    season = NATURAL[bs.freq] if bs.m4 != "weekly" else 52
    marks = sorted({season + 1, 2 * season, *(2 * s for s in bs.mstl_seasons)})
    fits = [m for m in marks if n >= m]
    return fits[-1] if fits else 1


def planner_forecast(bs: BenchSet, case: Case, opts: dict) -> tuple[pd.DataFrame, float]:
    from planner.forecast import forecast

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fc = forecast(case.train, h=bs.h, freq=bs.freq, level=LEVELS, n_jobs=2, **opts).forecast
    return fc, time.perf_counter() - t0


# -- scoring -------------------------------------------------------------------------------------
def score_case(bs: BenchSet, case: Case, fc: pd.DataFrame, method: str) -> pd.DataFrame:
    """Per-series scores of one method's forecast of one case."""
    m = 24 if bs.m4 == "hourly" else 1 if bs.m4 == "weekly" else NATURAL[bs.freq]
    merged = case.test.merge(fc, on=["unique_id", "ds"], how="left")
    train = {u: g.to_numpy() for u, g in case.train.groupby("unique_id")["y"]}
    season = NATURAL[bs.freq]
    rows = []
    q4 = int(np.ceil(bs.h * 3 / 4))
    for uid, g in merged.groupby("unique_id", sort=False):
        x, y, f = train[uid], g["y"].to_numpy(), g["forecast"].to_numpy()
        mm = m if len(x) > m else 1
        scale = np.mean(np.abs(x[mm:] - x[:-mm])) if len(x) > mm else np.nan
        if not scale > 0:
            scale = np.mean(np.abs(x)) or 1.0
        row = {"set": bs.name, "method": method, "unique_id": uid, "origin": case.origin,
               "mase": np.mean(np.abs(y - f)) / scale,
               "smape": np.mean(np.where(np.abs(y) + np.abs(f) > 0, 200 * np.abs(y - f) / (np.abs(y) + np.abs(f)), 0)),
               "total": f.sum() / y.sum() if y.sum() > 0 else np.nan}
        pin = [np.mean(np.maximum(0.5 * (y - f), -0.5 * (y - f)))]
        for lv in LEVELS:
            lo, hi = g[f"lo-{lv}"].to_numpy(), g[f"hi-{lv}"].to_numpy()
            inside = (y >= lo) & (y <= hi)
            row[f"cov{lv}"], row[f"cov{lv}_q4"] = inside.mean(), inside[q4:].mean()
            a = (1 - lv / 100) / 2
            pin += [np.mean(np.maximum(a * (y - lo), (a - 1) * (y - lo))),
                    np.mean(np.maximum((1 - a) * (y - hi), -a * (y - hi)))]
        row["pinball"] = np.mean(pin) / scale
        row["msis"] = np.mean((g["hi-95"] - g["lo-95"]).to_numpy() + 40 * np.maximum(g["lo-95"].to_numpy() - y, 0)
                              + 40 * np.maximum(y - g["hi-95"].to_numpy(), 0)) / scale
        last = np.mean(x[-season:] if len(x) >= season else x)
        row["wild"] = bool(np.any(g["hi-95"].to_numpy() > 20 * np.maximum(f, last))) if last > 0 else False
        row["finite"] = bool(np.isfinite(g[["forecast", "lo-95", "hi-95"]].to_numpy()).all())
        rows.append(row)
    return pd.DataFrame(rows)


def summarize(scores: pd.DataFrame, seconds: dict) -> pd.DataFrame:
    """The set x method table (see the module docstring)."""
    base = scores[scores["method"] == "SeasonalNaive"].groupby("set")["mase"].mean()
    g = scores.groupby(["set", "method"], sort=False)
    out = g.agg(series=("unique_id", "nunique"), mase=("mase", "mean"), smape=("smape", "mean"),
                pinball=("pinball", "mean"), cov80=("cov80", "mean"), cov95=("cov95", "mean"),
                cov80_q4=("cov80_q4", "mean"), cov95_q4=("cov95_q4", "mean"), total=("total", "median"),
                wild=("wild", "sum")).reset_index()
    out.insert(3, "rel_mase", out["mase"] / out["set"].map(base))
    out["s"] = [seconds.get((s, mth), np.nan) for s, mth in zip(out["set"], out["method"], strict=True)]
    return out


def m4_table(scores: pd.DataFrame, bs: BenchSet, sets_train: dict) -> pd.DataFrame:
    """M4-way scores of each method on an M4 set, with its rank among the published entries."""
    f = m4.FREQS[bs.m4]
    train = {u: g.to_numpy() for u, g in bs.cases[0].train.groupby("unique_id")["y"]}
    ids = scores["unique_id"].unique()
    n2 = {u: m4.naive2(train[u], f.h, f.m) for u in ids}
    test = {u: g.to_numpy() for u, g in bs.cases[0].test.groupby("unique_id")["y"] if u in set(ids)}
    n2s = m4.score({u: train[u] for u in ids}, test, n2, f.m)
    points, intervals = m4.leaderboard(bs.m4)
    rows = []
    for method, s in scores.groupby("method", sort=False):
        smape, mase = s["smape"].mean(), s["mase"].mean()
        o = m4.owa(smape, mase, n2s["smape"], n2s["mase"])
        rows.append({"set": bs.name, "method": method, "series": len(s), "sMAPE": smape, "MASE": mase, "OWA": o,
                     "OWA rank": m4.rank(o, points["owa"]), "MSIS": s["msis"].mean(),
                     "MSIS rank": m4.rank(s["msis"].mean(), intervals["msis"]), "cov95": s["cov95"].mean()})
    return pd.DataFrame(rows)


def run(set_names: list[str] | None, methods: list[str], opts: dict, halves: list[str], dump: str = "") -> None:
    all_scores, seconds, m4_sets = [], {}, []
    for bs in build_sets(set_names):
        for method in methods:
            total = 0.0
            for case in bs.cases:
                fc, s = planner_forecast(bs, case, opts) if method == "planner" else peer_forecast(method, bs, case)
                total += s
                all_scores.append(score_case(bs, case, fc, method))
            seconds[(bs.name, method)] = total
            print(f"  {bs.name:18s} {method:14s} {total:7.1f} s", file=sys.stderr, flush=True)
        if bs.m4:
            m4_sets.append(bs)
    scores = pd.concat(all_scores, ignore_index=True)
    scores["half"] = scores["unique_id"].map(half_of)
    if dump:
        scores.to_csv(dump, index=False)
    fmt = {"rel_mase": 3, "mase": 3, "smape": 2, "pinball": 3, "cov80": 2, "cov95": 2, "cov80_q4": 2, "cov95_q4": 2,
           "total": 3, "s": 1}
    for half in halves:
        part = scores if half == "all" else scores[scores["half"] == half]
        print(f"\n## {half} half" if half != "all" else "\n## all series")
        table = summarize(part, seconds)
        print(_markdown(table, fmt))
        for bs in m4_sets:
            sub = part[part["set"] == bs.name]
            if len(sub):
                print()
                print(_markdown(m4_table(sub, bs, {}), {"sMAPE": 3, "MASE": 3, "OWA": 3, "MSIS": 3, "cov95": 3}))
    if len(halves) > 1:
        for bs in m4_sets:   # the official figures: every series of the set
            print(f"\n## {bs.name}, all series (the competition's own set)\n")
            print(_markdown(m4_table(scores[scores["set"] == bs.name], bs, {}),
                            {"sMAPE": 3, "MASE": 3, "OWA": 3, "MSIS": 3, "cov95": 3}))
    synth = scores[(scores["set"] == "syn_daily") & scores["unique_id"].str.startswith("g10x")]
    if len(synth):
        print("\nsyn_daily 10x-a-year series, h=365: median forecast total / actual total: "
              + ", ".join(f"{m} {v:.3f}" for m, v in synth.groupby("method", sort=False)["total"].median().items()))


def _markdown(table: pd.DataFrame, digits: dict[str, int]) -> str:
    cols = list(table.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in table.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            cells.append(f"{v:,.{digits[c]}f}" if c in digits and isinstance(v, float | np.floating) else str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["tune", "confirm", "both", "all"], default="both")
    parser.add_argument("--sets", default="", help="comma-separated set names (default: all)")
    parser.add_argument("--methods", default=",".join(("planner", *PEERS)))
    parser.add_argument("--dump", default="", metavar="CSV", help="also write the per-series scores here")
    parser.add_argument("--planner", action="append", default=[], metavar="KEY=VALUE",
                        help="keyword argument of planner.forecast.forecast (value parsed as Python literal)")
    args = parser.parse_args()
    import ast

    opts = {}
    for item in args.planner:
        k, _, v = item.partition("=")
        try:
            opts[k] = ast.literal_eval(v)
        except (ValueError, SyntaxError):
            opts[k] = v
    methods = [m for m in args.methods.split(",") if m]
    if "SeasonalNaive" not in methods:
        methods.insert(0, "SeasonalNaive")
    halves = {"both": ["tune", "confirm"], "tune": ["tune"], "confirm": ["confirm"], "all": ["all"]}[args.half]
    run([s for s in args.sets.split(",") if s] or None, methods, opts, halves, args.dump)


if __name__ == "__main__":
    main()
