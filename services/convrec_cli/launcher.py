"""Starts the four services as real processes on free loopback ports (tests, bench)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from .supervise import SERVICES


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_serving(address: str, timeout: float = 120.0, service: str = "") -> None:
    deadline = time.time() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while time.time() < deadline:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=1.0)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            time.sleep(0.2)
    raise TimeoutError(f"{address} did not become SERVING within {timeout:.0f}s")


@dataclass
class Cluster:
    """Four service processes with their ports and logs."""

    workdir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    metrics_ports: dict[str, int] = field(default_factory=dict)
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def address(self, name: str = "gateway") -> str:
        return f"127.0.0.1:{self.ports[name]}"

    def env(self) -> dict[str, str]:
        env = os.environ.copy()
        env.update(
            {
                "CONVREC_STATE_PATH": str(self.workdir / "state.sqlite3"),
                "CONVREC_INTENT_ADDRESS": self.address("intent"),
                "CONVREC_RETRIEVAL_ADDRESS": self.address("retrieval"),
                "CONVREC_RANKING_ADDRESS": self.address("ranking"),
                "CONVREC_LOG_FORMAT": "json",
            }
        )
        for name in SERVICES:
            env[f"CONVREC_{name.upper()}_PORT"] = str(self.ports[name])
            env[f"CONVREC_{name.upper()}_METRICS_PORT"] = str(self.metrics_ports[name])
        env.update(self.extra_env)
        return env

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, names=SERVICES, timeout: float = 180.0) -> Cluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            self.ports.setdefault(name, free_port())
            self.metrics_ports.setdefault(name, free_port())
        for name in names:
            self.start_one(name)
        for name in names:
            self.wait(name, timeout)
        return self

    def start_one(self, name: str) -> None:
        log = self.log_path(name).open("ab")
        self.procs[name] = subprocess.Popen(
            [sys.executable, "-m", "convrec_cli.main", "serve", name],
            env=self.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait(self, name: str, timeout: float = 180.0) -> None:
        proc = self.procs[name]
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"{name} exited with {proc.returncode}:\n{self.log_path(name).read_text()[-3000:]}"
                )
            try:
                wait_serving(self.address(name), timeout=2.0)
                return
            except TimeoutError:
                continue
        raise TimeoutError(f"{name} not serving after {timeout}s")

    def stop_one(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        proc = self.procs.pop(name, None)
        if proc is None or proc.poll() is not None:
            return proc.returncode if proc else 0
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            return proc.wait()

    def stop(self) -> None:
        for name in list(self.procs):
            self.stop_one(name)

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.procs.items()}
