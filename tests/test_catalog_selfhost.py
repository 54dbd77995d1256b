"""Self-host catalog: published throughput round-trips, length and derivation rules' measured errors,
memory fit against published GPU counts, model shapes, quantization quality, cloud offerings, and the
scenario / plan / CLI paths that name engine, model and precision."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml

from planner import catalog
from planner.catalog import derivation, lengths, memory
from planner.catalog.throughput import _KEY
from planner.cli import main
from planner.exceptions import CatalogError, InputError, PlannerWarning, ScenarioError


def _measured() -> pd.DataFrame:
    t = catalog.load_throughput()
    return t[t["derived"] == "false"]


# --- published figures ------------------------------------------------------------------------------


@pytest.mark.parametrize("args, kwargs, value, gpus, engine", [
    # TensorRT-LLM v0.13.0 perf overview: Llama 3.1 8B FP8 on 1x L40S at 1000/1000
    (("llama-3.1-8b", "L40S", "fp8", 1000, 1000), {}, 3648.21, 1, "tensorrt-llm"),
    # TensorRT-LLM v1.0 data: Llama 3.3 70B FP4 on 1x B200 at 128/128
    (("llama-3.3-70b", "B200", "fp4", 128, 128), {}, 11147, 1, "tensorrt-llm"),
    # TensorRT-LLM v0.13.0: Mixtral 8x7B FP16 TP8 on A100-SXM4-80GB at 1000/1000
    (("mixtral-8x7b", "A100-80GB", "fp16", 1000, 1000), {"gpus_per_replica": 8}, 13741.62, 8, "tensorrt-llm"),
    # Qwen2.5 speed benchmark, vLLM 0.6.3: Qwen2.5-72B GPTQ-Int4 on 1x A100 80GB, input 1, 2048 generated
    (("qwen2.5-72b", "A100-80GB", "int4-gptq", 1, 2048), {"gpus_per_replica": 1}, 16.47, 1, "vllm"),
    # vLLM issue #25915: Qwen3-8B BF16 on 1x H100, 1024/2048, vLLM 0.10.2 (the better of two versions)
    (("qwen3-8b", "H100", "bf16", 1024, 2048), {}, 5408.88, 1, "vllm"),
    # llama.cpp (XiongjieDai README): LLaMA 3 8B Q4_K_M on H100 PCIe, generation only
    (("llama-3-8b", "H100-PCIe", "gguf-q4_k_m", 0, 1024), {}, 144.49, 1, "llama.cpp"),
    # TensorRT-LLM DeepSeek-R1 blog: FP4 on 8x B200, ISL 1K / OSL 2K, maximum throughput
    (("deepseek-r1", "B200", "fp4", 1024, 2048), {}, 36008.8948, 8, "tensorrt-llm"),
])
def test_published_figures_come_back_from_the_file(args, kwargs, value, gpus, engine):
    tp = catalog.throughput(*args, slo_derate=1.0, **kwargs)
    assert tp.output_tokens_per_s_ceiling == pytest.approx(value)
    assert tp.gpus_per_replica == gpus and tp.engine == engine and not tp.derived
    assert re.search(r"https?://\S+, 20\d\d-\d\d", tp.source)  # the cited source and its date travel with the figure


def test_sglang_deepseek_and_one_stream_rows():
    with pytest.warns(PlannerWarning, match="single published point, used at any length"):
        ds = catalog.throughput("deepseek-v3", "H100", "fp8", 2000, 100, slo_derate=1.0)
    assert ds.engine == "sglang" and ds.gpus_per_replica == 96 and ds.output_tokens_per_s == pytest.approx(9 * 22282)
    # a one-request operating point is not derated: the published batch-1 rate is the usable rate
    latency = catalog.throughput("deepseek-r1", "B200", "fp4", 1024, 2048, engine="tensorrt-llm", gpus_per_replica=8)
    opts = catalog.throughput_options("deepseek-r1", "B200", "fp4", 1024, 2048)
    one = opts[opts["concurrency"] == "1"].iloc[0]
    assert one["output_tokens_per_s"] == pytest.approx(254.5535) and latency.concurrency == "max"
    # llama.cpp one stream: O / (I / prompt rate + O / generation rate), both published
    tp = catalog.throughput("llama-3-8b", "H100-PCIe", "gguf-q4_k_m", 1024, 1024)
    assert tp.output_tokens_per_s == pytest.approx(1024 / (1024 / 7760.16 + 1024 / 144.49))
    assert tp.concurrency == "1"


def test_every_row_cites_a_dated_source_and_the_breadth_asked_for():
    t = catalog.load_throughput()
    assert t["source"].str.len().gt(20).all() and t["source_url"].str.startswith("https://").all()
    assert t["source_date"].str.fullmatch(r"20\d\d-\d\d(-\d\d)?").all()
    m = _measured()
    assert set(m["engine"]) == {"tensorrt-llm", "vllm", "sglang", "llama.cpp"}
    assert m["model"].nunique() >= 8 and m["precision"].nunique() >= 4 and m["gpu_type"].nunique() >= 5
    d = t[t["derived"] == "true"]
    assert d["rule"].str.match(r"(twin|bandwidth):").all() and d["source"].str.startswith("derived by the").all()


def test_engine_precision_aliases_and_errors():
    assert catalog.throughput("llama-8b", "H100", "bf16").precision == "fp16"  # FP16 rows serve BF16
    assert catalog.throughput("qwen-72b", "A100-80GB", "int4", 1, 2048).precision in ("int4-gptq", "int4-awq")
    olla = catalog.throughput("llama-3-8b", "A100-80GB", "gguf-q4_k_m", engine="ollama")
    assert olla.engine == "llama.cpp"
    with pytest.raises(InputError, match=r"unknown engine 'tgi'; known: \['tensorrt-llm', 'vllm', 'sglang', 'llama.cpp'\]"):
        catalog.throughput("llama-8b", "H100", engine="tgi")
    with pytest.raises(CatalogError, match=r"no throughput figures for qwen2.5-7b/L4/fp8; known for qwen2.5-7b .*vllm/bf16/1xA100-80GB"):
        catalog.throughput("qwen-7b", "L4")
    with pytest.raises(CatalogError, match=r"unknown model 'lama-3.1-8b'; close matches: \['llama-3.1-8b'"):
        catalog.resolve_model("lama-3.1-8b")


# --- the length rule -----------------------------------------------------------------------------


def _max_load_groups(m):
    m = m[m["concurrency"] == "max"].dropna(subset=["input_tokens", "output_tokens"])
    return [(g["input_tokens"].to_numpy(), g["output_tokens"].to_numpy(), g["output_tokens_per_s"].to_numpy())
            for _, g in m.groupby(["model", *_KEY])]


def test_length_rule_error_measured_by_leaving_points_out():
    groups = _max_load_groups(_measured())
    errors = lengths.loo_errors(groups)
    assert len(errors) == 636
    assert np.median(errors) == pytest.approx(0.0564, abs=0.001) and np.quantile(errors, 0.9) == pytest.approx(0.188, abs=0.002)
    old = []  # the rule it replaces: interpolate log tokens/s over log(input + output)
    for inp, out, tps in (g for g in groups if len(g[2]) >= 6):
        for i in range(len(tps)):
            k = np.arange(len(tps)) != i
            total = inp[k] + out[k]
            order = np.argsort(total)
            guess = np.exp(np.interp(np.log(inp[i] + out[i]), np.log(total[order]), np.log(tps[k][order])))
            old.append(abs(guess / tps[i] - 1))
    assert np.median(old) == pytest.approx(0.527, abs=0.002) and np.median(old) > 9 * np.median(errors)
    # prefill-heavy requests get far fewer output tokens/s than the same total length decode-heavy
    short_out = catalog.throughput("llama-3.1-8b", "H100", "fp8", 2048, 128, slo_derate=1.0).output_tokens_per_s
    long_out = catalog.throughput("llama-3.1-8b", "H100", "fp8", 128, 2048, slo_derate=1.0).output_tokens_per_s
    assert short_out == pytest.approx(3497.30) and long_out == pytest.approx(22714)  # the better of TRT v0.13 and v1.0
    mid = catalog.throughput("llama-3.1-8b", "H100", "fp8", 1200, 250, slo_derate=1.0).output_tokens_per_s
    assert 3450 < mid < 15220


# --- derivation rules ----------------------------------------------------------------------------


def test_twin_rule_error_on_llama_3_and_3_1():
    errors = derivation.twin_errors(_measured())
    assert len(errors) == 164
    assert np.median(errors) == pytest.approx(0.0033, abs=0.0005) and np.quantile(errors, 0.9) == pytest.approx(0.0256, abs=0.001)
    assert errors.max() < 0.06


def test_bandwidth_rule_fitted_on_one_half_measured_on_the_other():
    pairs = derivation.bandwidth_pairs(_measured(), catalog.load_gpu_specs())
    assert len(pairs) == 140
    assert derivation.fit_alpha(pairs) == pytest.approx(derivation.ALPHA, abs=0.0005)
    held_out = derivation.bandwidth_errors(pairs)
    assert len(held_out) == 114
    assert np.median(held_out) == pytest.approx(0.134, abs=0.001) and np.quantile(held_out, 0.9) == pytest.approx(0.320, abs=0.001)
    # bandwidth alone (alpha = 1) would err more
    assert np.median(derivation.bandwidth_errors(pairs, alpha=1.0)) > np.median(held_out)


def test_derived_rows_are_exactly_what_the_rules_give():
    t = catalog.load_throughput()
    again = derivation.derive_rows(t, catalog.load_models(), catalog.load_gpu_specs())
    cols = ["engine", "engine_version", "model", "precision", "gpu_type", "gpus_per_replica", "input_tokens",
            "output_tokens", "concurrency", "rule"]
    stored = t[t["derived"] == "true"]

    def keyed(frame):
        frame = frame[[*cols, "output_tokens_per_s"]].astype({"output_tokens_per_s": float, "gpus_per_replica": int})
        return frame.fillna({"input_tokens": -1, "output_tokens": -1}).sort_values(cols).reset_index(drop=True)

    left, right = keyed(stored), keyed(again)
    assert len(left) == len(right) == 859
    assert left[cols].astype(str).equals(right[cols].astype(str))
    assert np.allclose(left["output_tokens_per_s"], right["output_tokens_per_s"], rtol=1e-6)
    # a derived L4 row: the L40S figure x (300 / 864) ** 0.687, and only where the model fits 24 GB
    l4 = catalog.throughput("llama-3.1-8b", "L4", "fp8", 1000, 1000, slo_derate=1.0)
    assert l4.derived and l4.output_tokens_per_s == pytest.approx(3648.21 * (300 / 864) ** 0.687, rel=1e-5)
    l4_70b = stored[(stored["gpu_type"] == "L4") & stored["model"].str.contains("70b")]
    assert len(l4_70b) and (l4_70b["gpus_per_replica"] >= 4).all()  # 70B FP8 (70.6 GB) only on 4 or 8 x 24 GB, never 1 or 2


# --- memory fit ----------------------------------------------------------------------------------


def test_memory_closed_forms():
    assert memory.weight_bytes("llama-3.1-8b", "bf16") == pytest.approx(16.06e9, rel=1e-3)
    assert memory.kv_bytes_per_token("llama-3.1-8b") == 2 * 32 * 8 * 128 * 2 == 131_072
    assert memory.kv_bytes_per_token("deepseek-v3", kv_bytes=1) == 61 * (512 + 64)  # latent attention caches 576 per layer
    emb = 128256 * 4096 * 2
    assert memory.weight_bytes("llama-3.1-8b", "fp8") == pytest.approx((8_030_261_248 - emb) * 1 + emb * 2)
    assert memory.weight_bytes("llama-3-8b", "gguf-q4_k_m") == pytest.approx(8_030_261_248 * 4.85 / 8)
    b1 = memory.max_batch("llama-3.1-8b", "bf16", "H100", 1, 2048)
    assert b1 == int((80e9 * 0.9 - 16.06e9) // (131_072 * 2048)) and memory.max_batch("llama-3.1-8b", "bf16", "H100", 1, 4096) < b1


@pytest.mark.parametrize("model, precision, gpu, context, util, published", [
    ("llama-3.1-70b", "bf16", "H100", 4096, 0.9, 2),        # TRT v0.13: FP16 70B rows start at TP2 on H100 and A100
    ("llama-3.1-70b", "bf16", "A100-80GB", 4096, 0.9, 2),
    ("llama-3.1-405b", "fp8", "H100", 4096, 0.9, 8),        # TRT perf overview: 405B FP8 TP8 on H100
    ("llama-3.1-405b", "bf16", "H100", 4096, 0.9, 16),      # vLLM blog: BF16 405B on 16x H100 (pipeline parallel)
    ("qwen2.5-72b", "bf16", "A100-80GB", 32768, 0.9, 4),    # Qwen speed benchmark, default max_model_len 32768: 4 GPUs
    ("qwen2.5-72b", "bf16", "A100-80GB", 4096, 0.98, 2),    # ... setting 1 (0.98, 4096): 2 GPUs
    ("qwen2.5-72b", "int8-gptq", "A100-80GB", 32768, 0.9, 2),
    ("qwen2.5-72b", "int4-gptq", "A100-80GB", 32768, 0.9, 1),
    ("qwen2.5-32b", "bf16", "A100-80GB", 32768, 0.9, 2),    # ... input 30720: 2 GPUs
    ("qwen2.5-32b", "bf16", "A100-80GB", 32768, 1.0, 1),    # ... setting 1 (utilization 1.0): 1 GPU
    ("deepseek-r1", "fp8", "H200", 3072, 0.9, 8),           # TRT DeepSeek-R1 blog: FP8 on 8x H200
    ("llama-3-70b", "gguf-q4_k_m", "L40S", 2048, 0.95, 1),  # llama.cpp 70B Q4_K_M on one L40S 48GB
])
def test_min_gpus_matches_published_deployments(model, precision, gpu, context, util, published):
    assert memory.min_gpus(model, precision, gpu, context, memory_utilization=util) == published


def test_a_model_that_cannot_fit_is_an_error_naming_the_numbers():
    with pytest.raises(InputError, match=r"llama-3.3-70b in bf16 does not fit on 1 x L4: weights 141.1 GB \+ KV cache 1.34 GB "
                                         r"for one 4,096-token sequence > 21.6 GB usable"):
        memory.max_batch("llama-70b", "bf16", "L4", 1, 4096)
    with pytest.raises(InputError, match=r"does not fit on up to 128 x L4: weights 811.7 GB"):
        memory.min_gpus("llama-3.1-405b", "bf16", "L4", 10_000_000)
    assert memory.min_gpus("llama-3.1-70b", "int4-gptq", "H100", 4096) == 1  # 70B in INT4 fits one 80 GB GPU
    with pytest.raises(InputError, match="unknown precision 'int3'"):
        memory.weight_bytes("llama-8b", "int3")


def test_parameter_counts_match_the_model_cards():
    params = catalog.load_models().set_index("model")
    for model, card in [("llama-3.1-8b", 8.03e9), ("llama-3.1-70b", 70.55e9), ("llama-3.1-405b", 405.85e9),
                        ("mistral-7b", 7.24e9), ("mixtral-8x7b", 46.7e9), ("qwen2.5-7b", 7.61e9), ("qwen2.5-72b", 72.7e9),
                        ("qwen3-30b-a3b", 30.5e9), ("qwen3-235b-a22b", 235e9)]:
        assert params.loc[model, "params"] == pytest.approx(card, rel=0.003), model
    assert params.loc["mixtral-8x7b", "active_params"] == pytest.approx(12.9e9, rel=0.003)
    assert params.loc["llama-3.1-8b", "params"] == 8_030_261_248 and params.loc["deepseek-v3", "params"] == 671e9
    assert (params.loc["deepseek-r1-distill-qwen-32b", ["layers", "hidden", "kv_heads"]]
            == params.loc["qwen2.5-32b", ["layers", "hidden", "kv_heads"]]).all()


# --- quality -------------------------------------------------------------------------------------


def test_published_recoveries_feed_the_simulator(tmp_path):
    fp8 = catalog.precision_recovery("llama-8b", "fp8")
    assert fp8.recovery == pytest.approx(73.44 / 73.79) and "neuralmagic/Meta-Llama-3.1-8B-Instruct-FP8" in fp8.source
    assert catalog.precision_recovery("llama-3.1-70b", "int4").recovery == pytest.approx(78.54 / 78.67)
    assert catalog.precision_recovery("llama-3.1-405b", "fp8").recovery == pytest.approx((0.987 + 95.38 / 96.8) / 2)
    assert catalog.precision_recovery("llama-8b", "bf16").recovery == 1.0
    assert catalog.precision_recovery("llama-3-70b", "gguf-q4_k_m") is None  # perplexity only, not an accuracy

    from planner.simulate import load_scenario, simulate

    def run(selfhost, name):
        s = {"name": name, "months": 1, "requests_per_month": 1000, "workloads": [{
            "name": "w", "share": 1.0, "input_tokens": {"mean": 1000}, "output_tokens": {"mean": 200}, "accuracy": 0.8,
            "selfhost": {"model": "llama-3.1-8b", "gpu_type": "H100", **selfhost}}]}
        path = tmp_path / f"{name}.yaml"
        path.write_text(yaml.safe_dump(s))
        return simulate(load_scenario(path), draws=3)

    assert run({"precision": "fp8"}, "a").summary["accuracy"] == pytest.approx(0.8 * 73.44 / 73.79)
    assert run({"precision": "fp8", "quality_penalty_pct": 5}, "b").summary["accuracy"] == pytest.approx(0.76)  # own eval wins
    with pytest.warns(PlannerWarning, match="no published accuracy delta"):
        r = run({"precision": "gguf-q4_k_m", "gpu_type": "H100-PCIe", "engine": "llama.cpp"}, "c")
    assert r.summary["accuracy"] == pytest.approx(0.8)
    assert r.selfhost.iloc[0]["engine"] == "llama.cpp" and r.tokens["route"].iloc[0] == \
        "selfhost:llama-3.1-8b/gguf-q4_k_m/llama.cpp@H100-PCIe"


def test_quantize_scenario_prices_three_precisions_from_catalog_rows(tmp_path, capsys):
    from pathlib import Path

    from planner.simulate import load_scenario, simulate

    path = Path(__file__).resolve().parents[1] / "scenarios" / "quantize.yaml"
    with pytest.warns(PlannerWarning, match="gguf-q4_k_m: no published accuracy delta"):
        r = simulate(load_scenario(path), draws=3)
    cost = r.monthly.groupby("workload")["mean"].sum()
    hours = r.tokens.groupby("workload")["gpu_hours"].sum()
    assert cost["chat-fp8"] < cost["chat-bf16"] < cost["chat-int4"]
    for w in ("chat-bf16", "chat-fp8", "chat-int4"):
        row = r.selfhost.set_index("workload").loc[w]
        assert hours[w] > 3 * 730 * row["gpus_per_replica"]  # several replicas in every month
        price = catalog.gpu_offer(row["gpu_type"])["on_demand_usd_per_gpu_hour"]
        assert cost[w] == pytest.approx(hours[w] * price)
        tp = catalog.throughput("llama-3.1-8b", row["gpu_type"], row["precision"], 1000, 250, engine=row["engine"])
        assert row["output_tokens_per_s_per_replica"] == pytest.approx(tp.output_tokens_per_s)
    assert list(r.selfhost["precision"]) == ["fp16", "fp8", "gguf-q4_k_m"]
    with pytest.warns(PlannerWarning):
        assert main(["simulate", str(path), "--output", str(tmp_path / "out"), "--draws", "3"]) == 0
    out = capsys.readouterr().out
    assert "self-hosted routes" in out and "llama.cpp" in out and "usd_per_million_output_tokens" in out
    assert (tmp_path / "out" / "selfhost_routes.csv").is_file()


# --- scenario, plan and CLI paths ----------------------------------------------------------------


def test_scenario_names_engine_model_precision(tmp_path):
    from planner.simulate import load_scenario

    def write(selfhost):
        s = {"name": "s", "months": 1, "requests_per_month": 10, "workloads": [{
            "name": "w", "share": 1.0, "input_tokens": {"mean": 100}, "output_tokens": {"mean": 10}, "selfhost": selfhost}]}
        path = tmp_path / "s.yaml"
        path.write_text(yaml.safe_dump(s))
        return path

    assert load_scenario(write({"model": "qwen2.5-7b", "engine": "vllm", "gpu_type": "A100-80GB", "precision": "int4-awq"}))
    with pytest.raises(ScenarioError, match=r"workloads\[0\]\.selfhost: unknown engine 'tgi'"):
        load_scenario(write({"model": "llama-3.1-8b", "engine": "tgi", "gpu_type": "H100"}))
    with pytest.raises(ScenarioError, match=r"selfhost: no throughput figures for llama-3.1-8b/H100/fp8/vllm"):
        load_scenario(write({"model": "llama-3.1-8b", "engine": "vllm", "gpu_type": "H100"}))
    with pytest.raises(ScenarioError, match=r"selfhost\.cloud: no GPU offering for gpu_type='H100-PCIe', cloud='gcp'"):
        load_scenario(write({"model": "llama-3-8b", "gpu_type": "H100-PCIe", "precision": "gguf-q4_k_m", "cloud": "gcp"}))
    with pytest.raises(ScenarioError, match="give model or model_class"):
        load_scenario(write({"model": "llama-3.1-8b", "model_class": "llama-8b", "gpu_type": "H100"}))


def test_plan_routes_carry_engine_precision_and_recovery(tmp_path):
    from planner.optimize.config import _route

    route = _route({"selfhost": "llama-70b", "gpu_type": "H100", "precision": "fp8"}, "plan.yaml: routes[0]",
                   {"h100": "H100@aws"}, {"input": 932, "output": 143}, [])
    assert route.name == "selfhost:llama-3.3-70b/fp8/tensorrt-llm@H100@aws" and route.gpus_per_replica == 2
    tp = catalog.throughput("llama-70b", "H100", "fp8", 932, 143)
    assert route.output_tokens_per_gpu_hour == pytest.approx(tp.output_tokens_per_gpu_hour * 0.7)
    assert np.isnan(route.accuracy_recovery)  # no FP8 card published for Llama 3.3 70B itself
    r31 = _route({"selfhost": "llama-3.1-70b", "gpu_type": "H100", "precision": "fp8", "engine": "tensorrt-llm",
                  "gpus_per_replica": 4}, "x", {"h100": "H100"}, {"input": 1000, "output": 1000}, [])
    assert r31.gpus_per_replica == 4 and r31.accuracy_recovery == pytest.approx(84.29 / 84.40)
    with pytest.raises(InputError, match=r"routes\[0\]\.selfhost: no throughput figures for llama-3.1-70b/H100/fp8/vllm"):
        _route({"selfhost": "llama-3.1-70b", "gpu_type": "H100", "engine": "vllm"}, "routes[0]", {"h100": "H100"}, {"output": 1}, [])


def test_cli_lists_what_is_known(capsys):
    assert main(["catalog", "show", "throughput", "--filter", "vllm,A100-80GB,qwen2.5-72b"]) == 0
    out = capsys.readouterr().out
    assert "qwen2.5-72b" in out and "tensorrt-llm" not in out and "int4-gptq" in out
    assert main(["catalog", "show", "models", "--filter", "deepseek"]) == 0
    assert "deepseek-r1-distill-qwen-32b" in capsys.readouterr().out
    assert main(["catalog", "show", "quality", "--filter", "int4"]) == 0
    assert "Meta-Llama-3.1-70B-Instruct-quantized.w4a16" in capsys.readouterr().out
    assert main(["catalog", "show", "throughput", "--filter", "nosuchengine"]) == 2


# --- GPU offerings across clouds -----------------------------------------------------------------


def test_offerings_cover_four_clouds_with_cited_discounts():
    gpus = catalog.load_gpus()
    assert {"aws", "gcp", "azure", "lambda"} <= set(gpus["cloud"])
    gcp = gpus[(gpus["cloud"] == "gcp") & (gpus["instance_type"] == "a2-highgpu-1g")].iloc[0]
    assert gcp["on_demand_usd_per_gpu_hour"] == pytest.approx(3.7901)
    assert gcp["reserved_1y_usd_per_gpu_hour"] == pytest.approx(1743.0630772 / 730, abs=1e-4)  # Google's own 1-year price
    assert catalog.gpu_offer("H100", cloud="azure")["instance_type"] == "Standard_ND96isr_H100_v5"
    assert catalog.gpu_offer("H100-PCIe")["instance_type"] == "gpu_1x_h100_pcie"  # no longer counted as an SXM H100
    from planner.catalog.gpus import reserved_discount

    assert reserved_discount("gcp")["1y"] == pytest.approx(1 - 1743.0630772 / 2766.80366, abs=1e-3)
    assert "Google Cloud" in reserved_discount("gcp")["source"] and reserved_discount("somecloud")["3y"] == 0.55
    assert gpus["source"].str.len().gt(20).all()


def test_skypilot_gcp_attachable_gpus_and_pcie_names(tmp_path):
    vms = tmp_path / "vms.csv"
    vms.write_text("InstanceType,vCPUs,MemoryGiB,AcceleratorName,AcceleratorCount,GpuInfo,Region,AvailabilityZone,Price,SpotPrice\n"
                   "a2-highgpu-1g,12.0,85.0,,,,us-central1,us-central1-a,0.73948,0.29576\n"
                   ",,,A100,1,A100,us-central1,us-central1-a,2.933908,0.8\n"
                   ",,,A100,1,A100,us-east1,us-east1-b,3.1,0.9\n"
                   "h-pcie,8,32,H100,1,H100,x,x-a,2.0,\n")
    rows = catalog.import_skypilot(vms, "gcp").set_index("instance_type")
    att = rows.loc["(attachable A100 x1)"]
    assert att["gpu_type"] == "A100-40GB" and att["on_demand_usd_per_gpu_hour"] == pytest.approx((2.933908 + 3.1) / 2)
    assert "host VM is billed apart" in att["source"]
    assert att["reserved_1y_discount"] == pytest.approx(0.37)  # gcp's committed-use discount, not the default
    assert rows.loc["h-pcie", "gpu_type"] == "H100-PCIe"
