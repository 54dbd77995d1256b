"""Model routing: strong/weak quality replayed on per-query correctness (RouteLLM's evaluation).

Quality is not one number per model: on MMLU the weak model is right where the strong one is
wrong on 5.3 % of prompts. A router sends a share of queries to the strong model; its accuracy
is replayed from per-query correctness, so the cost-quality curve is measured, not assumed.

Definitions (RouteLLM, Ong et al., ICLR 2025):

- performance gap recovered, PGR = (accuracy - weak) / (strong - weak) [-];
- CPT(x) = the smallest share of strong calls whose PGR reaches x [-];
- APGR = the area under PGR over the strong-call share from 0 to 1 [-] (0.5 for a random router).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from planner.exceptions import InputError

__all__ = [
    "load_correctness",
    "accuracy",
    "oracle",
    "random_share_for",
    "router_curve",
    "cpt",
    "apgr",
    "domain_scores",
    "split_accuracy",
]

_COLUMNS = ["benchmark", "prompt_id", "weak_correct", "strong_correct"]


def load_correctness(path: str | Path, benchmark: str | None = None, drop_contaminated: bool = False) -> pd.DataFrame:
    """Read per-query correctness of a weak and a strong model.

    Parameters
    ----------
    path : str or pathlib.Path
        CSV with ``benchmark, prompt_id, weak_correct, strong_correct`` (booleans), optionally
        ``domain``, ``prompt_chars`` and ``contaminated``.
    benchmark : str, optional
        Keep one benchmark (e.g. ``"mmlu"``).
    drop_contaminated : bool
        Drop prompts that also appear in a router's training data (for evaluating routers).

    Returns
    -------
    pandas.DataFrame
        The rows, with boolean ``weak_correct`` and ``strong_correct``.
    """
    from planner.usage._io import numeric, read_frame, require_columns

    frame = read_frame(path, kinds=("csv", "parquet", "json", "jsonl"))
    require_columns(frame, _COLUMNS, str(path), label="correctness")
    if "prompt_chars" in frame.columns:
        frame["prompt_chars"] = numeric(frame, "prompt_chars", str(path), missing="zero")
    for col in ("weak_correct", "strong_correct", "contaminated"):
        if col in frame.columns:
            frame[col] = frame[col].astype(str).str.lower().map({"true": True, "false": False, "1": True, "0": False})
            if frame[col].isna().any():
                row = int(frame[col].isna().to_numpy().nonzero()[0][0]) + 1
                raise InputError(f"{path}: column {col!r} must be true/false at row {row}")
    if benchmark is not None:
        frame = frame[frame["benchmark"] == benchmark]
        if frame.empty:
            raise InputError(f"{path}: no rows for benchmark {benchmark!r}")
    if drop_contaminated and "contaminated" in frame.columns:
        frame = frame[~frame["contaminated"]]
    return frame.reset_index(drop=True)


def accuracy(frame: pd.DataFrame) -> tuple[float, float]:
    """Accuracy of the weak and of the strong model [-]."""
    return float(frame["weak_correct"].mean()), float(frame["strong_correct"].mean())


def oracle(frame: pd.DataFrame) -> tuple[float, float]:
    """An oracle router's accuracy and strong-call share [-].

    The oracle calls the strong model only where the weak one is wrong and the strong one right.
    """
    weak, strong = frame["weak_correct"].to_numpy(), frame["strong_correct"].to_numpy()
    return float((weak | strong).mean()), float((~weak & strong).mean())


def random_share_for(frame: pd.DataFrame, fraction_of_strong: float) -> float:
    """Strong-call share a random router needs to reach ``fraction_of_strong`` x strong accuracy [-].

    A random router's expected accuracy at share p is weak + p (strong - weak).
    """
    weak, strong = accuracy(frame)
    target = fraction_of_strong * strong
    if strong <= weak:
        raise InputError("the strong model is not more accurate than the weak one on these queries")
    return float(np.clip((target - weak) / (strong - weak), 0.0, 1.0))


def router_curve(scores: np.ndarray, weak_correct: np.ndarray, strong_correct: np.ndarray,
                 n_points: int = 101) -> pd.DataFrame:
    """Replay a threshold router: the queries with the highest ``scores`` go to the strong model.

    Parameters
    ----------
    scores : numpy.ndarray
        Router score per query (higher = more in need of the strong model).
    weak_correct, strong_correct : numpy.ndarray
        Per-query correctness (booleans).
    n_points : int
        Points on the curve, evenly spaced in strong-call share.

    Returns
    -------
    pandas.DataFrame
        ``strong_share, accuracy, pgr, random_accuracy, oracle_accuracy`` per point [-].
    """
    scores = np.asarray(scores, float)
    weak, strong = np.asarray(weak_correct, bool), np.asarray(strong_correct, bool)
    n = len(scores)
    order = np.argsort(-scores, kind="stable")
    gain = (strong.astype(float) - weak.astype(float))[order]
    cum = np.concatenate([[0.0], np.cumsum(gain)])  # accuracy gain from sending the top k to strong
    shares = np.linspace(0, 1, n_points)
    k = np.rint(shares * n).astype(int)
    w, s = weak.mean(), strong.mean()
    acc = w + cum[k] / n
    oracle_gain = np.sort(strong.astype(float) - weak.astype(float))[::-1]
    oracle_acc = w + np.concatenate([[0.0], np.cumsum(oracle_gain)])[k] / n
    return pd.DataFrame({
        "strong_share": shares,
        "accuracy": acc,
        "pgr": (acc - w) / (s - w),
        "random_accuracy": w + shares * (s - w),
        "oracle_accuracy": oracle_acc,
    })


def cpt(curve: pd.DataFrame, pgr: float) -> float:
    """Call-performance threshold: smallest strong-call share whose PGR reaches ``pgr`` [-]."""
    hit = curve.loc[curve["pgr"] >= pgr - 1e-12, "strong_share"]
    return float(hit.min()) if len(hit) else float("nan")


def apgr(curve: pd.DataFrame) -> float:
    """Average performance gap recovered: area under PGR over the strong-call share [-]."""
    x, y = curve["strong_share"].to_numpy(), curve["pgr"].to_numpy()
    return float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2)


def domain_scores(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
    """A simple learned router: score test queries by their domain's strong-minus-weak gain on ``train``.

    Domains unseen in training get the overall gain; ties break towards longer prompts when
    ``prompt_chars`` is present. Train and test must not share prompts.
    """
    if "domain" not in train.columns or "domain" not in test.columns:
        raise InputError("domain_scores needs a 'domain' column")
    overlap = set(train["prompt_id"]) & set(test["prompt_id"])
    if overlap:
        raise InputError(f"train and test share {len(overlap)} prompts; a router must be scored on unseen ones")
    gain = (train["strong_correct"].astype(float) - train["weak_correct"].astype(float)).groupby(train["domain"]).mean()
    overall = float((train["strong_correct"].astype(float) - train["weak_correct"].astype(float)).mean())
    score = test["domain"].map(gain).fillna(overall).to_numpy(dtype=float)
    if "prompt_chars" in test.columns:
        chars = test["prompt_chars"].to_numpy(dtype=float)
        score = score + 1e-9 * chars / max(chars.max(), 1.0)
    return score


def split_accuracy(scores: np.ndarray, weak_correct: np.ndarray, strong_correct: np.ndarray,
                   strong_share: float) -> tuple[float, float, float]:
    """Accuracy on each side of a threshold router sending ``strong_share`` of queries to the strong model.

    The ``k = round(strong_share x n)`` queries with the highest ``scores`` go to the strong
    model, the rest to the weak one (as in :func:`router_curve`).

    Returns
    -------
    tuple of float
        ``(strong_side, weak_side, share)``: the strong model's accuracy on the queries it is
        sent, the weak model's on the others [-], and the strong share actually used, k / n [-]
        (NaN accuracy for a side that receives no query).
    """
    scores = np.asarray(scores, float)
    weak, strong = np.asarray(weak_correct, bool), np.asarray(strong_correct, bool)
    if not 0 <= strong_share <= 1:
        raise InputError(f"strong_share must be within [0, 1], got {strong_share}")
    n = len(scores)
    order = np.argsort(-scores, kind="stable")
    k = int(np.rint(strong_share * n))
    top, rest = order[:k], order[k:]
    strong_side = float(strong[top].mean()) if k else float("nan")
    weak_side = float(weak[rest].mean()) if k < n else float("nan")
    return strong_side, weak_side, k / n if n else float("nan")
