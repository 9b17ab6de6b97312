"""The four services as real processes on free loopback ports (tests, evaluations, bench)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import processes
from .tls import ClientTLS

SERVICES = ("intent", "retrieval", "ranking", "gateway")


def serve_command(name: str) -> list[str]:
    """The command line that runs one service in the foreground."""
    return [sys.executable, "-m", "convrec_cli.main", "serve", name]


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

    def client_tls(self) -> ClientTLS | None:
        """How the services dial each other (CONVREC_TLS_* of their environment); None: plaintext."""
        return ClientTLS.from_env(self.env())

    def log_path(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self, names=SERVICES, timeout: float = 180.0) -> Cluster:
        self.workdir.mkdir(parents=True, exist_ok=True)
        for name in SERVICES:
            self.ports.setdefault(name, processes.free_port())
            self.metrics_ports.setdefault(name, processes.free_port())
        for name in names:
            self.start_one(name)
        for name in names:
            self.wait(name, timeout)
        return self

    def start_one(self, name: str) -> None:
        self.procs[name] = processes.start(serve_command(name), self.env(), self.log_path(name))

    def wait(self, name: str, timeout: float = 180.0) -> None:
        """Until `name` is SERVING; RuntimeError with its log if it exits first."""
        processes.wait_serving(self.address(name), timeout, proc=self.procs[name], log_path=self.log_path(name),
                               what=name, tls=self.client_tls())

    def stop_one(self, name: str, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        proc = self.procs.pop(name, None)
        return 0 if proc is None else processes.stop(proc, timeout, sig)

    def stop(self) -> None:
        processes.stop_all([self.procs.pop(name) for name in list(self.procs)])

    def add_gateway(self, name: str, env: dict[str, str] | None = None, timeout: float = 180.0) -> str:
        """Starts one more gateway process `name` (e.g. "gateway-2") on ports of its own, sharing
        the cluster's backends, with `env` over the cluster's; waits until SERVING and returns its
        address. RuntimeError with its log if it exits first (a refused start)."""
        self.ports[name] = self.ports.get(name) or processes.free_port()
        self.metrics_ports[name] = self.metrics_ports.get(name) or processes.free_port()
        replica_env = self.env()
        replica_env.update(
            {"CONVREC_GATEWAY_PORT": str(self.ports[name]),
             "CONVREC_GATEWAY_METRICS_PORT": str(self.metrics_ports[name]),
             **(env or {})}
        )
        self.procs[name] = processes.start(serve_command("gateway"), replica_env, self.log_path(name))
        self.wait(name, timeout)
        return self.address(name)

    def gateways(self) -> list[str]:
        """Addresses of every gateway process started, the first one first."""
        return [self.address(n) for n in self.procs if n == "gateway" or n.startswith("gateway-")]

    def pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.procs.items()}
