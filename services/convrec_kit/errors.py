"""Canonical gRPC errors carrying google.rpc.ErrorInfo details."""

from __future__ import annotations

import grpc
from google.protobuf import any_pb2
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
    ) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = metadata or {}

    def to_status(self) -> grpc.Status:
        info = error_details_pb2.ErrorInfo(reason=self.reason, domain=DOMAIN, metadata=self.metadata)
        detail = any_pb2.Any()
        detail.Pack(info)
        proto = status_pb2.Status(code=self.code.value[0], message=self.message, details=[detail])
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


def error_info(err: grpc.aio.AioRpcError | grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The ErrorInfo detail of a failed call, if it has one (for clients and tests)."""
    status = rpc_status.from_call(err)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    return None
