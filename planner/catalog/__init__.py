"""Catalogs: API prices, prompt-cache rules, GPU offerings, self-host throughput, provisioned throughput.

Versioned data files inside the package (``planner/catalog/data/``, see its ``MANIFEST.md``),
each entry citing its source. Every loader takes an optional path; a file of the same name in
``$PLANNER_CATALOG_DIR`` (default ``~/.config/planner/catalog``) overrides the packaged one.
"""

from planner.catalog._files import CATALOG_ENV, catalog_origin, user_catalog_dir
from planner.catalog.gpus import gpu_offer, import_skypilot, load_gpus
from planner.catalog.prices import cache_rules, load_cache_rules, load_prices, model_price
from planner.catalog.provisioned import load_provisioned, provisioned_offer
from planner.catalog.throughput import Throughput, load_throughput, throughput

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
    "load_throughput",
    "throughput",
    "Throughput",
    "load_provisioned",
    "provisioned_offer",
]
