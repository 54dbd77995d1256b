"""Catalogs: published figures round-trip, interpolation, overrides, SkyPilot import, bad files."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from planner import catalog
from planner.cli import main
from planner.exceptions import CatalogError, PlannerWarning


def test_api_prices_match_litellm():
    gpt4o = catalog.model_price("gpt-4o")
    assert gpt4o["input_usd_per_token"] * 1e6 == pytest.approx(2.5)
    assert gpt4o["output_usd_per_token"] * 1e6 == pytest.approx(10.0)
    assert gpt4o["batch_input_usd_per_token"] / gpt4o["input_usd_per_token"] == pytest.approx(0.5)
    sonnet = catalog.model_price("claude-sonnet-4-5")
    assert sonnet["cache_write_usd_per_token"] / sonnet["input_usd_per_token"] == pytest.approx(1.25)
    assert sonnet["cache_read_usd_per_token"] / sonnet["input_usd_per_token"] == pytest.approx(0.1)
    assert sonnet["min_cacheable_tokens"] == 1024
    with pytest.raises(CatalogError, match=r"unknown API model 'gpt-4oo'.*gpt-4o"):
        catalog.model_price("gpt-4oo")


def test_cache_rules_by_provider_and_model():
    assert catalog.cache_rules("anthropic")["write_multiplier"] == 1.25
    assert catalog.cache_rules("anthropic")["write_multiplier_1h"] == 2.0
    assert catalog.cache_rules("openai")["write_multiplier"] == 1.0
    assert catalog.cache_rules("gemini", "gemini-2.5-pro")["min_cacheable_tokens"] == 4096
    assert catalog.cache_rules("gemini", "gemini-2.5-flash")["min_cacheable_tokens"] == 1024
    assert catalog.cache_rules("bedrock", "anthropic.claude-3-haiku")["family"] == "anthropic"
    assert catalog.cache_rules("bedrock", "meta.llama3-70b")["family"] == "none"
    assert math.isinf(catalog.cache_rules("mistral")["min_cacheable_tokens"])


def test_gpu_offerings_from_published_figures():
    gpus = catalog.load_gpus()
    p5 = gpus[gpus["instance_type"] == "p5.48xlarge"].iloc[0]
    assert p5["gpu_type"] == "H100" and p5["gpus_per_instance"] == 8
    assert p5["on_demand_usd_per_gpu_hour"] * 8 == pytest.approx(58.89, abs=0.01)
    assert p5["spot_usd_per_gpu_hour"] / p5["on_demand_usd_per_gpu_hour"] == pytest.approx(0.288, abs=0.002)
    assert p5["reserved_1y_usd_per_gpu_hour"] == pytest.approx(p5["on_demand_usd_per_gpu_hour"] * 0.65, rel=1e-3)
    ordered = gpus.dropna(subset=["spot_usd_per_gpu_hour"])
    assert (ordered["spot_usd_per_gpu_hour"] < ordered["on_demand_usd_per_gpu_hour"]).all()
    assert (gpus["reserved_3y_usd_per_gpu_hour"] < gpus["reserved_1y_usd_per_gpu_hour"]).all()
    assert catalog.gpu_offer("H100", cloud="aws")["instance_type"] == "p5.4xlarge"
    assert catalog.gpu_offer("A100", cloud="aws")["gpu_type"] == "A100-40GB"  # same name as planner.usage
    assert set(gpus.loc[gpus["instance_type"] == "p4d.24xlarge", "gpu_type"]) == {"A100-40GB"}
    with pytest.raises(CatalogError, match="no GPU offering for gpu_type='TPU'"):
        catalog.gpu_offer("TPU")


def test_throughput_published_points_and_interpolation():
    exact = catalog.throughput("llama-70b", "H100", input_tokens=1000, output_tokens=1000)
    assert exact.output_tokens_per_s_ceiling == pytest.approx(4205)
    assert exact.output_tokens_per_s == pytest.approx(4205 * 0.45)
    assert exact.gpus_per_replica == 2
    assert exact.output_tokens_per_gpu_hour == pytest.approx(4205 * 0.45 * 3600 / 2)
    assert catalog.throughput("llama-405b", "H100", input_tokens=2048, output_tokens=2048,
                              slo_derate=1.0).output_tokens_per_s == pytest.approx(2296)
    lengths = [300, 500, 1000, 2000, 3000, 4000]
    values = [catalog.throughput("llama-8b", "H200", input_tokens=n, output_tokens=n).output_tokens_per_s_ceiling
              for n in [x / 2 for x in lengths]]
    assert all(a > b for a, b in zip(values, values[1:], strict=False))  # longer requests, fewer tokens/s
    assert 15220 < catalog.throughput("llama-8b", "H100", input_tokens=500, output_tokens=500).output_tokens_per_s_ceiling < 28312
    # BF16 is now the published TensorRT-LLM v0.13 FP16 figure (was FP8 / 1.6, derived)
    bf16 = catalog.throughput("llama-8b", "H100", precision="bf16")
    assert bf16.output_tokens_per_s_ceiling == pytest.approx(7160.92) and bf16.precision == "fp16" and not bf16.derived
    with pytest.warns(PlannerWarning, match="outside the published lengths"):
        far = catalog.throughput("llama-8b", "H100", input_tokens=8000, output_tokens=8000)
    assert 0 < far.output_tokens_per_s_ceiling < 9305  # extrapolated by the request-time model, below 2048/2048
    with pytest.raises(CatalogError, match=r"no throughput figures for llama-3.3-70b/A100-40GB/fp8; known for llama-3.3-70b"):
        catalog.throughput("llama-70b", "A100")


def test_user_catalog_dir_overrides(tmp_path, monkeypatch):
    custom = catalog.load_gpus().head(2).assign(on_demand_usd_per_gpu_hour=1.0, reserved_1y_usd_per_gpu_hour=float("nan"))
    custom.to_csv(tmp_path / "gpu_offerings.csv", index=False)
    monkeypatch.setenv("PLANNER_CATALOG_DIR", str(tmp_path))
    gpus = catalog.load_gpus()
    assert len(gpus) == 2 and (gpus["on_demand_usd_per_gpu_hour"] == 1.0).all()
    assert (gpus["reserved_1y_usd_per_gpu_hour"] == 0.65).all()  # missing reserved price: default discount


def test_skypilot_import_matches_instance_prices(lambda_vms):
    vms = lambda_vms
    raw = pd.read_csv(vms)
    imported = catalog.import_skypilot(vms, "lambda")
    h100 = imported[imported["instance_type"] == "gpu_8x_h100_sxm5"].iloc[0]
    expected = raw.loc[raw["InstanceType"] == "gpu_8x_h100_sxm5", "Price"].median() / 8
    assert h100["on_demand_usd_per_gpu_hour"] == pytest.approx(expected)
    assert set(imported["instance_type"]) == set(raw.dropna(subset=["AcceleratorName"])["InstanceType"])


def test_skypilot_bad_files(tmp_path):
    bad = tmp_path / "vms.csv"
    bad.write_text("InstanceType,AcceleratorName,AcceleratorCount,Price,Region,SpotPrice\nx,H100,8,cheap,us,\n")
    with pytest.raises(CatalogError, match=r"vms\.csv: column 'Price' must be a number at row 1 \(found 'cheap'\)"):
        catalog.import_skypilot(bad, "x")
    bad.write_text("InstanceType,AcceleratorName,Price\nx,H100,3\n")
    with pytest.raises(CatalogError, match=r"missing required SkyPilot column 'AcceleratorCount' .* and 2 more \['Region', 'SpotPrice'\]"):
        catalog.import_skypilot(bad, "x")


def test_cli_import_and_show(tmp_path, capsys, lambda_vms):
    vms = str(lambda_vms)
    assert main(["catalog", "import", "skypilot", vms, "--cloud", "lambda", "--catalog-dir", str(tmp_path)]) == 0
    assert main(["catalog", "import", "skypilot", vms, "--cloud", "lambda", "--catalog-dir", str(tmp_path)]) == 0
    merged = pd.read_csv(tmp_path / "gpu_offerings.csv", comment="#")
    assert (merged["cloud"] == "lambda").sum() == 22 and (merged["cloud"] == "aws").sum() > 0
    capsys.readouterr()
    assert main(["catalog", "show", "prices", "--filter", "gpt-4o-mini"]) == 0
    assert "input_usd_per_mtok" in capsys.readouterr().out
    assert main(["catalog", "import", "skypilot", str(tmp_path / "none.csv"), "--cloud", "x",
                 "--catalog-dir", str(tmp_path / "new")]) == 2
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())
