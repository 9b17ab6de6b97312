"""Prometheus metrics shared by the services."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

RPC_LATENCY = Histogram(
    "convrec_rpc_latency_seconds",
    "Server-side latency of each RPC, by service, method and status code.",
    ["service", "method", "code"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2.5, 5),
)
MODEL_FORWARD = Histogram(
    "convrec_model_forward_seconds",
    "Time of one model forward pass (one batch), by model.",
    ["model"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.02, 0.035, 0.05, 0.1, 0.2, 0.5, 1),
)
MODEL_BATCH_SIZE = Histogram(
    "convrec_model_batch_size",
    "Texts per model forward pass, by model.",
    ["model"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
DOWNSTREAM_ERRORS = Counter(
    "convrec_downstream_errors_total",
    "Failed calls to another service, by target and status code.",
    ["target", "code"],
)
DEGRADED_TURNS = Counter(
    "convrec_degraded_turns_total",
    "Dialogue turns answered without a downstream service, by that service.",
    ["service"],
)
