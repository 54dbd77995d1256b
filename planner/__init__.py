"""planner: AI capacity planning.

Usage ingestion (:mod:`planner.usage`), an embedded store (:mod:`planner.store`), catalogs of
API prices, GPU offerings and self-host throughput (:mod:`planner.catalog`), demand forecasts,
commitment optimization, what-if simulation and planning reports.

Importing :mod:`planner` is cheap: heavy dependencies (statsforecast, PuLP, altair) load only in
the submodules that need them.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
