"""What-if simulation of token economics: routing, caching, batching, trimming, output caps.

pvlib-style: topic modules of pure functions (:mod:`planner.simulate.routing`,
:mod:`planner.simulate.caching`), a validated scenario schema (:func:`load_scenario`) and a thin
orchestrator (:func:`simulate`, :func:`compare`) that keeps every intermediate in a
:class:`SimulationResult`.
"""

from planner.simulate import agents, caching, routing, selfhost
from planner.simulate.engine import (
    Comparison,
    SimulationResult,
    compare,
    monthly_requests,
    sensitivity,
    simulate,
)
from planner.simulate.scenario import load_scenario

__all__ = [
    "agents",
    "caching",
    "routing",
    "selfhost",
    "load_scenario",
    "simulate",
    "compare",
    "sensitivity",
    "monthly_requests",
    "SimulationResult",
    "Comparison",
]
