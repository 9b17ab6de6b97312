"""Canonical gRPC errors carrying google.rpc.ErrorInfo details (and RetryInfo where it helps)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import grpc
from google.protobuf import any_pb2, duration_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

DOMAIN = "convrec.dev"


class ServiceError(Exception):
    """An error to return to the caller with a canonical status code."""

    def __init__(
        self,
        code: grpc.StatusCode,
        reason: str,
        message: str,
        metadata: dict[str, str] | None = None,
        details: Sequence[Message] = (),
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = metadata or {}
        # More google.rpc details sent after the ErrorInfo (e.g. RetryInfo).
        self.details = tuple(details)

    def to_status(self) -> grpc.Status:
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=self.metadata)
        packed = []
        for message in (info, *self.details):
            detail = any_pb2.Any()
            detail.Pack(message)
            packed.append(detail)
        proto = status_pb2.Status(code=self.code.value[0], message=self.message, details=packed)
        return rpc_status.to_status(proto)


def invalid_argument(field: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.INVALID_ARGUMENT, "INVALID_ARGUMENT", message, {"field": field})


def not_found(what: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.NOT_FOUND, "NOT_FOUND", message, {"resource": what})


def unavailable(service: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAVAILABLE, "UNAVAILABLE", message, {"service": service})


def not_ready(service: str) -> ServiceError:
    return ServiceError(
        grpc.StatusCode.UNAVAILABLE,
        "NOT_READY",
        f"{service} is still loading its models; retry shortly",
        {"service": service},
    )


def unauthenticated(reason: str, message: str) -> ServiceError:
    return ServiceError(grpc.StatusCode.UNAUTHENTICATED, reason, message, {"header": "authorization"})


def permission_denied(message: str, metadata: dict[str, str] | None = None) -> ServiceError:
    return ServiceError(grpc.StatusCode.PERMISSION_DENIED, "PERMISSION_DENIED", message, metadata)


def rate_limited(method: str, retry_after: float) -> ServiceError:
    """RESOURCE_EXHAUSTED with a RetryInfo saying when the next call may succeed."""
    delay = duration_pb2.Duration()
    delay.FromMilliseconds(max(1, math.ceil(retry_after * 1000)))
    return ServiceError(
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        "RATE_LIMITED",
        f"too many {method} calls; retry in {delay.ToMilliseconds() / 1000:.3g} s",
        {"method": method, "retry_after_ms": str(delay.ToMilliseconds())},
        [error_details_pb2.RetryInfo(retry_delay=delay)],
    )


def status_detail(err: grpc.aio.AioRpcError | grpc.RpcError, kind: type[Message]) -> Message | None:
    """The first detail of type `kind` of a failed call, if it has one (for clients and tests)."""
    status = rpc_status.from_call(err)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(kind.DESCRIPTOR):
            found = kind()
            detail.Unpack(found)
            return found
    return None


def error_info(err: grpc.aio.AioRpcError | grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo detail of a failed call, if it has one (for clients and tests)."""
    return status_detail(err, error_details_pb2.ErrorInfo)
