"""Self-hosting a workload: an always-on fleet sized for the peak, priced per GPU-hour.

Replicas needed in a month = max(min_replicas, ceil(mean output rate x peak_to_mean /
(replica throughput x utilization))); the fleet runs all month, so GPU-hours = replicas x GPUs
per replica x 730 h. Replica throughput is :func:`planner.catalog.throughput` for the workload's
engine, model, precision and GPU type at its mean request lengths (the best published
configuration when no engine is given), times a ``throughput_multiplier``; the replica must hold
the weights and one request's KV cache (:func:`planner.catalog.memory.fit`). Cost uses the
cheapest on-demand offering of the GPU type (on ``cloud`` when given,
:func:`planner.catalog.gpu_offer`); the optimizer is where reserved and spot capacity come in.

Quality: a declared workload ``accuracy`` is multiplied by the precision's published recovery
(:func:`planner.catalog.precision_recovery`, e.g. 0.9953 for Llama-3.1-8B in FP8) unless the
scenario gives its own ``quality_penalty_pct``; with neither, accuracy is left as declared and a
:class:`PlannerWarning` says no delta is published.
"""

from __future__ import annotations

import warnings

import numpy as np

from planner import catalog
from planner.exceptions import InputError, PlannerWarning

__all__ = ["replicas_needed", "selfhost_throughput", "selfhost_cost", "accuracy_multiplier", "route_name", "describe",
           "HOURS_PER_MONTH", "model_of"]

#: Hours in an average month [h].
HOURS_PER_MONTH = 730.0


def model_of(spec: dict) -> str:
    """The catalog model a ``selfhost`` block names (``model``, or the older ``model_class``)."""
    name = spec.get("model", spec.get("model_class"))
    if name is None:
        raise InputError("selfhost: give model (or model_class)")
    return catalog.resolve_model(name)


def replicas_needed(output_tokens_per_month: np.ndarray, tokens_per_s_per_replica: float, peak_to_mean: float = 2.0,
                    utilization: float = 0.7, min_replicas: int = 1) -> np.ndarray:
    """Replicas to serve a month's output tokens at its peak hour [replicas].

    Parameters
    ----------
    output_tokens_per_month : numpy.ndarray
        Output tokens per month [tokens].
    tokens_per_s_per_replica : float
        Usable replica throughput [tokens/s].
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


def selfhost_throughput(spec: dict, mean_input: float, mean_output: float) -> catalog.Throughput:
    """The replica throughput a ``selfhost`` block gets at the workload's mean lengths [tokens].

    Raises :class:`InputError` when the configuration's replica cannot hold the weights and one
    request of ``mean_input + mean_output`` tokens (the message names the numbers).
    """
    from planner.catalog.memory import max_batch

    model = model_of(spec)
    precision = spec.get("precision", "fp8")
    tp = catalog.throughput(model, spec["gpu_type"], precision, input_tokens=mean_input, output_tokens=max(mean_output, 1.0),
                            slo_derate=spec.get("slo_derate", 0.45), engine=spec.get("engine"),
                            gpus_per_replica=spec.get("gpus_per_replica"))
    max_batch(tp.model, tp.precision, spec["gpu_type"], tp.gpus_per_replica, mean_input + mean_output)
    return tp


def selfhost_cost(spec: dict, mean_input: float, mean_output: float, output_tokens: np.ndarray,
                  tp: catalog.Throughput | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Cost [USD] and GPU-hours [GPU-h] per month of serving ``output_tokens`` [tokens per month].

    ``spec`` keys: ``model`` (or ``model_class``), ``gpu_type``, ``engine`` (default: the best
    published), ``precision`` (fp8), ``gpus_per_replica``, ``cloud``, ``slo_derate``, ``utilization``
    (0.7), ``peak_to_mean`` (2.0), ``min_replicas`` (1), ``throughput_multiplier`` (1). ``tp``: an
    already looked-up :func:`selfhost_throughput`.
    """
    tp = tp or selfhost_throughput(spec, mean_input, mean_output)
    rate = tp.output_tokens_per_s * spec.get("throughput_multiplier", 1.0)
    replicas = replicas_needed(output_tokens, rate, spec.get("peak_to_mean", 2.0), spec.get("utilization", 0.7),
                               int(spec.get("min_replicas", 1)))
    hours = replicas * tp.gpus_per_replica * HOURS_PER_MONTH
    price = catalog.gpu_offer(spec["gpu_type"], cloud=spec.get("cloud"))["on_demand_usd_per_gpu_hour"]
    return hours * price, hours


def accuracy_multiplier(spec: dict) -> tuple[float, str]:
    """Factor on a declared accuracy for serving at the block's precision [-], and where it comes from.

    ``1 - quality_penalty_pct / 100`` when the scenario gives one (your own evaluation); else the
    published recovery of the model at that precision; else 1 with a :class:`PlannerWarning`.
    """
    if "quality_penalty_pct" in spec:
        return 1.0 - spec["quality_penalty_pct"] / 100.0, f"scenario quality_penalty_pct {spec['quality_penalty_pct']:g}"
    model, precision = model_of(spec), spec.get("precision", "fp8")
    found = catalog.precision_recovery(model, precision)
    if found is None:
        warnings.warn(f"selfhost {model}/{precision}: no published accuracy delta in the quality catalog; the declared accuracy "
                      "is not lowered (give selfhost.quality_penalty_pct from your own evaluation)", PlannerWarning, stacklevel=2)
        return 1.0, f"no published accuracy delta for {model}/{precision}"
    return found.recovery, found.source


def route_name(spec: dict, tp: catalog.Throughput) -> str:
    """``selfhost:<model>/<precision>/<engine>@<gpu_type>``: the route label the results and reports show."""
    return f"selfhost:{tp.model}/{tp.precision}/{tp.engine or 'engine?'}@{spec['gpu_type']}"


def describe(workload: str, spec: dict, tp: catalog.Throughput) -> dict:
    """One row for a report: the engine, precision and configuration a self-hosted route assumes."""
    if "quality_penalty_pct" in spec:
        recovery, quality = accuracy_multiplier(spec)
    else:
        found = catalog.precision_recovery(tp.model, spec.get("precision", "fp8"))
        recovery, quality = (found.recovery, found.source) if found else (float("nan"), "no published accuracy delta")
    return {"workload": workload, "route": route_name(spec, tp), "engine": tp.engine, "engine_version": tp.engine_version,
            "model": tp.model, "precision": tp.precision, "gpu_type": spec["gpu_type"], "gpus_per_replica": tp.gpus_per_replica,
            "load": "maximum load x SLO derate" if tp.concurrency == "max" else f"{tp.concurrency} concurrent request(s)",
            "output_tokens_per_s_per_replica": tp.output_tokens_per_s, "derived": tp.derived,
            "accuracy_recovery": recovery, "quality_source": quality, "throughput_source": tp.source}
