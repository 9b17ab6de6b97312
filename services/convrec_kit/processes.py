"""Starts child processes, waits for them to be ready or to exit, and stops them."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .tls import ClientTLS, dial

# A channel to a port nobody listens on yet backs off up to 120 s by default; poll faster.
_PROBE_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 200),
    ("grpc.min_reconnect_backoff_ms", 200),
    ("grpc.max_reconnect_backoff_ms", 1000),
]


def free_port() -> int:
    """A loopback TCP port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class StopRequest:
    """Becomes true on SIGTERM or SIGINT (Ctrl-C)."""

    def __init__(self) -> None:
        self.requested = False
        signal.signal(signal.SIGTERM, self._request)
        signal.signal(signal.SIGINT, self._request)

    def _request(self, *_) -> None:
        self.requested = True


def start(command: Sequence[str], env: Mapping[str, str] | None = None,
          log_path: Path | None = None) -> subprocess.Popen:
    """Starts `command`; with `log_path`, its stdout and stderr are appended to that file."""
    if log_path is None:
        return subprocess.Popen(list(command), env=env)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("ab") as log:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(list(command), env=env, stdout=log, stderr=subprocess.STDOUT)


def log_tail(log_path: Path | None, chars: int = 3000) -> str:
    if log_path is None or not log_path.exists():
        return ""
    return log_path.read_text(errors="replace")[-chars:]


def wait_ready(ready: Callable[[], bool], timeout: float, what: str, proc: subprocess.Popen | None = None,
               log_path: Path | None = None, interval: float = 0.2) -> None:
    """Polls `ready()` until it is true. Raises RuntimeError if `proc` exits first (with the
    end of its log) and TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}:\n{log_tail(log_path)}")
        if ready():
            return
        if time.monotonic() >= deadline:
            where = f"; see {log_path}" if log_path is not None else ""
            raise TimeoutError(f"{what} not ready within {timeout:.0f}s{where}")
        time.sleep(interval)


def wait_serving(address: str, timeout: float = 120.0, service: str = "", proc: subprocess.Popen | None = None,
                 log_path: Path | None = None, what: str = "", tls: ClientTLS | None = None) -> None:
    """Waits until the gRPC health service at `address` reports SERVING for `service` (dialled
    over TLS with `tls`, plaintext without)."""
    with dial(address, tls, _PROBE_OPTIONS) as channel:
        stub = health_pb2_grpc.HealthStub(channel)

        def serving() -> bool:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
            except grpc.RpcError:
                return False
            return reply.status == health_pb2.HealthCheckResponse.SERVING

        wait_ready(serving, timeout, what or f"{address} (SERVING)", proc, log_path)


def wait_first_exit(procs: Mapping[str, subprocess.Popen], stop: StopRequest | None = None,
                    interval: float = 0.2) -> tuple[str, int] | None:
    """Blocks until one process exits, returning its name and code, or until `stop` is requested
    (None then)."""
    while stop is None or not stop.requested:
        for name, proc in procs.items():
            if proc.poll() is not None:
                return name, proc.returncode
        time.sleep(interval)
    return None


def stop(proc: subprocess.Popen, grace: float = 20.0, sig: int = signal.SIGTERM) -> int:
    """Sends `sig` (SIGTERM), waits up to `grace` seconds, then SIGKILLs; returns the exit code."""
    return stop_all([proc], grace, sig)[0]


def stop_all(procs: Sequence[subprocess.Popen], grace: float = 20.0, sig: int = signal.SIGTERM) -> list[int]:
    """Signals every running process at once, gives them `grace` seconds together, then SIGKILLs
    the rest; returns the exit codes in order."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(sig)
    deadline = time.monotonic() + grace
    for proc in procs:
        try:
            proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return [proc.returncode for proc in procs]
