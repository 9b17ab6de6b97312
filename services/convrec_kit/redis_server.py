"""Runs a local redis-server on a loopback port (tests and bench): start, wait, kill, restart."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import processes


def redis_server_binary() -> str:
    """redis-server from PATH or beside this interpreter (`make build` puts one in .venv/bin)."""
    found = shutil.which("redis-server") or shutil.which("redis-server", path=str(Path(sys.executable).parent))
    if not found:
        raise FileNotFoundError("no redis-server on PATH or in the virtualenv; `make build` installs one")
    return found


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """One redis-server writing its AOF under `workdir`; durable (appendfsync always) by default."""

    workdir: Path
    port: int = 0
    durable: bool = True
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.workdir / "redis.log"

    def command(self) -> list[str]:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else ["--appendonly", "no"]
        return [
            redis_server_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.workdir),
            "--save", "", "--daemonize", "no", *persistence, *self.args,
        ]

    def start(self, timeout: float = 20.0) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or processes.free_port()
        self.proc = processes.start(self.command(), log_path=self.log_path)
        processes.wait_ready(lambda: _answers_ping(self.port), timeout, f"redis-server on {self.port}",
                             self.proc, self.log_path, interval=0.05)
        return self

    def kill(self) -> None:
        """SIGKILL: no shutdown save, no goodbye; what was fsynced is all that is left."""
        self.stop(sig=signal.SIGKILL)

    def stop(self, sig: int = signal.SIGTERM, grace: float = 10.0) -> None:
        if self.proc is not None:
            processes.stop(self.proc, grace, sig)
            self.proc = None

    def restart(self, timeout: float = 20.0) -> RedisServer:
        """Starts again on the same port and directory (after `kill` or `stop`)."""
        self.stop()
        return self.start(timeout)

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(self, *_) -> None:
        self.stop()
