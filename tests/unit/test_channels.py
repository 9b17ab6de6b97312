"""convrec_kit.channels: downstream failures keep their meaning when passed on."""

from __future__ import annotations

import grpc
import pytest
from grpc.aio import AioRpcError, Metadata

from convrec_kit.channels import Budget, call
from convrec_kit.errors import ServiceError, not_found


def failing(err: AioRpcError):
    async def method(request, timeout, metadata):
        raise err

    return method


def rpc_error(code: grpc.StatusCode, service_error: ServiceError | None = None) -> AioRpcError:
    trailing = Metadata()
    details = "boom"
    if service_error is not None:
        status = service_error.to_status()
        trailing = Metadata(*status.trailing_metadata)
        details = status.details
    return AioRpcError(code, Metadata(), trailing, details)


async def raised(err: AioRpcError) -> ServiceError:
    with pytest.raises(ServiceError) as caught:
        await call("retrieval", failing(err), None, Budget(1.0))
    return caught.value


async def test_not_found_keeps_its_code_reason_and_details():
    err = await raised(rpc_error(grpc.StatusCode.NOT_FOUND, not_found("item", "no item 'x'")))
    assert err.code == grpc.StatusCode.NOT_FOUND and err.reason == "NOT_FOUND"
    assert err.metadata == {"resource": "item", "service": "retrieval"} and "no item" in err.message


@pytest.mark.parametrize("code", [grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.INTERNAL])
async def test_bad_request_and_internal_are_never_turned_into_unavailable(code):
    err = await raised(rpc_error(code))
    assert err.code == code and err.reason == code.name and err.metadata == {"service": "retrieval"}


async def test_outages_and_deadlines():
    assert (await raised(rpc_error(grpc.StatusCode.UNAVAILABLE))).code == grpc.StatusCode.UNAVAILABLE
    late = await raised(rpc_error(grpc.StatusCode.DEADLINE_EXCEEDED))
    assert late.code == grpc.StatusCode.DEADLINE_EXCEEDED and late.metadata == {"service": "retrieval"}


@pytest.mark.parametrize("code", [grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED])
async def test_a_refused_service_credential_is_an_internal_fault(code):
    err = await raised(rpc_error(code))
    assert err.code == grpc.StatusCode.INTERNAL and err.reason == "SERVICE_CREDENTIALS_REFUSED"
