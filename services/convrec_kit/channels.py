"""Client channels to other services: retries for idempotent reads, deadlines per call."""

from __future__ import annotations

import json
import time

import grpc

from .errors import ServiceError, unavailable
from .metrics import DOWNSTREAM_ERRORS

# Every RPC one service calls on another is an idempotent read, so gRPC may retry
# it on UNAVAILABLE. Writes (SubmitFeedback) are only served, never called here.
_RETRY_CONFIG = json.dumps(
    {
        "methodConfig": [
            {
                "name": [{}],
                "retryPolicy": {
                    "maxAttempts": 3,
                    "initialBackoff": "0.02s",
                    "maxBackoff": "0.2s",
                    "backoffMultiplier": 2,
                    "retryableStatusCodes": ["UNAVAILABLE"],
                },
            }
        ]
    }
)


def open_channel(address: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(
        address,
        options=[
            ("grpc.service_config", _RETRY_CONFIG),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.keepalive_time_ms", 30000),
        ],
    )


class Budget:
    """The time left for one dialogue turn; each downstream call gets a share of it."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def remaining(self, floor: float = 0.01) -> float:
        return max(floor, self._deadline - time.monotonic())


async def call(target: str, method, request, budget: Budget, request_id: str = ""):
    """Call a downstream RPC with the turn's remaining time, mapping failures to errors."""
    metadata = (("x-request-id", request_id),) if request_id else None
    try:
        return await method(request, timeout=budget.remaining(), metadata=metadata)
    except grpc.aio.AioRpcError as err:
        DOWNSTREAM_ERRORS.labels(target, err.code().name).inc()
        if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
            raise ServiceError(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                "DEADLINE_EXCEEDED",
                f"the {target} service did not answer within the turn's time budget",
                {"service": target},
            ) from None
        if err.code() == grpc.StatusCode.INVALID_ARGUMENT:
            raise ServiceError(
                err.code(),
                "INVALID_ARGUMENT",
                err.details() or "invalid argument",
                {"service": target},
            ) from None
        raise unavailable(
            target, f"the {target} service is unavailable ({err.code().name}): {err.details()}"
        ) from None
