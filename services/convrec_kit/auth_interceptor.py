"""Server interceptor: authenticates every RPC except health and reflection, and checks its scope."""

from __future__ import annotations

import grpc
import structlog

from .auth import ADMIN, SERVICE, AuthError, Principal, Verifier, bind_principal, unbind_principal
from .auth_settings import SecuritySettings
from .errors import ServiceError, permission_denied, unauthenticated
from .logs import pseudonym

# Open to anyone: probes and tooling.
OPEN_PREFIXES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
# Any authenticated caller may use these (the servicer checks which user a call may act for);
# every other RPC (intent, retrieval, ranking) is for our services: scope `service` or `admin`.
USER_FACING_PREFIXES = ("/convrec.dialogue.v1.DialogueService/",)
SERVICE_SCOPES = frozenset({SERVICE, ADMIN})


def required_scopes(method: str) -> frozenset[str] | None:
    """None: no token needed; empty: any valid token; else one of these scopes."""
    if method.startswith(OPEN_PREFIXES):
        return None
    return frozenset() if method.startswith(USER_FACING_PREFIXES) else SERVICE_SCOPES


def bearer(metadata) -> str:
    """The token of the one `authorization: Bearer <token>` header; UNAUTHENTICATED otherwise."""
    values = [v for k, v in (metadata or ()) if k == "authorization"]
    if not values:
        raise unauthenticated(
            "TOKEN_MISSING",
            "this call needs a bearer token: send the metadata `authorization: Bearer <token>` "
            "(a JWT or a ck_ API key)",
        )
    if len(values) > 1:
        raise unauthenticated("TOKEN_INVALID", "send exactly one authorization header")
    scheme, _, token = str(values[0]).strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("TOKEN_INVALID", "the authorization header must read `Bearer <token>`")
    return token.strip()


class AuthInterceptor(grpc.aio.ServerInterceptor):
    """Refuses unauthenticated calls (UNAUTHENTICATED) and calls without the scope the RPC needs
    (PERMISSION_DENIED); the servicer finds the caller with `auth.current_principal()`."""

    def __init__(self, verifier: Verifier) -> None:
        self._verifier = verifier

    def authorise(self, method: str, metadata) -> Principal | None:
        needed = required_scopes(method)
        if needed is None:
            return None
        try:
            principal = self._verifier.verify(bearer(metadata))
        except AuthError as err:
            raise unauthenticated(err.reason, err.message) from None
        if needed and not principal.scopes & needed:
            raise permission_denied(
                f"{method.rsplit('/', 1)[-1]} is for convrec's own services: the token needs scope "
                f"{' or '.join(sorted(needed))}",
                {"scope_required": " ".join(sorted(needed))},
            )
        return principal

    async def intercept_service(self, continuation, handler_call_details):
        handler = await continuation(handler_call_details)
        if handler is None:
            return None
        try:
            principal = self.authorise(handler_call_details.method, handler_call_details.invocation_metadata)
        except ServiceError as err:
            return _refusing(handler, err)
        if principal is None or handler.unary_unary is None:
            return handler  # open RPCs; every convrec RPC is unary, so nothing else needs the principal
        return handler._replace(unary_unary=_as(principal, handler.unary_unary))


def _as(principal: Principal, inner):
    async def authorised(request, context):
        token = bind_principal(principal)
        structlog.contextvars.bind_contextvars(caller=pseudonym(principal.subject), caller_kind=principal.kind)
        try:
            return await inner(request, context)
        finally:
            unbind_principal(token)

    return authorised


def _refusing(handler, err: ServiceError):
    """The handler, answering `err` instead of running."""

    async def refuse(request, context):
        raise err  # the observability interceptor logs it and sends its status

    async def abort(request_or_iterator, context):
        await context.abort_with_status(err.to_status())

    if handler.unary_unary is not None:
        return handler._replace(unary_unary=refuse)
    kind = next(k for k in ("unary_stream", "stream_unary", "stream_stream") if getattr(handler, k) is not None)
    return handler._replace(**{kind: abort})


def server_interceptors(settings: SecuritySettings) -> list[grpc.aio.ServerInterceptor]:
    """[AuthInterceptor] when CONVREC_AUTH=on, else []; SystemExit when its keys are unusable."""
    if not settings.enabled:
        return []
    try:
        return [AuthInterceptor(Verifier.from_settings(settings))]
    except ValueError as err:
        raise SystemExit(f"invalid configuration: {err}") from None
