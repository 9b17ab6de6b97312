"""Client channels to other services: round-robin over every address, throttled retries for
idempotent reads, deadlines per call."""

from __future__ import annotations

import json
import time

import grpc

from .credentials import ServiceCredential
from .errors import ServiceError, error_info, unavailable
from .metrics import DOWNSTREAM_ERRORS
from .tls import ClientTLS, dial

# Every RPC one service calls on another is an idempotent read, so gRPC may retry
# it on UNAVAILABLE. Writes (SubmitFeedback) are only served, never called here.
# round_robin keeps a subchannel to every address the target resolves to (a static
# `ipv4:a:p,b:q` list, or every pod behind a headless Service with `dns:///svc:port`)
# and spreads calls over them; pick_first, the default, sends everything to one.
# retryThrottling stops retrying once failures outnumber successes (each failure costs a
# token, each success gives back 0.1; no retries below half of maxTokens), so an outage
# does not multiply the load by maxAttempts.
SERVICE_CONFIG = {
    "loadBalancingConfig": [{"round_robin": {}}],
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
    ],
    "retryThrottling": {"maxTokens": 10, "tokenRatio": 0.1},
}


def open_channel(address: str, tls: ClientTLS | None = None,
                 credential: ServiceCredential | None = None) -> grpc.aio.Channel:
    """A channel to `address`: `host:port`, `dns:///host:port` or `ipv4:a:p,b:q`; over TLS
    with `tls` (same balancing and retries), plaintext without; every call carries
    `authorization: Bearer ...` from `credential` when given."""
    channel = dial(
        address,
        tls,
        aio=True,
        options=[
            ("grpc.service_config", json.dumps(SERVICE_CONFIG)),
            # Resolver-provided configs (DNS TXT records) never replace this one.
            ("grpc.service_config_disable_resolution", 1),
            ("grpc.enable_retries", 1),
            ("grpc.max_receive_message_length", 64 * 1024 * 1024),
            ("grpc.keepalive_time_ms", 30000),
            # Reconnect within about a second of a restarted server (gRPC's default backoff
            # grows to two minutes, which keeps a recovered service unused that long).
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.min_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 1000),
        ],
    )
    return channel if credential is None else AuthorisedChannel(channel, credential)


class AuthorisedChannel:
    """A channel whose unary calls add the service's bearer token to their metadata (plain
    metadata works over plaintext and TLS alike; call credentials need TLS)."""

    def __init__(self, channel: grpc.aio.Channel, credential: ServiceCredential) -> None:
        self._channel, self._credential = channel, credential

    def unary_unary(self, method: str, *args, **kwargs):
        inner, credential = self._channel.unary_unary(method, *args, **kwargs), self._credential

        def invoke(request, *, metadata=None, **options):
            return inner(request, metadata=(*(metadata or ()), ("authorization", credential.header())), **options)

        return invoke

    def __getattr__(self, name: str):
        return getattr(self._channel, name)


class Budget:
    """The time left for one dialogue turn; each downstream call gets a share of it."""

    def __init__(self, seconds: float) -> None:
        self._deadline = time.monotonic() + seconds

    def remaining(self, floor: float = 0.01) -> float:
        return max(floor, self._deadline - time.monotonic())


# Downstream answers passed on with their own code and ErrorInfo reason: the request or the
# data is at fault, so retrying (what UNAVAILABLE tells a client) would not help.
_PASSED_ON = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.FAILED_PRECONDITION,
    grpc.StatusCode.OUT_OF_RANGE,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
)
# A downstream refusing this service's own credentials is a fault of the deployment, not
# of the caller's token: reported as INTERNAL.
_REFUSED = (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED)


async def call(target: str, method, request, budget: Budget, request_id: str = ""):
    """Call a downstream RPC with the turn's remaining time, mapping failures to errors."""
    metadata = (("x-request-id", request_id),) if request_id else None
    try:
        return await method(request, timeout=budget.remaining(), metadata=metadata)
    except grpc.aio.AioRpcError as err:
        DOWNSTREAM_ERRORS.labels(target, err.code().name).inc()
        raise _mapped(target, err) from None


def _mapped(target: str, err: grpc.aio.AioRpcError) -> ServiceError:
    code = err.code()
    if code == grpc.StatusCode.DEADLINE_EXCEEDED:
        return ServiceError(
            code,
            "DEADLINE_EXCEEDED",
            f"the {target} service did not answer within the turn's time budget",
            {"service": target},
        )
    if code in _REFUSED:
        return ServiceError(
            grpc.StatusCode.INTERNAL,
            "SERVICE_CREDENTIALS_REFUSED",
            f"the {target} service refused this service's credentials ({code.name})",
            {"service": target},
        )
    if code in _PASSED_ON:
        info = error_info(err)
        details = {**(dict(info.metadata) if info else {}), "service": target}
        reason = info.reason if info and info.reason else code.name
        return ServiceError(code, reason, err.details() or code.name.lower(), details)
    return unavailable(target, f"the {target} service is unavailable ({code.name}): {err.details()}")
