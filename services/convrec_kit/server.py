"""One way to run every convrec service: grpc.aio, health, reflection, metrics, SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import grpc
import structlog
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from prometheus_client import start_http_server

from .auth_interceptor import server_interceptors
from .auth_settings import SecuritySettings
from .interceptor import ObservabilityInterceptor
from .settings import CommonSettings, load_settings
from .tls import CertificateReloader, sighup_handler

log = structlog.get_logger()

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@dataclass
class ServiceBinding:
    """A servicer and how to add it to a server."""

    full_name: str  # e.g. "convrec.intent.v1.IntentService"
    add: Callable[[object, grpc.aio.Server], None]
    servicer: object


class HealthReporter:
    """Sets the health of the whole server and of each named service together."""

    def __init__(self, servicer: health.aio.HealthServicer, names: Sequence[str]) -> None:
        self._servicer = servicer
        self._names = ["", *names]

    async def set(self, serving: bool) -> None:
        status = SERVING if serving else NOT_SERVING
        for name in self._names:
            await self._servicer.set(name, status)


async def follow_readiness(reporter: HealthReporter, check: Callable[[], Awaitable[bool]],
                           interval: float = 1.0) -> None:
    """Keeps the health status equal to `check()`, re-checked every `interval` seconds."""
    serving = None
    while True:
        try:
            now = await check()
        except Exception:  # a failing check means not ready
            now = False
        if now != serving:
            log.info("serving" if now else "not_serving", check=getattr(check, "__qualname__", ""))
            await reporter.set(now)
            serving = now
        await asyncio.sleep(interval)


def _bind(server: grpc.aio.Server, name: str, address: str, settings: CommonSettings) -> CertificateReloader | None:
    """Adds the gRPC port: TLS when the settings name a certificate (returning what reloads it),
    else plaintext. The metrics port is plain HTTP either way."""
    server_tls = settings.server_tls()
    reloader = CertificateReloader(server_tls) if server_tls else None
    bound = server.add_secure_port(address, reloader.credentials()) if reloader else server.add_insecure_port(address)
    if bound == 0:
        raise SystemExit(f"{name}: cannot bind {address}")
    return reloader


async def serve(
    name: str,
    settings: CommonSettings,
    bindings: Sequence[ServiceBinding],
    load: Callable[[HealthReporter], Awaitable[None]],
    close: Callable[[], Awaitable[None]] | None = None,
) -> None:
    """Serve until SIGTERM/SIGINT. `load` readies the models and then marks SERVING."""
    security = load_settings(SecuritySettings)  # CONVREC_AUTH*, CONVREC_REFLECTION
    server = grpc.aio.server(
        # Observability outermost, so refused calls are logged and counted like any other.
        interceptors=[ObservabilityInterceptor(name, settings.debug), *server_interceptors(security)],
        options=[
            ("grpc.max_receive_message_length", settings.max_message_bytes),
            ("grpc.max_send_message_length", 64 * 1024 * 1024),
            ("grpc.so_reuseport", 0),
            ("grpc.max_connection_age_ms", int(settings.max_connection_age_seconds * 1000)),
            ("grpc.max_connection_age_grace_ms", int(settings.connection_age_grace_seconds * 1000)),
        ],
    )
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for binding in bindings:
        binding.add(binding.servicer, server)
    names = [b.full_name for b in bindings]
    reporter = HealthReporter(health_servicer, names)
    await reporter.set(False)
    if security.reflection == "on":
        reflection.enable_server_reflection([*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server)
    address = f"{settings.host}:{settings.port}"
    reloader = _bind(server, name, address, settings)
    if settings.metrics_port:
        start_http_server(settings.metrics_port, addr=settings.host)
    await server.start()
    log.info("listening", service=name, address=address, metrics_port=settings.metrics_port,
             tls=reloader.mode if reloader else "off")

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, sighup_handler(reloader))  # re-read the certificate files

    loader = asyncio.create_task(load(reporter))
    stop_waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({loader, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
    if loader in done and loader.exception() is not None:
        log.error("load_failed", service=name, error=str(loader.exception()))
        await server.stop(0)
        raise SystemExit(f"{name}: failed to load: {loader.exception()}")
    if loader in done:
        log.info("ready", service=name)
    await stop_waiter
    log.info("stopping", service=name, grace_s=settings.grace_seconds)
    await reporter.set(False)
    loader.cancel()
    await server.stop(settings.grace_seconds)
    if close is not None:
        await close()
    log.info("stopped", service=name)
