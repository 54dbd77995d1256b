"""Routing and caching levers against published figures (RouteLLM, provider cache rules)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from planner import catalog
from planner.exceptions import InputError
from planner.simulate import caching, routing


@pytest.fixture(scope="module")
def correctness(request):
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "data" / "samples" / "routellm_correctness.csv"


@pytest.mark.parametrize(("bench", "weak", "strong"), [("gsm8k", 0.638, 0.857), ("mmlu", 0.681, 0.806)])
def test_published_model_accuracies(correctness, bench, weak, strong):
    w, s = routing.accuracy(routing.load_correctness(correctness, bench))
    assert w == pytest.approx(weak, abs=0.0006) and s == pytest.approx(strong, abs=0.0006)


def test_oracle_and_random_router_on_mmlu(correctness):
    mmlu = routing.load_correctness(correctness, "mmlu", drop_contaminated=True)
    acc, share = routing.oracle(mmlu)
    assert acc == pytest.approx(0.859, abs=0.0006) and share == pytest.approx(0.178, abs=0.0006)
    assert routing.random_share_for(mmlu, 0.95) == pytest.approx(0.678, abs=0.002)
    weak_only = (mmlu["weak_correct"] & ~mmlu["strong_correct"]).mean()
    assert weak_only == pytest.approx(0.053, abs=0.0006)


def test_router_curve_references_and_summaries(correctness):
    mmlu = routing.load_correctness(correctness, "mmlu", drop_contaminated=True)
    w, s = mmlu["weak_correct"].to_numpy(), mmlu["strong_correct"].to_numpy()
    rng = np.random.default_rng(0)
    random_curve = routing.router_curve(rng.random(len(mmlu)), w, s)
    assert routing.apgr(random_curve) == pytest.approx(0.5, abs=0.03)
    assert routing.cpt(random_curve, 0.5) == pytest.approx(0.5, abs=0.05)
    oracle_scores = (s & ~w).astype(float) - (w & ~s).astype(float)
    best = routing.router_curve(oracle_scores, w, s)
    assert best["accuracy"].max() == pytest.approx(routing.oracle(mmlu)[0])
    # PGR 1 = the strong model's accuracy: the oracle gets there with (strong - weak) of the calls...
    assert routing.cpt(best, 1.0) == pytest.approx(s.mean() - w.mean(), abs=0.011)
    # ...and reaches its own maximum (85.9 %) at the published 17.8 % strong calls
    first_max = best.loc[best["accuracy"] >= best["accuracy"].max() - 1e-12, "strong_share"].min()
    assert first_max == pytest.approx(0.178, abs=0.011)
    assert (best["accuracy"] <= best["oracle_accuracy"] + 1e-12).all()
    assert best["accuracy"].iloc[0] == pytest.approx(w.mean()) and best["accuracy"].iloc[-1] == pytest.approx(s.mean())


def test_domain_router_is_scored_on_held_out_prompts(correctness):
    mmlu = routing.load_correctness(correctness, "mmlu", drop_contaminated=True)
    train = mmlu.sample(frac=0.5, random_state=0)
    test = mmlu.drop(train.index)
    curve = routing.router_curve(routing.domain_scores(train, test), test["weak_correct"], test["strong_correct"])
    assert routing.apgr(curve) > 0.5  # beats random on unseen prompts
    with pytest.raises(InputError, match="share"):
        routing.domain_scores(train, train)


def test_prompt_caching_arithmetic_from_the_catalog():
    rules = catalog.cache_rules("anthropic")
    m = caching.prefix_cost_multiplier(2000, 10, rules["write_multiplier"], rules["read_multiplier"],
                                       rules["min_cacheable_tokens"])
    assert 1 - m == pytest.approx(0.785)
    openai = catalog.cache_rules("openai")
    assert caching.prefix_cost_multiplier(800, 10, openai["write_multiplier"], openai["read_multiplier"],
                                          openai["min_cacheable_tokens"]) == 1.0
    assert caching.batch_multiplier(1.0) == 0.5 and caching.batch_multiplier(0.4) == pytest.approx(0.8)
    assert caching.hit_probability(10 / 300, 300) == pytest.approx(1 - np.exp(-10))
    assert caching.expected_prefix_multiplier(0.9, 1.25, 0.1) == pytest.approx(0.215)
    assert caching.semantic_cache_multiplier(0.3, 0.01) == pytest.approx(0.71)


def test_mooncake_replay_counts_reused_leading_blocks(samples):
    toy = caching.replay_prefix_cache([0, 10, 20, 400], [[1, 2, 3], [1, 2, 9], [7, 2], [1, 2]], [1500, 1400, 900, 1000], ttl_s=300)
    assert toy.tolist() == [0, 1024, 0, 0]  # third: first block new; fourth: blocks idle > 300 s
    rows = [json.loads(line) for line in open(samples / "mooncake_conversation_trace.jsonl")]
    trace = pd.DataFrame(rows)
    cached = caching.replay_prefix_cache(trace["timestamp"] / 1000, trace["hash_ids"], trace["input_length"], ttl_s=300)
    share = cached.sum() / trace["input_length"].sum()
    assert 0 < share < 1 and (cached <= trace["input_length"]).all()
    longer = caching.replay_prefix_cache(trace["timestamp"] / 1000, trace["hash_ids"], trace["input_length"], ttl_s=3600)
    assert longer.sum() >= cached.sum()  # a longer TTL never caches less
