"""Self-hosting a workload: an always-on fleet sized for the peak, priced per GPU-hour.

Replicas needed in a month = max(min_replicas, ceil(mean output rate x peak_to_mean /
(replica throughput x utilization))); the fleet runs all month, so GPU-hours = replicas x GPUs
per replica x 730 h. Replica throughput is :func:`planner.catalog.throughput` (ceiling x SLO
derate) at the workload's mean request lengths, times a quantization ``throughput_multiplier``.
Cost uses the cheapest on-demand offering of the GPU type (:func:`planner.catalog.gpu_offer`);
the optimizer is where reserved and spot capacity come in.
"""

from __future__ import annotations

import numpy as np

from planner import catalog
from planner.exceptions import InputError

__all__ = ["replicas_needed", "selfhost_cost", "HOURS_PER_MONTH"]

#: Hours in an average month [h].
HOURS_PER_MONTH = 730.0


def replicas_needed(output_tokens_per_month: np.ndarray, tokens_per_s_per_replica: float, peak_to_mean: float = 2.0,
                    utilization: float = 0.7, min_replicas: int = 1) -> np.ndarray:
    """Replicas to serve a month's output tokens at its peak hour [replicas].

    Parameters
    ----------
    output_tokens_per_month : numpy.ndarray
        Output tokens per month [tokens].
    tokens_per_s_per_replica : float
        Derated replica throughput [tokens/s].
    peak_to_mean : float
        Peak-hour rate over the month's mean rate [-] (about 2 for a daily cycle like ServeGen's).
    utilization : float
        Target utilization of the fleet at the peak, in (0, 1].
    min_replicas : int
        Replicas kept up even without traffic (1 for availability).
    """
    if not 0 < utilization <= 1 or peak_to_mean < 1 or min_replicas < 0:
        raise InputError("selfhost: utilization must be in (0, 1], peak_to_mean >= 1, min_replicas >= 0")
    mean_rate = np.asarray(output_tokens_per_month, float) / (HOURS_PER_MONTH * 3600.0)
    return np.maximum(min_replicas, np.ceil(mean_rate * peak_to_mean / (tokens_per_s_per_replica * utilization)))


def selfhost_cost(spec: dict, mean_input: float, mean_output: float, output_tokens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cost [USD] and GPU-hours [GPU-h] per month of serving ``output_tokens`` [tokens per month].

    ``spec`` keys: ``model_class``, ``gpu_type``, ``precision`` (default fp8), ``slo_derate``,
    ``utilization`` (0.7), ``peak_to_mean`` (2.0), ``min_replicas`` (1), ``throughput_multiplier`` (1).
    """
    tp = catalog.throughput(spec["model_class"], spec["gpu_type"], spec.get("precision", "fp8"),
                            input_tokens=mean_input, output_tokens=max(mean_output, 1.0),
                            slo_derate=spec.get("slo_derate", 0.45))
    rate = tp.output_tokens_per_s * spec.get("throughput_multiplier", 1.0)
    replicas = replicas_needed(output_tokens, rate, spec.get("peak_to_mean", 2.0), spec.get("utilization", 0.7),
                               int(spec.get("min_replicas", 1)))
    hours = replicas * tp.gpus_per_replica * HOURS_PER_MONTH
    price = catalog.gpu_offer(spec["gpu_type"])["on_demand_usd_per_gpu_hour"]
    return hours * price, hours
