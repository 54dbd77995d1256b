"""What-if levers for token economics: routing, caching, batching (pvlib-style topic modules).

:mod:`planner.simulate.routing` replays strong/weak routing on per-query correctness;
:mod:`planner.simulate.caching` prices prompt caching, semantic caching and batch APIs.
"""

from planner.simulate import caching, routing

__all__ = ["caching", "routing"]
