"""Server interceptor: binds request context to logs, records latency, maps errors."""

from __future__ import annotations

import time
import uuid

import grpc
import structlog

from .errors import ServiceError
from .logs import pseudonym
from .metrics import RPC_LATENCY

log = structlog.get_logger()


class ObservabilityInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every unary RPC: request id, structured logs, metrics, canonical errors."""

    def __init__(self, service: str, debug: bool = False) -> None:
        self._service = service
        self._debug = debug

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        metadata = dict(handler_call_details.invocation_metadata or ())
        inner = handler.unary_unary

        async def observed(request, context: grpc.aio.ServicerContext):
            request_id = metadata.get("x-request-id") or uuid.uuid4().hex[:16]
            fields = {"request_id": request_id, "rpc": method}
            if getattr(request, "session_id", ""):
                fields["session_id"] = request.session_id
            if getattr(request, "user_id", ""):
                fields["user"] = request.user_id if self._debug else pseudonym(request.user_id)
            structlog.contextvars.bind_contextvars(**fields)
            start = time.perf_counter()
            code = grpc.StatusCode.OK
            try:
                return await inner(request, context)
            except ServiceError as err:
                code = err.code
                log.info("rpc_error", code=err.code.name, reason=err.reason, message=err.message)
                await context.abort_with_status(err.to_status())
            except grpc.aio.AbortError:
                code = context.code() or grpc.StatusCode.UNKNOWN
                raise
            except Exception:
                code = grpc.StatusCode.INTERNAL
                log.exception("rpc_failed")
                await context.abort(grpc.StatusCode.INTERNAL, "internal error; see server logs")
            finally:
                elapsed = time.perf_counter() - start
                RPC_LATENCY.labels(self._service, method, code.name).observe(elapsed)
                log.debug("rpc_done", code=code.name, ms=round(elapsed * 1000, 2))
                structlog.contextvars.clear_contextvars()

        return grpc.unary_unary_rpc_method_handler(
            observed,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )
