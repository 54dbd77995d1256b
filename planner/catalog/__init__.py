"""Catalogs: API prices, prompt-cache rules, GPU offerings and specs, self-host throughput, model shapes,
memory fit, the accuracy of quantized models and provisioned-throughput offers.

Versioned data files inside the package (``planner/catalog/data/``, see its ``MANIFEST.md``),
each entry citing its source. Every loader takes an optional path; a file of the same name in
``$PLANNER_CATALOG_DIR`` (default ``~/.config/planner/catalog``) overrides the packaged one.
"""

from planner.catalog._files import CATALOG_ENV, catalog_origin, user_catalog_dir
from planner.catalog.gpus import gpu_offer, import_skypilot, load_gpus, normalise_gpu
from planner.catalog.hardware import gpu_spec, load_gpu_specs
from planner.catalog.memory import kv_bytes_per_token, max_batch, min_gpus, weight_bytes
from planner.catalog.models import load_models, model_shape, resolve_model
from planner.catalog.prices import cache_rules, load_cache_rules, load_prices, model_price
from planner.catalog.provisioned import load_provisioned, provisioned_offer
from planner.catalog.quality import load_quality, precision_recovery
from planner.catalog.throughput import Throughput, load_throughput, throughput, throughput_options

__all__ = [
    "CATALOG_ENV",
    "user_catalog_dir",
    "catalog_origin",
    "load_prices",
    "model_price",
    "cache_rules",
    "load_cache_rules",
    "load_gpus",
    "gpu_offer",
    "import_skypilot",
    "normalise_gpu",
    "load_gpu_specs",
    "gpu_spec",
    "load_throughput",
    "throughput",
    "throughput_options",
    "Throughput",
    "load_provisioned",
    "provisioned_offer",
    "load_models",
    "model_shape",
    "resolve_model",
    "weight_bytes",
    "kv_bytes_per_token",
    "min_gpus",
    "max_batch",
    "load_quality",
    "precision_recovery",
]
